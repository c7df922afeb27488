"""Layers added for modern CNNs, each against a direct per-element reference written from the
PyTorch documentation's formulas (math module, explicit loops), never against the engine."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from quiz import cli
from quiz.engine import (
    GELU,
    ChannelShuffle,
    Chunk,
    Dropout,
    GroupNorm,
    Hardswish,
    Identity,
    ReLU6,
    Sigmoid,
    SiLU,
    Tanh,
    Upsample,
    group_norm,
    instance_norm,
    parse_net,
    run_net,
)


def x_of(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(5).standard_normal(shape) * 4


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


SCALAR = {
    ReLU6: lambda v: min(max(v, 0.0), 6.0),
    Sigmoid: _sigmoid,
    Tanh: math.tanh,
    SiLU: lambda v: v * _sigmoid(v),
    Hardswish: lambda v: v * min(max(v + 3, 0.0), 6.0) / 6,
    GELU: lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
}


@pytest.mark.parametrize("cls", list(SCALAR))
def test_activations_match_their_formula_and_count_nothing(cls: type) -> None:
    x = x_of((2, 3, 4, 5))
    y, report = cls().run(x)
    expected = np.vectorize(SCALAR[cls])(x)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert (report.params, report.macs, report.output_shape) == (0, 0, x.shape)


def test_gelu_tanh_approximation() -> None:
    x = x_of((1, 2, 3, 3))
    y, _ = GELU("tanh").run(x)
    c = math.sqrt(2 / math.pi)
    expected = np.vectorize(lambda v: 0.5 * v * (1 + math.tanh(c * (v + 0.044715 * v ** 3))))(x)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_dropout_and_identity_pass_values_through() -> None:
    x = x_of((1, 4, 3, 3))
    for layer in (Dropout(0.3), Identity()):
        y, report = layer.run(x)
        assert np.array_equal(y, x) and report.params == report.macs == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        Dropout(1.5)


def _bilinear_loops(x: np.ndarray, s: int, align: bool) -> np.ndarray:
    n, c, h, w = x.shape
    out = np.zeros((n, c, h * s, w * s))

    def source(dst: int, size: int) -> tuple[int, int, float]:
        if align:
            pos = dst * (size - 1) / (size * s - 1) if size * s > 1 else 0.0
        else:
            pos = max((dst + 0.5) / s - 0.5, 0.0)
        low = min(math.floor(pos), size - 1)
        return low, min(low + 1, size - 1), pos - low

    for i in range(h * s):
        r0, r1, fr = source(i, h)
        for j in range(w * s):
            c0, c1, fc = source(j, w)
            out[:, :, i, j] = ((1 - fr) * ((1 - fc) * x[:, :, r0, c0] + fc * x[:, :, r0, c1])
                               + fr * ((1 - fc) * x[:, :, r1, c0] + fc * x[:, :, r1, c1]))
    return out


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_upsample_nearest_and_bilinear_against_loops(scale: int) -> None:
    x = x_of((2, 3, 4, 5))
    y, report = Upsample(scale).run(x)
    for i in range(4 * scale):
        for j in range(5 * scale):
            assert np.array_equal(y[:, :, i, j], x[:, :, i // scale, j // scale])
    assert report.output_shape == (2, 3, 4 * scale, 5 * scale) and report.macs == 0
    for align in (False, True):
        y, _ = Upsample(scale, "bilinear", align).run(x)
        np.testing.assert_allclose(y, _bilinear_loops(x, scale, align), rtol=1e-12, atol=1e-12)


def test_channel_shuffle_and_chunk_move_channels_as_documented() -> None:
    x = x_of((2, 6, 2, 2))
    y, _ = ChannelShuffle(3).run(x)
    # (g, C/g) -> (C/g, g): output channel i*g + j holds input channel j*(C/g) + i
    for i in range(2):
        for j in range(3):
            assert np.array_equal(y[:, i * 3 + j], x[:, j * 2 + i])
    # torch.chunk: chunks of ceil(C/N) channels, the last one smaller
    x7 = x_of((1, 7, 2, 2))
    sizes = [Chunk(i, 3).run(x7)[0].shape[1] for i in range(3)]
    assert sizes == [3, 3, 1]
    assert np.array_equal(Chunk(2, 3).run(x7)[0], x7[:, 6:7])
    with pytest.raises(ValueError, match="chunks"):
        Chunk(3, 3).run(x7)


def test_gap_then_fc_flattens_and_a_4d_fc_is_never_a_last_axis_product() -> None:
    run = run_net(parse_net("input 3x8x8\nconv 4 k3\ngap\nfc 10\n"))
    assert run.output_shape == (1, 10)
    assert run.layers[-1].params == 4 * 10 + 10
    # last axis 4 = C*H*W of a 1x2x2 map: the fc still sees all 4 features per sample
    run = run_net(parse_net("input 1x2x2\nfc 3\n"))
    assert run.output_shape == (1, 3) and run.layers[-1].macs == 4 * 3


def test_mul_block_broadcasts_a_gate_over_h_and_w() -> None:
    text = "input 4x5x5\nmul\n  gap\n  conv 4 k1\n  sigmoid\nend\n"
    run = run_net(parse_net(text), dtype=np.float64)
    assert run.output_shape == (1, 4, 5, 5)
    assert [r.kind for r in run.layers][-1] == "mul"
    with pytest.raises(ValueError, match="do not broadcast"):
        run_net(parse_net("input 4x5x5\nmul\n  conv 3 k1\nend\n"))


def test_lstm_line_runs_in_a_net_with_pytorch_parameter_count() -> None:
    run = run_net(parse_net("input 1x1x20\nlstm 30\n"))
    assert run.params == 4 * 30 * (20 + 30) + 8 * 30
    assert run.macs == 4 * 30 * (20 + 30)
    assert run.output_shape[-1] == 30
    assert run_net(parse_net("input 1x1x20\nlstm 30 nobias\n")).params == 4 * 30 * 50


def test_bn_options_eps_and_no_affine() -> None:
    run = run_net(parse_net("input 3x4x4\nbn eps0.001 noaffine\n"), dtype=np.float64)
    assert run.params == 0
    spec = parse_net("input 3x4x4\nbn eps1e-3\n").nodes[0]
    assert spec.get("eps") == pytest.approx(1e-3)


def test_group_and_instance_norm_refuse_a_single_value_like_pytorch() -> None:
    # PyTorch: "Expected more than 1 value per channel when training" (one value per group)
    with pytest.raises(ValueError, match="more than 1 value"):
        group_norm(np.ones((1, 4, 1, 1)), 4)
    with pytest.raises(ValueError, match="more than 1 value"):
        GroupNorm(2, 2).run(np.ones((1, 2, 1, 1)))
    # ... and several values per group are fine, even on a 1x1 map
    assert group_norm(x_of((1, 4, 1, 1)), 2).shape == (1, 4, 1, 1)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        instance_norm(np.ones((2, 3, 1, 1)))


def test_calc_net_runs_an_lstm_net_and_times_the_whole_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = tmp_path / "lstm.net"
    net.write_text("input 1x1x20\nlstm 30\n", encoding="utf-8")
    started = time.perf_counter()
    assert cli.main(["calc", "net", str(net), "--json"]) == 0
    elapsed = time.perf_counter() - started
    data = json.loads(capsys.readouterr().out)
    assert data["params"] == 4 * 30 * (20 + 30) + 8 * 30
    assert data["layers"][0]["rf"] is None and data["output_shape"][-1] == 30
    assert 0 < data["seconds"] <= elapsed
