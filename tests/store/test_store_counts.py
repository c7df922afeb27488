"""The indexed counts (quiz due, the home screen, the study queue, cards by state) against a
plain Python recount over the raw rows of random databases, and the statements they run against
SQLite's query plans: no count reads every review or every card.

The random databases have two learners, each with random cards and ratings: every figure is
held to a recount of the learner's own rows."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select, update

from quiz.bank.parser import parse_text
from quiz.store.counts import (
    Mode,
    StudyScope,
    due_cards,
    due_counts,
    home_figures,
    queue_counts,
    unseen_count,
)
from quiz.store.days import start_of_day
from quiz.store.db import ANALYZE_MIN_ROWS, Database, open_database
from quiz.store.learners import add_learner
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.queue import add_extra_new
from quiz.store.settings import Settings
from quiz.store.stats import study_stats
from quiz.store.sync import sync_bank
from quiz.store.tables import DEFAULT_LEARNER_ID
from tests.conftest import FIXED_NOW, numbered_bank

QUESTIONS = 40
DECKS = 4
LEARNERS = (DEFAULT_LEARNER_ID, 2)  # the default learner and the one `random_db` adds


def _moment(now: datetime, rng: random.Random, days: float) -> datetime:
    return now + timedelta(days=rng.uniform(-days, days))


def _fill(db: Database, rng: random.Random, now: datetime) -> None:
    """Random cards of each learner (states, due dates on both sides of now, unseen,
    suspended, buried), a few retired and numeric questions, and a log of recent ratings, crams
    and undos (one twice) of both learners, each undo by the learner it takes a rating from."""
    with db.sessions.begin() as session:
        for n in range(QUESTIONS):
            qid = f"q{n:02d}"
            for learner in LEARNERS:
                seen = rng.random() < 0.6
                buried = rng.choice((None, None, None, _moment(now, rng, 1)))
                session.execute(update(CardRow).where(CardRow.learner_id == learner,
                                                      CardRow.question_id == qid).values(
                    state=rng.choice((1, 2, 2, 3)) if seen else 1,
                    due=_moment(now, rng, 2), last_review=_moment(now, rng, 3) if seen else None,
                    suspended=rng.random() < 0.1, buried_until=buried))
            values: dict[str, object] = {}
            if rng.random() < 0.1:
                values["retired_at"] = now - timedelta(days=1)
            if rng.random() < 0.2:
                values["kind"] = "numeric"
            if values:
                session.execute(update(QuestionRow).where(QuestionRow.id == qid).values(**values))
        rows: list[dict[str, object]] = []
        for review_id in range(1, rng.randint(5, 80)):
            moment = now - timedelta(hours=rng.uniform(0, 72))
            rows.append({
                "id": review_id, "learner_id": rng.choice(LEARNERS),
                "question_id": f"q{rng.randrange(QUESTIONS):02d}",
                "reviewed_at": moment, "rating": rng.randint(1, 4), "content_hash": "h",
                "state_after": 2, "due_after": moment,
                "kind": rng.choice(("review",) * 6 + ("cram",)),
                "state_before": rng.choice((0, 1, 2, 2, 3)),
            })
        targets = rng.sample([row["id"] for row in rows], k=min(6, len(rows)))
        for target in [*targets, *targets[:1]]:
            undone = rows[int(str(target)) - 1]
            rows.append({
                "id": len(rows) + 1, "learner_id": undone["learner_id"],
                "question_id": undone["question_id"],
                "reviewed_at": undone["reviewed_at"], "rating": 0, "content_hash": "h",
                "state_after": 2, "due_after": undone["reviewed_at"], "kind": "undo",
                "undoes": target,
            })
        session.execute(insert(ReviewRow), rows)


@dataclass
class _Raw:
    """One learner's rows (and every question), read without any of the code under test."""

    questions: dict[str, QuestionRow]
    cards: dict[str, CardRow]
    reviews: list[ReviewRow]

    @classmethod
    def read(cls, db: Database) -> _Raw:
        """The rows of the learner `db` studies as."""
        with db.sessions.begin() as session:
            questions = {q.id: q for q in session.scalars(select(QuestionRow))}
            cards = {c.question_id: c for c in session.scalars(
                select(CardRow).where(CardRow.learner_id == db.learner_id))}
            reviews = list(session.scalars(
                select(ReviewRow).where(ReviewRow.learner_id == db.learner_id)))
            session.expunge_all()
        return cls(questions, cards, reviews)

    def counted(self) -> list[ReviewRow]:
        undone = {r.undoes for r in self.reviews if r.kind == "undo"}
        return [r for r in self.reviews if r.kind in ("review", "cram") and r.id not in undone]

    def live(self) -> list[tuple[QuestionRow, CardRow]]:
        return [(q, self.cards[q.id]) for q in self.questions.values() if q.retired_at is None]

    @staticmethod
    def available(card: CardRow, now: datetime) -> bool:
        return not card.suspended and (card.buried_until is None or card.buried_until <= now)

    def due(self, now: datetime, states: tuple[int, ...],
            deck: str | None = None) -> int:
        return sum(1 for q, c in self.live() if self.available(c, now)
                   and c.last_review is not None and c.state in states and c.due <= now
                   and deck in (None, q.deck))

    def unseen(self, now: datetime, deck: str | None = None) -> int:
        return sum(1 for q, c in self.live() if self.available(c, now)
                   and c.last_review is None and deck in (None, q.deck))

    def new_today(self, day_start: datetime) -> int:
        first: dict[str, datetime] = {}
        for r in self.counted():
            if r.kind == "review":
                first[r.question_id] = min(first.get(r.question_id, r.reviewed_at),
                                           r.reviewed_at)
        return sum(moment >= day_start for moment in first.values())

    def reviews_today(self, day_start: datetime) -> int:
        return sum(1 for r in self.counted() if r.kind == "review" and r.state_before == 2
                   and r.reviewed_at >= day_start)


def _settings(rng: random.Random) -> Settings:
    return Settings(new_per_day=rng.choice((0, 2, 5, 50)),
                    max_reviews_per_day=rng.choice((0, 3, 1000)),
                    day_starts_at=rng.randint(0, 23))


@pytest.fixture
def random_db(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Database, random.Random]:
    rng = random.Random(request.param)
    db = open_database(f"sqlite:///{tmp_path / 'counts.db'}")
    bank = parse_text(numbered_bank(QUESTIONS, DECKS, id_digits=2), "bank.md")
    sync_bank(db, bank, "b", FIXED_NOW - timedelta(days=9))
    assert add_learner(db, "second", FIXED_NOW - timedelta(days=9)).id == LEARNERS[1]
    _fill(db, rng, FIXED_NOW)
    yield db, rng
    db.close()


def _each_learner(db: Database) -> list[Database]:
    """The database as the default learner and as the second one."""
    return [db, db.as_learner(LEARNERS[1], "second")]


@pytest.mark.parametrize("random_db", range(16), indirect=True)
@pytest.mark.parametrize("learner", range(len(LEARNERS)))
def test_counts_equal_a_python_recount(random_db: tuple[Database, random.Random],
                                       learner: int) -> None:
    db, rng = random_db
    db = _each_learner(db)[learner]
    raw = _Raw.read(db)
    for now in (FIXED_NOW, FIXED_NOW + timedelta(hours=rng.uniform(1, 30))):
        settings = _settings(rng)
        day_start = start_of_day(now, settings.day_starts_at)
        new_seen, done_reviews = raw.new_today(day_start), raw.reviews_today(day_start)
        new_left = max(settings.new_per_day - new_seen, 0)
        reviews_left = max(settings.max_reviews_per_day - done_reviews, 0)
        review, learning = raw.due(now, (2,)), raw.due(now, (1, 3))
        summary = due_counts(db, now, settings)
        assert (summary.due, summary.learning, summary.new, summary.total, summary.new_today,
                summary.reviews_today) == (
            min(review, reviews_left) + learning, learning,
            min(raw.unseen(now), new_left), len(raw.live()), new_seen,
            sum(r.reviewed_at >= day_start for r in raw.counted()))
        # Home's counts come deck by deck; the same figures.
        assert home_figures(db, now, settings).counts == summary
        assert unseen_count(db, now) == raw.unseen(now)
        cram = queue_counts(db, now, settings, StudyScope(mode=Mode.CRAM))
        assert cram.total == sum(1 for _q, c in raw.live() if raw.available(c, now))
        deck = f"主题{rng.randrange(DECKS)}"
        scoped = queue_counts(db, now, settings, StudyScope(decks=frozenset({deck})))
        assert (scoped.learning, scoped.new) == (
            raw.due(now, (1, 3), deck), min(raw.unseen(now, deck), new_left))
        due_ids = [item.id for item in due_cards(db, now, limit=None)]
        assert sorted(due_ids) == sorted(
            q.id for q, c in raw.live() if raw.available(c, now) and c.last_review is not None
            and c.due <= now)


@pytest.mark.parametrize("random_db", range(8), indirect=True)
def test_extra_new_cards_raise_the_capped_new_count(
        random_db: tuple[Database, random.Random]) -> None:
    """Extra new cards are the learner's who asked for them: the other learner's count stays."""
    db, _rng = random_db
    first, second = _each_learner(db)
    settings = Settings(new_per_day=0)
    for learner in (first, second):
        assert due_counts(learner, FIXED_NOW, settings).new == 0
    add_extra_new(second, FIXED_NOW, settings, 3)
    raw = _Raw.read(second)
    new_seen = raw.new_today(start_of_day(FIXED_NOW, settings.day_starts_at))
    assert due_counts(second, FIXED_NOW, settings).new == \
        min(raw.unseen(FIXED_NOW), max(3 - new_seen, 0))
    assert due_counts(first, FIXED_NOW, settings).new == 0


@pytest.mark.parametrize("random_db", range(12), indirect=True)
@pytest.mark.parametrize("learner", range(len(LEARNERS)))
def test_deck_counts_and_cards_by_state_equal_a_python_recount(
        random_db: tuple[Database, random.Random], learner: int) -> None:
    db, rng = random_db
    db = _each_learner(db)[learner]
    raw = _Raw.read(db)
    now = FIXED_NOW + timedelta(hours=rng.uniform(0, 20))
    settings = _settings(rng)
    day_start = start_of_day(now, settings.day_starts_at)
    live = raw.live()
    decks = sorted({q.deck for q, _c in live},
                   key=lambda d: (min(q.file for q, _c in live if q.deck == d), d))
    done = Counter(raw.questions[qid].deck for qid in
                   {r.question_id for r in raw.counted() if r.reviewed_at >= day_start})
    expected = [
        (deck, raw.due(now, (2,), deck), raw.due(now, (1, 3), deck), raw.unseen(now, deck),
         done[deck], sum(q.deck == deck for q, _c in live),
         sum(q.deck == deck and q.kind == "numeric" for q, _c in live))
        for deck in decks
    ]
    assert [(d.deck, d.review, d.learning, d.new, d.done_today, d.total, d.numeric)
            for d in home_figures(db, now, settings).decks] == expected

    def state(card: CardRow) -> str:
        if card.suspended:
            return "suspended"
        if card.buried_until is not None and card.buried_until > now:
            return "buried"
        if card.last_review is None:
            return "new"
        return "learning" if card.state in (1, 3) else "review"

    by_state = Counter(state(c) for _q, c in live)
    stats = study_stats(db, now, settings)
    assert stats.cards_by_state == {name: by_state[name] for name in
                                    ("new", "learning", "review", "suspended", "buried")}
    forecast = [0] * 30
    today = start_of_day(now, settings.day_starts_at)
    for _q, c in live:
        if c.last_review is not None and not c.suspended and c.due < today + timedelta(days=30):
            forecast[max(int((c.due - today).total_seconds() // 86400), 0)] += 1
    assert [count for _label, count in stats.forecast] == forecast


def _plans(db: Database, calls: list[object]) -> list[str]:
    """The query plan of every SELECT the calls run, those written as plain SQL on the driver's
    connection included (SQLite's trace hands each statement over with its values)."""
    captured: list[str] = []

    @event.listens_for(db.engine, "checkout")
    def trace(dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.set_trace_callback(captured.append)

    @event.listens_for(db.engine, "checkin")
    def untrace(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.set_trace_callback(None)

    for call in calls:
        call()  # type: ignore[operator]
    event.remove(db.engine, "checkout", trace)
    event.remove(db.engine, "checkin", untrace)
    plans = []
    with db.engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        assert driver is not None
        for statement in captured:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            rows = driver.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows) + "  <=  " + statement)
    return plans


@pytest.mark.parametrize("random_db", [3], indirect=True)
def test_due_and_home_counts_read_no_table_whole(
        random_db: tuple[Database, random.Random]) -> None:
    """Every count of `quiz due` and the home screen is an index range or a probe: no SCAN of
    the reviews, the cards or the questions (a bare count(*) of a table, SQLite's page count,
    aside)."""
    db, _rng = random_db
    with db.sessions.begin() as session:
        session.connection().exec_driver_sql("ANALYZE")
    settings = Settings()
    calls = [call for learner in _each_learner(db) for call in (
        lambda learner=learner: due_counts(learner, FIXED_NOW, settings),
        lambda learner=learner: due_cards(learner, FIXED_NOW, limit=20),
        lambda learner=learner: home_figures(learner, FIXED_NOW, settings).decks)]
    plans = _plans(db, calls)
    # Per learner — quiz due: the day and queue in one statement, its list in one; home: the
    # day in one, the decks in two.
    assert len(plans) == 5 * len(LEARNERS)
    for plan in plans:
        for table in ("reviews", "cards", "questions"):
            assert f"SCAN {table}" not in plan, plan


def _stat_rows(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        return {index: int(stat.split()[0]) for index, stat in connection.execute(
            "SELECT idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL")}
    except sqlite3.OperationalError:  # no sqlite_stat1: never analysed
        return {}
    finally:
        connection.close()


def test_statistics_are_gathered_once_a_table_is_large_and_again_when_it_doubles(
        tmp_path: Path) -> None:
    """The planner's statistics: none for a small database, gathered at the open after a
    table passes ANALYZE_MIN_ROWS, not again until it has doubled; a read-only file with stale
    statistics still opens."""
    path = tmp_path / "grow.db"
    db = open_database(f"sqlite:///{path}")
    bank = parse_text(numbered_bank(QUESTIONS, DECKS, id_digits=2), "bank.md")
    sync_bank(db, bank, "b", FIXED_NOW)
    db.close()
    open_database(f"sqlite:///{path}").close()
    assert "ix_cards_due" not in _stat_rows(path)

    def grow(count: int) -> None:
        db = open_database(f"sqlite:///{path}")
        with db.sessions.begin() as session:
            session.execute(insert(ReviewRow), [
                {"learner_id": DEFAULT_LEARNER_ID, "question_id": "q00",
                 "reviewed_at": FIXED_NOW, "rating": 3,
                 "content_hash": "h", "state_after": 2, "due_after": FIXED_NOW,
                 "kind": "review", "state_before": 2} for _ in range(count)])
        db.close()

    grow(ANALYZE_MIN_ROWS)
    open_database(f"sqlite:///{path}").close()
    assert _stat_rows(path)["ix_reviews_when"] == ANALYZE_MIN_ROWS
    grow(ANALYZE_MIN_ROWS // 2)  # 1.5 times: not stale yet
    open_database(f"sqlite:///{path}").close()
    assert _stat_rows(path)["ix_reviews_when"] == ANALYZE_MIN_ROWS
    grow(ANALYZE_MIN_ROWS)  # 2.5 times
    # Opened read-only (as root, file permissions would not stop the write): left as it was.
    open_database(f"sqlite:///file:{path}?mode=ro&uri=true").close()
    assert _stat_rows(path)["ix_reviews_when"] == ANALYZE_MIN_ROWS
    open_database(f"sqlite:///{path}").close()
    assert _stat_rows(path)["ix_reviews_when"] == ANALYZE_MIN_ROWS * 5 // 2
