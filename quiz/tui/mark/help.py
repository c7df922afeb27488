"""The mark screen's keys (`?`), built from the bindings themselves so the list cannot drift:
each binding's tooltip is its description."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from quiz.tui.keys import display_keys
from quiz.tui.screens.base import QuizModalScreen

SCROLLING = [("↑ ↓ pgup pgdn", "滚动参考答案 scroll the reference answer"),
             ("tab", "到学生答案 / 参考答案框 to the other answer box")]


def key_table(bindings: list[BindingType]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold cyan")
    table.add_column(ratio=1)
    for binding in bindings:
        if isinstance(binding, Binding):
            table.add_row(Text(display_keys(binding.key)),
                          Text(binding.tooltip or binding.description))
    for keys, action in SCROLLING:
        table.add_row(Text(keys), Text(action))
    return table


class MarkHelpScreen(QuizModalScreen[None]):
    DEFAULT_CSS = """
    MarkHelpScreen {
        align: center middle;
    }
    MarkHelpScreen > VerticalScroll {
        width: 76;
        height: auto;
        max-height: 90%;
        padding: 0 1;
        border: round $accent;
        background: $panel;
    }
    """
    BINDINGS = [Binding("escape,question_mark", "dismiss", "关闭")]

    def __init__(self, bindings: list[BindingType]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "评阅按键 keys · esc 关闭"
            yield Static(key_table(self.bindings))
