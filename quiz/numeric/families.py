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
            "inverted-ratio", "convT-cropped-left-out", *UNIT_SLIPS)),
    Family("receptive-field", "感受野", 40, ("ignore-stride", "ignore-dilation", "ignore-pooling")),
    Family("memory", "工作集内存", 50,
           ("working-set-no-weights", "working-set-bytes", "elements-for-bytes", "ignore-groups",
            *UNIT_SLIPS)),
    Family("small-kernels", "小卷积核堆叠 vs 大卷积核", 40,
           ("only-first-layer", "inverted-ratio", "forgot-bias", "ignore-stride")),
    Family("segmentation-size", "分割网络特征图尺寸（valid 卷积与裁剪）", 60,
           ("same-not-valid", "convT-as-conv", "pool-stride-one", "crop-one-side")),
    Family("attention", "Transformer / ViT 的参数与计算量", 60,
           ("attn-no-projections", "attn-no-values", "vit-no-cls", "forgot-bias",
            "flops-as-macs", "macs-as-flops", "inverted-ratio", *UNIT_SLIPS)),
    Family("iou", "交并比 IoU", 45, ("iou-plus-one", "iou-union-no-subtract", "iou-over-min")),
    Family("average-precision", "平均精度 AP", 120,
           ("ap-11-for-all", "ap-all-for-11", "ap-coco-only-50", "ap-coco-only-75",
            "ap-coco-11-point", "ap-duplicates", "ap-no-interpolation")),
    Family("fpn-level", "FPN 层级分配", 40,
           ("fpn-ceil", "fpn-no-clamp", "fpn-no-sqrt")),
    Family("anchors", "anchor 数量", 60,
           ("anchors-no-ratios", "anchors-no-scales", "anchors-added", "anchors-one-level",
            "anchors-floor-grid", *UNIT_SLIPS)),
    Family("training-state", "混合精度训练的显存", 50,
           ("amp-no-master", "amp-no-optimizer", "amp-no-grads", "amp-fp32-grads",
            *UNIT_SLIPS)),
    Family("droppath", "随机深度 DropPath 的存活概率", 40,
           ("droppath-drop-for-survival", "droppath-reversed", "droppath-linspace",
            "droppath-uniform")),
)}
