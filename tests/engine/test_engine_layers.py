"""Layer reports: counts from what ran checked against the closed-form formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine import (
    LSTM,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Flatten,
    GroupNorm,
    LayerNorm,
    Linear,
    MaxPool2d,
    ReLU,
    conv2d,
)


def x_of(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    return np.random.default_rng(3).standard_normal(shape).astype(dtype)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 2), groups=st.integers(1, 3), cpg=st.integers(1, 3), opg=st.integers(1, 3),
    k=st.integers(1, 3), s=st.integers(1, 2), p=st.integers(0, 1), d=st.integers(1, 2),
    hw=st.integers(5, 9), bias=st.booleans(),
)
def test_conv_report_matches_formulas(n: int, groups: int, cpg: int, opg: int, k: int, s: int,
                                      p: int, d: int, hw: int, bias: bool) -> None:
    c_in, c_out = groups * cpg, groups * opg
    layer = Conv2d(c_in, c_out, k, s, p, d, groups, bias)
    x = x_of((n, c_in, hw, hw))
    y, rep = layer.run(x, np.random.default_rng(1))
    out = (hw + 2 * p - d * (k - 1) - 1) // s + 1
    assert rep.output_shape == (n, c_out, out, out) == y.shape
    assert rep.weight_params == c_out * cpg * k * k
    assert rep.bias_params == (c_out if bias else 0)
    assert rep.params == rep.weight_params + rep.bias_params
    assert rep.macs == n * c_out * out * out * cpg * k * k
    assert rep.flops == 2 * rep.macs
    assert rep.bias_adds == (n * c_out * out * out if bias else 0)
    assert rep.working_set_elems == x.size + y.size + rep.params
    assert rep.bytes_per_elem == 8
    # the layer really ran the op with the parameters it reports
    params = layer.last_params
    np.testing.assert_allclose(y, conv2d(x, params["weight"], params.get("bias"), s, p, d,
                                         groups))


def test_conv_transpose_report() -> None:
    layer = ConvTranspose2d(8, 6, 4, stride=2, padding=1, groups=2)
    x = x_of((2, 8, 5, 5), np.float32)
    y, rep = layer.run(x)
    assert y.shape == (2, 6, 10, 10)
    assert rep.weight_params == 8 * 3 * 4 * 4 and rep.bias_params == 6
    # every input value is multiplied by its group's (out/g * k * k) kernel entries
    assert rep.macs == 2 * 8 * 5 * 5 * 3 * 4 * 4
    assert rep.bytes_per_elem == 4 and y.dtype == np.float32


def test_linear_and_lstm_reports() -> None:
    y, rep = Linear(10, 4).run(x_of((3, 10)))
    assert (rep.params, rep.macs, rep.bias_adds) == (44, 120, 12)
    lstm = LSTM(5, 7)
    y, rep = lstm.run(x_of((6, 2, 5)))
    assert y.shape == (6, 2, 7)
    assert rep.weight_params == 4 * 7 * (5 + 7) and rep.bias_params == 2 * 4 * 7
    assert rep.macs == 6 * 2 * 4 * 7 * (5 + 7)


def test_parameter_free_and_norm_layers() -> None:
    x = x_of((2, 4, 6, 6))
    for layer in (ReLU(), MaxPool2d(2), AvgPool2d(3, 1, 1), AdaptiveAvgPool2d(2)):
        _, rep = layer.run(x)
        assert rep.params == 0 and rep.macs == 0
    _, rep = BatchNorm2d(4).run(x)
    assert (rep.weight_params, rep.bias_params) == (4, 4)
    _, rep = GroupNorm(2, 4).run(x)
    assert rep.params == 8
    _, rep = LayerNorm((4, 6, 6)).run(x)
    assert rep.params == 2 * 4 * 36
    y, rep = Flatten().run(x)
    assert y.shape == (2, 144) and rep.params == 0


def test_output_shape_planning_agrees_with_run() -> None:
    x = x_of((1, 3, 17, 15))
    for layer in (Conv2d(3, 5, 3, 2, 1), ConvTranspose2d(3, 2, 3, 2, 1, 1),
                  MaxPool2d(3, 2, 1, ceil_mode=True), Conv2d(3, 4, (3, 2), padding="same")):
        assert layer.output_shape(x.shape) == layer.run(x)[0].shape


def test_seeded_parameters_are_deterministic() -> None:
    x = x_of((1, 2, 5, 5))
    a, _ = Conv2d(2, 3, 3).run(x, np.random.default_rng(5))
    b, _ = Conv2d(2, 3, 3).run(x, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_layer_constructor_errors() -> None:
    with pytest.raises(ValueError, match="divisible"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible"):
        GroupNorm(3, 4)
