"""The `attn` layer against a NumPy reference written here: multi-head self-attention run with
einsum on random arrays, its multiply-accumulates counted product by product from the operand
shapes of each einsum (not from quiz.engine's tally)."""

from __future__ import annotations

import numpy as np
import pytest

from quiz.engine.attention import MultiheadSelfAttention
from quiz.engine.netspec import parse_net
from quiz.engine.network import run_net


def reference(x: np.ndarray, params: dict[str, np.ndarray], heads: int) -> tuple[np.ndarray, int]:
    """(output, MACs) of nn.MultiheadAttention(C, heads)(t, t, t) on the H·W tokens of x."""
    n, c, h, w = x.shape
    tokens, size = h * w, c // heads
    macs = 0
    t = np.einsum("nchw->nhwc", x).reshape(n, tokens, c)
    wq, wk, wv = np.split(params["in_proj_weight"], 3)
    bq, bk, bv = np.split(params["in_proj_bias"], 3)
    projected = []
    for weight, bias in ((wq, bq), (wk, bk), (wv, bv)):
        projected.append(np.einsum("nlc,dc->nld", t, weight) + bias)
        macs += n * tokens * c * c                       # each output: c products
    q, k, v = (p.reshape(n, tokens, heads, size) for p in projected)
    scores = np.einsum("nlhd,nmhd->nhlm", q, k) / np.sqrt(size)
    macs += n * heads * tokens * tokens * size
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    scores /= scores.sum(axis=-1, keepdims=True)
    mixed = np.einsum("nhlm,nmhd->nlhd", scores, v).reshape(n, tokens, c)
    macs += n * heads * tokens * tokens * size
    out = np.einsum("nlc,dc->nld", mixed, params["out_proj_weight"]) + params["out_proj_bias"]
    macs += n * tokens * c * c
    return np.einsum("nhwc->nchw", out.reshape(n, h, w, c)), macs


@pytest.mark.parametrize(("n", "c", "h", "w", "heads"), [
    (1, 8, 3, 4, 1), (2, 12, 2, 5, 3), (1, 16, 4, 4, 4), (3, 6, 1, 7, 2),
])
def test_attention_runs_and_counts_like_the_reference(n: int, c: int, h: int, w: int,
                                                     heads: int) -> None:
    rng = np.random.default_rng(n * 100 + c)
    x = rng.standard_normal((n, c, h, w))
    layer = MultiheadSelfAttention(c, heads)
    y, report = layer.run(x, rng=rng)
    want, macs = reference(x, layer.last_params, heads)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-10)
    assert report.macs == macs
    assert report.params == 4 * c * c + 4 * c and report.bias_params == 4 * c
    assert layer.estimate((n, c, h, w)) == ((n, c, h, w), macs)
    assert layer.estimated_params((n, c, h, w)) == report.params


def test_attention_mixes_every_position() -> None:
    """Changing one token changes every output position (a global receptive field)."""
    rng = np.random.default_rng(1)
    layer = MultiheadSelfAttention(4, 2)
    x = rng.standard_normal((1, 4, 3, 3))
    y, _ = layer.run(x, rng=np.random.default_rng(0))
    x2 = x.copy()
    x2[0, :, 0, 0] += 1.0
    y2, _ = layer.run(x2, params=layer.last_params)
    assert np.all(np.abs(y2 - y).sum(axis=1) > 0)


def test_attn_in_the_net_format() -> None:
    run = run_net(parse_net("input 64x14x14\nattn 64 h8\n"))
    (report,) = run.layers
    tokens = 14 * 14
    assert report.kind == "attention"
    assert report.macs == 4 * tokens * 64 ** 2 + 2 * tokens ** 2 * 64
    assert run_net(parse_net("input 64x2x2\nattn h4 nobias\n")).params == 4 * 64 * 64
    with pytest.raises(ValueError):
        run_net(parse_net("input 10x2x2\nattn 10 h4\n"))   # 10 channels, 4 heads
    with pytest.raises(ValueError):
        run_net(parse_net("input 10x2x2\nattn 12 h2\n"))   # attn keeps the embedding size
