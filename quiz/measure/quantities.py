"""The one vocabulary of measured quantities, shared by ```claim blocks and numeric templates.

A claim names a quantity (`quantity: output_hw`); a template asks for one as a function of a
net (`ask: output_hw(net)`). Both read the same figure of the same engine run. Per-sample and
batched forms have different names (`output_shape` is C×H×W, `batch_output_shape` is N×C×H×W).
The list is documented once, in data/questions/README.md ("Measured quantities").

This module is pure data: the bank parser imports it to validate names at parse time without
loading NumPy or the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Form(str, Enum):
    """What a quantity's value looks like."""

    COUNT = "count"      # an integer total over the layers run (params, MACs, …)
    SIZE = "size"        # one integer read from the output (its height, its channels, …)
    SHAPE = "shape"      # a tuple of integers
    FIELD = "field"      # receptive field / effective stride: one number when square, else H×W
    VALUE = "value"      # a real number computed from a template's data (IoU, AP, probability)


@dataclass(frozen=True)
class Quantity:
    name: str
    form: Form
    doc: str
    receptive: bool = False   # needs the receptive-field analysis (slower: back-propagation)
    # what a count counts, for grading an answer's unit (quiz.numeric.units): params, macs,
    # flops, elements, bytes, pixels; "" for shapes and plain sizes
    counts: str = ""
    data: bool = False        # read from a `data` section's computation, not from a net's layers


QUANTITIES: dict[str, Quantity] = {q.name: q for q in (
    Quantity("params", Form.COUNT, "learnable parameters (weights + biases)", counts="params"),
    Quantity("weight_params", Form.COUNT, "weights only", counts="params"),
    Quantity("bias_params", Form.COUNT, "biases only", counts="params"),
    Quantity("macs", Form.COUNT, "multiply-accumulates", counts="macs"),
    Quantity("flops", Form.COUNT, "2 × MACs (bias additions not included)", counts="flops"),
    Quantity("bias_adds", Form.COUNT, "bias additions", counts="flops"),
    Quantity("working_set", Form.COUNT,
             "input + output + parameters of each layer, summed, in elements",
             counts="elements"),
    Quantity("output_shape", Form.SHAPE, "per sample: C×H×W (a length after flatten / fc)"),
    Quantity("batch_output_shape", Form.SHAPE, "N×C×H×W, with the batch"),
    Quantity("output_hw", Form.SHAPE, "H×W of the output"),
    Quantity("output_h", Form.SIZE, "output height"),
    Quantity("output_w", Form.SIZE, "output width"),
    Quantity("output_c", Form.SIZE, "output channels"),
    Quantity("output_elems", Form.SIZE, "elements of the output, per sample",
             counts="elements"),
    Quantity("pad_top", Form.COUNT, "zero rows a conv layer added above the input",
             counts="pixels"),
    Quantity("pad_bottom", Form.COUNT, "zero rows a conv layer added below the input",
             counts="pixels"),
    Quantity("pad_total", Form.COUNT, "zero rows added above + below (along H)",
             counts="pixels"),
    Quantity("buffers", Form.COUNT,
             "BatchNorm running_mean + running_var elements (not num_batches_tracked)",
             counts="elements"),
    Quantity("activation_bytes", Form.COUNT,
             "bytes of every layer's output as the engine ran it (float32), per sample",
             counts="bytes"),
    Quantity("batch_activation_bytes", Form.COUNT,
             "activation_bytes for the whole batch (a template's `batch:`)", counts="bytes"),
    # computed from a template's `data` section (quiz.engine.problem), not from a net
    Quantity("iou", Form.VALUE, "IoU of two boxes (x1, y1, x2, y2; width x2 − x1, no +1)",
             data=True),
    Quantity("ap_all", Form.VALUE, "AP at IoU 0.5, VOC all-point interpolation", data=True),
    Quantity("ap_11", Form.VALUE, "AP at IoU 0.5, VOC 2007 11-point interpolation",
             data=True),
    Quantity("ap_coco", Form.VALUE,
             "all-point AP averaged over IoU thresholds 0.50:0.05:0.95", data=True),
    Quantity("fpn_level", Form.SIZE, "FPN level of an RoI: ⌊k0 + log2(√(wh)/224)⌋, clamped",
             data=True),
    Quantity("anchors", Form.COUNT, "anchors of an image over its FPN levels",
             counts="anchors", data=True),
    Quantity("survival", Form.VALUE, "DropPath survival probability of a block", data=True),
    Quantity("expected_depth", Form.VALUE, "expected number of residual blocks kept (Σ p_l)",
             data=True),
    Quantity("train_state_bytes", Form.COUNT,
             "bytes of weights + gradients + master copy + optimizer moments",
             counts="bytes", data=True),
    Quantity("rf", Form.FIELD, "receptive field of the last layer", receptive=True,
             counts="pixels"),
    Quantity("jump", Form.FIELD, "effective stride of the last layer", receptive=True,
             counts="pixels"),
)}


class UnknownQuantity(ValueError):
    """A name that is not in the vocabulary; the message lists the known ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown quantity {name!r} (known: {', '.join(sorted(QUANTITIES))})")


def quantity(name: str) -> Quantity:
    """The quantity called `name`; raises `UnknownQuantity` with the known names."""
    try:
        return QUANTITIES[name]
    except KeyError:
        raise UnknownQuantity(name) from None


def form_of(name: str) -> Form:
    return quantity(name).form
