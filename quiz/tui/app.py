"""The Textual app and its factory, shared by the CLI, the tests and the snapshot apps.

One start path: `make_app` opens the store (the database, the bundled bank synced when its files
changed, the settings) before the app exists, so a store that cannot open is reported by the
caller before the terminal is taken; home then counts its figures once as it mounts, and its
first frame shows the decks with every key shown live.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker

from quiz.tui.context import StoreRequest, StudyContext, utc_now
from quiz.tui.screens.home import HomeScreen

if TYPE_CHECKING:
    from quiz.store.db import Database
    from quiz.store.sync import SyncReport


class QuizApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "quiz"
    SUB_TITLE = "CNN 面试题"
    BINDINGS = [
        Binding("q", "quit", "退出"),
        Binding("question_mark,f1", "help", "帮助"),
    ]

    def __init__(self, context: StudyContext, sync_report: SyncReport | None = None) -> None:
        super().__init__()
        self.context = context
        self.sync_report = sync_report

    def on_mount(self) -> None:
        self.show_learner()
        self.push_screen(HomeScreen(self.context))
        if self.sync_report is not None and self.sync_report.touched:
            self.notify(f"题库已同步 bank synced: {self.sync_report.summary()}", timeout=4)

    def show_learner(self) -> None:
        """The header names who is studying, on every screen (screens set only the sub-title)."""
        from quiz.render.safe import safe_text

        self.title = f"{self.TITLE} · {safe_text(self.context.db.learner_name)}"

    def switch_learner(self, name: str | None) -> None:
        """Study as `name` from now on (made when new); home counts again for them."""
        if name is not None and name != self.context.db.learner_name:
            self.open_learner(name)

    @work(thread=True, exclusive=True, group="learner", exit_on_error=False,
          name="switch_learner")
    def open_learner(self, name: str) -> None:
        from quiz.store.learners import resolve_learner

        context = self.context
        db = resolve_learner(context.db, name, context.clock(), create=True)
        self.call_from_thread(self.use_learner, db)

    def use_learner(self, db: Database) -> None:
        self.context.db = db
        self.show_learner()
        screen = self.screen
        if isinstance(screen, HomeScreen):
            screen.load_counts()
        self.notify(f"学习者 learner: {db.learner_name}", timeout=3, markup=False)

    @on(Worker.StateChanged)
    def report_failed_worker(self, event: Worker.StateChanged) -> None:
        from quiz.tui.screens.base import report_failure

        report_failure(self.screen, event)

    def on_unmount(self) -> None:
        self.context.db.close()

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
    learner: str | None = None,
) -> QuizApp:
    """Build the app on the database at `db_url` (see `StoreRequest` for the options).

    The store is opened here: `StoreError` / `BankError` are raised before any screen exists,
    with nothing left open, and `app.context` is ready.
    """
    request = StoreRequest(db_url=db_url, bank_dir=bank_dir,
                           sync_bank_on_start=sync_bank_on_start, clock=clock,
                           desired_retention=desired_retention, fuzz=fuzz,
                           new_per_day=new_per_day, learner=learner)
    context, report = request.open()
    return QuizApp(context, sync_report=report)
