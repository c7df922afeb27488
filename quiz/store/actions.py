"""What the learner does to a card: rate it, take a rating back, bury, suspend, flag.

The review log is append-only: a rating appends a row that also keeps the whole card as it was
before, and an undo appends an "undo" row naming the rating it takes back and puts that saved
card back. Each action is one short write transaction that reads the card inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fsrs import Scheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.store.counts import REVIEW_STATE, counted
from quiz.store.days import require_utc, start_of_next_day
from quiz.store.db import Database
from quiz.store.items import card_state
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.scheduling import CardState, Grade, review
from quiz.store.settings import LeechAction, Settings

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
        row = ReviewRow(
            learner_id=db.learner_id, question_id=question_id, reviewed_at=now, rating=int(grade),
            duration_ms=duration_ms, content_hash=question.content_hash,
            state_after=updated.state, stability_after=updated.stability,
            difficulty_after=updated.difficulty, due_after=updated.due,
            seed=seed, answer_text=answer_text, verdict=verdict,
            kind="review" if reschedule else "cram", state_before=state_before,
            card_before=before,
        )
        session.add(row)
        session.flush()
        review_id = row.id
    return ReviewOutcome(review_id=review_id, card=updated, became_leech=became_leech,
                         suspended=suspended)


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
