"""conv2d / conv_transpose2d against direct loops, the adjoint identity and random configs."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from engine_reference_loops import conv2d_loops, conv_transpose2d_loops
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine import conv2d, conv_transpose2d, ops

RNG_SEED = 20260301


def rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


CONV_CASES = [
    # (N, C, H, W, O, kh, kw, stride, padding, dilation, groups, bias)
    (1, 1, 5, 5, 1, 3, 3, (1, 1), (0, 0), (1, 1), 1, False),
    (2, 3, 7, 6, 4, 3, 2, (1, 1), (1, 1), (1, 1), 1, True),
    (2, 4, 9, 8, 6, 3, 3, (2, 1), (0, 2), (2, 1), 2, True),
    (1, 6, 8, 9, 6, 3, 3, (2, 3), (1, 0), (1, 2), 3, False),
    (1, 4, 6, 6, 8, 3, 3, (1, 1), (1, 1), (1, 1), 4, True),  # depthwise, multiplier 2
    (1, 4, 7, 7, 4, 3, 3, (2, 2), (2, 2), (2, 2), 4, False),  # depthwise, strided, dilated
    (3, 2, 5, 5, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1, True),  # 1x1
    (1, 3, 11, 11, 2, 7, 7, (2, 2), (3, 3), (1, 1), 1, False),  # a 7x7/2 stem
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_direct_loops(case: tuple) -> None:
    n, c, h, w, o, kh, kw, stride, pad, dil, groups, with_bias = case
    g = rng()
    x = g.standard_normal((n, c, h, w))
    weight = g.standard_normal((o, c // groups, kh, kw))
    bias = g.standard_normal(o) if with_bias else None
    expected = conv2d_loops(x, weight, bias, stride, ((pad[0],) * 2, (pad[1],) * 2), dil, groups)
    got = conv2d(x, weight, bias, stride, pad, dil, groups)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("kernel", "dilation"), [((4, 2), (1, 1)), ((3, 4), (1, 3)),
                                                  ((2, 2), (2, 1))])
def test_same_padding_puts_odd_extra_on_bottom_right(kernel: tuple, dilation: tuple) -> None:
    g = rng()
    x = g.standard_normal((1, 2, 6, 7))
    weight = g.standard_normal((3, 2, *kernel))
    # total padding d*(k-1); PyTorch: total // 2 before, the rest (the odd one) after
    pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation,
                                                                              strict=True)]
    expected = conv2d_loops(x, weight, None, (1, 1), pads, dilation, 1)
    got = conv2d(x, weight, padding="same", dilation=dilation)
    assert got.shape == (*x.shape[:1], 3, *x.shape[2:])
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert any(after > before for before, after in pads)  # the case really is odd


def test_valid_padding_is_zero_padding() -> None:
    g = rng()
    x, weight = g.standard_normal((1, 2, 6, 6)), g.standard_normal((2, 2, 3, 3))
    np.testing.assert_array_equal(conv2d(x, weight, padding="valid"), conv2d(x, weight))


def test_unbatched_input_and_float32_dtype() -> None:
    g = rng()
    x = g.standard_normal((3, 6, 6)).astype(np.float32)
    weight = g.standard_normal((4, 3, 3, 3)).astype(np.float32)
    out = conv2d(x, weight, padding=1)
    assert out.shape == (4, 6, 6) and out.dtype == np.float32
    expected = conv2d_loops(x[None].astype(np.float64), weight.astype(np.float64), None, (1, 1),
                            ((1, 1), (1, 1)), (1, 1), 1)[0]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_small_chunks_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    g = rng()
    x = g.standard_normal((2, 3, 13, 11))
    weight = g.standard_normal((5, 3, 3, 3))
    reference = conv2d_loops(x, weight, None, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    reference_s2 = conv2d_loops(x, weight, None, (2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    y = g.standard_normal((2, 3, 5, 4))
    wt = g.standard_normal((3, 2, 3, 3))
    reference_t = conv_transpose2d_loops(y, wt, None, (2, 2), (1, 1), (1, 0), 1, (1, 1))
    monkeypatch.setattr(ops, "CHUNK_BYTES", 1)  # one output row per chunk
    np.testing.assert_allclose(conv2d(x, weight, padding=1), reference, atol=1e-12)
    np.testing.assert_allclose(conv2d(x, weight, stride=2, padding=1), reference_s2, atol=1e-12)
    np.testing.assert_allclose(conv_transpose2d(y, wt, stride=2, padding=1, output_padding=(1, 0)),
                               reference_t, atol=1e-12)


TRANSPOSE_CASES = [
    # (N, C, H, W, O/g, kh, kw, stride, padding, output_padding, groups, dilation, bias)
    (1, 1, 3, 3, 1, 3, 3, (1, 1), (0, 0), (0, 0), 1, (1, 1), False),
    (2, 4, 3, 4, 3, 3, 2, (2, 2), (1, 0), (1, 0), 2, (1, 1), True),
    (1, 2, 4, 3, 2, 4, 4, (2, 1), (1, 1), (0, 0), 1, (1, 2), True),
    (1, 3, 3, 3, 2, 2, 3, (3, 2), (0, 1), (2, 1), 3, (2, 1), False),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_matches_scatter_loops(case: tuple) -> None:
    n, c, h, w, og, kh, kw, stride, pad, out_pad, groups, dil, with_bias = case
    g = rng()
    x = g.standard_normal((n, c, h, w))
    weight = g.standard_normal((c, og, kh, kw))
    bias = g.standard_normal(og * groups) if with_bias else None
    expected = conv_transpose2d_loops(x, weight, bias, stride, pad, out_pad, groups, dil)
    got = conv_transpose2d(x, weight, bias, stride, pad, out_pad, groups, dil)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def _inner(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sum(a * b))


@st.composite
def conv_configs(draw: st.DrawFn) -> dict:
    groups = draw(st.integers(1, 3))
    c = groups * draw(st.integers(1, 2))
    o = groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    # input at least as large as the dilated kernel once padded
    low_h = max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0])
    low_w = max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1])
    h = draw(st.integers(low_h, low_h + 5))
    w = draw(st.integers(low_w, low_w + 5))
    n = draw(st.integers(1, 2))
    return {"n": n, "c": c, "o": o, "h": h, "w": w, "k": k, "s": s, "d": d, "p": p,
            "groups": groups, "seed": draw(st.integers(0, 2**31))}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(conv_configs())
def test_adjoint_identity_random_configs(cfg: dict) -> None:
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)> (output_padding restores input size)."""
    g = np.random.default_rng(cfg["seed"])
    x = g.standard_normal((cfg["n"], cfg["c"], cfg["h"], cfg["w"]))
    weight = g.standard_normal((cfg["o"], cfg["c"] // cfg["groups"], *cfg["k"]))
    fx = conv2d(x, weight, None, cfg["s"], cfg["p"], cfg["d"], cfg["groups"])
    y = g.standard_normal(fx.shape)
    # conv2d's floor drops up to s-1 trailing rows: output_padding gives them back to convT
    full = [(o - 1) * s - 2 * p + d * (k - 1) + 1 for o, s, p, d, k in
            zip(fx.shape[2:], cfg["s"], cfg["p"], cfg["d"], cfg["k"], strict=True)]
    out_pad = (cfg["h"] - full[0], cfg["w"] - full[1])
    if any(op >= max(s, d) for op, s, d in zip(out_pad, cfg["s"], cfg["d"], strict=True)):
        # PyTorch forbids such an output_padding: compare on the part convT can produce
        out_pad = tuple(min(op, max(s, d) - 1) for op, s, d in
                        zip(out_pad, cfg["s"], cfg["d"], strict=True))
        aty = conv_transpose2d(y, weight, None, cfg["s"], cfg["p"], out_pad, cfg["groups"],
                               cfg["d"])
        x = x[:, :, :aty.shape[2], :aty.shape[3]]
        # the dropped input rows/cols never reach any output: <fx, y> is unchanged
    else:
        aty = conv_transpose2d(y, weight, None, cfg["s"], cfg["p"], out_pad, cfg["groups"],
                               cfg["d"])
    assert aty.shape == x.shape
    assert _inner(fx, y) == pytest.approx(_inner(x, aty), rel=1e-9, abs=1e-9)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(conv_configs(), st.booleans())
def test_conv2d_random_configs_match_loops(cfg: dict, with_bias: bool) -> None:
    g = np.random.default_rng(cfg["seed"])
    x = g.standard_normal((cfg["n"], cfg["c"], cfg["h"], cfg["w"]))
    weight = g.standard_normal((cfg["o"], cfg["c"] // cfg["groups"], *cfg["k"]))
    bias = g.standard_normal(cfg["o"]) if with_bias else None
    pads = ((cfg["p"][0],) * 2, (cfg["p"][1],) * 2)
    expected = conv2d_loops(x, weight, bias, cfg["s"], pads, cfg["d"], cfg["groups"])
    got = conv2d(x, weight, bias, cfg["s"], cfg["p"], cfg["d"], cfg["groups"])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(conv_configs())
def test_conv_transpose2d_random_configs_match_loops(cfg: dict) -> None:
    g = np.random.default_rng(cfg["seed"])
    c_in, per_group = cfg["o"], cfg["c"] // cfg["groups"]
    x = g.standard_normal((cfg["n"], c_in, min(cfg["h"], 5), min(cfg["w"], 5)))
    weight = g.standard_normal((c_in, per_group, *cfg["k"]))
    out_pad = tuple(max(s, d) - 1 for s, d in zip(cfg["s"], cfg["d"], strict=True))
    pad = tuple(min(p, (d * (k - 1)) // 2) for p, d, k in
                zip(cfg["p"], cfg["d"], cfg["k"], strict=True))
    expected = conv_transpose2d_loops(x, weight, None, cfg["s"], pad, out_pad, cfg["groups"],
                                      cfg["d"])
    got = conv_transpose2d(x, weight, None, cfg["s"], pad, out_pad, cfg["groups"], cfg["d"])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": (1, 3, 4, 4), "w": (8, 3, 7, 7)}, "Kernel size can't be greater"),
        ({"x": (1, 3, 4, 4), "w": (8, 3, 3, 3), "dilation": 2}, "Kernel size can't be greater"),
        ({"x": (1, 4, 6, 6), "w": (8, 3, 3, 3)}, "channels"),
        ({"x": (1, 4, 6, 6), "w": (6, 2, 3, 3), "groups": 4}, "channels"),
        ({"x": (1, 4, 6, 6), "w": (6, 2, 3, 3), "groups": 2, "stride": 2, "padding": "same"},
         "strided"),
        ({"x": (1, 4, 6, 6), "w": (6, 4, 3, 3), "padding": "full"}, "padding"),
        ({"x": (1, 4, 6, 6), "w": (6, 4, 3, 3), "stride": 0}, "stride"),
        ({"x": (1, 4, 6, 6), "w": (6, 4, 3, 3), "padding": -1}, "padding"),
        ({"x": (4, 6), "w": (6, 4, 3, 3)}, "3D"),
        ({"x": (1, 4, 6, 6), "w": (6, 4, 3, 3), "bias": 5}, "bias"),
    ],
)
def test_conv2d_invalid_configurations_raise(kwargs: dict, message: str) -> None:
    kwargs = dict(kwargs)
    x = np.zeros(kwargs.pop("x"))
    w = np.zeros(kwargs.pop("w"))
    if "bias" in kwargs:
        kwargs["bias"] = np.zeros(kwargs["bias"])
    with pytest.raises(ValueError, match=message):
        conv2d(x, w, **kwargs)


def test_conv_transpose2d_invalid_output_padding_and_size() -> None:
    x = np.zeros((1, 2, 3, 3))
    with pytest.raises(ValueError, match="output padding must be smaller"):
        conv_transpose2d(x, np.zeros((2, 1, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="too small"):
        conv_transpose2d(np.zeros((1, 2, 1, 1)), np.zeros((2, 1, 1, 1)), padding=1)
    with pytest.raises(ValueError, match="channels"):
        conv_transpose2d(x, np.zeros((3, 1, 3, 3)))


def test_large_conv_peak_memory_is_bounded() -> None:
    """Chunking: the extra memory beyond input/padded input/output stays near the chunk size
    (an unchunked im2col of this conv would need C*k*k*H*W*8 = 37.7 MB more)."""
    g = rng()
    x = g.standard_normal((1, 32, 128, 128))
    weight = g.standard_normal((32, 32, 3, 3))
    tensor_bytes = x.nbytes  # input, padded input and output are each about this big
    tracemalloc.start()
    try:
        conv2d(x, weight, padding=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    im2col_bytes = 32 * 9 * 128 * 128 * 8
    assert peak < 3.2 * tensor_bytes + 2 * ops.CHUNK_BYTES
    assert peak < im2col_bytes
