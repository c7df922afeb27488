"""Shipped network specs against published totals; the text format and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quiz.engine import NetSpecError, load_net, parse_net, run_net
from quiz.engine.netspec import ConcatSpec, ResidualSpec

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"


def run_file(name: str, dtype: type = np.float32):
    return run_net(load_net(NETS / f"{name}.net"), dtype=dtype)


# (file, parameters, MACs at 224x224, relative tolerance on MACs)
# Parameters: torchvision's model cards (exact). MACs: torchvision's "GFLOPS" column, which
# counts multiply-adds (VGG-16 15.47 G, ResNet-18 1.81 G - fvcore gives 1.814 G -, AlexNet
# 0.71 G) and Howard et al. 2017 Table 8 for MobileNet (569 M mult-adds, 4.2 M parameters).
PUBLISHED = [
    ("vgg16", 138_357_544, 15.47e9, 0.0005),
    ("resnet18", 11_689_512, 1.814e9, 0.0005),
    ("alexnet", 61_100_840, 0.714e9, 0.001),
    ("mobilenet_v1", 4_231_976, 569e6, 0.001),
]


@pytest.mark.parametrize(("name", "params", "macs", "tol"), PUBLISHED)
def test_published_totals(name: str, params: int, macs: float, tol: float) -> None:
    report = run_file(name)
    assert report.params == params
    assert report.macs == pytest.approx(macs, rel=tol)
    assert report.flops == 2 * report.macs
    assert report.output_shape == (1, 1000)


def test_resnet18_structure_and_stage_shapes() -> None:
    report = run_file("resnet18")
    by_name = {r.name: r for r in report.layers}
    assert by_name["conv1"].output_shape == (1, 64, 112, 112)
    assert by_name["layer2.0.downsample"].output_shape == (1, 128, 28, 28)
    assert by_name["layer4.1.conv2"].output_shape == (1, 512, 7, 7)
    # conv1: 64 * 3 * 7 * 7 weights, 112*112 outputs each doing 3*7*7 MACs
    assert by_name["conv1"].macs == 64 * 112 * 112 * 3 * 7 * 7
    assert sum(r.kind == "add" for r in report.layers) == 8


def test_mobilenet_depthwise_layers_count_one_channel_per_filter() -> None:
    report = run_file("mobilenet_v1")
    dw1 = next(r for r in report.layers if r.name == "dw1")
    assert dw1.weight_params == 32 * 1 * 3 * 3
    assert dw1.macs == 32 * 112 * 112 * 9


def test_inception_concat_joins_channels() -> None:
    report = run_file("inception_mini", np.float64)
    concats = [r for r in report.layers if r.kind == "concat"]
    assert [c.output_shape[1] for c in concats] == [16 + 24 + 8 + 8, 32 + 48 + 16 + 16]
    assert report.output_shape == (1, 10)


def test_decoder_runs_transposed_convs_and_norms() -> None:
    report = run_file("tiny_decoder", np.float64)
    assert report.output_shape == (1, 1, 32, 32)
    shapes = {r.name: r.output_shape for r in report.layers}
    assert shapes["down2"] == (1, 64, 8, 8)
    # (8-1)*2 - 2*1 + (4-1) + 1 = 16
    assert shapes["up1"] == (1, 32, 16, 16)
    # (16-1)*2 - 2*1 + (3-1) + 1 + output_padding 1 = 32
    assert shapes["up2"] == (1, 16, 32, 32)


def test_every_shipped_net_parses_and_runs_small() -> None:
    for path in sorted(NETS.glob("*.net")):
        spec = load_net(path)
        assert spec.input_shape is not None, path
        if path.stem in ("vgg16", "alexnet"):
            continue  # covered above; their fc layers dominate the time
        report = run_net(spec, dtype=np.float32)
        assert report.layers, path


SAMPLE = """\
input 3x32x32   # the contract's example, shrunk
conv 16 k3 s1 p1 nobias
bn
relu
res
  conv 16 k3 p1 nobias
  bn
end
res
  conv 32 k3 s2 p1 nobias
shortcut
  conv 32 k1 s2 nobias
end
concat
  branch
    conv 8 k1
  branch
    conv 8 k1
    conv 12 k3 p1
end
dwconv k3 s1 p1
convT 8 k4 s2 p1 op0
avgpool k2 s2
maxpool k3 s1 p1 ceil
gap
flatten
fc 10
"""


def test_sample_spec_parses_into_blocks_and_runs() -> None:
    spec = parse_net(SAMPLE)
    assert spec.input_shape == (3, 32, 32)
    kinds = [type(node).__name__ for node in spec.nodes]
    assert kinds.count("ResidualSpec") == 2 and kinds.count("ConcatSpec") == 1
    residuals = [n for n in spec.nodes if isinstance(n, ResidualSpec)]
    assert residuals[0].shortcut is None and residuals[1].shortcut is not None
    concat = next(n for n in spec.nodes if isinstance(n, ConcatSpec))
    assert [len(b) for b in concat.branches] == [1, 2]
    report = run_net(spec, rng=np.random.default_rng(0))
    assert report.output_shape == (1, 10)
    shapes = {r.name: r.output_shape for r in report.layers}
    assert shapes["concat"] == (1, 20, 16, 16)
    assert shapes["convT 4x4/2"] == (1, 8, 32, 32)


def test_input_shape_argument_overrides_and_batches() -> None:
    report = run_net(parse_net(SAMPLE), (2, 3, 16, 16))
    assert report.output_shape == (2, 10)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("conv 8 k3\nfoo 3\n", 2, "unknown layer 'foo'"),
        ("conv k3\n", 1, "needs OUT channels"),
        ("conv 8\n", 1, "needs kN"),
        ("conv 8 k3 q2\n", 1, "does not accept 'q2'"),
        ("conv 8 k3 k5\n", 1, "given twice"),
        ("input 3x32\nconv 8 k3\n", 1, "input CxHxW"),
        ("conv 8 k3\ninput 3x8x8\n", 2, "before the first layer"),
        ("res\n  conv 8 k3\n", 1, "never closed"),
        ("end\n", 1, "without an open"),
        ("concat\n  conv 8 k1\nend\n", 2, "must start with 'branch'"),
        ("shortcut\n", 1, "outside a 'res'"),
        ("branch\n", 1, "outside a 'concat'"),
        ("res\nend\n", 1, "empty 'res' body"),
        ("relu 3\n", 1, "does not accept"),
        ("# nothing\n", 1, "no layers"),
    ],
)
def test_parse_errors_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(NetSpecError, match=message) as info:
        parse_net(text, source="nets/bad.net")
    assert str(info.value).startswith(f"nets/bad.net:{line}: ")
    assert info.value.line == line
    assert isinstance(info.value, ValueError)


def test_runtime_shape_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="shortcut"):
        run_net(parse_net("input 3x8x8\nres\n  conv 8 k3 p1\nend\n"))
    with pytest.raises(ValueError, match="Kernel size"):
        run_net(parse_net("input 3x4x4\nconv 8 k7\n"))
    with pytest.raises(ValueError, match="no input shape"):
        run_net(parse_net("conv 8 k3\n"))


def test_the_contract_example_parses() -> None:
    contract = Path(__file__).resolve().parents[2] / "docs" / "engine-contract.md"
    text = contract.read_text(encoding="utf-8")
    example = text[text.index("```\ninput") + 4:]
    example = example[:example.index("```")]
    spec = parse_net(example, source=str(contract))
    assert spec.input_shape == (3, 224, 224)
    assert [type(n).__name__ for n in spec.nodes].count("ConcatSpec") == 1
    assert spec.nodes[-1].kind == "fc"


def test_readme_documents_every_keyword() -> None:
    readme = (NETS / "README.md").read_text(encoding="utf-8")
    from quiz.engine.kinds import KINDS

    for keyword in KINDS:
        assert f"`{keyword}" in readme, keyword
