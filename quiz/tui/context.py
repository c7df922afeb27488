"""What the app is configured with: passed in by keyword, never a module-level global.

The store (SQLAlchemy, fsrs) is imported only when a context is built (`StoreRequest.open`, which
`quiz.tui.app.make_app` calls before the app exists), not when this module is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fsrs import Scheduler

    from quiz.store.db import Database
    from quiz.store.settings import Settings
    from quiz.store.sync import SyncReport


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _default_settings() -> Settings:
    from quiz.store.settings import Settings

    return Settings()


@dataclass
class StudyContext:
    db: Database
    clock: Callable[[], datetime] = utc_now
    settings: Settings = field(default_factory=_default_settings)
    fuzz: bool = True
    bank_dir: Path | None = None   # the bank synced at start: `E` (edit a card) syncs it again
    _scheduler: Scheduler | None = field(default=None, repr=False)

    @property
    def scheduler(self) -> Scheduler:
        """The FSRS scheduler of the settings, made on first use (home's first frame needs
        none, and fsrs is imported with it)."""
        if self._scheduler is None:
            self._scheduler = scheduler_for(self.settings, self.fuzz)
        return self._scheduler

    @property
    def new_per_day(self) -> int:
        return self.settings.new_per_day

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings at once: the scheduler is rebuilt from them."""
        self.settings = settings
        self._scheduler = None


def scheduler_for(settings: Settings, fuzz: bool) -> Scheduler:
    from quiz.store.scheduling import make_scheduler

    return make_scheduler(
        settings.desired_retention, fuzz=fuzz, learning_steps=settings.learning_deltas,
        relearning_steps=settings.relearning_deltas,
    )


@dataclass(frozen=True)
class StoreRequest:
    """Everything needed to open the store for the app; `open()` does it (imports the store)."""

    db_url: str
    bank_dir: Path | None = None
    sync_bank_on_start: bool = False
    clock: Callable[[], datetime] = utc_now
    desired_retention: float | None = None
    fuzz: bool = True
    new_per_day: int | None = None
    learner: str | None = None   # None: the default learner; a new name is made

    def open(self) -> tuple[StudyContext, SyncReport | None]:
        """Open the database (syncing the bank first when asked) and load the settings.

        Settings come from the database; `desired_retention` / `new_per_day` override them for
        this run only (tests). Raises `StoreError` / `BankError` with nothing left open.
        """
        from quiz.store.db import open_database
        from quiz.store.learners import resolve_learner
        from quiz.store.settings import load_settings

        refuse_read_only(self.db_url)
        db = open_database(self.db_url)
        report = None
        try:
            # A class's student (`quiz class setup`) may not write the bank: the teacher syncs it.
            if self.sync_bank_on_start and self.bank_dir is not None and not _is_student(db):
                report = _sync_if_changed(db, self.bank_dir, self.clock())
            # After the sync: a new learner gets a card for every question of the bank.
            db = resolve_learner(db, self.learner, self.clock(), create=True)
            settings = load_settings(db)
        except Exception:
            db.close()
            raise
        if self.desired_retention is not None:
            settings = replace(settings, desired_retention=self.desired_retention)
        if self.new_per_day is not None:
            settings = replace(settings, new_per_day=self.new_per_day)
        context = StudyContext(db=db, clock=self.clock, settings=settings, fuzz=self.fuzz,
                               bank_dir=self.bank_dir)
        return context, report


def refuse_read_only(db_url: str) -> None:
    """A database the app could not write is refused before the terminal is taken (StoreError,
    one line): every rating is saved as it is given, so studying it would lose each answer at
    the moment it is rated."""
    from quiz.store import StoreError
    from quiz.store.db import check_writable

    try:
        check_writable(db_url)
    except StoreError as error:
        raise StoreError(f"{error}; the TUI saves every rating as you study, so it does not "
                         "open a database it cannot write (make it writable, or choose "
                         "another with --db)") from None


def _is_student(db: Database) -> bool:
    """The connection is a student's role on a class server (never on SQLite)."""
    if db.is_sqlite:
        return False
    from quiz.store.students import student_learner

    return student_learner(db) is not None


def fingerprint_key(bank_dir: Path) -> str:
    """The setting that holds the bank's fingerprint at its last sync."""
    return f"bank_fingerprint:{bank_dir.resolve()}"


def _sync_if_changed(db: Database, bank_dir: Path, now: datetime) -> SyncReport | None:
    """Sync the bundled bank unless its files are exactly as at the last sync (the common
    start: nothing to parse, nothing to write)."""
    from quiz.bank.fingerprint import bank_fingerprint
    from quiz.store.settings import get_value, set_value

    key = fingerprint_key(bank_dir)
    fingerprint = bank_fingerprint(bank_dir)
    if get_value(db, key) == fingerprint:
        return None
    from quiz.store.sync import import_bank  # only now: ~7 ms of imports an unchanged bank skips

    report = import_bank(db, bank_dir, "bundled", now)
    set_value(db, key, fingerprint)
    return report


def resync_bank(db: Database, bank_dir: Path | None, now: datetime) -> SyncReport | None:
    """The bank synced again after a card was edited (`E` in study): as at start, only when its
    files changed; None when the app has no bank folder."""
    if bank_dir is None:
        return None
    return _sync_if_changed(db, bank_dir, now)
