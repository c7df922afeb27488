"""Resource limits: refused from the shapes, before anything is allocated, in one line naming
the layer and the figure (the examples of issue 10)."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from quiz import cli
from quiz.engine import (
    MAX_BYTES,
    MAX_MACS,
    Conv2d,
    Limits,
    NetSpecError,
    ResourceLimitError,
    parse_net,
    run_net,
)


def _calc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    cli.main(["calc", "conv", "--input", "1x1x4x4", "--out", "1", "-k", "1"])  # imports done
    capsys.readouterr()
    tracemalloc.start()
    start = time.perf_counter()
    code = cli.main(["calc", *argv])
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # refused from the shapes: nothing big was allocated, and no time went into trying
    assert peak < 16 * 1024 ** 2, f"allocated {peak} bytes before refusing"
    assert elapsed < 1.0
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("argv", "figure"), [
    (["conv", "--input", "1x3x100000x100000", "--out", "64", "-k", "3"], "2.4 TiB"),
    (["conv", "--input", "1x3x20000x20000", "--out", "64", "-k", "3"], "99.8 GiB"),
])
def test_calc_conv_refuses_huge_layers_at_once(argv: list[str], figure: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _calc(argv, capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "conv 3x3" in err and figure in err and "limit of 2.0 GiB" in err


def test_calc_conv_kernel_larger_than_input_fails_before_running(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _calc(["conv", "--input", "1x64x112x112", "--out", "64", "-k", "200"], capsys)
    assert code == 1
    assert "Kernel size can't be greater than actual input size" in err


def test_net_layer_over_the_limit_names_file_and_line(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    net = tmp_path / "big.net"
    net.write_text("input 3x4096x4096\nrelu\nconv 100000 k11\n", encoding="utf-8")
    code, err = _calc(["net", str(net)], capsys)
    assert code == 1
    assert f"{net}:3: conv 100000 k11:" in err and "6.1 TiB" in err


def test_limits_are_a_parameter_and_name_the_figure() -> None:
    text = "input 8x32x32\nconv 16 k3 p1\n"
    assert run_net(parse_net(text)).macs == 16 * 8 * 9 * 32 * 32
    with pytest.raises(NetSpecError, match=r"<string>:2: conv 16 k3 p1: .* 1,179,648 MACs"):
        run_net(parse_net(text), limits=Limits(max_macs=1_000_000))
    with pytest.raises(ResourceLimitError, match=r"over the engine's limit of 1\.0 KiB"):
        Conv2d(8, 16, 3).run(np.zeros((1, 8, 32, 32)), limits=Limits(max_bytes=1024))
    with pytest.raises(ResourceLimitError, match="input 1x3x50000x50000"):
        run_net(parse_net("input 3x50000x50000\nrelu\n"))
    assert MAX_BYTES == 2 * 1024 ** 3 and MAX_MACS == 5 * 10 ** 10


def test_the_plan_follows_strides_and_pools_so_real_nets_pass() -> None:
    # VGG-style: full-resolution MACs of conv5 would be 16x the real ones
    text = "input 3x224x224\n" + "conv 512 k3 p1\nmaxpool k2\n" * 4 + "conv 512 k3 p1\n"
    run = run_net(parse_net(text), dtype=np.float32, limits=Limits(max_macs=30 * 10 ** 9))
    assert run.output_shape == (1, 512, 14, 14)
