"""The class to mark, as plain data: the concept items and every student's answer to them, in
marking order (item by item, and within an item student by student)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quiz.sheets.marks import Mark, Marks


@dataclass(frozen=True)
class ConceptItem:
    question_id: str
    number: int          # the item's number on the sheets
    prompt: str          # the question (bank Markdown)
    reference: str       # the reference answer (bank Markdown, machine blocks removed)


@dataclass(frozen=True)
class StudentAnswer:
    student_key: str     # what marks.json keys the mark by
    student: str         # the name as the teacher reads it
    student_number: int
    sheet: Path
    line: int            # the item header's line in the sheet
    question_id: str
    answer: str          # whole, as written (may be several lines, may be empty)
    sheet_mark: Mark | None = None  # a `评：` line in the sheet (marks.json wins over it)


@dataclass(frozen=True)
class Refused:
    """A sheet left out of marking, and why (its message starts with file:line)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class ClassToMark:
    folder: Path
    items: tuple[ConceptItem, ...]
    answers: tuple[StudentAnswer, ...]      # marking order
    students: int                           # readable sheets
    refused: tuple[Refused, ...]
    marks: Marks                            # as loaded from marks.json

    def item_of(self, answer: StudentAnswer) -> ConceptItem:
        return next(item for item in self.items if item.question_id == answer.question_id)

    def answers_to(self, question_id: str) -> list[StudentAnswer]:
        return [answer for answer in self.answers if answer.question_id == question_id]
