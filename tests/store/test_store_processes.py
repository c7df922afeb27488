"""What happens with real processes: two writers on one card, a held lock, concurrent first
opens and imports, SIGKILL during ratings; and files that are not (or no longer) quiz's."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from quiz.bank.parser import load_bank
from quiz.store import StoreError
from quiz.store.actions import apply_review
from quiz.store.db import open_database
from quiz.store.models import ReviewRow
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import sync_bank
from quiz.store.tables import SCHEMA_VERSION
from tests.conftest import FIXED_NOW, quiz_command

WORKER = [sys.executable, "-m", "tests.store.store_worker"]
ROOT = Path(__file__).resolve().parents[2]


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)


@pytest.fixture
def synced(db_url: str, bank_dir: Path) -> str:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    db.close()
    return db_url


def _reviews(url: str) -> list[ReviewRow]:
    db = open_database(url)
    try:
        with db.sessions.begin() as session:
            rows = list(session.scalars(select(ReviewRow).order_by(ReviewRow.id)))
            session.expunge_all()
            return rows
    finally:
        db.close()


def test_two_writers_never_schedule_from_a_stale_card(synced: str) -> None:
    workers = [_spawn("rate", synced, "conv-1x1", "40") for _ in range(2)]
    for worker in workers:
        _out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    rows = _reviews(synced)
    assert len(rows) == 80
    # Each review started from exactly the card the previous one left behind.
    for previous, current in itertools.pairwise(rows):
        before = current.card_before or {}
        assert before["due"] == previous.due_after.replace(tzinfo=None).isoformat() or \
            before["due"] == previous.due_after.isoformat()
        assert before["stability"] == previous.stability_after


def test_a_rating_waits_for_a_lock_held_by_another_process(synced: str) -> None:
    """SQLite: another process holds the write lock; PostgreSQL: another transaction holds the
    card's row (SELECT … FOR UPDATE). The rating waits, then goes through."""
    engine = create_engine(synced)
    holder = engine.connect()
    if engine.dialect.name == "sqlite":
        holder.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        holder.begin()
        holder.exec_driver_sql("SELECT * FROM cards WHERE question_id = 'rf-basics' FOR UPDATE")
    worker = _spawn("rate", synced, "rf-basics", "1")
    time.sleep(1.5)
    assert worker.poll() is None  # still waiting, not failed
    holder.exec_driver_sql("COMMIT")
    holder.close()
    engine.dispose()
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert len(_reviews(synced)) == 1 and out.strip()


def test_eight_processes_rating_shared_cards_lose_nothing(synced: str) -> None:
    """Eight processes rate the same three cards at once: every acknowledged review is stored,
    and each card's reviews form one chain — each scheduled from the card the previous left."""
    cards = ["conv-1x1", "rf-basics", "pool-role"]
    workers = [_spawn("rate", synced, cards[n % 3], "15") for n in range(8)]
    acknowledged: set[int] = set()
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        acknowledged |= {int(line) for line in out.split()}
    rows = _reviews(synced)
    assert len(acknowledged) == 8 * 15 and {row.id for row in rows} == acknowledged
    for card in cards:
        chain = [row for row in rows if row.question_id == card]
        for previous, current in itertools.pairwise(chain):
            before = current.card_before or {}
            assert before["stability"] == previous.stability_after
            assert datetime.fromisoformat(str(before["due"])).replace(tzinfo=None) == \
                previous.due_after.replace(tzinfo=None)


def test_concurrent_first_opens_all_succeed(make_db_url: Callable[..., str],
                                            db_backend: str) -> None:
    url = make_db_url(db_backend)
    workers = [_spawn("open", url) for _ in range(16)]
    results = [worker.communicate(timeout=120) for worker in workers]
    failures = [err for worker, (_out, err) in zip(workers, results, strict=True)
                if worker.returncode]
    assert failures == []
    db = open_database(url)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM schema_info").scalar() == 1
    db.close()


def test_two_imports_at_once_both_succeed(make_db_url: Callable[..., str], db_backend: str,
                                         bank_dir: Path) -> None:
    url = make_db_url(db_backend)
    env = {**os.environ, "QUIZ_DB": url}
    runs = [subprocess.Popen([*quiz_command(), "import", str(bank_dir)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0 and "Traceback" not in err, err


def test_sigkill_during_ratings_loses_no_acknowledged_review(synced: str) -> None:
    acknowledged: list[int] = []
    for _round in range(4):
        worker = _spawn("rate", synced, "pool-role", "500")
        assert worker.stdout is not None
        for _ in range(5):  # let it commit a few, then kill it mid-stream
            acknowledged.append(int(worker.stdout.readline()))
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    stored = {row.id for row in _reviews(synced)}
    assert set(acknowledged) <= stored
    if synced.startswith("sqlite"):
        connection = sqlite3.connect(synced.removeprefix("sqlite:///"))
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()


def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_another_applications_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    connection.commit()
    connection.close()
    before = _bytes(path)
    with pytest.raises(StoreError, match="not a quiz database"):
        open_database(f"sqlite:///{path}")
    assert _bytes(path) == before and not Path(f"{path}-wal").exists()


def _damage(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def _dump(url: str) -> object:
    """The whole database, to show that a refused open wrote nothing."""
    if url.startswith("sqlite"):
        return _bytes(Path(url.removeprefix("sqlite:///")))
    engine = create_engine(url)
    with engine.connect() as connection:
        names = [name for (name,) in connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename")]
        dump = {name: sorted(map(str, connection.exec_driver_sql(f"SELECT * FROM {name}")))
                for name in names}
    engine.dispose()
    return dump


def test_a_newer_schema_is_refused_before_writing(synced: str) -> None:
    _damage(synced, f"UPDATE schema_info SET version = {SCHEMA_VERSION + 1}")
    before = _dump(synced)
    with pytest.raises(StoreError, match="newer"):
        open_database(synced)
    assert _dump(synced) == before


@pytest.mark.parametrize("table", ["reviews", "cards"])
def test_a_dropped_table_is_not_silently_recreated(synced: str, table: str) -> None:
    cascade = "" if synced.startswith("sqlite") else " CASCADE"
    if synced.startswith("sqlite"):
        _damage(synced, "PRAGMA foreign_keys = OFF")
    _damage(synced, f"DROP TABLE {table}{cascade}")
    with pytest.raises(StoreError, match=f"table {table} is missing"):
        open_database(synced)


def test_a_missing_column_or_version_is_found_at_open(synced: str) -> None:
    _damage(synced, "DROP INDEX ix_cards_new_rank", "ALTER TABLE cards DROP COLUMN new_rank")
    with pytest.raises(StoreError, match=r"lacks column.*new_rank"):
        open_database(synced)
    _damage(synced, "DELETE FROM schema_info")
    with pytest.raises(StoreError, match="version is missing"):
        open_database(synced)


@pytest.mark.sqlite_only  # a read-only SQLite file
def test_a_read_only_database_gives_one_line(synced: str, bank_dir: Path) -> None:
    path = synced.removeprefix("sqlite:///")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    db = open_database(read_only)
    with pytest.raises(Exception) as error:
        apply_review(db, make_scheduler(fuzz=False), "conv-1x1", Grade.GOOD, FIXED_NOW)
    from quiz.store.db import error_message

    assert "read-only" in error_message(error.value)
    db.close()


@pytest.mark.parametrize("content", [b"x", b"some notes\n" * 100])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not an SQLite database"):
        open_database(f"sqlite:///{path}")
    assert path.read_bytes() == content
