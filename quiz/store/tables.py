"""The database's tables as SQLAlchemy Core, without the ORM: what opening a database, the counts
and the settings need, so that `quiz due` and the TUI's first frame do not import
`sqlalchemy.orm` (a third of SQLAlchemy's import time). `quiz.store.models` maps its classes onto
these tables for the units of work that load rows as objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    true,
)
from sqlalchemy.engine import Dialect

# Written into the SQLite header (PRAGMA application_id): this file is a quiz database.
APPLICATION_ID = 0x5155495A  # "QUIZ"
# The schema this quiz reads and writes (schema_info, and SQLite's PRAGMA user_version).
SCHEMA_VERSION = 4
# The learner a single user studies as (made with every database, and the one that an upgrade
# from schema 2 gives the history to). Its id is fixed, so opening a database needs no lookup.
DEFAULT_LEARNER_ID = 1
DEFAULT_LEARNER = "default"


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

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _sqlite_text(value: datetime | None) -> str | None:
    """`process_bind_param` and SQLite's DATETIME storage ('YYYY-MM-DD HH:MM:SS.ffffff', naive
    UTC) in one step: the two in turn were most of the time an import of a long history spent
    on a date (tests/store/test_utc_datetime.py holds the two to the same text)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use timezone.utc")
    # In UTC the offset isoformat ends with is always the six characters '+00:00'.
    return value.astimezone(timezone.utc).isoformat(" ", "microseconds")[:-6]


METADATA = MetaData()

SCHEMA_INFO = Table(
    "schema_info", METADATA,
    Column("version", Integer, primary_key=True),
)

QUESTIONS = Table(
    "questions", METADATA,
    Column("id", String(120), primary_key=True),
    Column("bank", String(500), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("origin", String(20), nullable=False),
    Column("difficulty", Integer, nullable=False),
    Column("topic", String(200), nullable=False),
    # The first tag: what the learner chooses to study by (a "deck").
    Column("deck", String(200), nullable=False, default="", index=True),
    Column("blocks", JSON, nullable=False),
    Column("file", String(500), nullable=False),
    Column("line", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime, default=None),
)

# Who studies: every card and review belongs to one learner. `name` is how commands name them
# (`--learner NAME`; a roster's student key), `display_name` how sheets and reports show them.
LEARNERS = Table(
    "learners", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("display_name", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

# The FSRS state of one question for one learner (one card per learner and question).
CARDS = Table(
    "cards", METADATA,
    Column("learner_id", Integer, ForeignKey("learners.id"), primary_key=True),
    Column("question_id", String(120), ForeignKey("questions.id"), primary_key=True),
    Column("state", Integer, nullable=False),
    Column("step", Integer, default=None),
    Column("stability", Float, default=None),
    Column("difficulty", Float, default=None),
    Column("due", UTCDateTime, nullable=False, index=True),
    Column("last_review", UTCDateTime, default=None),
    # Times the card was forgotten while in review; at the leech threshold it is a leech.
    Column("lapses", Integer, nullable=False, default=0),
    Column("leech", Boolean, nullable=False, default=False),
    Column("suspended", Boolean, nullable=False, default=False, index=True),
    Column("buried_until", UTCDateTime, default=None),
    Column("flagged", Boolean, nullable=False, default=False),
    # Position among new cards in the chosen new-card order (recomputed on sync and on a change
    # of the order setting), so picking the next new card is one indexed query.
    Column("new_rank", Integer, nullable=False, default=0, index=True),
    # Copies of the question's deck and whether it is not retired, kept by the database's
    # triggers (quiz.store.derived): a deck's due cards are one range of an index.
    Column("deck", String(200), nullable=False, default="", server_default=""),
    Column("live", Boolean, nullable=False, default=True, server_default=true()),
)

# One review, never updated or deleted (the database's triggers enforce it).
REVIEWS = Table(
    "reviews", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner_id", Integer, ForeignKey("learners.id"), nullable=False),
    Column("question_id", String(120), ForeignKey("questions.id"), nullable=False, index=True),
    Column("reviewed_at", UTCDateTime, nullable=False, index=True),
    Column("rating", Integer, nullable=False),
    Column("duration_ms", Integer, default=None),
    Column("content_hash", String(64), nullable=False),
    Column("state_after", Integer, nullable=False),
    Column("stability_after", Float, default=None),
    Column("difficulty_after", Float, default=None),
    Column("due_after", UTCDateTime, nullable=False),
    Column("seed", Integer, default=None),
    Column("answer_text", Text, default=None),
    Column("verdict", String(40), default=None),
    # "review" reschedules; "cram" is logged but leaves the schedule alone; "undo" takes back
    # the review named by `undoes` (the log itself is never changed).
    Column("kind", String(10), nullable=False, default="review"),
    Column("undoes", Integer, default=None, index=True),
    Column("state_before", Integer, default=None),
    # The whole card as it was before this review, so an undo restores it exactly.
    Column("card_before", JSON, default=None),
    # An answer given outside the TUI (a sheet, `quiz practice`): the hash of its question, seed
    # and text (quiz.store.actions.answer_key), unique per learner (index ux_reviews_answer), so
    # recording the same answer twice — even by two processes at once — logs it once. NULL for
    # the TUI's ratings: after an undo the learner may give the same answer again.
    Column("answer_key", String(64), default=None),
)

# One learner setting (see quiz.store.settings), stored as JSON. The key is text of any length:
# some keys name a folder (a bank's fingerprint).
SETTINGS = Table(
    "settings", METADATA,
    Column("key", Text, primary_key=True),
    Column("value", JSON, nullable=False),
)
