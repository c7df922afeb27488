"""The TUI studies as one learner: the header names them, `L` on home lists the learners and
switches to one (or makes a new one from a typed name), and home then counts that learner's cards;
`quiz --learner NAME` through the real entry point opens as that learner."""

from __future__ import annotations

import contextlib
import subprocess
from datetime import timedelta
from pathlib import Path

from textual.widgets import DataTable, Input
from textual.worker import WorkerFailed

from quiz.store.actions import apply_review
from quiz.store.db import open_database
from quiz.store.learners import add_learner, find_learner, resolve_learner
from quiz.store.scheduling import Grade, make_scheduler
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.home import HomeScreen
from quiz.tui.screens.learners import LearnersScreen
from tests.conftest import FIXED_NOW, quiz_command


def _app(db_url: str, bank_dir: Path, learner: str | None = None) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False, learner=learner)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _done_today(screen: HomeScreen) -> str:
    table = screen.query_one(DataTable)
    return str(table.get_row_at(0)[5])  # the "every deck" row's done-today cell


async def test_the_header_names_the_learner_and_l_switches(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir, learner="alice")
    db = open_database(db_url)
    try:
        alice = resolve_learner(db, "alice", FIXED_NOW)
        apply_review(alice, make_scheduler(fuzz=False), "conv-1x1", Grade.GOOD, FIXED_NOW)
        add_learner(db, "bob", FIXED_NOW, "Bob Li")
    finally:
        db.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        assert app.title.endswith("alice")
        assert isinstance(app.screen, HomeScreen)
        assert _done_today(app.screen) == "1"
        await pilot.press("L")
        await _settle(pilot)
        assert isinstance(app.screen, LearnersScreen)
        table = app.screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == \
            ["default", "alice", "Bob Li (bob)"]
        await pilot.press("down", "down", "enter")  # bob
        await _settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.context.db.learner_name == "bob" and app.title.endswith("bob")
        assert _done_today(app.screen) == "0"
        await pilot.press("L")
        await _settle(pilot)
        app.screen.query_one(Input).focus()
        await pilot.press(*"carol", "enter")
        await _settle(pilot)
        assert app.context.db.learner_name == "carol"
    db = open_database(db_url)
    try:
        assert find_learner(db, "carol") is not None
    finally:
        db.close()


def test_quiz_learner_on_the_command_line(db_url: str, bank_dir: Path) -> None:
    """`quiz --learner` (and QUIZ_LEARNER) through the installed entry point: a reading command
    refuses an unknown learner, `quiz learners add` makes one, and `quiz due` counts theirs."""
    run = [*quiz_command(), "--db", db_url]
    subprocess.run([*run, "import", str(bank_dir)], check=True, capture_output=True)
    unknown = subprocess.run([*run, "--learner", "dora", "due"], capture_output=True, text=True)
    assert unknown.returncode == 1 and "no learner 'dora'" in unknown.stderr
    subprocess.run([*run, "learners", "add", "dora"], check=True, capture_output=True)
    db = open_database(db_url)
    try:
        dora = resolve_learner(db, "dora", FIXED_NOW)
        apply_review(dora, make_scheduler(fuzz=False), "conv-1x1", Grade.AGAIN,
                     FIXED_NOW - timedelta(hours=1))
    finally:
        db.close()
    as_dora = subprocess.run([*run, "due", "--learner", "dora", "--json"], capture_output=True,
                             text=True, check=True)
    as_default = subprocess.run([*run, "due", "--json"], capture_output=True, text=True,
                                check=True)
    assert '"conv-1x1"' in as_dora.stdout and '"conv-1x1"' not in as_default.stdout
    listed = subprocess.run([*run, "learners", "--json"], capture_output=True, text=True,
                            check=True, env={"QUIZ_LEARNER": "dora", "PATH": ""})
    assert '"name": "dora"' in listed.stdout and '"reviews": 1' in listed.stdout


async def test_home_rows_use_the_capped_figures_and_count_again_when_a_card_falls_due(
        db_url: str, bank_dir: Path) -> None:
    """Home's rows and header show the same figures, capped by today's limits (as Anki's deck
    list); a learning card falling due while home is shown makes home count again."""
    db = open_database(db_url)
    try:
        from quiz.store.sync import import_bank

        import_bank(db, bank_dir, "b", FIXED_NOW)
        apply_review(db, make_scheduler(fuzz=False), "conv-1x1", Grade.AGAIN, FIXED_NOW)
    finally:
        db.close()
    clock = {"now": FIXED_NOW + timedelta(seconds=59)}  # Again: due again one minute later
    app = make_app(db_url=db_url, bank_dir=bank_dir, clock=lambda: clock["now"], fuzz=False,
                   new_per_day=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        table = screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        # the day's limit is 2 and one new card was studied: one new card is left today
        assert rows[0][4] == "1" and all(row[4] in ("0", "1") for row in rows[1:])
        assert rows[0][3] == "0"  # the learning card is not due yet
        clock["now"] = FIXED_NOW + timedelta(seconds=62)
        await pilot.pause(2.0)
        await _settle(pilot)
        assert str(table.get_row_at(0)[3]) == "1"  # counted again as it fell due


async def test_m_on_home_shows_the_learners_own_mistakes(db_url: str, bank_dir: Path) -> None:
    """The mistakes screen lists the learner's logged misconceptions (count, weeks, trend), and
    another learner's are not among them."""
    from quiz.store.actions import apply_review as rate
    from quiz.tui.screens.mistakes import MistakesScreen, sparkline

    app = _app(db_url, bank_dir, learner="alice")
    db = open_database(db_url)
    try:
        alice = resolve_learner(db, "alice", FIXED_NOW)
        bob = resolve_learner(db, "bob", FIXED_NOW, create=True)
        scheduler = make_scheduler(fuzz=False)
        for minutes, who, verdict in ((0, alice, "wrong:no-plus-one"),
                                      (5, alice, "wrong:no-plus-one"),
                                      (9, bob, "wrong:forgot-bias")):
            rate(who, scheduler, "conv-1x1", Grade.AGAIN, FIXED_NOW + timedelta(minutes=minutes),
                 verdict=verdict)
    finally:
        db.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("m")
        await _settle(pilot)
        assert isinstance(app.screen, MistakesScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        name, count, weeks, _, trend, where = (str(cell) for cell in table.get_row_at(0))
        assert "+1" in name and count == "2" and weeks.endswith("█")
        assert "仍犯" in trend and "conv-1x1 ×2" in where
        await pilot.press("escape")
        await _settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    assert sparkline((0, 1, 0, 4)) == " ▂ █" and sparkline((0, 0)) == "  "
