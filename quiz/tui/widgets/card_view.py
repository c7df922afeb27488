"""A question and (once revealed) its answer, with math turned into Unicode. Numeric questions
show their instance prompt and an answer input between the two."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Rule

from quiz.render.math import render_markdown_math
from quiz.store.service import StudyItem
from quiz.tui.widgets.numeric_panel import NumericPanel


class CardView(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Markdown(id="question")
        yield NumericPanel(id="numeric")
        yield Rule(id="divider")
        yield Markdown(id="answer")

    def show_question(self, item: StudyItem) -> None:
        self.query_one("#question", Markdown).update(render_markdown_math(f"## {item.title}"))
        self.query_one("#answer", Markdown).update("")
        self.query_one(NumericPanel).display = item.kind == "numeric"
        self.set_revealed(False)
        self.scroll_home(animate=False)

    def show_answer(self, item: StudyItem) -> AwaitComplete:
        self.set_revealed(True)
        return self.query_one("#answer", Markdown).update(render_markdown_math(item.answer))

    def set_revealed(self, revealed: bool) -> None:
        self.query_one("#divider").display = revealed
        self.query_one("#answer").display = revealed
