from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Input, Markdown

from quiz.store.scheduling import Grade
from quiz.store.service import history
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.browse import BrowseScreen
from quiz.tui.screens.home import HomeScreen
from quiz.tui.screens.study import StudyScreen
from quiz.tui.widgets.counts_panel import CountsPanel
from quiz.tui.widgets.rating_bar import RatingBar
from tests.conftest import FIXED_NOW


def _app(db_url: str, bank_dir: Path) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False)


def _text(widget) -> str:
    """What a Static shows, as plain text (tables and styled text included)."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def test_home_shows_counts(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        panel = _text(app.screen.query_one(CountsPanel))
        assert "到期 due" in panel


async def test_study_reveal_rate_writes_review(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StudyScreen)
        assert screen.item is not None and screen.item.id == "conv-1x1"  # bank order
        rating = screen.query_one(RatingBar)
        assert not rating.display and not screen.revealed
        await pilot.press("3")  # rating before reveal does nothing
        await app.workers.wait_for_complete()
        assert history(app.context.db) == []
        await pilot.press("space")
        await pilot.pause()
        assert screen.revealed and rating.display
        answer = screen.query_one("#answer", Markdown)
        assert answer.display
        bar = _text(rating)
        assert "Again 1m" in bar and "Good 10m" in bar  # FSRS learning steps of a new card
        await pilot.press("3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        entries = history(app.context.db)
        assert [(e.question_id, e.rating) for e in entries] == [("conv-1x1", int(Grade.GOOD))]
        assert entries[0].due_after == FIXED_NOW + timedelta(minutes=10)
        assert screen.item is not None and screen.item.id == "rf-basics"  # moved on
        assert not screen.revealed


async def test_study_session_ends_when_nothing_is_left(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("space", "4")  # Easy: out of today's queue
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.item is None
        assert "学完" in _text(screen.query_one("#study-hint"))
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert len(history(app.context.db)) == 3


async def test_search_filters_and_opens_a_question(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
        assert app.screen.query_one(Input).has_focus
        await pilot.press(*"感受野怎么")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        await pilot.press("enter")  # to the results
        await pilot.press("enter")  # open the row
        await pilot.pause()
        body = app.screen.query_one("#detail-body", Markdown)
        assert "感受野怎么算" in body.source


async def test_q_quits(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_stats_count_reviews_and_recall(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        for grade in ("1", "3"):
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("space", grade)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = _text(app.screen.query_one("#stats-body"))
        assert "复习总数 reviews 2" in shown and "记住率 recall 50%" in shown
        assert "卷积变种" in shown and "感受野" in shown
