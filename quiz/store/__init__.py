"""SQLite (any SQLAlchemy URL) storage and FSRS scheduling. Imports no Textual."""

from quiz.store.db import Database, StoreError, open_database
from quiz.store.scheduling import CardState, Grade, make_scheduler
from quiz.store.service import Counts, StudyItem, counts, next_item, record_review
from quiz.store.sync import SyncReport, sync_bank

__all__ = [
    "CardState", "Counts", "Database", "Grade", "StoreError", "StudyItem", "SyncReport",
    "counts", "make_scheduler", "next_item", "open_database", "record_review", "sync_bank",
]
