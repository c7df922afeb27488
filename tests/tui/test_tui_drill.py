"""Custom study "drill my mistakes" in the TUI: numeric cards for the misconceptions the learner
logged most, each dealt with an instance where that mistake gives another answer than the right
one; the mistaken answer is named as that mistake, and the drill leaves the schedule alone."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from textual.widgets import Static
from textual.worker import WorkerFailed

from quiz.bank.parser import load_bank
from quiz.numeric import instantiate, load_templates, solve
from quiz.numeric.feedback import format_value
from quiz.paths import bundled_bank_dir
from quiz.store.actions import apply_review
from quiz.store.counts import Mode
from quiz.store.db import open_database
from quiz.store.log import history
from quiz.store.queue import get_item
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import sync_bank
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.custom_study import NO_MISTAKES, CustomStudyScreen
from quiz.tui.screens.study import StudyScreen
from tests.conftest import FIXED_NOW

MADE = {"ignore-padding": 3, "ignore-dilation": 1}  # the learner's logged mistakes


@pytest.fixture
def output_bank(tmp_path: Path) -> Path:
    directory = tmp_path / "bank"
    directory.mkdir()
    shutil.copy(bundled_bank_dir() / "numeric-output-size.md", directory)
    return directory


def _app(db_url: str, bank: Path) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False)


def _log_mistakes(db_url: str, bank: Path) -> None:
    """Wrong answers named as MADE's mistakes, logged as the TUI logs them."""
    db = open_database(db_url)
    try:
        sync_bank(db, load_bank(bank), "bank", FIXED_NOW)
        scheduler = make_scheduler(fuzz=False)
        for mistake, times in MADE.items():
            for _ in range(times):
                apply_review(db, scheduler, "num-conv-out-dilation", Grade.AGAIN, FIXED_NOW,
                             seed=1, answer_text="1", verdict=f"wrong:{mistake}")
    finally:
        db.close()


async def _settle(pilot) -> None:
    for _ in range(4):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_drill_deals_instances_that_show_the_mistakes_and_names_them(
        db_url: str, output_bank: Path) -> None:
    _log_mistakes(db_url, output_bank)
    templates = load_templates(load_bank(output_bank))
    app = _app(db_url, output_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        before = len(history(app.context.db))
        await pilot.press("c")
        await _settle(pilot)
        assert isinstance(app.screen, CustomStudyScreen)
        await pilot.press("5")  # the input opens with 10
        await pilot.press("backspace", "backspace", "4", "enter")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.scope.mode is Mode.DRILL
        drill = screen.scope.drill
        assert 1 <= len(drill) <= 4
        assert len({card.question_id for card in drill}) == len(drill)  # one instance a card
        assert {card.mistake_id for card in drill} <= set(MADE)

        for _ in drill:
            await _settle(pilot)
            item, instance = screen.item, screen.instance
            assert item is not None and instance is not None
            drilled = screen.scope.drill_card(item.id)
            assert drilled is not None and instance.seed == drilled.seed
            meta = str(screen.query_one("#card-meta", Static).render())
            assert "练错题 drill" in meta
            # The mistake shows on this instance: recomputed here from the template and seed.
            solution = solve(instantiate(templates[item.id], drilled.seed), eager=True)
            (mistaken,) = [a.value for a in solution.alternatives
                           if a.recipe.id == drilled.mistake_id][:1]
            assert mistaken != solution.expected
            await pilot.press(*format_value(mistaken).replace("×", "x"), "enter")
            await _settle(pilot)
            assert screen.verdict is not None
            assert screen.verdict.mistake_id == drilled.mistake_id
            await pilot.press("enter")  # accept the suggested grade
            await _settle(pilot)
        assert screen.finished

    logged = history(app.context.db)[before:]
    assert [entry.kind for entry in logged] == ["cram"] * len(drill)
    assert {entry.verdict for entry in logged} == {f"wrong:{c.mistake_id}" for c in drill}
    for card in drill:  # the schedule is untouched
        item = get_item(app.context.db, card.question_id)
        assert item is not None
        assert item.card.is_new or card.question_id == "num-conv-out-dilation"


async def test_drill_without_logged_mistakes_says_so(db_url: str, output_bank: Path) -> None:
    app = _app(db_url, output_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("c")
        await _settle(pilot)
        await pilot.press("5", "enter")
        await _settle(pilot)
        assert isinstance(app.screen, CustomStudyScreen)
        assert "no named mistakes" in str(app.screen.query_one("#custom-error", Static).render())
        assert NO_MISTAKES.startswith("还没有记下的错误")
