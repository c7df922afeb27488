from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from quiz.bank.parser import load_bank, parse_text
from quiz.store.actions import apply_review
from quiz.store.counts import due_counts
from quiz.store.db import open_database
from quiz.store.log import history
from quiz.store.models import QuestionRow, ReviewRow
from quiz.store.queue import get_item, next_study_item
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.settings import Settings
from quiz.store.sqlite_files import BUSY_TIMEOUT_MS
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW, SMALL_BANK


def test_import_is_idempotent(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    questions = load_bank(bank_dir)
    first = sync_bank(db, questions, "b", FIXED_NOW)
    second = sync_bank(db, questions, "b", FIXED_NOW + timedelta(hours=1))
    assert sorted(first.added) == ["conv-1x1", "pool-role", "rf-basics"]
    assert not second.touched and second.unchanged == 3
    with db.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(QuestionRow)) == 3


def test_edited_question_keeps_its_history(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    scheduler = make_scheduler(fuzz=False)
    card = apply_review(db, scheduler, "conv-1x1", Grade.GOOD, FIXED_NOW).card
    edited = SMALL_BANK.replace("跨通道线性组合", "跨通道的线性组合（已修订）")
    (bank_dir / "conv.md").write_text(edited, encoding="utf-8")
    report = sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW + timedelta(minutes=5))
    assert report.changed == ["conv-1x1"]
    item = get_item(db, "conv-1x1")
    assert item is not None and "已修订" in item.answer
    assert item.card == card  # scheduling state untouched by the edit
    assert [entry.rating for entry in history(db, "conv-1x1")] == [int(Grade.GOOD)]


def test_removed_question_is_retired_not_deleted(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    apply_review(db, make_scheduler(fuzz=False), "pool-role", Grade.AGAIN, FIXED_NOW)
    remaining = SMALL_BANK.split("## 池化的作用？")[0]
    (bank_dir / "conv.md").write_text(remaining, encoding="utf-8")
    report = sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW + timedelta(days=1))
    assert report.retired == ["pool-role"]
    assert due_counts(db, FIXED_NOW + timedelta(days=1), Settings()).total == 2
    assert [entry.question_id for entry in history(db)] == ["pool-role"]
    # Putting it back revives the same card, history included.
    (bank_dir / "conv.md").write_text(SMALL_BANK, encoding="utf-8")
    back = sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW + timedelta(days=2))
    assert back.revived == ["pool-role"]
    item = get_item(db, "pool-role")
    assert item is not None and not item.card.is_new


def test_second_bank_does_not_retire_the_first(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "first", FIXED_NOW)
    other = parse_text("# T\n\n## Q\n\n```meta\nid: other\nsources: 002#1\ntags: x\n"
                       "kind: concept\n```\nA\n", "other.md")
    report = sync_bank(db, other, "second", FIXED_NOW)
    assert report.added == ["other"] and report.retired == []


def test_failing_import_changes_nothing(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    questions = load_bank(bank_dir)
    sync_bank(db, questions, "b", FIXED_NOW)
    broken = [replace(questions[0], title=None)]  # violates NOT NULL mid-transaction
    broken += [replace(questions[1], id="brand-new")]
    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        sync_bank(db, broken + questions[2:], "b", FIXED_NOW)
    item = get_item(db, questions[0].id)
    assert item is not None and item.title == questions[0].title
    assert get_item(db, "brand-new") is None
    assert due_counts(db, FIXED_NOW, Settings()).total == 3  # nothing was retired either


def test_rating_schedules_the_card_and_logs_the_review(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    scheduler = make_scheduler(fuzz=False)
    first = next_study_item(db, FIXED_NOW, Settings())
    assert first is not None and first.card.is_new
    after = apply_review(db, scheduler, first.id, Grade.EASY, FIXED_NOW, duration_ms=1500).card
    # Easy on a new card graduates it straight to a review interval of at least a day.
    assert after.last_review == FIXED_NOW
    assert after.due - FIXED_NOW >= timedelta(days=1)
    again = apply_review(db, scheduler, "rf-basics", Grade.AGAIN, FIXED_NOW).card
    assert again.due - FIXED_NOW == timedelta(minutes=1)  # first learning step
    summary = due_counts(db, FIXED_NOW + timedelta(minutes=2), Settings())
    assert summary.due == 1 and summary.new_today == 2 and summary.reviews_today == 2


def test_review_log_is_append_only(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    apply_review(db, make_scheduler(fuzz=False), "conv-1x1", Grade.GOOD, FIXED_NOW)
    for statement in ("UPDATE reviews SET rating = 4", "DELETE FROM reviews"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))
    with db.sessions.begin() as session:
        assert session.scalar(select(ReviewRow.rating)) == int(Grade.GOOD)


@pytest.mark.sqlite_only
def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(db_url: str) -> None:
    db = open_database(db_url)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


def test_naive_datetimes_are_refused(db_url: str, bank_dir: Path) -> None:
    db = open_database(db_url)
    with pytest.raises(ValueError, match="naive"):
        sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW.replace(tzinfo=None))


def test_stored_paths_do_not_depend_on_the_working_directory(
    db_url: str, bank_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = open_database(db_url)
    monkeypatch.chdir(bank_dir.parent)
    sync_bank(db, load_bank(Path(bank_dir.name)), "b", FIXED_NOW)
    with db.sessions.begin() as session:
        first = dict(session.execute(select(QuestionRow.id, QuestionRow.file)).all())
    monkeypatch.chdir(bank_dir)
    report = sync_bank(db, load_bank(Path(".")), "b", FIXED_NOW)
    with db.sessions.begin() as session:
        second = dict(session.execute(select(QuestionRow.id, QuestionRow.file)).all())
    assert first == second and report.unchanged == 3
    assert all(Path(path).is_absolute() for path in second.values())
