"""The per-card totals of the review log that SQLite triggers keep (quiz.store.log_totals): equal
to a recount of the log after random ratings, crams and undos, equal to a rebuild from the log,
rebuilt when missing, and refilled by the reviews of an imported history."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from quiz.bank import parse_text
from quiz.store import open_database, sync_bank
from quiz.store.db import Database
from quiz.store.history import export_history, import_history
from quiz.store.log_totals import TABLE, rebuild
from quiz.store.models import ReviewRow
from tests.conftest import FIXED_NOW

QUESTIONS = 8
Totals = dict[str, tuple[int, int, int, int, str | None, str | None]]


def _bank() -> str:
    return "\n".join(["# 主题\n"] + [
        f"## 问题 {n}？\n\n```meta\nid: q{n}\nsources: 000#{n + 1}\ntags: 主题\nkind: concept\n"
        f"```\n\n答案 {n}。\n" for n in range(QUESTIONS)])


def _log(rng: random.Random) -> list[dict[str, object]]:
    """Ratings and crams (some with no state before), undos of some — one twice, one naming an
    undo row, one naming no row — in id order."""
    rows: list[dict[str, object]] = []
    for _ in range(rng.randint(1, 60)):
        moment = FIXED_NOW - timedelta(hours=rng.uniform(0, 500))
        rows.append({"question_id": f"q{rng.randrange(QUESTIONS)}", "reviewed_at": moment,
                     "rating": rng.randint(1, 4), "content_hash": "h", "state_after": 2,
                     "due_after": moment, "kind": rng.choice(("review", "review", "cram")),
                     "state_before": rng.choice((None, 0, 1, 2, 2, 3))})
        if rng.random() < 0.25:
            target = rng.randint(1, len(rows))
            for _twice in range(rng.choice((1, 1, 2))):
                rows.append({"question_id": "q0", "reviewed_at": moment, "rating": 0,
                             "content_hash": "h", "state_after": 2, "due_after": moment,
                             "kind": "undo", "undoes": target})
    rows.append({"question_id": "q1", "reviewed_at": FIXED_NOW, "rating": 0,
                 "content_hash": "h", "state_after": 2, "due_after": FIXED_NOW,
                 "kind": "undo", "undoes": 10_000})
    for number, row in enumerate(rows, start=1):
        row["id"] = number
    return rows


def _recount(rows: list[dict[str, object]]) -> Totals:
    """Per card: counted ratings, recalled, graded, graded recalled, first counted review,
    latest counted rating."""
    undone = {row["undoes"] for row in rows if row["kind"] == "undo"}
    totals: dict[str, list[int]] = {}
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for row in rows:
        if row["kind"] not in ("review", "cram") or row["id"] in undone:
            continue
        qid = str(row["question_id"])
        entry = totals.setdefault(qid, [0, 0, 0, 0])
        recalled = int(str(row["rating"])) > 1
        graded = row["kind"] == "review" and row["state_before"] == 2
        entry[0] += 1
        entry[1] += recalled
        entry[2] += graded
        entry[3] += graded and recalled
        moment = row["reviewed_at"]
        assert isinstance(moment, datetime)
        if row["kind"] == "review":
            first[qid] = min(first.get(qid, moment), moment)
        last[qid] = max(last.get(qid, moment), moment)
    return {qid: (n, ok, graded, graded_ok, _text(first.get(qid)), _text(last.get(qid)))
            for qid, (n, ok, graded, graded_ok) in totals.items() if n}


def _text(moment: datetime | None) -> str | None:
    """As SQLAlchemy stores a UTC moment in SQLite."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") if moment else None


def _stored(db: Database) -> Totals:
    with db.engine.connect() as connection:
        rows = connection.execute(text(
            f"SELECT question_id, ratings, recalled, graded, graded_recalled, first_review, "
            f"last_rating FROM {TABLE}"))
        return {qid: (n, ok, graded, graded_ok, first, last)
                for qid, n, ok, graded, graded_ok, first, last in rows if n}


def _database(path: Path) -> Database:
    db = open_database(f"sqlite:///{path}")
    sync_bank(db, parse_text(_bank(), "bank.md"), "b", FIXED_NOW)
    return db


@pytest.mark.parametrize("seed", range(10))
def test_the_triggers_keep_the_totals_a_rebuild_and_a_recount_give(tmp_path: Path,
                                                                   seed: int) -> None:
    rng = random.Random(seed)
    db = _database(tmp_path / "totals.db")
    rows = _log(rng)
    with db.sessions.begin() as session:
        # One at a time, as ratings arrive, and the rest at once.
        half = len(rows) // 2
        for row in rows[:half]:
            session.execute(insert(ReviewRow), [row])
        session.execute(insert(ReviewRow), rows[half:])
    expected = _recount(rows)
    assert _stored(db) == expected
    with db.engine.begin() as connection:
        rebuild(connection)
    assert _stored(db) == expected
    db.close()


def test_missing_totals_are_rebuilt_when_the_database_opens(tmp_path: Path) -> None:
    path = tmp_path / "rebuilt.db"
    db = _database(path)
    rows = _log(random.Random(7))
    with db.sessions.begin() as session:
        session.execute(insert(ReviewRow), rows)
    db.close()
    connection = sqlite3.connect(path)
    connection.executescript(f"DROP TRIGGER card_review_totals_undo; DELETE FROM {TABLE};")
    connection.close()
    db = open_database(f"sqlite:///{path}")
    assert _stored(db) == _recount(rows)
    db.close()


def test_an_imported_history_fills_the_totals_through_its_reviews(tmp_path: Path) -> None:
    source = _database(tmp_path / "source.db")
    rows = _log(random.Random(3))
    with source.sessions.begin() as session:
        session.execute(insert(ReviewRow), rows)
    data = export_history(source)
    assert TABLE not in data.get("tables", data)
    target = open_database(f"sqlite:///{tmp_path / 'target.db'}")
    import_history(target, data)
    assert _stored(target) == _stored(source) == _recount(rows)
    source.close()
    target.close()
