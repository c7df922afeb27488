"""The class key: what a teacher marks a class's sheets with, the same in the HTML and PDF keys.

One table (a row per student, a column per numeric item: the student's own expected value), the
concept items' reference answers once (every student has the same concept questions, so
repeating them per student only multiplies pages), then each student's numeric worked solutions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quiz.sheets.model import CONCEPT, NUMERIC, Sheet, SheetItem
from quiz.sheets.text import one_line

CLASS_KEY_HEADING = "班级答案"
CONCEPT_HEADING = "概念题参考答案"
WORKED_HEADING = "数值题解答"


@dataclass(frozen=True)
class KeyColumn:
    """One numeric item of the class's sheets (the same question for every student)."""

    number: int
    question_id: str
    topic: str
    unit: str  # shared by every student's answer: shown once in the legend, not in each cell


@dataclass(frozen=True)
class KeyRow:
    student: str
    cells: tuple[str, ...]  # per column; "" where the student's sheet has no such item


@dataclass(frozen=True)
class ClassKey:
    columns: tuple[KeyColumn, ...]
    rows: tuple[KeyRow, ...]
    concepts: tuple[SheetItem, ...]  # each concept item once, in sheet order


def _unit(item: SheetItem) -> str:
    """The unit part of a numeric answer (`answer` is the plain value followed by its unit)."""
    if item.answer_plain and item.answer.startswith(item.answer_plain):
        return item.answer[len(item.answer_plain):].strip()
    return ""


def _numeric_columns(sheets: Sequence[Sheet]) -> list[tuple[int, str]]:
    """(number, question id) of every numeric item, in sheet order; a sheet of the same class
    has the same ones, but a sheet with others still gets its columns."""
    seen: dict[tuple[int, str], None] = {}
    for sheet in sheets:
        for item in sheet.items:
            if item.kind == NUMERIC:
                seen.setdefault((item.number, item.question_id), None)
    return sorted(seen)


def _column(sheets: Sequence[Sheet], number: int, question_id: str) -> KeyColumn:
    items = [item for sheet in sheets for item in sheet.items
             if (item.number, item.question_id) == (number, question_id)]
    units = {_unit(item) for item in items}
    return KeyColumn(number=number, question_id=question_id, topic=one_line(items[0].topic),
                     unit=one_line(units.pop()) if len(units) == 1 else "")


def _cell(sheet: Sheet, column: KeyColumn) -> str:
    for item in sheet.items:
        if (item.number, item.question_id) == (column.number, column.question_id):
            return one_line(item.answer_plain if column.unit else item.answer)
    return ""


def _concepts(sheets: Sequence[Sheet]) -> tuple[SheetItem, ...]:
    seen: dict[str, SheetItem] = {}
    for sheet in sheets:
        for item in sheet.items:
            if item.kind == CONCEPT:
                seen.setdefault(item.question_id, item)
    return tuple(sorted(seen.values(), key=lambda item: item.number))


def class_key(sheets: Sequence[Sheet]) -> ClassKey:
    columns = tuple(_column(sheets, number, qid) for number, qid in _numeric_columns(sheets))
    rows = tuple(KeyRow(student=one_line(sheet.student_label),
                        cells=tuple(_cell(sheet, column) for column in columns))
                 for sheet in sheets)
    return ClassKey(columns=columns, rows=rows, concepts=_concepts(sheets))


def column_legend(column: KeyColumn) -> str:
    """`3 · num-ws-conv（卷积输出）· 单位：个元素` — what a column's number stands for."""
    topic = f"（{column.topic}）" if column.topic else ""
    unit = f" · 单位：{column.unit}" if column.unit else ""
    return f"{column.number} · {column.question_id}{topic}{unit}"


def numeric_items(sheet: Sheet) -> tuple[SheetItem, ...]:
    return tuple(item for item in sheet.items if item.kind == NUMERIC)


def class_line(sheets: Sequence[Sheet]) -> str:
    """`日期：… · seed：… · 30 名学生` under the class key's heading."""
    if not sheets:
        return ""
    return f"日期：{sheets[0].date} · seed：{sheets[0].seed} · {len(sheets)} 名学生"
