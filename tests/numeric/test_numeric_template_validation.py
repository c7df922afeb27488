"""Templates are validated when the bank is read (issue 10): huge ranges are sampled without
being materialised, expressions that would explode are refused by the expression reader, and
constraints that never hold are reported at import with file:line — never at first use."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from quiz.bank.parser import parse_text
from quiz.cli import main
from quiz.numeric import SamplingError, TemplateError, instantiate, load_templates
from quiz.numeric.expr import MAX_BITS, ExprError, evaluate, parse_expr
from quiz.numeric.sampler import sample_params

HEAD = """\
# 测试

## 一个模板

```meta
id: t-one
sources: 004#54
tags: 数值计算
kind: numeric
```

说明。

```template
family: conv-output
ask: output_hw(net)
params:
"""

def bank(params: str, where: str = "", net: str = "conv 4 k3", extra: str = "") -> str:
    where_section = f"where:\n  {where}\n" if where else ""
    return (HEAD + params + where_section + f"net:\n  input 1x{{H}}x{{H}}\n  {net}\n"
            "prompt:\n  输入 {H}×{H}。\n" + extra + "```\n")


def load(text: str) -> dict[str, object]:
    return dict(load_templates(parse_text(text, "t.md")))


def test_a_huge_range_is_sampled_without_materialising_it() -> None:
    text = bank("  H: 1..1000000000\n")
    tracemalloc.start()
    start = time.perf_counter()
    (template,) = load_templates(parse_text(text, "t.md")).values()
    assert template.to_json()["params"] == {"H": "1..1000000000"}
    spec = template.params[0]
    assert len(spec.choices) == 10**9 and 999_999_999 in spec.choices
    drawn = {sample_params(template, seed)["H"] for seed in range(50)}
    assert len(drawn) == 50 and all(1 <= int(h) <= 10**9 for h in drawn)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 2**20 and time.perf_counter() - start < 5


def test_quiz_numeric_list_survives_a_huge_range(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.md").write_text(bank("  H: 1..1000000000\n"), encoding="utf-8")
    start = time.perf_counter()
    assert main(["numeric", "list", "--path", str(tmp_path)]) == 0
    # generous: the CLI imports the store (SQLAlchemy) on a busy CI machine; the old code
    # materialised a billion-element tuple here (minutes and gigabytes)
    assert "t-one" in capsys.readouterr().out and time.perf_counter() - start < 60


def test_an_exploding_constraint_is_refused_at_import_with_its_line() -> None:
    text = bank("  H: 1..100\n", where="((((H**64)**64)**64)**64)**64 > 0")
    start = time.perf_counter()
    with pytest.raises(TemplateError) as error:
        load(text)
    assert time.perf_counter() - start < 2
    line = text.splitlines().index("  ((((H**64)**64)**64)**64)**64 > 0") + 1
    assert str(error.value).startswith(f"t.md:{line}:") and "too large" in str(error.value)


def test_an_exploding_derived_size_is_refused_at_import() -> None:
    with pytest.raises(TemplateError, match="too large"):
        load(bank("  H: 2..100\n  P = H ** 64 ** 64\n"))


def test_unsatisfiable_constraints_are_refused_at_import() -> None:
    with pytest.raises(TemplateError) as error:
        load(bank("  H: 1..10\n", where="H > 100"))
    assert str(error.value).startswith("t.md:") and "no draw" in str(error.value)


def test_one_bad_template_does_not_stop_the_others_when_errors_are_collected() -> None:
    good = bank("  H: 8..16\n")
    bad = bank("  H: 1..10\n", where="H > 100").replace("t-one", "t-two").replace(
        "# 测试\n", "")
    errors: list[TemplateError] = []
    templates = load_templates(parse_text(good + "\n" + bad, "t.md"), errors)
    assert list(templates) == ["t-one"] and len(errors) == 1 and "no draw" in str(errors[0])


def test_a_net_the_engine_always_rejects_ends_in_a_bounded_sampling_error() -> None:
    (template,) = load_templates(parse_text(bank("  H: 2..5\n", net="conv 4 k9"),
                                            "t.md")).values()
    start = time.perf_counter()
    with pytest.raises(SamplingError, match="engine rejected"):
        instantiate(template, 1)
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("text", [
    "((((H**64)**64)**64)**64)**64", "2**64**64", "H*H*H*H*H*H*H*H*H*H*H*H*H*H*H*H*H*H*H*H",
])
def test_the_expression_reader_bounds_values(text: str) -> None:
    node = parse_expr(text)
    start = time.perf_counter()
    with pytest.raises(ExprError, match="too large"):
        evaluate(node, {"H": 10**9})
    assert time.perf_counter() - start < 0.5
    assert evaluate(parse_expr("2**64"), {}) == 2**64 and MAX_BITS >= 128


@pytest.mark.parametrize("text", ["(" * 200 + "1" + ")" * 200, "1 + " * 200 + "1",
                                  "9" * 60])
def test_the_expression_reader_bounds_its_input(text: str) -> None:
    with pytest.raises(ExprError):
        parse_expr(text)
