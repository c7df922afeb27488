"""The forgiving answer parser: the issue's forms, and fuzzing that it never raises."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.numeric import parse_answer

NUMBERS = [
    ("1,234,567", 1234567, True),
    ("1 234 567", 1234567, True),
    ("1234567", 1234567, True),
    ("1.2e8", 120_000_000, False),
    ("1.2E8", 120_000_000, False),
    ("1.2×10^8", 120_000_000, False),
    ("1.2×10⁸", 120_000_000, False),
    ("120M", 120_000_000, False),
    ("2.42G", 2_420_000_000, False),
    ("590K", 590_000, False),
    ("590k", 590_000, False),
    ("1.2亿", 120_000_000, False),
    ("3万", 30_000, False),
    ("3w", 30_000, False),
    ("2.3K个参数", 2300, False),
    ("1.2亿次", 120_000_000, False),
    ("0.1189", Fraction(1189, 10000), False),
    ("1/9", Fraction(1, 9), True),
    ("1:9", Fraction(1, 9), True),
    ("11.89%", Fraction(1189, 10000), False),
    ("3*3*256*256=590K", 590_000, False),
    ("１２３", 123, True),  # full-width digits
    ("１，２３４", 1234, True),
]


@pytest.mark.parametrize(("text", "value", "exact"), NUMBERS)
def test_numbers(text: str, value: int | Fraction, exact: bool) -> None:
    parsed = parse_answer(text)
    assert parsed.ok, parsed.error
    assert parsed.value == value
    assert parsed.exact is exact


@pytest.mark.parametrize(("text", "shape"), [
    ("112x112", (112, 112)),
    ("112×112×64", (112, 112, 64)),
    ("112 x 112", (112, 112)),
    ("112X112", (112, 112)),
    ("(1, 64, 112, 112)", (1, 64, 112, 112)),
    ("[1,64,112,112]", (1, 64, 112, 112)),
    ("（1，64，112，112）", (1, 64, 112, 112)),
    ("(N, 64, 112, 112)", (64, 112, 112)),
    ("1x64x112x112", (1, 64, 112, 112)),
])
def test_shapes(text: str, shape: tuple[int, ...]) -> None:
    parsed = parse_answer(text)
    assert parsed.ok, parsed.error
    assert parsed.shape == shape


def test_product_reads_as_a_count_too() -> None:
    parsed = parse_answer("3*3*256*256")
    assert parsed.value == 589_824 and parsed.shape == (3, 3, 256, 256)


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("2.42 GFLOPs", "flops", 2_420_000_000),
    ("4.8GMACs", "macs", 4_800_000_000),
    ("9.44M MACs", "macs", 9_440_000),
    ("10.7MB", "bytes", 10_700_000),
    ("4 KiB", "bytes", 4096),
    ("1.2亿次乘加", "macs", 120_000_000),
])
def test_units(text: str, unit: str, value: int) -> None:
    parsed = parse_answer(text)
    assert parsed.ok, parsed.error
    assert (parsed.unit, parsed.value) == (unit, value)


@pytest.mark.parametrize("text", ["约1.2亿", "~120M", "≈ 0.12", "about 590K", "1.2亿左右"])
def test_approximate_markers(text: str) -> None:
    parsed = parse_answer(text)
    assert parsed.ok and parsed.approx and not parsed.exact


@pytest.mark.parametrize("text", [
    "", "   ", "abc", "1,2", "(1, x, 3)", "112x", "0x5", "1/0", "((1,2)", "FLOPs",
    "12.3.4", "约", "(,)", "-",
])
def test_unparseable_gets_a_message(text: str) -> None:
    parsed = parse_answer(text)
    assert not parsed.ok
    assert "请输入" in (parsed.error or "")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_text_never_raises(text: str) -> None:
    parsed = parse_answer(text)
    assert parsed.ok or parsed.error


ANSWERISH = st.text(alphabet="0123456789.,:/ x×*()[]eE+-^%万亿千KMGkmgbBw约~≈个次参数FLOPsMAC",
                    max_size=30)


@settings(max_examples=600, deadline=None)
@given(ANSWERISH)
def test_fuzz_answer_like_text_never_raises(text: str) -> None:
    parsed = parse_answer(text)
    assert parsed.ok or parsed.error
    if parsed.ok:
        assert parsed.value is not None or parsed.shape is not None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_fuzz_grouped_integers_round_trip(number: int) -> None:
    assert parse_answer(f"{number:,}").value == number
    assert parse_answer(f"{number:,}".replace(",", " ")).value == number
    assert parse_answer(str(number)).exact
