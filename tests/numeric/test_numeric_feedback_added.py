"""Worked solutions of the padding and activation-memory templates state the numbers the grade
uses: TensorFlow SAME's total and per-side padding, the batch's activation bytes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from quiz.bank.parser import load_bank
from quiz.numeric import Status, Template, grade, instantiate, load_templates, solve

BANK = Path(__file__).resolve().parents[2] / "data" / "questions"


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return load_templates(load_bank(BANK))


def test_tf_same_solution_shows_total_and_sides(templates: dict[str, Template]) -> None:
    for seed in range(-2, 25):
        instance = instantiate(templates["num-pad-tf-same-total"], seed)
        p = instance.params
        out = math.ceil(p["H"] / p["s"])
        total = max((out - 1) * p["s"] + p["d"] * (p["k"] - 1) + 1 - p["H"], 0)
        worked = grade(instance, "-1").worked
        assert f"⌈{p['H']}/{p['s']}⌉ = {out}" in worked, worked
        assert f"= {total}，上侧 ⌊P/2⌋ = {total // 2}，下侧 {total - total // 2}" in worked


def test_activation_solution_sums_the_layers(templates: dict[str, Template]) -> None:
    for seed in range(-1, 10):
        instance = instantiate(templates["num-mem-train-activations"], seed)
        p = instance.params
        per_sample = 3 * p["C"] * p["H"] ** 2 + p["C"] * (p["H"] // 2) ** 2
        worked = grade(instance, "1", solve(instance, eager=False)).worked
        assert f"= {per_sample:,} 个元素 × 4 字节" in worked
        assert f"× batch {p['B']} = {per_sample * 4 * p['B']:,} 字节" in worked
        assert "只改变第一维" not in worked


def tf_same(size: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    total = max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def test_symmetric_pytorch_padding_is_named(templates: dict[str, Template]) -> None:
    named = 0
    for seed in range(-2, 40):
        instance = instantiate(templates["num-pad-tf-same-total"], seed)
        p = instance.params
        wrong = 2 * (p["d"] * (p["k"] - 1) // 2)       # PyTorch's symmetric p on both sides
        if wrong == sum(tf_same(p["H"], p["k"], p["s"], p["d"])):
            continue
        verdict = grade(instance, str(wrong))
        assert verdict.status is Status.WRONG and "对称 padding" in verdict.message, p
        named += 1
    assert named > 10


def test_extra_row_on_top_is_named(templates: dict[str, Template]) -> None:
    named = 0
    for seed in range(-2, 40):
        instance = instantiate(templates["num-pad-tf-same-bottom"], seed)
        p = instance.params
        top, bottom = tf_same(p["H"], p["k"], p["s"])
        if top == bottom:
            continue
        verdict = grade(instance, str(top))
        assert verdict.status is Status.WRONG and "上侧" in verdict.message, p
        named += 1
    assert named > 5
