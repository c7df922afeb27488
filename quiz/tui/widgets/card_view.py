"""A question and (once revealed) its answer, laid out by `BankText` (CJK-aware wrapping, math as
Unicode). Numeric questions show their instance prompt and an answer input between the two.

Errata notes (`> 勘误 …`, `> 口径 …`) are folded into one dimmed line by default, so that what the
learner recalls is the answer itself; `set_errata_expanded(True)` / `toggle_errata()` (bound to
`e` by the study screen) shows them in full. The choice holds for the following cards too.
"""

from __future__ import annotations

from typing import Protocol

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Rule

from quiz.tui.widgets.bank_text import BankText
from quiz.tui.widgets.numeric_panel import NumericPanel


class Card(Protocol):
    """What a card view needs of a study item (the store's `StudyItem` has it)."""

    @property
    def title(self) -> str: ...
    @property
    def answer(self) -> str: ...
    @property
    def kind(self) -> str: ...


class CardView(VerticalScroll):
    DEFAULT_CSS = """
    CardView BankText {
        padding: 0 1;
    }
    CardView #question {
        margin: 0 0 1 0;
    }
    """

    errata_expanded: reactive[bool] = reactive(False, init=False)
    _current_answer: str = ""

    def compose(self) -> ComposeResult:
        yield BankText(id="question")
        yield NumericPanel(id="numeric")
        yield Rule(id="divider")
        yield BankText(id="answer", errata_expanded=self.errata_expanded)

    @property
    def errata_count(self) -> int:
        """勘误 / 口径 notes in the answer on screen (0 before it is revealed)."""
        answer = self.query_one("#answer", BankText)
        return answer.errata_count if answer.display else 0

    def show_question(self, item: Card) -> None:
        self.query_one("#question", BankText).update(f"## {item.title}")
        self.query_one(NumericPanel).display = item.kind == "numeric"
        self.set_revealed(False)
        self.scroll_home(animate=False)
        # Lay out the (hidden) answer once the question is painted, so that revealing it is
        # instant: a long answer with many formulas takes tens of milliseconds to parse.
        self._current_answer = item.answer
        self.call_after_refresh(self._prepare_answer, item.answer)

    def _prepare_answer(self, markdown: str) -> None:
        if markdown == self._current_answer:  # not a card that has been replaced meanwhile
            self.query_one("#answer", BankText).update(markdown)

    def show_answer(self, item: Card) -> AwaitComplete:
        """Reveal the answer. Returns an awaitable for callers written against the former
        Markdown widget; the answer is laid out synchronously, so it is already complete."""
        self._current_answer = item.answer
        self.set_revealed(True)
        self.query_one("#answer", BankText).update(item.answer)
        return AwaitComplete.nothing()

    def set_revealed(self, revealed: bool) -> None:
        self.query_one("#divider").display = revealed
        self.query_one("#answer").display = revealed

    def set_errata_expanded(self, expanded: bool) -> None:
        self.errata_expanded = expanded

    def toggle_errata(self) -> bool:
        """Fold or unfold the errata notes; returns the new state (True: shown in full)."""
        self.errata_expanded = not self.errata_expanded
        return self.errata_expanded

    def watch_errata_expanded(self, expanded: bool) -> None:
        self.query_one("#answer", BankText).errata_expanded = expanded
