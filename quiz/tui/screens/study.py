"""Studying: show a question, reveal with space, rate 1–4; each review is committed at once."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from quiz.store.scheduling import Grade, preview_intervals
from quiz.store.service import StudyItem, next_item, record_review
from quiz.tui.context import StudyContext
from quiz.tui.messages import ItemLoaded, ReviewRecorded
from quiz.tui.widgets.card_view import CardView
from quiz.tui.widgets.rating_bar import RatingBar


class StudyScreen(Screen[None]):
    BINDINGS = [
        Binding("space", "reveal", "显示答案 Reveal"),
        Binding("1", "rate(1)", "Again", show=False),
        Binding("2", "rate(2)", "Hard", show=False),
        Binding("3", "rate(3)", "Good", show=False),
        Binding("4", "rate(4)", "Easy", show=False),
        Binding("escape", "app.pop_screen", "返回 Back"),
    ]

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context
        self.item: StudyItem | None = None
        self.revealed = False
        self.busy = True
        self.shown_at = 0.0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="card-meta")
        yield CardView(id="card")
        yield Static(id="study-hint")
        yield RatingBar(id="rating")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(RatingBar).display = False
        self.load_next()

    @work(thread=True, exclusive=True, group="study")
    def load_next(self) -> None:
        now = self.context.clock()
        item = next_item(self.context.db, now, self.context.new_per_day)
        intervals = preview_intervals(self.context.scheduler, item.card, now) if item else {}
        self.post_message(ItemLoaded(item, intervals))

    @on(ItemLoaded)
    def show_item(self, message: ItemLoaded) -> None:
        self.item, self.revealed, self.busy = message.item, False, False
        rating = self.query_one(RatingBar)
        rating.display = False
        if message.item is None:
            self._show_done()
            return
        item = message.item
        self.query_one("#card-meta", Static).update(self._meta(item))
        self.query_one(CardView).show_question(item)
        self.query_one("#study-hint", Static).update(
            Text("按 空格 显示答案 · space to reveal", style="dim italic")
        )
        rating.show_intervals(message.intervals)
        self.shown_at = time.monotonic()

    @staticmethod
    def _meta(item: StudyItem) -> Text:
        text = Text()
        text.append(f" {item.topic} ", style="bold reverse")
        text.append("  新卡 new" if item.card.is_new else "  复习 review", style="bold blue")
        text.append(f"  · {item.id} · 来源 {', '.join(item.sources)}", style="dim")
        return text

    def _show_done(self) -> None:
        self.query_one("#card-meta", Static).update("")
        self.query_one(CardView).display = False
        self.query_one("#study-hint", Static).update(
            Text("今天的卡片都学完了 🎉  No more cards for now. Esc 返回", style="bold green")
        )

    def action_reveal(self) -> None:
        if self.item is None or self.revealed or self.busy:
            return
        self.revealed = True
        self.query_one(CardView).show_answer(self.item)
        self.query_one("#study-hint", Static).update(
            Text("回忆得怎样？按 1–4 评分 · rate your recall", style="dim italic")
        )
        self.query_one(RatingBar).display = True

    def action_rate(self, value: int) -> None:
        if self.item is None or not self.revealed or self.busy:
            return
        self.busy = True
        duration_ms = int((time.monotonic() - self.shown_at) * 1000)
        self.save_review(self.item.id, Grade(value), duration_ms)

    @work(thread=True, exclusive=True, group="study")
    def save_review(self, question_id: str, grade: Grade, duration_ms: int) -> None:
        card = record_review(
            self.context.db, self.context.scheduler, question_id, grade, self.context.clock(),
            duration_ms=duration_ms,
        )
        self.post_message(ReviewRecorded(question_id, grade, card))

    @on(ReviewRecorded)
    def advance(self, message: ReviewRecorded) -> None:
        self.notify(f"{message.grade.label} · 下次 {message.card.due.astimezone():%m-%d %H:%M}",
                    timeout=2)
        self.load_next()
