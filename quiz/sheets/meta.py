"""What grading needs of a printed sheet, kept with it: in the Markdown sheet (one HTML comment
line of compact JSON, invisible when rendered) and in `manifest.json` beside the sheets.

Per sheet: title, date, class seed, class id, the student's number, name and stable key, and per
item its number, question id, kind, the numeric instance's parameters and hashes of what was
printed (prompt and expected answer). `quiz check` rebuilds each numeric instance from the
printed parameters and compares the hashes, so a change of the bank is seen item by item instead
of grading against numbers the student never saw.

The JSON is read with `json.loads` and checked field by field; nothing in it is evaluated.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from quiz.render.safe import safe_json
from quiz.sheets.model import (
    CONCEPT,
    MAX_ITEMS,
    MAX_STUDENTS,
    NUMERIC,
    SEED_LIMIT,
    Sheet,
    SheetItem,
)

META_VERSION = 1
MANIFEST_FILE = "manifest.json"
COMMENT_TAG = "quiz-sheet"
COMMENT_LINE = re.compile(rf"^\s*<!--\s*{COMMENT_TAG}\b[^{{]*(\{{.*\}})\s*-->\s*$")
COMMENT_NOTE = "判卷数据，请勿改动"  # what a student reading the raw file sees first
HASH_LENGTH = 16
# Characters that would end the comment (`-->`), open another one, or break the line when the
# reader splits lines (str.splitlines splits at NEL and the Unicode separators, which JSON keeps).
_COMMENT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\x85": "\\u0085",
                   "\u2028": "\\u2028", "\u2029": "\\u2029"}

# Longer than any whole number quiz writes (seeds, counts, template parameters): a longer one is
# refused while the JSON is parsed, before int() of it (past 4300 digits int() raises).
MAX_DIGITS = 20

Params = tuple[tuple[str, int | str], ...]


class MetaError(ValueError):
    """Metadata that cannot be used; the message starts with where it is (file:line, field)."""


@dataclass(frozen=True)
class ItemMeta:
    number: int
    question_id: str
    kind: str                       # CONCEPT or NUMERIC
    seed: int | None                # numeric: the instance's seed
    params: Params                  # numeric: the instance's parameters
    digest: str                     # hash of the printed prompt and expected answer
    answer_digest: str              # hash of the expected answer alone

    def params_dict(self) -> dict[str, int | str]:
        return dict(self.params)


@dataclass(frozen=True)
class SheetMeta:
    title: str
    date: str
    seed: int
    class_id: str
    student_number: int
    class_size: int
    student_name: str
    student_key: str
    items: tuple[ItemMeta, ...]

    @property
    def item_count(self) -> int:
        return len(self.items)


def class_id(seed: int, command: str) -> str:
    """One class: the seed and the command that made its sheets."""
    return hashlib.sha256(f"{seed}\n{command}".encode()).hexdigest()[:12]


def _hash(*parts: str) -> str:
    payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:HASH_LENGTH]


def item_digest(question_id: str, kind: str, prompt: str, answer: str) -> str:
    return _hash(question_id, kind, prompt, answer)


def answer_digest(question_id: str, answer: str) -> str:
    return _hash(question_id, answer)


def item_meta(item: SheetItem) -> ItemMeta:
    return ItemMeta(number=item.number, question_id=item.question_id, kind=item.kind,
                    seed=item.seed if item.kind == NUMERIC else None, params=item.params,
                    digest=item_digest(item.question_id, item.kind, item.prompt, item.answer),
                    answer_digest=answer_digest(item.question_id, item.answer))


def sheet_meta(sheet: Sheet) -> SheetMeta:
    return SheetMeta(title=sheet.title, date=sheet.date, seed=sheet.seed,
                     class_id=sheet.class_id, student_number=sheet.student_number,
                     class_size=sheet.class_size, student_name=sheet.student_name,
                     student_key=sheet.student_key,
                     items=tuple(item_meta(item) for item in sheet.items))


# --- JSON ---------------------------------------------------------------------------------------

def meta_to_json(meta: SheetMeta) -> dict[str, Any]:
    return {
        "v": META_VERSION, "class": meta.class_id, "seed": meta.seed, "date": meta.date,
        "title": meta.title,
        "student": {"n": meta.student_number, "of": meta.class_size, "key": meta.student_key,
                    "name": meta.student_name},
        "count": meta.item_count, "items": [_item_json(item) for item in meta.items],
    }


def _item_json(item: ItemMeta) -> dict[str, Any]:
    entry: dict[str, Any] = {"n": item.number, "id": item.question_id, "kind": item.kind}
    if item.kind == NUMERIC:
        entry["seed"] = item.seed
        entry["params"] = dict(item.params)
    entry["hash"] = item.digest
    entry["ahash"] = item.answer_digest
    return entry


def meta_comment(meta: SheetMeta) -> str:
    """The metadata as one HTML comment line (compact JSON, `<`, `>`, `&` escaped)."""
    text = safe_json(meta_to_json(meta), compact=True)
    for character, escape in _COMMENT_UNSAFE.items():
        text = text.replace(character, escape)
    return f"<!-- {COMMENT_TAG} {COMMENT_NOTE} {text} -->"


def comment_payload(line: str) -> str | None:
    """The JSON text of a metadata comment line; None when the line is not one."""
    match = COMMENT_LINE.match(line)
    return match.group(1) if match else None


class _LongNumber(ValueError):
    def __init__(self, digits: str) -> None:
        super().__init__(digits)
        self.digits = digits


def _short_int(digits: str) -> int:
    """json's parse_int: a whole number of at most MAX_DIGITS digits."""
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise _LongNumber(digits)
    return int(digits)


def _long_number(error: _LongNumber) -> str:
    return (f"a number of {len(error.digits.lstrip('-'))} digits ({error.digits[:12]}…): quiz "
            f"writes none longer than {MAX_DIGITS}")


def meta_from_text(text: str, where: str) -> SheetMeta:
    try:
        data = json.loads(text, parse_int=_short_int)
    except json.JSONDecodeError as error:
        raise MetaError(f"{where}: the sheet's metadata is not JSON any more ({error.msg})") \
            from None
    except _LongNumber as error:
        raise MetaError(f"{where}: {_long_number(error)}") from None
    return meta_from_json(data, where)


def meta_from_json(data: Any, where: str) -> SheetMeta:
    """Checked field by field; a wrong field is named (`where`: student.n: …)."""
    fields = _Fields(data, where)
    if fields.integer("v") != META_VERSION:
        raise MetaError(f"{where}: v: expected version {META_VERSION}")
    student = _Fields(fields.value("student", dict), f"{where}: student")
    items_data = fields.value("items", list)
    items = tuple(_item_from_json(entry, f"{where}: items[{index}]")
                  for index, entry in enumerate(items_data))
    if fields.integer("count", 0, MAX_ITEMS) != len(items):
        raise MetaError(f"{where}: count: {fields.integer('count')} items, but {len(items)} "
                        "are listed")
    numbers = [item.number for item in items]
    ids = [item.question_id for item in items]
    if len(set(numbers)) != len(numbers) or len(set(ids)) != len(ids):
        raise MetaError(f"{where}: items: an item number or question id appears twice")
    return SheetMeta(title=fields.text("title"), date=fields.text("date"),
                     seed=fields.integer("seed", 0, SEED_LIMIT - 1),
                     class_id=fields.text("class"),
                     student_number=student.integer("n", 1, MAX_STUDENTS),
                     class_size=student.integer("of", 1, MAX_STUDENTS),
                     student_name=student.text("name"), student_key=student.text("key"),
                     items=items)


def _item_from_json(data: Any, where: str) -> ItemMeta:
    fields = _Fields(data, where)
    kind = fields.text("kind")
    if kind not in (CONCEPT, NUMERIC):
        raise MetaError(f"{where}: kind: expected {CONCEPT!r} or {NUMERIC!r}, got {kind!r}")
    seed: int | None = None
    params: Params = ()
    if kind == NUMERIC:
        seed = fields.integer("seed", 0, SEED_LIMIT - 1)
        params = _params(fields.value("params", dict), f"{where}: params")
    return ItemMeta(number=fields.integer("n", 1, MAX_ITEMS), question_id=fields.text("id"),
                    kind=kind, seed=seed, params=params, digest=fields.text("hash"),
                    answer_digest=fields.text("ahash"))


def _params(data: dict[str, Any], where: str) -> Params:
    params: list[tuple[str, int | str]] = []
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise MetaError(f"{where}.{name}: expected a whole number or a word, got {value!r}")
        params.append((name, value))
    return tuple(params)


class _Fields:
    """Typed access to a JSON object's fields, naming the field in every error."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise MetaError(f"{where}: expected a JSON object")
        self.data, self.where = data, where

    def value(self, name: str, kind: type) -> Any:
        if name not in self.data:
            raise MetaError(f"{self.where}: {name}: missing")
        value = self.data[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise MetaError(f"{self.where}: {name}: expected {kind.__name__}, got {value!r}")
        return value

    def integer(self, name: str, low: int | None = None, high: int | None = None) -> int:
        """A whole number, within [low, high] when they are given (the range quiz writes)."""
        value: int = self.value(name, int)
        if (low is not None and value < low) or (high is not None and value > high):
            raise MetaError(f"{self.where}: {name}: {value} is out of range (quiz writes {low} "
                            f"to {high})")
        return value

    def text(self, name: str) -> str:
        value: str = self.value(name, str)
        return value


# --- manifest.json ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ManifestSheet:
    file: str                       # the sheet's file name in the folder (one per student for md)
    meta: SheetMeta


@dataclass(frozen=True)
class Manifest:
    """The class as printed: every student's sheet, also those never handed back."""

    class_id: str
    seed: int
    title: str
    date: str
    command: str
    format: str
    sheets: tuple[ManifestSheet, ...]

    def for_student(self, student_number: int) -> ManifestSheet | None:
        for sheet in self.sheets:
            if sheet.meta.student_number == student_number:
                return sheet
        return None


def manifest_json(manifest: Manifest) -> dict[str, Any]:
    return {
        "version": META_VERSION, "class": manifest.class_id, "seed": manifest.seed,
        "title": manifest.title, "date": manifest.date, "command": manifest.command,
        "format": manifest.format,
        "sheets": [{"file": sheet.file, **meta_to_json(sheet.meta)} for sheet in manifest.sheets],
    }


def manifest_text(manifest: Manifest) -> str:
    return safe_json(manifest_json(manifest)) + "\n"


class ManifestStream:
    """manifest.json written into an open file a sheet at a time, so that a class of any size
    needs no more memory than one sheet's entry; the text is manifest_text's, byte for byte.
    The class's fields come from the first sheet; `finish` ends the document."""

    def __init__(self, handle: TextIO, fmt: str) -> None:
        self._handle, self._format = handle, fmt
        self.count = 0

    def add(self, file: str, sheet: Sheet) -> None:
        if self.count == 0:
            head = Manifest(class_id=sheet.class_id, seed=sheet.seed, title=sheet.title,
                            date=sheet.date, command=sheet.command, format=self._format,
                            sheets=())
            text = manifest_text(head)
            # json.dumps (indent 1) ends an empty last list as `[]\n}`: the entries go between
            assert text.endswith(_EMPTY_SHEETS_END)
            self._handle.write(text[:-len(_EMPTY_SHEETS_END)] + "[\n")
        else:
            self._handle.write(",\n")
        entry = safe_json({"file": file, **meta_to_json(sheet_meta(sheet))})
        # split at "\n" only: splitlines would also split at U+2028 in a name, which JSON keeps
        self._handle.write("\n".join(f"  {line}" for line in entry.split("\n")))
        self.count += 1

    def finish(self) -> None:
        if self.count == 0:
            raise ValueError("a manifest lists at least one sheet")
        self._handle.write("\n ]\n}\n")


_EMPTY_SHEETS_END = "[]\n}\n"


def load_manifest(folder: Path) -> Manifest | None:
    """The manifest in `folder`; None when there is none. MetaError names the file and field."""
    path = folder / MANIFEST_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise MetaError(f"{path}: cannot read: {error}") from None
    try:
        data = json.loads(text, parse_int=_short_int)
    except json.JSONDecodeError as error:
        raise MetaError(f"{path}:{error.lineno}: not JSON: {error.msg}") from None
    except _LongNumber as error:
        line = text.count("\n", 0, max(text.find(error.digits), 0)) + 1
        raise MetaError(f"{path}:{line}: {_long_number(error)}") from None
    fields = _Fields(data, str(path))
    if fields.integer("version") != META_VERSION:
        raise MetaError(f"{path}: version: expected {META_VERSION}")
    sheets = []
    for index, entry in enumerate(fields.value("sheets", list)):
        where = f"{path}: sheets[{index}]"
        sheets.append(ManifestSheet(_Fields(entry, where).text("file"),
                                    meta_from_json(entry, where)))
    return Manifest(class_id=fields.text("class"),
                    seed=fields.integer("seed", 0, SEED_LIMIT - 1),
                    title=fields.text("title"), date=fields.text("date"),
                    command=fields.text("command"), format=fields.text("format"),
                    sheets=tuple(sheets))
