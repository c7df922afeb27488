"""Messages that workers post back to the UI thread: small dataclasses of plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from textual.message import Message

from quiz.numeric import Instance, Solution, Verdict
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


@dataclass
class InstanceReady(Message):
    """A fresh numeric instance for the item on screen (or why none could be made)."""

    question_id: str
    instance: Instance | None
    error: str | None = None


@dataclass
class SolutionReady(Message):
    seed: int
    solution: Solution


@dataclass
class VerdictReady(Message):
    seed: int
    answer_text: str
    verdict: Verdict


@dataclass(frozen=True)
class AnswerSubmittedNote:
    """What a numeric review adds to the log: the instance's seed, the answer and the verdict."""

    seed: int | None
    answer_text: str | None
    verdict: str | None
