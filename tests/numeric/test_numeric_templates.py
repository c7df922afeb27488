"""Every bank template: 200 sampled instances are valid and graded right against an independent
reference (closed-form formulas written here, not the engine), and the fixed instances give the
sources' worked numbers."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from quiz.bank.parser import load_bank
from quiz.numeric import Status, Template, grade, instantiate, load_templates, solve
from quiz.numeric.sampler import satisfies

BANK = Path(__file__).resolve().parents[2] / "data" / "questions"
SAMPLES = 200

P = dict[str, Any]


def conv_out(size: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def pool_ceil_out(size: int, k: int, s: int, p: int) -> int:
    # PyTorch: round up, but the last window must start inside the input or left padding
    out = math.ceil((size + 2 * p - k) / s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return out


def square(value: int) -> tuple[int, int]:
    return value, value


def tf_same_total(size: int, k: int, s: int, d: int) -> int:
    """TensorFlow's SAME: output ⌈size/s⌉, the fewest zeros that give it."""
    return max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)


def rf_of(layers: list[tuple[int, int, int]]) -> int:
    """(kernel, stride, dilation) per layer → receptive field by the textbook recursion."""
    rf, jump = 1, 1
    for k, s, d in layers:
        rf += (d * (k - 1)) * jump
        jump *= s
    return rf


# --- detection, segmentation, transformer and training templates: direct loops and closed
# forms in exact fractions, written here (not quiz.engine.detection / problem / attention)

def box_iou_exact(a: tuple[int, ...], b: tuple[int, ...]) -> Fraction:
    """Continuous convention: width = x2 - x1."""
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return Fraction(inter, union)


def gts(count: int) -> list[tuple[int, int, int, int]]:
    return [(20 * i, 0, 20 * i + 10, 10) for i in range(count)]


def shifted(p: P, count: int, dy: bool = True) -> list[tuple[int, int, int, int]]:
    """Detection i (in score order) is ground truth g_i moved by dx_i, dy_i."""
    boxes = []
    for i in range(1, count + 1):
        x1, y1, x2, y2 = gts(5)[p[f"g{i}"] - 1]
        dx, dy_ = p[f"x{i}"], (p[f"y{i}"] if dy else 0)
        boxes.append((x1 + dx, y1 + dy_, x2 + dx, y2 + dy_))
    return boxes


def tp_flags(dets: list[tuple[int, ...]], truth: list[tuple[int, ...]],
             threshold: Fraction) -> list[bool]:
    taken: set[int] = set()
    flags = []
    for det in dets:
        best, best_iou = None, Fraction(-1)
        for j, gt in enumerate(truth):
            if j not in taken and box_iou_exact(det, gt) > best_iou:
                best, best_iou = j, box_iou_exact(det, gt)
        hit = best is not None and best_iou >= threshold
        if hit:
            taken.add(best)
        flags.append(hit)
    return flags


def pr_points(flags: list[bool], n_gt: int) -> list[tuple[Fraction, Fraction]]:
    points, hits = [], 0
    for rank, flag in enumerate(flags, start=1):
        hits += flag
        points.append((Fraction(hits, rank), Fraction(hits, n_gt)))
    return points


def ap_all_point(flags: list[bool], n_gt: int) -> Fraction:
    points = pr_points(flags, n_gt)
    total, previous = Fraction(0), Fraction(0)
    for index, (_, recall) in enumerate(points):
        if recall > previous:
            total += (recall - previous) * max(p for p, _ in points[index:])
            previous = recall
    return total


def ap_eleven(flags: list[bool], n_gt: int) -> Fraction:
    points = pr_points(flags, n_gt)
    values = [max((p for p, r in points if r >= Fraction(t, 10)), default=Fraction(0))
              for t in range(11)]
    return sum(values, Fraction(0)) / 11


def ap_coco(dets: list[tuple[int, ...]], truth: list[tuple[int, ...]]) -> Fraction:
    thresholds = [Fraction(50 + 5 * i, 100) for i in range(10)]
    return sum((ap_all_point(tp_flags(dets, truth, t), len(truth)) for t in thresholds),
               Fraction(0)) / 10


def fpn_level_exact(w: int, h: int) -> int:
    """Largest k with 224·2^(k−4) <= √(wh), i.e. 224²·4^(k−4) <= wh; clamped to [2, 5]."""
    k = -40
    while Fraction(224 ** 2) * Fraction(4) ** (k + 1 - 4) <= w * h:
        k += 1
    return min(max(k, 2), 5)


def anchors_exact(p: P) -> int:
    total = 0
    for level in range(p["lo"], p["lo"] + 5):
        stride = 2 ** level
        total += math.ceil(p["H"] / stride) * math.ceil(p["W"] / stride) * 3 * p["S"]
    return total


def unet_output(size: int, e: int = 2) -> int:
    for _ in range(2):
        size = (size - 2 * e) // 2     # two valid convs, a 2×2 pool
    size -= 2 * e                      # the bottom
    for _ in range(2):
        size = 2 * size - 2 * e        # an up-conv, two valid convs
    return size


def unet_crop(p: P) -> int:
    e = p["k"] - 1
    skip = p["H"] - 2 * e
    up = p["H"]
    for _ in range(2):
        up = (up - 2 * e) // 2
    up -= 2 * e
    up = 2 * up
    up = 2 * (up - 2 * e)
    return (skip - up) // 2


def attention_macs(tokens: int, channels: int) -> int:
    return 4 * tokens * channels ** 2 + 2 * tokens ** 2 * channels


def survival(blocks: int, last: Fraction, block: int) -> Fraction:
    return 1 - Fraction(block, blocks) * (1 - last)


REFERENCE: dict[str, Callable[[P], Any]] = {
    "num-conv-out-square": lambda p: square(conv_out(p["H"], p["k"], p["s"], p["p"])),
    "num-conv-out-dilation": lambda p: square(conv_out(p["H"], p["k"], p["s"], p["p"], p["d"])),
    "num-conv-out-nonsquare": lambda p: (conv_out(p["H"], p["kh"], p["s"], p["p"]),
                                         conv_out(p["W"], p["kw"], p["s"], p["p"])),
    "num-conv-out-same-valid": lambda p: square(p["H"] if p["pad"] == "same"
                                                else p["H"] - p["k"] + 1),
    "num-conv-out-stack-shape": lambda p: (p["B"], p["N2"], p["H"] - 4, p["H"] - 4),
    "num-conv-flatten-len": lambda p: p["N2"] * (p["H"] - 4) ** 2,
    "num-conv-out-1x1-shape": lambda p: (1, p["N"], p["H"], p["H"]),
    "num-pool-out-basic": lambda p: square(conv_out(p["H"], p["k"], p["s"], p["p"])),
    "num-pool-out-ceil": lambda p: square(pool_ceil_out(p["H"], p["k"], p["s"], p["p"])),
    "num-pool-out-default-stride": lambda p: square((p["H"] - p["k"]) // p["k"] + 1),
    "num-convt-out-basic": lambda p: square((p["H"] - 1) * p["s"] - 2 * p["p"] + p["k"]),
    "num-convt-out-roundtrip": lambda p: square(
        (conv_out(p["H"], p["k"], p["s"], p["pad"]) - 1) * p["s"] - 2 * p["pad"] + p["k"]
        + p["op"]),
    "num-convt-out-op": lambda p: square((p["H"] - 1) * p["s"] - 2 * p["p"]
                                         + p["d"] * (p["k"] - 1) + p["op"] + 1),
    "num-params-conv-bias": lambda p: p["Cout"] * (p["Cin"] * p["k"] ** 2 + 1),
    "num-params-conv-nobias": lambda p: p["Cout"] * p["Cin"] * p["k"] ** 2,
    "num-params-grouped": lambda p: p["Cout"] * (p["Cin"] // p["g"]) * p["k"] ** 2 + p["Cout"],
    "num-params-dws": lambda p: p["Cin"] * p["k"] ** 2 + p["Cin"] * p["Cout"],
    "num-params-dwconv": lambda p: p["C"] * p["k"] ** 2,
    "num-params-conv-bn": lambda p: p["Cout"] * p["Cin"] * p["k"] ** 2 + 2 * p["Cout"],
    "num-params-fc": lambda p: p["C"] * p["H"] ** 2 * p["K"] + p["K"],
    "num-params-gap-saving": lambda p: p["C"] * p["H"] ** 2 * p["K"] - p["C"] * p["K"],
    "num-params-lstm": lambda p: 4 * p["Hd"] * (p["I"] + p["Hd"]) + 8 * p["Hd"],
    "num-macs-conv": lambda p: conv_out(p["H"], p["k"], p["s"], p["k"] // 2) ** 2
    * p["Cout"] * p["Cin"] * p["k"] ** 2,
    "num-flops-conv": lambda p: 2 * p["H"] ** 2 * p["Cout"] * p["Cin"] * p["k"] ** 2,
    "num-macs-grouped": lambda p: p["H"] ** 2 * p["Cout"] * (p["Cin"] // p["g"]) * 9,
    "num-macs-dwconv": lambda p: p["H"] ** 2 * p["C"] * p["k"] ** 2,
    "num-macs-dws": lambda p: p["H"] ** 2 * p["Cin"] * (9 + p["Cout"]),
    "num-macs-dws-ratio": lambda p: Fraction(p["k"] ** 2 + p["Cout"], p["Cout"] * p["k"] ** 2),
    "num-macs-fc": lambda p: p["C"] * p["H"] ** 2 * p["K"],
    "num-macs-gap-fc": lambda p: p["C"] * p["K"],
    "num-macs-inception-naive": lambda p: p["H"] ** 2 * p["Cout"] * 25 * p["Cin"],
    "num-macs-bottleneck-ratio": lambda p: Fraction(
        p["Cin"] * p["Cr"] + p["Cr"] * 25 * p["Cout"], p["Cin"] * 25 * p["Cout"]),
    "num-ws-conv": lambda p: 2 * p["H"] ** 2 * p["C"] + p["k"] ** 2 * p["C"] ** 2,
    "num-ws-dwconv": lambda p: 2 * p["H"] ** 2 * p["C"] + p["k"] ** 2 * p["C"],
    "num-ws-intensity": lambda p: Fraction(
        p["H"] ** 2 * p["C"] * 9 * (p["C"] // p["g"]),
        2 * p["H"] ** 2 * p["C"] + 9 * p["C"] * (p["C"] // p["g"])),
    "num-rf-stack": lambda p: rf_of([(p["k1"], p["s1"], 1), (p["k2"], p["s2"], 1),
                                     (p["k3"], p["s3"], 1)]),
    "num-rf-with-pool": lambda p: rf_of([(p["k1"], p["s1"], 1), (p["pk"], 2, 1),
                                         (p["k2"], 1, 1), (p["k3"], 1, 1)]),
    "num-rf-jump": lambda p: p["s1"] * p["ps"] * p["s2"] * p["s3"],
    "num-rf-dilated-single": lambda p: p["d"] * (p["k"] - 1) + 1,
    "num-rf-dilated-two": lambda p: 1 + (p["k"] - 1) * (p["d1"] + p["d2"]),
    "num-rf-dilated-three": lambda p: 1 + 2 * (p["d1"] + p["d2"] + p["d3"]),
    "num-sk-two-vs-one": lambda p: Fraction(
        p["k"] ** 2 * (p["Cin"] * p["Cout"] + p["Cout"] ** 2),
        (2 * p["k"] - 1) ** 2 * p["Cin"] * p["Cout"]),
    "num-sk-three-vs-one": lambda p: Fraction(
        9 * (p["Cin"] * p["Cout"] + 2 * p["Cout"] ** 2), 49 * p["Cin"] * p["Cout"]),
    "num-sk-rf": lambda p: 1 + (p["k1"] - 1) + (p["k2"] - 1) + (p["k3"] - 1),
    "num-sk-macs-saving": lambda p: p["H"] ** 2 * p["C"] ** 2 * (25 - 18),
    # authored templates (no source has their numbers)
    "num-pad-tf-same-total": lambda p: tf_same_total(p["H"], p["k"], p["s"], p["d"]),
    "num-pad-tf-same-bottom": lambda p: tf_same_total(p["H"], p["k"], p["s"], 1)
    - tf_same_total(p["H"], p["k"], p["s"], 1) // 2,
    "num-pad-keep-size": lambda p: p["d"] * (p["k"] - 1) // 2,
    "num-macs-convt": lambda p: p["Cin"] * p["H"] ** 2 * p["Cout"] * p["k"] ** 2,
    "num-bn-buffers": lambda p: 2 * (p["C1"] + p["C2"]),
    "num-bn-state-dict": lambda p: p["Cout"] * p["Cin"] * p["k"] ** 2 + 4 * p["Cout"],
    "num-params-se": lambda p: 2 * p["C"] * p["C"] // p["r"],
    "num-params-se-bias": lambda p: 2 * p["C"] * p["C"] // p["r"] + p["C"] // p["r"] + p["C"],
    "num-mem-train-activations": lambda p: p["B"] * 4 * (
        3 * p["C"] * p["H"] ** 2 + p["C"] * (p["H"] // 2) ** 2),
    # issue 20: detection, segmentation, transformer, training
    "num-det-iou": lambda p: box_iou_exact((p["ax"], p["ay"], p["aX"], p["aY"]),
                                           (p["bx"], p["by"], p["bX"], p["bY"])),
    "num-det-ap-voc-all": lambda p: ap_all_point(
        tp_flags(shifted(p, 6), gts(4), Fraction(1, 2)), 4),
    "num-det-ap-voc-11": lambda p: ap_eleven(tp_flags(shifted(p, 5), gts(5), Fraction(1, 2)), 5),
    "num-det-ap-coco": lambda p: ap_coco(shifted(p, 4, dy=False), gts(3)),
    "num-det-fpn-level": lambda p: fpn_level_exact(p["w"], p["h"]),
    "num-det-anchors": anchors_exact,
    "num-seg-unet-output": lambda p: square(unet_output(p["H"])),
    "num-seg-unet-crop": unet_crop,
    "num-vit-patch-params": lambda p: p["D"] * 3 * p["P"] ** 2 + p["D"],
    "num-vit-tokens": lambda p: (p["R"] // p["P"]) ** 2 + 1,
    "num-vit-attn-macs": lambda p: attention_macs(p["S"] ** 2, p["C"]),
    "num-vit-attn-vs-conv": lambda p: Fraction(attention_macs(p["S"] ** 2, p["C"]),
                                               9 * p["S"] ** 2 * p["C"] ** 2),
    "num-train-amp-adam-bytes": lambda p: (2 + 2 + 4 + 4 + 4) * p["P"] * 10 ** 6,
    "num-train-droppath-survival": lambda p: survival(p["L"], Fraction(p["pL"]), p["l"]),
    "num-train-droppath-depth": lambda p: sum(
        (survival(p["L"], Fraction(p["pL"]), block) for block in range(1, p["L"] + 1)),
        Fraction(0)),
}

# the families the new templates added (issue 20)
NEW_FAMILIES = {"segmentation-size", "attention", "iou", "average-precision", "fpn-level",
                "anchors", "training-state", "droppath"}

# The sources' worked numbers (INDEX "Worked numbers and numeric claims"), as (seed, answer
# text in the source's own notation). Where a source is wrong, the engine's value is used and
# the bank's concept answers carry the erratum.
SOURCE_NUMBERS: list[tuple[str, int, str]] = [
    ("num-conv-out-nonsquare", -1, "11x6"),              # 001 line 53: 13×8, 3×3 → 11×6
    ("num-conv-out-stack-shape", -1, "(1000, 64, 196, 196)"),  # 001#T5
    ("num-conv-flatten-len", -1, "2458624"),             # 001#T5
    ("num-conv-out-1x1-shape", -1, "500×500×20"),        # 002#3
    ("num-params-conv-nobias", -1, "590K"),              # 004#54 conv 1
    ("num-params-conv-nobias", -2, "4608"),              # 002#16 standard
    ("num-params-dws", -1, "656"),                       # 002#16 depthwise separable
    ("num-params-dwconv", -1, "2.3K"),                   # 004#54 conv 2
    ("num-macs-conv", -1, "2.42G"),                      # 004#54 conv 1
    ("num-macs-conv", -2, "9.44M"),                      # 004#54 conv 3
    ("num-macs-conv", -3, "924844032"),                  # 003#17 standard conv
    ("num-params-conv-nobias", -3, "2.3K"),              # 004#54 conv 3
    ("num-rf-dilated-single", -2, "7"),                  # 004#3 dilation 3 (source: 8)
    ("num-macs-dwconv", -1, "9.44M"),                    # 004#54 conv 2
    ("num-macs-dws", -1, "109985792"),                   # 003#17
    ("num-macs-dws-ratio", -1, "0.1189"),                # 003#17
    ("num-macs-inception-naive", -1, "约1.2亿"),          # 003#12
    ("num-ws-conv", -1, "2.69M"),                        # 004#54 conv 1
    ("num-ws-conv", -2, "133K"),                         # 004#54 conv 3
    ("num-ws-dwconv", -1, "2.10M"),                      # 004#54 conv 2
    ("num-sk-two-vs-one", -1, "0.72"),                   # 002#10
    ("num-sk-rf", -1, "5"),                              # 004#44
    ("num-rf-dilated-single", -1, "5"),                  # 004#3 dilation 2
    ("num-rf-dilated-three", -1, "17"),                  # 002#13 [1, 2, 5]
    ("num-convt-out-op", -1, "14x14"),                   # 002#14
    ("num-params-grouped", -1, "307456"),                # 002#15: 5·5·96·256/2 + bias
]


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return load_templates(load_bank(BANK))


def answer_text(value: Any) -> str:
    """How a learner would type the exact value."""
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value) if len(value) < 4 else str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return f"{value:,}"


def test_every_template_has_a_reference(templates: dict[str, Template]) -> None:
    assert set(templates) == set(REFERENCE)
    assert len({t.family for t in templates.values()}) == 8 + len(NEW_FAMILIES)
    assert len(templates) >= 64


def test_tf_same_never_draws_stride_with_dilation(templates: dict[str, Template]) -> None:
    """TensorFlow rejects stride > 1 together with dilation > 1 (issue 20)."""
    template = templates["num-pad-tf-same-total"]
    drawn = [instantiate(template, seed).params for seed in range(400)]
    assert not [p for p in drawn if p["s"] > 1 and p["d"] > 1]
    assert {p["d"] for p in drawn} == {1, 2} and {p["s"] for p in drawn} == {1, 2, 3}


def test_convt_macs_prompt_says_which_count(templates: dict[str, Template]) -> None:
    """The engine counts the products cropped by padding; the prompt says so (issue 20)."""
    prompt = instantiate(templates["num-macs-convt"], 7).prompt
    assert "裁掉" in prompt and "也算" in prompt


def test_every_template_cites_sources_and_has_fixed_instances(
        templates: dict[str, Template]) -> None:
    for template in templates.values():
        assert template.fixed, template.id
        assert template.explanation, template.id
        if not template.sources:  # authored (no source asks it): its examples are 例1, 例2, …
            labels = [f.label for f in template.fixed]
            assert labels == [f"例{n}" for n in range(1, len(labels) + 1)], template.id
            continue
        # each fixed instance is a worked number of a source the question cites
        uncited = [f.label for f in template.fixed if f.label not in template.sources]
        assert not uncited, (template.id, uncited, template.sources)


@pytest.mark.parametrize("template_id", sorted(REFERENCE))
def test_sampled_instances_are_valid_and_graded_right(
        templates: dict[str, Template], template_id: str) -> None:
    template = templates[template_id]
    reference = REFERENCE[template_id]
    drawn = {spec.name: spec for spec in template.params}
    for seed in range(SAMPLES):
        instance = instantiate(template, seed)
        params = instance.params
        for name, spec in drawn.items():
            assert spec.derived is not None or params[name] in spec.choices
        assert satisfies(template, params)
        expected = reference(params)
        solution = solve(instance, eager=False)
        assert solution.expected == expected, (template_id, seed, params)
        verdict = grade(instance, answer_text(expected), solution)
        assert verdict.status is Status.RIGHT, (template_id, seed, verdict.message)
        assert verdict.worked and verdict.suggested_rating in (3, 4)


@pytest.mark.parametrize("template_id", sorted(REFERENCE))
def test_fixed_instances_match_the_reference(
        templates: dict[str, Template], template_id: str) -> None:
    template = templates[template_id]
    for index in range(len(template.fixed)):
        instance = instantiate(template, -(index + 1))
        assert instance.source == template.fixed[index].label
        assert solve(instance, eager=False).expected == REFERENCE[template_id](instance.params)


@pytest.mark.parametrize(("template_id", "seed", "answer"), SOURCE_NUMBERS)
def test_sources_worked_numbers_are_graded_right(
        templates: dict[str, Template], template_id: str, seed: int, answer: str) -> None:
    verdict = grade(instantiate(templates[template_id], seed), answer)
    assert verdict.status is Status.RIGHT, verdict.message


def test_sampling_is_reproducible_and_varied(templates: dict[str, Template]) -> None:
    template = templates["num-conv-out-square"]
    assert instantiate(template, 7) == instantiate(template, 7)
    prompts = {instantiate(template, seed).prompt for seed in range(30)}
    assert len(prompts) > 20


@pytest.mark.parametrize(("template_id", "seed", "mistake"), [
    ("num-train-droppath-survival", 1000, "droppath-linspace"),
    ("num-det-ap-voc-all", 1002, "ap-11-for-all"),
])
def test_a_rounded_mistake_within_one_percent_is_not_graded_right(
        templates: dict[str, Template], template_id: str, seed: int, mistake: str) -> None:
    """The second reading found named mistakes within 1% of the right value (timm's linspace
    survival 9/11 vs 49/60, 11-point AP vs all-point): a 4-decimal rounding of the mistaken
    value must be named, not accepted."""
    instance = instantiate(templates[template_id], seed)
    solution = solve(instance, eager=True)
    (wrong,) = [a.value for a in solution.alternatives if a.recipe.id == mistake]
    assert wrong != solution.expected
    assert abs(float(wrong) / float(solution.expected) - 1) < 0.01  # the case 1% let through
    verdict = grade(instance, f"{float(wrong):.4f}", solution)
    assert verdict.status is not Status.RIGHT
    assert verdict.mistake_id == mistake
