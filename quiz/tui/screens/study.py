"""Studying: show a question, reveal with space (or answer a numeric one), rate 1–4; each review
is committed at once and can be taken back with `u`. A counter shows what is left
(new · learning · review) and a summary closes the session."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.signal import Signal
from textual.widgets import Header, Input, Static

from quiz.numeric import Instance, Solution, Status, Verdict, give_up, grade
from quiz.render.safe import safe_text
from quiz.store.actions import (
    SavedFlags,
    apply_review,
    change_flags,
    restore_flags,
    undo_review,
)
from quiz.store.counts import (
    LEARNING_STATES,
    Mode,
    QueueCounts,
    StudyScope,
    queue_counts,
    unseen_count,
)
from quiz.store.db import Database, error_message
from quiz.store.items import StudyItem
from quiz.store.log import logged_verdict
from quiz.store.queue import get_item, next_due, session_left, study_step
from quiz.store.scheduling import Grade, preview_intervals
from quiz.tui.context import StudyContext
from quiz.tui.messages import (
    AnswerSubmittedNote,
    InstanceReady,
    ItemLoaded,
    NextRequest,
    ReviewRecorded,
    ReviewUndone,
    SessionSummary,
    SolutionReady,
    StoreFailed,
    StoreWaiting,
    VerdictReady,
)
from quiz.tui.screens.base import QuizScreen, freeze_long_lived
from quiz.tui.widgets.card_view import CardView
from quiz.tui.widgets.numeric_panel import AnswerSubmitted, NumericPanel
from quiz.tui.widgets.quiz_footer import QuizFooter
from quiz.tui.widgets.rating_bar import RatingBar

if TYPE_CHECKING:
    from quiz.tui.screens.geometry import Figure

HINT_REVEAL = "空格 显示答案 · space to reveal"
HINT_RATE = "回忆得怎样？按 1–4 评分 · rate your recall"
HINT_TYPE = "输入答案后回车；空回车或 ? 看答案 · Enter answers, empty Enter or ? shows it"
HINT_ACCEPT = "回车接受建议评分，或按 1–4 · Enter accepts the suggested grade, 1–4 overrides"
GIVE_UP_WORDS = frozenset({"", "?", "？"})
UNDO_WORDS = frozenset({"u", "U"})  # typed into an empty numeric answer: undo, as `u` elsewhere
PICTURE_WORDS = frozenset({"g"})  # typed into an empty numeric answer: the layer's geometry
PROGRESS_WIDTH = 16
LOCK_RETRIES = 3  # each after SQLite's own busy wait (BUSY_TIMEOUT_MS)


@dataclass(frozen=True)
class UndoStep:
    """One study action that `u` takes back: a rating (its review row) or a bury, suspend,
    flag or unflag (the card's flags before it)."""

    action: str  # "rating", "bury", "suspend", "flag" or "unflag"
    item: StudyItem
    seed: int | None  # the numeric instance on screen, dealt again when the card comes back
    review_id: int | None = None
    flags_before: SavedFlags | None = None


@dataclass
class SessionLog:
    """What this session did, for the counter, undo and the closing summary."""

    started: float = field(default_factory=time.monotonic)
    ratings: list[tuple[int, StudyItem, Grade]] = field(default_factory=list)  # review id, item
    seen: set[str] = field(default_factory=set)
    undo: list[UndoStep] = field(default_factory=list)  # every study action, oldest first

    @property
    def accuracy(self) -> float | None:
        if not self.ratings:
            return None
        return sum(g is not Grade.AGAIN for _, _, g in self.ratings) / len(self.ratings)


class StudyScreen(QuizScreen[None]):
    BINDINGS = [
        Binding("space", "reveal", "显示答案"),
        # After a reveal, space and Enter rate Good as in Anki (a numeric card: the suggested
        # grade, which is Good for a right answer). Tried in order: the first enabled one runs.
        Binding("space", "good", "记得 Good", show=False),
        Binding("space", "accept", "接受建议", show=False),
        Binding("enter", "good", "记得 Good"),
        Binding("1", "rate(1)", "Again", show=False),
        Binding("2", "rate(2)", "Hard", show=False),
        Binding("3", "rate(3)", "Good", show=False),
        Binding("4", "rate(4)", "Easy", show=False),
        Binding("enter", "accept", "接受建议"),
        Binding("u,ctrl+z", "undo", "撤销"),
        Binding("e", "toggle_errata", "勘误"),
        Binding("minus", "bury", "搁置"),
        Binding("exclamation_mark", "suspend", "暂停"),
        Binding("f", "flag", "标记"),
        Binding("c", "custom_study", "自定义"),
        Binding("r", "retry_save", "重试"),
        Binding("g", "geometry", "几何图", show=False),
        Binding("E", "edit", "编辑", show=False),
        Binding("escape", "app.pop_screen", "返回"),
    ]

    # Screen state that decides which keys apply. Plain attributes, not reactives that each
    # refresh the footer: the footer is rebuilt once per change of card or phase
    # (`refresh_bindings` below), which keeps a rating → next card within a frame or two.
    revealed = False
    finished = False
    has_errata = False
    save_failed = False

    def __init__(self, context: StudyContext, scope: StudyScope | None = None) -> None:
        super().__init__()
        self.context = context
        self.scope = scope or StudyScope()
        self.item: StudyItem | None = None
        self.busy = True
        self.shown_at = 0.0
        self.request = 0
        self.session = SessionLog()
        self.left: QueueCounts | None = None
        self.instance: Instance | None = None
        self.solution: Solution | None = None
        self.verdict: Verdict | None = None
        self.answer_text: str | None = None
        self.gave_up = False
        self.confirm_grade: Grade | None = None
        self.errata_expanded = False
        self.pending: tuple[str, Grade, int, AnswerSubmittedNote] | None = None
        self.summary: SessionSummary | None = None
        self.answer_before = ""  # the numeric answer before its latest change
        self.replay: tuple[str, int] | None = None  # a card brought back by undo, and its seed
        self._picture_of: tuple[int, Figure | None] | None = None  # (seed, picture)
        # Published when a card is on screen and answerable (None: the session is finished);
        # for benchmarks and tests that wait for the next card without polling.
        self.card_ready: Signal[StudyItem | None] = Signal(self, "card-ready")

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="card-meta")
        yield Static(id="queue-line")
        yield CardView(id="card")
        yield Static(id="study-hint")
        yield RatingBar(id="rating")
        yield QuizFooter()

    def on_mount(self) -> None:
        self.sub_title = self.scope.describe()
        self.query_one(RatingBar).display = False
        self.load_next()
        self.call_after_refresh(freeze_long_lived)

    def _hint(self, text: str, style: str = "dim italic") -> None:
        self.query_one("#study-hint", Static).update(Text(text, style=style))

    # Loading the next card -----------------------------------------------------------------

    def _exclude(self) -> set[str]:
        # Outside the normal schedule a card is shown once per session.
        return self.session.seen if self.scope.mode is not Mode.NORMAL else set()

    def load_next(self) -> None:
        self._load(self._next_request())

    def _next_request(self, rated: str | None = None) -> NextRequest:
        """A new request for the card after the one on screen (`rated`: the card being rated,
        left out of the rest of a session outside the normal schedule)."""
        self.request += 1
        self.busy = True
        avoid = tuple(self.item.sources) if self.item is not None else ()
        exclude = self._exclude()
        if rated is not None and self.scope.mode is not Mode.NORMAL:
            exclude = exclude | {rated}
        return NextRequest(self.request, avoid, frozenset(exclude))

    @work(thread=True, exclusive=True, group="study", exit_on_error=False)
    def _load(self, request: NextRequest) -> None:
        self.post_message(self._fetch(request))

    def _fetch(self, request: NextRequest) -> ItemLoaded:
        """The next card, what is left and its intervals (in a worker thread)."""
        context = self.context
        now = context.clock()
        step = study_step(context.db, now, context.settings, self.scope,
                          exclude=request.exclude, avoid_sources=request.avoid)
        item = step.item
        intervals = (preview_intervals(context.scheduler, item.card, now)
                     if item and self.scope.reschedules else {})
        return ItemLoaded(item, intervals, step.left, request.number)

    @work(thread=True, exclusive=True, group="study", exit_on_error=False)
    def _load_item(self, request: int, question_id: str) -> None:
        """Show a given card again (after an undo)."""
        context = self.context
        now = context.clock()
        item = get_item(context.db, question_id, now)
        exclude = frozenset(self._exclude() - {question_id})
        left = session_left(context.db, now, context.settings, self.scope, exclude, item)
        intervals = (preview_intervals(context.scheduler, item.card, now)
                     if item and self.scope.reschedules else {})
        self.post_message(ItemLoaded(item, intervals, left, request))

    @on(ItemLoaded)
    def show_item(self, message: ItemLoaded) -> None:
        if message.request != self.request:
            return  # a newer request (an undo, a skip) replaced this one
        self.item, self.busy, self.left = message.item, False, message.left
        self.revealed = False
        self.instance = self.solution = self.verdict = None
        self.answer_text, self.gave_up, self.confirm_grade = None, False, None
        rating = self.query_one(RatingBar)
        rating.display = False
        self._show_queue_line()
        if message.item is None:
            self._show_done()
            self.refresh_bindings()
            self.card_ready.publish(None)
            return
        self.finished = False
        item = message.item
        card = self.query_one(CardView)
        card.display = True
        self.query_one("#card-meta", Static).update(self._meta(item))
        card.show_question(item)
        self.has_errata = "勘误" in item.answer or "口径" in item.answer
        self._set_errata(False)
        rating.show_intervals(message.intervals)
        self.shown_at = time.monotonic()
        if item.kind == "numeric":
            self.busy = True  # until the instance is drawn
            self._hint("生成题目中… drawing fresh numbers")
            self.prepare_numeric(item, self._seed_to_deal(item.id))
        else:
            card.focus()
            self._hint(HINT_REVEAL)
            self.card_ready.publish(item)
        self.refresh_bindings()

    def _seed_to_deal(self, question_id: str) -> int | None:
        """The seed of the instance to deal: the same again when undo brings this card back,
        the drill's instance in a mistakes drill, else None (fresh numbers)."""
        replay, self.replay = self.replay, None
        if replay is not None and replay[0] == question_id:
            return replay[1]
        drilled = self.scope.drill_card(question_id)
        return drilled.seed if drilled is not None else None

    def _meta(self, item: StudyItem) -> Text:
        text = Text()
        text.append(f" {safe_text(item.deck or item.topic)} ", style="bold reverse")
        drilled = self.scope.drill_card(item.id)
        if self.scope.mode is Mode.CRAM:
            text.append("  突击 cram", style="bold magenta")
        elif drilled is not None:
            text.append(f"  练错题 drill: {_mistake_name(drilled.mistake_id)}",
                        style="bold magenta")
        else:
            label, style = _card_label(item)
            text.append(f"  {label}", style=style)
        if item.flags.flagged:
            text.append("  ⚑", style="bold red")
        if item.flags.leech:
            text.append("  难记 leech", style="bold yellow")
        text.append(f"  · {safe_text(item.id)} · 来源 {safe_text(', '.join(item.sources))}",
                    style="dim")
        return text

    def _show_queue_line(self) -> None:
        left = self.left
        done = len(self.session.ratings)
        text = Text(" ")
        if left is not None:
            text.append(f"{left.new}", style="bold blue")
            text.append(" · ", style="dim")
            text.append(f"{left.learning}", style="bold red")
            text.append(" · ", style="dim")
            text.append(f"{left.review}", style="bold green")
            text.append("  新·学习·复习", style="dim")
            total = done + left.total
            filled = round(PROGRESS_WIDTH * done / total) if total else PROGRESS_WIDTH
            text.append("  ")
            text.append("█" * filled, style="green")
            text.append("░" * (PROGRESS_WIDTH - filled), style="dim")
            text.append(f" {done}/{total}", style="dim")
        self.query_one("#queue-line", Static).update(text)

    def _show_done(self) -> None:
        self.finished = True
        self.has_errata = False
        self.query_one("#card-meta", Static).update("")
        self.query_one(CardView).display = False
        self._hint("本次学习完成 🎉 session finished — 统计中…", "bold green")
        self.load_summary()

    @work(thread=True, exclusive=True, group="summary", exit_on_error=False)
    def load_summary(self) -> None:
        context = self.context
        now = context.clock()
        base = StudyScope(decks=self.scope.decks, numeric_only=self.scope.numeric_only)
        forgotten = StudyScope(decks=self.scope.decks, numeric_only=self.scope.numeric_only,
                               mode=Mode.FORGOTTEN)
        ahead = StudyScope(decks=self.scope.decks, numeric_only=self.scope.numeric_only,
                           mode=Mode.AHEAD, ahead_days=7)
        settings = context.settings
        self.post_message(SessionSummary(
            next_due=next_due(context.db, now, base),
            unseen=unseen_count(context.db, now, base),
            forgotten_today=queue_counts(context.db, now, settings, forgotten).total,
            due_ahead=queue_counts(context.db, now, settings, ahead).total,
        ))

    @on(SessionSummary)
    def show_summary(self, message: SessionSummary) -> None:
        if not self.finished:
            return
        self.summary = message
        log = self.session
        minutes = (time.monotonic() - log.started) / 60
        text = Text()
        text.append("本次学习完成 🎉 Session finished\n\n", style="bold green")
        text.append(f"  卡片 cards     {len(log.ratings)}\n")
        if log.accuracy is not None:
            text.append(f"  正确率 accuracy {log.accuracy:.0%}\n")
        text.append(f"  用时 time      {minutes:.1f} 分钟 min\n")
        if message.next_due is not None:
            due = message.next_due.astimezone()
            text.append(f"  下一张到期 next due  {due:%m-%d %H:%M}\n")
        options: list[str] = []
        if message.unseen and self.scope.mode is Mode.NORMAL:
            options.append(f"c  自定义学习：再学新卡（还有 {message.unseen} 张）custom study")
        elif message.forgotten_today or message.due_ahead:
            options.append("c  自定义学习 custom study (forgotten today / review ahead)")
        if self.session.undo:
            options.append("u  撤销上一步 undo the last action")
        options.append("esc 返回 back")
        text.append("\n")
        for option in options:
            text.append(f"  {option}\n", style="bold")
        self.query_one("#study-hint", Static).update(text)

    # Numeric questions -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="numeric", exit_on_error=False)
    def prepare_numeric(self, item: StudyItem, seed: int | None = None) -> None:
        """Draw an instance (a fresh one, or `seed`'s again), show it, then run the engine while
        the learner thinks."""
        from quiz.tui.numeric import fresh_seed, new_instance, precompute

        try:
            instance = new_instance(item, fresh_seed() if seed is None else seed)
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
            self._hint(safe_text(f"无法生成题目 cannot draw an instance: {message.error}"),
                       "bold red")
            return
        self.instance = message.instance
        self.query_one(NumericPanel).show_prompt(message.instance.prompt)
        self._hint(HINT_TYPE)
        self.shown_at = time.monotonic()
        self.card_ready.publish(self.item)

    @on(SolutionReady)
    def keep_solution(self, message: SolutionReady) -> None:
        if self.instance is not None and self.instance.seed == message.seed:
            self.solution = message.solution

    @on(AnswerSubmitted)
    def grade_answer(self, message: AnswerSubmitted) -> None:
        if self.instance is None or self.revealed:
            return
        elapsed = time.monotonic() - self.shown_at
        gave_up = message.text.strip() in GIVE_UP_WORDS
        self.grade_in_background(self.instance, message.text, self.solution, elapsed, gave_up)

    @on(Input.Changed, "#numeric-answer")
    def keys_in_an_empty_answer(self, event: Input.Changed) -> None:
        """`?` typed into an empty answer gives up at once, as an empty Enter does, and `u`
        undoes (no answer starts with either). The Input takes printable keys before any
        binding of the screen, so its change is watched."""
        typed_into_empty = not self.answer_before.strip()
        self.answer_before = event.value
        typed = event.value.strip()
        if not typed_into_empty or self.instance is None or self.revealed:
            return
        if typed in GIVE_UP_WORDS - {""}:
            event.input.value = self.answer_before = ""
            elapsed = time.monotonic() - self.shown_at
            self.grade_in_background(self.instance, typed, self.solution, elapsed, True)
        elif typed in UNDO_WORDS:
            event.input.value = self.answer_before = ""
            self.action_undo()
        elif typed in PICTURE_WORDS:
            event.input.value = self.answer_before = ""
            self.action_geometry()

    @work(thread=True, group="grading", exit_on_error=False)
    def grade_in_background(self, instance: Instance, text: str, solution: Solution | None,
                            elapsed: float, gave_up: bool) -> None:
        verdict = (give_up(instance, solution) if gave_up
                   else grade(instance, text, solution=solution, elapsed_s=elapsed))
        self.post_message(VerdictReady(instance.seed, text, verdict, gave_up))

    @on(VerdictReady)
    async def show_verdict(self, message: VerdictReady) -> None:
        if self.item is None or self.instance is None or self.instance.seed != message.seed:
            return
        panel = self.query_one(NumericPanel)
        await panel.show_verdict(message.verdict)
        if message.verdict.status is Status.UNPARSEABLE:
            return
        self.verdict, self.answer_text = message.verdict, message.answer_text
        self.gave_up = message.gave_up
        self.revealed = True
        card = self.query_one(CardView)
        await card.show_answer(self.item)
        card.focus()
        # Bring the verdict and the worked solution into view: they are what the learner reads next.
        card.call_after_refresh(
            card.scroll_to_widget, panel.query_one("#numeric-verdict"), top=True, animate=False,
        )
        suggested = Grade(message.verdict.suggested_rating)
        rating = self.query_one(RatingBar)
        intervals = (preview_intervals(self.context.scheduler, self.item.card,
                                       self.context.clock())
                     if self.scope.reschedules else {})
        rating.show_intervals(intervals, suggested)
        rating.display = True
        self._hint(HINT_ACCEPT)
        self.refresh_bindings()

    # Rating ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer in the footer only what makes sense for the card on screen."""
        numeric = self.item is not None and self.item.kind == "numeric"
        on_card = self.item is not None and not self.finished
        if action == "reveal":
            return on_card and not numeric and not self.revealed
        if action == "accept":
            return on_card and numeric and self.revealed
        if action == "good":
            return on_card and not numeric and self.revealed
        if action == "undo":
            return bool(self.session.undo)
        if action == "toggle_errata":
            return on_card and self.revealed and self.has_errata
        if action in ("bury", "suspend", "flag"):
            return on_card
        if action == "custom_study":
            return self.finished
        if action == "retry_save":
            return self.save_failed
        if action == "geometry":
            return on_card and numeric and self._picture() is not None
        if action == "edit":
            return on_card and not self.busy
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

    def action_good(self) -> None:
        self.action_rate(int(Grade.GOOD))


    def action_rate(self, value: int) -> None:
        if self.item is None or not self.revealed or self.busy:
            return
        chosen = Grade(value)
        wrong = self.verdict is not None and self.verdict.status is Status.WRONG
        if wrong and chosen in (Grade.GOOD, Grade.EASY) and self.confirm_grade is not chosen:
            self.confirm_grade = chosen
            self._hint(f"答案是错的——真的评 {chosen.label} 吗？再按一次 {value} 确认 · "
                       f"the answer was wrong: press {value} again to rate {chosen.label}",
                       "bold yellow")
            return
        self.busy = True
        duration_ms = int((time.monotonic() - self.shown_at) * 1000)
        verdict = "gave_up" if self.gave_up else (
            logged_verdict(self.verdict.status.value, self.verdict.mistake_id)
            if self.verdict else None)
        note = AnswerSubmittedNote(
            seed=self.instance.seed if self.instance else None,
            answer_text=self.answer_text, verdict=verdict,
        )
        self.pending = (self.item.id, chosen, duration_ms, note)
        self.save_review(self.item, chosen, duration_ms, note, self._next_request(self.item.id))

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def save_review(self, item: StudyItem, chosen: Grade, duration_ms: int,
                    note: AnswerSubmittedNote, following: NextRequest) -> None:
        """Record the rating, then (same worker: one thread hop less per card) load the card
        that follows it."""
        context = self.context
        for attempt in range(LOCK_RETRIES + 1):
            try:
                outcome = apply_review(
                    context.db, context.scheduler, item.id, chosen, context.clock(),
                    settings=context.settings, reschedule=self.scope.reschedules,
                    duration_ms=duration_ms, seed=note.seed, answer_text=note.answer_text,
                    verdict=note.verdict,
                )
            except Exception as error:  # any failure is reported, never lost silently
                if _is_lock(error) and attempt < LOCK_RETRIES:
                    self.post_message(StoreWaiting(attempt + 1, LOCK_RETRIES))
                    continue  # SQLite already waited busy_timeout; try again
                self.post_message(StoreFailed("rating", _reason(error, context.db)))
                return
            try:
                loaded: ItemLoaded | None = self._fetch(following)
            except Exception:  # the rating is saved; the screen loads the next card again
                loaded = None
            self.post_message(ReviewRecorded(item.id, chosen, outcome.card, outcome, item,
                                             loaded))
            return

    @on(StoreWaiting)
    def report_waiting(self, message: StoreWaiting) -> None:
        self._hint(f"数据库被另一个程序占用，正在重试（{message.attempt}/{message.of}）… "
                   "the database is locked by another program, retrying", "bold yellow")

    @on(StoreFailed)
    def report_failure(self, message: StoreFailed) -> None:
        self.busy = False
        if message.what == "rating":
            self.save_failed = True
            self.refresh_bindings()
            self._hint(f"评分未保存 rating NOT saved: {safe_text(message.reason)} — 按 r 重试 "
                       "press r to retry", "bold red")
        self.notify(safe_text(f"{message.what}: {message.reason}"), title="保存失败 not saved",
                    severity="error", timeout=8, markup=False)

    def action_retry_save(self) -> None:
        if self.pending is None or self.item is None:
            return
        question_id, chosen, duration_ms, note = self.pending
        if question_id != self.item.id:
            return
        self.save_failed = False
        self.refresh_bindings()
        self.save_review(self.item, chosen, duration_ms, note, self._next_request(question_id))

    @on(ReviewRecorded)
    def advance(self, message: ReviewRecorded) -> None:
        seed = self.pending[3].seed if self.pending is not None else None
        self.pending, self.save_failed = None, False
        outcome = message.outcome
        if outcome is not None and message.item is not None:
            self.session.ratings.append((outcome.review_id, message.item, message.grade))
            self.session.undo.append(UndoStep("rating", message.item, seed, outcome.review_id))
            self.session.seen.add(message.question_id)
            if outcome.became_leech:
                extra = "，已暂停 suspended" if outcome.suspended else ""
                self.notify(f"{message.question_id} 忘了 {self.context.settings.leech_threshold} "
                            f"次，标为难记卡 leech{extra}", severity="warning", timeout=6,
                            markup=False)
        if message.following is None:
            self.load_next()
        else:
            self.show_item(message.following)

    # Undo, bury, suspend, flag ---------------------------------------------------------------

    def action_undo(self) -> None:
        """Take back the last study action of any kind, in order: a rating, bury or suspend
        brings its card back (a numeric one with the same numbers); a flag is put back."""
        if self.busy and self.pending is not None:
            return  # a rating is being saved: its own undo step comes with it
        if not self.session.undo:
            self.notify("没有可撤销的操作 nothing to undo", timeout=2, markup=False)
            return
        step = self.session.undo.pop()
        self.refresh_bindings()
        if step.action in ("flag", "unflag"):
            self.undo_flags_in_background(step, None)
            return
        if step.action == "rating":
            self.session.ratings.pop()  # ratings are undone last-first, like the steps
        self.session.seen.discard(step.item.id)
        if step.seed is not None:
            self.replay = (step.item.id, step.seed)
        self.request += 1  # whatever was loading is no longer wanted
        self.busy = True
        if step.review_id is not None:
            self.undo_in_background(step.review_id, step.item.id, self.request)
        else:
            self.undo_flags_in_background(step, self.request)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def undo_in_background(self, review_id: int, question_id: str, request: int) -> None:
        try:
            card = undo_review(self.context.db, review_id, self.context.clock())
        except Exception as error:
            self.post_message(StoreFailed("undo", _reason(error)))
            return
        self.post_message(ReviewUndone(question_id, card))
        self._load_item(request, question_id)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def undo_flags_in_background(self, step: UndoStep, request: int | None) -> None:
        """Restore the card's flags; `request`: show the card again (after a bury or suspend)."""
        if step.flags_before is None:
            return  # only card actions are undone here; they always keep their flags
        try:
            restore_flags(self.context.db, step.item.id, step.flags_before)
        except Exception as error:
            self.post_message(StoreFailed("undo", _reason(error)))
            return
        self.app.call_from_thread(self._after_flags_undone, step)
        if request is not None:
            self._load_item(request, step.item.id)

    def _after_flags_undone(self, step: UndoStep) -> None:
        names = {"bury": "搁置 bury", "suspend": "暂停 suspend", "flag": "标记 flag",
                 "unflag": "取消标记 unflag"}
        self.notify(f"已撤销 undone: {step.item.id} {names[step.action]}", timeout=2,
                    markup=False)
        if step.flags_before is not None and step.action in ("flag", "unflag"):
            self._show_flagged(step.item.id, step.flags_before.flagged)

    @on(ReviewUndone)
    def announce_undo(self, message: ReviewUndone) -> None:
        self.notify(f"已撤销 undone: {message.question_id}", timeout=2, markup=False)

    def action_bury(self) -> None:
        self._card_action("bury")

    def action_suspend(self) -> None:
        self._card_action("suspend")

    def action_flag(self) -> None:
        if self.item is not None:
            self._card_action("unflag" if self.item.flags.flagged else "flag")

    def _card_action(self, action: str) -> None:
        if self.item is None or self.finished:
            return
        seed = self.instance.seed if self.instance is not None else None
        self._card_action_in_background(action, self.item, seed)

    @work(thread=True, group="card-action", exit_on_error=False)
    def _card_action_in_background(self, action: str, item: StudyItem, seed: int | None) -> None:
        context = self.context
        try:
            before = change_flags(context.db, item.id, action, context.clock(), context.settings)
        except Exception as error:
            self.post_message(StoreFailed(action, _reason(error)))
            return
        step = UndoStep(action, item, seed, flags_before=before)
        self.app.call_from_thread(self._after_card_action, step)

    def _after_card_action(self, step: UndoStep) -> None:
        notes = {"bury": "已搁置到明天 buried until tomorrow", "suspend": "已暂停 suspended",
                 "flag": "已标记 flagged", "unflag": "已取消标记 unflagged"}
        question_id = step.item.id
        self.notify(f"{question_id}: {notes[step.action]}", timeout=2, markup=False)
        self.session.undo.append(step)
        self.refresh_bindings()
        if step.action in ("bury", "suspend"):
            self.session.seen.add(question_id)
            self.load_next()
        else:
            self._show_flagged(question_id, step.action == "flag")

    def _show_flagged(self, question_id: str, flagged: bool) -> None:
        if self.item is not None and self.item.id == question_id:
            self.item = replace(self.item, flags=replace(self.item.flags, flagged=flagged))
            self.query_one("#card-meta", Static).update(self._meta(self.item))

    def _picture(self) -> Figure | None:
        """The geometry of the numeric instance on screen, if any: one sliding-window layer
        drawn, or a receptive-field card's effective field."""
        from quiz.engine.picture import net_picture

        if self.instance is None:
            return None
        if self._picture_of is None or self._picture_of[0] != self.instance.seed:
            picture: Figure | None = net_picture(self.instance.nets)
            if picture is None and self.instance.family == "receptive-field":
                from quiz.engine.erf import instance_effective_field

                picture = instance_effective_field(self.instance.nets)
            self._picture_of = (self.instance.seed, picture)
        return self._picture_of[1]

    def action_geometry(self) -> None:
        """`g`: the instance's layer drawn — input with padding, kernel positions, output — or
        a receptive-field card's effective field inside its theoretical one."""
        picture = self._picture()
        if picture is None:
            self.notify("这道题没有几何图（只画单个卷积 / 池化 / 转置卷积层和感受野）"
                        "no picture for this card", timeout=3, markup=False)
            return
        from quiz.tui.screens.geometry import GeometryScreen

        self.app.push_screen(GeometryScreen(picture))

    def action_edit(self) -> None:
        """`E`: open the card's Markdown in $VISUAL / $EDITOR at its line; on return the bank is
        synced again and the card shows the new text (its history kept: the id is the same)."""
        import os
        import shlex

        from quiz.store.search import question_location

        if self.item is None:
            return
        editor = os.environ.get("VISUAL", "").strip() or os.environ.get("EDITOR", "").strip()
        if not editor:
            self.notify("没有设置编辑器：请设置 $VISUAL 或 $EDITOR（例如 export EDITOR=nano）"
                        " no editor: set $VISUAL or $EDITOR", severity="warning", timeout=6,
                        markup=False)
            return
        location = question_location(self.context.db, self.item.id)
        if location is None or not os.path.exists(location[0]):
            self.notify(f"找不到这道题的文件 cannot find the card's file: {self.item.id}",
                        severity="warning", timeout=5, markup=False)
            return
        command = [*shlex.split(editor), f"+{location[1]}", location[0]]
        if not self._run_editor(command):
            return
        seed = self.instance.seed if self.instance is not None else None
        if seed is not None:
            self.replay = (self.item.id, seed)  # the same numbers, in the edited text
        self.request += 1
        self.busy = True
        self.resync_after_edit(self.request, self.item.id)

    def _run_editor(self, command: list[str]) -> bool:
        import subprocess

        from textual.app import SuspendNotSupported

        try:
            try:
                with self.app.suspend():
                    subprocess.run(command, check=False)
            except SuspendNotSupported:  # no terminal to give back (a headless run)
                subprocess.run(command, check=False, stdin=subprocess.DEVNULL,
                               capture_output=True)
        except OSError as error:
            self.notify(safe_text(f"编辑器没能启动 the editor did not start: {error}"),
                        severity="error",
                        timeout=6, markup=False)
            return False
        return True

    @work(thread=True, exclusive=True, group="study", exit_on_error=False, name="resync")
    def resync_after_edit(self, request: int, question_id: str) -> None:
        from quiz.tui.context import resync_bank

        context = self.context
        try:
            report = resync_bank(context.db, context.bank_dir, context.clock())
        except Exception as error:  # a bank error names file:line: say it, keep studying
            self.post_message(StoreFailed("sync", _reason(error)))
            report = None
        if report is not None and report.touched:
            self.app.call_from_thread(self.notify, f"题库已同步 bank synced: {report.summary()}",
                                      timeout=3, markup=False)
        self._load_item(request, question_id)

    def action_toggle_errata(self) -> None:
        self._set_errata(not self.errata_expanded)

    def _set_errata(self, expanded: bool) -> None:
        self.errata_expanded = expanded
        card = self.query_one(CardView)
        setter = getattr(card, "set_errata_expanded", None)
        if setter is not None:
            setter(expanded)

    def action_custom_study(self) -> None:
        if not self.finished:
            return
        from quiz.tui.screens.custom_study import CustomStudyScreen

        def start(scope: StudyScope | None) -> None:
            if scope is not None:
                self.scope = scope
                self.sub_title = scope.describe()
                self.session.seen.clear()
                self.load_next()

        self.app.push_screen(CustomStudyScreen(self.context, self.scope.decks,
                                               self.scope.numeric_only), start)


def _mistake_name(mistake_id: str) -> str:
    from quiz.numeric.drill import mistake_names

    return mistake_names().get(mistake_id, mistake_id)


def _card_label(item: StudyItem) -> tuple[str, str]:
    """What kind of card is on screen, as Anki names them, in the colour of its counter."""
    if item.card.is_new:
        return "新卡 new", "bold blue"
    if item.card.state == LEARNING_STATES[0]:
        return "学习 learning", "bold red"
    if item.card.state == LEARNING_STATES[1]:
        return "重学 relearning", "bold red"
    return "复习 review", "bold green"


def _reason(error: BaseException, db: Database | None = None) -> str:
    """One line for the learner; a damaged row is named (a bounded look, in this worker)."""
    if db is not None:
        from quiz.store.damage import damage_message

        damaged = damage_message(error, db)
        if damaged:
            return damaged.replace("\n", " — ")
    return error_message(error)


def _is_lock(error: BaseException) -> bool:
    text = str(getattr(error, "orig", None) or error).lower()
    return "locked" in text or "busy" in text
