"""The torchvision architectures of data/nets against their published totals.

Parameters: torchvision's model cards (exact). MACs: torchvision's "GFLOPS" column (which counts
multiply-adds, rounded); the exact figure beside it was counted independently, with
``torch.utils.flop_counter.FlopCounterMode`` (conv and matmul FLOPs / 2) on the models rebuilt
in PyTorch from torchvision's source, and is what the engine must reproduce exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quiz.engine import NetRun, load_net, run_net

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"

# (file, parameters, published MACs, exact MACs counted by torch at 224x224)
TORCHVISION = [
    ("resnet50", 25_557_032, 4.09e9, 4_089_184_256),
    ("mobilenet_v2", 3_504_872, 300.8e6, 300_774_272),
    ("googlenet", 6_624_904, 1.50e9, 1_498_376_192),
    ("squeezenet1_0", 1_248_424, 0.82e9, 818_924_576),
    ("densenet121", 7_978_856, 2.83e9, 2_834_161_664),
    ("shufflenet_v2_x1_0", 2_278_604, 146e6, 144_907_992),
]

_RUNS: dict[str, NetRun] = {}


def run_file(name: str) -> NetRun:
    if name not in _RUNS:  # each net runs once per session (DenseNet-121 takes seconds)
        _RUNS[name] = run_net(load_net(NETS / f"{name}.net"), dtype=np.float32)
    return _RUNS[name]


@pytest.mark.parametrize(("name", "params", "published", "exact"), TORCHVISION)
def test_torchvision_totals(name: str, params: int, published: float, exact: int) -> None:
    run = run_file(name)
    assert run.params == params
    assert run.macs == exact
    # the published figures are rounded; ShuffleNet-v2's 146 M (the paper's table) is 0.8 %
    # above the exact count of torchvision's model, which torchvision itself rounds to 0.14 G
    assert run.macs == pytest.approx(published, rel=0.011)
    assert run.output_shape == (1, 1000)


def test_se_block_gate_counts_its_two_1x1_convs_and_keeps_the_shape() -> None:
    run = run_net(load_net(NETS / "se_resnet_block.net"), dtype=np.float32)
    body = 256 * 64 + 64 * 64 * 9 + 64 * 256 + 2 * (64 + 64 + 256)
    gate = (256 * 16 + 16) + (16 * 256 + 256)
    assert run.params == body + gate == 78_864
    # counted by torch on the rebuilt block: 218,374,144 MACs (the gate adds 8,192 of them)
    assert run.macs == 218_374_144
    assert run.output_shape == (1, 256, 56, 56)
    kinds = [r.kind for r in run.layers]
    assert kinds.count("mul") == 1 and kinds.count("add") == 1


def test_densenet_concatenates_growth_and_transitions_halve() -> None:
    run = run_file("densenet121")
    channels = [r.output_shape[1] for r in run.layers if r.kind == "concat"]
    assert channels[:6] == [64 + 32 * i for i in range(1, 7)]
    assert channels[-1] == 1024
    pools = [r.output_shape for r in run.layers if r.kind == "avg_pool2d"]
    assert pools == [(1, 128, 28, 28), (1, 256, 14, 14), (1, 512, 7, 7)]


def test_shufflenet_units_split_shuffle_and_keep_channels() -> None:
    run = run_file("shufflenet_v2_x1_0")
    chunks = [r for r in run.layers if r.kind == "chunk"]
    assert chunks and all(r.output_shape[1] * 2 == r.input_shape[1] for r in chunks)
    shuffles = [r.output_shape for r in run.layers if r.kind == "channel_shuffle"]
    assert shuffles[0] == (1, 116, 28, 28) and shuffles[-1] == (1, 464, 7, 7)
    assert len(shuffles) == 4 + 8 + 4
