"""Statistics as terminal charts: reviews per day, a 30-day due forecast, true retention per
week, cards by state, accuracy per topic and the streak (`quiz.store.stats.study_stats`)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from quiz.render.safe import safe_text
from quiz.store.stats import StudyStats, enough, study_stats
from quiz.tui.context import StudyContext
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.charts import bar, column_chart, nice_ceiling
from quiz.tui.widgets.quiz_footer import QuizFooter

CHART_HEIGHT = 5
LABEL_CELLS = 16
RETENTION_FLOOR = 0.5  # weekly retention lives between 70 % and 100 %: a 0 % axis hides it
STATE_LABELS = {
    "new": "新卡 new", "learning": "学习中 learning", "review": "复习 review",
    "suspended": "暂停 suspended", "buried": "搁置 buried",
}
STATE_STYLES = {
    "new": "blue", "learning": "red", "review": "green", "suspended": "yellow", "buried": "dim",
}


@dataclass
class StatsLoaded(Message):
    stats: StudyStats


@dataclass
class StatsFailed(Message):
    error: str


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _rate(value: float | None, n: int) -> str:
    """A rate with its sample size; left out ("—") when drawn from too few reviews."""
    return f"{_percent(value if enough(n) else None)}（n={n}）"


def summary(stats: StudyStats) -> Text:
    text = Text()
    text.append(f"复习 reviews {stats.total_reviews}", style="bold")
    text.append(" · ")
    text.append(f"记住率 retention {_rate(stats.true_retention, stats.graded_reviews)}",
                style="bold green")
    text.append(" · ")
    days = "天 day" if stats.streak == 1 else "天 days"
    text.append(f"连续 streak {stats.streak} {days}", style="bold yellow")
    return text


def _titled(title: str, body: Text) -> Text:
    text = Text(title + "\n", style="bold")
    text.append_text(body)
    return text


def reviews_chart(stats: StudyStats) -> Text:
    counts = [count for _day, count in stats.reviews_per_day]
    top = nice_ceiling(max(counts, default=0))
    chart = column_chart(
        counts, height=CHART_HEIGHT, low=0, high=top, top_label=str(top), bottom_label="0",
        first_label=stats.reviews_per_day[0][0] if counts else "",
        last_label="今天" if counts else "", style="cyan",
    )
    today = counts[-1] if counts else 0
    return _titled(f"每日复习 reviews/day · 今天 {today}", chart)


def forecast_chart(stats: StudyStats) -> Text:
    counts = [count for _day, count in stats.forecast]
    top = nice_ceiling(max(counts, default=0))
    chart = column_chart(
        counts, height=CHART_HEIGHT, low=0, high=top, top_label=str(top), bottom_label="0",
        first_label="今天" if counts else "", last_label=stats.forecast[-1][0] if counts else "",
        style="magenta",
    )
    week = sum(counts[:7])
    return _titled(f"到期预测 due forecast · 7天 {week}", chart)


def retention_chart(stats: StudyStats) -> Text:
    weeks = stats.retention_per_week
    chart = column_chart(
        [share if enough(n) else None for _week, share, n in weeks], height=CHART_HEIGHT,
        low=RETENTION_FLOOR,
        high=1.0, top_label="100%", bottom_label=f"{RETENTION_FLOOR:.0%}",
        first_label=weeks[0][0] if weeks else "", last_label="本周" if weeks else "",
        column_width=1, gap=1, style="green",
    )
    # the latest week with enough reviews, else the latest with any (shown as "—" with its n)
    latest = next((week for week in reversed(weeks) if enough(week[2])), None) or next(
        (week for week in reversed(weeks) if week[2]), None)
    shown = _rate(latest[1], latest[2]) if latest else "—"
    return _titled(f"每周记住率 retention · 最近 {shown}", chart)


def states_chart(stats: StudyStats, width: int = 14) -> Text:
    largest = max(stats.cards_by_state.values(), default=0)
    text = Text("卡片状态 cards by state\n", style="bold")
    for name, count in stats.cards_by_state.items():
        label = STATE_LABELS.get(name, name)
        text.append(label + " " * max(LABEL_CELLS - cell_len(label), 1),
                    style=STATE_STYLES.get(name, ""))
        text.append(f"{count:>4} ")
        text.append(bar(count, largest, width), style=STATE_STYLES.get(name, ""))
        text.append("\n")
    return text


def decks_table(stats: StudyStats, width: int = 20) -> Table:
    table = Table(title="各主题正确率 accuracy per topic", title_justify="left", box=None,
                  title_style="bold", padding=(0, 1), expand=False)
    table.add_column("主题 topic", no_wrap=True, max_width=22)
    table.add_column("复习", justify="right")
    table.add_column("正确率", justify="right")
    table.add_column("", no_wrap=True, width=width)
    for deck in stats.decks:
        # the sample size is the 复习 column: a rate from fewer reviews is left out
        accuracy = deck.accuracy if enough(deck.reviews) else None
        table.add_row(Text(safe_text(deck.deck)), str(deck.reviews), _percent(accuracy),
                      Text(bar(accuracy or 0, 1.0, width), style="green"))
    if not stats.decks:
        table.add_row(Text("还没有复习记录 no reviews yet", style="dim"), "", "", "")
    return table


class StatsScreen(QuizScreen[None]):
    DEFAULT_CSS = """
    StatsScreen #stats-scroll {
        padding: 0 1;
    }
    StatsScreen #stats-summary {
        margin-bottom: 1;
    }
    StatsScreen .stats-pair {
        height: auto;
        margin-bottom: 1;
    }
    StatsScreen .stats-pair > Static {
        width: 1fr;
        height: auto;
    }
    """

    BINDINGS = [
        Binding("r", "refresh_stats", "刷新 Refresh"),
        Binding("m", "mistakes", "错因 Mistakes"),
        Binding("escape", "app.pop_screen", "返回 Back"),
    ]

    def action_mistakes(self) -> None:
        from quiz.tui.screens.mistakes import MistakesScreen

        self.app.push_screen(MistakesScreen(self.context))

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context
        self.stats: StudyStats | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats-scroll"):
            yield Static(Text("统计中… loading"), id="stats-summary")
            with Horizontal(classes="stats-pair"):
                yield Static(id="chart-reviews")
                yield Static(id="chart-forecast")
            with Horizontal(classes="stats-pair"):
                yield Static(id="chart-retention")
                yield Static(id="chart-states")
            yield Static(id="stats-decks")
        yield QuizFooter()

    def on_mount(self) -> None:
        self.sub_title = "统计 Stats"
        self.query_one("#stats-scroll").focus()
        self.load_stats()

    def action_refresh_stats(self) -> None:
        self.load_stats()

    @work(thread=True, exclusive=True, group="stats")
    def load_stats(self) -> None:
        try:
            stats = study_stats(self.context.db, self.context.clock(), self.context.settings)
        except Exception as error:  # a locked or vanished database must not end the app
            self.post_message(StatsFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(StatsLoaded(stats))

    @on(StatsFailed)
    def show_failure(self, message: StatsFailed) -> None:
        self.query_one("#stats-summary", Static).update(
            Text(safe_text(f"统计失败 could not load statistics: {message.error}"),
                 style="bold red"))

    @on(StatsLoaded)
    def show_stats(self, message: StatsLoaded) -> None:
        stats = self.stats = message.stats
        self.query_one("#stats-summary", Static).update(summary(stats))
        self.query_one("#chart-reviews", Static).update(reviews_chart(stats))
        self.query_one("#chart-forecast", Static).update(forecast_chart(stats))
        self.query_one("#chart-retention", Static).update(retention_chart(stats))
        self.query_one("#chart-states", Static).update(states_chart(stats))
        self.query_one("#stats-decks", Static).update(decks_table(stats))
