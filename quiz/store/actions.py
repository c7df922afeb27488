"""What the learner does to a card: rate it, take a rating back, bury, suspend, flag.

The review log is append-only: a rating appends a row that also keeps the whole card as it was
before, and an undo appends an "undo" row naming the rating it takes back and puts that saved
card back. Each action is one short write transaction that reads the card inside it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fsrs import Scheduler
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quiz.store.counts import REVIEW_STATE, counted
from quiz.store.days import require_utc, start_of_next_day
from quiz.store.db import Database
from quiz.store.items import card_state
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.scheduling import CardState, Grade, review
from quiz.store.settings import LeechAction, Settings
from quiz.store.tables import REVIEWS

# Card columns that a review or an undo may change, saved before each review.
CARD_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "lapses",
               "leech", "suspended", "buried_until", "flagged")
DATETIME_FIELDS = frozenset({"due", "last_review", "buried_until"})


class ActionError(ValueError):
    """An action that cannot be done (no such card, nothing to undo, …); the message says why."""


@dataclass(frozen=True)
class ReviewOutcome:
    review_id: int
    card: CardState
    became_leech: bool = False
    suspended: bool = False


def _lock_card(session: Session, learner_id: int,
               question_id: str) -> tuple[CardRow, QuestionRow]:
    """Read the card under the write lock (the session comes from `db.write()`: BEGIN IMMEDIATE
    on SQLite, SELECT … FOR UPDATE elsewhere), so no rating is scheduled from a stale state."""
    card = session.get(CardRow, (learner_id, question_id), populate_existing=True,
                       with_for_update=True)
    question = session.get(QuestionRow, question_id)
    if card is None or question is None:
        raise ActionError(f"no question with id {question_id!r}")
    return card, question


def _snapshot(card: CardRow) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in CARD_FIELDS:
        value = getattr(card, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def _restore(card: CardRow, snapshot: dict[str, object]) -> None:
    for name in CARD_FIELDS:
        if name not in snapshot:
            continue
        value = snapshot[name]
        if name in DATETIME_FIELDS and isinstance(value, str):
            value = datetime.fromisoformat(value)
        setattr(card, name, value)


@dataclass(frozen=True)
class _Rated:
    """A rating applied to a locked card: what the review row records about it."""

    before: dict[str, object]
    state_before: int
    updated: CardState
    became_leech: bool
    suspended: bool


def _rate(card: CardRow, scheduler: Scheduler, grade: Grade, now: datetime, settings: Settings,
          reschedule: bool) -> _Rated:
    """Schedule the locked card for `grade` in place (unless `reschedule` is off: a cram rating),
    counting a lapse and applying the leech rule."""
    before = _snapshot(card)
    state_before = card.state if card.last_review is not None else 0
    became_leech = suspended = False
    updated = card_state(card)
    if reschedule:
        updated = review(scheduler, updated, grade, now)
        if grade is Grade.AGAIN and state_before == REVIEW_STATE:
            card.lapses = (card.lapses or 0) + 1
            if card.lapses >= settings.leech_threshold and not card.leech:
                card.leech = became_leech = True
                if settings.leech_action is LeechAction.SUSPEND:
                    card.suspended = suspended = True
        card.state, card.step = updated.state, updated.step
        card.stability, card.difficulty = updated.stability, updated.difficulty
        card.due, card.last_review = updated.due, updated.last_review
    return _Rated(before, state_before, updated, became_leech, suspended)


def _append(session: Session, values: dict[str, Any]) -> int | None:
    """Append one review row; its id, or None when it carries an `answer_key` the learner's log
    has already (ux_reviews_answer): then nothing is inserted. The check is the insert itself, so
    two transactions logging the same answer at once cannot both succeed — the second waits for
    the first (PostgreSQL) or for the write lock (SQLite), then inserts nothing."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement: Any = dialect.insert(REVIEWS).values(**values)
    if values.get("answer_key") is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=[REVIEWS.c.learner_id, REVIEWS.c.answer_key])
    review_id = session.execute(statement.returning(REVIEWS.c.id)).scalar_one_or_none()
    return None if review_id is None else int(review_id)


def _review_values(learner_id: int, question: QuestionRow, rated: _Rated, grade: Grade,
                   now: datetime, reschedule: bool, **logged: object) -> dict[str, Any]:
    """The review row of a rating (`logged`: duration_ms, seed, answer_text, verdict,
    answer_key)."""
    updated = rated.updated
    return dict(
        learner_id=learner_id, question_id=question.id, reviewed_at=now, rating=int(grade),
        content_hash=question.content_hash, state_after=updated.state,
        stability_after=updated.stability, difficulty_after=updated.difficulty,
        due_after=updated.due, kind="review" if reschedule else "cram",
        state_before=rated.state_before, card_before=rated.before, **logged,
    )


def apply_review(
    db: Database, scheduler: Scheduler, question_id: str, grade: Grade, now: datetime, *,
    settings: Settings | None = None, reschedule: bool = True, duration_ms: int | None = None,
    seed: int | None = None, answer_text: str | None = None, verdict: str | None = None,
) -> ReviewOutcome:
    """Rate a card: schedule it (unless `reschedule` is off: a cram rating, logged only), count a
    lapse and apply the leech rule, and append the review — one transaction."""
    now = require_utc(now)
    settings = settings or Settings()
    with db.write() as session:
        card, question = _lock_card(session, db.learner_id, question_id)
        rated = _rate(card, scheduler, grade, now, settings, reschedule)
        review_id = _append(session, _review_values(
            db.learner_id, question, rated, grade, now, reschedule, duration_ms=duration_ms,
            seed=seed, answer_text=answer_text, verdict=verdict))
    assert review_id is not None  # no answer_key: nothing to collide with
    return ReviewOutcome(review_id=review_id, card=rated.updated,
                         became_leech=rated.became_leech, suspended=rated.suspended)


def answer_key(question_id: str, seed: int | None, answer_text: str) -> str:
    """The identity of an answer given outside the TUI, as the log's `answer_key`: its question,
    seed and text (as a JSON list, so no two answers' parts run into the same string; ASCII, so
    any text encodes), hashed to a fixed width for the unique index."""
    identity = json.dumps([question_id, seed, answer_text])
    return hashlib.sha256(identity.encode("ascii")).hexdigest()


class _AlreadyLogged(Exception):
    """Raised inside a recording's transaction to roll it back: the answer is logged already."""


def record_answer(
    db: Database, scheduler: Scheduler, question_id: str, grade: Grade, moment: datetime, *,
    seed: int | None, answer_text: str, verdict: str | None, duration_ms: int | None = None,
) -> ReviewOutcome | None:
    """Log an answer given outside the TUI (a sheet, `quiz practice --record`) as a rating at
    `moment`, at most once per learner: None, with nothing changed, when the learner's log has the
    same question, seed and text with its key already — also when another process recorded it
    a moment ago (the unique key is checked by the insert, in this transaction, and the card's
    new schedule is rolled back with it). When the learner has studied the card since `moment`,
    the rating is logged just after that review (read under the card's lock), so the card's
    schedule never runs backwards."""
    moment = require_utc(moment)
    key = answer_key(question_id, seed, answer_text)
    try:
        with db.write() as session:
            card, question = _lock_card(session, db.learner_id, question_id)
            now = _not_before_last_review(card, moment)
            rated = _rate(card, scheduler, grade, now, Settings(), reschedule=True)
            review_id = _append(session, _review_values(
                db.learner_id, question, rated, grade, now, True, duration_ms=duration_ms,
                seed=seed, answer_text=answer_text, verdict=verdict, answer_key=key))
            if review_id is None:
                raise _AlreadyLogged
    except _AlreadyLogged:
        return None
    return ReviewOutcome(review_id=review_id, card=rated.updated,
                         became_leech=rated.became_leech, suspended=rated.suspended)


def _not_before_last_review(card: CardRow, moment: datetime) -> datetime:
    """The answer's moment, unless the card was studied since (in the TUI, or by a recording
    that got there first): then just after that review, as FSRS needs its reviews in order."""
    last = card.last_review
    return moment if last is None or last < moment else last + timedelta(seconds=1)


def undo_review(db: Database, review_id: int, now: datetime) -> CardState:
    """Take back one rating: the card returns to exactly what it was before it, and an "undo"
    row is appended. Only the card's latest counted rating can be undone."""
    now = require_utc(now)
    with db.write() as session:
        target = session.get(ReviewRow, review_id)
        if (target is None or target.kind not in ("review", "cram")
                or target.learner_id != db.learner_id):
            raise ActionError(f"no rating with id {review_id}")
        card, question = _lock_card(session, db.learner_id, target.question_id)
        latest = session.scalar(
            select(ReviewRow.id).where(ReviewRow.learner_id == db.learner_id,
                                       ReviewRow.question_id == target.question_id,
                                       counted(ReviewRow.__table__))
            .order_by(ReviewRow.reviewed_at.desc(), ReviewRow.id.desc()).limit(1)
        )
        if latest != review_id:
            raise ActionError("only the card's latest rating can be undone "
                              "(it was undone already, or rated again since)")
        if target.card_before is None:
            raise ActionError("this rating was saved before undo existed and cannot be undone")
        _restore(card, target.card_before)
        restored = card_state(card)
        session.add(ReviewRow(
            learner_id=db.learner_id, question_id=target.question_id, reviewed_at=now,
            rating=0, kind="undo",
            undoes=review_id, content_hash=question.content_hash,
            state_after=restored.state, stability_after=restored.stability,
            difficulty_after=restored.difficulty, due_after=restored.due,
        ))
    return restored


def bury(
    db: Database, question_id: str, now: datetime, settings: Settings | None = None,
) -> datetime:
    """Hide the card until the learner's next day starts."""
    settings = settings or Settings()
    until = start_of_next_day(require_utc(now), settings.day_starts_at)
    with db.write() as session:
        card, _question = _lock_card(session, db.learner_id, question_id)
        card.buried_until = until
    return until


def set_suspended(db: Database, question_id: str, suspended: bool) -> None:
    with db.write() as session:
        card, _question = _lock_card(session, db.learner_id, question_id)
        card.suspended = suspended


def set_flagged(db: Database, question_id: str, flagged: bool) -> None:
    with db.write() as session:
        card, _question = _lock_card(session, db.learner_id, question_id)
        card.flagged = flagged


@dataclass(frozen=True)
class SavedFlags:
    """A card's bury / suspend / flag columns before a study action, so that it can be undone."""

    buried_until: datetime | None
    suspended: bool
    flagged: bool


def _saved_flags(card: CardRow) -> SavedFlags:
    return SavedFlags(buried_until=card.buried_until, suspended=bool(card.suspended),
                      flagged=bool(card.flagged))


def change_flags(
    db: Database, question_id: str, action: str, now: datetime, settings: Settings | None = None,
) -> SavedFlags:
    """Bury, suspend, flag or unflag a card (`action`) in one transaction; returns its flags
    from before, for the study screen's undo."""
    if action not in ("bury", "suspend", "flag", "unflag"):
        raise ActionError(f"unknown card action {action!r}")
    settings = settings or Settings()
    with db.write() as session:
        card, _question = _lock_card(session, db.learner_id, question_id)
        before = _saved_flags(card)
        if action == "bury":
            card.buried_until = start_of_next_day(require_utc(now), settings.day_starts_at)
        elif action == "suspend":
            card.suspended = True
        else:
            card.flagged = action == "flag"
    return before


def restore_flags(db: Database, question_id: str, flags: SavedFlags) -> None:
    """Put back a card's bury / suspend / flag columns as `change_flags` found them."""
    with db.write() as session:
        card, _question = _lock_card(session, db.learner_id, question_id)
        card.buried_until, card.suspended = flags.buried_until, flags.suspended
        card.flagged = flags.flagged
