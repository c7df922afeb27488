"""The mark screen's one-line texts, as Rich `Text` built from plain strings (names and answers
are data: never parsed as markup)."""

from __future__ import annotations

from rich.text import Text

from quiz.render.safe import safe_text
from quiz.sheets.marks import Mark

SAVED, SAVING, FAILED = "saved", "saving", "failed"

_WORDS = {1.0: "对", 0.5: "半对", 0.0: "错"}


def score_label(score: float) -> str:
    """'对' / '半对' / '错' for the three whole marks, else the score (`0.7`)."""
    return _WORDS.get(score, f"{round(score, 3):g}")


def progress_text(*, item: int, items: int, question_id: str, student: int, students: int,
                  name: str, marked: int, total: int) -> Text:
    """`题 1/3 · id   学生 2/30 · 张三   已评 4/90`; positions are 1-based."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"题 {item}/{items}", style="bold")
    text.append(f" · {question_id}   ")
    text.append(f"学生 {student}/{students}", style="bold")
    text.append(" · ")
    text.append(safe_text(name), style="bold cyan")
    text.append(f"   已评 {marked}/{total}", style="green" if marked == total else "")
    return text


def mark_text(mark: Mark | None, *, from_sheet: bool, pending_note: str) -> Text:
    """What the answer on screen is marked, and its note."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if mark is None:
        text.append("未评 not marked", style="dim")
        note = pending_note
        if note:
            text.append(" · 备注（评分后保存）", style="dim")
            text.append(safe_text(" ".join(note.split())))
        return text
    style = {1.0: "bold green", 0.0: "bold red"}.get(mark.score, "bold yellow")
    text.append("评分 ")
    text.append(score_label(mark.score), style=style)
    if mark.score not in _WORDS:
        text.append(f" ({mark.score:.0%})")
    if from_sheet:
        text.append(" · 卷面“评：”", style="dim")
    if mark.note:
        text.append(" · 备注 ")
        text.append(safe_text(" ".join(mark.note.split())), style="italic")
    return text


def save_text(state: str) -> Text:
    if state == FAILED:
        return Text("未保存! r 重试", style="bold red")
    if state == SAVING:
        return Text("保存中…", style="dim")
    return Text("已保存", style="dim green")
