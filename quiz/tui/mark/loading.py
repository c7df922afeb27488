"""Read a folder of filled sheets into a `ClassToMark`: each sheet as printed (its metadata line,
else the manifest beside it, through `quiz.sheets.grading.printed_sheet`, which refuses a changed
sheet with file:line as `quiz check` does), its concept answers whole with any `评：` mark, the
bank's question and reference answer, and the marks already in marks.json.

Numeric items are not graded here: marking needs none of them, and rebuilding each printed
instance runs the engine (3 of the 3.6 s a class of 40 x 20 items took through `grade_sheet`).

Called before the terminal is taken, so a folder with nothing to mark is a plain message and a
non-zero exit, not an empty screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.sheets.marks import MARKS_FILE, Mark, MarksError, load_marks, parse_mark
from quiz.sheets.meta import item_digest
from quiz.sheets.model import CONCEPT
from quiz.sheets.text import without_machine_blocks
from quiz.tui.mark.model import ClassToMark, ConceptItem, Refused, StudentAnswer

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.sheets.meta import ItemMeta, Manifest, SheetMeta
    from quiz.sheets.reader import FilledSheet

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
    questions = _bank(bank_path)
    read, refused = _read_sheets(files, _manifest(folder))
    if not read:
        raise MarkSetupError("no sheet can be read:\n" + "\n".join(r.reason for r in refused))
    by_id = {question.id: question for question in questions}
    items = _concept_items(read, by_id)
    if not items:
        raise MarkSetupError(f"{folder}: the sheets have no concept items to mark "
                             "(numeric items are graded by `quiz check`)")
    answers = tuple(answer for item in items for answer in _answers_to(item.question_id, read))
    return ClassToMark(folder=folder, items=items, answers=answers, students=len(read),
                       refused=tuple(refused), marks=marks)


def _bank(bank_path: str | None) -> list[Question]:
    from quiz.bank.errors import BankError
    from quiz.bank.parser import load_bank
    from quiz.commands.numeric import bank_dir

    try:
        return load_bank(bank_dir(bank_path))
    except BankError as error:
        raise MarkSetupError(str(error)) from None


def _manifest(folder: Path) -> Manifest | None:
    from quiz.sheets.meta import MetaError, load_manifest

    try:
        return load_manifest(folder)
    except MetaError as error:
        raise MarkSetupError(str(error)) from None


def _read_sheets(files: Sequence[Path], manifest: Manifest | None,
                 ) -> tuple[list[tuple[FilledSheet, SheetMeta]], list[Refused]]:
    """Every sheet with what was printed on it, in student order; the others with their reason.

    A sheet with no student key is refused (marks are filed under it, and `quiz check` would
    never read them back), and so is a second sheet of the same student (its marks would be
    the first's)."""
    from quiz.sheets.grading import printed_sheet
    from quiz.sheets.reader import SheetFormatError, read_sheet

    read: list[tuple[FilledSheet, SheetMeta]] = []
    refused: list[Refused] = []
    owners: dict[str, Path] = {}
    for path in files:
        try:
            sheet = read_sheet(path)
            meta = printed_sheet(sheet, manifest).meta
        except SheetFormatError as error:
            refused.append(Refused(path, str(error)))
            continue
        if meta is None or not meta.student_key:
            refused.append(Refused(path, f"{path}:1: no metadata line naming the student (a "
                                         "sheet made before student keys): marks could not "
                                         "be filed for it — make the sheets again"))
        elif meta.student_key in owners:
            refused.append(Refused(path, f"{path}: the same student ({meta.student_key}) as "
                                         f"{owners[meta.student_key].name}; left out"))
        else:
            owners[meta.student_key] = path
            read.append((sheet, meta))
    read.sort(key=lambda pair: (pair[1].student_number, str(pair[0].path)))
    return read, refused


def _concept_items(read: list[tuple[FilledSheet, SheetMeta]],
                   by_id: dict[str, Question]) -> tuple[ConceptItem, ...]:
    """The printed concept items of every sheet, once each, in sheet order."""
    found: dict[str, ConceptItem] = {}
    for _sheet, meta in read:
        for printed in meta.items:
            if printed.kind == CONCEPT and printed.question_id not in found:
                found[printed.question_id] = _concept_item(printed, by_id)
    return tuple(sorted(found.values(), key=lambda item: item.number))


def _concept_item(printed: ItemMeta, by_id: dict[str, Question]) -> ConceptItem:
    """The question and today's reference answer, with a note under it when the bank changed
    the question since printing (the same check, and words, as `quiz check`)."""
    question = by_id.get(printed.question_id)
    if question is None:
        return ConceptItem(printed.question_id, printed.number, GONE,
                           "> 注：题库中已没有这道题（印出后删去）：没有参考答案")
    reference = without_machine_blocks(question.answer)
    if printed.digest and printed.digest != item_digest(question.id, CONCEPT, question.title,
                                                        reference):
        reference += "\n\n> 注：题库中这道题的题目或参考答案在印出后改过：参考答案是今天的"
    return ConceptItem(printed.question_id, printed.number, question.title, reference)


def _answers_to(question_id: str,
                read: list[tuple[FilledSheet, SheetMeta]]) -> list[StudentAnswer]:
    """Each student's answer to the question, in student order. An item deleted from a sheet
    has no answer to mark (`quiz check` counts it as missing); a `评：` line that is no mark
    is left for the teacher (check says it cannot read it)."""
    answers = []
    for sheet, meta in read:
        filled = next((item for item in sheet.items if item.question_id == question_id), None)
        if filled is None:
            continue
        score = parse_mark(filled.mark) if filled.mark is not None else None
        answers.append(StudentAnswer(
            student_key=meta.student_key,
            student=meta.student_name or f"{meta.student_number} 号",
            student_number=meta.student_number, sheet=sheet.path, line=filled.line,
            question_id=question_id, answer=filled.answer,
            sheet_mark=None if score is None else Mark(meta.student_key, question_id, score)))
    return answers
