"""A one-line input over the bottom of the mark screen, for a typed score or a note.

Enter returns the text (after `check`, which may name what is wrong and keep the prompt open),
Escape returns None. The answer above stays readable behind it.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from quiz.render.safe import safe_text
from quiz.tui.screens.base import QuizModalScreen

Check = Callable[[str], str | None]  # the problem with the text, or None when it will do


class PromptScreen(QuizModalScreen[str | None]):
    DEFAULT_CSS = """
    PromptScreen {
        align: center bottom;
        background: $background 20%;
    }
    PromptScreen > Vertical {
        width: 100%;
        height: auto;
        margin-bottom: 1;
        padding: 0 1;
        border: round $accent;
        background: $panel;
    }
    PromptScreen #prompt-input {
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    PromptScreen #prompt-hint {
        color: $text-muted;
        height: auto;
    }
    PromptScreen #prompt-error {
        color: $error;
        height: auto;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, title: str, hint: str, value: str = "",
                 check: Check | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.value = value
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = safe_text(self.title_text)
            yield Input(value=self.value, id="prompt-input")
            yield Static(Text(self.hint), id="prompt-hint")
            error = Static(id="prompt-error")
            error.display = False  # until a text is refused
            yield error

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submit_text(self, event: Input.Submitted) -> None:
        problem = self.check(event.value) if self.check is not None else None
        if problem:
            error = self.query_one("#prompt-error", Static)
            error.update(Text(problem))
            error.display = True
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
