"""Snapshot tests of the main screens at 80×24 (update with `pytest --snapshot-update`)."""

from __future__ import annotations

from pathlib import Path

from quiz.bank import load_bank
from quiz.store import open_database, sync_bank
from quiz.tui.app import QuizApp, make_app
from tests.conftest import FIXED_NOW


def _synced_app(db_url: str, bank_dir: Path) -> QuizApp:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "bundled", FIXED_NOW)
    db.close()
    return make_app(db_url=db_url, clock=lambda: FIXED_NOW, fuzz=False)


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_home_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    assert snap_compare(_synced_app(db_url, bank_dir), terminal_size=(80, 24), run_before=_settle)


def test_study_answer_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    async def reveal(pilot) -> None:
        await pilot.press("s")
        await _settle(pilot)
        await pilot.press("down", "space")
        await _settle(pilot)

    assert snap_compare(_synced_app(db_url, bank_dir), terminal_size=(80, 24), run_before=reveal)
