"""The one list of numeric families: a template's `family:` must name one of these.

A family fixes what the learner is asked to work out, which misconceptions the feedback looks
for (in this order: when two recipes give the same value, the first named is shown), and how
fast a right answer has to be to suggest Easy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    title: str                      # shown to the learner (Chinese)
    quick_seconds: float            # a right answer this fast suggests Easy
    recipes: tuple[str, ...]        # misconception recipe ids (quiz.numeric.mistakes)


# the unit slips (quiz.numeric.mistakes), named after a family's other recipes: a mistake that
# explains the number better wins
UNIT_SLIPS = ("prefix-one-up", "prefix-one-down", "wan-as-yi", "yi-as-wan")

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("conv-output", "卷积输出尺寸", 20,
           ("no-plus-one", "ceil-not-floor", "ignore-dilation", "one-side-padding",
            "ignore-padding")),
    Family("pool-output", "池化输出尺寸", 20,
           ("floor-not-ceil", "pool-stride-one", "ceil-not-floor", "no-plus-one",
            "ignore-padding")),
    Family("convT-output", "转置卷积输出尺寸", 25,
           ("no-output-padding", "ignore-padding", "convT-as-conv", "ignore-dilation",
            "no-plus-one")),
    Family("params", "参数量", 40,
           ("forgot-bias", "extra-bias", "ignore-groups", "ignore-1x1", "ignore-depthwise",
            "ignore-gap", "bn-running-stats", "bn-affine-forgotten", "lstm-one-bias",
            "lstm-no-recurrent", "only-first-layer", *UNIT_SLIPS)),
    Family("macs", "计算量 MACs/FLOPs", 50,
           ("flops-as-macs", "macs-as-flops", "flops-with-bias", "ignore-groups", "ignore-1x1",
            "ignore-depthwise", "ignore-gap", "input-size-for-output", "only-first-layer",
            "inverted-ratio", *UNIT_SLIPS)),
    Family("receptive-field", "感受野", 40, ("ignore-stride", "ignore-dilation", "ignore-pooling")),
    Family("memory", "工作集内存", 50,
           ("working-set-no-weights", "working-set-bytes", "elements-for-bytes", "ignore-groups",
            *UNIT_SLIPS)),
    Family("small-kernels", "小卷积核堆叠 vs 大卷积核", 40,
           ("only-first-layer", "inverted-ratio", "forgot-bias", "ignore-stride")),
)}
