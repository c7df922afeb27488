"""A teacher's marks of concept items, kept beside the sheets in `marks.json`.

`quiz mark` writes them, `quiz check` reads them (they win over `评：` lines in the sheets).
Values are immutable: every change returns a new `Marks`, so an undo is keeping the old value.

    {"version": 1, "marks": [{"student": KEY, "id": QID, "score": 0.5, "note": "",
                              "marked_at": "2025-01-01T08:00:00Z"}]}
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz.files import MB, FileRefused, read_user_text

MARKS_FILE = "marks.json"
MARKS_VERSION = 1
MAX_MARKS_BYTES = 64 * MB  # 1000 students with 500 marked answers each, at 100 bytes a mark
MAX_INTEGER_DIGITS = 20

# Words a teacher writes for a whole mark; a fraction, a decimal or a percentage is a part mark.
_WORD_MARKS = {
    "对": 1.0, "✓": 1.0, "✔": 1.0, "√": 1.0, "正确": 1.0,
    "半对": 0.5,
    "错": 0.0, "✗": 0.0, "✘": 0.0, "×": 0.0, "错误": 0.0,
}
_NUMBER = r"\d+(?:\.\d+)?"
_FRACTION = re.compile(rf"({_NUMBER})\s*/\s*({_NUMBER})")
_PERCENT = re.compile(rf"({_NUMBER})\s*[%％]")
_DECIMAL = re.compile(_NUMBER)


class MarksError(ValueError):
    """An unreadable marks file; the message starts with the file path (and the entry/field)."""


def parse_mark(text: str) -> float | None:
    """A mark as a teacher writes it, as a score in [0, 1]; None when it is not one.

    '对'/'✓' → 1.0, '半对' → 0.5, '错'/'✗' → 0.0, '8/10' → 0.8, '0.8' → 0.8, '80%' → 0.8.
    A score outside [0, 1] (`12/10`, `1.5`, `120%`) is not a mark: None, never clipped."""
    cleaned = text.strip().rstrip("。.；;，,").strip()
    if cleaned in _WORD_MARKS:
        return _WORD_MARKS[cleaned]
    score = _numeric_mark(cleaned)
    if score is None or not math.isfinite(score) or not 0.0 <= score <= 1.0:
        return None
    return score


def _numeric_mark(text: str) -> float | None:
    if match := _FRACTION.fullmatch(text):
        denominator = float(match.group(2))
        return float(match.group(1)) / denominator if denominator else None
    if match := _PERCENT.fullmatch(text):
        return float(match.group(1)) / 100.0
    if _DECIMAL.fullmatch(text):
        return float(text)
    return None


@dataclass(frozen=True)
class Mark:
    """One concept item of one student, marked: `score` in [0, 1]."""

    student_key: str
    question_id: str
    score: float
    note: str = ""
    marked_at: str = ""           # ISO 8601, UTC


@dataclass(frozen=True)
class Marks:
    """Every mark of a class; at most one per (student key, question id)."""

    entries: tuple[Mark, ...] = ()

    def get(self, student_key: str, question_id: str) -> Mark | None:
        for mark in self.entries:
            if mark.student_key == student_key and mark.question_id == question_id:
                return mark
        return None

    def with_mark(self, mark: Mark) -> Marks:
        """These marks with `mark`, replacing the one of that student and question (in place, so
        the file's order stays the marking order)."""
        replaced = False
        entries: list[Mark] = []
        for old in self.entries:
            if (old.student_key, old.question_id) == (mark.student_key, mark.question_id):
                if not replaced:
                    entries.append(mark)
                replaced = True
            else:
                entries.append(old)
        if not replaced:
            entries.append(mark)
        return Marks(tuple(entries))

    def without(self, student_key: str, question_id: str) -> Marks:
        return Marks(tuple(
            mark for mark in self.entries
            if (mark.student_key, mark.question_id) != (student_key, question_id)
        ))


def load_marks(folder: Path) -> Marks:
    """The marks saved in `folder`; none when there is no marks file. Raises MarksError naming the
    file (and the entry and field) when it cannot be read."""
    path = folder / MARKS_FILE
    if not path.exists() and not path.is_symlink():
        return Marks()
    try:
        text = read_user_text(path, MAX_MARKS_BYTES, what="a marks file")
    except FileRefused as error:
        raise MarksError(str(error)) from None
    try:
        data = json.loads(text, parse_int=_short_integer)
    except json.JSONDecodeError as error:
        raise MarksError(f"{path}:{error.lineno}: not JSON: {error.msg}") from error
    except _LongInteger as error:
        line = text.count("\n", 0, max(text.find(error.digits), 0)) + 1
        raise MarksError(f"{path}:{line}: a number of {len(error.digits)} digits: a mark is a "
                         "score from 0 to 1") from None
    return _marks_from_json(path, data)


class _LongInteger(ValueError):
    def __init__(self, digits: str) -> None:
        super().__init__(digits)
        self.digits = digits


def _short_integer(digits: str) -> int:
    """json's parse_int: Python refuses to convert more than 4300 digits (ValueError, a
    traceback from deep inside json), and no mark needs more than a few."""
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _LongInteger(digits)
    return int(digits)


def _marks_from_json(path: Path, data: Any) -> Marks:
    if not isinstance(data, dict):
        raise MarksError(f"{path}: expected a JSON object with 'version' and 'marks'")
    if data.get("version") != MARKS_VERSION:
        raise MarksError(
            f"{path}: version: expected {MARKS_VERSION}, got {data.get('version')!r}")
    entries = data.get("marks")
    if not isinstance(entries, list):
        raise MarksError(f"{path}: marks: expected a list")
    marks = Marks()
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(entries):
        mark = _mark_from_json(path, index, entry)
        key = (mark.student_key, mark.question_id)
        if key in seen:
            raise MarksError(
                f"{path}: marks[{index}]: a second mark of student {mark.student_key!r} "
                f"for {mark.question_id!r}")
        seen.add(key)
        marks = marks.with_mark(mark)
    return marks


def _mark_from_json(path: Path, index: int, entry: Any) -> Mark:
    where = f"{path}: marks[{index}]"
    if not isinstance(entry, dict):
        raise MarksError(f"{where}: expected an object")
    student = _text_field(where, entry, "student", required=True)
    question_id = _text_field(where, entry, "id", required=True)
    score = entry.get("score")
    # bool is an int in Python: `true` is no score
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        raise MarksError(f"{where}: score: expected a number in [0, 1], got {score!r}")
    if not math.isfinite(score) or not 0.0 <= score <= 1.0:
        raise MarksError(f"{where}: score: {score!r} is outside [0, 1]")
    return Mark(
        student_key=student,
        question_id=question_id,
        score=float(score),
        note=_text_field(where, entry, "note", required=False),
        marked_at=_text_field(where, entry, "marked_at", required=False),
    )


def _text_field(where: str, entry: dict[str, Any], field: str, *, required: bool) -> str:
    if field not in entry:
        if required:
            raise MarksError(f"{where}: {field}: missing")
        return ""
    value = entry[field]
    if not isinstance(value, str):
        raise MarksError(f"{where}: {field}: expected a string, got {value!r}")
    if required and not value:
        raise MarksError(f"{where}: {field}: empty")
    return value


def marks_to_json(marks: Marks) -> dict[str, Any]:
    return {
        "version": MARKS_VERSION,
        "marks": [
            {"student": mark.student_key, "id": mark.question_id, "score": mark.score,
             "note": mark.note, "marked_at": mark.marked_at}
            for mark in marks.entries
        ],
    }


def save_marks(folder: Path, marks: Marks) -> Path:
    """Write `marks` to `folder`/marks.json through a temporary file in the same folder and
    os.replace, so a crash leaves the old file or the new one, never half of one."""
    path = folder / MARKS_FILE
    text = json.dumps(marks_to_json(marks), ensure_ascii=False, indent=1) + "\n"
    write_atomically(path, text)
    return path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write `content` (text as UTF-8) to `path` through a temporary file beside it, fsync and
    os.replace: a reader sees the old file or the new one, never half of one. On failure the
    temporary file is removed and the OSError names `path` (see `atomic_target`)."""
    data = memoryview(content.encode("utf-8") if isinstance(content, str) else content)
    with atomic_target(path) as temporary:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_TRUNC)
        try:
            while data:  # os.write may write less than asked: a full disk shows up here
                data = data[os.write(descriptor, data[:_CHUNK]):]
        finally:
            os.close(descriptor)


_CHUNK = 1 << 20


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """The one way quiz writes a file: yields a fresh temporary path in `path`'s folder for the
    caller (or a library, e.g. genanki) to write; when the block ends without an error the
    temporary file is fsynced and renamed over `path`; on any error it is removed. An OSError
    is re-raised naming `path` itself: an error from write() (a full disk) names no file at
    all, and one from the temporary file would name a name the user never gave."""
    path = Path(path)
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                            suffix=".tmp")
        try:  # mkstemp makes it 0600: give it the mode open() would (or the old file's)
            os.fchmod(descriptor, _mode_for(path))
        finally:
            os.close(descriptor)
    except OSError as error:
        raise _naming(error, path) from None
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb+") as handle:  # a library may have closed it without fsync
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _naming(error, path) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The permission bits of the file that `path` now is, or what a new file gets (0666 less
    the umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_UMASK


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: done once, at import
    os.umask(mask)
    return mask


_UMASK = _umask()


def _naming(error: OSError, path: Path) -> OSError:
    """`error` as an OSError of the same kind (errno) whose filename is `path`."""
    strerror = error.strerror or str(error) or type(error).__name__
    if error.errno is None:
        named = OSError(strerror)
        named.strerror, named.filename = strerror, str(path)
        return named
    return OSError(error.errno, strerror, str(path))
