from __future__ import annotations

from pathlib import Path

import pytest

from quiz.bank.errors import BankError
from quiz.bank.model import Kind, Origin
from quiz.bank.parser import load_bank, parse_text
from quiz.paths import bundled_bank_dir

GOOD = """\
# 池化

## 为什么 max pooling 更常用？

```meta
id: pool-max
sources: 004#36, 001#Q15
tags: 池化, 比较
kind: concept
difficulty: 1
```

**核心**：保留最强响应。

### 细节
- 平均池化保留背景。

> 勘误 004#36：原文说 X；正确的是 Y。

```claim
quantity: params
```

## 第二题

```meta
id: second
sources: 002#1
tags: 卷积基础
kind: numeric
origin: authored
```

答案 $x^2$。
"""

VALID_META = "# T\n\n## Q\n\n```meta\nid: a\nsources: 002#1\ntags: x\nkind: concept\n"


def test_parses_questions_with_metadata_and_answer() -> None:
    first, second = parse_text(GOOD, "pool.md")
    assert first.id == "pool-max"
    assert first.title == "为什么 max pooling 更常用？"
    assert first.sources == ("004#36", "001#Q15")
    assert first.tags == ("池化", "比较")
    assert first.kind is Kind.CONCEPT and first.origin is Origin.SOURCED
    assert first.difficulty == 1 and first.topic == "池化"
    assert first.line == 3
    assert "### 细节" in first.answer and "平均池化" in first.answer
    assert second.kind is Kind.NUMERIC and second.origin is Origin.AUTHORED
    assert second.answer == "答案 $x^2$。"


def test_erratum_and_claim_blocks_are_recognised() -> None:
    first, _ = parse_text(GOOD, "pool.md")
    assert [e.source for e in first.errata] == ["004#36"]
    assert [b.info for b in first.blocks] == ["claim"]
    assert "quantity: params" not in first.answer  # machine data stays out of the prose


def test_content_hash_ignores_position_but_not_text() -> None:
    first, _ = parse_text(GOOD, "pool.md")
    moved, _ = parse_text("\n\n" + GOOD, "other.md")
    edited, _ = parse_text(GOOD.replace("保留最强响应", "保留最大值"), "pool.md")
    assert moved.line != first.line and moved.content_hash == first.content_hash
    assert edited.content_hash != first.content_hash


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("## Q\n", 1, "'# topic' heading"),
        ("# T\n\n## Q\n\nno meta\n", 3, "```meta block"),
        ("# T\n\n## Q\n\n```meta\nid: a\nsources: 002#1\ntags: x\n```\nA\n", 6, "'kind'"),
        ("# T\n\n## Q\n\n```meta\nid: a\nsources: 002#1\ntags: x\nkind: essay\n```\nA\n",
         9, "concept|numeric"),
        ("# T\n\n## Q\n\n```meta\nid: a\nsources: 2#1\ntags: x\nkind: concept\n```\nA\n",
         7, "not of the form"),
        ("# T\n\n## Q\n\n```meta\nid: Bad Id\nsources: 002#1\ntags: x\nkind: concept\n```\nA\n",
         6, "lowercase"),
        (VALID_META + "colour: red\n```\nA\n",
         10, "unknown meta key"),
        ("# T\n\n## Q\n\n```meta\nid: a\nsources: 002#1\ntags: x\nkind: concept\n```\n", 3,
         "no answer"),
        (VALID_META + "difficulty: 9\n```\nA\n",
         10, "difficulty"),
    ],
)
def test_malformed_file_names_file_line_and_problem(text: str, line: int, fragment: str) -> None:
    with pytest.raises(BankError) as caught:
        parse_text(text, "bad.md")
    assert caught.value.file == "bad.md"
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"bad.md:{line}: ")


def test_duplicate_ids_across_files_are_reported(tmp_path: Path) -> None:
    body = "# T\n\n## Q\n\n```meta\nid: same\nsources: 002#1\ntags: x\nkind: concept\n```\nA\n"
    (tmp_path / "a.md").write_text(body, encoding="utf-8")
    (tmp_path / "b.md").write_text(body, encoding="utf-8")
    with pytest.raises(BankError, match="duplicate id 'same'"):
        load_bank(tmp_path)


def test_bundled_bank_parses() -> None:
    questions = load_bank(bundled_bank_dir())
    assert len(questions) >= 12
    assert len({q.id for q in questions}) == len(questions)
