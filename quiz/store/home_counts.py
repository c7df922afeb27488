"""What `quiz due` and the home screen count, for an SQLite database, from the derived totals
its triggers keep (`quiz.store.deck_totals`, `quiz.store.log_totals`): a few dozen rows and one
short index range per deck, run as plain SQL on the DB-API connection.

At 100,000 questions and a million reviews this takes a few ms where the general queries of
`quiz.store.queue` (which every other database uses, and which the tests hold these to) take
about 100. It imports no SQLAlchemy: the TUI's preloading child counts home with a bare sqlite3
connection while the app starts (`quiz.tui.preload`).

The figures mean exactly what `quiz.store.queue` and `quiz.store.service` count: the cards of
live questions, available (not suspended, not buried until later), due by `now`; the day's
limits on new cards and reviews; the cards and ratings of the learner's day.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from quiz.store import deck_totals, log_totals
from quiz.store.backup import connect_existing
from quiz.store.days import day_key, start_of_day
from quiz.store.deck_totals import TABLE as DECK_TOTALS
from quiz.store.identity import APPLICATION_ID, SCHEMA_VERSION
from quiz.store.log_totals import HOUR_LENGTH, HOURS
from quiz.store.log_totals import TABLE as CARD_TOTALS
from quiz.store.results import Counts, DeckCounts
from quiz.store.settings import Settings, settings_from_rows

REVIEW_STATE = 2
LEARNING_STATES = (1, 3)


class Cursor(Protocol):
    """The part of a DB-API connection or cursor these queries use (sqlite3's, or the one under
    a SQLAlchemy connection)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


def stored(moment: datetime) -> str:
    """A UTC datetime as the store writes it into SQLite (naive UTC, microseconds), so that text
    comparison is time order."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class _Moments:
    now: str
    since: str          # the learner's day started
    whole_hours: str    # the first whole UTC hour of the day (its 'YYYY-MM-DD HH')
    hour_start: str     # … as a stored time: ratings in [since, hour_start) are counted apart

    @classmethod
    def of(cls, now: datetime, settings: Settings) -> _Moments:
        day_start = start_of_day(now, settings.day_starts_at)
        hour = day_start.replace(minute=0, second=0, microsecond=0)
        if hour < day_start:  # a day that starts off the hour (a :30 time zone)
            hour += timedelta(hours=1)
        return cls(stored(now), stored(day_start), stored(hour)[:HOUR_LENGTH], stored(hour))


# A card available now (not suspended, not buried past now), in a query over `cards c`.
_AVAILABLE = "c.suspended IS 0 AND (c.buried_until IS NULL OR c.buried_until <= :now)"
_NOT_UNDONE = ("NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id "
               "AND u.kind = 'undo')")

# Per deck: due reviews, due learning cards, unseen cards buried for now, cards rated today —
# each a range of an index that starts with the deck.
_PER_DECK = f"""SELECT d.deck,
    (SELECT count(*) FROM cards c WHERE c.deck = d.deck AND c.live = 1
        AND c.state = {REVIEW_STATE} AND c.due <= :now AND c.last_review IS NOT NULL
        AND {_AVAILABLE}),
    (SELECT count(*) FROM cards c WHERE c.deck = d.deck AND c.live = 1
        AND c.state IN {LEARNING_STATES} AND c.due <= :now AND c.last_review IS NOT NULL
        AND {_AVAILABLE}),
    (SELECT count(*) FROM {CARD_TOTALS} t WHERE t.deck = d.deck AND t.last_rating >= :since)
FROM (SELECT DISTINCT deck FROM {DECK_TOTALS} WHERE questions > 0) d"""

# Unseen, unsuspended cards of live questions that are buried for now: few, from the index of
# buried cards; the totals count them as unseen.
_BURIED_UNSEEN = """SELECT c.deck, count(*) FROM cards c
WHERE c.buried_until > :now AND c.last_review IS NULL AND c.suspended IS 0 AND c.live = 1
GROUP BY c.deck"""

# Each (deck, kind): live questions, their cards, their unseen unsuspended cards, and the
# deck's first file in bank order (one probe of the live questions' index).
_TOTALS = f"""SELECT t.deck, t.kind, t.questions, t.cards, t.unseen,
    (SELECT min(q.file) FROM questions q
     WHERE q.retired_at IS NULL AND q.deck = t.deck AND q.kind = t.kind)
FROM {DECK_TOTALS} t WHERE t.questions > 0 OR t.cards > 0"""

# Over every deck: due learning cards, and due reviews up to the day's remaining maximum — ranges
# of ix_cards_studied (state, due, …, live).
_DUE_EVERYWHERE = f"""SELECT
    (SELECT count(*) FROM cards c WHERE c.state IN {LEARNING_STATES} AND c.due <= :now
        AND c.last_review IS NOT NULL AND c.live = 1 AND {_AVAILABLE}),
    (SELECT count(*) FROM (SELECT 1 FROM cards c WHERE c.state = {REVIEW_STATE}
        AND c.due <= :now AND c.last_review IS NOT NULL AND c.live = 1 AND {_AVAILABLE}
        LIMIT :cap))"""

# Unseen, unsuspended cards of live questions, less those buried for now.
_UNSEEN_EVERYWHERE = f"""SELECT (SELECT coalesce(sum(unseen), 0) FROM {DECK_TOTALS})
    - (SELECT count(*) FROM cards c WHERE c.buried_until > :now AND c.last_review IS NULL
       AND c.suspended IS 0 AND c.live = 1)"""

_NEW_TODAY = f"SELECT count(*) FROM {CARD_TOTALS} WHERE first_review >= :since"

# Reviews of cards in review state today, against the daily maximum: stops at the maximum.
_REVIEWS_TODAY = f"""SELECT count(*) FROM (SELECT 1 FROM reviews r
WHERE r.kind = 'review' AND r.state_before = {REVIEW_STATE} AND r.reviewed_at >= :since
AND {_NOT_UNDONE} LIMIT :cap)"""

# Every counted rating of the day: whole hours from the hourly totals, the part of an hour
# before the first whole one from the log.
_RATINGS_TODAY = f"""SELECT
    (SELECT coalesce(sum(ratings), 0) FROM {HOURS} WHERE hour >= :whole_hours)
    + (SELECT count(*) FROM reviews r WHERE r.reviewed_at >= :since
       AND r.reviewed_at < :hour_start AND r.kind IN ('review', 'cram') AND {_NOT_UNDONE})"""


@dataclass(frozen=True)
class HomeFigures:
    counts: Counts
    decks: list[DeckCounts]


def home_figures(cursor: Cursor, now: datetime, settings: Settings,
                 extra_new: int = 0) -> HomeFigures:
    """Home's figures: the queue's counts over every deck and each deck's row (decks in the
    order of their first file). `extra_new`: today's extra new cards (custom study)."""
    moments = _Moments.of(now, settings)
    decks = _deck_rows(cursor, {"now": moments.now, "since": moments.since})
    day = _Day.read(cursor, moments, settings, extra_new)
    review = sum(deck.review for deck in decks)
    learning = sum(deck.learning for deck in decks)
    unseen = sum(deck.new for deck in decks)
    return HomeFigures(day.counts(review, learning, unseen), decks)


def queue_counts(cursor: Cursor, now: datetime, settings: Settings,
                 extra_new: int = 0) -> Counts:
    """The queue's counts over every deck (`quiz due`, the study screen): the same figures as
    `home_figures(...).counts`, from ranges over every deck at once instead of deck by deck."""
    moments = _Moments.of(now, settings)
    day = _Day.read(cursor, moments, settings, extra_new)
    params = {"now": moments.now}
    learning, review = cursor.execute(
        _DUE_EVERYWHERE, {**params, "cap": day.reviews_left}).fetchone()
    unseen = cursor.execute(_UNSEEN_EVERYWHERE, params).fetchone()[0]
    return day.counts(review, learning, unseen)


@dataclass(frozen=True)
class _Day:
    """What the learner's day has used: new cards seen, reviews left under the maximum, every
    counted rating; and the live cards."""

    new_today: int
    new_left: int
    reviews_left: int
    ratings: int
    total: int

    @classmethod
    def read(cls, cursor: Cursor, moments: _Moments, settings: Settings,
             extra_new: int) -> _Day:
        since = {"since": moments.since}
        new_today = cursor.execute(_NEW_TODAY, since).fetchone()[0]
        reviews_done = cursor.execute(
            _REVIEWS_TODAY, {**since, "cap": settings.max_reviews_per_day}).fetchone()[0]
        ratings = cursor.execute(_RATINGS_TODAY, {
            **since, "whole_hours": moments.whole_hours,
            "hour_start": moments.hour_start}).fetchone()[0]
        total = cursor.execute(f"SELECT coalesce(sum(cards), 0) FROM {DECK_TOTALS}").fetchone()[0]
        return cls(new_today, max(settings.new_per_day + extra_new - new_today, 0),
                   max(settings.max_reviews_per_day - reviews_done, 0), ratings, total)

    def counts(self, review: int, learning: int, unseen: int) -> Counts:
        return Counts(due=min(review, self.reviews_left) + learning,
                      new=min(unseen, self.new_left), total=self.total,
                      new_today=self.new_today, reviews_today=self.ratings, learning=learning)


def _deck_rows(cursor: Cursor, params: dict[str, str]) -> list[DeckCounts]:
    totals: dict[str, list[int]] = {}  # deck: questions, numeric, unseen
    first_file: dict[str, str] = {}
    for deck, kind, questions, _cards, unseen, file in cursor.execute(_TOTALS):
        entry = totals.setdefault(deck, [0, 0, 0])
        entry[0] += questions
        entry[1] += questions if kind == "numeric" else 0
        entry[2] += unseen
        if file is not None:
            first_file[deck] = min(first_file.get(deck, file), file)
    buried = dict(cursor.execute(_BURIED_UNSEEN, params).fetchall())
    due = {deck: (review, learning, done)
           for deck, review, learning, done in cursor.execute(_PER_DECK, params)}
    rows = [
        DeckCounts(deck=deck, review=due.get(deck, (0, 0, 0))[0],
                   learning=due.get(deck, (0, 0, 0))[1], new=unseen - buried.get(deck, 0),
                   done_today=due.get(deck, (0, 0, 0))[2], total=questions, numeric=numeric)
        for deck, (questions, numeric, unseen) in totals.items() if questions > 0
    ]
    return sorted(rows, key=lambda row: (first_file.get(row.deck, ""), row.deck))


def read_settings(cursor: Cursor) -> Settings:
    """The learner's settings from the settings table (a damaged value: its default)."""
    rows: dict[str, object] = {}
    for key, value in cursor.execute("SELECT key, value FROM settings"):
        try:
            rows[key] = _decoded(value)
        except ValueError:
            continue
    return settings_from_rows(rows)


def _decoded(value: object) -> object:
    # The JSON column has numeric affinity in SQLite: a stored number comes back a number.
    return json.loads(value) if isinstance(value, str) else value


def extra_new_key(now: datetime, settings: Settings) -> str:
    """The setting that holds the learner's extra new cards of today (custom study)."""
    return f"extra_new:{day_key(now, settings.day_starts_at)}"


def extra_new_today(cursor: Cursor, now: datetime, settings: Settings) -> int:
    """Today's extra new cards, as `quiz.store.queue.extra_new_today` reads them."""
    value = read_value(cursor, extra_new_key(now, settings))
    return value if isinstance(value, int) and value > 0 else 0


def read_value(cursor: Cursor, key: str) -> object | None:
    """A stored value of the settings table (None when missing or not JSON)."""
    row = cursor.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    try:
        return _decoded(row[0]) if row is not None else None
    except ValueError:
        return None


def open_counted(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to the quiz database at `path` when its figures can be counted
    here as they are: this quiz's schema with the totals its triggers keep. None otherwise (a
    new, older, damaged or foreign file), for `quiz.store.db.open_database` to deal with."""
    try:
        connection = connect_existing(path)
    except (sqlite3.Error, OSError):
        return None
    try:
        identity = (connection.execute("PRAGMA application_id").fetchone()[0],
                    connection.execute("PRAGMA user_version").fetchone()[0])
        names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        if identity == (APPLICATION_ID, SCHEMA_VERSION) and \
                {*deck_totals.OBJECTS, *log_totals.OBJECTS, "settings"} <= names:
            return connection
    except sqlite3.Error:
        pass
    connection.close()
    return None
