"""Parser of the network text format (see data/nets/README.md).

One layer per line, ``#`` starts a comment, indentation is free (it only helps the reader):
blocks are opened by ``res`` / ``concat`` and closed by ``end``. Errors name the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ConcatSpec",
    "LayerSpec",
    "NetSpec",
    "NetSpecError",
    "Node",
    "ResidualSpec",
    "load_net",
    "parse_net",
]


class NetSpecError(ValueError):
    """A malformed network description; the message reads ``file:line: message``."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}")


@dataclass(frozen=True)
class LayerSpec:
    """One layer line: its keyword and the options given (others take PyTorch's defaults)."""

    kind: str
    options: dict[str, object]
    line: int
    text: str


@dataclass
class ResidualSpec:
    """``res`` block: output = body(x) + shortcut(x) (identity when ``shortcut`` is None)."""

    body: list[Node]
    shortcut: list[Node] | None
    line: int


@dataclass
class ConcatSpec:
    """``concat`` block: branches all read the same input; outputs joined along channels."""

    branches: list[list[Node]]
    line: int


Node = LayerSpec | ResidualSpec | ConcatSpec


@dataclass
class NetSpec:
    nodes: list[Node] = field(default_factory=list)
    input_shape: tuple[int, int, int] | None = None  # (C, H, W) from an ``input`` line
    source: str = "<string>"
    name: str = "net"


# keyword -> options it accepts (a token is matched against these patterns in order)
_LAYER_OPTIONS: dict[str, tuple[str, ...]] = {
    "conv": ("out", "k", "s", "p", "d", "g", "nobias", "name"),
    "dwconv": ("k", "s", "p", "d", "nobias", "name"),
    "convT": ("out", "k", "s", "p", "op", "d", "g", "nobias", "name"),
    "maxpool": ("k", "s", "p", "d", "ceil", "name"),
    "avgpool": ("k", "s", "p", "ceil", "nopadcount", "name"),
    "adaptivepool": ("size", "name"),
    "gap": ("name",),
    "bn": ("name",),
    "gn": ("groups_count", "name"),
    "ln": ("name",),
    "relu": ("name",),
    "flatten": ("name",),
    "fc": ("out", "nobias", "name"),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "conv": ("out", "k"), "dwconv": ("k",), "convT": ("out", "k"), "maxpool": ("k",),
    "avgpool": ("k",), "adaptivepool": ("size",), "gn": ("groups_count",), "fc": ("out",),
}
_PAIR = r"(\d+)(?:x(\d+))?"
_TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {
    "k": re.compile(rf"k{_PAIR}"),
    "s": re.compile(rf"s{_PAIR}"),
    "op": re.compile(rf"op{_PAIR}"),
    "p": re.compile(rf"p(?:{_PAIR}|(same|valid|tfsame))"),
    "d": re.compile(rf"d{_PAIR}"),
    "g": re.compile(r"g(\d+)"),
    "out": re.compile(r"(\d+)"),
    "size": re.compile(_PAIR),
    "groups_count": re.compile(r"(\d+)"),
    "nobias": re.compile(r"nobias"),
    "ceil": re.compile(r"ceil"),
    "nopadcount": re.compile(r"nopadcount"),
    "name": re.compile(r"name=([A-Za-z0-9_.\-]+)"),
}


def load_net(path: str | Path) -> NetSpec:
    path = Path(path)
    spec = parse_net(path.read_text(encoding="utf-8"), source=str(path))
    spec.name = path.stem
    return spec


def parse_net(text: str, source: str = "<string>") -> NetSpec:
    """Parse the text format into a tree of specs (layers and residual / concat blocks)."""
    parser = _Parser(source)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            parser.feed(line, number)
    return parser.finish()


@dataclass
class _Open:
    """A block being read: where new nodes currently go."""

    kind: str  # "res" or "concat"
    line: int
    body: list[Node] = field(default_factory=list)
    shortcut: list[Node] | None = None
    branches: list[list[Node]] = field(default_factory=list)
    in_shortcut: bool = False

    def target(self) -> list[Node] | None:
        if self.kind == "res":
            return self.shortcut if self.in_shortcut else self.body
        return self.branches[-1] if self.branches else None


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.spec = NetSpec(source=source)
        self.stack: list[_Open] = []
        self.seen_layer = False

    def error(self, line: int, message: str) -> NetSpecError:
        return NetSpecError(self.source, line, message)

    def current(self, line: int) -> list[Node]:
        if not self.stack:
            return self.spec.nodes
        target = self.stack[-1].target()
        if target is None:
            raise self.error(line, "a concat block must start with 'branch'")
        return target

    def feed(self, line: str, number: int) -> None:
        keyword, *tokens = line.split()
        handler = {
            "input": self.on_input, "res": self.on_res, "shortcut": self.on_shortcut,
            "concat": self.on_concat, "branch": self.on_branch, "end": self.on_end,
        }.get(keyword)
        if handler is not None:
            handler(tokens, number)
            return
        if keyword not in _LAYER_OPTIONS:
            known = ", ".join(sorted([*_LAYER_OPTIONS, "input", "res", "concat"]))
            raise self.error(number, f"unknown layer '{keyword}' (known: {known})")
        self.current(number).append(self.parse_layer(keyword, tokens, number, line))
        self.seen_layer = True

    def on_input(self, tokens: list[str], number: int) -> None:
        if self.seen_layer or self.stack or self.spec.input_shape is not None:
            raise self.error(number, "'input' must come once, before the first layer")
        if len(tokens) != 1 or not re.fullmatch(r"\d+x\d+x\d+", tokens[0]):
            raise self.error(number, "expected 'input CxHxW', e.g. 'input 3x224x224'")
        c, h, w = (int(v) for v in tokens[0].split("x"))
        if min(c, h, w) <= 0:
            raise self.error(number, "input dimensions must be positive")
        self.spec.input_shape = (c, h, w)

    def on_res(self, tokens: list[str], number: int) -> None:
        self.no_tokens("res", tokens, number)
        self.current(number)  # validates the position (e.g. not directly inside concat)
        self.stack.append(_Open("res", number))

    def on_concat(self, tokens: list[str], number: int) -> None:
        self.no_tokens("concat", tokens, number)
        self.current(number)
        self.stack.append(_Open("concat", number))

    def on_shortcut(self, tokens: list[str], number: int) -> None:
        self.no_tokens("shortcut", tokens, number)
        if not self.stack or self.stack[-1].kind != "res":
            raise self.error(number, "'shortcut' outside a 'res' block")
        block = self.stack[-1]
        if block.in_shortcut:
            raise self.error(number, "a 'res' block has at most one 'shortcut'")
        block.in_shortcut, block.shortcut = True, []

    def on_branch(self, tokens: list[str], number: int) -> None:
        self.no_tokens("branch", tokens, number)
        if not self.stack or self.stack[-1].kind != "concat":
            raise self.error(number, "'branch' outside a 'concat' block")
        self.stack[-1].branches.append([])

    def on_end(self, tokens: list[str], number: int) -> None:
        self.no_tokens("end", tokens, number)
        if not self.stack:
            raise self.error(number, "'end' without an open 'res' or 'concat' block")
        block = self.stack.pop()
        node: Node
        if block.kind == "res":
            if not block.body:
                raise self.error(block.line, "empty 'res' body")
            if block.shortcut is not None and not block.shortcut:
                raise self.error(block.line, "empty 'shortcut' (omit it for identity)")
            node = ResidualSpec(block.body, block.shortcut, block.line)
        else:
            if len(block.branches) < 1 or any(not b for b in block.branches):
                raise self.error(block.line, "a 'concat' needs branches, each with a layer")
            node = ConcatSpec(block.branches, block.line)
        self.current(number).append(node)
        self.seen_layer = True

    def no_tokens(self, keyword: str, tokens: list[str], number: int) -> None:
        if tokens:
            raise self.error(number, f"'{keyword}' takes no options, got {' '.join(tokens)!r}")

    def parse_layer(self, keyword: str, tokens: list[str], number: int, line: str) -> LayerSpec:
        allowed = _LAYER_OPTIONS[keyword]
        options: dict[str, object] = {}
        for token in tokens:
            key, value = self.match_token(keyword, allowed, token, number)
            if key in options:
                raise self.error(number, f"option '{key}' given twice in '{line}'")
            options[key] = value
        missing = [k for k in _REQUIRED.get(keyword, ()) if k not in options]
        if missing:
            raise self.error(number, f"'{keyword}' needs {_describe_options(missing)}")
        return LayerSpec(keyword, options, number, line)

    def match_token(self, keyword: str, allowed: tuple[str, ...], token: str,
                    number: int) -> tuple[str, object]:
        for key in allowed:
            match = _TOKEN_PATTERNS[key].fullmatch(token)
            if match:
                return key, _token_value(key, match)
        raise self.error(number, f"'{keyword}' does not accept '{token}' "
                                 f"(accepted: {_describe_options(allowed)})")

    def finish(self) -> NetSpec:
        if self.stack:
            block = self.stack[-1]
            raise self.error(block.line, f"'{block.kind}' block is never closed by 'end'")
        if not self.spec.nodes:
            raise self.error(1, "no layers")
        return self.spec


def _token_value(key: str, match: re.Match[str]) -> object:
    if key in ("nobias", "ceil", "nopadcount"):
        return True
    if key == "name":
        return match.group(1)
    if key in ("g", "out", "groups_count"):
        return int(match.group(1))
    if key == "p" and match.group(3):
        return match.group(3)  # "same" / "valid" / "tfsame"
    first = int(match.group(1))
    second = match.group(2)
    return first if second is None else (first, int(second))


_OPTION_HELP = {
    "out": "OUT channels", "k": "kN or kHxW", "s": "sN", "p": "pN / psame / pvalid / ptfsame",
    "op": "opN (output padding)", "d": "dN", "g": "gN", "nobias": "nobias", "ceil": "ceil",
    "nopadcount": "nopadcount", "size": "HxW", "groups_count": "GROUPS", "name": "name=ID",
}


def _describe_options(keys: list[str] | tuple[str, ...]) -> str:
    return ", ".join(_OPTION_HELP[k] for k in keys)
