"""Deep math in a bank answer, end to end (issue 21): about 100 nested \\frac (1 KB) crashed the
TUI on reveal (RecursionError in the math renderer) and crashed `quiz sheet --format html|pdf`
with its keys. The answer is now shown as its raw LaTeX, and every output is still written."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest
from textual.worker import WorkerFailed

from quiz.tui.app import make_app
from quiz.tui.screens.study import StudyScreen
from tests.conftest import FIXED_NOW, quiz_command


def _nested_frac(depth: int) -> str:
    text = "x"
    for _ in range(depth):
        text = "\\frac{" + text + "}{2}"
    return text


DEEP = _nested_frac(100)


def _deep_bank(folder: Path) -> Path:
    folder.mkdir()
    (folder / "deep.md").write_text(
        "# 深公式\n\n## 这个式子是多少？\n\n```meta\nid: deep-math\nsources: 000#1.1\n"
        f"tags: 测试\nkind: concept\n```\n\n**核心**：答案是 ${DEEP}$，完。\n",
        encoding="utf-8")
    return folder


@pytest.mark.parametrize("form", ["html", "pdf", "md"])
def test_a_sheet_and_its_key_with_deep_math_are_written(tmp_path: Path, form: str) -> None:
    bank = _deep_bank(tmp_path / "bank")
    out = tmp_path / "sheets"
    result = subprocess.run(
        [*quiz_command(), "--db", f"sqlite:///{tmp_path / 'quiz.db'}", "sheet", "--path",
         str(bank), "--ids", "deep-math", "--key", "--format", form, "--seed", "7",
         "-o", str(out)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    written = sorted(path.name for path in out.rglob(f"*.{form}"))
    assert len(written) == 2, written  # the sheet and its key
    if form != "pdf":
        key = next(path for path in out.rglob(f"key*.{form}"))
        assert "frac" in key.read_text(encoding="utf-8")  # the raw LaTeX stands for the formula


async def test_revealing_deep_math_in_the_tui_shows_the_raw_latex(tmp_path: Path) -> None:
    bank = _deep_bank(tmp_path / "bank")
    app = make_app(db_url=f"sqlite:///{tmp_path / 'quiz.db'}", bank_dir=bank,
                   sync_bank_on_start=True,
                   clock=lambda: FIXED_NOW, fuzz=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(3):
            with contextlib.suppress(WorkerFailed):
                await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("enter")  # study the one deck
        for _ in range(3):
            with contextlib.suppress(WorkerFailed):
                await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        assert isinstance(app.screen, StudyScreen)
        await pilot.press("space")  # reveal: this raised RecursionError
        for _ in range(3):
            await pilot.pause()
        assert app.return_code is None and isinstance(app.screen, StudyScreen)
        assert "\\frac{\\frac{" in app.export_screenshot().replace("&#92;", "\\")
