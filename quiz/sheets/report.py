"""Results as text, JSON and CSV: one sheet in detail, or a class (a folder of sheets) as a table
per student and a table per item. Every text that came from the bank or a student goes through
`safe_text` before it reaches a terminal."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from quiz.sheets.grading import RIGHT, SELF, SheetResult
from quiz.sheets.text import one_line, safe_text

STATUS_LABEL = {"right": "对", "wrong": "错", "blank": "空", "unparseable": "无法识别",
                "self-mark": "自评"}


def _percent(right: int, graded: int) -> str:
    return f"{right / graded:.0%}" if graded else "—"


def _pad(text: str, width: int) -> str:
    cells = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - cells, 0)


def sheet_text(result: SheetResult) -> str:
    """One graded sheet: the score, then per item the verdict, the named mistake and the worked
    solution; concept items with their reference answer for self-marking."""
    name = one_line(result.student) or str(result.student_number)
    lines = [f"{one_line(result.path)}: {name} · seed {result.seed} / {result.student_number}",
             f"得分 {result.right}/{result.graded}（{_percent(result.right, result.graded)}）"]
    for item in result.items:
        answer = one_line(item.answer) or "（空）"
        lines.append("")
        lines.append(f"{item.number}. {item.question_id} — {STATUS_LABEL[item.status]} · "
                     f"答：{answer}")
        if item.status == SELF:
            lines.append("参考答案：")
            lines.append(safe_text(item.expected))
            continue
        lines.append(safe_text(item.message))
        if item.mistake:
            lines.append(f"错因：{safe_text(item.mistake)}")
        if item.status != RIGHT:
            lines += ["", safe_text(item.worked)]  # opens with the right answer
    return "\n".join(lines)


def class_summary(results: Sequence[SheetResult]) -> dict[str, Any]:
    """The class tables: per student (score, time of the file) and per item (how many got it
    right, the most common named mistakes)."""
    students = [{
        "student": r.student, "student_number": r.student_number, "file": r.path,
        "modified": r.modified.isoformat(timespec="seconds"), "right": r.right,
        "graded": r.graded, "score": round(r.right / r.graded, 4) if r.graded else None,
    } for r in results]
    per_item: dict[str, dict[str, Any]] = {}
    mistakes: dict[str, Counter[str]] = {}
    for result in results:
        for item in result.items:
            row = per_item.setdefault(item.question_id, {
                "id": item.question_id, "number": item.number, "kind": item.kind,
                "answered": 0, "right": 0, "graded": 0})
            row["answered"] += bool(item.answer.strip())
            if item.graded:
                row["graded"] += 1
                row["right"] += item.status == RIGHT
            if item.mistake:
                mistakes.setdefault(item.question_id, Counter())[item.mistake] += 1
    items = sorted(per_item.values(), key=lambda row: (row["number"], row["id"]))
    for row in items:
        row["mistakes"] = [{"mistake": name, "count": count}
                           for name, count in mistakes.get(row["id"], Counter()).most_common(3)]
    return {"students": students, "items": items}


def class_text(results: Sequence[SheetResult]) -> str:
    summary = class_summary(results)
    lines = [f"{len(results)} 份答卷", "",
             f"{_pad('学生', 20)} {'得分':>8}  {_pad('文件时间', 25)}  文件"]
    for row in summary["students"]:
        name = one_line(row["student"]) or str(row["student_number"])
        score = f"{row['right']}/{row['graded']}"
        lines.append(f"{_pad(name[:18], 20)} {score:>5} {_percent(row['right'], row['graded']):>4}"
                     f"  {row['modified']}  {one_line(row['file'])}")
    lines += ["", f"{_pad('题目', 34)} {_pad('答对', 11)}  常见错因"]
    for row in summary["items"]:
        right = f"{row['right']}/{row['graded']}" if row["graded"] else "自评"
        common = "；".join(f"{safe_text(m['mistake'])} ×{m['count']}" for m in row["mistakes"])
        lines.append(f"{row['number']:>2}. {row['id']:<30} {right:>6} "
                     f"{_percent(row['right'], row['graded']):>4}  {common or '—'}")
    return "\n".join(lines)


CSV_COLUMNS = ("file", "student", "student_number", "item", "id", "kind", "seed", "answer",
               "status", "mistake_id", "mistake", "expected")


def class_csv(results: Sequence[SheetResult]) -> str:
    """One row per student and item (both tables follow from it by grouping)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for result in results:
        for item in result.items:
            writer.writerow([result.path, one_line(result.student), result.student_number,
                             item.number, item.question_id, item.kind,
                             "" if item.seed is None else item.seed, one_line(item.answer),
                             item.status, item.mistake_id or "", item.mistake or "",
                             "" if item.status == SELF else one_line(item.expected)])
    return buffer.getvalue()
