"""Layers that move values without weights: upsampling (nearest, bilinear), channel shuffle and
channel chunks (ShuffleNet's split). PyTorch semantics; no parameters, no MACs."""

from __future__ import annotations

import numpy as np

from quiz.engine.layers import Layer, NotSpatialError, Params, Window

__all__ = ["ChannelShuffle", "Chunk", "Upsample", "channel_shuffle", "chunk", "upsample"]


def _source_positions(size: int, scale: int, align_corners: bool) -> np.ndarray:
    """Input coordinate read by each output position (PyTorch's bilinear source index)."""
    out = size * scale
    dst = np.arange(out, dtype=np.float64)
    if align_corners:
        return dst * ((size - 1) / (out - 1)) if out > 1 else np.zeros(out)
    return np.maximum((dst + 0.5) / scale - 0.5, 0.0)


def _interpolate_axis(x: np.ndarray, axis: int, scale: int, align_corners: bool) -> np.ndarray:
    size = x.shape[axis]
    src = _source_positions(size, scale, align_corners)
    low = np.minimum(np.floor(src).astype(np.intp), size - 1)
    high = np.minimum(low + 1, size - 1)
    weight = (src - low).astype(x.dtype)
    shape = [1] * x.ndim
    shape[axis] = -1
    weight = weight.reshape(shape)
    blended = np.take(x, low, axis=axis) * (1 - weight) + np.take(x, high, axis=axis) * weight
    return np.asarray(blended)


def upsample(x: np.ndarray, scale_factor: int, mode: str = "nearest",
             align_corners: bool = False) -> np.ndarray:
    """``F.interpolate(x, scale_factor=s, mode=...)`` for an integer factor on NCHW."""
    if x.ndim != 4:
        raise ValueError(f"upsample: expected a 4D (N, C, H, W) input, got shape {x.shape}")
    if scale_factor < 1:
        raise ValueError(f"upsample: scale factor must be a positive integer, got {scale_factor}")
    if mode == "nearest":
        if align_corners:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
        return x.repeat(scale_factor, axis=2).repeat(scale_factor, axis=3)
    if mode != "bilinear":
        raise ValueError(f"upsample: mode must be 'nearest' or 'bilinear', got {mode!r}")
    rows = _interpolate_axis(x, 2, scale_factor, align_corners)
    return _interpolate_axis(rows, 3, scale_factor, align_corners).astype(x.dtype, copy=False)


def channel_shuffle(x: np.ndarray, groups: int) -> np.ndarray:
    """``nn.ChannelShuffle(groups)``: (N, g, C/g, ...) → transpose the first two → flatten."""
    n, c = x.shape[:2]
    if groups <= 0 or c % groups:
        raise ValueError(f"channel_shuffle: number of channels ({c}) must be divisible by "
                         f"groups ({groups})")
    grouped = x.reshape(n, groups, c // groups, *x.shape[2:])
    return np.ascontiguousarray(grouped.swapaxes(1, 2)).reshape(x.shape)


def chunk(x: np.ndarray, index: int, parts: int) -> np.ndarray:
    """``torch.chunk(x, parts, dim=1)[index]``: chunks of ⌈C/parts⌉ channels, the last smaller."""
    c = x.shape[1]
    if parts <= 0:
        raise ValueError(f"chunk expects `chunks` to be greater than 0, got: {parts}")
    size = -(-c // parts)
    count = -(-c // size)
    if not 0 <= index < count:
        raise ValueError(f"chunk {index}/{parts}: {c} channels give {count} chunks "
                         f"of {size} (indices 0..{count - 1})")
    return x[:, index * size:(index + 1) * size]


class Upsample(Layer):
    kind = "upsample"

    def __init__(self, scale_factor: int, mode: str = "nearest", align_corners: bool = False,
                 name: str | None = None) -> None:
        super().__init__(name)
        if scale_factor < 1:
            raise ValueError(f"scale factor must be a positive integer, got {scale_factor}")
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"mode must be 'nearest' or 'bilinear', got {mode!r}")
        if align_corners and mode == "nearest":
            raise ValueError("align_corners can only be set with bilinear upsampling")
        self.scale_factor, self.mode, self.align_corners = scale_factor, mode, align_corners

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return upsample(x, self.scale_factor, self.mode, self.align_corners)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        n, c, h, w = input_shape
        return (n, c, h * self.scale_factor, w * self.scale_factor), 0

    def window(self, input_hw: tuple[int, int]) -> Window | None:
        if self.scale_factor == 1:
            return None
        raise NotSpatialError("upsampling has no uniform input window")

    def describe(self) -> str:
        return f"upsample x{self.scale_factor} {self.mode}"


class ChannelShuffle(Layer):
    kind = "channel_shuffle"

    def __init__(self, groups: int, name: str | None = None) -> None:
        super().__init__(name)
        self.groups = groups

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return channel_shuffle(x, self.groups)

    def describe(self) -> str:
        return f"shuffle {self.groups}"


class Chunk(Layer):
    kind = "chunk"

    def __init__(self, index: int, parts: int, name: str | None = None) -> None:
        super().__init__(name)
        self.index, self.parts = index, parts

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return chunk(x, self.index, self.parts)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        c = input_shape[1]
        size = -(-c // max(1, self.parts))
        return (input_shape[0], size, *input_shape[2:]), 0

    def describe(self) -> str:
        return f"chunk {self.index}/{self.parts}"
