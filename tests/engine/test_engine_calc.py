"""`quiz calc`: through register/run on a test parser, and through quiz.cli.main."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.commands import calc

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="quiz")
    calc.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["calc", *argv])


def run_calc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = calc.run(parse(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_conv_table_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(["conv", "--input", "1x64x112x112", "--out", "128", "-k", "3",
                             "-p", "1"], capsys)
    assert code == 0
    macs = 128 * 112 * 112 * 64 * 3 * 3
    assert "1x128x112x112" in out
    assert f"{128 * 64 * 9 + 128:,}" in out
    assert f"{macs:,}" in out and f"{2 * macs:,}" in out
    assert "receptive field  3 (jump 1, start -1)" in out


def test_conv_json_with_stride_dilation_groups(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(["conv", "--input", "2x8x15x15", "--out", "4", "-k", "3", "-s", "2",
                             "-d", "2", "-g", "2", "--no-bias", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    side = (15 - 2 * 2 - 1) // 2 + 1
    assert data["output_shape"] == [2, 4, side, side]
    assert data["params"] == 4 * 4 * 9 and data["bias_params"] == 0
    assert data["macs"] == 2 * 4 * side * side * 4 * 9
    # a dilated kernel touches every other pixel of its 5x5 window: holes
    assert data["rf"] == {"size": [5, 5], "jump": [2, 2], "start": [0, 0], "holes": True}


def test_pool_and_conv_transpose(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(["pool", "--input", "1x3x5x5", "-k", "2", "-s", "2", "-p", "1",
                             "--ceil", "--json"], capsys)
    assert code == 0 and json.loads(out)["output_shape"] == [1, 3, 3, 3]
    code, out, _ = run_calc(["pool", "--input", "1x3x6x6", "-t", "avg", "-k", "3", "-s", "2",
                             "--ceil", "--exclude-pad", "--json"], capsys)
    assert code == 0 and json.loads(out)["kind"] == "avg_pool2d"
    code, out, _ = run_calc(["convT", "--input", "1x16x8x8", "--out", "8", "-k", "4", "-s", "2",
                             "-p", "1", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["output_shape"] == [1, 8, 16, 16]
    assert data["macs"] == 16 * 8 * 8 * 8 * 16 and data["rf"] is None


def test_show_rf_draws_the_window(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(["conv", "-i", "1x1x9x9", "--out", "1", "-k", "3", "-d", "2",
                             "--show-rf"], capsys)
    assert code == 0
    assert "5x5 field" in out and "█·█·█" in out


def test_net_table_totals_and_gridding(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(["net", str(NETS / "dilated_246.net"), "--show-rf"], capsys)
    assert code == 0
    assert "25*" in out and "gridding" in out
    assert "█·█" in out
    code, out, _ = run_calc(["net", str(NETS / "inception_mini.net"), "--input", "3x32x32"],
                            capsys)
    assert code == 0
    assert "concat" in out and "total params 29,902" in out


def test_net_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(["net", str(NETS / "resnet18.net"), "--json", "-i", "3x64x64"],
                            capsys)
    data = json.loads(out)
    assert code == 0 and data["params"] == 11_689_512
    assert data["layers"][0]["rf"]["size"] == [7, 7]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["conv", "--input", "1x3x4x4", "--out", "8", "-k", "7"], "Kernel size"),
        (["conv", "--input", "1x4x8x8", "--out", "6", "-k", "3", "-g", "4"], "divisible"),
        (["convT", "--input", "1x4x8x8", "--out", "4", "-k", "3", "-s", "2",
          "--output-padding", "2"], "output padding"),
        (["pool", "--input", "1x1x6x6", "-k", "2", "-p", "2"], "half of kernel size"),
        (["net", "/nonexistent/net.net"], "No such file"),
    ],
)
def test_invalid_configuration_exits_1(argv: list[str], message: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_calc(argv, capsys)
    assert code == 1 and out == ""
    assert message in err


def test_bad_net_file_reports_file_and_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.net"
    bad.write_text("input 3x8x8\nconv 8 k3\nwobble\n")
    code, _, err = run_calc(["net", str(bad)], capsys)
    assert code == 1 and f"{bad}:3: unknown layer 'wobble'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["conv", "--input", "1x64", "--out", "8", "-k", "3"],
        ["conv", "--input", "1x3x8x8", "--out", "0", "-k", "3"],
        ["conv", "--input", "1x3x8x8", "-k", "3"],
        ["conv", "--input", "1x3x8x8", "--out", "8", "-k", "3", "-p", "full"],
        ["pool", "--input", "1x3x8x8", "-k", "2", "-t", "min"],
        ["frobnicate"],
    ],
)
def test_argument_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_through_the_main_cli(capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("quiz.cli")
    code = cli.main(["calc", "conv", "--input", "1x3x8x8", "--out", "4", "-k", "3", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["output_shape"] == [1, 4, 6, 6]
    code = cli.main(["calc", "conv", "--input", "1x3x2x2", "--out", "4", "-k", "3"])
    assert code == 1


def test_imports_stay_light() -> None:
    script = (
        "import sys\n"
        "import quiz.commands.calc\n"
        "assert 'numpy' not in sys.modules, 'calc imported numpy at module level'\n"
        "import quiz.engine\n"
        "heavy = [m for m in ('textual', 'sqlalchemy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


class FakeTerminal:
    """A stderr that claims to be a terminal, to see the progress bar."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_progress_bar_on_a_terminal_only(capsys: pytest.CaptureFixture[str]) -> None:
    terminal = FakeTerminal()
    args = parse(["net", str(NETS / "inception_mini.net"), "--input", "3x16x16"])
    assert calc.run(args, err=terminal) == 0
    text = "".join(terminal.parts)
    # fast runs only draw the final state: all rows done
    assert "] 29/29 fc" in text and text.endswith("\n")
    assert "[" not in capsys.readouterr().err  # captured stderr is not a terminal: no bar
    quiet = FakeTerminal()
    args = parse(["net", str(NETS / "inception_mini.net"), "--no-progress"])
    assert calc.run(args, err=quiet) == 0 and quiet.parts == []
