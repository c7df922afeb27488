"""Grade a filled-in sheet: regenerate each numeric instance from the sheet's seed line and let
the engine grade the answer (naming the mistake); concept items are left for self-marking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from quiz.sheets.model import CONCEPT, NUMERIC
from quiz.sheets.reader import FilledItem, FilledSheet, SheetFormatError
from quiz.sheets.select import answer_text, item_seed
from quiz.sheets.text import without_machine_blocks

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.numeric import Template

RIGHT, WRONG, BLANK, UNPARSEABLE, SELF = "right", "wrong", "blank", "unparseable", "self-mark"


@dataclass(frozen=True)
class ItemResult:
    number: int
    question_id: str
    kind: str
    seed: int | None
    answer: str
    status: str                     # RIGHT, WRONG, BLANK, UNPARSEABLE or SELF (concept)
    message: str
    mistake: str | None = None      # the named misconception, when the engine recognised one
    mistake_id: str | None = None
    expected: str = ""              # numeric: the right value; concept: the reference answer
    worked: str = ""
    suggested_rating: int = 0       # fsrs rating for --record (0: not recorded)
    sources: tuple[str, ...] = ()

    @property
    def graded(self) -> bool:
        return self.kind == NUMERIC

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number, "id": self.question_id, "kind": self.kind, "seed": self.seed,
            "answer": self.answer, "status": self.status, "message": self.message,
            "mistake": self.mistake, "mistake_id": self.mistake_id, "expected": self.expected,
            "worked": self.worked, "sources": list(self.sources),
        }


@dataclass(frozen=True)
class SheetResult:
    path: str
    student: str
    student_number: int
    seed: int
    modified: datetime
    items: tuple[ItemResult, ...]

    @property
    def right(self) -> int:
        return sum(item.status == RIGHT for item in self.items)

    @property
    def graded(self) -> int:
        return sum(item.graded for item in self.items)

    @property
    def all_right(self) -> bool:
        return self.right == self.graded

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path, "student": self.student, "student_number": self.student_number,
            "seed": self.seed, "modified": self.modified.isoformat(timespec="seconds"),
            "right": self.right, "graded": self.graded,
            "score": round(self.right / self.graded, 4) if self.graded else None,
            "items": [item.to_json() for item in self.items],
        }


def grade_sheet(sheet: FilledSheet, questions: Sequence[Question],
                templates: dict[str, Template]) -> SheetResult:
    by_id = {q.id: q for q in questions}
    _check_seeds(sheet, by_id, templates)
    results = tuple(_grade_item(item, by_id[item.question_id], templates) for item in sheet.items)
    try:
        modified = datetime.fromtimestamp(sheet.path.stat().st_mtime, timezone.utc)
    except OSError:
        modified = datetime.now(timezone.utc)
    return SheetResult(path=str(sheet.path), student=sheet.student,
                       student_number=sheet.student_number, seed=sheet.seed, modified=modified,
                       items=results)


def _check_seeds(sheet: FilledSheet, by_id: dict[str, Question],
                 templates: dict[str, Template]) -> None:
    """Refuse rather than mis-grade: every numeric item's seed must follow from the seed line."""
    for item in sheet.items:
        where = f"{sheet.path}:{item.line}"
        if item.question_id not in by_id:
            raise SheetFormatError(f"{where}: no question {item.question_id!r} in the bank")
        if item.question_id not in templates:
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


def _grade_item(item: FilledItem, question: Question,
                templates: dict[str, Template]) -> ItemResult:
    if question.id not in templates:
        return ItemResult(item.number, question.id, CONCEPT, None, item.answer, SELF,
                          "请对照参考答案自评", expected=without_machine_blocks(question.answer),
                          sources=tuple(question.sources))
    from quiz.numeric import Status, grade, instantiate, solve

    assert item.seed is not None  # _check_seeds
    instance = instantiate(templates[question.id], item.seed)
    solution = solve(instance, eager=False)
    expected = answer_text(solution.expected)
    unit = "" if isinstance(solution.expected, tuple) or not instance.unit else \
        f" {instance.unit}"
    shown, sources = expected + unit, tuple(question.sources)
    if not item.answer.strip():
        worked = grade(instance, expected, solution).worked
        return ItemResult(item.number, question.id, NUMERIC, item.seed, "", BLANK, "未作答",
                          expected=shown, worked=worked, suggested_rating=0, sources=sources)
    verdict = grade(instance, item.answer, solution)
    if verdict.status is Status.UNPARSEABLE:
        worked = grade(instance, expected, solution).worked
        return ItemResult(item.number, question.id, NUMERIC, item.seed, item.answer,
                          UNPARSEABLE, verdict.message, expected=shown, worked=worked,
                          suggested_rating=0, sources=sources)
    status = RIGHT if verdict.status is Status.RIGHT else WRONG
    return ItemResult(item.number, question.id, NUMERIC, item.seed, item.answer, status,
                      verdict.message, verdict.mistake, verdict.mistake_id, expected=shown,
                      worked=verdict.worked, suggested_rating=verdict.suggested_rating,
                      sources=sources)
