"""Statistics for the stats screen: plain numbers computed in SQL, per the learner's days.

Undone ratings and undo events never count; cram ratings count as activity (reviews per day,
streak) but not towards retention, which measures the schedule.

Nothing loads the review log into Python: on SQLite the per-day and per-week figures and the
forecast are grouped in SQL on a day index (whole seconds since the first day, divided by 86,400:
the same 24-hour buckets as `_day_index`); a streak longer than the window reads its older days
in one more pass. Other databases get the same figures from a pass over the window in Python
(`_activity_python`), which the tests hold the SQL to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session, aliased

from quiz.store.days import start_of_day
from quiz.store.db import Database
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.queue import LEARNING_STATES, REVIEW_STATE, effective_reviews
from quiz.store.scheduling import require_utc
from quiz.store.settings import Settings


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


def _undone() -> ColumnElement[bool]:
    """Ratings an undo took back. They are few: counting every rating over a covering index and
    subtracting the undone ones is several times cheaper than probing for an undo row at each
    of a million ratings (`effective_reviews`); IN counts a rating undone twice once."""
    undo = aliased(ReviewRow)
    return ReviewRow.id.in_(
        select(undo.undoes).where(undo.kind == "undo", undo.undoes.is_not(None))
    )


def _counted_groups(session: Session, key: ColumnElement[Any],
                    values: Sequence[ColumnElement[Any]],
                    *where: ColumnElement[bool]) -> dict[Any, list[int]]:
    """`values` per `key` over the counted ratings matching `where`: every rating, minus the
    undone ones."""
    def run(*extra: ColumnElement[bool]) -> dict[Any, list[int]]:
        statement = select(key, *values).where(RATINGS, *where, *extra).group_by(key)
        return {row[0]: [int(v or 0) for v in row[1:]] for row in session.execute(statement)}

    groups = run()
    for group, taken_back in run(_undone()).items():
        groups[group] = [a - b for a, b in zip(groups[group], taken_back, strict=True)]
    return groups


def _recalled() -> ColumnElement[int]:
    return func.sum(case((ReviewRow.rating > 1, 1), else_=0))


def _counted_totals(session: Session, values: Sequence[ColumnElement[Any]],
                    *where: ColumnElement[bool]) -> list[int]:
    """`values` over the counted ratings matching `where` (every rating minus the undone)."""
    def run(*extra: ColumnElement[bool]) -> list[int]:
        row = session.execute(select(*values).where(RATINGS, *where, *extra)).one()
        return [int(v or 0) for v in row]

    return [a - b for a, b in zip(run(), run(_undone()), strict=True)]


def _retention_review() -> ColumnElement[bool]:
    return and_(ReviewRow.kind == "review", ReviewRow.state_before == REVIEW_STATE)


def _forecast_cards() -> list[ColumnElement[bool]]:
    return [QuestionRow.retired_at.is_(None), CardRow.last_review.is_not(None),
            CardRow.suspended.is_(False)]


def _activity_python(session: Session, window: _Window) -> _Activity:
    """Any database: the window's reviews and due dates bucketed in Python."""
    recent = session.execute(
        select(ReviewRow.reviewed_at, ReviewRow.kind, ReviewRow.state_before, ReviewRow.rating)
        .where(effective_reviews(), ReviewRow.reviewed_at >= window.history_start)
    ).all()
    due_moments = session.scalars(
        select(CardRow.due).join(QuestionRow, QuestionRow.id == CardRow.question_id)
        .where(*_forecast_cards(), CardRow.due < window.today + timedelta(days=window.days))
    ).all()
    per_day = [0] * window.days
    per_week = [[0, 0] for _ in range(window.weeks)]
    for moment, kind, state_before, rating in recent:
        day = _day_index(moment, window.first_day)
        if 0 <= day < window.days:
            per_day[day] += 1
        if kind != "review" or state_before != REVIEW_STATE:
            continue
        week = _day_index(moment, window.week_start) // 7
        if 0 <= week < window.weeks:
            per_week[week][0] += 1
            per_week[week][1] += rating > 1
    forecast = [0] * window.days
    for due in due_moments:
        forecast[max(_day_index(due, window.today), 0)] += 1
    active = {_day_index(r[0], window.today) for r in recent}
    return _Activity(per_day, per_week, forecast, _streak(active, 0))


def _seconds_since(column: ColumnElement[datetime], start: datetime) -> ColumnElement[int]:
    """Whole seconds from `start` (a whole second). SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'
    and strftime would round the fraction (…59.9999 to the next second, maybe the next day), so
    only the first 19 characters are read."""
    epoch = int(start.timestamp())
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) - epoch


def _activity_sqlite(session: Session, window: _Window) -> _Activity:
    """SQLite: grouped in SQL over the covering indexes of the log and the due index."""
    day = _seconds_since(ReviewRow.reviewed_at, window.first_day) // 86400
    per_day = [0] * window.days
    for index, (count,) in _counted_groups(
            session, day, [func.count()], ReviewRow.reviewed_at >= window.first_day).items():
        if 0 <= index < window.days:
            per_day[index] += count
    week = _seconds_since(ReviewRow.reviewed_at, window.week_start) // (7 * 86400)
    per_week = [[0, 0] for _ in range(window.weeks)]
    for index, (count, recalled) in _counted_groups(
            session, week, [func.count(), _recalled()], _retention_review(),
            ReviewRow.reviewed_at >= window.week_start).items():
        if 0 <= index < window.weeks:
            per_week[index] = [count, recalled]
    # Due before today counts for today; integer division truncates towards zero, so clamp.
    due_day = func.max(_seconds_since(CardRow.due, window.today) // 86400, 0)
    forecast = [0] * window.days
    for index, count in session.execute(
        select(due_day, func.count()).select_from(CardRow)
        .join(QuestionRow, QuestionRow.id == CardRow.question_id)
        .where(*_forecast_cards(), CardRow.due < window.today + timedelta(days=window.days))
        .group_by(due_day)
    ):
        if 0 <= index < window.days:
            forecast[index] += count
    return _Activity(per_day, per_week, forecast, _streak_sql(session, window, per_day))


def _streak_sql(session: Session, window: _Window, per_day: list[int]) -> int:
    """Days in a row with a review, walking back from today. The window's days are known from
    `per_day`; only a streak that reaches its first day needs the older days, read in one
    grouped pass back to `history_start`."""
    active = {index - (window.days - 1) for index, count in enumerate(per_day) if count}
    streak = _streak(active, 0)
    first_unknown = (0 if 0 in active else -1) - streak
    if first_unknown >= -(window.days - 1):  # the streak ends inside the window
        return streak
    offset = _day_index(window.history_start, window.today)
    day = _seconds_since(ReviewRow.reviewed_at, window.history_start) // 86400
    older = _counted_groups(session, day, [func.count()],
                            ReviewRow.reviewed_at >= window.history_start,
                            ReviewRow.reviewed_at < window.first_day)
    active |= {offset + index for index, (count,) in older.items() if count > 0}
    return _streak(active, 0)


def _deck_accuracy(session: Session) -> dict[str, list[int]]:
    """Counted ratings and recalled ones per deck: grouped per card first (an index-only pass
    over the log), then per deck over the cards; the undone ratings subtracted."""
    def run(*extra: ColumnElement[bool]) -> dict[str, list[int]]:
        per_card = (
            select(ReviewRow.question_id.label("question_id"), func.count().label("n"),
                   _recalled().label("ok"))
            .where(RATINGS, *extra).group_by(ReviewRow.question_id).subquery()
        )
        rows = session.execute(
            select(QuestionRow.deck, func.sum(per_card.c.n), func.sum(per_card.c.ok))
            .join(QuestionRow, QuestionRow.id == per_card.c.question_id)
            .group_by(QuestionRow.deck)
        )
        return {deck: [int(n or 0), int(ok or 0)] for deck, n, ok in rows}

    totals = run()
    for deck, (n, ok) in run(_undone()).items():
        totals[deck] = [totals[deck][0] - n, totals[deck][1] - ok]
    return {deck: values for deck, values in totals.items() if values[0]}


def _activity(session: Session, window: _Window) -> _Activity:
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        return _activity_sqlite(session, window)
    return _activity_python(session, window)


def study_stats(db: Database, now: datetime, settings: Settings | None = None,
                days: int = 30, weeks: int = 12) -> StudyStats:
    now = require_utc(now)
    settings = settings or Settings()
    window = _Window(start_of_day(now, settings.day_starts_at), days, weeks)
    with db.sessions.begin() as session:
        activity = _activity(session, window)
        (total,) = _counted_totals(session, [func.count()])
        n, recalled = _counted_totals(session, [func.count(), _recalled()], _retention_review())
        state_name = case(
            (CardRow.suspended.is_(True), "suspended"),
            (and_(CardRow.buried_until.is_not(None), CardRow.buried_until > now), "buried"),
            (CardRow.last_review.is_(None), "new"),
            (CardRow.state.in_(LEARNING_STATES), "learning"),
            else_="review",
        )
        states = dict(session.execute(
            select(state_name, func.count())
            .select_from(CardRow)
            .join(QuestionRow, QuestionRow.id == CardRow.question_id)
            .where(QuestionRow.retired_at.is_(None)).group_by(state_name)
        ).all())
        deck_totals = _deck_accuracy(session)
    today, first_day, week_start = window.today, window.first_day, window.week_start
    return StudyStats(
        reviews_per_day=[(_label(first_day + timedelta(days=i)), c)
                         for i, c in enumerate(activity.per_day)],
        forecast=[(_label(today + timedelta(days=i)), c) for i, c in enumerate(activity.forecast)],
        retention_per_week=[
            (_label(week_start + timedelta(days=7 * i)), (r / n_) if n_ else None, n_)
            for i, (n_, r) in enumerate(activity.per_week)
        ],
        cards_by_state={name: states.get(name, 0)
                        for name in ("new", "learning", "review", "suspended", "buried")},
        decks=[DeckAccuracy(deck, count, ok) for deck, (count, ok) in sorted(deck_totals.items())],
        streak=activity.streak,
        total_reviews=total,
        true_retention=(recalled or 0) / n if n else None,
    )
