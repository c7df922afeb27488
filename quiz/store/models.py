"""SQLAlchemy 2.0 typed models: questions, their FSRS cards and the append-only review log."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Written into the SQLite header (PRAGMA application_id): this file is a quiz database.
APPLICATION_ID = 0x5155495A  # "QUIZ"
# The schema this quiz reads and writes (schema_info, and SQLite's PRAGMA user_version).
SCHEMA_VERSION = 2


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC and hands back datetimes aware with `timezone.utc` exactly.

    SQLite has no time zones and returns naive values, while fsrs refuses any datetime whose
    tzinfo is not `timezone.utc`; converting at this one boundary keeps the rest of the code honest.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone.utc")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class SchemaInfo(Base):
    __tablename__ = "schema_info"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class QuestionRow(Base):
    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    bank: Mapped[str] = mapped_column(String(500), index=True)
    title: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(20))
    difficulty: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(200))
    # The first tag: what the learner chooses to study by (a "deck").
    deck: Mapped[str] = mapped_column(String(200), default="", index=True)
    blocks: Mapped[list[list[object]]] = mapped_column(JSON)
    file: Mapped[str] = mapped_column(String(500))
    line: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    card: Mapped[CardRow] = relationship(back_populates="question", uselist=False)


class CardRow(Base):
    """The FSRS state of one question (one card per question)."""

    __tablename__ = "cards"

    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    state: Mapped[int] = mapped_column(Integer)
    step: Mapped[int | None] = mapped_column(Integer, default=None)
    stability: Mapped[float | None] = mapped_column(default=None)
    difficulty: Mapped[float | None] = mapped_column(default=None)
    due: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Times the card was forgotten while in review; at the leech threshold it is tagged a leech.
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    leech: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    buried_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Position among new cards in the chosen new-card order (recomputed on sync and on a change
    # of the order setting), so picking the next new card is one indexed query.
    new_rank: Mapped[int] = mapped_column(Integer, default=0, index=True)
    # Copies of the question's deck and whether it is not retired, kept by the database's
    # triggers (quiz.store.derived): a deck's due cards are one range of an index.
    deck: Mapped[str] = mapped_column(String(200), default="", server_default="")
    live: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    question: Mapped[QuestionRow] = relationship(back_populates="card")


class ReviewRow(Base):
    """One review, never updated or deleted (the database's triggers enforce it)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    rating: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    content_hash: Mapped[str] = mapped_column(String(64))
    state_after: Mapped[int] = mapped_column(Integer)
    stability_after: Mapped[float | None] = mapped_column(default=None)
    difficulty_after: Mapped[float | None] = mapped_column(default=None)
    due_after: Mapped[datetime] = mapped_column(UTCDateTime)
    seed: Mapped[int | None] = mapped_column(Integer, default=None)
    answer_text: Mapped[str | None] = mapped_column(Text, default=None)
    verdict: Mapped[str | None] = mapped_column(String(40), default=None)
    # "review" reschedules; "cram" is logged but leaves the schedule alone; "undo" takes back the
    # review named by `undoes` (the log itself is never changed).
    kind: Mapped[str] = mapped_column(String(10), default="review")
    undoes: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    state_before: Mapped[int | None] = mapped_column(Integer, default=None)
    # The whole card as it was before this review, so an undo restores it exactly.
    card_before: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)


class SettingRow(Base):
    """One learner setting (see quiz.store.settings), stored as JSON."""

    __tablename__ = "settings"

    # Text: some keys name a folder (a bank's fingerprint), of any length.
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
