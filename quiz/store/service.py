"""Units of work on the store that the CLI and older callers use. Each opens one short
transaction and returns plain dataclasses, so callers never hold live ORM objects.

The study queue lives in `quiz.store.queue`, ratings and undo in `quiz.store.actions`, search in
`quiz.store.search` and statistics in `quiz.store.stats`; the functions here keep the simple
signatures (a plain daily new-card limit) on top of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fsrs import Scheduler
from sqlalchemy import select

from quiz.store.actions import apply_review
from quiz.store.days import start_of_day
from quiz.store.db import Database
from quiz.store.home_counts import HomeFigures
from quiz.store.items import CardFlags, StudyItem, to_item
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.queue import (
    LEARN_AHEAD,
    StudyScope,
    counts_in,
    deck_counts,
    effective_reviews,
    live_cards,
    new_today,
    next_study_item,
    ratings_today,
    sqlite_home_figures,
    sqlite_queue_counts,
)
from quiz.store.results import Counts
from quiz.store.scheduling import CardState, Grade, require_utc
from quiz.store.search import search
from quiz.store.settings import Settings

DEFAULT_NEW_PER_DAY = Settings().new_per_day

__all__ = [
    "CardFlags", "Counts", "ReviewEntry", "StudyItem", "counts", "get_item", "history",
    "home_figures", "list_items", "next_item", "record_review",
]


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


def _settings(settings: Settings | None, new_per_day: int | None) -> Settings:
    settings = settings or Settings()
    return replace(settings, new_per_day=new_per_day) if new_per_day is not None else settings


def counts(db: Database, now: datetime, new_per_day: int | None = None,
           settings: Settings | None = None) -> Counts:
    """Due reviews (learning and review cards due now), new cards left today, and the total."""
    now = require_utc(now)
    settings = _settings(settings, new_per_day)
    if db.engine.dialect.name == "sqlite":
        return sqlite_queue_counts(db, now, settings)
    day_start = start_of_day(now, settings.day_starts_at)
    with db.sessions.begin() as session:
        done_new = new_today(session, day_start)
        queue = counts_in(session, db, now, settings, new_seen=done_new)
        total = live_cards(session)
        done_reviews = ratings_today(session, day_start)
    return Counts(due=queue.review + queue.learning, new=queue.new, total=total,
                  new_today=done_new, reviews_today=done_reviews, learning=queue.learning)


def home_figures(db: Database, now: datetime, settings: Settings) -> HomeFigures:
    """What home shows: the queue's counts over every deck and each deck's row (SQLite: in one
    pass over the totals its triggers keep)."""
    if db.engine.dialect.name == "sqlite":
        return sqlite_home_figures(db, now, settings)
    return HomeFigures(counts(db, now, settings=settings), deck_counts(db, now, settings))


def next_item(
    db: Database, now: datetime, new_per_day: int | None = None, exclude: Iterable[str] = (),
    learn_ahead: timedelta = LEARN_AHEAD, settings: Settings | None = None,
) -> StudyItem | None:
    """The next card on the normal schedule, over every deck."""
    return next_study_item(db, now, _settings(settings, new_per_day), StudyScope(),
                           exclude=exclude, learn_ahead=learn_ahead)


def get_item(db: Database, question_id: str, now: datetime | None = None) -> StudyItem | None:
    with db.sessions.begin() as session:
        row = session.execute(
            select(QuestionRow, CardRow)
            .join(CardRow, CardRow.question_id == QuestionRow.id)
            .where(QuestionRow.id == question_id)
        ).first()
        return to_item(*row, now) if row else None


def record_review(
    db: Database, scheduler: Scheduler, question_id: str, grade: Grade, now: datetime, *,
    duration_ms: int | None = None, seed: int | None = None,
    answer_text: str | None = None, verdict: str | None = None,
) -> CardState:
    """Schedule the card and append the review, in one transaction."""
    return apply_review(db, scheduler, question_id, grade, now, duration_ms=duration_ms,
                        seed=seed, answer_text=answer_text, verdict=verdict).card


def list_items(db: Database, query: str = "", include_retired: bool = False) -> list[StudyItem]:
    """Every question matching `query` (all of them for an empty query), best match first."""
    return search(db, query, include_retired=include_retired, limit=None).items


def history(db: Database, question_id: str | None = None,
            include_undo: bool = False) -> list[ReviewEntry]:
    """Counted ratings in time order (undone ratings and undo events left out unless
    `include_undo`, which shows them marked)."""
    statement = select(ReviewRow).order_by(ReviewRow.reviewed_at, ReviewRow.id)
    if question_id is not None:
        statement = statement.where(ReviewRow.question_id == question_id)
    with db.sessions.begin() as session:
        counted = set(session.scalars(select(ReviewRow.id).where(effective_reviews())))
        rows = list(session.scalars(statement))
        entries = [
            ReviewEntry(
                question_id=r.question_id, reviewed_at=r.reviewed_at, rating=r.rating,
                due_after=r.due_after, seed=r.seed, answer_text=r.answer_text,
                verdict=r.verdict, review_id=r.id, kind=r.kind or "review",
                undone=r.kind != "undo" and r.id not in counted, undoes=r.undoes,
            )
            for r in rows
        ]
    if include_undo:
        return entries
    return [entry for entry in entries if entry.kind != "undo" and not entry.undone]


def is_empty(db: Database) -> bool:
    """No question has ever been imported (a first run)."""
    with db.sessions.begin() as session:
        return session.scalar(select(QuestionRow.id).limit(1)) is None
