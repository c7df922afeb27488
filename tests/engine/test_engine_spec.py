"""Typed specs: every shipped net renders back to text that parses to an equal spec, and the
transforms a misconception recipe uses keep the net valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.engine import KINDS, ConcatSpec, LayerSpec, ResidualSpec, load_net, parse_net, run_net
from quiz.engine.spec import Node

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"


def _shape(nodes: tuple[Node, ...]) -> list[object]:
    """The spec without line numbers and source text."""
    out: list[object] = []
    for node in nodes:
        if isinstance(node, LayerSpec):
            out.append((node.kind, dict(node.options)))
        elif isinstance(node, ResidualSpec):
            out.append((node.op, _shape(node.body),
                        None if node.shortcut is None else _shape(node.shortcut)))
        else:
            out.append(("concat", [_shape(branch) for branch in node.branches]))
    return out


@pytest.mark.parametrize("path", sorted(NETS.glob("*.net")), ids=lambda p: p.stem)
def test_render_round_trips_every_shipped_net(path: Path) -> None:
    spec = load_net(path)
    again = parse_net(spec.render())
    assert _shape(again.nodes) == _shape(spec.nodes)
    assert again.input_shape == spec.input_shape


def test_every_option_of_every_kind_renders_and_parses_back() -> None:
    samples = {"out": 8, "size": (2, 3), "groups_count": 2, "rate": 0.25, "chunk": (1, 2),
               "scale": 2, "k": (3, 5), "s": 2, "p": "same", "op": 1, "d": (1, 2), "g": 2,
               "heads": 4, "eps": 0.001, "mode": "bilinear", "approx": "tanh", "nobias": True,
               "noaffine": True, "ceil": True, "nopadcount": True, "align": True, "name": "x.1"}
    for kind in KINDS.values():
        spec = LayerSpec(kind.keyword, {key: samples[key] for key in kind.options})
        (parsed,) = parse_net(spec.render()).nodes
        assert isinstance(parsed, LayerSpec)
        assert (parsed.kind, dict(parsed.options)) == (spec.kind, dict(spec.options))


def test_map_layers_rewrites_and_drops_and_keeps_blocks_valid() -> None:
    net = parse_net("input 8x8x8\nres\n  maxpool k3 s1 p1\nend\nconcat\n  branch\n"
                    "    conv 4 k3 p2 d2\n  branch\n    avgpool k3 s1 p1\nend\n")
    no_pools = net.map_layers(lambda s: None if s.kind.endswith("pool") else s)
    body = no_pools.nodes[0]
    assert isinstance(body, ResidualSpec) and body.body[0] == LayerSpec("identity")
    concat = no_pools.nodes[1]
    assert isinstance(concat, ConcatSpec) and concat.branches[1][0].kind == "identity"
    assert run_net(no_pools).output_shape == (1, 12, 8, 8)
    undilated = net.map_layers(lambda s: s.with_options(d=None))
    assert "d2" not in undilated.render() and "d2" in net.render()
    assert undilated.with_input((8, 4, 4)).render().startswith("input 8x4x4\n")
