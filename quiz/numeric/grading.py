"""Grade a typed answer against the engine's solution and name the misconception it matches."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any

from quiz.measure.measurement import read
from quiz.measure.quantities import Form, form_of
from quiz.numeric.answer import AnswerForm, ParsedAnswer, parse_answer
from quiz.numeric.core import Instance, Solution, solve
from quiz.numeric.expr import Node, calls_in, parse_expr
from quiz.numeric.families import FAMILIES
from quiz.numeric.feedback import format_value, worked_solution
from quiz.numeric.units import Reading, asked_dimension, bytes_per_element, is_ratio, read_in

# fsrs Rating values (fsrs.Rating.Again/Good/Easy); kept as ints so that grading does not
# import fsrs.
AGAIN, GOOD, EASY = 1, 3, 4
DEFAULT_QUICK_SECONDS = 30.0
SWAPPED_HW = ("swapped-hw", "把高和宽写反了",
              "题目问的是高×宽：先写高（行数），再写宽（列数）；H ≠ W 时两者不能互换。")


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


@dataclass(frozen=True)
class Match:
    note: str = ""


@dataclass(frozen=True)
class Context:
    """What grading needs to know about the question besides the expected value."""

    asked: str | None                       # the asked dimension (quiz.numeric.units)
    dtype_bytes: int | None                 # bytes per element, when the prompt states a dtype
    tolerance: Fraction
    full_shape: tuple[int, ...] | None      # N×C×H×W of the net whose shape is asked


def context(instance: Instance, solution: Solution | None = None) -> Context:
    ask = parse_expr(instance.ask)
    return Context(asked_dimension(instance.unit, ask), bytes_per_element(instance.prompt),
                   instance.tolerance, _full_shape(ask, solution))


def _full_shape(ask: Node, solution: Solution | None) -> tuple[int, ...] | None:
    """For `output_hw(net)` and the like: the whole output shape of that net, so that every
    dimension an answer gives can be checked (16x16x3 is right only if there are 3 channels)."""
    if solution is None or ask.op != "call" or not ask.args[1] or ask.args[1][0].op != "name":
        return None
    run = solution.runs.get(ask.args[1][0].args[0])
    if run is None or len(run.output_shape) != 4:
        return None
    value = read(run, "batch_output_shape", solution.batch)
    return value if isinstance(value, tuple) else None


def answer_form(instance: Instance) -> AnswerForm:
    """What the question asks for, from its ask alone (no engine run): the parser reads `55, 55`
    as a shape only on a shape question, and `0.1189x` only on a ratio question."""
    ask = parse_expr(instance.ask)
    if any(form_of(name) is Form.SHAPE for name in calls_in(ask)):
        return "shape"
    return "ratio" if is_ratio(ask) else "number"


def grade(
    instance: Instance, answer_text: str, solution: Solution | None = None,
    elapsed_s: float | None = None,
) -> Verdict:
    parsed = parse_answer(answer_text, answer_form(instance))
    if not parsed.ok:
        return Verdict(Status.UNPARSEABLE, parsed.error or "", None, "", 0, answer=parsed)
    solution = solution if solution is not None else solve(instance, eager=False)
    worked = worked_solution(instance, solution)
    where = context(instance, solution)
    wrong_unit = _unit_problem(parsed, where)
    if wrong_unit:
        message = f"不对。{wrong_unit}。\n\n正确答案：{format_value(solution.expected, instance)}"
        return Verdict(Status.WRONG, message, "单位不对", worked, AGAIN, solution.expected,
                       "wrong-unit", parsed)
    right = compare(solution.expected, parsed, where)
    if right is not None:
        return Verdict(Status.RIGHT, _right_message(right), None, worked,
                       _rating(instance, elapsed_s), solution.expected, answer=parsed)
    for alternative in solution.alternatives:
        if compare(alternative.value, parsed, where) is not None:
            recipe = alternative.recipe
            message = (f"不对。看起来你{recipe.name}。{recipe.why}\n\n"
                       f"正确答案：{format_value(solution.expected, instance)}")
            return Verdict(Status.WRONG, message, recipe.name, worked, AGAIN, solution.expected,
                           recipe.id, parsed)
    if _swapped_height_width(solution.expected, parsed, where):
        mistake_id, name, why = SWAPPED_HW
        message = (f"不对。看起来你{name}。{why}\n\n"
                   f"正确答案：{format_value(solution.expected, instance)}")
        return Verdict(Status.WRONG, message, name, worked, AGAIN, solution.expected, mistake_id,
                       parsed)
    return Verdict(Status.WRONG, _wrong_message(solution.expected, parsed, where, instance),
                   None, worked, AGAIN, solution.expected, answer=parsed)


def give_up(instance: Instance, solution: Solution | None = None) -> Verdict:
    """The learner asked for the answer: graded Again, with the worked solution."""
    solution = solution if solution is not None else solve(instance, eager=False)
    message = f"放弃 gave up。正确答案：{format_value(solution.expected, instance)}"
    return Verdict(Status.WRONG, message, None, worked_solution(instance, solution), AGAIN,
                   solution.expected)


def _unit_problem(parsed: ParsedAnswer, where: Context) -> str:
    if parsed.value is None or parsed.shape is not None:
        return ""
    value, _ = _number_in(parsed, where)
    return value.wrong_unit


def _right_message(match: Match) -> str:
    return "正确！" + (f"（{match.note}）" if match.note else "")


def _wrong_message(expected: Any, parsed: ParsedAnswer, where: Context,
                   instance: Instance) -> str:
    message = f"不对。正确答案：{format_value(expected, instance)}"
    reading, _ = _number_in(parsed, where)
    if reading.note and reading.value is not None:
        message += f"（{reading.note}：{format_value(_whole(reading.value))}）"
    if parsed.exact and parsed.value is not None and not isinstance(expected, tuple):
        error = _relative_error(parsed.value, Fraction(expected))
        if error is not None and error <= instance.tolerance and Fraction(expected) != 0:
            message += (f"。你的数很接近（相对误差 {float(error):.2%}）："
                        "精确值要逐位写对；估算请写成 1.2亿、120M 或加“约”。")
    return message


def _whole(value: Fraction) -> Any:
    return int(value) if value.denominator == 1 else value


def _rating(instance: Instance, elapsed_s: float | None) -> int:
    family = FAMILIES.get(instance.family)
    quick = family.quick_seconds if family is not None else DEFAULT_QUICK_SECONDS
    return EASY if elapsed_s is not None and elapsed_s <= quick else GOOD


def compare(expected: Any, parsed: ParsedAnswer, where: Context) -> Match | None:
    """Whether `parsed` states `expected` in the asked unit; None if it does not."""
    if expected is None:
        return None
    if isinstance(expected, tuple):
        return _compare_shape(expected, parsed, where.full_shape)
    reading, exact = _number_in(parsed, where)
    if reading.value is None:
        return None
    return _close(reading.value, Fraction(expected), exact, parsed, where.tolerance,
                  reading.note)


def _number_in(parsed: ParsedAnswer, where: Context) -> tuple[Reading, bool]:
    """The answer's number in the asked dimension, and whether it was written out in full."""
    value, unit, exact = parsed.value, parsed.unit, parsed.exact
    if value is None and parsed.shape is not None and len(parsed.shape) == 1:
        value = Fraction(parsed.shape[0])
    if parsed.bytes_value is not None and where.asked in {"bytes", "elements"}:
        # a memory question: "1867776B" is bytes, not billions
        value, unit, exact = parsed.bytes_value, "bytes", not parsed.approx
    if value is None:
        return Reading(None), False
    return read_in(value, unit, where.asked, where.dtype_bytes), exact


def _close(value: Fraction, target: Fraction, exact: bool, parsed: ParsedAnswer,
           tolerance: Fraction, note: str) -> Match | None:
    if value == target:
        return Match(note)
    if exact and target.denominator == 1:
        return None  # a count written out in full is graded exactly
    if exact and _is_small_fraction(parsed):
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


def _compare_shape(expected: tuple[int, ...], parsed: ParsedAnswer,
                   full: tuple[int, ...] | None) -> Match | None:
    given = parsed.shape
    if given is None:
        # a single number for a square output: "56" for 56×56
        square = len(expected) == 2 and expected[0] == expected[1]
        if square and parsed.value is not None and parsed.value == expected[0]:
            return Match("按正方形 H = W 理解")
        return None
    if given == expected:
        return Match()
    return _shape_layout(expected, given, full)


def _swapped_height_width(expected: Any, parsed: ParsedAnswer, where: Context) -> bool:
    """`22x64` for 64×22 (also `W=64, H=22` and the longer layouts with H and W exchanged)."""
    if not isinstance(expected, tuple) or len(expected) < 2 or parsed.shape is None:
        return False
    height, width = expected[-2:]
    if height == width:
        return False
    swapped = (*expected[:-2], width, height)
    return _compare_shape(swapped, parsed, _swapped_full(where.full_shape)) is not None


def _swapped_full(full: tuple[int, ...] | None) -> tuple[int, ...] | None:
    return None if full is None or len(full) < 2 else (*full[:-2], full[-1], full[-2])


def _layouts(shape: tuple[int, ...]) -> dict[tuple[int, ...], str]:
    """The ways of writing an N×C×H×W (or C×H×W) shape that state every dimension right."""
    if len(shape) == 4:
        batch, channels, height, width = shape
        return {
            (batch, channels, height, width): "",
            (channels, height, width): "省略了 batch 维",
            (batch, height, width, channels): "NHWC 顺序",
            (height, width, channels): "省略了 batch 维，HWC 顺序",
        }
    if len(shape) == 3:
        channels, height, width = shape
        return {(channels, height, width): "", (height, width, channels): "HWC 顺序"}
    return {shape: ""}


def _shape_layout(expected: tuple[int, ...], given: tuple[int, ...],
                  full: tuple[int, ...] | None) -> Match | None:
    """Accept the asked shape written in another layout or with more of the output's dimensions,
    as long as every dimension given is the engine's (`full` is the whole output shape)."""
    forms = _layouts(expected)
    if full is not None and _projects(full, expected):
        forms = {**_layouts(full), **forms}
    if given not in forms:
        return None
    note = forms[given]
    if len(given) > len(expected):
        note = ("题目只问高×宽；多写的维度也都对" if len(expected) == 2 else note) or note
    return Match(note)


def _projects(full: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """Whether `expected` is the trailing part of the full N×C×H×W shape (H×W, C×H×W, …)."""
    return len(expected) <= len(full) and full[len(full) - len(expected):] == expected
