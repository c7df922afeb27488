"""Multi-head self-attention over the H×W positions of a feature map (the net format's `attn`).

The map (N, C, H, W) is read as N sequences of L = H·W tokens of C features (a ViT after its
patch embedding, or a non-local / attention block on a CNN map); the layer is PyTorch's
`nn.MultiheadAttention(C, heads)` with q = k = v = the tokens: a joint Q/K/V projection
(3C × C weights + 3C biases), scaled dot-product attention per head (head size C / heads), and
an output projection (C × C + C). The output is reshaped back to (N, C, H, W).

MACs counted (per sample): the projections 3·L·C² + L·C², the scores QKᵀ L²·C (summed over
heads: heads · L² · C/heads), and the weighted sum of values AV, L²·C. The scaling by 1/√d and
the softmax are not multiply-accumulates of a GEMM and are not counted (fvcore's convention).
"""

from __future__ import annotations

import math

import numpy as np

from quiz.engine import ops
from quiz.engine.layers import Layer, NotSpatialError, Params, Window, _kaiming, _uniform_bias


def attention_macs(tokens: int, channels: int) -> tuple[int, int]:
    """(projection MACs, attention MACs: QKᵀ + AV) of one sample."""
    return 4 * tokens * channels * channels, 2 * tokens * tokens * channels


class MultiheadSelfAttention(Layer):
    kind = "attention"

    def __init__(self, channels: int, heads: int = 1, bias: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name)
        if heads < 1 or channels % heads:
            raise ValueError(f"attention: {channels} channels do not split into {heads} heads "
                             "(embed_dim must be divisible by num_heads)")
        self.channels, self.heads, self.bias = channels, heads, bias

    def _check_input(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 4 or shape[1] != self.channels:
            raise ValueError(f"attention {self.channels}: expects N×{self.channels}×H×W, "
                             f"got {'×'.join(map(str, shape))}")

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        self._check_input(input_shape)
        tokens = input_shape[2] * input_shape[3]
        return tuple(input_shape), input_shape[0] * sum(attention_macs(tokens, self.channels))

    def estimated_params(self, input_shape: tuple[int, ...]) -> int:
        c = self.channels
        return 4 * c * c + (4 * c if self.bias else 0)

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        c = self.channels
        params = {"in_proj_weight": _kaiming(rng, (3 * c, c), c, dtype),
                  "out_proj_weight": _kaiming(rng, (c, c), c, dtype)}
        if self.bias:
            params["in_proj_bias"] = _uniform_bias(rng, 3 * c, c, dtype)
            params["out_proj_bias"] = _uniform_bias(rng, c, c, dtype)
        return params

    def bias_names(self) -> tuple[str, ...]:
        return ("in_proj_bias", "out_proj_bias")

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        self._check_input(tuple(x.shape))
        n, c, h, w = x.shape
        tokens, heads, size = h * w, self.heads, c // self.heads
        t = x.reshape(n, c, tokens).transpose(0, 2, 1)                       # (n, L, C)
        qkv = ops.linear(t, params["in_proj_weight"], params.get("in_proj_bias"))
        q, k, v = (part.reshape(n, tokens, heads, size).transpose(0, 2, 1, 3)
                   for part in np.split(qkv, 3, axis=-1))                  # (n, heads, L, d)
        scores = np.matmul(q, k.transpose(0, 1, 3, 2)) / math.sqrt(size)   # (n, heads, L, L)
        ops._tally_gemm(tokens, size, tokens, batch=n * heads)
        scores = scores - scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        mixed = np.matmul(weights, v)                                       # (n, heads, L, d)
        ops._tally_gemm(tokens, tokens, size, batch=n * heads)
        merged = mixed.transpose(0, 2, 1, 3).reshape(n, tokens, c)
        out = ops.linear(merged, params["out_proj_weight"], params.get("out_proj_bias"))
        return np.asarray(out.transpose(0, 2, 1).reshape(n, c, h, w), dtype=x.dtype)

    def window(self, input_hw: tuple[int, int]) -> Window | None:
        if input_hw == (1, 1):
            return None
        raise NotSpatialError("self-attention sees every input position")

    def describe(self) -> str:
        return f"attn {self.channels} h{self.heads}" + ("" if self.bias else " nobias")


__all__ = ["MultiheadSelfAttention", "attention_macs"]
