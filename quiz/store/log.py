"""The review log as the learner reads it: a card's ratings in time order, undone ones marked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from quiz.store.counts import counted
from quiz.store.db import Database
from quiz.store.models import ReviewRow

VERDICT_LENGTH = 40  # the review log's verdict column


def logged_verdict(status: str | None, mistake_id: str | None = None) -> str | None:
    """A grading verdict as the log keeps it: the status, and the misconception the engine
    named after a colon (`wrong:hw-swapped`), so the class view can count misconceptions."""
    if status is None:
        return None
    return (f"{status}:{mistake_id}" if mistake_id else status)[:VERDICT_LENGTH]


def verdict_parts(verdict: str | None) -> tuple[str | None, str | None]:
    """(status, mistake id) of a logged verdict."""
    if not verdict:
        return None, None
    status, _, mistake = verdict.partition(":")
    return status, mistake or None


@dataclass(frozen=True)
class ReviewEntry:
    question_id: str
    reviewed_at: datetime
    rating: int
    due_after: datetime
    seed: int | None
    answer_text: str | None
    verdict: str | None
    review_id: int = 0
    kind: str = "review"        # review | cram | undo
    undone: bool = False        # a rating that a later undo took back
    undoes: int | None = None


def history(db: Database, question_id: str | None = None,
            include_undo: bool = False) -> list[ReviewEntry]:
    """Counted ratings in time order (undone ratings and undo events left out unless
    `include_undo`, which shows them marked)."""
    mine = ReviewRow.learner_id == db.learner_id
    statement = select(ReviewRow).where(mine).order_by(ReviewRow.reviewed_at, ReviewRow.id)
    if question_id is not None:
        statement = statement.where(ReviewRow.question_id == question_id)
    with db.sessions.begin() as session:
        kept = set(session.scalars(select(ReviewRow.id).where(
            mine, counted(ReviewRow.__table__))))
        rows = list(session.scalars(statement))
        entries = [
            ReviewEntry(
                question_id=r.question_id, reviewed_at=r.reviewed_at, rating=r.rating,
                due_after=r.due_after, seed=r.seed, answer_text=r.answer_text,
                verdict=r.verdict, review_id=r.id, kind=r.kind or "review",
                undone=r.kind != "undo" and r.id not in kept, undoes=r.undoes,
            )
            for r in rows
        ]
    if include_undo:
        return entries
    return [entry for entry in entries if entry.kind != "undo" and not entry.undone]
