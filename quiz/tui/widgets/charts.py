"""Small terminal charts as Rich `Text`: columns drawn with eighth blocks, horizontal bars.

Textual's `Sparkline` is one row of eight levels with no axis; these charts are a few rows tall
(so 30 days show 40 levels), carry their scale on a labelled axis, and mark days without data,
which is what a learner needs to read "how many" and not only "more or less".
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text

EIGHTHS = " ▁▂▃▄▅▆▇█"
FULL = "█"


def _fill(value: float, low: float, high: float, height: int) -> int:
    """How many eighths of the column's `height` rows `value` fills. Any positive value shows at
    least one eighth, so a day with one review is never drawn as a day with none, and a week at
    or under the axis floor is not drawn as a week without data."""
    if high <= low:
        return 0
    share = (min(max(value, low), high) - low) / (high - low)
    eighths = round(share * height * 8)
    return max(eighths, 1) if value > 0 else 0


def column_chart(
    values: Sequence[float | None], *, height: int, low: float, high: float,
    top_label: str, bottom_label: str, first_label: str = "", last_label: str = "",
    column_width: int = 1, gap: int = 0, style: str = "cyan",
) -> Text:
    """A column per value, `height` rows tall, `low`..`high` on the axis; None is "no data"
    (a dim dot on the baseline)."""
    axis_width = max(cell_len(top_label), cell_len(bottom_label))
    fills = [None if v is None else _fill(v, low, high, height) for v in values]
    text = Text(no_wrap=True)
    for row in range(height - 1, -1, -1):
        label = top_label if row == height - 1 else bottom_label if row == 0 else ""
        text.append(label.rjust(axis_width), style="dim")
        text.append("┤" if label else "│", style="dim")
        for fill in fills:
            if fill is None:
                text.append(("·" if row == 0 else " ").center(column_width), style="dim")
            else:
                level = min(max(fill - row * 8, 0), 8)
                text.append(EIGHTHS[level] * column_width, style=style)
            text.append(" " * gap)
        text.append("\n")
    chart_width = len(values) * (column_width + gap) - gap
    text.append(" " * (axis_width + 1))
    if first_label or last_label:
        room = max(chart_width - cell_len(first_label) - cell_len(last_label), 1)
        text.append(first_label + " " * room + last_label, style="dim")
    return text


def bar(value: float, largest: float, width: int) -> str:
    """A horizontal bar of up to `width` cells, in eighths of a cell."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(round(width * 8 * value / largest), 1)
    return FULL * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")


def nice_ceiling(value: float) -> int:
    """The axis top: `value` rounded up to 1, 2 or 5 × a power of ten (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude
