"""Shared fixtures: a fixed clock, temporary databases and a small bank on disk."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

SMALL_BANK = """\
# 卷积基础

## 1×1 卷积有什么作用？

```meta
id: conv-1x1
sources: 000#2.2, 001#Q7
tags: 卷积变种
kind: concept
```

**核心**：跨通道线性组合，可升降维，$C_{in} \\cdot C_{out}$ 个参数。

## 感受野怎么算？

```meta
id: rf-basics
sources: 000#1.2
tags: 感受野
kind: concept
difficulty: 3
```

$r_l = r_{l-1} + (k_l - 1) \\cdot j_{l-1}$

## 池化的作用？

```meta
id: pool-role
sources: 002#2
tags: 池化
kind: concept
origin: authored
```

降采样，扩大感受野。
"""


def sql_dump(path: Path) -> list[str]:
    """Every row and schema statement of an SQLite file: to show that nothing changed."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def numbered_bank(count: int, decks: int = 3, id_digits: int = 1) -> str:
    """One bank file of `count` short concept questions (ids q0, q1, … padded to `id_digits`),
    dealt over `decks` decks in turn."""
    parts = ["# 主题\n"]
    for n in range(count):
        parts.append(f"## 问题 {n}？\n\n```meta\nid: q{n:0{id_digits}d}\nsources: 000#{n + 1}\n"
                     f"tags: 主题{n % decks}\nkind: concept\n```\n\n答案 {n}。\n")
    return "\n".join(parts)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'quiz.db'}"


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bank"
    directory.mkdir()
    (directory / "conv.md").write_text(SMALL_BANK, encoding="utf-8")
    return directory


def quiz_command() -> list[str]:
    """The installed `quiz` console script (the real entry point), beside this interpreter."""
    script = Path(sys.executable).with_name("quiz")
    if script.exists():
        return [str(script)]
    found = shutil.which("quiz")
    return [found] if found else [sys.executable, "-m", "quiz"]
