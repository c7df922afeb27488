"""The Textual app and its factory, shared by the CLI, the tests and the snapshot apps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from quiz.store.db import Database, open_database
from quiz.store.scheduling import DEFAULT_RETENTION, make_scheduler
from quiz.store.sync import SyncReport, sync_bank
from quiz.tui.context import StudyContext, utc_now
from quiz.tui.screens.home import HomeScreen


class QuizApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "quiz"
    SUB_TITLE = "CNN 面试题"
    BINDINGS = [Binding("q", "quit", "退出 Quit", priority=False)]

    def __init__(self, context: StudyContext, sync_report: SyncReport | None = None) -> None:
        super().__init__()
        self.context = context
        self.sync_report = sync_report

    def on_mount(self) -> None:
        self.push_screen(HomeScreen(self.context))
        if self.sync_report is not None and self.sync_report.touched:
            self.notify(f"题库已同步 bank synced: {self.sync_report.summary()}", timeout=4)

    def on_unmount(self) -> None:
        self.context.db.close()


def make_app(
    *,
    db_url: str,
    bank_dir: Path | None = None,
    sync_bank_on_start: bool = False,
    clock: Callable[[], datetime] = utc_now,
    desired_retention: float = DEFAULT_RETENTION,
    fuzz: bool = True,
    new_per_day: int = 20,
) -> QuizApp:
    """Open the database (syncing the bank first when asked) and build the app.

    Raises `StoreError` / `BankError` before any screen exists, so the CLI can report them.
    """
    db: Database = open_database(db_url)
    report = None
    if sync_bank_on_start and bank_dir is not None:
        from quiz.bank import load_bank

        try:
            report = sync_bank(db, load_bank(bank_dir), "bundled", clock())
        except Exception:
            db.close()
            raise
    context = StudyContext(
        db=db, scheduler=make_scheduler(desired_retention, fuzz=fuzz), clock=clock,
        new_per_day=new_per_day,
    )
    return QuizApp(context, sync_report=report)
