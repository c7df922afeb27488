"""Statistics: reviews per day, recall rate, progress per topic."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from quiz.store.service import Stats, review_stats
from quiz.tui.context import StudyContext

BAR_WIDTH = 12


def _bar(value: int, largest: int) -> str:
    return "█" * (round(BAR_WIDTH * value / largest) if largest else 0)


class StatsScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "返回 Back")]

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats"):
            yield Static("统计中… loading", id="stats-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load_stats()

    @work(thread=True)
    def load_stats(self) -> None:
        stats = review_stats(self.context.db, self.context.clock())
        self.app.call_from_thread(self.show_stats, stats)

    def show_stats(self, stats: Stats) -> None:
        summary = Text()
        summary.append(f"复习总数 reviews {stats.total_reviews}", style="bold")
        if stats.recall_rate is not None:
            summary.append(f"   记住率 recall {stats.recall_rate:.0%}", style="bold green")
        days = Table(title="每日复习", box=None, show_header=False, min_width=24)
        days.add_column(style="dim")
        days.add_column(justify="right")
        days.add_column(style="cyan")
        largest = max((count for _, count in stats.reviews_per_day), default=0)
        for label, count in stats.reviews_per_day:
            days.add_row(label, str(count), _bar(count, largest))
        topics = Table(title="各主题进度", box=None)
        for column in ("主题", "题数", "已学", "到期"):
            topics.add_column(column, justify="right" if column != "主题" else "left")
        for topic in stats.topics:
            topics.add_row(topic.topic, str(topic.total), str(topic.seen), str(topic.due))
        # Side by side, so both fit on an 80×24 screen.
        tables = Table.grid(padding=(0, 4))
        tables.add_row(days, topics)
        grid = Table.grid(padding=(1, 0))
        grid.add_row(summary)
        grid.add_row(tables)
        self.query_one("#stats-body", Static).update(grid)
