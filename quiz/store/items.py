"""The plain values that leave the store: a card to study with its question, its FSRS state and
its flags. Widgets and commands get these, never live ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from quiz.store.models import CardRow, QuestionRow
from quiz.store.scheduling import CardState


@dataclass(frozen=True)
class CardFlags:
    """What the learner has done to a card besides rating it."""

    suspended: bool = False
    buried: bool = False
    flagged: bool = False
    leech: bool = False
    lapses: int = 0


@dataclass(frozen=True)
class StudyItem:
    id: str
    title: str
    answer: str
    kind: str
    topic: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    origin: str
    difficulty: int
    blocks: tuple[tuple[str, str, int], ...]
    card: CardState
    retired: bool = False
    flags: CardFlags = field(default_factory=lambda: CardFlags())
    deck: str = ""


def card_state(row: CardRow) -> CardState:
    return CardState(
        state=row.state, step=row.step, stability=row.stability, difficulty=row.difficulty,
        due=row.due, last_review=row.last_review,
    )


def card_flags(card: CardRow, now: datetime | None) -> CardFlags:
    buried = card.buried_until is not None and (now is None or card.buried_until > now)
    return CardFlags(
        suspended=bool(card.suspended), buried=buried, flagged=bool(card.flagged),
        leech=bool(card.leech), lapses=card.lapses or 0,
    )


def to_item(question: QuestionRow, card: CardRow, now: datetime | None = None) -> StudyItem:
    return StudyItem(
        id=question.id, title=question.title, answer=question.answer, kind=question.kind,
        topic=question.topic, tags=tuple(question.tags), sources=tuple(question.sources),
        origin=question.origin, difficulty=question.difficulty,
        blocks=tuple((str(b[0]), str(b[1]), int(b[2])) for b in question.blocks),  # type: ignore[call-overload]
        card=card_state(card), retired=question.retired_at is not None,
        flags=card_flags(card, now),
        deck=question.deck or (question.tags[0] if question.tags else ""),
    )
