"""Markdown bank files → `Question`s, using markdown-it-py tokens (with their line maps).

Format v1 (documented in data/questions/README.md): one `# Topic` heading per file, then one
`## Question` heading per question, directly followed by a fenced ```meta block of `key: value`
lines; everything up to the next `##` heading is the answer.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from markdown_it import MarkdownIt
from markdown_it.token import Token

from quiz.bank.errors import BankError
from quiz.bank.model import Block, ConventionNote, Erratum, Kind, Origin, Question

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


def _block_parser() -> MarkdownIt:
    # Only the block structure is read (headings, fences, blockquotes, their raw text and line
    # maps); parsing the inline content of every paragraph was two thirds of the time.
    return MarkdownIt("commonmark").disable("inline")


_MARKDOWN = _block_parser()


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,，]", value) if part.strip())


def _parse_meta(file: str, first_line: int, content: str) -> _Meta:
    """`first_line` is the 1-based line of the first line inside the fence."""
    fields: dict[str, tuple[str, int]] = {}
    for offset, raw in enumerate(content.splitlines()):
        line_no = first_line + offset
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        key, sep, value = raw.partition(":")
        key = key.strip()
        if not sep:
            raise BankError(file, line_no, f"meta line must be 'key: value', got {raw.strip()!r}")
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


def _errata(tokens: list[Token]) -> tuple[Erratum, ...]:
    return tuple(Erratum(source, text) for source, text in _notes(tokens, ERRATUM_PATTERN))


def _conventions(tokens: list[Token]) -> tuple[ConventionNote, ...]:
    return tuple(ConventionNote(source, text)
                 for source, text in _notes(tokens, CONVENTION_PATTERN))


def parse_text(text: str, file: str = "<text>") -> list[Question]:
    """Parse one bank file. Raises `BankError` naming `file` and the offending line."""
    lines = text.splitlines()
    tokens = _MARKDOWN.parse(text)
    topic, questions = None, []
    headings = [i for i, t in enumerate(tokens) if t.type == "heading_open"]
    for position, index in enumerate(headings):
        token = tokens[index]
        line = token.map[0] + 1 if token.map else 1
        title = tokens[index + 1].content.strip()
        if token.tag == "h1":
            if topic is not None or questions:
                raise BankError(file, line, "only one '# topic' heading per file, before questions")
            topic = title
            continue
        if token.tag != "h2":
            continue  # ### and deeper belong to the answer above
        if topic is None:
            raise BankError(file, line, "a file must start with a '# topic' heading")
        end = _next_h2(tokens, headings[position + 1:])
        questions.append(_question(file, lines, tokens, index, end, title, topic, line))
    if topic is None:
        raise BankError(file, 1, "a file must start with a '# topic' heading")
    return questions


def _next_h2(tokens: list[Token], later_headings: Iterable[int]) -> int:
    for index in later_headings:
        if tokens[index].tag in {"h1", "h2"}:
            return index
    return len(tokens)


def _question(
    file: str, lines: list[str], tokens: list[Token], start: int, end: int,
    title: str, topic: str, line: int,
) -> Question:
    if not title:
        raise BankError(file, line, "question heading is empty")
    body = tokens[start + 3:end]  # skip heading_open, inline, heading_close
    if not body or body[0].type != "fence" or body[0].info.strip() != "meta":
        raise BankError(file, line, "a question heading must be followed by a ```meta block")
    meta_token = body[0]
    assert meta_token.map is not None
    meta = _parse_meta(file, meta_token.map[0] + 2, meta_token.content)
    answer_start = meta_token.map[1]
    answer_end = _answer_end_line(tokens, end, len(lines))
    blocks, skipped = _machine_blocks(body[1:])
    answer_lines = [
        text for number, text in enumerate(lines[answer_start:answer_end], start=answer_start)
        if number not in skipped
    ]
    answer = "\n".join(answer_lines).strip()
    if len(answer) > MAX_ANSWER_CHARS:
        raise BankError(file, line, f"answer of {meta.id!r} is {len(answer):,} characters; "
                        f"the limit is {MAX_ANSWER_CHARS:,}")
    if not answer and not blocks:
        raise BankError(file, line, f"question {meta.id!r} has no answer")
    return Question(
        id=meta.id, title=title, answer=answer, sources=meta.sources, tags=meta.tags,
        kind=meta.kind, origin=meta.origin, difficulty=meta.difficulty, topic=topic,
        file=file, line=line, errata=_errata(body), conventions=_conventions(body),
        blocks=blocks,
    )


def _answer_end_line(tokens: list[Token], end: int, total_lines: int) -> int:
    if end < len(tokens) and tokens[end].map:
        return tokens[end].map[0]
    return total_lines


def _machine_blocks(tokens: list[Token]) -> tuple[tuple[Block, ...], set[int]]:
    """Fenced ```claim / ```template blocks are data, not prose: pull them out of the answer."""
    blocks: list[Block] = []
    skipped: set[int] = set()
    for token in tokens:
        info = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        if token.type == "fence" and info in MACHINE_BLOCKS and token.map:
            blocks.append(Block(info=info, content=token.content, line=token.map[0] + 1))
            skipped.update(range(token.map[0], token.map[1]))
    return tuple(blocks), skipped


def display_path(path: Path) -> str:
    """A path as a user can open it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_bank_bytes(path: Path, name: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or a BankError.

    The file is opened non-blocking and checked on the open descriptor, so a FIFO (which would
    block `open` until a writer comes) or a link to /dev/zero (endless) is refused, not read,
    even if it replaced a regular file after the directory was listed."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        reason = "a broken link" if error.errno == errno.ENOENT and path.is_symlink() \
            else error.strerror
        raise BankError(name, 0, f"cannot read: {reason}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise BankError(name, 0, f"is {_file_kind(mode)}; only regular .md files are read")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(descriptor, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise BankError(name, 0, f"cannot read: {error.strerror}") from None
    finally:
        os.close(descriptor)
    if size > MAX_FILE_BYTES:
        raise BankError(name, 0, f"is larger than the limit of {MAX_FILE_BYTES // 2**20} MB "
                                 "for a bank file")
    return b"".join(chunks)


def parse_file(path: Path) -> list[Question]:
    name = display_path(path)
    data = read_bank_bytes(path, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BankError(name, line, f"not UTF-8 text ({error.reason})") from None
    return parse_text(text, name)


def bank_files(directory: Path) -> list[Path]:
    """The bank's question files: every .md entry except README.md, in a stable order.

    Directories are walked without following links (no cycles); a directory named `x.md` is
    walked like any other, not read. Other non-regular entries are listed so that reading them
    reports what they are."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(directory):
        subfolders.sort()
        for name in names:
            if name.endswith(".md") and name.lower() != "readme.md":
                found.append(Path(folder) / name)
    return sorted(found)


def load_bank(directory: Path) -> list[Question]:
    """Parse every file of a bank directory; ids must be unique across the whole bank."""
    if not directory.is_dir():
        raise BankError(display_path(directory), 0, "bank directory does not exist")
    questions: list[Question] = []
    seen: dict[str, Question] = {}
    for path in bank_files(directory):
        for question in parse_file(path):
            if question.id in seen:
                first = seen[question.id]
                raise BankError(
                    question.file, question.line,
                    f"duplicate id {question.id!r} (first at {first.file}:{first.line})",
                )
            seen[question.id] = question
            questions.append(question)
    if not questions:
        # An empty bank would retire every question of a previous import: refuse it instead.
        raise BankError(display_path(directory), 0, "no questions found (no *.md files with "
                        "'## question' headings)")
    return questions
