"""The engine against PyTorch's frozen answers (tests/engine/data/torch_oracles.npz, written by
bench/freeze_torch_oracles.py): every op configuration, without torch installed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quiz.engine import elementwise as E
from quiz.engine import ops
from quiz.engine import resample as R

ORACLES = Path(__file__).resolve().parent / "data" / "torch_oracles.npz"
_DATA = np.load(ORACLES)
CONFIGS: list[dict[str, Any]] = json.loads(str(_DATA["configs"]))

Arrays = dict[str, np.ndarray]


def _batch_norm(a: Arrays, kw: dict[str, Any]) -> list[np.ndarray]:
    return [ops.batch_norm(a["x"], a["mean"].copy(), a["var"].copy(), a["w"], a["b"],
                           kw["training"], 0.1, kw["eps"])]


ENGINE: dict[str, Callable[[Arrays, dict[str, Any]], list[np.ndarray]]] = {
    "conv2d": lambda a, kw: [ops.conv2d(a["x"], a["w"], a["b"], kw["stride"], kw["padding"],
                                        kw["dilation"], kw["groups"])],
    "conv_transpose2d": lambda a, kw: [ops.conv_transpose2d(
        a["x"], a["w"], a["b"], kw["stride"], kw["padding"], kw["output_padding"],
        kw["groups"], kw["dilation"])],
    "max_pool2d": lambda a, kw: [ops.max_pool2d(a["x"], kw["kernel_size"], kw["stride"],
                                                kw["padding"], kw["dilation"], kw["ceil_mode"])],
    "avg_pool2d": lambda a, kw: [ops.avg_pool2d(a["x"], kw["kernel_size"], kw["stride"],
                                                kw["padding"], kw["ceil_mode"],
                                                kw["count_include_pad"])],
    "adaptive_avg_pool2d": lambda a, kw: [ops.adaptive_avg_pool2d(a["x"], kw["output_size"])],
    "batch_norm": _batch_norm,
    "layer_norm": lambda a, kw: [ops.layer_norm(a["x"], kw["normalized_shape"], a["w"], a["b"],
                                                kw["eps"])],
    "group_norm": lambda a, kw: [ops.group_norm(a["x"], kw["num_groups"], a["w"], a["b"],
                                                kw["eps"])],
    "instance_norm": lambda a, kw: [ops.instance_norm(a["x"], eps=kw["eps"])],
    "linear": lambda a, kw: [ops.linear(a["x"], a["w"], a["b"])],
    "lstm_cell": lambda a, kw: list(ops.lstm_cell(a["x"], a["h"], a["c"], a["w_ih"], a["w_hh"],
                                                  a["b_ih"], a["b_hh"])),
    "upsample": lambda a, kw: [R.upsample(a["x"], kw["scale"], kw["mode"], kw["align"])],
    "channel_shuffle": lambda a, kw: [R.channel_shuffle(a["x"], kw["groups"])],
    "relu": lambda a, kw: [ops.relu(a["x"])],
    "relu6": lambda a, kw: [E.relu6(a["x"])],
    "sigmoid": lambda a, kw: [E.sigmoid(a["x"])],
    "tanh": lambda a, kw: [np.tanh(a["x"])],
    "gelu": lambda a, kw: [E.gelu(a["x"])],
    "gelu_tanh": lambda a, kw: [E.gelu(a["x"], "tanh")],
    "silu": lambda a, kw: [E.silu(a["x"])],
    "hardswish": lambda a, kw: [E.hardswish(a["x"])],
}


def test_the_oracles_cover_every_op_with_hundreds_of_configurations() -> None:
    ops_seen = {config["op"] for config in CONFIGS}
    assert ops_seen == set(ENGINE)
    assert len(CONFIGS) >= 300


@pytest.mark.parametrize("index", range(len(CONFIGS)),
                         ids=[f"{i}-{c['op']}" for i, c in enumerate(CONFIGS)])
def test_engine_matches_frozen_pytorch(index: int) -> None:
    config = CONFIGS[index]
    arrays = {name: _DATA[f"{index}/{name}"] for name in config["inputs"]}
    outputs = ENGINE[config["op"]](arrays, config["kwargs"])
    assert len(outputs) == config["outputs"]
    for number, ours in enumerate(outputs):
        theirs = _DATA[f"{index}/out{number}"]
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
