"""The `data` sections of numeric templates: inputs that are not a network (boxes, a ranked
detection list, an RoI, an image's FPN levels, a DropPath schedule, a model's training state),
read line by line and computed by the engine's functions on real arrays.

One keyword per line; numbers are integers or decimals:

    box X1 Y1 X2 Y2                       two boxes: their IoU
    gt X1 Y1 X2 Y2                        ground truth (one line each) ...
    det SCORE X1 Y1 X2 Y2                 ... and detections: average precision
    det SCORE gt G dx DX dy DY            a detection that is ground-truth box G (1-based)
                                          moved by DX, DY
    roi W H                               an RoI's size: its FPN level ...
    fpn k0 4 canonical 224 levels 2 5     ... with these constants (the defaults)
    image H W                             an image ...
    anchors levels LO HI ratios 0.5 1 2 scales N   ... and its anchors (N octave scales)
    droppath blocks L last P [block l]    stochastic depth: survival probability of block l
    train params N weights fp16 grads fp16 master fp32 optimizer adam states fp32

`run_data(text)` returns a `DataRun`: the figures asked for (and the values of the
misconceptions, computed by the same functions with the wrong option) and the intermediate
values a worked solution shows. Errors raise `DataError` (a ValueError) naming the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from quiz.engine import detection as D
from quiz.engine import training as T

Number = int | float


class DataError(ValueError):
    """A data line the engine cannot read, or inputs it cannot compute with."""


@dataclass(frozen=True)
class DataRun:
    kind: str                                   # iou | ap | fpn | anchors | droppath | train
    figures: dict[str, Number] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def _number(text: str, line: int) -> Number:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"line {line}: {text!r} is not a number") from None
    if not np.isfinite(value):
        raise DataError(f"line {line}: {text!r} is not a finite number")
    return int(value) if value.is_integer() and "." not in text else value


KEYS = {
    "fpn": frozenset({"k0", "canonical", "levels"}),
    "anchors": frozenset({"levels", "ratios", "scales"}),
    "droppath": frozenset({"blocks", "last", "block"}),
    "train": frozenset({"params", "weights", "grads", "master", "optimizer", "states"}),
}
MULTI = frozenset({"levels", "ratios"})   # keys taking several values


def _options(keyword: str, tokens: list[str], line: int) -> dict[str, Any]:
    """`key value key value …` (the keys of `keyword`); `levels` and `ratios` take every value
    up to the next key."""
    keys = KEYS[keyword]
    options: dict[str, Any] = {}
    index = 0
    while index < len(tokens):
        key = tokens[index]
        if key not in keys:
            raise DataError(f"line {line}: {keyword} has no option {key!r} "
                            f"(known: {', '.join(sorted(keys))})")
        if key in options:
            raise DataError(f"line {line}: {key!r} given twice")
        index += 1
        values: list[str] = []
        while index < len(tokens) and tokens[index] not in keys:
            values.append(tokens[index])
            index += 1
            if key not in MULTI:
                break
        if not values:
            raise DataError(f"line {line}: {key!r} needs a value")
        options[key] = values if key in MULTI else values[0]
    return options


@dataclass
class _Lines:
    boxes: list[list[Number]] = field(default_factory=list)
    gts: list[list[Number]] = field(default_factory=list)
    dets: list[tuple[Number, list[Number]]] = field(default_factory=list)
    other: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)


def _read(text: str) -> _Lines:
    lines = _Lines()
    for number, raw in enumerate(text.splitlines(), start=1):
        tokens = raw.split("#", 1)[0].split()
        if not tokens:
            continue
        keyword, rest = tokens[0], tokens[1:]
        if keyword in {"box", "gt"}:
            if len(rest) != 4:
                raise DataError(f"line {number}: {keyword} takes X1 Y1 X2 Y2")
            (lines.boxes if keyword == "box" else lines.gts).append(
                [_number(t, number) for t in rest])
        elif keyword == "det":
            lines.dets.append(_detection(rest, lines.gts, number))
        elif keyword in {"roi", "fpn", "image", "anchors", "droppath", "train"}:
            if keyword in lines.other:
                raise DataError(f"line {number}: {keyword} given twice")
            if keyword in {"roi", "image"}:
                if len(rest) != 2:
                    raise DataError(f"line {number}: {keyword} takes two sizes")
                lines.other[keyword] = ({"a": rest[0], "b": rest[1]}, number)
            else:
                lines.other[keyword] = (_options(keyword, rest, number), number)
        else:
            raise DataError(f"line {number}: unknown data keyword {keyword!r} (known: box, gt, "
                            "det, roi, fpn, image, anchors, droppath, train)")
    return lines


def _detection(rest: list[str], gts: list[list[Number]], line: int) -> tuple[Number,
                                                                               list[Number]]:
    if len(rest) == 5:
        return _number(rest[0], line), [_number(t, line) for t in rest[1:]]
    if len(rest) == 7 and rest[1] == "gt" and rest[3] == "dx" and rest[5] == "dy":
        index = int(_number(rest[2], line))
        if not 1 <= index <= len(gts):
            raise DataError(f"line {line}: det refers to gt {index}, but {len(gts)} are given "
                            "above it")
        dx, dy = _number(rest[4], line), _number(rest[6], line)
        x1, y1, x2, y2 = gts[index - 1]
        return _number(rest[0], line), [x1 + dx, y1 + dy, x2 + dx, y2 + dy]
    raise DataError(f"line {line}: det takes SCORE X1 Y1 X2 Y2 or SCORE gt G dx DX dy DY")


def run_data(text: str) -> DataRun:
    """Compute what the data describes (see the module docstring)."""
    lines = _read(text)
    try:
        if lines.boxes:
            return _iou(lines)
        if lines.gts or lines.dets:
            return _ap(lines)
        if "roi" in lines.other:
            return _fpn(lines)
        if "anchors" in lines.other:
            return _anchors(lines)
        if "droppath" in lines.other:
            return _droppath(lines)
        if "train" in lines.other:
            return _train(lines)
    except DataError:
        raise
    except (KeyError, TypeError) as error:
        raise DataError(f"missing or malformed value: {error}") from None
    except ValueError as error:
        raise DataError(str(error)) from None
    raise DataError("the data describes nothing the engine computes")


def _iou(lines: _Lines) -> DataRun:
    if len(lines.boxes) != 2 or lines.gts or lines.dets or lines.other:
        raise DataError("an IoU takes exactly two 'box' lines and nothing else")
    a, b = (D.as_boxes([box]) for box in lines.boxes)
    figures = {
        "iou": float(D.box_iou(a, b)[0, 0]),
        "iou_plus_one": float(D.box_iou(a, b, plus_one=True)[0, 0]),
        "iou_sum": float(D.box_iou(a, b, denominator="sum")[0, 0]),
        "iou_min": float(D.box_iou(a, b, denominator="min")[0, 0]),
    }
    area_a, area_b = float(D.box_area(a)[0]), float(D.box_area(b)[0])
    inter = figures["iou_sum"] * (area_a + area_b)
    details = {"boxes": lines.boxes, "areas": [area_a, area_b], "inter": inter,
               "union": area_a + area_b - inter}
    return DataRun("iou", figures, details)


def _ap(lines: _Lines) -> DataRun:
    if not lines.gts or not lines.dets or lines.other:
        raise DataError("average precision takes 'gt' and 'det' lines and nothing else")
    gt = D.as_boxes(lines.gts)
    scores = np.asarray([score for score, _ in lines.dets], dtype=np.float64)
    boxes = D.as_boxes([box for _, box in lines.dets])
    if len(set(scores.tolist())) != len(scores):
        raise DataError("detection scores must differ (the ranking would be ambiguous)")
    order = np.argsort(-scores, kind="stable")
    thresholds = D.COCO_THRESHOLDS
    per_threshold = [D.detection_ap(scores, boxes, gt, (t,)) for t in thresholds]
    figures = {
        "ap_all": D.detection_ap(scores, boxes, gt),
        "ap_11": D.detection_ap(scores, boxes, gt, method="11"),
        "ap_coco": float(np.mean(per_threshold)),
        "ap_raw": D.detection_ap(scores, boxes, gt, method="raw"),
        "ap_duplicates": D.detection_ap(scores, boxes, gt, unique=False),
        "ap_11_duplicates": D.detection_ap(scores, boxes, gt, method="11", unique=False),
        "ap_coco_11": D.detection_ap(scores, boxes, gt, thresholds, method="11"),
        "ap_coco_75": D.detection_ap(scores, boxes, gt, (0.75,)),
    }
    tp = D.match_detections(scores, boxes, gt, D.VOC_THRESHOLD)
    precision, recall = D.precision_recall(tp, len(gt))
    ious = D.box_iou(boxes[order], gt)
    details = {
        "order": order.tolist(), "scores": scores[order].tolist(),
        "best_iou": ious.max(axis=1).tolist(), "best_gt": (ious.argmax(axis=1) + 1).tolist(),
        "tp": tp.tolist(),
        "precision": precision.tolist(), "recall": recall.tolist(), "n_gt": len(gt),
        "thresholds": thresholds.tolist(), "per_threshold": per_threshold,
    }
    return DataRun("ap", figures, details)


def _int(options: dict[str, Any], key: str, default: int | None = None) -> int:
    if key not in options:
        if default is None:
            raise DataError(f"{key!r} is required")
        return default
    value = float(options[key])
    if not value.is_integer():
        raise DataError(f"{key} must be a whole number, got {options[key]!r}")
    return int(value)


def _fpn(lines: _Lines) -> DataRun:
    roi, _ = lines.other["roi"]
    width, height = float(roi["a"]), float(roi["b"])
    options, _ = lines.other.get("fpn", ({}, 0))
    levels = [int(v) for v in options.get("levels", ["2", "5"])]
    if len(levels) != 2 or levels[0] > levels[1]:
        raise DataError("fpn levels takes LO HI")
    constants: dict[str, Any] = {"k0": _int(options, "k0", 4),
                                 "canonical": float(options.get("canonical", 224)),
                                 "k_min": levels[0], "k_max": levels[1]}

    def level(**wrong: Any) -> int:
        return int(D.fpn_level(width, height, **constants, **wrong))

    figures: dict[str, Number] = {
        "fpn_level": level(), "fpn_ceil": level(rounding="ceil"),
        "fpn_no_clamp": level(clamp=False), "fpn_no_sqrt": level(sqrt=False),
    }
    raw = constants["k0"] + float(np.log2(np.sqrt(width * height) / constants["canonical"]))
    details = {"w": width, "h": height, "side": float(np.sqrt(width * height)), "raw": raw,
               **constants}
    return DataRun("fpn", figures, details)


def _anchors(lines: _Lines) -> DataRun:
    if "image" not in lines.other:
        raise DataError("anchors need an 'image H W' line")
    image, _ = lines.other["image"]
    hw = (_int({"v": image["a"]}, "v"), _int({"v": image["b"]}, "v"))
    options, _ = lines.other["anchors"]
    low, high = (int(v) for v in options["levels"])
    levels = list(range(low, high + 1))
    ratios = [float(v) for v in options["ratios"]]
    count = _int(options, "scales", 1)
    scales = [2 ** (i / count) for i in range(count)]
    if not levels or not ratios or count < 1:
        raise DataError("anchors need levels LO <= HI, ratios and scales >= 1")

    def total(**change: Any) -> int:
        args: dict[str, Any] = {"levels": levels, "ratios": ratios, "scales": scales, **change}
        rounding = args.pop("rounding", "ceil")
        return len(D.generate_anchors(hw, args["levels"], args["ratios"], args["scales"],
                                      rounding=rounding))

    figures: dict[str, Number] = {
        "anchors": total(), "anchors_no_ratios": total(ratios=[1.0]),
        "anchors_no_scales": total(scales=[1.0]), "anchors_one_level": total(levels=levels[:1]),
        "anchors_floor": total(rounding="floor"),
        "anchors_added": total(ratios=[1.0]) // count * (len(ratios) + count),
    }
    details = {"image": hw, "levels": [
        (level, 2 ** level, D.feature_size(hw[0], 2 ** level), D.feature_size(hw[1], 2 ** level))
        for level in levels], "per_location": len(ratios) * count, "ratios": ratios,
        "scales": count}
    return DataRun("anchors", figures, details)


def _droppath(lines: _Lines) -> DataRun:
    options, _ = lines.other["droppath"]
    blocks, last = _int(options, "blocks"), float(options["last"])
    block = _int(options, "block", blocks)
    if not 1 <= block <= blocks:
        raise DataError(f"block {block} is not one of 1..{blocks}")
    figures: dict[str, Number] = {}
    rules = {"": "linear", "_reversed": "reversed", "_drop": "drop", "_uniform": "uniform",
             "_linspace": "linspace"}
    for suffix, rule in rules.items():
        if rule == "linspace" and blocks == 1:
            continue
        p = T.survival_probabilities(blocks, last, rule)
        figures["survival" + suffix] = float(p[block - 1])
        figures["expected_depth" + suffix] = float(p.sum())
    details = {"blocks": blocks, "last": last, "block": block,
               "survival": T.survival_probabilities(blocks, last).tolist()}
    return DataRun("droppath", figures, details)


def _train(lines: _Lines) -> DataRun:
    options, _ = lines.other["train"]
    params = _int(options, "params")
    setting = {"weights": options.get("weights", "fp16"), "grads": options.get("grads", "fp16"),
               "master": options.get("master", "fp32"), "optimizer": options.get("optimizer",
                                                                                 "adam"),
               "states": options.get("states", "fp32")}
    for key in ("grads", "master"):
        if setting[key] == "none":
            setting[key] = None
    try:
        right = T.training_state(params, **setting)
        figures: dict[str, Number] = {
            "train_state_bytes": right.total,
            "train_no_master": T.training_state(params, **{**setting, "master": None}).total,
            "train_no_optimizer": T.training_state(params, **setting, state_count=0).total,
            "train_no_grads": T.training_state(params, **{**setting, "grads": None}).total,
            "train_fp32_grads": T.training_state(params, **{**setting, "grads": "fp32"}).total,
        }
    except ValueError as error:
        raise DataError(str(error)) from None
    details = {"params": params, **setting, "parts": [right.weights, right.grads, right.master,
                                                       right.optimizer]}
    return DataRun("train", figures, details)


__all__ = ["DataError", "DataRun", "run_data"]
