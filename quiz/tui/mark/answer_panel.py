"""A titled, scrollable box of Markdown: a student's answer or the reference answer.

Math and Chinese text are laid out by `BankText` (`quiz.render.terminal`); what is shown is never
read as markup, so a student's `[b]` or escape sequence is just characters.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from quiz.render.safe import safe_text
from quiz.tui.widgets.bank_text import BankText

BLANK = "*（未作答 · blank）*"


class AnswerPanel(VerticalScroll):
    DEFAULT_CSS = """
    AnswerPanel {
        height: auto;
        padding: 0 1;
        border: round $primary-background;
        border-title-color: $text;
    }
    AnswerPanel:focus {
        border: round $accent;
    }
    """

    def __init__(self, title: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = safe_text(title)

    def compose(self) -> ComposeResult:
        yield BankText()

    def show(self, markdown: str, title: str | None = None) -> None:
        """Show `markdown` (blank: a dim placeholder) from its top."""
        if title is not None:
            self.border_title = safe_text(title)
        self.query_one(BankText).update(markdown if markdown.strip() else BLANK)
        self.scroll_home(animate=False)

    @property
    def markdown(self) -> str:
        return self.query_one(BankText).markdown
