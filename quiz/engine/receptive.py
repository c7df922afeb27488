"""Receptive fields: size, effective stride (jump), effective padding and holes of every unit.

Coordinates: position ``q`` of any feature map is identified with input pixels through
``start + q * jump``; ``size`` is the extent of the support of one output unit. ``start`` is
negative when the first window reaches into the padding (-start is the effective padding).

Three methods that must agree: the forward trace here (one pass over the net, linear in its
depth: per axis, the set of input offsets reaching a unit is carried through each window);
back-propagating a one-hot output through the layers' adjoints (`quiz.engine.support`); and the
closed form of Araujo, Norris & Sim ("Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019). Residual, product and concat blocks take the union of their paths; an
operand broadcast over H×W (an SE gate after global pooling) sees the whole map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quiz.engine.geometry import Hw, broadcast_hw, out_hw
from quiz.engine.layers import Layer, NotSpatialError, Window
from quiz.engine.network import Concat, Item, NetRun, Residual
from quiz.engine.support import backprop, coverage, draw_support, one_hot

__all__ = [
    "MASK_LIMIT",
    "RFInfo",
    "backprop_field",
    "coverage",
    "draw_support",
    "net_receptive_fields",
    "receptive_field",
    "receptive_field_closed_form",
]

# Holes are tracked while a field's extent along an axis stays below this many pixels (beyond,
# e.g. after dozens of strided layers, only size / jump / start are kept).
MASK_LIMIT = 1 << 20


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
# forward trace
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Axis:
    """Along one axis: input offsets (from ``start``) that reach output position 0."""

    start: int
    size: int
    jump: int
    mask: np.ndarray | None  # bool, len == size; None when too long to track

    def through(self, kernel: int, stride: int, padding: int, dilation: int) -> _Axis:
        # output position 0 reads positions -p + t·d (t < k) of this layer's input
        step = dilation * self.jump
        size = self.size + (kernel - 1) * step
        mask = None
        if self.mask is not None and size <= MASK_LIMIT:
            mask = np.zeros(size, dtype=bool)
            for t in range(kernel):
                mask[t * step:t * step + self.size] |= self.mask
        return _Axis(self.start - padding * self.jump, size, self.jump * stride, mask)

    def union(self, other: _Axis, jump: int) -> _Axis:
        start = min(self.start, other.start)
        size = max(self.start + self.size, other.start + other.size) - start
        mask = None
        if self.mask is not None and other.mask is not None and size <= MASK_LIMIT:
            mask = np.zeros(size, dtype=bool)
            for part in (self, other):
                offset = part.start - start
                assert part.mask is not None  # both masks were checked above
                mask[offset:offset + part.size] |= part.mask
        return _Axis(start, size, jump, mask)

    @property
    def holes(self) -> bool:
        return self.mask is not None and not bool(self.mask.all())


_State = tuple[_Axis, _Axis] | None
_ORIGIN = _Axis(0, 1, 1, np.ones(1, dtype=bool))
_START: tuple[_Axis, _Axis] = (_ORIGIN, _ORIGIN)


def _info(state: _State) -> RFInfo | None:
    if state is None:
        return None
    rows, cols = state
    return RFInfo((rows.size, cols.size), (rows.jump, cols.jump), (rows.start, cols.start),
                  rows.holes or cols.holes)


def _union(a: _State, a_hw: Hw | None, b: _State, b_hw: Hw | None) -> tuple[_State, Hw | None]:
    """Union of two operands' fields (element-wise sum / product, or concat)."""
    if a is None or b is None or a_hw is None or b_hw is None:
        return None, None
    hw = broadcast_hw(a_hw, b_hw)
    if a_hw == (1, 1) != hw:    # a broadcast operand: the other's positions set the jump
        jumps = (b[0].jump, b[1].jump)
    elif b_hw == (1, 1) != hw or (a[0].jump, a[1].jump) == (b[0].jump, b[1].jump):
        jumps = (a[0].jump, a[1].jump)
    else:
        return None, None       # paths with different jumps: no uniform field
    return (a[0].union(b[0], jumps[0]), a[1].union(b[1], jumps[1])), hw


class _Tracer:
    """One pass over built items, recording the field after every row a run reports (layers,
    then one row per block after its members), with the nesting depth of each."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, RFInfo | None]] = []

    def items(self, items: Sequence[Item], state: _State, hw: Hw | None,
              depth: int) -> tuple[_State, Hw | None]:
        for item in items:
            state, hw = self.item(item, state, hw, depth)
        return state, hw

    def item(self, item: Item, state: _State, hw: Hw | None,
             depth: int) -> tuple[_State, Hw | None]:
        if isinstance(item, Residual):
            body = self.items(item.body, state, hw, depth + 1)
            skip = self.items(item.shortcut, state, hw, depth + 1) if item.shortcut else \
                (state, hw)
            state, hw = _union(*body, *skip)
        elif isinstance(item, Concat):
            results = [self.items(branch, state, hw, depth + 1) for branch in item.branches]
            state, hw = results[0]
            for other in results[1:]:
                state, hw = _union(state, hw, *other)
        else:
            state, hw = self.layer(item, state, hw)
        self.rows.append((depth, _info(state)))
        return state, hw

    def layer(self, layer: Layer, state: _State, hw: Hw | None) -> tuple[_State, Hw | None]:
        if state is None or hw is None:
            return None, None
        try:
            window: Window | None = layer.window(hw)
            new_hw = out_hw(layer, hw)
        except NotSpatialError:
            return None, None
        if window is None:
            return state, new_hw
        rows, cols = state
        return (rows.through(window.kernel[0], window.stride[0], window.padding[0],
                             window.dilation[0]),
                cols.through(window.kernel[1], window.stride[1], window.padding[1],
                             window.dilation[1])), new_hw


def _trace(items: Sequence[Item], input_hw: Hw) -> list[tuple[int, RFInfo | None]]:
    tracer = _Tracer()
    tracer.items(items, _START, (int(input_hw[0]), int(input_hw[1])), 0)
    return tracer.rows


def _as_items(layers: Sequence[Item] | NetRun) -> list[Item]:
    return list(layers.graph) if isinstance(layers, NetRun) else list(layers)


def _input_hw(layers: Sequence[Item] | NetRun, input_hw: Sequence[int] | None) -> Hw:
    if input_hw is not None:
        return int(input_hw[0]), int(input_hw[1])
    if isinstance(layers, NetRun):
        return int(layers.input_shape[2]), int(layers.input_shape[3])
    raise ValueError("input_hw is needed for a list of layers (pooling windows depend on it)")


def receptive_field(layers: Sequence[Item] | NetRun,
                    input_hw: Sequence[int] | None = None) -> list[RFInfo | None]:
    """Per top-level item (a list of layers / blocks, or a `NetRun`): the field of its output.

    None where the field is not a uniform window (after flatten / fc, a transposed conv, an
    upsampling, or paths with different jumps).
    """
    rows = _trace(_as_items(layers), _input_hw(layers, input_hw))
    return [info for depth, info in rows if depth == 0]


def net_receptive_fields(run: NetRun) -> list[RFInfo | None]:
    """The field of every row of a network run (layers inside blocks included), in one pass."""
    if len(run.input_shape) != 4:
        return [None] * len(run.layers)
    return [info for _, info in _trace(run.graph, _input_hw(run, None))]


def backprop_field(layers: Sequence[Item] | NetRun,
                   input_hw: Sequence[int] | None = None) -> RFInfo | None:
    """The field of the last output, by back-propagating one-hots at output positions (0, 0)
    and (1, 1) through the adjoints (independent of the forward trace; slower)."""
    items, hw = _as_items(layers), _input_hw(layers, input_hw)
    try:
        first = backprop(items, one_hot((0, 0)), hw)
        second = backprop(items, one_hot((1, 1)), hw)
    except NotSpatialError:
        return None
    start, size, holes = _support_bounds(first.values, first.offset)
    next_start, _, _ = _support_bounds(second.values, second.offset)
    jump = (next_start[0] - start[0], next_start[1] - start[1])
    return RFInfo(size, jump, start, holes)


def _support_bounds(values: np.ndarray, offset: tuple[int, int],
                    ) -> tuple[tuple[int, int], tuple[int, int], bool]:
    rows = np.flatnonzero(values.any(axis=1))
    cols = np.flatnonzero(values.any(axis=0))
    start = (int(rows[0]) + offset[0], int(cols[0]) + offset[1])
    size = (int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1)
    box = values[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return start, size, bool((box == 0).any())


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

    def union(self, other: _Field, jump: tuple[int, int] | None = None) -> _Field:
        if jump is None and self.jump != other.jump:
            raise NotSpatialError(f"paths with different jumps {self.jump} and {other.jump}")
        first = (min(self.first[0], other.first[0]), min(self.first[1], other.first[1]))
        last = (max(self.last[0], other.last[0]), max(self.last[1], other.last[1]))
        return _Field(first, last, jump or self.jump)

    def info(self) -> RFInfo:
        size = tuple(la - f + 1 for f, la in zip(self.first, self.last, strict=True))
        return RFInfo(size, self.jump, self.first)  # type: ignore[arg-type]


def _closed_form_items(items: Sequence[Item], field: _Field,
                       hw: tuple[int, int]) -> tuple[_Field, tuple[int, int]]:
    for item in items:
        if isinstance(item, Residual):
            body, body_hw = _closed_form_items(item.body, field, hw)
            skip, skip_hw = _closed_form_items(item.shortcut, field, hw) if item.shortcut \
                else (field, hw)
            block_hw = broadcast_hw(body_hw, skip_hw)
            # a broadcast (1×1) operand takes the other's jump
            jump = skip.jump if body_hw == (1, 1) != block_hw else \
                body.jump if skip_hw == (1, 1) != block_hw else None
            field, hw = body.union(skip, jump), block_hw
        elif isinstance(item, Concat):
            results = [_closed_form_items(branch, field, hw) for branch in item.branches]
            field, hw = results[0][0], results[0][1]
            for other, _ in results[1:]:
                field = field.union(other)
        else:
            window = item.window(hw)
            if window is not None:
                field = field.through(window)
            hw = out_hw(item, hw)
    return field, hw


def receptive_field_closed_form(layers: Sequence[Item] | NetRun,
                                input_hw: Sequence[int] | None = None,
                                ) -> list[RFInfo | None]:
    """Per top-level item: r_l = r_{l-1} + (d(k-1)) j_{l-1}, j_l = s j_{l-1},
    start_l = start_{l-1} - p j_{l-1} (Araujo et al. 2019); blocks take the union of paths.

    ``input_hw`` (default: the run's input) matters for adaptive pooling, whose window depends
    on the input size.
    """
    items = _as_items(layers)
    results: list[RFInfo | None] = []
    field, hw = _Field((0, 0), (0, 0), (1, 1)), _input_hw(layers, input_hw)
    broken = False
    for item in items:
        if not broken:
            try:
                field, hw = _closed_form_items([item], field, hw)
            except NotSpatialError:
                broken = True
        results.append(None if broken else field.info())
    return results


