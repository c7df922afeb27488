"""Each misconception is recognised on a wrong answer constructed here by the wrong recipe (the
formulas below are the learner's mistaken arithmetic, written independently of the engine)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
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


# --- issue 20's templates: the learner's wrong arithmetic, in exact fractions ------------------

def frac(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value)


def _iou_parts(p: P, extra: int = 0) -> tuple[int, int, int]:
    w = min(p["aX"], p["bX"]) - max(p["ax"], p["bx"]) + extra
    h = min(p["aY"], p["bY"]) - max(p["ay"], p["by"]) + extra
    area_a = (p["aX"] - p["ax"] + extra) * (p["aY"] - p["ay"] + extra)
    area_b = (p["bX"] - p["bx"] + extra) * (p["bY"] - p["by"] + extra)
    return w * h, area_a, area_b


def _iou_plus_one(p: P) -> str:
    inter, a, b = _iou_parts(p, 1)
    return frac(Fraction(inter, a + b - inter))


def _dets(p: P, count: int, dy: bool = True) -> list[tuple[int, int, int, int]]:
    from tests.numeric.test_numeric_templates import shifted
    return shifted(p, count, dy)


def _ap_with_duplicates(dets: list[tuple[int, ...]], truth: list[tuple[int, ...]]) -> Fraction:
    """Every detection with IoU >= 0.5 to some box is a hit (precision); recall counts the
    distinct boxes found; all-point interpolation."""
    from tests.numeric.test_numeric_templates import box_iou_exact
    points, hits, found = [], 0, set()
    for rank, det in enumerate(dets, start=1):
        values = [box_iou_exact(det, gt) for gt in truth]
        best = values.index(max(values))
        if values[best] >= Fraction(1, 2):
            hits += 1
            found.add(best)
        points.append((Fraction(hits, rank), Fraction(len(found), len(truth))))
    total, previous = Fraction(0), Fraction(0)
    for index, (_, recall) in enumerate(points):
        if recall > previous:
            total += (recall - previous) * max(p for p, _ in points[index:])
            previous = recall
    return total


def _raw_ap(flags: list[bool], n_gt: int) -> Fraction:
    """No envelope: each recall step weighted by the precision at that very point."""
    from tests.numeric.test_numeric_templates import pr_points
    total, previous = Fraction(0), Fraction(0)
    for precision, recall in pr_points(flags, n_gt):
        total += (recall - previous) * precision
        previous = recall
    return total


def _ap(kind: str) -> Callable[[P], str]:
    from tests.numeric import test_numeric_templates as ref

    def answer(p: P) -> str:
        if kind == "voc-11-for-all":
            return frac(ref.ap_eleven(ref.tp_flags(_dets(p, 6), ref.gts(4), Fraction(1, 2)), 4))
        if kind == "voc-all-for-11":
            return frac(ref.ap_all_point(ref.tp_flags(_dets(p, 5), ref.gts(5), Fraction(1, 2)), 5))
        if kind == "duplicates":
            return frac(_ap_with_duplicates(_dets(p, 6), ref.gts(4)))
        if kind == "raw":
            return frac(_raw_ap(ref.tp_flags(_dets(p, 6), ref.gts(4), Fraction(1, 2)), 4))
        dets, truth = _dets(p, 4, dy=False), ref.gts(3)
        if kind == "coco-11":
            return frac(sum((ref.ap_eleven(ref.tp_flags(dets, truth, Fraction(50 + 5 * i, 100)),
                                           3) for i in range(10)), Fraction(0)) / 10)
        threshold = Fraction(1, 2) if kind == "coco-50" else Fraction(3, 4)
        return frac(ref.ap_all_point(ref.tp_flags(dets, truth, threshold), 3))
    return answer


def _fpn(p: P, *, ceil: bool = False, clamp: bool = True, sqrt: bool = True) -> str:
    scale = math.sqrt(p["w"] * p["h"]) if sqrt else p["w"] * p["h"]
    level = 4 + math.log2(scale / 224)
    k = math.ceil(level) if ceil else math.floor(level)
    return str(min(max(k, 2), 5) if clamp else k)


def _anchors(p: P, *, per_location: int | None = None, levels: int = 5,
             rounding: Callable[[float], int] = math.ceil) -> str:
    per = 3 * p["S"] if per_location is None else per_location
    return str(sum(rounding(p["H"] / 2 ** level) * rounding(p["W"] / 2 ** level) * per
                   for level in range(p["lo"], p["lo"] + levels)))


def _survival(p: P, rule: str) -> str:
    blocks, last, block = p["L"], Fraction(p["pL"]), p["l"]
    drop = 1 - last
    value = {"drop": Fraction(block, blocks) * drop,
             "reversed": 1 - Fraction(blocks - block, blocks) * drop,
             "linspace": 1 - Fraction(block - 1, blocks - 1) * drop,
             "uniform": last}[rule]
    return frac(value)


def _convt_inside(p: P) -> str:
    """Only the products that land inside the output: input i, tap j reach i·2 + j − p."""
    h_out = 2 * p["H"]
    inside = sum(1 for i in range(p["H"]) for j in range(p["k"])
                 if 0 <= 2 * i + j - p["p"] < h_out)
    return str(p["Cin"] * p["Cout"] * inside ** 2)


NEW_CASES: dict[str, tuple[str, int, Callable[[P], str]]] = {
    "convT-cropped-left-out": ("num-macs-convt", 7, _convt_inside),
    "same-not-valid": ("num-seg-unet-output", -1, lambda p: sq(p["H"])),
    "crop-one-side": ("num-seg-unet-crop", -1, lambda p: str(16 * (p["k"] - 1))),
    "attn-no-projections": ("num-vit-attn-macs", -1,
                            lambda p: str(2 * p["S"] ** 4 * p["C"])),
    "attn-no-values": ("num-vit-attn-macs", -1,
                       lambda p: str(4 * p["S"] ** 2 * p["C"] ** 2 + p["S"] ** 4 * p["C"])),
    "vit-no-cls": ("num-vit-tokens", -1, lambda p: str((p["R"] // p["P"]) ** 2)),
    "iou-plus-one": ("num-det-iou", -1, _iou_plus_one),
    "iou-union-no-subtract": ("num-det-iou", -1, lambda p: frac(Fraction(
        _iou_parts(p)[0], _iou_parts(p)[1] + _iou_parts(p)[2]))),
    "iou-over-min": ("num-det-iou", -2, lambda p: frac(Fraction(
        _iou_parts(p)[0], min(_iou_parts(p)[1:])))),
    "ap-11-for-all": ("num-det-ap-voc-all", -1, _ap("voc-11-for-all")),
    "ap-all-for-11": ("num-det-ap-voc-11", -1, _ap("voc-all-for-11")),
    "ap-duplicates": ("num-det-ap-voc-all", -1, _ap("duplicates")),
    "ap-no-interpolation": ("num-det-ap-voc-all", -1, _ap("raw")),
    "ap-coco-only-50": ("num-det-ap-coco", -1, _ap("coco-50")),
    "ap-coco-only-75": ("num-det-ap-coco", -1, _ap("coco-75")),
    "ap-coco-11-point": ("num-det-ap-coco", -1, _ap("coco-11")),
    "fpn-ceil": ("num-det-fpn-level", -2, lambda p: _fpn(p, ceil=True)),
    "fpn-no-clamp": ("num-det-fpn-level", 11, lambda p: _fpn(p, clamp=False)),
    "fpn-no-sqrt": ("num-det-fpn-level", -2, lambda p: _fpn(p, sqrt=False)),
    "anchors-no-ratios": ("num-det-anchors", -1, lambda p: _anchors(p, per_location=p["S"])),
    "anchors-no-scales": ("num-det-anchors", 1, lambda p: _anchors(p, per_location=3)),
    "anchors-added": ("num-det-anchors", -1, lambda p: _anchors(p, per_location=3 + p["S"])),
    "anchors-one-level": ("num-det-anchors", -1, lambda p: _anchors(p, levels=1)),
    "anchors-floor-grid": ("num-det-anchors", -1, lambda p: _anchors(p, rounding=math.floor)),
    "amp-no-master": ("num-train-amp-adam-bytes", -1, lambda p: str(12 * p["N"])),
    "amp-no-optimizer": ("num-train-amp-adam-bytes", -1, lambda p: str(8 * p["N"])),
    "amp-no-grads": ("num-train-amp-adam-bytes", -1, lambda p: str(14 * p["N"])),
    "amp-fp32-grads": ("num-train-amp-adam-bytes", -1, lambda p: str(18 * p["N"])),
    "droppath-drop-for-survival": ("num-train-droppath-survival", -2,
                                   lambda p: _survival(p, "drop")),
    "droppath-reversed": ("num-train-droppath-survival", -2, lambda p: _survival(p, "reversed")),
    "droppath-linspace": ("num-train-droppath-survival", -2, lambda p: _survival(p, "linspace")),
    "droppath-uniform": ("num-train-droppath-survival", -2, lambda p: _survival(p, "uniform")),
}
CASES.update(NEW_CASES)


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
