"""Read a folder of filled sheets into a `ClassToMark`: `quiz.sheets.grading` grades each sheet
as printed (so a sheet `quiz check` refuses is refused here too, with its file:line), the bank
gives each question's text, and marks.json the marks already made.

Called before the terminal is taken, so a folder with nothing to mark is a plain message and a
non-zero exit, not an empty screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.sheets.marks import MARKS_FILE, Mark, Marks, MarksError, load_marks
from quiz.sheets.model import CONCEPT
from quiz.tui.mark.model import ClassToMark, ConceptItem, Refused, StudentAnswer

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.numeric import Template
    from quiz.sheets.grading import ItemResult, SheetResult
    from quiz.sheets.meta import Manifest

GONE = "（题库中已没有这道题）"


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
    results, refused = _grade_sheets(files, questions, templates, _manifest(folder))
    if not results:
        raise MarkSetupError("no sheet can be read:\n" + "\n".join(r.reason for r in refused))
    by_id = {question.id: question for question in questions}
    items = _concept_items(results, by_id)
    if not items:
        raise MarkSetupError(f"{folder}: the sheets have no concept items to mark "
                             "(numeric items are graded by `quiz check`)")
    answers = tuple(answer for item in items
                    for answer in _answers_to(item.question_id, results))
    return ClassToMark(folder=folder, items=items, answers=answers, students=len(results),
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


def _manifest(folder: Path) -> Manifest | None:
    from quiz.sheets.meta import MetaError, load_manifest

    try:
        return load_manifest(folder)
    except MetaError as error:
        raise MarkSetupError(str(error)) from None


def _grade_sheets(files: Sequence[Path], questions: list[Question],
                  templates: dict[str, Template], manifest: Manifest | None,
                  ) -> tuple[list[SheetResult], list[Refused]]:
    """Every sheet `quiz check` can grade, in student order; the others with their reason.

    Graded without marks.json, so each concept result carries the sheet's own `评：` mark
    only. A sheet with no student key is refused (`quiz check` files marks under that key and
    would never read them), and so is a second sheet of the same student (its marks would be
    the first's)."""
    from quiz.sheets.grading import grade_sheet
    from quiz.sheets.reader import SheetFormatError, read_sheet

    results: list[SheetResult] = []
    refused: list[Refused] = []
    owners: dict[str, Path] = {}
    for path in files:
        try:
            result = grade_sheet(read_sheet(path), questions, templates, manifest=manifest,
                                 marks=Marks())
        except SheetFormatError as error:
            refused.append(Refused(path, str(error)))
            continue
        key = result.student_key
        if not key:
            refused.append(Refused(path, f"{path}: no student key (the sheet's metadata line "
                                         "is missing): its marks could not be read back — "
                                         "make the sheets again with `quiz sheet`"))
        elif key in owners:
            refused.append(Refused(path, f"{path}: the same student ({key}) as "
                                         f"{owners[key].name}; left out"))
        else:
            owners[key] = path
            results.append(result)
    results.sort(key=lambda result: (result.student_number, result.path))
    return results, refused


def _concept_items(results: list[SheetResult],
                   by_id: dict[str, Question]) -> tuple[ConceptItem, ...]:
    """The concept items of every sheet, once each, in sheet order."""
    found: dict[str, ConceptItem] = {}
    for result in results:
        for item in result.items:
            if item.kind == CONCEPT and item.question_id not in found:
                question = by_id.get(item.question_id)
                found[item.question_id] = ConceptItem(
                    question_id=item.question_id, number=item.number,
                    prompt=question.title if question is not None else GONE,
                    reference=_reference(item))
    return tuple(sorted(found.values(), key=lambda item: item.number))


def _reference(item: ItemResult) -> str:
    """The reference answer, with what the grader noted about it (a bank changed since
    printing) as a quoted line under it."""
    notes = "\n\n".join(f"> 注：{note}" for note in item.notes)
    return "\n\n".join(part for part in (item.expected, notes) if part)


def _answers_to(question_id: str, results: list[SheetResult]) -> list[StudentAnswer]:
    """Each student's answer to the question, in student order; an item deleted from a sheet
    has no answer to mark (`quiz check` counts it as missing)."""
    from quiz.sheets.grading import MARKS_FROM_SHEET, MISSING

    answers = []
    for result in results:
        for item in result.items:
            if item.question_id != question_id or item.status == MISSING:
                continue
            sheet_mark = (Mark(result.student_key, question_id, item.score)
                          if item.mark_source == MARKS_FROM_SHEET and item.score is not None
                          else None)
            answers.append(StudentAnswer(
                student_key=result.student_key,
                student=result.student or f"{result.student_number} 号",
                student_number=result.student_number, sheet=Path(result.path),
                line=item.line, question_id=question_id, answer=item.answer,
                sheet_mark=sheet_mark))
    return answers
