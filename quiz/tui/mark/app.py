"""The marking app and its factory, shared by `quiz mark`, the tests and the snapshot test.

`make_mark_app` reads the folder (sheets, bank, marks.json) before the app exists, so a folder
with nothing to mark is reported by the caller (`MarkSetupError`) before the terminal is taken.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from quiz.tui.context import utc_now
from quiz.tui.mark.loading import load_class
from quiz.tui.mark.model import ClassToMark
from quiz.tui.mark.screen import EXIT_SAVED, MarkScreen


class MarkApp(App[int]):
    CSS_PATH = "mark.tcss"
    TITLE = "quiz mark"
    SUB_TITLE = "评阅"
    BINDINGS = [Binding("q", "quit", "退出", tooltip="退出（评分都已保存）quit, marks saved"),
                Binding("question_mark", "help", "按键", tooltip="按键帮助 every key")]

    def __init__(self, marking: ClassToMark, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__()
        self.marking = marking
        self.mark_screen = MarkScreen(marking, clock)

    def on_mount(self) -> None:
        self.push_screen(self.mark_screen)

    async def action_quit(self) -> None:
        """q (and Textual's ctrl+q): leave once the marks are saved."""
        if self.mark_screen.is_attached:
            self.mark_screen.request_quit()
        else:
            self.exit(EXIT_SAVED, return_code=EXIT_SAVED)


    def action_help(self) -> None:
        from quiz.tui.mark.help import MarkHelpScreen

        if not isinstance(self.screen, MarkHelpScreen):
            self.push_screen(MarkHelpScreen([*MarkScreen.BINDINGS, *self.BINDINGS]))


def make_mark_app(*, folder: Path, bank_path: str | None = None,
                  clock: Callable[[], datetime] = utc_now) -> MarkApp:
    """The app for marking the sheets in `folder` against the bank at `bank_path` (default: the
    bundled bank). Raises `MarkSetupError` when there is nothing to mark."""
    return MarkApp(load_class(folder, bank_path), clock=clock)
