"""The one registry of layer kinds of the network text format.

Each kind knows the options its line accepts (and which are required) and how to build its
layer for the shape that reaches it. Everything else a kind "knows" is the built layer's: its
output shape and its parameters / MACs come from running it (``Layer.run``), its cost before
running from ``Layer.estimate``, its receptive-field step from ``Layer.window``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from quiz.engine import attention as A
from quiz.engine import elementwise as E
from quiz.engine import layers as L
from quiz.engine import resample as R
from quiz.engine.spec import LayerSpec

__all__ = ["KINDS", "LayerKind", "build_layer"]

Builder = Callable[[LayerSpec, tuple[int, ...]], L.Layer]


@dataclass(frozen=True)
class LayerKind:
    keyword: str
    torch: str                      # the PyTorch module it mirrors (for help and docs)
    options: tuple[str, ...]        # accepted option keys (see quiz.engine.spec.OPTIONS)
    build: Builder
    required: tuple[str, ...] = ()


def _channels(shape: tuple[int, ...]) -> int:
    return shape[1] if len(shape) > 1 else shape[-1]


def _name(spec: LayerSpec) -> str | None:
    value = spec.get("name")
    return None if value is None else str(value)


def _padding(spec: LayerSpec) -> tuple[int, int] | str:
    value = spec.get("p", 0)
    return value if isinstance(value, str) else spec.pair("p", 0)


def _eps(spec: LayerSpec) -> float:
    value = spec.get("eps", 1e-5)
    assert isinstance(value, float | int)  # the parser reads eps as a float
    return float(value)


def _conv(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return L.Conv2d(_channels(shape), spec.integer("out"), spec.pair("k", 1), spec.pair("s", 1),
                    _padding(spec), spec.pair("d", 1), spec.integer("g", 1),
                    not spec.flag("nobias"), name=_name(spec))


def _dwconv(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    channels = _channels(shape)
    return L.Conv2d(channels, channels, spec.pair("k", 1), spec.pair("s", 1), _padding(spec),
                    spec.pair("d", 1), channels, not spec.flag("nobias"), name=_name(spec))


def _conv_t(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return L.ConvTranspose2d(_channels(shape), spec.integer("out"), spec.pair("k", 1),
                             spec.pair("s", 1), spec.pair("p", 0), spec.pair("op", 0),
                             spec.integer("g", 1), not spec.flag("nobias"), spec.pair("d", 1),
                             name=_name(spec))


def _stride_or_none(spec: LayerSpec) -> tuple[int, int] | None:
    return spec.pair("s", 1) if "s" in spec.options else None


def _maxpool(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return L.MaxPool2d(spec.pair("k", 1), _stride_or_none(spec), spec.pair("p", 0),
                       spec.pair("d", 1), spec.flag("ceil"), name=_name(spec))


def _avgpool(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return L.AvgPool2d(spec.pair("k", 1), _stride_or_none(spec), spec.pair("p", 0),
                       spec.flag("ceil"), not spec.flag("nopadcount"), name=_name(spec))


def _fc(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return L.Linear(math.prod(shape[1:]), spec.integer("out"), not spec.flag("nobias"),
                    name=_name(spec), flatten=True)


def _lstm(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return L.SequenceLSTM(shape[-1], spec.integer("out"), not spec.flag("nobias"),
                          name=_name(spec))


def _attn(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    channels = _channels(shape)
    if "out" in spec.options and spec.integer("out") != channels:
        raise ValueError(f"attn {spec.integer('out')}: the input has {channels} channels "
                         "(self-attention keeps the embedding size)")
    return A.MultiheadSelfAttention(channels, spec.integer("heads", 1), not spec.flag("nobias"),
                                    name=_name(spec))


def _activation(cls: type[E.Activation]) -> Builder:
    return lambda spec, shape: cls(name=_name(spec))


def _gelu(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return E.GELU(str(spec.get("approx", "none")), name=_name(spec))


def _dropout(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    rate = spec.get("rate", 0.5)
    assert isinstance(rate, float | int)
    return E.Dropout(float(rate), name=_name(spec))


def _upsample(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    return R.Upsample(spec.integer("scale"), str(spec.get("mode", "nearest")), spec.flag("align"),
                      name=_name(spec))


def _chunk(spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
    index, parts = spec.pair("chunk", 1)
    return R.Chunk(index, parts, name=_name(spec))


_WINDOW = ("k", "s", "p", "d")
_NORM = ("eps", "noaffine", "name")

KINDS: dict[str, LayerKind] = {kind.keyword: kind for kind in (
    LayerKind("conv", "Conv2d(in, OUT, ...)", ("out", *_WINDOW, "g", "nobias", "name"), _conv,
              ("out", "k")),
    LayerKind("dwconv", "Conv2d(in, in, groups=in) (depthwise)", (*_WINDOW, "nobias", "name"),
              _dwconv, ("k",)),
    LayerKind("convT", "ConvTranspose2d(in, OUT, ...)",
              ("out", "k", "s", "p", "op", "d", "g", "nobias", "name"), _conv_t, ("out", "k")),
    LayerKind("maxpool", "MaxPool2d", (*_WINDOW, "ceil", "name"), _maxpool, ("k",)),
    LayerKind("avgpool", "AvgPool2d", ("k", "s", "p", "ceil", "nopadcount", "name"), _avgpool,
              ("k",)),
    LayerKind("adaptivepool", "AdaptiveAvgPool2d((H, W))", ("size", "name"),
              lambda spec, shape: L.AdaptiveAvgPool2d(spec.pair("size", 1), name=_name(spec)),
              ("size",)),
    LayerKind("gap", "AdaptiveAvgPool2d(1)", ("name",),
              lambda spec, shape: L.AdaptiveAvgPool2d(1, name=_name(spec))),
    LayerKind("bn", "BatchNorm2d(in) (inference mode)", _NORM,
              lambda spec, shape: L.BatchNorm2d(_channels(shape), eps=_eps(spec),
                                                affine=not spec.flag("noaffine"),
                                                name=_name(spec))),
    LayerKind("gn", "GroupNorm(G, in)", ("groups_count", *_NORM),
              lambda spec, shape: L.GroupNorm(spec.integer("groups_count"), _channels(shape),
                                              eps=_eps(spec), affine=not spec.flag("noaffine"),
                                              name=_name(spec)),
              ("groups_count",)),
    LayerKind("ln", "LayerNorm(C, H, W) of the incoming shape", _NORM,
              lambda spec, shape: L.LayerNorm(tuple(shape[1:]), eps=_eps(spec),
                                              elementwise_affine=not spec.flag("noaffine"),
                                              name=_name(spec))),
    LayerKind("relu", "ReLU", ("name",), lambda spec, shape: L.ReLU(name=_name(spec))),
    LayerKind("relu6", "ReLU6", ("name",), _activation(E.ReLU6)),
    LayerKind("sigmoid", "Sigmoid", ("name",), _activation(E.Sigmoid)),
    LayerKind("tanh", "Tanh", ("name",), _activation(E.Tanh)),
    LayerKind("gelu", "GELU (`tanh`: approximate='tanh')", ("approx", "name"), _gelu),
    LayerKind("silu", "SiLU", ("name",), _activation(E.SiLU)),
    LayerKind("swish", "SiLU (same as `silu`)", ("name",), _activation(E.SiLU)),
    LayerKind("hardswish", "Hardswish", ("name",), _activation(E.Hardswish)),
    LayerKind("dropout", "Dropout(RATE) (inference: identity)", ("rate", "name"), _dropout),
    LayerKind("identity", "Identity", ("name",),
              lambda spec, shape: E.Identity(name=_name(spec))),
    LayerKind("flatten", "Flatten (from dim 1)", ("name",),
              lambda spec, shape: L.Flatten(name=_name(spec))),
    LayerKind("fc", "Linear(in, OUT) (a 4-D input is flattened first)", ("out", "nobias", "name"),
              _fc, ("out",)),
    LayerKind("lstm", "LSTM(F, H) over the positions (input 1x1xF: one step)",
              ("out", "nobias", "name"), _lstm, ("out",)),
    LayerKind("upsample", "Upsample(scale_factor=N, mode=...)", ("scale", "mode", "align", "name"),
              _upsample, ("scale",)),
    LayerKind("shuffle", "ChannelShuffle(G)", ("groups_count", "name"),
              lambda spec, shape: R.ChannelShuffle(spec.integer("groups_count"),
                                                   name=_name(spec)),
              ("groups_count",)),
    LayerKind("chunk", "torch.chunk(x, N, dim=1)[I]", ("chunk", "name"), _chunk, ("chunk",)),
    LayerKind("attn", "MultiheadAttention(C, HEADS) over the H×W positions (q = k = v)",
              ("out", "heads", "nobias", "name"), _attn),
)}


def build_layer(spec: LayerSpec, input_shape: tuple[int, ...]) -> L.Layer:
    """Instantiate the layer a spec line describes, for an input of ``input_shape``."""
    kind = KINDS.get(spec.kind)
    if kind is None:
        raise ValueError(f"unknown layer kind {spec.kind!r}")
    return kind.build(spec, tuple(int(v) for v in input_shape))
