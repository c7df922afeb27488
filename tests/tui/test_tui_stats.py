"""The stats screen and its charts."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from quiz.store.actions import apply_review, set_suspended, undo_review
from quiz.store.scheduling import Grade
from quiz.store.stats import MIN_SAMPLE, DeckAccuracy, StudyStats
from quiz.tui.app import QuizApp
from quiz.tui.screens import stats as stats_screen
from quiz.tui.screens.stats import StatsScreen
from quiz.tui.widgets.charts import bar, column_chart, nice_ceiling
from tests.conftest import FIXED_NOW
from tests.tui.test_tui_browse import settle, settle_screen, synced_app


def _plain(widget: Static) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def _history(app: QuizApp) -> None:
    """Five counted reviews on three days in a row (today, -1, -2), two of them of cards in
    review: one recalled, one forgotten."""
    db, scheduler = app.context.db, app.context.scheduler
    apply_review(db, scheduler, "conv-1x1", Grade.EASY, FIXED_NOW - timedelta(days=20))
    apply_review(db, scheduler, "rf-basics", Grade.EASY, FIXED_NOW - timedelta(days=20))
    apply_review(db, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW - timedelta(days=2))
    apply_review(db, scheduler, "rf-basics", Grade.AGAIN, FIXED_NOW - timedelta(days=1))
    apply_review(db, scheduler, "pool-role", Grade.GOOD, FIXED_NOW - timedelta(minutes=5))


async def _open(pilot) -> StatsScreen:
    await pilot.app.push_screen(StatsScreen(pilot.app.context))
    await settle(pilot)
    assert isinstance(pilot.app.screen, StatsScreen)
    return pilot.app.screen


async def test_stats_show_the_learners_numbers(db_url: str, bank_dir: Path) -> None:
    app = synced_app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        _history(app)
        set_suspended(app.context.db, "pool-role", True)
        screen = await _open(pilot)
        summary = _plain(screen.query_one("#stats-summary", Static))
        assert "复习 reviews 5" in summary
        # 1 of the 2 reviews of review cards recalled: too few for a rate, the sample is shown
        assert "记住率 retention —（n=2）" in summary
        assert "连续 streak 3" in summary
        states = _plain(screen.query_one("#chart-states", Static)).splitlines()
        suspended = next(line for line in states if "暂停" in line)
        assert suspended.split()[2] == "1"
        new = next(line for line in states if "新卡" in line)
        assert new.split()[2] == "0"
        decks = _plain(screen.query_one("#stats-decks", Static))
        lines = {line.split()[0]: line.split()[1:] for line in decks.splitlines()
                 if line.strip() and line.split()[0] in ("卷积变种", "感受野", "池化")}
        assert lines["卷积变种"][:2] == ["2", "—"]  # 2 reviews: no rate
        assert lines["感受野"][:2] == ["2", "—"]
        assert lines["池化"][:2] == ["1", "—"]
        reviews = _plain(screen.query_one("#chart-reviews", Static)).splitlines()
        plot = [line.split("┤" if "┤" in line else "│", 1)[1] for line in reviews[1:6]]

        def drawn(row: str) -> set[int]:
            return {index for index, char in enumerate(row) if char.strip()}

        # 30 days, today last: 2 reviews 20 days ago (the top of the axis), 1 on each of the
        # last three days (half as tall).
        assert drawn(plot[-1]) == {9, 27, 28, 29}
        assert drawn(plot[0]) == {9}


async def test_refresh_picks_up_new_reviews(db_url: str, bank_dir: Path) -> None:
    app = synced_app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert "复习 reviews 0" in _plain(screen.query_one("#stats-summary", Static))
        _history(app)
        await pilot.press("r")
        await settle(pilot)
        assert "复习 reviews 5" in _plain(screen.query_one("#stats-summary", Static))


async def test_an_undone_rating_does_not_count(db_url: str, bank_dir: Path) -> None:
    app = synced_app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        db, scheduler = app.context.db, app.context.scheduler
        apply_review(db, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW - timedelta(minutes=9))
        taken_back = apply_review(db, scheduler, "rf-basics", Grade.AGAIN,
                                  FIXED_NOW - timedelta(minutes=8))
        undo_review(db, taken_back.review_id, FIXED_NOW - timedelta(minutes=7))
        screen = await _open(pilot)
        assert "复习 reviews 1" in _plain(screen.query_one("#stats-summary", Static))
        decks = _plain(screen.query_one("#stats-decks", Static))
        assert "卷积变种" in decks and "感受野" not in decks
        states = _plain(screen.query_one("#chart-states", Static)).splitlines()
        new = next(line for line in states if "新卡" in line)
        assert new.split()[2] == "2"  # rf-basics is new again


async def test_a_failing_query_is_reported_and_the_app_keeps_running(
    db_url: str, bank_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(stats_screen, "study_stats", broken)
    app = synced_app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert "database is locked" in _plain(screen.query_one("#stats-summary", Static))
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, StatsScreen)


def _stats(graded: int, weeks: list[tuple[str, float | None, int]],
           decks: list[DeckAccuracy]) -> StudyStats:
    return StudyStats(reviews_per_day=[], forecast=[], retention_per_week=weeks,
                      cards_by_state={}, decks=decks, streak=0, total_reviews=50,
                      true_retention=0.0 if graded < MIN_SAMPLE else 0.9, graded_reviews=graded)


def test_a_rate_from_too_few_reviews_is_left_out_and_every_rate_shows_its_sample() -> None:
    few, enough = MIN_SAMPLE - 1, MIN_SAMPLE
    assert f"记住率 retention —（n={few}）" in stats_screen.summary(_stats(few, [], [])).plain
    assert f"记住率 retention 90%（n={enough}）" in stats_screen.summary(
        _stats(enough, [], [])).plain
    weeks = [("11-01", 0.8, 20), ("11-08", 0.0, 1)]  # the latest week: one forgotten card
    chart = stats_screen.retention_chart(_stats(enough, weeks, [])).plain.split("\n")
    assert "最近 80%（n=20）" in chart[0]  # not "0%" from the one review
    plot = [row.split("┤" if "┤" in row else "│", 1)[1] for row in chart[1:-1]]
    assert plot[-1][0] == "█" and plot[-1][2] == "·"  # the thin week is drawn as no data
    only_thin = stats_screen.retention_chart(_stats(enough, [("11-08", 0.0, 3)], [])).plain
    assert "最近 —（n=3）" in only_thin
    table = stats_screen.decks_table(_stats(enough, [], [
        DeckAccuracy("卷积", enough, enough - 1), DeckAccuracy("池化", few, 0)]))
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(table)
    rows = {line.split()[0]: line.split()[1:3] for line in console.export_text().splitlines()
            if line.split() and line.split()[0] in ("卷积", "池化")}
    assert rows == {"卷积": [str(enough), "90%"], "池化": [str(few), "—"]}


def test_column_chart_levels_axis_and_missing_data() -> None:
    chart = column_chart([0, 4, 8, None], height=2, low=0, high=8, top_label="8",
                         bottom_label="0", first_label="a", last_label="b")
    rows = chart.plain.split("\n")
    # 8 of 8 fills both rows; 4 fills the lower row (8 eighths of 16); 0 is empty; None is a dot.
    assert rows[0] == "8┤  █ "
    assert rows[1] == "0┤ ██·"
    assert rows[2] == "  a  b"  # first and last labels under the first and last columns


def test_a_small_value_is_never_drawn_as_nothing() -> None:
    rows = column_chart([1, 1000], height=3, low=0, high=1000, top_label="1000",
                        bottom_label="0").plain.split("\n")
    assert rows[2].split("┤")[1][0] == "▁"


def test_bar_and_axis_top() -> None:
    assert bar(10, 10, 4) == "████"
    assert bar(5, 10, 4) == "██"
    assert bar(1, 80, 4) == "▁"  # under one eighth: still visible
    assert bar(0, 10, 4) == ""
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 43, 180)] == [1, 1, 5, 10, 10, 20, 50,
                                                                        200]


@pytest.fixture
def utc_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Day labels are local dates: fix the zone so the snapshot is the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_stats_snapshot(snap_compare, db_url: str, bank_dir: Path, utc_zone: None) -> None:
    app = synced_app(db_url, bank_dir)

    async def run_before(pilot) -> None:
        _history(app)
        await _open(pilot)
        await settle_screen(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_mistakes_screen_snapshot(snap_compare, db_url: str, bank_dir: Path,
                                  utc_zone: None) -> None:
    """`m` on stats opens the learner's mistakes: two misconceptions over two weeks."""
    app = synced_app(db_url, bank_dir)

    async def run_before(pilot) -> None:
        db, scheduler = app.context.db, app.context.scheduler
        for days, verdict in ((9, "wrong:no-plus-one"), (2, "wrong:no-plus-one"),
                              (1, "wrong:ignore-padding")):
            apply_review(db, scheduler, "conv-1x1", Grade.AGAIN,
                         FIXED_NOW - timedelta(days=days), verdict=verdict)
        await _open(pilot)
        await pilot.press("m")
        await settle_screen(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
