"""Copies of the SQLite database: `quiz backup`, the daily automatic copy with a kept count, and
the copy `quiz doctor --fix` writes before it changes anything.

Copies are made with SQLite's online backup API, so they are consistent even while another
process is writing (WAL), and are written under a temporary name and renamed into place, so a
failure never leaves a half-written file under a backup's name.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

DEFAULT_KEEP = 7


class BackupError(RuntimeError):
    """A backup that could not be made; the message says which file and why."""


# `sqlite:///path` with nothing SQLAlchemy's URL parser would decode or split: its file is the
# path as written (read without importing SQLAlchemy, for the TUI's start).
_PLAIN_SQLITE_URL = re.compile(r"^sqlite(?:\+pysqlite)?:///(?P<path>[^?#%@]+)$")


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL; None for any other database or an in-memory one."""
    plain = _PLAIN_SQLITE_URL.match(url)
    if plain is not None:
        database = plain["path"]
        if database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database).expanduser()
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def connect_existing(path: Path, write: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection to a file that must already exist (never creates one)."""
    uri = f"file:{quote(str(path.resolve()))}?mode={'rw' if write else 'ro'}"
    connection = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
    # A damaged text value must be reportable, not an exception while fetching it.
    connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    return connection


def backups_dir(database: Path) -> Path:
    return database.with_name(database.name + ".backups")


def backup_database(source: Path, target: Path) -> Path:
    """Copy the database `source` to `target` (which must not exist yet)."""
    if not source.is_file():
        raise BackupError(f"{source}: the database does not exist")
    if target.exists():
        raise BackupError(f"{target} already exists; choose another name")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(connect_existing(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            # A self-contained single file: no -wal beside it to forget when copying it away.
            dst.execute("PRAGMA journal_mode=DELETE")
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise BackupError(f"cannot back up {source} to {target}: {reason}") from None
    return target


def _daily_pattern(database: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(database.stem)}-(\d{{8}})\.db$")


def daily_backups(database: Path) -> list[Path]:
    """The automatic daily copies of `database`, oldest first."""
    folder = backups_dir(database)
    if not folder.is_dir():
        return []
    pattern = _daily_pattern(database)
    return sorted(path for path in folder.iterdir() if pattern.match(path.name))


def auto_backup(db_url: str, now: datetime, keep: int = DEFAULT_KEEP) -> Path | None:
    """Today's copy of the database, made once a day (the first call of the day), keeping the
    newest `keep` daily copies. Returns the file written, or None when there was nothing to do
    (not an SQLite file, no database yet, or today's copy exists). Copies written by hand with
    `quiz backup` have other names and are never pruned."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    database = sqlite_file(db_url)
    if database is None or not database.is_file():
        return None
    target = backups_dir(database) / f"{database.stem}-{now:%Y%m%d}.db"
    if target.exists():
        return None
    backup_database(database, target)
    for old in daily_backups(database)[:-keep]:
        old.unlink(missing_ok=True)
    return target


def stamped_backup(database: Path, now: datetime, label: str) -> Path:
    """A copy named `<stem>-<label>-<time>.db` in the backups folder (never pruned)."""
    target = backups_dir(database) / f"{database.stem}-{label}-{now:%Y%m%dT%H%M%S}.db"
    return backup_database(database, target)
