"""A child process for the multi-process tests: opens the database and does one job, printing
a line per acknowledged unit of work (so a parent that kills it knows what was committed)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from quiz.store.actions import apply_review
from quiz.store.db import open_database
from quiz.store.scheduling import Grade, make_scheduler


def rate(url: str, question_id: str, count: int) -> None:
    db = open_database(url)
    scheduler = make_scheduler(fuzz=False)
    now = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    for index in range(count):
        outcome = apply_review(db, scheduler, question_id, Grade((index % 4) + 1),
                               now + timedelta(seconds=index))
        print(outcome.review_id, flush=True)


def study(url: str, learner: str, count: int) -> None:
    """A student's session, as the TUI runs it: open as the learner (made on first use), then
    take the next card and rate it, `count` times; one line per acknowledged rating, and at the
    end what this learner's log holds."""
    from quiz.store.learners import resolve_learner
    from quiz.store.log import history
    from quiz.store.queue import next_study_item
    from quiz.store.settings import load_settings

    now = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    db = resolve_learner(open_database(url), learner, now, create=True)
    settings = load_settings(db)
    scheduler = make_scheduler(fuzz=False)
    for index in range(count):
        moment = now + timedelta(seconds=index)
        item = next_study_item(db, moment, settings)
        if item is None:
            break
        outcome = apply_review(db, scheduler, item.id, Grade((index % 4) + 1), moment,
                               settings=settings, answer_text=learner)
        print("rated", outcome.review_id, item.id, flush=True)
    print("log", " ".join(str(entry.review_id) for entry in history(db)), flush=True)
    db.close()


def open_only(url: str) -> None:
    open_database(url).close()
    print("opened", flush=True)


if __name__ == "__main__":
    job, url, *rest = sys.argv[1:]
    if job == "rate":
        rate(url, rest[0], int(rest[1]))
    elif job == "study":
        study(url, rest[0], int(rest[1]))
    elif job == "open":
        open_only(url)
