"""Bank folders: only regular .md files of bounded size are read; bank text printed by the CLI
is plain text (no terminal control sequences), while --json stays exact."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quiz.bank.errors import BankError
from quiz.bank.parser import MAX_ANSWER_CHARS, MAX_FILE_BYTES, load_bank
from tests.conftest import SMALL_BANK
from tests.core.test_cli import run_quiz

QUESTION = """\
## 问题 {n}

```meta
id: q-{n}
sources: 000#1
tags: 基础
kind: concept
```

{answer}
"""


def _bank(directory: Path, answer: str = "答案。") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "a.md").write_text("# 主题\n\n" + QUESTION.format(n=1, answer=answer),
                                    encoding="utf-8")
    return directory


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_md_is_refused_not_waited_on(tmp_path: Path, db_url: str) -> None:
    bank = _bank(tmp_path / "bank")
    os.mkfifo(bank / "x.md")
    # Through the real entry point: before the fix, open() on the FIFO blocked for ever.
    result = run_quiz("import", str(bank), db_url=db_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "quiz: error:" in result.stderr and "x.md" in result.stderr
    assert "FIFO" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing was imported


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    bank = _bank(tmp_path / "bank")
    (bank / "zero.md").symlink_to("/dev/zero")
    with pytest.raises(BankError) as caught:
        load_bank(bank)
    assert caught.value.file.endswith("zero.md")
    assert "character device" in str(caught.value)


def test_a_broken_link_is_a_bank_error(tmp_path: Path) -> None:
    bank = _bank(tmp_path / "bank")
    (bank / "gone.md").symlink_to(tmp_path / "nowhere.md")
    with pytest.raises(BankError, match=r"gone\.md.*broken link"):
        load_bank(bank)


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    bank = _bank(tmp_path / "bank")
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("# 别处\n\n" + QUESTION.format(n=2, answer="另一个答案。"),
                         encoding="utf-8")
    (bank / "linked.md").symlink_to(elsewhere)
    assert sorted(q.id for q in load_bank(bank)) == ["q-1", "q-2"]


def test_a_directory_named_md_is_walked_not_read(tmp_path: Path) -> None:
    bank = _bank(tmp_path / "bank")
    (bank / "empty.md").mkdir()
    inner = bank / "more.md"
    inner.mkdir()
    (inner / "b.md").write_text("# 内层\n\n" + QUESTION.format(n=3, answer="里面的。"),
                                encoding="utf-8")
    assert [q.id for q in load_bank(bank)] == ["q-1", "q-3"]


def test_a_linked_directory_is_not_followed(tmp_path: Path) -> None:
    bank = _bank(tmp_path / "bank")
    (bank / "loop").symlink_to(bank)  # a cycle if followed
    assert [q.id for q in load_bank(bank)] == ["q-1"]


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    bank = _bank(tmp_path / "bank")
    big = "# 大\n\n" + QUESTION.format(n=2, answer="x\n" * (MAX_FILE_BYTES // 2 + 10))
    (bank / "big.md").write_text(big, encoding="utf-8")
    with pytest.raises(BankError) as caught:
        load_bank(bank)
    assert caught.value.file.endswith("big.md") and "larger than the limit" in str(caught.value)


def test_an_answer_over_the_limit_names_file_and_line(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    _bank(bank, answer="长" * (MAX_ANSWER_CHARS + 1))
    with pytest.raises(BankError) as caught:
        load_bank(bank)
    # The question heading is on line 3 of a.md.
    assert (caught.value.file.endswith("a.md"), caught.value.line) == (True, 3)
    assert f"{MAX_ANSWER_CHARS + 1:,} characters" in str(caught.value)


def test_an_answer_at_the_limit_is_accepted(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    _bank(bank, answer="长" * MAX_ANSWER_CHARS)
    assert len(load_bank(bank)[0].answer) == MAX_ANSWER_CHARS


def test_bad_utf8_names_the_line(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "a.md").write_bytes(b"# T\n\n## Q\n\xff\xfe\n")
    with pytest.raises(BankError) as caught:
        load_bank(bank)
    assert caught.value.line == 4 and "not UTF-8" in str(caught.value)


def test_bank_list_text_is_safe_and_json_is_exact(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    hostile = SMALL_BANK.replace("1×1 卷积有什么作用？",
                                 "1×1 \x1b]52;c;ZXZpbA==\x07卷积\x1b[2J有什么作用？")
    hostile = hostile.replace("tags: 卷积变种", "tags: 卷积\x1b]0;pwned\x07变种")
    (bank / "conv.md").write_text(hostile, encoding="utf-8")
    listed = run_quiz("bank", "list", "--path", str(bank))
    assert listed.returncode == 0, listed.stderr
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert "1×1 卷积有什么作用？" in listed.stdout and "卷积变种" in listed.stdout
    stats = run_quiz("bank", "stats", "--path", str(bank))
    assert stats.returncode == 0 and "\x1b" not in stats.stdout and "卷积变种" in stats.stdout
    exact = json.loads(run_quiz("bank", "list", "--json", "--path", str(bank)).stdout)
    assert exact[0]["question"] == "1×1 \x1b]52;c;ZXZpbA==\x07卷积\x1b[2J有什么作用？"
    assert exact[0]["tags"] == ["卷积\x1b]0;pwned\x07变种"]
