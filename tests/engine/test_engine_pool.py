"""Pooling against direct loops, the ceil-mode last-window rule and error cases."""

from __future__ import annotations

import numpy as np
import pytest
from engine_reference_loops import (
    adaptive_avg_loops,
    avg_pool2d_loops,
    max_pool2d_loops,
    pool_out_len,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine import adaptive_avg_pool2d, avg_pool2d, global_avg_pool2d, max_pool2d


def data(shape: tuple[int, ...], seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


MAX_CASES = [
    # kernel, stride, padding, dilation, ceil
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((2, 3), (2, 1), (1, 0), (2, 1), True),
    ((3, 2), (3, 2), (0, 1), (1, 2), True),
]


@pytest.mark.parametrize("case", MAX_CASES)
def test_max_pool2d_matches_loops(case: tuple) -> None:
    k, s, p, d, ceil = case
    x = data((2, 3, 9, 8))
    np.testing.assert_array_equal(max_pool2d(x, k, s, p, d, ceil),
                                  max_pool2d_loops(x, k, s, p, d, ceil))


@pytest.mark.parametrize("case", [c for c in MAX_CASES if c[3] == (1, 1)])
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool2d_matches_loops(case: tuple, include_pad: bool) -> None:
    k, s, p, _, ceil = case
    x = data((2, 3, 9, 8))
    np.testing.assert_allclose(avg_pool2d(x, k, s, p, ceil, include_pad),
                               avg_pool2d_loops(x, k, s, p, ceil, include_pad), atol=1e-12)


def test_ceil_mode_drops_a_last_window_that_starts_in_the_padding() -> None:
    # H = 5, k = 2, s = 2, p = 1: windows start at -1, 1, 3 and, in ceil mode, 5. The one at 5
    # starts in the right padding (past the last input row 4), so PyTorch drops it: 3, not 4.
    x = np.arange(25, dtype=float).reshape(1, 1, 5, 5)
    out = max_pool2d(x, 2, 2, padding=1, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3)
    # H = 6, k = 3, s = 2, p = 0: floor gives 2 windows (0, 2); ceil adds the one at 4, which
    # starts inside the input and covers rows 4, 5 (+ one past the end): kept.
    x6 = np.arange(36, dtype=float).reshape(1, 1, 6, 6)
    assert max_pool2d(x6, 3, 2).shape == (1, 1, 2, 2)
    kept = max_pool2d(x6, 3, 2, ceil_mode=True)
    assert kept.shape == (1, 1, 3, 3)
    assert kept[0, 0, 2, 2] == 35.0  # max of the partial window rows 4-5, cols 4-5
    # that partial window averages over the 4 real cells only (not over the missing ones)
    avg = avg_pool2d(x6, 3, 2, ceil_mode=True)
    assert avg[0, 0, 2, 2] == pytest.approx(np.mean([28, 29, 34, 35]))


def test_avg_pool_count_include_pad_divisor() -> None:
    x = np.ones((1, 1, 4, 4))
    with_pad = avg_pool2d(x, 3, 1, padding=1, count_include_pad=True)
    without = avg_pool2d(x, 3, 1, padding=1, count_include_pad=False)
    assert with_pad[0, 0, 0, 0] == pytest.approx(4 / 9)  # corner: 4 real cells out of 9
    assert with_pad[0, 0, 0, 1] == pytest.approx(6 / 9)
    np.testing.assert_allclose(without, 1.0)
    assert avg_pool2d(x, 2, divisor_override=3)[0, 0, 0, 0] == pytest.approx(4 / 3)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    pad_frac=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    ceil=st.booleans(),
    hw=st.tuples(st.integers(1, 9), st.integers(1, 9)),
)
def test_max_pool_random_configs(k: tuple, s: tuple, pad_frac: tuple, d: tuple, ceil: bool,
                                 hw: tuple) -> None:
    p = tuple(min(f, kk // 2) for f, kk in zip(pad_frac, k, strict=True))
    lengths = [pool_out_len(h, kk, ss, pp, dd, ceil) for h, kk, ss, pp, dd in
               zip(hw, k, s, p, d, strict=True)]
    if min(lengths) <= 0:  # PyTorch: "Output size is too small" (ceil mode may still fit one)
        with pytest.raises(ValueError, match="too small"):
            max_pool2d(data((1, 2, *hw)), k, s, p, d, ceil)
        return
    x = data((1, 2, *hw))
    np.testing.assert_array_equal(max_pool2d(x, k, s, p, d, ceil),
                                  max_pool2d_loops(x, k, s, p, d, ceil))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    pad_frac=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    ceil=st.booleans(),
    include_pad=st.booleans(),
    hw=st.tuples(st.integers(4, 9), st.integers(4, 9)),
)
def test_avg_pool_random_configs(k: tuple, s: tuple, pad_frac: tuple, ceil: bool,
                                 include_pad: bool, hw: tuple) -> None:
    p = tuple(min(f, kk // 2) for f, kk in zip(pad_frac, k, strict=True))
    x = data((1, 2, *hw))
    np.testing.assert_allclose(avg_pool2d(x, k, s, p, ceil, include_pad),
                               avg_pool2d_loops(x, k, s, p, ceil, include_pad), atol=1e-12)


@pytest.mark.parametrize(("hw", "out"), [((7, 7), (3, 3)), ((6, 9), (4, 2)), ((5, 5), (5, 5)),
                                         ((3, 4), (6, 7)), ((13, 13), (6, 6))])
def test_adaptive_avg_pool_matches_loops(hw: tuple, out: tuple) -> None:
    x = data((2, 3, *hw))
    np.testing.assert_allclose(adaptive_avg_pool2d(x, out), adaptive_avg_loops(x, *out),
                               atol=1e-12)


def test_global_pooling_is_the_spatial_mean() -> None:
    x = data((2, 3, 5, 4))
    np.testing.assert_allclose(global_avg_pool2d(x)[:, :, 0, 0], x.mean(axis=(2, 3)), atol=1e-12)
    assert adaptive_avg_pool2d(x, (None, 2)).shape == (2, 3, 5, 2)


def test_pooling_invalid_configurations_raise() -> None:
    x = data((1, 1, 6, 6))
    with pytest.raises(ValueError, match="pad should be smaller than or equal to half"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="pad should be smaller than or equal to half"):
        avg_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="too small"):
        max_pool2d(x, 7)
    with pytest.raises(ValueError, match="kernel_size"):
        max_pool2d(x, 0)
    with pytest.raises(ValueError, match="output size"):
        adaptive_avg_pool2d(x, 0)
