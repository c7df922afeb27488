"""Schema 4 (issue 21): recorded answers carry a key unique per learner. A schema-3 database
upgrades in place — its log untouched, the answers it recorded (without a key) still found when a
sheet is recorded again — and a history file exported by schema 3 (no answer_key column) still
imports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select, text

from quiz.commands.recording import Answer, record_answers
from quiz.store.actions import answer_key, apply_review
from quiz.store.db import open_database
from quiz.store.history import export_history, import_history
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import import_bank
from quiz.store.tables import REVIEWS, SCHEMA_VERSION
from tests.conftest import FIXED_NOW

OLD = Answer("conv-1x1", None, "跨通道组合", "right", 3)
NEW = Answer("rf-basics", None, "逐层累加", "right", 3)


def _as_schema_3(url: str) -> None:
    """What schema 3 had: no answer_key column, no unique index on it, version 3."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ux_reviews_answer")
        connection.exec_driver_sql("ALTER TABLE reviews DROP COLUMN answer_key")
        connection.exec_driver_sql("UPDATE schema_info SET version = 3")
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA user_version = 3")
    engine.dispose()


def _reviews(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(
            "SELECT id, question_id, seed, answer_text, verdict, rating FROM reviews ORDER BY id"))]
    engine.dispose()
    return rows


def _record(url: str, bank_dir: Path, answers: list[Answer]) -> tuple[int, int]:
    return record_answers(argparse.Namespace(db=url, learner=None), str(bank_dir), answers)


def test_a_schema_3_database_upgrades_and_its_recorded_answers_stay_found(
        db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    import_bank(db, bank_dir, str(bank_dir.resolve()), FIXED_NOW)
    # an answer recorded by schema 3: logged with its seed and text, without a key
    apply_review(db, make_scheduler(), OLD.question_id, Grade.GOOD, FIXED_NOW, seed=OLD.seed,
                 answer_text=OLD.answer_text, verdict=OLD.verdict)
    db.close()
    _as_schema_3(db_url)
    before = _reviews(db_url)

    open_database(db_url).close()
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT max(version) FROM schema_info")).scalar() \
            == SCHEMA_VERSION == 4
        indexes = {index["name"]: index for index in inspect(connection).get_indexes("reviews")}
        assert indexes["ux_reviews_answer"]["unique"]
        assert indexes["ux_reviews_answer"]["column_names"] == ["learner_id", "answer_key"]
        assert connection.execute(select(REVIEWS.c.answer_key)).scalars().all() == [None]
    engine.dispose()
    assert _reviews(db_url) == before

    assert _record(db_url, bank_dir, [OLD, NEW]) == (1, 1)
    assert _record(db_url, bank_dir, [OLD, NEW]) == (0, 2)
    engine = create_engine(db_url)
    with engine.connect() as connection:
        keys = connection.execute(select(REVIEWS.c.answer_key).order_by(REVIEWS.c.id)).scalars()
        assert list(keys) == [None, answer_key(NEW.question_id, NEW.seed, NEW.answer_text)]
    engine.dispose()


def test_a_schema_3_history_file_imports(db_url: str, make_db_url: Any, bank_dir: Path) -> None:
    source = make_db_url()
    assert _record(source, bank_dir, [OLD]) == (1, 0)
    db = open_database(source)
    try:
        exported = export_history(db, FIXED_NOW)
    finally:
        db.close()
    reviews = exported["tables"]["reviews"]
    assert "answer_key" in reviews["columns"]  # schema 4 exports it
    at = reviews["columns"].index("answer_key")
    reviews["columns"].pop(at)
    for row in reviews["rows"]:
        row.pop(at)
    exported["schema_version"] = 3

    target = open_database(db_url)
    try:
        assert import_history(target, exported)["reviews"] == 1
    finally:
        target.close()
    assert [row[1:] for row in _reviews(db_url)] == [
        (OLD.question_id, None, OLD.answer_text, "right", 3)]
    # recording the sheet again finds the imported answer (by its text: it has no key)
    assert _record(db_url, bank_dir, [OLD]) == (0, 1)
