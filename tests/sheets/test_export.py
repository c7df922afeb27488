"""`quiz export` (--json, --csv, --anki) and `quiz import-history`."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from quiz.bank.parser import load_bank
from quiz.numeric import fixed_seeds, load_templates
from quiz.paths import bundled_bank_dir
from quiz.store.actions import apply_review
from quiz.store.db import open_database
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW
from tests.sheets.sheet_helpers import quiz

RATINGS = ((0, "conv-1x1", Grade.GOOD), (1, "rf-basics", Grade.AGAIN),
           (2, "conv-1x1", Grade.EASY), (30, "rf-basics", Grade.HARD))


@pytest.fixture
def studied_db(tmp_path: Path, bank_dir: Path) -> str:
    """A database with the small bank and four reviews (seeds, answers, durations)."""
    url = f"sqlite:///{tmp_path / 'studied.db'}"
    db = open_database(url)
    sync_bank(db, load_bank(bank_dir), "test", FIXED_NOW)
    scheduler = make_scheduler(fuzz=False)
    for minutes, question_id, grade in RATINGS:
        apply_review(db, scheduler, question_id, grade, FIXED_NOW + timedelta(minutes=minutes),
                      duration_ms=1000 + minutes, seed=minutes, answer_text=f"答 {minutes}",
                      verdict="right")
    db.close()
    return url


def table_rows(url: str) -> dict[str, list[tuple]]:
    """Every table's rows straight from SQLite (not through the exporter)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {name: sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{name}"'))),
                                 key=repr)
                    for name in inspect(engine).get_table_names()}
    finally:
        engine.dispose()


def test_json_round_trip_is_lossless(tmp_path: Path, studied_db: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "history.json"
    assert quiz(capsys, "--db", studied_db, "export", "--json", str(exported))[0] == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["format_version"] >= 1 and data["schema_version"] >= 1
    assert len(data["tables"]["reviews"]["rows"]) == len(RATINGS)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    code, _, err = quiz(capsys, "--db", target, "import-history", str(exported))
    assert code == 0, err
    assert table_rows(target) == table_rows(studied_db)
    again = tmp_path / "again.json"
    assert quiz(capsys, "--db", target, "export", "--json", str(again))[0] == 0
    second = json.loads(again.read_text(encoding="utf-8"))
    assert second["tables"] == data["tables"]


def test_import_into_a_synced_but_unstudied_database(
        tmp_path: Path, bank_dir: Path, studied_db: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "history.json"
    quiz(capsys, "--db", studied_db, "export", "--json", str(exported))
    target = f"sqlite:///{tmp_path / 'synced.db'}"
    db = open_database(target)  # the bank synced a day later: same ids, no reviews
    sync_bank(db, load_bank(bank_dir), "test", FIXED_NOW + timedelta(days=1))
    db.close()
    code, _, err = quiz(capsys, "--db", target, "import-history", str(exported))
    assert code == 0, err
    assert table_rows(target) == table_rows(studied_db)


def test_import_refuses_a_newer_format_and_a_studied_target(
        tmp_path: Path, studied_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "history.json"
    quiz(capsys, "--db", studied_db, "export", "--json", str(exported))
    data = json.loads(exported.read_text(encoding="utf-8"))
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**data, "format_version": data["format_version"] + 1}),
                     encoding="utf-8")
    target = f"sqlite:///{tmp_path / 'target.db'}"
    code, _, err = quiz(capsys, "--db", target, "import-history", str(newer))
    assert code != 0 and "newer" in err
    assert not (tmp_path / "target.db").exists()  # refused before a database is made
    code, _, err = quiz(capsys, "--db", studied_db, "import-history", str(exported))
    assert code != 0 and "already has reviews" in err


def test_import_is_all_or_nothing(tmp_path: Path, studied_db: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    exported = tmp_path / "history.json"
    quiz(capsys, "--db", studied_db, "export", "--json", str(exported))
    data = json.loads(exported.read_text(encoding="utf-8"))
    reviews = data["tables"]["reviews"]
    column = reviews["columns"].index("question_id")
    reviews["rows"][-1][column] = "no-such-question"  # breaks the foreign key at the very end
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    target = f"sqlite:///{tmp_path / 'target.db'}"
    code, _, err = quiz(capsys, "--db", target, "import-history", str(broken))
    assert code != 0 and "nothing was changed" in err
    assert "table reviews, row 4, field question_id" in err
    assert not (tmp_path / "target.db").exists()  # the file this import made is gone again


def test_csv_has_the_optimiser_columns(tmp_path: Path, studied_db: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "revlog.csv"
    assert quiz(capsys, "--db", studied_db, "export", "--csv", str(out))[0] == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["card_id", "review_time", "review_rating", "review_state",
                             "review_duration"]
    start_ms = int(FIXED_NOW.timestamp()) * 1000
    assert [(r["card_id"], int(r["review_time"]), int(r["review_rating"]),
             int(r["review_duration"])) for r in rows] == [
        (qid, start_ms + minutes * 60_000, int(grade), 1000 + minutes)
        for minutes, qid, grade in RATINGS]
    # state before each review: new (0) for a card's first, then what the previous one left
    db_rows = table_rows(studied_db)["reviews"]
    assert [int(r["review_state"]) for r in rows][:2] == [0, 0]
    engine = create_engine(studied_db)
    with engine.connect() as connection:
        after = dict(connection.execute(text(
            "SELECT question_id, state_after FROM reviews WHERE id IN (1, 2)")).all())
    engine.dispose()
    assert int(rows[2]["review_state"]) == after["conv-1x1"]
    assert int(rows[3]["review_state"]) == after["rf-basics"]
    assert len(db_rows) == len(rows)


def test_anki_package_holds_every_note(tmp_path: Path, bank_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(bundled_bank_dir() / "numeric-receptive-field.md", bank_dir)
    questions = load_bank(bank_dir)
    templates = load_templates(questions)
    concepts = [q for q in questions if q.id not in templates]
    deck = tmp_path / "quiz.apkg"
    code, _, err = quiz(capsys, "export", "--anki", str(deck), "--path", str(bank_dir))
    assert code == 0, err
    assert zipfile.is_zipfile(deck)
    with zipfile.ZipFile(deck) as package:
        assert "collection.anki2" in package.namelist()
        (tmp_path / "collection.anki2").write_bytes(package.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    notes = connection.execute("SELECT flds, tags FROM notes").fetchall()
    decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
    connection.close()
    expected_numeric = sum(len(fixed_seeds(t)) + 3 for t in templates.values())
    assert len(notes) == len(concepts) + expected_numeric
    topics = {q.tags[0] for q in questions}
    assert {f"CNN 面试题::{topic}" for topic in topics} <= {d["name"] for d in decks.values()}
    one_by_one = next(fields for fields, _ in notes if "conv-1x1" in fields)
    assert "\\(C_{in} \\cdot C_{out}\\)" in one_by_one and "000#2.2, 001#Q7" in one_by_one
    assert all("卷积" in tags or "感受野" in tags or "池化" in tags or "数值计算" in tags
               for _, tags in notes)
