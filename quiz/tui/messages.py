"""Messages that workers post back to the UI thread: small dataclasses of plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from textual.message import Message

from quiz.store.scheduling import CardState, Grade
from quiz.store.service import Counts, StudyItem


@dataclass
class CountsLoaded(Message):
    counts: Counts


@dataclass
class ItemLoaded(Message):
    """The next card to study (None: nothing left for now) and its interval for each grade."""

    item: StudyItem | None
    intervals: dict[Grade, timedelta]


@dataclass
class ReviewRecorded(Message):
    question_id: str
    grade: Grade
    card: CardState


@dataclass
class ItemsLoaded(Message):
    query: str
    items: list[StudyItem]
