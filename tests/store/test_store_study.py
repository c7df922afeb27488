"""The study queue, undo, bury/suspend/flag, leeches, custom study and settings, on a real
SQLite file with a fixed clock and fsrs fuzzing off."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir
from quiz.store.actions import (
    ActionError,
    apply_review,
    bury,
    set_flagged,
    set_suspended,
    undo_review,
)
from quiz.store.counts import Mode, QueueCounts, StudyScope, home_figures, queue_counts
from quiz.store.db import Database, open_database
from quiz.store.items import StudyItem
from quiz.store.log import history
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.queue import (
    add_extra_new,
    get_item,
    next_study_item,
    session_left,
    study_step,
)
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.settings import (
    LeechAction,
    NewOrder,
    SettingError,
    Settings,
    load_settings,
    save_settings,
)
from quiz.store.stats import study_stats
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW

SETTINGS = Settings()


@pytest.fixture
def bundled(tmp_path: Path) -> Database:
    db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    sync_bank(db, load_bank(bundled_bank_dir()), "bundled", FIXED_NOW)
    return db


@pytest.fixture
def small(db_url: str, bank_dir: Path) -> Database:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    return db


def _card_row(db: Database, question_id: str) -> dict[str, object]:
    with db.sessions.begin() as session:
        card = session.get(CardRow, (db.learner_id, question_id))
        assert card is not None
        return {c.name: getattr(card, c.name) for c in CardRow.__table__.columns}


ALL = StudyScope()


def _study_order(db: Database, count: int, settings: Settings = SETTINGS,
                 scope: StudyScope = ALL) -> list[str]:
    """Ids shown when every card is rated Easy (out of today's queue) in turn."""
    scheduler = make_scheduler(fuzz=False)
    shown: list[str] = []
    previous: tuple[str, ...] = ()
    for _ in range(count):
        item = next_study_item(db, FIXED_NOW, settings, scope, avoid_sources=previous)
        if item is None:
            break
        shown.append(item.id)
        previous = item.sources
        apply_review(db, scheduler, item.id, Grade.EASY, FIXED_NOW, settings=settings)
    return shown


def test_interleaved_order_mixes_numeric_cards_into_the_first_ten(bundled: Database) -> None:
    first = _study_order(bundled, 10)
    kinds = [get_item(bundled, qid).kind for qid in first]  # type: ignore[union-attr]
    assert "numeric" in kinds and "concept" in kinds
    decks = {get_item(bundled, qid).deck for qid in first}  # type: ignore[union-attr]
    assert len(decks) >= 5  # decks taken in turn, not one file after another


def test_bank_order_follows_the_files(bundled: Database) -> None:
    settings = replace(SETTINGS, new_order=NewOrder.BANK)
    save_settings(bundled, {"new_order": "bank"})
    sync_bank(bundled, load_bank(bundled_bank_dir()), "bundled", FIXED_NOW)  # re-rank
    first = _study_order(bundled, 5, settings)
    in_files = [q.id for q in sorted(load_bank(bundled_bank_dir()),
                                     key=lambda q: (str(Path(q.file).resolve()), q.line))]
    # File order, but for a sibling moved back a place or two.
    assert first[0] == in_files[0] and set(first) <= set(in_files[:8])


def test_siblings_never_come_back_to_back(bundled: Database) -> None:
    shown = _study_order(bundled, 60)
    sources = [set(get_item(bundled, qid).sources) for qid in shown]  # type: ignore[union-attr]
    back_to_back = [i for i in range(1, len(shown)) if sources[i] & sources[i - 1]]
    assert back_to_back == []


def test_deck_and_numeric_scopes(bundled: Database) -> None:
    numeric = _study_order(bundled, 5, scope=StudyScope(numeric_only=True))
    assert numeric and all(get_item(bundled, q).kind == "numeric" for q in numeric)  # type: ignore[union-attr]
    deck = home_figures(bundled, FIXED_NOW, SETTINGS).decks[0].deck
    chosen = _study_order(bundled, 3, scope=StudyScope(decks=frozenset({deck})))
    assert chosen and all(get_item(bundled, q).deck == deck for q in chosen)  # type: ignore[union-attr]


def test_undo_three_ratings_restores_the_exact_cards(small: Database) -> None:
    scheduler = make_scheduler(fuzz=False)
    before = {qid: _card_row(small, qid) for qid in ("conv-1x1", "rf-basics")}
    first = apply_review(small, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW)
    after_first = _card_row(small, "conv-1x1")
    second = apply_review(small, scheduler, "rf-basics", Grade.AGAIN, FIXED_NOW)
    later = FIXED_NOW + timedelta(minutes=10)
    third = apply_review(small, scheduler, "conv-1x1", Grade.EASY, later)
    undo_review(small, third.review_id, FIXED_NOW + timedelta(minutes=11))
    assert _card_row(small, "conv-1x1") == after_first
    undo_review(small, second.review_id, FIXED_NOW + timedelta(minutes=12))
    undo_review(small, first.review_id, FIXED_NOW + timedelta(minutes=13))
    for qid, row in before.items():
        assert _card_row(small, qid) == row
    assert history(small) == []  # undone ratings do not count …
    log = history(small, include_undo=True)  # … but the log keeps every row
    assert [e.kind for e in log] == ["review", "review", "review", "undo", "undo", "undo"]
    assert [e.undone for e in log[:3]] == [True, True, True]
    with small.sessions.begin() as session:
        assert len(session.scalars(select(ReviewRow)).all()) == 6
    with pytest.raises(ActionError):
        undo_review(small, first.review_id, FIXED_NOW + timedelta(minutes=14))


def test_only_the_latest_rating_of_a_card_can_be_undone(small: Database) -> None:
    scheduler = make_scheduler(fuzz=False)
    first = apply_review(small, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW)
    apply_review(small, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW + timedelta(minutes=10))
    with pytest.raises(ActionError, match="latest"):
        undo_review(small, first.review_id, FIXED_NOW + timedelta(minutes=11))


def test_undo_gives_the_new_card_back_to_todays_limit(small: Database) -> None:
    settings = replace(SETTINGS, new_per_day=1)
    scheduler = make_scheduler(fuzz=False)
    outcome = apply_review(small, scheduler, "conv-1x1", Grade.EASY, FIXED_NOW, settings=settings)
    assert queue_counts(small, FIXED_NOW, settings).new == 0
    undo_review(small, outcome.review_id, FIXED_NOW)
    assert queue_counts(small, FIXED_NOW, settings).new == 1


def test_bury_hides_until_the_next_day(small: Database) -> None:
    until = bury(small, "conv-1x1", FIXED_NOW)
    assert until > FIXED_NOW and until - FIXED_NOW <= timedelta(days=1)
    shown = _study_order(small, 5)
    assert "conv-1x1" not in shown
    assert next_study_item(small, until + timedelta(minutes=1), SETTINGS).id == "conv-1x1"  # type: ignore[union-attr]


def test_suspend_and_flag(small: Database) -> None:
    set_suspended(small, "rf-basics", True)
    set_flagged(small, "pool-role", True)
    assert "rf-basics" not in _study_order(small, 5)
    item = get_item(small, "pool-role")
    assert item is not None and item.flags.flagged
    set_suspended(small, "rf-basics", False)
    assert next_study_item(small, FIXED_NOW, SETTINGS).id == "rf-basics"  # type: ignore[union-attr]


@pytest.mark.parametrize("action", [LeechAction.TAG, LeechAction.SUSPEND])
def test_a_card_forgotten_eight_times_becomes_a_leech(small: Database, action: LeechAction) -> None:
    settings = replace(SETTINGS, leech_action=action)
    scheduler = make_scheduler(fuzz=False)
    now = FIXED_NOW
    apply_review(small, scheduler, "conv-1x1", Grade.EASY, now, settings=settings)
    outcomes = []
    for _ in range(8):
        now = get_item(small, "conv-1x1").card.due + timedelta(minutes=1)  # type: ignore[union-attr]
        outcomes.append(apply_review(small, scheduler, "conv-1x1", Grade.AGAIN, now,
                                     settings=settings))
        now += timedelta(minutes=15)
        apply_review(small, scheduler, "conv-1x1", Grade.GOOD, now, settings=settings)
    assert [o.became_leech for o in outcomes] == [False] * 7 + [True]
    item = get_item(small, "conv-1x1")
    assert item is not None and item.flags.leech and item.flags.lapses == 8
    assert item.flags.suspended is (action is LeechAction.SUSPEND)


def test_cram_logs_ratings_without_rescheduling(small: Database) -> None:
    scheduler = make_scheduler(fuzz=False)
    before = _card_row(small, "conv-1x1")
    outcome = apply_review(small, scheduler, "conv-1x1", Grade.AGAIN, FIXED_NOW, reschedule=False)
    assert _card_row(small, "conv-1x1") == before
    (entry,) = history(small, "conv-1x1")
    assert entry.kind == "cram" and outcome.card.is_new
    cram = StudyScope(mode=Mode.CRAM)
    assert queue_counts(small, FIXED_NOW, SETTINGS, cram).total == 3
    assert queue_counts(small, FIXED_NOW, SETTINGS, cram, exclude={"conv-1x1"}).total == 2


def test_custom_study_more_new_ahead_and_forgotten(small: Database) -> None:
    settings = replace(SETTINGS, new_per_day=1)
    scheduler = make_scheduler(fuzz=False)
    apply_review(small, scheduler, "conv-1x1", Grade.AGAIN, FIXED_NOW, settings=settings)
    assert queue_counts(small, FIXED_NOW, settings).new == 0
    add_extra_new(small, FIXED_NOW, settings, 1)
    assert queue_counts(small, FIXED_NOW, settings).new == 1
    forgotten = StudyScope(mode=Mode.FORGOTTEN)
    assert next_study_item(small, FIXED_NOW, settings, forgotten).id == "conv-1x1"  # type: ignore[union-attr]
    apply_review(small, scheduler, "rf-basics", Grade.EASY, FIXED_NOW, settings=settings)
    due = get_item(small, "rf-basics").card.due  # type: ignore[union-attr]
    days = (due - FIXED_NOW).days + 1
    assert queue_counts(small, FIXED_NOW, settings, StudyScope(mode=Mode.AHEAD,
                                                               ahead_days=days)).total == 1
    assert queue_counts(small, FIXED_NOW, settings, StudyScope(mode=Mode.AHEAD,
                                                               ahead_days=0)).total == 0


def test_settings_validate_and_persist(small: Database, db_url: str) -> None:
    with pytest.raises(SettingError) as error:
        save_settings(small, {"new_per_day": "lots"})
    assert error.value.field == "new_per_day"
    with pytest.raises(SettingError):
        save_settings(small, {"desired_retention": "1.5"})
    with pytest.raises(SettingError):
        save_settings(small, {"new_order": "sideways", "new_per_day": "5"})
    assert load_settings(small) == Settings()  # nothing half-saved
    save_settings(small, {"new_per_day": "5", "learning_steps": "1, 5 30",
                          "leech_action": "suspend"})
    small.close()
    again = load_settings(open_database(db_url))
    assert again.new_per_day == 5 and again.learning_steps == (1, 5, 30)
    assert again.leech_action is LeechAction.SUSPEND


def test_max_reviews_per_day_caps_the_review_queue(small: Database) -> None:
    scheduler = make_scheduler(fuzz=False)
    for qid in ("conv-1x1", "rf-basics", "pool-role"):
        apply_review(small, scheduler, qid, Grade.EASY, FIXED_NOW)
    later = FIXED_NOW + timedelta(days=60)
    settings = replace(SETTINGS, max_reviews_per_day=2)
    assert queue_counts(small, later, settings).review == 2
    for _ in range(2):
        item = next_study_item(small, later, settings)
        assert item is not None
        apply_review(small, scheduler, item.id, Grade.GOOD, later, settings=settings)
    assert next_study_item(small, later, settings) is None


def test_stats_after_reviews_and_an_undo(small: Database) -> None:
    scheduler = make_scheduler(fuzz=False)
    apply_review(small, scheduler, "conv-1x1", Grade.EASY, FIXED_NOW)
    undone = apply_review(small, scheduler, "rf-basics", Grade.AGAIN, FIXED_NOW)
    undo_review(small, undone.review_id, FIXED_NOW)
    stats = study_stats(small, FIXED_NOW)
    assert stats.total_reviews == 1 and stats.reviews_per_day[-1][1] == 1
    assert stats.streak == 1
    assert stats.cards_by_state["new"] == 2 and stats.cards_by_state["review"] == 1
    assert sum(count for _, count in stats.forecast) == 1


def test_migrating_a_version_1_database_keeps_history_and_backs_it_up(tmp_path: Path,
                                                                      bank_dir: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    db = open_database(url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    apply_review(db, make_scheduler(fuzz=False), "conv-1x1", Grade.GOOD, FIXED_NOW)
    db.close()
    _downgrade_to_version_1(path)
    db = open_database(url)
    assert list(tmp_path.glob("old.db.v1-backup-*"))
    item = get_item(db, "conv-1x1")
    assert item is not None and item.deck == "卷积变种" and not item.card.is_new
    assert [e.rating for e in history(db)] == [int(Grade.GOOD)]
    with db.sessions.begin() as session:
        tags = session.execute(text("SELECT tags FROM questions WHERE id='conv-1x1'")).scalar()
    assert "卷积变种" in tags  # stored readable, so LIKE finds it


# Schema 1's cards and reviews: one card per question, no learners, none of schema 2's columns.
_V1_TABLES = """
    CREATE TABLE cards_v1 (
        question_id VARCHAR(120) NOT NULL, state INTEGER NOT NULL, step INTEGER,
        stability FLOAT, difficulty FLOAT, due DATETIME NOT NULL, last_review DATETIME,
        PRIMARY KEY (question_id), FOREIGN KEY(question_id) REFERENCES questions (id));
    INSERT INTO cards_v1 SELECT question_id, state, step, stability, difficulty, due,
        last_review FROM cards WHERE learner_id = 1;
    DROP TABLE cards; ALTER TABLE cards_v1 RENAME TO cards;
    CREATE INDEX ix_cards_due ON cards (due);
    CREATE TABLE reviews_v1 (
        id INTEGER NOT NULL, question_id VARCHAR(120) NOT NULL, reviewed_at DATETIME NOT NULL,
        rating INTEGER NOT NULL, duration_ms INTEGER, content_hash VARCHAR(64) NOT NULL,
        state_after INTEGER NOT NULL, stability_after FLOAT, difficulty_after FLOAT,
        due_after DATETIME NOT NULL, seed INTEGER, answer_text TEXT, verdict VARCHAR(40),
        PRIMARY KEY (id), FOREIGN KEY(question_id) REFERENCES questions (id));
    INSERT INTO reviews_v1 SELECT id, question_id, reviewed_at, rating, duration_ms,
        content_hash, state_after, stability_after, difficulty_after, due_after, seed,
        answer_text, verdict FROM reviews WHERE learner_id = 1;
    DROP TABLE reviews; ALTER TABLE reviews_v1 RENAME TO reviews;
    CREATE INDEX ix_reviews_question_id ON reviews (question_id);
    CREATE INDEX ix_reviews_reviewed_at ON reviews (reviewed_at);
    DROP TABLE learners;
"""


def _downgrade_to_version_1(path: Path) -> None:
    """Rebuild the tables as schema 1 had them (no learners, no v2 columns, ASCII-escaped
    JSON)."""
    import json
    import sqlite3

    connection = sqlite3.connect(path)
    connection.executescript("""
        DROP TRIGGER IF EXISTS reviews_no_update; DROP TRIGGER IF EXISTS reviews_no_delete;
        DROP TRIGGER card_review_totals_rating; DROP TRIGGER card_review_totals_undo;
        DROP TABLE card_review_totals; DROP TABLE rating_hours;
        DROP TRIGGER deck_totals_learner_insert;
        DROP TRIGGER deck_totals_question_insert; DROP TRIGGER deck_totals_question_delete;
        DROP TRIGGER deck_totals_question_update; DROP TRIGGER deck_totals_card_copy;
        DROP TRIGGER deck_totals_card_insert; DROP TRIGGER deck_totals_card_delete;
        DROP TRIGGER deck_totals_card_update; DROP TABLE deck_totals;
        DROP TABLE settings;
        DROP INDEX ix_questions_deck; DROP INDEX ix_questions_live; DROP INDEX ix_questions_card;
        ALTER TABLE questions DROP COLUMN deck;
        UPDATE schema_info SET version = 1;
    """ + _V1_TABLES)
    for qid, tags in connection.execute("SELECT id, tags FROM questions").fetchall():
        connection.execute("UPDATE questions SET tags=? WHERE id=?",
                           (json.dumps(json.loads(tags)), qid))
    connection.commit()
    connection.close()


def _left_by_hand(db: Database, now: datetime, settings: Settings,
                  on_screen: StudyItem | None) -> QueueCounts:
    """What is left of today's session, counted in Python over every card row (the reference
    for `study_step`): new within today's limit, learning due within the learn-ahead limit,
    reviews due within today's maximum; the card on screen when nothing else is left."""
    with db.sessions.begin() as session:
        rows = session.execute(
            select(CardRow, QuestionRow.retired_at)
            .join(QuestionRow, QuestionRow.id == CardRow.question_id)
            .where(CardRow.learner_id == db.learner_id)).all()
        reviewed = session.execute(
            select(ReviewRow.question_id, ReviewRow.kind)
            .where(ReviewRow.learner_id == db.learner_id)).all()
    cards = [card for card, retired in rows if retired is None and not card.suspended
             and (card.buried_until is None or card.buried_until <= now)]
    new_today = len({question for question, kind in reviewed if kind == "review"})
    new = sum(1 for card in cards if card.last_review is None)
    learning = sum(1 for card in cards if card.last_review is not None
                   and card.state in (1, 3) and card.due <= now + timedelta(minutes=20))
    review = sum(1 for card in cards if card.last_review is not None and card.state == 2
                 and card.due <= now)
    left = QueueCounts(new=min(new, max(settings.new_per_day - new_today, 0)),
                       learning=learning,
                       review=min(review, settings.max_reviews_per_day - len(reviewed)))
    if on_screen is not None and left.total == 0:
        return QueueCounts(new=int(on_screen.card.is_new), learning=0,
                           review=int(not on_screen.card.is_new))
    return left


def test_a_study_step_is_the_next_card_and_what_is_left_counted_by_hand(
        db_url: str) -> None:
    """`study_step` (one transaction, the day's figures read once) agrees with
    `next_study_item` + `session_left` and with a count in Python, through a session of Again,
    Hard and Good ratings in which learning cards fall due again."""
    db = open_database(db_url)
    sync_bank(db, load_bank(bundled_bank_dir()), "bundled", FIXED_NOW)
    settings = replace(SETTINGS, new_per_day=6)
    scheduler = make_scheduler(fuzz=False)
    grades = [Grade.AGAIN, Grade.GOOD, Grade.HARD, Grade.GOOD, Grade.AGAIN, Grade.EASY]
    previous: tuple[str, ...] = ()
    kinds = set()
    for turn in range(30):
        now = FIXED_NOW + timedelta(minutes=3 * turn)
        step = study_step(db, now, settings, ALL, avoid_sources=previous)
        assert step.item == next_study_item(db, now, settings, ALL, avoid_sources=previous)
        assert step.left == session_left(db, now, settings, ALL, (), step.item)
        assert step.left == _left_by_hand(db, now, settings, step.item), turn
        if step.item is None:
            break
        kinds.add("new" if step.item.card.is_new else step.item.card.state)
        previous = step.item.sources
        apply_review(db, scheduler, step.item.id, grades[turn % len(grades)], now,
                     settings=settings)
    assert {"new", 1} <= kinds  # new cards and learning cards that fell due were both shown
    cram = StudyScope(mode=Mode.CRAM)
    step = study_step(db, FIXED_NOW, settings, cram, exclude={"conv-1x1"})
    assert step.left == queue_counts(db, FIXED_NOW, settings, cram, exclude={"conv-1x1"})
    assert step.item is not None and step.item.id != "conv-1x1"
