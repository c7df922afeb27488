"""Read a filled-in Markdown sheet back: the seed line, the item headers and the answers.

Tolerant of what people do to a sheet by hand (items removed, notes added, `答:` with an ASCII
colon, answers on the line after `答：`), strict about what decides the grade: a sheet without a
seed line, or with an item header that names a seed but cannot be read, is refused with the
file:line of the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from quiz.sheets.markdown import KEY_MARK

SEED_LINE = re.compile(r"^\s*[-*]?\s*seed\s*[:：]\s*(\d+)\s*/\s*(\d+)\s*$", re.IGNORECASE)
SEED_WORD = re.compile(r"seed", re.IGNORECASE)
STUDENT_LINE = re.compile(r"^\s*[-*]?\s*学生\s*[:：]\s*(.*?)\s*$")
ITEM_HEADER = re.compile(
    r"^##\s*(\d+)\s*[·.、．:：]?\s*([a-z0-9][a-z0-9-]*)"
    r"(?:\s*[·,，]\s*seed\s*[:：]?\s*(-?\d+))?\s*$", re.IGNORECASE)
ANSWER_LINE = re.compile(r"^\s*答案?\s*[:：]\s*(.*?)\s*$")


@dataclass(frozen=True)
class FilledItem:
    number: int
    question_id: str
    seed: int | None
    answer: str
    line: int                       # the item header's line


@dataclass
class _Draft:
    """An item while its lines are read."""

    number: int
    question_id: str
    seed: int | None
    line: int
    answer: str | None = None
    after_mark: bool = field(default=False)
    loose: str | None = None  # the first written line, for a sheet whose `答：` was deleted

    def add(self, line: str) -> None:
        if self.answer is not None:
            return  # extra text after the answer: notes, working
        if self.loose is None and line.strip():
            self.loose = line.strip()
        mark = ANSWER_LINE.match(line)
        if mark:
            self.after_mark = True
            if mark.group(1):
                self.answer = mark.group(1)
        elif self.after_mark and line.strip():
            self.answer = line.strip()  # the answer written on the line below `答：`

    def finish(self) -> FilledItem:
        answer = self.answer if self.after_mark else self.loose
        return FilledItem(self.number, self.question_id, self.seed, answer or "", self.line)


class SheetFormatError(ValueError):
    """A sheet that cannot be graded; the message starts with file:line."""


@dataclass(frozen=True)
class FilledSheet:
    path: Path
    seed: int
    student_number: int
    student: str
    seed_line: int
    items: tuple[FilledItem, ...]


def read_sheet(path: Path) -> FilledSheet:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SheetFormatError(f"{path}: cannot read the sheet ({error})") from None
    return parse_sheet(text, path)


def parse_sheet(text: str, path: Path) -> FilledSheet:
    lines = text.splitlines()
    if any(line.strip() == KEY_MARK for line in lines[:3]):
        raise SheetFormatError(f"{path}:1: this is an answer key, not a filled-in sheet")
    seed = student_number = seed_line = None
    student = ""
    items: list[FilledItem] = []
    seen: dict[str, int] = {}
    current: _Draft | None = None
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith(">"):
            continue  # the bank's text, quoted
        header = ITEM_HEADER.match(line)
        if header or line.startswith("##"):
            if current is not None:
                items.append(current.finish())
            current = None
            if header is None:
                if SEED_WORD.search(line):
                    raise SheetFormatError(f"{path}:{number}: cannot read this item header "
                                           "(expected `## N · question-id · seed S`)")
                continue  # a heading someone added: not an item
            question_id = header.group(2).lower()
            if question_id in seen:
                raise SheetFormatError(f"{path}:{number}: item {question_id} appears twice "
                                       f"(first at line {seen[question_id]})")
            seen[question_id] = number
            current = _Draft(int(header.group(1)), question_id,
                             None if header.group(3) is None else int(header.group(3)), number)
            continue
        if current is None:
            seed_match = SEED_LINE.match(line)
            if seed_match:
                if seed_line is not None:
                    raise SheetFormatError(f"{path}:{number}: a second seed line "
                                           f"(the first is line {seed_line})")
                seed, student_number, seed_line = (int(seed_match.group(1)),
                                                   int(seed_match.group(2)), number)
            elif student_match := STUDENT_LINE.match(line):
                student = student_match.group(1)
            continue
        current.add(line)
    if current is not None:
        items.append(current.finish())
    if seed is None or student_number is None or seed_line is None:
        raise SheetFormatError(f"{path}:1: no seed line (`- seed：S / N`) before the first "
                               "item; this is not a quiz sheet, or its header was removed")
    return FilledSheet(path=path, seed=seed, student_number=student_number, student=student,
                       seed_line=seed_line, items=tuple(items))
