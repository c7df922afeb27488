"""Results as text, JSON and CSV: one sheet in detail, or a class (a folder of sheets): per
student (score over every printed item, missing items, refused and duplicate sheets, roster
students without a sheet), per item (right / wrong / blank / unreadable / unmarked / missing, each
named mistake, the wrong answers given) and per misconception across the class.

Every text that came from the bank or a student goes through `safe_text` before it reaches a
terminal. CSV stays data in any spreadsheet: a cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is prefixed with `'` (as OWASP recommends against formula injection) — also a
negative answer such as `-3`, which a spreadsheet then shows as the text the student wrote; the
numbers quiz computes (scores, item numbers, seeds) are never negative and stay bare.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from quiz.sheets.grading import (
    BLANK,
    MISSING,
    PARTIAL,
    RIGHT,
    UNMARKED,
    UNPARSEABLE,
    WRONG,
    ItemResult,
    SheetResult,
)
from quiz.sheets.model import NUMERIC
from quiz.sheets.text import one_line, safe_text

STATUS_LABEL = {RIGHT: "对", WRONG: "错", PARTIAL: "部分对", BLANK: "空", UNPARSEABLE: "无法识别",
                UNMARKED: "未评", MISSING: "缺题"}
STATUSES = (RIGHT, WRONG, PARTIAL, BLANK, UNPARSEABLE, UNMARKED, MISSING)
REFUSED, ABSENT = "refused", "absent"       # CSV rows of a refused sheet, a student without one
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WRONG_ANSWERS_SHOWN = 5


@dataclass(frozen=True)
class Refused:
    """A sheet `quiz check` would not grade, and why (file:line …); whose it is when its
    metadata still says so (it was handed in, even if it cannot be graded)."""

    file: str
    reason: str
    student_number: int | None = None
    student_key: str = ""
    student: str = ""


@dataclass(frozen=True)
class RosterStudent:
    number: int
    key: str
    name: str


@dataclass(frozen=True)
class ClassResults:
    """Everything the class view shows: the graded sheets, the refused ones, and the roster
    (from the manifest) to find students without a sheet."""

    results: tuple[SheetResult, ...]
    refused: tuple[Refused, ...] = ()
    roster: tuple[RosterStudent, ...] = ()


def _percent(points: float, total: int) -> str:
    return f"{points / total:.0%}" if total else "—"


def _points(points: float) -> str:
    return f"{points:g}" if points != int(points) else str(int(points))


def _pad(text: str, width: int) -> str:
    cells = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - cells, 0)


def _name(result: SheetResult) -> str:
    return one_line(result.student) or f"#{result.student_number}"


def _score_line(result: SheetResult) -> str:
    extra = []
    if result.unmarked:
        extra.append(f"{result.unmarked} 题未评")
    if result.missing:
        extra.append(f"{len(result.missing)} 题缺失")
    note = f"；{'，'.join(extra)}" if extra else ""
    return (f"得分 {_points(result.points)}/{result.total}"
            f"（{_percent(result.points, result.total)}{note}）")


def sheet_text(result: SheetResult) -> str:
    """One graded sheet: the score over every printed item, then per item the verdict, the named
    mistake and the worked solution; concept items with their mark and reference answer."""
    lines = [f"{one_line(result.path)}: {_name(result)} · seed {result.seed} / "
             f"{result.student_number}", _score_line(result)]
    lines += [f"注意：{safe_text(warning)}" for warning in result.warnings]
    for item in result.items:
        lines.append("")
        lines += _item_lines(item)
    return "\n".join(lines)


def _item_lines(item: ItemResult) -> list[str]:
    answer_lines = safe_text(item.answer).splitlines() or ["（空）"]
    lines = [f"{item.number}. {item.question_id} — {STATUS_LABEL[item.status]} · "
             f"答：{answer_lines[0]}"]
    lines += [f"   {line}" for line in answer_lines[1:]]  # a concept answer, whole
    lines += [f"注意：{safe_text(note)}" for note in item.notes]
    if item.kind != NUMERIC:
        if item.message:
            lines.append(safe_text(item.message) + (f"（{safe_text(item.mark_note)}）"
                                                    if item.mark_note else ""))
        if item.expected and item.status != RIGHT:
            lines += ["参考答案：", safe_text(item.expected)]
        return lines
    lines.append(safe_text(item.message))
    if item.mistake:
        lines.append(f"错因：{safe_text(item.mistake)}")
    if item.status != RIGHT and item.worked:
        lines += ["", safe_text(item.worked)]  # opens with the right answer
    return lines


# --- the class -----------------------------------------------------------------------------------

def _identity(result: SheetResult) -> tuple[str, str | int]:
    """One student: the roster key; a sheet without one is known by its class and number."""
    return ("key", result.student_key) if result.student_key else \
        (result.class_id, result.student_number)


def class_summary(report: ClassResults | Sequence[SheetResult]) -> dict[str, Any]:
    """The class tables as data (what --json prints and the text and CSV show)."""
    report = _as_report(report)
    results = report.results
    groups: dict[tuple[str, str | int], list[SheetResult]] = {}
    for result in results:
        groups.setdefault(_identity(result), []).append(result)
    duplicated = {identity for identity, sheets in groups.items() if len(sheets) > 1}
    students = [_student_row(result, _identity(result) in duplicated) for result in results]
    duplicates = [{"student": sheets[0].student, "student_key": sheets[0].student_key,
                   "student_number": sheets[0].student_number,
                   "files": [sheet.path for sheet in sheets]}
                  for identity, sheets in groups.items() if identity in duplicated]
    handed_in = {result.student_key for result in results} | {
        refused.student_key for refused in report.refused}
    absent = [{"student_number": s.number, "student_key": s.key, "student": s.name}
              for s in report.roster if s.key not in handed_in]
    return {
        "sheets": len(results),
        "classes": sorted({result.class_id for result in results}),
        "students": students,
        "refused": [{"file": r.file, "reason": r.reason, "student_number": r.student_number,
                     "student_key": r.student_key, "student": r.student}
                    for r in report.refused],
        "duplicates": duplicates,
        "absent": absent,
        # A student who handed in two sheets counts once in the item and misconception
        # tables (their first sheet); the duplicates are listed above for the teacher.
        "items": _item_rows([sheets[0] for sheets in groups.values()]),
        "misconceptions": _misconceptions([sheets[0] for sheets in groups.values()]),
    }


def _as_report(report: ClassResults | Sequence[SheetResult]) -> ClassResults:
    return report if isinstance(report, ClassResults) else ClassResults(tuple(report))


def _student_row(result: SheetResult, duplicate: bool) -> dict[str, Any]:
    return {
        "student": result.student, "student_key": result.student_key,
        "student_number": result.student_number, "file": result.path,
        "class": result.class_id, "seed": result.seed, "date": result.date,
        "modified": result.modified.isoformat(timespec="seconds"),
        "points": round(result.points, 4), "total": result.total,
        "score": None if result.score is None else round(result.score, 4),
        "right": result.right, "unmarked": result.unmarked,
        "missing": [item.number for item in result.missing], "duplicate": duplicate,
        "warnings": list(result.warnings),
    }


def _item_rows(results: Sequence[SheetResult]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    mistakes: dict[str, Counter[tuple[str, str]]] = {}
    wrong_answers: dict[str, Counter[str]] = {}
    notes: dict[str, Counter[str]] = {}
    for result in results:
        for item in result.items:
            for note in item.notes:
                notes.setdefault(item.question_id, Counter())[note] += 1
            row = rows.setdefault(item.question_id, {
                "id": item.question_id, "number": item.number, "kind": item.kind,
                "sheets": 0, **{status: 0 for status in STATUSES}})
            row["sheets"] += 1
            row[item.status] += 1
            if item.mistake_id:
                mistakes.setdefault(item.question_id, Counter())[
                    (item.mistake_id, item.mistake or "")] += 1
            if item.status in (WRONG, UNPARSEABLE, PARTIAL) and item.answer.strip():
                wrong_answers.setdefault(item.question_id, Counter())[item.answer.strip()] += 1
    ordered = sorted(rows.values(), key=lambda row: (row["number"], row["id"]))
    for row in ordered:
        row["mistakes"] = [{"mistake_id": key, "mistake": name, "count": count}
                           for (key, name), count in _by_count(mistakes.get(row["id"]))]
        row["wrong_answers"] = [{"answer": answer, "count": count}
                                for answer, count in _by_count(wrong_answers.get(row["id"]))]
        # what grading noticed: the bank changed since printing, a mark it could not read
        row["notes"] = [{"note": note, "count": count}
                        for note, count in _by_count(notes.get(row["id"]))]
    return ordered


def _by_count(counter: Counter[Any] | None) -> list[tuple[Any, int]]:
    """Most frequent first; ties in a stable order (the same class gives the same report)."""
    return sorted((counter or Counter()).items(), key=lambda pair: (-pair[1], str(pair[0])))


def _misconceptions(results: Sequence[SheetResult]) -> list[dict[str, Any]]:
    """Each named mistake across the class: who makes it, on which items."""
    found: dict[str, dict[str, Any]] = {}
    for result in results:
        for item in result.items:
            if not item.mistake_id:
                continue
            entry = found.setdefault(item.mistake_id, {
                "mistake_id": item.mistake_id, "mistake": item.mistake or "", "count": 0,
                "students": {}, "items": Counter()})
            entry["count"] += 1
            entry["items"][item.question_id] += 1
            student = entry["students"].setdefault(_identity(result), {
                "student": result.student, "student_key": result.student_key,
                "student_number": result.student_number, "items": []})
            student["items"].append(item.question_id)
    ordered = sorted(found.values(), key=lambda e: (-e["count"], e["mistake_id"]))
    return [{**entry, "students": list(entry["students"].values()),
             "items": [{"id": qid, "count": count} for qid, count in _by_count(entry["items"])]}
            for entry in ordered]


def class_text(report: ClassResults | Sequence[SheetResult]) -> str:
    report = _as_report(report)
    summary = class_summary(report)
    head = f"{summary['sheets']} 份答卷"
    if summary["refused"]:
        head += f"，{len(summary['refused'])} 份被拒"
    if summary["absent"]:
        head += f"，{len(summary['absent'])} 名学生没有答卷"
    lines = [head, ""]
    lines += _students_text(summary)
    lines += _problems_text(summary)
    lines += _items_text(summary)
    lines += _misconceptions_text(summary)
    return "\n".join(lines).rstrip()


def _students_text(summary: dict[str, Any]) -> list[str]:
    # `得分` and `未评` are two cells wide each: padded by hand to the columns below them
    lines = [f"{'No':>3} {_pad('学生', 20)} {'':>7}得分  {_pad('缺题', 10)} 未评  文件"]
    for row in summary["students"]:
        name = one_line(row["student"]) or f"#{row['student_number']}"
        score = f"{_points(row['points'])}/{row['total']}"
        missing = ",".join(str(n) for n in row["missing"]) or "—"
        mark = "  （重复）" if row["duplicate"] else ""
        lines.append(f"{row['student_number']:>3} {_pad(name[:18], 20)} {score:>6} "
                     f"{_percent(row['points'], row['total']):>4}  {_pad(missing[:10], 10)} "
                     f"{row['unmarked']:>4}  {one_line(row['file'])}{mark}")
    return [*lines, ""]


def _problems_text(summary: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if summary["refused"]:
        lines.append("被拒的答卷（未判分）：")
        for row in summary["refused"]:
            reason = safe_text(row["reason"]).splitlines()
            who = f"（{one_line(row['student'] or row['student_key'])}）" \
                if row["student_key"] else ""
            lines += [f"  {one_line(row['file'])}{who}", *(f"    {line}" for line in reason)]
        lines.append("")
    if summary["duplicates"]:
        lines.append("同一学生的多份答卷：")
        for row in summary["duplicates"]:
            name = one_line(row["student"]) or f"#{row['student_number']}"
            lines.append(f"  {name}（{one_line(row['student_key'])}）："
                         + "，".join(one_line(f) for f in row["files"]))
        lines.append("")
    if summary["absent"]:
        lines.append("名单上没有答卷的学生：")
        lines += [f"  {row['student_number']:>3} {one_line(row['student']) or '—'}"
                  f"（{one_line(row['student_key'])}）" for row in summary["absent"]]
        lines.append("")
    return lines


def _items_text(summary: dict[str, Any]) -> list[str]:
    labels = "  ".join(STATUS_LABEL[status] for status in STATUSES)
    lines = [f"{_pad('题目', 34)} {labels}  常见错因"]
    for row in summary["items"]:
        counts = "  ".join(f"{row[status]:>{_width(STATUS_LABEL[status])}}"
                           for status in STATUSES)
        common = "；".join(f"{safe_text(m['mistake'])} ×{m['count']}" for m in row["mistakes"])
        lines.append(f"{row['number']:>2}. {row['id']:<30} {counts}  {common or '—'}")
        if row["wrong_answers"] and row["kind"] == NUMERIC:
            shown = row["wrong_answers"][:WRONG_ANSWERS_SHOWN]
            lines.append("    错答：" + "；".join(f"{one_line(a['answer'])[:30]} ×{a['count']}"
                                             for a in shown))
        lines += [f"    注意（{note['count']} 份）：{one_line(note['note'])}"
                  for note in row["notes"]]
    return [*lines, ""]


def _width(label: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)


def _misconceptions_text(summary: dict[str, Any]) -> list[str]:
    if not summary["misconceptions"]:
        return []
    lines = ["全班的错因："]
    for entry in summary["misconceptions"]:
        who = "，".join(one_line(s["student"]) or f"#{s['student_number']}"
                       for s in entry["students"])
        where = "，".join(f"{item['id']} ×{item['count']}" for item in entry["items"])
        lines += [f"  {safe_text(entry['mistake'])} ×{entry['count']}",
                  f"    学生：{who}", f"    题目：{where}"]
    return lines


# --- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS = ("file", "class", "seed", "student_number", "student", "student_key", "item", "id",
               "kind", "item_seed", "answer", "status", "score", "mistake_id", "mistake",
               "mark_source", "expected", "notes")


def csv_cell(value: object) -> str:
    """A cell that a spreadsheet shows as text: terminal controls dropped, and a leading `=`,
    `+`, `-`, `@`, tab or carriage return neutralised with `'` (OWASP)."""
    text = "" if value is None else safe_text(str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def class_csv(report: ClassResults | Sequence[SheetResult]) -> str:
    """One row per student and item (every table follows from it by grouping), then a row per
    refused sheet and per roster student without a sheet."""
    report = _as_report(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(report):
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


def _csv_rows(report: ClassResults) -> Iterable[list[object]]:
    for result in report.results:
        for item in result.items:
            yield [result.path, result.class_id, result.seed, result.student_number,
                   result.student, result.student_key, item.number, item.question_id, item.kind,
                   item.seed, item.answer, item.status,
                   "" if item.score is None else round(item.score, 4), item.mistake_id,
                   item.mistake, item.mark_source,
                   item.expected if item.kind == NUMERIC else "", "\n".join(item.notes)]
    for refused in report.refused:
        yield [refused.file, "", "", refused.student_number, refused.student,
               refused.student_key, "", "", "", "", "", REFUSED, "", "", "", "", "",
               refused.reason]
    handed_in = class_summary(report)["absent"]
    for student in handed_in:
        yield ["", "", "", student["student_number"], student["student"],
               student["student_key"], "", "", "", "", "", ABSENT, "", "", "", "", "", ""]
