"""What the app is configured with: passed in by keyword, never a module-level global."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from fsrs import Scheduler

from quiz.store.db import Database


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class StudyContext:
    db: Database
    scheduler: Scheduler
    clock: Callable[[], datetime] = utc_now
    new_per_day: int = 20
