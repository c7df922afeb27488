"""Nothing outlives a killed import (issue 21): `quiz import` parsed bank files in a worker
process, and a SIGKILLed importer left its worker alive for ever (47 MB, holding a bank file) in
4 of 6 kills. The import now parses in its own process (timed: the worker did not pay); this
test watches every process the importer starts while it runs, and fails on any left alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
    reason="reads /proc; the old pool forked a worker only with a second core")

FILES = 60
QUESTIONS_PER_FILE = 250


def _write_bank(folder: Path) -> None:
    """A bank large enough that its import lasts seconds: the worker is seen while it parses."""
    folder.mkdir()
    for index in range(FILES):
        parts = [f"# 主题 {index}\n"]
        for n in range(QUESTIONS_PER_FILE):
            number = index * QUESTIONS_PER_FILE + n
            parts.append(
                f"## 第 {number} 题：卷积的作用是什么？\n\n```meta\nid: q{number:06d}\n"
                f"sources: 000#{n % 50 + 1}\ntags: 主题{index % 7}\nkind: concept\n```\n\n"
                f"**核心**：第 {number} 个要点，公式 $H_{{out}} = (H + 2p - k)/s + 1$。\n\n"
                + "".join(f"- 要点 {k}：与步长、填充和感受野有关。\n" for k in range(6)))
        (folder / f"topic-{index:03d}.md").write_text("\n".join(parts), encoding="utf-8")


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie (a zombie is dead: it holds no memory, only a table entry)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_no_process_outlives_a_killed_import(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    _write_bank(bank)
    importer = subprocess.Popen(
        [sys.executable, "-m", "quiz", "--db", f"sqlite:///{tmp_path / 'quiz.db'}", "import",
         str(bank)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started: set[int] = set()
    try:
        # Watch for a second while it parses (the import takes several): every child it starts.
        deadline = time.monotonic() + 1.0
        while importer.poll() is None and time.monotonic() < deadline:
            started |= {pid for pid in _children(importer.pid) if _alive(pid)}
            time.sleep(0.01)
        assert importer.poll() is None, "the import ended before it could be killed"
        importer.send_signal(signal.SIGKILL)
        importer.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in started if _alive(pid)]
        for pid in left:  # do not leave them to the rest of the run
            os.kill(pid, signal.SIGKILL)
        assert not left, f"processes {left} outlived the killed import"
    finally:
        if importer.poll() is None:
            importer.kill()
