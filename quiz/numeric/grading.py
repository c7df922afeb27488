"""Grade a typed answer against the engine's solution and name the misconception it matches."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any

from quiz.numeric.answer import ParsedAnswer, parse_answer
from quiz.numeric.core import Instance, Solution, solve
from quiz.numeric.families import FAMILIES
from quiz.numeric.feedback import format_value, worked_solution

# fsrs Rating values (fsrs.Rating.Again/Good/Easy); kept as ints so that grading does not
# import fsrs.
AGAIN, GOOD, EASY = 1, 3, 4
DEFAULT_QUICK_SECONDS = 30.0


class Status(str, Enum):
    RIGHT = "right"
    WRONG = "wrong"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str
    mistake: str | None
    worked: str
    suggested_rating: int
    expected: Any = None
    mistake_id: str | None = None
    answer: ParsedAnswer | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value, "message": self.message, "mistake": self.mistake,
            "mistake_id": self.mistake_id, "worked": self.worked,
            "suggested_rating": self.suggested_rating, "expected": json_value(self.expected),
        }


def json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


# Notes for a right number whose stated unit is the other convention.
MISLABELLED = {
    "flops": "数值对；但按 FLOPs = 2×MACs 的约定，这个数是乘加次数 MACs",
    "macs": "数值对；但按 FLOPs = 2×MACs 的约定，这个数是 FLOPs，不是 MACs",
    "bytes": "数值对；不过这是元素个数，不是字节数（float32 每元素 4 字节）",
}


@dataclass(frozen=True)
class Match:
    note: str = ""


def grade(
    instance: Instance, answer_text: str, solution: Solution | None = None,
    elapsed_s: float | None = None,
) -> Verdict:
    parsed = parse_answer(answer_text)
    if not parsed.ok:
        return Verdict(Status.UNPARSEABLE, parsed.error or "", None, "", 0, answer=parsed)
    solution = solution if solution is not None else solve(instance, eager=False)
    worked = worked_solution(instance, solution)
    right = compare(solution.expected, parsed, instance)
    if right is not None:
        return Verdict(Status.RIGHT, _right_message(right), None, worked,
                       _rating(instance, elapsed_s), solution.expected, answer=parsed)
    for alternative in solution.alternatives:
        if compare(alternative.value, parsed, instance) is not None:
            recipe = alternative.recipe
            message = (f"不对。看起来你{recipe.name}。{recipe.why}\n\n"
                       f"正确答案：{format_value(solution.expected, instance)}")
            return Verdict(Status.WRONG, message, recipe.name, worked, AGAIN, solution.expected,
                           recipe.id, parsed)
    return Verdict(Status.WRONG, _wrong_message(solution.expected, parsed, instance), None,
                   worked, AGAIN, solution.expected, answer=parsed)


def give_up(instance: Instance, solution: Solution | None = None) -> Verdict:
    """The learner asked for the answer: graded Again, with the worked solution."""
    solution = solution if solution is not None else solve(instance, eager=False)
    message = f"放弃 gave up。正确答案：{format_value(solution.expected, instance)}"
    return Verdict(Status.WRONG, message, None, worked_solution(instance, solution), AGAIN,
                   solution.expected)


def _right_message(match: Match) -> str:
    return "正确！" + (f"（{match.note}）" if match.note else "")


def _wrong_message(expected: Any, parsed: ParsedAnswer, instance: Instance) -> str:
    message = f"不对。正确答案：{format_value(expected, instance)}"
    if parsed.exact and parsed.value is not None and not isinstance(expected, tuple):
        error = _relative_error(parsed.value, Fraction(expected))
        if error is not None and error <= instance.tolerance and Fraction(expected) != 0:
            message += (f"。你的数很接近（相对误差 {float(error):.2%}）："
                        "精确值要逐位写对；估算请写成 1.2亿、120M 或加“约”。")
    return message


def _rating(instance: Instance, elapsed_s: float | None) -> int:
    family = FAMILIES.get(instance.family)
    quick = family.quick_seconds if family is not None else DEFAULT_QUICK_SECONDS
    return EASY if elapsed_s is not None and elapsed_s <= quick else GOOD


def compare(expected: Any, parsed: ParsedAnswer, instance: Instance) -> Match | None:
    """Whether `parsed` states `expected` (in some accepted convention); None if it does not."""
    if expected is None:
        return None
    if isinstance(expected, tuple):
        return _compare_shape(expected, parsed)
    value, note = _converted(parsed, instance)
    if value is None:
        return None
    target = Fraction(expected)
    match = _close(value, target, parsed, instance.tolerance, note)
    if match is None and note and parsed.value is not None:
        # the number is right but labelled in the other convention (004#12 calls multiply-adds
        # "FLOPs"): accept it, and say which convention the question uses
        match = _close(parsed.value, target, parsed, instance.tolerance,
                       MISLABELLED.get(parsed.unit or "", ""))
    return match


def _close(value: Fraction, target: Fraction, parsed: ParsedAnswer, tolerance: Fraction,
           note: str) -> Match | None:
    if value == target:
        return Match(note)
    if parsed.exact and target.denominator == 1:
        return None  # a count written out in full is graded exactly
    if parsed.exact and _is_small_fraction(parsed):
        return None  # "1/9" is an exact ratio: it must be the exact ratio
    error = _relative_error(value, target)
    if error is not None and error <= tolerance:
        return Match(note or f"在允许误差 {float(tolerance):.1%} 内")
    return None


def _is_small_fraction(parsed: ParsedAnswer) -> bool:
    return parsed.value is not None and parsed.value.denominator != 1


def _relative_error(value: Fraction, target: Fraction) -> Fraction | None:
    if target == 0:
        return None if value != 0 else Fraction(0)
    return abs(value - target) / abs(target)


def _converted(parsed: ParsedAnswer, instance: Instance) -> tuple[Fraction | None, str]:
    """The answer's value in the asked unit: a stated FLOPs/MACs/bytes unit is converted."""
    value = parsed.value
    if value is None and parsed.shape is not None and len(parsed.shape) == 1:
        value = Fraction(parsed.shape[0])
    if value is None:
        return None, ""
    unit = instance.unit.lower()
    if parsed.unit == "flops" and "mac" in unit:
        return value / 2, "你给的是 FLOPs，已按 1 MAC = 2 FLOPs 换算成 MACs"
    if parsed.unit == "macs" and "flop" in unit:
        return value * 2, "你给的是 MACs，已按 1 MAC = 2 FLOPs 换算成 FLOPs"
    if parsed.unit == "bytes" and "元素" in unit:
        return value / 4, "你给的是字节数，已按 float32 每元素 4 字节换算"
    return value, ""


def _compare_shape(expected: tuple[int, ...], parsed: ParsedAnswer) -> Match | None:
    given = parsed.shape
    if given is None:
        # a single number for a square output: "56" for 56×56
        square = len(expected) == 2 and expected[0] == expected[1]
        if square and parsed.value is not None and parsed.value == expected[0]:
            return Match("按正方形 H = W 理解")
        return None
    if given == expected:
        return Match()
    return _shape_convention(expected, given)


def _shape_convention(expected: tuple[int, ...], given: tuple[int, ...]) -> Match | None:
    """Accept the same shape written without the batch dimension and/or channels-last."""
    if len(expected) == 2:
        if len(given) == 3 and (given[:2] == expected or given[1:] == expected):
            return Match("题目只问高×宽，通道数不计")
        if len(given) == 4 and (given[2:] == expected or given[1:3] == expected):
            return Match("题目只问高×宽，batch 与通道数不计")
        return None
    if len(expected) == 4:
        batch, channels, height, width = expected
        forms = {
            (channels, height, width): "省略了 batch 维",
            (batch, height, width, channels): "NHWC 顺序",
            (height, width, channels): "省略了 batch 维，HWC 顺序",
        }
        return Match(forms[given]) if given in forms else None
    if len(expected) == 3:
        channels, height, width = expected
        return Match("HWC 顺序") if given == (height, width, channels) else None
    return None
