"""Browsing and searching the bank: a table filtered as you type."""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from quiz.store.service import StudyItem, list_items
from quiz.tui.context import StudyContext
from quiz.tui.messages import ItemsLoaded

TOPIC_WIDTH = 12


def _due_label(item: StudyItem, now: datetime) -> str:
    if item.card.is_new:
        return "新"
    days = (item.card.due - now).total_seconds() / 86400
    return "到期" if days <= 0 else f"{days:.0f}d" if days >= 1 else "<1d"


class BrowseScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "focus_search", "搜索 Search"),
        Binding("escape", "back", "返回 Back"),
    ]

    def __init__(self, context: StudyContext, focus_search: bool = False) -> None:
        super().__init__()
        self.context = context
        self.focus_search = focus_search
        self.items: list[StudyItem] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="搜索 search: 关键词、id、标签或来源 (如 004#36)", id="search")
        yield DataTable(id="questions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Fixed side columns leave the question as much of an 80-column terminal as possible.
        table.add_column("主题", width=TOPIC_WIDTH, key="topic")
        table.add_column("题目 question", width=max(self.size.width - TOPIC_WIDTH - 22, 20),
                         key="question")
        table.add_column("下次", width=6, key="next")
        (self.query_one(Input) if self.focus_search else table).focus()
        self.load_items("")

    @on(Input.Changed, "#search")
    def filter_items(self, event: Input.Changed) -> None:
        self.load_items(event.value)

    @on(Input.Submitted, "#search")
    def focus_results(self) -> None:
        self.query_one(DataTable).focus()

    @work(thread=True, exclusive=True, group="browse")
    def load_items(self, query: str) -> None:
        self.post_message(ItemsLoaded(query, list_items(self.context.db, query)))

    @on(ItemsLoaded)
    def show_items(self, message: ItemsLoaded) -> None:
        self.items = message.items
        table = self.query_one(DataTable)
        table.clear()
        now = self.context.clock()
        for item in message.items:
            topic = item.tags[0] if item.tags else item.topic
            table.add_row(topic, item.title, _due_label(item, now), key=item.id)
        self.sub_title = f"{len(message.items)} 题"

    @on(DataTable.RowSelected)
    def open_question(self, event: DataTable.RowSelected) -> None:
        from quiz.tui.screens.question import QuestionScreen

        chosen = next((i for i in self.items if i.id == event.row_key.value), None)
        if chosen is not None:
            self.app.push_screen(QuestionScreen(self.context, chosen))

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_back(self) -> None:
        search = self.query_one(Input)
        if search.has_focus and search.value:
            search.value = ""
        else:
            self.app.pop_screen()
