"""Learners: every card and review belongs to one. Each learner's counts, queue, log, statistics,
search and undo are their own; a new learner starts with every question unseen; names are
checked; and a class of processes studying at once on one database loses nothing and sees only
its own cards."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from quiz.bank.parser import load_bank
from quiz.store.actions import ActionError, apply_review, set_flagged, undo_review
from quiz.store.counts import due_counts, home_figures
from quiz.store.db import Database, open_database
from quiz.store.learners import (
    LearnerError,
    add_learner,
    all_learners,
    ensure_learner,
    learner_summaries,
    resolve_learner,
)
from quiz.store.log import history
from quiz.store.queue import next_study_item
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.search import CardFilter, search
from quiz.store.settings import Settings
from quiz.store.stats import study_stats
from quiz.store.sync import sync_bank
from quiz.store.tables import DEFAULT_LEARNER, DEFAULT_LEARNER_ID
from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "tests.store.store_worker"]


@pytest.fixture
def db(db_url: str, bank_dir: Path) -> Database:
    opened = open_database(db_url)
    sync_bank(opened, load_bank(bank_dir), "b", FIXED_NOW)
    yield opened
    opened.close()


def _study(db: Database, ratings: int, grade: Grade = Grade.GOOD) -> list[int]:
    scheduler = make_scheduler(fuzz=False)
    settings = Settings()
    ids = []
    for index in range(ratings):
        now = FIXED_NOW + timedelta(minutes=index)
        item = next_study_item(db, now, settings)
        assert item is not None
        ids.append(apply_review(db, scheduler, item.id, grade, now, settings=settings).review_id)
    return ids


def test_a_new_learner_starts_with_every_question_unseen(db: Database) -> None:
    _study(db, 3)
    alice = db.as_learner(add_learner(db, "alice", FIXED_NOW).id, "alice")
    mine, theirs = due_counts(db, FIXED_NOW, Settings()), due_counts(alice, FIXED_NOW, Settings())
    assert theirs.total == mine.total > 0
    assert theirs.new_today == 0 and theirs.reviews_today == 0
    assert mine.new_today == 3
    assert [deck.new for deck in home_figures(alice, FIXED_NOW, Settings()).decks] == \
        [deck.total for deck in home_figures(alice, FIXED_NOW, Settings()).decks]


def test_each_learner_sees_only_their_own_log_counts_queue_and_cards(db: Database) -> None:
    alice = db.as_learner(add_learner(db, "alice", FIXED_NOW).id, "alice")
    bob = db.as_learner(add_learner(db, "bob", FIXED_NOW).id, "bob")
    alice_ids = _study(alice, 4, Grade.AGAIN)
    bob_ids = _study(bob, 2, Grade.EASY)
    assert [entry.review_id for entry in history(alice)] == alice_ids
    assert [entry.review_id for entry in history(bob)] == bob_ids
    assert history(db) == []
    later = FIXED_NOW + timedelta(minutes=30)
    assert due_counts(alice, later, Settings()).learning > 0  # Again: back in learning
    assert due_counts(bob, later, Settings()).learning == 0   # Easy: into review, days away
    assert due_counts(db, later, Settings()).new_today == 0
    # The same question is new for one learner and studied for another.
    first = history(alice)[0].question_id
    assert next_study_item(db, later, Settings()).id == first  # type: ignore[union-attr]
    seen_by_alice = {item.id for item in search(alice, card_filter=CardFilter.LEARNING).items}
    assert first in seen_by_alice
    assert not search(db, card_filter=CardFilter.LEARNING).items
    set_flagged(alice, first, True)
    assert [item.id for item in search(alice, card_filter=CardFilter.FLAGGED).items] == [first]
    assert search(bob, card_filter=CardFilter.FLAGGED).items == []
    stats = study_stats(bob, later)
    assert stats.total_reviews == 2 and sum(count for _, count in stats.reviews_per_day) == 2


def test_a_learner_cannot_undo_another_learners_rating(db: Database) -> None:
    alice = db.as_learner(add_learner(db, "alice", FIXED_NOW).id, "alice")
    [rating] = _study(alice, 1)
    with pytest.raises(ActionError):
        undo_review(db, rating, FIXED_NOW + timedelta(minutes=5))
    undo_review(alice, rating, FIXED_NOW + timedelta(minutes=5))
    assert history(alice) == []


def test_a_question_added_later_gets_a_card_for_every_learner(db_url: str,
                                                              bank_dir: Path) -> None:
    db = open_database(db_url)
    try:
        sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
        alice = db.as_learner(add_learner(db, "alice", FIXED_NOW).id, "alice")
        before = due_counts(alice, FIXED_NOW, Settings()).total
        extra = bank_dir / "more.md"
        extra.write_text((bank_dir / "conv.md").read_text(encoding="utf-8")
                         .replace("id: ", "id: more-"), encoding="utf-8")
        sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
        assert due_counts(alice, FIXED_NOW, Settings()).total == 2 * before
        assert due_counts(db, FIXED_NOW, Settings()).total == 2 * before
    finally:
        db.close()


def test_learner_names_are_checked_and_unknown_ones_refused(db: Database) -> None:
    for bad in ("", "   ", "a\x1b[2Jb", "x" * 201, "bidi\u202e"):
        with pytest.raises(LearnerError):
            add_learner(db, bad, FIXED_NOW)
    with pytest.raises(LearnerError, match="no learner 'nobody'"):
        resolve_learner(db, "nobody", FIXED_NOW)
    made = resolve_learner(db, " 张三 ", FIXED_NOW, create=True)
    assert made.learner_name == "张三" and made.learner_id != DEFAULT_LEARNER_ID
    assert resolve_learner(db, "张三", FIXED_NOW).learner_id == made.learner_id
    assert resolve_learner(db, None, FIXED_NOW).learner_id == DEFAULT_LEARNER_ID
    with pytest.raises(LearnerError, match="exists already"):
        add_learner(db, "张三", FIXED_NOW)
    assert [learner.name for learner in all_learners(db)] == [DEFAULT_LEARNER, "张三"]


def test_two_threads_making_one_learner_make_it_once(db: Database) -> None:
    made: list[int] = []
    barrier = threading.Barrier(4)

    def make() -> None:
        barrier.wait()
        made.append(ensure_learner(db, "carol", FIXED_NOW).id)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 1 and len(made) == 4
    carol = db.as_learner(made[0], "carol")
    assert due_counts(carol, FIXED_NOW, Settings()).total == \
        due_counts(db, FIXED_NOW, Settings()).total


def test_learner_summaries_count_each_learners_reviews_due_and_retention(db: Database) -> None:
    alice = db.as_learner(add_learner(db, "alice", FIXED_NOW, "Alice Liu").id, "alice")
    _study(alice, 3, Grade.AGAIN)
    studied = {entry.question_id for entry in history(alice)}
    summaries = {s.learner.name: s for s in learner_summaries(db, FIXED_NOW + timedelta(hours=1))}
    assert summaries["alice"].reviews == 3 and summaries["alice"].studied == len(studied)
    assert summaries["alice"].due == len(studied)  # learning cards due again within the hour
    assert summaries["alice"].learner.shown == "Alice Liu"
    assert summaries[DEFAULT_LEARNER].reviews == 0 and summaries[DEFAULT_LEARNER].due == 0
    assert summaries["alice"].retention is None  # no review of a card in review state yet


def _class_of_processes(url: str, students: int, ratings: int) -> dict[str, tuple[list[int],
                                                                                 list[int]]]:
    runs = {f"student-{n:02d}": subprocess.Popen(
        [*WORKER, "study", url, f"student-{n:02d}", str(ratings)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=ROOT) for n in range(students)}
    results = {}
    for name, run in runs.items():
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        lines = out.splitlines()
        acked = [int(line.split()[1]) for line in lines if line.startswith("rated")]
        logged = [int(word) for word in lines[-1].split()[1:]]
        results[name] = (acked, logged)
    return results


@pytest.mark.postgresql_only
def test_a_class_of_thirty_processes_studying_at_once_loses_nothing(db: Database,
                                                                     db_url: str) -> None:
    students, ratings = 30, 6
    results = _class_of_processes(db_url, students, ratings)
    every_id: list[int] = []
    for name, (acked, logged) in results.items():
        assert len(acked) == ratings
        assert logged == acked, name  # each saw exactly its own log, nothing lost
        every_id += acked
    assert len(set(every_id)) == students * ratings
    learners = {learner.name: learner for learner in all_learners(db)}
    for name, (acked, _) in results.items():
        mine = db.as_learner(learners[name].id, name)
        assert [entry.review_id for entry in history(mine)] == acked
        assert all(entry.answer_text == name for entry in history(mine))
        studied = {entry.question_id for entry in history(mine)}
        assert due_counts(mine, FIXED_NOW, Settings()).new_today == len(studied)
        assert due_counts(mine, FIXED_NOW, Settings()).reviews_today == ratings
    assert history(db) == []


@pytest.mark.sqlite_only
def test_a_few_processes_studying_one_sqlite_file_lose_nothing(db: Database, db_url: str) -> None:
    results = _class_of_processes(db_url, 4, 5)
    assert all(logged == acked and len(acked) == 5 for acked, logged in results.values())
