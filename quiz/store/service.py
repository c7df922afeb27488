"""Units of work on the store. Each opens one short transaction and returns plain dataclasses,
so callers (CLI, TUI workers) never hold live ORM objects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from fsrs import Scheduler
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from quiz.store.db import Database
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.scheduling import CardState, Grade, require_utc, review

DEFAULT_NEW_PER_DAY = 20
LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True)
class StudyItem:
    id: str
    title: str
    answer: str
    kind: str
    topic: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    origin: str
    difficulty: int
    blocks: tuple[tuple[str, str, int], ...]
    card: CardState
    retired: bool = False


@dataclass(frozen=True)
class Counts:
    due: int
    new: int
    total: int
    new_today: int
    reviews_today: int


@dataclass(frozen=True)
class ReviewEntry:
    question_id: str
    reviewed_at: datetime
    rating: int
    due_after: datetime
    seed: int | None
    answer_text: str | None
    verdict: str | None


def start_of_local_day(now: datetime) -> datetime:
    """Midnight of the learner's local day, in UTC: 'today' follows the learner's clock."""
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def _card_state(row: CardRow) -> CardState:
    return CardState(
        state=row.state, step=row.step, stability=row.stability, difficulty=row.difficulty,
        due=row.due, last_review=row.last_review,
    )


def _item(question: QuestionRow, card: CardRow) -> StudyItem:
    return StudyItem(
        id=question.id, title=question.title, answer=question.answer, kind=question.kind,
        topic=question.topic, tags=tuple(question.tags), sources=tuple(question.sources),
        origin=question.origin, difficulty=question.difficulty,
        blocks=tuple((str(b[0]), str(b[1]), int(b[2])) for b in question.blocks),  # type: ignore[call-overload]
        card=_card_state(card), retired=question.retired_at is not None,
    )


def _active() -> Select[tuple[QuestionRow, CardRow]]:
    return (
        select(QuestionRow, CardRow)
        .join(CardRow, CardRow.question_id == QuestionRow.id)
        .where(QuestionRow.retired_at.is_(None))
    )


def _new_today(session: Session, day_start: datetime) -> int:
    first_reviews = (
        select(ReviewRow.question_id)
        .group_by(ReviewRow.question_id)
        .having(func.min(ReviewRow.reviewed_at) >= day_start)
    )
    return session.scalar(select(func.count()).select_from(first_reviews.subquery())) or 0


def counts(db: Database, now: datetime, new_per_day: int = DEFAULT_NEW_PER_DAY) -> Counts:
    now = require_utc(now)
    day_start = start_of_local_day(now)
    with db.sessions.begin() as session:
        active = (
            select(func.count()).select_from(QuestionRow)
            .join(CardRow, CardRow.question_id == QuestionRow.id)
            .where(QuestionRow.retired_at.is_(None))
        )
        total = session.scalar(active) or 0
        due = session.scalar(active.where(CardRow.last_review.is_not(None), CardRow.due <= now))
        unseen = session.scalar(active.where(CardRow.last_review.is_(None))) or 0
        new_today = _new_today(session, day_start)
        reviews_today = session.scalar(
            select(func.count()).select_from(ReviewRow).where(ReviewRow.reviewed_at >= day_start)
        )
    return Counts(
        due=due or 0, new=min(unseen, max(new_per_day - new_today, 0)), total=total,
        new_today=new_today, reviews_today=reviews_today or 0,
    )


def next_item(
    db: Database, now: datetime, new_per_day: int = DEFAULT_NEW_PER_DAY,
    exclude: Iterable[str] = (), learn_ahead: timedelta = LEARN_AHEAD,
) -> StudyItem | None:
    """The next card to study: due reviews first, then new cards in bank order (within the daily
    limit), then cards in (re)learning that fall due within `learn_ahead`."""
    now = require_utc(now)
    skip = list(exclude)
    with db.sessions.begin() as session:
        base = _active().where(QuestionRow.id.not_in(skip)) if skip else _active()
        row = session.execute(
            base.where(CardRow.last_review.is_not(None), CardRow.due <= now)
            .order_by(CardRow.due).limit(1)
        ).first()
        if row is None and _new_today(session, start_of_local_day(now)) < new_per_day:
            row = session.execute(
                base.where(CardRow.last_review.is_(None))
                .order_by(QuestionRow.file, QuestionRow.line).limit(1)
            ).first()
        if row is None:
            row = session.execute(
                base.where(CardRow.last_review.is_not(None), CardRow.due <= now + learn_ahead)
                .order_by(CardRow.due).limit(1)
            ).first()
        return _item(*row) if row else None


def get_item(db: Database, question_id: str) -> StudyItem | None:
    with db.sessions.begin() as session:
        row = session.execute(
            select(QuestionRow, CardRow)
            .join(CardRow, CardRow.question_id == QuestionRow.id)
            .where(QuestionRow.id == question_id)
        ).first()
        return _item(*row) if row else None


def record_review(
    db: Database, scheduler: Scheduler, question_id: str, grade: Grade, now: datetime, *,
    duration_ms: int | None = None, seed: int | None = None,
    answer_text: str | None = None, verdict: str | None = None,
) -> CardState:
    """Schedule the card and append the review, in one transaction."""
    now = require_utc(now)
    with db.sessions.begin() as session:
        card = session.get(CardRow, question_id)
        question = session.get(QuestionRow, question_id)
        if card is None or question is None:
            raise KeyError(f"no question with id {question_id!r}")
        updated = review(scheduler, _card_state(card), grade, now)
        card.state, card.step = updated.state, updated.step
        card.stability, card.difficulty = updated.stability, updated.difficulty
        card.due, card.last_review = updated.due, updated.last_review
        session.add(ReviewRow(
            question_id=question_id, reviewed_at=now, rating=int(grade),
            duration_ms=duration_ms, content_hash=question.content_hash,
            state_after=updated.state, stability_after=updated.stability,
            difficulty_after=updated.difficulty, due_after=updated.due,
            seed=seed, answer_text=answer_text, verdict=verdict,
        ))
    return updated


def list_items(db: Database, query: str = "", include_retired: bool = False) -> list[StudyItem]:
    """Questions in bank order; `query` matches id, title, answer, tags and sources."""
    statement = select(QuestionRow, CardRow).join(CardRow, CardRow.question_id == QuestionRow.id)
    if not include_retired:
        statement = statement.where(QuestionRow.retired_at.is_(None))
    for word in query.split():
        pattern = f"%{word}%"
        statement = statement.where(or_(
            QuestionRow.id.ilike(pattern), QuestionRow.title.ilike(pattern),
            QuestionRow.answer.ilike(pattern), QuestionRow.topic.ilike(pattern),
            func.cast(QuestionRow.tags, QuestionRow.answer.type).ilike(pattern),
            func.cast(QuestionRow.sources, QuestionRow.answer.type).ilike(pattern),
        ))
    with db.sessions.begin() as session:
        rows = session.execute(statement.order_by(QuestionRow.file, QuestionRow.line)).all()
        return [_item(question, card) for question, card in rows]


def history(db: Database, question_id: str | None = None) -> list[ReviewEntry]:
    statement = select(ReviewRow).order_by(ReviewRow.reviewed_at, ReviewRow.id)
    if question_id is not None:
        statement = statement.where(ReviewRow.question_id == question_id)
    with db.sessions.begin() as session:
        return [
            ReviewEntry(
                question_id=r.question_id, reviewed_at=r.reviewed_at, rating=r.rating,
                due_after=r.due_after, seed=r.seed, answer_text=r.answer_text, verdict=r.verdict,
            )
            for r in session.scalars(statement)
        ]


@dataclass(frozen=True)
class TopicStats:
    topic: str
    total: int
    seen: int
    due: int


@dataclass(frozen=True)
class Stats:
    reviews_per_day: list[tuple[str, int]]
    total_reviews: int
    recall_rate: float | None
    topics: list[TopicStats]


def review_stats(db: Database, now: datetime, days: int = 14) -> Stats:
    """Reviews per local day over the last `days`, recall rate (share not rated Again) and
    progress per topic."""
    now = require_utc(now)
    today = start_of_local_day(now)
    first_day = today - timedelta(days=days - 1)
    with db.sessions.begin() as session:
        moments = session.scalars(
            select(ReviewRow.reviewed_at).where(ReviewRow.reviewed_at >= first_day)
        ).all()
        total = session.scalar(select(func.count()).select_from(ReviewRow)) or 0
        recalled = session.scalar(
            select(func.count()).select_from(ReviewRow).where(ReviewRow.rating > int(Grade.AGAIN))
        ) or 0
        rows = session.execute(_active()).all()
    per_day: dict[str, int] = {}
    for offset in range(days):
        per_day[(first_day + timedelta(days=offset)).astimezone().strftime("%m-%d")] = 0
    for moment in moments:
        label = moment.astimezone().strftime("%m-%d")
        if label in per_day:
            per_day[label] += 1
    topics: dict[str, list[int]] = {}
    for question, card in rows:
        entry = topics.setdefault(question.tags[0] if question.tags else question.topic, [0, 0, 0])
        entry[0] += 1
        entry[1] += card.last_review is not None
        entry[2] += card.last_review is not None and card.due <= now
    return Stats(
        reviews_per_day=list(per_day.items()), total_reviews=total,
        recall_rate=recalled / total if total else None,
        topics=[TopicStats(name, *values) for name, values in sorted(topics.items())],
    )
