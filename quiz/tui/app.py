"""The Textual app and its factory, shared by the CLI, the tests and the snapshot apps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from quiz.store.db import Database, open_database
from quiz.store.settings import get_value, load_settings, set_value
from quiz.store.sync import SyncReport, sync_bank
from quiz.tui.context import StudyContext, scheduler_for, utc_now
from quiz.tui.screens.home import HomeScreen


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
        self.push_screen(HomeScreen(self.context))
        if self.sync_report is not None and self.sync_report.touched:
            self.notify(f"题库已同步 bank synced: {self.sync_report.summary()}", timeout=4)

    def on_unmount(self) -> None:
        self.context.db.close()

    def action_help(self) -> None:
        from quiz.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def _sync_if_changed(db: Database, bank_dir: Path, now: datetime) -> SyncReport | None:
    """Sync the bundled bank unless its files are exactly as at the last sync (the common
    start: nothing to parse, nothing to write)."""
    from quiz.bank import load_bank
    from quiz.bank.fingerprint import bank_fingerprint

    key = f"bank_fingerprint:{bank_dir.resolve()}"
    fingerprint = bank_fingerprint(bank_dir)
    if get_value(db, key) == fingerprint:
        return None
    report = sync_bank(db, load_bank(bank_dir), "bundled", now)
    set_value(db, key, fingerprint)
    return report


def make_app(
    *,
    db_url: str,
    bank_dir: Path | None = None,
    sync_bank_on_start: bool = False,
    clock: Callable[[], datetime] = utc_now,
    desired_retention: float | None = None,
    fuzz: bool = True,
    new_per_day: int | None = None,
) -> QuizApp:
    """Open the database (syncing the bank first when asked) and build the app.

    Settings come from the database; `desired_retention` / `new_per_day` override them for this
    run only (tests). Raises `StoreError` / `BankError` before any screen exists, so the CLI can
    report them.
    """
    db: Database = open_database(db_url)
    report = None
    try:
        if sync_bank_on_start and bank_dir is not None:
            report = _sync_if_changed(db, bank_dir, clock())
        settings = load_settings(db)
    except Exception:
        db.close()
        raise
    if desired_retention is not None:
        settings = replace(settings, desired_retention=desired_retention)
    if new_per_day is not None:
        settings = replace(settings, new_per_day=new_per_day)
    context = StudyContext(db=db, scheduler=scheduler_for(settings, fuzz), clock=clock,
                           settings=settings, fuzz=fuzz)
    return QuizApp(context, sync_report=report)
