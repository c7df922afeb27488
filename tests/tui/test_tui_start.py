"""The fast start: home paints before the store is open, keys pressed meanwhile do no harm, the
rows arrive when the store is ready, and a store that cannot open ends the app with its error."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable
from textual.worker import WorkerFailed

from quiz import cli
from quiz.store.db import Database, StoreError
from quiz.tui.app import QuizApp, StoreRequest, make_app
from quiz.tui.screens.help import HelpScreen
from quiz.tui.screens.home import HomeScreen
from quiz.tui.screens.study import StudyScreen
from tests.conftest import FIXED_NOW

WAIT = 10.0  # seconds; a gate never stays shut longer, so a failing test cannot hang


def _deferred_app(db_url: str, bank_dir: Path) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False, open_in_background=True)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Holds the store's opening until the test sets the event."""
    event = threading.Event()
    opened = StoreRequest.open

    def held_open(request: StoreRequest):  # type: ignore[no-untyped-def]
        event.wait(WAIT)
        return opened(request)

    monkeypatch.setattr(StoreRequest, "open", held_open)
    yield event
    event.set()


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


def test_importing_the_app_loads_neither_the_store_nor_the_engine() -> None:
    modules = ("sqlalchemy", "fsrs", "numpy", "pylatexenc", "quiz.store", "quiz.numeric")
    script = ("import sys, quiz.tui.app, quiz.tui.screens.home; "
              f"print(','.join(m for m in {modules!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == ""


async def test_home_paints_first_and_keys_wait_for_the_store(db_url: str, bank_dir: Path,
                                                             gate: threading.Event) -> None:
    app = _deferred_app(db_url, bank_dir)
    assert app.context is None
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert _decks(home) == []
        assert "正在打开题库" in _text(home.query_one("#home-summary"))
        assert not home.active_bindings["s"].enabled  # shown dimmed in the footer
        assert home.active_bindings["q"].enabled
        # Every key of home before the data is there: nothing opens, nothing breaks.
        await pilot.press("enter", "space", "s", "n", "c", "b", "slash", "t", "o", "down")
        await pilot.pause()
        assert app.screen is home and home.marked == set() and app.context is None

        gate.set()
        await _settle(pilot)
        assert app.context is not None
        assert _decks(home) == ["全部 all", "卷积变种", "感受野", "池化"]
        assert "3 今日新卡" in _text(home.query_one("#home-summary"))
        assert any("bank synced" in n.message for n in app._notifications)
        assert home.active_bindings["s"].enabled

        await pilot.press("enter")
        await _settle(pilot)
        assert isinstance(app.screen, StudyScreen)


async def test_a_store_that_opens_behind_help_fills_home_on_return(db_url: str, bank_dir: Path,
                                                                   gate: threading.Event) -> None:
    app = _deferred_app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        home = app.screen
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        gate.set()
        await _settle(pilot)
        assert isinstance(app.screen, HelpScreen) and app.context is not None
        await pilot.press("escape")
        await _settle(pilot)
        assert app.screen is home
        assert _decks(home) == ["全部 all", "卷积变种", "感受野", "池化"]


async def test_quitting_before_the_store_opens_closes_it(db_url: str, bank_dir: Path,
                                                         gate: threading.Event,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[Database] = []
    done = threading.Event()
    close = Database.close

    def recording_close(db: Database) -> None:
        close(db)
        closed.append(db)
        done.set()

    monkeypatch.setattr(Database, "close", recording_close)
    app = _deferred_app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.context is None and not closed
    gate.set()
    assert done.wait(WAIT), "the store opened after quitting was never closed"
    assert len(closed) == 1


async def test_a_store_that_cannot_open_ends_the_app_with_its_error(tmp_path: Path,
                                                                    bank_dir: Path) -> None:
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("my shopping list\n", encoding="utf-8")
    app = _deferred_app(f"sqlite:///{not_a_database}", bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
    assert isinstance(app.start_error, StoreError)
    assert app.return_code == 1
    assert not_a_database.read_text(encoding="utf-8") == "my shopping list\n"


class _FailedApp:
    """What `make_app` gives when the store could not open in the background."""

    return_code = 1
    start_error = StoreError("notes.db is not a quiz database")
    options: dict[str, object] = {}

    def run(self) -> None:
        pass


def test_the_cli_starts_fast_and_reports_a_store_that_cannot_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import quiz.tui.app

    def fake_make_app(**options: object) -> _FailedApp:
        _FailedApp.options = options
        return _FailedApp()

    monkeypatch.setattr(quiz.tui.app, "make_app", fake_make_app)
    code = cli._run_handler(argparse.Namespace(db=f"sqlite:///{tmp_path / 'notes.db'}",
                                               handler=cli.cmd_tui))
    assert code == 1
    assert capsys.readouterr().err.strip().endswith("quiz: error: notes.db is not a quiz database")
    assert _FailedApp.options["open_in_background"] is True


def _request(db_url: str, bank_dir: Path) -> StoreRequest:
    return StoreRequest(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                        clock=lambda: FIXED_NOW, fuzz=False)


needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the preloading child is forked on Linux only")


@needs_fork
def test_the_preloading_child_counts_what_home_would(db_url: str, bank_dir: Path) -> None:
    from quiz.store.queue import deck_counts
    from quiz.store.service import counts
    from quiz.tui.preload import Preload

    preload = Preload.start(_request(db_url, bank_dir), backup=True)
    assert preload is not None
    data = preload.data()
    assert data is not None and data.report is not None and len(data.report.added) == 3
    assert preload.backup_warning() is None
    context, report = _request(db_url, bank_dir).open()  # synced by the child: nothing to do
    try:
        assert report is None
        assert data.counts == counts(context.db, FIXED_NOW, settings=context.settings)
        assert data.decks == deck_counts(context.db, FIXED_NOW, context.settings)
    finally:
        context.db.close()


@needs_fork
async def test_home_shows_the_preloaded_rows_before_the_app_opens_its_store(
        db_url: str, bank_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quiz.tui.preload import Preload

    preload = Preload.start(_request(db_url, bank_dir), backup=False)
    # Only this process's opening is held: the child was forked before the patch.
    event = threading.Event()
    opened = StoreRequest.open
    synced: list[bool] = []

    def held_open(request: StoreRequest):  # type: ignore[no-untyped-def]
        event.wait(WAIT)
        synced.append(request.sync_bank_on_start)
        return opened(request)

    monkeypatch.setattr(StoreRequest, "open", held_open)
    app = make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                   clock=lambda: FIXED_NOW, fuzz=False, open_in_background=True, preload=preload)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            home = app.screen
            assert isinstance(home, HomeScreen)
            for _ in range(200):
                await pilot.pause(0.02)
                if _decks(home):
                    break
            assert _decks(home) == ["全部 all", "卷积变种", "感受野", "池化"]
            assert app.context is None and not home.active_bindings["s"].enabled
            assert any("bank synced" in n.message for n in app._notifications)
            event.set()
            await _settle(pilot)
            assert app.context is not None and synced == [False]  # not synced a second time
            await pilot.press("enter")
            await _settle(pilot)
            assert isinstance(app.screen, StudyScreen)
    finally:
        event.set()


@needs_fork
async def test_a_failed_preload_leaves_the_error_to_the_app(tmp_path: Path,
                                                            bank_dir: Path) -> None:
    from quiz.tui.preload import Preload

    path = tmp_path / "notes.db"
    path.write_text("not a database", encoding="utf-8")
    url = f"sqlite:///{path}"
    preload = Preload.start(_request(url, bank_dir), backup=False)
    assert preload is not None and preload.data() is None
    app = make_app(db_url=url, bank_dir=bank_dir, sync_bank_on_start=True,
                   clock=lambda: FIXED_NOW, fuzz=False, open_in_background=True, preload=preload)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
    assert isinstance(app.start_error, StoreError)
    assert path.read_text(encoding="utf-8") == "not a database"


async def test_home_names_a_card_its_counts_leave_out(db_url: str, bank_dir: Path) -> None:
    import sqlite3

    make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
             clock=lambda: FIXED_NOW, fuzz=False).context.db.close()  # type: ignore[union-attr]
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


def _ratings(db: Database, moments: list[object]) -> None:
    from sqlalchemy import insert

    from quiz.store.models import ReviewRow

    with db.sessions.begin() as session:
        session.execute(insert(ReviewRow), [
            {"question_id": "conv-1x1", "reviewed_at": moment, "rating": 3, "content_hash": "h",
             "state_after": 2, "due_after": moment, "kind": "review", "state_before": 2}
            for moment in moments])


def test_the_quick_count_equals_the_full_one_and_imports_no_sqlalchemy(
        db_url: str, bank_dir: Path) -> None:
    """On a current database with the bank unchanged, the child counts home from the file with
    sqlite3 alone — the same figures as the store's own count, in a process where SQLAlchemy
    was never imported — and leaves every other case to the full open."""
    from datetime import timedelta

    from quiz.store.service import home_figures
    from quiz.tui import preload

    request = _request(db_url, bank_dir)
    assert preload.quick_home_data(request) is None  # no database yet: the full open makes it
    context, _report = request.open()
    try:
        _ratings(context.db, [FIXED_NOW - timedelta(hours=h) for h in (1, 3, 30)])
        full = home_figures(context.db, FIXED_NOW, context.settings)
    finally:
        context.db.close()
    script = (
        "import sys, pickle\n"
        "from pathlib import Path\n"
        "from datetime import datetime, timezone\n"
        "from quiz.tui.context import StoreRequest\n"
        "from quiz.tui.preload import quick_home_data\n"
        f"now = datetime.fromisoformat({FIXED_NOW.isoformat()!r})\n"
        f"request = StoreRequest(db_url={db_url!r}, bank_dir=Path({str(bank_dir)!r}), "
        "sync_bank_on_start=True, clock=lambda: now)\n"
        "data = quick_home_data(request)\n"
        "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'\n"
        "sys.stdout.buffer.write(pickle.dumps((data.counts, data.decks)))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    import pickle

    assert pickle.loads(result.stdout) == (full.counts, full.decks)
    # A changed bank: the full open syncs it.
    (bank_dir / "new.md").write_text((bank_dir / "conv.md").read_text(encoding="utf-8")
                                     .replace("id: ", "id: x-"), encoding="utf-8")
    assert preload.quick_home_data(request) is None


def test_a_plain_sqlite_url_names_the_file_sqlalchemy_would() -> None:
    from sqlalchemy.engine import make_url

    from quiz.store.backup import sqlite_file

    for url in ("sqlite:///quiz.db", "sqlite:////tmp/a b/中文.db", "sqlite+pysqlite:////x/y.db",
                "sqlite:///a:b.db", "sqlite:///dir/./q.db"):
        assert sqlite_file(url) == Path(str(make_url(url).database)), url
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql://u@h/db"):
        assert sqlite_file(url) is None, url


async def test_without_a_child_home_shows_quick_rows_before_the_store_opens(
        db_url: str, bank_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where there is no preloading child (not Linux), the app counts home itself with a bare
    sqlite3 connection on a current database, before its store (SQLAlchemy) has opened, and
    the store then opens without syncing the unchanged bank again."""
    context, _report = _request(db_url, bank_dir).open()  # created and synced
    context.db.close()
    event = threading.Event()
    opened = StoreRequest.open
    synced: list[bool] = []

    def held_open(request: StoreRequest):  # type: ignore[no-untyped-def]
        event.wait(WAIT)
        synced.append(request.sync_bank_on_start)
        return opened(request)

    monkeypatch.setattr(StoreRequest, "open", held_open)
    app = make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                   clock=lambda: FIXED_NOW, fuzz=False, open_in_background=True)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            home = app.screen
            assert isinstance(home, HomeScreen)
            for _ in range(200):
                await pilot.pause(0.02)
                if _decks(home):
                    break
            assert _decks(home) == ["全部 all", "卷积变种", "感受野", "池化"]
            assert app.context is None
            event.set()
            await _settle(pilot)
            assert app.context is not None and synced == [False]
    finally:
        event.set()
