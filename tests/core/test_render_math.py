from __future__ import annotations

import pytest

from quiz.render.math import latex_to_unicode, render_markdown_math


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\frac{a+b}{c}", "(a+b)/c"),
        (r"\frac{1}{K^2}", "1/K²"),
        (r"\left\lfloor \frac{H - k}{s} \right\rfloor + 1", "⌊ (H - k)/s ⌋ + 1"),
        (r"C_{in} \cdot K \cdot K", "Cᵢₙ · K · K"),
        (r"\hat{x} = \frac{x-\mu}{\sqrt{\sigma^2+\epsilon}}", "x̂ = (x-μ)/√(σ²+ϵ)"),
        (r"\sum_{i=1}^{n} w_i", "Σᵢ₌₁ⁿ wᵢ"),
        (r"1.2 \times 10^8", "1.2 × 10⁸"),
        (r"\mathbb{E}[x]", "𝔼[x]"),
        (r"W_{eff}", "W₍eff₎"),  # no subscript f in Unicode: the documented fallback
        (r"\mu_\mathcal{B}=\frac{1}{m}\sum_{i=1}^{m}x_i", "μ₍B₎=(1/m) Σᵢ₌₁ᵐ xᵢ"),
        (r"\mathbb{E}_{x\sim p_{data}}", "𝔼₍x∼p₍data₎₎"),
        (r"H + output\_padding", "H + output_padding"),
        (r"\|x\|_2", "‖x‖₂"),
        (r"a^{l-1}, W^T, e^{-x}", "aˡ⁻¹, Wᵀ, e⁻ˣ"),
        (r"D^*(x)", "D*(x)"),
        (r"d_{model}^{-0.5}", "d₍model₎⁽-0.5⁾"),
        (r"n\times n", "n × n"),
        (r"\frac{\partial L}{\partial W^l}", "∂L/∂Wˡ"),
        (r"\eta = 0.1", "η = 0.1"),
    ],
)
def test_latex_becomes_readable_unicode(latex: str, expected: str) -> None:
    assert latex_to_unicode(latex) == expected


def test_unknown_commands_keep_their_name_without_backslash() -> None:
    assert "\\" not in latex_to_unicode(r"\weird{x} + \alpha")


def test_markdown_math_is_replaced_but_code_is_not() -> None:
    markdown = "价格 $5 与 $x^2$ 以及 `$y^2$`\n\n```\n$z^2$\n```\n\n$$\\frac{a}{b+c}$$"
    rendered = render_markdown_math(markdown)
    assert "x²" in rendered and "`$y^2$`" in rendered and "$z^2$" in rendered
    assert "**a/(b+c)**" in rendered and "价格 $5" in rendered
