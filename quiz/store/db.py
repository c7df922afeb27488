"""Opening a database: engine, SQLite pragmas, schema creation and version check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
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


def _check_schema_version(sessions: sessionmaker[Session], url: str) -> None:
    with sessions.begin() as session:
        versions = list(session.scalars(select(SchemaInfo.version)))
        if not versions:
            session.add(SchemaInfo(version=SCHEMA_VERSION))
        elif max(versions) > SCHEMA_VERSION:
            raise StoreError(
                f"{url}: schema version {max(versions)} is newer than this quiz "
                f"understands ({SCHEMA_VERSION}); upgrade quiz"
            )


def open_database(url: str) -> Database:
    """Open (creating if needed) the database at an SQLAlchemy URL."""
    try:
        is_sqlite = make_url(url).get_backend_name() == "sqlite"
    except ArgumentError as error:
        raise StoreError(f"--db {url!r} is not a valid SQLAlchemy URL ({error})") from None
    if is_sqlite:
        _prepare_sqlite_file(url)
    try:
        engine = create_engine(url)
        if is_sqlite:
            event.listen(engine, "connect", _set_sqlite_pragmas)
        Base.metadata.create_all(engine)
        if is_sqlite:
            with engine.begin() as connection:
                for trigger in APPEND_ONLY_TRIGGERS:
                    connection.execute(text(trigger))
        sessions = sessionmaker(engine, expire_on_commit=False)
        _check_schema_version(sessions, url)
    except SQLAlchemyError as error:
        kind = error.__class__.__name__
        raise StoreError(f"cannot open database {url}: {kind}: {error}") from None
    except ModuleNotFoundError as error:
        raise StoreError(
            f"cannot open database {url}: driver {error.name!r} is not installed"
        ) from None
    return Database(engine=engine, sessions=sessions, url=url)
