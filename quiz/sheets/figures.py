"""The geometry figure of a key's numeric item, for the HTML key (inline SVG) and the PDF key
(plain data the typst template draws as rectangles).

An item gets a figure when its instance runs one net of a single conv / pool / transposed conv
layer (the engine's `quiz.engine.picture.spec_picture` of that layer on the net's input): the
padded input with the kernel at its first positions and the output grid, one panel per
position, as in the terminal (`quiz.render.geometry`) and Dumoulin & Visin's guide. A
receptive-field item gets its effective field (`quiz.engine.erf`, Luo et al. 2016): the
theoretical field's pixels shaded by how strongly each reaches the unit, as `g` shows it in the
TUI and `quiz calc net --draw-rf` in the terminal (`quiz.render.rf_picture`).

Safety: the SVG is built from numbers and this module's constant names and colours; every
text (title, captions, notes) goes through `html.escape`. The typst data is JSON the template
shows as text, like the rest of the PDF (quiz.sheets.pdf). Nothing from the bank is markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quiz.engine.picture import Cell, LayerPicture, Placement, net_picture
from quiz.sheets.model import NUMERIC, SheetItem

if TYPE_CHECKING:
    from quiz.engine.erf import EffectiveField

__all__ = ["CANVAS_LIMIT", "Figure", "Panel", "field_figure", "figure_of", "figure_svg",
           "figure_typst", "item_figure", "net_picture", "svg_style"]

CANVAS_LIMIT = 12  # canvas cells drawn per axis, unless the kernel's first positions need more
EXTENT_LIMIT = 48  # a kernel reaching further than this is not drawn (cells would be specks)
OUTPUT_LIMIT = 8  # output cells drawn per axis
WIDTH = 640  # SVG width in px (about the key's 180 mm text width)
MAX_CELL = 14  # px
GAP = 24  # px between panels
LINE = 16  # px per text line

# What each drawn cell is; the SVG's fills and the typst template's use the same names.
# erf0-erf4: an effective field's shade levels (no path; up to 25 / 50 / 75 / 100 % of the peak).
KINDS = ("input", "pad", "hole", "kernel", "kernel_zero", "output", "current",
         "erf0", "erf1", "erf2", "erf3", "erf4")
FILLS = {"input": "#cfe0f5", "pad": "#dedede", "hole": "#ffffff", "kernel": "#f2b134",
         "kernel_zero": "#f7dca6", "output": "#cdebd3", "current": "#f2b134",
         "erf0": "#ffffff", "erf1": "#fde7c8", "erf2": "#f9bf76", "erf3": "#ee8a32",
         "erf4": "#c0501a"}
FIELD_LEGEND = (("erf0", "无路径 no path"), ("erf1", "≤25%"), ("erf2", "≤50%"), ("erf3", "≤75%"),
                ("erf4", "≤100% 峰值 of the peak"))
FIELD_LIMIT = 32  # cells per axis of an effective field; a larger field is drawn in blocks
LEGEND = (("input", "输入 input"), ("pad", "填充 padding"), ("hole", "插入的零 inserted zero"),
          ("kernel", "卷积核在输入上 kernel on input"),
          ("kernel_zero", "卷积核在填充/零上 kernel on padding/zero"))


@dataclass(frozen=True)
class Panel:
    """The kernel at one output position: the drawn canvas cells and output cells, each a
    kind of `KINDS`, row by row."""

    label: str  # "1. 输出 (0, 0)", over the panel
    caption: str  # what the kernel reads there, under the panels
    canvas: tuple[tuple[str, ...], ...]
    output: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    title: str
    sizes: str  # "input 5x5 -> output 3x3"
    notes: tuple[str, ...]
    legend: tuple[tuple[str, str], ...]
    panels: tuple[Panel, ...]

    @property
    def canvas_hw(self) -> tuple[int, int]:
        canvas = self.panels[0].canvas
        return len(canvas), len(canvas[0])

    @property
    def output_hw(self) -> tuple[int, int]:
        output = self.panels[0].output
        return len(output), len(output[0])


def _extent(placements: Sequence[Placement]) -> tuple[int, int]:
    rows = cols = 1
    for placement in placements:
        for r, c in placement.taps:
            rows, cols = max(rows, r + 1), max(cols, c + 1)
    return rows, cols


def _canvas(picture: LayerPicture, rows: int, cols: int,
            placement: Placement) -> tuple[tuple[str, ...], ...]:
    grid = [[picture.cell(r, c).value for c in range(cols)] for r in range(rows)]
    for r, c in placement.taps:
        grid[r][c] = "kernel" if picture.cell(r, c) is Cell.INPUT else "kernel_zero"
    return tuple(tuple(row) for row in grid)


def _label(number: int, placement: Placement) -> str:
    row, col = placement.output
    return f"{number}. 输出 ({row}, {col})"


def _caption(picture: LayerPicture, number: int, placement: Placement) -> str:
    counts = {Cell.INPUT: 0, Cell.PAD: 0, Cell.HOLE: 0}
    for r, c in placement.taps:
        counts[picture.cell(r, c)] += 1
    parts = [f"{counts[Cell.INPUT]} 个输入像素"]
    if counts[Cell.PAD]:
        parts.append(f"{counts[Cell.PAD]} 个填充")
    if counts[Cell.HOLE]:
        parts.append(f"{counts[Cell.HOLE]} 个插入的零")
    return f"{_label(number, placement)} 读 " + " + ".join(parts)


def _notes(picture: LayerPicture, canvas: tuple[int, int], output: tuple[int, int]) -> list[str]:
    notes = []
    if picture.kind == "convT":
        notes.append("转置卷积画成等价的卷积：输入像素之间插入零、再填充，核以步长 1 滑动")
    full = (picture.rows.size, picture.cols.size)
    if canvas != full:
        notes.append(f"只画出 {full[0]}x{full[1]} 画布左上角的 {canvas[0]}x{canvas[1]}")
    if output != picture.output_hw:
        notes.append(f"只画出 {picture.output_hw[0]}x{picture.output_hw[1]} 输出左上角的 "
                     f"{output[0]}x{output[1]}")
    cropped = [picture.input_hw[i] - sum(cell is Cell.INPUT for cell in axis.cells)
               for i, axis in enumerate((picture.rows, picture.cols))]
    if any(cropped):
        notes.append(f"负的填充裁掉了 {cropped[0]} 行、{cropped[1]} 列输入")
    return notes


def figure_of(picture: LayerPicture) -> Figure | None:
    """What the keys draw of `picture`: the top-left of the canvas (at least as far as the
    kernel's first positions reach) and of the output; None when the kernel reaches too far
    to draw legibly or the picture has no placement."""
    if not picture.placements:
        return None
    need = _extent(picture.placements)
    if max(need) > EXTENT_LIMIT:
        return None
    rows = min(picture.rows.size, max(CANVAS_LIMIT, need[0]))
    cols = min(picture.cols.size, max(CANVAS_LIMIT, need[1]))
    out_rows, out_cols = (min(size, OUTPUT_LIMIT) for size in picture.output_hw)
    panels = []
    for number, placement in enumerate(picture.placements, start=1):
        output = tuple(tuple("current" if (r, c) == placement.output else "output"
                             for c in range(out_cols)) for r in range(out_rows))
        panels.append(Panel(_label(number, placement), _caption(picture, number, placement),
                            _canvas(picture, rows, cols, placement), output))
    has_holes = any(cell is Cell.HOLE for axis in (picture.rows, picture.cols)
                    for cell in axis.cells)
    legend = tuple(item for item in LEGEND if item[0] != "hole" or has_holes)
    (h, w), (oh, ow) = picture.input_hw, picture.output_hw
    return Figure(picture.title, f"输入 input {h}x{w} → 输出 output {oh}x{ow}",
                  tuple(_notes(picture, (rows, cols), (out_rows, out_cols))), legend,
                  tuple(panels))


def field_figure(field: EffectiveField) -> Figure:
    """What the keys draw of an effective field: the theoretical field's pixels inside the
    image (the whole canvas is that box), each shaded by its share of the peak; the unit as the
    one output cell."""
    from quiz.render.rf_picture import field_region, shade_levels

    inner, outer = field_region(field)
    scale = max(1, math.ceil(max(inner.size) / FIELD_LIMIT))
    values = field.values[inner.top:inner.bottom + 1, inner.left:inner.right + 1]
    canvas = tuple(tuple(f"erf{level}" for level in row)
                   for row in shade_levels(values, scale).tolist())
    notes = [f"理论感受野 theoretical field {outer.size[0]}x{outer.size[1]}（整块画布 the whole "
             f"canvas）；颜色：从该像素到这个单元的路径数 paths from the pixel to the unit"]
    if scale > 1:
        notes.append(f"缩小：一格 = {scale}x{scale} 个像素的平均 one cell = {scale}x{scale} "
                     "pixels, their mean")
    if inner != outer:
        notes.append("理论感受野伸出图像边界的部分未画 the part past the image border is not "
                     "drawn")
    (h, w), (oh, ow) = field.input_hw, field.output_hw
    row, col = field.unit
    label = f"单元 unit ({row}, {col}) of '{field.name}'"
    caption = (f"{label}：有效感受野集中在中间（Luo et al. 2016），理论感受野是外框 the effective "
               "field is concentrated in the middle of the theoretical one")
    return Figure(f"有效感受野 effective receptive field · {field.name}",
                  f"输入 input {h}x{w} → {oh}x{ow}", tuple(notes), FIELD_LEGEND,
                  (Panel(label, caption, canvas, (("current",),)),))


def item_figure(item: SheetItem) -> Figure | None:
    """The figure under a key item's worked solution: the layer of a one-layer instance, the
    effective field of a receptive-field instance; None for others."""
    if item.kind != NUMERIC:
        return None
    picture = net_picture(item.nets)
    if picture is not None:
        return figure_of(picture)
    if item.family == "receptive-field":
        from quiz.engine.erf import instance_effective_field

        field = instance_effective_field(item.nets)
        return field_figure(field) if field is not None else None
    return None


# SVG


def _cell_size(figure: Figure) -> int:
    columns = max(figure.canvas_hw[1], figure.output_hw[1])
    panels = len(figure.panels)
    return max(3, min(MAX_CELL, (WIDTH - GAP * (panels - 1)) // (panels * columns)))


def _text(x: int, y: int, text: str, size: int = 11, weight: str = "normal") -> str:
    return (f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" '
            f'fill="#222">{html.escape(text)}</text>')


def _rects(grid: tuple[tuple[str, ...], ...], left: int, top: int, cell: int,
           group: str) -> str:
    rects = "".join(
        f'<rect x="{left + c * cell}" y="{top + r * cell}" width="{cell}" height="{cell}" '
        f'class="{kind}"/>'
        for r, row in enumerate(grid) for c, kind in enumerate(row))
    return f'<g class="{group}" stroke="#888" stroke-width="0.5">{rects}</g>'


def _legend_svg(figure: Figure, top: int) -> tuple[str, int]:
    parts, x = [], 0
    for kind, label in figure.legend:
        width = 22 + 11 * len(label)  # CJK labels: about a full em a character
        if x and x + width > WIDTH:
            x, top = 0, top + LINE
        parts.append(f'<rect x="{x}" y="{top - 9}" width="10" height="10" fill="{FILLS[kind]}" '
                     'stroke="#888" stroke-width="0.5"/>')
        parts.append(_text(x + 14, top, label, size=10))
        x += width
    return "".join(parts), top + LINE


def svg_style() -> str:
    """The cells' fills, once per page rather than on each of a figure's hundreds of cells."""
    return " ".join(f"svg.figure rect.{kind} {{ fill: {FILLS[kind]}; }}" for kind in KINDS)


def figure_svg(figure: Figure) -> str:
    """The figure as an inline `<svg>` element (no script, no external reference)."""
    cell = _cell_size(figure)
    parts = [_text(0, 13, figure.title, size=12, weight="bold"), _text(0, 13 + LINE, figure.sizes)]
    top = 13 + 2 * LINE
    legend, top = _legend_svg(figure, top)
    parts.append(legend)
    for note in figure.notes:
        parts.append(_text(0, top, note, size=10))
        top += LINE
    canvas_h = figure.canvas_hw[0] * cell
    output_h = figure.output_hw[0] * cell
    panel_w = max(figure.canvas_hw[1], figure.output_hw[1]) * cell
    for index, panel in enumerate(figure.panels):
        left = index * (panel_w + GAP)
        parts.append(f'<g class="panel">{_text(left, top, panel.label, size=10)}'
                     f'{_rects(panel.canvas, left, top + 6, cell, "canvas")}'
                     f'{_rects(panel.output, left, top + 6 + canvas_h + cell, cell, "output")}'
                     "</g>")
    top += 6 + canvas_h + cell + output_h + LINE
    for panel in figure.panels:
        parts.append(_text(0, top, panel.caption, size=10))
        top += LINE
    height = top - LINE + 4
    width = max(len(figure.panels) * (panel_w + GAP) - GAP, 1)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="figure" width="{max(width, WIDTH)}"'
            f' height="{height}" viewBox="0 0 {max(width, WIDTH)} {height}" role="img">'
            + "".join(parts) + "</svg>")


# typst


def figure_typst(figure: Figure) -> dict[str, Any]:
    """The figure as JSON data for the PDF template: texts it shows as text, kinds it maps to
    fills, and the cell size in points."""
    columns = max(figure.canvas_hw[1], figure.output_hw[1])
    panels = len(figure.panels)
    # the key's text width is 174 mm ≈ 493 pt; panels 14 pt apart
    cell = max(2.0, min(9.0, (480 - 14 * (panels - 1)) / (panels * columns)))
    return {"title": figure.title, "sizes": figure.sizes, "notes": list(figure.notes),
            "legend": [{"kind": kind, "label": label} for kind, label in figure.legend],
            "fills": FILLS, "cell": round(cell, 2),
            "panels": [{"label": panel.label, "caption": panel.caption,
                        "canvas": [list(row) for row in panel.canvas],
                        "output": [list(row) for row in panel.output]}
                       for panel in figure.panels]}
