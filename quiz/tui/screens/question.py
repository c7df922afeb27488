"""One question with its answer, sources and review history; `!` suspends or unsuspends it and
`f` flags it.

The history shows every rating, including those taken back by an undo (struck through, with the
undo itself as a line), so what the learner sees matches what they did.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from quiz.render.safe import safe_text
from quiz.store.actions import set_flagged, set_suspended
from quiz.store.items import CardFlags, StudyItem
from quiz.store.log import ReviewEntry, history
from quiz.store.scheduling import Grade
from quiz.tui.context import StudyContext
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.bank_text import BankText
from quiz.tui.widgets.quiz_footer import QuizFooter


@dataclass
class HistoryLoaded(Message):
    question_id: str
    entries: list[ReviewEntry]


@dataclass
class FlagsChanged(Message):
    question_id: str
    flags: CardFlags


@dataclass
class ActionFailed(Message):
    error: str


def history_text(entries: list[ReviewEntry]) -> Text:
    if not entries:
        return Text("还没有复习记录 · no reviews yet", style="dim")
    text = Text("复习记录 history\n", style="bold")
    for entry in entries:
        when = f"{entry.reviewed_at.astimezone():%Y-%m-%d %H:%M}"
        if entry.kind == "undo":
            text.append(f"{when}  ↶ 撤销 undo\n", style="dim italic")
            continue
        line = Text(f"{when}  {Grade(entry.rating).label:<5}  → "
                    f"{entry.due_after.astimezone():%Y-%m-%d}")
        if entry.kind == "cram":
            line.append("  突击 cram", style="dim")
        if entry.answer_text:
            line.append(safe_text(f"  答 {entry.answer_text} ({entry.verdict})"))
        if entry.undone:
            line.stylize("strike dim")
            line.append("  已撤销 undone", style="dim italic")
        text.append_text(line)
        text.append("\n")
    text.rstrip()
    return text


def meta_text(item: StudyItem) -> Text:
    text = Text(safe_text(f"id {item.id} · 来源 {', '.join(item.sources)} · "
                          f"标签 {', '.join(item.tags)} · {item.origin}"))
    marks = [(item.flags.suspended, "  已暂停 suspended", "bold yellow"),
             (item.flags.flagged, "  ⚑ 已标记 flagged", "bold magenta"),
             (item.flags.buried, "  已搁置 buried", "dim"),
             (item.flags.leech, f"  难记 leech ({item.flags.lapses} 次遗忘)", "bold red")]
    for present, label, style in marks:
        if present:
            text.append(label, style=style)
    return text


class QuestionScreen(QuizScreen[None]):
    DEFAULT_CSS = """
    QuestionScreen #detail {
        padding: 0 1;
    }
    QuestionScreen #detail-meta {
        color: $text-muted;
        margin: 1 0;
    }
    """

    BINDINGS = [
        Binding("exclamation_mark", "toggle_suspended", "暂停 Suspend"),
        Binding("f", "toggle_flagged", "标记 Flag"),
        Binding("escape", "app.pop_screen", "返回 Back"),
    ]

    def __init__(self, context: StudyContext, item: StudyItem) -> None:
        super().__init__()
        self.context = context
        self.item = item

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield BankText(f"## {self.item.title}\n\n{self.item.answer}", id="detail-body")
            yield Static(meta_text(self.item), id="detail-meta")
            yield Static(id="history")
        yield QuizFooter()

    def on_mount(self) -> None:
        self.query_one("#detail").focus()
        self.load_history()

    @work(thread=True, exclusive=True, group="question-history")
    def load_history(self) -> None:
        try:
            entries = history(self.context.db, self.item.id, include_undo=True)
        except Exception as error:
            self.post_message(ActionFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(HistoryLoaded(self.item.id, entries))

    @on(HistoryLoaded)
    def show_history(self, message: HistoryLoaded) -> None:
        if message.question_id == self.item.id:
            self.query_one("#history", Static).update(history_text(message.entries))

    # Suspend and flag ----------------------------------------------------------------------

    def action_toggle_suspended(self) -> None:
        flags = replace(self.item.flags, suspended=not self.item.flags.suspended)
        self.change_flags(self.item.id, self.item.flags, flags)

    def action_toggle_flagged(self) -> None:
        flags = replace(self.item.flags, flagged=not self.item.flags.flagged)
        self.change_flags(self.item.id, self.item.flags, flags)

    @work(thread=True, exclusive=True, group="question-flags")
    def change_flags(self, question_id: str, before: CardFlags, flags: CardFlags) -> None:
        try:
            if flags.suspended != before.suspended:
                set_suspended(self.context.db, question_id, flags.suspended)
            if flags.flagged != before.flagged:
                set_flagged(self.context.db, question_id, flags.flagged)
        except Exception as error:  # a locked database: the flag did not change, say so
            self.post_message(ActionFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(FlagsChanged(question_id, flags))

    @on(FlagsChanged)
    def show_flags(self, message: FlagsChanged) -> None:
        if message.question_id != self.item.id:
            return
        before = self.item.flags
        self.item = replace(self.item, flags=message.flags)
        self.query_one("#detail-meta", Static).update(meta_text(self.item))
        if before.suspended != message.flags.suspended:
            self.notify("已暂停 suspended" if message.flags.suspended else "已恢复 unsuspended",
                        timeout=2)
        if before.flagged != message.flags.flagged:
            self.notify("已标记 flagged" if message.flags.flagged else "已取消标记 unflagged",
                        timeout=2)

    @on(ActionFailed)
    def show_failure(self, message: ActionFailed) -> None:
        self.notify(safe_text(f"操作失败 failed: {message.error}"), severity="error",
                    markup=False)
