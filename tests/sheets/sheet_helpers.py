"""Shared helpers of the sheet tests: run the CLI in-process, fill a sheet like a student."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from quiz.cli import main

ITEM = re.compile(r"^## (\d+) · ([a-z0-9-]+)(?: · seed (\d+))?$", re.MULTILINE)


def quiz(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def items(sheet_text: str) -> list[tuple[int, str, int | None]]:
    return [(int(n), qid, int(seed) if seed else None) for n, qid, seed in ITEM.findall(sheet_text)]


def key_answers(key_text: str) -> list[str]:
    return re.findall(r"^\*\*答案\*\*：(.*)$", key_text, re.MULTILINE)


def fill(path: Path, answer: Callable[[str, int | None], str]) -> None:
    """Write answer(question_id, seed) after each `答：` of the sheet at `path`."""
    text = path.read_text(encoding="utf-8")
    out: list[str] = []
    current: tuple[str, int | None] | None = None
    for line in text.splitlines():
        header = ITEM.match(line)
        if header:
            current = (header.group(2), int(header.group(3)) if header.group(3) else None)
        if line == "答：" and current is not None:
            line = "答：" + answer(*current)
        out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def pdf_ready() -> bool:
    """typst and a CJK font are installed (PDF tests skip without them)."""
    from quiz.sheets import pdf as sheet_pdf

    try:
        sheet_pdf.cjk_font()
    except sheet_pdf.PdfUnavailable:
        return False
    return True
