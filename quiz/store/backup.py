"""Which copies of an SQLite database are kept: the daily automatic copy (the newest few kept),
and stamped copies (`quiz doctor --fix` before it changes anything). The copying itself is
`quiz.store.sqlite_files.backup_database`."""

from __future__ import annotations

import glob
import re
from datetime import datetime
from pathlib import Path

from quiz.store.sqlite_files import backup_database, sqlite_path

DEFAULT_KEEP = 7


def backups_dir(database: Path) -> Path:
    return database.with_name(database.name + ".backups")


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
    database = sqlite_path(db_url)
    if database is None or not database.is_file():
        return None
    target = backups_dir(database) / f"{database.stem}-{now:%Y%m%d}.db"
    if target.exists():
        return None
    backup_database(database, target)
    for old in daily_backups(database)[:-keep]:
        old.unlink(missing_ok=True)
    return target


def newest_backup(database: Path) -> Path | None:
    """The most recently written copy of `database`: in its backups folder (daily, manual,
    before-doctor) or beside it (before an upgrade); None when there is none."""
    copies = [path for path in backups_dir(database).glob("*.db") if path.is_file()] \
        if backups_dir(database).is_dir() else []
    copies += [path for path in database.parent.glob(f"{glob.escape(database.name)}.v*-backup-*")
               if path.is_file()]
    return max(copies, key=lambda path: path.stat().st_mtime, default=None)


def stamped_backup(database: Path, now: datetime, label: str) -> Path:
    """A copy named `<stem>-<label>-<time>.db` in the backups folder (never pruned)."""
    target = backups_dir(database) / f"{database.stem}-{label}-{now:%Y%m%dT%H%M%S}.db"
    return backup_database(database, target)
