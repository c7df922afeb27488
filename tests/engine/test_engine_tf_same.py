"""TensorFlow 'SAME' padding (`ptfsame`): output ⌈H/s⌉, the odd extra zero after; the padding a
conv layer applied is reported (top, bottom, left, right)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quiz.engine import run_net
from quiz.engine.receptive import receptive_field
from tests.engine.engine_reference_loops import conv2d_loops


def tf_same(size: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow's documented rule (tf.nn.convolution, padding='SAME')."""
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


@pytest.mark.parametrize(("size", "k", "s", "expected"), [
    (224, 3, 2, (0, 1)),   # odd kernel, stride 2, even input: asymmetric
    (224, 7, 2, (2, 3)),
    (225, 3, 2, (1, 1)),
    (224, 1, 2, (0, 0)),
    (10, 4, 1, (1, 2)),
])
def test_known_tf_paddings(size: int, k: int, s: int, expected: tuple[int, int]) -> None:
    run = run_net(f"input 2x{size}x{size}\nconv 3 k{k} s{s} ptfsame\n")
    top, bottom, left, right = run.layers[0].padding
    assert (top, bottom) == (left, right) == expected
    assert run.output_shape[-2:] == (math.ceil(size / s),) * 2


def test_every_small_geometry_matches_the_rule() -> None:
    for size in range(3, 30):
        for k in (1, 2, 3, 4, 5, 7):
            for s in (1, 2, 3):
                for d in (1, 2):
                    run = run_net(f"input 1x{size}x{size + 1}\nconv 1 k{k} s{s} d{d} ptfsame\n")
                    top, bottom, left, right = run.layers[0].padding
                    assert (top, bottom) == tf_same(size, k, s, d), (size, k, s, d)
                    assert (left, right) == tf_same(size + 1, k, s, d), (size, k, s, d)
                    assert run.output_shape[-2:] == (math.ceil(size / s),
                                                     math.ceil((size + 1) / s))


def test_values_equal_a_loop_conv_on_the_explicitly_padded_input() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 9, 8))
    run = run_net("input 2x9x8\nconv 3 k3 s2 ptfsame\n", input_shape=(1, 2, 9, 8))
    layer = run.graph[0]  # the built layer keeps the weights it used
    y, _ = layer.run(x, params=layer.last_params)
    expected = conv2d_loops(x, layer.last_params["weight"], layer.last_params["bias"],
                            (2, 2), (tf_same(9, 3, 2), tf_same(8, 3, 2)), (1, 1), 1)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


def test_pytorch_padding_is_reported_symmetric() -> None:
    run = run_net("input 2x224x224\nconv 3 k3 s2 p1\n")
    assert run.layers[0].padding == (1, 1, 1, 1)
    assert run.output_shape[-2:] == (112, 112)  # same shape as TF SAME, other zeros


def test_receptive_field_starts_at_the_top_padding() -> None:
    run = run_net("input 3x224x224\nconv 8 k7 s2 ptfsame\nconv 8 k3 s2 ptfsame\n")
    first, second = receptive_field(run, (224, 224))
    assert first is not None and second is not None
    assert first.start == (-2, -2)          # top padding 2 of the 7×7 layer
    assert (second.size, second.jump) == ((11, 11), (4, 4))
    # the second layer sees 112: padding (0, 1), so its first window starts at the image edge
    assert second.start == (-2, -2)


def test_pytorch_same_rejects_strides_tf_same_does_not() -> None:
    with pytest.raises(ValueError, match="strided"):
        run_net("input 1x8x8\nconv 1 k3 s2 psame\n")
    assert run_net("input 1x8x8\nconv 1 k3 s2 ptfsame\n").output_shape[-2:] == (4, 4)
