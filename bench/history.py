"""`quiz export --json` and `quiz import-history` of a long history: time and peak memory.

Builds a database of a generated bank (bench/scale.py's `write_bank`, imported with `quiz
import`) and a review log of --reviews ratings written straight into SQLite with executemany
(ratings, crams, and undos naming the rating before them; card snapshots as quiz writes them).
Then, each in a child process whose peak resident memory is read from its rusage:

- `quiz export --json` against a floor: reading every row with sqlite3 and writing it with
  json.dumps, row by row (what any exporter must do at least);
- `quiz import-history` of that file into a fresh database against a floor: `json.load` of
  the file (what the import before streaming did first, before any check or insert).

The issue's targets: a 600k-review file imports in ≤ 30 s and ≤ 300 MB, exports in ≤ 300 MB.

Run: python bench/history.py [--questions 2000] [--reviews 600000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scale import imported_bank, run_child

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
TARGET_SECONDS, TARGET_MB = 30.0, 300.0


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill_log(url: str, reviews: int, seed: int = 3) -> None:
    """`reviews` review rows over the past year, written in bulk with the derived totals'
    triggers dropped and the totals rebuilt once (as the import itself does)."""
    from sqlalchemy import create_engine

    from quiz.store import derived

    rng = random.Random(seed)
    engine = create_engine(url)
    with engine.begin() as connection:
        ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM questions")]
        derived.drop_all(connection)
        rows: list[tuple[object, ...]] = []
        last: dict[str, int] = {}
        for number in range(1, reviews + 1):
            question = rng.choice(ids)
            moment = NOW - timedelta(days=365) + timedelta(seconds=number * 365 * 86400 / reviews)
            due = moment + timedelta(days=rng.uniform(1, 60))
            if question in last and rng.random() < 0.005:
                rows.append((number, 1, question, _stamp(moment), 0, None, "h", 2, 3.0, 5.0,
                             _stamp(due), None, None, None, "undo", last.pop(question), None,
                             None))
                continue
            snapshot = {"state": 2, "step": None, "stability": 3.0, "difficulty": 5.0,
                        "due": due.isoformat(), "last_review": moment.isoformat(),
                        "lapses": 0, "leech": False, "suspended": False, "buried_until": None,
                        "flagged": False}
            kind = "cram" if rng.random() < 0.01 else "review"
            rows.append((number, 1, question, _stamp(moment), rng.randint(1, 4),
                         rng.randint(2000, 40000), "h", rng.randint(1, 3),
                         rng.uniform(0.5, 300), rng.uniform(1, 10), _stamp(due), None, None,
                         None, kind, None, 2, json.dumps(snapshot)))
            last[question] = number
        connection.exec_driver_sql(
            "INSERT INTO reviews (id, learner_id, question_id, reviewed_at, rating, duration_ms, "
            "content_hash, state_after, stability_after, difficulty_after, due_after, seed, "
            "answer_text, verdict, kind, undoes, state_before, card_before) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        derived.ensure(connection, derived.object_names(connection))
    engine.dispose()


FLOOR_EXPORT = """
import json, sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for row in connection.execute("SELECT * FROM reviews ORDER BY id"):
        out.write(json.dumps(row, ensure_ascii=False) + ",\\n")
"""
FLOOR_IMPORT = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))"


def _row(name: str, seconds: float, mb: float, floor: tuple[float, float],
         target: str) -> str:
    return (f"{name:<24} {seconds:8.1f} s {mb:8.0f} MB   ×{seconds / floor[0]:5.2f} time "
            f"×{mb / floor[1]:5.2f} memory of the floor   {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--reviews", type=int, default=600_000)
    parser.add_argument("--fill", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill_log(args.fill, args.reviews)
        return
    root = Path(tempfile.mkdtemp(prefix="quiz-history-"))
    try:
        path, target = root / "quiz.db", root / "imported.db"
        print(f"building {args.questions:,} questions, {args.reviews:,} reviews in {root} …",
              file=sys.stderr)
        url = imported_bank(root, args.questions)
        # In a child: a process forked from one that held the log keeps its peak in ru_maxrss.
        subprocess.run([sys.executable, __file__, "--fill", url, "--reviews", str(args.reviews)],
                       check=True)
        exported, floor_file = root / "history.json", root / "floor.json"
        export = run_child([sys.executable, "-m", "quiz", "--db", url, "export", "--json",
                            str(exported)])
        export_floor = run_child([sys.executable, "-c", FLOOR_EXPORT, str(path),
                                  str(floor_file)])
        imported = run_child([sys.executable, "-m", "quiz", "--db", f"sqlite:///{target}",
                              "import-history", str(exported)])
        import_floor = run_child([sys.executable, "-c", FLOOR_IMPORT, str(exported)])
        size = exported.stat().st_size / 2**20
        print(f"\n{args.reviews:,} reviews, history file {size:.0f} MB\n")
        print(f"{'':<24} {'time':>10} {'peak RSS':>11}")
        print(_row("quiz export --json", *export, export_floor,
                   f"(target ≤ {TARGET_MB:.0f} MB)"))
        print(_row("  floor: sqlite3+dumps", *export_floor, export_floor, ""))
        print(_row("quiz import-history", *imported, import_floor,
                   f"(target ≤ {TARGET_SECONDS:.0f} s, ≤ {TARGET_MB:.0f} MB)"))
        print(_row("  floor: json.load", *import_floor, import_floor, ""))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
