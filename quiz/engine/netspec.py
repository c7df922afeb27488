"""The one reader of the network text format (see data/nets/README.md).

One layer per line, ``#`` starts a comment, indentation is free (it only helps the reader):
blocks are opened by ``res`` / ``mul`` / ``concat`` and closed by ``end``. Layer keywords and
their options come from the registry (`quiz.engine.kinds.KINDS`); the result is a tree of
typed specs (`quiz.engine.spec`). Errors name the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from quiz.engine.kinds import KINDS
from quiz.engine.spec import (
    OPTIONS,
    ConcatSpec,
    LayerSpec,
    NetSpec,
    Node,
    OptionValue,
    ResidualSpec,
)

__all__ = [
    "MAX_NESTING",
    "ConcatSpec",
    "LayerSpec",
    "NetSpec",
    "NetSpecError",
    "Node",
    "ResidualSpec",
    "load_net",
    "parse_net",
]

# Blocks nested deeper than this are refused: running, tracing and printing recurse per level,
# and no real network nests more than a handful.
MAX_NESTING = 64
MAX_NET_BYTES = 2**20  # a net file is a few hundred lines
_BLOCKS = {"res": "add", "mul": "mul"}


class NetSpecError(ValueError):
    """A malformed network description; the message reads ``file:line: message``."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}")


def load_net(path: str | Path) -> NetSpec:
    from quiz.files import read_user_text

    path = Path(path)  # a FIFO, a device or an oversized file: FileRefused (an OSError)
    spec = parse_net(read_user_text(path, MAX_NET_BYTES, what="a net file"), source=str(path))
    return NetSpec(spec.nodes, spec.input_shape, spec.source, path.stem)


def parse_net(text: str, source: str = "<string>") -> NetSpec:
    """Parse the text format into a tree of specs (layers and residual / concat blocks)."""
    parser = _Parser(source)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            parser.feed(line, number)
    return parser.finish()


# Sizes torch refuses at 0 (ValueError or RuntimeError at construction or first call): groups,
# heads, GroupNorm / ChannelShuffle groups, scale factors, kernel, stride and dilation, and an
# LSTM's hidden size. Output channels of 0 (Conv2d(3, 0, 3), Linear(3, 0)) torch accepts.
POSITIVE_OPTIONS = frozenset({"g", "heads", "groups_count", "scale", "k", "s", "d"})
POSITIVE_PER_LAYER = frozenset({("lstm", "out")})


def _must_be_positive(keyword: str, key: str) -> bool:
    return key in POSITIVE_OPTIONS or (keyword, key) in POSITIVE_PER_LAYER


def _has_zero(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value <= 0
    return isinstance(value, tuple) and any(isinstance(v, int) and not isinstance(v, bool)
                                            and v <= 0 for v in value)


def parse_layer(text: str, line: int = 0, source: str = "<string>") -> LayerSpec:
    """One layer line (``conv 64 k3 p1``) as a spec."""
    keyword, *tokens = text.split()
    return _Parser(source).parse_layer(keyword, tokens, line, text)


@dataclass
class _Open:
    """A block being read: where new nodes currently go."""

    kind: str  # "res", "mul" or "concat"
    line: int
    body: list[Node] = field(default_factory=list)
    shortcut: list[Node] | None = None
    branches: list[list[Node]] = field(default_factory=list)
    in_shortcut: bool = False

    def target(self) -> list[Node] | None:
        if self.kind != "concat":
            return self.shortcut if self.in_shortcut else self.body
        return self.branches[-1] if self.branches else None


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes: list[Node] = []
        self.input_shape: tuple[int, ...] | None = None
        self.stack: list[_Open] = []
        self.seen_layer = False

    def error(self, line: int, message: str) -> NetSpecError:
        return NetSpecError(self.source, line, message)

    def current(self, line: int) -> list[Node]:
        if not self.stack:
            return self.nodes
        target = self.stack[-1].target()
        if target is None:
            raise self.error(line, "a concat block must start with 'branch'")
        return target

    def feed(self, line: str, number: int) -> None:
        keyword, *tokens = line.split()
        if keyword in _BLOCKS or keyword == "concat":
            self.on_open(keyword, tokens, number)
            return
        handler = {"input": self.on_input, "shortcut": self.on_shortcut,
                   "branch": self.on_branch, "end": self.on_end}.get(keyword)
        if handler is not None:
            handler(tokens, number)
            return
        if keyword not in KINDS:
            known = ", ".join(sorted([*KINDS, "input", "res", "mul", "concat"]))
            raise self.error(number, f"unknown layer '{keyword}' (known: {known})")
        self.current(number).append(self.parse_layer(keyword, tokens, number, line))
        self.seen_layer = True

    def on_input(self, tokens: list[str], number: int) -> None:
        if self.seen_layer or self.stack or self.input_shape is not None:
            raise self.error(number, "'input' must come once, before the first layer")
        if len(tokens) != 1 or not re.fullmatch(r"\d+(x\d+x\d+)?", tokens[0]):
            raise self.error(number, "expected 'input CxHxW' (e.g. 'input 3x224x224') or "
                                     "'input F' for a vector")
        dims = tuple(int(v) for v in tokens[0].split("x"))
        if min(dims) <= 0:
            raise self.error(number, "input dimensions must be positive")
        self.input_shape = dims

    def on_open(self, keyword: str, tokens: list[str], number: int) -> None:
        self.no_tokens(keyword, tokens, number)
        self.current(number)  # validates the position (e.g. not directly inside concat)
        if len(self.stack) >= MAX_NESTING:
            raise self.error(number, f"blocks nested more than {MAX_NESTING} deep")
        self.stack.append(_Open(keyword, number))

    def on_shortcut(self, tokens: list[str], number: int) -> None:
        self.no_tokens("shortcut", tokens, number)
        if not self.stack or self.stack[-1].kind not in _BLOCKS:
            raise self.error(number, "'shortcut' outside a 'res' or 'mul' block")
        block = self.stack[-1]
        if block.in_shortcut:
            raise self.error(number, f"a '{block.kind}' block has at most one 'shortcut'")
        block.in_shortcut, block.shortcut = True, []

    def on_branch(self, tokens: list[str], number: int) -> None:
        self.no_tokens("branch", tokens, number)
        if not self.stack or self.stack[-1].kind != "concat":
            raise self.error(number, "'branch' outside a 'concat' block")
        self.stack[-1].branches.append([])

    def on_end(self, tokens: list[str], number: int) -> None:
        self.no_tokens("end", tokens, number)
        if not self.stack:
            raise self.error(number, "'end' without an open 'res', 'mul' or 'concat' block")
        block = self.stack.pop()
        node: Node
        if block.kind in _BLOCKS:
            if not block.body:
                raise self.error(block.line, f"empty '{block.kind}' body")
            if block.shortcut is not None and not block.shortcut:
                raise self.error(block.line, "empty 'shortcut' (omit it for identity)")
            node = ResidualSpec(tuple(block.body),
                                None if block.shortcut is None else tuple(block.shortcut),
                                block.line, _BLOCKS[block.kind])
        else:
            if len(block.branches) < 1 or any(not b for b in block.branches):
                raise self.error(block.line, "a 'concat' needs branches, each with a layer")
            node = ConcatSpec(tuple(tuple(b) for b in block.branches), block.line)
        self.current(number).append(node)
        self.seen_layer = True

    def no_tokens(self, keyword: str, tokens: list[str], number: int) -> None:
        if tokens:
            raise self.error(number, f"'{keyword}' takes no options, got {' '.join(tokens)!r}")

    def parse_layer(self, keyword: str, tokens: list[str], number: int, line: str) -> LayerSpec:
        kind = KINDS.get(keyword)
        if kind is None:
            raise self.error(number, f"unknown layer '{keyword}'")
        options: dict[str, OptionValue] = {}
        for token in tokens:
            key, value = self.match_token(keyword, kind.options, token, number)
            if key in options:
                raise self.error(number, f"option '{key}' given twice in '{line}'")
            options[key] = value
        missing = [k for k in kind.required if k not in options]
        if missing:
            raise self.error(number, f"'{keyword}' needs {_describe_options(missing)}")
        for key, value in options.items():
            if _must_be_positive(keyword, key) and _has_zero(value):
                raise self.error(number, f"'{keyword}': {OPTIONS[key].help} must be positive "
                                         f"in '{line}' (torch refuses 0)")
        return LayerSpec(keyword, options, number, line)

    def match_token(self, keyword: str, allowed: tuple[str, ...], token: str,
                    number: int) -> tuple[str, OptionValue]:
        for key in allowed:
            match = OPTIONS[key].pattern.fullmatch(token)
            if match:
                return key, OPTIONS[key].read(match)
        raise self.error(number, f"'{keyword}' does not accept '{token}' "
                                 f"(accepted: {_describe_options(allowed)})")

    def finish(self) -> NetSpec:
        if self.stack:
            block = self.stack[-1]
            raise self.error(block.line, f"'{block.kind}' block is never closed by 'end'")
        if not self.nodes:
            raise self.error(1, "no layers")
        return NetSpec(tuple(self.nodes), self.input_shape, self.source)


def _describe_options(keys: list[str] | tuple[str, ...]) -> str:
    return ", ".join(OPTIONS[k].help for k in keys)
