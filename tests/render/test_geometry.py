"""Geometry figures (`quiz.engine.picture` + `quiz.render.geometry`), checked against the engine.

The engine is the oracle: each output cell of a layer reads the input pixels that a one-hot input
reaches it from (the real NumPy op with an all-ones kernel, so nothing cancels). The figure is
read back from its plain text alone: input pixels are the □/■ glyphs, the n-th row (column)
holding any is input row (column) n, so the test does not reuse the picture's own index map.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.cells import cell_len

from quiz.commands.calc import _print_geometry
from quiz.engine import layers as L
from quiz.engine.netspec import parse_layer
from quiz.engine.picture import Cell, LayerPicture, layer_picture, spec_picture
from quiz.render.geometry import GAP, GLYPHS, draw_geometry, geometry_text
from tests.engine.test_engine_calc import run_calc

SNAPSHOTS = Path(__file__).with_name("geometry_snapshots")
INPUT_GLYPHS = {GLYPHS["input"], GLYPHS["kernel"]}
KERNEL_GLYPHS = {GLYPHS["kernel"], GLYPHS["kernel_zero"]}

# (id, layer, input H x W): conv, pool and transposed conv, with every kind of padding
CASES = [
    ("conv_k3_p1_s2", L.Conv2d(1, 1, 3, 2, 1, bias=False), (5, 5)),
    ("conv_k3_d2", L.Conv2d(1, 1, 3, 1, 0, 2, bias=False), (7, 7)),
    ("conv_floor_unread_edge", L.Conv2d(1, 1, 3, 2, 0, bias=False), (6, 6)),
    ("conv_same_even_kernel", L.Conv2d(1, 1, 4, 1, "same", bias=False), (5, 6)),
    ("conv_tf_same", L.Conv2d(1, 1, 3, 2, L.TF_SAME, bias=False), (6, 7)),
    ("conv_rectangular", L.Conv2d(1, 1, (3, 2), (2, 1), (1, 0), (1, 2), bias=False), (6, 5)),
    ("maxpool_ceil", L.MaxPool2d(3, 2, 1, ceil_mode=True), (6, 6)),
    ("maxpool_dilated", L.MaxPool2d(2, 1, 0, dilation=2), (5, 5)),
    ("avgpool_ceil", L.AvgPool2d(2, ceil_mode=True), (5, 5)),
    ("convT_s2", L.ConvTranspose2d(1, 1, 3, 2, 0, bias=False), (3, 3)),
    ("convT_s2_p1_op1", L.ConvTranspose2d(1, 1, 3, 2, 1, 1, bias=False), (3, 4)),
    ("convT_k4_s2_p1", L.ConvTranspose2d(1, 1, 4, 2, 1, bias=False), (3, 3)),
    ("convT_cropped_edge", L.ConvTranspose2d(1, 1, 1, 2, 1, bias=False), (4, 4)),
    ("convT_dilated", L.ConvTranspose2d(1, 1, 2, 3, 1, 1, dilation=2, bias=False), (3, 3)),
]


Reads = dict[tuple[int, int], set[tuple[int, int]]]


def engine_reads(layer: L.Layer, hw: tuple[int, int]) -> Reads:
    """For every output cell, the input pixels whose one-hot input reaches it."""
    params: dict[str, np.ndarray] = {}
    if isinstance(layer, (L.Conv2d, L.ConvTranspose2d)):
        params["weight"] = np.ones((1, 1, *layer.kernel_size))
    reads: Reads = {}
    for r in range(hw[0]):
        for c in range(hw[1]):
            x = np.zeros((1, 1, *hw))
            x[0, 0, r, c] = 1.0
            y = layer.forward(x, params)[0, 0]
            for out in zip(*np.nonzero(y), strict=True):
                reads.setdefault((int(out[0]), int(out[1])), set()).add((r, c))
    every = layer.forward(np.zeros((1, 1, *hw)), params)[0, 0]
    for out in np.ndindex(every.shape):
        reads.setdefault((int(out[0]), int(out[1])), set())
    return reads


def panels(text: str) -> list[list[str]]:
    """The grid lines of each panel (a panel starts after its numbered caption)."""
    found: list[list[str]] = []
    for line in text.splitlines():
        if line[:1].isdigit() and ". output (" in line:
            found.append([])
        elif found and line and (line[0] == " " or line[0] in GLYPHS.values()):
            found[-1].append(line)  # a grid line, not the fold of a long caption
    return found


def read_panel(lines: list[str], canvas_cols: int, first: tuple[int, int]) -> tuple[
        tuple[int, int], set[tuple[int, int]], int, int]:
    """From one panel's text: the highlighted output cell, the input pixels under the kernel,
    the number of kernel glyphs on zeros, and the number of output cells drawn. ``first`` is
    the input pixel at the top-left of the drawn input ((0, 0) unless a transposed
    convolution's padding crops pixels that no output reads)."""
    split = 2 * canvas_cols - 1 + GAP
    canvas = [line[:split].rstrip()[::2] for line in lines]
    output = [line[split:][::2] for line in lines if len(line) > split]
    input_rows = [r for r, row in enumerate(canvas) if INPUT_GLYPHS & set(row)]
    width = max(len(row) for row in canvas)
    input_cols = [c for c in range(width)
                  if any(c < len(row) and row[c] in INPUT_GLYPHS for row in canvas)]
    under = {(first[0] + input_rows.index(r), first[1] + input_cols.index(c))
             for r, row in enumerate(canvas)
             for c, glyph in enumerate(row) if glyph == GLYPHS["kernel"]}
    zeros = sum(row.count(GLYPHS["kernel_zero"]) for row in canvas)
    current = [(r, c) for r, row in enumerate(output) for c, g in enumerate(row)
               if g == GLYPHS["current"]]
    assert len(current) == 1, output
    drawn = sum(len(row.replace(" ", "")) for row in output)
    return current[0], under, zeros, drawn


@pytest.mark.parametrize(("layer", "hw"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_drawn_window_reads_what_the_engine_reads(layer: L.Layer,
                                                        hw: tuple[int, int]) -> None:
    reads = engine_reads(layer, hw)
    every_output = sorted(reads)
    picture = layer_picture(layer, hw, positions=every_output)
    assert picture.output_hw == (max(r for r, _ in reads) + 1, max(c for _, c in reads) + 1)
    text = geometry_text(picture, width=200, max_rows=60)
    drawn_panels = panels(text)
    assert len(drawn_panels) == len(every_output)
    kernel_taps = picture.kernel[0] * picture.kernel[1]
    first = (min(r for r in picture.rows.source if r is not None),
             min(c for c in picture.cols.source if c is not None))
    for lines, out in zip(drawn_panels, every_output, strict=True):
        current, under, zeros, drawn = read_panel(lines, picture.cols.size, first)
        assert current == out
        assert under == reads[out], f"output {out}"
        assert len(under) + zeros == kernel_taps  # every tap drawn, none on top of another
        assert drawn == picture.output_hw[0] * picture.output_hw[1]
        assert picture.reads(out) == reads[out]


@pytest.mark.parametrize(("layer", "hw"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_canvas_is_the_input_with_its_padding(layer: L.Layer, hw: tuple[int, int]) -> None:
    """Every input pixel is drawn once, except those a transposed convolution's padding crops:
    pixels that no output reads (the figure says so)."""
    picture = layer_picture(layer, hw)
    shown = [picture.input_pixel(r, c) for r in range(picture.rows.size)
             for c in range(picture.cols.size)
             if picture.cell(r, c) is Cell.INPUT]
    assert len(shown) == len(set(shown)) and None not in shown
    every = {(r, c) for r in range(hw[0]) for c in range(hw[1])}
    read = set().union(*engine_reads(layer, hw).values())
    assert read <= set(shown) <= every
    if set(shown) != every:
        assert "crops" in geometry_text(picture)


def test_first_positions_show_the_stride_both_ways() -> None:
    picture = layer_picture(L.Conv2d(1, 1, 3, (2, 3), 1), (7, 9))
    assert [p.output for p in picture.placements] == [(0, 0), (0, 1), (1, 0)]
    first, along, down = (set(p.taps) for p in picture.placements)
    assert {(r, c + 3) for r, c in first} == along
    assert {(r + 2, c) for r, c in first} == down
    single = layer_picture(L.Conv2d(1, 1, 3), (3, 3))
    assert [p.output for p in single.placements] == [(0, 0)]


SNAPSHOT_CASES = {
    "conv_k3_p1_s2_5x5": (L.Conv2d(1, 1, 3, 2, 1), (5, 5)),
    "conv_k3_d2_7x7": (L.Conv2d(1, 1, 3, 1, 0, 2), (7, 7)),
    "convT_k3_s2_3x3": (L.ConvTranspose2d(1, 1, 3, 2), (3, 3)),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_snapshot(name: str) -> None:
    """Set QUIZ_UPDATE_SNAPSHOTS=1 to rewrite, then read the diff before committing it."""
    layer, hw = SNAPSHOT_CASES[name]
    text = geometry_text(layer_picture(layer, hw)) + "\n"
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("QUIZ_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


LARGE = [
    ("resnet_stem", L.Conv2d(3, 64, 7, 2, 3), (224, 224)),
    ("big_dilation", L.Conv2d(1, 1, 3, 1, 16, 16), (64, 64)),
    ("fcn_upsample", L.ConvTranspose2d(1, 1, 64, 32, 16), (7, 7)),
    ("wide_pool", L.MaxPool2d(3, 2, 1), (56, 200)),
]


@pytest.mark.parametrize(("layer", "hw"), [c[1:] for c in LARGE], ids=[c[0] for c in LARGE])
@pytest.mark.parametrize("width", [80, 60])
def test_large_layers_fit_the_width_with_a_note(layer: L.Layer, hw: tuple[int, int],
                                                width: int) -> None:
    picture = layer_picture(layer, hw)
    figure = draw_geometry(picture, width=width)
    lines = figure.plain.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert "cropped: the top-left" in figure.plain
    # every placement is still drawn: one highlighted output cell and a kernel per panel
    drawn = panels(figure.plain)
    assert len(drawn) == len(picture.placements)
    for panel in drawn:
        assert sum(line.count(GLYPHS["current"]) for line in panel) >= 1
        assert any(set(line) & KERNEL_GLYPHS for line in panel)


def test_scaled_view_says_how_many_cells_a_glyph_is() -> None:
    # the kernel spans 41 rows and the window below starts one row lower: 42 rows into 14
    figure = geometry_text(layer_picture(L.Conv2d(1, 1, 3, 1, 0, 20), (80, 80)), max_rows=14)
    assert "scaled: 1 cell drawn = 3x3 cells" in figure
    first = panels(figure)[0]
    assert len(first) == 14
    # taps 20 apart land in different 3x3 blocks: all nine still drawn (plus the highlighted
    # output cell, the same glyph)
    assert sum(line.count(GLYPHS["kernel"]) for line in first) == 9 + 1
    plain = geometry_text(layer_picture(L.Conv2d(1, 1, 3, 2, 1), (5, 5)))
    assert "scaled" not in plain and "cropped" not in plain


def test_colour_marks_the_kernel_and_the_current_output() -> None:
    figure = draw_geometry(layer_picture(L.Conv2d(1, 1, 3, 2, 1), (5, 5)))
    styled = {figure.plain[span.start:span.end]: str(span.style) for span in figure.spans}
    assert "yellow" in styled[GLYPHS["kernel"]]
    assert "blue" in styled[GLYPHS["input"]]
    plain = draw_geometry(layer_picture(L.Conv2d(1, 1, 3, 2, 1), (5, 5)), colour=False)
    assert plain.spans == [] and plain.plain == figure.plain


def test_layers_without_a_window_or_refused_by_the_engine() -> None:
    with pytest.raises(ValueError, match="only conv, pool and transposed conv"):
        layer_picture(L.ReLU(), (5, 5))
    with pytest.raises(ValueError, match="Kernel size can't be greater"):
        layer_picture(L.Conv2d(1, 1, 7), (5, 5))
    with pytest.raises(ValueError, match="pad should be smaller"):
        layer_picture(L.MaxPool2d(2, 2, 2), (5, 5))
    with pytest.raises(ValueError, match="outside"):
        layer_picture(L.Conv2d(1, 1, 3), (5, 5), positions=[(3, 0)])


def test_engine_module_imports_no_renderer() -> None:
    code = ("import sys, quiz.engine.picture; "
            "print(sorted(m for m in sys.modules if m.startswith(('quiz.render', 'quiz.tui', "
            "'rich', 'textual'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_calc_draw_prints_the_figure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(["conv", "-i", "1x5x5", "-o", "1", "-k", "3", "-p", "1", "-s", "2",
                             "--draw"], capsys)
    assert code == 0
    expected = geometry_text(layer_picture(L.Conv2d(1, 1, 3, 2, 1), (5, 5)))
    assert expected in out
    assert "\x1b[" not in out  # not a terminal: plain characters
    code, out, _ = run_calc(["convT", "-i", "1x3x3", "-o", "1", "-k", "3", "-s", "2",
                             "--draw"], capsys)
    assert code == 0 and "inserted zero" in out and "input 3x3 -> output 7x7" in out
    code, out, _ = run_calc(["pool", "-i", "1x6x6", "-k", "3", "-s", "2", "-p", "1", "--ceil",
                             "--draw"], capsys)
    assert code == 0 and "max pool 3x3, stride 2, padding 1, ceil mode (last window +1x1" in out


def test_calc_draw_refuses_json_and_bad_layers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_calc(["conv", "-i", "1x5x5", "-o", "1", "-k", "3", "--draw",
                               "--json"], capsys)
    assert code == 1 and out == "" and "--draw prints a picture: leave out --json" in err
    code, out, err = run_calc(["conv", "-i", "1x5x5", "-o", "1", "-k", "7", "--draw"], capsys)
    assert code == 1 and out == "" and "Kernel size can't be greater" in err


def test_picture_is_plain_data() -> None:
    picture = layer_picture(L.Conv2d(1, 1, 3, 2, 1), (5, 5))
    assert isinstance(picture, LayerPicture)
    assert picture.rows.size == 7 and picture.cols.size == 7
    assert all(isinstance(v, int | None) for v in picture.rows.source)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_calc_draw_on_a_terminal_is_coloured_and_fits_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = _Terminal()
    _print_geometry(L.Conv2d(3, 64, 7, 2, 3), (224, 224), out)
    text = out.getvalue()
    assert "\x1b[" in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "conv 7x7, stride 2, padding 3" in plain and "cropped" in plain
    assert max(cell_len(line) for line in plain.splitlines()) <= 60


@pytest.mark.parametrize(("line", "layer"), [
    ("conv 8 k3 s2 p1", L.Conv2d(4, 8, 3, 2, 1)),
    ("convT 8 k3 s2 p1 op1", L.ConvTranspose2d(4, 8, 3, 2, 1, 1)),
    ("maxpool k3 s2 p1 ceil", L.MaxPool2d(3, 2, 1, ceil_mode=True)),
    ("conv 8 k3 d2", L.Conv2d(4, 8, 3, dilation=2)),
])
def test_a_layer_line_draws_as_the_layer_it_builds(line: str, layer: L.Layer) -> None:
    """What a numeric card holds (a layer line and an input shape) draws like the layer."""
    assert spec_picture(parse_layer(line), (4, 9, 11)) == layer_picture(layer, (9, 11))
    with pytest.raises(ValueError, match="not"):
        spec_picture(parse_layer(line), (9, 11))


def brute_force_glyphs(picture: LayerPicture, scale: int, rows: int, cols: int,
                       taps: set[tuple[int, int]]) -> list[str]:
    """Each glyph from every canvas cell of its block: kernel, then input, hole, padding."""
    lines = []
    for top in range(0, rows, scale):
        glyphs = []
        for left in range(0, cols, scale):
            block = [(r, c) for r in range(top, min(rows, top + scale))
                     for c in range(left, min(cols, left + scale))]
            kinds = {picture.cell(r, c) for r, c in block}
            tapped = {picture.cell(r, c) for r, c in block if (r, c) in taps}
            kind = ("kernel" if Cell.INPUT in tapped else "kernel_zero" if tapped else
                    "input" if Cell.INPUT in kinds else "hole" if Cell.HOLE in kinds else "pad")
            glyphs.append(GLYPHS[kind])
        lines.append(" ".join(glyphs))
    return lines


@pytest.mark.parametrize(("layer", "hw"), [
    (L.ConvTranspose2d(1, 1, 3, 3, 1), (9, 9)),
    (L.ConvTranspose2d(1, 1, 4, 2, 0, dilation=3), (8, 12)),
    (L.Conv2d(1, 1, 3, 2, 2, 4), (30, 30)),
])
def test_scaled_glyphs_stand_for_every_cell_of_their_block(layer: L.Layer,
                                                           hw: tuple[int, int]) -> None:
    picture = layer_picture(layer, hw)
    text = geometry_text(picture, width=40, max_rows=2)
    scaled = re.search(r"1 cell drawn = (\d+)x\1 cells", text)
    assert scaled is not None, text
    scale = int(scaled.group(1))
    crop = re.search(r"top-left (\d+)x(\d+) of the", text)
    rows, cols = ((int(crop.group(1)), int(crop.group(2))) if crop
                  else (picture.rows.size, picture.cols.size))
    for placement, lines in zip(picture.placements, panels(text), strict=True):
        expected = brute_force_glyphs(picture, scale, rows, cols, set(placement.taps))
        drawn = [line[:len(expected[0])] for line in lines[:len(expected)]]
        assert drawn == expected
