"""A database quiz cannot write (a read-only file) or a disk that fills up: each command says so
in one line naming the file and the cause, exits non-zero, and writes nothing half-way — and an
answer typed into `quiz practice --record` is never lost (refused before the first question, or
printed as the command that records it later).

Read-only files are made with chmod, which binds a normal user. As root (CI's containers) the
commands run without the two capabilities that override file permissions (util-linux `setpriv`),
so they meet a read-only file as a user does; the tests skip only where neither works.
A full disk is SQLite's own: `PRAGMA max_page_count` on every connection the store opens makes
a write past it fail with SQLITE_FULL."""

from __future__ import annotations

import io
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from quiz.cli import main
from quiz.store import StoreError
from quiz.store.backup import backups_dir, daily_backups
from tests.conftest import numbered_bank, quiz_command
from tests.core.test_cli import run_quiz

pytestmark = pytest.mark.sqlite_only


def as_a_user() -> list[str]:
    """The prefix that runs a command as a normal user would meet files: nothing for a normal
    user; as root, setpriv dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (from the bounding
    set, so the exec'd command cannot have them either)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return []
    dropped = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={dropped}", f"--bounding-set={dropped}", "--"]


def permissions_enforced() -> bool:
    """Whether a command run with `as_a_user()` is stopped by chmod 444."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_text("")
        probe.chmod(0o444)
        try:
            written = subprocess.run([*as_a_user(), sys.executable, "-c",
                                      f"open({str(probe)!r}, 'a')"],
                                     capture_output=True, timeout=60)
            return written.returncode != 0
        except OSError:
            return False
        finally:
            probe.chmod(0o644)


needs_permissions = pytest.mark.skipif(not permissions_enforced(),
                                       reason="file permissions cannot be enforced here")


def run_quiz_as_a_user(*args: str, db_url: str | None = None,
                       stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`quiz ARGS` through its installed script, as a normal user meets files."""
    env = dict(os.environ)
    if db_url:
        env["QUIZ_DB"] = db_url
    return subprocess.run([*as_a_user(), *quiz_command(), *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


def _imported(tmp_path: Path, bank: Path) -> tuple[str, Path]:
    path = tmp_path / "quiz.db"
    url = f"sqlite:///{path}"
    result = run_quiz("import", str(bank), db_url=url)
    assert result.returncode == 0, result.stderr
    return url, path


def _questions(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM questions").fetchone()[0])
    finally:
        connection.close()


def _one_error_line(stderr: str, *words: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("quiz: error:")]
    assert len(errors) == 1, stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Files chmod-ed read-only by a test, made writable again afterwards (for the cleanup)."""
    made: list[Path] = []
    yield made
    for path in made:
        path.chmod(0o755 if path.is_dir() else 0o644)


@needs_permissions
def test_import_into_a_read_only_file_is_one_line(tmp_path: Path, bank_dir: Path,
                                                  read_only: list[Path]) -> None:
    url, path = _imported(tmp_path, bank_dir)
    before = _questions(path)
    (bank_dir / "more.md").write_text(numbered_bank(3), encoding="utf-8")
    path.chmod(0o444)
    read_only.append(path)
    result = run_quiz_as_a_user("--db", url, "import", str(bank_dir))
    assert result.returncode == 1
    _one_error_line(result.stderr, str(path), "the database is read-only")
    assert _questions(path) == before


@needs_permissions
def test_practice_record_refuses_a_read_only_file_before_the_first_question(
        tmp_path: Path, bank_dir: Path, read_only: list[Path]) -> None:
    url, path = _imported(tmp_path, bank_dir)
    path.chmod(0o444)
    read_only.append(path)
    result = run_quiz_as_a_user("--db", url, "practice", "--count", "2", "--seed", "5",
                                "--record", stdin="1\n2\n")
    assert result.returncode == 1
    _one_error_line(result.stderr, str(path), "the database is read-only")
    assert "[1/2]" not in result.stdout + result.stderr  # nothing asked, nothing typed in vain


@needs_permissions
def test_the_tui_refuses_a_read_only_file_before_the_terminal_is_taken(
        tmp_path: Path, bank_dir: Path, read_only: list[Path]) -> None:
    from quiz.tui.app import make_app

    url, path = _imported(tmp_path, bank_dir)
    path.chmod(0o444)
    read_only.append(path)
    if not as_a_user():  # this process itself is bound by chmod: the factory refuses too
        with pytest.raises(StoreError) as refused:
            make_app(db_url=url, bank_dir=bank_dir, sync_bank_on_start=True)
        assert str(path) in str(refused.value)
        assert "the database is read-only" in str(refused.value)
    started = run_quiz_as_a_user("--db", url)  # the TUI's start through the CLI
    assert started.returncode == 1
    _one_error_line(started.stderr, str(path), "the database is read-only", "TUI")
    # Nor is the day's copy made of a file the TUI does not open.
    assert not backups_dir(path).exists() or not daily_backups(path)


def subprocess_run(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*quiz_command(), *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def disk_of(request: pytest.FixtureRequest) -> Iterator[dict[str, int]]:
    """Every connection the store opens from now on may grow its file by `pages` pages at
    most (`disk["pages"]`), as if the disk filled up then."""
    disk = {"pages": 0}

    def cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        used = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {max(used, 1) + disk['pages']}")

    event.listen(Engine, "connect", cap)
    yield disk
    event.remove(Engine, "connect", cap)


def test_import_on_a_full_disk_is_one_line_and_writes_nothing(
        tmp_path: Path, bank_dir: Path, disk_of: dict[str, int],
        capsys: pytest.CaptureFixture[str]) -> None:
    url, path = _imported(tmp_path, bank_dir)
    before = _questions(path)
    (bank_dir / "more.md").write_text(numbered_bank(400), encoding="utf-8")
    disk_of["pages"] = 2
    assert main(["--db", url, "import", str(bank_dir)]) == 1
    _one_error_line(capsys.readouterr().err, str(path), "the disk is full")
    assert _questions(path) == before  # the import's one transaction rolled back


def test_practice_record_on_a_full_disk_prints_the_command_that_records_the_answers(
        tmp_path: Path, disk_of: dict[str, int], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new.db"  # made by the recording: the bundled bank fills the disk
    url = f"sqlite:///{path}"
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n\n7\n"))
    code = main(["--db", url, "practice", "--count", "3", "--family", "conv-output", "--record"])
    assert code == 1
    err = capsys.readouterr().err
    _one_error_line(err, str(path), "the disk is full")
    replay = err.splitlines()[-1].strip()
    assert replay.startswith("printf '%s\\n' 1 '' 7 | quiz --db ")
    assert "--seed" in replay and "--record" in replay
    disk_of["pages"] = 10**9  # room again: the printed command records the same answers
    answers, command = replay.split(" | ", 1)
    stdin = "".join(f"{answer}\n" for answer in shlex.split(answers)[2:])
    recorded = subprocess_run(shlex.split(command)[1:], stdin=stdin)
    assert recorded.returncode in (0, 1), recorded.stderr  # 1: not every answer was right
    assert "已记录 2 条复习" in recorded.stdout, recorded.stdout + recorded.stderr
    connection = sqlite3.connect(path)
    try:
        logged = [answer for (answer,) in connection.execute(
            "SELECT answer_text FROM reviews ORDER BY id")]
    finally:
        connection.close()
    assert logged == ["1", "7"]
