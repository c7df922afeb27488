"""Layers with PyTorch's constructor arguments that create real parameters, run the real op
and report what ran (shapes, parameters counted from the arrays, MACs tallied from the GEMMs)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from quiz.engine import ops
from quiz.engine.limits import DEFAULT_LIMITS, Limits, check_layer
from quiz.engine.report import LayerReport

TF_SAME = "tfsame"  # TensorFlow's SAME: output ⌈H/s⌉, the odd extra row/column after

__all__ = [
    "LSTM",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm2d",
    "Conv2d",
    "ConvTranspose2d",
    "Flatten",
    "GroupNorm",
    "Layer",
    "LayerNorm",
    "Linear",
    "MaxPool2d",
    "ReLU",
    "SequenceLSTM",
    "Window",
]

IntPair = int | Sequence[int]
Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Window:
    """Spatial geometry of a sliding-window layer, as the receptive-field code needs it."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]  # (top, left): offset of the first window
    dilation: tuple[int, int] = (1, 1)


class NotSpatialError(ValueError):
    """The layer mixes all positions (flatten, fc) or has no uniform window (transposed conv)."""


def _pair(value: IntPair, name: str) -> tuple[int, int]:
    return ops._pair(value, name)


class Layer:
    """Base class: subclasses define ``kind``, ``make_params`` and ``forward``."""

    kind = "layer"

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.last_params: Params = {}

    # -- to override ---------------------------------------------------------------------
    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        """Create this layer's parameter arrays (weights first, then ``bias``-like arrays)."""
        return {}

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        raise NotImplementedError

    def bias_names(self) -> tuple[str, ...]:
        """Parameter names counted as biases (everything else counts as weights)."""
        return ("bias",)

    def window(self, input_hw: tuple[int, int]) -> Window | None:
        """Sliding window over the input (None: pointwise, the receptive field is unchanged)."""
        return None

    def describe(self) -> str:
        return self.kind

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        """(output shape, MACs) from the shapes alone, for the resource check before a run
        (reported figures always come from the run). Default: a shape-preserving layer."""
        return tuple(input_shape), 0

    def estimated_params(self, input_shape: tuple[int, ...]) -> int:
        return 0

    def check(self, input_shape: tuple[int, ...], itemsize: int,
              limits: Limits = DEFAULT_LIMITS) -> None:
        """Raise ``ResourceLimitError`` (a ValueError) if running on ``input_shape`` would go
        over ``limits``; nothing is allocated."""
        output_shape, macs = self.estimate(tuple(int(v) for v in input_shape))
        check_layer(self.name or self.describe(), input_shape, output_shape,
                    self.estimated_params(tuple(input_shape)), macs, itemsize, limits)

    # -- common ---------------------------------------------------------------------------
    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Planning aid: the shape from running on a zero array with throwaway parameters."""
        x = np.zeros(input_shape)
        params = self.make_params(tuple(input_shape), np.random.default_rng(0), x.dtype)
        return tuple(self.forward(x, params).shape)

    def run(self, x: np.ndarray, rng: np.random.Generator | None = None,
            params: Params | None = None,
            limits: Limits = DEFAULT_LIMITS) -> tuple[np.ndarray, LayerReport]:
        """Create parameters (seeded from ``rng`` unless given), run the op, report it.
        A layer over ``limits`` is refused before anything is allocated."""
        x = np.asarray(x)
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
        self.check(tuple(x.shape), dtype.itemsize, limits)
        x = x.astype(dtype, copy=False)
        if params is None:
            rng = rng if rng is not None else np.random.default_rng(0)
            params = self.make_params(tuple(x.shape), rng, dtype)
        self.last_params = params
        with ops.count_work() as tally:
            y = self.forward(x, params)
        return y, self._report(x, y, params, tally)

    def _report(self, x: np.ndarray, y: np.ndarray, params: Params,
                tally: ops.WorkTally) -> LayerReport:
        bias_params = sum(int(a.size) for k, a in params.items() if k in self.bias_names())
        weight_params = sum(int(a.size) for k, a in params.items() if k not in self.bias_names())
        total = weight_params + bias_params
        return LayerReport(
            name=self.name or self.describe(),
            kind=self.kind,
            input_shape=tuple(x.shape),
            output_shape=tuple(y.shape),
            params=total,
            weight_params=weight_params,
            bias_params=bias_params,
            macs=tally.macs,
            bias_adds=tally.bias_adds,
            flops=2 * tally.macs,
            input_elems=int(x.size),
            output_elems=int(y.size),
            weight_elems=total,
            working_set_elems=int(x.size) + int(y.size) + total,
            bytes_per_elem=int(y.dtype.itemsize),
        )


def _kaiming(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int,
             dtype: np.dtype) -> np.ndarray:
    # He-normal keeps activations of deep ReLU stacks at a stable scale in float32
    std = math.sqrt(2.0 / max(1, fan_in))
    return (rng.standard_normal(shape, dtype=np.float32) * std).astype(dtype, copy=False)


def _uniform_bias(rng: np.random.Generator, size: int, fan_in: int,
                  dtype: np.dtype) -> np.ndarray:
    bound = 1.0 / math.sqrt(max(1, fan_in))  # PyTorch's default bias init range
    return rng.uniform(-bound, bound, size).astype(dtype)


def _fmt_pair(name: str, pair: tuple[int, int], default: int) -> str:
    if pair == (default, default):
        return ""
    value = str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"
    return f" {name}{value}"


# --------------------------------------------------------------------------------------------
# convolutions
# --------------------------------------------------------------------------------------------
class Conv2d(Layer):
    kind = "conv2d"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair | str = 0, dilation: IntPair = 1,
                 groups: int = 1, bias: bool = True, name: str | None = None) -> None:
        super().__init__(name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) "
                             f"must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ops._positive_pair(kernel_size, "kernel_size")
        self.stride = ops._positive_pair(stride, "stride")
        self.dilation = ops._positive_pair(dilation, "dilation")
        self.padding: tuple[int, int] | str = (
            padding if isinstance(padding, str) else ops._non_negative_pair(padding, "padding"))
        if self.padding == "same" and self.stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        if isinstance(self.padding, str) and self.padding not in ("same", "valid", TF_SAME):
            raise ValueError(f"invalid padding string {self.padding!r}, should be one of "
                             f"'valid', 'same', '{TF_SAME}'")
        self.bias = bias

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        kh, kw = self.kernel_size
        fan_in = self.in_channels // self.groups * kh * kw
        params = {"weight": _kaiming(
            rng, (self.out_channels, self.in_channels // self.groups, kh, kw), fan_in, dtype)}
        if self.bias:
            params["bias"] = _uniform_bias(rng, self.out_channels, fan_in, dtype)
        return params

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        padding: tuple[int, int] | str | int = self.padding
        if padding == TF_SAME:
            # TensorFlow's SAME is not a PyTorch conv2d mode: pad explicitly, as a port does
            (top, bottom), (left, right) = self.applied_padding(x.shape[-2:])
            x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
            padding = 0
        return ops.conv2d(x, params["weight"], params.get("bias"), self.stride, padding,
                          self.dilation, self.groups)

    def applied_padding(self, input_hw: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """The zeros added ((top, bottom), (left, right)) for an input of this height × width."""
        if self.padding == TF_SAME:
            top_bottom, left_right = (
                ops.tf_same_padding(int(size), k, s, d) for size, k, s, d in
                zip(input_hw, self.kernel_size, self.stride, self.dilation, strict=True))
            return top_bottom, left_right
        return ops._conv_padding(self.padding, self.kernel_size, self.stride, self.dilation)

    def _report(self, x: np.ndarray, y: np.ndarray, params: Params,
                tally: ops.WorkTally) -> LayerReport:
        (top, bottom), (left, right) = self.applied_padding(x.shape[-2:])
        return replace(super()._report(x, y, params, tally), padding=(top, bottom, left, right))

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        n, _c, h, w = _nchw(input_shape, "conv2d")
        (top, bottom), (left, right) = self.applied_padding((h, w))
        out_hw = []
        for size, pad, k, s, d in zip((h, w), (top + bottom, left + right), self.kernel_size,
                                      self.stride, self.dilation, strict=True):
            if size + pad < d * (k - 1) + 1:
                eff = [dd * (kk - 1) + 1 for kk, dd in
                       zip(self.kernel_size, self.dilation, strict=True)]
                raise ValueError(
                    f"conv2d: calculated padded input size per channel: ({h + top + bottom} x "
                    f"{w + left + right}). Kernel size: ({eff[0]} x {eff[1]}). Kernel size "
                    "can't be greater than actual input size")
            out_hw.append(ops.conv_output_size(size, k, s, pad, d))
        kh, kw = self.kernel_size
        macs = (n * self.out_channels * out_hw[0] * out_hw[1]
                * (self.in_channels // self.groups) * kh * kw)
        return (n, self.out_channels, out_hw[0], out_hw[1]), macs

    def estimated_params(self, input_shape: tuple[int, ...]) -> int:
        kh, kw = self.kernel_size
        return self.out_channels * (self.in_channels // self.groups) * kh * kw + self.out_channels

    def window(self, input_hw: tuple[int, int]) -> Window:
        (top, _), (left, _) = self.applied_padding(input_hw)
        return Window(self.kernel_size, self.stride, (top, left), self.dilation)

    def describe(self) -> str:
        kh, kw = self.kernel_size
        kind = "dwconv" if self.groups == self.in_channels == self.out_channels > 1 else "conv"
        text = f"{kind} {kh}x{kw}" if kh != kw else f"{kind} {kh}x{kh}"
        text += _fmt_pair("/", self.stride, 1).replace(" /", "/")
        if self.groups > 1 and kind == "conv":
            text += f" g{self.groups}"
        if self.dilation != (1, 1):
            text += _fmt_pair("d", self.dilation, 1)
        return text


class ConvTranspose2d(Layer):
    kind = "conv_transpose2d"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                 groups: int = 1, bias: bool = True, dilation: IntPair = 1,
                 name: str | None = None) -> None:
        super().__init__(name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) and out_channels ({out_channels}) "
                             f"must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ops._positive_pair(kernel_size, "kernel_size")
        self.stride = ops._positive_pair(stride, "stride")
        self.padding = ops._non_negative_pair(padding, "padding")
        self.output_padding = ops._non_negative_pair(output_padding, "output_padding")
        self.dilation = ops._positive_pair(dilation, "dilation")
        self.bias = bias

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        kh, kw = self.kernel_size
        # PyTorch computes the init fan-in of a transposed conv from weight.size(1) = out/groups
        fan_in = self.out_channels // self.groups * kh * kw
        params = {"weight": _kaiming(
            rng, (self.in_channels, self.out_channels // self.groups, kh, kw), fan_in, dtype)}
        if self.bias:
            params["bias"] = _uniform_bias(rng, self.out_channels, fan_in, dtype)
        return params

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return ops.conv_transpose2d(x, params["weight"], params.get("bias"), self.stride,
                                    self.padding, self.output_padding, self.groups,
                                    self.dilation)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        n, _c, h, w = _nchw(input_shape, "conv_transpose2d")
        out_hw = [(size - 1) * s - 2 * p + d * (k - 1) + op + 1 for size, s, p, d, k, op in
                  zip((h, w), self.stride, self.padding, self.dilation, self.kernel_size,
                      self.output_padding, strict=True)]
        kh, kw = self.kernel_size
        macs = n * self.in_channels * h * w * (self.out_channels // self.groups) * kh * kw
        return (n, self.out_channels, max(out_hw[0], 0), max(out_hw[1], 0)), macs

    def estimated_params(self, input_shape: tuple[int, ...]) -> int:
        kh, kw = self.kernel_size
        return self.in_channels * (self.out_channels // self.groups) * kh * kw + self.out_channels

    def window(self, input_hw: tuple[int, int]) -> Window:
        raise NotSpatialError("a transposed convolution has no uniform input window")

    def describe(self) -> str:
        kh, kw = self.kernel_size
        return f"convT {kh}x{kw}" + _fmt_pair("/", self.stride, 1).replace(" /", "/")


# --------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------
class MaxPool2d(Layer):
    kind = "max_pool2d"

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, dilation: IntPair = 1, ceil_mode: bool = False,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.kernel_size = ops._positive_pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else ops._positive_pair(stride,
                                                                                 "stride")
        self.padding = ops._non_negative_pair(padding, "padding")
        self.dilation = ops._positive_pair(dilation, "dilation")
        self.ceil_mode = ceil_mode

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return ops.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                              self.ceil_mode)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        return _pool_estimate(input_shape, self.kernel_size, self.stride, self.padding,
                              self.dilation, self.ceil_mode), 0

    def window(self, input_hw: tuple[int, int]) -> Window:
        return Window(self.kernel_size, self.stride, self.padding, self.dilation)

    def describe(self) -> str:
        return f"maxpool {self.kernel_size[0]}x{self.kernel_size[1]}/{self.stride[0]}"


class AvgPool2d(Layer):
    kind = "avg_pool2d"

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.kernel_size = ops._positive_pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else ops._positive_pair(stride,
                                                                                 "stride")
        self.padding = ops._non_negative_pair(padding, "padding")
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return ops.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        return _pool_estimate(input_shape, self.kernel_size, self.stride, self.padding,
                              (1, 1), self.ceil_mode), 0

    def window(self, input_hw: tuple[int, int]) -> Window:
        return Window(self.kernel_size, self.stride, self.padding)

    def describe(self) -> str:
        return f"avgpool {self.kernel_size[0]}x{self.kernel_size[1]}/{self.stride[0]}"


class AdaptiveAvgPool2d(Layer):
    kind = "adaptive_avg_pool2d"

    def __init__(self, output_size: IntPair, name: str | None = None) -> None:
        super().__init__(name)
        self.output_size = ops._positive_pair(output_size, "output_size")

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return ops.adaptive_avg_pool2d(x, self.output_size)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        return (*input_shape[:-2], *self.output_size), 0

    def window(self, input_hw: tuple[int, int]) -> Window | None:
        # Uniform only when every bin has the same size: input a multiple of the output.
        if any(i % o for i, o in zip(input_hw, self.output_size, strict=True)):
            raise NotSpatialError(f"adaptive pooling {input_hw} -> {self.output_size} has "
                                  "bins of unequal size")
        kernel = (input_hw[0] // self.output_size[0], input_hw[1] // self.output_size[1])
        if kernel == (1, 1):
            return None
        return Window(kernel, kernel, (0, 0))

    def describe(self) -> str:
        if self.output_size == (1, 1):
            return "global avgpool"
        return f"adaptive avgpool {self.output_size[0]}x{self.output_size[1]}"


# --------------------------------------------------------------------------------------------
# normalisation and pointwise layers
# --------------------------------------------------------------------------------------------
class BatchNorm2d(Layer):
    """Runs in inference mode by default (running statistics), like a model after ``.eval()``;
    ``training=True`` uses batch statistics and updates the running ones."""

    kind = "batch_norm"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, training: bool = False, name: str | None = None) -> None:
        super().__init__(name)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.training = affine, training
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        if not self.affine:
            return {}
        return {"weight": np.ones(self.num_features, dtype=dtype),
                "bias": np.zeros(self.num_features, dtype=dtype)}

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d({self.num_features}) got input of shape {x.shape}")
        return ops.batch_norm(x, self.running_mean, self.running_var, params.get("weight"),
                              params.get("bias"), self.training, self.momentum, self.eps)

    def describe(self) -> str:
        return "bn"


class GroupNorm(Layer):
    kind = "group_norm"

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, name: str | None = None) -> None:
        super().__init__(name)
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                     eps, affine)

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        if not self.affine:
            return {}
        return {"weight": np.ones(self.num_channels, dtype=dtype),
                "bias": np.zeros(self.num_channels, dtype=dtype)}

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        if x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm expected {self.num_channels} channels, got {x.shape}")
        return ops.group_norm(x, self.num_groups, params.get("weight"), params.get("bias"),
                              self.eps)

    def describe(self) -> str:
        return f"gn {self.num_groups}"


class LayerNorm(Layer):
    kind = "layer_norm"

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, name: str | None = None) -> None:
        super().__init__(name)
        self.normalized_shape = ((int(normalized_shape),) if isinstance(normalized_shape, int)
                                 else tuple(int(s) for s in normalized_shape))
        self.eps, self.affine = eps, elementwise_affine

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        if not self.affine:
            return {}
        return {"weight": np.ones(self.normalized_shape, dtype=dtype),
                "bias": np.zeros(self.normalized_shape, dtype=dtype)}

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return ops.layer_norm(x, self.normalized_shape, params.get("weight"),
                              params.get("bias"), self.eps)

    def describe(self) -> str:
        return "ln"


class ReLU(Layer):
    kind = "relu"

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return ops.relu(x)


class Flatten(Layer):
    kind = "flatten"

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return x.reshape(x.shape[0], -1)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        return (input_shape[0], math.prod(input_shape[1:])), 0

    def window(self, input_hw: tuple[int, int]) -> Window | None:
        if input_hw == (1, 1):
            return None
        raise NotSpatialError("flatten mixes all spatial positions")


class Linear(Layer):
    """``nn.Linear`` on the last axis; with ``flatten=True`` (the net format's ``fc``) an input
    of more than two axes is first flattened from axis 1, as ``flatten`` then ``fc`` would."""

    kind = "linear"

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 name: str | None = None, flatten: bool = False) -> None:
        super().__init__(name)
        self.in_features, self.out_features, self.bias = in_features, out_features, bias
        self.flatten = flatten

    def _input_2d(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (shape[0], math.prod(shape[1:])) if self.flatten and len(shape) > 2 else shape

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        shape = self._input_2d(input_shape)
        rows = math.prod(shape[:-1])
        return (*shape[:-1], self.out_features), rows * self.in_features * self.out_features

    def estimated_params(self, input_shape: tuple[int, ...]) -> int:
        return self.in_features * self.out_features + self.out_features

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        params = {"weight": _kaiming(rng, (self.out_features, self.in_features),
                                     self.in_features, dtype)}
        if self.bias:
            params["bias"] = _uniform_bias(rng, self.out_features, self.in_features, dtype)
        return params

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        if self.flatten and x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        return ops.linear(x, params["weight"], params.get("bias"))

    def window(self, input_hw: tuple[int, int]) -> Window | None:
        raise NotSpatialError("a fully connected layer sees every input position")

    def describe(self) -> str:
        return f"fc {self.out_features}"


class LSTM(Layer):
    """One LSTM layer over a (T, N, input_size) sequence from zero state; PyTorch's parameter
    layout (weight_ih (4H, in), weight_hh (4H, H), two bias vectors, gates i, f, g, o)."""

    kind = "lstm"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias

    def bias_names(self) -> tuple[str, ...]:
        return ("bias_ih", "bias_hh")

    def make_params(self, input_shape: tuple[int, ...], rng: np.random.Generator,
                    dtype: np.dtype) -> Params:
        h, bound = self.hidden_size, 1.0 / math.sqrt(self.hidden_size)

        def uniform(*shape: int) -> np.ndarray:
            return rng.uniform(-bound, bound, shape).astype(dtype)

        params = {"weight_ih": uniform(4 * h, self.input_size), "weight_hh": uniform(4 * h, h)}
        if self.bias:
            params["bias_ih"] = uniform(4 * h)
            params["bias_hh"] = uniform(4 * h)
        return params

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"LSTM expects (T, N, {self.input_size}) input, got {x.shape}")
        steps, batch, _ = x.shape
        h = np.zeros((batch, self.hidden_size), dtype=x.dtype)
        c = np.zeros_like(h)
        outputs = []
        for t in range(steps):  # a recurrence: each step needs the previous state
            h, c = ops.lstm_cell(x[t], h, c, params["weight_ih"], params["weight_hh"],
                                 params.get("bias_ih"), params.get("bias_hh"))
            outputs.append(h)
        return np.stack(outputs)

    def estimate(self, input_shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        steps = math.prod(input_shape[:-1])
        h = self.hidden_size
        return (*input_shape[:-1], h), steps * 4 * h * (self.input_size + h)

    def estimated_params(self, input_shape: tuple[int, ...]) -> int:
        return 4 * self.hidden_size * (self.input_size + self.hidden_size + 2)

    def window(self, input_hw: tuple[int, int]) -> Window | None:
        raise NotSpatialError("an LSTM is not a spatial layer")

    def describe(self) -> str:
        return f"lstm {self.hidden_size}"


class SequenceLSTM(LSTM):
    """The net format's ``lstm H``: the incoming array (N, ..., F) is N sequences whose steps are
    the positions between the batch axis and the feature axis (``input 1x1xI`` is one step of
    one sequence); the output keeps that layout with H features."""

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        if x.shape[-1] != self.input_size or x.ndim < 2:
            raise ValueError(f"lstm expects {self.input_size} features on the last axis, got "
                             f"shape {x.shape}")
        batch = x.shape[0]
        steps = x.reshape(batch, -1, self.input_size).swapaxes(0, 1)  # (T, N, F)
        y = super().forward(np.ascontiguousarray(steps), params)
        return np.asarray(y.swapaxes(0, 1).reshape(*x.shape[:-1], self.hidden_size))


def _nchw(shape: tuple[int, ...], op: str) -> tuple[int, int, int, int]:
    if len(shape) == 3:
        shape = (1, *shape)
    if len(shape) != 4:
        raise ValueError(f"{op}: expected a 3D (C, H, W) or 4D (N, C, H, W) input, got shape "
                         f"{shape}")
    n, c, h, w = shape
    return n, c, h, w


def _pool_estimate(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                   padding: tuple[int, int], dilation: tuple[int, int],
                   ceil: bool) -> tuple[int, ...]:
    out = [max(1, ops.pool_output_size(size, k, s, p, d, ceil)) for size, k, s, p, d in
           zip(shape[-2:], kernel, stride, padding, dilation, strict=True)]
    return (*shape[:-2], *out)
