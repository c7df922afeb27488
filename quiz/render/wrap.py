"""Line breaking for mixed Chinese / Latin text in a terminal.

Rules (a small subset of UAX #14 and the Chinese typesetting conventions, enough for the bank):

- widths are terminal cells (`rich.cells`): a CJK character takes two;
- a line may break at a run of spaces (the spaces are dropped), and between two characters when
  either of them is wide (CJK ideographs, kana, full-width punctuation);
- Latin words, numbers and identifiers never break inside (`3×3`, `ResNet-50`), unless a single
  one is longer than a whole line: then it is folded by cells;
- closing punctuation (`。，、；：？！）」》’”` and `) , . ; : ! ?`) never starts a line and opening
  punctuation (`（「《“‘`, `(`) never ends one. An ASCII stop that begins a word (`.grad`) is
  part of the word; a straight `"` opens or closes by its parity in the paragraph (the bank
  writes `是"更深"：` with ASCII quotes);
- an *atom* (a rendered inline formula) stays on one line when it fits in one; a longer one breaks
  at its own spaces like ordinary text;
- breaking is greedy, so a line only ends when the next unit would not fit: no half-empty lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, get_character_cell_size
from rich.text import Span, Text

CLOSING = frozenset("。，、；：？！）」』》〉】〕〗〙’”…‥·,.;:!?)]}")
ASCII_STOPS = frozenset(",.;:!?")
OPENING = frozenset("（「『《〈【〔〖〘“‘([{")
SPACES = frozenset(" \t")


@dataclass(frozen=True)
class Line:
    """One wrapped line (prefix included). `hard` marks the last line of a paragraph or a line
    ended by an explicit line break: its width says nothing about the breaker's quality."""

    text: Text
    hard: bool
    flow: bool = True      # wrapped prose (False: code, table, blank line)
    body_start: int = 0    # characters of prefix (bullet, indent, quote bar) before the text

    @property
    def plain(self) -> str:
        return self.text.plain


@dataclass(frozen=True)
class _Unit:
    gap: int    # start of the spaces before the unit (== start when none)
    start: int
    end: int


def _is_wide(char: str) -> bool:
    return get_character_cell_size(char) == 2


def _quote_roles(plain: str) -> dict[int, bool]:
    """Index of each straight double quote → True when it opens (odd occurrences open)."""
    roles: dict[int, bool] = {}
    opening = True
    for index, char in enumerate(plain):
        if char == '"':
            roles[index] = opening
            opening = not opening
    return roles


def _opens(plain: str, index: int, roles: dict[int, bool]) -> bool:
    char = plain[index]
    return char in OPENING or roles.get(index, False)


def _closes(plain: str, index: int, roles: dict[int, bool]) -> bool:
    char = plain[index]
    if char in ASCII_STOPS:
        # `.grad`, `.5`, `:=`: a stop that starts a word is part of it, not the end of a clause.
        following = plain[index + 1:index + 2]
        return not (following.isalnum() or following in ("_", "="))
    return char in CLOSING or (char == '"' and not roles.get(index, True))


def _may_break_between(plain: str, left: int, right: int, roles: dict[int, bool]) -> bool:
    """Between two adjacent non-space characters."""
    if _closes(plain, right, roles) or _opens(plain, left, roles):
        return False
    return _is_wide(plain[left]) or _is_wide(plain[right])


def units(plain: str, atoms: Sequence[tuple[int, int]] = (),
          roles: dict[int, bool] | None = None) -> list[_Unit]:
    """Split `plain` (no newlines) into unbreakable units with the spaces before each."""
    if roles is None:
        roles = _quote_roles(plain)
    inside = bytearray(len(plain) + 1)  # inside[i]: no break before character i (inside an atom)
    for start, end in atoms:
        for index in range(start + 1, end):
            inside[index] = 1
    result: list[_Unit] = []
    size = len(plain)
    position = 0
    while position < size and plain[position] in SPACES:
        position += 1
    start = gap = position
    while position < size:
        char = plain[position]
        if char in SPACES and not inside[position]:
            after = position
            while after < size and plain[after] in SPACES and not inside[after]:
                after += 1
            if after == size:
                break
            if not (_opens(plain, position - 1, roles) or _closes(plain, after, roles)):
                result.append(_Unit(gap, start, position))
                start, gap = after, position
            position = after
            continue
        following = position + 1
        if (following < size and plain[following] not in SPACES and not inside[following]
                and _may_break_between(plain, position, following, roles)):
            result.append(_Unit(gap, start, following))
            start = gap = following
        position = following
    end = size
    while end > start and plain[end - 1] in SPACES:
        end -= 1
    if end > start:
        result.append(_Unit(gap, start, end))
    return result


def _fold(plain: str, start: int, end: int, width: int) -> list[tuple[int, int]]:
    """Cut [start, end) into pieces of at most `width` cells (at least one character each)."""
    pieces: list[tuple[int, int]] = []
    piece_start, used = start, 0
    for index in range(start, end):
        size = get_character_cell_size(plain[index])
        if used + size > width and index > piece_start:
            pieces.append((piece_start, index))
            piece_start, used = index, 0
        used += size
    pieces.append((piece_start, end))
    return pieces


def wrap(text: Text, width: int, *, atoms: Sequence[tuple[int, int]] = (),
         first_prefix: Text | str = "", prefix: Text | str = "") -> list[Line]:
    """Wrap `text` to lines of at most `width` cells. `atoms` are (start, end) ranges of
    `text.plain` kept on one line when they fit; `first_prefix` starts the first line, `prefix`
    the others (a hanging indent). A newline in `text` is a forced break."""
    return Paragraph(text, atoms=atoms, first_prefix=first_prefix, prefix=prefix).lines(width)


class Paragraph:
    """A text prepared for wrapping: the width-independent work (finding the units and their
    widths) is done once, so re-wrapping on every resize is a cheap greedy fill."""

    def __init__(self, text: Text, *, atoms: Sequence[tuple[int, int]] = (),
                 first_prefix: Text | str = "", prefix: Text | str = "") -> None:
        self.first = Text(first_prefix) if isinstance(first_prefix, str) else first_prefix
        self.rest = Text(prefix) if isinstance(prefix, str) else prefix
        plain = text.plain.replace("\t", " ")
        if plain != text.plain:
            text = Text(plain, style=text.style, spans=list(text.spans))
        self.text = text
        self.plain = plain
        self.atoms = frozenset(atoms)
        cumulative = [0]
        for char in plain:
            cumulative.append(cumulative[-1] + get_character_cell_size(char))
        self._cells = cumulative
        self.roles = _quote_roles(plain)
        self.segments: list[list[_Unit]] = []
        offset = 0
        for segment in plain.split("\n"):
            end = offset + len(segment)
            local = [(max(a, offset) - offset, min(b, end) - offset) for a, b in atoms
                     if a < end and b > offset]
            roles = {i - offset: v for i, v in self.roles.items() if offset <= i < end}
            self.segments.append([_Unit(u.gap + offset, u.start + offset, u.end + offset)
                                  for u in units(segment, local, roles)])
            offset = end + 1

    def cells(self, start: int, end: int) -> int:
        return self._cells[end] - self._cells[start]

    def min_width(self) -> int:
        """The widest unbreakable unit (an atom counts as one)."""
        return max((self.cells(u.start, u.end) for seg in self.segments for u in seg), default=0)

    def lines(self, width: int) -> list[Line]:
        first_room = max(1, width - cell_len(self.first.plain))
        rest_room = max(1, width - cell_len(self.rest.plain))
        lines: list[Line] = []
        for segment in self.segments:
            rows = self._fill(segment, first_room if not lines else rest_room, rest_room)
            for number, row in enumerate(rows):
                lead = self.first if not lines else self.rest
                body = self._slice(row[0][0], row[-1][1]) if row else Text()
                lines.append(Line(Text.assemble(lead, body), hard=number == len(rows) - 1,
                                  body_start=len(lead.plain)))
        return lines

    def _fill(self, queue: list[_Unit], first_room: int, rest_room: int
              ) -> list[list[tuple[int, int]]]:
        rows: list[list[tuple[int, int]]] = [[]]  # per line: its (start, end) pieces
        room, used = first_room, 0
        queue = list(queue)
        index = 0
        while index < len(queue):
            unit = queue[index]
            index += 1
            size = self.cells(unit.start, unit.end)
            gap = self.cells(unit.gap, unit.start) if rows[-1] else 0
            if used + gap + size <= room:
                rows[-1].append((unit.start, unit.end))
                used += gap + size
                continue
            if size > rest_room and self._holds_atom(unit):
                # A formula longer than a line breaks like text, starting where the line has room.
                roles = {i - unit.start: v for i, v in self.roles.items()
                         if unit.start <= i < unit.end}
                inner = units(self.plain[unit.start:unit.end], (), roles)
                if len(inner) > 1:
                    queue[index:index] = [
                        _Unit(unit.gap if n == 0 else u.gap + unit.start, u.start + unit.start,
                              u.end + unit.start) for n, u in enumerate(inner)]
                    continue
            if rows[-1]:
                rows.append([])
                room, used = rest_room, 0
            if size <= room:
                rows[-1].append((unit.start, unit.end))
                used = size
                continue
            pieces = _fold(self.plain, unit.start, unit.end, room)
            for number, piece in enumerate(pieces):
                if number:
                    rows.append([])
                rows[-1].append(piece)
            room, used = rest_room, self.cells(*pieces[-1])
        return rows

    def _holds_atom(self, unit: _Unit) -> bool:
        return any(unit.start <= a and b <= unit.end for a, b in self.atoms)

    def _slice(self, start: int, end: int) -> Text:
        # Cheaper than Text.__getitem__ (which divides the whole text for every line).
        spans = [Span(max(s.start, start) - start, min(s.end, end) - start, s.style)
                 for s in self.text.spans if s.end > start and s.start < end]
        return Text(self.plain[start:end], style=self.text.style, spans=spans)
