"""Log answers given outside the TUI (on paper, in `quiz practice`) as reviews, so that they count
in the schedule. `quiz practice --record` logs into the learner of --learner; `quiz check --record`
logs each sheet into its own student's learner, stamped with the sheet's date."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from fsrs import Scheduler

    from quiz.store.db import Database


@dataclass(frozen=True)
class Answer:
    """One graded answer to log."""

    question_id: str
    seed: int | None
    answer_text: str
    verdict: str           # the grading status ("right" / "wrong"), as the TUI logs it
    rating: int            # fsrs rating (1 Again … 4 Easy)
    duration_ms: int | None = None
    mistake_id: str | None = None   # the misconception the engine named, if any


@dataclass(frozen=True)
class LearnerAnswers:
    """The answers of one student's sheet, for that student's learner."""

    learner: str             # the learner's name: the student's key from the roster
    display_name: str
    reviewed_at: datetime    # the sheet's date
    answers: tuple[Answer, ...]


class UnknownLearners(Exception):
    """Sheets of students who are not learners of the database (and --add-learners not given)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__("not learners of this database: " + ", ".join(self.names)
                         + " (--add-learners makes them)")


def record_answers(args: argparse.Namespace, bank_path: str | None,
                   answers: list[Answer]) -> tuple[int, int]:
    """Record `answers` for the learner of --learner / QUIZ_LEARNER (made when new) in the
    database of `--db` / QUIZ_DB; returns (recorded, skipped)."""
    from quiz.cli import _open_db

    if not hasattr(args, "db"):
        args.db = None
    now = datetime.now(timezone.utc)
    db = _open_db(args, create=True, new_learner=True)
    try:
        _sync(db, bank_path, now)
        return _record(db, answers, now)
    finally:
        db.close()


def record_for_learners(args: argparse.Namespace, bank_path: str | None,
                        batches: list[LearnerAnswers], *,
                        add_learners: bool) -> tuple[int, int]:
    """Record each batch into its own learner; returns (recorded, skipped). Students who are
    not learners are refused together (UnknownLearners, nothing recorded) unless
    `add_learners`. Nothing goes to the default learner unless a batch names it."""
    from quiz.cli import _open_db
    from quiz.store.learners import check_name, ensure_learner, find_learner

    if not hasattr(args, "db"):
        args.db = None
    now = datetime.now(timezone.utc)
    db = _open_db(args, create=True)
    try:
        names = [check_name(batch.learner, "student key") for batch in batches]
        missing = sorted({name for name in names if find_learner(db, name) is None})
        if missing and not add_learners:
            raise UnknownLearners(missing)
        _sync(db, bank_path, now)
        recorded = skipped = 0
        for name, batch in zip(names, batches, strict=True):
            learner = ensure_learner(db, name, now, batch.display_name)
            done, again = _record(db.as_learner(learner.id, learner.name), list(batch.answers),
                                  batch.reviewed_at)
            recorded += done
            skipped += again
        return recorded, skipped
    finally:
        db.close()


def _sync(db: Database, bank_path: str | None, now: datetime) -> None:
    """The bank first (as the TUI does on start), so that every question has its card."""
    from quiz.cli import _bank_dir, _bank_key
    from quiz.store.sync import import_bank

    import_bank(db, _bank_dir(bank_path), _bank_key(bank_path), now)


def _record(db: Database, answers: list[Answer], moment: datetime) -> tuple[int, int]:
    """Log `answers` for `db`'s learner at `moment`, each in its own transaction. An answer
    already logged for that learner with the same question, seed and text is skipped: recording
    a sheet twice adds nothing — also when two runs record it at once (`record_answer` checks the
    answer's unique key in its inserting transaction). The log read first finds the answers
    recorded before schema 4, which have no key, and spares a write per answer on a re-run."""
    from quiz.store.actions import record_answer
    from quiz.store.log import history, logged_verdict
    from quiz.store.scheduling import Grade, make_scheduler

    scheduler: Scheduler = make_scheduler()
    earlier = {(entry.question_id, entry.seed, entry.answer_text) for entry in history(db)}
    recorded = skipped = 0
    for answer in answers:
        key = (answer.question_id, answer.seed, answer.answer_text)
        if key in earlier:
            skipped += 1
            continue
        outcome = record_answer(db, scheduler, answer.question_id, Grade(answer.rating), moment,
                                seed=answer.seed, answer_text=answer.answer_text,
                                verdict=logged_verdict(answer.verdict, answer.mistake_id),
                                duration_ms=answer.duration_ms)
        earlier.add(key)
        if outcome is None:
            skipped += 1
        else:
            recorded += 1
    return recorded, skipped
