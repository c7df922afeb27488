"""Detection metrics on real arrays: IoU of box arrays, greedy matching of a ranked detection list
to ground truth, average precision (VOC 11-point, VOC all-point, COCO-style averaging over IoU
thresholds), the FPN level of an RoI and the anchors of an image over FPN levels.

Boxes are (N, 4) float arrays `x1, y1, x2, y2` in the continuous convention: a box's width is
`x2 - x1` (no +1 pixel) unless `plus_one=True` (the old VOC / Detectron pixel convention, kept
as a misconception). NumPy only, like the rest of the engine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# a detection matches at threshold t when IoU >= t; the slack absorbs float rounding when an
# IoU is exactly a threshold (integer boxes give rational IoUs such as 1/2 or 2/3)
EPS = 1e-9
COCO_THRESHOLDS = np.linspace(0.5, 0.95, 10)
VOC_THRESHOLD = 0.5


def as_boxes(boxes: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    array = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if np.any(array[:, 2] < array[:, 0]) or np.any(array[:, 3] < array[:, 1]):
        raise ValueError("a box needs x2 >= x1 and y2 >= y1 (format x1, y1, x2, y2)")
    return array


def box_area(boxes: np.ndarray, plus_one: bool = False) -> np.ndarray:
    extra = 1.0 if plus_one else 0.0
    area: np.ndarray = (boxes[:, 2] - boxes[:, 0] + extra) * (boxes[:, 3] - boxes[:, 1] + extra)
    return area


def box_iou(a: np.ndarray, b: np.ndarray, *, plus_one: bool = False,
            denominator: str = "union") -> np.ndarray:
    """(N, M) overlaps of boxes `a` (N, 4) and `b` (M, 4).

    `denominator`: "union" (IoU: intersection over A + B − intersection), "sum" (the union
    without subtracting the intersection, a misconception) or "min" (intersection over the
    smaller box, IoMin)."""
    a, b = as_boxes(a), as_boxes(b)
    extra = 1.0 if plus_one else 0.0
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(width + extra, 0, None) * np.clip(height + extra, 0, None)
    area_a, area_b = box_area(a, plus_one)[:, None], box_area(b, plus_one)[None, :]
    if denominator == "union":
        below = area_a + area_b - inter
    elif denominator == "sum":
        below = area_a + area_b
    elif denominator == "min":
        below = np.minimum(area_a, area_b)
    else:
        raise ValueError(f"unknown IoU denominator {denominator!r}")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(below > 0, inter / np.where(below > 0, below, 1), 0.0)


def match_ground_truth(scores: np.ndarray, detections: np.ndarray, ground_truth: np.ndarray,
                       threshold: float, *, unique: bool = True) -> np.ndarray:
    """The ground-truth index each detection matched (-1: none), in descending score order
    (stable for equal scores).

    Greedy, as COCO: each detection in turn takes the not yet matched ground-truth box of
    highest IoU, and matches when that IoU >= `threshold`. `unique=False` lets a ground-truth
    box be matched again (duplicates counted as hits, a misconception)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ious = box_iou(as_boxes(detections)[order], as_boxes(ground_truth))
    taken = np.zeros(ious.shape[1], dtype=bool)
    matched = np.full(len(order), -1, dtype=np.int64)
    for index in range(len(order)):
        candidates = np.where(taken, -1.0, ious[index]) if unique else ious[index]
        if candidates.size == 0:
            continue
        best = int(np.argmax(candidates))
        if candidates[best] >= threshold - EPS:
            matched[index] = best
            taken[best] = True
    return matched


def match_detections(scores: np.ndarray, detections: np.ndarray, ground_truth: np.ndarray,
                     threshold: float, *, unique: bool = True) -> np.ndarray:
    """TP flags (1/0) of the detections in descending score order (see match_ground_truth)."""
    matched = match_ground_truth(scores, detections, ground_truth, threshold, unique=unique)
    return (matched >= 0).astype(np.int64)


def found_so_far(matched: np.ndarray) -> np.ndarray:
    """Distinct ground-truth boxes matched after each detection (what recall counts)."""
    seen: set[int] = set()
    counts = np.zeros(len(matched), dtype=np.int64)
    for index, gt in enumerate(matched.tolist()):
        if gt >= 0:
            seen.add(gt)
        counts[index] = len(seen)
    return counts


def precision_recall(tp: np.ndarray, n_gt: int,
                     found: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall after each detection of the ranked list (`found`: the distinct
    ground-truth boxes found so far, when duplicates were counted as hits)."""
    if n_gt < 1:
        raise ValueError("average precision needs at least one ground-truth box")
    hits = np.cumsum(tp)
    ranks = np.arange(1, len(tp) + 1)
    return hits / ranks, (hits if found is None else found) / n_gt


def average_precision(tp: np.ndarray, n_gt: int, method: str = "all",
                      found: np.ndarray | None = None) -> float:
    """AP of a ranked list of TP flags with `n_gt` ground-truth boxes.

    "all": VOC 2010+ all-point interpolation — the area under the precision envelope
    (precision at recall r = the highest precision at any recall >= r);
    "11": VOC 2007 11-point — the mean of the envelope at recall 0, 0.1, …, 1;
    "raw": the area under the un-interpolated curve (no envelope, a misconception).
    `found`: distinct ground-truth boxes found after each detection, for the recall (when
    duplicates were counted as hits; by default the hits themselves)."""
    precision, recall = precision_recall(np.asarray(tp), n_gt, found)
    if method == "11":
        points = np.arange(11) / 10
        values = [float(precision[recall >= t - EPS].max()) if np.any(recall >= t - EPS)
                  else 0.0 for t in points]
        return float(np.mean(values))
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    if method == "all":
        mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    elif method != "raw":
        raise ValueError(f"unknown AP method {method!r}")
    steps = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def detection_ap(scores: np.ndarray, detections: np.ndarray, ground_truth: np.ndarray,
                 thresholds: Sequence[float] | np.ndarray = (VOC_THRESHOLD,),
                 method: str = "all", unique: bool = True) -> float:
    """AP averaged over IoU thresholds (one threshold: VOC; 0.50:0.05:0.95: COCO-style)."""
    gt = as_boxes(ground_truth)
    values = []
    for threshold in thresholds:
        matched = match_ground_truth(scores, detections, gt, float(threshold), unique=unique)
        values.append(average_precision((matched >= 0).astype(np.int64), len(gt), method,
                                        None if unique else found_so_far(matched)))
    return float(np.mean(values))


def fpn_level(width: np.ndarray | float, height: np.ndarray | float, *, k0: int = 4,
              canonical: float = 224, k_min: int = 2, k_max: int = 5,
              rounding: str = "floor", clamp: bool = True, sqrt: bool = True) -> np.ndarray:
    """The FPN level of RoIs (Lin et al. 2017, eq. 1): k = ⌊k0 + log2(√(wh)/224)⌋, clamped to
    [k_min, k_max]. `rounding` ("floor" | "ceil" | "round"), `clamp` and `sqrt` (scale by the
    area instead of its root when False) exist for the misconceptions."""
    area = np.asarray(width, dtype=np.float64) * np.asarray(height, dtype=np.float64)
    if np.any(area <= 0):
        raise ValueError("an RoI needs a positive width and height")
    scale = np.sqrt(area) if sqrt else area
    level = k0 + np.log2(scale / canonical)
    if rounding == "floor":
        k = np.floor(level + EPS)
    elif rounding == "ceil":
        k = np.ceil(level - EPS)
    elif rounding == "round":
        k = np.floor(level + 0.5 + EPS)
    else:
        raise ValueError(f"unknown rounding {rounding!r}")
    return (np.clip(k, k_min, k_max) if clamp else k).astype(np.int64)


def feature_size(size: int, stride: int, rounding: str = "ceil") -> int:
    """The side of a stride-`stride` feature map: ⌈size/stride⌉ (what a chain of stride-2 3×3
    convolutions with padding 1 gives), or ⌊size/stride⌋ (`rounding="floor"`)."""
    return -(-size // stride) if rounding == "ceil" else size // stride


def generate_anchors(image_hw: tuple[int, int], levels: Sequence[int],
                     ratios: Sequence[float], scales: Sequence[float], *,
                     size_factor: float = 4.0, rounding: str = "ceil") -> np.ndarray:
    """Every anchor of an image, (N, 4) x1, y1, x2, y2: level l has stride 2^l and anchors of
    side size_factor·2^l·scale with aspect ratio h/w = ratio, centred on each cell of its
    feature map (RetinaNet, Lin et al. 2017: sizes 32…512 on P3–P7, 3 ratios × 3 scales)."""
    height, width = image_hw
    boxes: list[np.ndarray] = []
    for level in levels:
        stride = 2 ** int(level)
        rows, cols = feature_size(height, stride, rounding), feature_size(width, stride, rounding)
        shapes = []
        for ratio in ratios:
            for scale in scales:
                side = size_factor * stride * float(scale)
                w = side / np.sqrt(float(ratio))
                shapes.append((w, w * float(ratio)))
        wh = np.asarray(shapes, dtype=np.float64).reshape(-1, 2)
        cy, cx = np.meshgrid((np.arange(rows) + 0.5) * stride, (np.arange(cols) + 0.5) * stride,
                             indexing="ij")
        centres = np.stack([cx.ravel(), cy.ravel()], axis=1)
        half = wh / 2
        level_boxes = np.concatenate([centres[:, None, :] - half[None], centres[:, None, :]
                                      + half[None]], axis=2).reshape(-1, 4)
        boxes.append(level_boxes)
    return np.concatenate(boxes) if boxes else np.zeros((0, 4))


__all__ = ["COCO_THRESHOLDS", "VOC_THRESHOLD", "as_boxes", "average_precision", "box_area",
           "box_iou", "detection_ap", "feature_size", "found_so_far", "fpn_level",
           "generate_anchors", "match_detections", "match_ground_truth", "precision_recall"]
