"""The CLI through its real entry point (the installed `quiz` script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from quiz import __version__
from tests.conftest import quiz_command


def run_quiz(
    *args: str, db_url: str | None = None, cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if db_url:
        env["QUIZ_DB"] = db_url
    return subprocess.run(
        [*quiz_command(), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )


def test_help_and_version() -> None:
    helped = run_quiz("--help")
    assert helped.returncode == 0 and "import" in helped.stdout and "--db" in helped.stdout
    version = run_quiz("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"quiz {__version__}"


def test_import_then_due_then_reimport(db_url: str, bank_dir: Path) -> None:
    first = run_quiz("import", str(bank_dir), db_url=db_url)
    assert first.returncode == 0, first.stderr
    assert "added 3" in first.stdout
    assert "added: conv-1x1, rf-basics, pool-role" in first.stdout
    again = run_quiz("--db", db_url, "import", str(bank_dir))
    assert "added 0" in again.stdout and "unchanged 3" in again.stdout
    due = run_quiz("due", "--json", db_url=db_url)
    assert due.returncode == 0
    assert json.loads(due.stdout) == {"due": 0, "new": 3, "total": 3, "learning": 0,
                                      "due_ids": []}


def test_bank_list_json_has_the_fields(bank_dir: Path) -> None:
    listed = run_quiz("bank", "list", "--json", "--path", str(bank_dir))
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert [item["id"] for item in items] == ["conv-1x1", "rf-basics", "pool-role"]
    first = items[0]
    assert first["question"] == "1×1 卷积有什么作用？"
    assert first["sources"] == ["000#2.2", "001#Q7"]
    assert first["tags"] == ["卷积变种"] and first["kind"] == "concept"
    assert "跨通道线性组合" in first["answer"]


def test_bundled_bank_lists_and_counts() -> None:
    listed = run_quiz("bank", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) >= 12
    stats = run_quiz("bank", "stats")
    assert stats.returncode == 0 and "per topic" in stats.stdout and "per origin" in stats.stdout


def test_malformed_bank_fails_with_file_and_line(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "broken.md").write_text("# T\n\n## Q\n\nno meta here\n", encoding="utf-8")
    result = run_quiz("import", str(tmp_path), db_url=db_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "broken.md:3:" in result.stderr and "```meta" in result.stderr
    assert result.stdout == ""


def test_bad_database_url_is_a_clear_error() -> None:
    result = run_quiz("--db", "nonsense://", "due")
    assert result.returncode == 1 and "quiz: error:" in result.stderr


def test_unwritable_database_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_quiz("--db", f"sqlite:///{blocker}/sub/quiz.db", "import")
    assert result.returncode == 1
    assert "cannot create the database folder" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_explicit_database_is_not_created_by_a_read_only_command(
    tmp_path: Path,
) -> None:
    typo = tmp_path / "quizz.db"
    result = run_quiz("--db", f"sqlite:///{typo}", "due")
    assert result.returncode == 1 and "no such database" in result.stderr
    assert not typo.exists()
    made = run_quiz("--db", f"sqlite:///{typo}", "import")
    assert made.returncode == 0 and typo.exists()


@pytest.mark.parametrize("command", [("due",), ("import",), ()], ids=["due", "import", "tui"])
def test_a_directory_given_as_the_database_is_refused_in_one_line(
    tmp_path: Path, command: tuple[str, ...],
) -> None:
    """`--db` naming a folder (issue 21: an IsADirectoryError traceback) says so in one line; the
    TUI's start (no command) refuses before any screen."""
    folder = tmp_path / "data"
    folder.mkdir()
    result = run_quiz("--db", f"sqlite:///{folder}", *command)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a database file" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and list(folder.iterdir()) == []


def test_empty_bank_is_refused_and_retires_nothing(
    tmp_path: Path, db_url: str, bank_dir: Path,
) -> None:
    assert run_quiz("import", str(bank_dir), db_url=db_url).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_quiz("import", str(empty), db_url=db_url)
    assert result.returncode == 1 and "no questions found" in result.stderr
    missing = run_quiz("import", str(tmp_path / "missing"), db_url=db_url)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    due = run_quiz("due", "--json", db_url=db_url)
    assert json.loads(due.stdout)["total"] == 3


def test_unknown_command_exits_nonzero() -> None:
    result = run_quiz("frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr


@pytest.mark.parametrize("module", ["quiz.bank.parser", "quiz.bank.claims", "quiz.engine",
                                    "quiz.numeric", "quiz.render.math", "quiz.render.terminal"])
def test_core_imports_without_textual_or_sqlalchemy(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "heavy = [m for m in ('textual', 'sqlalchemy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from quiz.cli import build_parser; build_parser(); "
        "print(','.join(m for m in ('textual', 'numpy', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_due_sees_the_bundled_bank_on_a_first_run(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "QUIZ_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # a new user: nothing in the data folder yet
    shown = subprocess.run([*quiz_command(), "due", "--json"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr
    summary = json.loads(shown.stdout)
    assert summary["total"] > 100 and summary["new"] == 20 and summary["due"] == 0


def test_db_is_accepted_before_and_after_the_subcommand(tmp_path: Path, bank_dir: Path) -> None:
    url = f"sqlite:///{tmp_path / 'either.db'}"
    after = run_quiz("import", str(bank_dir), "--db", url)  # --db after the subcommand
    assert after.returncode == 0, after.stderr
    before = run_quiz("--db", url, "import", str(bank_dir))
    assert before.returncode == 0 and "unchanged 3" in before.stdout


def test_a_large_bank_imports_through_the_worker_and_reports_a_bad_file(
    tmp_path: Path, db_url: str,
) -> None:
    """Nine files: the parsing worker process is used. A second import parses nothing; a bad
    file is named with its line, exit 1, no traceback, and the database stays as it was."""
    bank = tmp_path / "bank"
    bank.mkdir()
    for index in range(9):
        questions = "\n".join(
            f"## 第 {index}-{n} 题？\n\n```meta\nid: q{index}-{n}\nsources: 001#{n + 1}\n"
            f"tags: 主题{index}\nkind: concept\n```\n\n答案 {n}。\n" for n in range(3))
        (bank / f"t{index}.md").write_text(f"# 主题 {index}\n\n{questions}", encoding="utf-8")
    first = run_quiz("import", str(bank), db_url=db_url)
    assert first.returncode == 0 and "27 questions; added 27" in first.stdout
    again = run_quiz("import", str(bank), db_url=db_url)
    assert again.returncode == 0 and "unchanged 27" in again.stdout
    text = (bank / "t7.md").read_text(encoding="utf-8")
    (bank / "t7.md").write_text(text.replace("kind: concept", "kind: concpet", 1),
                                encoding="utf-8")
    (bank / "t1.md").write_text((bank / "t1.md").read_text(encoding="utf-8")
                                .replace("答案 0。", "新答案。"), encoding="utf-8")
    bad = run_quiz("import", str(bank), db_url=db_url)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "t7.md:9: kind must be concept|numeric, got 'concpet'" in bad.stderr
    engine = create_engine(db_url)
    with engine.connect() as connection:
        answer = connection.exec_driver_sql(
            "SELECT answer FROM questions WHERE id = 'q1-0'").one()
    engine.dispose()
    # t1.md's edit came before the bad file: not written either
    assert tuple(answer) == ("答案 0。",)
