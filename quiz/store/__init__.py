"""SQLite (any SQLAlchemy URL) storage and FSRS scheduling. Imports no Textual.

The names below are loaded on first use: importing a module of this package (the CLI's
`quiz.store.errors`, the TUI's start) must not import SQLAlchemy and fsrs before they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quiz.store.db import Database, open_database
    from quiz.store.errors import StoreError
    from quiz.store.results import Counts, SyncReport
    from quiz.store.scheduling import CardState, Grade, make_scheduler
    from quiz.store.service import StudyItem, counts, next_item, record_review
    from quiz.store.sync import sync_bank

_HOMES = {
    "Database": "quiz.store.db", "open_database": "quiz.store.db",
    "StoreError": "quiz.store.errors",
    "CardState": "quiz.store.scheduling", "Grade": "quiz.store.scheduling",
    "make_scheduler": "quiz.store.scheduling",
    "Counts": "quiz.store.results", "StudyItem": "quiz.store.service",
    "counts": "quiz.store.service", "next_item": "quiz.store.service",
    "record_review": "quiz.store.service",
    "SyncReport": "quiz.store.results", "sync_bank": "quiz.store.sync",
}

__all__ = [
    "CardState", "Counts", "Database", "Grade", "StoreError", "StudyItem", "SyncReport",
    "counts", "make_scheduler", "next_item", "open_database", "record_review", "sync_bank",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'quiz.store' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
