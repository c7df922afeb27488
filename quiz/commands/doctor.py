"""``quiz doctor [--fix] [--json]``: check the database, like Anki's Check Database.

Exit codes: 0 nothing found (or everything found was repaired), 1 findings remain (damage among
them), 2 the database could not be checked — it does not exist, is not quiz's, or could not be
read here ("cannot check PATH: <reason>": a read-only folder a WAL database needs, permissions, a
lock). Exit 2 says nothing about the file's health, and no advice to restore a backup follows it.
Advice that could lose data (copying a backup over a damaged file) names what would be lost and
says to keep a copy of the file first.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["register", "run"]

SHOWN = 200  # findings listed in the text output; --json lists all


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    doctor = subparsers.add_parser(
        "doctor", help="check the database for damage; --fix repairs what is safe",
        description="Check the database: SQLite integrity and foreign keys, orphans, damaged "
                    "fields and card states the scheduler cannot load. --fix first writes a "
                    "backup beside the database, then repairs what is safe: a card that cannot "
                    "be scheduled becomes new (its reviews are kept), a damaged question field "
                    "is rewritten by the next import; the review log is never changed. "
                    "Exit 0 clean, 1 findings remain, 2 cannot check (does not exist, not "
                    "quiz's, or unreadable here: a read-only folder, permissions, a lock — "
                    "which says nothing about damage).")
    doctor.add_argument("--fix", action="store_true", help="repair what is safe (after a backup)")
    doctor.add_argument("--json", action="store_true", help="the findings as JSON")
    doctor.set_defaults(handler=run)


def _db_url(args: argparse.Namespace) -> str:
    from quiz.paths import default_db_url

    return getattr(args, "db", None) or default_db_url()


def run(args: argparse.Namespace) -> int:
    from quiz.render.safe import safe_text
    from quiz.store.doctor import REPAIRS, DoctorError, check, repair

    try:
        if args.fix:
            report = repair(_db_url(args), datetime.now(timezone.utc))
        else:
            report = check(_db_url(args))
    except DoctorError as error:
        print(f"quiz: error: {safe_text(str(error))}", file=sys.stderr)
        return 2
    remaining = report.remaining
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
        return 1 if remaining else 0
    fixed = {finding.key for finding in report.fixed}
    if not report.findings:
        print(f"{report.path}: no problems found")
        return 0
    print(f"{report.path}: {len(report.findings)} problem(s) found")
    for finding in report.findings[:SHOWN]:
        if finding.key in fixed:
            action = f"  → fixed: {REPAIRS[finding.repair or '']}"
        elif finding.repair:
            action = f"  → --fix: {REPAIRS[finding.repair]}"
        else:
            action = "  (reported only)"
        print(f"  {safe_text(finding.describe())}{action}")
    if len(report.findings) > SHOWN:
        print(f"  … and {len(report.findings) - SHOWN} more (--json lists all)")
    if any(finding.check in {"integrity", "unreadable"} for finding in report.findings):
        print(damage_advice(report.path))
    if report.backup:
        print(f"backup written first: {report.backup}")
    if args.fix:
        print(f"fixed {len(report.fixed)}, remaining {len(remaining)}")
    else:
        repairable = sum(1 for finding in report.findings if finding.repair)
        if repairable:
            print(f"quiz doctor --fix repairs {repairable} of them (after writing a backup)")
    return 1 if remaining else 0


def damage_advice(path: Path) -> str:
    """What to do about a damaged file, without losing more: a copy of it first, and what a
    backup copied over it would lose (every review since that backup was written)."""
    from quiz.store.backup import newest_backup

    newest = newest_backup(path)
    if newest is None:
        since = f"there is no backup in {path.name}.backups/ or beside it"
    else:
        written = datetime.fromtimestamp(newest.stat().st_mtime).astimezone()
        since = (f"copying a backup over it loses every review made since that backup "
                 f"(the newest, {newest.name}, was written {written:%Y-%m-%d %H:%M})")
    return (f"the file itself is damaged. Quit quiz and keep a copy of it as it is first "
            f"(cp {path} {path}.damaged, and its -wal if there is one); then recover what "
            f"SQLite can still read (sqlite3 {path.name}.damaged .recover), or restore a "
            f"backup — {since}.")
