"""`quiz doctor` is honest about what it could not read: a healthy database in a read-only
folder is checked (or, when its -wal holds changes it could not read, "cannot check PATH" with
exit 2) — never called damaged, and never met with advice to copy a backup over it, which would
lose every review since that backup. The advice for a file that is damaged names that loss and
says to keep a copy first.

Read-only folders are made with chmod, which binds a normal user (as root, the commands run
without the capabilities that override file permissions)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.test_cli import run_quiz
from tests.store.test_readonly_fulldisk import needs_permissions, run_quiz_as_a_user

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def imported(tmp_path: Path, bank_dir: Path) -> Path:
    """A healthy quiz database in its own folder, in WAL mode (as quiz leaves every file)."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "quiz.db"
    result = run_quiz("import", str(bank_dir), db_url=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert path.read_bytes()[18:20] == b"\x02\x02"  # WAL mode
    assert not path.with_name("quiz.db-wal").exists()
    return path


@pytest.fixture
def locked_folder(imported: Path) -> Iterator[Path]:
    folder = imported.parent
    yield folder
    folder.chmod(0o755)


def _doctor(path: Path, *options: str) -> tuple[int, str, str]:
    result = run_quiz_as_a_user("--db", f"sqlite:///{path}", "doctor", *options)
    return result.returncode, result.stdout, result.stderr


def _no_overwrite_advice(output: str) -> None:
    assert "damaged" not in output, output
    assert "over it" not in output and "restore" not in output, output


@needs_permissions
def test_a_healthy_database_in_a_read_only_folder_is_checked_not_called_damaged(
        imported: Path, locked_folder: Path) -> None:
    locked_folder.chmod(0o555)
    code, out, err = _doctor(imported)
    _no_overwrite_advice(out + err)
    assert code == 0, out + err
    assert "no problems found" in out


@needs_permissions
def test_a_wal_with_changes_it_cannot_read_is_cannot_check_with_exit_2(
        imported: Path, locked_folder: Path, tmp_path: Path) -> None:
    # Changes committed into the -wal (not yet copied into the file), as a running quiz leaves
    # them: an `immutable` read would check an older database than quiz's.
    writer = sqlite3.connect(imported)
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("INSERT INTO settings (key, value) VALUES ('probe', '\"1\"')")
        writer.commit()
        copy = tmp_path / "copy"
        copy.mkdir()
        for name in ("quiz.db", "quiz.db-wal"):
            shutil.copyfile(locked_folder / name, copy / name)
    finally:
        writer.close()
    assert (copy / "quiz.db-wal").stat().st_size > 0
    copy.chmod(0o555)
    try:
        for options in ((), ("--fix",), ("--json",)):
            code, out, err = _doctor(copy / "quiz.db", *options)
            assert code == 2, out + err
            assert f"cannot check {copy / 'quiz.db'}:" in err
            _no_overwrite_advice(out + err)
    finally:
        copy.chmod(0o755)


@needs_permissions
def test_fix_on_a_read_only_file_checks_it_and_refuses_the_repair_without_a_backup(
        imported: Path) -> None:
    with sqlite3.connect(imported) as connection:
        connection.execute("UPDATE cards SET flagged = 'yes' WHERE rowid = 1")  # repairable
    connection.close()
    imported.chmod(0o444)
    try:
        code, out, err = _doctor(imported, "--fix")
    finally:
        imported.chmod(0o644)
    assert code == 2, out + err
    assert "read-only" in err and "no repair made" in err, err
    assert not imported.with_name("quiz.db.backups").exists()


def test_the_advice_for_a_damaged_file_names_what_a_backup_would_lose(imported: Path) -> None:
    backups = imported.with_name("quiz.db.backups")
    backups.mkdir()
    shutil.copyfile(imported, backups / "quiz-20260301.db")
    data = bytearray(imported.read_bytes())
    pages = len(data) // 4096
    assert pages > 6
    data[4096 * 2:4096 * (pages - 1)] = b"\x55" * (4096 * (pages - 3))
    imported.write_bytes(bytes(data))
    code, out, err = _doctor(imported)
    assert code == 1, out + err
    assert "the file itself is damaged" in out
    assert "keep a copy of it as it is first" in out
    assert "loses every review made since that backup" in out
    assert "quiz-20260301.db" in out


def test_a_database_locked_by_a_writer_is_cannot_check_not_damage(imported: Path) -> None:
    # A rollback-journal database whose writer holds the exclusive lock (as while it commits):
    # the doctor waits its busy timeout, then says it could not check — never "damaged", and
    # never an immutable read of a file a writer may be half-way through.
    with sqlite3.connect(imported) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()
    writer = sqlite3.connect(imported, isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        code, out, err = _doctor(imported)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert code == 2, out + err
    assert f"cannot check {imported}:" in err and "locked" in err, err
    _no_overwrite_advice(out + err)
