"""Make a schema-2 database the way quiz before learners (commit 8ee3528) made one, for the
upgrade tests: run with that version of quiz on the path, e.g.

    git worktree add /tmp/v2 8ee3528
    PYTHONPATH=/tmp/v2 python tests/store/data/make_schema2.py URL [FIGURES.json]

It imports the two bank files beside this script, then studies as one user would: ratings over
three days, an undo, a cram rating, a flag, a suspension, a bury, extra new cards and a setting.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from quiz.store.actions import apply_review, bury, set_flagged, set_suspended, undo_review
from quiz.store.db import open_database
from quiz.store.queue import add_extra_new, next_study_item
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.settings import load_settings, save_settings
from quiz.store.sync import import_bank

START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def main(url: str) -> None:
    db = open_database(url)
    import_bank(db, Path(__file__).with_name("schema2_bank"), "fixture", START)
    save_settings(db, {"new_per_day": "30"})
    settings = load_settings(db)
    scheduler = make_scheduler(fuzz=False)
    grades = [Grade.GOOD, Grade.AGAIN, Grade.HARD, Grade.EASY, Grade.GOOD]
    for day in range(3):
        now = START + timedelta(days=day)
        for step in range(8):
            item = next_study_item(db, now, settings)
            if item is None:
                break
            outcome = apply_review(db, scheduler, item.id, grades[(day + step) % 5], now,
                                   settings=settings, seed=step, answer_text=f"a{step}",
                                   verdict="right")
            now += timedelta(minutes=3)
        if day == 1:
            undo_review(db, outcome.review_id, now)
    later = START + timedelta(days=3)
    item = next_study_item(db, later, settings)
    assert item is not None
    apply_review(db, scheduler, item.id, Grade.GOOD, later, settings=settings,
                 reschedule=False)  # cram
    studied = [entry for entry in next_ids(db, later, settings)]
    set_flagged(db, studied[0], True)
    set_suspended(db, studied[1], True)
    bury(db, studied[2], later, settings)
    add_extra_new(db, later, settings, 5)
    if len(sys.argv) > 2:  # what this version counts, for the upgraded database to match
        write_figures(db, Path(sys.argv[2]))
    db.close()


FIGURES_AT = START + timedelta(days=3, hours=2)


def write_figures(db, path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    from quiz.store.counts import due_counts, home_figures
    from quiz.store.stats import study_stats

    settings = load_settings(db)
    home = home_figures(db, FIGURES_AT, settings)
    stats = study_stats(db, FIGURES_AT, settings)
    figures = {
        "at": FIGURES_AT.isoformat(),
        "due": vars(due_counts(db, FIGURES_AT, settings)),
        "home": [vars(deck) for deck in home.decks],
        "total_reviews": stats.total_reviews,
        "true_retention": stats.true_retention,
        "cards_by_state": stats.cards_by_state,
        "reviews_per_day": stats.reviews_per_day,
    }
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def next_ids(db, now, settings):  # type: ignore[no-untyped-def]
    from quiz.store.search import search

    return [item.id for item in search(db, "", now, limit=10).items]


if __name__ == "__main__":
    main(sys.argv[1])
