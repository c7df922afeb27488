"""The per-deck totals and the cards' copies of their question's deck that SQLite triggers keep
(quiz.store.deck_totals), and the hourly rating totals (quiz.store.log_totals): equal to a
recount of the raw rows after random writes of every kind, after a bulk sync (triggers dropped
and rebuilt), and rebuilt when missing; and the day's ratings right when the day starts off the
hour."""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from quiz.bank import parse_text
from quiz.store import deck_totals, open_database, sync_bank
from quiz.store import sync as sync_module
from quiz.store.db import Database
from quiz.store.models import ReviewRow
from quiz.store.service import counts
from quiz.store.settings import Settings
from tests.conftest import FIXED_NOW, numbered_bank

QUESTIONS = 30
DECKS = 4
Totals = dict[tuple[str, str], tuple[int, int, int]]


def _recount(connection: sqlite3.Connection) -> tuple[Totals, dict[str, tuple[str, int]]]:
    """(deck, kind): live questions, their cards, their unseen unsuspended cards; and each
    card's expected (deck, live) — from the raw rows, without the code under test."""
    questions = {qid: (deck, kind, retired is None) for qid, deck, kind, retired in
                 connection.execute("SELECT id, deck, kind, retired_at FROM questions")}
    cards = {qid: (last, suspended) for qid, last, suspended in
             connection.execute("SELECT question_id, last_review, suspended FROM cards")}
    totals: dict[tuple[str, str], list[int]] = {}
    for qid, (deck, kind, live) in questions.items():
        if not live:
            continue
        entry = totals.setdefault((deck, kind), [0, 0, 0])
        entry[0] += 1
        if qid in cards:
            entry[1] += 1
            entry[2] += cards[qid][0] is None and cards[qid][1] == 0
    copies = {qid: (questions[qid][0], int(questions[qid][2])) if qid in questions else
              ("", 0) for qid in cards}
    return {key: (a, b, c) for key, (a, b, c) in totals.items()}, copies


def _stored(connection: sqlite3.Connection) -> tuple[Totals, dict[str, tuple[str, int]]]:
    totals = {(deck, kind): (questions, cards, unseen) for deck, kind, questions, cards, unseen
              in connection.execute(f"SELECT deck, kind, questions, cards, unseen "
                                    f"FROM {deck_totals.TABLE}")
              if (questions, cards, unseen) != (0, 0, 0)}
    copies = {qid: (deck, live) for qid, deck, live in
              connection.execute("SELECT question_id, deck, live FROM cards")}
    return totals, copies


def _random_write(connection: sqlite3.Connection, rng: random.Random, step: int) -> None:
    """One write of a kind the store (or an older quiz, or doctor) makes."""
    ids = [qid for (qid,) in connection.execute("SELECT id FROM questions")]
    qid = rng.choice(ids)
    moment = (FIXED_NOW - timedelta(hours=rng.uniform(0, 48))).strftime("%Y-%m-%d %H:%M:%S.%f")
    choice = rng.randrange(10)
    if choice == 0:
        connection.execute("UPDATE questions SET deck = ? WHERE id = ?",
                           (f"主题{rng.randrange(DECKS + 1)}", qid))
    elif choice == 1:
        connection.execute("UPDATE questions SET kind = ? WHERE id = ?",
                           (rng.choice(("concept", "numeric")), qid))
    elif choice == 2:
        connection.execute("UPDATE questions SET retired_at = ? WHERE id = ?",
                           (rng.choice((None, moment)), qid))
    elif choice == 3:
        connection.execute("UPDATE cards SET last_review = ? WHERE question_id = ?",
                           (rng.choice((None, moment)), qid))
    elif choice == 4:
        connection.execute("UPDATE cards SET suspended = ? WHERE question_id = ?",
                           (rng.randint(0, 1), qid))
    elif choice == 5:  # a card deleted and put back (doctor: orphan card, missing card)
        connection.execute("DELETE FROM cards WHERE question_id = ?", (qid,))
        if rng.random() < 0.5:
            connection.execute(
                "INSERT INTO cards (question_id, state, due, last_review, suspended, lapses, "
                "leech, flagged, new_rank) VALUES (?, 1, ?, ?, 0, 0, 0, 0, 0)",
                (qid, moment, rng.choice((None, moment))))
    elif choice == 6:  # a new question, its card inserted as the ORM does (no copy)
        new = f"n{step}"
        connection.execute(
            "INSERT INTO questions (id, bank, title, answer, sources, tags, kind, origin, "
            "difficulty, topic, deck, blocks, file, line, content_hash, created_at, updated_at,"
            " retired_at) VALUES (?, 'b', 't', 'a', '[]', '[]', ?, 'sourced', 2, 't', ?, '[]', "
            "'f', 1, 'h', ?, ?, ?)",
            (new, rng.choice(("concept", "numeric")), f"主题{rng.randrange(DECKS)}", moment,
             moment, rng.choice((None, None, moment))))
        if rng.random() < 0.8:
            connection.execute(
                "INSERT INTO cards (question_id, state, due, suspended, lapses, leech, flagged, "
                "new_rank) VALUES (?, 1, ?, 0, 0, 0, 0, 0)", (new, moment))
    elif choice == 7:  # a question without reviews deleted, its card first
        if connection.execute("SELECT 1 FROM reviews WHERE question_id = ?",
                              (qid,)).fetchone() is None:
            connection.execute("DELETE FROM cards WHERE question_id = ?", (qid,))
            connection.execute("DELETE FROM questions WHERE id = ?", (qid,))
    elif choice == 8:  # a change that is no change: nothing must move
        connection.execute("UPDATE questions SET deck = deck, kind = kind, "
                           "retired_at = retired_at WHERE id = ?", (qid,))
    else:
        connection.execute("UPDATE cards SET buried_until = ?, state = ?, due = ? "
                           "WHERE question_id = ?", (moment, rng.randint(1, 3), moment, qid))


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "totals.db"
    db = open_database(f"sqlite:///{path}")
    sync_bank(db, parse_text(numbered_bank(QUESTIONS, DECKS, id_digits=2), "bank.md"), "b",
              FIXED_NOW)
    db.close()
    yield path


@pytest.mark.parametrize("seed", range(12))
def test_triggers_keep_the_totals_equal_to_a_recount(synced: Path, seed: int) -> None:
    rng = random.Random(seed)
    connection = sqlite3.connect(synced, isolation_level=None)
    connection.execute("PRAGMA foreign_keys=ON")
    try:
        assert _stored(connection) == _recount(connection)
        for step in range(60):
            _random_write(connection, rng, step)
            assert _stored(connection) == _recount(connection), f"after step {step}"
    finally:
        connection.close()


def test_a_missing_trigger_makes_the_next_open_rebuild_the_totals(synced: Path) -> None:
    connection = sqlite3.connect(synced, isolation_level=None)
    connection.execute("DROP TRIGGER deck_totals_card_update")
    connection.execute("UPDATE cards SET last_review = '2026-03-01 00:00:00.000000' "
                       "WHERE question_id IN ('q00', 'q05')")
    assert _stored(connection) != _recount(connection)  # the drift the trigger prevents
    connection.close()
    open_database(f"sqlite:///{synced}").close()
    connection = sqlite3.connect(synced)
    try:
        assert _stored(connection) == _recount(connection)
        names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        assert set(deck_totals.OBJECTS) <= names
    finally:
        connection.close()


@pytest.mark.parametrize("chunk", [4, 10_000])
def test_a_bulk_sync_rebuilds_what_triggers_would_have_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """With a small INSERT_CHUNK the first import and a large retirement go the bulk way
    (triggers dropped, totals rebuilt at the end); with a large one, row by row. Both end with
    the same totals, equal to a recount, and every trigger in place."""
    monkeypatch.setattr(sync_module, "INSERT_CHUNK", chunk)
    suspended: list[object] = []
    real_suspend = deck_totals.suspend
    monkeypatch.setattr(deck_totals, "suspend",
                        lambda connection: suspended.append(1) or real_suspend(connection))
    path = tmp_path / f"bulk{chunk}.db"
    db = open_database(f"sqlite:///{path}")
    dumps = []
    for count, decks in ((QUESTIONS, DECKS), (QUESTIONS + 6, DECKS + 1), (8, 2)):
        sync_bank(db, parse_text(numbered_bank(count, decks, id_digits=2), "bank.md"), "b",
                  FIXED_NOW)
        connection = sqlite3.connect(path)
        stored = _stored(connection)
        assert stored == _recount(connection)
        names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        connection.close()
        assert set(deck_totals.TRIGGERS) <= names
        dumps.append(stored)
    db.close()
    # The first import and the retirement of most of the bank went the bulk way, or none did.
    assert len(suspended) == (0 if chunk > QUESTIONS else 2)
    live = Counter(f"主题{n % 2}" for n in range(8))
    assert {deck: questions for (deck, _kind), (questions, _c, _u) in dumps[-1][0].items()} \
        == live


def _rate(db: Database, moments: list[tuple[str, object]]) -> None:
    with db.sessions.begin() as session:
        session.execute(insert(ReviewRow), [
            {"question_id": qid, "reviewed_at": moment, "rating": 3, "content_hash": "h",
             "state_after": 2, "due_after": moment, "kind": "review", "state_before": 2}
            for qid, moment in moments])


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu"])
def test_ratings_of_the_day_when_it_starts_off_the_hour(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    """A day starting at 4:00 local time in a :30 or :45 time zone starts off the UTC hour: the
    ratings between its start and the next whole hour are counted from the log, the rest from
    the hourly totals — together exactly the ratings since the day started."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        db = open_database(f"sqlite:///{tmp_path / 'day.db'}")
        sync_bank(db, parse_text(numbered_bank(6, 2), "bank.md"), "b", FIXED_NOW)
        settings = Settings(day_starts_at=4)
        from quiz.store.days import start_of_day

        now = FIXED_NOW + timedelta(hours=30)
        day_start = start_of_day(now, settings.day_starts_at)
        offsets = [-3600, -61, -1, 0, 1, 59 * 60, 61 * 60, 3 * 3600, 7 * 3600]
        _rate(db, [(f"q{n % 6}", day_start + timedelta(seconds=offset))
                   for n, offset in enumerate(offsets)])
        expected = sum(1 for offset in offsets
                       if day_start + timedelta(seconds=offset) <= now and offset >= 0)
        assert counts(db, now, settings=settings).reviews_today == expected
        db.close()
    finally:
        monkeypatch.undo()
        time.tzset()
