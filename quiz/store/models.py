"""The ORM classes of the store's tables (`quiz.store.tables`): questions, their FSRS cards, the
append-only review log and the settings, for the units of work that load and change rows as
objects. The annotations type the attributes; the columns are the tables'."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped

from quiz.store.tables import (
    CARDS,
    LEARNERS,
    METADATA,
    QUESTIONS,
    REVIEWS,
    SCHEMA_INFO,
    SETTINGS,
)


class Base(DeclarativeBase):
    metadata = METADATA


class SchemaInfo(Base):
    __table__ = SCHEMA_INFO

    version: Mapped[int]


class QuestionRow(Base):
    __table__ = QUESTIONS

    id: Mapped[str]
    bank: Mapped[str]
    title: Mapped[str]
    answer: Mapped[str]
    sources: Mapped[list[str]]
    tags: Mapped[list[str]]
    kind: Mapped[str]
    origin: Mapped[str]
    difficulty: Mapped[int]
    topic: Mapped[str]
    deck: Mapped[str]
    blocks: Mapped[list[list[object]]]
    file: Mapped[str]
    line: Mapped[int]
    content_hash: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class LearnerRow(Base):
    __table__ = LEARNERS

    id: Mapped[int]
    name: Mapped[str]
    display_name: Mapped[str]
    created_at: Mapped[datetime]


class CardRow(Base):
    __table__ = CARDS

    learner_id: Mapped[int]
    question_id: Mapped[str]
    state: Mapped[int]
    step: Mapped[int | None]
    stability: Mapped[float | None]
    difficulty: Mapped[float | None]
    due: Mapped[datetime]
    last_review: Mapped[datetime | None]
    lapses: Mapped[int]
    leech: Mapped[bool]
    suspended: Mapped[bool]
    buried_until: Mapped[datetime | None]
    flagged: Mapped[bool]
    new_rank: Mapped[int]
    deck: Mapped[str]
    live: Mapped[bool]



class ReviewRow(Base):
    __table__ = REVIEWS

    id: Mapped[int]
    learner_id: Mapped[int]
    question_id: Mapped[str]
    reviewed_at: Mapped[datetime]
    rating: Mapped[int]
    duration_ms: Mapped[int | None]
    content_hash: Mapped[str]
    state_after: Mapped[int]
    stability_after: Mapped[float | None]
    difficulty_after: Mapped[float | None]
    due_after: Mapped[datetime]
    seed: Mapped[int | None]
    answer_text: Mapped[str | None]
    verdict: Mapped[str | None]
    kind: Mapped[str]
    undoes: Mapped[int | None]
    state_before: Mapped[int | None]
    card_before: Mapped[dict[str, object] | None]


class SettingRow(Base):
    __table__ = SETTINGS

    key: Mapped[str]
    value: Mapped[object]
