"""What the scale work must not change: the SQL statistics equal the Python computation, a sync
that changes nothing writes nothing, and the queries the home screen runs stay indexed.

The random histories are two learners': each learner's statistics are held to a Python
computation over that learner's rows alone."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from quiz.bank.parser import load_bank, parse_text
from quiz.store.counts import new_cards_today, reviews_today
from quiz.store.db import Database, open_database
from quiz.store.learners import add_learner
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.stats import (
    REVIEW_STATE,
    _Activity,
    _activity,
    _day_index,
    _streak,
    _Window,
    study_stats,
)
from quiz.store.sync import sync_bank
from quiz.store.tables import DEFAULT_LEARNER_ID
from tests.conftest import FIXED_NOW, numbered_bank

QUESTIONS = 12
LEARNERS = (DEFAULT_LEARNER_ID, 2)  # the default learner and the one `_synced` adds


def _synced(db_url: str, questions: int = QUESTIONS) -> Database:
    """The numbered bank synced, and a second learner with its cards."""
    db = open_database(db_url)
    sync_bank(db, parse_text(numbered_bank(questions), "bank.md"), "b", FIXED_NOW)
    assert add_learner(db, "second", FIXED_NOW).id == LEARNERS[1]
    return db


def _activity_python(session: Session, window: _Window, learner: int) -> _Activity:
    """The oracle: the learner's counted ratings and due dates in the window read into Python
    and bucketed here, the undo check made per rating."""
    log = session.execute(select(ReviewRow.id, ReviewRow.reviewed_at, ReviewRow.kind,
                                 ReviewRow.state_before, ReviewRow.rating, ReviewRow.undoes)
                          .where(ReviewRow.learner_id == learner)).all()
    undone = {row.undoes for row in log if row.kind == "undo"}
    recent = [row for row in log if row.kind in ("review", "cram") and row.id not in undone
              and row.reviewed_at >= window.history_start]
    due_moments = session.scalars(
        select(CardRow.due).join(QuestionRow, QuestionRow.id == CardRow.question_id)
        .where(CardRow.learner_id == learner,
               QuestionRow.retired_at.is_(None), CardRow.last_review.is_not(None),
               CardRow.suspended.is_(False), CardRow.state.in_((1, 2, 3)),
               CardRow.due < window.today + timedelta(days=window.days))).all()
    per_day = [0] * window.days
    per_week = [[0, 0] for _ in range(window.weeks)]
    for row in recent:
        day = _day_index(row.reviewed_at, window.first_day)
        if 0 <= day < window.days:
            per_day[day] += 1
        if row.kind != "review" or row.state_before != REVIEW_STATE:
            continue
        week = _day_index(row.reviewed_at, window.week_start) // 7
        if 0 <= week < window.weeks:
            per_week[week][0] += 1
            per_week[week][1] += row.rating > 1
    forecast = [0] * window.days
    for due in due_moments:
        forecast[max(_day_index(due, window.today), 0)] += 1
    active = {_day_index(row.reviewed_at, window.today) for row in recent}
    return _Activity(per_day, per_week, forecast, _streak(active, 0))


def _stamp(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def _random_history(db: Database, rng: random.Random, today: datetime) -> None:
    """Reviews of both learners over ~400 days (some days skipped, some on exact day
    boundaries), cram ratings, undo rows taking back ratings (by the rating's learner), and
    each learner's card due dates on both sides of today."""
    gap = rng.choice((0.0, 0.05, 0.3, 0.8))  # chance that a day has no review at all
    rows: list[dict[str, object]] = []
    next_id = 1
    for back in range(400, -2, -1):
        if rng.random() < gap:
            continue
        for _ in range(rng.randint(1, 4)):
            offset = rng.choice((0.0, rng.random() * 86400, 86400 - 1e-6, 1e-6))
            moment = today - timedelta(days=back) + timedelta(seconds=offset)
            rows.append({
                "id": next_id, "learner_id": rng.choice(LEARNERS),
                "question_id": f"q{rng.randrange(QUESTIONS)}",
                "reviewed_at": _stamp(moment), "rating": rng.randint(1, 4),
                "content_hash": "h", "state_after": rng.choice((1, 2, 3)),
                "due_after": _stamp(moment), "kind": rng.choice(("review",) * 8 + ("cram",)),
                "state_before": rng.choice((0, 1, 2, 2, 2, 3)),
            })
            next_id += 1
    targets = rng.sample(range(1, next_id), k=min(20, next_id - 1))
    for target in targets + targets[:2]:  # two ratings undone twice (a damaged log)
        rows.append({
            "id": next_id, "learner_id": rows[target - 1]["learner_id"], "question_id": "q0",
            "reviewed_at": rows[target - 1]["reviewed_at"],
            "rating": 0, "content_hash": "h", "state_after": 2,
            "due_after": rows[target - 1]["reviewed_at"], "kind": "undo", "undoes": target,
        })
        next_id += 1
    with db.sessions.begin() as session:
        session.execute(insert(ReviewRow), rows)
        for learner in LEARNERS:
            for n in range(QUESTIONS):
                due = today + timedelta(days=rng.uniform(-5, 40))
                if rng.random() < 0.2:
                    due = today + timedelta(days=rng.randint(-3, 35))  # on a day boundary
                session.execute(
                    CardRow.__table__.update()
                    .where(CardRow.learner_id == learner, CardRow.question_id == f"q{n}")
                    .values(due=_stamp(due),
                            last_review=_stamp(today) if rng.random() < 0.8 else None,
                            suspended=rng.random() < 0.1))


@pytest.mark.parametrize("seed", range(12))
def test_sql_statistics_equal_the_python_computation(db_url: str, seed: int) -> None:
    rng = random.Random(seed)
    db = _synced(db_url)
    # A learner's day starting at an odd local hour and minute: buckets are 24 h from it.
    today = FIXED_NOW.replace(hour=rng.randint(0, 23), minute=rng.choice((0, 30)), second=0,
                              microsecond=0)
    _random_history(db, rng, today)
    for days, weeks in ((30, 12), (7, 4), (1, 1), (90, 20)):
        window = _Window(today, days, weeks)
        with db.sessions.begin() as session:
            per_learner = [(_activity(session, window, learner),
                            _activity_python(session, window, learner))
                           for learner in LEARNERS]
        for learner, (in_sql, in_python) in zip(LEARNERS, per_learner, strict=True):
            assert in_sql == in_python, (seed, learner, days, weeks)
        if days >= 30:  # two histories, not one shared (a day or a week may look alike)
            assert per_learner[0][0] != per_learner[1][0]
    db.close()


def test_a_long_streak_is_counted_past_the_window(db_url: str) -> None:
    """The default learner studied 45 days in a row, the second one the last 10 and the 20
    before a gap: each streak is the learner's own, past the window or not."""
    db = _synced(db_url, questions=1)
    today = FIXED_NOW.replace(hour=4, minute=0, second=0, microsecond=0)
    days = {LEARNERS[0]: range(45),  # days -44 … 0; day -45 has nothing
            LEARNERS[1]: [*range(10), *range(11, 31)]}  # day -10 has nothing
    with db.sessions.begin() as session:
        session.execute(insert(ReviewRow), [
            {"learner_id": learner, "question_id": "q0",
             "reviewed_at": today - timedelta(days=back, hours=-1), "rating": 3,
             "content_hash": "h", "state_after": 2, "due_after": today, "kind": "review",
             "state_before": 2}
            for learner, backs in days.items() for back in backs])
        window = _Window(today, 30, 12)
        streaks = [(_activity(session, window, learner).streak,
                    _activity_python(session, window, learner).streak) for learner in LEARNERS]
    assert streaks == [(45, 45), (10, 10)]
    db.close()


def _writes(db: Database) -> list[str]:
    statements: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            statements.append(statement)

    return statements


def test_a_sync_that_changes_nothing_writes_nothing(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    questions = load_bank(bank_dir)
    sync_bank(db, questions, "b", FIXED_NOW)
    writes = _writes(db)
    report = sync_bank(db, questions, "b", FIXED_NOW + timedelta(hours=1))
    assert report.unchanged == len(questions) and not report.touched
    assert writes == []
    db.close()


def test_a_moved_question_updates_its_position_and_the_new_card_order(
        db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    with db.sessions.begin() as session:
        before = dict(session.execute(select(CardRow.question_id, CardRow.new_rank)).all())
    # The last question moves to the top of the file: not an edit, but bank order changes.
    text_now = (bank_dir / "conv.md").read_text(encoding="utf-8")
    head, last = text_now.split("## 池化的作用？")
    body = head.split("\n", 1)
    (bank_dir / "conv.md").write_text(f"{body[0]}\n\n## 池化的作用？{last}\n{body[1]}",
                                      encoding="utf-8")
    report = sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    assert not report.changed and report.unchanged == 3
    with db.sessions.begin() as session:
        line = session.scalar(select(QuestionRow.line).where(QuestionRow.id == "pool-role"))
        after = dict(session.execute(select(CardRow.question_id, CardRow.new_rank)).all())
    assert line == 3
    assert before != after and after["pool-role"] < after["conv-1x1"]
    db.close()


@pytest.mark.sqlite_only  # SQLite's query plan
def test_todays_counts_use_the_reviewed_at_index(db_url: str) -> None:
    """new_today / reviews_today read today's reviews only, never the whole log."""
    db = open_database(db_url)
    captured: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        captured.append(statement)

    with db.sessions.begin() as session:
        new_cards_today(session.connection(), DEFAULT_LEARNER_ID, FIXED_NOW)
        reviews_today(session.connection(), DEFAULT_LEARNER_ID, FIXED_NOW, 200)
        driver = session.connection().connection.driver_connection
        assert driver is not None
        for statement in [s for s in captured if s.lstrip().upper().startswith("SELECT")]:
            # The plan does not depend on the values bound.
            rows = driver.execute(f"EXPLAIN QUERY PLAN {statement}",
                                  ["x"] * statement.count("?")).fetchall()
            plan = " | ".join(str(row[-1]) for row in rows)
            assert "SCAN reviews" not in plan, plan
    db.close()


@pytest.mark.parametrize("seed", range(6))
def test_new_today_counts_cards_first_reviewed_today(db_url: str, seed: int) -> None:
    rng = random.Random(100 + seed)
    db = _synced(db_url)
    today = FIXED_NOW.replace(hour=4, minute=0, second=0, microsecond=0)
    _random_history(db, rng, today)
    with db.sessions.begin() as session:
        log = session.execute(select(ReviewRow.id, ReviewRow.learner_id, ReviewRow.question_id,
                                     ReviewRow.reviewed_at, ReviewRow.kind,
                                     ReviewRow.undoes)).all()
        undone = {row.undoes for row in log if row.kind == "undo"}
        for learner in LEARNERS:
            first: dict[str, datetime] = {}
            for row in log:
                if row.learner_id == learner and row.kind == "review" and row.id not in undone:
                    first[row.question_id] = min(first.get(row.question_id, row.reviewed_at),
                                                 row.reviewed_at)
            for day_start in (today, today - timedelta(days=3), today + timedelta(hours=13)):
                expected = sum(moment >= day_start for moment in first.values())
                assert new_cards_today(session.connection(), learner, day_start) == expected
    db.close()


@pytest.mark.parametrize("seed", range(6))
def test_totals_retention_and_decks_leave_out_undone_ratings(db_url: str, seed: int) -> None:
    rng = random.Random(200 + seed)
    db = _synced(db_url)
    _random_history(db, rng, FIXED_NOW.replace(hour=4, minute=0))
    with db.sessions.begin() as session:
        log = session.execute(select(ReviewRow.id, ReviewRow.learner_id, ReviewRow.question_id,
                                     ReviewRow.kind, ReviewRow.undoes, ReviewRow.rating,
                                     ReviewRow.state_before)).all()
    undone = {row.undoes for row in log if row.kind == "undo"}
    for learner in LEARNERS:
        counted = [row for row in log if row.learner_id == learner
                   and row.kind in ("review", "cram") and row.id not in undone]
        graded = [row for row in counted if row.kind == "review" and row.state_before == 2]
        decks: dict[str, list[int]] = {}
        for row in counted:
            entry = decks.setdefault(f"主题{int(row.question_id[1:]) % 3}", [0, 0])
            entry[0] += 1
            entry[1] += row.rating > 1
        stats = study_stats(db.as_learner(learner, f"learner {learner}"), FIXED_NOW)
        assert stats.total_reviews == len(counted)
        assert stats.true_retention == pytest.approx(
            sum(row.rating > 1 for row in graded) / len(graded))
        assert [(d.deck, d.reviews, d.recalled) for d in stats.decks] == \
            [(deck, n, ok) for deck, (n, ok) in sorted(decks.items())]
    db.close()
