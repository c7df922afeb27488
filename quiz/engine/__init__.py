"""NumPy verification engine: real layers run on real arrays, counted and traced.

Depends on NumPy and the standard library only. See docs/engine-contract.md.

Names are loaded on first use (PEP 562), so that importing a light submodule such as
``quiz.engine.spec`` does not import NumPy and every layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - the same names, for type checkers
    from quiz.engine.elementwise import (
        GELU,
        Dropout,
        Hardswish,
        Identity,
        ReLU6,
        Sigmoid,
        SiLU,
        Tanh,
    )
    from quiz.engine.kinds import KINDS, LayerKind, build_layer
    from quiz.engine.layers import (
        LSTM,
        AdaptiveAvgPool2d,
        AvgPool2d,
        BatchNorm2d,
        Conv2d,
        ConvTranspose2d,
        Flatten,
        GroupNorm,
        Layer,
        LayerNorm,
        Linear,
        MaxPool2d,
        NotSpatialError,
        ReLU,
        Window,
    )
    from quiz.engine.limits import (
        DEFAULT_LIMITS,
        MAX_BYTES,
        MAX_MACS,
        Limits,
        ResourceLimitError,
    )
    from quiz.engine.netspec import NetSpecError, load_net, parse_layer, parse_net
    from quiz.engine.network import NetRun, run_net
    from quiz.engine.ops import (
        WorkTally,
        adaptive_avg_pool2d,
        avg_pool2d,
        batch_norm,
        conv2d,
        conv_transpose2d,
        count_work,
        global_avg_pool2d,
        group_norm,
        instance_norm,
        layer_norm,
        linear,
        lstm_cell,
        max_pool2d,
        relu,
    )
    from quiz.engine.receptive import (
        RFInfo,
        backprop_field,
        coverage,
        draw_support,
        net_receptive_fields,
        receptive_field,
        receptive_field_closed_form,
    )
    from quiz.engine.report import LayerReport, NetReport
    from quiz.engine.resample import ChannelShuffle, Chunk, Upsample
    from quiz.engine.spec import ConcatSpec, LayerSpec, NetSpec, ResidualSpec

_HOMES: dict[str, str] = {
    "AdaptiveAvgPool2d": "quiz.engine.layers",
    "AvgPool2d": "quiz.engine.layers",
    "BatchNorm2d": "quiz.engine.layers",
    "ChannelShuffle": "quiz.engine.resample",
    "Chunk": "quiz.engine.resample",
    "ConcatSpec": "quiz.engine.spec",
    "Conv2d": "quiz.engine.layers",
    "ConvTranspose2d": "quiz.engine.layers",
    "DEFAULT_LIMITS": "quiz.engine.limits",
    "Dropout": "quiz.engine.elementwise",
    "Flatten": "quiz.engine.layers",
    "GELU": "quiz.engine.elementwise",
    "GroupNorm": "quiz.engine.layers",
    "Hardswish": "quiz.engine.elementwise",
    "Identity": "quiz.engine.elementwise",
    "KINDS": "quiz.engine.kinds",
    "LSTM": "quiz.engine.layers",
    "Layer": "quiz.engine.layers",
    "LayerKind": "quiz.engine.kinds",
    "LayerNorm": "quiz.engine.layers",
    "LayerReport": "quiz.engine.report",
    "LayerSpec": "quiz.engine.spec",
    "Limits": "quiz.engine.limits",
    "MAX_BYTES": "quiz.engine.limits",
    "MAX_MACS": "quiz.engine.limits",
    "Linear": "quiz.engine.layers",
    "MaxPool2d": "quiz.engine.layers",
    "NetReport": "quiz.engine.report",
    "NetRun": "quiz.engine.network",
    "NetSpec": "quiz.engine.spec",
    "NetSpecError": "quiz.engine.netspec",
    "NotSpatialError": "quiz.engine.layers",
    "RFInfo": "quiz.engine.receptive",
    "ReLU": "quiz.engine.layers",
    "ReLU6": "quiz.engine.elementwise",
    "ResidualSpec": "quiz.engine.spec",
    "ResourceLimitError": "quiz.engine.limits",
    "SiLU": "quiz.engine.elementwise",
    "Sigmoid": "quiz.engine.elementwise",
    "Tanh": "quiz.engine.elementwise",
    "Upsample": "quiz.engine.resample",
    "Window": "quiz.engine.layers",
    "WorkTally": "quiz.engine.ops",
    "adaptive_avg_pool2d": "quiz.engine.ops",
    "avg_pool2d": "quiz.engine.ops",
    "batch_norm": "quiz.engine.ops",
    "build_layer": "quiz.engine.kinds",
    "conv2d": "quiz.engine.ops",
    "conv_transpose2d": "quiz.engine.ops",
    "count_work": "quiz.engine.ops",
    "backprop_field": "quiz.engine.receptive",
    "coverage": "quiz.engine.receptive",
    "draw_support": "quiz.engine.receptive",
    "global_avg_pool2d": "quiz.engine.ops",
    "group_norm": "quiz.engine.ops",
    "instance_norm": "quiz.engine.ops",
    "layer_norm": "quiz.engine.ops",
    "linear": "quiz.engine.ops",
    "load_net": "quiz.engine.netspec",
    "lstm_cell": "quiz.engine.ops",
    "max_pool2d": "quiz.engine.ops",
    "net_receptive_fields": "quiz.engine.receptive",
    "parse_layer": "quiz.engine.netspec",
    "parse_net": "quiz.engine.netspec",
    "receptive_field": "quiz.engine.receptive",
    "receptive_field_closed_form": "quiz.engine.receptive",
    "relu": "quiz.engine.ops",
    "run_net": "quiz.engine.network",
}

__all__ = [
    "DEFAULT_LIMITS",
    "GELU",
    "KINDS",
    "LSTM",
    "MAX_BYTES",
    "MAX_MACS",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm2d",
    "ChannelShuffle",
    "Chunk",
    "ConcatSpec",
    "Conv2d",
    "ConvTranspose2d",
    "Dropout",
    "Flatten",
    "GroupNorm",
    "Hardswish",
    "Identity",
    "Layer",
    "LayerKind",
    "LayerNorm",
    "LayerReport",
    "LayerSpec",
    "Limits",
    "Linear",
    "MaxPool2d",
    "NetReport",
    "NetRun",
    "NetSpec",
    "NetSpecError",
    "NotSpatialError",
    "RFInfo",
    "ReLU",
    "ReLU6",
    "ResidualSpec",
    "ResourceLimitError",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Upsample",
    "Window",
    "WorkTally",
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "backprop_field",
    "batch_norm",
    "build_layer",
    "conv2d",
    "conv_transpose2d",
    "count_work",
    "coverage",
    "draw_support",
    "global_avg_pool2d",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "linear",
    "load_net",
    "lstm_cell",
    "max_pool2d",
    "net_receptive_fields",
    "parse_layer",
    "parse_net",
    "receptive_field",
    "receptive_field_closed_form",
    "relu",
    "run_net",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'quiz.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
