"""Home: the decks (a question's first tag) with what is due in each; choose what to study.

Enter studies the deck under the cursor (or every marked deck, if any are marked with space;
the first row is every deck); `n` studies only the numeric questions, `c` opens custom study.

Home counts its figures once as it mounts, on the store `make_app` opened, so its first frame
shows the decks and every key shown works at once; it counts again in a worker whenever it is
shown again (back from studying, browsing, …).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.reactive import reactive
from textual.widgets import DataTable, Header, Static

from quiz.tui.messages import DecksLoaded
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.quiz_footer import QuizFooter

if TYPE_CHECKING:
    from datetime import datetime

    from textual.timer import Timer

    from quiz.store.counts import StudyScope
    from quiz.tui.context import StudyContext

ALL_DECKS = "\x00all"  # the row key of "every deck" (no deck can be named so)
MAX_WAIT_S = 6 * 3600  # a timer for a learning card due later than this is not worth keeping


class HomeScreen(QuizScreen[None]):
    DEFAULT_CSS = """
    HomeScreen #home-summary {
        height: auto;
        padding: 0 1;
        margin: 1 0 0 0;
    }
    HomeScreen #decks {
        height: 1fr;
        margin: 1 1 0 1;
    }
    HomeScreen #home-hint {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """
    BINDINGS = [
        Binding("s,enter", "study", "学习"),
        Binding("space", "mark", "选中"),
        Binding("n", "study_numeric", "数值题"),
        Binding("c", "custom_study", "自定义"),
        Binding("b", "browse", "浏览", show=False),
        Binding("slash", "search", "搜索"),
        Binding("t", "stats", "统计"),
        Binding("o", "settings", "设置"),
        Binding("L", "learners", "学习者", show=False),
        Binding("m", "mistakes", "错因", show=False),
    ]

    marked_count: reactive[int] = reactive(0)

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context
        self.marked: set[str] = set()
        self._damage_told: str | None = None  # said once, not at every recount
        self._counted_at_mount = False  # the first resume has nothing new to count
        self._due_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="home-summary")
        yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
        yield Static(id="home-hint")
        yield QuizFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", width=1, key="mark")
        table.add_column("主题 deck", width=22, key="deck")
        table.add_column("到期", width=5, key="review")
        table.add_column("学习", width=5, key="learning")
        table.add_column("新卡", width=5, key="new")
        table.add_column("今日", width=5, key="done")
        table.add_column("题数", width=5, key="total")
        table.focus()
        self._hint()
        # Counted here, before the first frame, so that frame has the rows (about a millisecond;
        # the store is open). A failure leaves it to the worker, which reports it as any other.
        try:
            figures = self._count()
        except Exception:
            self.load_counts()
        else:
            self._counted_at_mount = True
            self.show_decks(figures)
        self.call_after_refresh(self.load_study_modules)

    @work(thread=True, exit_on_error=False, name="load_study_modules")
    def load_study_modules(self) -> None:
        """After the first frame: import what a rating needs (SQLAlchemy's ORM, fsrs, the study
        screen), which home's Core counts did not, so the first card shows without that wait."""
        import quiz.store.actions
        import quiz.store.queue
        import quiz.tui.screens.study  # noqa: F401

        self.context.scheduler  # noqa: B018 - fsrs's scheduler, made now rather than at a rating

    def on_screen_resume(self) -> None:
        if self._counted_at_mount:  # the resume of home's first showing: counted at mount
            self._counted_at_mount = False
            return
        self.load_counts()

    def _count(self) -> DecksLoaded:
        from quiz.store.counts import home_figures, next_learning_due
        from quiz.store.damage import undatable_due

        context = self.context
        db = context.db
        now = context.clock()
        figures = home_figures(db, now, context.settings)
        return DecksLoaded(figures.counts, figures.decks, undatable_due(db), db.learner_id,
                           next_learning_due(db, now))

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def load_counts(self) -> None:
        self.post_message(self._count())

    @on(DecksLoaded)
    def show_decks(self, message: DecksLoaded) -> None:
        # Here, not at load: quiz.render brings pylatexenc, which the first frame does not need.
        from quiz.render.safe import safe_text

        if message.learner_id != self.context.db.learner_id:
            return  # counted for the learner studied before a switch: a newer count follows
        if message.damaged is not None and message.damaged != self._damage_told:
            self._damage_told = message.damaged
            self.notify(safe_text(message.damaged), title="数据库有损坏的行 damaged row",
                        severity="warning", timeout=10)
        self._count_again_at(message.next_due)
        summary = message.counts
        text = Text(" ")
        text.append(f"{summary.due}", style="bold red")
        text.append(" 到期 due   ")
        text.append(f"{summary.new}", style="bold blue")
        text.append(" 今日新卡 new today   ")
        text.append(f"{summary.reviews_today}", style="bold green")
        text.append(" 今日已评 done today   ")
        text.append(f"{summary.total}", style="bold")
        text.append(" 题 cards")
        self.query_one("#home-summary", Static).update(text)
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        decks = message.decks
        # As Anki's deck list: what today's limits let through, the same figures as the header
        # (every row capped by what is left of the day's new cards and reviews).
        new_cap, review_cap = summary.new, summary.due - summary.learning
        table.add_row(
            "", Text("全部 all", style="bold"), *self._cells(
                review_cap, summary.learning, new_cap, sum(d.done_today for d in decks),
                sum(d.total for d in decks)),
            key=ALL_DECKS,
        )
        for deck in decks:
            mark = "✓" if deck.deck in self.marked else ""
            label = Text(safe_text(deck.deck))
            if deck.numeric:
                label.append(" #", style="dim")
            table.add_row(mark, label, *self._cells(min(deck.review, review_cap), deck.learning,
                                                    min(deck.new, new_cap), deck.done_today,
                                                    deck.total),
                          key=deck.deck)
        if cursor < table.row_count:
            table.move_cursor(row=cursor)

    def _count_again_at(self, moment: datetime | None) -> None:
        """A learning card falls due at `moment`: count again then, if home is still shown
        (its due figure would otherwise stay 0 while `quiz due` says 1)."""
        if self._due_timer is not None:
            self._due_timer.stop()
            self._due_timer = None
        if moment is None:
            return
        delay = (moment - self.context.clock()).total_seconds()
        if 0 < delay <= MAX_WAIT_S:
            self._due_timer = self.set_timer(delay + 0.5, self._count_if_shown)

    def _count_if_shown(self) -> None:
        self._due_timer = None
        if self.is_current:
            self.load_counts()

    @staticmethod
    def _cells(review: int, learning: int, new: int, done: int, total: int) -> list[Text]:
        def cell(value: int, style: str) -> Text:
            return Text(str(value), style=style if value else "dim", justify="right")

        return [cell(review, "bold red"), cell(learning, "bold yellow"), cell(new, "bold blue"),
                cell(done, "green"), cell(total, "")]

    def _hint(self) -> None:
        if self.marked:
            text = f"已选 {len(self.marked)} 个主题 · Enter 学习选中的 · space 取消选中"
        else:
            text = "Enter 学习光标所在主题（第一行=全部）· space 选中多个 · ? 帮助"
        self.query_one("#home-hint", Static).update(Text(text))

    def _cursor_deck(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return None if key == ALL_DECKS else key

    def _scope_decks(self) -> frozenset[str]:
        if self.marked:
            return frozenset(self.marked)
        deck = self._cursor_deck()
        return frozenset({deck}) if deck else frozenset()

    def action_mistakes(self) -> None:
        from quiz.tui.screens.mistakes import MistakesScreen

        self.app.push_screen(MistakesScreen(self.context))

    def action_learners(self) -> None:
        from quiz.tui.screens.learners import LearnersScreen

        switch = getattr(self.app, "switch_learner", None)
        if switch is not None:
            self.app.push_screen(LearnersScreen(self.context), switch)

    def action_mark(self) -> None:
        deck = self._cursor_deck()
        if deck is None:
            return
        table = self.query_one(DataTable)
        if deck in self.marked:
            self.marked.discard(deck)
        else:
            self.marked.add(deck)
        table.update_cell(deck, "mark", "✓" if deck in self.marked else "")
        self.marked_count = len(self.marked)
        self._hint()
        if table.cursor_row + 1 < table.row_count:
            table.move_cursor(row=table.cursor_row + 1)

    @on(DataTable.RowSelected)
    def study_selected(self) -> None:
        self.action_study()

    def action_study(self) -> None:
        from quiz.store.counts import StudyScope

        self._start(StudyScope(decks=self._scope_decks()))

    def action_study_numeric(self) -> None:
        from quiz.store.counts import StudyScope

        self._start(StudyScope(decks=frozenset(self.marked), numeric_only=True))

    def _start(self, scope: StudyScope) -> None:
        from quiz.tui.screens.study import StudyScreen

        self.app.push_screen(StudyScreen(self.context, scope))

    def action_custom_study(self) -> None:
        from quiz.tui.screens.custom_study import CustomStudyScreen

        def start(scope: StudyScope | None) -> None:
            if scope is not None:
                self._start(scope)

        self.app.push_screen(CustomStudyScreen(self.context, self._scope_decks()), start)

    def action_browse(self) -> None:
        from quiz.tui.screens.browse import BrowseScreen

        self.app.push_screen(BrowseScreen(self.context))

    def action_search(self) -> None:
        from quiz.tui.screens.browse import BrowseScreen

        self.app.push_screen(BrowseScreen(self.context, focus_search=True))

    def action_stats(self) -> None:
        from quiz.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.context))

    def action_settings(self) -> None:
        from quiz.tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen(self.context))
