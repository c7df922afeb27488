"""What a layer or a network run reports: shapes, parameters, work and memory."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LayerReport", "NetReport"]


@dataclass(frozen=True)
class LayerReport:
    """Figures of one layer run, all counted from the arrays created and the work done.

    Conventions: ``macs`` are multiply-accumulates of the whole batch; ``flops = 2 * macs``
    (bias additions are *not* included, they are listed in ``bias_adds``); the working set is
    input + output + parameters, in elements (``bytes_per_elem`` converts to bytes).
    """

    name: str
    kind: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    weight_params: int
    bias_params: int
    macs: int
    bias_adds: int
    flops: int
    input_elems: int
    output_elems: int
    weight_elems: int
    working_set_elems: int
    bytes_per_elem: int
    depth: int = 0  # nesting level inside residual / concat blocks (for indented tables)
    # zeros a conv layer added (top, bottom, left, right); TF 'SAME' may add more after
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def working_set_bytes(self) -> int:
        return self.working_set_elems * self.bytes_per_elem

    @property
    def activation_bytes(self) -> int:
        """Bytes of the output activation this layer produced."""
        return self.output_elems * self.bytes_per_elem

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "kind": self.kind,
            "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
            "params": self.params, "weight_params": self.weight_params,
            "bias_params": self.bias_params, "macs": self.macs, "bias_adds": self.bias_adds,
            "flops": self.flops, "input_elems": self.input_elems,
            "output_elems": self.output_elems, "weight_elems": self.weight_elems,
            "working_set_elems": self.working_set_elems,
            "working_set_bytes": self.working_set_bytes, "bytes_per_elem": self.bytes_per_elem,
            "depth": self.depth,
        }


@dataclass
class NetReport:
    """Per-layer reports of a network run, in execution order, and their totals."""

    layers: list[LayerReport] = field(default_factory=list)
    input_shape: tuple[int, ...] = ()
    output_shape: tuple[int, ...] = ()

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def flops(self) -> int:
        return sum(layer.flops for layer in self.layers)

    @property
    def bias_adds(self) -> int:
        return sum(layer.bias_adds for layer in self.layers)

    @property
    def peak_working_set_elems(self) -> int:
        return max((layer.working_set_elems for layer in self.layers), default=0)

    def as_dict(self) -> dict[str, object]:
        return {
            "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
            "params": self.params, "macs": self.macs, "flops": self.flops,
            "bias_adds": self.bias_adds, "layers": [layer.as_dict() for layer in self.layers],
        }
