"""Draw an effective receptive field (`quiz.engine.erf.EffectiveField`) as text: the gradient
magnitude of one unit per input pixel as shaded blocks, inside a box that is the unit's
theoretical field.

`draw_effective_field` returns a Rich `Text` (coloured, for a terminal or the TUI);
`effective_field_text` its plain characters. Each pixel is two characters wide so that a square
field looks roughly square. Drawn is the part of the theoretical field inside the image; a side
of the box where the field runs on past the image's border is dashed. A field too large for
``width`` columns or ``max_rows`` lines is scaled down (one cell for a block of pixels, shaded
by their mean); a note says so.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
from rich.style import Style
from rich.text import Text

from quiz.engine.erf import Box, EffectiveField

__all__ = ["FRAME", "SHADES", "draw_effective_field", "effective_field_text", "field_region",
           "shade_levels"]

# level 0: no path reaches the pixel; levels 1-4: up to 25 / 50 / 75 / 100 % of the peak
SHADES = ("· ", "░░", "▒▒", "▓▓", "██")
SHADE_STYLES = (Style(dim=True), Style(color="blue"), Style(color="cyan"),
                Style(color="yellow"), Style(color="red", bold=True))
FRAME = {"solid": ("┌", "┐", "└", "┘", "──", "│"), "dashed": ("┌", "┐", "└", "┘", "┄┄", "┆")}
FRAME_STYLE = Style(color="green")
MIN_WIDTH = 40


def field_region(field: EffectiveField) -> tuple[Box, Box]:
    """The pixels drawn (the theoretical field inside the image) and the box they stand in
    (the theoretical field itself; the support when there is no uniform field)."""
    outer = field.theoretical or field.support or Box(0, 0, field.input_hw[0] - 1,
                                                      field.input_hw[1] - 1)
    inner = Box(max(0, outer.top), max(0, outer.left),
                min(field.input_hw[0] - 1, outer.bottom), min(field.input_hw[1] - 1, outer.right))
    return inner, outer


def _scale(region: Box, width: int, max_rows: int) -> int:
    rows, cols = region.size
    col_budget = (width - 2) // 2  # two characters a cell, one for each side of the box
    return max(1, math.ceil(rows / max_rows), math.ceil(cols / col_budget))


def shade_levels(values: np.ndarray, scale: int) -> np.ndarray:
    """Shade level (0-4) of each block of ``scale`` x ``scale`` pixels: 0 when no pixel of the
    block reaches the unit, else 1-4 by the block's mean against the largest block mean."""
    rows, cols = (math.ceil(n / scale) for n in values.shape)
    means = np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            means[r, c] = values[r * scale:(r + 1) * scale, c * scale:(c + 1) * scale].mean()
    peak = means.max()
    if peak <= 0:
        return np.zeros((rows, cols), dtype=int)
    levels = np.ceil(4 * means / peak).astype(int)
    return np.clip(levels, 0, 4)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value < 1e9 else f"{value:.3g}"


def _header(field: EffectiveField) -> list[str]:
    (h, w), (oh, ow) = field.input_hw, field.output_hw
    lines = [f"effective receptive field of unit {field.unit} of '{field.name}' "
             f"({oh}x{ow} map) on the {h}x{w} input",
             "|d unit / d input| with every weight 1 and every nonlinearity taken as identity: "
             "the number of paths from each input pixel to the unit (Luo et al. 2016, uniform "
             "weights; pooling counted as an all-ones window)"]
    box = field.theoretical
    if box is not None:
        size = box.size
        holes = ", with holes (gridding)" if field.rf is not None and field.rf.holes else ""
        lines.append(f"theoretical field (the box) {size[0]}x{size[1]}{holes}: input rows "
                     f"{box.top}..{box.bottom}, columns {box.left}..{box.right}")
    else:
        lines.append("no uniform theoretical field here (paths with different strides): the "
                     "box is the bounding box of the pixels that reach the unit")
    sigma = field.spread() if field.mass > 0 else (0.0, 0.0)
    lines.append(f"gradient mass {_number(field.mass)}, peak {_number(float(field.values.max()))}"
                 f" at input {field.peak}; spread (std) {sigma[0]:.1f} x {sigma[1]:.1f} pixels")
    return lines


def _legend(width: int, colour: bool) -> Text:
    """Each shade in its own colour and what it stands for, folded at ``width``."""
    items = [(SHADES[level].strip() or SHADES[level], SHADE_STYLES[level], label)
             for level, label in enumerate(("no path", "up to 25% of the peak", "50%", "75%",
                                            "100%"))]
    items.append(("┌┐", FRAME_STYLE, "theoretical field"))
    legend = Text()
    used = 0
    for glyph, style, label in items:
        size = len(glyph) + 1 + len(label)
        if used and used + 2 + size > width:
            legend.append("\n")
            used = 0
        elif used:
            legend.append("  ")
            used += 2
        legend.append(glyph, style if colour else None)
        legend.append(" " + label, Style(dim=True) if colour else None)
        used += size
    return legend


def _notes(field: EffectiveField, inner: Box, outer: Box, scale: int) -> list[str]:
    notes = []
    if inner != outer:
        size = outer.size
        notes.append(f"the theoretical field ({size[0]}x{size[1]}) runs past the "
                     f"{field.input_hw[0]}x{field.input_hw[1]} input: its dashed sides are "
                     "the input's border")
    if scale > 1:
        notes.append(f"scaled: 1 cell = {scale}x{scale} pixels, shaded by their mean")
    return notes


def _frame_line(kind: str, cells: int, left: str, right: str, colour: bool) -> Text:
    return Text(left + FRAME[kind][4] * cells + right, FRAME_STYLE if colour else "")


def _grid(levels: np.ndarray, inner: Box, outer: Box, colour: bool) -> list[Text]:
    """The shaded cells inside the box; a side is dashed where the field was clipped."""
    sides = {name: "solid" if getattr(inner, name) == getattr(outer, name) else "dashed"
             for name in ("top", "bottom", "left", "right")}
    cells = levels.shape[1]
    left, right = FRAME[sides["left"]][5], FRAME[sides["right"]][5]
    lines = [_frame_line(sides["top"], cells, FRAME["solid"][0], FRAME["solid"][1], colour)]
    for row in levels:
        line = Text(left, FRAME_STYLE if colour else "")
        for level in row:
            line.append(SHADES[level], SHADE_STYLES[level] if colour else None)
        line.append(right, FRAME_STYLE if colour else None)
        lines.append(line)
    lines.append(_frame_line(sides["bottom"], cells, FRAME["solid"][2], FRAME["solid"][3],
                             colour))
    return lines


def draw_effective_field(field: EffectiveField, width: int = 80, max_rows: int = 32,
                         colour: bool = True) -> Text:
    """The figure as Rich Text of at most ``width`` columns (``colour=False``: no styles)."""
    width = max(MIN_WIDTH, width)
    inner, outer = field_region(field)
    scale = _scale(inner, width, max_rows)
    values = field.values[inner.top:inner.bottom + 1, inner.left:inner.right + 1]
    out = Text()

    def text_line(text: str, style: Style | None = None) -> None:
        for part in textwrap.wrap(text, width) or [""]:
            out.append(part + "\n", style if colour else None)

    for number, line in enumerate(_header(field)):
        text_line(line, Style(bold=True) if number == 0 else None)
    out.append_text(_legend(width, colour))
    out.append("\n")
    for note in _notes(field, inner, outer, scale):
        text_line(note, Style(italic=True))
    out.append("\n")
    for row in _grid(shade_levels(values, scale), inner, outer, colour):
        out.append_text(row)
        out.append("\n")
    out.rstrip()
    return out


def effective_field_text(field: EffectiveField, width: int = 80, max_rows: int = 32) -> str:
    """The figure as plain characters."""
    return draw_effective_field(field, width, max_rows, colour=False).plain
