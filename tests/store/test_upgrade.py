"""Databases made by earlier versions on main open with this one, their history kept and their
derived data built: here, a PostgreSQL database as the version before the one-path store made it
(the models' tables and indexes only: no trigger, no derived table, no card copies, settings keys
of VARCHAR(60)). SQLite's upgrade from schema 1 is tested in test_store_study."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from quiz.bank.parser import load_bank
from quiz.store import derived
from quiz.store.actions import apply_review
from quiz.store.counts import due_counts, home_figures
from quiz.store.db import INDEXES, open_database
from quiz.store.log import history
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.settings import Settings, set_value
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW

pytestmark = pytest.mark.postgresql_only


def _as_the_previous_version_made_it(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in derived.POSTGRESQL_FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION {name} CASCADE")  # and their triggers
        for table in ("deck_totals", "card_review_totals", "rating_hours"):
            connection.exec_driver_sql(f"DROP TABLE {table}")
        for index in (*INDEXES, *derived.INDEXES):
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
        connection.exec_driver_sql("ALTER TABLE cards DROP COLUMN deck, DROP COLUMN live")
        connection.exec_driver_sql("DELETE FROM settings")
        connection.exec_driver_sql("ALTER TABLE settings ALTER COLUMN key TYPE VARCHAR(60)")
    engine.dispose()


def test_a_postgresql_database_of_the_previous_version_opens_with_its_history(
        db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    scheduler = make_scheduler(fuzz=False)
    apply_review(db, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW)
    apply_review(db, scheduler, "rf-basics", Grade.AGAIN, FIXED_NOW)
    settings = Settings()
    expected = home_figures(db, FIXED_NOW, settings)
    db.close()

    _as_the_previous_version_made_it(db_url)
    db = open_database(db_url)
    try:
        assert home_figures(db, FIXED_NOW, settings) == expected
        assert due_counts(db, FIXED_NOW, settings) == expected.counts
        assert [entry.question_id for entry in history(db)] == ["conv-1x1", "rf-basics"]
        # A bank folder's fingerprint key is longer than the old VARCHAR(60).
        set_value(db, "bank_fingerprint:" + "/a-long-folder" * 10, "digest")
        # The derived data is kept from now on: a rating moves the counts.
        apply_review(db, scheduler, "pool-role", Grade.GOOD, FIXED_NOW)
        after = due_counts(db, FIXED_NOW, settings)
        assert after.new_today == expected.counts.new_today + 1
        with db.engine.connect() as connection, pytest.raises(Exception, match="append-only"):
            connection.exec_driver_sql("DELETE FROM reviews")
    finally:
        db.close()
