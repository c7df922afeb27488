"""Running a network: sequential stacks, residual blocks and concatenated branches.

Layers are built while running, each from the shape that actually reaches it (so ``conv 64``
takes its input channels from the previous output), then run on real arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from quiz.engine import layers as L
from quiz.engine.kinds import build_layer
from quiz.engine.limits import DEFAULT_LIMITS, Limits, check_array
from quiz.engine.netspec import NetSpecError, parse_net
from quiz.engine.report import LayerReport, NetReport
from quiz.engine.spec import ConcatSpec, LayerSpec, NetSpec, Node, ResidualSpec

__all__ = ["Concat", "Item", "NetRun", "Residual", "build_layer", "count_layers", "plan_net",
           "run_net"]


@dataclass
class Residual:
    """Built residual block: output = body(x) + shortcut(x) (identity when shortcut is None);
    ``op == "mul"``: the product, broadcasting over H×W (an SE / attention gate)."""

    body: list[Item]
    shortcut: list[Item] | None
    op: str = "add"


@dataclass
class Concat:
    branches: list[list[Item]]


Item = L.Layer | Residual | Concat
Progress = Callable[[int, str], None]


@dataclass
class NetRun(NetReport):
    """A NetReport plus, for every reported row, the built items from the input to that row
    (what the receptive-field code back-propagates through)."""

    paths: list[list[Item]] = field(default_factory=list)
    graph: list[Item] = field(default_factory=list)


class _Runner:
    def __init__(self, rng: np.random.Generator, progress: Progress | None, total: int,
                 source: str, limits: Limits) -> None:
        self.rng, self.progress, self.total, self.source = rng, progress, total, source
        self.limits = limits
        self.report = NetRun()
        self.done = 0

    def emit(self, report: LayerReport, path: list[Item]) -> None:
        self.report.layers.append(report)
        self.report.paths.append(path)
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, report.name)

    def run_seq(self, nodes: Sequence[Node | L.Layer], x: np.ndarray, prefix: list[Item],
                depth: int) -> tuple[np.ndarray, list[Item]]:
        """Run nodes in order; return the output and the built items (for later paths)."""
        built: list[Item] = []
        for node in nodes:
            x, item = self.run_node(node, x, prefix + built, depth)
            built.append(item)
        return x, built

    def run_node(self, node: Node | L.Layer, x: np.ndarray, prefix: list[Item],
                 depth: int) -> tuple[np.ndarray, Item]:
        if isinstance(node, ResidualSpec):
            return self.run_residual(node, x, prefix, depth)
        if isinstance(node, ConcatSpec):
            return self.run_concat(node, x, prefix, depth)
        layer = node if isinstance(node, L.Layer) else self._build(node, x.shape)
        try:
            y, report = layer.run(x, self.rng, limits=self.limits)
        except ValueError as err:
            if isinstance(node, L.Layer):
                raise
            raise NetSpecError(self.source, node.line, f"{node.text}: {err}") from None
        if depth:
            report = _with_depth(report, depth)
        self.emit(report, [*prefix, layer])
        return y, layer

    def _build(self, spec: LayerSpec, shape: tuple[int, ...]) -> L.Layer:
        try:
            return build_layer(spec, shape)
        except ValueError as err:
            raise NetSpecError(self.source, spec.line, f"{spec.text}: {err}") from None

    def run_residual(self, node: ResidualSpec, x: np.ndarray, prefix: list[Item],
                     depth: int) -> tuple[np.ndarray, Item]:
        body_out, body = self.run_seq(node.body, x, prefix, depth + 1)
        shortcut: list[Item] | None = None
        skip = x
        if node.shortcut is not None:
            skip, shortcut = self.run_seq(node.shortcut, x, prefix, depth + 1)
        if node.op == "add":
            if body_out.shape != skip.shape:
                raise NetSpecError(self.source, node.line,
                                   f"residual body gives {body_out.shape} but the shortcut gives "
                                   f"{skip.shape}; add a projection 'shortcut'")
            y = body_out + skip
            title = "residual add"
        else:
            y = self.gate(node, body_out, skip)
            title = "multiply"
        item = Residual(body, shortcut, node.op)
        self.emit(_join_report(node.op, title, (body_out, skip), y, depth), [*prefix, item])
        return y, item

    def gate(self, node: ResidualSpec, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Element-wise product; a 1×1 (or matching) H×W and a matching channel count
        broadcast, as PyTorch's ``x * gate`` in squeeze-and-excitation."""
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            shape = None
        if shape is None or shape[:2] != max(a.shape, b.shape, key=len)[:2]:
            raise NetSpecError(self.source, node.line,
                               f"'mul' operands {a.shape} and {b.shape} do not broadcast "
                               "(only H×W may be 1)")
        return np.asarray(a * b)

    def run_concat(self, node: ConcatSpec, x: np.ndarray, prefix: list[Item],
                   depth: int) -> tuple[np.ndarray, Item]:
        outputs, branches = [], []
        for branch in node.branches:
            out, built = self.run_seq(branch, x, prefix, depth + 1)
            outputs.append(out)
            branches.append(built)
        spatial = {o.shape[:1] + o.shape[2:] for o in outputs}
        if len(spatial) != 1:
            raise NetSpecError(self.source, node.line,
                               f"concat branches give shapes {[o.shape for o in outputs]}; "
                               "all but channels must agree")
        y = np.concatenate(outputs, axis=1)
        item = Concat(branches)
        self.emit(_join_report("concat", "concat", tuple(outputs), y, depth), [*prefix, item])
        return y, item


def _with_depth(report: LayerReport, depth: int) -> LayerReport:
    values = report.__dict__ | {"depth": depth}
    return LayerReport(**values)


def _join_report(kind: str, name: str, inputs: tuple[np.ndarray, ...], y: np.ndarray,
                 depth: int) -> LayerReport:
    in_elems = sum(int(a.size) for a in inputs)
    return LayerReport(
        name=name, kind=kind, input_shape=tuple(inputs[0].shape), output_shape=tuple(y.shape),
        params=0, weight_params=0, bias_params=0, macs=0, bias_adds=0, flops=0,
        input_elems=in_elems, output_elems=int(y.size), weight_elems=0,
        working_set_elems=in_elems + int(y.size), bytes_per_elem=int(y.dtype.itemsize),
        depth=depth,
    )


def plan_net(nodes: Sequence[Node | L.Layer], input_shape: tuple[int, ...], itemsize: int,
             limits: Limits = DEFAULT_LIMITS, source: str = "<layers>") -> tuple[int, ...]:
    """Walk a net on shapes alone (no array is made) and refuse the first layer over
    ``limits`` (``NetSpecError`` naming its line, or ``ResourceLimitError`` for a built layer).
    Returns the estimated output shape; other errors are left to the run, which reports them."""
    shape = input_shape
    for node in nodes:
        shape = _plan_node(node, shape, itemsize, limits, source)
    return shape


def _plan_node(node: Node | L.Layer, shape: tuple[int, ...], itemsize: int, limits: Limits,
               source: str) -> tuple[int, ...]:
    if isinstance(node, ResidualSpec):
        body = plan_net(node.body, shape, itemsize, limits, source)
        skip = plan_net(node.shortcut, shape, itemsize, limits, source) if node.shortcut \
            else shape
        try:
            return tuple(np.broadcast_shapes(body, skip))
        except ValueError:
            return body  # the run names the mismatch
    if isinstance(node, ConcatSpec):
        outs = [plan_net(branch, shape, itemsize, limits, source) for branch in node.branches]
        return (outs[0][0], sum(o[1] for o in outs), *outs[0][2:])
    if isinstance(node, L.Layer):
        node.check(shape, itemsize, limits)
        return node.estimate(shape)[0]
    try:
        layer = build_layer(node, shape)
        layer.check(shape, itemsize, limits)
        return layer.estimate(shape)[0]
    except ValueError as err:
        raise NetSpecError(source, node.line, f"{node.text}: {err}") from None


def count_layers(nodes: Sequence[Node | L.Layer]) -> int:
    """Rows a run will report (layers plus one per residual add / concat)."""
    total = 0
    for node in nodes:
        if isinstance(node, ResidualSpec):
            total += 1 + count_layers(node.body) + count_layers(node.shortcut or [])
        elif isinstance(node, ConcatSpec):
            total += 1 + sum(count_layers(b) for b in node.branches)
        else:
            total += 1
    return total


def run_net(
    spec_or_layers: NetSpec | str | Sequence[L.Layer | Node],
    input_shape: Sequence[int] | None = None,
    rng: np.random.Generator | None = None,
    dtype: type | np.dtype = np.float64,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> NetRun:
    """Run a network on a random input of ``input_shape`` ((C, H, W) or (N, C, H, W); (F,)
    or (N, F) for a vector input).

    ``spec_or_layers`` is a parsed :class:`NetSpec`, the text of one, or a list of layers.
    Without ``input_shape`` the spec's ``input`` line is used. A layer (or the input) over
    ``limits`` is refused before it is allocated (``ResourceLimitError``, a ValueError).
    """
    if isinstance(spec_or_layers, str):
        spec_or_layers = parse_net(spec_or_layers)
    nodes: Sequence[L.Layer | Node]
    if isinstance(spec_or_layers, NetSpec):
        nodes = spec_or_layers.nodes
        if input_shape is None:
            input_shape = spec_or_layers.input_shape
    else:
        nodes = list(spec_or_layers)
    if input_shape is None:
        raise ValueError("no input shape: pass input_shape or put 'input CxHxW' in the net")
    shape = tuple(int(v) for v in input_shape)
    if len(shape) in (1, 3):
        shape = (1, *shape)
    if len(shape) not in (2, 4) or min(shape) <= 0:
        raise ValueError(f"input shape must be (C, H, W) or (N, C, H, W), got {input_shape}")
    itemsize = np.dtype(dtype).itemsize
    check_array("input", shape, max(4, itemsize), limits)
    source = spec_or_layers.source if isinstance(spec_or_layers, NetSpec) else "<layers>"
    plan_net(nodes, shape, itemsize, limits, source)  # refuse before anything is allocated
    rng = rng if rng is not None else np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32).astype(dtype, copy=False)
    runner = _Runner(rng, progress, count_layers(nodes), source, limits)
    y, graph = runner.run_seq(nodes, x, [], 0)
    result = runner.report
    result.input_shape, result.output_shape, result.graph = shape, tuple(y.shape), graph
    return result
