"""What to study next: one indexed query per step of the schedule, over the same conditions the
counts use (`quiz.store.counts`), so what is counted is what comes.

A `StudyScope` says what the learner chose: decks (empty: all), only numeric questions, and a
mode — the normal schedule, or one of the custom studies (review ahead, forgotten today, cram).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Select, func, select
from sqlalchemy.orm import Session, aliased

from quiz.store.counts import (
    EVERYTHING,
    LEARNING_STATES,
    REVIEW_STATE,
    Day,
    Mode,
    QueueCounts,
    StudyScope,
    available,
    cards,
    day,
    drill_order,
    drilled,
    extra_new_key,
    forgotten_today,
    in_scope,
    live,
    scope_counts,
)
from quiz.store.days import require_utc, start_of_day
from quiz.store.db import Database
from quiz.store.items import StudyItem, to_item
from quiz.store.models import CardRow, QuestionRow
from quiz.store.settings import Settings, store_value
from quiz.store.tables import SETTINGS

LEARN_AHEAD = timedelta(minutes=20)
CANDIDATES = 8  # rows fetched per step, so a sibling of the last card can be skipped

# The ORM entity over the counts' alias of the cards table: the conditions of
# `quiz.store.counts` apply to it as they are.
Card = aliased(CardRow, cards)


def _joined(*conditions: ColumnElement[bool]) -> Select[QuestionRow, CardRow]:
    return (select(QuestionRow, Card).join(Card, Card.question_id == QuestionRow.id)
            .where(live(), *conditions))


def _pick(session: Session, learner_id: int, statement: Select[QuestionRow, CardRow],
          avoid_sources: frozenset[str], now: datetime) -> StudyItem | None:
    """The first candidate that is not a sibling of the card just studied (else the first)."""
    rows = session.execute(statement.limit(CANDIDATES), {"learner": learner_id}).all()
    if not rows:
        return None
    for question, card in rows:
        if not avoid_sources.intersection(question.sources):
            return to_item(question, card, now)
    return to_item(*rows[0], now)


def _steps(today: Day | None, now: datetime, settings: Settings, scope: StudyScope,
           base: list[ColumnElement[bool]],
           learn_ahead: timedelta) -> list[Select[QuestionRow, CardRow]]:
    """The scope's queries in the order they are tried."""
    studied = cards.c.last_review.is_not(None)
    if scope.mode is Mode.CRAM:
        return [_joined(*base).order_by(cards.c.new_rank, QuestionRow.id)]
    if scope.mode is Mode.DRILL:
        return [_joined(*base, drilled(scope)).order_by(drill_order(scope))]
    if scope.mode is Mode.FORGOTTEN:
        since = start_of_day(now, settings.day_starts_at)
        return [_joined(*base, forgotten_today(since)).order_by(cards.c.due)]
    if scope.mode is Mode.AHEAD:
        horizon = now + timedelta(days=scope.ahead_days)
        return [_joined(*base, studied, cards.c.state == REVIEW_STATE, cards.c.due <= horizon)
                .order_by(cards.c.due)]
    assert today is not None, "the normal schedule needs the day's figures"
    learning = [studied, cards.c.state.in_(LEARNING_STATES)]
    steps = [_joined(*base, *learning, cards.c.due <= now).order_by(cards.c.due)]
    if today.reviews_left:
        steps.append(_joined(*base, studied, cards.c.state == REVIEW_STATE, cards.c.due <= now)
                     .order_by(cards.c.due))
    if today.new_left:
        steps.append(_joined(*base, cards.c.last_review.is_(None))
                     .order_by(cards.c.new_rank, QuestionRow.file, QuestionRow.line))
    steps.append(_joined(*base, *learning, cards.c.due <= now + learn_ahead)
                 .order_by(cards.c.due))
    return steps


def next_study_item(
    db: Database, now: datetime, settings: Settings, scope: StudyScope = EVERYTHING,
    exclude: Iterable[str] = (), avoid_sources: Iterable[str] = (),
    learn_ahead: timedelta = LEARN_AHEAD,
) -> StudyItem | None:
    """The next card of the scope.

    Normal mode: learning cards that are due, then due reviews (within the daily maximum), then
    new cards in the chosen order (within the daily limit), then learning cards due within
    `learn_ahead`. `avoid_sources` (the sources of the card just studied) keeps siblings apart.
    """
    now = require_utc(now)
    with db.sessions.begin() as session:
        today = (day(session.connection(), now, settings, db.learner_id)
                 if scope.mode is Mode.NORMAL else None)
        return _next_item(session, db.learner_id, now, settings, scope, today,
                          frozenset(exclude), frozenset(avoid_sources), learn_ahead)


def _next_item(session: Session, learner_id: int, now: datetime, settings: Settings,
               scope: StudyScope, today: Day | None, exclude: frozenset[str],
               avoid: frozenset[str], learn_ahead: timedelta) -> StudyItem | None:
    base = [*in_scope(scope, exclude), available(now)]
    for statement in _steps(today, now, settings, scope, base, learn_ahead):
        item = _pick(session, learner_id, statement, avoid, now)
        if item is not None:
            return item
    return None


@dataclass(frozen=True)
class StudyStep:
    """The card to show next (None: nothing left for now) and what is left of the session."""

    item: StudyItem | None
    left: QueueCounts


def study_step(
    db: Database, now: datetime, settings: Settings, scope: StudyScope = EVERYTHING,
    exclude: Iterable[str] = (), avoid_sources: Iterable[str] = (),
    learn_ahead: timedelta = LEARN_AHEAD,
) -> StudyStep:
    """`next_study_item` and `session_left` in one read transaction, the day's figures read
    once for both: what the study screen asks after every rating."""
    now = require_utc(now)
    skip = frozenset(exclude)
    with db.sessions.begin() as session:
        connection = session.connection()
        today = (day(connection, now, settings, db.learner_id)
                 if scope.mode is Mode.NORMAL else None)
        item = _next_item(session, db.learner_id, now, settings, scope, today, skip,
                          frozenset(avoid_sources), learn_ahead)
        left = _left(connection, db.learner_id, now, settings, scope, skip, item, today,
                     learn_ahead)
    return StudyStep(item, left)


def session_left(db: Database, now: datetime, settings: Settings, scope: StudyScope,
                 exclude: Iterable[str], on_screen: StudyItem | None,
                 learn_ahead: timedelta = LEARN_AHEAD) -> QueueCounts:
    """New · learning · review left in this session, as Anki counts them: learning cards due
    within the learn-ahead limit come in this session (the queue shows them last), so they
    count; and the card on screen, still to be rated, is always counted."""
    now = require_utc(now)
    with db.read() as connection:
        return _left(connection, db.learner_id, now, settings, scope, frozenset(exclude),
                     on_screen, None, learn_ahead)


def _left(connection: Connection, learner_id: int, now: datetime, settings: Settings,
          scope: StudyScope, exclude: frozenset[str], on_screen: StudyItem | None,
          today: Day | None, learn_ahead: timedelta) -> QueueCounts:
    left = scope_counts(connection, learner_id, now, settings, scope, exclude, today,
                        learn_ahead)
    if on_screen is None or left.total:
        return left
    if on_screen.card.is_new:
        return replace(left, new=1)
    if on_screen.card.state in LEARNING_STATES:
        return replace(left, learning=1)
    return replace(left, review=1)


def get_item(db: Database, question_id: str, now: datetime | None = None) -> StudyItem | None:
    """One card with its question (retired or not)."""
    with db.sessions.begin() as session:
        row = session.execute(
            select(QuestionRow, CardRow).join(CardRow, CardRow.question_id == QuestionRow.id)
            .where(QuestionRow.id == question_id, CardRow.learner_id == db.learner_id)).first()
        return to_item(*row, now) if row else None


def numeric_items(db: Database, now: datetime | None = None) -> list[StudyItem]:
    """Every live numeric card of the learner with its question (a drill picks among them)."""
    with db.sessions.begin() as session:
        rows = session.execute(
            select(QuestionRow, CardRow).join(CardRow, CardRow.question_id == QuestionRow.id)
            .where(QuestionRow.kind == "numeric", QuestionRow.retired_at.is_(None),
                   CardRow.learner_id == db.learner_id)
            .order_by(QuestionRow.id)).all()
        return [to_item(question, card, now) for question, card in rows]


def next_due(db: Database, now: datetime, scope: StudyScope = EVERYTHING) -> datetime | None:
    """When the next studied card of the scope falls due (None: nothing studied yet)."""
    now = require_utc(now)
    with db.sessions.begin() as session:
        due: datetime | None = session.scalar(
            select(func.min(cards.c.due)).where(
                live(), available(now), cards.c.last_review.is_not(None),
                *in_scope(scope)), {"learner": db.learner_id})
        return due


def add_extra_new(db: Database, now: datetime, settings: Settings, count: int) -> int:
    """Custom study: N more new cards today (on top of the daily limit); the new total."""
    if count < 1:
        raise ValueError("count must be at least 1")
    key = extra_new_key(now, settings, db.learner_id)
    with db.write_connection() as connection:
        # FOR UPDATE: two processes adding at once both count (SQLite: BEGIN IMMEDIATE).
        stored = connection.scalar(
            select(SETTINGS.c.value).where(SETTINGS.c.key == key).with_for_update())
        total = (stored if isinstance(stored, int) and stored > 0 else 0) + count
        store_value(connection, key, total)
    return total
