"""Custom study, as Anki has it: more new cards today, review ahead, the cards forgotten today,
or a cram session that logs ratings without touching the schedule; and, beyond Anki, a drill of
the learner's own mistakes (numeric cards whose instances show the misconceptions they make most).

Keys 1–5 (or arrows and Enter) choose; a choice that needs a number N opens an input for it,
prefilled, and Enter there starts. The screen returns the
`StudyScope` to study, or None when cancelled.
"""

from __future__ import annotations

import random

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from quiz.store.counts import Mode, StudyScope
from quiz.store.queue import add_extra_new
from quiz.tui.context import StudyContext
from quiz.tui.screens.base import QuizModalScreen

CHOICES = (
    ("1", "今天多学 N 张新卡 study N more new cards today", "new"),
    ("2", "提前复习 N 天内到期的卡 review ahead by N days", "ahead"),
    ("3", "复习今天忘记的卡 review the cards forgotten today", "forgotten"),
    ("4", "突击：不改排程 cram (ratings logged, schedule untouched)", "cram"),
    ("5", "练我的错题 N 道 drill my mistakes: N numeric questions", "drill"),
)
DEFAULT_N = {"new": "10", "ahead": "3", "drill": "10"}
NO_MISTAKES = ("还没有记下的错误：数值题答错且错因可辨认时会记下 no named mistakes logged yet "
               "(a wrong numeric answer whose mistake is recognised is logged)")


class CustomStudyScreen(QuizModalScreen[StudyScope | None]):
    AUTO_FOCUS = None  # keys 1–4 choose; the input takes focus only when N is wanted
    DEFAULT_CSS = """
    CustomStudyScreen {
        align: center middle;
    }
    CustomStudyScreen > Vertical {
        width: 72;
        height: auto;
        padding: 1 2;
        border: round $accent;
        background: $panel;
    }
    CustomStudyScreen #custom-n {
        margin-top: 1;
    }
    CustomStudyScreen #custom-error {
        color: $error;
        height: auto;
    }
    """
    BINDINGS = [
        Binding("1", "choose('new')", "多学新卡", show=False),
        Binding("2", "choose('ahead')", "提前复习", show=False),
        Binding("3", "choose('forgotten')", "忘记的卡", show=False),
        Binding("4", "choose('cram')", "突击", show=False),
        Binding("5", "choose('drill')", "练错题", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("escape", "cancel", "取消 Cancel"),
    ]

    def __init__(self, context: StudyContext, decks: frozenset[str] = frozenset(),
                 numeric_only: bool = False) -> None:
        super().__init__()
        self.context = context
        self.decks = decks
        self.numeric_only = numeric_only
        self.choice = "new"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="custom-choices")
            answer = Input(value=DEFAULT_N["new"], id="custom-n", restrict=r"[0-9]*",
                           placeholder="N")
            # Hidden and disabled (so it cannot take the digits 1–4) until a choice needs N.
            answer.display = False
            answer.disabled = True
            yield answer
            yield Static(id="custom-error")

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        text = Text()
        scope = StudyScope(decks=self.decks, numeric_only=self.numeric_only)
        text.append("自定义学习 Custom study", style="bold")
        text.append(f"  ({scope.describe()})\n\n", style="dim")
        for key, label, name in CHOICES:
            chosen = name == self.choice
            text.append(f" {key} ", style="bold reverse" if chosen else "bold")
            text.append(f" {label}\n", style="bold" if chosen else "")
        if self.query_one(Input).display:
            text.append("\n输入 N 后回车开始 · type N, Enter starts · Esc 返回", style="dim")
        else:
            text.append("\n1–5 或 ↑↓ + Enter 选择 choose · Esc 取消 cancel", style="dim")
        self.query_one("#custom-choices", Static).update(text)

    def action_choose(self, name: str) -> None:
        self.choice = name
        self.query_one("#custom-error", Static).update("")
        if name in DEFAULT_N:
            answer = self.query_one(Input)
            answer.value = DEFAULT_N[name]
            answer.display = True
            answer.disabled = False
            answer.focus()
            self._show()
        else:
            self.start()

    def action_move(self, step: int) -> None:
        if self.query_one(Input).display:
            return
        names = [name for _, _, name in CHOICES]
        self.choice = names[(names.index(self.choice) + step) % len(names)]
        self._show()

    def action_cancel(self) -> None:
        answer = self.query_one(Input)
        if answer.display:
            answer.display = False
            answer.disabled = True
            self._show()
            return
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter" and not self.query_one(Input).display:
            event.stop()
            self.action_choose(self.choice)

    @on(Input.Submitted, "#custom-n")
    def start(self) -> None:
        if self.choice in DEFAULT_N:
            text = self.query_one(Input).value.strip()
            if not text.isdigit() or not 1 <= int(text) <= 9999:
                self.query_one("#custom-error", Static).update("N 须是 1–9999 的整数 N must be "
                                                               "a whole number 1–9999")
                return
            count = int(text)
            if self.choice == "new":
                self.add_new_cards(count)
                return
            if self.choice == "drill":
                self.query_one("#custom-error", Static).update(
                    Text("挑选能暴露错误的题目… choosing instances that show your mistakes",
                         style="dim italic"))
                self.prepare_drill(count)
                return
            self.dismiss(StudyScope(decks=self.decks, numeric_only=self.numeric_only,
                                    mode=Mode.AHEAD, ahead_days=count))
            return
        mode = Mode.FORGOTTEN if self.choice == "forgotten" else Mode.CRAM
        self.dismiss(StudyScope(decks=self.decks, numeric_only=self.numeric_only, mode=mode))

    @work(thread=True, exclusive=True, group="custom", exit_on_error=False)
    def add_new_cards(self, count: int) -> None:
        context = self.context
        add_extra_new(context.db, context.clock(), context.settings, count)
        self.app.call_from_thread(
            self.dismiss, StudyScope(decks=self.decks, numeric_only=self.numeric_only),
        )

    @work(thread=True, exclusive=True, group="custom", exit_on_error=False)
    def prepare_drill(self, count: int) -> None:
        from quiz.tui.numeric import drill_scope

        scope = drill_scope(self.context.db, count, random.Random())
        self.app.call_from_thread(self._start_drill, scope)

    def _start_drill(self, scope: StudyScope | None) -> None:
        if scope is None:
            self.query_one("#custom-error", Static).update(NO_MISTAKES)
            return
        self.dismiss(scope)
