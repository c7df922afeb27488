"""The settings screen: a field per setting, errors at the field, ctrl+s saves, applied at once,
kept across restarts."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Input, Select, Static

from quiz.store.models import CardRow, QuestionRow
from quiz.store.settings import LABELS, NewOrder, Settings, load_settings
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens import settings as settings_screen
from quiz.tui.screens.settings import SettingsScreen
from tests.conftest import FIXED_NOW
from tests.tui.test_tui_browse import settle, settle_screen, synced_app

# Two topics, so that the interleaved order (a1 b1 a2) differs from the bank order (a1 a2 b1).
TWO_TOPICS = """\
# 题

## 甲一？

```meta
id: a1
sources: 000#1
tags: 甲
kind: concept
```

答。

## 甲二？

```meta
id: a2
sources: 000#2
tags: 甲
kind: concept
```

答。

## 乙一？

```meta
id: b1
sources: 000#3
tags: 乙
kind: concept
```

答。
"""


def _bank(tmp_path: Path) -> Path:
    directory = tmp_path / "two"
    directory.mkdir()
    (directory / "bank.md").write_text(TWO_TOPICS, encoding="utf-8")
    return directory


def _app(db_url: str, bank_dir: Path) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank_dir, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False)


async def _open(pilot) -> SettingsScreen:
    await pilot.app.push_screen(SettingsScreen(pilot.app.context))
    await settle(pilot)
    assert isinstance(pilot.app.screen, SettingsScreen)
    return pilot.app.screen


def _error(screen: SettingsScreen, name: str) -> Static:
    return screen.query_one(f"#error-{name}", Static)


def _new_rank_order(app: QuizApp) -> list[str]:
    with app.context.db.sessions.begin() as session:
        return list(session.scalars(
            select(CardRow.question_id).join(QuestionRow).order_by(CardRow.new_rank)))


async def test_a_field_for_every_setting_with_its_label(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        for field in fields(Settings):
            label = screen.query_one(f"#setting-{field.name}").parent.children[0]
            assert str(label.render()) == LABELS[field.name]
        assert screen.text_of("desired_retention") == "0.9"
        assert screen.text_of("learning_steps") == "1 10"
        assert isinstance(screen.query_one("#setting-new_order"), Select)
        assert screen.text_of("new_order") == "interleaved"
        assert screen.text_of("leech_action") == "tag"


async def test_tab_moves_between_fields(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert app.focused is screen.query_one("#setting-desired_retention")
        await pilot.press("tab")
        assert app.focused is screen.query_one("#setting-new_per_day")
        await pilot.press("tab")
        assert app.focused is screen.query_one("#setting-max_reviews_per_day")
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is screen.query_one("#setting-desired_retention")


async def test_an_invalid_value_is_explained_at_its_field(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("tab")  # new cards per day
        field = screen.query_one("#setting-new_per_day", Input)
        field.value = ""
        await pilot.press(*"lots")
        await pilot.pause()
        error = _error(screen, "new_per_day")
        assert error.display and "不是整数" in str(error.render())
        assert field.has_class("-invalid")
        assert not _error(screen, "desired_retention").display
        await pilot.press("tab")
        screen.query_one("#setting-max_reviews_per_day", Input).value = "-1"
        await pilot.pause()
        assert "0 and 99999" in str(_error(screen, "max_reviews_per_day").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert load_settings(app.context.db) == Settings()  # nothing saved
        assert app.focused is field  # back to the first bad field
        field.value = "30"
        await pilot.pause()
        assert not _error(screen, "new_per_day").display and not field.has_class("-invalid")


async def test_save_applies_at_once_and_reorders_new_cards(db_url: str, tmp_path: Path) -> None:
    app = _app(db_url, _bank(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        assert _new_rank_order(app) == ["a1", "b1", "a2"]  # interleaved by topic
        screen = await _open(pilot)
        screen.query_one("#setting-new_per_day", Input).value = "35"
        screen.query_one("#setting-learning_steps", Input).value = "2, 15"
        screen.query_one("#setting-new_order", Select).value = "bank"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.context.settings.new_per_day == 35
        assert app.context.settings.learning_steps == (2, 15)
        assert app.context.settings.new_order is NewOrder.BANK
        assert app.context.scheduler.learning_steps[0].total_seconds() == 120
        assert _new_rank_order(app) == ["a1", "a2", "b1"]
        assert screen.text_of("learning_steps") == "2 15"  # shown as stored
        assert not screen.is_dirty()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)


async def test_settings_persist_across_restarts(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        screen.query_one("#setting-day_starts_at", Input).value = "6"
        screen.query_one("#setting-leech_action", Select).value = "suspend"
        await pilot.press("ctrl+s")
        await settle(pilot)
    restarted = _app(db_url, bank_dir)
    async with restarted.run_test(size=(80, 24)) as pilot:
        assert restarted.context.settings.day_starts_at == 6
        screen = await _open(pilot)
        assert screen.text_of("day_starts_at") == "6"
        assert screen.text_of("leech_action") == "suspend"


async def test_escape_with_unsaved_changes_asks_first(db_url: str, bank_dir: Path) -> None:
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        screen.query_one("#setting-desired_retention", Input).value = "0.85"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen  # warned, still here
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
        assert load_settings(app.context.db).desired_retention == 0.9


async def test_a_failed_save_says_so_and_keeps_the_form(
    db_url: str, bank_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def locked(*_args: object, **_kwargs: object) -> Settings:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(settings_screen, "save_settings", locked)
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        screen.query_one("#setting-new_per_day", Input).value = "25"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("database is locked" in note.message for note in app._notifications)
        assert app.context.settings.new_per_day == 20  # not applied
        assert screen.text_of("new_per_day") == "25" and screen.is_dirty()  # nothing lost


def test_settings_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    async def run_before(pilot) -> None:
        screen = await _open(pilot)
        screen.query_one("#setting-new_per_day", Input).value = "many"
        for field in screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture random
        await settle_screen(pilot)

    assert snap_compare(synced_app(db_url, bank_dir), terminal_size=(80, 24),
                        run_before=run_before)


@pytest.mark.sqlite_only
async def test_doctor_is_clean_after_every_setting_is_saved_from_the_screen(
        db_url: str, bank_dir: Path) -> None:
    """Every setting saved through the settings screen is what `quiz doctor` expects: no finding,
    exit 0 (it once reported the app's own saved numbers as damage, and --fix deleted them)."""
    import json
    import subprocess

    from tests.conftest import quiz_command

    changed = {"desired_retention": "0.85", "new_per_day": "30", "max_reviews_per_day": "150",
               "learning_steps": "2 15", "relearning_steps": "5", "day_starts_at": "6",
               "leech_threshold": "5"}
    app = _app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        for name, value in changed.items():
            screen.query_one(f"#setting-{name}", Input).value = value
        screen.query_one("#setting-new_order", Select).value = "bank"
        screen.query_one("#setting-leech_action", Select).value = "suspend"
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = app.context.settings
    assert (saved.new_per_day, saved.learning_steps, saved.new_order) == (30, (2, 15),
                                                                          NewOrder.BANK)
    assert {field.name for field in fields(Settings)} == {*changed, "new_order", "leech_action"}
    doctor = subprocess.run([*quiz_command(), "--db", db_url, "doctor", "--json"],
                            capture_output=True, text=True)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["findings"] == []
