"""Net validation refuses g0, lstm 0 and the other zero sizes torch refuses (issue 21): they
used to give a ZeroDivisionError traceback from `quiz calc net`."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from quiz.engine.netspec import NetSpecError, parse_net


@pytest.mark.parametrize("layer", ["conv 8 k3 g0", "lstm 0", "conv 8 k0", "conv 8 k3 s0",
                                   "conv 8 k3 d0", "gn 0", "upsample x0", "convT 8 k2 g0"])
def test_zero_sizes_are_refused(layer: str) -> None:
    with pytest.raises(NetSpecError, match="must be positive"):
        parse_net(f"input 4x8x8\n{layer}\n")


def test_positive_sizes_are_accepted() -> None:
    spec = parse_net("input 4x8x8\nconv 8 k3 g2 s1 d1\n")
    assert spec.nodes


def test_calc_net_says_one_line(tmp_path: Path) -> None:
    from quiz.commands import calc

    for number, layer in enumerate(("conv 8 k3 g0", "lstm 0")):
        path = tmp_path / f"n{number}.net"
        path.write_text(f"input 3x8x8\n{layer}\n", encoding="utf-8")
        args = argparse.Namespace(calc_kind="net", file=str(path), input=None, seed=0,
                                  dtype="float32", draw_rf=None, json=False, no_progress=True,
                                  show_rf=False)
        out, err = io.StringIO(), io.StringIO()
        assert calc.run(args, out, err) == 1
        assert err.getvalue().count("\n") == 1 and "must be positive" in err.getvalue()
