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


@dataclass(frozen=True)
class Quantity:
    name: str
    form: Form
    doc: str
    receptive: bool = False   # needs the receptive-field analysis (slower: back-propagation)
    # what a count counts, for grading an answer's unit (quiz.numeric.units): params, macs,
    # flops, elements, bytes, pixels; "" for shapes and plain sizes
    counts: str = ""


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
