"""Golden output of `quiz calc net`: the whole table of two nets, byte for byte (the run time
line is masked). After an intended change of the table, refresh with
``QUIZ_UPDATE_GOLDEN=1 pytest tests/engine/test_engine_calc_golden.py`` and review the diff."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest

from quiz.commands import calc

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


def _table(net: str, capsys: pytest.CaptureFixture[str]) -> str:
    parser = argparse.ArgumentParser(prog="quiz")
    calc.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["calc", "net", f"data/nets/{net}.net", "--no-progress"])
    cwd = Path.cwd()
    os.chdir(ROOT)  # the table names the file as given
    try:
        assert calc.run(args) == 0
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    return re.sub(r"ran in \d+\.\d\d s", "ran in <time> s", out)


@pytest.mark.parametrize("net", ["resnet18", "se_resnet_block"])
def test_calc_net_table_is_golden(net: str, capsys: pytest.CaptureFixture[str]) -> None:
    got = _table(net, capsys)
    path = GOLDEN / f"calc_net_{net}.txt"
    if os.environ.get("QUIZ_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
