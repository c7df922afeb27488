"""The effective receptive field of one unit (Luo, Li, Urtasun & Zemel, "Understanding the
Effective Receptive Field in Deep Convolutional Neural Networks", NIPS 2016), as plain data.

The effective field is |∂unit/∂input| per input pixel. It is computed by back-propagating a
one-hot at the unit through the layers' adjoints (a sliding window's adjoint is a transposed
convolution, run by the engine's own `ops.conv_transpose2d`; see `quiz.engine.support`), with
Luo et al.'s uniform-weight case: every weight 1, one channel, nonlinearities and normalisation
as identity. The value at a pixel is then the number of paths from it to the unit: pooling
windows count as all-ones windows (average pooling only scales that by 1/k²; max pooling routes
each gradient to one input, uniformly on average), residual sums and concatenations add their
paths, and a position in the padding of an intermediate map carries nothing back (the real
gradient on a finite image).

Beside it, the theoretical field of the same unit (`quiz.engine.receptive`): the effective one
is concentrated in its centre, Gaussian-like, and is never wider than it.

Nothing here draws; `quiz.render.rf_picture` reads this data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from quiz.engine.geometry import Hw, walk_hw
from quiz.engine.layers import NotSpatialError
from quiz.engine.network import Item, NetRun
from quiz.engine.receptive import RFInfo, net_receptive_fields, receptive_field
from quiz.engine.support import backprop, one_hot

__all__ = ["Box", "EffectiveField", "effective_field", "instance_effective_field",
           "net_effective_field", "select_row"]


@dataclass(frozen=True)
class Box:
    """Input rows ``top..bottom`` and columns ``left..right`` (inclusive; may lie outside the
    image: a field reaching into the padding)."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def size(self) -> Hw:
        return (self.bottom - self.top + 1, self.right - self.left + 1)


@dataclass(frozen=True)
class EffectiveField:
    name: str  # the layer (row) the unit belongs to
    unit: tuple[int, int]  # the unit's position on that layer's output map
    output_hw: Hw  # that map's H x W
    input_hw: Hw
    values: np.ndarray  # (H, W) on the input: the number of paths from each pixel to the unit
    theoretical: Box | None  # the unit's theoretical field (None: no uniform window)
    rf: RFInfo | None  # that field's size / jump / start / holes

    @property
    def mass(self) -> float:
        """Sum of the gradient: for valid convs, the product of the kernels' areas."""
        return float(self.values.sum())

    @property
    def peak(self) -> tuple[int, int]:
        """The pixel with the largest gradient (the first one in row-major order on a tie)."""
        row, col = np.unravel_index(int(np.argmax(self.values)), self.values.shape)
        return int(row), int(col)

    @property
    def support(self) -> Box | None:
        """Bounding box of the pixels that reach the unit (None when none does)."""
        rows = np.flatnonzero(self.values.any(axis=1))
        cols = np.flatnonzero(self.values.any(axis=0))
        if rows.size == 0:
            return None
        return Box(int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1]))

    def spread(self) -> tuple[float, float]:
        """Standard deviation (pixels) of the gradient seen as a distribution over rows and
        over columns: Luo et al.'s measure of how wide the effective field is (it grows as
        √n with depth n, while the theoretical field grows as n)."""
        weights = self.values / self.values.sum()
        result = []
        for axis in (1, 0):  # summing out columns leaves the rows' marginal, and vice versa
            marginal = weights.sum(axis=axis)
            index = np.arange(marginal.size)
            mean = float((marginal * index).sum())
            result.append(float(np.sqrt((marginal * (index - mean) ** 2).sum())))
        return result[0], result[1]


def _theoretical_box(rf: RFInfo | None, unit: tuple[int, int]) -> Box | None:
    """Unit q of a map sees input coordinates start + q * jump onwards, ``size`` of them."""
    if rf is None:
        return None
    top = rf.start[0] + unit[0] * rf.jump[0]
    left = rf.start[1] + unit[1] * rf.jump[1]
    return Box(top, left, top + rf.size[0] - 1, left + rf.size[1] - 1)


def _on_input(items: Sequence[Item], unit: tuple[int, int], input_hw: Hw) -> np.ndarray:
    """Back-propagate a one-hot at ``unit`` to the input, clipped to the image at every map."""
    canvas = backprop(items, one_hot(unit), input_hw, clip=True)
    image = np.zeros(input_hw)
    top, left = canvas.offset
    h, w = canvas.values.shape
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(input_hw[0], top + h), min(input_hw[1], left + w)
    if r0 < r1 and c0 < c1:
        image[r0:r1, c0:c1] = canvas.values[r0 - top:r1 - top, c0 - left:c1 - left]
    return image


def effective_field(items: Sequence[Item], input_hw: Sequence[int], name: str = "output",
                    traced: tuple[RFInfo | None] | None = None) -> EffectiveField:
    """The effective field of the centre unit of the output of ``items`` (layers and blocks
    from the input on) on an input of ``input_hw``. ``traced``: that output's theoretical
    field (None inside when it has none) when already traced; default: traced here.

    Raises ValueError when the output has no spatial window over the input (after flatten or
    a fully connected layer, a transposed conv or an upsampling).
    """
    hw = (int(input_hw[0]), int(input_hw[1]))
    if min(hw) <= 0:
        raise ValueError(f"input size {hw[0]}x{hw[1]} must be positive")
    try:
        output_hw = walk_hw(items, hw)
        unit = (output_hw[0] // 2, output_hw[1] // 2)
        values = _on_input(items, unit, hw)
    except NotSpatialError as error:
        raise ValueError(f"'{name}' has no receptive field on the input ({error})") from None
    if traced is not None:
        rf = traced[0]
    else:
        rf = receptive_field(list(items), hw)[-1] if items else None
    return EffectiveField(name, unit, output_hw, hw, values, _theoretical_box(rf, unit), rf)


def select_row(run: NetRun, layer: str) -> int:
    """The row (0-based) of a run named by ``layer``: its number in the table (1-based) or
    its name, which must then be unique. ValueError with the choices otherwise."""
    count = len(run.layers)
    if layer.strip().isdigit():
        number = int(layer)
        if not 1 <= number <= count:
            raise ValueError(f"layer {number} does not exist: the table numbers rows 1 to "
                             f"{count}")
        return number - 1
    matches = [i for i, report in enumerate(run.layers) if report.name == layer.strip()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        rows = ", ".join(str(i + 1) for i in matches[:8]) + (", ..." if len(matches) > 8 else "")
        raise ValueError(f"{len(matches)} layers are named '{layer}' (rows {rows}): give the "
                         "row number from the table")
    raise ValueError(f"no layer named '{layer}': give a name or a row number (1 to {count}) "
                     "from the table")


def net_effective_field(run: NetRun, row: int,
                        rfs: Sequence[RFInfo | None] | None = None) -> EffectiveField:
    """The effective field of the centre unit of row ``row`` (0-based) of a network run."""
    if len(run.input_shape) != 4:
        raise ValueError("the network's input is a vector: no receptive field to draw")
    fields = list(rfs) if rfs is not None else net_receptive_fields(run)
    name = run.layers[row].name
    hw = (int(run.input_shape[2]), int(run.input_shape[3]))
    return effective_field(run.paths[row], hw, name, (fields[row],))


def instance_effective_field(nets: Sequence[tuple[str, str]]) -> EffectiveField | None:
    """The effective field of the last layer's centre unit of a numeric instance whose one
    net starts from an image (the receptive-field cards' picture, the study screen's `g`);
    None for several nets, a vector input, or a last layer with no window on the input."""
    from quiz.engine.netspec import parse_net
    from quiz.engine.network import run_net

    if len(nets) != 1:
        return None
    try:
        spec = parse_net(nets[0][1])
        if spec.input_shape is None or len(spec.input_shape) != 3:
            return None
        run = run_net(spec, spec.input_shape, np.random.default_rng(0), np.float32)
        return net_effective_field(run, len(run.layers) - 1) if run.layers else None
    except ValueError:  # the engine's refusals, and a last layer with no receptive field
        return None
