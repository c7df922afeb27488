"""The help screen and the key table it is built from: every binding of the app and of every
screen class is listed, nothing is listed that is not bound, and the README agrees."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
from pathlib import Path

from rich.console import Console
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

import quiz.tui.screens as screens_package
from quiz.tui.app import QuizApp
from quiz.tui.keys import APP, GROUPS, KEYS, SCROLL, display, expand, markdown_table
from quiz.tui.screens.help import HelpScreen
from tests.tui.test_tui_browse import settle, settle_screen, synced_app

README = Path(__file__).resolve().parents[2] / "README.md"


def _declared_bindings() -> dict[str, set[str]]:
    """Every key bound by the app or declared in a screen class of quiz.tui.screens, read
    straight from the classes (not through quiz.tui.keys)."""
    found = {APP: {b.key for b in Binding.make_bindings(QuizApp.BINDINGS)}}
    for info in pkgutil.iter_modules(screens_package.__path__):
        module = importlib.import_module(f"quiz.tui.screens.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Screen) or cls.__module__ != module.__name__:
                continue
            declared = [binding for klass in cls.__mro__ if klass.__module__.startswith("quiz.")
                        for binding in klass.__dict__.get("BINDINGS", [])]
            if declared:
                found[name] = {b.key for b in Binding.make_bindings(declared)}
    return found


def _listed(bound_only: bool) -> dict[str, set[str]]:
    listed: dict[str, set[str]] = {}
    for entry in KEYS:
        if entry.bound or not bound_only:
            listed.setdefault(entry.screen, set()).update(expand(entry.keys))
    return listed


def test_every_binding_of_every_screen_is_in_the_help() -> None:
    listed = _listed(bound_only=False)
    declared = _declared_bindings()
    assert {"HomeScreen", "StudyScreen", "BrowseScreen", "StatsScreen", "SettingsScreen",
            "HelpScreen", "QuestionScreen"} <= set(declared)
    missing = {screen: keys - listed.get(screen, set()) for screen, keys in declared.items()}
    assert {screen: keys for screen, keys in missing.items() if keys} == {}


def test_the_help_lists_no_key_that_is_not_bound() -> None:
    declared = _declared_bindings()
    stale = {screen: keys - declared.get(screen, set())
             for screen, keys in _listed(bound_only=True).items()}
    assert {screen: keys for screen, keys in stale.items() if keys} == {}


def test_every_group_is_a_screen_and_scrolling_is_covered() -> None:
    declared = _declared_bindings()
    assert {entry.screen for entry in KEYS} <= set(declared) | {SCROLL} | {APP}
    assert set(GROUPS) >= {entry.screen for entry in KEYS}
    scroll = _listed(bound_only=False)[SCROLL]
    assert {"up", "down", "pageup", "pagedown", "home", "end"} <= scroll


def test_key_display() -> None:
    assert [display(k) for k in expand("slash,question_mark,escape,ctrl+z,pagedown,-")] == [
        "/", "?", "esc", "ctrl+z", "pgdn", "-"]


def test_readme_lists_every_key() -> None:
    readme = README.read_text(encoding="utf-8")
    assert markdown_table() in readme, "README's TUI table differs from quiz.tui.keys.KEYS"
    rows = [line for line in readme.splitlines() if re.match(r"^\| `", line)]
    for entry in KEYS:
        keys = " ".join(f"`{display(key)}`" for key in expand(entry.keys))
        assert f"| {keys} | {GROUPS[entry.screen]} | {entry.action} |" in rows


async def test_help_opens_with_question_mark_and_f1_and_scrolls(
    db_url: str, bank_dir: Path,
) -> None:
    app = synced_app(db_url, bank_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HelpScreen)
        console = Console(width=78, record=True, file=io.StringIO())
        console.print(screen.query_one("#help-keys", Static).content)
        shown = console.export_text()
        for label in GROUPS.values():
            assert label in shown
        for key in ("pgup", "pgdn", "home", "end", "ctrl+z", "ctrl+s", "esc", "!"):
            assert key in shown
        scroll = screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0  # longer than one screen
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert scroll.scroll_y == 0
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")  # the same key closes it
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


def test_help_snapshot(snap_compare, db_url: str, bank_dir: Path) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.app.push_screen(HelpScreen())
        await settle_screen(pilot)

    assert snap_compare(synced_app(db_url, bank_dir), terminal_size=(80, 24),
                        run_before=run_before)
