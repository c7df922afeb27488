"""Readable math and generated text (issue 19, "Readable"): fractions keep their meaning, display
math stands on its own line, and every worked solution and mistake message renders without a raw
LaTeX or Markdown token."""

from __future__ import annotations

import pytest

from quiz.render.math import latex_to_unicode
from quiz.render.terminal import BankMarkdown


@pytest.mark.parametrize(("latex", "expected"), [
    # the two examples: a factor after a fraction, a product in a denominator
    (r"\frac{C_{in}}{g}k^2", "(Cᵢₙ/g)·k²"),
    (r"\frac{1}{HW}", "1/(HW)"),
    (r"\frac{2\cdot 9C^2}{25C^2}", "(2 · 9C²)/(25C²)"),
    (r"\frac{1}{N} \sum_n L_n", "(1/N) Σₙ Lₙ"),
    (r"\frac{1}{2}(w-z)^2", "(1/2)·(w-z)²"),
    (r"\frac{a}{b}^2", "(a/b)²"),
    (r"a/\frac{b}{c}", "a/(b/c)"),
    (r"\frac{\frac{a}{b}}{c}", "(a/b)/c"),
    (r"2\sqrt{hwB}", "2√(hwB)"),
    (r"\sqrt{\frac{a}{b}}", "√(a/b)"),
    (r"\frac{k^2}{(2k-1)^2}", "k²/(2k-1)²"),
])
def test_fractions_and_roots_keep_their_meaning(latex: str, expected: str) -> None:
    assert latex_to_unicode(latex) == expected


@pytest.mark.parametrize(("latex", "expected"), [
    # single operands need no parentheses, and a fraction an operator follows stays bare
    (r"\frac{\partial L}{\partial x_i}", "∂L/∂xᵢ"),
    (r"\frac{1}{\sqrt{d_k}}", "1/√dₖ"),
    (r"\frac{a+b}{c}", "(a+b)/c"),
    (r"\frac{C_{in}}{g} \cdot C_{out}", "Cᵢₙ/g · Cₒᵤₜ"),
    (r"\frac{1}{C_{out}} + \frac{1}{k^2}", "1/Cₒᵤₜ + 1/k²"),
    (r"\frac{\gamma}{\sqrt{\sigma^2+\epsilon}}", "γ/√(σ²+ϵ)"),
])
def test_simple_fractions_stay_bare(latex: str, expected: str) -> None:
    assert latex_to_unicode(latex) == expected


@pytest.mark.parametrize("markdown", [
    "- 卷积层：共 $C_{out}$ 个核：\n$$P = C_{out} \\cdot (C_{in} + 1)$$\n分组卷积时",
    "前文 $$P = C_{out} + 1$$ 分组卷积时",
])
def test_display_math_stands_on_its_own_line(markdown: str) -> None:
    lines = [line.plain.strip() for line in BankMarkdown(markdown).lines(60)]
    formula = lines.index("P = Cₒᵤₜ · (Cᵢₙ + 1)" if "(" in markdown else "P = Cₒᵤₜ + 1")
    assert 0 < formula < len(lines) - 1
    assert lines[formula + 1].startswith("分组卷积时")


def test_a_display_formula_alone_adds_no_blank_line() -> None:
    assert [line.plain for line in BankMarkdown("$$x+1$$").lines(40)] == ["  x+1"]
