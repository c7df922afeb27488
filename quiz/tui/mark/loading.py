"""Read a folder of filled sheets into a `ClassToMark`: the bank for the questions and reference
answers, `quiz.sheets.grading` for what `quiz check` reads (a sheet it refuses is refused here
too, with its file:line), and marks.json for the marks already made.

Called before the terminal is taken, so a folder with nothing to mark is a plain message and a
non-zero exit, not an empty screen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.sheets.marks import MARKS_FILE, MarksError, load_marks
from quiz.sheets.model import CONCEPT
from quiz.tui.mark.model import ClassToMark, ConceptItem, Refused, StudentAnswer

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.numeric import Template
    from quiz.sheets.grading import SheetResult
    from quiz.sheets.reader import FilledSheet

# The sheet's student field is "name（n/N）" or "n/N"; the name is what the teacher reads.
_LABEL_SUFFIX = re.compile(r"\s*[（(]\s*\d+\s*/\s*\d+\s*[)）]\s*$")
_NUMBER_ONLY = re.compile(r"^\s*\d+\s*/\s*\d+\s*$")


class MarkSetupError(ValueError):
    """Nothing can be marked in the folder; the message says why (and names the file)."""


def sheet_files(folder: Path) -> list[Path]:
    """The Markdown files of the folder (not its keys/ subfolder), in name order."""
    return sorted(path for path in folder.glob("*.md") if path.is_file())


def load_class(folder: Path, bank_path: str | None = None) -> ClassToMark:
    if not folder.is_dir():
        raise MarkSetupError(f"{folder}: no such folder")
    files = sheet_files(folder)
    if not files:
        raise MarkSetupError(f"{folder}: no .md sheets in this folder")
    try:
        # Read before anything else: a marks file that cannot be read must never be replaced
        # by the marks of this session alone.
        marks = load_marks(folder)
    except MarksError as error:
        raise MarkSetupError(f"{error} (fix or move {MARKS_FILE}; it is not overwritten)") \
            from None
    questions, templates = _bank(bank_path)
    read, refused = _read_sheets(files, questions, templates)
    if not read:
        raise MarkSetupError("no sheet can be read:\n" + "\n".join(r.reason for r in refused))
    by_id = {question.id: question for question in questions}
    items = _concept_items(read, by_id)
    if not items:
        raise MarkSetupError(f"{folder}: the sheets have no concept items to mark "
                             "(numeric items are graded by `quiz check`)")
    answers = tuple(answer for item in items
                    for answer in _answers_to(item.question_id, read))
    return ClassToMark(folder=folder, items=items, answers=answers, students=len(read),
                       refused=tuple(refused), marks=marks)


def _bank(bank_path: str | None) -> tuple[list[Question], dict[str, Template]]:
    from quiz.bank.errors import BankError
    from quiz.bank.parser import load_bank
    from quiz.commands.numeric import bank_dir
    from quiz.numeric import load_templates

    try:
        questions = load_bank(bank_dir(bank_path))
    except BankError as error:
        raise MarkSetupError(str(error)) from None
    return questions, load_templates(questions)


def _read_sheets(files: Sequence[Path], questions: list[Question],
                 templates: dict[str, Template],
                 ) -> tuple[list[tuple[FilledSheet, SheetResult]], list[Refused]]:
    """Every sheet `quiz check` can grade, in student order; the others with their reason.
    A second sheet of the same student is refused: its marks would overwrite the first's."""
    from quiz.sheets.grading import grade_sheet
    from quiz.sheets.reader import SheetFormatError, read_sheet

    read: list[tuple[FilledSheet, SheetResult]] = []
    refused: list[Refused] = []
    owners: dict[str, Path] = {}
    for path in files:
        try:
            sheet = read_sheet(path)
            result = grade_sheet(sheet, questions, templates)
        except SheetFormatError as error:
            refused.append(Refused(path, str(error)))
            continue
        key = student_key(sheet)
        if key in owners:
            refused.append(Refused(path, f"{path}:{sheet.seed_line}: the same student "
                                         f"({key}) as {owners[key].name}; left out"))
            continue
        owners[key] = path
        read.append((sheet, result))
    read.sort(key=lambda pair: (pair[0].student_number, str(pair[0].path)))
    return read, refused


def student_key(sheet: FilledSheet) -> str:
    """The key marks.json files a student's marks under: the name on the sheet, or its number
    when the sheet has no name."""
    return student_name(sheet.student) or str(sheet.student_number)


def student_name(label: str) -> str:
    """The name in a sheet's student field (`张三（3/30）` → `张三`); "" for a number alone."""
    if _NUMBER_ONLY.match(label):
        return ""
    return _LABEL_SUFFIX.sub("", label).strip()


def _concept_items(read: list[tuple[FilledSheet, SheetResult]],
                   by_id: dict[str, Question]) -> tuple[ConceptItem, ...]:
    """The concept items of every sheet, once each, in sheet order."""
    found: dict[str, ConceptItem] = {}
    for _sheet, result in read:
        for item in result.items:
            if item.kind == CONCEPT and item.question_id not in found:
                found[item.question_id] = ConceptItem(
                    question_id=item.question_id, number=item.number,
                    prompt=by_id[item.question_id].title, reference=item.expected)
    return tuple(sorted(found.values(), key=lambda item: item.number))


def _answers_to(question_id: str,
                read: list[tuple[FilledSheet, SheetResult]]) -> list[StudentAnswer]:
    answers = []
    for sheet, _result in read:
        for item in sheet.items:
            if item.question_id == question_id:
                name = student_name(sheet.student)
                answers.append(StudentAnswer(
                    student_key=student_key(sheet),
                    student=name or f"{sheet.student_number} 号",
                    student_number=sheet.student_number, sheet=sheet.path, line=item.line,
                    question_id=question_id, answer=item.answer))
    return answers
