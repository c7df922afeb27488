"""One start path: the store opens before the app exists, home counts its figures once as it
mounts, its first frame shows the decks and counts, and every key works from then on; a store
that cannot open is reported by `quiz` as one message with a non-zero exit."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console, RenderableType
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import WorkerFailed

from quiz.paths import bundled_bank_dir
from quiz.store import StoreError
from quiz.tui.app import QuizApp, make_app
from quiz.tui.messages import DecksLoaded
from quiz.tui.screens.home import HomeScreen
from quiz.tui.screens.study import StudyScreen
from quiz.tui.widgets.quiz_footer import QuizFooter
from tests.conftest import FIXED_NOW, quiz_command

DECKS = ["全部 all", "卷积变种", "感受野", "池化"]


def _app(db_url: str, bank_dir: Path) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False)


def _text(widget) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def _decks(screen: HomeScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def home_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time home counts its figures."""
    calls: list[int] = []
    count = HomeScreen._count

    def counted(screen: HomeScreen) -> DecksLoaded:
        calls.append(1)
        return count(screen)

    monkeypatch.setattr(HomeScreen, "_count", counted)
    return calls


async def test_the_first_frame_shows_home_with_its_rows_and_its_keys_work_at_once(
        db_url: str, bank_dir: Path, monkeypatch: pytest.MonkeyPatch,
        home_counts: list[int]) -> None:
    frames: list[str] = []  # home's first frame, as the terminal was sent it
    display = QuizApp._display

    def recorded(app: QuizApp, screen: Screen[object], renderable: RenderableType | None) -> None:
        if isinstance(screen, HomeScreen) and renderable is not None and not frames:
            frames.append("\n".join(strip.text for strip in screen._compositor.render_strips()))
        display(app, screen, renderable)

    monkeypatch.setattr(QuizApp, "_display", recorded)
    app = _app(db_url, bank_dir)
    assert app.context is not None  # opened by make_app: there is no "not ready yet"
    async with app.run_test(size=(80, 24)) as pilot:
        while not frames:
            await pilot.pause()
        first = frames[0]
        for deck in DECKS:
            assert deck in first
        assert "3 今日新卡 new today" in first and "3 题 cards" in first
        home = app.screen
        assert isinstance(home, HomeScreen) and _decks(home) == DECKS
        assert home_counts == [1]  # counted once, as home mounted
        assert all(binding.enabled for binding in home.active_bindings.values())
        await pilot.pause()
        shown = {entry.key: entry for entry in home.query_one(QuizFooter).entries}
        assert shown["s"].description == "学习" and shown["s"].enabled

        await pilot.press("s")  # the study key, as soon as it is shown: no settling first
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen)
        await _settle(pilot)
        assert any("bank synced" in n.message for n in app._notifications)
        assert home_counts == [1]
        await pilot.press("space", "3")  # one new card studied
        await _settle(pilot)

        await pilot.press("escape")  # back home: counted again, for what was studied
        await _settle(pilot)
        assert app.screen is home and home_counts == [1, 1]
        assert "2 今日新卡 new today" in _text(home.query_one("#home-summary"))


async def test_enter_on_the_first_row_studies_every_deck_at_once(db_url: str,
                                                                 bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.item is not None


def test_a_store_that_cannot_open_fails_before_the_app_exists(tmp_path: Path,
                                                              bank_dir: Path) -> None:
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("my shopping list\n", encoding="utf-8")
    with pytest.raises(StoreError):
        _app(f"sqlite:///{not_a_database}", bank_dir)
    assert not_a_database.read_text(encoding="utf-8") == "my shopping list\n"


def test_quiz_reports_a_store_that_cannot_open_in_one_line(tmp_path: Path) -> None:
    """Through the real `quiz` entry point: the TUI never starts, one message, exit code 1."""
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("my shopping list\n", encoding="utf-8")
    result = subprocess.run([*quiz_command(), "--db", f"sqlite:///{not_a_database}"],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quiz: error: "), result.stderr
    assert "notes.db" in lines[0] and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not_a_database.read_text(encoding="utf-8") == "my shopping list\n"


def test_importing_the_app_loads_nothing_home_does_not_need() -> None:
    modules = ("numpy", "markdown_it", "quiz.numeric", "quiz.engine", "quiz.sheets")
    script = ("import sys, quiz.tui.app, quiz.tui.screens.home; "
              f"print(','.join(m for m in {modules!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == ""


def test_home_painted_has_loaded_nothing_it_does_not_need(tmp_path: Path) -> None:
    """A start up to home's first frame, on a synced bank: neither NumPy, markdown-it nor the
    numeric engine, and no bank sync code when the bank is unchanged."""
    modules = ("numpy", "markdown_it", "quiz.numeric", "quiz.engine", "quiz.sheets",
               "quiz.store.sync")
    script = f"""
import os, sys
from quiz.paths import bundled_bank_dir
from quiz.tui.app import make_app
from quiz.tui.screens.home import HomeScreen

mount = HomeScreen.on_mount

def painted(self):
    mount(self)
    def report():
        print(','.join(m for m in {modules!r} if m in sys.modules))
        sys.stdout.flush()
        os._exit(0)
    self.call_after_refresh(report)

HomeScreen.on_mount = painted
app = make_app(db_url=sys.argv[1], bank_dir=bundled_bank_dir(), sync_bank_on_start=True)
app.run(headless=True, size=(80, 24))
"""
    url = f"sqlite:///{tmp_path / 'quiz.db'}"
    make_app(db_url=url, bank_dir=bundled_bank_dir(), sync_bank_on_start=True).context.db.close()
    loaded = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True,
                            check=True, timeout=120).stdout.strip()
    assert loaded == ""


@pytest.mark.sqlite_only  # damages a row through the SQLite file
async def test_home_names_a_card_its_counts_leave_out(db_url: str, bank_dir: Path) -> None:
    import sqlite3

    make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
             clock=lambda: FIXED_NOW, fuzz=False).context.db.close()
    path = Path(db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE cards SET due = 'garbage' WHERE question_id = 'rf-basics'")
    connection.close()
    app = make_app(db_url=db_url, bank_dir=bank_dir, clock=lambda: FIXED_NOW, fuzz=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen) and _decks(home)[0] == "全部 all"
        told = [n for n in app._notifications if "rf-basics" in n.message]
        assert len(told) == 1 and "field due" in told[0].message
        assert told[0].severity == "warning"
        home.load_counts()  # a recount does not say it again
        await _settle(pilot)
        assert len([n for n in app._notifications if "rf-basics" in n.message]) == 1


def test_the_app_paints_at_up_to_120_frames_a_second_unless_the_user_chose() -> None:
    """quiz/tui sets Textual's frame clock before Textual loads (the CLI imports the app only
    when it starts the TUI); a TEXTUAL_FPS the user set is kept."""
    script = "import quiz.cli, quiz.tui.app, textual.constants as c; print(c.MAX_FPS)"
    environment = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    ours = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=environment, timeout=120)
    assert ours.stdout.strip() == "120", ours.stderr
    theirs = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**environment, "TEXTUAL_FPS": "30"}, timeout=120)
    assert theirs.stdout.strip() == "30", theirs.stderr
