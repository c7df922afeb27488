"""The learner's settings: a frozen dataclass with validation, stored as rows of the database.

Each field is validated on its own so that the TUI can show a message at the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from quiz.store.db import Database


class NewOrder(str, Enum):
    """How new cards are introduced."""

    INTERLEAVED = "interleaved"  # round-robin over decks, concept and numeric mixed
    BANK = "bank"                # file order, as written
    RANDOM = "random"            # a fixed shuffle (stable between sessions)


class LeechAction(str, Enum):
    TAG = "tag"          # tag it and tell the learner
    SUSPEND = "suspend"  # tag it, tell, and suspend it


@dataclass(frozen=True)
class Settings:
    desired_retention: float = 0.9
    new_per_day: int = 20
    max_reviews_per_day: int = 200
    learning_steps: tuple[int, ...] = (1, 10)      # minutes
    relearning_steps: tuple[int, ...] = (10,)      # minutes
    day_starts_at: int = 4                          # local hour, as Anki
    new_order: NewOrder = NewOrder.INTERLEAVED
    leech_threshold: int = 8
    leech_action: LeechAction = LeechAction.TAG

    @property
    def learning_deltas(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.learning_steps)

    @property
    def relearning_deltas(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.relearning_steps)


class SettingError(ValueError):
    """A value that a setting cannot take; `field` names the setting."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


LABELS: dict[str, str] = {
    "desired_retention": "目标记忆率 desired retention (0.70–0.99)",
    "new_per_day": "每天新卡 new cards per day (0–9999)",
    "max_reviews_per_day": "每天最多复习 maximum reviews per day (0–99999)",
    "learning_steps": "学习步长（分钟）learning steps, minutes (e.g. 1 10)",
    "relearning_steps": "重学步长（分钟）relearning steps, minutes (e.g. 10)",
    "day_starts_at": "新的一天开始于（点）next day starts at hour (0–23)",
    "new_order": "新卡顺序 new-card order (interleaved / bank / random)",
    "leech_threshold": "难记卡阈值 leech threshold, lapses (1–99)",
    "leech_action": "难记卡处理 leech action (tag / suspend)",
}


def _int_in(field: str, text: str, low: int, high: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingError(field, f"不是整数 not a whole number: {text!r}") from None
    if not low <= value <= high:
        raise SettingError(field, f"须在 {low}–{high} 之间 must be between {low} and {high}")
    return value


def _steps(field: str, text: str) -> tuple[int, ...]:
    parts = str(text).replace(",", " ").split()
    values = tuple(_int_in(field, part, 1, 60 * 24 * 30) for part in parts)
    if len(values) > 10:
        raise SettingError(field, "最多 10 步 at most 10 steps")
    return values


def _retention(field: str, text: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise SettingError(field, f"不是数 not a number: {text!r}") from None
    if not 0.7 <= value <= 0.99:
        raise SettingError(field, "须在 0.70–0.99 之间 must be between 0.70 and 0.99")
    return value


def _choice(field: str, text: str, kind: type[Enum]) -> Enum:
    try:
        return kind(str(text).strip().lower())
    except ValueError:
        names = " / ".join(member.value for member in kind)
        raise SettingError(field, f"须是 {names} one of {names}") from None


def parse_value(field: str, text: object) -> object:
    """The typed value of one setting from what the learner typed (or what was stored)."""
    if isinstance(text, (list, tuple)):
        text = " ".join(str(part) for part in text)
    raw = str(text)
    parsers: dict[str, Callable[[], object]] = {
        "desired_retention": lambda: _retention(field, raw),
        "new_per_day": lambda: _int_in(field, raw, 0, 9999),
        "max_reviews_per_day": lambda: _int_in(field, raw, 0, 99999),
        "learning_steps": lambda: _steps(field, raw),
        "relearning_steps": lambda: _steps(field, raw),
        "day_starts_at": lambda: _int_in(field, raw, 0, 23),
        "new_order": lambda: _choice(field, raw, NewOrder),
        "leech_threshold": lambda: _int_in(field, raw, 1, 99),
        "leech_action": lambda: _choice(field, raw, LeechAction),
    }
    if field not in parsers:
        raise SettingError(field, "没有这个设置 no such setting")
    return parsers[field]()


def format_value(value: object) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return " ".join(str(part) for part in value)
    return str(value)


def _stored(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def load_settings(db: Database) -> Settings:
    """Stored values over the defaults; a damaged stored value falls back to its default."""
    from sqlalchemy import select

    from quiz.store.tables import SETTINGS

    with db.read() as connection:
        rows = connection.execute(select(SETTINGS.c.key, SETTINGS.c.value)).all()
    return settings_from_rows({key: value for key, value in rows})


def settings_from_rows(rows: dict[str, object]) -> Settings:
    """The settings from stored (key, decoded JSON value) rows; other keys are ignored."""
    known = {f.name for f in fields(Settings)}
    values: dict[str, object] = {}
    for key, raw in rows.items():
        if key not in known:
            continue
        try:
            values[key] = parse_value(key, raw)
        except SettingError:
            continue
    return replace(Settings(), **values)  # type: ignore[arg-type]


def save_settings(db: Database, changes: dict[str, str]) -> Settings:
    """Validate every change first (raising SettingError for the first bad one), then store them
    all in one transaction."""
    typed = {key: _stored(parse_value(key, text)) for key, text in changes.items()}
    _store(db, typed)
    return load_settings(db)


def get_value(db: Database, key: str) -> object | None:
    """A raw stored value outside the Settings (e.g. a bank's fingerprint)."""
    from sqlalchemy import select

    from quiz.store.tables import SETTINGS

    with db.read() as connection:
        return connection.scalar(select(SETTINGS.c.value).where(SETTINGS.c.key == key))


def set_value(db: Database, key: str, value: object) -> None:
    _store(db, {key: value})


def _store(db: Database, values: dict[str, object]) -> None:
    """Write each (key, value), replacing a stored value, in one write transaction."""
    with db.write_connection() as connection:
        for key, value in values.items():
            store_value(connection, key, value)


def store_value(connection: Connection, key: str, value: object) -> None:
    """Insert or replace one stored value (one statement, so two writers of a new key do not
    collide), inside the caller's transaction."""
    from sqlalchemy.dialects import postgresql, sqlite

    from quiz.store.tables import SETTINGS

    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement: Any = dialect.insert(SETTINGS).values(key=key, value=value)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[SETTINGS.c.key], set_={"value": statement.excluded.value}))
