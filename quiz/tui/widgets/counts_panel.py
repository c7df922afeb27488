"""Due / new / total at a glance."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from quiz.store.service import Counts


class CountsPanel(Static):
    def show_counts(self, counts: Counts) -> None:
        table = Table.grid(padding=(0, 3))
        for _ in range(3):
            table.add_column(justify="center")
        table.add_row(
            Text(str(counts.due), style="bold red"),
            Text(str(counts.new), style="bold blue"),
            Text(str(counts.total), style="bold"),
        )
        table.add_row("到期 due", "新卡 new", "总数 total")
        self.update(table)
