"""Receptive fields: one-hot back-propagation vs the closed-form recursion, published and
hand-derived values, gridding of dilated stacks and the terminal drawing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine import (
    AvgPool2d,
    Conv2d,
    ConvTranspose2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    backprop_field,
    coverage,
    draw_support,
    load_net,
    net_receptive_fields,
    receptive_field,
    receptive_field_closed_form,
    run_net,
)

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"


def dilated_stack(rates: list[int]) -> list:
    layers: list = []
    for rate in rates:
        layers += [Conv2d(1, 1, 3, padding=rate, dilation=rate), ReLU()]
    return layers


def test_gridding_rates_2_4_6_leave_holes() -> None:
    rf = receptive_field(dilated_stack([2, 4, 6]), (64, 64))[-1]
    assert rf.size == (25, 25)  # 1 + 2 * (2 + 4 + 6)
    assert rf.holes
    mask = coverage(dilated_stack([2, 4, 6]), (64, 64))
    rows = np.flatnonzero(mask.any(axis=1))
    centre = 32
    # all offsets reached are sums of {0, +-2} + {0, +-4} + {0, +-6}: even only
    reached = sorted(int(r) - centre for r in rows)
    assert reached == list(range(-12, 13, 2))


def test_sawtooth_rates_1_2_5_cover_everything() -> None:
    rf = receptive_field(dilated_stack([1, 2, 5]), (64, 64))[-1]
    assert rf.size == (17, 17)  # 1 + 2 * (1 + 2 + 5)
    assert not rf.holes
    mask = coverage(dilated_stack([1, 2, 5]), (64, 64))
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    assert box.shape == (17, 17) and box.all()


def test_shipped_dilated_nets_report_gridding() -> None:
    holes = {}
    for name in ("dilated_246", "dilated_125"):
        run = run_net(load_net(NETS / f"{name}.net"))
        holes[name] = net_receptive_fields(run)[-1].holes
    assert holes == {"dilated_246": True, "dilated_125": False}


def test_draw_support_shows_holes() -> None:
    drawing = draw_support(coverage(dilated_stack([2, 4, 6]), (64, 64)), ascii_only=True)
    lines = drawing.splitlines()
    assert lines[0].startswith("25x25")
    assert lines[1] == "#." * 12 + "#"
    assert lines[2] == "." * 25
    full = draw_support(coverage(dilated_stack([1, 2, 5]), (64, 64)), ascii_only=True)
    assert full.splitlines()[1:] == ["#" * 17] * 17


def test_draw_support_scales_large_fields() -> None:
    drawing = draw_support(np.ones((200, 100), dtype=bool), max_cells=50)
    lines = drawing.splitlines()
    assert "1 cell = 4x4" in lines[0]
    assert len(lines) - 1 == 50 and all(len(line) == 25 for line in lines[1:])


# hand-derived with r += (k-1) * j, j *= s, start -= p * j along the stack
def test_resnet18_rf_435_jump_32_start_minus_217() -> None:
    run = run_net(load_net(NETS / "resnet18.net"), dtype=np.float32)
    rfs = dict(zip((r.name for r in run.layers), net_receptive_fields(run), strict=True))
    assert rfs["conv1"].size == (7, 7) and rfs["conv1"].jump == (2, 2)
    assert rfs["maxpool 3x3/2"].size == (11, 11) and rfs["maxpool 3x3/2"].jump == (4, 4)
    last = rfs["layer4.1.conv2"]
    assert (last.size, last.jump, last.start) == ((435, 435), (32, 32), (-217, -217))
    # the projection shortcut (1x1 / 2) sees what layer1 saw (43, start -21), at jump 8
    short = rfs["layer2.0.downsample"]
    assert (short.size, short.jump, short.start) == ((43, 43), (8, 8), (-21, -21))
    # the block's output is the union with the body (43 + 2*4 + 2*8 = 67)
    assert rfs["layer2.0.conv2"].size == (67, 67)
    assert rfs["fc"] is None


def test_published_alexnet_195_and_vgg16_212() -> None:
    # Araujo et al. 2019 (Distill), table of receptive fields: AlexNet 195, VGG-16 212
    for name, expected in (("alexnet", 195), ("vgg16", 212)):
        spec = load_net(NETS / f"{name}.net")
        # the convolutional part only (up to pool5): the classifier does not change the field
        last_pool = max(i for i, n in enumerate(spec.nodes) if getattr(n, "kind", "") == "maxpool")
        spec = replace(spec, nodes=spec.nodes[:last_pool + 1])
        run = run_net(spec, (3, 224, 224) if name == "alexnet" else (3, 64, 64),
                      dtype=np.float32)
        assert run.layers[-1].kind == "max_pool2d"
        assert net_receptive_fields(run)[-1].size == (expected, expected)


@st.composite
def random_stacks(draw: st.DrawFn) -> list:
    layers: list = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "max", "avg", "relu"]))
        k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
        s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        if kind == "conv":
            d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
            p = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
            layers.append(Conv2d(1, 1, k, s, p, d))
        elif kind == "max":
            p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
            layers.append(MaxPool2d(k, s, p, ceil_mode=draw(st.booleans())))
        elif kind == "avg":
            layers.append(AvgPool2d(k, s))
        else:
            layers.append(ReLU())
    return layers


@settings(max_examples=40, deadline=None, derandomize=True)
@given(random_stacks())
def test_backprop_matches_closed_form_on_random_stacks(layers: list) -> None:
    traced = receptive_field(layers, (4096, 4096))
    closed = receptive_field_closed_form(layers, (4096, 4096))
    for a, b in zip(traced, closed, strict=True):
        assert (a.size, a.jump, a.start) == (b.size, b.jump, b.start)
    by_backprop = backprop_field(layers, (4096, 4096))
    last = traced[-1]
    assert (by_backprop.size, by_backprop.jump, by_backprop.start, by_backprop.holes) == (
        last.size, last.jump, last.start, last.holes)


def test_backprop_matches_closed_form_on_shipped_nets_with_blocks() -> None:
    for name in ("resnet18", "inception_mini", "mobilenet_v1"):
        run = run_net(load_net(NETS / f"{name}.net"), dtype=np.float32)
        hw = run.input_shape[2:]
        backprop = receptive_field(run, hw)
        closed = receptive_field_closed_form(run, hw)
        assert len(backprop) == len(run.graph)
        for a, b in zip(backprop, closed, strict=True):
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert (a.size, a.jump, a.start) == (b.size, b.jump, b.start)


def test_inception_branches_union() -> None:
    run = run_net(load_net(NETS / "inception_mini.net"))
    rfs = dict(zip((r.name for r in run.layers), net_receptive_fields(run), strict=True))
    # stem 3x3/2 (r 3, j 2); the 5x5 branch adds 4 * 2 = 8: 11 is the widest path
    assert rfs["a.1x1"].size == (3, 3)
    assert rfs["a.3x3"].size == (3 + 2 * 2, ) * 2
    assert rfs["a.5x5"].size == (11, 11)
    first_concat = next(rf for r, rf in zip(run.layers, net_receptive_fields(run), strict=True)
                        if r.kind == "concat")
    assert first_concat.size == (11, 11)


def test_no_uniform_field_after_flatten_or_transposed_conv() -> None:
    rfs = receptive_field([Conv2d(1, 1, 3), Flatten(), Linear(4, 2)], (4, 4))
    assert rfs[0] is not None and rfs[1] is None and rfs[2] is None
    assert receptive_field([ConvTranspose2d(1, 1, 3, 2)], (4, 4)) == [None]
    assert receptive_field_closed_form([Conv2d(1, 1, 3), Flatten()], (4, 4))[1] is None


def test_effective_padding_of_same_conv_with_even_kernel() -> None:
    # 'same' with k = 4: 1 before, 2 after; the first window starts one pixel before the image
    rf = receptive_field([Conv2d(1, 1, 4, padding="same")], (8, 8))[0]
    assert rf.start == (-1, -1) and rf.padding == (1, 1) and rf.size == (4, 4)


@pytest.mark.parametrize("ceil", [False, True])
def test_single_pool_layer(ceil: bool) -> None:
    rf = receptive_field([MaxPool2d(3, 2, 1, ceil_mode=ceil)], (9, 9))[0]
    assert (rf.size, rf.jump, rf.start) == ((3, 3), (2, 2), (-1, -1))
