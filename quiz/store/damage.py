"""Damaged rows, found with plain SQL over the raw stored values.

The ORM turns a stored value into a Python one as it reads a row, so one `due = 'garbage'`
(or `tags = 'not json'`) makes every query that touches the row raise. Here every column quiz
reads is checked with `typeof`, `json_valid`, date round trips and range tests in SQL, and only
the offending primary key and raw value are fetched, so no bad row can stop the scan.

`describe_damage(db)` is what the CLI and the TUI call when reading the store failed: the first
damaged row, as `table cards, row 'conv-1x1' of learner 1, field due: 'garbage' is not a date and
time` (a card is one learner's: its row is named by its question and its learner).
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from quiz.store.sqlite_files import connect_existing, sqlite_path

if TYPE_CHECKING:
    from quiz.store.db import Database

# Repairs `quiz doctor --fix` may make (see quiz.store.doctor); None: reported only.
RESET_CARD = "reset-card"        # the card becomes a new card; its reviews are kept
CARD_DUE_NOW = "card-due-now"
CARD_DEFAULT = "card-default"    # the column's default (0 / NULL)
QUESTION_REFRESH = "question-refresh"  # a safe value now; the next import rewrites the row
DROP_SETTING = "drop-setting"    # back to the default setting
LEARNER_FIELD = "learner-field"  # a learner's display name or creation time: a safe value

# The row a finding names: the table's primary key. A card's is its learner and its question;
# a database from before learners (schema 2, not yet upgraded) keys its cards by question alone.
PRIMARY_KEYS = {"questions": "id", "cards": "question_id", "reviews": "id",
                "settings": "key", "schema_info": "version", "learners": "id"}
LEARNER_KEY = "learner_id"


@dataclass(frozen=True)
class Finding:
    """One problem: where it is (table, row's primary key, field) and what is wrong."""

    check: str  # integrity | foreign-key | missing | orphan | damaged | unloadable | unreadable
    table: str | None
    row: str | int | None
    field: str | None
    problem: str
    repair: str | None = None
    # The learner of a card (with `row`, its question, the card's primary key), or the learner
    # a question lacks a card for; None for the other tables' rows.
    learner: int | str | None = None

    @property
    def key(self) -> tuple[object, ...]:
        return (self.check, self.table, self.learner, self.row, self.field)

    def describe(self) -> str:
        where = []
        if self.table:
            where.append(f"table {self.table}")
        if self.row is not None:
            card = self.table == "cards" and self.learner is not None
            where.append(f"row {self.row!r}" + (f" of learner {self.learner!r}" if card else ""))
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "table": self.table, "row": self.row,
                "learner": self.learner, "field": self.field, "problem": self.problem,
                "repair": self.repair}


def shown(value: object, limit: int = 60) -> str:
    """A raw stored value as the user would recognise it, shortened."""
    if value is None:
        return "NULL"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# The moments quiz writes: from the Unix epoch (the CSV export counts milliseconds from it) to
# the year 2199 (a card is due at most fsrs's maximum interval, 100 years, after its review).
FIRST_YEAR, LAST_YEAR = 1970, 2199
_FIRST_MOMENT = datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc)
_AFTER_LAST_MOMENT = datetime(LAST_YEAR + 1, 1, 1, tzinfo=timezone.utc)
_NONE = type(None)
_tzinfo = attrgetter("tzinfo")
# SQLite's integers (and PostgreSQL's BIGINT) are 64-bit: a larger number cannot be stored.
INT64 = (-2**63, 2**63 - 1)
# How deeply a JSON value may nest (a card snapshot is an object of numbers; a question's
# blocks are lists of objects): far more than quiz writes, far less than a stack can take.
MAX_JSON_DEPTH = 16
_FLOAT_MAX = "1.7976931348623157e308"  # SQLite stores ±inf as a REAL beyond it
_JSON_SHAPES = {"list": "a JSON list", "text-list": "a JSON list of text",
                "object": "a JSON object", "any": "JSON"}


@dataclass(frozen=True)
class Rule:
    """What one column may hold, declared once: `kind` (integer, boolean, number, date, text,
    choice or json), a range, the choices or the JSON shape, and whether NULL is allowed.

    Both checks come from it: `bad` is the SQL condition over `{c}` (the column) that holds
    exactly for the stored values quiz cannot read (quiz doctor), and `problem(value)` checks a
    value as quiz would store it (a datetime for a date, the decoded JSON for a json column:
    what a history file brings). `explain` says what is wrong with one value."""

    table: str
    column: str
    kind: str
    nullable: bool
    repair: str | None
    low: float | None = None
    high: float | None = None
    low_open: bool = False    # a number must be above `low`, not equal to it
    allowed: tuple[str, ...] = ()
    shape: str = "any"        # json: list | text-list | object | any
    meaning: str = ""         # what the integers stand for, e.g. the fsrs states

    @property
    def bad(self) -> str:
        condition = getattr(self, f"_{self.kind}_bad")()
        # COALESCE: a condition SQL cannot decide (NULL, e.g. datetime() of an impossible
        # date) counts as damage, never as a pass.
        if self.nullable:
            return f"({{c}} IS NOT NULL AND COALESCE(({condition}), 1))"
        return f"({{c}} IS NULL OR COALESCE(({condition}), 1))"

    def _integer_bad(self) -> str:
        checks = ["typeof({c}) != 'integer'"]
        if self.low is not None:
            checks.append(f"{{c}} < {self.low}")
        if self.high is not None:
            checks.append(f"{{c}} > {self.high}")
        return " OR ".join(checks)

    _boolean_bad = _integer_bad

    def _number_bad(self) -> str:
        below = "<=" if self.low_open else "<"
        checks = ["typeof({c}) NOT IN ('integer', 'real')", f"abs({{c}}) > {_FLOAT_MAX}"]
        if self.low is not None:
            checks.append(f"{{c}} {below} {self.low}")
        if self.high is not None:
            checks.append(f"{{c}} > {self.high}")
        return " OR ".join(checks)

    def _date_bad(self) -> str:
        return f"NOT ({_DATE_OK})"

    def _text_bad(self) -> str:
        return "typeof({c}) != 'text'"

    def _choice_bad(self) -> str:
        listed = ", ".join(f"'{value}'" for value in self.allowed)
        return f"typeof({{c}}) != 'text' OR {{c}} NOT IN ({listed})"

    def _json_bad(self) -> str:
        valid = "typeof({c}) = 'text' AND json_valid({c})"
        if self.shape in {"list", "text-list"}:
            valid += " AND json_type({c}) = 'array'"
        elif self.shape == "object":
            valid += " AND json_type({c}) = 'object'"
        else:
            # A JSON column has NUMERIC affinity: SQLite stores the JSON text '30' as the
            # integer 30, which the ORM reads back as the number it was.
            valid = f"typeof({{c}}) IN ('integer', 'real') OR ({valid})"
        if self.shape == "text-list":
            # json_each only once the value is known to be a JSON array (CASE is lazy).
            return (f"CASE WHEN {valid} THEN EXISTS (SELECT 1 FROM json_each({{c}}) "
                    "WHERE json_each.type != 'text') ELSE 1 END")
        return f"NOT ({valid})"

    def explain(self, value: object) -> str:
        """What is wrong with `value` (stored raw, or as a history file brings it)."""
        if value is None:
            return "NULL where a value is required"
        return self._describe(value)

    def problem(self, value: object) -> str | None:
        """None when quiz can store and read `value` in this column, else what is wrong."""
        if value is None:
            return None if self.nullable else self.explain(value)
        return None if getattr(self, f"_{self.kind}_ok")(value) else self._describe(value)

    def first_problem(self, values: Sequence[object]) -> int | None:
        """Where the first value `problem` refuses is in `values`, or None: the answer asking
        `problem` of each value in turn gives, found for the whole column at once by the
        interpreter's C builtins when the column holds what quiz writes (an import checks
        millions of values; one by one they were a third of its time)."""
        if self._column_ok(values):
            return None
        return next((at for at, value in enumerate(values)
                     if self.problem(value) is not None), None)

    def _column_ok(self, values: Sequence[object]) -> bool:
        """True when every value passes; False when some value may not (look one by one)."""
        kinds = set(map(type, values))
        present = values
        if _NONE in kinds:
            if not self.nullable:
                return False
            kinds.discard(_NONE)
            present = [value for value in values if value is not None]
        if not present:
            return True
        try:
            ok: bool = getattr(self, f"_{self.kind}_column_ok")(kinds, present)
        except (TypeError, ValueError, OverflowError):  # unhashable, unorderable, too large
            return False
        return ok

    def _ends_ok(self, present: Sequence[Any]) -> bool:
        # A range is an interval: its least and greatest value decide for all.
        return self._range_ok(min(present)) and self._range_ok(max(present))

    def _integer_column_ok(self, kinds: set[type], present: Sequence[Any]) -> bool:
        return (kinds == {int} and INT64[0] <= min(present) and max(present) <= INT64[1]
                and self._ends_ok(present))

    def _boolean_column_ok(self, kinds: set[type], present: Sequence[Any]) -> bool:
        return kinds <= {int, bool} and set(present) <= {0, 1}

    def _number_column_ok(self, kinds: set[type], present: Sequence[Any]) -> bool:
        return (kinds <= {int, float} and all(map(math.isfinite, present))
                and self._ends_ok(present))

    def _date_column_ok(self, kinds: set[type], present: Sequence[Any]) -> bool:
        # Aware datetimes compare as moments, whatever their offsets.
        return (kinds == {datetime} and None not in set(map(_tzinfo, present))
                and min(present) >= _FIRST_MOMENT and max(present) < _AFTER_LAST_MOMENT)

    def _text_column_ok(self, kinds: set[type], present: Sequence[Any]) -> bool:
        if kinds != {str}:
            return False
        "".join(present).encode("utf-8")  # a lone surrogate raises (ValueError)
        return True

    def _choice_column_ok(self, kinds: set[type], present: Sequence[Any]) -> bool:
        return kinds == {str} and set(present) <= set(self.allowed)

    def _json_column_ok(self, kinds: set[type], present: Sequence[Any]) -> bool:
        wanted = {"object": {dict}, "list": {list}, "text-list": {list}}.get(self.shape)
        if wanted is not None and kinds != wanted:
            return False
        inner = set(map(type, chain.from_iterable(
            value.values() if type(value) is dict else value
            for value in present if type(value) in (dict, list))))
        if self.shape == "text-list" and not inner <= {str}:
            return False
        return not inner & {dict, list}  # one level deep; deeper values are asked one by one

    def _range_ok(self, value: float) -> bool:
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        return low_ok and (self.high is None or value <= self.high)

    def _integer_ok(self, value: object) -> bool:
        return (type(value) is int  # not a bool
                and INT64[0] <= value <= INT64[1] and self._range_ok(value))

    def _boolean_ok(self, value: object) -> bool:
        return isinstance(value, int) and value in (0, 1)

    def _number_ok(self, value: object) -> bool:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        return _finite(value) and self._range_ok(value)

    def _date_ok(self, value: object) -> bool:
        # Aware datetimes compare as moments (astimezone of year 1 at +05:00 would overflow).
        return (isinstance(value, datetime) and value.tzinfo is not None
                and _FIRST_MOMENT <= value < _AFTER_LAST_MOMENT)

    def _text_ok(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            value.encode("utf-8")  # a lone surrogate (\\udc9b) cannot be stored
        except UnicodeEncodeError:
            return False
        return True

    def _choice_ok(self, value: object) -> bool:
        return isinstance(value, str) and value in self.allowed

    def _json_ok(self, value: object) -> bool:
        if json_depth(value) > MAX_JSON_DEPTH:
            return False
        if self.shape == "object":
            return isinstance(value, dict)
        if self.shape == "list":
            return isinstance(value, list)
        if self.shape == "text-list":
            return isinstance(value, list) and all(isinstance(item, str) for item in value)
        return True

    def _describe(self, value: object) -> str:
        if self.kind in {"integer", "boolean"}:
            if not isinstance(value, int) or (isinstance(value, bool) and self.kind == "integer"):
                return f"{shown(value)} is not an integer"
            return f"{value} is outside {self._bounds()}{self.meaning}"
        if self.kind == "number":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return f"{shown(value)} is not a number"
            bounds = (f"above {self.low}" if self.high is None else
                      f"in {self.low}..{self.high}")
            if not _finite(value):
                return f"{shown(value)} is not a finite number"
            return f"{value} is not {bounds}"
        if self.kind == "date":
            if isinstance(value, datetime) and value.tzinfo is not None:
                return f"{value.isoformat()} is outside the years {FIRST_YEAR}..{LAST_YEAR}"
            return f"{shown(value)} is not a date and time"
        if self.kind == "choice":
            return f"{shown(value)} is not one of {', '.join(self.allowed)}"
        if self.kind == "json":
            if json_depth(value) > MAX_JSON_DEPTH:
                return f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
            return f"{shown(value)} is not {_JSON_SHAPES[self.shape]}"
        return f"{shown(value)} is not text"

    def _bounds(self) -> str:
        low = INT64[0] if self.low is None else int(self.low)
        high = INT64[1] if self.high is None else int(self.high)
        return f"{low}..{high}" if self.high is not None or self.low is None \
            else f"at least {low}"


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past any double
        return False


def json_depth(value: object) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0; counted past
    MAX_JSON_DEPTH only far enough to say so), without recursion."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                break
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children
                       if isinstance(child, (dict, list)))
    return deepest


# The store writes naive UTC as 'YYYY-MM-DD HH:MM:SS' plus up to six digits of microseconds;
# SQLite's datetime() normalises an impossible date (Feb 30, hour 24), so a value survives the
# round trip only if it is a real moment Python can read back, in the years quiz writes.
_DATE_OK = ("typeof({c}) = 'text' AND {c} GLOB "
            "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' "
            f"AND substr({{c}}, 1, 4) BETWEEN '{FIRST_YEAR}' AND '{LAST_YEAR}' "
            "AND datetime(substr({c}, 1, 19), '+0 seconds') IS substr({c}, 1, 19) "
            "AND (length({c}) = 19 OR (substr({c}, 20, 1) = '.' AND length({c}) <= 26 "
            "AND substr({c}, 21) NOT GLOB '*[^0-9]*' AND length({c}) > 20))")


def _date(table: str, column: str, nullable: bool, repair: str | None) -> Rule:
    return Rule(table, column, "date", nullable, repair)


def _integer(table: str, column: str, low: int | None, high: int | None, nullable: bool,
             repair: str | None, meaning: str = "") -> Rule:
    return Rule(table, column, "integer", nullable, repair, low, high, meaning=meaning)


def _boolean(table: str, column: str, repair: str | None) -> Rule:
    return Rule(table, column, "boolean", False, repair, 0, 1)


def _number(table: str, column: str, low: float, high: float | None, low_open: bool,
            repair: str | None) -> Rule:
    return Rule(table, column, "number", True, repair, low, high, low_open)


def _text(table: str, column: str, nullable: bool, repair: str | None) -> Rule:
    return Rule(table, column, "text", nullable, repair)


def _choice(table: str, column: str, allowed: tuple[str, ...], repair: str | None) -> Rule:
    return Rule(table, column, "choice", False, repair, allowed=allowed)


def _json(table: str, column: str, shape: str, nullable: bool, repair: str | None) -> Rule:
    """shape: 'list' (a JSON array), 'text-list' (an array of strings), 'object', 'any'."""
    return Rule(table, column, "json", nullable, repair, shape=shape)


_STATES = " (1 learning, 2 review, 3 relearning)"

RULES: tuple[Rule, ...] = (
    # cards: a scheduling field that cannot be trusted makes the card new again.
    _integer("cards", "state", 1, 3, False, RESET_CARD, _STATES),
    _integer("cards", "step", 0, None, True, RESET_CARD),
    _number("cards", "stability", 0, None, True, RESET_CARD),
    _number("cards", "difficulty", 1, 10, False, RESET_CARD),
    _date("cards", "last_review", True, RESET_CARD),
    _date("cards", "due", False, CARD_DUE_NOW),
    _integer("cards", "lapses", 0, None, False, CARD_DEFAULT),
    *(_boolean("cards", column, CARD_DEFAULT) for column in ("leech", "suspended", "flagged")),
    _date("cards", "buried_until", True, CARD_DEFAULT),
    _integer("cards", "new_rank", None, None, False, CARD_DEFAULT),
    # questions: every field comes from the bank, so the next import can rewrite a damaged one.
    *(_text("questions", column, False, QUESTION_REFRESH)
      for column in ("bank", "title", "answer", "topic", "deck", "file", "content_hash")),
    _json("questions", "sources", "text-list", False, QUESTION_REFRESH),
    _json("questions", "tags", "text-list", False, QUESTION_REFRESH),
    _json("questions", "blocks", "list", False, QUESTION_REFRESH),
    _choice("questions", "kind", ("concept", "numeric"), QUESTION_REFRESH),
    _choice("questions", "origin", ("sourced", "authored"), QUESTION_REFRESH),
    _integer("questions", "difficulty", 1, 3, False, QUESTION_REFRESH),
    _integer("questions", "line", 0, None, False, QUESTION_REFRESH),
    _date("questions", "created_at", False, QUESTION_REFRESH),
    _date("questions", "updated_at", False, QUESTION_REFRESH),
    _date("questions", "retired_at", True, QUESTION_REFRESH),
    # reviews: the log is append-only (triggers refuse changes), so damage is reported only.
    _date("reviews", "reviewed_at", False, None),
    _date("reviews", "due_after", False, None),
    _integer("reviews", "rating", 0, 4, False, None, " (0 for an undo entry)"),
    _integer("reviews", "state_after", 1, 3, False, None, _STATES),
    _integer("reviews", "state_before", 0, 3, True, None, " (0 new, 1 learning, 2 review, "
                                                          "3 relearning)"),
    _number("reviews", "stability_after", 0, None, True, None),
    _number("reviews", "difficulty_after", 1, 10, False, None),
    _integer("reviews", "duration_ms", 0, None, True, None),
    _integer("reviews", "seed", None, None, True, None),
    _integer("reviews", "undoes", None, None, True, None),
    _text("reviews", "question_id", False, None),
    _text("reviews", "content_hash", False, None),
    _text("reviews", "answer_text", True, None),
    _text("reviews", "verdict", True, None),
    _text("reviews", "answer_key", True, None),
    _choice("reviews", "kind", ("review", "cram", "undo"), None),
    _json("reviews", "card_before", "object", True, None),
    _json("settings", "value", "any", False, DROP_SETTING),
    # The keys: what rows are found by and refer to (a key quiz cannot read is reported only).
    _text("questions", "id", False, None),
    _integer("learners", "id", 1, None, False, None),
    _integer("cards", "learner_id", 1, None, False, None),
    _text("cards", "question_id", False, None),
    _integer("reviews", "id", 1, None, False, None),
    _integer("reviews", "learner_id", 1, None, False, None),
    _text("settings", "key", False, None),
    # learners: the name is how the learner is found (`--learner NAME`), so it is reported only.
    _text("learners", "name", False, None),
    _text("learners", "display_name", False, LEARNER_FIELD),
    _date("learners", "created_at", False, LEARNER_FIELD),
)

# Card states whose every field is readable but which fsrs cannot schedule: it asserts a review
# or relearning card has stability and difficulty, and a relearning card its step.
UNLOADABLE: tuple[tuple[str, str, str], ...] = (
    ("stability", "state IN (2, 3) AND stability IS NULL",
     "a review or relearning card without a stability"),
    ("difficulty", "state IN (2, 3) AND difficulty IS NULL",
     "a review or relearning card without a difficulty"),
    ("step", "state = 3 AND step IS NULL", "a relearning card without a learning step"),
)


def columns(connection: sqlite3.Connection) -> dict[str, set[str]]:
    """Every table of the database and its columns."""
    tables = [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table: {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
            for table in tables}


def _rule_columns_ok(rule: Rule, present: dict[str, set[str]]) -> bool:
    table_columns = present.get(rule.table, set())
    return rule.column in table_columns and PRIMARY_KEYS[rule.table] in table_columns


def learner_column(table: str, present: dict[str, set[str]]) -> str:
    """SQL for the learner of each row of `table` (a card's): its column, or NULL where the
    table has none (not a card, or a database from before learners)."""
    has = table == "cards" and LEARNER_KEY in present.get(table, set())
    return f'"{LEARNER_KEY}"' if has else "NULL"


def _card_fields_ok() -> str:
    """SQL: the card's scheduling fields all pass their column rules (so UNLOADABLE only
    reports what the column rules do not already)."""
    bad = [rule.bad.format(c=rule.column) for rule in RULES
           if rule.table == "cards" and rule.repair == RESET_CARD]
    return " AND ".join(f"NOT ({condition})" for condition in bad)


def _table_rules(present: dict[str, set[str]]) -> dict[str, list[Rule]]:
    """The rules whose table and column exist, per table, in RULES' order."""
    grouped: dict[str, list[Rule]] = {}
    for rule in RULES:
        if _rule_columns_ok(rule, present):
            grouped.setdefault(rule.table, []).append(rule)
    return grouped


def _scan_table(connection: sqlite3.Connection, table: str, rules: list[Rule],
                present: dict[str, set[str]]) -> Iterator[Finding]:
    """One pass over the table: each row's raw values and which rules it breaks, fetched only
    for the rows that break one."""
    conditions = [rule.bad.format(c=f'"{rule.column}"') for rule in rules]
    values = ", ".join(f'"{rule.column}"' for rule in rules)
    flags = ", ".join(f"({condition})" for condition in conditions)
    query = (f'SELECT "{PRIMARY_KEYS[table]}", {learner_column(table, present)}, {values}, '
             f'{flags} FROM "{table}" '
             f"WHERE {' OR '.join(f'({condition})' for condition in conditions)}")
    count = len(rules)
    for row in connection.execute(query):
        key, learner, raw, broken = row[0], row[1], row[2:2 + count], row[2 + count:]
        for rule, value, bad in zip(rules, raw, broken, strict=True):
            if bad:
                yield Finding("damaged", table, key, rule.column, rule.explain(value),
                              rule.repair, learner)


def scan_rows(connection: sqlite3.Connection,
              present: dict[str, set[str]] | None = None) -> Iterator[Finding]:
    """Every damaged field and every card fsrs cannot load, lazily, one table at a time (cards
    first: the table a damaged row most often breaks)."""
    present = columns(connection) if present is None else present
    for table, rules in _table_rules(present).items():
        try:
            yield from _scan_table(connection, table, rules, present)
        except sqlite3.DatabaseError as error:
            yield Finding("unreadable", table, None, None, f"cannot be scanned: {error}")
        if table == "cards":
            yield from _unloadable(connection, present)


def _unloadable(connection: sqlite3.Connection,
                present: dict[str, set[str]]) -> Iterator[Finding]:
    if not {"question_id", "state", "step", "stability", "difficulty", "last_review"} \
            <= present.get("cards", set()):
        return
    learner = learner_column("cards", present)
    for field, condition, problem in UNLOADABLE:
        query = (f"SELECT question_id, {learner} FROM cards "
                 f"WHERE ({condition}) AND {_card_fields_ok()}")
        try:
            for key, learner_id in connection.execute(query):
                yield Finding("unloadable", "cards", key, field,
                              f"fsrs cannot load this card: {problem}", RESET_CARD, learner_id)
        except sqlite3.DatabaseError as error:
            yield Finding("unreadable", "cards", None, field, f"cannot be scanned: {error}")


# The damage lookup runs on an error path: it gives up rather than keep the user waiting (a
# million reviews take seconds to scan; cards and questions, scanned first, take far less).
LOOKUP_SECONDS = 3.0


def first_damage(db: Database | str, budget: float = LOOKUP_SECONDS) -> Finding | None:
    """The first damaged row (or unreadable table) of the database, or None (also when the scan
    takes longer than `budget` seconds). Read-only, never creates a file, never raises."""
    url = db if isinstance(db, str) else db.url
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    deadline = time.monotonic() + budget
    try:
        connection = connect_existing(path)
        # Called every 10,000 SQLite VM steps; a true result interrupts the query.
        connection.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            found = next(scan_rows(connection), None)
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    if found is not None and "interrupted" in found.problem:
        return None
    return found


def describe_damage(db: Database | str) -> str | None:
    """The first damaged row of the database (`Database` or SQLAlchemy URL) as one line naming
    table, row and field, or None when no row is damaged or the database cannot be read.
    Read-only, never creates a file, never raises."""
    finding = first_damage(db)
    return finding.describe() if finding is not None else None


# A stored due date is text starting with a four-digit year. A value sorting below '0000-'
# (a number, empty or space-led text) or from ':' up (letters, CJK) cannot be one, and every due
# range skips it: the card silently drops out of what is due. Two ranges of the due index find
# it without a scan, so `quiz due` and the home screen can ask on every count. Only the cards of
# the learner studying (whose counts would miss one); the unary + keeps SQLite from reading the
# learner's every card through the primary key instead of the two ranges.
UNDATABLE_DUE = ("SELECT question_id, due, learner_id FROM cards "
                 "WHERE (due < '0000-' OR due >= ':') AND +learner_id = ? LIMIT 1")


def undatable_due(db: Database) -> str | None:
    """A card of the learner studying whose due date is no date (named by table, row, learner
    and field), or None. SQLite only: other databases store a real timestamp type that cannot
    hold text."""
    if db.engine.dialect.name != "sqlite":
        return None
    with db.engine.connect() as connection:
        row = connection.exec_driver_sql(UNDATABLE_DUE, (db.learner_id,)).first()
    return None if row is None else describe_undatable_due(tuple(row))


def describe_undatable_due(row: tuple[object, ...]) -> str:
    """The warning for a row UNDATABLE_DUE found: (question_id, due, learner_id)."""
    learner = row[2] if isinstance(row[2], (int, str)) else None
    finding = Finding("damaged", "cards", str(row[0]), "due",
                      f"{shown(row[1])} is not a date and time, so the card is left out of what "
                      "is due; `quiz doctor --fix` repairs it", CARD_DUE_NOW, learner)
    return finding.describe()


# Errors a damaged stored value raises while the ORM or fsrs reads it; anything else (and any of
# these raised outside the store) is a bug and keeps its traceback.
_READ_ERRORS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError, AssertionError)
_STORE_MODULES = ("quiz.store", "sqlalchemy", "fsrs")


def raised_reading_store(error: BaseException) -> bool:
    """True when `error` is of a kind a damaged row causes and passed through the store."""
    if not (isinstance(error, _READ_ERRORS) or type(error).__module__.startswith("sqlalchemy")):
        return False
    trace = error.__traceback__
    while trace is not None:
        module = str(trace.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_STORE_MODULES):
            return True
        trace = trace.tb_next
    return False


def _damaged_file(error: BaseException) -> bool:
    original = getattr(error, "orig", None) or error
    text = str(original)
    return isinstance(original, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text)


DOCTOR_HINT = ("run `quiz doctor` to list every problem, `quiz doctor --fix` to repair what is "
               "safe (a backup is written first)")


def damage_message(error: BaseException, db: Database | str) -> str | None:
    """The lines to show instead of a traceback when `error` came from a damaged row or a
    damaged file: which row and field, and what to run. None when damage does not explain it."""
    if not raised_reading_store(error):
        return None
    finding = first_damage(db)
    if finding is not None and finding.check == "unreadable":
        return f"the database file is damaged: {finding.describe()}\n{DOCTOR_HINT}"
    if finding is not None:
        return (f"the database has a damaged row: {finding.describe()} "
                f"(reading it raised {type(error).__name__})\n{DOCTOR_HINT}")
    if _damaged_file(error):
        original = getattr(error, "orig", None) or error
        return f"the database file is damaged ({original})\n{DOCTOR_HINT}"
    return None
