"""Snapshot tests of home and study at 80×24 (update with `pytest --snapshot-update`).

Browse, search, stats, settings and help have theirs beside their own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir
from quiz.store.db import open_database
from quiz.store.sync import sync_bank
from quiz.tui.app import QuizApp, make_app
from tests.conftest import FIXED_NOW


def _synced_app(db_url: str, bank_dir: Path) -> QuizApp:
    db = open_database(db_url)
    sync_bank(db, load_bank(bank_dir), "bundled", FIXED_NOW)
    db.close()
    return make_app(db_url=db_url, clock=lambda: FIXED_NOW, fuzz=False)


async def _settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    # Focus, the footer's bindings and the answer laid out ahead settle after a refresh or two.
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.05)


def test_home_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    assert snap_compare(_synced_app(db_url, bank_dir), terminal_size=(80, 24), run_before=_settle)


def test_study_question_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    async def start(pilot) -> None:
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)

    assert snap_compare(_synced_app(db_url, bank_dir), terminal_size=(80, 24), run_before=start)


def test_study_answer_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    async def reveal(pilot) -> None:
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)
        await pilot.press("space")
        await _settle(pilot)

    assert snap_compare(_synced_app(db_url, bank_dir), terminal_size=(80, 24), run_before=reveal)


@pytest.fixture
def numeric_bank(tmp_path: Path) -> Path:
    directory = tmp_path / "numeric-bank"
    directory.mkdir()
    shutil.copy(bundled_bank_dir() / "numeric-output-size.md", directory)
    return directory


def test_numeric_verdict_snapshot(snap_compare, db_url: str, numeric_bank: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import quiz.tui.numeric as numeric

    monkeypatch.setattr(numeric, "fresh_seed", lambda rng=None: 12345)  # the same instance

    async def answer_wrong(pilot) -> None:
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)
        await pilot.press("1", "enter")
        await _settle(pilot)

    assert snap_compare(_synced_app(db_url, numeric_bank), terminal_size=(80, 24),
                        run_before=answer_wrong)


def test_custom_study_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    async def open_custom(pilot) -> None:
        await _settle(pilot)
        await pilot.press("c")
        await _settle(pilot)

    assert snap_compare(_synced_app(db_url, bank_dir), terminal_size=(80, 24),
                        run_before=open_custom)
