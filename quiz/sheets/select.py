"""Which questions a sheet asks and which numbers each student gets: all from the seed.

Every student of a class gets the same questions (chosen by the class seed) with numbers of their
own: a numeric item's seed is a hash of (class seed, student number, question id), so removing or
reordering items on paper does not change the others, and any sheet can be made again.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from quiz.sheets.model import CONCEPT, NUMERIC, SEED_LIMIT, Sheet, SheetItem
from quiz.sheets.text import without_machine_blocks

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.numeric import Instance, Solution, Template


class SelectionError(ValueError):
    """Options that select nothing, or name questions that do not exist."""


@dataclass(frozen=True)
class Selection:
    topics: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    kind: str | None = None            # CONCEPT, NUMERIC or None for both
    difficulty: int | None = None
    count: int = 10


def item_seed(seed: int, student_number: int, question_id: str) -> int:
    """The numeric instance's seed for one student (stable across Python versions and runs)."""
    digest = hashlib.sha256(f"{seed}:{student_number}:{question_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEED_LIMIT


def select_questions(questions: Sequence[Question], selection: Selection,
                     seed: int) -> list[Question]:
    """The sheet's questions, in bank order (or in the order of `ids` when given)."""
    by_id = {q.id: q for q in questions}
    if selection.ids:
        unknown = [i for i in selection.ids if i not in by_id]
        if unknown:
            raise SelectionError(f"no question with id {', '.join(unknown)}")
        return [by_id[i] for i in dict.fromkeys(selection.ids)]
    pool = [q for q in questions if _wanted(q, selection)]
    if not pool:
        raise SelectionError("no question matches the chosen topic / kind / difficulty")
    chosen = random.Random(f"sheet-selection:{seed}").sample(pool, min(selection.count, len(pool)))
    position = {q.id: n for n, q in enumerate(questions)}
    return sorted(chosen, key=lambda q: position[q.id])


def _wanted(question: Question, selection: Selection) -> bool:
    kind = question.kind.value
    if selection.kind is not None and kind != selection.kind:
        return False
    if selection.difficulty is not None and question.difficulty != selection.difficulty:
        return False
    if selection.topics:
        names = {question.topic, *question.tags}
        return any(topic in names for topic in selection.topics)
    return True


def build_sheet(questions: Sequence[Question], templates: dict[str, Template], *, seed: int,
                student_number: int, class_size: int, student_name: str, title: str,
                date: str, command: str, student_key: str = "", class_id: str = "") -> Sheet:
    items = tuple(
        _item(number, question, templates, item_seed(seed, student_number, question.id))
        for number, question in enumerate(questions, start=1)
    )
    return Sheet(title=title, date=date, seed=seed, student_number=student_number,
                 class_size=class_size, student_name=student_name, command=command, items=items,
                 student_key=student_key, class_id=class_id)


def _item(number: int, question: Question, templates: dict[str, Template], seed: int) -> SheetItem:
    if question.kind.value == NUMERIC and question.id in templates:
        return numeric_item(number, question, templates[question.id], seed)
    return SheetItem(number=number, question_id=question.id, kind=CONCEPT, prompt=question.title,
                     answer=without_machine_blocks(question.answer),
                     sources=tuple(question.sources), topic=question.tags[0] if question.tags
                     else question.topic)


def numeric_item(number: int, question: Question, template: Template, seed: int) -> SheetItem:
    from quiz.numeric import Status, grade, instantiate, solve

    instance = instantiate(template, seed)
    solution = solve(instance, eager=False)
    plain, shown = expected_answer(instance, solution)
    # grading the key's own answer gives the worked solution and proves the key is gradeable
    verdict = grade(instance, plain, solution)
    if verdict.status is not Status.RIGHT:
        raise SelectionError(f"{question.id} seed {seed}: the key's answer {plain!r} does not "
                             f"grade as right ({verdict.message})")
    worked = _without_answer_line(verdict.worked)
    return SheetItem(number=number, question_id=question.id, kind=NUMERIC, prompt=instance.prompt,
                     answer=shown, sources=tuple(question.sources),
                     topic=question.tags[0] if question.tags else question.topic, seed=seed,
                     answer_plain=plain, worked=worked, params=tuple(instance.params.items()),
                     nets=instance.nets, family=instance.family)


def expected_answer(instance: Instance, solution: Solution) -> tuple[str, str]:
    """The expected value as written (`56x56`, `73,728`) and as shown, with its unit."""
    plain = answer_text(solution.expected)
    unit = f" {instance.unit}" if instance.unit and not isinstance(solution.expected, tuple) \
        else ""
    return plain, plain + unit


def _without_answer_line(worked: str) -> str:
    """The worked solution opens with the answer, which the key already states."""
    first, _, rest = worked.partition("\n\n")
    return rest if first.startswith("**答案**") and rest else worked


def answer_text(value: Any) -> str:
    """The expected value as a learner would write it: 56x56, 73,728, 265/2304."""
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value) if len(value) <= 3 else \
            "(" + ", ".join(str(v) for v in value) + ")"
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return f"{int(fraction):,}"
    return f"{fraction.numerator}/{fraction.denominator}"
