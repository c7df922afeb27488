"""The template block format, its errors, the safe expression reader and the public API."""

from __future__ import annotations

import re
import subprocess
import sys
from fractions import Fraction

import pytest

from quiz.bank.parser import parse_text
from quiz.numeric import (
    Status,
    TemplateError,
    fixed_seeds,
    grade,
    instantiate,
    load_templates,
    parse_template,
    solve,
)
from quiz.numeric.expr import ExprError, evaluate, parse_expr

GOOD = """\
family: conv-output
ask: output_hw(net)
tolerance: 0
params:
  H: 8..32
  k: 1, 3   # a comment
  pad = k // 2
where:
  H % 2 == 0
net:
  input 1x{H}x{H}
  conv 2 k{k} p{pad}
prompt:
  输入 {H}×{H}，{k}×{k} 卷积，padding {pad}。
  输出多大？
fixed:
  000#1.3: H=16, k=3
"""

BANK_FILE = f"""\
# 数值

## 输出尺寸

```meta
id: t-out
sources: 000#1.3
tags: 数值计算
kind: numeric
```

same padding 保持尺寸。

```template
{GOOD}```
"""


def test_parse_good_template() -> None:
    template = parse_template(GOOD, id="t", first_line=10)
    assert template.param_names == ("H", "k", "pad")
    assert template.tolerance == 0
    assert template.fixed[0].label == "000#1.3"
    assert fixed_seeds(template) == [-1]
    instance = instantiate(template, 4)
    assert instance.params["H"] % 2 == 0
    assert instance.params["pad"] == instance.params["k"] // 2
    assert "{" not in instance.prompt and "输出多大？" in instance.prompt
    assert instance.expected == (instance.params["H"], instance.params["H"])


def test_load_templates_from_bank_questions() -> None:
    templates = load_templates(parse_text(BANK_FILE, "numeric-test.md"))
    template = templates["t-out"]
    assert template.family == "conv-output" and template.sources == ("000#1.3",)
    assert template.explanation == "same padding 保持尺寸。"
    verdict = grade(instantiate(template, -1), "16x16")
    assert verdict.status is Status.RIGHT


@pytest.mark.parametrize(("broken", "message"), [
    (GOOD.replace("family: conv-output\n", ""), "lacks required key 'family'"),
    (GOOD.replace("ask: output_hw(net)", "ask: __import__('os')"), "unknown quantity"),
    (GOOD.replace("ask: output_hw(net)", "ask: output_hw(other)"), "not nets"),
    (GOOD.replace("conv 2 k{k}", "conv 2 k{kk}"), "{kk} is not a parameter"),
    (GOOD.replace("H: 8..32", "H: 32..8"), "empty range"),
    (GOOD.replace("tolerance: 0", "tolerance: lots"), "tolerance must be"),
    (GOOD.replace("tolerance: 0", "colour: red"), "unknown template key"),
    (GOOD.replace("H=16, k=3", "H=16"), "lacks ['k']"),
    (GOOD.replace("  H % 2 == 0", "  H % 2 == = 0"), "cannot read"),
    (GOOD.replace("  H % 2 == 0", "  H % 2 =="), "unexpected end"),
    (GOOD + "mistakes: forgot-everything\n", "unknown mistake"),
    (GOOD.replace("pad = k // 2", "pad = q // 2"), "before they are drawn"),
])
def test_template_errors_name_the_line(broken: str, message: str) -> None:
    with pytest.raises(TemplateError, match=r"line \d+: .*" + re.escape(message)):
        parse_template(broken, id="t", first_line=10)


def test_bank_file_error_names_file_and_line() -> None:
    broken = BANK_FILE.replace("tolerance: 0", "tolerance: lots")
    with pytest.raises(TemplateError, match=r"numeric-test\.md:\d+: tolerance"):
        load_templates(parse_text(broken, "numeric-test.md"))


def test_bad_templates_can_be_collected_instead_of_raised() -> None:
    questions = parse_text(BANK_FILE.replace("tolerance: 0", "tolerance: lots"), "n.md")
    errors: list[TemplateError] = []
    assert load_templates(questions, errors=errors) == {}
    assert len(errors) == 1 and "n.md:" in str(errors[0])


def test_contradictory_constraints_fail_clearly() -> None:
    template = parse_template(GOOD.replace("H % 2 == 0", "H > 100"), id="t")
    from quiz.numeric import SamplingError

    with pytest.raises(SamplingError, match="no valid draw"):
        instantiate(template, 1)


def test_invalid_layers_are_never_drawn() -> None:
    # kernel 7 does not fit an input of 3..8 without padding for most draws: the engine rejects
    text = GOOD.replace("H: 8..32", "H: 3..8").replace("k: 1, 3", "k: 7").replace(
        "H % 2 == 0", "H > 0").replace("p{pad}", "").replace("H=16, k=3", "H=8, k=7")
    template = parse_template(text, id="t")
    for seed in range(30):
        assert instantiate(template, seed).params["H"] >= 7


def test_expressions_are_exact_and_safe() -> None:
    assert evaluate(parse_expr("(a + 1) / 3"), {"a": 1}) == Fraction(2, 3)
    assert evaluate(parse_expr("a % 4 == 0 and not b > 2"), {"a": 8, "b": 1}) is True
    for text in ["__import__('os').system('true')", "a.__class__", "[1]", "a if b else c",
                 "lambda: 1"]:
        with pytest.raises(ExprError):
            evaluate(parse_expr(text), {"a": 1, "b": 2, "c": 3})
    with pytest.raises(ExprError):
        evaluate(parse_expr("1 / (a - 1)"), {"a": 1})


def test_solution_computes_misconceptions_lazily() -> None:
    template = parse_template(GOOD, id="t-lazy")
    instance = instantiate(template, 2)
    solution = solve(instance, eager=False)
    assert solution._alternatives is None
    assert solution.alternatives  # computed on demand
    assert solve(instance) is solution


def test_import_has_no_tui_or_database_dependencies() -> None:
    code = ("import sys, quiz.numeric; "
            "print([m for m in ('textual', 'sqlalchemy') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"
