"""Resource limits: a layer's memory and work are estimated from shapes *before* anything is
allocated, and a configuration over the limit is refused with one line naming the layer.

The engine runs real arrays, so a typo (`--input 1x3x100000x100000`) or a template drawing a
huge layer would otherwise swap the machine or die in a MemoryError traceback.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_BYTES",
    "MAX_MACS",
    "Limits",
    "ResourceLimitError",
    "check_array",
    "check_layer",
    "format_bytes",
]

# Memory of one layer's input + output + parameters. Real interview-sized layers need a few
# hundred MiB at most (VGG-16's largest at 224×224: 13 MiB).
MAX_BYTES = 2 * 1024 ** 3
# Multiply-accumulates of one layer: 5·10^10 is ~25 VGG-16s, about a minute of NumPy GEMM.
MAX_MACS = 5 * 10 ** 10


@dataclass(frozen=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_macs: int = MAX_MACS


DEFAULT_LIMITS = Limits()


class ResourceLimitError(ValueError):
    """A layer or an input would need more memory or work than the limits allow."""


def format_bytes(value: float) -> str:
    for scale, suffix in ((1024 ** 4, "TiB"), (1024 ** 3, "GiB"), (1024 ** 2, "MiB"),
                          (1024, "KiB")):
        if value >= scale:
            return f"{value / scale:.1f} {suffix}"
    return f"{int(value)} B"


def _shape(shape: Sequence[int]) -> str:
    return "x".join(str(int(v)) for v in shape)


def check_array(what: str, shape: Sequence[int], itemsize: int,
                limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse to allocate an array (e.g. a net's random input) over the memory limit."""
    needed = math.prod(int(v) for v in shape) * itemsize
    if needed > limits.max_bytes:
        raise ResourceLimitError(
            f"{what} {_shape(shape)} needs {format_bytes(needed)}, over the engine's limit of "
            f"{format_bytes(limits.max_bytes)}")


def check_layer(name: str, input_shape: Sequence[int], output_shape: Sequence[int],
                params: int, macs: int, itemsize: int,
                limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a layer whose input + output + parameters or MACs are over the limits."""
    elements = (math.prod(int(v) for v in input_shape) + math.prod(int(v) for v in output_shape)
                + params)
    needed = elements * itemsize
    if needed > limits.max_bytes:
        raise ResourceLimitError(
            f"{name}: input {_shape(input_shape)} -> output {_shape(output_shape)} needs "
            f"{format_bytes(needed)} (input + output + {params:,} parameters), over the "
            f"engine's limit of {format_bytes(limits.max_bytes)}")
    if macs > limits.max_macs:
        raise ResourceLimitError(
            f"{name}: input {_shape(input_shape)} -> output {_shape(output_shape)} needs "
            f"{macs:,} MACs ({macs / 1e9:.3g} G), over the engine's limit of "
            f"{limits.max_macs / 1e9:.3g} G MACs per layer")
