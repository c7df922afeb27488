"""`quiz class setup` on SQLite: row-level security needs PostgreSQL, said in one line, and no
database file is made for the refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.cli import main


def test_sqlite_refuses_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "quiz.db"
    assert main(["--db", f"sqlite:///{target}", "class", "setup", "--student", "a"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "row-level security needs PostgreSQL" in err
    assert not target.exists()
