"""Your own mistakes: every misconception the engine named in your logged numeric answers — how
often, on which templates, week by week, when last seen, and whether it is fading. Opened with
`m` from home; `escape` goes back."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from quiz.tui.context import StudyContext
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.quiz_footer import QuizFooter

WEEKS = 8
BARS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class MistakeRow:
    mistake_id: str
    name: str
    count: int
    per_week: tuple[int, ...]
    last_seen: str
    fading: bool
    templates: str


def sparkline(values: tuple[int, ...]) -> str:
    """One bar per week, scaled to the largest week (an empty week is a space)."""
    top = max(values, default=0)
    if top == 0:
        return " " * len(values)
    return "".join(BARS[0] if value == 0 else BARS[max(1, round(value / top * 8))]
                   for value in values)


class MistakesScreen(QuizScreen[None]):
    DEFAULT_CSS = """
    MistakesScreen #mistakes-summary {
        height: auto;
        padding: 0 1;
        margin: 1 0 0 0;
    }
    MistakesScreen #mistakes {
        height: 1fr;
        margin: 1 1 0 1;
    }
    """
    BINDINGS = [Binding("escape", "app.pop_screen", "返回 Back")]

    @dataclass
    class Loaded(Message):
        rows: list[MistakeRow]
        learner_id: int

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="mistakes-summary")
        yield DataTable(id="mistakes", cursor_type="row", zebra_stripes=True)
        yield QuizFooter()

    def on_mount(self) -> None:
        self.sub_title = "我的错因 My mistakes"
        table = self.query_one(DataTable)
        table.add_column("错因 mistake", width=26, key="name")
        table.add_column("次数", width=4, key="count")
        table.add_column(f"近{WEEKS}周", width=WEEKS, key="weeks")
        table.add_column("最近", width=10, key="last")
        table.add_column("趋势", width=4, key="trend")
        table.add_column("题目 templates", width=24, key="templates")
        table.focus()
        self.load_mistakes()

    @work(thread=True, exclusive=True, exit_on_error=False, name="load_mistakes")
    def load_mistakes(self) -> None:
        from quiz.numeric.drill import mistake_names
        from quiz.store.mistakes import logged_mistakes, misconceptions, week_starts

        db = self.context.db
        mine = logged_mistakes(db, learner_id=db.learner_id)
        found = misconceptions(mine, {}, week_starts(self.context.clock(), WEEKS),
                               mistake_names())
        rows = [MistakeRow(
            entry.mistake_id, entry.name, entry.count, tuple(entry.per_week),
            "—" if entry.last_seen is None else entry.last_seen.astimezone().strftime("%Y-%m-%d"),
            entry.fading,
            ", ".join(f"{qid} ×{n}" for qid, n in entry.questions.most_common(3)))
            for entry in found]
        self.post_message(self.Loaded(rows, db.learner_id))

    @on(Loaded)
    def show_mistakes(self, message: Loaded) -> None:
        from quiz.render.safe import safe_text

        if message.learner_id != self.context.db.learner_id:
            return  # counted for a learner switched away from
        table = self.query_one(DataTable)
        table.clear()
        total = sum(row.count for row in message.rows)
        summary = Text(" ")
        if message.rows:
            summary.append(f"{total}", style="bold red")
            summary.append(f" 次错误，{len(message.rows)} 种错因 named mistakes · "
                           "先练最常犯的：quiz practice --mistakes")
        else:
            summary.append("还没有记录的错因 no named mistake logged yet: 数值题答错时，"
                           "引擎认出的错因会记在这里", style="dim")
        self.query_one("#mistakes-summary", Static).update(summary)
        for row in message.rows:
            trend = Text("↓ 减少", style="green") if row.fading else Text("仍犯", style="yellow")
            table.add_row(Text(safe_text(row.name)), Text(str(row.count), justify="right"),
                          Text(sparkline(row.per_week), style="red"), row.last_seen, trend,
                          Text(safe_text(row.templates), style="dim"), key=row.mistake_id)
