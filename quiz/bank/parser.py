"""Markdown bank files → `Question`s, using markdown-it-py tokens (with their line maps).

Format v1 (documented in data/questions/README.md): one `# Topic` heading per file, then one
`## Question` heading per question, directly followed by a fenced ```meta block of `key: value`
lines; everything up to the next `##` heading is the answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

from quiz.bank.errors import BankError
from quiz.bank.files import bank_files
from quiz.bank.model import Block, ConventionNote, Erratum, Kind, Origin, Question
from quiz.files import FileRefused, read_user_bytes

E = TypeVar("E", Kind, Origin)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SOURCE_PATTERN = re.compile(r"^\d{3}#[A-Za-z0-9.]+$")
# `> 勘误 003#6、004#36：…` — one note may name several sources that make the same slip
_NOTE_IDS = r"\s*[\[（(]?\s*(\d{3}#[A-Za-z0-9.]+(?:\s*[、,，]\s*\d{3}#[A-Za-z0-9.]+)*)"
ERRATUM_PATTERN = re.compile(r"^勘误" + _NOTE_IDS)
CONVENTION_PATTERN = re.compile(r"^口径" + _NOTE_IDS)
MACHINE_BLOCKS = frozenset({"claim", "template"})
REQUIRED_KEYS = ("id", "sources", "tags", "kind")
KNOWN_KEYS = frozenset({"id", "sources", "tags", "kind", "origin", "difficulty"})
# A bank file is hand-written text: the largest bundled one is ~33 kB and the longest answer
# ~1,400 characters. Far larger input is a mistake (or an attack) that would make every later
# step — import, rendering, search — slow and memory-hungry, so it is refused up front.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ANSWER_CHARS = 20_000


@dataclass
class _Meta:
    id: str
    sources: tuple[str, ...]
    tags: tuple[str, ...]
    kind: Kind
    origin: Origin
    difficulty: int


@lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    # Only the block structure of quotes is read (their paragraphs' raw text); made on first
    # use, so listing or fingerprinting a bank does not import markdown-it.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline")


_LIST_SEPARATOR = re.compile(r"[,，]")


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _LIST_SEPARATOR.split(value) if part.strip())


def _parse_meta(file: str, first_line: int, content: str) -> _Meta:
    """`first_line` is the 1-based line of the first line inside the fence."""
    fields: dict[str, tuple[str, int]] = {}
    for offset, raw in enumerate(content.splitlines()):
        line_no = first_line + offset
        stripped = raw.strip()
        if not stripped or stripped[0] == "#":
            continue
        key, sep, value = stripped.partition(":")
        key = key.rstrip()
        if not sep:
            raise BankError(file, line_no, f"meta line must be 'key: value', got {stripped!r}")
        if key not in KNOWN_KEYS:
            known = ", ".join(sorted(KNOWN_KEYS))
            raise BankError(file, line_no, f"unknown meta key {key!r} (known: {known})")
        if key in fields:
            raise BankError(file, line_no, f"meta key {key!r} given twice")
        fields[key] = (value.strip(), line_no)
    for key in REQUIRED_KEYS:
        if key not in fields:
            raise BankError(file, first_line, f"meta block lacks required key {key!r}")
    return _Meta(
        id=_check_id(file, *fields["id"]),
        sources=_check_sources(file, *fields["sources"]),
        tags=_check_tags(file, *fields["tags"]),
        kind=_check_enum(file, Kind, "kind", *fields["kind"]),
        origin=_check_enum(file, Origin, "origin", *fields.get("origin", ("sourced", first_line))),
        difficulty=_check_difficulty(file, *fields.get("difficulty", ("2", first_line))),
    )


def _check_id(file: str, value: str, line: int) -> str:
    if not ID_PATTERN.match(value):
        raise BankError(file, line, f"id {value!r} must be lowercase letters, digits and '-'")
    return value


def _check_sources(file: str, value: str, line: int) -> tuple[str, ...]:
    sources = _split_list(value)
    for source in sources:
        if not SOURCE_PATTERN.match(source):
            raise BankError(file, line, f"source {source!r} is not of the form 004#36")
    return sources


def _check_tags(file: str, value: str, line: int) -> tuple[str, ...]:
    tags = _split_list(value)
    if not tags:
        raise BankError(file, line, "tags must name at least one topic")
    return tags


def _check_enum(file: str, enum: type[E], name: str, value: str, line: int) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = "|".join(member.value for member in enum)
        raise BankError(file, line, f"{name} must be {allowed}, got {value!r}") from None


def _check_difficulty(file: str, value: str, line: int) -> int:
    if value not in {"1", "2", "3"}:
        raise BankError(file, line, f"difficulty must be 1, 2 or 3, got {value!r}")
    return int(value)


def _notes(tokens: list[Token], pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """(source, text) of every blockquote paragraph starting with `pattern` (勘误 / 口径 + ID)."""
    found: list[tuple[str, str]] = []
    depth = 0
    for index, token in enumerate(tokens):
        if token.type == "blockquote_open":
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
        elif depth and token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            match = pattern.match(token.content.strip())
            if match:
                found.extend((source, token.content.strip())
                             for source in re.split(r"\s*[、,，]\s*", match.group(1)))
    return found


def _quoted_notes(lines: list[str], start: int, end: int, body: list[_Heading | _Fence],
                  ) -> tuple[tuple[Erratum, ...], tuple[ConventionNote, ...]]:
    """The 勘误 / 口径 notes of an answer: quotes at the top level of the answer (outside fences)
    that mention one are read by markdown-it, since quotes nest and continue lazily."""
    tokens: list[Token] = []
    for run in _quote_runs(lines, start, end, body):
        if any(_NOTE_WORD.search(line) for line in run):
            tokens += _block_parser().parse("\n".join(run))
    if not tokens:
        return (), ()
    return (tuple(Erratum(source, text) for source, text in _notes(tokens, ERRATUM_PATTERN)),
            tuple(ConventionNote(source, text)
                  for source, text in _notes(tokens, CONVENTION_PATTERN)))


def _quote_runs(lines: list[str], start: int, end: int, body: list[_Heading | _Fence],
                ) -> Iterator[list[str]]:
    """Each block of lines that starts with `>` and runs to the next blank line (a quote and
    its lazy continuation lines), skipping fenced blocks."""
    fence_ends = {item.start: item.end for item in body if isinstance(item, _Fence)}
    number = start
    while number < end:
        if number in fence_ends:
            number = fence_ends[number]
        elif _QUOTE_START.match(lines[number]):
            first = number
            while number < end and lines[number].strip() and number not in fence_ends:
                number += 1
            yield lines[first:number]
        else:
            number += 1


# The structure of a bank file --------------------------------------------------------------------
#
# Headings and fenced blocks are found by a line scanner, not a full Markdown parse: the format
# puts them at the top level of the file, where CommonMark recognises them line by line (a heading
# or a fence interrupts any paragraph; indented four spaces they are code). Parsing every list and
# paragraph of a 100,000-question bank with markdown-it took most of an import; the scanner agrees
# with it on every top-level heading and fence (tested against markdown-it).

_ATX_HEADING = re.compile(r"(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)$")
_NOTE_WORD = re.compile(r"勘误|口径")
_QUOTE_START = re.compile(r" {0,3}>")


@dataclass(frozen=True, slots=True)
class _Heading:
    level: int
    title: str
    line: int  # 0-based


@dataclass(frozen=True, slots=True)
class _Fence:
    info: str
    content: str
    start: int  # 0-based line of the opening fence
    end: int  # 0-based line after the closing fence (the end of the file if it never closes)


def _split_indent(line: str) -> tuple[int, str]:
    if not line.startswith(" "):
        return 0, line
    stripped = line.lstrip(" ")
    return len(line) - len(stripped), stripped


def _heading(stripped: str, number: int) -> _Heading | None:
    match = _ATX_HEADING.match(stripped)
    if match is None:
        return None
    title = _CLOSING_HASHES.sub("", (match.group(2) or "").strip()).strip()
    return _Heading(len(match.group(1)), title, number)


def _fence(lines: list[str], number: int, indent: int, stripped: str,
           final_newline: bool) -> _Fence | None:
    match = _FENCE_OPEN.match(stripped)
    if match is None:
        return None
    marker, info = match.group(1), match.group(2)
    if marker[0] == "`" and "`" in info:
        return None  # CommonMark: a backtick fence's info string has no backtick
    close = _closing_fence(marker)
    end = number + 1
    while end < len(lines) and not close.match(lines[end]):
        end += 1
    body = lines[number + 1:end]
    if indent:
        body = [_dedent(line, indent) for line in body]
    content = "\n".join(body)
    if body and (end < len(lines) or final_newline):
        content += "\n"
    return _Fence(info.strip(), content, number, min(end + 1, len(lines)))


@lru_cache(maxsize=16)
def _closing_fence(marker: str) -> re.Pattern[str]:
    return re.compile(rf" {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")


def _dedent(line: str, indent: int) -> str:
    """A fence indented n spaces loses up to n columns of indentation from each line inside it
    (a tab reaches the next multiple of 4; what it overshoots is kept as spaces)."""
    column = 0
    for index, char in enumerate(line):
        if column >= indent:
            return line[index:]
        if char == " ":
            column += 1
        elif char == "\t":
            width = 4 - column % 4
            if column + width > indent:
                return " " * (column + width - indent) + line[index + 1:]
            column += width
        else:
            return line[index:]
    return ""


def _structure(lines: list[str], final_newline: bool = True) -> list[_Heading | _Fence]:
    """Every top-level ATX heading and fenced block, in order."""
    found: list[_Heading | _Fence] = []
    number, total = 0, len(lines)
    while number < total:
        line = lines[number]
        first = line[:1]
        if first in _STRUCTURE_STARTS and first:
            indent, stripped = _split_indent(line)
            lead = stripped[:1]
            if indent <= 3 and lead == "#":
                heading = _heading(stripped, number)
                if heading is not None:
                    found.append(heading)
            elif indent <= 3 and lead in ("`", "~"):
                fence = _fence(lines, number, indent, stripped, final_newline)
                if fence is not None:
                    found.append(fence)
                    number = fence.end
                    continue
        number += 1
    return found


_STRUCTURE_STARTS = " #`~"


def _lines(text: str) -> list[str]:
    # CommonMark's line endings (\n, \r\n, \r) and nothing else, so that line numbers agree
    # with what an editor shows; NUL is replaced as CommonMark requires.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd").split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line does not start another
    return lines


def scan(text: str) -> tuple[list[str], list[_Heading | _Fence]]:
    """The lines of a bank file and its top-level headings and fences."""
    lines = _lines(text)
    return lines, _structure(lines, final_newline=text.endswith(("\n", "\r")))


def parse_text(text: str, file: str = "<text>") -> list[Question]:
    """Parse one bank file. Raises `BankError` naming `file` and the offending line."""
    lines, structure = scan(text)
    topic: str | None = None
    questions: list[Question] = []
    sections = [(index, item) for index, item in enumerate(structure)
                if isinstance(item, _Heading) and item.level <= 2]
    for position, (index, heading) in enumerate(sections):
        line = heading.line + 1
        if heading.level == 1:
            if topic is not None or questions:
                raise BankError(file, line, "only one '# topic' heading per file, before questions")
            topic = heading.title
            continue
        if topic is None:
            raise BankError(file, line, "a file must start with a '# topic' heading")
        following = sections[position + 1] if position + 1 < len(sections) else None
        end_line = following[1].line if following else len(lines)
        body = structure[index + 1:following[0] if following else len(structure)]
        questions.append(_question(file, lines, heading, body, end_line, topic))
    if topic is None:
        raise BankError(file, 1, "a file must start with a '# topic' heading")
    return questions


def _question(file: str, lines: list[str], heading: _Heading, body: list[_Heading | _Fence],
              end_line: int, topic: str) -> Question:
    line = heading.line + 1
    if not heading.title:
        raise BankError(file, line, "question heading is empty")
    meta_fence = body[0] if body and isinstance(body[0], _Fence) else None
    if (meta_fence is None or meta_fence.info != "meta"
            or any(text.strip() for text in lines[heading.line + 1:meta_fence.start])):
        raise BankError(file, line, "a question heading must be followed by a ```meta block")
    meta = _parse_meta(file, meta_fence.start + 2, meta_fence.content)
    blocks = tuple(Block(info=fence.info.split(maxsplit=1)[0], content=fence.content,
                         line=fence.start + 1)
                   for fence in body[1:]
                   if isinstance(fence, _Fence) and fence.info
                   and fence.info.split(maxsplit=1)[0] in MACHINE_BLOCKS)
    prose = _prose_lines(lines, meta_fence.end, end_line, blocks, body)
    answer = "\n".join(prose).strip()
    if len(answer) > MAX_ANSWER_CHARS:
        raise BankError(file, line, f"answer of {meta.id!r} is {len(answer):,} characters; "
                        f"the limit is {MAX_ANSWER_CHARS:,}")
    if not answer and not blocks:
        raise BankError(file, line, f"question {meta.id!r} has no answer")
    errata, conventions = _quoted_notes(lines, meta_fence.end, end_line, body)
    return Question(
        id=meta.id, title=heading.title, answer=answer, sources=meta.sources, tags=meta.tags,
        kind=meta.kind, origin=meta.origin, difficulty=meta.difficulty, topic=topic,
        file=file, line=line, errata=errata, conventions=conventions, blocks=blocks,
    )


def _prose_lines(lines: list[str], start: int, end: int, blocks: tuple[Block, ...],
                 body: list[_Heading | _Fence]) -> list[str]:
    """The answer's lines: fenced ```claim / ```template blocks are data, not prose."""
    if not blocks:
        return lines[start:end]
    starts = {block.line - 1 for block in blocks}
    prose: list[str] = []
    cursor = start
    for fence in body:
        if isinstance(fence, _Fence) and fence.start in starts:
            prose.extend(lines[cursor:fence.start])
            cursor = fence.end
    prose.extend(lines[cursor:end])
    return prose


def display_path(path: Path) -> str:
    """A path as a user can open it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_bank_bytes(path: Path, name: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or a BankError.

    Read by the one reader for named files (quiz.files): opened non-blocking and checked on
    the open descriptor, so a FIFO or a link to /dev/zero is refused, not read, even if it
    replaced a regular file after the directory was listed."""
    try:
        return read_user_bytes(path, MAX_FILE_BYTES, name=name, only="regular .md files",
                               what="a bank file")
    except FileRefused as error:
        raise BankError(name, 0, error.reason) from None


def parse_file(path: Path) -> list[Question]:
    return read_file(path).questions()


# Bumped whenever the same bytes would parse differently, so that a stored digest of a file
# (see `BankFile.digest`) never vouches for questions an older reader produced.
READER_VERSION = "2"


@dataclass(frozen=True)
class BankFile:
    """One bank file as read from disk: its bytes and a digest of them."""

    path: Path
    name: str  # as shown to the user (relative to the working directory when under it)
    data: bytes

    @property
    def digest(self) -> str:
        digest = hashlib.sha256(READER_VERSION.encode())
        digest.update(self.data)
        return digest.hexdigest()

    def questions(self) -> list[Question]:
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = self.data.count(b"\n", 0, error.start) + 1
            raise BankError(self.name, line, f"not UTF-8 text ({error.reason})") from None
        return parse_text(text, self.name)


def read_file(path: Path) -> BankFile:
    name = display_path(path)
    return BankFile(path, name, read_bank_bytes(path, name))


class IdRegistry:
    """Question ids seen so far across a bank's files: a second use is an error naming both."""

    def __init__(self) -> None:
        self._first: dict[str, tuple[str, int]] = {}

    def add(self, question_id: str, file: str, line: int) -> None:
        first = self._first.setdefault(question_id, (file, line))
        if first != (file, line):
            raise BankError(file, line, f"duplicate id {question_id!r} "
                                        f"(first at {first[0]}:{first[1]})")


def read_bank(directory: Path) -> Iterator[BankFile]:
    """The bank's files, read one at a time (a large bank is never all in memory at once)."""
    if not directory.is_dir():
        raise BankError(display_path(directory), 0, "bank directory does not exist")
    for path in bank_files(directory):
        yield read_file(path)


def load_bank(directory: Path) -> list[Question]:
    """Parse every file of a bank directory; ids must be unique across the whole bank."""
    questions: list[Question] = []
    ids = IdRegistry()
    for file in read_bank(directory):
        for question in file.questions():
            ids.add(question.id, question.file, question.line)
            questions.append(question)
    if not questions:
        raise empty_bank(directory)
    return questions


def empty_bank(directory: Path) -> BankError:
    # An empty bank would retire every question of a previous import: it is refused instead.
    return BankError(display_path(directory), 0, "no questions found (no *.md files with "
                     "'## question' headings)")
