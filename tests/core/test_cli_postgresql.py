"""Commands that are for SQLite files say so in one line on PostgreSQL, with what to use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_cli import run_quiz


@pytest.mark.postgresql_only
@pytest.mark.parametrize(("command", "says"), [
    ("doctor", "quiz doctor checks SQLite database files; PostgreSQL keeps types and keys"),
    ("backup", "quiz backup copies SQLite database files; back up a PostgreSQL database with "
               "pg_dump"),
])
def test_doctor_and_backup_say_in_one_line_what_to_use_on_postgresql(
        db_url: str, bank_dir: Path, command: str, says: str) -> None:
    assert run_quiz("import", str(bank_dir), db_url=db_url).returncode == 0
    result = run_quiz(command, db_url=db_url)
    assert result.returncode != 0 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in result.stderr


def test_a_server_that_does_not_answer_is_one_line_without_the_password() -> None:
    result = run_quiz("--db", "postgresql+psycopg://learner:s3cret@127.0.0.1:1/quiz", "due")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "cannot open database" in lines[0] and "s3cret" not in result.stderr
    assert "learner:***@127.0.0.1:1/quiz" in lines[0]
