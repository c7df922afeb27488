"""What the app is configured with: passed in by keyword, never a module-level global.

The store (SQLAlchemy, fsrs) is imported only when a context is built, not when this module is:
the home screen paints before the database is open (see `quiz.tui.app`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fsrs import Scheduler

    from quiz.store.db import Database
    from quiz.store.settings import Settings


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _default_settings() -> Settings:
    from quiz.store.settings import Settings

    return Settings()


@dataclass
class StudyContext:
    db: Database
    scheduler: Scheduler
    clock: Callable[[], datetime] = utc_now
    settings: Settings = field(default_factory=_default_settings)
    fuzz: bool = True

    @property
    def new_per_day(self) -> int:
        return self.settings.new_per_day

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings at once: the scheduler is rebuilt from them."""
        self.settings = settings
        self.scheduler = scheduler_for(settings, self.fuzz)


def scheduler_for(settings: Settings, fuzz: bool) -> Scheduler:
    from quiz.store.scheduling import make_scheduler

    return make_scheduler(
        settings.desired_retention, fuzz=fuzz, learning_steps=settings.learning_deltas,
        relearning_steps=settings.relearning_deltas,
    )
