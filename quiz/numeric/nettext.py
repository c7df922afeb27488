"""Reading and rewriting the engine's network text format, one line at a time.

The misconception recipes are rewrites of a template's net (drop the dilation, drop the groups,
pad one side only, ...) that the engine then runs; this module holds the token-level helpers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPTION = re.compile(r"^(k|s|p|d|g|op)(\d+(?:x\d+)?|same|valid)$")
SPATIAL = frozenset({"conv", "dwconv", "convT", "maxpool", "avgpool"})
POOLS = frozenset({"maxpool", "avgpool"})
WEIGHTED = frozenset({"conv", "dwconv", "convT", "fc"})
STRUCTURE = frozenset({"res", "shortcut", "end", "concat", "branch"})


@dataclass
class NetLine:
    indent: str
    tokens: list[str]
    comment: str = ""

    @property
    def kind(self) -> str:
        return self.tokens[0] if self.tokens else ""

    def option(self, key: str) -> str | None:
        for token in self.tokens[1:]:
            match = OPTION.match(token)
            if match and match.group(1) == key:
                return match.group(2)
        return None

    def set_option(self, key: str, value: str | None) -> None:
        """Set (or with `None` remove) `k3`/`s2`/`p1`/`d2`/`g4`/`op1` style options."""
        kept = [t for t in self.tokens if not (OPTION.match(t) and OPTION.match(t).group(1) == key)]  # type: ignore[union-attr]
        if value is not None:
            kept.append(f"{key}{value}")
        self.tokens = kept

    def has_flag(self, flag: str) -> bool:
        return flag in self.tokens[1:]

    def set_flag(self, flag: str, on: bool) -> None:
        self.tokens = [t for t in self.tokens if t != flag] + ([flag] if on else [])

    def text(self) -> str:
        return (self.indent + " ".join(self.tokens)).rstrip()


def parse_lines(text: str) -> list[NetLine]:
    lines: list[NetLine] = []
    for raw in text.splitlines():
        body, _, comment = raw.partition("#")
        if not body.strip():
            continue
        indent = body[: len(body) - len(body.lstrip())]
        lines.append(NetLine(indent=indent, tokens=body.split(), comment=comment))
    return lines


def render(lines: list[NetLine]) -> str:
    return "\n".join(line.text() for line in lines) + "\n"


def is_sequential(lines: list[NetLine]) -> bool:
    return not any(line.kind in STRUCTURE for line in lines)


def input_dims(lines: list[NetLine]) -> tuple[int, ...] | None:
    """The `input CxHxW` (or `input N` for a vector) dimensions."""
    for line in lines:
        if line.kind == "input" and len(line.tokens) > 1:
            try:
                return tuple(int(part) for part in line.tokens[1].split("x"))
            except ValueError:
                return None
    return None


def set_input_dims(lines: list[NetLine], dims: tuple[int, ...]) -> None:
    for line in lines:
        if line.kind == "input":
            line.tokens[1] = "x".join(str(d) for d in dims)
            return


def pair(value: str | None, default: int) -> tuple[int, int]:
    """`3` → (3, 3); `3x5` → (3, 5); missing → (default, default)."""
    if value is None or not value[0].isdigit():
        return default, default
    if "x" in value:
        first, second = value.split("x", 1)
        return int(first), int(second)
    return int(value), int(value)


def layer_lines(lines: list[NetLine]) -> list[NetLine]:
    return [line for line in lines if line.kind != "input"]
