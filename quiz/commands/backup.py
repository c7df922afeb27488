"""``quiz backup [--to PATH]``: a consistent copy of the database (SQLite's online backup, safe
while another process is writing). Without --to the copy goes beside the database, into
`<name>.backups/`, where the automatic daily copies are too."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = subparsers.add_parser(
        "backup", help="copy the database (consistent even while it is in use)",
        description="Copy the SQLite database with SQLite's online backup. Without --to, the "
                    "copy is <database>.backups/<name>-manual-<time>.db beside it (automatic "
                    "daily copies, the newest 7 kept, go to the same folder when the TUI starts).")
    backup.add_argument("--to", metavar="PATH", default=None,
                        help="file to write (must not exist), or a folder to write it into")
    backup.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from quiz.paths import default_db_url
    from quiz.store.backup import stamped_backup
    from quiz.store.sqlite_files import BackupError, backup_database, sqlite_path

    url = getattr(args, "db", None) or default_db_url()
    database = sqlite_path(url)
    if database is None:
        print(f"quiz: error: {url}: quiz backup copies SQLite database files; back up a "
              "PostgreSQL database with pg_dump (e.g. pg_dump -Fc -f quiz.dump DBNAME)",
              file=sys.stderr)
        return 1
    now = datetime.now(timezone.utc)
    try:
        if args.to is None:
            written = stamped_backup(database, now, "manual")
        else:
            target = Path(args.to).expanduser()
            if target.is_dir():
                target = target / f"{database.stem}-{now:%Y%m%dT%H%M%S}.db"
            written = backup_database(database, target)
    except BackupError as error:
        print(f"quiz: error: {error}", file=sys.stderr)
        return 1
    print(f"{database} → {written}")
    return 0
