"""What to study next and how much is left: every count is one SQL query over indexed columns,
so nothing loads the whole bank to show a number.

A `StudyScope` says what the learner chose: decks (empty: all), only numeric questions, and a
mode — the normal schedule, or one of the custom studies (review ahead, forgotten today, cram).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from functools import cache
from typing import TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import TextClause

from quiz.store import home_counts, log_totals
from quiz.store.bulk import driver_cursor
from quiz.store.days import start_of_day
from quiz.store.db import Database
from quiz.store.home_counts import extra_new_key
from quiz.store.items import StudyItem, to_item
from quiz.store.models import CardRow, QuestionRow, ReviewRow, UTCDateTime
from quiz.store.results import Counts, DeckCounts
from quiz.store.scheduling import require_utc
from quiz.store.settings import Settings, get_value, set_value

LEARN_AHEAD = timedelta(minutes=20)
LEARNING_STATES = (1, 3)  # fsrs Learning, Relearning
REVIEW_STATE = 2
CANDIDATES = 8  # rows fetched per step, so a sibling of the last card can be skipped
EARLIEST = datetime(1, 1, 1, tzinfo=timezone.utc)


class Mode(str, Enum):
    NORMAL = "normal"        # the schedule: learning, due reviews, new cards
    AHEAD = "ahead"          # review cards due within the next N days
    FORGOTTEN = "forgotten"  # cards rated Again today
    CRAM = "cram"            # every card of the scope; ratings are logged, nothing rescheduled


@dataclass(frozen=True)
class StudyScope:
    decks: frozenset[str] = field(default_factory=frozenset)  # empty: every deck
    numeric_only: bool = False
    mode: Mode = Mode.NORMAL
    ahead_days: int = 0

    @property
    def reschedules(self) -> bool:
        return self.mode is not Mode.CRAM

    def describe(self) -> str:
        what = "、".join(sorted(self.decks)) if self.decks else "全部 all"
        if self.numeric_only:
            what += " · 仅数值题 numeric only"
        extra = {
            Mode.NORMAL: "",
            Mode.AHEAD: f" · 提前复习 {self.ahead_days} 天 review ahead",
            Mode.FORGOTTEN: " · 今天忘记的卡 forgotten today",
            Mode.CRAM: " · 突击（不改排程）cram, schedule untouched",
        }[self.mode]
        return what + extra


@dataclass(frozen=True)
class QueueCounts:
    """What is left, as Anki shows it: new · learning · review."""

    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


def effective_reviews(review: type[ReviewRow] = ReviewRow) -> ColumnElement[bool]:
    """Reviews that count: ratings (review or cram) that were not undone (`review` may be an
    alias of ReviewRow). The undo check is one probe of the index on `undoes` per row."""
    if review is ReviewRow:
        return _effective_reviews_of_the_table()
    return _effective(review)


@cache
def _effective_reviews_of_the_table() -> ColumnElement[bool]:
    # Building the aliased subquery costs more than running it: build it once (it has no
    # parameters, so the one expression serves every query).
    return _effective(ReviewRow)


def _effective(review: type[ReviewRow]) -> ColumnElement[bool]:
    undo = aliased(ReviewRow)
    return and_(
        review.kind.in_(("review", "cram")),
        ~_exists(select(undo.id).where(undo.undoes == review.id, undo.kind == "undo")),
    )


def _exists(statement: Select[tuple[int]]) -> ColumnElement[bool]:
    # EXISTS (SELECT id …), not SQLAlchemy's EXISTS (SELECT * …): SQLite 3.40 reads the table
    # row for `*` even when an index answers the probe.
    return statement.exists()


def _available(now: datetime) -> ColumnElement[bool]:
    return and_(QuestionRow.retired_at.is_(None), _card_available(now))


def _in_scope(scope: StudyScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scope.decks:
        conditions.append(QuestionRow.deck.in_(sorted(scope.decks)))
    if scope.numeric_only:
        conditions.append(QuestionRow.kind == "numeric")
    return conditions


def _joined() -> Select[tuple[QuestionRow, CardRow]]:
    return select(QuestionRow, CardRow).join(CardRow, CardRow.question_id == QuestionRow.id)


def _moment(name: str) -> BindParameter[datetime]:
    return bindparam(name, type_=UTCDateTime())


def new_today(session: Session, day_start: datetime, cap: int | None = None) -> int:
    """Cards whose first counted review falls in the learner's current day (at most `cap`).

    SQLite: a range of the first-review index of the per-card log totals its triggers keep
    (`quiz.store.log_totals`). Other databases: today's ratings (an index range) that no
    counted rating of the same card precedes, one probe of the per-card log each."""
    if session.get_bind().dialect.name == "sqlite":
        statement = _new_today_from_totals(cap is not None)
    else:
        statement = _new_today_statement(cap is not None)
    params: dict[str, object] = {"since": day_start}
    if cap is not None:
        params["cap"] = cap
    return session.scalar(statement, params) or 0


@cache
def _new_today_from_totals(capped: bool) -> Select[tuple[int]]:
    first_review = column("first_review", UTCDateTime())
    firsts = (select(literal(1)).select_from(table(log_totals.TABLE, first_review))
              .where(first_review >= _moment("since")))
    if capped:
        firsts = firsts.limit(bindparam("cap"))
    return select(func.count()).select_from(firsts.subquery())


@cache
def _new_today_statement(capped: bool) -> Select[tuple[int]]:
    earlier = aliased(ReviewRow)
    preceded = _exists(select(earlier.id).where(
        earlier.question_id == ReviewRow.question_id, earlier.kind == "review",
        earlier.reviewed_at <= ReviewRow.reviewed_at,
        or_(earlier.reviewed_at < ReviewRow.reviewed_at, earlier.id < ReviewRow.id),
        effective_reviews(earlier),
    ))
    # The probe for an earlier rating first: for most of today's ratings it settles the row.
    firsts = select(literal(1)).where(
        ReviewRow.reviewed_at >= _moment("since"), ReviewRow.kind == "review", ~preceded,
        effective_reviews(),
    )
    if capped:
        firsts = firsts.limit(bindparam("cap"))
    return select(func.count()).select_from(firsts.subquery())


def reviews_today(session: Session, day_start: datetime, cap: int | None = None) -> int:
    """Reviews of cards that were in review state, counted against the daily maximum (at most
    `cap`)."""
    params: dict[str, object] = {"since": day_start}
    if cap is not None:
        params["cap"] = cap
    return session.scalar(_reviews_today_statement(cap is not None), params) or 0


@cache
def _reviews_today_statement(capped: bool) -> Select[tuple[int]]:
    rows = select(literal(1)).where(
        ReviewRow.kind == "review", ReviewRow.state_before == REVIEW_STATE,
        ReviewRow.reviewed_at >= _moment("since"), effective_reviews(),
    )
    if capped:
        rows = rows.limit(bindparam("cap"))
    return select(func.count()).select_from(rows.subquery())


def ratings_today(session: Session, day_start: datetime) -> int:
    """Every counted rating (review or cram) since the day started."""
    return session.scalar(_ratings_today_statement(), {"since": day_start}) or 0


@cache
def _ratings_today_statement() -> Select[tuple[int]]:
    return select(func.count()).select_from(ReviewRow).where(
        ReviewRow.reviewed_at >= _moment("since"), effective_reviews())


def extra_new_today(db: Database, now: datetime, settings: Settings) -> int:
    value = get_value(db, extra_new_key(now, settings))
    return value if isinstance(value, int) and value > 0 else 0


def add_extra_new(db: Database, now: datetime, settings: Settings, count: int) -> int:
    """Custom study: N more new cards today (on top of the daily limit)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    total = extra_new_today(db, now, settings) + count
    set_value(db, extra_new_key(now, settings), total)
    return total


def _limits(session: Session, db: Database, now: datetime, settings: Settings,
            new_seen: int | None = None) -> tuple[int, int]:
    """How many new cards and reviews are still allowed today. Each count stops at its limit:
    past it, how far past does not matter."""
    day_start = start_of_day(now, settings.day_starts_at)
    new_allowed = settings.new_per_day + extra_new_today(db, now, settings)
    if new_seen is None:
        new_seen = new_today(session, day_start, cap=new_allowed)
    new_left = max(new_allowed - new_seen, 0)
    reviews_left = max(settings.max_reviews_per_day - reviews_today(
        session, day_start, cap=settings.max_reviews_per_day), 0)
    return new_left, reviews_left


def _forgotten_today(now: datetime, settings: Settings) -> ColumnElement[bool]:
    day_start = start_of_day(now, settings.day_starts_at)
    return CardRow.question_id.in_(
        select(ReviewRow.question_id).where(
            effective_reviews(), ReviewRow.kind == "review", ReviewRow.rating == 1,
            ReviewRow.reviewed_at >= day_start,
        )
    )


def _seen() -> ColumnElement[bool]:
    return CardRow.last_review.is_not(None)


def _card_available(now: datetime) -> ColumnElement[bool]:
    return and_(CardRow.suspended.is_(False),
                or_(CardRow.buried_until.is_(None), CardRow.buried_until <= now))


def _count_cards(session: Session, questions: list[ColumnElement[bool]],
                 cards: list[ColumnElement[bool]], cap: int | None = None) -> int:
    """Cards of live questions matching `questions` (conditions on the question) and `cards`
    (on the card only), at most `cap`.

    Capped, the join stops at the cap. Uncapped and with no condition on the question, the cards
    are counted from a card index alone, minus those of retired questions (few, from the
    retired end of the questions' index) — never one probe of the questions per card."""
    if cap is not None or questions:
        inner = (select(literal(1)).select_from(CardRow)
                 .join(QuestionRow, QuestionRow.id == CardRow.question_id)
                 .where(QuestionRow.retired_at.is_(None), *questions, *cards))
        if cap is not None:
            inner = inner.limit(cap)
        return session.scalar(select(func.count()).select_from(inner.subquery())) or 0
    # Two statements: a bare count(*) of a table is SQLite's fast path (pages, not rows).
    every = session.scalar(select(func.count()).select_from(CardRow).where(*cards)) or 0
    # From the retired questions to their card (EXISTS keeps the questions the outer loop;
    # a join lets SQLite start from the cards). One card per question: this counts cards.
    retired = session.scalar(
        select(func.count()).select_from(QuestionRow).where(
            _retired(),
            _exists(select(CardRow.question_id).where(CardRow.question_id == QuestionRow.id,
                                                      *cards)))) or 0
    return every - retired


def _retired() -> ColumnElement[bool]:
    # A range rather than IS NOT NULL: with every retired_at NULL, ANALYZE tells SQLite the
    # column is not selective, and it reads the whole questions index for IS NOT NULL.
    return QuestionRow.retired_at > EARLIEST


def live_cards(session: Session) -> int:
    """Cards of questions that are not retired."""
    return _count_cards(session, [], [])


def count_live_cards(session: Session, cards: list[ColumnElement[bool]]) -> int:
    """Cards of questions that are not retired matching `cards` (conditions on the card)."""
    return _count_cards(session, [], cards)


def counts_in(session: Session, db: Database, now: datetime, settings: Settings,
              scope: StudyScope = StudyScope(), exclude: Iterable[str] = (),
              new_seen: int | None = None) -> QueueCounts:
    """`queue_counts` inside the caller's transaction; `new_seen` is today's new cards when the
    caller has counted them already."""
    now = require_utc(now)
    cards = [_card_available(now)]
    skip = list(exclude)
    if skip:
        cards.append(CardRow.question_id.not_in(skip))
    questions = _in_scope(scope)

    def count(*conditions: ColumnElement[bool], cap: int | None = None) -> int:
        return _count_cards(session, questions, [*cards, *conditions], cap)

    if scope.mode is Mode.CRAM:
        return QueueCounts(0, 0, count())
    if scope.mode is Mode.FORGOTTEN:
        return QueueCounts(0, 0, count(_forgotten_today(now, settings)))
    if scope.mode is Mode.AHEAD:
        horizon = now + timedelta(days=scope.ahead_days)
        return QueueCounts(0, 0, count(_seen(), CardRow.state == REVIEW_STATE,
                                       CardRow.due <= horizon))
    new_left, reviews_left = _limits(session, db, now, settings, new_seen)
    learning = count(_seen(), CardRow.state.in_(LEARNING_STATES), CardRow.due <= now)
    review = count(_seen(), CardRow.state == REVIEW_STATE, CardRow.due <= now, cap=reviews_left)
    unseen = count(CardRow.last_review.is_(None), cap=new_left)
    return QueueCounts(new=min(unseen, new_left), learning=learning,
                       review=min(review, reviews_left))


def queue_counts(db: Database, now: datetime, settings: Settings,
                 scope: StudyScope = StudyScope(), exclude: Iterable[str] = ()) -> QueueCounts:
    with db.sessions.begin() as session:
        return counts_in(session, db, now, settings, scope, exclude)


def _pick(session: Session, statement: Select[tuple[QuestionRow, CardRow]],
          avoid_sources: frozenset[str], now: datetime) -> StudyItem | None:
    """The first candidate that is not a sibling of the card just studied (else the first)."""
    rows = session.execute(statement.limit(CANDIDATES)).all()
    if not rows:
        return None
    for question, card in rows:
        if not avoid_sources.intersection(question.sources):
            return to_item(question, card, now)
    return to_item(*rows[0], now)


def next_study_item(
    db: Database, now: datetime, settings: Settings, scope: StudyScope = StudyScope(),
    exclude: Iterable[str] = (), avoid_sources: Iterable[str] = (),
    learn_ahead: timedelta = LEARN_AHEAD,
) -> StudyItem | None:
    """The next card of the scope.

    Normal mode: learning cards that are due, then due reviews (within the daily maximum), then
    new cards in the chosen order (within the daily limit), then learning cards due within
    `learn_ahead`. `avoid_sources` (the sources of the card just studied) keeps siblings apart.
    """
    now = require_utc(now)
    skip = list(exclude)
    avoid = frozenset(avoid_sources)
    base = _joined().where(_available(now), *_in_scope(scope))
    if skip:
        base = base.where(QuestionRow.id.not_in(skip))
    with db.sessions.begin() as session:
        if scope.mode is Mode.CRAM:
            return _pick(session, base.order_by(CardRow.new_rank, QuestionRow.id), avoid, now)
        if scope.mode is Mode.FORGOTTEN:
            return _pick(session, base.where(_forgotten_today(now, settings))
                         .order_by(CardRow.due), avoid, now)
        if scope.mode is Mode.AHEAD:
            horizon = now + timedelta(days=scope.ahead_days)
            return _pick(session, base.where(_seen(), CardRow.state == REVIEW_STATE,
                                             CardRow.due <= horizon)
                         .order_by(CardRow.due), avoid, now)
        new_left, reviews_left = _limits(session, db, now, settings)
        steps = [base.where(_seen(), CardRow.state.in_(LEARNING_STATES), CardRow.due <= now)
                 .order_by(CardRow.due)]
        if reviews_left:
            steps.append(base.where(_seen(), CardRow.state == REVIEW_STATE, CardRow.due <= now)
                         .order_by(CardRow.due))
        if new_left:
            steps.append(base.where(CardRow.last_review.is_(None))
                         .order_by(CardRow.new_rank, QuestionRow.file, QuestionRow.line))
        steps.append(base.where(_seen(), CardRow.state.in_(LEARNING_STATES),
                                CardRow.due <= now + learn_ahead).order_by(CardRow.due))
        for statement in steps:
            item = _pick(session, statement, avoid, now)
            if item is not None:
                return item
    return None


def sqlite_home_figures(db: Database, now: datetime,
                        settings: Settings) -> home_counts.HomeFigures:
    """SQLite: the queue's counts and each deck's, from the totals its triggers keep (see
    `quiz.store.home_counts`), in one short transaction."""
    return _counted_on_driver(db, now, settings, home_counts.home_figures)


def sqlite_queue_counts(db: Database, now: datetime, settings: Settings) -> Counts:
    """SQLite: the queue's counts over every deck, from the totals its triggers keep."""
    return _counted_on_driver(db, now, settings, home_counts.queue_counts)


_Figures = TypeVar("_Figures")


def _counted_on_driver(db: Database, now: datetime, settings: Settings,
                       count: Callable[[home_counts.Cursor, datetime, Settings, int], _Figures],
                       ) -> _Figures:
    now = require_utc(now)
    with db.sessions.begin() as session:
        cursor = driver_cursor(session)
        try:
            return count(cursor, now, settings,
                         home_counts.extra_new_today(cursor, now, settings))
        finally:
            cursor.close()


def deck_counts(db: Database, now: datetime, settings: Settings) -> list[DeckCounts]:
    """Per deck (a question's first tag): due reviews, learning, unseen, done today, total.

    SQLite: from the totals its triggers keep (`sqlite_home_figures`). Other databases: the
    totals come from the live questions' index; each other count from the cards it counts (a
    range of a card index: the due ones, the unseen ones) joined to their question's deck
    through an index, so no count reads every card with its question."""
    now = require_utc(now)
    if db.engine.dialect.name == "sqlite":
        return sqlite_home_figures(db, now, settings).decks
    day_start = start_of_day(now, settings.day_starts_at)
    live = QuestionRow.retired_at.is_(None)

    def per_deck(session: Session, *conditions: ColumnElement[bool]) -> dict[str, int]:
        return {deck: count for deck, count in session.execute(
            select(QuestionRow.deck, func.count()).select_from(CardRow)
            .join(QuestionRow, QuestionRow.id == CardRow.question_id)
            .where(live, _card_available(now), *conditions).group_by(QuestionRow.deck))}

    with db.sessions.begin() as session:
        # Grouped in the order of the live questions' index (deck, kind, file): no sorting, and
        # each group's first file is its first row.
        totals: dict[str, list[int]] = {}
        first_file: dict[str, str] = {}
        for deck, kind, count, file in session.execute(
            select(QuestionRow.deck, QuestionRow.kind, func.count(), func.min(QuestionRow.file))
            .where(live).group_by(QuestionRow.deck, QuestionRow.kind)
        ):
            entry = totals.setdefault(deck, [0, 0])
            entry[0] += count
            entry[1] += count if kind == "numeric" else 0
            first_file[deck] = min(first_file.get(deck, file), file)
        review = per_deck(session, _seen(), CardRow.state == REVIEW_STATE, CardRow.due <= now)
        learning = per_deck(session, _seen(), CardRow.state.in_(LEARNING_STATES),
                            CardRow.due <= now)
        new = per_deck(session, CardRow.last_review.is_(None))
        done = _done_today(session, day_start)
    return [
        DeckCounts(deck=deck, review=review.get(deck, 0), learning=learning.get(deck, 0),
                   new=new.get(deck, 0), done_today=done.get(deck, 0), total=total,
                   numeric=numeric)
        for deck, (total, numeric) in sorted(totals.items(),
                                             key=lambda item: (first_file[item[0]], item[0]))
    ]


def _done_today(session: Session, day_start: datetime) -> dict[str | None, int]:
    """Cards with a counted rating today, per deck, each card's deck probed from the questions'
    index. SQLite: the cards from the last-rating index of the per-card log totals; other
    databases: from today's reviews (an index range). (As a join, IN or DISTINCT, SQLite may
    walk every question or the whole per-card log index in order instead.)"""
    if session.get_bind().dialect.name == "sqlite":
        # CROSS JOIN: SQLite keeps the totals the outer loop (a join lets it walk every
        # question in deck order to save sorting the groups).
        return {deck: count for deck, count in session.execute(
            _done_today_sqlite(), {"since": day_start})}
    else:
        deck_of = (select(QuestionRow.deck).where(QuestionRow.id == ReviewRow.question_id)
                   .scalar_subquery())
        statement = (select(deck_of, func.count(func.distinct(ReviewRow.question_id)))
                     .where(ReviewRow.reviewed_at >= day_start, effective_reviews())
                     .group_by(deck_of))
    return {deck: count for deck, count in session.execute(statement)}


@cache
def _done_today_sqlite() -> TextClause:
    return text(
        f"SELECT q.deck, count(*) FROM {log_totals.TABLE} t CROSS JOIN questions q "
        "ON q.id = t.question_id WHERE t.last_rating >= :since GROUP BY q.deck"
    ).bindparams(_moment("since"))


def next_due(db: Database, now: datetime, scope: StudyScope = StudyScope()) -> datetime | None:
    """When the next studied card of the scope falls due (None: nothing studied yet)."""
    now = require_utc(now)
    with db.sessions.begin() as session:
        return session.scalar(
            select(func.min(CardRow.due)).select_from(QuestionRow)
            .join(CardRow, CardRow.question_id == QuestionRow.id)
            .where(_available(now), _seen(), *_in_scope(scope))
        )


def unseen_count(db: Database, now: datetime, scope: StudyScope = StudyScope()) -> int:
    """Cards of the scope never studied, whatever today's limit."""
    with db.sessions.begin() as session:
        return _count_cards(session, _in_scope(scope), [
            _card_available(require_utc(now)), CardRow.last_review.is_(None)])


def due_items(db: Database, now: datetime, limit: int | None = 20) -> list[StudyItem]:
    """Studied cards that are due now (not suspended or buried), soonest first."""
    now = require_utc(now)
    statement = (_joined().where(_available(now), _seen(), CardRow.due <= now)
                 .order_by(CardRow.due))
    if limit is not None:
        statement = statement.limit(limit)
    with db.sessions.begin() as session:
        return [to_item(q, c, now) for q, c in session.execute(statement).all()]
