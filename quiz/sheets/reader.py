"""Read a filled-in Markdown sheet back: the metadata line, the seed line, the item headers, the
answers (every line of one) and the teacher's `评：` marks.

Tolerant of what people do to a sheet by hand (items removed, notes added, `答:` with an ASCII
colon, `**答：**` or `- 答：`, answers on the line after `答：` or over several lines), strict
about what decides the grade: an item header that names a seed but cannot be read, a second seed
or metadata line, is refused with the file:line of the problem. Whether the sheet is the printed
one is grading's question (quiz.sheets.grading.printed_sheet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from quiz.sheets.markdown import KEY_MARK
from quiz.sheets.meta import COMMENT_TAG, comment_payload
from quiz.sheets.model import MAX_ITEMS, MAX_STUDENTS, SEED_LIMIT

SEED_LINE = re.compile(r"^\s*[-*]?\s*seed\s*[:：]\s*(\d+)\s*/\s*(\d+)\s*$", re.IGNORECASE)
SEED_WORD = re.compile(r"seed", re.IGNORECASE)
STUDENT_LINE = re.compile(r"^\s*[-*]?\s*学生\s*[:：]\s*(.*?)\s*$")
ITEM_HEADER = re.compile(
    r"^##\s*(\d+)\s*[·.、．:：]?\s*([a-z0-9][a-z0-9-]*)"
    r"(?:\s*[·,，]\s*seed\s*[:：]?\s*(-?\d+))?\s*$", re.IGNORECASE)
# `答：`, also as people write it in Markdown: `**答：**`, `**答**：`, `- 答：`, `答案:`
_EMPHASIS = r"(?:\*\*|__)?"
ANSWER_LINE = re.compile(
    rf"^\s*(?:[-*+]\s+)?{_EMPHASIS}\s*答案?\s*{_EMPHASIS}\s*[:：]\s*{_EMPHASIS}\s*(.*?)\s*$")
# the teacher's mark of a concept answer: `评：对` / `错` / `半对` / `8/10` / `0.8` / `80%`
MARK_LINE = re.compile(
    rf"^\s*(?:[-*+]\s+)?{_EMPHASIS}\s*评\s*{_EMPHASIS}\s*[:：]\s*{_EMPHASIS}\s*(.*?)\s*"
    rf"{_EMPHASIS}\s*$")
HTML_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")


@dataclass(frozen=True)
class FilledItem:
    number: int
    question_id: str
    seed: int | None
    answer: str                     # every line written as the answer (a concept answer whole)
    line: int                       # the item header's line
    mark: str | None = None         # the text after `评：`, when the teacher marked it
    mark_line: int = 0

    @property
    def first_line(self) -> str:
        """A numeric answer: its first written line (working below it is not the answer)."""
        return next((line.strip() for line in self.answer.splitlines() if line.strip()), "")


@dataclass
class _Draft:
    """An item while its lines are read."""

    number: int
    question_id: str
    seed: int | None
    line: int
    after_mark: bool = False
    written: list[str] = field(default_factory=list)  # the answer's lines after `答：`
    loose: list[str] = field(default_factory=list)    # lines of a sheet whose `答：` was deleted
    mark: str | None = None
    mark_line: int = 0

    def add(self, line: str, number: int) -> None:
        if HTML_COMMENT_LINE.match(line):
            return  # a note to oneself, or a checker's stamp: never the answer
        mark = MARK_LINE.match(line)
        if mark:
            if self.mark is None:
                self.mark, self.mark_line = mark.group(1), number
            return
        answer = ANSWER_LINE.match(line)
        if answer and not self.after_mark:
            self.after_mark = True
            if answer.group(1):
                self.written.append(answer.group(1))
        elif self.after_mark:
            self.written.append(line.rstrip())
        elif line.strip():
            self.loose.append(line.strip())

    def finish(self) -> FilledItem:
        lines = self.written if self.after_mark else self.loose
        answer = "\n".join(lines).strip("\n").strip()
        return FilledItem(self.number, self.question_id, self.seed, answer, self.line,
                          self.mark, self.mark_line)


class SheetFormatError(ValueError):
    """A sheet that cannot be graded; the message starts with file:line."""


def _whole_number(digits: str, low: int, high: int, what: str, where: str) -> int:
    """A number the sheet's lines give (`digits` as the pattern matched it), held to the range
    quiz writes, [low, high]. The length is checked first: int() of thousands of digits is slow,
    and past 4300 digits it is a ValueError of its own."""
    sign = digits.startswith("-")
    if len(digits) - sign <= len(str(high)):
        value = int(digits)
        if low <= value <= high:
            return value
    shown = digits if len(digits) <= 20 else f"{digits[:12]}… ({len(digits) - sign} digits)"
    raise SheetFormatError(f"{where}: {what} {shown}: out of range (quiz writes {low} to {high})")


@dataclass(frozen=True)
class FilledSheet:
    path: Path
    seed: int | None                # the `- seed：S / N` line (None when it was deleted)
    student_number: int | None
    student: str                    # the `- 学生：` line as shown (the metadata has the name)
    seed_line: int                  # 0 when there is none
    items: tuple[FilledItem, ...]
    meta_text: str | None = None    # the metadata comment's JSON (quiz.sheets.meta), if kept
    meta_line: int = 0


MAX_SHEET_BYTES = 4 * 2**20  # a filled-in sheet is a few KB; this refuses endless files


def read_sheet(path: Path) -> FilledSheet:
    """A filled-in sheet, read by the one reader for named files (quiz.files): a FIFO, a
    device or a file over MAX_SHEET_BYTES is refused with a SheetFormatError, not read."""
    from quiz.files import FileRefused, read_user_text

    try:
        text = read_user_text(path, MAX_SHEET_BYTES, what="a sheet",
                              encoding="utf-8-sig")
    except FileRefused as error:
        raise SheetFormatError(f"{path}: cannot read the sheet ({error.reason})") from None
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
    meta_text: str | None = None
    meta_line = 0
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith(">"):
            continue  # the bank's text, quoted
        payload = comment_payload(line)
        if payload is None and COMMENT_TAG in line and line.lstrip().startswith("<!--"):
            payload = ""  # the metadata line, damaged: reported when the sheet is graded
        if payload is not None:
            if meta_text is not None:
                raise SheetFormatError(f"{path}:{number}: a second metadata line "
                                       f"(the first is line {meta_line})")
            meta_text, meta_line = payload, number
            continue
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
            where = f"{path}:{number}"
            item_seed = None if header.group(3) is None else _whole_number(
                header.group(3), 0, SEED_LIMIT - 1, "the item's seed", where)
            current = _Draft(_whole_number(header.group(1), 1, MAX_ITEMS, "the item number",
                                           where), question_id, item_seed, number)
            continue
        if current is None:
            seed_match = SEED_LINE.match(line)
            if seed_match:
                if seed_line is not None:
                    raise SheetFormatError(f"{path}:{number}: a second seed line "
                                           f"(the first is line {seed_line})")
                where = f"{path}:{number}"
                seed = _whole_number(seed_match.group(1), 0, SEED_LIMIT - 1, "the seed", where)
                student_number = _whole_number(seed_match.group(2), 1, MAX_STUDENTS,
                                               "the student number", where)
                seed_line = number
            elif student_match := STUDENT_LINE.match(line):
                student = student_match.group(1)
            continue
        current.add(line, number)
    if current is not None:
        items.append(current.finish())
    if seed_line is None and meta_text is None and not items:
        raise SheetFormatError(f"{path}:1: no seed line (`- seed：S / N`) and no item "
                               "(`## N · question-id`): this is not a quiz sheet")
    return FilledSheet(path=path, seed=seed, student_number=student_number, student=student,
                       seed_line=seed_line or 0, items=tuple(items), meta_text=meta_text,
                       meta_line=meta_line)
