"""A database made by quiz before learners (schema 2, made by main at 8ee3528 with
`data/make_schema2.py`: ratings over three days, an undo, a cram rating, a flag, a suspension, a
bury, extra new cards, a setting) upgrades to learners without loss: a backup first (SQLite),
every review and card kept and given to the default learner, the counts and statistics that
version computed (`data/schema2_figures.json`, written by it) unchanged, and the upgraded
database studies, undoes, and takes a second learner who sees none of the first one's history."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from quiz.store.actions import apply_review, undo_review
from quiz.store.counts import due_counts, home_figures
from quiz.store.db import open_database
from quiz.store.learners import add_learner, learner_summaries
from quiz.store.log import history
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.settings import load_settings
from quiz.store.stats import study_stats
from quiz.store.tables import DEFAULT_LEARNER, DEFAULT_LEARNER_ID, REVIEWS, SCHEMA_VERSION

DATA = Path(__file__).with_name("data")
FIGURES = json.loads((DATA / "schema2_figures.json").read_text(encoding="utf-8"))
AT = datetime.fromisoformat(FIGURES["at"])
REVIEW_COLUMNS = ("id, question_id, reviewed_at, rating, duration_ms, content_hash, state_after, "
                  "stability_after, difficulty_after, due_after, seed, answer_text, verdict, "
                  "kind, undoes, state_before")
CARD_COLUMNS = ("question_id, state, step, stability, difficulty, due, last_review, lapses, "
                "leech, suspended, buried_until, flagged, new_rank")


def _schema2_database(db_backend: str, db_url: str) -> None:
    if db_backend == "sqlite":
        shutil.copyfile(DATA / "schema2.db", db_url.removeprefix("sqlite:///"))
        return
    engine = create_engine(db_url)
    raw = engine.raw_connection()
    try:
        # The driver's own execute without parameters: the dump's `%` are not placeholders.
        raw.cursor().execute((DATA / "schema2_postgresql.sql").read_text(encoding="utf-8"))
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(str(value) for value in row)
                    for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def _saved_cards(url: str) -> list[tuple[int, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                select(REVIEWS.c.id, REVIEWS.c.card_before).order_by(REVIEWS.c.id))]
    finally:
        engine.dispose()


@pytest.fixture
def upgraded(db_backend: str, db_url: str) -> dict[str, Any]:
    _schema2_database(db_backend, db_url)
    before = {
        "reviews": _rows(db_url, f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY id"),
        "cards": _rows(db_url, f"SELECT {CARD_COLUMNS} FROM cards ORDER BY question_id"),
        "card_before": _saved_cards(db_url),
    }
    assert len(before["reviews"]) == 26 and len(before["cards"]) == 18
    return {"url": db_url, "before": before}


def test_the_upgrade_keeps_every_review_and_card_for_the_default_learner(
        upgraded: dict[str, Any]) -> None:
    url, before = upgraded["url"], upgraded["before"]
    open_database(url).close()
    assert _rows(url, f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY id") == before["reviews"]
    assert _rows(url, f"SELECT {CARD_COLUMNS} FROM cards ORDER BY question_id") == before["cards"]
    assert _rows(url, "SELECT DISTINCT learner_id FROM reviews") == [(str(DEFAULT_LEARNER_ID),)]
    assert _rows(url, "SELECT DISTINCT learner_id FROM cards") == [(str(DEFAULT_LEARNER_ID),)]
    assert _rows(url, "SELECT id, name FROM learners") == [(str(DEFAULT_LEARNER_ID),
                                                            DEFAULT_LEARNER)]
    assert _rows(url, "SELECT max(version) FROM schema_info") == [(str(SCHEMA_VERSION),)]
    assert _saved_cards(url) == before["card_before"]  # what undo restores, as decoded JSON


def test_the_upgraded_database_counts_what_the_old_version_counted(
        upgraded: dict[str, Any]) -> None:
    db = open_database(upgraded["url"])
    try:
        settings = load_settings(db)
        assert settings.new_per_day == 30
        assert vars(due_counts(db, AT, settings)) == FIGURES["due"]
        assert [vars(deck) for deck in home_figures(db, AT, settings).decks] == FIGURES["home"]
        stats = study_stats(db, AT, settings)
        assert stats.total_reviews == FIGURES["total_reviews"]
        assert stats.true_retention == FIGURES["true_retention"]
        assert stats.cards_by_state == FIGURES["cards_by_state"]
        assert [list(day) for day in stats.reviews_per_day] == FIGURES["reviews_per_day"]
    finally:
        db.close()


def test_the_upgraded_database_studies_undoes_and_takes_a_second_learner(
        upgraded: dict[str, Any]) -> None:
    db = open_database(upgraded["url"])
    try:
        settings = load_settings(db)
        logged = history(db)
        assert len(logged) == 24  # 24 ratings and a cram one, less the undone one
        # The latest rating made before the upgrade can still be undone: its card comes back.
        last = logged[-1]
        undo_review(db, last.review_id, AT)
        assert last.review_id not in {entry.review_id for entry in history(db)}
        scheduler = make_scheduler(fuzz=False)
        outcome = apply_review(db, scheduler, last.question_id, Grade.GOOD,
                               AT + timedelta(minutes=1), settings=settings)
        assert outcome.review_id > 26  # ids go on after the upgraded ones
        # The log is still append-only.
        with pytest.raises(SQLAlchemyError), db.write_connection() as connection:
            connection.execute(text("UPDATE reviews SET rating = 4"))
        alice = add_learner(db, "alice", AT, "Alice")
        as_alice = db.as_learner(alice.id, alice.name)
        assert history(as_alice) == []
        fresh = due_counts(as_alice, AT, settings)
        assert (fresh.due, fresh.learning, fresh.reviews_today, fresh.total) == (0, 0, 0, 18)
        assert fresh.new == min(18 - 0, settings.new_per_day)
        summaries = {s.learner.name: s for s in learner_summaries(db, AT)}
        assert summaries["alice"].reviews == 0
        assert summaries[DEFAULT_LEARNER].reviews == FIGURES["total_reviews"]  # -1 undone +1
    finally:
        db.close()


@pytest.mark.sqlite_only
def test_the_sqlite_upgrade_backs_the_file_up_first(upgraded: dict[str, Any]) -> None:
    path = Path(upgraded["url"].removeprefix("sqlite:///"))
    original = path.read_bytes()
    open_database(upgraded["url"]).close()
    backups = sorted(path.parent.glob(f"{path.name}.v2-backup-*"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as copy:
        assert copy.execute("PRAGMA user_version").fetchone() == (2,)
        assert copy.execute("SELECT count(*) FROM reviews").fetchone() == (26,)
    with sqlite3.connect(DATA / "schema2.db") as source, sqlite3.connect(backups[0]) as copy:
        assert list(source.iterdump()) == list(copy.iterdump())
    assert path.read_bytes() != original
