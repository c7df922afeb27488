"""quiz.engine.detection and the `data` reader against direct loops written here: IoU by pixel
arithmetic per pair, greedy matching and AP by explicit loops in exact fractions, the FPN level
by integer comparisons, anchors by counting grid cells."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine import detection as D
from quiz.engine.problem import DataError, run_data

Box = tuple[int, int, int, int]


def iou_loop(a: Box, b: Box, extra: int = 0, denominator: str = "union") -> Fraction:
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]) + extra)
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]) + extra)
    inter = w * h
    area_a = (a[2] - a[0] + extra) * (a[3] - a[1] + extra)
    area_b = (b[2] - b[0] + extra) * (b[3] - b[1] + extra)
    below = {"union": area_a + area_b - inter, "sum": area_a + area_b,
             "min": min(area_a, area_b)}[denominator]
    return Fraction(inter, below) if below else Fraction(0)


boxes = st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 30),
                  st.integers(1, 30)).map(lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(a=st.lists(boxes, min_size=1, max_size=4), b=st.lists(boxes, min_size=1, max_size=4),
       plus_one=st.booleans(), denominator=st.sampled_from(["union", "sum", "min"]))
def test_iou_matrix_matches_pairwise_loops(a: list[Box], b: list[Box], plus_one: bool,
                                           denominator: str) -> None:
    got = D.box_iou(np.array(a), np.array(b), plus_one=plus_one, denominator=denominator)
    assert got.shape == (len(a), len(b))
    for i, box_a in enumerate(a):
        for j, box_b in enumerate(b):
            want = iou_loop(box_a, box_b, int(plus_one), denominator)
            assert got[i, j] == pytest.approx(float(want), abs=1e-12)


def test_iou_known_values() -> None:
    assert D.box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]]))[0, 0] == \
        pytest.approx(1 / 3)
    assert D.box_iou(np.array([[0, 0, 10, 10]]), np.array([[20, 20, 30, 30]]))[0, 0] == 0
    with pytest.raises(ValueError):
        D.as_boxes([[10, 0, 0, 10]])


def distinct_found(dets: list[Box], truth: list[Box], threshold: Fraction) -> list[int]:
    """With duplicates counted as hits: the distinct ground-truth boxes reached so far."""
    seen: set[int] = set()
    counts = []
    for det in dets:
        values = [iou_loop(det, gt) for gt in truth]
        best = max(range(len(truth)), key=lambda j: (values[j], -j))
        if values[best] >= threshold:
            seen.add(best)
        counts.append(len(seen))
    return counts


def greedy_loop(dets: list[Box], truth: list[Box], threshold: Fraction,
                unique: bool = True) -> list[int]:
    taken: set[int] = set()
    flags = []
    for det in dets:
        best, best_iou = -1, Fraction(-1)
        for j, gt in enumerate(truth):
            if unique and j in taken:
                continue
            value = iou_loop(det, gt)
            if value > best_iou:
                best, best_iou = j, value
        hit = best >= 0 and best_iou >= threshold
        if hit:
            taken.add(best)
        flags.append(int(hit))
    return flags


def ap_loop(flags: list[int], n_gt: int, method: str,
            found: list[int] | None = None) -> Fraction:
    points, hits = [], 0
    for rank, flag in enumerate(flags, start=1):
        hits += flag
        recall_hits = hits if found is None else found[rank - 1]
        points.append((Fraction(hits, rank), Fraction(recall_hits, n_gt)))
    if method == "11":
        return sum((max((p for p, r in points if r >= Fraction(t, 10)), default=Fraction(0))
                    for t in range(11)), Fraction(0)) / 11
    total, previous = Fraction(0), Fraction(0)
    for index, (precision, recall) in enumerate(points):
        if recall > previous:
            best = max(p for p, _ in points[index:]) if method == "all" else precision
            total += (recall - previous) * best
            previous = recall
    return total


@settings(max_examples=150, deadline=None, derandomize=True)
@given(truth=st.lists(boxes, min_size=1, max_size=4), dets=st.lists(boxes, min_size=1,
                                                                     max_size=7),
       method=st.sampled_from(["all", "11", "raw"]), unique=st.booleans(),
       threshold=st.sampled_from([Fraction(1, 2), Fraction(3, 4), Fraction(11, 20)]))
def test_ap_matches_loops(truth: list[Box], dets: list[Box], method: str, unique: bool,
                          threshold: Fraction) -> None:
    scores = np.linspace(0.9, 0.1, len(dets))  # already in descending order
    flags = greedy_loop(dets, truth, threshold, unique)
    assert D.match_detections(scores, np.array(dets), np.array(truth), float(threshold),
                              unique=unique).tolist() == flags
    got = D.detection_ap(scores, np.array(dets), np.array(truth), (float(threshold),),
                         method=method, unique=unique)
    found = None if unique else distinct_found(dets, truth, threshold)
    assert got == pytest.approx(float(ap_loop(flags, len(truth), method, found)), abs=1e-12)
    assert 0 <= got <= 1


def test_detections_are_ranked_by_score() -> None:
    truth = np.array([[0, 0, 10, 10]])
    dets = np.array([[30, 30, 40, 40], [0, 0, 10, 10]])  # the hit has the higher score
    assert D.match_detections(np.array([0.2, 0.9]), dets, truth, 0.5).tolist() == [1, 0]
    assert D.detection_ap(np.array([0.2, 0.9]), dets, truth) == 1.0


def test_coco_ap_averages_ten_thresholds() -> None:
    truth = [(0, 0, 10, 10), (20, 0, 30, 10)]
    dets = [(0, 0, 10, 10), (22, 0, 32, 10)]   # IoU 1 and 8/12
    scores = np.array([0.9, 0.8])
    want = sum((ap_loop(greedy_loop(dets, truth, Fraction(50 + 5 * i, 100)), 2, "all")
                for i in range(10)), Fraction(0)) / 10
    assert D.detection_ap(scores, np.array(dets), np.array(truth), D.COCO_THRESHOLDS) == \
        pytest.approx(float(want))
    assert float(want) == pytest.approx((4 * 1 + 6 * 0.5) / 10)


def fpn_integer(w: int, h: int, clamp: bool = True) -> int:
    """Largest k with (224·2^(k−4))² <= wh, by integer and fraction comparisons only."""
    k = -30
    while Fraction(224 ** 2) * Fraction(4) ** (k + 1 - 4) <= w * h:
        k += 1
    return min(max(k, 2), 5) if clamp else k


@settings(max_examples=300, deadline=None, derandomize=True)
@given(w=st.integers(1, 3000), h=st.integers(1, 3000))
def test_fpn_level_matches_integer_comparison(w: int, h: int) -> None:
    assert int(D.fpn_level(w, h)) == fpn_integer(w, h)
    assert int(D.fpn_level(w, h, clamp=False)) == fpn_integer(w, h, clamp=False)


def test_fpn_level_at_powers_of_two() -> None:
    # exactly 224 → P4, 112 → P3, 448 → P5 (no float rounding below the boundary)
    assert D.fpn_level(np.array([224, 112, 448, 56, 2000]),
                       np.array([224, 112, 448, 56, 2000])).tolist() == [4, 3, 5, 2, 5]
    assert int(D.fpn_level(100, 300, rounding="ceil")) == 4


@pytest.mark.parametrize(("hw", "levels", "ratios", "scales"), [
    ((800, 1333), range(3, 8), (0.5, 1, 2), (1, 2 ** (1 / 3), 2 ** (2 / 3))),
    ((512, 640), range(2, 7), (0.5, 1, 2), (1,)),
    ((37, 45), range(2, 4), (1,), (1, 2)),
])
def test_anchors_count_cells_and_shapes(hw: tuple[int, int], levels: range,
                                        ratios: tuple[float, ...],
                                        scales: tuple[float, ...]) -> None:
    anchors = D.generate_anchors(hw, list(levels), ratios, scales)
    cells = sum(math.ceil(hw[0] / 2 ** level) * math.ceil(hw[1] / 2 ** level)
                for level in levels)
    assert anchors.shape == (cells * len(ratios) * len(scales), 4)
    # the first cell of the first level: centred at stride/2, sides 4·stride·scale, h/w = ratio
    first = anchors[: len(ratios) * len(scales)]
    stride = 2 ** levels[0]
    widths, heights = first[:, 2] - first[:, 0], first[:, 3] - first[:, 1]
    np.testing.assert_allclose((first[:, 0] + first[:, 2]) / 2, stride / 2)
    expected = [(4 * stride * s) ** 2 for _ in ratios for s in scales]
    np.testing.assert_allclose(widths * heights, expected)
    np.testing.assert_allclose(heights / widths, [r for r in ratios for _ in scales])
    floor = D.generate_anchors(hw, list(levels), ratios, scales, rounding="floor")
    assert len(floor) == sum((hw[0] // 2 ** lv) * (hw[1] // 2 ** lv) for lv in levels) * \
        len(ratios) * len(scales)


def test_data_reader_figures() -> None:
    run = run_data("box 0 0 10 10\nbox 5 0 15 10")
    assert run.kind == "iou" and run.figures["iou"] == pytest.approx(1 / 3)
    assert run.figures["iou_sum"] == pytest.approx(1 / 4)
    ap = run_data("gt 0 0 10 10\ngt 20 0 30 10\ndet 0.9 gt 1 dx 0 dy 0\n"
                  "det 0.8 gt 1 dx 1 dy 0\ndet 0.7 gt 2 dx 2 dy 0")
    assert ap.details["tp"] == [1, 0, 1]
    assert ap.figures["ap_all"] == pytest.approx(float(ap_loop([1, 0, 1], 2, "all")))
    # duplicates counted as hits: precision 1, 1, 1 while recall stays 1/2, 1/2, 1
    assert ap.figures["ap_duplicates"] == pytest.approx(1.0)
    fpn = run_data("roi 100 300\nfpn k0 4 canonical 224 levels 2 5")
    assert fpn.figures["fpn_level"] == 3 and fpn.figures["fpn_no_sqrt"] == 5
    anchors = run_data("image 800 1333\nanchors levels 3 7 ratios 0.5 1 2 scales 3")
    assert anchors.figures["anchors"] == 9 * sum(
        math.ceil(800 / 2 ** lv) * math.ceil(1333 / 2 ** lv) for lv in range(3, 8))


@pytest.mark.parametrize("text", [
    "box 0 0 10", "box 0 0 10 10", "box 0 0 10 10\nbox 0 0 5 5\nbox 1 1 2 2",
    "gt 0 0 10 10\ndet 0.9 gt 2 dx 0 dy 0", "gt 0 0 10 10\ndet 0.9 0 0 5 5\ndet 0.9 1 1 5 5",
    "roi 0 10", "anchors levels 3 7 ratios 1 scales 1", "frobnicate 3",
    "droppath blocks 12 last 0.5 block 13", "train params 10 weights fp12",
    "roi 10 10\nroi 20 20", "fpn k0 x",
])
def test_data_reader_rejects(text: str) -> None:
    with pytest.raises(DataError):
        run_data(text)
