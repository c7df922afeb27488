"""Spatial bookkeeping shared by the receptive-field code: the H×W each built item produces,
from the layers' windows, without running anything."""

from __future__ import annotations

from collections.abc import Sequence

from quiz.engine import ops
from quiz.engine.layers import Layer
from quiz.engine.network import Concat, Item, Residual

__all__ = ["Hw", "out_hw", "walk_hw"]

Hw = tuple[int, int]


def out_hw(layer: Layer, hw: Hw) -> Hw:
    """Spatial output size of a layer (raises NotSpatialError where there is no window)."""
    window = layer.window(hw)
    if window is None:
        return hw
    ceil = bool(getattr(layer, "ceil_mode", False))
    return tuple(  # type: ignore[return-value]
        ops.pool_output_size(s, k, st, p, d, ceil) if ceil else
        ops.conv_output_size(s, k, st, 2 * p + _after_extra(layer, axis, hw), d)
        for axis, (s, k, st, p, d) in enumerate(zip(hw, window.kernel, window.stride,
                                                    window.padding, window.dilation, strict=True))
    )


def _after_extra(layer: Layer, axis: int, hw: Hw) -> int:
    """'same' / TF 'SAME' padding with an odd total puts one more row/column after: count it."""
    applied = getattr(layer, "applied_padding", None)
    if applied is None:
        return 0
    before, after = applied(hw)[axis]
    return int(after - before)


def broadcast_hw(a: Hw, b: Hw) -> Hw:
    """H×W of an element-wise product or sum (a 1×1 operand broadcasts)."""
    return (max(a[0], b[0]), max(a[1], b[1]))


def walk_hw(items: Sequence[Item], hw: Hw) -> Hw:
    for item in items:
        if isinstance(item, Residual):
            body = walk_hw(item.body, hw)
            skip = walk_hw(item.shortcut, hw) if item.shortcut else hw
            hw = broadcast_hw(body, skip)
        elif isinstance(item, Concat):
            hw = walk_hw(item.branches[0], hw)
        else:
            hw = out_hw(item, hw)
    return hw
