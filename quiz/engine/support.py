"""Which input pixels reach one output unit: back-propagate a one-hot output through the layers'
adjoints (a sliding window's adjoint is a transposed convolution with an all-ones kernel).

Two uses: the receptive field of a unit ignoring the image border (``clip=False``: what the
published tables give, and an independent check of the forward recursion in
`quiz.engine.receptive`), and its *coverage* on a real image (``clip=True``): a position of an
intermediate map outside that map is padding, a constant zero, and passes nothing further back.
That is the support of the real gradient of the unit with respect to the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quiz.engine import ops
from quiz.engine.geometry import Hw, walk_hw
from quiz.engine.layers import Window
from quiz.engine.network import Concat, Item, NetRun, Residual

__all__ = ["Canvas", "backprop", "coverage", "draw_support", "one_hot"]


@dataclass
class Canvas:
    """Non-negative map over a window of a feature map: index u is coordinate u + offset."""

    values: np.ndarray  # (H, W)
    offset: tuple[int, int]

    def union(self, other: Canvas) -> Canvas:
        top = min(self.offset[0], other.offset[0])
        left = min(self.offset[1], other.offset[1])
        bottom = max(self.offset[0] + self.values.shape[0],
                     other.offset[0] + other.values.shape[0])
        right = max(self.offset[1] + self.values.shape[1],
                    other.offset[1] + other.values.shape[1])
        merged = np.zeros((bottom - top, right - left))
        for part in (self, other):
            r, c = part.offset[0] - top, part.offset[1] - left
            merged[r:r + part.values.shape[0], c:c + part.values.shape[1]] += part.values
        return Canvas(merged, (top, left))

    def clipped(self, hw: Hw) -> Canvas:
        """Only the coordinates inside a map of ``hw`` (at least one cell, maybe all zero)."""
        top, left = max(0, self.offset[0]), max(0, self.offset[1])
        bottom = min(hw[0], self.offset[0] + self.values.shape[0])
        right = min(hw[1], self.offset[1] + self.values.shape[1])
        if bottom <= top or right <= left:
            return Canvas(np.zeros((1, 1)), (0, 0))
        return Canvas(self.values[top - self.offset[0]:bottom - self.offset[0],
                                  left - self.offset[1]:right - self.offset[1]], (top, left))

    def collapsed(self) -> Canvas:
        """The canvas seen by a broadcast 1×1 operand: every position reads its one value."""
        return Canvas(np.full((1, 1), float(self.values.sum())), (0, 0))


def one_hot(position: tuple[int, int]) -> Canvas:
    return Canvas(np.ones((1, 1)), position)


def _adjoint_window(canvas: Canvas, window: Window) -> Canvas:
    """Apply the adjoint of a sliding window with an all-ones kernel (transposed conv).

    No padding in the transpose: the canvas grows to every input coordinate reached, and the
    forward padding only shifts the coordinates (offset_in = offset_out * stride - padding).
    """
    kernel = np.ones((1, 1, *window.kernel))
    grown = ops.conv_transpose2d(canvas.values[None, None], kernel, stride=window.stride,
                                 dilation=window.dilation)[0, 0]
    offset = tuple(o * s - p for o, s, p in
                   zip(canvas.offset, window.stride, window.padding, strict=True))
    return Canvas(grown, offset)  # type: ignore[arg-type]


def backprop(items: Sequence[Item], canvas: Canvas, hw_in: Hw, clip: bool = False) -> Canvas:
    """Carry ``canvas`` (on the output of ``items``) back to their input (of ``hw_in``).
    Raises NotSpatialError through a layer without a uniform window."""
    sizes = [hw_in]
    for item in items[:-1]:
        sizes.append(walk_hw([item], sizes[-1]))
    for item, hw in zip(reversed(items), reversed(sizes), strict=True):
        if isinstance(item, Residual):
            block_hw = walk_hw([item], hw)
            canvas = _through_operand(item.body, canvas, hw, block_hw, clip).union(
                _through_operand(item.shortcut, canvas, hw, block_hw, clip) if item.shortcut
                else canvas)
        elif isinstance(item, Concat):
            parts = [backprop(branch, canvas, hw, clip) for branch in item.branches]
            canvas = parts[0]
            for part in parts[1:]:
                canvas = canvas.union(part)
        else:
            window = item.window(hw)
            if window is not None:
                canvas = _adjoint_window(canvas, window)
                if clip:
                    canvas = canvas.clipped(hw)
    return canvas


def _through_operand(branch: Sequence[Item], canvas: Canvas, hw: Hw, block_hw: Hw,
                     clip: bool) -> Canvas:
    if walk_hw(branch, hw) == (1, 1) != block_hw:
        canvas = canvas.collapsed()  # a broadcast gate: every output reads its single value
    return backprop(branch, canvas, hw, clip)


def coverage(layers: Sequence[Item] | NetRun, input_hw: Sequence[int],
             counts: bool = False) -> np.ndarray:
    """Input pixels (H, W) that reach the output unit nearest the centre of the last map.

    Only pixels that really reach it: a path through the padding of an intermediate map
    carries nothing (this is the support of the unit's gradient). Holes inside the field are
    the gridding of dilated stacks. With ``counts`` the number of paths per pixel is returned.
    """
    items = list(layers.graph) if isinstance(layers, NetRun) else list(layers)
    input_hw = (int(input_hw[0]), int(input_hw[1]))
    out_hw = walk_hw(items, input_hw)
    centre = (out_hw[0] // 2, out_hw[1] // 2)
    canvas = backprop(items, one_hot(centre), input_hw, clip=True)
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
