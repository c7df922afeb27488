"""Answers as people write them (issue 18): the forms a filled-in Markdown sheet or the TUI hands
to the grader, each graded against a real bank template instance with `grade` (what the sheets,
the TUI and `quiz practice` call). The right value in every form is right; a wrong value in the
same form is not.

The expected values are computed here from the layer formulas, independently of the engine, and
checked against the engine's before any answer is graded."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from quiz.bank.parser import load_bank
from quiz.numeric import Instance, Status, Template, grade, load_templates, parse_answer, solve
from quiz.numeric.core import instance_from_params

BANK = Path(__file__).resolve().parents[2] / "data" / "questions"


def side(size: int, k: int, s: int = 1, p: int = 0) -> int:
    """Output size of a convolution along one axis."""
    return (size + 2 * p - k) // s + 1


def conv_macs(h: int, cin: int, cout: int, k: int) -> int:
    """MACs of a same-padded stride-1 conv (output h×h)."""
    return h * h * cout * cin * k * k


def working_set(h: int, c: int, k: int) -> int:
    """Input + output + weights of a same-size conv C→C, k×k, no bias (elements)."""
    return 2 * h * h * c + k * k * c * c


def train_activation_bytes(b: int, h: int, c: int) -> int:
    """conv, BN, ReLU outputs (h×h×c each) and the 2×2 pool output, float32, whole batch."""
    return b * (3 * h * h * c + (h // 2) ** 2 * c) * 4


# name → (template id, its parameters, the right answer by formula)
QUESTIONS: dict[str, tuple[str, dict[str, int], Callable[[], Any]]] = {
    "out-8": ("num-conv-out-square", {"H": 10, "C": 3, "N": 8, "k": 3, "s": 1, "p": 0},
              lambda: (side(10, 3),) * 2),
    "out-55": ("num-conv-out-square", {"H": 227, "C": 3, "N": 16, "k": 11, "s": 4, "p": 0},
               lambda: (side(227, 11, 4),) * 2),
    "out-223": ("num-conv-out-square", {"H": 225, "C": 1, "N": 8, "k": 3, "s": 1, "p": 0},
                lambda: (side(225, 3),) * 2),
    "out-23x120": ("num-conv-out-nonsquare",
                   {"H": 25, "W": 122, "kh": 3, "kw": 3, "s": 1, "p": 0},
                   lambda: (side(25, 3), side(122, 3))),
    "out-64x22": ("num-conv-out-nonsquare",
                  {"H": 66, "W": 24, "kh": 3, "kw": 3, "s": 1, "p": 0},
                  lambda: (side(66, 3), side(24, 3))),
    "macs-32": ("num-macs-conv", {"H": 32, "Cin": 32, "Cout": 32, "k": 3, "s": 1, "pad": 1},
                lambda: conv_macs(32, 32, 32, 3)),
    "macs-64": ("num-macs-conv", {"H": 32, "Cin": 32, "Cout": 64, "k": 3, "s": 1, "pad": 1},
                lambda: conv_macs(32, 32, 64, 3)),
    "rf": ("num-rf-stack", {"k1": 3, "s1": 2, "k2": 5, "s2": 2, "k3": 5, "s3": 1},
           lambda: 3 + (5 - 1) * 2 + (5 - 1) * 2 * 2),
    "grouped": ("num-params-grouped", {"Cin": 64, "Cout": 64, "g": 32, "k": 5},
                lambda: 64 * (64 // 32) * 5 * 5 + 64),
    "flatten": ("num-conv-flatten-len", {"H": 84, "C": 1, "N1": 8, "N2": 64},
                lambda: side(side(84, 3), 3) ** 2 * 64),
    "fc": ("num-params-fc", {"C": 1000, "H": 1, "K": 223}, lambda: (1000 + 1) * 223),
    "ratio": ("num-macs-dws-ratio", {"H": 28, "Cin": 64, "Cout": 128, "k": 3, "pad": 1},
              lambda: Fraction(1, 128) + Fraction(1, 9)),
    "ws": ("num-ws-conv", {"H": 85, "C": 32, "k": 3, "pad": 1},  # elements; float32
           lambda: working_set(85, 32, 3)),
    "act-bytes": ("num-mem-train-activations", {"B": 8, "H": 32, "C": 16},
                  lambda: train_activation_bytes(8, 32, 16)),
}


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return load_templates(load_bank(BANK))


@pytest.fixture(scope="module")
def question(templates: dict[str, Template]) -> Callable[[str], Instance]:
    made: dict[str, Instance] = {}

    def make(name: str) -> Instance:
        if name not in made:
            template_id, params, _ = QUESTIONS[name]
            made[name] = instance_from_params(templates[template_id], 0, dict(params))
        return made[name]

    return make


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_the_engine_agrees_with_the_formulas(name: str,
                                             question: Callable[[str], Instance]) -> None:
    expected = QUESTIONS[name][2]()
    assert solve(question(name), eager=False).expected == expected


# the strings first, then more of each form
RIGHT = [
    ("out-8", "**答：**8x8"),
    ("out-23x120", "答：`23x120`"),
    ("macs-32", "- 答：9437184"),
    ("rf", "27；"),
    ("out-55", "55x55。"),
    ("grouped", "3264 ✅"),
    ("flatten", "409600 <!-- checked -->"),
    ("macs-64", "18874368 (MACs)"),
    ("out-55", "55x55（我算的）"),
    ("out-64x22", "H=64, W=22"),
    ("out-223", "223,223"),
    ("fc", "223,223"),
    ("ratio", "0.1189倍"),
    ("out-55", "55, 55"),
    ("ratio", "1/128+1/9"),
    ("ws", "1.87MB"),
    # emphasis, code, list markers, labels
    ("out-8", "__8x8__"),
    ("out-8", "*8x8*"),
    ("out-8", "**答：8x8**"),
    ("out-8", "答：**8x8**"),
    ("out-8", "`8x8`"),
    ("macs-32", "* 答:9437184"),
    ("macs-32", "1. 答：9437184"),
    ("macs-32", "答案：9,437,184"),
    ("macs-32", "- **答：** `9437184` ✅"),
    # trailing punctuation, check marks, comments, notes
    ("rf", "27;"),
    ("rf", "27，"),
    ("rf", "27。"),
    ("grouped", "3264 ✔"),
    ("grouped", "3264 ✓"),
    ("grouped", "3264 ☑"),
    ("grouped", "3264 √"),
    ("grouped", "3264 <!-- 3200 + 64 个偏置 -->"),
    ("out-55", "55x55 (H×W)"),
    ("out-55", "(55, 55)（我算的）"),
    ("macs-64", "18874368（乘加）"),
    ("macs-64", "1.89e7 (约)"),
    # labelled and comma-separated shapes
    ("out-64x22", "W=22, H=64"),
    ("out-64x22", "h = 64，w = 22"),
    ("out-64x22", "高=64，宽=22"),
    ("out-64x22", "H_out=64, W_out=22"),
    ("out-64x22", "64, 22"),
    ("out-64x22", "C=4, H=64, W=22"),
    ("out-55", "H=W=55"),
    ("out-223", "223, 223"),
    # ratios and arithmetic
    ("ratio", "0.1189x"),
    ("ratio", "0.1189 times"),
    ("ratio", "约 0.119 倍"),
    ("ratio", "1/128 + 1/9"),
    ("ratio", "(1/128)+(1/9)"),
    ("ratio", "1/128 + 1/3^2"),
    ("ratio", "137/1152"),
    ("grouped", "64*2*5*5+64"),
    ("grouped", "2^6 x (2x5x5 + 1)"),
    # bytes and bits
    ("ws", "1886464 B"),
    ("ws", "1.886464e6 B"),
    ("ws", "1.886464e6 bytes"),
    ("ws", "15091712 bit"),
    ("ws", "15.09 Mbit"),
    ("ws", "15.09Mb"),
    ("act-bytes", "1.703936e6 B"),
    ("act-bytes", "1703936B"),
    ("act-bytes", "1.70 MB"),
    ("act-bytes", "1.625 MiB"),
    ("act-bytes", "13.63 Mbit"),
]


@pytest.mark.parametrize(("name", "answer"), RIGHT)
def test_the_right_value_in_each_form_is_right(name: str, answer: str,
                                               question: Callable[[str], Instance]) -> None:
    verdict = grade(question(name), answer)
    assert verdict.status is Status.RIGHT, (answer, verdict.message)


WRONG = [
    ("out-8", "**答：**8x9"),
    ("out-23x120", "答：`23x121`"),
    ("macs-32", "- 答：9437185"),
    ("rf", "25；"),
    ("out-55", "56x56。"),
    ("grouped", "3200 ✅"),
    ("flatten", "409601 <!-- checked -->"),
    ("macs-64", "18874368 (FLOPs)"),
    ("macs-64", "9437184 (MACs)"),
    ("out-55", "54x54（我算的）"),
    ("out-64x22", "H=22, W=64"),
    ("out-64x22", "H=64, W=23"),
    ("out-223", "223,222"),
    ("fc", "223,222"),
    ("ratio", "0.125倍"),
    ("ratio", "9倍"),
    ("out-55", "55, 56"),
    ("ratio", "1/128+1/8"),
    ("ratio", "1/128+1/9+1/1000"),
    ("ws", "1.87Mb"),
    ("act-bytes", "1.703937e6 B"),
    ("act-bytes", "1.70 Mb"),
    ("act-bytes", "13.63 MB"),
    ("macs-32", "9437184倍"),
    ("rf", "27倍"),
    ("out-8", "**答：8x8x9**"),
    ("macs-32", "- 答：`9437184 * 2`"),
]


@pytest.mark.parametrize(("name", "answer"), WRONG)
def test_a_wrong_value_in_each_form_is_wrong(name: str, answer: str,
                                             question: Callable[[str], Instance]) -> None:
    verdict = grade(question(name), answer)
    assert verdict.status is Status.WRONG, (answer, verdict.message)


def test_a_height_width_swap_is_named(question: Callable[[str], Instance]) -> None:
    for answer in ("H=22, W=64", "22x64", "W=64, H=22", "(1, 4, 22, 64)"):
        verdict = grade(question("out-64x22"), answer)
        assert verdict.status is Status.WRONG and verdict.mistake_id == "swapped-hw", answer
        assert "高和宽写反了" in verdict.message
    assert grade(question("out-64x22"), "22x65").mistake_id != "swapped-hw"


def test_bits_are_converted_and_say_so(question: Callable[[str], Instance]) -> None:
    verdict = grade(question("ws"), "1.87Mb")
    assert "比特" in verdict.message and "8 bit = 1 字节" in verdict.message


def test_a_ratio_word_on_a_count_question_is_a_wrong_unit(
        question: Callable[[str], Instance]) -> None:
    for name, answer in (("macs-32", "9437184倍"), ("rf", "27倍"), ("rf", "27 times")):
        verdict = grade(question(name), answer)
        assert verdict.mistake_id == "wrong-unit" and "倍" in verdict.message, answer


# --------------------------------------------------------------------------------------------
# what is not a number on a number question: asked again, with a message that says why

@pytest.mark.parametrize(("name", "answer", "says"), [
    ("rf", "27, 27", "逗号只能做千位分隔"),
    ("fc", "223, 223", "逗号只能做千位分隔"),
    ("macs-32", "9,437,18", "逗号只能做千位分隔"),
    ("out-55", "abc（我算的）", "'abc' 不是数值"),
    ("macs-32", "**答：**abc", "'abc' 不是数值"),
    ("ws", "1.87mb", "分不清是字节还是比特"),
    ("ratio", "1/0+1/9", "分母为 0"),
    ("rf", "✅", "去掉格式标记后没有答案"),
])
def test_unreadable_answers_say_what_could_not_be_read(
        name: str, answer: str, says: str, question: Callable[[str], Instance]) -> None:
    verdict = grade(question(name), answer)
    assert verdict.status is Status.UNPARSEABLE, (answer, verdict.message)
    assert says in verdict.message
    assert "括号不配对" not in verdict.message


def test_an_unbalanced_parenthesis_is_still_named() -> None:
    parsed = parse_answer("55x55)")
    assert not parsed.ok and "括号不配对" in (parsed.error or "")


# --------------------------------------------------------------------------------------------
# the parser on its own: parentheses that are math, bits and bytes, what `wants` changes

@pytest.mark.parametrize(("text", "value", "shape"), [
    ("(3x3)", None, (3, 3)),
    ("2^(10)", 1024, None),
    ("2**10", 1024, None),
    ("1/(3x3)", Fraction(1, 9), None),
    ("(1/128)+(1/9)", Fraction(137, 1152), None),
    ("(1, 64, 112, 112)（NCHW）", None, (1, 64, 112, 112)),
    ("3*3*256*256", 589_824, (3, 3, 256, 256)),
    ("1.2×10^(8)", 120_000_000, None),
])
def test_parentheses_that_are_part_of_the_math(text: str, value: int | Fraction | None,
                                               shape: tuple[int, ...] | None) -> None:
    parsed = parse_answer(text)
    assert parsed.ok, parsed.error
    assert (parsed.value, parsed.shape) == (value, shape)


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("1.87Mb", "bits", 1_870_000),
    ("1.87MB", "bytes", 1_870_000),
    ("1.87 kB", "bytes", 1_870),
    ("3 Kb", "bits", 3_000),
    ("3 Gb", "bits", 3 * 10**9),
    ("2 kbit", "bits", 2_000),
    ("2 Mbit", "bits", 2 * 10**6),
    ("2 Mbits", "bits", 2 * 10**6),
    ("2 MiB", "bytes", 2 * 2**20),
    ("2 Mib", "bits", 2 * 2**20),
    ("96 bits", "bits", 96),
    ("96 比特", "bits", 96),
    ("1.2G字节", "bytes", 1_200_000_000),
])
def test_bits_and_bytes_by_letter_case(text: str, unit: str, value: int) -> None:
    parsed = parse_answer(text)
    assert parsed.ok, parsed.error
    assert (parsed.unit, parsed.value) == (unit, value)


def test_b_alone_is_bytes_or_billions_and_takes_an_exponent() -> None:
    parsed = parse_answer("1.867776e6 B")
    assert parsed.ok, parsed.error
    assert parsed.bytes_value == 1_867_776 and parsed.value == 1_867_776 * 10**9


@pytest.mark.parametrize("text", ["1.87mb", "10 kb", "3gb", "4 kib"])
def test_lower_case_b_after_a_lower_case_prefix_is_refused(text: str) -> None:
    parsed = parse_answer(text)
    assert not parsed.ok and "分不清是字节还是比特" in (parsed.error or "")


@pytest.mark.parametrize(("text", "wants", "value", "shape"), [
    ("223,223", "number", 223_223, None),
    ("223,223", None, 223_223, None),
    ("223,223", "shape", None, (223, 223)),
    ("55, 55", "shape", None, (55, 55)),
    ("1,234,567", "number", 1_234_567, None),
    ("0.1189x", "ratio", Fraction(1189, 10000), None),
    ("H=64, W=22", None, None, (64, 22)),
    ("W=22, H=64", "number", None, (64, 22)),
])
def test_what_the_question_asks_decides_the_reading(
        text: str, wants: Any, value: int | Fraction | None,
        shape: tuple[int, ...] | None) -> None:
    parsed = parse_answer(text, wants)
    assert parsed.ok, parsed.error
    assert (parsed.value, parsed.shape) == (value, shape)


@pytest.mark.parametrize(("text", "wants"), [
    ("55, 55", "number"), ("55, 55", None), ("223,22", "number"), ("0.1189x", "number"),
    ("0.1189x", None), ("H=64, H=22", "shape"),
])
def test_readings_that_the_question_does_not_allow_are_refused(text: str, wants: Any) -> None:
    assert not parse_answer(text, wants).ok
