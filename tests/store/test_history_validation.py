"""`quiz import-history` holds every value to the rules quiz doctor uses (issue 21): a value no
quiz could write is refused in one line naming the table, the row (its number in the file) and
the field, with a non-zero exit, no traceback, and no database made or changed."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text

from quiz.bank.parser import load_bank
from quiz.store.damage import RULES
from quiz.store.db import open_database
from quiz.store.settings import save_settings
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW
from tests.sheets.sheet_helpers import quiz
from tests.store.test_history_stream import _studied

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def exported(tmp_path: Path, bank_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`quiz export --json` of a database with three ratings, an undo and a setting."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    _studied(url, bank_dir)
    db = open_database(url)
    save_settings(db, {"new_per_day": "30"})
    db.close()
    path = tmp_path / "history.json"
    assert quiz(capsys, "--db", url, "export", "--json", str(path))[0] == 0
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _set(data: dict[str, Any], table: str, row: int, column: str, value: Any) -> None:
    entry = data["tables"][table]
    entry["rows"][row - 1][entry["columns"].index(column)] = value


def _undo_row(data: dict[str, Any]) -> int:
    entry = data["tables"]["reviews"]
    kind = entry["columns"].index("kind")
    return next(n for n, row in enumerate(entry["rows"], 1) if row[kind] == "undo")


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> str:
    """Import `text` into a database that does not exist yet: the one line of the refusal."""
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    target = tmp_path / "target.db"
    code, out, err = quiz(capsys, "--db", f"sqlite:///{target}", "import-history", str(path))
    assert code != 0, out
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not target.exists(), "a refused import made a database file"
    return err


BAD_VALUES: list[tuple[str, str, Any, str]] = [
    ("reviews", "rating", "abc", "'abc' is not an integer"),
    ("reviews", "rating", 99, "99 is outside 0..4"),
    ("reviews", "rating", True, "True is not an integer"),
    ("reviews", "stability_after", -1.5, "-1.5 is not above 0"),
    ("reviews", "reviewed_at", "2999-01-01T00:00:00+00:00", "outside the years 1970..2199"),
    ("reviews", "reviewed_at", "0001-01-01T00:00:00+00:00", "outside the years 1970..2199"),
    ("reviews", "reviewed_at", "yesterday", "'yesterday' is not a date and time"),
    ("reviews", "card_before", [1, 2], "is not a JSON object"),
    ("reviews", "kind", "redo", "'redo' is not one of review, cram, undo"),
    ("cards", "state", 99, "99 is outside 1..3"),
    ("cards", "due", None, "NULL where a value is required"),
    ("cards", "suspended", 2, "2 is outside 0..1"),
    ("questions", "tags", [1], "is not a JSON list of text"),
    ("questions", "id", "x" * 121, "longer than 120"),
]


@pytest.mark.parametrize(("table", "column", "value", "problem"), BAD_VALUES,
                         ids=[f"{t}.{c}={str(v)[:12]}" for t, c, v, _ in BAD_VALUES])
def test_a_value_no_quiz_could_write_is_refused_naming_table_row_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], exported: dict[str, Any],
        table: str, column: str, value: Any, problem: str) -> None:
    row = len(exported["tables"][table]["rows"])
    _set(exported, table, row, column, value)
    err = _refused(tmp_path, capsys, json.dumps(exported))
    assert f"table {table}, row {row}, field {column}: " in err, err
    assert problem in err, err


@pytest.mark.parametrize(("column", "number"), [
    ("stability_after", "1e400"), ("stability_after", "-1e400"),
    ("duration_ms", str(2**63)), ("duration_ms", str(-2**63 - 1)), ("seed", str(10**30))])
def test_a_number_beyond_64_bits_is_refused_naming_its_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], exported: dict[str, Any],
        column: str, number: str) -> None:
    """A number no double or 64-bit integer holds (an infinite stability; SQLite's
    OverflowError traceback before) is held to its column's rule like any other value."""
    _set(exported, "reviews", 1, column, "@@")
    err = _refused(tmp_path, capsys, json.dumps(exported).replace('"@@"', number))
    assert f"table reviews, row 1, field {column}: " in err, err
    assert "not a finite number" in err if "e" in number else "is outside" in err, err


def test_an_integer_past_the_interpreters_digit_limit_names_its_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], exported: dict[str, Any]) -> None:
    _set(exported, "reviews", 2, "seed", "@@")
    err = _refused(tmp_path, capsys, json.dumps(exported).replace('"@@"', "9" * 5000))
    assert "table reviews, row 2: not valid JSON" in err and "4300 digits" in err, err


def test_nan_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         exported: dict[str, Any]) -> None:
    _set(exported, "reviews", 1, "stability_after", math.nan)
    assert "not valid JSON" in _refused(tmp_path, capsys, json.dumps(exported))


def test_a_setting_out_of_the_settings_range_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], exported: dict[str, Any]) -> None:
    settings = exported["tables"]["settings"]
    settings["rows"] = [["new_per_day", 10**12]]
    err = _refused(tmp_path, capsys, json.dumps(exported))
    assert "table settings, row 1, field value: " in err and "0–9999" in err


@pytest.mark.parametrize("undoes", [10_000, None])
def test_an_undo_naming_no_review_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             exported: dict[str, Any], undoes: Any) -> None:
    row = _undo_row(exported)
    _set(exported, "reviews", row, "undoes", undoes)
    err = _refused(tmp_path, capsys, json.dumps(exported))
    assert f"table reviews, row {row}, field undoes: " in err and "names no review" in err


@pytest.mark.parametrize(("table", "column", "value", "problem"), [
    ("cards", "question_id", "no-such-question", "names no question"),
    ("reviews", "learner_id", 7, "names no learner"),
])
def test_a_reference_to_nothing_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           exported: dict[str, Any], table: str, column: str,
                                           value: Any, problem: str) -> None:
    _set(exported, table, 1, column, value)
    err = _refused(tmp_path, capsys, json.dumps(exported))
    assert f"table {table}, row 1, field {column}: " in err and problem in err


MALFORMED: list[tuple[str, Callable[[dict[str, Any]], str], str]] = [
    ("a non-string column name",
     lambda d: json.dumps({**d, "tables": {**d["tables"], "learners": {
         **d["tables"]["learners"], "columns": [5, *d["tables"]["learners"]["columns"][1:]]}}}),
     "table learners: a column name must be text"),
    ("JSON nested 200,000 deep",
     lambda d: json.dumps(d).replace('"rows": [', '"rows": [' + "[" * 200_000, 1)
     + "]" * 200_000,
     "nested deeper than"),
    ("a row that is not a list",
     lambda d: json.dumps({**d, "tables": {**d["tables"], "learners": {
         **d["tables"]["learners"], "rows": [7]}}}),
     "table learners, row 1: expected a list of 4 values"),
    ("no format",
     lambda d: json.dumps({**d, "format": "other"}), "not a quiz history file"),
    ("not JSON", lambda d: json.dumps(d)[:-40], "not valid JSON"),
]


@pytest.mark.parametrize(("name", "make", "problem"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], exported: dict[str, Any],
        name: str, make: Callable[[dict[str, Any]], str], problem: str) -> None:
    assert problem in _refused(tmp_path, capsys, make(exported)), name


def test_every_rule_checks_a_python_value_as_its_sql_checks_a_stored_one() -> None:
    """One set of rules: a value the Python check passes is one the SQL check passes once
    stored (SQLite), and a value it refuses the SQL check refuses."""
    samples: list[object] = [None, 0, 1, 2, 5, -3, 99, 1.5, -1.5, 2**62, "abc", "", "[]",
                             '["a"]', "{}", "2026-01-01 00:00:00", "2999-01-01 00:00:00",
                             "0001-01-01 00:00:00", "review", "concept", "sourced", "30"]
    connection = sqlite3.connect(":memory:")
    for rule in RULES:
        for value in samples:
            if rule.kind in {"date", "json"} and isinstance(value, str):
                continue  # stored as text, checked in Python as a datetime / decoded JSON
            stored_bad = bool(connection.execute(
                f"SELECT {rule.bad.format(c='v')} FROM (SELECT ? AS v)", (value,)).fetchone()[0])
            assert stored_bad == (rule.problem(value) is not None), (rule, value)
    connection.close()


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=2), inner, max_size=3), max_leaves=8)
_MOMENTS = st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2210, 1, 1),
                        timezones=st.none() | st.just(timezone.utc) | st.builds(
                            lambda minutes: timezone(timedelta(minutes=minutes)),
                            st.integers(-14 * 60, 14 * 60)))
_EDGE_MOMENTS = st.sampled_from([
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    datetime(1970, 1, 1, tzinfo=timezone.utc),
    datetime(1970, 1, 1, 3, tzinfo=timezone(timedelta(hours=5))),  # 1969 in UTC
    datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    datetime(2200, 1, 1, tzinfo=timezone.utc),
    datetime(2199, 12, 31, 20, tzinfo=timezone(timedelta(hours=-5)))])  # 2200 in UTC
_DEEP = st.integers(14, 19).map(lambda depth: _nested(depth))


def _nested(depth: int) -> object:
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


_VALUES = [st.integers(-5, 105), st.integers(), st.sampled_from([2**63 - 1, 2**63, -2**63 - 1]),
           st.floats(), st.floats(0, 400), st.booleans(), _MOMENTS | _EDGE_MOMENTS,
           st.sampled_from(["review", "cram", "undo", "concept", "redo", "", "\udc9b"]),
           st.text(max_size=4), _JSON | _DEEP, st.lists(st.text(max_size=2), max_size=3),
           st.dictionaries(st.text(max_size=2), st.integers(), max_size=3)]


@settings(max_examples=1500, deadline=None)
@given(data=st.data(), kind=st.sampled_from(range(len(_VALUES))), nones=st.booleans())
def test_a_column_checked_whole_is_refused_where_the_first_value_is(
        data: st.DataObject, kind: int, nones: bool) -> None:
    """`first_problem` (a batch of an import, checked column by column) names the value that
    asking `problem` of each in turn names first, for every rule and values of every kind;
    mostly of one kind per column, as a file quiz wrote holds them."""
    values = st.none() | _VALUES[kind] if nones else _VALUES[kind]
    column = data.draw(st.lists(values | st.sampled_from([None, "x", 1.5, [], {}])
                                if data.draw(st.booleans()) else values, max_size=12))
    for rule in RULES:
        expected = next((at for at, value in enumerate(column)
                         if rule.problem(value) is not None), None)
        assert rule.first_problem(column) == expected, (rule.table, rule.column, column)


def test_no_traceback_through_the_real_command(tmp_path: Path, exported: dict[str, Any]) -> None:
    """A rating no quiz writes, through `python -m quiz` (the CLI's own process)."""
    _set(exported, "reviews", 1, "rating", 99)
    path = tmp_path / "big-int.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    target = tmp_path / "target.db"
    result = subprocess.run(
        [sys.executable, "-m", "quiz", "--db", f"sqlite:///{target}", "import-history",
         str(path)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "table reviews, row 1, field rating: 99 is outside 0..4" in result.stderr
    assert not target.exists()


def test_a_refusal_late_in_the_review_log_rolls_everything_back(
        db_url: str, bank_dir: Path, capsys: pytest.CaptureFixture[str],
        exported: dict[str, Any], tmp_path: Path) -> None:
    """On each backend: the import drops the log's indexes and the totals' triggers for speed
    and inserts the rows before the bad one, all in its transaction; a refusal at the last
    review takes every row back and puts the indexes and triggers back as they were: the
    synced database is left exactly as it was."""
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "test", FIXED_NOW)
    db.close()
    before = _state(db_url)
    _set(exported, "reviews", len(exported["tables"]["reviews"]["rows"]), "rating", 99)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    code, _, err = quiz(capsys, "--db", db_url, "import-history", str(path))
    assert code != 0 and "field rating" in err and "nothing was changed" in err
    assert _state(db_url) == before


def _state(url: str) -> dict[str, object]:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        tables = sorted(found.get_table_names())
        with engine.connect() as connection:
            rows = {name: sorted(repr(tuple(row)) for row in connection.execute(
                text(f'SELECT * FROM "{name}"'))) for name in tables}
            if engine.dialect.name == "sqlite":
                triggers = connection.scalars(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
            else:
                triggers = connection.scalars(text(
                    "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")).all()
        indexes = {name: sorted(str(index["name"]) for index in found.get_indexes(name))
                   for name in tables}
        return {"rows": rows, "indexes": indexes, "triggers": sorted(triggers)}
    finally:
        engine.dispose()
