"""quiz.engine.training against closed forms in exact fractions written here, and DropPath's
sampling against its survival probability."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from quiz.engine.problem import run_data
from quiz.engine.training import drop_path, survival_probabilities, training_state


@pytest.mark.parametrize(("blocks", "last"), [(1, "0.5"), (12, "0.8"), (54, "0.5"), (7, "0")])
def test_linear_rule_and_its_misreadings(blocks: int, last: str) -> None:
    p_last = Fraction(last)
    linear = [1 - Fraction(i, blocks) * (1 - p_last) for i in range(1, blocks + 1)]
    np.testing.assert_allclose(survival_probabilities(blocks, float(p_last)),
                               [float(v) for v in linear])
    assert float(linear[-1]) == float(p_last)
    reversed_ = [1 - Fraction(blocks - i, blocks) * (1 - p_last) for i in range(1, blocks + 1)]
    np.testing.assert_allclose(survival_probabilities(blocks, float(p_last), "reversed"),
                               [float(v) for v in reversed_])
    np.testing.assert_allclose(survival_probabilities(blocks, float(p_last), "drop"),
                               [float(1 - v) for v in linear])
    if blocks > 1:
        timm = [1 - Fraction(i - 1, blocks - 1) * (1 - p_last) for i in range(1, blocks + 1)]
        np.testing.assert_allclose(survival_probabilities(blocks, float(p_last), "linspace"),
                                   [float(v) for v in timm])


def test_expected_depth_of_the_papers_resnet_110() -> None:
    """54 blocks, p_L = 0.5: about 40 blocks per forward pass (Huang et al. 2016)."""
    run = run_data("droppath blocks 54 last 0.5")
    assert run.figures["expected_depth"] == pytest.approx(54 - 0.5 * 55 / 2)
    assert run.figures["survival"] == pytest.approx(0.5)   # the last block by default


def test_drop_path_keeps_samples_at_the_survival_rate() -> None:
    rng = np.random.default_rng(0)
    x = np.ones((20000, 3, 2, 2))
    y = drop_path(x, 0.75, rng)
    kept = np.all(y != 0, axis=(1, 2, 3))
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75)        # kept branches are rescaled
    assert np.all(y[~kept] == 0)


def test_mixed_precision_adam_is_sixteen_bytes_per_parameter() -> None:
    state = training_state(1000)
    assert (state.weights, state.grads, state.master, state.optimizer) == (2000, 2000, 4000, 8000)
    assert state.total == 16 * 1000
    fp32 = training_state(1000, weights="fp32", grads="fp32", master=None)
    assert fp32.total == 16 * 1000          # the same as mixed precision: 4 + 4 + 8
    assert training_state(1000, optimizer="momentum").total == 12 * 1000
    assert training_state(1000, optimizer="sgd", master=None).total == 4 * 1000
    figures = run_data("train params 1000 weights fp16 grads fp16 master fp32 optimizer adam "
                       "states fp32").figures
    assert figures == {"train_state_bytes": 16000, "train_no_master": 12000,
                       "train_no_optimizer": 8000, "train_no_grads": 14000,
                       "train_fp32_grads": 18000}
