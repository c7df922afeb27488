"""Effective-receptive-field figures (`quiz.engine.erf` + `quiz.render.rf_picture`), read back
from their plain text alone: the box is the frame's inside, each cell two characters whose
shade is a level 0-4 (`SHADES`). Expected shades come from references that do not use the
engine's back-propagation (box convolutions with `numpy.convolve`, gridding offsets)."""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys
from functools import reduce
from pathlib import Path

import numpy as np
import pytest
from rich.cells import cell_len

from quiz.commands.calc import _print_effective_field
from quiz.engine import layers as L
from quiz.engine import load_net, run_net
from quiz.engine.erf import EffectiveField, effective_field, net_effective_field, select_row
from quiz.render.rf_picture import SHADES, draw_effective_field, effective_field_text
from tests.engine.test_engine_calc import run_calc

NETS = Path(__file__).resolve().parents[2] / "data" / "nets"
SNAPSHOTS = Path(__file__).with_name("rf_snapshots")
SIDES = "│┆"


def drawn_levels(text: str) -> np.ndarray:
    """The shade level of every cell inside the frame."""
    rows = []
    for line in text.splitlines():
        if len(line) >= 2 and line[0] in SIDES and line[-1] in SIDES:
            inside = line[1:-1]
            assert len(inside) % 2 == 0
            rows.append([SHADES.index(inside[i:i + 2]) for i in range(0, len(inside), 2)])
    assert rows, "no framed grid in the figure"
    return np.array(rows)


def frame_lines(text: str) -> tuple[str, str]:
    top = next(line for line in text.splitlines() if re.fullmatch("┌[─┄]+┐", line))
    bottom = next(line for line in text.splitlines() if re.fullmatch("└[─┄]+┘", line))
    return top, bottom


def expected_levels(values: np.ndarray) -> np.ndarray:
    return np.ceil(4 * values / values.max()).astype(int)


def box_stack(k: int, n: int) -> np.ndarray:
    line = reduce(np.convolve, [np.ones(k)] * n)
    return np.outer(line, line)


@pytest.mark.parametrize(("k", "n"), [(3, 1), (3, 4), (5, 3), (2, 5)])
def test_shades_are_the_box_convolution_against_its_peak(k: int, n: int) -> None:
    field = effective_field([L.Conv2d(1, 1, k, 1, 0, bias=False) for _ in range(n)], (40, 40))
    text = effective_field_text(field)
    np.testing.assert_array_equal(drawn_levels(text), expected_levels(box_stack(k, n)))
    size = n * (k - 1) + 1
    assert f"theoretical field (the box) {size}x{size}" in text
    top, bottom = frame_lines(text)
    assert top == "┌" + "──" * size + "┐" and bottom == "└" + "──" * size + "┘"
    assert "scaled" not in text and "runs past" not in text


def test_gridding_holes_are_drawn_as_dots() -> None:
    field = net_effective_field(run_net(load_net(NETS / "dilated_246.net")), 4)
    levels = drawn_levels(effective_field_text(field))
    assert levels.shape == (25, 25)
    even = (np.arange(25) - 12) % 2 == 0
    np.testing.assert_array_equal(levels > 0, np.outer(even, even))


def test_the_uniform_weight_assumption_is_stated() -> None:
    text = effective_field_text(effective_field([L.Conv2d(1, 1, 3, bias=False)], (9, 9)))
    flat = " ".join(text.split())
    assert "every weight 1 and every nonlinearity taken as identity" in flat
    assert "number of paths" in flat and "Luo et al. 2016" in flat
    assert "unit (3, 3)" in flat and "mass 9, peak 1" in flat


@pytest.fixture(scope="module")
def resnet18() -> list[EffectiveField]:
    run = run_net(load_net(NETS / "resnet18.net"), dtype=np.float32)
    rows = [select_row(run, name) for name in ("layer3.1.conv2", "global avgpool")]
    return [net_effective_field(run, row) for row in rows]


@pytest.mark.parametrize("width", [80, 60, 40])
def test_large_fields_are_scaled_to_fit_the_width(resnet18: list[EffectiveField],
                                                  width: int) -> None:
    for field in resnet18:
        text = effective_field_text(field, width=width, max_rows=24)
        assert max(cell_len(line) for line in text.splitlines()) <= width
        levels = drawn_levels(text)
        match = re.search(r"scaled: 1 cell = (\d+)x\1 pixels", text)
        assert match is not None
        scale = int(match.group(1))
        box = field.theoretical
        assert box is not None
        visible = (min(box.bottom, 223) - max(box.top, 0) + 1,
                   min(box.right, 223) - max(box.left, 0) + 1)
        assert levels.shape == (math.ceil(visible[0] / scale), math.ceil(visible[1] / scale))
        assert levels.shape[0] <= 24 and 2 * levels.shape[1] + 2 <= width
        assert scale == max(math.ceil(visible[0] / 24),
                            math.ceil(visible[1] / ((width - 2) // 2)))
        assert levels.max() == 4


def test_a_field_past_the_input_has_dashed_sides(resnet18: list[EffectiveField]) -> None:
    inside, past = resnet18
    top, bottom = frame_lines(effective_field_text(inside))
    assert "┄" not in top + bottom
    text = effective_field_text(past)
    top, bottom = frame_lines(text)
    assert set(top[1:-1]) == {"┄"} and set(bottom[1:-1]) == {"┄"}
    grid = [line for line in text.splitlines() if line and line[0] in SIDES]
    assert grid and all(line[0] == line[-1] == "┆" for line in grid)
    flat = " ".join(text.split())
    assert "the theoretical field (627x627) runs past the 224x224 input" in flat


def test_colour_shades_by_level_and_plain_has_the_same_characters() -> None:
    field = effective_field([L.Conv2d(1, 1, 3, bias=False)] * 3, (20, 20))
    figure = draw_effective_field(field)
    styled = {figure.plain[span.start:span.end]: str(span.style) for span in figure.spans}
    assert "red" in styled[SHADES[4]] and "blue" in styled[SHADES[1]]
    plain = draw_effective_field(field, colour=False)
    assert plain.spans == [] and plain.plain == figure.plain


def test_snapshot() -> None:
    """Set QUIZ_UPDATE_SNAPSHOTS=1 to rewrite, then read the diff before committing it."""
    field = net_effective_field(run_net(load_net(NETS / "dilated_125.net")), 4)
    text = effective_field_text(field) + "\n"
    path = SNAPSHOTS / "dilated_125_row5.txt"
    if os.environ.get("QUIZ_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_engine_module_imports_no_renderer() -> None:
    code = ("import sys, quiz.engine.erf; "
            "print(sorted(m for m in sys.modules if m.startswith(('quiz.render', 'quiz.tui', "
            "'rich', 'textual'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_calc_net_draw_rf_prints_the_table_and_the_figure(
        capsys: pytest.CaptureFixture[str]) -> None:
    net = str(NETS / "dilated_125.net")
    code, out, _ = run_calc(["net", net, "--draw-rf", "conv 3x3 d5", "--no-progress"], capsys)
    assert code == 0
    field = net_effective_field(run_net(load_net(net)), 4)
    assert out.startswith("#  layer")
    assert out.rstrip().endswith(effective_field_text(field))
    assert "\x1b[" not in out
    code, same, _ = run_calc(["net", net, "--draw-rf", "5", "--no-progress"], capsys)
    assert code == 0 and same.split("ran in")[1].split("\n", 1)[1] == \
        out.split("ran in")[1].split("\n", 1)[1]


@pytest.mark.parametrize(("argv", "message"), [
    (["--draw-rf", "relu"], "2 layers are named 'relu' (rows 2, 4)"),
    (["--draw-rf", "9"], "layer 9 does not exist: the table numbers rows 1 to 5"),
    (["--draw-rf", "5", "--json"], "--draw-rf prints a picture: leave out --json"),
])
def test_calc_net_draw_rf_refuses_before_printing(capsys: pytest.CaptureFixture[str],
                                                  argv: list[str], message: str) -> None:
    code, out, err = run_calc(["net", str(NETS / "dilated_125.net"), *argv], capsys)
    assert code == 1 and out == "" and message in err


def test_calc_net_draw_rf_refuses_a_layer_without_a_field(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_calc(["net", str(NETS / "tiny_decoder.net"), "--draw-rf", "up1"],
                              capsys)
    assert code == 1 and out == ""
    assert "'up1' has no receptive field on the input" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_draw_rf_on_a_terminal_is_coloured_and_fits_it(monkeypatch: pytest.MonkeyPatch,
                                                       resnet18: list[EffectiveField]) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = _Terminal()
    _print_effective_field(resnet18[0], out)
    text = out.getvalue()
    assert "\x1b[" in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "effective receptive field" in plain and "scaled" in plain
    assert max(cell_len(line) for line in plain.splitlines()) <= 60
