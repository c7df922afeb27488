"""What an answer's unit means for the asked quantity.

The asked quantity has a dimension (parameters, MACs, FLOPs, elements, bytes, pixels, `ratio`
for a quotient of two measurements, or none for a shape or a mix), read from the template's
`unit:` and its ask; the prompt may state a dtype (float32 …) that converts elements to bytes. An
answer's unit is then converted (FLOPs ↔ MACs always; bits → bytes always; bytes ↔ elements only
with a stated dtype), or flagged as contradicting the question (`0.1189倍` on a count question,
MACs on a ratio question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from quiz.measure.quantities import QUANTITIES
from quiz.numeric.expr import Node, calls_in

# dtype names as prompts write them → bytes per element (longest names first)
DTYPES: tuple[tuple[str, int], ...] = (
    ("bfloat16", 2), ("float16", 2), ("float32", 4), ("float64", 8), ("float", 4),
    ("uint8", 1), ("int8", 1), ("int16", 2), ("int32", 4), ("int64", 8),
    ("fp16", 2), ("bf16", 2), ("fp32", 4), ("fp64", 8), ("double", 8), ("half", 2),
)
DTYPE_PATTERN = re.compile(
    r"(?<![a-z0-9])(" + "|".join(name for name, _ in DTYPES) + r")(?![a-z0-9])")

NAMES = {
    "params": "参数个数", "macs": "乘加次数 MACs", "flops": "浮点运算次数 FLOPs",
    "elements": "元素个数", "bytes": "字节数", "pixels": "像素数", "bits": "比特数",
    "ratio": "倍数（比值）",
}
MEMORY = frozenset({"bytes", "elements", "params"})
BITS_PER_BYTE = 8
# units an answer may name without contradicting the asked dimension (as is, no conversion)
SAME = {
    "params": {"params", "elements"}, "elements": {"elements", "params"},
    "macs": {"macs"}, "flops": {"flops"}, "bytes": {"bytes"}, "pixels": {"pixels"},
}


@dataclass(frozen=True)
class Reading:
    """The answer's value in the asked dimension, or why it cannot be (`wrong_unit`)."""

    value: Fraction | None
    note: str = ""
    wrong_unit: str = ""


def bytes_per_element(prompt: str) -> int | None:
    match = DTYPE_PATTERN.search(prompt.lower())
    return dict(DTYPES)[match.group(1)] if match else None


def asked_dimension(unit: str, ask: Node) -> str | None:
    """What the question counts; `ratio` for a quotient, None for a shape or a mix."""
    text = unit.lower()
    for word, dimension in (("flop", "flops"), ("mac", "macs"), ("字节", "bytes"),
                            ("byte", "bytes"), ("元素", "elements"), ("参数", "params")):
        if word in text:
            return dimension
    if is_ratio(ask):
        return "ratio"  # a quotient has no unit: an answer may only say 倍 / times
    dimensions = {QUANTITIES[name].counts if name in QUANTITIES else "" for name in calls_in(ask)}
    dimension = dimensions.pop() if len(dimensions) == 1 else ""
    return dimension or None


def is_ratio(ask: Node) -> bool:
    """Whether the ask divides two measurements (`macs(dws) / macs(std)`): a 多少倍 question."""
    return ask.op == "bin" and ask.args[0] == "/"


def read_in(value: Fraction, given: str | None, asked: str | None,
            dtype_bytes: int | None) -> Reading:
    """`value` stated in unit `given`, expressed in the asked dimension."""
    if given == "ratio" or asked == "ratio":
        return _as_ratio(value, given, asked)
    if given == "bits":
        return _bits_in(value, asked, dtype_bytes)
    if given is None or asked is None or given in SAME.get(asked, {asked}):
        return Reading(value)
    if given == "flops" and asked == "macs":
        return Reading(value / 2, "你给的是 FLOPs，已按 1 MAC = 2 FLOPs 换算成 MACs")
    if given == "macs" and asked == "flops":
        return Reading(value * 2, "你给的是 MACs，已按 1 MAC = 2 FLOPs 换算成 FLOPs")
    if given in MEMORY and asked in MEMORY:
        if dtype_bytes is None:
            return _no_dtype(given, asked)
        if given == "bytes":
            return Reading(value / dtype_bytes,
                           f"你给的是字节数，已按每元素 {dtype_bytes} 字节换算成元素个数")
        return Reading(value * dtype_bytes,
                       f"你给的是元素个数，已按每元素 {dtype_bytes} 字节换算成字节数")
    return _contradicts(given, asked)


def _as_ratio(value: Fraction, given: str | None, asked: str | None) -> Reading:
    """A ratio answer may say 倍 / times (or nothing); a count answer may not say 倍."""
    if given == asked or given is None:
        return Reading(value)
    if asked is None:
        return Reading(None, wrong_unit="单位不对：这道题问的不是倍数（比值），答案里不要写“倍”")
    return _contradicts(given, asked)


def _bits_in(value: Fraction, asked: str | None, dtype_bytes: int | None) -> Reading:
    """Bits are bytes × 8 (`1.87Mb` is 233,750 bytes, not 1.87 MB)."""
    if asked is None:
        return Reading(value)
    if asked not in MEMORY:
        return _contradicts("bits", asked)
    if asked != "bytes" and dtype_bytes is None:
        return _no_dtype("bits", asked)
    in_bytes = value / BITS_PER_BYTE
    note = f"你给的是比特数（bit），已按 {BITS_PER_BYTE} bit = 1 字节换算成字节"
    if asked == "bytes":
        return Reading(in_bytes, note)
    assert dtype_bytes is not None
    return Reading(in_bytes / dtype_bytes, f"{note}，再按每元素 {dtype_bytes} 字节换算成元素个数")


def _no_dtype(given: str, asked: str) -> Reading:
    return Reading(None, wrong_unit=(
        f"单位不对：题目问的是{NAMES[asked]}，你给的是{NAMES[given]}；题目没有给出数据"
        "类型，两者无法换算"))


def _contradicts(given: str, asked: str) -> Reading:
    return Reading(None, wrong_unit=(
        f"单位不对：题目问的是{NAMES.get(asked, asked)}，你的答案写的是{NAMES.get(given, given)}"))
