"""The four grade choices with the interval each would schedule."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.widgets import Static

from quiz.store.scheduling import Grade, format_interval

GRADE_STYLES = {Grade.AGAIN: "bold red", Grade.HARD: "bold yellow", Grade.GOOD: "bold green",
                Grade.EASY: "bold cyan"}
GRADE_NAMES = {Grade.AGAIN: "忘了 Again", Grade.HARD: "困难 Hard", Grade.GOOD: "记得 Good",
               Grade.EASY: "简单 Easy"}


class RatingBar(Static):
    """`1 忘了 Again 1m │ 2 困难 Hard 6m │ …`; a suggested grade is underlined."""

    def show_intervals(
        self, intervals: dict[Grade, timedelta], suggested: Grade | None = None,
    ) -> None:
        text = Text()
        for index, grade in enumerate(Grade):
            if index:
                text.append(" │ ", style="dim")
            style = GRADE_STYLES[grade] + (" reverse" if grade == suggested else "")
            text.append(f"{grade.value} {GRADE_NAMES[grade]}", style=style)
            text.append(" ")
            if grade in intervals:
                text.append(format_interval(intervals[grade]), style="italic")
        self.update(text)
