"""A numeric card in the TUI: fresh instance, typed answer, verdict, review logged with its seed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quiz.bank.parser import load_bank
from quiz.numeric import Status, instantiate, load_templates, solve
from quiz.paths import bundled_bank_dir
from quiz.store.log import history
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


async def _start(pilot) -> StudyScreen:
    await pilot.press("s")
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, StudyScreen) and screen.instance is not None
    return screen


def _expected_text(screen: StudyScreen, bank: Path) -> str:
    """The right answer, recomputed outside the app from the same template and seed."""
    assert screen.item is not None and screen.instance is not None
    template = load_templates(load_bank(bank))[screen.item.id]
    return str(solve(instantiate(template, screen.instance.seed)).expected)


async def test_right_answer_is_graded_and_logged(db_url: str, numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start(pilot)
        panel = screen.query_one(NumericPanel)
        assert panel.display and screen.instance.prompt
        answer = _expected_text(screen, numeric_bank)
        await pilot.press(*answer, "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.verdict is not None and screen.verdict.status is Status.RIGHT
        seed = screen.instance.seed
        await pilot.press("enter")  # accept the suggested grade
        await app.workers.wait_for_complete()
        await pilot.pause()
        (entry,) = history(app.context.db)
        assert entry.seed == seed and entry.answer_text == answer and entry.verdict == "right"
        assert entry.rating in (3, 4)


async def test_unparseable_answer_is_not_graded(db_url: str, numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start(pilot)
        await pilot.press(*"abc", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.verdict is None and not screen.revealed
        await pilot.press("3")  # goes into the input, not to the rating
        assert history(app.context.db) == []


async def test_wrong_answer_suggests_again(db_url: str, numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start(pilot)
        wrong = str(int(float(_expected_text(screen, numeric_bank))) * 2 + 1)
        await pilot.press(*wrong, "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.verdict is not None and screen.verdict.status is Status.WRONG
        assert screen.verdict.suggested_rating == 1
        await pilot.press("3")  # Good after a wrong answer: the first press asks again
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert history(app.context.db) == []
        await pilot.press("3")  # the learner overrides the suggestion
        await app.workers.wait_for_complete()
        await pilot.pause()
        (entry,) = history(app.context.db)
        assert entry.rating == 3 and entry.verdict == "wrong" and entry.answer_text == wrong


async def test_empty_enter_gives_up_and_shows_the_solution(db_url: str,
                                                           numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start(pilot)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.revealed and screen.gave_up
        assert screen.verdict is not None and screen.verdict.suggested_rating == 1
        assert screen.verdict.worked
        await pilot.press("enter")  # accept Again
        await app.workers.wait_for_complete()
        await pilot.pause()
        (entry,) = history(app.context.db)
        assert entry.rating == 1 and entry.verdict == "gave_up"


async def test_question_mark_gives_up_too(db_url: str, numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start(pilot)
        await pilot.press("question_mark")  # gives up at once, no Enter needed
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.revealed and screen.gave_up
