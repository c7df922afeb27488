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


def open_only(url: str) -> None:
    open_database(url).close()
    print("opened", flush=True)


if __name__ == "__main__":
    job, url, *rest = sys.argv[1:]
    if job == "rate":
        rate(url, rest[0], int(rest[1]))
    elif job == "open":
        open_only(url)
