"""A learner's (or the class's) misconceptions from the review log: each numeric answer the
engine graded wrong with a named mistake is logged with its review (`wrong:<mistake id>`); here they
are read back and counted per misconception, learner, question and week. The names of the mistakes
come from the caller (`quiz.numeric.drill.mistake_names`): the store does not import the engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from quiz.store.days import require_utc
from quiz.store.db import Database


@dataclass(frozen=True)
class LoggedMistake:
    """A counted rating whose answer the engine graded wrong with a named misconception."""

    learner_id: int
    question_id: str
    mistake_id: str
    reviewed_at: datetime


def logged_mistakes(db: Database, since: datetime | None = None,
                    learner_id: int | None = None) -> list[LoggedMistake]:
    """Logged misconceptions (verdicts `wrong:<id>`, undone ratings left out), oldest first, of
    every learner or of one: the class view and `quiz mistakes` count them per misconception,
    learner, question and week."""
    from quiz.store.counts import counted, reviews
    from quiz.store.log import verdict_parts

    statement = (select(reviews.c.learner_id, reviews.c.question_id, reviews.c.verdict,
                        reviews.c.reviewed_at)
                 .where(reviews.c.verdict.like("wrong:%"), counted())
                 .order_by(reviews.c.reviewed_at, reviews.c.id))
    if since is not None:
        statement = statement.where(reviews.c.reviewed_at >= require_utc(since))
    if learner_id is not None:
        statement = statement.where(reviews.c.learner_id == learner_id)
    with db.read() as connection:
        rows = connection.execute(statement).all()
    found = []
    for learner_id, question_id, verdict, moment in rows:
        _, mistake = verdict_parts(verdict)
        if mistake:
            found.append(LoggedMistake(learner_id, question_id, mistake, moment))
    return found


@dataclass
class Misconception:
    mistake_id: str
    name: str
    count: int = 0
    learners: Counter[str] = field(default_factory=Counter)
    questions: Counter[str] = field(default_factory=Counter)
    per_week: list[int] = field(default_factory=list)
    last_seen: datetime | None = None

    @property
    def fading(self) -> bool:
        """Made less in the later half of the weeks shown than in the earlier half (and not in
        the latest week): the misconception is going away."""
        half = len(self.per_week) // 2
        earlier, later = sum(self.per_week[:half]), sum(self.per_week[half:])
        return later < earlier and (not self.per_week or self.per_week[-1] == 0)


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The Mondays (UTC) of the last `weeks` weeks, oldest first."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
    return [monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


def misconceptions(mistakes: list[LoggedMistake], names: Mapping[int, str],
                   weeks: list[datetime],
                   mistake_names: Mapping[str, str]) -> list[Misconception]:
    """Per misconception: count, who (learner: count), where (question: count), per week."""
    found: dict[str, Misconception] = {}
    for mistake in mistakes:
        entry = found.setdefault(mistake.mistake_id, Misconception(
            mistake.mistake_id, mistake_names.get(mistake.mistake_id, mistake.mistake_id),
            per_week=[0] * len(weeks)))
        entry.count += 1
        entry.last_seen = mistake.reviewed_at  # oldest first: the latest is the last one
        entry.learners[names.get(mistake.learner_id, str(mistake.learner_id))] += 1
        entry.questions[mistake.question_id] += 1
        for index in range(len(weeks) - 1, -1, -1):
            if mistake.reviewed_at >= weeks[index]:
                entry.per_week[index] += 1
                break
    return sorted(found.values(), key=lambda entry: (-entry.count, entry.mistake_id))
