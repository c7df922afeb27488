"""Anki's feel in the study screen: space / Enter rate Good after a reveal, `?` gives up at
once, intervals strictly increase, undo takes back any study action in order, and the
counters count what is left of the session with the card on screen."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input
from textual.worker import WorkerFailed

from quiz.paths import bundled_bank_dir
from quiz.store.log import history
from quiz.store.scheduling import Grade
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.study import StudyScreen
from quiz.tui.widgets.numeric_panel import NumericPanel
from tests.conftest import FIXED_NOW


@pytest.fixture
def numeric_bank(tmp_path: Path) -> Path:
    directory = tmp_path / "numeric-bank"
    directory.mkdir()
    shutil.copy(bundled_bank_dir() / "numeric-params.md", directory)
    return directory


def _app(db_url: str, bank: Path) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False)


def _text(widget) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def _settle(pilot) -> None:
    for _ in range(3):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _study(pilot) -> StudyScreen:
    await _settle(pilot)
    await pilot.press("s")
    await _settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudyScreen)
    return screen


def _ratings(app: QuizApp) -> list[tuple[str, int]]:
    return [(entry.question_id, entry.rating) for entry in history(app.context.db)]


# 1. Space / Enter after a reveal; `?` in an empty numeric answer ----------------------------

@pytest.mark.parametrize("key", ["space", "enter"])
async def test_space_or_enter_after_reveal_rates_good(db_url: str, bank_dir: Path,
                                                      key: str) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot)
        first = screen.item
        assert first is not None and first.kind != "numeric"
        await pilot.press(key)  # before the reveal: space reveals, Enter does nothing
        await _settle(pilot)
        assert _ratings(app) == []
        assert screen.revealed is (key == "space")
        if key == "enter":
            await pilot.press("space")
            await pilot.pause()
        await pilot.press(key)
        await _settle(pilot)
        assert _ratings(app) == [(first.id, int(Grade.GOOD))]
        assert screen.item is not None and screen.item.id != first.id and not screen.revealed


async def _start_numeric(pilot) -> StudyScreen:
    screen = await _study(pilot)
    assert screen.instance is not None
    return screen


async def test_question_mark_in_an_empty_answer_gives_up_at_once(db_url: str,
                                                                 numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start_numeric(pilot)
        answer = screen.query_one(NumericPanel).query_one(Input)
        await pilot.press("question_mark")  # no Enter
        await _settle(pilot)
        assert screen.revealed and screen.gave_up and answer.value == ""
        assert screen.verdict is not None and screen.verdict.suggested_rating == int(Grade.AGAIN)
        await pilot.press("space")  # accepts the suggested grade
        await _settle(pilot)
        assert [entry.verdict for entry in history(app.context.db)] == ["gave_up"]
        assert _ratings(app)[0][1] == int(Grade.AGAIN)


async def test_question_mark_after_text_is_typed(db_url: str, numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start_numeric(pilot)
        answer = screen.query_one(NumericPanel).query_one(Input)
        await pilot.press("1", "question_mark")
        await _settle(pilot)
        assert answer.value == "1?" and not screen.revealed


async def test_enter_after_a_numeric_verdict_accepts_the_suggestion(
        db_url: str, numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start_numeric(pilot)
        await pilot.press("9", "enter")
        await _settle(pilot)
        assert screen.revealed and screen.verdict is not None
        suggested = screen.verdict.suggested_rating
        await pilot.press("space")
        await _settle(pilot)
        assert [rating for _, rating in _ratings(app)] == [suggested]
