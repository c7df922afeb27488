"""Backups: consistent copies (WAL included), the daily copy with a kept count, and the TUI's
start making it without ever being stopped by it."""

from __future__ import annotations

import argparse
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from quiz import cli
from quiz.store.backup import auto_backup, backups_dir, daily_backups
from quiz.store.sqlite_files import BackupError, backup_database


def _database(path: Path, rows: int = 3) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (n INTEGER)")
        connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(rows)])
    connection.close()
    return path


def _rows(path: Path) -> list[int]:
    connection = sqlite3.connect(path)
    try:
        return [n for (n,) in connection.execute("SELECT n FROM t ORDER BY n")]
    finally:
        connection.close()


def test_a_copy_includes_what_is_only_in_the_wal(tmp_path: Path) -> None:
    source = _database(tmp_path / "quiz.db")
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # keep the new rows in the -wal file
    writer.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(3, 50)])
    writer.commit()
    assert (tmp_path / "quiz.db-wal").stat().st_size > 0
    target = backup_database(source, tmp_path / "copy.db")
    writer.close()
    assert _rows(target) == list(range(50))
    # One self-contained file: nothing else named after the copy.
    assert sorted(p.name for p in tmp_path.glob("copy.db*")) == ["copy.db"]


def test_a_copy_never_overwrites_and_needs_a_source(tmp_path: Path) -> None:
    source = _database(tmp_path / "quiz.db")
    existing = tmp_path / "keep.db"
    existing.write_text("precious", encoding="utf-8")
    with pytest.raises(BackupError, match="already exists"):
        backup_database(source, existing)
    assert existing.read_text(encoding="utf-8") == "precious"
    with pytest.raises(BackupError, match="does not exist"):
        backup_database(tmp_path / "absent.db", tmp_path / "x.db")
    assert not (tmp_path / "absent.db").exists() and not (tmp_path / "x.db").exists()


def test_daily_copies_once_a_day_and_keep_the_newest(tmp_path: Path) -> None:
    source = _database(tmp_path / "quiz.db")
    url = f"sqlite:///{source}"
    start = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
    first = auto_backup(url, start, keep=3)
    assert first == backups_dir(source) / "quiz-20260301.db" and _rows(first) == [0, 1, 2]
    assert auto_backup(url, start + timedelta(hours=5), keep=3) is None  # same day
    manual = backups_dir(source) / "quiz-manual-20260301T090000.db"
    backup_database(source, manual)
    for day in range(1, 6):
        assert auto_backup(url, start + timedelta(days=day), keep=3) is not None
    assert [p.name for p in daily_backups(source)] == [
        "quiz-20260304.db", "quiz-20260305.db", "quiz-20260306.db"]
    assert manual.is_file()  # copies made by hand are never pruned


def test_daily_copy_does_nothing_without_a_database_file(tmp_path: Path) -> None:
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert auto_backup(f"sqlite:///{tmp_path / 'none.db'}", now) is None
    assert auto_backup("sqlite://", now) is None
    assert auto_backup("postgresql://localhost/quiz", now) is None
    assert list(tmp_path.iterdir()) == []


class _FakeApp:
    return_code = 0
    start_error = None
    ran = False

    def run(self) -> None:
        _FakeApp.ran = True


def _start_tui(monkeypatch: pytest.MonkeyPatch, db_url: str) -> int:
    import quiz.tui.app

    _FakeApp.ran = False
    monkeypatch.setattr(quiz.tui.app, "make_app", lambda **kwargs: _FakeApp())
    return cli.cmd_tui(argparse.Namespace(db=db_url))


def test_the_tui_start_makes_the_daily_copy(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    source = _database(tmp_path / "quiz.db")
    assert _start_tui(monkeypatch, f"sqlite:///{source}") == 0 and _FakeApp.ran
    made = daily_backups(source)
    assert len(made) == 1 and _rows(made[0]) == [0, 1, 2]


def test_a_failing_daily_copy_only_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    source = _database(tmp_path / "quiz.db")
    backups_dir(source).write_text("a file where the folder should be", encoding="utf-8")
    assert _start_tui(monkeypatch, f"sqlite:///{source}") == 0 and _FakeApp.ran
    assert "quiz: warning: no daily backup made" in capsys.readouterr().err


def test_the_file_of_an_sqlite_url_is_the_one_sqlite_opens(tmp_path: Path) -> None:
    """One reading of a URL's file for backups, doctor, damage checks and opening: plain paths
    as SQLAlchemy names them, and `file:` URIs (a read-only open) as SQLite opens them."""
    from sqlalchemy.engine import make_url

    from quiz.store.sqlite_files import sqlite_path

    for url in ("sqlite:///quiz.db", "sqlite:////tmp/a b/中文.db", "sqlite+pysqlite:////x/y.db",
                "sqlite:///a:b.db", "sqlite:///dir/./q.db"):
        assert sqlite_path(url) == Path(str(make_url(url).database)), url
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    assert sqlite_path(f"sqlite:///file:{path}?mode=ro&uri=true") == path
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true",
                "postgresql+psycopg://u@h/db", "not a url"):
        assert sqlite_path(url) is None, url
