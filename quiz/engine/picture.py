"""What to draw for one sliding-window layer: the figures of Dumoulin & Visin, "A guide to
convolution arithmetic for deep learning" (2016), as plain data.

A picture is a *canvas* (the grid the kernel slides over), the kernel's taps at a few output
positions, and the output grid. Every number comes from the engine's own geometry: the
padding a convolution applies (``applied_padding``), the window of a pooling layer and the
extra padding its ceil mode needs (``ops._pool_geometry``), the output size (``out_hw`` and the
transposed convolution's ``estimate``).

- Convolution and pooling: the canvas is the input with its padding around it; the kernel
  moves by the stride and its taps are ``dilation`` apart.
- Transposed convolution, drawn as its equivalent direct convolution (the guide's section 4):
  ``stride - 1`` zeros are inserted between input pixels, the result is padded by
  ``dilation * (kernel - 1) - padding`` (plus the output padding after; a negative amount
  crops), and a stride-1 kernel slides over that.

The renderer (`quiz.render.geometry`) only reads this data: this module draws nothing and
imports nothing from the TUI or the renderers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from quiz.engine import ops
from quiz.engine.geometry import Hw, out_hw
from quiz.engine.kinds import build_layer
from quiz.engine.layers import TF_SAME, AvgPool2d, Conv2d, ConvTranspose2d, Layer, MaxPool2d
from quiz.engine.spec import LayerSpec

__all__ = ["Cell", "LayerPicture", "Placement", "first_positions", "layer_picture",
           "spec_picture"]


class Cell(Enum):
    """What a canvas cell holds."""

    INPUT = "input"  # a real input pixel
    PAD = "pad"  # padding around the input (zeros; -inf for max pooling)
    HOLE = "hole"  # a zero inserted between input pixels (transposed convolution)


@dataclass(frozen=True)
class Axis:
    """One axis of the canvas: for each canvas index, the input index it shows, or ``None``
    with ``cell`` saying whether it is padding or an inserted zero."""

    source: tuple[int | None, ...]
    cells: tuple[Cell, ...]

    @property
    def size(self) -> int:
        return len(self.cells)


@dataclass(frozen=True)
class Placement:
    """The kernel at one output position: its taps as canvas (row, col) coordinates."""

    output: tuple[int, int]
    taps: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class LayerPicture:
    kind: str  # "conv", "pool" or "convT"
    title: str  # e.g. "conv 3x3, stride 2, padding 1"
    input_hw: Hw
    output_hw: Hw
    kernel: Hw
    stride: Hw  # how far the kernel moves on the canvas (1 for a transposed conv)
    dilation: Hw
    rows: Axis
    cols: Axis
    placements: tuple[Placement, ...]

    def cell(self, row: int, col: int) -> Cell:
        """Padding wins over an inserted zero, which wins over an input pixel."""
        kinds = (self.rows.cells[row], self.cols.cells[col])
        if Cell.PAD in kinds:
            return Cell.PAD
        if Cell.HOLE in kinds:
            return Cell.HOLE
        return Cell.INPUT

    def input_pixel(self, row: int, col: int) -> tuple[int, int] | None:
        """The input pixel a canvas cell shows, or None for padding and inserted zeros."""
        r, c = self.rows.source[row], self.cols.source[col]
        return None if r is None or c is None else (r, c)

    def placement(self, output: tuple[int, int]) -> Placement:
        """The kernel's taps for any output cell (not only the ones in ``placements``)."""
        oy, ox = output
        if not (0 <= oy < self.output_hw[0] and 0 <= ox < self.output_hw[1]):
            raise ValueError(f"output cell {output} is outside the {self.output_hw[0]}x"
                             f"{self.output_hw[1]} output")
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        taps = tuple((oy * sh + i * dh, ox * sw + j * dw) for i in range(kh) for j in range(kw))
        return Placement(output, taps)

    def reads(self, output: tuple[int, int]) -> set[tuple[int, int]]:
        """The input pixels under the kernel at ``output`` (padding and zeros left out)."""
        pixels = (self.input_pixel(r, c) for r, c in self.placement(output).taps)
        return {p for p in pixels if p is not None}


def first_positions(output_hw: Hw) -> list[tuple[int, int]]:
    """The first window, the next one along the row and the first of the next row: the
    stride shows in both directions."""
    wanted = [(0, 0), (0, 1), (1, 0)]
    return [p for p in wanted if p[0] < output_hw[0] and p[1] < output_hw[1]]


def _direct_axis(size: int, before: int, after: int) -> Axis:
    """Input of ``size`` with ``before`` / ``after`` cells of padding."""
    source = tuple(i - before if 0 <= i - before < size else None
                   for i in range(before + size + after))
    cells = tuple(Cell.PAD if s is None else Cell.INPUT for s in source)
    return Axis(source, cells)


def _transposed_axis(size: int, stride: int, before: int, after: int) -> Axis:
    """Input of ``size`` with ``stride - 1`` zeros between pixels, padded by ``before`` /
    ``after`` (negative: that many cells cropped)."""
    spread = (size - 1) * stride + 1
    source: list[int | None] = []
    cells: list[Cell] = []
    for index in range(before + spread + after):
        position = index - before  # coordinate on the zero-inserted input
        if not 0 <= position < spread:
            source.append(None)
            cells.append(Cell.PAD)
        elif position % stride:
            source.append(None)
            cells.append(Cell.HOLE)
        else:
            source.append(position // stride)
            cells.append(Cell.INPUT)
    return Axis(tuple(source), tuple(cells))


def _pair_text(name: str, pair: Hw, default: int | None = None) -> str:
    if default is not None and pair == (default, default):
        return ""
    value = str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"
    return f", {name} {value}"


def _conv_picture(layer: Conv2d, hw: Hw) -> tuple[str, Axis, Axis, Hw, Hw, Hw, Hw]:
    (top, bottom), (left, right) = layer.applied_padding(hw)
    pads = ", padding " + (f"{top}" if len({top, bottom, left, right}) == 1 else
                           f"(top, bottom, left, right) = ({top}, {bottom}, {left}, {right})")
    if isinstance(layer.padding, str):
        pads += " (TF SAME)" if layer.padding == TF_SAME else f" ({layer.padding})"
    title = (f"conv {layer.kernel_size[0]}x{layer.kernel_size[1]}"
             f"{_pair_text('stride', layer.stride)}{pads}"
             f"{_pair_text('dilation', layer.dilation, 1)}")
    rows, cols = _direct_axis(hw[0], top, bottom), _direct_axis(hw[1], left, right)
    return title, rows, cols, layer.kernel_size, layer.stride, layer.dilation, out_hw(layer, hw)


def _ceil_text(geometry: ops._PoolGeometry) -> str:
    """Ceil mode keeps a last window that runs past the input and its padding: say by how much."""
    over = [after - before for before, after in zip(geometry.padding, geometry.pad_after,
                                                    strict=True)]
    if not any(over):
        return ", ceil mode"
    return f", ceil mode (last window +{over[0]}x{over[1]} past the edge)"


def _pool_picture(layer: MaxPool2d | AvgPool2d,
                  hw: Hw) -> tuple[str, Axis, Axis, Hw, Hw, Hw, Hw]:
    dilation = layer.dilation if isinstance(layer, MaxPool2d) else (1, 1)
    # the engine's own pooling geometry: its checks, output size and ceil mode's extra padding
    geometry = ops._pool_geometry("pool", hw, layer.kernel_size, layer.stride, layer.padding,
                                  dilation, layer.ceil_mode)
    name = "max pool" if isinstance(layer, MaxPool2d) else "avg pool"
    title = (f"{name} {layer.kernel_size[0]}x{layer.kernel_size[1]}"
             f"{_pair_text('stride', layer.stride)}{_pair_text('padding', layer.padding)}"
             f"{_pair_text('dilation', dilation, 1)}"
             f"{_ceil_text(geometry) if layer.ceil_mode else ''}")
    rows = _direct_axis(hw[0], geometry.padding[0], geometry.pad_after[0])
    cols = _direct_axis(hw[1], geometry.padding[1], geometry.pad_after[1])
    return (title, rows, cols, layer.kernel_size, layer.stride, dilation,
            geometry.out_hw)


def _conv_transpose_picture(layer: ConvTranspose2d,
                            hw: Hw) -> tuple[str, Axis, Axis, Hw, Hw, Hw, Hw]:
    output_shape, _ = layer.estimate((1, layer.in_channels, *hw))
    output = (int(output_shape[2]), int(output_shape[3]))
    if min(output) <= 0:
        raise ValueError(f"conv_transpose2d: output size ({output[0]} x {output[1]}) is too "
                         "small")
    axes = []
    for size, k, s, p, d, extra in zip(hw, layer.kernel_size, layer.stride, layer.padding,
                                       layer.dilation, layer.output_padding, strict=True):
        edge = d * (k - 1) - p
        axes.append(_transposed_axis(size, s, edge, edge + extra))
    title = (f"transposed conv {layer.kernel_size[0]}x{layer.kernel_size[1]}"
             f"{_pair_text('stride', layer.stride)}{_pair_text('padding', layer.padding)}"
             f"{_pair_text('output padding', layer.output_padding, 0)}"
             f"{_pair_text('dilation', layer.dilation, 1)}")
    return title, axes[0], axes[1], layer.kernel_size, (1, 1), layer.dilation, output


def layer_picture(layer: Layer, input_hw: Sequence[int],
                  positions: Sequence[tuple[int, int]] | None = None) -> LayerPicture:
    """The picture of ``layer`` on an input of ``input_hw`` (H, W), with the kernel at
    ``positions`` (output cells; default: `first_positions`).

    Raises ValueError for a layer without a sliding window or a configuration the engine
    refuses (kernel larger than the padded input, pooling padding over half the kernel…).
    """
    hw = (int(input_hw[0]), int(input_hw[1]))
    if min(hw) <= 0:
        raise ValueError(f"input size {hw[0]}x{hw[1]} must be positive")
    if isinstance(layer, ConvTranspose2d):
        kind, parts = "convT", _conv_transpose_picture(layer, hw)
    elif isinstance(layer, Conv2d):
        layer.estimate((1, layer.in_channels, *hw))  # the engine's refusal of a too-big kernel
        kind, parts = "conv", _conv_picture(layer, hw)
    elif isinstance(layer, (MaxPool2d, AvgPool2d)):
        kind, parts = "pool", _pool_picture(layer, hw)
    else:
        raise ValueError(f"no geometry picture for {layer.describe()}: only conv, pool and "
                         "transposed conv have one")
    title, rows, cols, kernel, stride, dilation, output = parts
    picture = LayerPicture(kind, title, hw, output, kernel, stride, dilation, rows, cols, ())
    wanted = first_positions(output) if positions is None else list(positions)
    placements = tuple(picture.placement(p) for p in wanted)
    return LayerPicture(kind, title, hw, output, kernel, stride, dilation, rows, cols,
                        placements)


def spec_picture(spec: LayerSpec, input_shape: Sequence[int],
                 positions: Sequence[tuple[int, int]] | None = None) -> LayerPicture:
    """The picture of a layer line (``conv 64 k3 s2 p1``, a numeric card's layer) on an input
    of ``input_shape`` ((N,) C, H, W): the layer the engine builds from it, drawn."""
    shape = tuple(int(v) for v in input_shape)
    if len(shape) == 3:
        shape = (1, *shape)
    if len(shape) != 4:
        raise ValueError(f"input shape {shape} is not (N,) C, H, W")
    return layer_picture(build_layer(spec, shape), shape[2:], positions)


def net_picture(nets: Sequence[tuple[str, str]]) -> LayerPicture | None:
    """The picture of a numeric instance whose only net is an input and one sliding-window
    layer (the answer keys' figures, the study screen's `g`); None for any other instance
    (several nets, several layers, an fc, an LSTM…)."""
    from quiz.engine.netspec import parse_net
    from quiz.engine.spec import LayerSpec

    if len(nets) != 1:
        return None
    try:
        net = parse_net(nets[0][1])
    except ValueError:  # the engine's errors are ValueErrors
        return None
    shape = net.input_shape
    if shape is None or len(shape) != 3 or len(net.nodes) != 1:
        return None
    layer = net.nodes[0]
    if not isinstance(layer, LayerSpec):
        return None
    try:
        return spec_picture(layer, shape)
    except ValueError:  # not a sliding window, or a layer the engine refuses
        return None
