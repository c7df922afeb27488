"""Every count the learner sees, in one place: home's per-deck rows, `quiz due`, a study scope's
new / learning / review left, and the day's limits. Each is a SQLAlchemy Core statement that
compiles for SQLite and PostgreSQL alike, over the cards (with their copies of the question's
deck and liveness) and the totals the database's triggers keep (`quiz.store.derived`): a few
dozen rows and one short index range per deck, never every card or every review.

What the figures mean: the cards of live questions, available (not suspended, not buried until
later), due by `now`; the day's limits on new cards (with custom study's extra ones) and on
reviews; the cards and ratings of the learner's day (`quiz.store.days`). Undone ratings never
count. The tests hold every figure to a recount in Python.

Every figure is one learner's: each statement names the learner through the bind parameter
`learner` (`mine`, part of `live`), so a statement run without it fails instead of counting the
whole class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from sqlalchemy import (
    LABEL_STYLE_TABLENAME_PLUS_COL,
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)

from quiz.store.days import day_key, require_utc, start_of_day
from quiz.store.db import Database
from quiz.store.derived import CARD_TOTALS, DECK_TOTALS, HOUR_LENGTH, RATING_HOURS
from quiz.store.settings import Settings
from quiz.store.tables import CARDS, QUESTIONS, REVIEWS, SETTINGS, UTCDateTime

LEARNING_STATES = (1, 3)  # fsrs Learning, Relearning
REVIEW_STATE = 2

cards = CARDS.alias("c")
questions = QUESTIONS.alias("q")
reviews = REVIEWS.alias("r")
_undo = REVIEWS.alias("u")


# --- what the learner chose to study ---------------------------------------------------------

class Mode(str, Enum):
    NORMAL = "normal"        # the schedule: learning, due reviews, new cards
    AHEAD = "ahead"          # review cards due within the next N days
    FORGOTTEN = "forgotten"  # cards rated Again today
    CRAM = "cram"            # every card of the scope; ratings are logged, nothing rescheduled
    DRILL = "drill"          # the learner's own mistakes: given numeric instances, like cram


@dataclass(frozen=True)
class DrillCard:
    """One question of a mistakes drill: the numeric card, the instance (seed) to deal, and the
    misconception that instance shows."""

    question_id: str
    seed: int
    mistake_id: str


@dataclass(frozen=True)
class StudyScope:
    decks: frozenset[str] = field(default_factory=frozenset)  # empty: every deck
    numeric_only: bool = False
    mode: Mode = Mode.NORMAL
    ahead_days: int = 0
    drill: tuple[DrillCard, ...] = ()  # Mode.DRILL: the cards in the order they come

    @property
    def reschedules(self) -> bool:
        return self.mode not in (Mode.CRAM, Mode.DRILL)

    def drill_card(self, question_id: str) -> DrillCard | None:
        """The drill's entry for a card (its instance and the mistake it shows), if any."""
        return next((card for card in self.drill if card.question_id == question_id), None)

    def describe(self) -> str:
        from quiz.render.safe import safe_text  # a deck is bank text: shown in titles, dialogs

        what = "、".join(map(safe_text, sorted(self.decks))) if self.decks else "全部 all"
        if self.numeric_only:
            what += " · 仅数值题 numeric only"
        extra = {
            Mode.NORMAL: "",
            Mode.AHEAD: f" · 提前复习 {self.ahead_days} 天 review ahead",
            Mode.FORGOTTEN: " · 今天忘记的卡 forgotten today",
            Mode.CRAM: " · 突击（不改排程）cram, schedule untouched",
            Mode.DRILL: " · 练我的错题（不改排程）drill my mistakes, schedule untouched",
        }[self.mode]
        return what + extra


# The whole schedule: every deck, every kind, the normal mode.
EVERYTHING = StudyScope()


# --- what the counts return ------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """The queue over every deck (`quiz due`, home's header)."""

    due: int
    new: int
    total: int
    new_today: int
    reviews_today: int
    learning: int = 0


@dataclass(frozen=True)
class DeckCounts:
    deck: str
    review: int
    learning: int
    new: int          # unseen cards in the deck (today's limit applies across decks)
    done_today: int
    total: int
    numeric: int


@dataclass(frozen=True)
class HomeFigures:
    counts: Counts
    decks: list[DeckCounts]


@dataclass(frozen=True)
class QueueCounts:
    """What is left of a study scope, as Anki shows it: new · learning · review."""

    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


# --- conditions ------------------------------------------------------------------------------

def _moment(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


def learner_param() -> Any:
    return bindparam("learner", type_=Integer)


def params(db: Database, **values: Any) -> dict[str, Any]:
    """Bind parameters of a statement of this module, with the learner of `db`."""
    return {"learner": db.learner_id, **values}


def mine(table: Any = cards) -> ColumnElement[bool]:
    """A row of the learner studying (the `learner` parameter)."""
    condition: ColumnElement[bool] = table.c.learner_id == learner_param()
    return condition


def counted(review: Any = reviews) -> ColumnElement[bool]:
    """A rating that counts: review or cram, and no undo row takes it back."""
    return and_(review.c.kind.in_(("review", "cram")),
                ~exists().where(_undo.c.undoes == review.c.id, _undo.c.kind == "undo"))


def available(now: Any) -> ColumnElement[bool]:
    """A card not suspended and not buried past `now`."""
    return and_(cards.c.suspended.is_(False),
                or_(cards.c.buried_until.is_(None), cards.c.buried_until <= now))


def live() -> ColumnElement[bool]:
    """A card of the learner (`mine`) whose question is not retired."""
    return and_(mine(), cards.c.live == true())


def _studied() -> ColumnElement[bool]:
    return cards.c.last_review.is_not(None)


def _due_learning(now: Any) -> list[ColumnElement[bool]]:
    return [cards.c.state.in_(LEARNING_STATES), cards.c.due <= now, _studied()]


def _due_review(now: Any) -> list[ColumnElement[bool]]:
    return [cards.c.state == REVIEW_STATE, cards.c.due <= now, _studied()]


def _count(*conditions: ColumnElement[bool], cap: Any = None) -> Select[Any]:
    """Live cards matching `conditions`, at most `cap` (a count stops at its limit)."""
    rows = select(literal(1)).select_from(cards).where(live(), *conditions)
    if cap is None:
        return select(func.count()).select_from(rows.subquery())
    return select(func.count()).select_from(rows.limit(cap).subquery())


# --- the learner's day -----------------------------------------------------------------------

def extra_new_key(now: datetime, settings: Settings, learner_id: int) -> str:
    """The setting that holds the learner's extra new cards of today (custom study)."""
    return f"extra_new:{learner_id}:{day_key(now, settings.day_starts_at)}"


def _hour_key(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H")[:HOUR_LENGTH]


@dataclass(frozen=True)
class Day:
    """What the learner's day has used and has left, and the live cards."""

    new_today: int      # cards whose first counted review is today
    new_left: int       # new cards still allowed today
    reviews_left: int   # reviews still allowed today
    ratings: int        # every counted rating today (cram too)
    total: int = 0      # cards of live questions


def _new_today() -> Any:
    return (select(func.count()).select_from(CARD_TOTALS)
            .where(mine(CARD_TOTALS), CARD_TOTALS.c.first_review >= _moment("since"))
            .scalar_subquery())


def _reviews_today() -> Any:
    rows = (select(literal(1)).select_from(reviews)
            .where(mine(reviews), reviews.c.kind == "review",
                   reviews.c.state_before == REVIEW_STATE,
                   reviews.c.reviewed_at >= _moment("since"), counted())
            .limit(bindparam("cap")))
    return select(func.count()).select_from(rows.subquery()).scalar_subquery()


def new_cards_today(connection: Connection, learner_id: int, since: datetime) -> int:
    """Cards whose first counted review is at `since` or later."""
    return connection.scalar(select(_new_today()), {"since": since, "learner": learner_id}) or 0


def reviews_today(connection: Connection, learner_id: int, since: datetime, cap: int) -> int:
    """Reviews of cards in review state since `since` (what the daily maximum limits), counted
    up to `cap`."""
    return connection.scalar(select(_reviews_today()),
                             {"since": since, "cap": cap, "learner": learner_id}) or 0


def _ratings_today() -> Any:
    """Whole hours from the hourly totals; the part of an hour before the first whole one (a
    day that starts off the hour) from the log."""
    whole = (select(func.coalesce(func.sum(RATING_HOURS.c.ratings), 0))
             .where(mine(RATING_HOURS), RATING_HOURS.c.hour >= bindparam("whole_hours"))
             .scalar_subquery())
    part = (select(func.count()).select_from(reviews)
            .where(mine(reviews), reviews.c.reviewed_at >= _moment("since"),
                   reviews.c.reviewed_at < _moment("hour_start"), counted())
            .scalar_subquery())
    return whole + part


def _day_columns() -> list[Any]:
    """The day's figures as columns of one statement (one round trip to the database)."""
    extra = (select(SETTINGS.c.value).where(SETTINGS.c.key == bindparam("extra_key"))
             .scalar_subquery())
    total = (select(func.coalesce(func.sum(DECK_TOTALS.c.cards), 0)).where(mine(DECK_TOTALS))
             .scalar_subquery())
    return [extra.label("extra_new"), _new_today().label("new_today"),
            _reviews_today().label("reviews_done"), _ratings_today().label("ratings"),
            total.label("total")]


def _day_parameters(now: datetime, settings: Settings, learner_id: int) -> dict[str, Any]:
    day_start = start_of_day(now, settings.day_starts_at)
    hour = day_start.replace(minute=0, second=0, microsecond=0)
    if hour < day_start:  # a day that starts off the hour (a :30 time zone)
        hour += timedelta(hours=1)
    return {"since": day_start, "cap": settings.max_reviews_per_day,
            "whole_hours": _hour_key(hour), "hour_start": hour,
            "extra_key": extra_new_key(now, settings, learner_id), "now": now,
            "learner": learner_id}


def _day_of(row: Any, settings: Settings) -> Day:
    extra = row.extra_new if isinstance(row.extra_new, int) and row.extra_new > 0 else 0
    return Day(new_today=row.new_today,
               new_left=max(settings.new_per_day + extra - row.new_today, 0),
               reviews_left=max(settings.max_reviews_per_day - row.reviews_done, 0),
               ratings=int(row.ratings), total=int(row.total))


def day(connection: Connection, now: datetime, settings: Settings, learner_id: int) -> Day:
    """The learner's day as of `now`."""
    row = connection.execute(select(*_day_columns()),
                             _day_parameters(now, settings, learner_id)).one()
    return _day_of(row, settings)


# --- home and `quiz due` ---------------------------------------------------------------------

def _deck_rows(connection: Connection, learner_id: int, now: datetime,
               since: datetime) -> list[DeckCounts]:
    totals: dict[str, list[int]] = {}  # deck: questions, numeric, unseen
    first_file: dict[str, str] = {}
    # The first entry of the live questions' index (retired_at, deck, kind, file) for the
    # (deck, kind), ordered by all of the index's columns: PostgreSQL takes `IS NULL` for no
    # equality, and for min() or ORDER BY file alone it read and sorted the whole range.
    first = (select(questions.c.file)
             .where(questions.c.retired_at.is_(None), questions.c.deck == DECK_TOTALS.c.deck,
                    questions.c.kind == DECK_TOTALS.c.kind)
             .order_by(questions.c.retired_at, questions.c.deck, questions.c.kind,
                       questions.c.file)
             .limit(1).scalar_subquery())
    for deck, kind, count, unseen, file in connection.execute(
            select(DECK_TOTALS.c.deck, DECK_TOTALS.c.kind, DECK_TOTALS.c.questions,
                   DECK_TOTALS.c.unseen, first)
            .where(mine(DECK_TOTALS), or_(DECK_TOTALS.c.questions > 0, DECK_TOTALS.c.cards > 0)),
            {"learner": learner_id}):
        entry = totals.setdefault(deck, [0, 0, 0])
        entry[0] += count
        entry[1] += count if kind == "numeric" else 0
        entry[2] += unseen
        if file is not None:
            first_file[deck] = min(first_file.get(deck, file), file)
    due = {deck: (review, learning, done, buried) for deck, review, learning, done, buried
           in connection.execute(_per_deck_statement(),
                                 {"now": now, "since": since, "learner": learner_id})}
    rows = []
    for deck, (count, numeric, unseen) in totals.items():
        if count <= 0:
            continue
        review, learning, done, buried = due.get(deck, (0, 0, 0, 0))
        rows.append(DeckCounts(deck=deck, review=review, learning=learning,
                               new=unseen - buried, done_today=done, total=count,
                               numeric=numeric))
    return sorted(rows, key=lambda row: (first_file.get(row.deck, ""), row.deck))


def _per_deck_statement() -> Select[Any]:
    """Per deck: due reviews, due learning cards, cards rated today — each a range of an index
    that starts with the deck — and its unseen cards buried for now (few: the deck totals count
    them as unseen)."""
    decks = (select(DECK_TOTALS.c.deck).where(mine(DECK_TOTALS), DECK_TOTALS.c.questions > 0)
             .distinct().subquery("d"))
    now = _moment("now")

    def due(*conditions: ColumnElement[bool]) -> Any:
        return (select(func.count()).select_from(cards)
                .where(cards.c.deck == decks.c.deck, live(), *conditions, available(now))
                .scalar_subquery())

    done = (select(func.count()).select_from(CARD_TOTALS)
            .where(mine(CARD_TOTALS), CARD_TOTALS.c.deck == decks.c.deck,
                   CARD_TOTALS.c.last_rating >= _moment("since")).scalar_subquery())
    buried = (select(func.count()).select_from(cards)
              .where(cards.c.buried_until > now, cards.c.deck == decks.c.deck,
                     cards.c.last_review.is_(None), cards.c.suspended.is_(False), live())
              .scalar_subquery())
    return select(decks.c.deck, due(*_due_review(now)), due(*_due_learning(now)), done, buried)


def _counts(today: Day, review: int, learning: int, unseen: int) -> Counts:
    return Counts(due=min(review, today.reviews_left) + learning,
                  new=min(unseen, today.new_left), total=today.total,
                  new_today=today.new_today, reviews_today=today.ratings, learning=learning)


def home_figures(db: Database, now: datetime, settings: Settings) -> HomeFigures:
    """Home's figures: the queue over every deck, and each deck's row (decks in the order of
    their first file)."""
    now = require_utc(now)
    with db.read() as connection:
        today = day(connection, now, settings, db.learner_id)
        decks = _deck_rows(connection, db.learner_id, now,
                           start_of_day(now, settings.day_starts_at))
        counts = _counts(today, sum(d.review for d in decks),
                         sum(d.learning for d in decks), sum(d.new for d in decks))
    return HomeFigures(counts, decks)


def due_counts(db: Database, now: datetime, settings: Settings) -> Counts:
    """The queue over every deck (`quiz due`): the figures of `home_figures(...).counts`, from
    ranges over every deck at once instead of deck by deck."""
    with db.read() as connection:
        return _due_counts(connection, require_utc(now), settings, db.learner_id)


def _due_counts(connection: Connection, now: datetime, settings: Settings,
                learner_id: int) -> Counts:
    """The day and the queue in one statement. Due reviews are counted up to the day's
    maximum (what is left of it is at most that), and cut to what is left here."""
    moment = _moment("now")
    buried_unseen = _count(cards.c.buried_until > moment, cards.c.last_review.is_(None),
                           cards.c.suspended.is_(False)).scalar_subquery()
    unseen = (select(func.coalesce(func.sum(DECK_TOTALS.c.unseen), 0)).where(mine(DECK_TOTALS))
              .scalar_subquery())
    row = connection.execute(select(
        *_day_columns(),
        _count(*_due_learning(moment), available(moment)).scalar_subquery().label("learning"),
        _count(*_due_review(moment), available(moment), cap=bindparam("cap"))
        .scalar_subquery().label("review"),
        (unseen - buried_unseen).label("unseen")),
        _day_parameters(now, settings, learner_id)).one()
    return _counts(_day_of(row, settings), row.review, row.learning, int(row.unseen))


def next_learning_due(db: Database, now: datetime) -> datetime | None:
    """When the learner's next learning card falls due after `now`: home counts again then
    (review cards fall due by the day, and home counts whenever it is shown). One range of the
    studied cards' index per learning state."""
    now = require_utc(now)
    statement = (select(func.min(cards.c.due))
                 .where(live(), available(now), _studied(), cards.c.state.in_(LEARNING_STATES),
                        cards.c.due > now))
    with db.read() as connection:
        moment: datetime | None = connection.scalar(statement, params(db))
    return moment


def is_empty(db: Database) -> bool:
    """No question has ever been imported (a first run)."""
    with db.read() as connection:
        return connection.scalar(select(questions.c.id).limit(1)) is None


@dataclass(frozen=True)
class DueCard:
    id: str
    title: str
    due: datetime


def due_cards(db: Database, now: datetime, limit: int | None = 20) -> list[DueCard]:
    """Studied cards of live questions that are due now (not suspended or buried), soonest
    first (`quiz due`'s list)."""
    now = require_utc(now)
    # Every column of the rows listed is read (and so checked: a damaged value raises here,
    # and `quiz due` names it), not only the three shown.
    statement = (select(cards, questions).set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)
                 .join(questions, questions.c.id == cards.c.question_id)
                 .where(live(), available(now), cards.c.last_review.is_not(None),
                        cards.c.due <= now)
                 .order_by(cards.c.due))
    if limit is not None:
        statement = statement.limit(limit)
    with db.read() as connection:
        return [DueCard(row.c_question_id, row.q_title, row.c_due)
                for row in connection.execute(statement, params(db))]


# --- a study scope ---------------------------------------------------------------------------

def in_scope(scope: StudyScope, exclude: Iterable[str] = ()) -> list[ColumnElement[bool]]:
    """Conditions on `cards` for the decks, kind and skipped cards of a study scope."""
    conditions: list[ColumnElement[bool]] = []
    if scope.decks:
        conditions.append(cards.c.deck.in_(sorted(scope.decks)))
    if scope.numeric_only:
        conditions.append(exists().where(questions.c.id == cards.c.question_id,
                                         questions.c.kind == "numeric"))
    skip = list(exclude)
    if skip:
        conditions.append(cards.c.question_id.not_in(skip))
    return conditions


def drilled(scope: StudyScope) -> ColumnElement[bool]:
    """Cards of a mistakes drill."""
    return cards.c.question_id.in_(sorted({card.question_id for card in scope.drill}))


def drill_order(scope: StudyScope) -> ColumnElement[int]:
    """A drill's cards in the drill's order."""
    order: dict[str, int] = {}
    for card in scope.drill:
        order.setdefault(card.question_id, len(order))
    return case(order, value=cards.c.question_id, else_=len(order))


def forgotten_today(since: datetime) -> ColumnElement[bool]:
    """Cards rated Again today (a counted review)."""
    return cards.c.question_id.in_(
        select(reviews.c.question_id).where(
            mine(reviews), reviews.c.kind == "review", reviews.c.rating == 1,
            reviews.c.reviewed_at >= since,
            counted()))


def queue_counts(db: Database, now: datetime, settings: Settings,
                 scope: StudyScope = EVERYTHING, exclude: Iterable[str] = ()) -> QueueCounts:
    """What is left of the scope now (the study screen's counters)."""
    with db.read() as connection:
        return scope_counts(connection, db.learner_id, require_utc(now), settings, scope,
                            exclude)


def scope_counts(connection: Connection, learner_id: int, now: datetime, settings: Settings,
                 scope: StudyScope = EVERYTHING, exclude: Iterable[str] = (),
                 today: Day | None = None, learn_ahead: timedelta = timedelta(0)) -> QueueCounts:
    """`queue_counts` inside the caller's transaction; learning cards are counted when due
    within `learn_ahead` (the study screen counts those its session will show)."""
    base = [*in_scope(scope, exclude), available(now)]

    def count(*conditions: ColumnElement[bool], cap: int | None = None) -> int:
        return connection.scalar(_count(*base, *conditions, cap=cap),
                                 {"learner": learner_id}) or 0

    if scope.mode is Mode.CRAM:
        return QueueCounts(0, 0, count())
    if scope.mode is Mode.DRILL:
        return QueueCounts(0, 0, count(drilled(scope)))
    if scope.mode is Mode.FORGOTTEN:
        since = start_of_day(now, settings.day_starts_at)
        return QueueCounts(0, 0, count(forgotten_today(since)))
    if scope.mode is Mode.AHEAD:
        horizon = now + timedelta(days=scope.ahead_days)
        return QueueCounts(0, 0, count(*_due_review(horizon)))
    today = today or day(connection, now, settings, learner_id)
    learning = count(*_due_learning(now + learn_ahead))
    review = count(*_due_review(now), cap=today.reviews_left)
    unseen = count(cards.c.last_review.is_(None), cap=today.new_left)
    return QueueCounts(new=min(unseen, today.new_left), learning=learning,
                       review=min(review, today.reviews_left))


def unseen_count(db: Database, now: datetime, scope: StudyScope = EVERYTHING) -> int:
    """Cards of the scope never studied, whatever today's limit."""
    now = require_utc(now)
    with db.read() as connection:
        return connection.scalar(_count(*in_scope(scope), available(now),
                                        cards.c.last_review.is_(None)), params(db)) or 0


def live_cards(connection: Connection, learner_id: int, *conditions: ColumnElement[bool]) -> int:
    """The learner's cards of questions that are not retired, matching `conditions`."""
    return connection.scalar(_count(*conditions), {"learner": learner_id}) or 0
