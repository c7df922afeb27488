"""Opening a database: engine, SQLite pragmas, schema creation and version check."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from quiz.store.models import SCHEMA_VERSION, Base, SchemaInfo

BUSY_TIMEOUT_MS = 5000

# The review log is the user's history: refuse any change to it at the database level.
APPEND_ONLY_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS reviews_no_update BEFORE UPDATE ON reviews
       BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS reviews_no_delete BEFORE DELETE ON reviews
       BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END""",
)


class StoreError(RuntimeError):
    """A database that cannot be opened or used; the message says which and why."""


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    url: str

    def close(self) -> None:
        self.engine.dispose()


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the database folder {folder}: {error.strerror}") \
                from None


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _stored_version(engine: Engine) -> int | None:
    """The schema version the database was written with; None for a database without quiz's
    tables (a new one)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("schema_info"):
            return None
        found = connection.execute(select(SchemaInfo.version)).scalars().all()
    return max(found) if found else None


def _check_not_newer(version: int | None, url: str) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"{url}: schema version {version} is newer than this quiz understands "
            f"({SCHEMA_VERSION}); upgrade quiz"
        )


def _backup_sqlite_file(url: str, version: int) -> Path | None:
    """Copy the database beside itself before a migration (SQLite's online backup, so a WAL
    file is included)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    source = Path(database).expanduser()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = source.with_name(f"{source.name}.v{version}-backup-{stamp}")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def _migrate_1_to_2(connection: Connection) -> None:
    """Decks, card flags, the new-card rank, undo and cram columns, readable JSON tags."""
    alters = (
        "ALTER TABLE questions ADD COLUMN deck VARCHAR(200) NOT NULL DEFAULT ''",
        "ALTER TABLE cards ADD COLUMN lapses INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN leech BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN buried_until DATETIME",
        "ALTER TABLE cards ADD COLUMN flagged BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN new_rank INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE reviews ADD COLUMN kind VARCHAR(10) NOT NULL DEFAULT 'review'",
        "ALTER TABLE reviews ADD COLUMN undoes INTEGER",
        "ALTER TABLE reviews ADD COLUMN state_before INTEGER",
        "ALTER TABLE reviews ADD COLUMN card_before JSON",
    )
    for statement in alters:
        connection.execute(text(statement))
    # Tags were stored ASCII-escaped, which no LIKE search for Chinese text can match.
    rows = connection.execute(text("SELECT id, tags, sources FROM questions")).all()
    for question_id, tags, sources in rows:
        tag_list = json.loads(tags) if isinstance(tags, str) else list(tags or [])
        source_list = json.loads(sources) if isinstance(sources, str) else list(sources or [])
        connection.execute(
            text("UPDATE questions SET tags = :tags, sources = :sources, deck = :deck "
                 "WHERE id = :id"),
            {"tags": _dumps(tag_list), "sources": _dumps(source_list),
             "deck": tag_list[0] if tag_list else "", "id": question_id},
        )
    # A lapse is an Again that sent a review card back to relearning (fsrs state 3).
    connection.execute(text(
        "UPDATE cards SET lapses = (SELECT count(*) FROM reviews r WHERE "
        "r.question_id = cards.question_id AND r.rating = 1 AND r.state_after = 3)"
    ))


MIGRATIONS = {1: _migrate_1_to_2}
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_questions_deck ON questions (deck)",
    "CREATE INDEX IF NOT EXISTS ix_cards_suspended ON cards (suspended)",
    "CREATE INDEX IF NOT EXISTS ix_cards_new_rank ON cards (new_rank)",
    "CREATE INDEX IF NOT EXISTS ix_reviews_undoes ON reviews (undoes)",
)


def _migrate(engine: Engine, version: int, url: str) -> None:
    if engine.dialect.name == "sqlite":
        _backup_sqlite_file(url, version)
    with engine.begin() as connection:
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](connection)
            version += 1
        connection.execute(text("DELETE FROM schema_info"))
        connection.execute(text("INSERT INTO schema_info (version) VALUES (:v)"),
                           {"v": SCHEMA_VERSION})


def _record_version(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        if not list(session.scalars(select(SchemaInfo.version))):
            session.add(SchemaInfo(version=SCHEMA_VERSION))


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def open_database(url: str) -> Database:
    """Open (creating if needed) the database at an SQLAlchemy URL."""
    try:
        is_sqlite = make_url(url).get_backend_name() == "sqlite"
    except ArgumentError as error:
        raise StoreError(f"--db {url!r} is not a valid SQLAlchemy URL ({error})") from None
    if is_sqlite:
        _prepare_sqlite_file(url)
    try:
        # JSON stays readable (and searchable with LIKE) for Chinese tags.
        engine = create_engine(url, json_serializer=partial(json.dumps, ensure_ascii=False))
        if is_sqlite:
            event.listen(engine, "connect", _set_sqlite_pragmas)
        version = _stored_version(engine)
        _check_not_newer(version, url)
        if version is not None and version < SCHEMA_VERSION:
            _migrate(engine, version, url)
        Base.metadata.create_all(engine)
        with engine.begin() as connection:
            if is_sqlite:
                for trigger in APPEND_ONLY_TRIGGERS:
                    connection.execute(text(trigger))
            for index in INDEXES:
                connection.execute(text(index))
        sessions = sessionmaker(engine, expire_on_commit=False)
        _record_version(sessions)
    except SQLAlchemyError as error:
        kind = error.__class__.__name__
        raise StoreError(f"cannot open database {url}: {kind}: {error}") from None
    except ModuleNotFoundError as error:
        raise StoreError(
            f"cannot open database {url}: driver {error.name!r} is not installed"
        ) from None
    return Database(engine=engine, sessions=sessions, url=url)
