"""The padding, BN buffer and activation-memory quantities read what the engine ran, checked
against closed forms written here (TensorFlow's SAME rule, PyTorch's buffer layout, the sum of
the layer outputs)."""

from __future__ import annotations

import math
import random

import pytest

from quiz.measure.measurement import read
from quiz.measure.runner import measure


def tf_same_total(size: int, k: int, s: int, d: int) -> int:
    return max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)


def test_tf_same_padding_per_side_and_total() -> None:
    rng = random.Random(5)
    for _ in range(60):
        size, k, s, d = rng.randint(5, 80), rng.choice([1, 2, 3, 5, 7]), rng.randint(1, 3), \
            rng.choice([1, 2])
        m = measure(f"input 2x{size}x{size}\nconv 4 k{k} s{s} d{d} ptfsame\n")
        total = tf_same_total(size, k, s, d)
        assert read(m, "pad_total") == total
        assert read(m, "pad_top") == total // 2
        assert read(m, "pad_bottom") == total - total // 2


def test_symmetric_padding_and_none() -> None:
    m = measure("input 3x32x32\nconv 8 k5 p2\nrelu\nmaxpool k2 s2\n")
    assert (read(m, "pad_top"), read(m, "pad_bottom"), read(m, "pad_total")) == (2, 2, 4)
    assert read(measure("input 3x8x8\nconv 8 k3\n"), "pad_total") == 0


def test_bn_buffers_are_two_per_channel_and_not_parameters() -> None:
    m = measure("input 16x8x8\nconv 24 k3 p1 nobias\nbn\nrelu\nconv 40 k1 nobias\nbn\n")
    assert read(m, "buffers") == 2 * (24 + 40)          # running_mean + running_var
    assert read(m, "params") == 16 * 24 * 9 + 24 * 40 + 2 * (24 + 40)


@pytest.mark.parametrize("batch", [1, 4, 32])
def test_activation_bytes_sum_every_layer_output(batch: int) -> None:
    m = measure("input 3x32x32\nconv 16 k3 p1 nobias\nbn\nrelu\nmaxpool k2 s2\n")
    per_sample = (16 * 32 * 32 * 3 + 16 * 16 * 16) * 4   # conv, bn, relu, pool; float32
    assert read(m, "activation_bytes") == per_sample
    assert read(m, "batch_activation_bytes", batch) == per_sample * batch

