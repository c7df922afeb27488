"""Receptive fields by running: back-propagate a one-hot output through the layers' adjoints
(a convolution's adjoint is its transpose, a pooling window's is the same transpose with a
ones kernel) and read which input positions it reaches.

Coordinates: position ``q`` of any feature map is identified with input pixels through
``start + q * jump``; ``size`` is the extent of the support of one output unit. ``start`` is
negative when the first window reaches into the padding (-start is the effective padding).

The closed form (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019) gives the same numbers by a recursion over the layers; residual and
concat blocks take the union of their paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quiz.engine import ops
from quiz.engine.layers import Layer, NotSpatialError, Window
from quiz.engine.network import Concat, Item, NetRun, Residual

__all__ = [
    "RFInfo",
    "coverage",
    "draw_support",
    "net_receptive_fields",
    "receptive_field",
    "receptive_field_closed_form",
]


@dataclass(frozen=True)
class RFInfo:
    size: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[int, int]
    holes: bool = False  # some position inside the field never reaches the unit (gridding)

    @property
    def padding(self) -> tuple[int, int]:
        """Effective padding: how far the first window reaches before the image."""
        return (-self.start[0], -self.start[1])


# --------------------------------------------------------------------------------------------
# spatial bookkeeping shared by both methods
# --------------------------------------------------------------------------------------------
def _out_hw(layer: Layer, hw: tuple[int, int]) -> tuple[int, int]:
    """Spatial output size of a layer (without running it), to know adaptive pools' windows."""
    window = _window_or_none(layer, hw)
    if window is None:
        return hw
    ceil = bool(getattr(layer, "ceil_mode", False))
    return tuple(  # type: ignore[return-value]
        ops.pool_output_size(s, k, st, p, d, ceil) if ceil else
        ops.conv_output_size(s, k, st, 2 * p + _same_extra(layer, axis, hw), d)
        for axis, (s, k, st, p, d) in enumerate(zip(hw, window.kernel, window.stride,
                                                    window.padding, window.dilation, strict=True))
    )


def _same_extra(layer: Layer, axis: int, hw: tuple[int, int]) -> int:
    """'same' padding with an odd total puts one more row/column after: count it."""
    applied = getattr(layer, "applied_padding", None)
    if applied is None:
        return 0
    before, after = applied(hw)[axis]
    return after - before


def _window_or_none(layer: Layer, hw: tuple[int, int]) -> Window | None:
    return layer.window(hw)


def _walk_hw(items: Sequence[Item], hw: tuple[int, int]) -> tuple[int, int]:
    for item in items:
        if isinstance(item, Residual):
            hw = _walk_hw(item.body, hw)
        elif isinstance(item, Concat):
            hw = _walk_hw(item.branches[0], hw)
        else:
            hw = _out_hw(item, hw)
    return hw


# --------------------------------------------------------------------------------------------
# back-propagating a one-hot
# --------------------------------------------------------------------------------------------
@dataclass
class _Canvas:
    """Non-negative map over a window of a feature map: index u is coordinate u + offset."""

    values: np.ndarray  # (H, W)
    offset: tuple[int, int]

    def union(self, other: _Canvas) -> _Canvas:
        top = min(self.offset[0], other.offset[0])
        left = min(self.offset[1], other.offset[1])
        bottom = max(self.offset[0] + self.values.shape[0], other.offset[0] + other.values.shape[0])
        right = max(self.offset[1] + self.values.shape[1], other.offset[1] + other.values.shape[1])
        merged = np.zeros((bottom - top, right - left))
        for part in (self, other):
            r, c = part.offset[0] - top, part.offset[1] - left
            merged[r:r + part.values.shape[0], c:c + part.values.shape[1]] += part.values
        return _Canvas(merged, (top, left))


def _adjoint_window(canvas: _Canvas, window: Window) -> _Canvas:
    """Apply the adjoint of a sliding window with an all-ones kernel (transposed conv).

    No padding in the transpose: the canvas grows to every input coordinate reached, and the
    forward padding only shifts the coordinates (offset_in = offset_out * stride - padding).
    """
    kernel = np.ones((1, 1, *window.kernel))
    grown = ops.conv_transpose2d(canvas.values[None, None], kernel, stride=window.stride,
                                 dilation=window.dilation)[0, 0]
    offset = tuple(o * s - p for o, s, p in
                   zip(canvas.offset, window.stride, window.padding, strict=True))
    return _Canvas(grown, offset)  # type: ignore[arg-type]


def _backprop(items: Sequence[Item], canvas: _Canvas, hw_in: tuple[int, int]) -> _Canvas:
    """Carry ``canvas`` (on the output of ``items``) back to their input."""
    sizes = [hw_in]
    for item in items[:-1]:
        sizes.append(_walk_hw([item], sizes[-1]))
    for item, hw in zip(reversed(items), reversed(sizes), strict=True):
        if isinstance(item, Residual):
            through_body = _backprop(item.body, canvas, hw)
            through_skip = _backprop(item.shortcut, canvas, hw) if item.shortcut else canvas
            canvas = through_body.union(through_skip)
        elif isinstance(item, Concat):
            parts = [_backprop(branch, canvas, hw) for branch in item.branches]
            canvas = parts[0]
            for part in parts[1:]:
                canvas = canvas.union(part)
        else:
            window = item.window(hw)
            if window is not None:
                canvas = _adjoint_window(canvas, window)
    return canvas


def _support_bounds(canvas: _Canvas) -> tuple[tuple[int, int], tuple[int, int], bool]:
    """(first coordinate, size) per axis of the non-zero support, and whether it has holes."""
    rows = np.flatnonzero(canvas.values.any(axis=1))
    cols = np.flatnonzero(canvas.values.any(axis=0))
    start = (int(rows[0]) + canvas.offset[0], int(cols[0]) + canvas.offset[1])
    size = (int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1)
    box = canvas.values[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return start, size, bool((box == 0).any())


def _rf_by_backprop(items: Sequence[Item], input_hw: tuple[int, int]) -> RFInfo | None:
    """RF of the output of ``items`` from one-hots at output coordinates (0, 0) and (1, 1)."""
    try:
        first = _backprop(items, _Canvas(np.ones((1, 1)), (0, 0)), input_hw)
        second = _backprop(items, _Canvas(np.ones((1, 1)), (1, 1)), input_hw)
    except NotSpatialError:
        return None
    start, size, holes = _support_bounds(first)
    next_start, _, _ = _support_bounds(second)
    jump = (next_start[0] - start[0], next_start[1] - start[1])
    return RFInfo(size, jump, start, holes)


def _as_items(layers: Sequence[Item] | NetRun) -> list[Item]:
    return list(layers.graph) if isinstance(layers, NetRun) else list(layers)


def receptive_field(layers: Sequence[Item] | NetRun,
                    input_hw: tuple[int, int]) -> list[RFInfo | None]:
    """Per top-level layer (or block): the RF of its output, by one-hot back-propagation.

    None where the field is not a uniform window (after flatten / fc, or a transposed conv).
    """
    items = _as_items(layers)
    return [_rf_by_backprop(items[:i + 1], input_hw) for i in range(len(items))]


def net_receptive_fields(run: NetRun) -> list[RFInfo | None]:
    """RF of every row of a network run (layers inside blocks included), by back-propagation."""
    input_hw = (run.input_shape[2], run.input_shape[3])
    return [_rf_by_backprop(path, input_hw) for path in run.paths]


# --------------------------------------------------------------------------------------------
# closed form
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Field:
    """Per axis: first and last input coordinate seen by output position 0, and the jump."""

    first: tuple[int, int]
    last: tuple[int, int]
    jump: tuple[int, int]

    def through(self, w: Window) -> _Field:
        # output position 0 reads positions -p .. -p + d*(k-1) of this layer's input
        first = tuple(f - p * j for f, p, j in zip(self.first, w.padding, self.jump, strict=True))
        last = tuple(la + (d * (k - 1) - p) * j for la, d, k, p, j in
                     zip(self.last, w.dilation, w.kernel, w.padding, self.jump, strict=True))
        jump = tuple(j * s for j, s in zip(self.jump, w.stride, strict=True))
        return _Field(first, last, jump)  # type: ignore[arg-type]

    def union(self, other: _Field) -> _Field:
        if self.jump != other.jump:
            raise NotSpatialError(f"paths with different jumps {self.jump} and {other.jump}")
        return _Field(tuple(map(min, self.first, other.first)),  # type: ignore[arg-type]
                      tuple(map(max, self.last, other.last)), self.jump)

    def info(self) -> RFInfo:
        size = tuple(la - f + 1 for f, la in zip(self.first, self.last, strict=True))
        return RFInfo(size, self.jump, self.first)  # type: ignore[arg-type]


def _closed_form_items(items: Sequence[Item], field: _Field,
                       hw: tuple[int, int]) -> tuple[_Field, tuple[int, int]]:
    for item in items:
        if isinstance(item, Residual):
            body, out_hw = _closed_form_items(item.body, field, hw)
            skip = _closed_form_items(item.shortcut, field, hw)[0] if item.shortcut else field
            field, hw = body.union(skip), out_hw
        elif isinstance(item, Concat):
            results = [_closed_form_items(branch, field, hw) for branch in item.branches]
            field, hw = results[0][0], results[0][1]
            for other, _ in results[1:]:
                field = field.union(other)
        else:
            window = item.window(hw)
            if window is not None:
                field = field.through(window)
            hw = _out_hw(item, hw)
    return field, hw


def receptive_field_closed_form(layers: Sequence[Item] | NetRun,
                                input_hw: tuple[int, int] = (1 << 20, 1 << 20),
                                ) -> list[RFInfo | None]:
    """Per top-level item: r_l = r_{l-1} + (d(k-1)) j_{l-1}, j_l = s j_{l-1},
    start_l = start_{l-1} - p j_{l-1} (Araujo et al. 2019); blocks take the union of paths.

    ``input_hw`` only matters for adaptive pooling (its window depends on the input size).
    """
    items = _as_items(layers)
    results: list[RFInfo | None] = []
    field, hw = _Field((0, 0), (0, 0), (1, 1)), input_hw
    broken = False
    for item in items:
        if not broken:
            try:
                field, hw = _closed_form_items([item], field, hw)
            except NotSpatialError:
                broken = True
        results.append(None if broken else field.info())
    return results


# --------------------------------------------------------------------------------------------
# coverage and drawing
# --------------------------------------------------------------------------------------------
def coverage(layers: Sequence[Item] | NetRun, input_hw: tuple[int, int],
             counts: bool = False) -> np.ndarray:
    """Support of the output unit nearest the centre, on the input image (H, W).

    ``True`` where an input pixel reaches that unit; holes inside the field are the gridding
    of dilated stacks. With ``counts`` the number of paths per pixel is returned instead.
    """
    items = _as_items(layers)
    out_hw = _walk_hw(items, input_hw)
    centre = (out_hw[0] // 2, out_hw[1] // 2)
    canvas = _backprop(items, _Canvas(np.ones((1, 1)), centre), input_hw)
    image = np.zeros(input_hw)
    top, left = canvas.offset
    h, w = canvas.values.shape
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(input_hw[0], top + h), min(input_hw[1], left + w)
    if r0 < r1 and c0 < c1:
        image[r0:r1, c0:c1] = canvas.values[r0 - top:r1 - top, c0 - left:c1 - left]
    return image if counts else image > 0


def draw_support(mask: np.ndarray, max_cells: int = 48, ascii_only: bool = False) -> str:
    """Draw the bounding box of a support mask: full cell = reached, dot = hole.

    Large fields are drawn at a reduced scale (each cell a block of pixels; a half-tone cell
    when the block is only partly reached).
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return "(empty support)"
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    box = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    scale = max(1, -(-max(box.shape) // max_cells))
    full, part, empty = ("#", "+", ".") if ascii_only else ("█", "▒", "·")
    lines = []
    for r in range(0, box.shape[0], scale):
        cells = []
        for c in range(0, box.shape[1], scale):
            block = box[r:r + scale, c:c + scale]
            cells.append(full if block.all() else part if block.any() else empty)
        lines.append("".join(cells))
    header = f"{box.shape[0]}x{box.shape[1]} field"
    if scale > 1:
        header += f" (1 cell = {scale}x{scale} pixels)"
    return header + "\n" + "\n".join(lines)
