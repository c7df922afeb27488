"""Who is studying: the learners of the database, to switch to one (or make a new one by typing
its name). Returns the chosen learner's name, or None when cancelled; the app then studies as
that learner (`QuizApp.switch_learner`)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from quiz.render.safe import safe_text
from quiz.tui.context import StudyContext
from quiz.tui.screens.base import QuizModalScreen


@dataclass(frozen=True)
class LearnerRow:
    name: str
    shown: str
    reviews: int
    due: int


class LearnersScreen(QuizModalScreen[str | None]):
    DEFAULT_CSS = """
    LearnersScreen {
        align: center middle;
    }
    LearnersScreen > Vertical {
        width: 72;
        max-height: 22;
        height: auto;
        padding: 1 2;
        border: round $accent;
        background: $panel;
    }
    LearnersScreen DataTable {
        height: auto;
        max-height: 12;
    }
    LearnersScreen #learner-new {
        margin-top: 1;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "取消 Cancel")]

    @dataclass
    class Loaded(Message):
        rows: list[LearnerRow]

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("切换学习者 switch learner", style="bold"))
            yield Static(Text(f"现在 now: {safe_text(self.context.db.learner_name)}",
                              style="dim"))
            yield DataTable(id="learner-table", cursor_type="row")
            yield Input(placeholder="新学习者名字 new learner's name, Enter",
                        id="learner-new", max_length=200)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("学习者 learner", width=30, key="name")
        table.add_column("复习 reviews", width=12, key="reviews")
        table.add_column("到期 due", width=8, key="due")
        table.focus()
        self.load_learners()

    @work(thread=True, exclusive=True, exit_on_error=False, name="load_learners")
    def load_learners(self) -> None:
        from quiz.store.learners import learner_summaries

        summaries = learner_summaries(self.context.db, self.context.clock())
        self.post_message(self.Loaded([
            LearnerRow(s.learner.name, s.learner.shown, s.reviews, s.due) for s in summaries]))

    @on(Loaded)
    def show_learners(self, message: Loaded) -> None:
        from quiz.render.safe import safe_text

        table = self.query_one(DataTable)
        table.clear()
        current = self.context.db.learner_name
        for row in message.rows:
            label = Text(safe_text(row.shown), style="bold" if row.name == current else "")
            if row.shown != row.name:
                label.append(f" ({safe_text(row.name)})", style="dim")
            table.add_row(label, str(row.reviews), str(row.due), key=row.name)

    @on(DataTable.RowSelected)
    def choose_learner(self, event: DataTable.RowSelected) -> None:
        self.dismiss(event.row_key.value)

    @on(Input.Submitted, "#learner-new")
    def choose_new_learner(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if name:
            self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
