"""Freeze PyTorch's answers for a few hundred op configurations into a committed .npz, so the
test suite compares the engine against PyTorch without installing it
(tests/engine/test_engine_torch_oracles.py reads the file).

Run with torch installed (CPU is enough): ``python bench/freeze_torch_oracles.py``. The
configurations are drawn from a fixed seed; invalid ones (PyTorch raises) are skipped.
Inputs and outputs are float64.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - the script needs torch, the tests do not
    raise SystemExit("this script needs torch: pip install torch") from None

OUT = Path(__file__).resolve().parents[1] / "tests" / "engine" / "data" / "torch_oracles.npz"
Case = tuple[str, dict[str, Any], dict[str, np.ndarray]]


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def _conv(rng: np.random.Generator) -> Case:
    groups = int(rng.integers(1, 4))
    cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    k = [int(v) for v in rng.integers(1, 5, 2)]
    kw: dict[str, Any] = {"stride": [int(v) for v in rng.integers(1, 4, 2)],
                          "padding": [int(v) for v in rng.integers(0, 3, 2)],
                          "dilation": [int(v) for v in rng.integers(1, 3, 2)], "groups": groups}
    if rng.random() < 0.15:
        kw["stride"], kw["padding"] = [1, 1], "same"
    arrays = {"x": rng.standard_normal((int(rng.integers(1, 3)), cin, *rng.integers(3, 10, 2))),
              "w": rng.standard_normal((cout, cin // groups, *k)),
              "b": rng.standard_normal(cout)}
    return "conv2d", kw, arrays


def _conv_t(rng: np.random.Generator) -> Case:
    groups = int(rng.integers(1, 3))
    cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    stride = [int(v) for v in rng.integers(1, 4, 2)]
    dilation = [int(v) for v in rng.integers(1, 3, 2)]
    kw = {"stride": stride, "padding": [int(v) for v in rng.integers(0, 2, 2)],
          "output_padding": [int(rng.integers(0, min(s, d))) for s, d in
                             zip(stride, dilation, strict=True)],
          "groups": groups, "dilation": dilation}
    arrays = {"x": rng.standard_normal((1, cin, *rng.integers(2, 7, 2))),
              "w": rng.standard_normal((cin, cout // groups, *rng.integers(1, 5, 2))),
              "b": rng.standard_normal(cout)}
    return "conv_transpose2d", kw, arrays


def _pool(rng: np.random.Generator) -> Case:
    k = [int(v) for v in rng.integers(1, 5, 2)]
    kind = "max_pool2d" if rng.random() < 0.5 else "avg_pool2d"
    kw: dict[str, Any] = {"kernel_size": k, "stride": [int(v) for v in rng.integers(1, 4, 2)],
                          "padding": [int(rng.integers(0, v // 2 + 1)) for v in k],
                          "ceil_mode": bool(rng.random() < 0.5)}
    if kind == "max_pool2d":
        kw["dilation"] = [int(v) for v in rng.integers(1, 3, 2)]
    else:
        kw["count_include_pad"] = bool(rng.random() < 0.5)
    return kind, kw, {"x": rng.standard_normal((1, 2, *rng.integers(3, 11, 2)))}


def _adaptive(rng: np.random.Generator) -> Case:
    return ("adaptive_avg_pool2d", {"output_size": [int(v) for v in rng.integers(1, 6, 2)]},
            {"x": rng.standard_normal((1, 2, *rng.integers(3, 12, 2)))})


def _norm(rng: np.random.Generator) -> Case:
    c = 2 * int(rng.integers(1, 4))
    x = rng.standard_normal((2, c, *rng.integers(2, 6, 2))) * 3 + 1
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    eps = float(rng.choice([1e-5, 1e-3]))
    which = rng.integers(0, 4)
    if which == 0:
        return ("batch_norm", {"training": bool(rng.random() < 0.5), "eps": eps},
                {"x": x, "mean": rng.standard_normal(c), "var": rng.uniform(0.5, 2, c),
                 "w": w, "b": b})
    if which == 1:
        return ("layer_norm", {"normalized_shape": list(x.shape[1:]), "eps": eps},
                {"x": x, "w": rng.standard_normal(x.shape[1:]),
                 "b": rng.standard_normal(x.shape[1:])})
    if which == 2:
        return ("group_norm", {"num_groups": int(rng.choice([1, 2, c])), "eps": eps},
                {"x": x, "w": w, "b": b})
    return "instance_norm", {"eps": eps}, {"x": x}


def _linear(rng: np.random.Generator) -> Case:
    n_in, n_out = (int(v) for v in rng.integers(1, 12, 2))
    return ("linear", {}, {"x": rng.standard_normal((3, n_in)),
                           "w": rng.standard_normal((n_out, n_in)),
                           "b": rng.standard_normal(n_out)})


def _lstm(rng: np.random.Generator) -> Case:
    n_in, hidden = (int(v) for v in rng.integers(1, 8, 2))
    return ("lstm_cell", {}, {
        "x": rng.standard_normal((2, n_in)), "h": rng.standard_normal((2, hidden)),
        "c": rng.standard_normal((2, hidden)),
        "w_ih": rng.standard_normal((4 * hidden, n_in)),
        "w_hh": rng.standard_normal((4 * hidden, hidden)),
        "b_ih": rng.standard_normal(4 * hidden), "b_hh": rng.standard_normal(4 * hidden)})


ACTIVATIONS = ("relu", "relu6", "sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "hardswish")


def _activation(rng: np.random.Generator) -> Case:
    name = str(rng.choice(ACTIVATIONS))
    return name, {}, {"x": rng.standard_normal((1, 3, 4, 5)) * 5}


def _upsample(rng: np.random.Generator) -> Case:
    mode = str(rng.choice(["nearest", "bilinear"]))
    kw = {"scale": int(rng.integers(1, 4)), "mode": mode,
          "align": bool(mode == "bilinear" and rng.random() < 0.5)}
    return "upsample", kw, {"x": rng.standard_normal((1, 2, *rng.integers(1, 6, 2)))}


def _shuffle(rng: np.random.Generator) -> Case:
    groups = int(rng.integers(1, 4))
    return ("channel_shuffle", {"groups": groups},
            {"x": rng.standard_normal((2, groups * int(rng.integers(1, 4)), 2, 3))})


# (maker, how many)
MAKERS: list[tuple[Callable[[np.random.Generator], Case], int]] = [
    (_conv, 90), (_conv_t, 50), (_pool, 80), (_adaptive, 15), (_norm, 40), (_linear, 10),
    (_lstm, 10), (_activation, 32), (_upsample, 20), (_shuffle, 8),
]


def torch_outputs(op: str, kw: dict[str, Any], a: dict[str, np.ndarray]) -> list[np.ndarray]:
    if op == "conv2d":
        out = F.conv2d(t(a["x"]), t(a["w"]), t(a["b"]), kw["stride"], kw["padding"],
                       kw["dilation"], kw["groups"])
    elif op == "conv_transpose2d":
        out = F.conv_transpose2d(t(a["x"]), t(a["w"]), t(a["b"]), kw["stride"], kw["padding"],
                                 kw["output_padding"], kw["groups"], kw["dilation"])
    elif op == "max_pool2d":
        out = F.max_pool2d(t(a["x"]), kw["kernel_size"], kw["stride"], kw["padding"],
                           kw["dilation"], kw["ceil_mode"])
    elif op == "avg_pool2d":
        out = F.avg_pool2d(t(a["x"]), kw["kernel_size"], kw["stride"], kw["padding"],
                           kw["ceil_mode"], kw["count_include_pad"])
    elif op == "adaptive_avg_pool2d":
        out = F.adaptive_avg_pool2d(t(a["x"]), kw["output_size"])
    elif op == "batch_norm":
        out = F.batch_norm(t(a["x"]), t(a["mean"].copy()), t(a["var"].copy()), t(a["w"]),
                           t(a["b"]), kw["training"], 0.1, kw["eps"])
    elif op == "layer_norm":
        out = F.layer_norm(t(a["x"]), kw["normalized_shape"], t(a["w"]), t(a["b"]), kw["eps"])
    elif op == "group_norm":
        out = F.group_norm(t(a["x"]), kw["num_groups"], t(a["w"]), t(a["b"]), kw["eps"])
    elif op == "instance_norm":
        out = F.instance_norm(t(a["x"]), eps=kw["eps"])
    elif op == "linear":
        out = F.linear(t(a["x"]), t(a["w"]), t(a["b"]))
    elif op == "lstm_cell":
        h, c = torch._VF.lstm_cell(t(a["x"]), (t(a["h"]), t(a["c"])), t(a["w_ih"]),
                                   t(a["w_hh"]), t(a["b_ih"]), t(a["b_hh"]))
        return [h.numpy(), c.numpy()]
    elif op == "upsample":
        extra = {"align_corners": kw["align"]} if kw["mode"] == "bilinear" else {}
        out = F.interpolate(t(a["x"]), scale_factor=kw["scale"], mode=kw["mode"], **extra)
    elif op == "channel_shuffle":
        out = torch.nn.ChannelShuffle(kw["groups"])(t(a["x"]))
    else:
        out = {"relu": F.relu, "relu6": F.relu6, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "gelu": F.gelu, "gelu_tanh": lambda v: F.gelu(v, approximate="tanh"),
               "silu": F.silu, "hardswish": F.hardswish}[op](t(a["x"]))
    return [out.detach().numpy()]


def main() -> None:
    rng = np.random.default_rng(2024)
    configs: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for maker, count in MAKERS:
        made = 0
        while made < count:
            op, kw, inputs = maker(rng)
            try:
                outputs = torch_outputs(op, kw, inputs)
            except RuntimeError:
                continue  # an invalid configuration: PyTorch refuses it
            index = len(configs)
            configs.append({"op": op, "kwargs": kw, "inputs": sorted(inputs),
                            "outputs": len(outputs)})
            for name, value in inputs.items():
                arrays[f"{index}/{name}"] = value
            for number, value in enumerate(outputs):
                arrays[f"{index}/out{number}"] = value
            made += 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, configs=np.array(json.dumps(configs)),
                        torch_version=np.array(torch.__version__), **arrays)
    print(f"{len(configs)} configurations, torch {torch.__version__} -> {OUT} "
          f"({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
