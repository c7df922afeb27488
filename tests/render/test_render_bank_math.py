"""Every formula of the bank renders without raw LaTeX: no `\\command`, no `^`, no `_` (a
literal `\\_` excepted), and a script falls back to `₍…₎` / `⁽…⁾` only when Unicode has no
sub/superscript for one of its characters."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir
from quiz.render.math import latex_to_unicode, substitute_math

# What Unicode offers, written out here rather than taken from the renderer's tables.
HAS_SUBSCRIPT = set("0123456789+-−=()aehijklmnoprstuvxβγρφϕχ")
HAS_SUPERSCRIPT = set("0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεϵθιφϕχ")
SUB_FALLBACK = re.compile(r"₍([^₍₎]*)₎")
SUPER_FALLBACK = re.compile(r"⁽([^⁽⁾]*)⁾")


@lru_cache(maxsize=1)
def formulas() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for question in load_bank(bundled_bank_dir()):
        def collect(match: re.Match[str], question_id: str = question.id) -> str:
            found.append((question_id, match.group(1) or match.group(2)))
            return ""
        substitute_math(question.answer, collect)
    return found


def test_the_bank_has_formulas() -> None:
    assert len(formulas()) > 500


@pytest.mark.parametrize(("question", "latex"), formulas())
def test_formula_has_no_raw_latex(question: str, latex: str) -> None:
    text = latex_to_unicode(latex)
    assert not re.search(r"\\[A-Za-z]", text), text
    assert "^" not in text, text
    assert text.count("_") == latex.count(r"\_"), text
    # Grouping braces vanish; only escaped ones (a set, `\{-1, +1\}`) are shown.
    assert text.count("{") == latex.count(r"\{") and text.count("}") == latex.count(r"\}"), text
    for fallback in SUB_FALLBACK.findall(text):
        assert not set(fallback) <= HAS_SUBSCRIPT, f"{text}: ₍{fallback}₎ has a subscript form"
    for fallback in SUPER_FALLBACK.findall(text):
        assert not set(fallback) <= HAS_SUPERSCRIPT, f"{text}: ⁽{fallback}⁾ has a superscript form"


def test_symbol_fast_path_agrees_with_pylatexenc(monkeypatch: pytest.MonkeyPatch) -> None:
    from quiz.render import math

    sources = [*sorted({latex for _, latex in formulas()}), r"\alpha\,x", r"\partial L", r"x\ y"]
    fast = {latex: math.latex_to_unicode(latex) for latex in sources}
    assert sum(math._plain_symbols(latex) is not None for latex in sources) > len(sources) // 2
    math.latex_to_unicode.cache_clear()
    monkeypatch.setattr(math, "_plain_symbols", lambda source: None)
    try:
        for latex in sources:
            assert math.latex_to_unicode(latex) == fast[latex], latex
    finally:
        math.latex_to_unicode.cache_clear()
