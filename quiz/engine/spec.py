"""Typed specs of the network text format: layer lines, blocks, whole nets — and back to text.

A spec is what a line *says* (keyword and options); what the layer *does* (output shape,
parameters, MACs, receptive-field step) comes from the layer the registry (`quiz.engine.kinds`)
builds and runs. Specs are immutable values, so a rewrite (a misconception recipe: drop the
dilation, drop the groups, ...) is a function from spec to spec, and `NetSpec.render()` gives
text the parser reads back to an equal spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

__all__ = [
    "OPTIONS",
    "ConcatSpec",
    "LayerSpec",
    "NetSpec",
    "Node",
    "Option",
    "OptionValue",
    "ResidualSpec",
]

OptionValue = int | float | str | bool | tuple[int, int]
Pair = tuple[int, int]


@dataclass(frozen=True)
class Option:
    """One option token: how it is written, read and shown in help."""

    pattern: re.Pattern[str]
    read: Callable[[re.Match[str]], OptionValue]
    write: Callable[[OptionValue], str]
    help: str


def _read_pair(match: re.Match[str]) -> OptionValue:
    first, second = int(match.group(1)), match.group(2)
    return first if second is None else (first, int(second))


def _write_pair(prefix: str) -> Callable[[OptionValue], str]:
    def write(value: OptionValue) -> str:
        if isinstance(value, tuple):  # as written: `k3x3` stays a pair, `k3` an int
            return f"{prefix}{value[0]}x{value[1]}"
        return f"{prefix}{value}"
    return write


def _read_padding(match: re.Match[str]) -> OptionValue:
    return match.group(3) if match.group(3) else _read_pair(match)


def _flag(word: str) -> Option:
    return Option(re.compile(word), lambda _: True, lambda _: word, word)


def _int(prefix: str, help_text: str) -> Option:
    return Option(re.compile(rf"{prefix}(\d+)"), lambda m: int(m.group(1)),
                  lambda v: f"{prefix}{v}", help_text)


_PAIR = r"(\d+)(?:x(\d+))?"
_FLOAT = r"(\d+(?:\.\d*)?(?:e-?\d+)?|\.\d+(?:e-?\d+)?)"

# Every option key, in the order `render` writes them (positional values first).
OPTIONS: dict[str, Option] = {
    "out": _int("", "OUT channels"),
    "size": Option(re.compile(_PAIR), _read_pair, _write_pair(""), "HxW"),
    "groups_count": _int("", "GROUPS"),
    "rate": Option(re.compile(_FLOAT), lambda m: float(m.group(1)), lambda v: f"{v:g}",
                   "RATE (e.g. 0.5)"),
    "chunk": Option(re.compile(r"(\d+)/(\d+)"), lambda m: (int(m.group(1)), int(m.group(2))),
                    lambda v: f"{v[0]}/{v[1]}" if isinstance(v, tuple) else str(v),
                    "I/N (chunk I of N)"),
    "scale": _int("x", "xN (scale factor)"),
    "k": Option(re.compile(rf"k{_PAIR}"), _read_pair, _write_pair("k"), "kN or kHxW"),
    "s": Option(re.compile(rf"s{_PAIR}"), _read_pair, _write_pair("s"), "sN"),
    "p": Option(re.compile(rf"p(?:{_PAIR}|(same|valid|tfsame))"), _read_padding,
                lambda v: f"p{v}" if isinstance(v, str) else _write_pair("p")(v),
                "pN / psame / pvalid / ptfsame"),
    "op": Option(re.compile(rf"op{_PAIR}"), _read_pair, _write_pair("op"),
                 "opN (output padding)"),
    "d": Option(re.compile(rf"d{_PAIR}"), _read_pair, _write_pair("d"), "dN"),
    "g": _int("g", "gN"),
    "heads": _int("h", "hN (attention heads)"),
    "eps": Option(re.compile(rf"eps{_FLOAT}"), lambda m: float(m.group(1)),
                  lambda v: f"eps{v:g}", "epsX (e.g. eps1e-3)"),
    "mode": Option(re.compile(r"(nearest|bilinear)"), lambda m: m.group(1), str,
                   "nearest / bilinear"),
    "approx": Option(re.compile(r"(tanh)"), lambda m: m.group(1), str, "tanh"),
    "nobias": _flag("nobias"),
    "noaffine": _flag("noaffine"),
    "ceil": _flag("ceil"),
    "nopadcount": _flag("nopadcount"),
    "align": _flag("align"),
    "name": Option(re.compile(r"name=([A-Za-z0-9_.\-]+)"), lambda m: m.group(1),
                   lambda v: f"name={v}", "name=ID"),
}


@dataclass(frozen=True)
class LayerSpec:
    """One layer line: its keyword and the options given (the rest take PyTorch's defaults).

    ``line`` and ``text`` say where it came from (0 and "" for a spec made in code)."""

    kind: str
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    line: int = 0
    text: str = ""

    def get(self, key: str, default: OptionValue | None = None) -> OptionValue | None:
        return self.options.get(key, default)

    def pair(self, key: str, default: int) -> Pair:
        """A geometry option as (h, w): `k3` → (3, 3), `k3x5` → (3, 5), absent → default."""
        value = self.options.get(key, default)
        if isinstance(value, tuple):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
        raise ValueError(f"option {key!r} of '{self.render()}' is {value!r}, not a size")

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.options.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"'{self.render()}' needs an integer {key!r}")
        return value

    def flag(self, key: str) -> bool:
        return bool(self.options.get(key, False))

    def with_options(self, **changes: OptionValue | None) -> LayerSpec:
        """A copy with options set (``None`` removes one); the text is re-rendered."""
        options = dict(self.options)
        for key, value in changes.items():
            if value is None or value is False:
                options.pop(key, None)
            else:
                options[key] = value
        spec = replace(self, options=options)
        return replace(spec, text=spec.render())

    def with_kind(self, kind: str, **changes: OptionValue | None) -> LayerSpec:
        return replace(self, kind=kind).with_options(**changes)

    def render(self) -> str:
        tokens = [self.kind]
        tokens += [OPTIONS[key].write(self.options[key]) for key in OPTIONS
                   if key in self.options]
        return " ".join(tokens)


@dataclass(frozen=True)
class ResidualSpec:
    """``res`` (sum) or ``mul`` (product, broadcasting over H×W: SE gates) block:
    output = body(x) op shortcut(x), the shortcut being the identity when None."""

    body: tuple[Node, ...]
    shortcut: tuple[Node, ...] | None
    line: int = 0
    op: str = "add"

    @property
    def keyword(self) -> str:
        return "res" if self.op == "add" else "mul"


@dataclass(frozen=True)
class ConcatSpec:
    """``concat`` block: branches all read the same input; outputs joined along channels."""

    branches: tuple[tuple[Node, ...], ...]
    line: int = 0


Node = LayerSpec | ResidualSpec | ConcatSpec
LayerMap = Callable[[LayerSpec], "LayerSpec | None"]


@dataclass(frozen=True)
class NetSpec:
    nodes: tuple[Node, ...] = ()
    input_shape: tuple[int, ...] | None = None  # (C, H, W), or (F,) for a vector input
    source: str = "<string>"
    name: str = "net"

    def layers(self) -> Iterator[LayerSpec]:
        """Every layer line, in file order (block members included)."""
        yield from _layers(self.nodes)

    def is_sequential(self) -> bool:
        return all(isinstance(node, LayerSpec) for node in self.nodes)

    def with_input(self, shape: tuple[int, ...]) -> NetSpec:
        return replace(self, input_shape=tuple(int(v) for v in shape))

    def map_layers(self, change: LayerMap) -> NetSpec:
        """Apply ``change`` to every layer (``None`` drops it); a block body left empty
        becomes the identity."""
        return replace(self, nodes=_map(self.nodes, change))

    def render(self) -> str:
        lines = []
        if self.input_shape is not None:
            lines.append("input " + "x".join(str(v) for v in self.input_shape))
        _render(self.nodes, 0, lines)
        return "\n".join(lines) + "\n"


def _layers(nodes: tuple[Node, ...]) -> Iterator[LayerSpec]:
    for node in nodes:
        if isinstance(node, LayerSpec):
            yield node
        elif isinstance(node, ResidualSpec):
            yield from _layers(node.body)
            yield from _layers(node.shortcut or ())
        else:
            for branch in node.branches:
                yield from _layers(branch)


def _map(nodes: tuple[Node, ...], change: LayerMap) -> tuple[Node, ...]:
    result: list[Node] = []
    for node in nodes:
        if isinstance(node, LayerSpec):
            changed = change(node)
            if changed is not None:
                result.append(changed)
        elif isinstance(node, ResidualSpec):
            shortcut = None if node.shortcut is None else _map(node.shortcut, change)
            result.append(replace(node, body=_map(node.body, change) or _IDENTITY,
                                  shortcut=shortcut or (None if shortcut is None else _IDENTITY)))
        else:
            result.append(replace(node, branches=tuple(
                _map(branch, change) or _IDENTITY for branch in node.branches)))
    return tuple(result)


_IDENTITY: tuple[Node, ...] = (LayerSpec("identity"),)


def _render(nodes: tuple[Node, ...], depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    for node in nodes:
        if isinstance(node, LayerSpec):
            lines.append(pad + node.render())
        elif isinstance(node, ResidualSpec):
            lines.append(pad + node.keyword)
            _render(node.body, depth + 1, lines)
            if node.shortcut is not None:
                lines.append(pad + "shortcut")
                _render(node.shortcut, depth + 1, lines)
            lines.append(pad + "end")
        else:
            lines.append(pad + "concat")
            for branch in node.branches:
                lines.append(pad + "  branch")
                _render(branch, depth + 2, lines)
            lines.append(pad + "end")
