"""``quiz check FILE|DIR``: grade filled-in Markdown sheets (one, or a folder: a class).

Each sheet is graded as printed (quiz.sheets.grading): its metadata line, else `manifest.json`
beside it, else (with a warning) today's bank regenerated from the seed. Concept items take the
teacher's marks (`marks.json` from `quiz mark`, else `评：` lines in the sheet). A folder is one
class: sheets of several classes (seeds) are refused unless --mixed.

Exit 0 when no item lost a point (concept items not yet marked are not wrong), 1 when some did,
2 when a sheet cannot be read or was changed, the bank cannot compute a printed instance any
more, the folder mixes classes, or --record names students who are not learners (each problem is
printed as file:line).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.commands.recording import LearnerAnswers
    from quiz.numeric import Template
    from quiz.sheets.grading import SheetResult
    from quiz.sheets.marks import Marks
    from quiz.sheets.meta import Manifest
    from quiz.sheets.report import ClassResults, Refused

EXIT_RIGHT, EXIT_WRONG, EXIT_UNREADABLE = 0, 1, 2
RECORDED_HOUR = time(12, tzinfo=timezone.utc)  # a sheet's reviews: midday of its date


class CheckError(Exception):
    """Something that stops the check as a whole (exit 2); the message says what and where."""


def _say(message: str) -> None:
    """One message on stderr. Messages quote file names, sheet text and student names: they
    pass the gate for outside text."""
    from quiz.render.safe import safe_text

    print(safe_text(message), file=sys.stderr)


def _sheet_files(target: Path) -> list[Path]:
    if target.is_dir():
        return sorted(path for path in target.glob("*.md") if path.is_file())
    return [target]


def check_sheets(args: argparse.Namespace) -> int:
    try:
        return _check(args)
    except CheckError as error:
        _say(f"quiz check: error: {error}")
        return EXIT_UNREADABLE


def _check(args: argparse.Namespace) -> int:
    target = Path(args.target)
    if not target.exists():
        raise CheckError(f"{target}: no such file or folder")
    files = _sheet_files(target)
    if not files:
        raise CheckError(f"{target}: no .md sheets in this folder")
    folder = target if target.is_dir() else target.parent
    context = _Context.load(args, folder)
    report = _grade_all(files, context, class_report=target.is_dir())
    for result in report.results:
        for warning in result.warnings:
            _say(f"quiz check: warning: {warning}")
    if target.is_dir() and not getattr(args, "mixed", False):
        _refuse_mixed(folder, report, context.manifest)
    for refused in report.refused:
        _say(f"quiz check: error: {refused.reason}")
    _print(report, args, class_report=target.is_dir())
    if args.record and report.results:
        recorded = _record(args, context.bank_path, list(report.results))
        if recorded != EXIT_RIGHT:
            return recorded
    if report.refused:
        return EXIT_UNREADABLE
    return EXIT_RIGHT if all(result.all_right for result in report.results) else EXIT_WRONG


@dataclass(frozen=True)
class _Context:
    """What grading needs besides the sheets: the bank, the manifest and the marks."""

    bank_path: str | None
    questions: list[Question]
    templates: dict[str, Template]
    manifest: Manifest | None
    manifest_path: str
    marks: Marks

    @classmethod
    def load(cls, args: argparse.Namespace, folder: Path) -> _Context:
        from quiz.bank.errors import BankError
        from quiz.bank.parser import load_bank
        from quiz.commands.numeric import bank_dir
        from quiz.numeric import TemplateError, load_templates
        from quiz.sheets.marks import MarksError, load_marks
        from quiz.sheets.meta import MANIFEST_FILE, MetaError, load_manifest

        bank_path = args.bank or None
        try:
            questions = load_bank(bank_dir(bank_path))
            manifest = load_manifest(folder)
            marks = load_marks(folder)
        except (BankError, MetaError, MarksError) as error:
            raise CheckError(str(error)) from None
        broken: list[TemplateError] = []
        templates = load_templates(questions, broken)
        for problem in broken:  # its items are refused where a sheet asks them
            _say(f"quiz check: warning: {problem}")
        return cls(bank_path, questions, templates, manifest, str(folder / MANIFEST_FILE),
                   marks)


def _grade_all(files: list[Path], context: _Context, *, class_report: bool) -> ClassResults:
    from quiz.sheets.grading import grade_sheet
    from quiz.sheets.reader import SheetFormatError, read_sheet
    from quiz.sheets.report import ClassResults, RosterStudent

    results: list[SheetResult] = []
    refused: list[Refused] = []
    for path in files:
        try:
            results.append(grade_sheet(read_sheet(path), context.questions, context.templates,
                                       manifest=context.manifest,
                                       manifest_path=context.manifest_path,
                                       marks=context.marks))
        except SheetFormatError as error:
            refused.append(_refused(path, str(error), context))
    roster: tuple[RosterStudent, ...] = ()
    if class_report and context.manifest is not None:
        roster = tuple(RosterStudent(entry.meta.student_number, entry.meta.student_key,
                                     entry.meta.student_name)
                       for entry in context.manifest.sheets)
    return ClassResults(tuple(results), tuple(refused), roster)


def _refused(path: Path, reason: str, context: _Context) -> Refused:
    """A refused sheet, with whose it is when its metadata (or the manifest) still says."""
    from quiz.sheets.grading import printed_sheet
    from quiz.sheets.reader import SheetFormatError, read_sheet
    from quiz.sheets.report import Refused

    try:
        meta = printed_sheet(read_sheet(path), context.manifest, context.manifest_path).meta
    except SheetFormatError:
        meta = None
    if meta is None and context.manifest is not None:
        # A sheet whose metadata cannot be trusted (edited) is still the one the manifest made
        # under this file name: its student handed it in, and is not listed as absent.
        entry = next((sheet for sheet in context.manifest.sheets if sheet.file == path.name),
                     None)
        meta = entry.meta if entry is not None else None
    if meta is None:
        return Refused(str(path), reason)
    return Refused(str(path), reason, meta.student_number, meta.student_key, meta.student_name)


def _refuse_mixed(folder: Path, report: ClassResults, manifest: Manifest | None) -> None:
    """One folder, one class: sheets of other seeds or commands (an older class, a second
    run of `quiz sheet`) would mix two tables into one."""
    from quiz.sheets.grading import FROM_SEED

    classes: dict[str, list[str]] = {}
    if manifest is not None:
        classes.setdefault(f"{manifest.class_id} (seed {manifest.seed})", []).append(
            "manifest.json")
    known = [result for result in report.results if result.metadata != FROM_SEED]
    for result in known:
        classes.setdefault(f"{result.class_id} (seed {result.seed})", []).append(
            Path(result.path).name)
    # a sheet without metadata is known by its seed alone: of the class with that seed
    seeds = {result.seed for result in known} | ({manifest.seed} if manifest else set())
    for result in report.results:
        if result.metadata == FROM_SEED and result.seed not in seeds:
            classes.setdefault(f"of seed {result.seed}", []).append(Path(result.path).name)
    if len(classes) > 1:
        listed = "; ".join(f"class {name}: {', '.join(files[:3])}"
                           + (f" and {len(files) - 3} more" if len(files) > 3 else "")
                           for name, files in classes.items())
        raise CheckError(f"{folder} mixes {len(classes)} classes — {listed}; check each class "
                         "in its own folder, or give --mixed")


def _print(report: ClassResults, args: argparse.Namespace, class_report: bool) -> None:
    """The report on stdout, through the gate for outside text (it quotes file names, answers and
    students): CSV and text lose their control characters, JSON escapes them."""
    from quiz.render.safe import safe_json, safe_text
    from quiz.sheets.report import class_csv, class_summary, class_text, sheet_text

    if not report.results and not class_report:
        return  # the one sheet could not be read: only its error is printed
    if args.csv:
        sys.stdout.write(safe_text(class_csv(report)))
    elif args.json:
        payload = ({"summary": class_summary(report),
                    "sheets": [r.to_json() for r in report.results]}
                   if class_report else report.results[0].to_json())
        print(safe_json(payload))
    elif class_report:
        print(safe_text(class_text(report)))
    else:
        for result in report.results:
            print(safe_text(sheet_text(result)))


# --- --record ------------------------------------------------------------------------------------

def _record(args: argparse.Namespace, bank_path: str | None, results: list[SheetResult]) -> int:
    """Each sheet into its own student's learner, stamped with the sheet's date; a sheet made
    without a roster into the learner of --learner / QUIZ_LEARNER (the default learner when
    neither is given: one's own sheet). Returns EXIT_RIGHT, or EXIT_UNREADABLE when refused."""
    from quiz.commands.recording import UnknownLearners, record_for_learners
    from quiz.store.learners import LearnerError

    batches = [batch for batch in (learner_answers(result, _own_learner(args))
                                   for result in results) if batch.answers]
    if not batches:
        _say("没有可记录的复习（数值题作答与已评的概念题才记录）。")
        return EXIT_RIGHT
    try:
        recorded, skipped = record_for_learners(
            args, bank_path, batches, add_learners=getattr(args, "add_learners", False))
    except UnknownLearners as error:
        _say(f"quiz check: error: not learners of this database: {', '.join(error.names)} "
             "— nothing was recorded; give --add-learners to make them")
        return EXIT_UNREADABLE
    except LearnerError as error:
        _say(f"quiz check: error: {error} — nothing was recorded")
        return EXIT_UNREADABLE
    note = f"，{skipped} 条此前已记录" if skipped else ""
    _say(f"已记录 {recorded} 条复习{note}（{len(batches)} 份答卷）。")
    return EXIT_RIGHT


def _own_learner(args: argparse.Namespace) -> str:
    from quiz.cli import learner_name
    from quiz.store.tables import DEFAULT_LEARNER

    return learner_name(args) or DEFAULT_LEARNER


def learner_answers(result: SheetResult, own_learner: str) -> LearnerAnswers:
    """The reviews one sheet gives: graded numeric items (not blank or unreadable) and concept
    items the teacher marked (对 → Good, 半对 → Hard, 错 → Again)."""
    from quiz.commands.recording import Answer, LearnerAnswers

    answers = tuple(
        Answer(item.question_id, item.seed, item.answer, item.status, item.suggested_rating,
               mistake_id=item.mistake_id)
        for item in result.items if item.suggested_rating)
    # a roster names its students; a sheet without a name was made for one's own practice
    learner = result.student_key if result.student else own_learner
    return LearnerAnswers(learner=learner, display_name=result.student,
                          reviewed_at=_reviewed_at(result), answers=answers)


def _reviewed_at(result: SheetResult) -> datetime:
    """Midday (UTC) of the sheet's date, never later than now; the file's time without one."""
    now = datetime.now(timezone.utc)
    try:
        day = date.fromisoformat(result.date)
    except ValueError:
        return min(result.modified, now)
    return min(datetime.combine(day, RECORDED_HOUR), now)
