"""Moving the learner's data between machines: the whole database as JSON (every table and column
of the models, so columns added later travel without changes here), and the review log as CSV in
the columns FSRS optimisers read.

The JSON file is written and read as a stream, so a history of any length takes little memory:
`write_history` writes rows as the database hands them out (one row a line, the review log last);
`import_history` reads the file with ijson, checks every value against the column rules quiz
doctor uses (quiz.store.damage.RULES: types, ranges, dates, states, choices, JSON shapes) and the
references (a card's or review's question and learner, an undo's review), and inserts in batches.

Import policy: `import_history` writes only into a database that has no reviews yet (a fresh one,
or one where the bank was synced but nothing studied). Reviews are inserted with their original
ids — never updated or deleted, so the append-only triggers hold; rows of the other tables
(questions, cards, settings, …) replace the rows with the same primary key, and rows that exist
only in the target are kept. All of it happens in one transaction: on any error nothing changes,
and the error names the table, the row (its number in the file) and the field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, BinaryIO

import ijson  # type: ignore[import-untyped]  # no stubs
import numpy as np
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    TypeDecorator,
    and_,
    bindparam,
    func,
    null,
    select,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from quiz.files import open_user_file
from quiz.store import StoreError, derived
from quiz.store.bulk import insert_rows
from quiz.store.damage import RULES, Rule, shown
from quiz.store.db import Database
from quiz.store.models import ReviewRow
from quiz.store.settings import SettingError, Settings, parse_value
from quiz.store.tables import DEFAULT_LEARNER_ID, METADATA, SCHEMA_VERSION

FORMAT = "quiz-history"
FORMAT_VERSION = 1
SKIPPED_TABLES = frozenset({"schema_info"})  # the target keeps its own schema version
# Copies the target's triggers keep (quiz.store.derived), not the learner's data.
DERIVED_COLUMNS = {"cards": frozenset({"deck", "live"})}
REVIEWS = "reviews"
CSV_COLUMNS = ("card_id", "review_time", "review_rating", "review_state", "review_duration")
STATE_NEW = 0  # fsrs states: 1 learning, 2 review, 3 relearning; 0 a card never reviewed
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

BATCH = 2000           # rows per executemany (and per fetch while exporting)
CHUNK = 1 << 20        # bytes read from the file at a time
# The file's own nesting (file, tables, table, rows, row) above a value's JSON: deeper input is
# refused before ijson sees it (ijson keeps a path string per level: 200,000 levels of `[` take
# gigabytes).
MAX_NESTING = 5 + 16
MAX_STRING = 64 * 2**20  # one JSON string (an answer, a question's text) longer is refused
SETTING_NAMES = frozenset(Settings.__dataclass_fields__)


class HistoryError(StoreError):
    """A history file that cannot be imported (format, version, a value, or the target's
    state); the message names the table, row and field where there is one."""


# --- the file --------------------------------------------------------------------------------

def open_history(path: str | Path) -> BinaryIO:
    """The history file opened as quiz.files opens what a user names (a FIFO, a device or a
    directory refused), without a size cap: a history file is read as a stream."""
    return open_user_file(path)


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_MARK = bytes(byte for byte in range(256) if byte not in b'"[]{}')
_STRING = re.compile(rb'"[^"]*"')


class _NestingGuard:
    """A binary reader that hands the bytes on and refuses JSON nested deeper than `limit`
    (brackets outside strings, counted with NumPy per chunk: the C parser then never sees a
    nesting it would spend memory on)."""

    def __init__(self, raw: IO[bytes], limit: int = MAX_NESTING) -> None:
        self.raw, self.limit, self.depth, self.pending = raw, limit, 0, b""
        self.tables = 0  # values opened two levels down: the tables of a history file

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to learn whether the file is binary
            return b""
        chunk = self.raw.read(size if size > 0 else CHUNK)
        self._scan(chunk)
        return chunk

    def _scan(self, chunk: bytes) -> None:
        text = self.pending + chunk
        # Quotes and brackets only (escapes first: an escaped quote is no quote), then what is
        # left outside the strings.
        marks = _ESCAPE.sub(b"", text).translate(None, _NOT_MARK)
        outside = _STRING.sub(b"", marks)
        opened = outside.find(b'"')  # a string the text does not close: kept for the next
        self.pending = b"" if opened < 0 else text[_last_quote(text):]
        if len(self.pending) > MAX_STRING:
            raise HistoryError(f"a text value longer than {MAX_STRING // 2**20} MB")
        brackets = outside if opened < 0 else outside[:opened]
        if not brackets:
            return
        codes = np.frombuffer(brackets, dtype=np.uint8)
        opening = (codes == 91) | (codes == 123)
        depths = self.depth + np.cumsum(np.where(opening, 1, -1))
        self.tables += int(np.count_nonzero(opening & (depths == 3)))
        if int(depths.max()) > self.limit:
            raise HistoryError(f"JSON nested deeper than {self.limit} levels (a history file "
                               "needs far fewer)")
        self.depth = int(depths[-1])


def _last_quote(text: bytes) -> int:
    """Where the last quote of `text` that no backslash escapes is."""
    position = len(text)
    while True:
        position = text.rfind(b'"', 0, position)
        backslash = position - 1
        while backslash >= 0 and text[backslash] == ord("\\"):
            backslash -= 1
        if position <= 0 or (position - 1 - backslash) % 2 == 0:
            return max(position, 0)


def _json_error(error: Exception) -> HistoryError:
    reason = " ".join(str(error).split()[:8]) or type(error).__name__  # yajl's is multi-line
    return HistoryError(f"not valid JSON ({reason})")


def read_header(source: BinaryIO) -> dict[str, Any]:
    """The format and versions at the head of the file, checked; refused as a HistoryError.
    Reads only up to "tables" (nothing is written anywhere)."""
    source.seek(0)
    header: dict[str, Any] = {}
    try:
        events = ijson.parse(_NestingGuard(source), use_float=True, buf_size=CHUNK)
        for prefix, event, value in events:
            if prefix == "" and event == "map_key" and value == "tables":
                break
            if prefix == "" and event not in {"start_map", "map_key"}:
                raise HistoryError(f"not a quiz history file (expected \"format\": \"{FORMAT}\")")
            if "." not in prefix and prefix and event not in {"start_map", "start_array"}:
                header[prefix] = value
    except ijson.JSONError as error:
        raise _json_error(error) from None
    _check_header(header)
    return header


def _check_header(data: dict[str, Any]) -> None:
    if data.get("format") != FORMAT:
        raise HistoryError(f"not a quiz history file (expected \"format\": \"{FORMAT}\" before "
                           "\"tables\")")
    version, schema = data.get("format_version"), data.get("schema_version")
    if type(version) is not int or type(schema) is not int:
        raise HistoryError("format_version and schema_version must be integers")
    if version > FORMAT_VERSION or schema > SCHEMA_VERSION:
        raise HistoryError(
            f"the file is from a newer quiz (format {version}, schema {schema}; this quiz reads "
            f"format {FORMAT_VERSION}, schema {SCHEMA_VERSION}): upgrade quiz first")


# --- export ----------------------------------------------------------------------------------

def _tables() -> list[Table]:
    """The tables a history holds, those that others refer to first and the review log last
    (an import streams the log after everything it refers to)."""
    tables = [t for t in METADATA.sorted_tables if t.name not in SKIPPED_TABLES]
    return [t for t in tables if t.name != REVIEWS] + [t for t in tables if t.name == REVIEWS]


def _exported_columns(table: Table) -> list[str]:
    derived = DERIVED_COLUMNS.get(table.name, frozenset())
    return [column.name for column in table.columns if column.name not in derived]


def _storage(column: Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance  # UTCDateTime reports `object`; its storage type is DateTime
    return kind


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def write_history(db: Database, out: IO[str], now: datetime | None = None) -> dict[str, int]:
    """Write every row of every table to `out` as the history JSON, table by table in primary
    key order, each row as the database hands it out (a few thousand at a time); rows per
    table."""
    from quiz.render.safe import safe_json

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    head = {"format": FORMAT, "format_version": FORMAT_VERSION,
            "schema_version": SCHEMA_VERSION, "exported_at": moment.isoformat()}
    out.write("{\n" + "".join(f" {safe_json(k)}: {safe_json(v)},\n" for k, v in head.items())
              + ' "tables": {')
    counts: dict[str, int] = {}
    with db.engine.connect() as connection:
        for number, table in enumerate(_tables()):
            columns = _exported_columns(table)
            out.write(("," if number else "") + f"\n  {safe_json(table.name)}: {{\"columns\": "
                      f"{safe_json(columns, compact=True)}, \"rows\": [")
            query = select(*[table.c[name] for name in columns]) \
                .order_by(*table.primary_key.columns)
            count = 0
            for row in connection.execution_options(yield_per=BATCH).execute(query):
                out.write(("," if count else "") + "\n   "
                          + safe_json([_encode(value) for value in row], compact=True))
                count += 1
            out.write("\n  ]}")
            counts[table.name] = count
    out.write("\n }\n}\n")
    return counts


def export_history(db: Database, now: datetime | None = None) -> dict[str, Any]:
    """The history as one JSON value (for small databases and tests; the CLI streams it)."""
    buffer = io.StringIO()
    write_history(db, buffer, now)
    data: dict[str, Any] = json.loads(buffer.getvalue())
    return data


# --- checking one table's rows ---------------------------------------------------------------

_RULES = {(rule.table, rule.column): rule for rule in RULES}


def _rule(table: Table, column: Column[Any]) -> Rule:
    """The column's rule (quiz.store.damage.RULES); a column RULES does not list is held to its
    type in the schema."""
    found = _RULES.get((table.name, column.name))
    if found is not None:
        return found
    storage = _storage(column)
    kind = ("date" if isinstance(storage, DateTime) else "boolean" if isinstance(storage, Boolean)
            else "integer" if isinstance(storage, Integer) else "number"
            if isinstance(storage, Float) else "json" if isinstance(storage, JSON) else "text")
    low, high = (0, 1) if kind == "boolean" else (None, None)
    return Rule(table.name, column.name, kind, bool(column.nullable), None, low, high)


class _Bad(ValueError):
    """One value refused: the field and what is wrong (the row is added by the caller)."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(problem)
        self.field, self.problem = field_name, problem


@dataclass
class _Known:
    """The ids rows may refer to: the target's, and the file's as they are read."""

    questions: set[str] = field(default_factory=set)
    learners: set[int] = field(default_factory=set)


@dataclass
class _TableReader:
    """Turns the rows of one table in the file into checked rows to insert."""

    table: Table
    names: list[str]
    known: _Known
    count: int = 0
    _checks: list[tuple[str, Callable[[Any], str | None], Callable[[Any], Any] | None,
                        int | None]] = field(default_factory=list)
    _fixed: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        allowed = _exported_columns(self.table)
        for name in self.names:
            if not isinstance(name, str):
                raise HistoryError(f"table {self.table.name}: a column name must be text, "
                                   f"not {json.dumps(name)}")
            if name not in allowed:
                raise HistoryError(f"table {self.table.name}: unknown column {name} (a file "
                                   "from a newer quiz?)")
        if len(set(self.names)) != len(self.names):
            raise HistoryError(f"table {self.table.name}: a column is named twice")
        # A file from before learners (schema 2): its cards and reviews are the single user's.
        if "learner_id" in self.table.columns and "learner_id" not in self.names:
            self._fixed["learner_id"] = DEFAULT_LEARNER_ID
        missing = [c.name for c in self.table.columns
                   if c.name in allowed and c.name not in self.names and c.name not in self._fixed
                   and not c.nullable and c.default is None and c.server_default is None]
        if missing:
            raise HistoryError(f"table {self.table.name}: column(s) {', '.join(missing)} "
                               "missing")
        for name in self.names:
            column = self.table.columns[name]
            storage = _storage(column)
            length = getattr(storage, "length", None) if isinstance(storage, String) else None
            decode = _moment if isinstance(storage, DateTime) else \
                _sql_null if isinstance(storage, JSON) and column.nullable else None
            self._checks.append((name, _rule(self.table, column).checker(), decode, length))

    def row(self, values: Any) -> dict[str, Any]:
        """One row of the file as checked column values; a HistoryError naming the field."""
        self.count += 1
        try:
            if not isinstance(values, list) or len(values) != len(self.names):
                raise _Bad("", f"expected a list of {len(self.names)} values")
            row = dict(self._fixed)
            for (name, check, decode, length), value in zip(self._checks, values, strict=True):
                stored = value if decode is None else decode(value)
                problem = check(None if stored is SQL_NULL else stored)
                if problem is None and length and isinstance(stored, str) \
                        and len(stored) > length:
                    problem = f"text of {len(stored)} characters, longer than {length}"
                if problem is not None:
                    raise _Bad(name, problem)
                row[name] = stored
            self._references(row)
        except _Bad as bad:
            where = f"table {self.table.name}, row {self.count}"
            raise HistoryError(where + (f", field {bad.field}" if bad.field else "")
                               + f": {bad.problem}") from None
        return row

    def _references(self, row: dict[str, Any]) -> None:
        name = self.table.name
        if name == "questions":
            self.known.questions.add(row["id"])
        elif name == "learners":
            self.known.learners.add(row["id"])
        elif name == "settings" and row["key"] in SETTING_NAMES:
            try:  # the settings screen's own check of the value
                parse_value(row["key"], row["value"])
            except SettingError as error:
                raise _Bad("value", error.message) from None
        if "question_id" in row and row["question_id"] not in self.known.questions:
            raise _Bad("question_id", f"{shown(row['question_id'])} names no question in "
                                      "the file or the database")
        if "learner_id" in row and row["learner_id"] not in self.known.learners:
            raise _Bad("learner_id", f"{row['learner_id']} names no learner in the file or "
                                     "the database")


# NULL in a JSON column that may be NULL (a rating's card snapshot before undo existed) stays SQL
# NULL: SQLAlchemy's JSON type writes None as the JSON text 'null' (which is no snapshot, and
# which quiz doctor reports) unless given the SQL NULL itself.
SQL_NULL = null()


def _sql_null(value: Any) -> Any:
    return SQL_NULL if value is None else value


def _moment(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the rule names it: not a date and time
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return value


# --- import ----------------------------------------------------------------------------------

@dataclass
class _Writer:
    """Inserts checked rows in batches, in the import's one transaction."""

    connection: Connection
    session: Session
    counts: dict[str, int] = field(default_factory=dict)
    undo_rows: dict[int, int] = field(default_factory=dict)  # undo id → its row in the file
    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: Table, row: dict[str, Any], number: int) -> None:
        batch = self._pending.setdefault(table.name, [])
        batch.append(row)
        if table.name == REVIEWS and row.get("kind") == "undo":
            self.undo_rows[row["id"]] = number
        self.counts[table.name] = self.counts.get(table.name, 0) + 1
        if len(batch) >= BATCH:
            self.flush(table)

    def flush(self, table: Table) -> None:
        batch = self._pending.pop(table.name, [])
        if not batch:
            return
        if table.name == REVIEWS:
            # Append-only: never an update. At the driver's speed (quiz.store.bulk): most of
            # an import's time went to SQLAlchemy building each row's parameters.
            insert_rows(self.session, ReviewRow, batch)
        else:
            _upsert(self.connection, table, batch)

    def check_undos(self) -> None:
        """Every undo row names a review of the file (as quiz doctor's orphan check asks)."""
        if not self.undo_rows:
            return
        reviews = METADATA.tables[REVIEWS]
        taken = reviews.alias("taken")
        dangling = self.connection.execute(
            select(reviews.c.id, reviews.c.undoes)
            .where(reviews.c.kind == "undo",
                   ~select(taken.c.id).where(taken.c.id == reviews.c.undoes).exists())
            .order_by(reviews.c.id).limit(1)).first()
        if dangling is not None:
            raise HistoryError(
                f"table reviews, row {self.undo_rows[dangling.id]}, field undoes: "
                f"{shown(dangling.undoes)} names no review")


def _upsert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, replacing those whose primary key the target already has."""
    keys = list(table.primary_key.columns)
    wanted = [tuple(row[key.name] for key in keys) for row in rows]
    target = tuple_(*keys) if len(keys) > 1 else keys[0]
    probe = wanted if len(keys) > 1 else [key for (key,) in wanted]
    existing = {tuple(found) for found in connection.execute(
        select(*keys).where(target.in_(probe)))}
    new = [row for row, key in zip(rows, wanted, strict=True) if key not in existing]
    old = [row for row, key in zip(rows, wanted, strict=True) if key in existing]
    if new:
        connection.execute(table.insert(), new)
    if old:
        where = and_(*(key == bindparam(f"key_{key.name}") for key in keys))
        changes = [{**{f"key_{key.name}": row[key.name] for key in keys},
                    **{name: value for name, value in row.items()
                       if name not in {key.name for key in keys}}} for row in old]
        connection.execute(table.update().where(where), changes)


def import_history(db: Database, source: BinaryIO | dict[str, Any]) -> dict[str, int]:
    """Load an exported history (see the module docstring for the policy); rows per table.
    `source` is the opened file (or, for tests, the history as one JSON value)."""
    if isinstance(source, dict):
        source = io.BytesIO(json.dumps(source).encode("utf-8"))
    read_header(source)
    try:
        with db.engine.begin() as connection:
            # A session on the same connection and transaction, for quiz.store.bulk.
            writer = _Writer(connection, Session(bind=connection))
            known = _target_ids(connection)
            # The totals the triggers keep per row are made once from the imported rows
            # instead (a trigger per review was most of an import's time).
            derived.drop_all(connection)
            # Likewise the review log's indexes: made again once, after its last row.
            indexes = _drop_indexes(connection, REVIEWS)
            _read_tables(source, known, writer)
            for statement in indexes:
                connection.exec_driver_sql(statement)
            writer.check_undos()
            _continue_review_ids(connection)
            import quiz.store.roles  # noqa: F401  (a class server's row-level security)

            derived.ensure(connection, derived.object_names(connection))
    except SQLAlchemyError as error:
        raise HistoryError(f"import failed: {error.__class__.__name__}: "
                           f"{error.orig if hasattr(error, 'orig') else error}") from None
    return writer.counts


def _drop_indexes(connection: Connection, table: str) -> list[str]:
    """Drop the secondary indexes of `table` (not its primary key's); the statements that make
    them again, as the database itself recorded them."""
    if connection.dialect.name == "sqlite":
        found = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (table,)).all()
    elif connection.dialect.name == "postgresql":
        found = connection.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %(table)s "
            "AND schemaname = current_schema() AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %(table)s::regclass)",
            {"table": table}).all()
    else:
        return []
    for name, _statement in found:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [str(statement) for _name, statement in found]


def _target_ids(connection: Connection) -> _Known:
    tables = METADATA.tables
    if connection.scalar(select(func.count()).select_from(tables[REVIEWS])):
        raise HistoryError("the database already has reviews; import-history only fills a "
                           "database without any (use a fresh --db)")
    return _Known(set(connection.scalars(select(tables["questions"].c.id))),
                  set(connection.scalars(select(tables["learners"].c.id))))


def _read_tables(source: BinaryIO, known: _Known, writer: _Writer) -> None:
    """Two passes over the file: everything before the review log's rows, event by event; then
    the review log (and any table after it: an older export's settings) with ijson's C row
    builder, which takes a tenth of the time of events in Python."""
    known_tables = {table.name: table for table in _tables()}
    done: dict[str, _TableReader] = {}
    seen: set[str] = set()
    reviews_columns = _first_pass(source, known, writer, known_tables, done, seen)
    if reviews_columns is None:
        return
    done[REVIEWS] = _TableReader(known_tables[REVIEWS], reviews_columns, known)
    later = [name for name in known_tables if name not in seen]
    tables_in_file = _second_pass(source, writer, known_tables, done, later, known)
    if tables_in_file > len(seen | set(done)):
        # The C row builders read only the tables they are told: one they were not told of
        # shows up only in the count of the file's tables.
        raise HistoryError("the file holds a table after the review log that this quiz does "
                           "not know (unknown table: a file from a newer quiz?)")


def _first_pass(source: BinaryIO, known: _Known, writer: _Writer, tables: dict[str, Table],
                done: dict[str, _TableReader], seen: set[str]) -> list[Any] | None:
    """The tables up to the review log's rows; the review log's columns (None when the file has
    no review rows)."""
    source.seek(0)
    columns: dict[str, list[Any]] = {}
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    try:
        for prefix, event, value in ijson.parse(_NestingGuard(source), use_float=True,
                                                buf_size=CHUNK):
            if builder is not None:  # inside one row
                builder.event(event, value)
                depth += {"start_array": 1, "start_map": 1, "end_array": -1,
                          "end_map": -1}.get(event, 0)
                if depth == 0:
                    name = prefix.split(".")[1]
                    reader = done[name]
                    writer.add(tables[name], reader.row(builder.value), reader.count)
                    builder = None
                continue
            parts = prefix.split(".")
            if prefix == "tables" and event == "map_key":
                _known_table(value, tables)
                seen.add(value)
            elif len(parts) >= 3 and parts[2] == "columns" and parts[0] == "tables":
                _collect_columns(columns, parts[1], event, value, len(parts) == 3)
            elif len(parts) == 4 and parts[2] == "rows" and parts[3] == "item":
                reader = _reader(done, tables, columns, parts[1], known)
                if event not in {"start_array", "start_map"}:  # a row that is no list
                    reader.row(value)
                builder, depth = ijson.ObjectBuilder(), 1
                builder.event(event, value)
            elif len(parts) == 3 and parts[2] == "rows" and event == "start_array":
                if parts[1] == REVIEWS:
                    if REVIEWS not in columns:
                        raise HistoryError("table reviews: \"columns\" must come before "
                                           "\"rows\"")
                    return columns[REVIEWS]
                _reader(done, tables, columns, parts[1], known)
            elif len(parts) == 3 and parts[2] == "rows" and event == "end_array":
                writer.flush(tables[parts[1]])
            elif len(parts) == 2 and parts[0] == "tables" and event not in {
                    "start_map", "map_key", "end_map"}:
                raise HistoryError(f"table {parts[1]}: needs \"columns\" and \"rows\" lists")
    except ijson.JSONError as error:
        raise _json_error(error) from None
    for name in done:
        writer.flush(tables[name])
    return None


def _known_table(name: Any, tables: dict[str, Table]) -> None:
    if name not in tables and name not in SKIPPED_TABLES:
        raise HistoryError(f"unknown table {name} (a file from a newer quiz?)")


def _collect_columns(columns: dict[str, list[Any]], table: str, event: str, value: Any,
                     the_list: bool) -> None:
    """One event of a table's "columns" list (`the_list`: of the list itself, not a name)."""
    if the_list and event == "start_array":
        columns[table] = []
    elif the_list and event == "end_array":
        return
    elif not the_list and table in columns and event in {"string", "number", "boolean",
                                                            "null"}:
        columns[table].append(value)
    else:
        raise HistoryError(f"table {table}: \"columns\" must be a list of names")


def _reader(done: dict[str, _TableReader], tables: dict[str, Table],
            columns: dict[str, list[Any]], name: str, known: _Known) -> _TableReader:
    if name in SKIPPED_TABLES:
        raise HistoryError(f"table {name} is not imported (the target keeps its own)")
    if name not in done:
        if name not in columns:
            raise HistoryError(f"table {name}: \"columns\" must come before \"rows\"")
        done[name] = _TableReader(tables[name], columns[name], known)
    return done[name]


def _second_pass(source: BinaryIO, writer: _Writer, tables: dict[str, Table],
                 done: dict[str, _TableReader], later: list[str], known: _Known) -> int:
    """The review log's rows, and the tables that come after them in the file, each through a
    C row builder fed the same chunks; how many tables the file holds."""
    source.seek(0)
    rows: dict[str, list[Any]] = {}
    heads: dict[str, list[Any]] = {}
    parsers = []
    for name in [REVIEWS, *later]:
        rows[name] = ijson.sendable_list()
        parsers.append(ijson.items_coro(rows[name], f"tables.{name}.rows.item", use_float=True))
    for name in later:
        heads[name] = ijson.sendable_list()
        parsers.append(ijson.items_coro(heads[name], f"tables.{name}.columns", use_float=True))
    guard = _NestingGuard(source)
    try:
        for chunk in iter(lambda: guard.read(CHUNK), b""):
            for parser in parsers:
                parser.send(chunk)
            _drain(writer, tables, done, rows, heads, known)
        for parser in parsers:
            parser.close()
        _drain(writer, tables, done, rows, heads, known)
    except ijson.JSONError as error:
        raise _json_error(error) from None
    for name in done:
        writer.flush(tables[name])
    return guard.tables


def _drain(writer: _Writer, tables: dict[str, Table], done: dict[str, _TableReader],
           rows: dict[str, list[Any]], heads: dict[str, list[Any]], known: _Known) -> None:
    for name, found in heads.items():
        if found and name not in done:
            done[name] = _TableReader(tables[name], found[0], known)
        del found[:]
    for name, found in rows.items():
        if found and name not in done:
            raise HistoryError(f"table {name}: \"columns\" must come before \"rows\"")
        for values in found:
            reader = done[name]
            writer.add(tables[name], reader.row(values), reader.count)
        del found[:]


def _continue_review_ids(connection: Connection) -> None:
    """PostgreSQL: the id sequences of the reviews and the learners go on after the imported
    ids (SQLite takes the largest id + 1 by itself)."""
    if connection.dialect.name == "postgresql":
        for table in ("reviews", "learners"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


# --- the review log as CSV -------------------------------------------------------------------

def reviews_csv(db: Database) -> str:
    """The learner's review log for FSRS optimisers: card_id, review_time (Unix ms),
    review_rating (1-4),
    review_state (the card's state before the review: 0 new, 1 learning, 2 review,
    3 relearning), review_duration (ms, empty when unknown). Undone ratings, the undo events and
    cram reviews (which do not reschedule) are left out."""
    reviews = METADATA.tables[REVIEWS]
    with db.engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(
            select(reviews).where(reviews.c.learner_id == db.learner_id)
            .order_by(reviews.c.reviewed_at, reviews.c.id))]
    undone = {row.get("undoes") for row in rows if row.get("kind") == "undo"}
    state: dict[str, int] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        if row.get("kind", "review") != "review" or row["id"] in undone:
            continue
        card = row["question_id"]
        before = row.get("state_before")
        if before is None:
            before = state.get(card, STATE_NEW)
        state[card] = row["state_after"]
        millis = (row["reviewed_at"] - EPOCH) // timedelta(milliseconds=1)
        writer.writerow([card, millis, row["rating"], before,
                         "" if row["duration_ms"] is None else row["duration_ms"]])
    return buffer.getvalue()
