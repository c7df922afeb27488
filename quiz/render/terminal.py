"""Bank Markdown → a Rich renderable that wraps Chinese text properly and re-wraps on resize.

`BankMarkdown(markdown, errata_expanded=…)` parses once (markdown-it-py, like the bank parser) and
lays out per width: paragraphs, headings, bold / italic / inline code, bullet and numbered lists
with a hanging indent, block quotes, fenced code (never re-wrapped, only folded at the edge),
simple tables, and `$…$` / `$$…$$` math through `latex_to_unicode`. Line breaking is `wrap.wrap`.

Bank text is always text: it is cleaned by `safe_text` and never parsed as Rich markup.

Errata: block quotes that start with `勘误` (a correction of a source) or `口径` (a convention
note) are the bank's notes about its sources. With `errata_expanded=False` all of them together
become one dimmed line, `来源勘误 2 条 — e 展开`, where the first of them stood.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from rich import box
from rich.cells import cell_len, get_character_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from quiz.render.math import latex_to_unicode, substitute_math
from quiz.render.safe import safe_text
from quiz.render.wrap import Line, Paragraph

ERRATA_MARKERS = ("勘误", "口径")
PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
BULLETS = ("• ", "◦ ", "▪ ")

HEADING = Style(bold=True)
STRONG = Style(bold=True)
EMPHASIS = Style(italic=True)
CODE = Style(color="cyan")
CODE_BLOCK = Style(color="green")
DISPLAY_MATH = Style(bold=True)
QUOTE_BAR = Style(dim=True)
ERRATA = Style(dim=True, italic=True)
ERRATA_FOLDED = Style(dim=True)


@dataclass(frozen=True)
class Formula:
    text: str
    display: bool


class _Flow:
    """A paragraph-like run of inline text, wrapped as one."""

    def __init__(self, text: Text, atoms: tuple[tuple[int, int], ...], first_prefix: Text,
                 prefix: Text) -> None:
        self.text = text
        self.first_prefix = first_prefix
        self.prefix = prefix
        self.atoms = atoms
        self.paragraph = Paragraph(text, atoms=atoms, first_prefix=first_prefix, prefix=prefix)

    def lines(self, width: int) -> list[Line]:
        return self.paragraph.lines(width)

    def natural_width(self) -> int:
        return max(cell_len(self.first_prefix.plain) + cell_len(part)
                   for part in self.text.plain.split("\n"))

    def min_width(self) -> int:
        return cell_len(self.prefix.plain) + max(1, self.paragraph.min_width())


@dataclass(frozen=True)
class _Code:
    """Preformatted lines: never re-wrapped, only folded at the right edge."""

    lines_: tuple[str, ...]
    first_prefix: Text
    prefix: Text

    def lines(self, width: int) -> list[Line]:
        out: list[Line] = []
        for source in self.lines_:
            lead = self.prefix if out else self.first_prefix
            room = max(1, width - cell_len(lead.plain))
            for piece in _fold_cells(source, room):
                lead = self.prefix if out else self.first_prefix
                out.append(Line(Text.assemble(lead, (piece, CODE_BLOCK)), hard=True,
                                flow=False, body_start=len(lead.plain)))
        return out

    def natural_width(self) -> int:
        return cell_len(self.first_prefix.plain) + max((cell_len(s) for s in self.lines_),
                                                       default=0)


@dataclass(frozen=True)
class _Blank:
    prefix: Text

    def lines(self, width: int) -> list[Line]:
        return [Line(self.prefix.copy(), hard=True, flow=False)]

    def natural_width(self) -> int:
        return cell_len(self.prefix.plain)


@dataclass(frozen=True)
class _Cell:
    """A table cell: our own wrapping inside the width Rich gives the column."""

    flow: _Flow

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.flow.lines(options.max_width):
            yield from line.text.render(console)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.flow.min_width(), self.flow.natural_width())


@dataclass(frozen=True)
class _Table:
    header: tuple[_Flow, ...]
    rows: tuple[tuple[_Flow, ...], ...]
    prefix: Text

    def lines(self, width: int) -> list[Line]:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        for cell in self.header:
            table.add_column(_Cell(cell), header_style=HEADING)
        for row in self.rows:
            table.add_row(*(_Cell(cell) for cell in row))
        room = max(1, width - cell_len(self.prefix.plain))
        console = _console()
        rendered = console.render_lines(table, console.options.update_width(room), pad=False)
        return [Line(Text.assemble(self.prefix, *((s.text, s.style or "") for s in segments
                                                  if not s.control)),
                     hard=True, flow=False)
                for segments in rendered]

    def natural_width(self) -> int:
        columns = len(self.header)
        widths = [max(cell.natural_width() for cell in column)
                  for column in zip(self.header, *self.rows, strict=False)]
        return cell_len(self.prefix.plain) + sum(widths) + 2 * max(0, columns - 1)


_Block = _Flow | _Code | _Blank | _Table


@lru_cache(maxsize=1)
def _console() -> Console:
    return Console(file=io.StringIO(), width=200, color_system="truecolor", legacy_windows=False)


def _fold_cells(text: str, width: int) -> list[str]:
    pieces: list[str] = []
    piece, used = "", 0
    for char in text:
        size = get_character_cell_size(char)
        if used + size > width and piece:
            pieces.append(piece)
            piece, used = "", 0
        piece += char
        used += size
    pieces.append(piece)
    return pieces


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def protect_math(markdown: str) -> tuple[str, list[Formula]]:
    """Math rendered to Unicode and replaced by placeholders, so that Markdown never sees the
    `_`, `*` and backslashes of a formula (it would read them as emphasis and escapes)."""
    formulas: list[Formula] = []

    def replace(match: re.Match[str]) -> str:
        display, inline = match.groups()
        latex = display if display is not None else inline
        text = " ".join(latex_to_unicode(latex).split())
        formulas.append(Formula(text, display is not None))
        return f"\ue000{len(formulas) - 1}\ue001"

    return substitute_math(markdown, replace), formulas


@dataclass
class _Builder:
    formulas: list[Formula]
    errata_expanded: bool
    errata: list[SyntaxTreeNode] = field(default_factory=list)
    erratum_count: int = 0
    note_count: int = 0
    list_depth: int = 0  # nesting of the list being laid out: picks the bullet (• ◦ ▪)

    # --- blocks -------------------------------------------------------------------------------

    def container(self, nodes: Iterable[SyntaxTreeNode], first: Text, rest: Text,
                  tight: bool = False, style: Style | None = None) -> list[_Block]:
        """The blocks of a container: the first starts with `first`, the others with `rest`;
        blank lines between them unless the container is a tight list item."""
        blocks: list[_Block] = []
        for node in nodes:
            produced = self.block(node, first if not blocks else rest, rest, style)
            if not produced:
                continue
            if blocks and not tight:
                blocks.append(_Blank(Text(rest.plain.rstrip(), style=_prefix_style(rest))))
            blocks += produced
        return blocks

    def block(self, node: SyntaxTreeNode, first: Text, rest: Text,
              style: Style | None) -> list[_Block]:
        kind = node.type
        if kind == "paragraph":
            return [self.paragraph(node, first, rest, style)]
        if kind == "heading":
            level = int(node.tag[1:]) if node.tag[1:].isdigit() else 2
            heading_style = HEADING + Style(underline=True) if level == 1 else HEADING
            return [self.flow(node.children, first, rest, heading_style)]
        if kind in ("bullet_list", "ordered_list"):
            return self.list_(node, first, rest, style)
        if kind == "blockquote":
            return self.quote(node, first, rest, style)
        if kind in ("fence", "code_block"):
            source = node.content.rstrip("\n").replace("\t", "    ")
            return [_Code(tuple(source.split("\n")), first, rest)]
        if kind == "table":
            return [self.table(node, rest)]
        if kind == "hr":
            return [_Code(("─" * 20,), first, rest)]
        if kind == "html_block":
            return [_Code(tuple(node.content.rstrip("\n").split("\n")), first, rest)]
        return self.container(node.children, first, rest, style=style)

    def paragraph(self, node: SyntaxTreeNode, first: Text, rest: Text,
                  style: Style | None) -> _Flow:
        inline = node.children
        children = inline[0].children if inline else []
        only = children[0] if len(children) == 1 and children[0].type == "text" else None
        match = PLACEHOLDER.fullmatch(only.content.strip()) if only is not None else None
        if match and self.formulas[int(match.group(1))].display:
            # A display formula on its own: set off by an indent, like a displayed equation.
            return self.flow(inline, first + Text("  "), rest + Text("  "), style)
        return self.flow(inline, first, rest, style)

    def list_(self, node: SyntaxTreeNode, first: Text, rest: Text,
              style: Style | None) -> list[_Block]:
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1)) if ordered else 1
        items = node.children
        bullet = BULLETS[min(self.list_depth, len(BULLETS) - 1)]
        marker_width = len(f"{start + len(items) - 1}. ") if ordered else len(bullet)
        tight = all(child.hidden for item in items for child in item.children
                    if child.type == "paragraph")
        blocks: list[_Block] = []
        for number, item in enumerate(items, start=start):
            marker = f"{number}. ".rjust(marker_width) if ordered else bullet
            lead = (first if not blocks else rest) + Text(marker, style=QUOTE_BAR if not ordered
                                                          else Style())
            hang = rest + Text(" " * marker_width)
            self.list_depth += 1
            try:
                produced = self.container(item.children, lead, hang, tight=tight, style=style)
            finally:
                self.list_depth -= 1
            if not produced:
                produced = [_Flow(Text(), (), lead, hang)]
            if blocks and not tight:
                blocks.append(_Blank(Text(rest.plain.rstrip(), style=_prefix_style(rest))))
            blocks += produced
        return blocks

    def quote(self, node: SyntaxTreeNode, first: Text, rest: Text,
              style: Style | None) -> list[_Block]:
        if self.is_erratum(node):
            if not self.errata_expanded:
                if node is not self.errata[0]:
                    return []
                return [_Flow(Text(self.folded_summary(), style=ERRATA_FOLDED), (), first, rest)]
            style = ERRATA
        bar = Text("│ ", style=QUOTE_BAR)
        return self.container(node.children, first + bar, rest + bar, style=style)

    def table(self, node: SyntaxTreeNode, prefix: Text) -> _Table:
        rows: list[tuple[_Flow, ...]] = []
        for section in node.children:
            for row in section.children:
                rows.append(tuple(self.flow(cell.children, Text(), Text(), None)
                                  for cell in row.children))
        width = max((len(row) for row in rows), default=0)
        padded = [row + tuple(_Flow(Text(), (), Text(), Text()) for _ in range(width - len(row)))
                  for row in rows]
        return _Table(padded[0], tuple(padded[1:]), prefix)

    # --- errata -------------------------------------------------------------------------------

    def collect_errata(self, root: SyntaxTreeNode) -> None:
        for node in root.walk():
            if node.type == "blockquote" and self.is_erratum(node) and node not in self.errata:
                self.errata.append(node)
                if _first_text(node).lstrip().startswith("勘误"):
                    self.erratum_count += 1
                else:
                    self.note_count += 1

    def is_erratum(self, node: SyntaxTreeNode) -> bool:
        return _first_text(node).lstrip().startswith(ERRATA_MARKERS)

    def folded_summary(self) -> str:
        parts = []
        if self.erratum_count:
            parts.append(f"来源勘误 {self.erratum_count} 条")
        if self.note_count:
            parts.append(f"口径说明 {self.note_count} 条")
        return "▸ " + " · ".join(parts) + " — e 展开"

    # --- inline -------------------------------------------------------------------------------

    def flow(self, inline_nodes: list[SyntaxTreeNode], first: Text, rest: Text,
             style: Style | None) -> _Flow:
        text = Text(style=style or "")
        atoms: list[tuple[int, int]] = []
        for node in inline_nodes:
            self.inline(node.children if node.type == "inline" else [node], text, atoms,
                        Style())
        if text.plain.endswith("\n"):  # the line break after a closing display formula
            text.right_crop(1)
        return _Flow(text, tuple(atoms), first, rest)

    def inline(self, nodes: list[SyntaxTreeNode], text: Text, atoms: list[tuple[int, int]],
               style: Style) -> None:
        for index, node in enumerate(nodes):
            kind = node.type
            if kind == "text":
                self.text(node.content, text, atoms, style)
            elif kind == "softbreak":
                following = _first_char(nodes[index + 1:])
                previous = text.plain[-1:]
                if previous == "\n":
                    continue
                joined = previous and following and (_wide(previous) or _wide(following))
                if not joined:
                    text.append(" ", style)
            elif kind == "hardbreak":
                text.append("\n", style)
            elif kind == "code_inline":
                text.append(node.content, style + CODE)
            elif kind == "strong":
                self.inline(node.children, text, atoms, style + STRONG)
            elif kind == "em":
                self.inline(node.children, text, atoms, style + EMPHASIS)
            elif kind in ("html_inline", "html_block"):
                text.append(node.content, style)
            else:  # links, images, anything else: their text
                self.inline(node.children, text, atoms, style)

    def text(self, content: str, text: Text, atoms: list[tuple[int, int]],
             style: Style) -> None:
        position = 0
        for match in PLACEHOLDER.finditer(content):
            text.append(content[position:match.start()], style)
            formula = self.formulas[int(match.group(1))]
            if formula.display:
                _end_line(text)
            start = len(text.plain)
            text.append(formula.text, style + DISPLAY_MATH if formula.display else style)
            if formula.text:
                atoms.append((start, len(text.plain)))
            position = match.end()
            if formula.display:
                # A display formula stands on its own line: what follows starts a new one
                # (written beside it in a list item it would run into the next sentence).
                text.append("\n")
                position = _skip_blanks(content, position)
        text.append(content[position:], style)


def _led(blocks: list[_Block], lead: Text) -> list[_Block]:
    """`blocks` with `lead` before the first line (a line of its own when they do not open with
    a paragraph)."""
    first = blocks[0] if blocks else None
    if isinstance(first, _Flow):
        return [_Flow(first.text, first.atoms, lead + first.first_prefix,
                      first.prefix), *blocks[1:]]
    return [_Flow(lead.copy(), (), Text(), Text()), *blocks]


def _end_line(text: Text) -> None:
    """End the line `text` is on, unless it is empty (a formula opens the paragraph)."""
    stripped = text.plain.rstrip(" ")
    if stripped and not stripped.endswith("\n"):
        if len(stripped) < len(text.plain):
            text.right_crop(len(text.plain) - len(stripped))
        text.append("\n")


def _skip_blanks(content: str, position: int) -> int:
    while position < len(content) and content[position] == " ":
        position += 1
    return position


def _prefix_style(prefix: Text) -> Style:
    return QUOTE_BAR if "│" in prefix.plain else Style()


def _wide(char: str) -> bool:
    return get_character_cell_size(char) == 2


def _first_char(nodes: list[SyntaxTreeNode]) -> str:
    for node in nodes:
        if node.content and node.type != "softbreak":
            return node.content[0]
        found = _first_char(node.children)
        if found:
            return found
    return ""


def _first_text(node: SyntaxTreeNode) -> str:
    for child in node.walk():
        if child.type == "text" and child.content.strip():
            return child.content
    return ""


class BankMarkdown:
    """A Rich renderable of bank Markdown that lays itself out for the width it is given."""

    def __init__(self, markdown: str, *, errata_expanded: bool = True,
                 lead: Text | None = None) -> None:
        """`lead` (a styled label, such as a verdict's `✘ 不对 wrong `) starts the first line, and
        the first paragraph wraps after it."""
        # `protect_math` uses private-use characters as placeholders; bank text has no use for them.
        cleaned = safe_text(markdown).replace("\ue000", "").replace("\ue001", "")
        source, formulas = protect_math(cleaned)
        root = SyntaxTreeNode(_markdown().parse(source))
        builder = _Builder(formulas, errata_expanded)
        builder.collect_errata(root)
        self.errata_count = len(builder.errata)
        self.errata_expanded = errata_expanded
        self.formulas = tuple(formulas)
        self._blocks = builder.container(root.children, Text(), Text())
        if lead is not None:
            self._blocks = _led(self._blocks, lead)
        self._cache: dict[int, list[Line]] = {}

    def lines(self, width: int) -> list[Line]:
        """The laid-out lines at `width` cells (cached per width)."""
        width = max(1, width)
        cached = self._cache.get(width)
        if cached is None:
            cached = [line for block in self._blocks for line in block.lines(width)]
            self._cache = {width: cached}  # re-wrapped on resize; one width is live at a time
        return cached

    def paragraphs(self) -> list[Paragraph]:
        """The wrapped runs of text outside tables, in order (with their formula atoms)."""
        return [block.paragraph for block in self._blocks if isinstance(block, _Flow)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines(options.max_width):
            yield from line.text.render(console)
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        natural = max((block.natural_width() for block in self._blocks), default=0)
        return Measurement(min(natural, 8), natural).clamp(max_width=options.max_width)

    def plain_lines(self, width: int) -> Iterator[str]:
        for line in self.lines(width):
            yield line.plain
