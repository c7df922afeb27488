"""The learner's day: it starts at a chosen local hour (Anki's 4 am), not at midnight, so a late
session still counts as the evening's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def require_utc(moment: datetime) -> datetime:
    """fsrs accepts only tzinfo == timezone.utc; normalise any aware datetime to it (here, not
    beside the scheduler: counting a day imports no fsrs)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; scheduling needs timezone-aware UTC")
    return moment.astimezone(timezone.utc)


def start_of_day(now: datetime, starts_at: int = 4) -> datetime:
    """The start of the learner's current day, in UTC."""
    local = require_utc(now).astimezone()
    start = local.replace(hour=starts_at, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(timezone.utc)


def start_of_next_day(now: datetime, starts_at: int = 4) -> datetime:
    # Adding a day in local time keeps the hour right across a DST change.
    local = start_of_day(now, starts_at).astimezone()
    return (local + timedelta(days=1)).astimezone(timezone.utc)


def day_key(now: datetime, starts_at: int = 4) -> str:
    """The learner's date as text (for per-day values such as today's extra new cards)."""
    return start_of_day(now, starts_at).astimezone().strftime("%Y-%m-%d")
