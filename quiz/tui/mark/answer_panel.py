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


def with_line_breaks(answer: str) -> str:
    """A student's answer as Markdown that keeps their line breaks: a line they ended is a
    hard break, not a space or nothing (as a soft break in Markdown would be). Lines of a
    fenced code block are left as they are."""
    lines, fenced = [], False
    for line in answer.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif line.strip() and not fenced:
            line += "  "
        lines.append(line)
    return "\n".join(lines)


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

    def __init__(self, title: str = "", *, errata_expanded: bool = True,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = safe_text(title)
        self.errata_expanded = errata_expanded

    def compose(self) -> ComposeResult:
        yield BankText(errata_expanded=self.errata_expanded)

    def toggle_errata(self) -> None:
        """Show the bank's 勘误 / 口径 notes in full, or folded into one line."""
        text = self.query_one(BankText)
        text.errata_expanded = not text.errata_expanded

    def show(self, markdown: str, title: str | None = None) -> None:
        """Show `markdown` (blank: a dim placeholder) from its top."""
        if title is not None:
            self.border_title = safe_text(title)
        self.query_one(BankText).update(markdown if markdown.strip() else BLANK)
        self.scroll_home(animate=False)

    @property
    def markdown(self) -> str:
        return self.query_one(BankText).markdown
