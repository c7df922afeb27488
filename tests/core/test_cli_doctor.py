"""`quiz doctor`, `quiz backup` and damaged rows through the installed `quiz` script: a
database built by `quiz import`, damaged with raw SQL."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from quiz.store.db import open_database
from quiz.store.learners import add_learner
from tests.conftest import FIXED_NOW, sql_dump
from tests.core.test_cli import run_quiz

# Damage written into SQLite files with raw SQL (text where a date belongs, …): PostgreSQL's
# types refuse such values, and `quiz doctor` / `quiz backup` are for SQLite files (their
# one-line answer on PostgreSQL is tested at the end).
pytestmark = pytest.mark.sqlite_only

# Every card reviewed and due, so `quiz due` reads each card's whole state.
ALL_DUE = ("UPDATE cards SET state = 2, step = NULL, stability = 3.0, difficulty = 5.0, "
           "last_review = '2026-01-01 00:00:00.000000', due = '2026-01-05 00:00:00.000000'")


def _imported(db_url: str, bank_dir: Path, *damage: str) -> Path:
    result = run_quiz("import", str(bank_dir), db_url=db_url)
    assert result.returncode == 0, result.stderr
    path = Path(db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as connection:
        for statement in (ALL_DUE, *damage):
            connection.execute(statement)
    connection.close()
    return path


def test_doctor_clean_then_damaged_then_fixed(db_url: str, bank_dir: Path) -> None:
    path = _imported(db_url, bank_dir)
    clean = run_quiz("doctor", db_url=db_url)
    assert clean.returncode == 0 and "no problems found" in clean.stdout, clean.stderr

    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE cards SET due = 'garbage' WHERE question_id = 'conv-1x1'")
        connection.execute("UPDATE questions SET tags = 'not json' WHERE id = 'rf-basics'")
    connection.close()
    found = run_quiz("doctor", db_url=db_url)
    assert found.returncode == 1, found.stderr
    assert ("table cards, row 'conv-1x1' of learner 1, field due: 'garbage' is not a date"
            in found.stdout)
    assert "table questions, row 'rf-basics', field tags:" in found.stdout
    as_json = json.loads(run_quiz("doctor", "--json", db_url=db_url).stdout)
    assert {(f["table"], f["row"], f["learner"], f["field"]) for f in as_json["findings"]} == {
        ("cards", "conv-1x1", 1, "due"), ("questions", "rf-basics", None, "tags")}

    fixed = run_quiz("doctor", "--fix", db_url=db_url)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed 2, remaining 0" in fixed.stdout and "backup written first" in fixed.stdout
    assert run_quiz("doctor", db_url=db_url).returncode == 0
    assert run_quiz("due", db_url=db_url).returncode == 0


def test_doctor_cannot_open_is_exit_2_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = run_quiz("doctor", "--db", f"sqlite:///{missing}")
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not missing.exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 200)
    result = run_quiz("doctor", "--db", f"sqlite:///{junk}")
    assert result.returncode == 2 and "quiz: error:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("command", "damage", "named"), [
    ("due", "UPDATE cards SET last_review = 'zzz' WHERE question_id = 'conv-1x1'",
     "table cards, row 'conv-1x1' of learner 1, field last_review: 'zzz' is not a date"),
    ("due", "UPDATE questions SET tags = 'not json' WHERE id = 'rf-basics'",
     "table questions, row 'rf-basics', field tags: 'not json'"),
    ("import", "UPDATE questions SET retired_at = 'last week' WHERE id = 'rf-basics'",
     "table questions, row 'rf-basics', field retired_at: 'last week' is not a date"),
    ("due", "UPDATE cards SET due = '2026-02-30 10:00:00' WHERE question_id = 'pool-role'",
     "table cards, row 'pool-role' of learner 1, field due: '2026-02-30 10:00:00' is not a "
     "date"),
])
def test_a_damaged_row_is_named_not_a_traceback(
    db_url: str, bank_dir: Path, command: str, damage: str, named: str,
) -> None:
    path = _imported(db_url, bank_dir, damage)
    before = sql_dump(path)
    args = ("import", str(bank_dir)) if command == "import" else (command,)
    result = run_quiz(*args, db_url=db_url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("quiz: error:") and "Traceback" not in result.stderr
    assert named in result.stderr and "quiz doctor" in result.stderr
    assert sql_dump(path) == before


def test_backup_writes_a_consistent_copy(db_url: str, bank_dir: Path, tmp_path: Path) -> None:
    path = _imported(db_url, bank_dir)
    target = tmp_path / "copy.db"
    made = run_quiz("backup", "--to", str(target), db_url=db_url)
    assert made.returncode == 0 and str(target) in made.stdout, made.stderr
    assert sql_dump(target) == sql_dump(path)
    again = run_quiz("backup", "--to", str(target), db_url=db_url)
    assert again.returncode == 1 and "already exists" in again.stderr
    default = run_quiz("backup", db_url=db_url)
    assert default.returncode == 0, default.stderr
    copies = list((path.parent / "quiz.db.backups").glob("quiz-manual-*.db"))
    assert len(copies) == 1 and sql_dump(copies[0]) == sql_dump(path)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert run_quiz("backup", "--to", str(folder), db_url=db_url).returncode == 0
    assert len(list(folder.glob("quiz-*.db"))) == 1
    missing = run_quiz("backup", "--db", f"sqlite:///{tmp_path / 'typo.db'}")
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert not (tmp_path / "typo.db").exists()


def test_a_file_with_damaged_pages_is_an_error_not_a_traceback(
    db_url: str, bank_dir: Path,
) -> None:
    path = _imported(db_url, bank_dir)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(path.read_bytes())
    noise = random.Random(3)
    for offset in range(4096, len(data)):  # every page but the header page
        data[offset] = noise.randrange(256)
    path.write_bytes(bytes(data))
    for args in (("due",), ("import", str(bank_dir))):
        result = run_quiz(*args, db_url=db_url)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert result.stderr.startswith("quiz: error:") and "Traceback" not in result.stderr
    doctor = run_quiz("doctor", db_url=db_url)
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    assert "the file itself is damaged" in doctor.stdout
    fix = run_quiz("doctor", "--fix", db_url=db_url)
    assert fix.returncode in (1, 2) and "Traceback" not in fix.stderr
    assert path.read_bytes() == bytes(data)


def test_the_tui_start_backs_up_then_names_a_damaged_row(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'quiz.db'}"
    assert run_quiz("import", db_url=db_url).returncode == 0  # the bundled bank
    path = tmp_path / "quiz.db"
    with sqlite3.connect(path) as connection:
        damaged = connection.execute("SELECT id FROM questions ORDER BY id LIMIT 1").fetchone()[0]
        connection.execute("UPDATE questions SET retired_at = 'x' WHERE id = ?", (damaged,))
    connection.close()
    # The start syncs the bundled bank, which reads the damaged row before any screen exists.
    result = run_quiz(db_url=db_url)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"table questions, row {damaged!r}, field retired_at: 'x'" in result.stderr
    copies = list((tmp_path / "quiz.db.backups").glob("quiz-*.db"))
    assert len(copies) == 1  # the daily copy was made before the start touched anything
    assert sqlite3.connect(copies[0]).execute(
        "SELECT retired_at FROM questions WHERE id = ?", (damaged,)).fetchone() == ("x",)


@pytest.mark.parametrize("value", ["'garbage'", "'九月一日'"])
def test_a_card_left_out_of_due_for_a_damaged_date_is_named(
    db_url: str, bank_dir: Path, value: str,
) -> None:
    """A due value sorting after every date falls outside every due range, so the card would
    silently drop out of the counts: `quiz due` still prints them, names the row and exits 1."""
    _imported(db_url, bank_dir, f"UPDATE cards SET due = {value} WHERE question_id = 'rf-basics'")
    result = run_quiz("due", db_url=db_url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.startswith("due 2 ·")  # the two readable cards
    assert ("quiz: warning: table cards, row 'rf-basics' of learner 1, field due: "
            in result.stderr
            and "quiz doctor --fix" in result.stderr)


def test_a_damaged_due_date_is_named_to_its_own_learner_only(
    db_url: str, bank_dir: Path,
) -> None:
    """A second learner's damaged card leaves the default learner's counts whole: only that
    learner's `quiz due` names it (with the learner) and exits 1."""
    path = _imported(db_url, bank_dir)
    db = open_database(db_url)
    try:
        learner = add_learner(db, "alice", FIXED_NOW).id
    finally:
        db.close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE cards SET due = 'garbage' WHERE learner_id = ? "
                           "AND question_id = 'rf-basics'", (learner,))
    connection.close()
    default = run_quiz("due", db_url=db_url)
    assert default.returncode == 0 and default.stderr == "", default.stderr
    alice = run_quiz("due", "--learner", "alice", db_url=db_url)
    assert alice.returncode == 1 and "Traceback" not in alice.stderr
    assert (f"quiz: warning: table cards, row 'rf-basics' of learner {learner}, field due: "
            in alice.stderr)


@pytest.mark.parametrize("value", ["5", "-1.5", "''", "' 2026-01-05'"])
def test_a_damaged_date_sorting_first_is_named_as_an_error(
    db_url: str, bank_dir: Path, value: str,
) -> None:
    # These sort before every date, so the card is read as due and reading it fails: the error
    # names the row instead.
    _imported(db_url, bank_dir, f"UPDATE cards SET due = {value} WHERE question_id = 'rf-basics'")
    result = run_quiz("due", db_url=db_url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "table cards, row 'rf-basics' of learner 1, field due" in result.stderr


def test_readable_due_dates_raise_no_warning(db_url: str, bank_dir: Path) -> None:
    _imported(db_url, bank_dir, "UPDATE cards SET due = '0001-01-01 00:00:00' "
                                "WHERE question_id = 'rf-basics'",
              "UPDATE cards SET due = '9999-12-31 23:59:59.999999' WHERE question_id = 'conv-1x1'")
    result = run_quiz("due", db_url=db_url)
    assert result.returncode == 0 and result.stderr == ""


def test_the_damaged_due_probe_reads_two_index_ranges(db_url: str, bank_dir: Path) -> None:
    path = _imported(db_url, bank_dir)
    from quiz.store import damage

    with sqlite3.connect(path) as connection:
        plan = " ".join(row[3] for row in connection.execute(
            "EXPLAIN QUERY PLAN " + damage.UNDATABLE_DUE, (1,)))
    connection.close()
    assert "ix_cards_due" in plan and "SCAN" not in plan
