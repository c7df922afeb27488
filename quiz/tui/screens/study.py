"""Studying: show a question, reveal with space (or answer a numeric one), rate 1–4; each
review is committed at once."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from quiz.numeric import Instance, Solution, Status, Verdict, grade
from quiz.store.scheduling import Grade, preview_intervals
from quiz.store.service import StudyItem, next_item, record_review
from quiz.tui.context import StudyContext
from quiz.tui.messages import (
    AnswerSubmittedNote,
    InstanceReady,
    ItemLoaded,
    ReviewRecorded,
    SolutionReady,
    VerdictReady,
)
from quiz.tui.widgets.card_view import CardView
from quiz.tui.widgets.numeric_panel import AnswerSubmitted, NumericPanel
from quiz.tui.widgets.rating_bar import RatingBar

HINT_REVEAL = "按 空格 显示答案 · space to reveal"
HINT_RATE = "回忆得怎样？按 1–4 评分 · rate your recall"
HINT_TYPE = "输入答案后回车 · type your answer and press Enter"
HINT_ACCEPT = "回车接受建议评分，或按 1–4 · Enter accepts the suggested grade, 1–4 overrides"


class StudyScreen(Screen[None]):
    BINDINGS = [
        Binding("space", "reveal", "显示答案 Reveal"),
        Binding("1", "rate(1)", "Again", show=False),
        Binding("2", "rate(2)", "Hard", show=False),
        Binding("3", "rate(3)", "Good", show=False),
        Binding("4", "rate(4)", "Easy", show=False),
        Binding("enter", "accept", "接受建议 Accept"),
        Binding("escape", "app.pop_screen", "返回 Back"),
    ]

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context
        self.item: StudyItem | None = None
        self.revealed = False
        self.busy = True
        self.shown_at = 0.0
        self.instance: Instance | None = None
        self.solution: Solution | None = None
        self.verdict: Verdict | None = None
        self.answer_text: str | None = None

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

    def _hint(self, text: str, style: str = "dim italic") -> None:
        self.query_one("#study-hint", Static).update(Text(text, style=style))

    @work(thread=True, exclusive=True, group="study")
    def load_next(self) -> None:
        now = self.context.clock()
        item = next_item(self.context.db, now, self.context.new_per_day)
        intervals = preview_intervals(self.context.scheduler, item.card, now) if item else {}
        self.post_message(ItemLoaded(item, intervals))

    @on(ItemLoaded)
    def show_item(self, message: ItemLoaded) -> None:
        self.item, self.revealed, self.busy = message.item, False, False
        self.refresh_bindings()
        self.instance = self.solution = self.verdict = None
        self.answer_text = None
        rating = self.query_one(RatingBar)
        rating.display = False
        if message.item is None:
            self._show_done()
            return
        item = message.item
        self.query_one("#card-meta", Static).update(self._meta(item))
        self.query_one(CardView).show_question(item)
        rating.show_intervals(message.intervals)
        self.shown_at = time.monotonic()
        if item.kind == "numeric":
            self.busy = True  # until the instance is drawn
            self._hint("生成题目中… drawing fresh numbers")
            self.prepare_numeric(item)
        else:
            self.query_one(CardView).focus()
            self._hint(HINT_REVEAL)

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
        self._hint("今天的卡片都学完了 🎉  No more cards for now. Esc 返回", "bold green")

    # Numeric questions -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="numeric")
    def prepare_numeric(self, item: StudyItem) -> None:
        """Draw a fresh instance, show it, then run the engine while the learner thinks."""
        from quiz.tui.numeric import fresh_seed, new_instance, precompute

        try:
            instance = new_instance(item, fresh_seed())
        except ValueError as error:  # a template the sampler cannot satisfy
            self.post_message(InstanceReady(item.id, None, str(error)))
            return
        self.post_message(InstanceReady(item.id, instance))
        self.post_message(SolutionReady(instance.seed, precompute(instance)))

    @on(InstanceReady)
    def show_instance(self, message: InstanceReady) -> None:
        if self.item is None or message.question_id != self.item.id:
            return
        self.busy = False
        if message.instance is None:
            self._hint(f"无法生成题目 cannot draw an instance: {message.error}", "bold red")
            return
        self.instance = message.instance
        self.query_one(NumericPanel).show_prompt(message.instance.prompt)
        self._hint(HINT_TYPE)
        self.shown_at = time.monotonic()

    @on(SolutionReady)
    def keep_solution(self, message: SolutionReady) -> None:
        if self.instance is not None and self.instance.seed == message.seed:
            self.solution = message.solution

    @on(AnswerSubmitted)
    def grade_answer(self, message: AnswerSubmitted) -> None:
        if self.instance is None or self.revealed:
            return
        elapsed = time.monotonic() - self.shown_at
        self.grade_in_background(self.instance, message.text, self.solution, elapsed)

    @work(thread=True, group="grading")
    def grade_in_background(self, instance: Instance, text: str, solution: Solution | None,
                            elapsed: float) -> None:
        verdict = grade(instance, text, solution=solution, elapsed_s=elapsed)
        self.post_message(VerdictReady(instance.seed, text, verdict))

    @on(VerdictReady)
    async def show_verdict(self, message: VerdictReady) -> None:
        if self.item is None or self.instance is None or self.instance.seed != message.seed:
            return
        panel = self.query_one(NumericPanel)
        await panel.show_verdict(message.verdict)
        if message.verdict.status is Status.UNPARSEABLE:
            return
        self.verdict, self.answer_text, self.revealed = message.verdict, message.answer_text, True
        card = self.query_one(CardView)
        await card.show_answer(self.item)
        card.focus()
        # Bring the verdict and the worked solution into view: they are what the learner reads next.
        card.call_after_refresh(
            card.scroll_to_widget, panel.query_one("#numeric-verdict"), top=True, animate=False,
        )
        suggested = Grade(message.verdict.suggested_rating)
        rating = self.query_one(RatingBar)
        rating.show_intervals(
            preview_intervals(self.context.scheduler, self.item.card, self.context.clock()),
            suggested,
        )
        rating.display = True
        self.refresh_bindings()
        self._hint(HINT_ACCEPT)

    # Rating ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer in the footer only what makes sense for the card on screen."""
        numeric = self.item is not None and self.item.kind == "numeric"
        if action == "reveal":
            return not numeric and not self.revealed
        if action == "accept":
            return numeric and self.revealed
        return True

    def action_reveal(self) -> None:
        if self.item is None or self.revealed or self.busy or self.item.kind == "numeric":
            return
        self.revealed = True
        self.query_one(CardView).show_answer(self.item)
        self._hint(HINT_RATE)
        self.query_one(RatingBar).display = True
        self.refresh_bindings()

    def action_accept(self) -> None:
        if self.verdict is not None and self.revealed:
            self.action_rate(self.verdict.suggested_rating)

    def action_rate(self, value: int) -> None:
        if self.item is None or not self.revealed or self.busy:
            return
        self.busy = True
        duration_ms = int((time.monotonic() - self.shown_at) * 1000)
        note = AnswerSubmittedNote(
            seed=self.instance.seed if self.instance else None,
            answer_text=self.answer_text,
            verdict=self.verdict.status.value if self.verdict else None,
        )
        self.save_review(self.item.id, Grade(value), duration_ms, note)

    @work(thread=True, exclusive=True, group="study")
    def save_review(self, question_id: str, grade: Grade, duration_ms: int,
                    note: AnswerSubmittedNote) -> None:
        card = record_review(
            self.context.db, self.context.scheduler, question_id, grade, self.context.clock(),
            duration_ms=duration_ms, seed=note.seed, answer_text=note.answer_text,
            verdict=note.verdict,
        )
        self.post_message(ReviewRecorded(question_id, grade, card))

    @on(ReviewRecorded)
    def advance(self, message: ReviewRecorded) -> None:
        self.notify(f"{message.grade.label} · 下次 {message.card.due.astimezone():%m-%d %H:%M}",
                    timeout=2)
        self.load_next()
