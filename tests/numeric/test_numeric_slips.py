"""The classic slips of issue 19, each recognised on a wrong answer computed here by the learner's
mistaken arithmetic (closed forms of the instance's parameters, written independently of the
engine), over several seeds; and a right answer is never named as a slip."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from quiz.bank.parser import load_bank
from quiz.numeric import RECIPES, Status, Template, grade, instantiate, load_templates, solve
from quiz.numeric.families import FAMILIES, UNIT_SLIPS

BANK = Path(__file__).resolve().parents[2] / "data" / "questions"
SEEDS = (-1, 0, 1, 2, 3, 4)

P = dict[str, Any]
PREFIXES = ("", "k", "M", "G", "T", "P")


def conv_out(size: int, k: int, s: int = 1, p: int = 0) -> int:
    return (size + 2 * p - k) // s + 1


def macs_conv(p: P) -> int:
    side = conv_out(p["H"], p["k"], p["s"], p["pad"])
    return side * side * p["Cout"] * p["Cin"] * p["k"] ** 2


def activation_elems(p: P) -> int:
    """conv, BN and ReLU outputs C×H×H each, the 2×2 max pool C×(H/2)², per sample."""
    return p["B"] * (3 * p["C"] * p["H"] ** 2 + p["C"] * (p["H"] // 2) ** 2)


def with_prefix(value: int, steps: int) -> str:
    """`value` written with its own SI prefix (2,415,919,104 → 2.416), then the prefix moved
    `steps` places: +1 writes G where M was meant."""
    index = 0
    while index + 1 < len(PREFIXES) and value >= 1000 ** (index + 1):
        index += 1
    return f"{value / 1000 ** index:.4g}{PREFIXES[index + steps]}"


def wan_as_yi(value: int) -> str:
    return f"{value / 10**4:.4g}亿"   # worked out in 万, written 亿


def yi_as_wan(value: int) -> str:
    return f"{value / 10**8:.4g}万"   # worked out in 亿, written 万


# recipe id → [(template, the wrong answer from the instance's parameters)]
SLIP_CASES: dict[str, list[tuple[str, Callable[[P], str]]]] = {
    "ignore-depthwise": [
        ("num-params-dws", lambda p: str(p["Cout"] * p["Cin"])),
        ("num-macs-dws", lambda p: str(p["H"] ** 2 * p["Cin"] * p["Cout"])),
    ],
    "ignore-gap": [
        ("num-macs-gap-fc", lambda p: str(p["C"] * p["H"] ** 2 * p["K"])),
        ("num-params-se", lambda p: str(p["C"] * p["H"] ** 2 * p["Cr"] + p["Cr"] * p["C"])),
        ("num-params-se-bias",
         lambda p: str(p["C"] * p["H"] ** 2 * p["Cr"] + p["Cr"] + p["Cr"] * p["C"] + p["C"])),
    ],
    "bn-affine-forgotten": [
        ("num-params-conv-bn", lambda p: str(p["Cout"] * p["Cin"] * p["k"] ** 2)),
        ("num-bn-state-dict", lambda p: str(p["Cout"] * p["Cin"] * p["k"] ** 2 + 2 * p["Cout"])),
    ],
    "elements-for-bytes": [
        ("num-mem-train-activations", lambda p: str(activation_elems(p))),
    ],
    "bytes-for-elements": [
        ("num-bn-buffers", lambda p: str(4 * (2 * p["C1"] + 2 * p["C2"]))),
        ("num-bn-state-dict",
         lambda p: str(4 * (p["Cout"] * p["Cin"] * p["k"] ** 2 + 4 * p["Cout"]))),
    ],
    "prefix-one-up": [
        ("num-macs-conv", lambda p: with_prefix(macs_conv(p), +1)),
        ("num-macs-conv", lambda p: str(macs_conv(p) * 1000)),
        ("num-mem-train-activations", lambda p: with_prefix(4 * activation_elems(p), +1)),
    ],
    "prefix-one-down": [
        ("num-macs-conv", lambda p: with_prefix(macs_conv(p), -1)),
        ("num-mem-train-activations", lambda p: with_prefix(4 * activation_elems(p), -1)),
    ],
    "wan-as-yi": [
        ("num-macs-conv", lambda p: wan_as_yi(macs_conv(p))),
        ("num-mem-train-activations", lambda p: wan_as_yi(4 * activation_elems(p))),
    ],
    "yi-as-wan": [
        ("num-macs-conv", lambda p: yi_as_wan(macs_conv(p))),
        ("num-mem-train-activations", lambda p: yi_as_wan(4 * activation_elems(p))),
    ],
}
CASES = [(recipe, template, index) for recipe, cases in SLIP_CASES.items()
         for index, (template, _) in enumerate(cases)]


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return load_templates(load_bank(BANK))


def test_every_new_slip_is_a_known_recipe() -> None:
    assert set(SLIP_CASES) <= set(RECIPES)
    assert set(UNIT_SLIPS) <= set(SLIP_CASES)


@pytest.mark.parametrize(("recipe_id", "template_id", "index"), CASES)
def test_slip_is_named_for_several_seeds(templates: dict[str, Template], recipe_id: str,
                                         template_id: str, index: int) -> None:
    wrong = SLIP_CASES[recipe_id][index][1]
    template = templates[template_id]
    for seed in SEEDS:
        instance = instantiate(template, seed)
        if recipe_id in UNIT_SLIPS and macs_or_bytes(instance.params, template_id) < 10**4:
            continue  # too small a count to be written with 万 or a prefix step below it
        answer = wrong(instance.params)
        verdict = grade(instance, answer, solve(instance))
        where = f"{template_id} seed {seed}: {answer!r} → {verdict.message}"
        assert verdict.status is Status.WRONG, where
        assert verdict.mistake_id == recipe_id, where
        assert RECIPES[recipe_id].name in verdict.message, where
        assert RECIPES[recipe_id].why in verdict.message, where


def macs_or_bytes(params: P, template_id: str) -> int:
    if template_id == "num-macs-conv":
        return macs_conv(params)
    if template_id == "num-mem-train-activations":
        return 4 * activation_elems(params)
    return 10**4


def test_right_answer_is_never_a_slip(templates: dict[str, Template]) -> None:
    """Over every template that looks for a new slip: the engine's value (written out, and with
    a prefix where a tolerance allows) is right, and each slip's own value is named as it."""
    checked = 0
    for template in templates.values():
        for seed in (-1, 0, 1):
            instance = instantiate(template, seed if template.fixed or seed >= 0 else 0)
            if not set(instance.mistakes) & set(SLIP_CASES):
                continue
            solution = solve(instance)
            expected = solution.expected
            answers = [str(expected)]
            if instance.tolerance and isinstance(expected, int) and expected >= 1000:
                answers.append(with_prefix(expected, 0))
            for answer in answers:
                verdict = grade(instance, answer, solution)
                assert verdict.status is Status.RIGHT, (template.id, seed, answer, verdict.message)
                assert verdict.mistake_id is None
            for alternative in solution.alternatives:
                if alternative.recipe.id in SLIP_CASES and isinstance(alternative.value, int):
                    verdict = grade(instance, str(alternative.value), solution)
                    assert verdict.mistake_id == alternative.recipe.id, (template.id, seed)
                    checked += 1
    assert checked > 50


def test_unit_slips_only_on_counts_that_take_the_unit() -> None:
    """×/÷ 1000 from 1000 up (a k/M/G/T prefix), ×/÷ 10⁴ from 10⁴ up (万/亿); never a shape, a
    fraction or a smaller count."""
    up, down = RECIPES["prefix-one-up"].shift, RECIPES["prefix-one-down"].shift
    wan, yi = RECIPES["wan-as-yi"].shift, RECIPES["yi-as-wan"].shift
    assert up is not None and down is not None and wan is not None and yi is not None
    assert up(2_415_919_104) == 2_415_919_104_000
    assert down(2_415_919_104) == Fraction(2_415_919_104, 1000)
    assert up(999) is None and down(999) is None and up(1000) == 10**6
    assert wan(12_345) == 123_450_000 and yi(12_345) == Fraction(12_345, 10**4)
    assert wan(9_999) is None and yi(9_999) is None
    assert up((56, 56)) is None and up(Fraction(1, 9)) is None and up(True) is None


def test_unit_slips_come_after_every_other_recipe_of_their_families() -> None:
    for family in FAMILIES.values():
        slips = [i for i, recipe in enumerate(family.recipes) if recipe in UNIT_SLIPS]
        if slips:
            assert slips == list(range(len(family.recipes) - len(UNIT_SLIPS),
                                       len(family.recipes))), family.name
