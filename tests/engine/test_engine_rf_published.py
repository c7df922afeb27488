"""Receptive fields per layer against the published table of Araujo, Norris & Sim (Distill
2019; the table of their `receptive_field` library, computed on TF-Slim's models), coverage
against the support of a real gradient, and the trace's cost on deep nets."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from quiz.engine import (
    Conv2d,
    LayerSpec,
    NetRun,
    NetSpecError,
    backprop_field,
    coverage,
    load_net,
    net_receptive_fields,
    parse_net,
    receptive_field,
    receptive_field_closed_form,
    run_net,
)

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"

# (row name in our net, RF, effective stride, effective padding), from the published table
VGG16_224 = [
    ("conv1_1", 3, 1, 1), ("pool1", 6, 2, 2), ("conv2_1", 10, 2, 4), ("pool2", 16, 4, 6),
    ("conv3_1", 24, 4, 10), ("conv3_2", 32, 4, 14), ("pool3", 44, 8, 18),
    ("conv4_1", 60, 8, 26), ("conv4_2", 76, 8, 34), ("pool4", 100, 16, 42),
    ("conv5_1", 132, 16, 58), ("conv5_2", 164, 16, 74), ("pool5", 212, 32, 90),
]
# TF-Slim's alexnet_v2: conv1 11x11/4 VALID, then SAME convs and VALID 3x3/2 pools
ALEXNET_V2 = [
    ("conv1", 11, 4, 0), ("pool1", 19, 8, 0), ("conv2", 51, 8, 16), ("conv3", 99, 16, 32),
    ("conv4", 131, 16, 48), ("conv5", 163, 16, 64), ("pool5", 195, 32, 64),
]
# mobilenet_v1 with TensorFlow's SAME padding: at 224 the stride-2 layers pad only after
MOBILENET_V1 = {
    224: [3, 7, 11, 19, 27, 43, 59, 91, 123, 155, 187, 219, 251, 315],
    "stride": [2, 2, 4, 4, 8, 8, 16, 16, 16, 16, 16, 16, 32, 32],
    "pad224": [0, 2, 2, 6, 6, 14, 14, 30, 46, 62, 78, 94, 94, 126],
    "pad321": [1, 3, 5, 9, 13, 21, 29, 45, 61, 77, 93, 109, 125, 157],
}


def _rows(run: NetRun) -> list[tuple[str, tuple[int, int, int]]]:
    """(kind-numbered name, (RF, stride, padding)) of every conv and pool row, in order."""
    out, counts = [], {"conv": 0, "pool": 0}
    for report, rf in zip(run.layers, net_receptive_fields(run), strict=True):
        kind = {"conv2d": "conv", "max_pool2d": "pool"}.get(report.kind)
        if kind is None or rf is None:
            continue
        counts[kind] += 1
        assert rf.size[0] == rf.size[1] and rf.jump[0] == rf.jump[1]
        out.append((report.name, (rf.size[0], rf.jump[0], rf.padding[0])))
    return out


def test_vgg16_per_layer_matches_the_published_table() -> None:
    run = run_net(load_net(NETS / "vgg16.net"), (3, 224, 224), dtype=np.float32)
    rows = _rows(run)
    # our pools are named "maxpool 2x2/2": number them as the table does
    pool_rows = [figures for name, figures in rows if name.startswith("maxpool")]
    got = dict(rows) | {f"pool{i}": figures for i, figures in enumerate(pool_rows, start=1)}
    for name, size, stride, padding in VGG16_224:
        assert got[name] == (size, stride, padding), name


def test_alexnet_v2_per_layer_matches_the_published_table() -> None:
    # torchvision's AlexNet pads conv1 by 2; TF-Slim's alexnet_v2 does not: same net otherwise
    spec = load_net(NETS / "alexnet.net").map_layers(
        lambda s: s.with_options(p=None) if s.get("name") == "conv1" else s)
    run = run_net(spec, (3, 224, 224), dtype=np.float32)
    figures = [f for _, f in _rows(run)]
    del figures[3]  # pool2: the table has no row for it
    assert figures == [(r, s, p) for _, r, s, p in ALEXNET_V2]


def _tf_same(spec: LayerSpec) -> LayerSpec:
    return spec.with_options(p="tfsame") if spec.kind in ("conv", "dwconv") else spec


@pytest.mark.parametrize("size", [224, 321])
def test_mobilenet_v1_tf_same_matches_the_published_table(size: int) -> None:
    spec = load_net(NETS / "mobilenet_v1.net").map_layers(_tf_same)
    run = run_net(spec, (3, size, size), dtype=np.float32)
    pointwise = [f for name, f in _rows(run) if name == "conv1" or name.startswith("pw")]
    assert [f[0] for f in pointwise] == MOBILENET_V1[224]  # sizes do not depend on the input
    assert [f[1] for f in pointwise] == MOBILENET_V1["stride"]
    assert [f[2] for f in pointwise] == MOBILENET_V1[f"pad{size}"]


def test_shipped_mobilenet_v1_pads_symmetrically_like_tf_at_odd_sizes() -> None:
    # PyTorch's symmetric p1 gives at 224 what TF's SAME gives at 321 (odd sizes pad evenly)
    run = run_net(load_net(NETS / "mobilenet_v1.net"), dtype=np.float32)
    pads = [f[2] for name, f in _rows(run) if name == "conv1" or name.startswith("pw")]
    assert pads == MOBILENET_V1["pad321"]


# --------------------------------------------------------------------------------------------
# coverage: only pixels that reach the unit through real (non-padding) positions
# --------------------------------------------------------------------------------------------
def _perturbation_support(layers: list, input_hw: tuple[int, int],
                          unit: tuple[int, int]) -> np.ndarray:
    """Input pixels whose change changes the unit: a finite-difference gradient support, on
    positive weights (no cancellation) and a linear stack (no ReLU)."""
    rng = np.random.default_rng(0)
    params = [{"weight": rng.uniform(0.5, 1.5, size=layer.make_params(
        (1, 1, *input_hw), rng, np.dtype(np.float64))["weight"].shape)} for layer in layers]

    def forward(x: np.ndarray) -> float:
        for layer, p in zip(layers, params, strict=True):
            x, _ = layer.run(x, params=p)
        return float(x[0, 0, unit[0], unit[1]])

    base = np.zeros((1, 1, *input_hw))
    reference = forward(base)
    support = np.zeros(input_hw, dtype=bool)
    for i in range(input_hw[0]):
        for j in range(input_hw[1]):
            x = base.copy()
            x[0, 0, i, j] = 1.0
            support[i, j] = forward(x) != reference
    return support


def _stack(*layers: Conv2d) -> list:
    return list(layers)


@pytest.mark.parametrize("layers", [
    # the issue's example: row 5 and column 5 reach the centre unit only through padding
    _stack(Conv2d(1, 1, 3, 2, bias=False), Conv2d(1, 1, 3, 1, 1, bias=False)),
    _stack(Conv2d(1, 1, 3, 1, 1, bias=False), Conv2d(1, 1, 3, 2, 1, 2, bias=False)),
    _stack(Conv2d(1, 1, 2, 2, 1, bias=False), Conv2d(1, 1, 3, 1, 2, 2, bias=False),
           Conv2d(1, 1, 3, 1, 1, bias=False)),
])
def test_coverage_is_the_support_of_the_real_gradient(layers: list) -> None:
    hw = (6, 6)
    out = run_net(layers, (1, *hw), dtype=np.float64).output_shape[2:]
    centre = (out[0] // 2, out[1] // 2)
    assert np.array_equal(coverage(layers, hw), _perturbation_support(layers, hw, centre))


def test_issue_example_leaves_out_the_last_row_and_column() -> None:
    run = run_net(parse_net("input 1x6x6\nconv 1 k3 s2\nconv 1 k3 p1\n"), dtype=np.float64)
    mask = coverage(run, (6, 6))
    assert mask[:5, :5].all() and not mask[5].any() and not mask[:, 5].any()


# --------------------------------------------------------------------------------------------
# the three methods agree; input size; cost on deep nets
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["resnet18", "inception_mini", "se_resnet_block",
                                  "squeezenet1_0", "dilated_246"])
def test_trace_backprop_and_closed_form_agree(name: str) -> None:
    run = run_net(load_net(NETS / f"{name}.net"), dtype=np.float32)
    traced = receptive_field(run)
    closed = receptive_field_closed_form(run)
    for index, (a, b) in enumerate(zip(traced, closed, strict=True)):
        assert (a is None) == (b is None), index
        if a is not None and b is not None:
            assert (a.size, a.jump, a.start) == (b.size, b.jump, b.start), index
    last = max(i for i, rf in enumerate(traced) if rf is not None)
    by_backprop = backprop_field(run.graph[:last + 1], run.input_shape[2:])
    assert by_backprop is not None
    assert (by_backprop.size, by_backprop.start, by_backprop.holes) == (
        traced[last].size, traced[last].start, traced[last].holes)


def test_closed_form_uses_the_runs_input_size() -> None:
    run = run_net(load_net(NETS / "resnet50.net"), (3, 64, 64), dtype=np.float32)
    last = [rf for rf in receptive_field_closed_form(run) if rf is not None][-1]
    # gap over the 2x2 map of a 64x64 input: one more jump (32) on top of layer4's field
    layer4 = [rf for rf in net_receptive_fields(run) if rf is not None][-2]
    assert last.size[0] == layer4.size[0] + 32 < 1000


def test_receptive_fields_are_linear_in_depth() -> None:
    def timed(depth: int) -> float:
        text = "input 1x8x8\n" + "avgpool k3 s1 p1\n" * depth
        run = run_net(parse_net(text), dtype=np.float32)
        start = time.perf_counter()
        rfs = net_receptive_fields(run)
        elapsed = time.perf_counter() - start
        assert rfs[-1].size == (2 * depth + 1,) * 2
        return elapsed

    timed(50)  # warm up
    small, large = timed(250), timed(1000)
    assert large < 1.5  # the per-row back-propagation took minutes here
    assert large < 12 * small + 0.05  # 4x the layers: not 16x


def test_nesting_1000_res_blocks_is_a_clear_error() -> None:
    text = "input 1x4x4\n" + "res\n" * 1000 + "relu\n" + "end\n" * 1000
    with pytest.raises(NetSpecError, match="nested more than 64 deep") as info:
        parse_net(text, source="deep.net")
    assert str(info.value).startswith("deep.net:66:")  # the 65th "res", after "input"
