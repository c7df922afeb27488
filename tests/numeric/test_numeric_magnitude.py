"""The magnitude shown beside a large count reads like a number a person would write."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from quiz.numeric.answer import parse_answer
from quiz.numeric.feedback import format_value

MAGNITUDE = re.compile(r"≈ ([^ ）]+)")

COUNTS = [12_345, 99_999, 999_999, 1_000_000, 57_800_000, 99_950_000, 123_456_789,
          578_000_000_000, 1_234_567_890_123, 9_999_999_999_999]


@pytest.mark.parametrize("count", COUNTS)
def test_magnitudes_have_no_exponent_and_read_back_close(count: int) -> None:
    shown = format_value(count)
    assert "e+" not in shown and "e-" not in shown, shown
    magnitudes = MAGNITUDE.findall(shown)
    assert len(magnitudes) == 2, shown  # one Latin (K/M/G), one Chinese (万/亿)
    for text in magnitudes:
        # The answer parser is what users type into: what we show must be something it reads.
        parsed = parse_answer(text)
        assert parsed.value is not None, text
        assert abs(parsed.value - count) <= Fraction(count, 100), (text, count)


def test_tens_of_millions_read_in_wan() -> None:
    assert "5780万" in format_value(57_800_000)
