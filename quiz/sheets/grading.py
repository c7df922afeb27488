"""Grade a filled-in sheet as it was printed.

Each numeric instance is rebuilt from the parameters the sheet's metadata recorded (quiz.sheets.
meta) and its hash compared with the printed one, so a bank changed since printing is said per
item: the printed instance is graded when it can still be computed, otherwise the sheet is
refused (file:line). Concept items are scored by the teacher's mark (marks.json beside the sheets,
or a `评：` line in the sheet). The score is over every printed item: a deleted item counts as
missing, a concept item not yet marked counts as unmarked (zero points until it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from quiz.sheets.marks import Mark, Marks, parse_mark
from quiz.sheets.meta import (
    MANIFEST_FILE,
    ItemMeta,
    Manifest,
    MetaError,
    SheetMeta,
    answer_digest,
    item_digest,
    meta_from_text,
)
from quiz.sheets.model import CONCEPT, NUMERIC
from quiz.sheets.reader import FilledItem, FilledSheet, SheetFormatError
from quiz.sheets.select import expected_answer, item_seed
from quiz.sheets.text import without_machine_blocks

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.numeric import Instance, Solution, Template

RIGHT, WRONG, PARTIAL, BLANK, UNPARSEABLE, UNMARKED, MISSING = (
    "right", "wrong", "partial", "blank", "unparseable", "unmarked", "missing")
# where the sheet's metadata came from
FROM_SHEET, FROM_MANIFEST, FROM_SEED = "sheet", "manifest", "seed"
MARKS_FROM_FILE, MARKS_FROM_SHEET = "marks.json", "sheet"
# fsrs ratings of a marked concept item: 对 → Good, 半对 → Hard, 错 → Again
GOOD, HARD, AGAIN = 3, 2, 1


@dataclass(frozen=True)
class ItemResult:
    number: int
    question_id: str
    kind: str
    seed: int | None
    answer: str                     # as written (a concept answer with all its lines)
    status: str                     # RIGHT, WRONG, PARTIAL, BLANK, UNPARSEABLE, UNMARKED, MISSING
    message: str
    mistake: str | None = None      # the named misconception, when the engine recognised one
    mistake_id: str | None = None
    expected: str = ""              # numeric: the right value; concept: the reference answer
    worked: str = ""
    suggested_rating: int = 0       # fsrs rating for --record (0: not recorded)
    sources: tuple[str, ...] = ()
    score: float | None = 0.0       # points in [0, 1]; None: a concept answer not marked yet
    notes: tuple[str, ...] = ()     # a bank changed since printing, a mark that cannot be read
    mark_source: str = ""           # MARKS_FROM_FILE or MARKS_FROM_SHEET for a marked concept
    mark_note: str = ""             # the teacher's note with a marks.json mark
    line: int = 0                   # the item's header line (0: missing from the sheet)

    @property
    def points(self) -> float:
        return self.score or 0.0

    @property
    def graded(self) -> bool:
        return self.score is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number, "id": self.question_id, "kind": self.kind, "seed": self.seed,
            "answer": self.answer, "status": self.status, "score": self.score,
            "message": self.message, "mistake": self.mistake, "mistake_id": self.mistake_id,
            "expected": self.expected, "worked": self.worked, "sources": list(self.sources),
            "notes": list(self.notes), "mark_source": self.mark_source or None,
            "mark_note": self.mark_note, "line": self.line,
        }


@dataclass(frozen=True)
class SheetResult:
    path: str
    student: str                    # the student's name as the roster gives it
    student_number: int
    seed: int
    modified: datetime
    items: tuple[ItemResult, ...]   # every printed item, in the printed order
    student_key: str = ""
    class_id: str = ""
    title: str = ""
    date: str = ""                  # the sheet's date (YYYY-MM-DD)
    metadata: str = FROM_SHEET      # FROM_SHEET, FROM_MANIFEST or FROM_SEED
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def points(self) -> float:
        return sum(item.points for item in self.items)

    @property
    def score(self) -> float | None:
        return self.points / self.total if self.total else None

    @property
    def right(self) -> int:
        return sum(item.status == RIGHT for item in self.items)

    @property
    def graded(self) -> int:
        return sum(item.graded for item in self.items)

    @property
    def unmarked(self) -> int:
        return sum(item.status == UNMARKED for item in self.items)

    @property
    def missing(self) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.items if item.status == MISSING)

    @property
    def all_right(self) -> bool:
        """No item lost a point (concept items still to be marked are not wrong)."""
        return all(item.status in (RIGHT, UNMARKED) for item in self.items)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path, "student": self.student, "student_key": self.student_key,
            "student_number": self.student_number, "class": self.class_id, "seed": self.seed,
            "title": self.title, "date": self.date,
            "modified": self.modified.isoformat(timespec="seconds"),
            "total": self.total, "right": self.right, "graded": self.graded,
            "points": round(self.points, 4),
            "score": None if self.score is None else round(self.score, 4),
            "unmarked": self.unmarked, "missing": [item.number for item in self.missing],
            "metadata": self.metadata, "warnings": list(self.warnings),
            "items": [item.to_json() for item in self.items],
        }


# --- which sheet was printed ---------------------------------------------------------------------

@dataclass(frozen=True)
class Printed:
    """What was printed on a sheet, and where that knowledge came from."""

    meta: SheetMeta | None          # None: neither the sheet's line nor the manifest had it
    source: str
    warnings: tuple[str, ...] = ()


def printed_sheet(sheet: FilledSheet, manifest: Manifest | None,
                  manifest_path: str = MANIFEST_FILE) -> Printed:
    """The sheet's metadata line; failing that the manifest's entry for it; failing that
    nothing (the caller regenerates from the seed, with a warning)."""
    warnings: list[str] = []
    if sheet.meta_text is not None:
        where = f"{sheet.path}:{sheet.meta_line}"
        try:
            meta = meta_from_text(sheet.meta_text, where)
        except MetaError as error:
            warnings.append(f"{error} — the metadata line is damaged")
        else:
            _check_against_manifest(sheet, meta, manifest, manifest_path)
            _check_seed_line(sheet, meta, where)
            return Printed(meta, FROM_SHEET)
    entry = _manifest_entry(sheet, manifest)
    if entry is not None:
        warnings.append(f"{sheet.path}: the sheet's metadata line is missing or damaged: graded "
                        f"by {manifest_path} (student {entry.student_number})")
        _check_seed_line(sheet, entry, manifest_path)
        return Printed(entry, FROM_MANIFEST, tuple(warnings))
    if sheet.seed is None:
        raise SheetFormatError(f"{sheet.path}:1: no seed line (`- seed：S / N`), no metadata "
                               f"line and no entry in a {MANIFEST_FILE} beside it: this is not "
                               "a quiz sheet, or its header was removed")
    warnings.append(
        f"{sheet.path}: no metadata (neither the sheet's line nor {MANIFEST_FILE}): graded "
        "against today's bank regenerated from the seed — items deleted from the sheet are not "
        "counted, and a bank changed since printing goes unseen")
    return Printed(None, FROM_SEED, tuple(warnings))


def _check_against_manifest(sheet: FilledSheet, meta: SheetMeta, manifest: Manifest | None,
                            manifest_path: str) -> None:
    if manifest is None or manifest.class_id != meta.class_id:
        return
    entry = manifest.for_student(meta.student_number)
    if entry is not None and entry.meta != meta:
        raise SheetFormatError(
            f"{sheet.path}:{sheet.meta_line}: the sheet's metadata differs from {manifest_path}'s "
            f"entry for student {meta.student_number}: it was edited, so the sheet is not graded")


def _manifest_entry(sheet: FilledSheet, manifest: Manifest | None) -> SheetMeta | None:
    """The manifest's sheet for this file: by its seed line, else (seed line gone) by name."""
    if manifest is None:
        return None
    if sheet.seed is not None and sheet.student_number is not None:
        entry = manifest.for_student(sheet.student_number)
        return entry.meta if entry is not None and entry.meta.seed == sheet.seed else None
    for entry in manifest.sheets:
        if entry.file == sheet.path.name:
            return entry.meta
    return None


def _check_seed_line(sheet: FilledSheet, meta: SheetMeta, where: str) -> None:
    if sheet.seed is None:
        return  # deleted: the metadata says it
    if (sheet.seed, sheet.student_number) != (meta.seed, meta.student_number):
        raise SheetFormatError(
            f"{sheet.path}:{sheet.seed_line}: the seed line (seed {sheet.seed} / "
            f"{sheet.student_number}) does not match the sheet as printed (seed {meta.seed} / "
            f"{meta.student_number}, {where}); the sheet was changed, so it is not graded — "
            "make it again with the command on the sheet")


# --- grading ------------------------------------------------------------------------------------

def grade_sheet(sheet: FilledSheet, questions: Sequence[Question],
                templates: dict[str, Template], *, manifest: Manifest | None = None,
                manifest_path: str = MANIFEST_FILE, marks: Marks | None = None) -> SheetResult:
    """Grade every printed item; raises SheetFormatError (file:line, one line per problem) when
    the sheet was changed or a printed numeric instance cannot be computed any more."""
    by_id = {q.id: q for q in questions}
    printed = printed_sheet(sheet, manifest, manifest_path)
    meta = printed.meta if printed.meta is not None else _meta_from_seed(sheet, by_id, templates)
    filled = _filled_items(sheet, meta)
    grader = _Grader(sheet, meta, by_id, templates, marks or Marks())
    results = tuple(grader.item(item, filled.get(item.question_id)) for item in meta.items)
    if grader.problems:
        raise SheetFormatError("\n".join(grader.problems))
    return SheetResult(path=str(sheet.path), student=meta.student_name,
                       student_number=meta.student_number, seed=meta.seed,
                       modified=_modified(sheet), items=results, student_key=meta.student_key,
                       class_id=meta.class_id, title=meta.title, date=meta.date,
                       metadata=printed.source, warnings=printed.warnings)


def _modified(sheet: FilledSheet) -> datetime:
    try:
        return datetime.fromtimestamp(sheet.path.stat().st_mtime, timezone.utc)
    except OSError:
        return datetime.now(timezone.utc)


def _meta_from_seed(sheet: FilledSheet, by_id: dict[str, Question],
                    templates: dict[str, Template]) -> SheetMeta:
    """A sheet without metadata: its items as today's bank makes them from the seed line (the
    old way, refused rather than mis-graded when a numeric item's seed does not follow)."""
    assert sheet.seed is not None and sheet.student_number is not None  # printed_sheet
    items = []
    for item in sheet.items:
        where = f"{sheet.path}:{item.line}"
        if item.question_id not in by_id:
            raise SheetFormatError(f"{where}: no question {item.question_id!r} in the bank")
        if item.question_id not in templates:
            items.append(ItemMeta(item.number, item.question_id, CONCEPT, None, (), "", ""))
            continue
        if item.seed is None:
            raise SheetFormatError(f"{where}: numeric item {item.number} has no seed in its "
                                   "header (`## N · id · seed S`)")
        expected = item_seed(sheet.seed, sheet.student_number, item.question_id)
        if item.seed != expected:
            raise SheetFormatError(
                f"{sheet.path}:{sheet.seed_line}: the seed line (seed {sheet.seed} / "
                f"{sheet.student_number}) does not match item {item.number}'s numbers "
                f"(line {item.line}); the sheet was changed, so it is not graded — make it "
                "again with the command on the sheet")
        items.append(ItemMeta(item.number, item.question_id, NUMERIC, item.seed, (), "", ""))
    return SheetMeta(title="", date="", seed=sheet.seed, class_id=f"seed-{sheet.seed}",
                     student_number=sheet.student_number, class_size=0,
                     student_name=sheet.student, student_key="", items=tuple(items))


def _filled_items(sheet: FilledSheet, meta: SheetMeta) -> dict[str, FilledItem]:
    """The written items by question id; an item that was not printed, or whose header names
    another seed than the printed one, means the sheet was changed: refused."""
    printed = {item.question_id: item for item in meta.items}
    filled: dict[str, FilledItem] = {}
    for item in sheet.items:
        where = f"{sheet.path}:{item.line}"
        expected = printed.get(item.question_id)
        if expected is None:
            raise SheetFormatError(f"{where}: item {item.question_id} was not on the printed "
                                   f"sheet ({meta.item_count} items); the sheet was changed, "
                                   "so it is not graded")
        if expected.kind == NUMERIC and item.seed is not None and item.seed != expected.seed:
            raise SheetFormatError(f"{where}: item {item.number}'s seed {item.seed} is not the "
                                   f"printed one ({expected.seed}); the sheet was changed, so "
                                   "it is not graded")
        filled[item.question_id] = item
    return filled


@dataclass
class _Grader:
    sheet: FilledSheet
    meta: SheetMeta
    by_id: dict[str, Question]
    templates: dict[str, Template]
    marks: Marks
    problems: list[str] = field(default_factory=list)

    def where(self, filled: FilledItem | None) -> str:
        line = filled.line if filled is not None else self.sheet.meta_line or 1
        return f"{self.sheet.path}:{line}"

    def item(self, printed: ItemMeta, filled: FilledItem | None) -> ItemResult:
        if printed.kind == NUMERIC:
            return self.numeric(printed, filled)
        return self.concept(printed, filled)

    # concept items: the teacher's mark

    def concept(self, printed: ItemMeta, filled: FilledItem | None) -> ItemResult:
        question = self.by_id.get(printed.question_id)
        notes: list[str] = []
        expected = ""
        sources: tuple[str, ...] = ()
        if question is None:
            notes.append("题库中已没有这道题（印出后删去）：没有参考答案")
        else:
            expected = without_machine_blocks(question.answer)
            sources = tuple(question.sources)
            if printed.digest and printed.digest != item_digest(
                    question.id, CONCEPT, question.title, expected):
                notes.append("题库中这道题的题目或参考答案在印出后改过：参考答案是今天的")
        base = ItemResult(printed.number, printed.question_id, CONCEPT, None,
                          filled.answer if filled is not None else "", UNMARKED, "",
                          expected=expected, sources=sources, score=None,
                          line=filled.line if filled is not None else 0)
        if filled is None:
            return _replace(base, status=MISSING, message="此题已从答卷中删去：按未作答计",
                            score=0.0, notes=tuple(notes))
        mark, source, note = self.mark_of(printed, filled, notes)
        if mark is None:
            if not filled.answer:
                return _replace(base, status=BLANK, message="未作答", score=0.0,
                                notes=tuple(notes))
            return _replace(base, message="待评：对照参考答案评分（评：对 / 错 / 半对 / 8/10）",
                            notes=tuple(notes))
        status = RIGHT if mark >= 1 else WRONG if mark <= 0 else PARTIAL
        rating = GOOD if status == RIGHT else AGAIN if status == WRONG else HARD
        label = {RIGHT: "对", WRONG: "错", PARTIAL: f"{mark:.0%}"}[status]
        return _replace(base, status=status, message=f"老师评：{label}", score=mark,
                        suggested_rating=rating, notes=tuple(notes), mark_source=source,
                        mark_note=note)

    def mark_of(self, printed: ItemMeta, filled: FilledItem,
                notes: list[str]) -> tuple[float | None, str, str]:
        """marks.json wins over the sheet's `评：` line (quiz mark is the later word)."""
        saved: Mark | None = (self.marks.get(self.meta.student_key, printed.question_id)
                              if self.meta.student_key else None)
        if saved is not None:
            return saved.score, MARKS_FROM_FILE, saved.note
        if filled.mark is None:
            return None, "", ""
        score = parse_mark(filled.mark)
        if score is None:
            notes.append(f"{self.sheet.path}:{filled.mark_line}: 评：{filled.mark} 无法识别"
                         "（写 对 / 错 / 半对 / 8/10 / 0.8 / 80%）：按未评计")
            return None, "", ""
        return score, MARKS_FROM_SHEET, ""

    # numeric items: the printed instance, graded by the engine

    def numeric(self, printed: ItemMeta, filled: FilledItem | None) -> ItemResult:
        question = self.by_id.get(printed.question_id)
        built = self.printed_instance(printed, filled)
        if built is None:  # a problem was recorded: the sheet is refused
            return ItemResult(printed.number, printed.question_id, NUMERIC, printed.seed, "",
                              MISSING, "")
        instance, solution, notes = built
        from quiz.numeric import Status, grade

        plain, shown = expected_answer(instance, solution)
        sources = tuple(question.sources) if question is not None else ()
        answer = filled.first_line if filled is not None else ""
        base = ItemResult(printed.number, printed.question_id, NUMERIC, printed.seed, answer,
                          BLANK, "未作答", expected=shown, sources=sources, notes=notes,
                          line=filled.line if filled is not None else 0)
        if filled is None or not answer:
            worked = grade(instance, plain, solution).worked
            if filled is None:
                return _replace(base, status=MISSING, message="此题已从答卷中删去：按未作答计",
                                worked=worked)
            return _replace(base, worked=worked)
        verdict = grade(instance, answer, solution)
        if verdict.status is Status.UNPARSEABLE:
            worked = grade(instance, plain, solution).worked
            return _replace(base, status=UNPARSEABLE, message=verdict.message, worked=worked)
        right = verdict.status is Status.RIGHT
        return _replace(base, status=RIGHT if right else WRONG, message=verdict.message,
                        mistake=verdict.mistake, mistake_id=verdict.mistake_id,
                        worked=verdict.worked, suggested_rating=verdict.suggested_rating,
                        score=1.0 if right else 0.0)

    def printed_instance(self, printed: ItemMeta, filled: FilledItem | None
                         ) -> tuple[Instance, Solution, tuple[str, ...]] | None:
        """The instance as printed, with notes on what changed in the bank; None (and a
        problem recorded) when it cannot be computed any more."""
        from quiz.numeric import TemplateError, instantiate, solve
        from quiz.numeric.core import instance_from_params
        from quiz.numeric.sampler import SamplingError

        where = f"{self.where(filled)}: item {printed.number} ({printed.question_id})"
        template = self.templates.get(printed.question_id)
        if template is None:
            self.problems.append(f"{where}: the bank has no numeric question "
                                 f"{printed.question_id!r} any more, so the printed instance "
                                 "cannot be computed — grade it by hand with the key")
            return None
        assert printed.seed is not None  # meta_from_json: a numeric item has its seed
        try:
            if not printed.params:  # no metadata: today's bank, from the seed
                instance = instantiate(template, printed.seed)
            else:
                instance = instance_from_params(template, printed.seed, printed.params_dict())
            solution = solve(instance, eager=False)
        except (TemplateError, SamplingError) as error:
            self.problems.append(f"{where}: the bank's template changed since printing and "
                                 f"cannot take the printed parameters ({error}) — grade it by "
                                 "hand with the key")
            return None
        if not printed.digest:
            return instance, solution, ()
        return self.compare(printed, where, template, instance, solution)

    def compare(self, printed: ItemMeta, where: str, template: Template, instance: Instance,
                solution: Solution) -> tuple[Instance, Solution, tuple[str, ...]] | None:
        """Notes when the rebuilt instance is the printed one under a changed template; None
        (a problem recorded) when its answer is not the printed one."""
        from quiz.numeric.sampler import params_problems

        _, shown = expected_answer(instance, solution)
        notes: list[str] = []
        if item_digest(printed.question_id, NUMERIC, instance.prompt, shown) != printed.digest:
            if answer_digest(printed.question_id, shown) != printed.answer_digest:
                self.problems.append(
                    f"{where}: the bank's template changed since printing: the printed "
                    f"parameters now give {shown}, not the printed answer, so the printed "
                    "instance cannot be computed — grade it by hand with the key")
                return None
            notes.append("题库中这道题的题面在印出后改过，答案未变：按印出的题判分")
        changed = params_problems(template, instance.params)
        if changed:
            notes.append("印出的参数已不在今天题库的范围内（" + "；".join(changed)
                         + "）：仍按印出的题判分")
        return instance, solution, tuple(notes)


def _replace(result: ItemResult, **changes: Any) -> ItemResult:
    return replace(result, **changes)
