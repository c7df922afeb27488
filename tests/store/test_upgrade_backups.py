"""The copy quiz makes before upgrading an older database (`NAME.vN-backup-STAMP`) is either
complete or absent: a read-only file is refused in one line before any copy (so refused
commands leave nothing behind), an upgrade that fails (a full disk) removes the backup it made
(the file is unchanged, a retry makes its own), and a copy cut short never carries a backup's
name — its hidden `.partial-PID` leftover, from a process killed mid-copy, is removed by the
next backup.

The old database is the schema-2 file of tests/store/data (made by quiz before learners)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from quiz.store import StoreError
from quiz.store.db import open_database
from tests.store.test_readonly_fulldisk import needs_permissions, run_quiz_as_a_user

pytestmark = pytest.mark.sqlite_only

SCHEMA2 = Path(__file__).with_name("data") / "schema2.db"


@pytest.fixture
def old_database(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "quiz.db"
    shutil.copyfile(SCHEMA2, path)
    yield path
    path.chmod(0o644)


def _left_beside(path: Path) -> list[str]:
    """Every file in the database's folder but the database itself (and the -wal and -shm
    SQLite keeps beside a WAL database, even for a reader)."""
    own = {path.name, f"{path.name}-wal", f"{path.name}-shm"}
    return sorted(entry.name for entry in path.parent.iterdir() if entry.name not in own)


@needs_permissions
def test_a_read_only_old_database_gets_no_backup_and_one_line_each_time(
        old_database: Path) -> None:
    original = old_database.read_bytes()
    old_database.chmod(0o444)
    for _ in range(2):
        result = run_quiz_as_a_user("--db", f"sqlite:///{old_database}", "due")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert str(old_database) in lines[0] and "read-only" in lines[0]
        assert "upgrade" in lines[0]
        assert _left_beside(old_database) == []
    assert old_database.read_bytes() == original


@pytest.fixture
def full_disk() -> Iterator[None]:
    """Connections the store opens may not grow their file (a full disk for the upgrade's
    writes; the backup, written by plain sqlite3, still fits)."""
    def cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        used = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {used}")

    event.listen(Engine, "connect", cap)
    yield
    event.remove(Engine, "connect", cap)


def test_a_failed_upgrade_removes_the_backup_it_made(old_database: Path,
                                                     full_disk: None) -> None:
    original = old_database.read_bytes()
    for _ in range(2):  # a retry neither fails on nor piles up an earlier copy
        with pytest.raises(StoreError, match="the disk is full"):
            open_database(f"sqlite:///{old_database}")
        assert [name for name in _left_beside(old_database) if "backup" in name] == []
    assert old_database.read_bytes() == original


def _dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    return int(finished.stdout)


def _copy_cut_short(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade whose backup fails after its first pages: while the copy is being written no
    file has the backup's name, and the failure is one StoreError with no partial file left."""
    from quiz.store import sqlite_files

    connect = sqlite_files.connect_existing
    seen: list[list[str]] = []

    class CutShort:
        def __init__(self, source: sqlite3.Connection) -> None:
            self.source = source

        def backup(self, target: sqlite3.Connection) -> None:
            def progress(_status: int, _remaining: int, _total: int) -> None:
                seen.append(_left_beside(database))
                raise sqlite3.OperationalError("disk I/O error")

            self.source.backup(target, pages=1, progress=progress)

        def close(self) -> None:
            self.source.close()

    monkeypatch.setattr(sqlite_files, "connect_existing",
                        lambda path, write=False: CutShort(connect(path, write)))
    with pytest.raises(StoreError, match="cannot back up"):
        open_database(f"sqlite:///{database}")
    assert seen and all(not name.startswith("quiz.db.v2-backup-")
                        for names in seen for name in names)
    assert any(".partial-" in name for names in seen for name in names)  # written aside
    assert not any(name.endswith(f".partial-{os.getpid()}") for name in _left_beside(database))


def test_a_copy_cut_short_never_looks_like_a_backup_and_is_removed_next_time(
        old_database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = old_database.parent
    # What a backup killed mid-copy leaves: a hidden partial file (and its journal) named by
    # its dead process; a live process's partial copy is not touched.
    dead = _dead_pid()
    stale = folder / f".quiz.db.v2-backup-20260101T000000.partial-{dead}"
    stale.write_bytes(SCHEMA2.read_bytes()[:8192])
    stale_journal = folder / f"{stale.name}-journal"
    stale_journal.write_bytes(b"")
    # (pytest's parent is alive while the test runs)
    running = folder / f".quiz.db.v2-backup-20260101T000001.partial-{os.getppid()}"
    running.write_bytes(b"")
    assert not any(name.startswith("quiz.db.v2-backup-") for name in _left_beside(old_database))
    _copy_cut_short(old_database, monkeypatch)
    assert not any(name.startswith("quiz.db.v2-backup-") for name in _left_beside(old_database))
    monkeypatch.undo()
    open_database(f"sqlite:///{old_database}").close()
    left = _left_beside(old_database)
    backups = [name for name in left if name.startswith("quiz.db.v2-backup-")]
    assert len(backups) == 1
    assert stale.name not in left and stale_journal.name not in left
    assert running.name in left
    with sqlite3.connect(folder / backups[0]) as copy:
        assert copy.execute("PRAGMA user_version").fetchone() == (2,)
        assert copy.execute("SELECT count(*) FROM reviews").fetchone() == (26,)
    copy.close()

