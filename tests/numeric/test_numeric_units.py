"""Grading that respects units (issue 12): bytes converted with the prompt's dtype, units that
contradict the asked quantity flagged, `B` read as bytes only where bytes can be meant, shapes
checked in every dimension given, powers of ten and non-finite numbers.

Expected values are computed here from the layer formulas, independently of the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.bank.parser import load_bank, parse_text
from quiz.numeric import (
    Instance,
    Status,
    Template,
    grade,
    instantiate,
    load_templates,
    parse_answer,
)

BANK = Path(__file__).resolve().parents[2] / "data" / "questions"


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return load_templates(load_bank(BANK))


def working_set(h: int, c: int, k: int) -> int:
    """Input + output + weights of a same-size conv C→C, kxk, no bias (elements)."""
    return 2 * h * h * c + k * k * c * c


# --------------------------------------------------------------------------------------------
# memory: bytes and elements

@pytest.fixture(scope="module")
def memory(templates: dict[str, Template]) -> tuple[Instance, int]:
    instance = instantiate(templates["num-ws-conv"], -2)   # 004#54: H=64, C=16, k=3, float32
    p = instance.params
    return instance, working_set(int(p["H"]), int(p["C"]), int(p["k"]))


@pytest.mark.parametrize("form", [
    lambda e: f"{e * 4} B", lambda e: f"{e * 4}B", lambda e: f"{e * 4} bytes",
    lambda e: f"{e * 4 / 1000:.1f}KB", lambda e: f"{e * 4 / 10**6:.3f} MB",
    lambda e: f"{e * 4 / 2**10:.1f} KiB", lambda e: f"{e * 4 / 2**20:.4f}MiB",
])
def test_bytes_are_converted_with_the_prompts_dtype(memory: tuple[Instance, int],
                                                    form: object) -> None:
    instance, elements = memory
    answer = form(elements)  # type: ignore[operator]
    verdict = grade(instance, answer)
    assert verdict.status is Status.RIGHT, (answer, verdict.message)
    assert "4 字节" in verdict.message


def test_elements_written_as_kilobytes_are_not_silently_right(
        memory: tuple[Instance, int]) -> None:
    instance, elements = memory
    answer = f"{round(elements / 1000)}KB"   # the element count, mislabelled as kilobytes
    verdict = grade(instance, answer)
    assert verdict.status is Status.WRONG
    assert "字节" in verdict.message        # the feedback says what the bytes were taken as
    assert grade(instance, f"{elements}").status is Status.RIGHT


NO_DTYPE_BANK = """\
# 内存

## 工作集（不给数据类型）

```meta
id: ws-no-dtype
sources: 004#54
tags: 数值计算
kind: numeric
```

说明。

```template
family: memory
ask: working_set(net)
unit: 个元素
tolerance: 1%
params:
  H: 16
  C: 8
net:
  input {C}x{H}x{H}
  conv {C} k3 p1 nobias
prompt:
  输入 {H}×{H}×{C}，3×3 卷积输出 {C} 通道。工作集是多少个元素？
fixed:
  004#54: H=16, C=8
```
"""


def test_bytes_without_a_stated_dtype_are_a_wrong_unit() -> None:
    (template,) = load_templates(parse_text(NO_DTYPE_BANK, "no-dtype.md")).values()
    instance = instantiate(template, -1)
    elements = working_set(16, 8, 3)
    for answer in (f"{elements * 4} B", f"{elements * 4 / 1000}KB", f"{elements} bytes"):
        verdict = grade(instance, answer)
        assert verdict.status is Status.WRONG and verdict.mistake_id == "wrong-unit", answer
        assert "数据类型" in verdict.message
    assert grade(instance, str(elements)).status is Status.RIGHT
    assert grade(instance, f"{elements} 个元素").status is Status.RIGHT


# --------------------------------------------------------------------------------------------
# a unit that contradicts the asked quantity

def test_flops_on_a_parameter_question_is_flagged(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-params-conv-nobias"], -2)   # 002#16: 4608
    p = instance.params
    params = int(p["Cout"]) * int(p["Cin"]) * int(p["k"]) ** 2
    verdict = grade(instance, f"{params} FLOPs")
    assert verdict.status is Status.WRONG and verdict.mistake_id == "wrong-unit"
    assert "参数个数" in verdict.message and "FLOPs" in verdict.message
    for unit in ("", " 个参数", " params"):
        assert grade(instance, f"{params}{unit}").status is Status.RIGHT, unit


def test_macs_named_for_the_flops_value_is_wrong(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-flops-conv"], -1)
    p = instance.params
    macs = int(p["H"]) ** 2 * int(p["Cout"]) * int(p["Cin"]) * int(p["k"]) ** 2
    flops = 2 * macs
    wrong = grade(instance, f"{flops} MACs")   # the FLOPs number, called MACs
    assert wrong.status is Status.WRONG
    assert "你给的是 MACs" in wrong.message     # the unit was read, not ignored
    assert grade(instance, f"{macs} MACs").status is Status.RIGHT
    assert grade(instance, f"{flops} FLOPs").status is Status.RIGHT


def test_exa_flops_on_a_macs_question_is_read_and_flagged(
        templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-macs-conv"], -1)
    parsed = parse_answer("2E FLOPs")
    assert parsed.ok and parsed.value == 2 * 10**18 and parsed.unit == "flops"
    verdict = grade(instance, "2E FLOPs")
    assert verdict.status is Status.WRONG and "你给的是 FLOPs" in verdict.message


def test_the_right_number_in_the_other_convention_is_not_right(
        templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-macs-conv"], -1)   # 2,415,919,104 MACs
    assert grade(instance, "2.42 GFLOPs").status is Status.WRONG
    assert grade(instance, "4.83 GFLOPs").status is Status.RIGHT


# --------------------------------------------------------------------------------------------
# `B`: billions unless bytes can be meant

def test_b_is_the_same_with_or_without_a_space() -> None:
    for number in ("1867776", "1.2", "3"):
        tight, spaced = parse_answer(f"{number}B"), parse_answer(f"{number} B")
        assert (tight.value, tight.bytes_value) == (spaced.value, spaced.bytes_value)


def test_b_means_billions_where_no_bytes_can_be_meant(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-macs-conv"], -1)   # 2,415,919,104 MACs
    for answer in ("2.42B", "2.42 B", "2.42b"):
        assert grade(instance, answer).status is Status.RIGHT, answer


def test_b_means_bytes_on_a_memory_question(memory: tuple[Instance, int]) -> None:
    instance, elements = memory
    assert grade(instance, f"{elements * 4}B").status is Status.RIGHT
    assert grade(instance, f"{elements}B").status is Status.WRONG   # elements called bytes


# --------------------------------------------------------------------------------------------
# shapes: every dimension given must be right

def test_every_dimension_of_a_shape_answer_is_checked(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-conv-out-square"], -1)
    p = instance.params
    side = (int(p["H"]) + 2 * int(p["p"]) - int(p["k"])) // int(p["s"]) + 1
    channels = int(p["N"])
    other = channels + 1
    right = [f"{side}x{side}", f"{side}", f"{side}x{side}x{channels}",
             f"({channels}, {side}, {side})", f"(1, {channels}, {side}, {side})",
             f"(N, {channels}, {side}, {side})", f"(1, {side}, {side}, {channels})"]
    wrong = [f"{side}x{side}x{other}", f"(1, 99, {side}, {side})" if channels != 99 else "",
             f"(2, {channels}, {side}, {side})", f"({other}, {side}, {side})",
             f"{side}x{side + 1}"]
    for answer in right:
        assert grade(instance, answer).status is Status.RIGHT, answer
    for answer in filter(None, wrong):
        assert grade(instance, answer).status is Status.WRONG, answer


# --------------------------------------------------------------------------------------------
# powers of ten and numbers that are not finite

@pytest.mark.parametrize("text", ["10^4", "10⁴", "1e4", "10**4", "1×10^4", "1 x 10^4"])
def test_powers_of_ten_parse(text: str) -> None:
    parsed = parse_answer(text)
    assert parsed.ok and parsed.value == 10_000, parsed.error


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "10^999",
                                  "约 inf", "∞"])
def test_non_finite_numbers_get_a_clear_message(text: str) -> None:
    parsed = parse_answer(text)
    assert not parsed.ok and "不是一个可以评分的数" in (parsed.error or ""), parsed.error
