"""Running a network: sequential stacks, residual blocks and concatenated branches.

Layers are built while running, each from the shape that actually reaches it (so ``conv 64``
takes its input channels from the previous output), then run on real arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from quiz.engine import layers as L
from quiz.engine.netspec import (
    ConcatSpec,
    LayerSpec,
    NetSpec,
    NetSpecError,
    Node,
    ResidualSpec,
    parse_net,
)
from quiz.engine.report import LayerReport, NetReport

__all__ = ["Concat", "Item", "NetRun", "Residual", "build_layer", "run_net"]


@dataclass
class Residual:
    """Built residual block: output = body(x) + shortcut(x) (identity when shortcut is None)."""

    body: list[Item]
    shortcut: list[Item] | None


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


Geometry = int | tuple[int, int]


def _int(options: dict[str, object], key: str, default: int | None = None) -> int:
    value = options.get(key, default)
    assert isinstance(value, int), f"{key} must be an int"  # the parser guarantees it
    return value


def _geometry(options: dict[str, object], key: str, default: Geometry) -> Geometry:
    value = options.get(key, default)
    assert isinstance(value, (int, tuple)), f"{key} must be an int or a pair"
    return value


def _padding(options: dict[str, object]) -> Geometry | str:
    value = options.get("p", 0)
    return value if isinstance(value, str) else _geometry(options, "p", 0)


def _stride_or_none(options: dict[str, object]) -> Geometry | None:
    return _geometry(options, "s", 1) if "s" in options else None


def build_layer(spec: LayerSpec, input_shape: tuple[int, ...]) -> L.Layer:
    """Instantiate the layer a spec line describes, for an input of ``input_shape``."""
    o, kind = spec.options, spec.kind
    channels = input_shape[1] if len(input_shape) > 1 else input_shape[-1]
    name = str(o["name"]) if "name" in o else None
    bias = not o.get("nobias", False)
    ceil = bool(o.get("ceil", False))
    if kind in ("conv", "dwconv"):
        depthwise = kind == "dwconv"
        return L.Conv2d(channels, channels if depthwise else _int(o, "out"), _geometry(o, "k", 1),
                        _geometry(o, "s", 1), _padding(o), _geometry(o, "d", 1),
                        channels if depthwise else _int(o, "g", 1), bias, name=name)
    if kind == "convT":
        return L.ConvTranspose2d(channels, _int(o, "out"), _geometry(o, "k", 1),
                                 _geometry(o, "s", 1), _geometry(o, "p", 0),
                                 _geometry(o, "op", 0), _int(o, "g", 1), bias,
                                 _geometry(o, "d", 1), name=name)
    if kind == "maxpool":
        return L.MaxPool2d(_geometry(o, "k", 1), _stride_or_none(o), _geometry(o, "p", 0),
                           _geometry(o, "d", 1), ceil, name=name)
    if kind == "avgpool":
        return L.AvgPool2d(_geometry(o, "k", 1), _stride_or_none(o), _geometry(o, "p", 0), ceil,
                           not o.get("nopadcount", False), name=name)
    if kind in ("adaptivepool", "gap"):
        size = _geometry(o, "size", 1) if kind == "adaptivepool" else 1
        return L.AdaptiveAvgPool2d(size, name=name)
    if kind == "bn":
        return L.BatchNorm2d(channels, name=name)
    if kind == "gn":
        return L.GroupNorm(_int(o, "groups_count"), channels, name=name)
    if kind == "ln":
        return L.LayerNorm(tuple(input_shape[1:]), name=name)
    if kind == "relu":
        return L.ReLU(name=name)
    if kind == "flatten":
        return L.Flatten(name=name)
    if kind == "fc":
        return L.Linear(int(np.prod(input_shape[1:])), _int(o, "out"), bias, name=name)
    raise ValueError(f"line {spec.line}: unknown layer kind {kind!r}")


class _Runner:
    def __init__(self, rng: np.random.Generator, progress: Progress | None, total: int,
                 source: str) -> None:
        self.rng, self.progress, self.total, self.source = rng, progress, total, source
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
            y, report = layer.run(x, self.rng)
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
        if body_out.shape != skip.shape:
            raise NetSpecError(self.source, node.line,
                               f"residual body gives {body_out.shape} but the shortcut gives "
                               f"{skip.shape}; add a projection 'shortcut'")
        y = body_out + skip
        item = Residual(body, shortcut)
        self.emit(_join_report("add", "residual add", (body_out, skip), y, depth),
                  [*prefix, item])
        return y, item

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
) -> NetRun:
    """Run a network on a random input of ``input_shape`` ((C, H, W) or (N, C, H, W)).

    ``spec_or_layers`` is a parsed :class:`NetSpec`, the text of one, or a list of layers.
    Without ``input_shape`` the spec's ``input`` line is used.
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
    if len(shape) == 3:
        shape = (1, *shape)
    if len(shape) != 4 or min(shape) <= 0:
        raise ValueError(f"input shape must be (C, H, W) or (N, C, H, W), got {input_shape}")
    rng = rng if rng is not None else np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32).astype(dtype, copy=False)
    source = spec_or_layers.source if isinstance(spec_or_layers, NetSpec) else "<layers>"
    runner = _Runner(rng, progress, count_layers(nodes), source)
    y, graph = runner.run_seq(nodes, x, [], 0)
    result = runner.report
    result.input_shape, result.output_shape, result.graph = shape, tuple(y.shape), graph
    return result
