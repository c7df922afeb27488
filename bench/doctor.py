"""quiz doctor, the damage lookup and backups at scale.

Builds the same data as bench/scale.py (a generated bank imported with `quiz import`, then a
review log inserted directly) and times, each against a floor measured on the same file in the
same run:

- `check()` (every quiz doctor check) against SQLite's `PRAGMA integrity_check` alone;
- `describe_damage()` on a clean database (the worst case: every rule scans its table) and with
  one damaged card, against `SELECT count(*)` over cards and reviews;
- `backup_database()` against copying the file with `shutil.copyfile`.

Run: python bench/doctor.py [--questions 100000] [--reviews 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from scale import fill_reviews, imported_bank, median_call

from quiz.store.damage import describe_damage
from quiz.store.doctor import check
from quiz.store.sqlite_files import backup_database

RUNS = 3


def timed(call: Callable[[], object], runs: int = RUNS) -> float:
    return median_call(call, runs)


def _sql(path: Path, statement: str) -> Callable[[], object]:
    def run() -> object:
        connection = sqlite3.connect(path)
        try:
            return connection.execute(statement).fetchall()
        finally:
            connection.close()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="quiz-doctor-"))
    try:
        path = root / "quiz.db"
        print(f"building {args.questions:,} questions, {args.reviews:,} reviews in {root} …",
              file=sys.stderr)
        url = imported_bank(root, args.questions)
        fill_reviews(url, args.reviews)
        size = path.stat().st_size / 2**20

        findings = check(url).findings
        rows = [
            ("quiz doctor (every check)", timed(lambda: check(url)),
             "PRAGMA integrity_check", timed(_sql(path, "PRAGMA integrity_check"))),
            ("describe_damage, clean", timed(lambda: describe_damage(url)),
             "count(*) cards + reviews", timed(_sql(path, "SELECT (SELECT count(*) FROM cards) "
                                                        "+ (SELECT count(*) FROM reviews)"))),
        ]
        copies = iter(range(1000))
        rows.append(("backup_database", timed(lambda: backup_database(
                         path, root / f"copy-{next(copies)}.db")),
                     "shutil.copyfile", timed(lambda: shutil.copyfile(
                         path, root / f"plain-{next(copies)}.db"))))
        connection = sqlite3.connect(path)
        connection.execute("UPDATE cards SET due = 'garbage' WHERE rowid = "
                           "(SELECT max(rowid) FROM cards)")
        connection.commit()
        connection.close()
        damaged = describe_damage(url)
        rows.append(("describe_damage, 1 bad card", timed(lambda: describe_damage(url)),
                     "count(*) cards + reviews", rows[1][3]))

        print(f"{args.questions:,} questions, {args.reviews:,} reviews, {size:.0f} MiB; "
              f"findings on the clean database: {len(findings)}")
        print(f"{'measured':<30} {'time':>9}   {'floor':<26} {'time':>9} {'ratio':>7}")
        for name, seconds, floor_name, floor in rows:
            print(f"{name:<30} {seconds * 1000:>7.0f}ms   {floor_name:<26} "
                  f"{floor * 1000:>7.0f}ms {seconds / floor:>6.1f}x")
        print(f"damage found: {damaged}")
        for finding in findings[:10]:
            print(f"  on the clean database: {finding.describe()}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
