"""The Textual app and its factory, shared by the CLI, the tests and the snapshot apps.

`quiz` paints its home screen before the store exists: importing SQLAlchemy and opening the
database take longer than Textual's own start, so with `make_app(open_in_background=True)` (the
CLI) home paints its frame first, a worker then opens the database and syncs the bundled bank,
and home fills its table when the store is ready. Nothing this module imports at load time pulls
in SQLAlchemy, fsrs or NumPy (a test checks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from quiz.tui.context import StoreRequest, StudyContext, utc_now
from quiz.tui.messages import DecksLoaded
from quiz.tui.screens.home import HomeScreen

if TYPE_CHECKING:
    from quiz.store.results import SyncReport
    from quiz.tui.preload import Preload


class QuizApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "quiz"
    SUB_TITLE = "CNN 面试题"
    BINDINGS = [
        Binding("q", "quit", "退出"),
        Binding("question_mark,f1", "help", "帮助"),
    ]

    def __init__(self, context: StudyContext | None = None,
                 sync_report: SyncReport | None = None, *,
                 store: StoreRequest | None = None, preload: Preload | None = None) -> None:
        """Either a `context` ready to use, or the `store` to open once home has painted (and
        a `preload` counting home's figures in another process meanwhile)."""
        super().__init__()
        self._preload = preload
        if (context is None) == (store is None):
            raise ValueError("QuizApp needs exactly one of context and store")
        self.context: StudyContext | None = context
        self.sync_report = sync_report
        self._store = store
        # A store that finishes opening after the app has closed is closed by the worker; the
        # lock orders that against `on_unmount`.
        self._lifecycle = threading.Lock()
        self._unmounted = False
        self._opened: StudyContext | None = None
        self._home_data_shown = False  # home's first figures came before the store opened
        self.start_error: BaseException | None = None  # the store could not be opened

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.context))
        if self.context is not None:
            self._announce_sync()
        elif self._preload is not None:
            self.receive_home_data()
        else:
            # After home's first paint, not alongside Textual's start: a thread working takes
            # the interpreter lock in turns with the UI thread, and that made the frame *and*
            # the rows later (Textual's import went from 0.4 s to 1.0-1.6 s when the store
            # opened on a thread from the first line).
            self.call_after_refresh(self.receive_home_data)

    @work(thread=True, exit_on_error=False, name="receive_home_data")
    def receive_home_data(self) -> None:
        """Show home's figures as soon as they are counted — by the preloading child (this
        thread waits in `recv`, without the interpreter lock), or else here with a bare sqlite3
        connection when the database needs nothing more (`quick_home_data`) — then open the
        store once those rows have painted. Without figures, the store opens at once and home
        counts through it."""
        from quiz.tui.preload import quick_home_data

        assert self._store is not None
        data = self._preload.data() if self._preload is not None else \
            quick_home_data(self._store)
        self._home_data_shown = data is not None
        homes = [screen for screen in self.screen_stack if isinstance(screen, HomeScreen)]
        if data is None or self.context is not None or not homes:
            self.call_from_thread(self.open_store)
            return
        homes[0].post_message(DecksLoaded(data.counts, data.decks, data.damaged))
        # Once those rows have painted (the screen's messages run in order): SQLAlchemy's
        # import on the store's thread would otherwise slow the paint of the rows.
        homes[0].call_after_refresh(self.open_store)
        self.sync_report = data.report
        self.call_from_thread(self._announce_sync)

    @work(thread=True, exit_on_error=False, name="open_store")
    def open_store(self) -> tuple[StudyContext, SyncReport | None] | None:
        assert self._store is not None
        request = self._store
        if self._home_data_shown:
            # Counted by the child (which synced a changed bank) or here on an unchanged bank.
            request = replace(request, sync_bank_on_start=False)
        context, report = request.open()
        with self._lifecycle:
            if self._unmounted:  # quit while the store was opening
                context.db.close()
                return None
            self._opened = context
        return context, report

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "open_store":
            return
        if event.state is WorkerState.SUCCESS and event.worker.result is not None:
            self.context, report = event.worker.result
            for screen in self.screen_stack:
                if isinstance(screen, HomeScreen):
                    screen.attach(self.context)
            if report is not None:  # not already announced from the preload
                self.sync_report = report
                self._announce_sync()
        elif event.state is WorkerState.ERROR:
            # The CLI reports it as it reports any start failure (one message, non-zero exit).
            self.start_error = event.worker.error
            self.exit(return_code=1)

    def _announce_sync(self) -> None:
        if self.sync_report is not None and self.sync_report.touched:
            self.notify(f"题库已同步 bank synced: {self.sync_report.summary()}", timeout=4)

    def on_unmount(self) -> None:
        with self._lifecycle:
            self._unmounted = True
            context = self.context or self._opened
        if context is not None:
            context.db.close()

    def action_help(self) -> None:
        from quiz.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(
    *,
    db_url: str,
    bank_dir: Path | None = None,
    sync_bank_on_start: bool = False,
    clock: Callable[[], datetime] = utc_now,
    desired_retention: float | None = None,
    fuzz: bool = True,
    new_per_day: int | None = None,
    open_in_background: bool = False,
    preload: Preload | None = None,
) -> QuizApp:
    """Build the app on the database at `db_url` (see `StoreRequest` for the options).

    By default the store is opened here, so `StoreError` / `BankError` are raised before any
    screen exists and `app.context` is ready (tests). With `open_in_background` it is opened on
    a thread while the home screen paints; a failure then ends the app with `app.start_error`
    set, for the caller to report.
    """
    request = StoreRequest(db_url=db_url, bank_dir=bank_dir,
                           sync_bank_on_start=sync_bank_on_start, clock=clock,
                           desired_retention=desired_retention, fuzz=fuzz,
                           new_per_day=new_per_day)
    if open_in_background:
        return QuizApp(store=request, preload=preload)
    context, report = request.open()
    return QuizApp(context, sync_report=report)
