"""linear, normalisations, relu and the LSTM cell against per-element / per-gate formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quiz.engine import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    linear,
    lstm_cell,
    relu,
)


def gen() -> np.random.Generator:
    return np.random.default_rng(99)


def test_linear_is_a_sum_of_products() -> None:
    g = gen()
    x, w, b = g.standard_normal((3, 4)), g.standard_normal((5, 4)), g.standard_normal(5)
    out = linear(x, w, b)
    for i in range(3):
        for j in range(5):
            assert out[i, j] == pytest.approx(sum(x[i, k] * w[j, k] for k in range(4)) + b[j])
    assert linear(g.standard_normal((2, 3, 4)), w).shape == (2, 3, 5)
    with pytest.raises(ValueError, match="cannot be multiplied"):
        linear(x, g.standard_normal((5, 3)))


def test_relu() -> None:
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


def _normalise(values: np.ndarray, eps: float) -> np.ndarray:
    mean = sum(values.ravel()) / values.size
    var = sum((v - mean) ** 2 for v in values.ravel()) / values.size  # biased
    return (values - mean) / math.sqrt(var + eps)


def test_batch_norm_training_uses_batch_stats_and_updates_running_unbiased() -> None:
    g = gen()
    x = g.standard_normal((4, 3, 2, 2)) * 2 + 1
    gamma, beta = g.standard_normal(3), g.standard_normal(3)
    running_mean, running_var = np.zeros(3), np.ones(3)
    out = batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=0.25)
    for c in range(3):
        expected = _normalise(x[:, c], 1e-5) * gamma[c] + beta[c]
        np.testing.assert_allclose(out[:, c], expected, atol=1e-12)
        values = x[:, c].ravel()
        unbiased = np.sum((values - values.mean()) ** 2) / (values.size - 1)
        assert running_mean[c] == pytest.approx(0.25 * values.mean())
        assert running_var[c] == pytest.approx(0.75 + 0.25 * unbiased)


def test_batch_norm_eval_uses_running_stats() -> None:
    g = gen()
    x = g.standard_normal((2, 2, 3, 3))
    mean, var = np.array([0.5, -1.0]), np.array([4.0, 0.25])
    out = batch_norm(x, mean, var, eps=0.0)
    np.testing.assert_allclose(out[:, 0], (x[:, 0] - 0.5) / 2.0)
    np.testing.assert_allclose(out[:, 1], (x[:, 1] + 1.0) / 0.5)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(np.zeros((1, 2, 1, 1)), None, None, training=True)


def test_layer_norm_over_trailing_dims() -> None:
    g = gen()
    x = g.standard_normal((2, 3, 4, 5))
    out = layer_norm(x, (4, 5))
    for i in range(2):
        for c in range(3):
            np.testing.assert_allclose(out[i, c], _normalise(x[i, c], 1e-5), atol=1e-12)
    with pytest.raises(ValueError, match="normalized_shape"):
        layer_norm(x, (3, 5))


def test_group_norm_per_sample_per_group() -> None:
    g = gen()
    x = g.standard_normal((2, 6, 3, 3))
    weight, bias = g.standard_normal(6), g.standard_normal(6)
    out = group_norm(x, 3, weight, bias)
    for i in range(2):
        for grp in range(3):
            block = x[i, 2 * grp:2 * grp + 2]
            expected = _normalise(block, 1e-5)
            expected = expected * weight[2 * grp:2 * grp + 2, None, None] + \
                bias[2 * grp:2 * grp + 2, None, None]
            np.testing.assert_allclose(out[i, 2 * grp:2 * grp + 2], expected, atol=1e-12)
    with pytest.raises(ValueError, match="divisible"):
        group_norm(x, 4)


def test_instance_norm_per_sample_per_channel() -> None:
    g = gen()
    x = g.standard_normal((2, 3, 4, 4))
    out = instance_norm(x)
    for i in range(2):
        for c in range(3):
            np.testing.assert_allclose(out[i, c], _normalise(x[i, c], 1e-5), atol=1e-12)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_lstm_cell_gate_order_i_f_g_o() -> None:
    g = gen()
    n_in, hidden = 3, 2
    x, h, c = g.standard_normal(n_in), g.standard_normal(hidden), g.standard_normal(hidden)
    w_ih, w_hh = g.standard_normal((4 * hidden, n_in)), g.standard_normal((4 * hidden, hidden))
    b_ih, b_hh = g.standard_normal(4 * hidden), g.standard_normal(4 * hidden)
    h_next, c_next = lstm_cell(x[None], h[None], c[None], w_ih, w_hh, b_ih, b_hh)
    for unit in range(hidden):
        def pre(gate: int, u: int = unit) -> float:
            row = gate * hidden + u
            return float(w_ih[row] @ x + b_ih[row] + w_hh[row] @ h + b_hh[row])
        i, f = _sigmoid(pre(0)), _sigmoid(pre(1))
        cell, o = math.tanh(pre(2)), _sigmoid(pre(3))
        expected_c = f * c[unit] + i * cell
        assert c_next[0, unit] == pytest.approx(expected_c, rel=1e-12)
        assert h_next[0, unit] == pytest.approx(o * math.tanh(expected_c), rel=1e-12)
