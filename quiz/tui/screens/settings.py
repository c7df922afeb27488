"""Settings: one field per `Settings` field, checked as you type, saved with ctrl+s.

Every value is checked by `quiz.store.settings.parse_value` (the store's own validation), and a
bad one gets its message right under its field. Saving writes the changed fields in one
transaction, applies them to the running app at once (scheduler, daily limits) and, when the
new-card order changed, re-ranks the new cards.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Header, Input, Label, Select, Static

from quiz.render.safe import safe_text
from quiz.store.ranks import reorder_new_cards
from quiz.store.settings import (
    LABELS,
    SettingError,
    Settings,
    format_value,
    load_settings,
    parse_value,
    save_settings,
)
from quiz.tui.context import StudyContext
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.quiz_footer import QuizFooter

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Settings))


@dataclass
class SettingsLoaded(Message):
    settings: Settings


@dataclass
class SettingsSaved(Message):
    settings: Settings
    reordered: bool


@dataclass
class SettingsFailed(Message):
    field: str | None  # the setting at fault, None for a store error
    message: str


def _enum_type(name: str) -> type[Enum] | None:
    value = getattr(Settings(), name)
    return type(value) if isinstance(value, Enum) else None


class SettingsScreen(QuizScreen[None]):
    DEFAULT_CSS = """
    SettingsScreen #settings-form {
        padding: 0 1;
    }
    SettingsScreen .setting-row {
        height: auto;
        margin-top: 1;
    }
    SettingsScreen .setting-label {
        width: 1fr;
        height: auto;
    }
    SettingsScreen .setting-row Input, SettingsScreen .setting-row Select {
        width: 26;
    }
    SettingsScreen .setting-error {
        color: $error;
        text-style: bold;
        height: auto;
        padding-left: 2;
    }
    SettingsScreen #settings-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "保存 Save"),
        Binding("escape", "back", "返回 Back"),
    ]

    def __init__(self, context: StudyContext) -> None:
        super().__init__()
        self.context = context
        self.saved: Settings = context.settings
        self.saving = False
        self.warned_unsaved = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="settings-form"):
            for name in FIELD_NAMES:
                with Horizontal(classes="setting-row"):
                    yield Label(Text(LABELS[name]), classes="setting-label")
                    yield self._editor(name, getattr(self.saved, name))
                error = Static("", id=f"error-{name}", classes="setting-error")
                error.display = False
                yield error
        yield Static(Text("tab 下一项 · ctrl+s 保存 save · esc 返回 back"), id="settings-status")
        yield QuizFooter()

    @staticmethod
    def _editor(name: str, value: object) -> Widget:
        kind = _enum_type(name)
        if kind is not None:
            options = [(member.value, member.value) for member in kind]
            return Select(options, value=format_value(value), allow_blank=False, compact=True,
                          id=f"setting-{name}")
        return Input(format_value(value), compact=True, id=f"setting-{name}",
                     select_on_focus=False)

    def on_mount(self) -> None:
        self.sub_title = "设置 Settings"
        self.query_one(f"#setting-{FIELD_NAMES[0]}").focus()
        self.load()

    # Loading and reading the form ----------------------------------------------------------

    @work(thread=True, exclusive=True, group="settings-load")
    def load(self) -> None:
        self.post_message(SettingsLoaded(load_settings(self.context.db)))

    @on(SettingsLoaded)
    def fill(self, message: SettingsLoaded) -> None:
        if self.is_dirty():
            return  # the learner is already editing: keep what they typed
        self.saved = message.settings
        for name in FIELD_NAMES:
            self._set_text(name, format_value(getattr(message.settings, name)))

    def _set_text(self, name: str, text: str) -> None:
        editor = self.query_one(f"#setting-{name}")
        if isinstance(editor, (Select, Input)):
            editor.value = text

    def text_of(self, name: str) -> str:
        editor = self.query_one(f"#setting-{name}")
        if isinstance(editor, Select):
            return str(editor.value)
        assert isinstance(editor, Input)
        return editor.value

    def changes(self) -> dict[str, str]:
        """Fields whose text differs from the saved value."""
        return {name: self.text_of(name) for name in FIELD_NAMES
                if self.text_of(name).strip() != format_value(getattr(self.saved, name))}

    def is_dirty(self) -> bool:
        return bool(self.changes())

    # Validation at the field ---------------------------------------------------------------

    def show_error(self, name: str, message: str | None) -> None:
        error = self.query_one(f"#error-{name}", Static)
        error.update(Text(f"✗ {safe_text(message)}") if message else "")
        error.display = bool(message)
        self.query_one(f"#setting-{name}").set_class(bool(message), "-invalid")

    def validate(self, name: str) -> bool:
        try:
            parse_value(name, self.text_of(name))
        except SettingError as problem:
            self.show_error(name, problem.message)
            return False
        self.show_error(name, None)
        return True

    @on(Input.Changed)
    @on(Select.Changed)
    def field_changed(self, event: Input.Changed | Select.Changed) -> None:
        widget_id = event.control.id or ""
        if widget_id.startswith("setting-"):
            self.validate(widget_id.removeprefix("setting-"))
            self.warned_unsaved = False

    # Saving --------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        bad = [name for name in FIELD_NAMES if not self.validate(name)]
        if bad:
            self.query_one(f"#setting-{bad[0]}").focus()
            self.notify("有无效的值，未保存 invalid values: nothing saved", severity="error")
            return
        changes = self.changes()
        if not changes:
            self.notify("没有更改 nothing changed", timeout=2)
            return
        self.saving = True
        self.save(changes, self.saved)

    @work(thread=True, exclusive=True, group="settings-save")
    def save(self, changes: dict[str, str], before: Settings) -> None:
        try:
            saved = save_settings(self.context.db, changes)
            reordered = saved.new_order is not before.new_order
            if reordered:
                reorder_new_cards(self.context.db, saved)
        except SettingError as problem:
            self.post_message(SettingsFailed(problem.field, problem.message))
            return
        except Exception as problem:  # a locked or vanished database: say so, keep the form
            self.post_message(SettingsFailed(None, f"{type(problem).__name__}: {problem}"))
            return
        self.post_message(SettingsSaved(saved, reordered))

    @on(SettingsSaved)
    def saved_ok(self, message: SettingsSaved) -> None:
        self.saving = False
        self.saved = message.settings
        self.context.apply_settings(message.settings)
        for name in FIELD_NAMES:  # show the values as stored (e.g. "1,10" → "1 10")
            self._set_text(name, format_value(getattr(message.settings, name)))
        note = " · 新卡已重新排序 new cards reordered" if message.reordered else ""
        self.notify(f"设置已保存 settings saved{note}", timeout=3)

    @on(SettingsFailed)
    def save_failed(self, message: SettingsFailed) -> None:
        self.saving = False
        if message.field in FIELD_NAMES:
            self.show_error(message.field, message.message)
        self.notify(safe_text(f"未能保存 not saved: {message.message}"), severity="error",
                    timeout=6, markup=False)

    def action_back(self) -> None:
        if self.is_dirty() and not self.warned_unsaved:
            self.warned_unsaved = True
            self.notify("有未保存的更改：ctrl+s 保存，再按 esc 放弃 unsaved changes: ctrl+s "
                        "saves, esc again discards", severity="warning", timeout=4)
            return
        self.app.pop_screen()
