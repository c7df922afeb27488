"""Browse and search: filters, ranking, source IDs, Chinese tags, paging, stale results, the
question view's history, suspend and flag."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static

from quiz.bank.parser import load_bank
from quiz.store.actions import apply_review, set_suspended, undo_review
from quiz.store.db import open_database
from quiz.store.queue import get_item
from quiz.store.scheduling import Grade
from quiz.store.search import CardFilter
from quiz.store.sync import sync_bank
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens import browse
from quiz.tui.screens.browse import NO_MATCH, BrowseScreen
from quiz.tui.screens.question import QuestionScreen
from quiz.tui.widgets.quiz_footer import QuizFooter
from tests.conftest import FIXED_NOW

MARKUP_TITLE = "关于 [/bold] 与 [red]标记[/red] 的题"


def _question(qid: str, title: str, tags: str, sources: str, answer: str = "答案。") -> str:
    return (f"## {title}\n\n```meta\nid: {qid}\nsources: {sources}\ntags: {tags}\n"
            f"kind: concept\n```\n\n{answer}\n\n")


def write_bank(directory: Path, extra: int = 0) -> Path:
    """Three topics; source IDs 004#3 and 004#36 on different questions; a title that looks like
    Rich markup; `extra` filler questions in a fourth topic (for paging)."""
    directory.mkdir(exist_ok=True)
    text = "# 卷积\n\n"
    text += _question("conv-1x1", "1×1 卷积有什么作用？", "卷积变种", "000#2.2")
    text += _question("dilated", "空洞卷积的原理？", "卷积变种", "004#3")
    text += _question("rf-basics", "感受野怎么算？", "感受野", "004#36")
    text += _question("pool-role", "池化的作用？", "池化", "002#2", "降采样，扩大感受野。")
    text += _question("markup", MARKUP_TITLE, "池化", "002#3")
    for index in range(extra):
        text += _question(f"filler-{index:02d}", f"填充题 {index:02d}", "填充", f"003#{index}")
    (directory / "bank.md").write_text(text, encoding="utf-8")
    return directory


def synced_app(db_url: str, bank_dir: Path) -> QuizApp:
    """The app on a database synced beforehand (so no sync toast covers a snapshot)."""
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "bundled", FIXED_NOW)
    db.close()
    return make_app(db_url=db_url, clock=lambda: FIXED_NOW, fuzz=False)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def settle_screen(pilot) -> None:
    """Settle before a snapshot: the screen's workers are done and its footer lists keys."""
    await settle(pilot)
    footer = pilot.app.screen.query_one(QuizFooter)
    await until(pilot, lambda: len(footer.entries) > 0)
    await pilot.pause()


async def until(pilot, condition, timeout: float = 5.0) -> None:
    """Wait (processing messages) until `condition()` holds."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


def shown_ids(screen: BrowseScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(row.value) for row in table.rows]


def status(screen: BrowseScreen) -> str:
    return str(screen.query_one("#browse-status", Static).render())


async def open_browse(pilot, focus_search: bool = False) -> BrowseScreen:
    app = pilot.app
    await app.push_screen(BrowseScreen(app.context, focus_search=focus_search))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, BrowseScreen)
    await until(pilot, lambda: screen.total is not None and not screen.searching)
    return screen


async def search_for(pilot, screen: BrowseScreen, text: str) -> None:
    screen.query_one(Input).value = text
    await settle(pilot)
    await until(pilot, lambda: not screen.searching)


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    return write_bank(tmp_path / "bank")


async def test_searching_never_covers_the_screen_with_a_loading_indicator(
        db_url: str, bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search in flight is the screen's own state: Textual's `loading` covers the whole screen
    with an indicator, and a cover applied after fast results stayed on (a blank browse screen
    in a real terminal)."""
    covers: list[bool] = []
    real = BrowseScreen.set_loading
    monkeypatch.setattr(BrowseScreen, "set_loading",
                        lambda self, loading: covers.append(loading) or real(self, loading))
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        await search_for(pilot, screen, "卷积")
        await settle(pilot)
        assert covers == [] and not screen.loading
        assert shown_ids(screen)


async def test_everything_listed_in_bank_order(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        assert shown_ids(screen) == ["conv-1x1", "dilated", "rf-basics", "pool-role", "markup"]
        assert "5 题" in status(screen)


async def test_chinese_tag_is_found(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot, focus_search=True)
        assert screen.query_one(Input).has_focus
        await pilot.press(*"卷积变种")  # typed, as a learner would
        await settle(pilot)
        # Neither title nor answer says 卷积变种: only the tag can match.
        assert sorted(shown_ids(screen)) == ["conv-1x1", "dilated"]


async def test_source_id_matches_exactly(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot, focus_search=True)
        await search_for(pilot, screen, "004#3")
        assert shown_ids(screen) == ["dilated"]  # not rf-basics (004#36)
        await search_for(pilot, screen, "004#36")
        assert shown_ids(screen) == ["rf-basics"]


async def test_title_hits_rank_before_answer_hits(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        # 感受野 is in rf-basics' title and tag, and only in pool-role's answer.
        await search_for(pilot, screen, "感受野")
        assert shown_ids(screen) == ["rf-basics", "pool-role"]


async def test_no_match_says_so(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        await search_for(pilot, screen, "量子纠缠")
        assert shown_ids(screen) == []
        assert NO_MATCH in status(screen) and "量子纠缠" in status(screen)
        await search_for(pilot, screen, "池化")
        assert NO_MATCH not in status(screen)


async def test_filter_by_topic_and_state(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        set_suspended(app.context.db, "rf-basics", True)
        screen = await open_browse(pilot)
        deck = screen.query_one("#browse-deck", Select)
        assert screen.deck_names == ["卷积变种", "感受野", "池化"]
        deck.value = "池化"
        await settle(pilot)
        assert shown_ids(screen) == ["pool-role", "markup"]
        deck.clear()
        state = screen.query_one("#browse-state", Select)
        state.value = CardFilter.SUSPENDED
        await settle(pilot)
        assert shown_ids(screen) == ["rf-basics"]
        state.value = CardFilter.NEW  # suspended cards are still new (never reviewed)
        await settle(pilot)
        assert shown_ids(screen) == ["conv-1x1", "dilated", "rf-basics", "pool-role", "markup"]
        state.value = CardFilter.REVIEW
        await settle(pilot)
        assert shown_ids(screen) == [] and NO_MATCH in status(screen)


async def test_markup_in_a_title_is_shown_as_text(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        await search_for(pilot, screen, "标记")
        assert shown_ids(screen) == ["markup"]
        cell = screen.query_one(DataTable).get_cell("markup", "question")
        assert cell.plain == MARKUP_TITLE
        screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QuestionScreen)
        assert MARKUP_TITLE in app.screen.query_one("#detail-body").markdown


async def test_first_page_then_more_on_n_and_scrolling(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(BrowseScreen, "page_size", 8)
    app = synced_app(db_url, write_bank(tmp_path / "big", extra=20))  # 25 questions
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        assert len(shown_ids(screen)) == 8
        assert "25 题" in status(screen) and "显示 shown 8" in status(screen)
        await pilot.press("n")
        await settle(pilot)
        assert len(shown_ids(screen)) == 16
        await pilot.press("end")  # the cursor near the end reads the next page
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        ids = shown_ids(screen)
        assert len(ids) == 25 and len(set(ids)) == 25
        assert "显示" not in status(screen)


async def test_a_slow_earlier_query_never_overwrites_a_newer_one(
    db_url: str, bank: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_search = browse.search
    release, slow_done = threading.Event(), threading.Event()

    def search(db, query="", now=None, **options):
        if query == "池化":  # the first query typed: held back until the newer one is shown
            release.wait(10)
            result = real_search(db, query, now, **options)
            slow_done.set()
            return result
        return real_search(db, query, now, **options)

    monkeypatch.setattr(browse, "search", search)
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        field = screen.query_one(Input)
        field.value = "池化"
        await pilot.pause()
        field.value = "空洞"
        await until(pilot, lambda: shown_ids(screen) == ["dilated"])
        release.set()
        await asyncio.get_running_loop().run_in_executor(None, slow_done.wait, 10)
        for _ in range(5):
            await pilot.pause(0.02)
        assert shown_ids(screen) == ["dilated"]
        assert field.value == "空洞"


async def test_question_view_suspend_flag_and_history(db_url: str, bank: Path) -> None:
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        db, scheduler = app.context.db, app.context.scheduler
        apply_review(db, scheduler, "rf-basics", Grade.GOOD, FIXED_NOW - timedelta(days=2))
        undone = apply_review(db, scheduler, "rf-basics", Grade.AGAIN,
                              FIXED_NOW - timedelta(days=1))
        undo_review(db, undone.review_id, FIXED_NOW - timedelta(days=1) + timedelta(minutes=1))
        screen = await open_browse(pilot)
        await search_for(pilot, screen, "004#36")
        screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, QuestionScreen)
        history = question.query_one("#history", Static).render()
        lines = history.plain.splitlines()
        assert any("Good" in line and "已撤销" not in line for line in lines)
        again = next(line for line in lines if "Again" in line)
        assert "已撤销 undone" in again
        assert any("撤销 undo" in line for line in lines)
        start = history.plain.index(again)
        assert any("strike" in str(span.style) and span.start <= start < span.end
                   for span in history.spans)

        await pilot.press("f")
        await settle(pilot)
        assert get_item(db, "rf-basics", FIXED_NOW).flags.flagged
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert get_item(db, "rf-basics", FIXED_NOW).flags.suspended
        assert "已暂停" in question.query_one("#detail-meta", Static).render().plain
        await pilot.press("exclamation_mark")
        await settle(pilot)
        flags = get_item(db, "rf-basics", FIXED_NOW).flags
        assert not flags.suspended and flags.flagged
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        cell = app.screen.query_one(DataTable).get_cell("rf-basics", "next")
        assert "⚑" in cell.plain  # the list shows the flag set in the question view


def test_browse_snapshot(snap_compare, db_url: str, bank: Path) -> None:
    async def run_before(pilot) -> None:
        await open_browse(pilot)
        await settle_screen(pilot)

    assert snap_compare(synced_app(db_url, bank), terminal_size=(80, 24), run_before=run_before)


def test_search_snapshot(snap_compare, db_url: str, bank: Path) -> None:
    async def run_before(pilot) -> None:
        screen = await open_browse(pilot)
        await search_for(pilot, screen, "卷积")
        await settle_screen(pilot)

    assert snap_compare(synced_app(db_url, bank), terminal_size=(80, 24), run_before=run_before)


async def test_a_failing_search_is_reported_and_the_app_keeps_running(
    db_url: str, bank: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_search = browse.search

    def search(db, query="", now=None, **options):
        if query == "坏":
            raise RuntimeError("database disk image is malformed")
        return real_search(db, query, now, **options)

    monkeypatch.setattr(browse, "search", search)
    app = synced_app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_browse(pilot)
        await search_for(pilot, screen, "坏")
        assert any("malformed" in note.message for note in app._notifications)
        await search_for(pilot, screen, "池化的作用")  # the next search works
        assert shown_ids(screen) == ["pool-role"]
