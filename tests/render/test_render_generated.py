"""Readable math and generated text (issue 19, "Readable"): fractions keep their meaning, display
math stands on its own line, and every worked solution and mistake message renders without a raw
LaTeX or Markdown token."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from quiz.bank.parser import load_bank
from quiz.numeric import (
    RECIPES,
    Status,
    Template,
    Verdict,
    fixed_seeds,
    grade,
    instantiate,
    load_templates,
    solve,
)
from quiz.numeric.feedback import format_value, verdict_parts, worked_solution
from quiz.paths import bundled_bank_dir
from quiz.render.generated import generated_markdown
from quiz.render.math import latex_to_unicode
from quiz.render.terminal import CODE, BankMarkdown
from quiz.tui.widgets.numeric_panel import _verdict_markdown


@pytest.mark.parametrize(("latex", "expected"), [
    # the issue's two examples: a factor after a fraction, a product in a denominator
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


# What must not survive rendering, outside code spans (`output_padding` is a PyTorch name there):
# LaTeX scripts, groups and commands, Markdown emphasis and code marks, and the small parentheses
# of a script Unicode cannot write (`k₍w₎`).
RAW_TOKEN = re.compile(r"[_^{}$`\\₍₎⁽⁾]|\*\*")
SEEDS = (1, 2, 3, 4)


def raw_tokens(markdown: str, width: int = 100) -> list[str]:
    """Each rendered line that still shows a raw token (code spans blanked out first)."""
    found = []
    for line in BankMarkdown(markdown).lines(width):
        plain = list(line.plain)
        for span in line.text.spans:
            if isinstance(span.style, Style) and span.style.color == CODE.color:
                plain[span.start:span.end] = " " * (span.end - span.start)
        if RAW_TOKEN.search("".join(plain)):
            found.append(line.plain)
    return found


@lru_cache(maxsize=1)
def templates() -> dict[str, Template]:
    return load_templates(load_bank(bundled_bank_dir()))


def template_ids() -> list[str]:
    return sorted(templates())


def test_the_bank_has_templates_and_recipes() -> None:
    assert len(template_ids()) > 40 and len(RECIPES) > 20


@pytest.mark.parametrize("template_id", template_ids())
def test_every_worked_solution_renders_without_raw_tokens(template_id: str) -> None:
    template = templates()[template_id]
    seeds = [*fixed_seeds(template)[:1], *SEEDS]
    for seed in seeds:
        instance = instantiate(template, seed)
        worked = worked_solution(instance, solve(instance, eager=False))
        assert raw_tokens(generated_markdown(worked)) == [], (template_id, seed, worked)


@pytest.mark.parametrize("recipe_id", sorted(RECIPES))
def test_every_mistake_message_renders_without_raw_tokens(recipe_id: str) -> None:
    recipe = RECIPES[recipe_id]
    message = f"不对。看起来你{recipe.name}。{recipe.why}\n\n正确答案：12,864"
    assert raw_tokens(generated_markdown(message)) == [], message


def test_the_check_finds_what_the_issue_saw() -> None:
    # the raw forms of the issue, unconverted, are caught; converted, they render clean
    for raw in ("H_out", "C_in/g", "r_{l−1}", "k₍w₎", "**答案**"):
        assert raw_tokens(raw.replace("**答案**", "\\*\\*答案\\*\\*")) != [], raw
    assert raw_tokens(generated_markdown("H_out = C_in/g + r_{l−1}；**答案**：3")) == []


def wrong_grouped_verdict() -> tuple[Verdict, str]:
    """A real verdict: the answer of a conv with its groups ignored (`C_in/g` in the rule)."""
    instance = instantiate(templates()["num-params-grouped"], 1)
    solution = solve(instance)
    slip = next(a for a in solution.alternatives if a.recipe.id == "ignore-groups")
    return grade(instance, str(slip.value), solution), format_value(solution.expected, instance)


def test_a_verdict_says_its_status_and_the_answer_once() -> None:
    verdict, answer = wrong_grouped_verdict()
    message, worked = verdict_parts(verdict.message, verdict.worked, label_shown=True)
    lead = Text.assemble(("✘ 不对 wrong", "bold red"), "  ")
    shown = "\n".join(BankMarkdown(_verdict_markdown(verdict, message), lead=lead)
                      .plain_lines(60)) + "\n" + "\n".join(
        BankMarkdown(generated_markdown(worked)).plain_lines(60))
    # the answer is stated once (the layer formula may still end in the same number)
    assert shown.count("不对") == 1 and shown.count(f"答案：{answer}") == 1, shown
    assert verdict.mistake is not None and shown.count(verdict.mistake) == 1, shown
    assert "Cᵢₙ/g" in shown and raw_tokens(_verdict_markdown(verdict, message)) == []
    # without a label beside it (the CLI) the message keeps its status word
    assert verdict_parts(verdict.message, verdict.worked, label_shown=False)[0] == \
        verdict.message


def test_a_verdict_wraps_like_chinese() -> None:
    verdict, _ = wrong_grouped_verdict()
    message, _ = verdict_parts(verdict.message, verdict.worked, label_shown=True)
    lead = Text.assemble(("✘ 不对 wrong", "bold red"), "  ")
    lines = BankMarkdown(_verdict_markdown(verdict, message), lead=lead).lines(40)
    assert lines[0].plain.startswith("✘ 不对 wrong  看起来你")
    paragraph = [line for line in lines if line.plain][:-1]
    # greedy: a line ends only when the next character would not fit (no break at a space
    # that leaves half a line empty, as English wrapping did)
    assert all(cell_len(line.plain) >= 38 for line in paragraph[:-1]), [
        line.plain for line in lines]


def test_an_unparseable_answer_is_shown_literally() -> None:
    verdict = Verdict(Status.UNPARSEABLE, "看不懂 “$x_1$ **2**”", None, "", 0)
    text = "".join(BankMarkdown(_verdict_markdown(verdict, verdict.message)).plain_lines(80))
    assert text == "看不懂 “$x_1$ **2**”"


def test_the_cli_prints_a_verdict_through_the_renderer(capsys: pytest.CaptureFixture[str]) -> None:
    from quiz.cli import main

    argv = ["numeric", "grade", "num-params-dws", "--seed", "-1", "--answer", "144"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "漏算了 1×1 卷积" in out and "Cᵢₙ/g" in out and out.count("答案：") == 1, out
    assert not re.search(r"\*\*|[A-Z]_(in|out)|[$\\{}₍₎]", out), out
