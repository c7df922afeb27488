"""The home view: due / new / total and where to go from here."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from quiz.store.service import counts
from quiz.tui.context import StudyContext
from quiz.tui.messages import CountsLoaded
from quiz.tui.widgets.counts_panel import CountsPanel

MENU = (
    ("s", "学习 Study", "复习到期的卡片，再学新卡"),
    ("b", "浏览 Browse", "按主题浏览全部题目"),
    ("/", "搜索 Search", "按关键词查找题目"),
    ("t", "统计 Stats", "复习记录与掌握情况"),
    ("q", "退出 Quit", ""),
)


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("s,enter", "study", "学习 Study"),
        Binding("b", "browse", "浏览 Browse"),
        Binding("slash", "search", "搜索 Search"),
        Binding("t", "stats", "统计 Stats"),
    ]

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static("CNN 面试题 · 间隔重复", id="home-title")
            with Center():
                yield CountsPanel(id="counts")
            yield Static(self._menu(), id="menu")
        yield Footer()

    @staticmethod
    def _menu() -> Text:
        text = Text()
        for key, label, hint in MENU:
            text.append(f"  {key:>2} ", style="bold reverse")
            text.append(f"  {label:<14}", style="bold")
            text.append(f"{hint}\n", style="dim")
        return text

    def on_screen_resume(self) -> None:
        self.load_counts()

    @work(thread=True, exclusive=True, group="counts")
    def load_counts(self) -> None:
        loaded = counts(self.context.db, self.context.clock(), self.context.new_per_day)
        self.post_message(CountsLoaded(loaded))

    @on(CountsLoaded)
    def show_counts(self, message: CountsLoaded) -> None:
        self.query_one(CountsPanel).show_counts(message.counts)

    def action_study(self) -> None:
        from quiz.tui.screens.study import StudyScreen

        self.app.push_screen(StudyScreen(self.context))

    def action_browse(self) -> None:
        from quiz.tui.screens.browse import BrowseScreen

        self.app.push_screen(BrowseScreen(self.context))

    def action_search(self) -> None:
        from quiz.tui.screens.browse import BrowseScreen

        self.app.push_screen(BrowseScreen(self.context, focus_search=True))

    def action_stats(self) -> None:
        from quiz.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.context))
