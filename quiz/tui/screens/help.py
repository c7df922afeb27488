"""Help: every key of the TUI, grouped by screen (from `quiz.tui.keys`)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from quiz.tui.keys import key_rows
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.quiz_footer import QuizFooter

KEY_WIDTH = 18


def help_table(app_class: type[App[object]]) -> Group:
    """Per screen, a bold heading and a two-column table of its keys."""
    parts: list[RenderableType] = []
    for index, (group, entries) in enumerate(key_rows(app_class)):
        parts.append(Text(("\n" if index else "") + group, style="bold underline"))
        table = Table.grid(padding=(0, 2))
        table.add_column(width=KEY_WIDTH, no_wrap=True)
        table.add_column(ratio=1)
        for keys, action in entries:
            table.add_row(Text(keys, style="bold cyan"), Text(action))
        parts.append(table)
    return Group(*parts)


class HelpScreen(QuizScreen[None]):
    DEFAULT_CSS = """
    HelpScreen #help-scroll {
        padding: 0 1;
    }
    HelpScreen #help-intro {
        color: $text-muted;
        margin-bottom: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "关闭 Close"),
        Binding("question_mark,f1", "app.pop_screen", "关闭 Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help-scroll"):
            yield Static(Text("按键帮助 · keys (↑↓ pgup pgdn home end 滚动, esc 关闭)"),
                         id="help-intro")
            yield Static(help_table(type(self.app)), id="help-keys")
        yield QuizFooter()

    def on_mount(self) -> None:
        self.sub_title = "帮助 Help"
        self.query_one("#help-scroll").focus()
