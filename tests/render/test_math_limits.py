"""The math renderer has a depth and size limit and falls back to the raw (safe) text (issue 21):
~100 nested \\frac used to crash the TUI on reveal and `quiz sheet --format html|pdf`."""

from __future__ import annotations

import time

import pytest

from quiz.render.math import MAX_MATH_CHARS, latex_to_unicode, render_markdown_math


def _nested_frac(depth: int) -> str:
    text = "x"
    for _ in range(depth):
        text = "\\frac{" + text + "}{2}"
    return text


HOSTILE = {
    "nested frac": _nested_frac(100),
    "bare frac chain": "\\frac" * 200 + "ab",
    "sqrt chain": "\\sqrt" * 300 + "x",
    "left chain": "\\left(" * 200 + "x" + "\\right)" * 200,
    "nested optional arguments": "\\sqrt[" * 40 + "x" + "]" * 40 + "y",
    "long": "\\frac{a}{b}+" * (MAX_MATH_CHARS // 10),
}


@pytest.mark.parametrize("latex", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_math_falls_back_to_raw(latex: str) -> None:
    start = time.perf_counter()
    assert latex_to_unicode(latex) == latex.strip()
    assert time.perf_counter() - start < 2


def test_fallback_is_safe_text() -> None:
    latex = _nested_frac(100) + "\x1b]52;c;AAAA\x07"
    out = latex_to_unicode(latex)
    assert "\x1b" not in out and "\x07" not in out


def test_markdown_with_deep_math_renders() -> None:
    out = render_markdown_math(f"答案 ${_nested_frac(100)}$ 完")
    assert out.startswith("答案 \\frac{") and out.endswith(" 完")


def test_ordinary_math_still_converted() -> None:
    assert latex_to_unicode("\\frac{a}{b}") != "\\frac{a}{b}"
    assert "√" in latex_to_unicode("\\sqrt[3]{x}")
