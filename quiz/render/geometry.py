"""Draw a layer's geometry (`quiz.engine.picture.LayerPicture`) as text: the padded input with
the kernel at its first positions, beside the output grid with the cell it computes.

`draw_geometry` returns a Rich `Text` (coloured, for a terminal or the TUI); `geometry_text`
its plain characters (files, pipes, tests). Each cell is one character and a space, so that a
square grid looks roughly square in a terminal. Everything fits in ``width`` columns: a canvas
too large is cropped to its top-left corner (where the first windows are), and scaled down
(one character for a block of cells) when even the first windows do not fit; a note says so.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from quiz.engine.picture import Cell, LayerPicture, Placement

__all__ = ["GLYPHS", "draw_geometry", "geometry_text"]

GLYPHS = {
    "input": "□", "pad": "·", "hole": "○", "kernel": "■", "kernel_zero": "▣",
    "output": "□", "current": "■",
}
STYLES = {
    "input": Style(color="blue"), "pad": Style(dim=True), "hole": Style(dim=True),
    "kernel": Style(color="yellow", bold=True), "kernel_zero": Style(color="yellow"),
    "output": Style(color="green"), "current": Style(color="yellow", bold=True),
}
GAP = 4  # spaces between the input canvas and the output grid
MAX_OUTPUT_COLS = 8  # the output grid needs only its first cells to show the placements
MIN_WIDTH = 40


@dataclass(frozen=True)
class _View:
    """The part of the canvas and of the output drawn, and how many cells one glyph stands for."""

    rows: int  # canvas rows shown (from the top)
    cols: int
    scale: int
    out_rows: int
    out_cols: int


def _extent(placements: Iterable[Placement]) -> tuple[int, int]:
    """Rows and columns of the canvas that the placements reach, counted from the top-left."""
    rows = cols = 1
    for placement in placements:
        for r, c in placement.taps:
            rows, cols = max(rows, r + 1), max(cols, c + 1)
    return rows, cols


def _view(picture: LayerPicture, width: int, max_rows: int) -> _View:
    out_rows = min(picture.output_hw[0], max_rows)
    out_cols = min(picture.output_hw[1], MAX_OUTPUT_COLS)
    row_budget = max_rows
    col_budget = max(4, (width - GAP - (2 * out_cols - 1) + 1) // 2)
    canvas_rows, canvas_cols = picture.rows.size, picture.cols.size
    if canvas_rows <= row_budget and canvas_cols <= col_budget:
        return _View(canvas_rows, canvas_cols, 1, out_rows, out_cols)
    need_rows, need_cols = _extent(picture.placements)
    scale = max(1, math.ceil(need_rows / row_budget), math.ceil(need_cols / col_budget))
    return _View(min(canvas_rows, row_budget * scale), min(canvas_cols, col_budget * scale),
                 scale, out_rows, out_cols)


def _block_cells(cells: tuple[Cell, ...], shown: int, scale: int) -> list[set[Cell]]:
    """Along one axis: the kinds of canvas cell in each block of ``scale`` (of ``shown``)."""
    return [set(cells[start:min(shown, start + scale)]) for start in range(0, shown, scale)]


def _glyph_kinds(picture: LayerPicture, view: _View,
                 placement: Placement | None) -> list[list[str]]:
    """The glyph of every block of canvas cells drawn: the kernel shows first, then any input
    pixel, then inserted zeros, then padding. Worked out per axis (a block holds an input
    pixel when its rows and its columns both do), so a scaled view costs no more than the
    glyphs and the taps."""
    rows = _block_cells(picture.rows.cells, view.rows, view.scale)
    cols = _block_cells(picture.cols.cells, view.cols, view.scale)
    not_pad = {Cell.INPUT, Cell.HOLE}
    grid = []
    for row_kinds in rows:
        line = []
        for col_kinds in cols:
            if Cell.INPUT in row_kinds and Cell.INPUT in col_kinds:
                line.append("input")
            elif ((Cell.HOLE in row_kinds and col_kinds & not_pad)
                  or (Cell.HOLE in col_kinds and row_kinds & not_pad)):
                line.append("hole")
            else:
                line.append("pad")
        grid.append(line)
    for r, c in placement.taps if placement else ():
        if r < view.rows and c < view.cols:
            glyph = grid[r // view.scale]
            on_input = picture.cell(r, c) is Cell.INPUT
            if on_input or glyph[c // view.scale] != "kernel":
                glyph[c // view.scale] = "kernel" if on_input else "kernel_zero"
    return grid


def _grid_line(kinds: list[str], colour: bool) -> Text:
    line = Text()
    for index, kind in enumerate(kinds):
        if index:
            line.append(" ")
        line.append(GLYPHS[kind], STYLES[kind] if colour else None)
    return line


def _panel(picture: LayerPicture, view: _View, placement: Placement | None,
           colour: bool) -> list[Text]:
    grid = _glyph_kinds(picture, view, placement)
    input_width = 2 * len(grid[0]) - 1
    current = placement.output if placement else None
    lines = []
    for row in range(max(len(grid), view.out_rows)):
        line = _grid_line(grid[row], colour) if row < len(grid) else Text()
        if row < view.out_rows:
            line.append(" " * (input_width - line.cell_len + GAP))
            line.append_text(_grid_line(
                ["current" if (row, col) == current else "output"
                 for col in range(view.out_cols)], colour))
        lines.append(line)
    return lines


def _caption(picture: LayerPicture, number: int, placement: Placement) -> str:
    counts = {Cell.INPUT: 0, Cell.PAD: 0, Cell.HOLE: 0}
    for r, c in placement.taps:
        counts[picture.cell(r, c)] += 1
    parts = [f"{counts[Cell.INPUT]} input pixel{'s' if counts[Cell.INPUT] != 1 else ''}"]
    if counts[Cell.PAD]:
        parts.append(f"{counts[Cell.PAD]} padding")
    if counts[Cell.HOLE]:
        parts.append(f"{counts[Cell.HOLE]} inserted zero{'s' if counts[Cell.HOLE] != 1 else ''}")
    row, col = placement.output
    return f"{number}. output ({row}, {col}) reads " + " + ".join(parts)


def _legend(picture: LayerPicture, width: int, colour: bool) -> Text:
    """Each glyph in its own colour and what it stands for, folded at ``width``."""
    items = [("input", "input"), ("pad", "padding")]
    if any(cell is Cell.HOLE for axis in (picture.rows, picture.cols) for cell in axis.cells):
        items.append(("hole", "inserted zero"))
    items += [("kernel", "kernel on input"), ("kernel_zero", "kernel on padding/zero")]
    legend = Text()
    used = 0
    for kind, label in items:
        size = len(label) + 2
        if used and used + 2 + size > width:
            legend.append("\n")
            used = 0
        elif used:
            legend.append("  ")
            used += 2
        legend.append(GLYPHS[kind], STYLES[kind] if colour else None)
        legend.append(" " + label, Style(dim=True) if colour else None)
        used += size
    return legend


def _notes(picture: LayerPicture, view: _View) -> list[str]:
    notes = []
    canvas = f"{picture.rows.size}x{picture.cols.size}"
    if (view.rows, view.cols) != (picture.rows.size, picture.cols.size):
        notes.append(f"cropped: the top-left {view.rows}x{view.cols} of the {canvas} canvas")
    cropped = [picture.input_hw[i] - sum(cell is Cell.INPUT for cell in axis.cells)
               for i, axis in enumerate((picture.rows, picture.cols))]
    if any(cropped):
        notes.append(f"the padding crops {cropped[0]} input row(s) and {cropped[1]} "
                     "column(s) that no output reads")
    if view.scale > 1:
        notes.append(f"scaled: 1 cell drawn = {view.scale}x{view.scale} cells")
    if (view.out_rows, view.out_cols) != picture.output_hw:
        notes.append(f"output: the top-left {view.out_rows}x{view.out_cols} of "
                     f"{picture.output_hw[0]}x{picture.output_hw[1]}")
    return notes


def _header(picture: LayerPicture) -> list[str]:
    (h, w), (oh, ow) = picture.input_hw, picture.output_hw
    lines = [picture.title, f"input {h}x{w} -> output {oh}x{ow}"]
    if picture.kind == "convT":
        lines.append("drawn as its equivalent convolution: stride-1 kernel over the input "
                     "with zeros inserted between pixels and padded")
    return lines


def draw_geometry(picture: LayerPicture, width: int = 80, max_rows: int = 14,
                  colour: bool = True) -> Text:
    """The whole figure as Rich Text of at most ``width`` columns (``colour=False``: no
    styles). One panel per placement of ``picture`` (one bare panel when it has none)."""
    width = max(MIN_WIDTH, width)
    view = _view(picture, width, max_rows)
    out = Text()

    def text_line(text: str, style: Style | None = None) -> None:
        for part in textwrap.wrap(text, width) or [""]:
            out.append(part + "\n", style if colour else None)

    for line in _header(picture):
        text_line(line, Style(bold=True) if line is picture.title else None)
    out.append_text(_legend(picture, width, colour))
    out.append("\n")
    for note in _notes(picture, view):
        text_line(note, Style(italic=True))
    panels: list[Placement | None] = list(picture.placements) or [None]
    for number, placement in enumerate(panels, start=1):
        out.append("\n")
        if placement is not None:
            text_line(_caption(picture, number, placement))
        for row in _panel(picture, view, placement, colour):
            out.append_text(row)
            out.append("\n")
    out.rstrip()
    return out


def geometry_text(picture: LayerPicture, width: int = 80, max_rows: int = 14) -> str:
    """The figure as plain characters."""
    return draw_geometry(picture, width, max_rows, colour=False).plain
