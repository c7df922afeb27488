"""Statistics for the stats screen: plain numbers computed in SQL, per the learner's days.

Undone ratings and undo events never count; cram ratings count as activity (reviews per day,
streak) but not towards retention, which measures the schedule.

Nothing loads the review log into Python: every figure is a count over a range of an index —
per day and per week one range per bucket (the same 24-hour buckets as `_day_index`), the
forecast one range of due dates per day — over every rating, minus the undone ones (read once:
an undo is rare). A streak longer than the window probes one older day at a time. The
whole-history figures come from the per-card totals the database keeps (`quiz.store.derived`).
The same statements serve SQLite and PostgreSQL; the tests hold them to a pass in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from quiz.store.counts import LEARNING_STATES, REVIEW_STATE, cards, counted, live_cards
from quiz.store.days import require_utc, start_of_day
from quiz.store.db import Database
from quiz.store.derived import CARD_TOTALS
from quiz.store.models import CardRow, ReviewRow
from quiz.store.settings import Settings
from quiz.store.tables import UTCDateTime

if TYPE_CHECKING:
    from typing_extensions import Unpack


# A rate drawn from fewer reviews than this is left out (shown as "—" with its sample size): one
# forgotten card is "retention 0%", which says nothing about the schedule.
MIN_SAMPLE = 10


def enough(n: int) -> bool:
    """Whether a rate over `n` reviews is worth showing."""
    return n >= MIN_SAMPLE


@dataclass(frozen=True)
class DeckAccuracy:
    deck: str
    reviews: int
    recalled: int

    @property
    def accuracy(self) -> float | None:
        return self.recalled / self.reviews if self.reviews else None


@dataclass(frozen=True)
class StudyStats:
    reviews_per_day: list[tuple[str, int]]       # oldest first, the last is today
    forecast: list[tuple[str, int]]              # cards falling due per day, today first
    retention_per_week: list[tuple[str, float | None, int]]  # week label, share recalled, n
    cards_by_state: dict[str, int]
    decks: list[DeckAccuracy]
    streak: int                                  # days in a row with a review, up to today
    total_reviews: int
    true_retention: float | None                 # over every review of a review-state card
    graded_reviews: int = 0                      # how many: the sample true_retention is from


def _day_index(moment: datetime, first_day: datetime) -> int:
    return int((moment - first_day).total_seconds() // 86400)


def _label(day: datetime) -> str:
    return day.astimezone().strftime("%m-%d")


def _streak(active_days: set[int], today_index: int) -> int:
    # A day without reviews yet today does not break the streak until it is over.
    day = today_index if today_index in active_days else today_index - 1
    streak = 0
    while day in active_days:
        streak += 1
        day -= 1
    return streak


@dataclass(frozen=True)
class _Window:
    today: datetime          # start of the learner's current day
    days: int
    weeks: int

    @property
    def first_day(self) -> datetime:
        return self.today - timedelta(days=self.days - 1)

    @property
    def week_start(self) -> datetime:
        return self.today - timedelta(days=7 * (self.weeks - 1))

    @property
    def history_start(self) -> datetime:
        """How far back the streak looks."""
        return self.today - timedelta(days=max(self.days, self.weeks * 7, 366))


@dataclass
class _Activity:
    per_day: list[int]                       # reviews per day, first_day … today
    per_week: list[list[int]]                # [reviews of review cards, recalled] per week
    forecast: list[int]                      # cards falling due per day, today first
    streak: int = 0


RATINGS = ReviewRow.kind.in_(("review", "cram"))


@dataclass(frozen=True)
class _Undone:
    """A rating an undo took back. They are few, so they are read once and subtracted from
    counts over every rating, instead of probing for an undo at each of a million ratings."""

    reviewed_at: datetime
    kind: str
    state_before: int | None
    rating: int

    @property
    def graded(self) -> bool:
        """Counts towards retention (a review of a card in review state)."""
        return self.kind == "review" and self.state_before == REVIEW_STATE


def _undone_ratings(session: Session, learner_id: int) -> list[_Undone]:
    """The ratings an undo took back (IN: a rating undone twice is taken back once)."""
    undo = ReviewRow.__table__.alias("u")
    rows = session.execute(
        select(ReviewRow.reviewed_at, ReviewRow.kind, ReviewRow.state_before, ReviewRow.rating)
        .where(ReviewRow.learner_id == learner_id, RATINGS,
               ReviewRow.id.in_(select(undo.c.undoes).where(undo.c.kind == "undo"))))
    return [_Undone(moment, kind, state_before, rating)
            for moment, kind, state_before, rating in rows]


def _recalled() -> ColumnElement[int]:
    return func.sum(case((ReviewRow.rating > 1, 1), else_=0))


def _retention_review() -> ColumnElement[bool]:
    return and_(ReviewRow.kind == "review", ReviewRow.state_before == REVIEW_STATE)


def _forecast_card_conditions(learner_id: int) -> list[ColumnElement[bool]]:
    # The state condition lets SQLite read the studied cards' index by due date.
    return [CardRow.learner_id == learner_id, CardRow.last_review.is_not(None),
            CardRow.suspended.is_(False),
            CardRow.state.in_((*LEARNING_STATES, REVIEW_STATE)), CardRow.live.is_(True)]


def _per_range(session: Session, values: Sequence[Callable[..., ColumnElement[Any]]],
               column: InstrumentedAttribute[datetime], bounds: Sequence[datetime | None],
               *where: ColumnElement[bool]) -> list[list[int]]:
    """`values` (aggregates) over the rows with `column` in each [bounds[i], bounds[i + 1])
    (None: unbounded below), one statement of index-range subqueries: no function of the
    column is computed per row and nothing is sorted."""
    def one(value: Callable[..., ColumnElement[Any]], low: datetime | None,
            high: datetime | None) -> ColumnElement[Any]:
        limits = [column < high] if high is not None else []
        if low is not None:
            limits.append(column >= low)
        table = column.table
        return select(value()).select_from(table).where(*where, *limits).scalar_subquery()

    pairs = list(pairwise(bounds))
    row = session.execute(select(*[one(value, low, high) for low, high in pairs
                                   for value in values])).one()
    width = len(values)
    return [[int(v or 0) for v in row[i * width:(i + 1) * width]] for i in range(len(pairs))]


def _activity(session: Session, window: _Window, learner_id: int,
              undone: list[_Undone] | None = None) -> _Activity:
    """Counted per day and week over ranges of the log's covering indexes (every rating in the
    range, minus the undone ones), the forecast over the studied cards' due index."""
    if undone is None:
        undone = _undone_ratings(session, learner_id)
    mine = ReviewRow.learner_id == learner_id
    days = [window.first_day + timedelta(days=i) for i in range(window.days + 1)]
    per_day = [count for (count,) in _per_range(
        session, [func.count], ReviewRow.reviewed_at, days, mine, RATINGS)]
    weeks = [window.week_start + timedelta(days=7 * i) for i in range(window.weeks + 1)]
    per_week = _per_range(session, [func.count, _recalled], ReviewRow.reviewed_at, weeks,
                          mine, RATINGS, _retention_review())
    for rating in undone:
        day = _day_index(rating.reviewed_at, window.first_day)
        if 0 <= day < window.days:
            per_day[day] -= 1
        week = _day_index(rating.reviewed_at, window.week_start) // 7
        if rating.graded and 0 <= week < window.weeks:
            per_week[week][0] -= 1
            per_week[week][1] -= rating.rating > 1
    return _Activity(per_day, per_week, _forecast(session, window, learner_id),
                     _streak_sql(session, window, learner_id, per_day))


def _forecast(session: Session, window: _Window, learner_id: int) -> list[int]:
    """Cards falling due per day (before today counts for today): the studied cards of live
    questions in each range of due dates."""
    bounds: list[datetime | None] = [None]
    bounds += [window.today + timedelta(days=i) for i in range(1, window.days + 1)]
    return [count for (count,) in _per_range(session, [func.count], CardRow.due, bounds,
                                             *_forecast_card_conditions(learner_id))]


STREAK_CHUNK = 31  # older days probed per statement


def _streak_sql(session: Session, window: _Window, learner_id: int, per_day: list[int]) -> int:
    """Days in a row with a review, walking back from today. The window's days are known from
    `per_day`; a streak that reaches its first day goes on through the older days, a month per
    statement of one probe per day (its first counted rating, from the reviewed_at index),
    back to `history_start`."""
    active = {index - (window.days - 1) for index, count in enumerate(per_day) if count}
    streak = _streak(active, 0)
    first_unknown = (0 if 0 in active else -1) - streak
    if first_unknown >= -(window.days - 1):  # the streak ends inside the window
        return streak
    day_end = window.first_day
    left = (day_end - window.history_start) // timedelta(days=1)
    while left > 0:
        count = min(STREAK_CHUNK, left)
        bounds: dict[str, object] = {f"b{i}": day_end - timedelta(days=i)
                                     for i in range(count + 1)}
        bounds["learner"] = learner_id
        for active_day in session.execute(_days_probe(count), bounds).one():
            if not active_day:
                return streak
            streak += 1
        day_end -= timedelta(days=count)
        left -= count
    return streak


@cache
def _days_probe(count: int) -> Select[Unpack[tuple[bool, ...]]]:
    """Whether each of `count` days, [b{i+1}, b{i}), has a counted rating."""
    bounds = [bindparam(f"b{i}", type_=UTCDateTime()) for i in range(count + 1)]
    return select(*[
        select(ReviewRow.id).where(ReviewRow.learner_id == bindparam("learner", type_=Integer),
                                   ReviewRow.reviewed_at >= bounds[i + 1],
                                   ReviewRow.reviewed_at < bounds[i],
                                   counted(ReviewRow.__table__))
        .exists() for i in range(count)
    ])


@dataclass
class _LogTotals:
    reviews: int = 0    # counted ratings
    graded: int = 0     # of which reviews of a review-state card (retention)
    recalled: int = 0   # of those, recalled
    decks: dict[str, list[int]] = field(default_factory=dict)  # deck: [ratings, recalled]


def _log_totals(session: Session, learner_id: int) -> _LogTotals:
    """The whole-log figures from the per-card totals the database keeps: one row per studied
    card, not a pass over every review."""
    t = CARD_TOTALS.c
    totals = _LogTotals()
    for deck, n, ok, graded, graded_ok in session.execute(
            select(t.deck, func.sum(t.ratings), func.sum(t.recalled), func.sum(t.graded),
                   func.sum(t.graded_recalled)).where(t.learner_id == learner_id)
            .group_by(t.deck)):
        totals.reviews += int(n or 0)
        totals.graded += int(graded or 0)
        totals.recalled += int(graded_ok or 0)
        if deck and n:  # (a rating of no known question has no deck)
            totals.decks[deck] = [int(n), int(ok or 0)]
    return totals


def _cards_by_state(session: Session, learner_id: int, now: datetime) -> dict[str, int]:
    """Live cards by what the learner sees: suspended, else buried, else new, learning or
    review — each a count over a card index, minus the retired questions' cards."""
    c = cards.c
    not_suspended = c.suspended.is_not(True)
    not_buried = or_(c.buried_until.is_(None), c.buried_until <= now)

    def count(*conditions: ColumnElement[bool]) -> int:
        return live_cards(session.connection(), learner_id, *conditions)

    counts = {
        "suspended": count(c.suspended.is_(True)),
        "buried": count(not_suspended, c.buried_until > now),
        "new": count(not_suspended, not_buried, c.last_review.is_(None)),
        "learning": count(not_suspended, not_buried, c.last_review.is_not(None),
                          c.state.in_(LEARNING_STATES)),
    }
    counts["review"] = count() - sum(counts.values())
    return counts


def study_stats(db: Database, now: datetime, settings: Settings | None = None,
                days: int = 30, weeks: int = 12) -> StudyStats:
    now = require_utc(now)
    settings = settings or Settings()
    window = _Window(start_of_day(now, settings.day_starts_at), days, weeks)
    with db.sessions.begin() as session:
        activity = _activity(session, window, db.learner_id)
        log = _log_totals(session, db.learner_id)
        states = _cards_by_state(session, db.learner_id, now)
    today, first_day, week_start = window.today, window.first_day, window.week_start
    return StudyStats(
        reviews_per_day=[(_label(first_day + timedelta(days=i)), c)
                         for i, c in enumerate(activity.per_day)],
        forecast=[(_label(today + timedelta(days=i)), c) for i, c in enumerate(activity.forecast)],
        retention_per_week=[
            (_label(week_start + timedelta(days=7 * i)), (r / n_) if n_ else None, n_)
            for i, (n_, r) in enumerate(activity.per_week)
        ],
        cards_by_state={name: states[name]
                        for name in ("new", "learning", "review", "suspended", "buried")},
        decks=[DeckAccuracy(deck, count, ok) for deck, (count, ok) in sorted(log.decks.items())],
        streak=activity.streak,
        total_reviews=log.reviews,
        true_retention=log.recalled / log.graded if log.graded else None,
        graded_reviews=log.graded,
    )
