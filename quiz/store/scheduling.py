"""FSRS scheduling as pure functions over plain values (the `fsrs` package does the maths)."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum

from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import FUZZ_RANGES

from quiz.store.days import require_utc

DEFAULT_RETENTION = 0.9
ONE_DAY = timedelta(days=1)


class Grade(IntEnum):
    """The four answer buttons, numbered as the keys that press them."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}[self.value]


@dataclass(frozen=True)
class CardState:
    """What the store keeps of an FSRS card."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None

    @property
    def is_new(self) -> bool:
        return self.last_review is None


def make_scheduler(
    desired_retention: float = DEFAULT_RETENTION, fuzz: bool = True,
    learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10)),
    relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),),
) -> Scheduler:
    if not 0.5 <= desired_retention < 1.0:
        raise ValueError(f"desired retention must be in [0.5, 1.0), got {desired_retention}")
    return Scheduler(
        desired_retention=desired_retention, enable_fuzzing=fuzz,
        learning_steps=learning_steps, relearning_steps=relearning_steps,
    )


def new_card_state(now: datetime) -> CardState:
    return CardState(
        state=int(State.Learning), step=0, stability=None, difficulty=None,
        due=require_utc(now), last_review=None,
    )


def _to_fsrs(card: CardState) -> Card:
    return Card(
        card_id=1, state=State(card.state), step=card.step, stability=card.stability,
        difficulty=card.difficulty, due=require_utc(card.due),
        last_review=require_utc(card.last_review) if card.last_review else None,
    )


def _from_fsrs(card: Card) -> CardState:
    return CardState(
        state=int(card.state), step=card.step, stability=card.stability,
        difficulty=card.difficulty, due=card.due, last_review=card.last_review,
    )


def _fsrs_review(scheduler: Scheduler, card: CardState, grade: Grade,
                 now: datetime) -> CardState:
    updated, _log = scheduler.review_card(_to_fsrs(card), Rating(int(grade)), now)
    return _from_fsrs(updated)


def _without_fuzz(scheduler: Scheduler) -> Scheduler:
    if not scheduler.enable_fuzzing:
        return scheduler
    plain = copy.copy(scheduler)
    plain.enable_fuzzing = False
    return plain


def _fuzz_fraction(card: CardState) -> float:
    """Where in its fuzz range a card's next interval falls. fsrs draws it afresh on every
    call, so the interval on a button would not be the one the rating saves; like Anki (which
    seeds it from the card), it is drawn from the card's state before the rating."""
    key = (f"{card.state}|{card.step}|{card.stability!r}|{card.difficulty!r}|"
           f"{card.last_review}|{card.due}")
    return random.Random(key).random()


def _fuzzed(state: CardState, now: datetime, fraction: float, maximum_days: int) -> CardState:
    """fsrs's own fuzz (same ranges: none under 2.5 days, ±15 % / 10 % / 5 % beyond), with a
    given fraction instead of a fresh random number."""
    days = (state.due - now).days
    if state.state != State.Review or days < 2.5:
        return state
    delta = 1.0 + sum(fuzz["factor"] * max(min(float(days), fuzz["end"]) - fuzz["start"], 0.0)
                      for fuzz in FUZZ_RANGES)
    highest = min(round(days + delta), maximum_days)
    lowest = min(max(2, round(days - delta)), highest)
    fuzzed = min(round(fraction * (highest - lowest + 1) + lowest), maximum_days)
    return replace(state, due=now + timedelta(days=fuzzed))


def _longer_than(lower: CardState, upper: CardState, now: datetime) -> CardState:
    """`upper` due at least a day after `lower` when both are review-state intervals of a day or
    more. FSRS rounds to whole days, so a young card can get Hard 1d, Good 1d, Easy 1d; Anki
    keeps the buttons strictly increasing (the due date moves, the memory state does not)."""
    in_days = lower.state == State.Review and upper.state == State.Review
    if not in_days or lower.due - now < ONE_DAY or upper.due >= lower.due + ONE_DAY:
        return upper
    return replace(upper, due=lower.due + ONE_DAY)


def next_states(
    scheduler: Scheduler, card: CardState, now: datetime, up_to: Grade = Grade.EASY,
) -> dict[Grade, CardState]:
    """The card's state after each grade from Again to `up_to`: fuzzed the same way for the
    preview as for the rating, then kept increasing."""
    now = require_utc(now)
    plain = _without_fuzz(scheduler)
    fraction = _fuzz_fraction(card) if scheduler.enable_fuzzing else None
    states: dict[Grade, CardState] = {}
    lower: CardState | None = None
    for grade in Grade:
        if grade > up_to:
            break
        state = _fsrs_review(plain, card, grade, now)
        if fraction is not None:
            state = _fuzzed(state, now, fraction, scheduler.maximum_interval)
        if lower is not None:
            state = _longer_than(lower, state, now)
        states[grade] = lower = state
    return states


def review(scheduler: Scheduler, card: CardState, grade: Grade, now: datetime) -> CardState:
    """The card's state after rating it `grade` at `now` (what `preview_intervals` shows)."""
    return next_states(scheduler, card, now, up_to=grade)[grade]


def preview_intervals(
    scheduler: Scheduler, card: CardState, now: datetime,
) -> dict[Grade, timedelta]:
    """How long until the card is due again for each possible grade."""
    now = require_utc(now)
    return {grade: state.due - now for grade, state in next_states(scheduler, card, now).items()}


def format_interval(delta: timedelta) -> str:
    """Short human interval: 1m, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = max(delta.total_seconds(), 0)
    minutes = seconds / 60
    if minutes < 60:
        return f"{max(round(minutes), 1)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"
