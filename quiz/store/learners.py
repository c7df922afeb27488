"""Who studies: the learners of a database, each with a card for every question and a review log
of their own. A single user studies as the default learner; a class shares one database (a
PostgreSQL server), each student as themselves (`--learner NAME`).

A learner is made with a card for every question of the bank (retired ones too, so a revived
question has its card), which keeps the rule the counts and the study queue rely on: every
learner has exactly one card per question.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from quiz.store import StoreError
from quiz.store.counts import LEARNING_STATES, REVIEW_STATE
from quiz.store.days import require_utc
from quiz.store.db import Database
from quiz.store.derived import CARD_TOTALS
from quiz.store.scheduling import new_card_state
from quiz.store.students import Student, student_learner
from quiz.store.tables import CARDS, DEFAULT_LEARNER, LEARNERS, QUESTIONS

LEARNER_ENV = "QUIZ_LEARNER"
NAME_LENGTH = 200


class LearnerError(StoreError):
    """A learner name that is not usable or not known; the message says which and why."""


@dataclass(frozen=True)
class Learner:
    id: int
    name: str
    display_name: str
    created_at: datetime

    @property
    def shown(self) -> str:
        """How reports name the learner: the display name, else the name."""
        return self.display_name or self.name


@dataclass(frozen=True)
class LearnerSummary:
    """One row of `quiz learners` and of the class view."""

    learner: Learner
    reviews: int                 # counted ratings
    due: int                     # studied cards due now (live, not suspended or buried)
    studied: int                 # cards studied at least once
    graded: int                  # reviews of cards in review state
    recalled: int                # of those, recalled
    last_active: datetime | None

    @property
    def retention(self) -> float | None:
        return self.recalled / self.graded if self.graded else None


def check_name(name: str, field: str = "--learner") -> str:
    """A learner name as stored: stripped, not empty, no control characters, not too long."""
    cleaned = name.strip()
    if not cleaned:
        raise LearnerError(f"{field}: a learner name cannot be empty")
    if len(cleaned) > NAME_LENGTH:
        raise LearnerError(f"{field}: a learner name has at most {NAME_LENGTH} characters")
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in cleaned):
        raise LearnerError(f"{field}: {cleaned!r} contains control characters")
    return cleaned


def _learner(row: object) -> Learner:
    return Learner(row.id, row.name, row.display_name or "", row.created_at)  # type: ignore[attr-defined]


def all_learners(db: Database) -> list[Learner]:
    with db.read() as connection:
        return [_learner(row) for row in connection.execute(
            select(LEARNERS).order_by(LEARNERS.c.id))]


def find_learner(db: Database, name: str) -> Learner | None:
    with db.read() as connection:
        return _find(connection, name)


def _find(connection: Connection, name: str) -> Learner | None:
    row = connection.execute(select(LEARNERS).where(LEARNERS.c.name == name)).first()
    return None if row is None else _learner(row)


def _add_cards(connection: Connection, learner_id: int, now: datetime) -> None:
    """A card for every question, unseen, at the place the bank's new-card order gives it."""
    fresh = new_card_state(now)
    rank = (select(func.min(CARDS.c.new_rank)).where(CARDS.c.question_id == QUESTIONS.c.id)
            .scalar_subquery())
    columns = ["learner_id", "question_id", "state", "step", "due", "lapses", "leech",
               "suspended", "flagged", "new_rank", "deck", "live"]
    rows = select(literal(learner_id), QUESTIONS.c.id, literal(fresh.state),
                  literal(fresh.step), literal(fresh.due, CARDS.c.due.type), literal(0),
                  literal(False), literal(False), literal(False), func.coalesce(rank, 0),
                  QUESTIONS.c.deck, QUESTIONS.c.retired_at.is_(None))
    connection.execute(insert(CARDS).from_select(columns, rows))


def add_learner(db: Database, name: str, now: datetime, display_name: str = "") -> Learner:
    """Make a learner with a card for every question; a LearnerError if the name is taken."""
    name = check_name(name)
    now = require_utc(now)
    try:
        with db.write_connection() as connection:
            learner_id = connection.execute(
                insert(LEARNERS).values(name=name, display_name=display_name.strip(),
                                        created_at=now).returning(LEARNERS.c.id)).scalar_one()
            _add_cards(connection, learner_id, now)
    except IntegrityError:
        raise LearnerError(f"learner {name!r} exists already") from None
    return Learner(learner_id, name, display_name.strip(), now)


def ensure_learner(db: Database, name: str, now: datetime, display_name: str = "") -> Learner:
    """The learner of that name, made when missing (two processes making it at once: one
    makes it, the other finds it)."""
    found = find_learner(db, check_name(name))
    if found is not None:
        return found
    try:
        return add_learner(db, name, now, display_name)
    except LearnerError:
        found = find_learner(db, check_name(name))
        if found is None:
            raise
        return found


def check_student(db: Database, name: str | None) -> Student | None:
    """For a class's student connection (`quiz class setup`): the learner of their role, and a
    LearnerError when `name` (--learner) is another (one line). None for any other connection."""
    student = student_learner(db)
    if student is None:
        return None
    if name is not None and name.strip() != student.name:
        raise LearnerError(f"--learner {name.strip()!r}: role {student.role} studies as "
                           f"{student.name!r} only")
    return student


def resolve_learner(db: Database, name: str | None, now: datetime, *,
                    create: bool = False) -> Database:
    """`db` studied as the learner `name` (None: the default learner). An unknown name is made
    when `create`, otherwise refused with the names there are. A class's student connection
    studies as its role's learner (None: that one), and is refused any other name."""
    # A class's student (PostgreSQL, `quiz class setup`) studies as their role's learner only.
    student = check_student(db, name)
    if student is not None:
        return db.as_learner(student.learner_id, student.name)
    if name is None or name.strip() == DEFAULT_LEARNER:
        return db
    name = check_name(name)
    learner = ensure_learner(db, name, now) if create else find_learner(db, name)
    if learner is None:
        known = ", ".join(learner.name for learner in all_learners(db)[:20])
        raise LearnerError(f"no learner {name!r} in this database (learners: {known}); "
                           "`quiz learners` lists them, and studying as a new name makes it")
    return db.as_learner(learner.id, learner.name)


def learner_summaries(db: Database, now: datetime) -> list[LearnerSummary]:
    """Every learner with their reviews, due cards, retention and last activity: two grouped
    statements over the per-card totals and the cards, whatever the class's size."""
    now = require_utc(now)
    t = CARD_TOTALS.c
    c = CARDS.c
    totals = (select(t.learner_id, func.sum(t.ratings), func.count(),
                     func.sum(t.graded), func.sum(t.graded_recalled), func.max(t.last_rating))
              .where(t.ratings > 0).group_by(t.learner_id))
    due = (select(c.learner_id, func.count())
           .where(c.live.is_(True), c.last_review.is_not(None), c.suspended.is_(False),
                  c.state.in_((*LEARNING_STATES, REVIEW_STATE)), c.due <= now,
                  and_(c.buried_until.is_(None) | (c.buried_until <= now)))
           .group_by(c.learner_id))
    with db.read() as connection:
        learners = [_learner(row) for row in connection.execute(
            select(LEARNERS).order_by(LEARNERS.c.id))]
        per_learner = {row[0]: row[1:] for row in connection.execute(totals)}
        due_of: dict[int, int] = {learner_id: count for learner_id, count
                                  in connection.execute(due)}
    summaries = []
    for learner in learners:
        reviews, studied, graded, recalled, last = per_learner.get(learner.id,
                                                                  (0, 0, 0, 0, None))
        summaries.append(LearnerSummary(learner, int(reviews or 0), int(due_of.get(learner.id, 0)),
                                        int(studied or 0), int(graded or 0),
                                        int(recalled or 0), last))
    return summaries

