"""What one engine run measured, and how each quantity of the vocabulary is read from it.

NumPy-free: a `Measurement` holds the engine's `LayerReport`s and the geometry of the layers
that ran, never arrays, so hundreds of them can stay cached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from quiz.measure.quantities import quantity

if TYPE_CHECKING:
    from quiz.engine.problem import DataRun
    from quiz.engine.report import LayerReport

Shape = tuple[int, ...]
Value = int | tuple[int, ...] | Fraction
# a computed real number (IoU, AP, a probability) is the exact fraction nearest the engine's
# float with at most this denominator: box coordinates and ranks are small integers, so the
# true value's denominator is far smaller and float rounding cannot reach another fraction
MAX_DENOMINATOR = 10**6


class MeasureError(ValueError):
    """The engine rejected a net, or the asked figure does not exist for it."""


@dataclass(frozen=True)
class Geometry:
    """The sliding-window geometry of one layer as the engine built it (per axis: H, W)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]            # top/left offset of the first window
    dilation: tuple[int, int]
    groups: int = 1
    ceil: bool = False
    output_padding: tuple[int, int] = (0, 0)
    same: bool = False                  # `psame`: the padding was derived by the engine


@dataclass(frozen=True)
class FieldStep:
    """Receptive field and effective stride after one top-level layer (engine closed form)."""

    size: tuple[int, int]
    jump: tuple[int, int]


@dataclass(frozen=True)
class Measurement:
    """One net run: its reports in execution order and the figures derived from them."""

    text: str
    input_shape: Shape
    output_shape: Shape
    reports: tuple[LayerReport, ...]
    geometry: tuple[Geometry | None, ...] = ()      # per report row (None: not a window)
    rf: tuple[int, int] | None = None               # last layer, by back-propagation
    jump: tuple[int, int] | None = None
    steps: tuple[FieldStep | None, ...] = ()        # per top-level layer (with rf only)
    data: DataRun | None = None                     # a `data` section's computation

    def total(self, field_name: str) -> int:
        return sum(int(getattr(report, field_name)) for report in self.reports)

    def figure(self, name: str) -> int | Fraction:
        """A figure of a `data` computation: an int stays an int, a float becomes the exact
        fraction it rounds (see MAX_DENOMINATOR)."""
        if self.data is None or name not in self.data.figures:
            raise MeasureError(f"{name} is not computed from this input")
        value = self.data.figures[name]
        if isinstance(value, int):
            return value
        fraction = Fraction(value).limit_denominator(MAX_DENOMINATOR)
        return int(fraction) if fraction.denominator == 1 else fraction


def _product(values: Shape) -> int:
    result = 1
    for value in values:
        result *= int(value)
    return result


def _field(pair: tuple[int, int] | None) -> Value:
    if pair is None:
        raise MeasureError("the receptive field was not measured for this net")
    return pair[0] if pair[0] == pair[1] else pair


def _spatial(m: Measurement, axis: int) -> int:
    if len(m.output_shape) < 4:
        raise MeasureError(f"the output {m.output_shape} has no height and width")
    return int(m.output_shape[axis])


def _output_hw(m: Measurement) -> Value:
    return (_spatial(m, 2), _spatial(m, 3))


def _bn_buffers(m: Measurement) -> int:
    return sum(2 * int(r.output_shape[1]) for r in m.reports if "batch_norm" in r.kind)


def _activation_bytes(m: Measurement) -> int:
    return sum(int(r.output_elems) * int(r.bytes_per_elem) for r in m.reports)


def _lstm_reports(m: Measurement) -> list[LayerReport]:
    return [r for r in m.reports if r.kind == "lstm"]


def _params_one_bias(m: Measurement) -> int:
    return m.total("params") - sum(int(r.bias_params) // 2 for r in _lstm_reports(m))


def _params_no_recurrent(m: Measurement) -> int:
    # W_hh is (4H, H): the hidden size is the last output dimension of the LSTM layer
    return m.total("params") - sum(4 * int(r.output_shape[-1]) ** 2 for r in _lstm_reports(m))


def _figure(name: str) -> Callable[[Measurement], Value]:
    return lambda m: m.figure(name)


DATA_FIGURES = ("iou", "ap_all", "ap_11", "ap_coco", "fpn_level", "anchors", "survival",
                "expected_depth", "train_state_bytes")
# the misconceptions' values, computed by the same engine functions with the wrong option
DATA_MISCONCEPTIONS = (
    "iou_plus_one", "iou_sum", "iou_min", "ap_raw", "ap_duplicates", "ap_11_duplicates",
    "ap_coco_11", "ap_coco_75", "fpn_ceil", "fpn_no_clamp", "fpn_no_sqrt",
    "anchors_no_ratios", "anchors_no_scales", "anchors_one_level", "anchors_floor",
    "anchors_added", "survival_reversed", "survival_drop", "survival_uniform",
    "survival_linspace", "expected_depth_reversed", "expected_depth_drop",
    "expected_depth_uniform", "expected_depth_linspace", "train_no_master",
    "train_no_optimizer", "train_no_grads", "train_fp32_grads")

def _scatter_inside(size_in: int, size_out: int, kernel: int, stride: int, padding: int,
                    dilation: int) -> int:
    """(input, kernel) position pairs of a transposed conv along one axis whose product lands
    inside the output (at i·s + j·d − p), i.e. is not cropped away by the padding."""
    return sum(1 for i in range(size_in) for j in range(kernel)
               if 0 <= i * stride + j * dilation - padding < size_out)


def _macs_convt_uncropped(m: Measurement) -> int:
    """MACs with a transposed conv's products that the padding crops away left out (only the
    products that reach the output counted)."""
    total = m.total("macs")
    for report, geometry in zip(m.reports, m.geometry, strict=False):
        if report.kind != "conv_transpose2d" or geometry is None:
            continue
        inside = 1
        for axis in (0, 1):
            inside *= _scatter_inside(int(report.input_shape[2 + axis]),
                                      int(report.output_shape[2 + axis]),
                                      geometry.kernel[axis], geometry.stride[axis],
                                      geometry.padding[axis], geometry.dilation[axis])
        c_in, c_out = int(report.input_shape[1]), int(report.output_shape[1])
        batch = int(report.input_shape[0])
        total += batch * c_in * (c_out // geometry.groups) * inside - int(report.macs)
    return total


def _attention_reports(m: Measurement) -> list[LayerReport]:
    return [r for r in m.reports if r.kind == "attention"]


def _attention_parts(report: LayerReport) -> tuple[int, int, int]:
    """(tokens L, channels C, batch) of an attention layer's input N×C×H×W."""
    n, c, h, w = (int(v) for v in report.input_shape)
    return h * w, c, n


def _macs_without_projections(m: Measurement) -> int:
    """MACs with every attention layer's Q/K/V and output projections left out (4·L·C²)."""
    return m.total("macs") - sum(4 * t * c * c * n for t, c, n in
                                 map(_attention_parts, _attention_reports(m)))


def _macs_without_values(m: Measurement) -> int:
    """MACs with the attention-weighted sum of the values (AV: L²·C) left out."""
    return m.total("macs") - sum(t * t * c * n for t, c, n in
                                 map(_attention_parts, _attention_reports(m)))


READERS: dict[str, Callable[[Measurement], Value]] = {
    "params": lambda m: m.total("params"),
    "weight_params": lambda m: m.total("weight_params"),
    "bias_params": lambda m: m.total("bias_params"),
    "macs": lambda m: m.total("macs"),
    "flops": lambda m: m.total("flops"),
    "bias_adds": lambda m: m.total("bias_adds"),
    "working_set": lambda m: m.total("working_set_elems"),
    "output_shape": lambda m: tuple(int(v) for v in m.output_shape[1:]),
    "batch_output_shape": lambda m: tuple(int(v) for v in m.output_shape),
    "output_hw": _output_hw,
    "output_h": lambda m: _spatial(m, 2),
    "output_w": lambda m: _spatial(m, 3),
    "output_c": lambda m: int(m.output_shape[1]),
    "output_elems": lambda m: _product(m.output_shape[1:]),
    "pad_top": lambda m: sum(int(r.padding[0]) for r in m.reports),
    "pad_bottom": lambda m: sum(int(r.padding[1]) for r in m.reports),
    "pad_total": lambda m: sum(int(r.padding[0]) + int(r.padding[1]) for r in m.reports),
    "buffers": _bn_buffers,
    "activation_bytes": _activation_bytes,
    "batch_activation_bytes": _activation_bytes,
    "rf": lambda m: _field(m.rf),
    "jump": lambda m: _field(m.jump),
    **{name: _figure(name) for name in DATA_FIGURES},
}

# Figures no claim or template asks for, read by the misconception recipes only (the value a
# learner gets by counting the wrong thing).
MISCONCEPTION_FIGURES: dict[str, Callable[[Measurement], Value]] = {
    "flops_bias": lambda m: m.total("flops") + m.total("bias_adds"),
    "params_buffers": lambda m: m.total("params") + _bn_buffers(m),
    "params_one_bias": _params_one_bias,
    "params_no_recurrent": _params_no_recurrent,
    "io_elems": lambda m: m.total("input_elems") + m.total("output_elems"),
    "working_set_bytes": lambda m: sum(
        int(r.working_set_elems) * int(r.bytes_per_elem) for r in m.reports),
    "params_bytes": lambda m: sum(int(r.params) * int(r.bytes_per_elem) for r in m.reports),
    "buffers_bytes": lambda m: sum(2 * int(r.output_shape[1]) * int(r.bytes_per_elem)
                                   for r in m.reports if "batch_norm" in r.kind),
    "activation_elems": lambda m: m.total("output_elems"),
    "batch_activation_elems": lambda m: m.total("output_elems"),
    "macs_no_attn_proj": _macs_without_projections,
    "macs_convt_uncropped": _macs_convt_uncropped,
    "macs_attn_no_av": _macs_without_values,
    **{name: _figure(name) for name in DATA_MISCONCEPTIONS},
}
# figures `read` scales to the template's batch (the engine runs one sample)
PER_BATCH = frozenset({"batch_activation_bytes", "batch_activation_elems"})


def read(m: Measurement, name: str, batch: int | None = None) -> Value:
    """Quantity `name` of a run. `batch` replaces the run's batch in `batch_output_shape` and
    `batch_activation_bytes` (templates show a batch size; the engine runs batch 1 — the batch
    only passes through)."""
    if name in MISCONCEPTION_FIGURES:
        value = MISCONCEPTION_FIGURES[name](m)
    else:
        quantity(name)  # unknown names raise UnknownQuantity with the known ones
        value = READERS[name](m)
    if name == "batch_output_shape" and batch is not None and isinstance(value, tuple):
        return (batch, *value[1:])
    if name in PER_BATCH and batch is not None and isinstance(value, int):
        # every layer here works per sample: the batch's outputs are `batch` copies of one's
        return value * batch // int(m.input_shape[0])
    return value
