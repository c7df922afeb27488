"""`quiz export --json` → `quiz import-history` is exact for databases of every schema (issue 21):
an SQL NULL stays NULL (a card snapshot of a database upgraded from schema 1 became the JSON text
'null', which quiz doctor then reported), on SQLite and PostgreSQL; the file is written and read
as a stream, and an export written the old way (indented, settings after the review log) still
imports."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from quiz.bank.parser import load_bank
from quiz.store.actions import apply_review, undo_review
from quiz.store.db import open_database
from quiz.store.doctor import check
from quiz.store.history import export_history, import_history
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW
from tests.sheets.sheet_helpers import quiz
from tests.store.test_store_study import _downgrade_to_version_1

DATA = Path(__file__).with_name("data")


def _typed_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as stored, each value with its SQL type (so NULL and 'null' differ)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = {}
            for name in inspect(engine).get_table_names():
                if name in {"schema_info"}:
                    continue
                # By name: an upgrade adds a column at the end, a new table has it in place.
                columns = sorted(c["name"] for c in inspect(connection).get_columns(name))
                kinds = ", ".join(f'"{c}" IS NULL, CAST("{c}" AS TEXT)' for c in columns)
                rows = connection.execute(text(f'SELECT {kinds} FROM "{name}"'))
                tables[name] = sorted(map(tuple, rows), key=repr)
            return tables
    finally:
        engine.dispose()


def _studied(url: str, bank_dir: Path) -> None:
    db = open_database(url)
    sync_bank(db, load_bank(bank_dir), "test", FIXED_NOW)
    scheduler = make_scheduler(fuzz=False)
    for minutes, question in ((0, "conv-1x1"), (1, "rf-basics"), (2, "conv-1x1")):
        outcome = apply_review(db, scheduler, question, Grade.GOOD,
                               FIXED_NOW + timedelta(minutes=minutes))
    undo_review(db, outcome.review_id, FIXED_NOW + timedelta(minutes=3))
    db.close()


def _round_trip(tmp_path: Path, source: str, target: str,
                capsys: pytest.CaptureFixture[str]) -> Path:
    exported = tmp_path / "history.json"
    code, _, err = quiz(capsys, "--db", source, "export", "--json", str(exported))
    assert code == 0, err
    code, _, err = quiz(capsys, "--db", target, "import-history", str(exported))
    assert code == 0, err
    return exported


def _null_snapshots(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(
                text("SELECT count(*) FROM reviews WHERE card_before IS NULL")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("schema", [1, 2])
def test_an_upgraded_database_round_trips_exactly(
        tmp_path: Path, bank_dir: Path, capsys: pytest.CaptureFixture[str], schema: int) -> None:
    path = tmp_path / "old.db"
    source = f"sqlite:///{path}"
    if schema == 1:
        _studied(source, bank_dir)
        _downgrade_to_version_1(path)
    else:
        shutil.copyfile(DATA / "schema2.db", path)
    open_database(source).close()  # the upgrade: snapshots of the old ratings are NULL
    assert _null_snapshots(source) > 0
    target = f"sqlite:///{tmp_path / 'target.db'}"
    _round_trip(tmp_path, source, target, capsys)
    assert _typed_rows(target) == _typed_rows(source)
    assert [f for f in check(target).findings if f.field == "card_before"] == []


def test_a_current_database_round_trips_exactly(
        tmp_path: Path, bank_dir: Path, db_url: str, make_db_url: Any,
        capsys: pytest.CaptureFixture[str]) -> None:
    _studied(db_url, bank_dir)
    target = make_db_url()
    _round_trip(tmp_path, db_url, target, capsys)
    assert _typed_rows(target) == _typed_rows(db_url)
    assert _null_snapshots(target) == _null_snapshots(db_url)


def test_the_export_is_one_row_a_line_with_the_review_log_last(
        tmp_path: Path, bank_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    _studied(source, bank_dir)
    exported = tmp_path / "history.json"
    assert quiz(capsys, "--db", source, "export", "--json", str(exported))[0] == 0
    lines = exported.read_text(encoding="utf-8").splitlines()
    data = json.loads("\n".join(lines))
    assert list(data["tables"])[-1] == "reviews"
    rows = [json.loads(line.strip().rstrip(",")) for line in lines if line.startswith("   [")]
    assert len(rows) == sum(len(table["rows"]) for table in data["tables"].values())
    db = open_database(source)
    try:
        assert export_history(db)["tables"] == data["tables"]
    finally:
        db.close()


def test_an_export_written_the_old_way_still_imports(
        tmp_path: Path, bank_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Indented as `safe_json` wrote it, every table in the models' order: the settings after
    the review log (read by the second pass's row builders)."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    _studied(source, bank_dir)
    db = open_database(source)
    try:
        data = export_history(db)
    finally:
        db.close()
    tables = data["tables"]
    order = ["learners", "questions", "cards", "reviews", "settings"]
    old = {**data, "tables": {name: tables[name] for name in order if name in tables}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old, ensure_ascii=False, indent=1), encoding="utf-8")
    target = f"sqlite:///{tmp_path / 'target.db'}"
    code, out, err = quiz(capsys, "--db", target, "import-history", str(path))
    assert code == 0, err
    assert "settings" in out
    assert _typed_rows(target) == _typed_rows(source)


def test_a_dictionary_imports_as_the_file_would(
        tmp_path: Path, bank_dir: Path) -> None:
    source = open_database(f"sqlite:///{tmp_path / 'source.db'}")
    target = open_database(f"sqlite:///{tmp_path / 'target.db'}")
    try:
        sync_bank(source, load_bank(bank_dir), "test", FIXED_NOW)
        counts = import_history(target, export_history(source))
        assert counts["questions"] == len(load_bank(bank_dir))
    finally:
        source.close()
        target.close()


def test_a_file_larger_than_the_old_cap_imports_in_little_memory(tmp_path: Path) -> None:
    """A history is read as a stream: 513 MB (past the 512 MB the whole-file read refused, and
    more than it could hold twice over) in a child process of < 200 MB peak."""
    import subprocess
    import sys

    path = tmp_path / "long.json"
    with path.open("wb") as out:
        out.write(b'{"format": "quiz-history", "format_version": 1, "schema_version": 1, '
                  b'"tables": {"learners": {"columns": ["id", "name", "created_at"], '
                  b'"rows": [[2, "ann", "2026-01-01T00:00:00+00:00"]]}')
        block = b" " * 2**20
        for _ in range(513):
            out.write(block)
        out.write(b"}}\n")
    # The peak is read inside the command (VmHWM: its own address space's high-water mark):
    # the rusage of a child of this process would count the test process's memory, copied at
    # the fork before the exec (a long test session holds over a gigabyte: 1.3 GB in CI).
    peak = ("import sys\nfrom quiz.cli import main\ncode = main(sys.argv[1:])\n"
            "own = next(int(line.split()[1]) for line in open('/proc/self/status') "
            "if line.startswith('VmHWM'))\n"
            "print('peak KiB', own)\nsys.exit(code)")
    done = subprocess.run(
        [sys.executable, "-c", peak, "--db", f"sqlite:///{tmp_path / 'target.db'}",
         "import-history", str(path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "imported 1 learners" in done.stdout
    kib = int(done.stdout.rsplit("peak KiB", 1)[1].split()[0])
    assert kib / 1024 < 200, f"{kib / 1024:.0f} MiB"
