"""Messages that workers post back to the UI thread: small dataclasses of plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    # Types only: the home screen imports this module before the store is loaded.
    from quiz.numeric import Instance, Solution, Verdict
    from quiz.store.actions import ReviewOutcome
    from quiz.store.counts import Counts, DeckCounts, QueueCounts
    from quiz.store.items import StudyItem
    from quiz.store.scheduling import CardState, Grade


@dataclass
class CountsLoaded(Message):
    counts: Counts


@dataclass
class DecksLoaded(Message):
    counts: Counts
    decks: list[DeckCounts]
    damaged: str | None = None  # a card left out of the counts because its row is damaged
    learner_id: int = 0         # whose figures: a count of a learner switched away from is dropped
    next_due: datetime | None = None  # the next learning card falls due then: count again


@dataclass
class ItemLoaded(Message):
    """The next card to study (None: nothing left for now), its interval for each grade and
    what is left in the queue. `request` lets the screen drop a result a newer request replaced."""

    item: StudyItem | None
    intervals: dict[Grade, timedelta]
    left: QueueCounts | None = None
    request: int = 0


@dataclass(frozen=True)
class NextRequest:
    """Which card to load next: `number` identifies the request (a newer one replaces it), `avoid`
    the sources of the card just shown (siblings are spread apart), `exclude` cards not to show."""

    number: int
    avoid: tuple[str, ...]
    exclude: frozenset[str]


@dataclass
class ReviewRecorded(Message):
    question_id: str
    grade: Grade
    card: CardState
    outcome: ReviewOutcome | None = None
    item: StudyItem | None = None
    following: ItemLoaded | None = None  # the card after it, loaded by the same worker


@dataclass
class ReviewUndone(Message):
    question_id: str
    card: CardState


@dataclass
class StoreFailed(Message):
    """A background write could not be saved; `what` says which action, `reason` why."""

    what: str
    reason: str


@dataclass
class StoreWaiting(Message):
    """A write met a lock held by another process and is being retried."""

    attempt: int
    of: int


@dataclass
class SessionSummary(Message):
    """The end of a study session: what applies next."""

    next_due: datetime | None
    unseen: int
    forgotten_today: int
    due_ahead: int


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
    gave_up: bool = False


@dataclass(frozen=True)
class AnswerSubmittedNote:
    """What a numeric review adds to the log: the instance's seed, the answer and the verdict."""

    seed: int | None
    answer_text: str | None
    verdict: str | None
