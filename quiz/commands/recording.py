"""Log numeric answers given outside the TUI (on paper, in `quiz practice`) as reviews of their
templates, so that they count in the schedule. Shared by `quiz check --record` and
`quiz practice --record`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class Answer:
    """One graded numeric answer to log."""

    question_id: str
    seed: int
    answer_text: str
    verdict: str           # the grading status ("right" / "wrong"), as the TUI logs it
    rating: int            # fsrs rating (1 Again … 4 Easy)
    duration_ms: int | None = None


def record_answers(args: argparse.Namespace, bank_path: str | None,
                   answers: list[Answer]) -> tuple[int, int]:
    """Record `answers` in the database of `--db` / QUIZ_DB; returns (recorded, skipped).

    The bank is synced first (as the TUI does on start) so that every template has its card. An
    answer already logged with the same seed and text is skipped: checking a sheet twice does not
    count it twice."""
    from quiz.cli import _bank_dir, _bank_key, _open_db
    from quiz.store.actions import apply_review
    from quiz.store.log import history
    from quiz.store.scheduling import Grade, make_scheduler
    from quiz.store.sync import import_bank

    now = datetime.now(timezone.utc)
    if not hasattr(args, "db"):
        args.db = None
    db = _open_db(args, create=True)  # like `quiz import`, recording syncs the bank first
    recorded = skipped = 0
    try:
        import_bank(db, _bank_dir(bank_path), _bank_key(bank_path), now)
        scheduler = make_scheduler()
        for answer in answers:
            earlier = {(entry.seed, entry.answer_text) for entry in history(db, answer.question_id)}
            if (answer.seed, answer.answer_text) in earlier:
                skipped += 1
                continue
            apply_review(db, scheduler, answer.question_id, Grade(answer.rating), now,
                          duration_ms=answer.duration_ms, seed=answer.seed,
                          answer_text=answer.answer_text, verdict=answer.verdict)
            recorded += 1
    finally:
        db.close()
    return recorded, skipped
