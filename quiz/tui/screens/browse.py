"""Browsing and searching the bank: ranked results filtered by topic and card state, a page at a
time.

Searching runs in a worker. Each request carries a number, and results that come back for an
older request are dropped, so a slow earlier query never overwrites the results of a newer one.
The first page (`page_size` rows) shows as soon as it is read; the next one is read when the
cursor nears the end of the table or on `n`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Input, Select, Static

from quiz.render.safe import safe_text
from quiz.store.items import StudyItem
from quiz.store.search import FILTER_LABELS, PAGE, CardFilter, SearchResult, decks, search
from quiz.tui.context import StudyContext
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.quiz_footer import QuizFooter

TOPIC_WIDTH = 12
NEXT_WIDTH = 8
LOAD_MORE_MARGIN = 5  # rows from the end at which the next page is read
NO_MATCH = "没有匹配 no match"


@dataclass
class ResultsLoaded(Message):
    request: int
    offset: int
    result: SearchResult


@dataclass
class SearchFailed(Message):
    request: int
    error: str


@dataclass
class DeckListLoaded(Message):
    decks: list[str]


def next_label(item: StudyItem, now: datetime) -> Text:
    """When the card is next due, and what the learner did to it (⚑ flag, 停 suspended, 搁
    buried, 难 leech)."""
    text = Text()
    if item.card.is_new:
        text.append("新", style="blue")
    else:
        days = (item.card.due - now).total_seconds() / 86400
        label = "到期" if days <= 0 else f"{days:.0f}d" if days >= 1 else "<1d"
        text.append(label, style="bold red" if days <= 0 else "")
    marks = [(item.flags.flagged, "⚑", "magenta"), (item.flags.suspended, "停", "yellow"),
             (item.flags.buried, "搁", "dim"), (item.flags.leech, "难", "red")]
    for present, mark, style in marks:
        if present:
            text.append(mark, style=style)
    return text


class ResultTable(DataTable[Text]):
    """The results: home / end go to the first / last row (as in every other list of the app),
    not to the first / last column."""

    BINDINGS = [
        Binding("home", "scroll_top", "首行 First", show=False),
        Binding("end", "scroll_bottom", "末行 Last", show=False),
    ]


class BrowseScreen(QuizScreen[None]):
    DEFAULT_CSS = """
    BrowseScreen #browse-filters {
        height: 1;
        margin: 0 0 1 0;
        padding: 0 1;
    }
    BrowseScreen #browse-search {
        width: 1fr;
    }
    BrowseScreen #browse-deck {
        width: 22;
        margin-left: 1;
    }
    BrowseScreen #browse-state {
        width: 20;
        margin-left: 1;
    }
    BrowseScreen #browse-table {
        height: 1fr;
    }
    BrowseScreen #browse-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    BrowseScreen #browse-status.-empty {
        color: $warning;
        text-style: bold;
    }
    """

    BINDINGS = [
        Binding("slash", "focus_search", "搜索 Search"),
        Binding("n", "load_more", "更多 More"),
        Binding("escape", "back", "返回 Back"),
    ]

    page_size: int = PAGE

    def __init__(self, context: StudyContext, focus_search: bool = False) -> None:
        super().__init__()
        self.context = context
        self.focus_search = focus_search
        self.items: list[StudyItem] = []
        self.deck_names: list[str] = []
        self.total: int | None = None
        self.request = 0          # the newest request; results of older ones are dropped
        # A search in flight. (Not Textual's `loading`: setting that covers the screen with a
        # loading indicator, and a True applied late, after the results, left it covered.)
        self.searching = False
        self.restore_row = 0      # the cursor row to return to after a refresh

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="browse-filters"):
            yield Input(placeholder="搜索 search: 关键词、id、标签、来源 004#36",
                        id="browse-search", compact=True)
            yield Select[str]([], prompt="全部主题 all topics", id="browse-deck", compact=True)
            yield Select[CardFilter](
                [(FILTER_LABELS[f], f) for f in CardFilter], value=CardFilter.ALL,
                allow_blank=False, id="browse-state", compact=True,
            )
        yield ResultTable(id="browse-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="browse-status")
        yield QuizFooter()

    def on_mount(self) -> None:
        self.sub_title = "浏览 Browse"
        table = self.query_one(DataTable)
        # Fixed side columns leave the question as much of the width as possible.
        title_width = max(self.size.width - TOPIC_WIDTH - NEXT_WIDTH - 8, 20)
        table.add_column("主题 topic", width=TOPIC_WIDTH, key="topic")
        table.add_column("题目 question", width=title_width, key="question")
        table.add_column("下次", width=NEXT_WIDTH, key="next")
        (self.query_one(Input) if self.focus_search else table).focus()
        self.load_decks()

    def on_screen_resume(self) -> None:
        # Also on the first show; after a question view, flags may have changed.
        self.restore_row = self.query_one(DataTable).cursor_row
        self.new_search()

    # Reading -----------------------------------------------------------------------------

    def filters(self) -> tuple[str, str | None, CardFilter]:
        deck = self.query_one("#browse-deck", Select).value
        state = self.query_one("#browse-state", Select).value
        return (
            self.query_one(Input).value,
            deck if isinstance(deck, str) else None,
            state if isinstance(state, CardFilter) else CardFilter.ALL,
        )

    def new_search(self) -> None:
        self.request += 1
        self.searching = True
        query, deck, state = self.filters()
        self.run_search(self.request, query, deck, state, 0)

    @work(thread=True, exclusive=True, group="browse-decks")
    def load_decks(self) -> None:
        try:
            self.post_message(DeckListLoaded(decks(self.context.db)))
        except Exception as error:  # the table still works without the topic list
            self.post_message(SearchFailed(-1, f"{type(error).__name__}: {error}"))

    @work(thread=True, exclusive=True, group="browse-search")
    def run_search(self, request: int, query: str, deck: str | None, state: CardFilter,
                   offset: int) -> None:
        try:
            result = search(self.context.db, query, self.context.clock(), deck=deck,
                            card_filter=state, limit=self.page_size, offset=offset)
        except Exception as error:  # a locked or vanished database: say so, keep the app
            self.post_message(SearchFailed(request, f"{type(error).__name__}: {error}"))
            return
        self.post_message(ResultsLoaded(request, offset, result))

    @on(DeckListLoaded)
    def show_decks(self, message: DeckListLoaded) -> None:
        self.deck_names = message.decks
        select = self.query_one("#browse-deck", Select)
        select.set_options([(Text(safe_text(deck)), deck) for deck in message.decks])

    @on(SearchFailed)
    def show_failure(self, message: SearchFailed) -> None:
        if message.request in (self.request, -1):
            self.searching = False
            self.notify(safe_text(f"搜索失败 search failed: {message.error}"), severity="error",
                        markup=False)

    @on(ResultsLoaded)
    def show_results(self, message: ResultsLoaded) -> None:
        if message.request != self.request:
            return  # an older query's answer: the newer one decides what is shown
        table = self.query_one(DataTable)
        if message.offset == 0:
            table.clear()
            self.items = []
        elif message.offset != len(self.items):
            return
        self.searching = False
        self.total = message.result.total
        now = self.context.clock()
        for item in message.result.items:
            table.add_row(Text(safe_text(item.deck or item.topic)), Text(safe_text(item.title)),
                          next_label(item, now), key=item.id)
        self.items.extend(message.result.items)
        if message.offset == 0 and self.restore_row:
            table.move_cursor(row=min(self.restore_row, max(len(self.items) - 1, 0)))
            self.restore_row = 0
        self.show_status()

    def show_status(self) -> None:
        status = self.query_one("#browse-status", Static)
        query, _deck, _state = self.filters()
        empty = self.total == 0
        status.set_class(empty, "-empty")
        if empty:
            shown = f"{NO_MATCH}：{query}" if query.strip() else NO_MATCH
            status.update(Text(safe_text(shown)))
            return
        text = f"{self.total} 题"
        if self.total is not None and len(self.items) < self.total:
            text += f" · 显示 shown {len(self.items)} · n 更多 more"
        status.update(Text(text))
        self.sub_title = f"浏览 Browse · {self.total} 题"

    # Events ------------------------------------------------------------------------------

    @on(Input.Changed, "#browse-search")
    @on(Select.Changed)
    def filters_changed(self) -> None:
        self.restore_row = 0
        self.new_search()

    @on(Input.Submitted, "#browse-search")
    def focus_results(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowHighlighted)
    def maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= len(self.items) - LOAD_MORE_MARGIN:
            self.action_load_more()

    def action_load_more(self) -> None:
        if self.searching or self.total is None or len(self.items) >= self.total:
            return
        self.searching = True
        query, deck, state = self.filters()
        self.run_search(self.request, query, deck, state, len(self.items))

    @on(DataTable.RowSelected)
    def open_question(self, event: DataTable.RowSelected) -> None:
        from quiz.tui.screens.question import QuestionScreen

        chosen = next((i for i in self.items if i.id == event.row_key.value), None)
        if chosen is not None:
            self.app.push_screen(QuestionScreen(self.context, chosen))

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def action_back(self) -> None:
        search_field = self.query_one(Input)
        if search_field.has_focus and search_field.value:
            search_field.value = ""
        else:
            self.app.pop_screen()
