"""Anki's feel in the study screen: space / Enter rate Good after a reveal, `?` gives up at
once, intervals strictly increase, undo takes back any study action in order, and the
counters count what is left of the session with the card on screen."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from fsrs import Rating
from rich.console import Console
from textual.widgets import Input
from textual.worker import WorkerFailed

from quiz.paths import bundled_bank_dir
from quiz.store import scheduling
from quiz.store.log import history
from quiz.store.models import CardRow
from quiz.store.scheduling import CardState, Grade, make_scheduler, preview_intervals, review
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.study import StudyScreen
from quiz.tui.widgets.numeric_panel import NumericPanel
from quiz.tui.widgets.rating_bar import RatingBar
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


# 2. Intervals strictly increase ------------------------------------------------------------

def _make_young_review(app: QuizApp, question_id: str, stability: float = 0.05,
                       difficulty: float = 10.0) -> None:
    """A review card whose FSRS intervals round to Hard 1d │ Good 1d │ Easy 1d, due now."""
    with app.context.db.write() as session:
        card = session.get(CardRow, (app.context.db.learner_id, question_id))
        assert card is not None
        card.state, card.step = 2, None
        card.stability, card.difficulty = stability, difficulty
        card.last_review = FIXED_NOW - timedelta(days=1)
        card.due = FIXED_NOW - timedelta(hours=1)


def test_fsrs_alone_would_tie_the_buttons() -> None:
    """The case the rule exists for: raw FSRS gives equal day intervals for this card."""
    scheduler = make_scheduler(fuzz=False)
    card = CardState(2, None, 0.05, 10.0, FIXED_NOW, FIXED_NOW - timedelta(days=1))
    raw = [scheduler.review_card(scheduling._to_fsrs(card), Rating(int(grade)), FIXED_NOW)[0]
           .due - FIXED_NOW for grade in (Grade.HARD, Grade.GOOD, Grade.EASY)]
    assert raw[0] == raw[1] == raw[2] == timedelta(days=1)
    shown = preview_intervals(scheduler, card, FIXED_NOW)
    assert shown[Grade.HARD] == timedelta(days=1)
    assert shown[Grade.GOOD] == timedelta(days=2) and shown[Grade.EASY] == timedelta(days=3)
    for grade in Grade:  # what is saved is what is shown
        assert review(scheduler, card, grade, FIXED_NOW).due - FIXED_NOW == shown[grade]


@pytest.mark.parametrize("stability", [0.05, 0.5, 3.0, 40.0])
@pytest.mark.parametrize("difficulty", [1.0, 5.0, 10.0])
@pytest.mark.parametrize("elapsed_days", [0, 1, 7, 90])
def test_day_intervals_strictly_increase(stability: float, difficulty: float,
                                         elapsed_days: int) -> None:
    scheduler = make_scheduler(fuzz=False)
    card = CardState(2, None, stability, difficulty, FIXED_NOW,
                     FIXED_NOW - timedelta(days=elapsed_days))
    shown = preview_intervals(scheduler, card, FIXED_NOW)
    days = [shown[grade] for grade in Grade if shown[grade] >= timedelta(days=1)]
    assert all(later - earlier >= timedelta(days=1) for earlier, later in pairwise(days))
    assert shown[Grade.AGAIN] < shown[Grade.HARD] < shown[Grade.GOOD] < shown[Grade.EASY]


async def test_rating_bar_shows_increasing_intervals_and_saves_them(db_url: str,
                                                                   bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(100, 24)) as pilot:
        await _settle(pilot)
        _make_young_review(app, "pool-role")
        screen = await _study(pilot)
        assert screen.item is not None and screen.item.id == "pool-role"
        await pilot.press("space")
        await pilot.pause()
        bar = _text(screen.query_one(RatingBar))
        shown = dict(re.findall(r"(Again|Hard|Good|Easy) (\d+[mhd])", bar))
        assert shown == {"Again": "10m", "Hard": "1d", "Good": "2d", "Easy": "3d"}, bar
        await pilot.press("4")
        await _settle(pilot)
        (entry,) = history(app.context.db)
        assert entry.rating == int(Grade.EASY)
        assert entry.due_after == FIXED_NOW + timedelta(days=3)


# 3. Undo any study action, in order --------------------------------------------------------

def _card(app: QuizApp, question_id: str) -> CardRow:
    with app.context.db.write() as session:
        card = session.get(CardRow, (app.context.db.learner_id, question_id))
        assert card is not None
        session.expunge(card)
        return card


async def test_undo_takes_back_bury_flag_and_rating_in_order(db_url: str,
                                                             bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await _study(pilot)
        first = screen.item.id  # type: ignore[union-attr]
        await pilot.press("space", "3")  # rate the first card Good
        await _settle(pilot)
        second = screen.item.id  # type: ignore[union-attr]
        assert second != first
        await pilot.press("f")  # flag the second card, then bury it
        await _settle(pilot)
        await pilot.press("minus")
        await _settle(pilot)
        assert screen.item is not None and screen.item.id not in (first, second)
        assert _card(app, second).flagged and _card(app, second).buried_until is not None

        await pilot.press("u")  # the bury: the second card is back, still flagged
        await _settle(pilot)
        assert screen.item is not None and screen.item.id == second
        assert _card(app, second).buried_until is None and _card(app, second).flagged
        assert "⚑" in _text(screen.query_one("#card-meta"))

        await pilot.press("ctrl+z")  # the flag
        await _settle(pilot)
        assert screen.item is not None and screen.item.id == second
        assert not _card(app, second).flagged
        assert "⚑" not in _text(screen.query_one("#card-meta"))

        await pilot.press("u")  # the rating
        await _settle(pilot)
        assert screen.item is not None and screen.item.id == first and not screen.revealed
        assert history(app.context.db) == [] and _card(app, first).last_review is None
        assert not screen.check_action("undo", ())


async def test_undo_a_suspend_brings_the_card_back(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot)
        first = screen.item.id  # type: ignore[union-attr]
        await pilot.press("exclamation_mark")
        await _settle(pilot)
        assert _card(app, first).suspended and screen.item.id != first  # type: ignore[union-attr]
        await pilot.press("u")
        await _settle(pilot)
        assert not _card(app, first).suspended
        assert screen.item is not None and screen.item.id == first


@pytest.mark.parametrize(("keys", "undo"),
                         [(("9", "enter", "1"), "u"), (("9", "enter", "minus"), "ctrl+z")],
                         ids=["rating-u", "bury-ctrl+z"])
async def test_undo_deals_the_same_numeric_instance_with_an_empty_input(
        db_url: str, numeric_bank: Path, keys: tuple[str, ...], undo: str) -> None:
    """The next card is numeric too, its empty answer focused: `u` and ctrl+z still undo."""
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _start_numeric(pilot)
        assert screen.item is not None and screen.instance is not None
        first, seed, prompt = screen.item.id, screen.instance.seed, screen.instance.prompt
        for key in keys:
            await pilot.press(key)
            await _settle(pilot)
        assert screen.item is not None and screen.item.id != first
        await pilot.press(undo)
        await _settle(pilot)
        assert screen.item is not None and screen.item.id == first
        assert screen.instance is not None and screen.instance.seed == seed
        assert screen.instance.prompt == prompt
        answer = screen.query_one(NumericPanel).query_one(Input)
        assert answer.value == "" and not answer.disabled and not screen.revealed
        await pilot.press("question_mark")  # the same numbers can be answered again
        await _settle(pilot)
        assert screen.revealed and screen.gave_up


# 4. Counters as in Anki --------------------------------------------------------------------

def _counters(screen: StudyScreen) -> tuple[list[int], tuple[int, int]]:
    """new · learning · review, and the progress bar's done/total."""
    line = _text(screen.query_one("#queue-line"))
    match = re.search(r"(\d+) · (\d+) · (\d+)\s.*?(\d+)/(\d+)", line)
    assert match is not None, line
    new, learning, review_left, done, total = (int(group) for group in match.groups())
    return [new, learning, review_left], (done, total)


async def test_learning_cards_still_to_come_are_counted(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await _study(pilot)
        assert _counters(screen) == ([3, 0, 0], (0, 3))
        first = screen.item.id  # type: ignore[union-attr]
        await pilot.press("space", "3")  # Good: learning again in 10 minutes, this session
        await _settle(pilot)
        assert _counters(screen) == ([2, 1, 0], (1, 4))
        await pilot.press("space", "3", "space", "3")
        await _settle(pilot)
        # Only learning cards are left, the first one on screen before it is due: counted.
        assert screen.item is not None and screen.item.id == first
        assert screen.item.card.due > FIXED_NOW
        assert _counters(screen) == ([0, 3, 0], (3, 6))
        assert "学习 learning" in _text(screen.query_one("#card-meta"))
        assert "复习" not in _text(screen.query_one("#card-meta"))


async def test_a_lapsed_card_is_labelled_relearning(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(100, 24)) as pilot:
        await _settle(pilot)
        _make_young_review(app, "pool-role")
        screen = await _study(pilot)
        assert screen.item is not None and screen.item.id == "pool-role"
        assert "复习 review" in _text(screen.query_one("#card-meta"))
        assert _counters(screen) == ([2, 0, 1], (0, 3))
        await pilot.press("space", "1")  # Again: relearning in 10 minutes
        await _settle(pilot)
        assert _counters(screen) == ([2, 1, 0], (1, 4))
        await pilot.press("space", "4", "space", "4")  # Easy: the new cards leave for days
        await _settle(pilot)
        assert screen.item is not None and screen.item.id == "pool-role"
        assert "重学 relearning" in _text(screen.query_one("#card-meta"))
        assert _counters(screen) == ([0, 1, 0], (3, 4))
        await pilot.press("space", "3")
        await _settle(pilot)
        assert screen.finished and _counters(screen) == ([0, 0, 0], (4, 4))


def test_fuzzed_intervals_shown_are_the_ones_saved() -> None:
    """With fuzz on (the app's default) the bar and the rating agree, and fuzz still spreads."""
    fuzzy, plain = make_scheduler(fuzz=True), make_scheduler(fuzz=False)
    moved = 0
    for number in range(40):
        card = CardState(2, None, 2.0 + number * 2.5, 5.0, FIXED_NOW,
                         FIXED_NOW - timedelta(days=1 + number))
        shown = preview_intervals(fuzzy, card, FIXED_NOW)
        assert shown == preview_intervals(fuzzy, card, FIXED_NOW)
        for grade in Grade:
            assert review(fuzzy, card, grade, FIXED_NOW).due - FIXED_NOW == shown[grade]
        unfuzzed = preview_intervals(plain, card, FIXED_NOW)
        for grade in (Grade.HARD, Grade.GOOD, Grade.EASY):
            limit = timedelta(days=1) + unfuzzed[grade] * 0.15 + timedelta(days=1)
            assert abs(shown[grade] - unfuzzed[grade]) <= limit
        moved += shown != unfuzzed
        assert shown[Grade.HARD] < shown[Grade.GOOD] < shown[Grade.EASY]
    assert moved > 10  # fuzz is applied, not switched off
