"""Each misconception is recognised on a wrong answer constructed here by the wrong recipe (the
formulas below are the learner's mistaken arithmetic, written independently of the engine)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.bank.parser import load_bank
from quiz.numeric import RECIPES, Status, Template, grade, instantiate, load_templates, solve

BANK = Path(__file__).resolve().parents[2] / "data" / "questions"

P = dict[str, Any]


def conv_out(size: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def sq(value: int) -> str:
    return f"{value}x{value}"


# recipe id → (template, seed, the wrong answer as a function of the instance's parameters)
CASES: dict[str, tuple[str, int, Callable[[P], str]]] = {
    "no-plus-one": ("num-conv-out-square", -1,
                    lambda p: sq((p["H"] + 2 * p["p"] - p["k"]) // p["s"])),
    "ceil-not-floor": ("num-conv-out-square", -1,
                       lambda p: sq(-(-(p["H"] + 2 * p["p"] - p["k"]) // p["s"]) + 1)),
    "ignore-padding": ("num-conv-out-square", -1, lambda p: sq(conv_out(p["H"], p["k"], p["s"]))),
    "one-side-padding": ("num-conv-out-dilation", -1,
                         lambda p: sq(conv_out(p["H"] + p["p"], p["k"], p["s"], 0, p["d"]))),
    "ignore-dilation": ("num-conv-out-dilation", -1,
                        lambda p: sq(conv_out(p["H"], p["k"], p["s"], p["p"]))),
    "floor-not-ceil": ("num-pool-out-ceil", -1,
                       lambda p: sq(conv_out(p["H"], p["k"], p["s"], p["p"]))),
    "pool-stride-one": ("num-pool-out-default-stride", -1, lambda p: sq(p["H"] - p["k"] + 1)),
    "no-output-padding": ("num-convt-out-op", -1,
                          lambda p: sq((p["H"] - 1) * p["s"] - 2 * p["p"] + p["k"])),
    "convT-as-conv": ("num-convt-out-basic", -1,
                      lambda p: sq(conv_out(p["H"], p["k"], p["s"], p["p"]))),
    "forgot-bias": ("num-params-conv-bias", -1, lambda p: str(p["Cout"] * p["Cin"] * p["k"] ** 2)),
    "extra-bias": ("num-params-conv-nobias", -1,
                   lambda p: str(p["Cout"] * p["Cin"] * p["k"] ** 2 + p["Cout"])),
    "ignore-groups": ("num-params-grouped", -1,
                      lambda p: str(p["Cout"] * p["Cin"] * p["k"] ** 2 + p["Cout"])),
    "ignore-1x1": ("num-params-dws", -1, lambda p: str(p["Cin"] * p["k"] ** 2)),
    "bn-running-stats": ("num-params-conv-bn", -1,
                         lambda p: str(p["Cout"] * p["Cin"] * p["k"] ** 2 + 4 * p["Cout"])),
    "lstm-one-bias": ("num-params-lstm", -1,
                      lambda p: str(4 * p["Hd"] * (p["I"] + p["Hd"]) + 4 * p["Hd"])),
    "lstm-no-recurrent": ("num-params-lstm", -1,
                          lambda p: str(4 * p["Hd"] * p["I"] + 8 * p["Hd"])),
    "only-first-layer": ("num-sk-two-vs-one", -1, lambda p: "9/25"),
    "input-size-for-output": ("num-macs-conv", 0,  # seed found below: a stride-2 instance
                              lambda p: str(p["H"] ** 2 * p["Cout"] * p["Cin"] * p["k"] ** 2)),
    "ignore-stride": ("num-rf-with-pool", -1,
                      lambda p: str(1 + (p["k1"] - 1) + (p["pk"] - 1) + (p["k2"] - 1)
                                    + (p["k3"] - 1))),
    "ignore-pooling": ("num-rf-with-pool", -1,
                       lambda p: str(p["k1"] + (p["k2"] - 1) * p["s1"] + (p["k3"] - 1) * p["s1"])),
    "flops-as-macs": ("num-macs-conv", -1,
                      lambda p: str(2 * p["H"] ** 2 * p["Cout"] * p["Cin"] * p["k"] ** 2)),
    "macs-as-flops": ("num-flops-conv", -1,
                      lambda p: str(p["H"] ** 2 * p["Cout"] * p["Cin"] * p["k"] ** 2)),
    "flops-with-bias": ("num-flops-conv", -1,
                        lambda p: str(2 * p["H"] ** 2 * p["Cout"] * p["Cin"] * p["k"] ** 2
                                      + p["H"] ** 2 * p["Cout"])),
    "working-set-no-weights": ("num-ws-conv", -1, lambda p: str(2 * p["H"] ** 2 * p["C"])),
    "working-set-bytes": ("num-ws-conv", -1,
                          lambda p: str(4 * (2 * p["H"] ** 2 * p["C"] + 9 * p["C"] ** 2))),
    "inverted-ratio": ("num-macs-dws-ratio", -1,
                       lambda p: f"{p['Cout'] * p['k'] ** 2}/{p['k'] ** 2 + p['Cout']}"),
    "tf-same-symmetric": ("num-pad-tf-same-total", -1,   # 224, k3, s2: TF pads 1 in all
                          lambda p: str(2 * (p["d"] * (p["k"] - 1) // 2))),
    "tf-same-extra-on-top": ("num-pad-tf-same-bottom", -2,   # 224, k7, s2: top 2, bottom 3
                             lambda p: str(((-(-p["H"] // p["s"]) - 1) * p["s"] + p["k"]
                                            - p["H"]) // 2)),
}


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return load_templates(load_bank(BANK))


def test_every_recipe_has_a_case() -> None:
    # the slips of issue 19 are checked over several seeds in test_numeric_slips.py
    from tests.numeric.test_numeric_slips import SLIP_CASES

    assert set(CASES) | set(SLIP_CASES) == set(RECIPES)
    assert not set(CASES) & set(SLIP_CASES)


def _seed_for(template: Template, wanted: Callable[[P], bool]) -> int:
    return next(seed for seed in range(500) if wanted(instantiate(template, seed).params))


@pytest.mark.parametrize("recipe_id", sorted(CASES))
def test_misconception_is_named(templates: dict[str, Template], recipe_id: str) -> None:
    template_id, seed, wrong = CASES[recipe_id]
    template = templates[template_id]
    if recipe_id == "input-size-for-output":
        seed = _seed_for(template, lambda p: p["s"] == 2 and p["k"] > 1)
    instance = instantiate(template, seed)
    verdict = grade(instance, wrong(instance.params), solve(instance))
    assert verdict.status is Status.WRONG, verdict.message
    assert verdict.mistake_id == recipe_id, verdict.message
    assert verdict.mistake == RECIPES[recipe_id].name
    assert RECIPES[recipe_id].name in verdict.message
    assert verdict.suggested_rating == 1
    assert verdict.worked


def test_unrelated_wrong_answer_names_no_mistake(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-conv-out-square"], -1)
    verdict = grade(instance, "3x3")
    assert verdict.status is Status.WRONG and verdict.mistake is None
    assert "112×112" in verdict.message


def test_unparseable_is_not_graded(templates: dict[str, Template]) -> None:
    verdict = grade(instantiate(templates["num-conv-out-square"], 3), "大概一百多吧")
    assert verdict.status is Status.UNPARSEABLE
    assert verdict.suggested_rating == 0 and verdict.mistake is None
    assert "请输入" in verdict.message


@pytest.mark.parametrize(("template_id", "answer"), [
    ("num-macs-conv", "4.83 GFLOPs"),       # FLOPs stated: converted to MACs
    ("num-flops-conv", "231.2M MACs"),      # MACs stated: converted to FLOPs
    ("num-ws-conv", "10.75MB"),             # bytes stated: converted to elements
    ("num-conv-out-square", "(1, 16, 112, 112)"),  # the full shape for an H×W question
    ("num-conv-out-square", "112"),         # a square side
    ("num-conv-out-1x1-shape", "500x500x20"),      # HWC order
    ("num-conv-out-stack-shape", "(1000, 196, 196, 64)"),  # NHWC order
    ("num-macs-conv", "约 24.2亿"),
])
def test_other_units_and_conventions_are_recognised(
        templates: dict[str, Template], template_id: str, answer: str) -> None:
    verdict = grade(instantiate(templates[template_id], -1), answer)
    assert verdict.status is Status.RIGHT, verdict.message


def test_exact_counts_are_graded_exactly(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-macs-conv"], -1)  # 2,415,919,104
    assert grade(instance, "2415919104").status is Status.RIGHT
    near = grade(instance, "2415919000")
    assert near.status is Status.WRONG and "很接近" in near.message
    assert grade(instance, "2.4G").status is Status.RIGHT      # rounded form: 1% tolerance
    assert grade(instance, "2.3G").status is Status.WRONG


def test_ratio_tolerance(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-macs-dws-ratio"], -1)  # 137/1152 ≈ 0.11892
    assert grade(instance, "137/1152").status is Status.RIGHT
    assert grade(instance, "0.119").status is Status.RIGHT
    assert grade(instance, "1/9").status is Status.WRONG
    assert grade(instance, "0.125").status is Status.WRONG


def test_quick_right_answers_suggest_easy(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-conv-out-square"], -1)
    assert grade(instance, "112x112", elapsed_s=5).suggested_rating == 4
    assert grade(instance, "112x112", elapsed_s=120).suggested_rating == 3
    assert grade(instance, "112x112").suggested_rating == 3


def test_worked_solution_substitutes_numbers(templates: dict[str, Template]) -> None:
    instance = instantiate(templates["num-macs-dws"], -1)
    worked = grade(instance, "1").worked
    assert "112·112·64·1·3·3" in worked and "109,985,792" in worked
    assert "conv2d 1×64×112×112 → 1×128×112×112" in worked


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_grade_never_raises(text: str) -> None:
    instance = instantiate(_templates()["num-macs-dws-ratio"], -1)
    verdict = grade(instance, text)
    assert verdict.status in (Status.RIGHT, Status.WRONG, Status.UNPARSEABLE)
    assert verdict.message


def _templates() -> dict[str, Template]:
    """Loaded once: hypothesis tests cannot take function-scoped fixtures."""
    if not _CACHE:
        _CACHE.append(load_templates(load_bank(BANK)))
    return _CACHE[0]


_CACHE: list[dict[str, Template]] = []
