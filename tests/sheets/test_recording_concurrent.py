"""Issue 21, exactly once: a sheet answer is logged once for its learner however many
`quiz check --record` runs of the same sheets start at once (real processes, SQLite and
PostgreSQL), and the cards end as one run leaves them; the log's unique key on an answer's
identity refuses a second copy by itself, while the TUI's ratings (no key) may repeat."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from quiz.cli import _bank_dir, _bank_key
from quiz.store.actions import answer_key, apply_review, record_answer, undo_review
from quiz.store.db import open_database
from quiz.store.learners import add_learner
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import import_bank
from quiz.store.tables import CARDS, LEARNERS, REVIEWS
from tests.conftest import FIXED_NOW
from tests.sheets.sheet_helpers import fill, key_answers, quiz

IDS = ("num-conv-out-square", "num-macs-conv", "conv-translation-invariance")
STUDENTS = [(f"S{number}", f"学生{number}") for number in range(1, 6)]
ANSWERS = len(STUDENTS) * len(IDS)  # every item answered: 15
RUNS = 6
RECORDED = re.compile(r"已记录 (\d+) 条复习(?:，(\d+) 条此前已记录)?")
CARD_STATE = ("state", "step", "stability", "difficulty", "due", "last_review", "lapses",
              "leech", "suspended")
LOGGED = ("question_id", "seed", "answer_text", "verdict", "rating", "reviewed_at",
          "state_after", "stability_after", "difficulty_after", "due_after", "kind",
          "answer_key")


def _class_sheets(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    """Five students' sheets: a right size, a wrong MAC count, a concept answer marked right."""
    roster = folder.parent / "roster.txt"
    roster.write_text("".join(f"{key}\t{name}\n" for key, name in STUDENTS), encoding="utf-8")
    code, _, err = quiz(capsys, "sheet", "--ids", *IDS, "--roster", str(roster), "--seed", "41",
                        "--date", "2026-03-02", "--key", "-o", str(folder))
    assert code == 0, err
    for number in range(1, len(STUDENTS) + 1):
        key = (folder / "keys" / f"key-{number:02d}.md").read_text(encoding="utf-8")
        size = key_answers(key)[0]
        given = {IDS[0]: size, IDS[1]: "12", IDS[2]: "平移后输出也平移\n评：对"}
        fill(folder / f"sheet-{number:02d}.md", lambda qid, seed, given=given: given[qid])


def _prepared(url: str) -> None:
    """The bank synced and the students made at one fixed moment, so that every database
    prepared so starts from the same cards (a new card's due date is when it was made)."""
    db = open_database(url)
    try:
        import_bank(db, _bank_dir(None), _bank_key(None), FIXED_NOW)
        for key, name in STUDENTS:
            add_learner(db, key, FIXED_NOW, name)
    finally:
        db.close()


def _check_record(url: str, folder: Path) -> list[str]:
    return [sys.executable, "-m", "quiz", "--db", url, "check", str(folder), "--record"]


def _run_at_once(url: str, folder: Path, runs: int) -> list[subprocess.CompletedProcess[str]]:
    """`runs` processes started together (each spends most of a second importing before it
    reads the log, so their recordings overlap)."""
    started = [subprocess.Popen(_check_record(url, folder), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(runs)]
    done = []
    for process in started:
        out, err = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def _counts(stderr: str) -> tuple[int, int]:
    """(recorded, skipped) from a run's `已记录 N 条复习，M 条此前已记录` line."""
    found = RECORDED.search(stderr)
    assert found is not None, stderr
    return int(found.group(1)), int(found.group(2) or 0)


def _students_rows(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The students' reviews and studied cards, named by learner name (ids may differ)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = dict(connection.execute(select(LEARNERS.c.id, LEARNERS.c.name)).all())
            reviews = [(names[row.learner_id], *(getattr(row, c) for c in LOGGED))
                       for row in connection.execute(select(REVIEWS))]
            cards = [(names[row.learner_id], row.question_id, *(getattr(row, c)
                                                                 for c in CARD_STATE))
                     for row in connection.execute(
                         select(CARDS).where(CARDS.c.last_review.is_not(None)))]
    finally:
        engine.dispose()
    return sorted(reviews, key=repr), sorted(cards, key=repr)


def test_concurrent_check_record_logs_each_answer_once(
        tmp_path: Path, db_url: str, make_db_url: Callable[..., str],
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "class"
    _class_sheets(capsys, folder)
    single = make_db_url()
    for url in (db_url, single):
        _prepared(url)
    alone = subprocess.run(_check_record(single, folder), capture_output=True, text=True,
                           timeout=300)
    assert _counts(alone.stderr) == (ANSWERS, 0), alone.stderr
    expected_reviews, expected_cards = _students_rows(single)
    assert len(expected_reviews) == ANSWERS and len(expected_cards) == ANSWERS

    runs = _run_at_once(db_url, folder, RUNS)
    for run in runs:
        assert run.returncode == alone.returncode and "Traceback" not in run.stderr, run.stderr
    counts = [_counts(run.stderr) for run in runs]
    assert all(recorded + skipped == ANSWERS for recorded, skipped in counts), counts
    assert sum(recorded for recorded, _ in counts) == ANSWERS, counts
    reviews, cards = _students_rows(db_url)
    assert len(reviews) == ANSWERS
    assert Counter(review[:4] for review in reviews).most_common(1)[0][1] == 1
    assert reviews == expected_reviews
    assert cards == expected_cards


# --- the key itself -----------------------------------------------------------------------------

def _review_row(learner_id: int, key: str | None) -> dict[str, Any]:
    return {"learner_id": learner_id, "question_id": "conv-1x1", "reviewed_at": FIXED_NOW,
            "rating": 3, "content_hash": "x", "state_after": 1, "difficulty_after": 5.0,
            "due_after": FIXED_NOW, "seed": None, "answer_text": "跨通道", "kind": "review",
            "answer_key": key}


def test_the_unique_key_refuses_a_second_copy_of_an_answer(
        db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    try:
        import_bank(db, bank_dir, "test", FIXED_NOW)
        other = add_learner(db, "li", FIXED_NOW)
        key = answer_key("conv-1x1", None, "跨通道")
        with db.engine.begin() as connection:
            connection.execute(insert(REVIEWS).values(**_review_row(db.learner_id, key)))
            # the same answer of another learner, and key-less rows, are not copies
            connection.execute(insert(REVIEWS).values(**_review_row(other.id, key)))
            connection.execute(insert(REVIEWS).values(**_review_row(db.learner_id, None)))
            connection.execute(insert(REVIEWS).values(**_review_row(db.learner_id, None)))
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(insert(REVIEWS).values(**_review_row(db.learner_id, key)))
        with db.engine.connect() as connection:
            assert len(connection.execute(select(REVIEWS.c.id)).all()) == 4
    finally:
        db.close()


def test_record_answer_skips_a_logged_answer_and_leaves_the_card(
        db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    scheduler = make_scheduler()
    try:
        import_bank(db, bank_dir, "test", FIXED_NOW)
        first = record_answer(db, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW, seed=None,
                              answer_text="跨通道", verdict="right")
        assert first is not None
        with db.engine.connect() as connection:
            card_after_first = connection.execute(select(CARDS)).all()
        again = record_answer(db, scheduler, "conv-1x1", Grade.AGAIN, FIXED_NOW, seed=None,
                              answer_text="跨通道", verdict="wrong")
        assert again is None
        with db.engine.connect() as connection:
            assert connection.execute(select(CARDS)).all() == card_after_first
            keys = connection.execute(select(REVIEWS.c.answer_key)).scalars().all()
        assert keys == [answer_key("conv-1x1", None, "跨通道")]
    finally:
        db.close()


def test_tui_ratings_have_no_key_and_may_repeat_after_an_undo(
        db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    scheduler = make_scheduler()
    try:
        import_bank(db, bank_dir, "test", FIXED_NOW)
        rated = apply_review(db, scheduler, "conv-1x1", Grade.AGAIN, FIXED_NOW, seed=None,
                             answer_text="跨通道")
        undo_review(db, rated.review_id, FIXED_NOW)
        apply_review(db, scheduler, "conv-1x1", Grade.AGAIN, FIXED_NOW, seed=None,
                     answer_text="跨通道")
        with db.engine.connect() as connection:
            keys = connection.execute(select(REVIEWS.c.answer_key)).scalars().all()
        assert keys == [None, None, None]
    finally:
        db.close()
