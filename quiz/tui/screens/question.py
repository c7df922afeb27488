"""One question with its answer, sources and review history."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from quiz.render.safe import safe_text
from quiz.store.scheduling import Grade
from quiz.store.service import ReviewEntry, StudyItem, history
from quiz.tui.context import StudyContext
from quiz.tui.widgets.bank_text import BankText


class QuestionScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "返回 Back")]

    def __init__(self, context: StudyContext, item: StudyItem) -> None:
        super().__init__()
        self.context = context
        self.item = item

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            body = f"## {self.item.title}\n\n{self.item.answer}"
            yield BankText(body, id="detail-body")
            yield Static(
                Text(safe_text(f"id {self.item.id} · 来源 {', '.join(self.item.sources)} · "
                               f"标签 {', '.join(self.item.tags)} · {self.item.origin}")),
                id="detail-meta",
            )
            yield Static(id="history")
        yield Footer()

    def on_mount(self) -> None:
        self.load_history()

    @work(thread=True)
    def load_history(self) -> None:
        entries = history(self.context.db, self.item.id)
        self.app.call_from_thread(self.show_history, entries)

    def show_history(self, entries: list[ReviewEntry]) -> None:
        if not entries:
            text = "还没有复习记录 · no reviews yet"
        else:
            lines = [
                f"{e.reviewed_at.astimezone():%Y-%m-%d %H:%M}  {Grade(e.rating).label:<5}"
                f"  → {e.due_after.astimezone():%Y-%m-%d}"
                + (f"  答 {e.answer_text} ({e.verdict})" if e.answer_text else "")
                for e in entries
            ]
            text = "复习记录 history\n" + "\n".join(lines)
        self.query_one("#history", Static).update(text)
