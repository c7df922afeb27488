"""Home and study flows through Textual's pilot: decks, reveal and rate, undo, bury, suspend,
flag, leech notice, custom study, the end-of-session summary and a failing background job."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable
from textual.worker import WorkerFailed

from quiz.paths import bundled_bank_dir
from quiz.store.actions import apply_review
from quiz.store.counts import Mode
from quiz.store.log import history
from quiz.store.queue import get_item
from quiz.store.scheduling import Grade
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.custom_study import CustomStudyScreen
from quiz.tui.screens.home import HomeScreen
from quiz.tui.screens.study import StudyScreen
from quiz.tui.widgets.card_view import CardView
from quiz.tui.widgets.rating_bar import RatingBar
from tests.conftest import FIXED_NOW


def _app(db_url: str, bank_dir: Path, **options: object) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False, **options)  # type: ignore[arg-type]


def _text(widget) -> str:
    """What a Static shows, as plain text (tables and styled text included)."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def _settle(pilot) -> None:
    for _ in range(3):
        # A failed worker is the app's to report (tested below); waiting must not raise it.
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def _study(pilot, *keys: str) -> StudyScreen:
    await _settle(pilot)
    await pilot.press(*keys)
    await _settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudyScreen)
    return screen


async def test_home_lists_decks_with_counts(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one(DataTable)
        decks = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert decks == ["全部 all", "卷积变种", "感受野", "池化"]
        assert "3 今日新卡" in _text(app.screen.query_one("#home-summary"))


async def test_enter_on_a_deck_studies_only_that_deck(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "down", "down", "enter")  # 感受野
        assert screen.scope.decks == frozenset({"感受野"})
        assert screen.item is not None and screen.item.id == "rf-basics"
        await pilot.press("space", "4")
        await _settle(pilot)
        assert screen.item is None and screen.finished  # nothing else in that deck


async def test_marked_decks_are_studied_together(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        # Marking moves the cursor on, so two presses mark 卷积变种 and 感受野.
        await pilot.press("down", "space", "space")
        screen = await _study(pilot, "s")
        assert screen.scope.decks == frozenset({"卷积变种", "感受野"})
        shown = []
        while screen.item is not None:
            shown.append(screen.item.id)
            await pilot.press("space", "4")
            await _settle(pilot)
        assert sorted(shown) == ["conv-1x1", "rf-basics"]


async def test_reveal_then_rate_writes_a_review(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        first = screen.item
        assert first is not None
        rating = screen.query_one(RatingBar)
        assert not rating.display and not screen.revealed
        await pilot.press("3")  # rating before reveal does nothing
        await _settle(pilot)
        assert history(app.context.db) == []
        await pilot.press("space")
        await pilot.pause()
        assert screen.revealed and rating.display
        bar = _text(rating)
        assert "Again 1m" in bar and "Good 10m" in bar  # FSRS learning steps of a new card
        await pilot.press("3")
        await _settle(pilot)
        entries = history(app.context.db)
        assert [(e.question_id, e.rating) for e in entries] == [(first.id, int(Grade.GOOD))]
        assert entries[0].due_after == FIXED_NOW + timedelta(minutes=10)
        assert screen.item is not None and screen.item.id != first.id and not screen.revealed
        assert "1/" in _text(screen.query_one("#queue-line"))


async def test_undo_three_ratings_restores_cards_and_queue(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        db = app.context.db
        before = {}
        order = []
        for grade in ("3", "1", "4"):
            assert screen.item is not None
            order.append(screen.item.id)
            before.setdefault(screen.item.id, get_item(db, screen.item.id).card)  # type: ignore[union-attr]
            await pilot.press("space", grade)
            await _settle(pilot)
        for expected in reversed(order):
            await pilot.press("u")
            await _settle(pilot)
            assert screen.item is not None and screen.item.id == expected  # the queue steps back
        for question_id, card in before.items():
            assert get_item(db, question_id).card == card  # type: ignore[union-attr]
        assert history(db) == [] and len(history(db, include_undo=True)) == 6
        await pilot.press("ctrl+z")  # nothing left to undo: a notice, no crash
        await _settle(pilot)
        assert isinstance(app.screen, StudyScreen)


async def test_bury_suspend_and_flag_from_study(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        db = app.context.db
        first = screen.item.id  # type: ignore[union-attr]
        await pilot.press("f")
        await _settle(pilot)
        assert get_item(db, first).flags.flagged  # type: ignore[union-attr]
        await pilot.press("minus")
        await _settle(pilot)
        second = screen.item.id  # type: ignore[union-attr]
        assert second != first and get_item(db, first, FIXED_NOW).flags.buried  # type: ignore[union-attr]
        await pilot.press("exclamation_mark")
        await _settle(pilot)
        assert get_item(db, second).flags.suspended  # type: ignore[union-attr]
        assert screen.item is not None and screen.item.id not in (first, second)


async def test_leech_is_announced_and_suspended_by_setting(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    db = app.context.db
    from quiz.store.settings import save_settings

    settings = save_settings(db, {"leech_threshold": "1", "leech_action": "suspend"})
    app.context.apply_settings(settings)
    apply_review(db, app.context.scheduler, "conv-1x1", Grade.EASY, FIXED_NOW - timedelta(days=30))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        assert screen.item is not None and screen.item.id == "conv-1x1"  # due review first
        await pilot.press("space", "1")
        await _settle(pilot)
        item = get_item(db, "conv-1x1")
        assert item is not None and item.flags.leech and item.flags.suspended
        assert any("leech" in n.message for n in app._notifications)


async def test_finished_session_shows_a_summary_and_custom_study(db_url: str,
                                                                 bank_dir: Path) -> None:
    app = _app(db_url, bank_dir, new_per_day=1)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        await pilot.press("space", "1")
        await _settle(pilot)
        while screen.item is not None:  # the learning card comes back within 20 minutes
            await pilot.press("space", "4")
            await _settle(pilot)
        summary = _text(screen.query_one("#study-hint"))
        assert "Session finished" in summary and "正确率 accuracy 50%" in summary
        assert "还有 2 张" in summary and "下一张到期" in summary
        await pilot.press("c")
        await _settle(pilot)
        assert isinstance(app.screen, CustomStudyScreen)
        await pilot.press("1")  # N more new cards: the input opens with 10
        await pilot.press("backspace", "backspace", "1", "enter")
        await _settle(pilot)
        assert app.screen is screen and screen.item is not None and screen.item.card.is_new


async def test_custom_study_cram_leaves_the_schedule_alone(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("c")
        await _settle(pilot)
        await pilot.press("4")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.scope.mode is Mode.CRAM
        seen = []
        while screen.item is not None:
            seen.append(screen.item.id)
            await pilot.press("space", "1")
            await _settle(pilot)
        assert len(seen) == 3
        assert all(get_item(app.context.db, q).card.is_new for q in seen)  # type: ignore[union-attr]
        assert [e.kind for e in history(app.context.db)] == ["cram"] * 3


async def test_a_failing_save_is_reported_and_can_be_retried(db_url: str, bank_dir: Path,
                                                             monkeypatch) -> None:
    app = _app(db_url, bank_dir)
    calls = []
    import quiz.tui.screens.study as study

    real = study.apply_review

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk I/O error")
        return real(*args, **kwargs)

    monkeypatch.setattr(study, "apply_review", flaky)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        first = screen.item.id  # type: ignore[union-attr]
        await pilot.press("space", "3")
        await _settle(pilot)
        assert screen.save_failed and screen.item.id == first  # type: ignore[union-attr]
        assert "未保存" in _text(screen.query_one("#study-hint"))
        assert history(app.context.db) == []
        await pilot.press("r")
        await _settle(pilot)
        assert [e.question_id for e in history(app.context.db)] == [first]
        assert isinstance(app.screen, StudyScreen)


async def test_an_unexpected_worker_error_keeps_the_app_running(db_url: str, bank_dir: Path,
                                                                monkeypatch) -> None:
    import quiz.store.counts as counts  # home looks it up when it counts, not at load time

    def broken(*args, **kwargs):
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(counts, "home_figures", broken)
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert any("disk vanished" in n.message for n in app._notifications)
        await pilot.press("s")
        await _settle(pilot)
        assert isinstance(app.screen, StudyScreen)


async def test_numeric_cards_come_within_the_first_ten(db_url: str) -> None:
    app = _app(db_url, bundled_bank_dir())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        kinds = []
        for _ in range(10):
            assert screen.item is not None
            kinds.append(screen.item.kind)
            if screen.item.kind == "numeric":
                break
            await pilot.press("space", "4")
            await _settle(pilot)
        assert "numeric" in kinds


async def test_errata_are_folded_until_e(db_url: str, bank_dir: Path) -> None:
    answer = "**核心**：答案。\n\n> 勘误 000#2.2：原文说错了。\n"
    text = (bank_dir / "conv.md").read_text(encoding="utf-8")
    old = "**核心**：跨通道线性组合，可升降维，$C_{in} \\cdot C_{out}$ 个参数。"
    text = text.replace(old, answer)
    (bank_dir / "conv.md").write_text(text, encoding="utf-8")
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        while screen.item is not None and screen.item.id != "conv-1x1":
            await pilot.press("space", "4")
            await _settle(pilot)
        await pilot.press("space")
        await pilot.pause()
        card = screen.query_one(CardView)
        assert not card.errata_expanded
        await pilot.press("e")
        await pilot.pause()
        assert card.errata_expanded


async def test_q_quits(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_locked_database_is_retried_and_the_rating_kept(db_url: str, bank_dir: Path,
                                                                 monkeypatch) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    import quiz.tui.screens.study as study

    real = study.apply_review
    attempts = []

    def locked_twice(*args, **kwargs):
        attempts.append(1)
        if len(attempts) <= 2:
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(study, "apply_review", locked_twice)
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _study(pilot, "s")
        first = screen.item.id  # type: ignore[union-attr]
        await pilot.press("space", "3")
        await _settle(pilot)
        assert len(attempts) == 3 and not screen.save_failed
        assert [e.question_id for e in history(app.context.db)] == [first]


def test_an_unchanged_bank_is_not_parsed_again_at_start(db_url: str, bank_dir: Path,
                                                        monkeypatch) -> None:
    import os

    import quiz.bank.parser

    first = _app(db_url, bank_dir)
    assert first.sync_report is not None and len(first.sync_report.added) == 3
    first.context.db.close()

    def must_not_parse(directory):
        raise AssertionError("the unchanged bank was parsed again")

    monkeypatch.setattr(quiz.bank.parser, "load_bank", must_not_parse)
    second = _app(db_url, bank_dir)
    assert second.sync_report is None
    second.context.db.close()
    monkeypatch.undo()
    edited = bank_dir / "conv.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("降采样", "降采样（下采样）"),
                      encoding="utf-8")
    stat = edited.stat()
    os.utime(edited, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    third = _app(db_url, bank_dir)
    assert third.sync_report is not None and third.sync_report.changed == ["pool-role"]
    third.context.db.close()


@pytest.mark.sqlite_only  # the damage scan reads SQLite files (PostgreSQL's types refuse most)
async def test_a_damaged_row_is_named_in_the_tui(db_url: str, bank_dir: Path) -> None:
    import sqlite3

    app = _app(db_url, bank_dir)
    connection = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    connection.execute("UPDATE cards SET state = 9")
    connection.commit()
    connection.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await _study(pilot, "s")
        for _ in range(20):  # the explanation comes from a background look at the rows
            if any("damaged" in n.message for n in app._notifications):
                break
            await pilot.pause(0.1)
        messages = [n.message for n in app._notifications]
        assert any("cards" in m and "state" in m and "quiz doctor" in m for m in messages), \
            messages
        assert isinstance(app.screen, StudyScreen)  # still running
