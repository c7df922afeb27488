"""Moving the learner's data between machines: the whole database as JSON (every table and column
of the models, so columns added later travel without changes here), and the review log as CSV in
the columns FSRS optimisers read.

The JSON file is written and read as a stream, so a history of any length takes little memory:
`write_history` writes rows as the database hands them out (one row a line, the review log last);
`import_history` reads the file a row at a time (quiz.store.history_file), checks every value
against the column rules quiz doctor uses (quiz.store.damage.RULES: types, ranges, dates, states,
choices, JSON shapes) and the references (a card's or review's question and learner, an undo's
review), a batch of rows column by column, and inserts the batch.

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, BinaryIO

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
from quiz.store import derived
from quiz.store import history_file as outline
from quiz.store.bulk import insert_columns
from quiz.store.damage import RULES, Rule, shown
from quiz.store.db import Database
from quiz.store.history_file import Columns, HistoryError, HistoryReader, Rows, TableEnd
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
SETTING_NAMES = frozenset(Settings.__dataclass_fields__)


# --- the file --------------------------------------------------------------------------------

def open_history(path: str | Path) -> BinaryIO:
    """The history file opened as quiz.files opens what a user names (a FIFO, a device or a
    directory refused), without a size cap: a history file is read as a stream."""
    return open_user_file(path)


def read_header(source: BinaryIO) -> dict[str, Any]:
    """The format and versions at the head of the file, checked; refused as a HistoryError.
    Reads only up to "tables" (nothing is written anywhere)."""
    source.seek(0)
    header = HistoryReader(source).header()
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


@dataclass
class _Known:
    """The ids rows may refer to: the target's, and the file's as they are read."""

    questions: set[str] = field(default_factory=set)
    learners: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _ColumnSpec:
    """How one column of the file is checked: its rule (quiz.store.damage.RULES), the text
    length its type allows, and whether its values are read from ISO text first (a date) or
    keep NULL as SQL NULL when stored (a JSON column that may be NULL)."""

    name: str
    rule: Rule
    length: int | None
    is_date: bool
    null_as_sql_null: bool


@dataclass
class _TableReader:
    """Collects the rows of one table in the file and hands them on as checked columns."""

    table: Table
    names: list[str]
    known: _Known
    count: int = 0  # rows read so far: the file's number of the last one
    pending: list[Any] = field(default_factory=list)
    _specs: list[_ColumnSpec] = field(default_factory=list)
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
            self._specs.append(_ColumnSpec(
                name, _rule(self.table, column), length, isinstance(storage, DateTime),
                isinstance(storage, JSON) and bool(column.nullable)))

    def take(self, rows: list[Any]) -> bool:
        """Keep the next rows of the file; True when a batch is full."""
        self.pending.extend(rows)
        self.count += len(rows)
        return len(self.pending) >= BATCH

    def checked(self) -> dict[str, list[Any]]:
        """The rows kept so far as columns (name → values) to store, and no longer kept; a
        HistoryError naming the first bad row in the file and its field."""
        rows, self.pending = self.pending, []
        first = self.count - len(rows) + 1  # the file's number of rows[0]
        problems: list[tuple[int, int, str, str]] = []  # (row, order in the row, field, what)
        width = len(self.names)
        if set(map(type, rows)) - {list} or set(map(len, rows)) - {width}:
            bad = next(at for at, row in enumerate(rows)
                       if type(row) is not list or len(row) != width)
            problems.append((bad, -1, "", f"expected a list of {width} values"))
            rows = rows[:bad]
        columns = {spec.name: list(values) for spec, values in zip(
            self._specs, zip(*rows, strict=True) if rows else [()] * width, strict=True)}
        for order, spec in enumerate(self._specs):
            found = self._column_problem(spec, columns)
            if found is not None:
                problems.append((found[0], order, spec.name, found[1]))
        good = min((at for at, *_ in problems), default=len(rows))
        for name, value in self._fixed.items():
            columns[name] = [value] * len(rows)
        problems.extend(self._references(columns, good))
        if problems:
            at, _, name, problem = min(problems)
            raise HistoryError(f"table {self.table.name}, row {first + at}"
                               + (f", field {name}" if name else "") + f": {problem}")
        self._remember_ids(columns)
        for spec in self._specs:
            if spec.null_as_sql_null:
                columns[spec.name] = [SQL_NULL if value is None else value
                                      for value in columns[spec.name]]
        return columns

    @staticmethod
    def _column_problem(spec: _ColumnSpec, columns: dict[str, list[Any]]
                        ) -> tuple[int, str] | None:
        """The first value of the column its rule or its length refuses, and what is wrong."""
        if spec.is_date:
            columns[spec.name] = _moments(columns[spec.name])
        values = columns[spec.name]
        at = spec.rule.first_problem(values)
        if spec.length is not None:
            longer = _first_longer(values if at is None else values[:at], spec.length)
            if longer is not None:
                return longer, (f"text of {len(values[longer])} characters, longer than "
                                f"{spec.length}")
        if at is None:
            return None
        return at, spec.rule.problem(values[at]) or ""

    def _references(self, columns: dict[str, list[Any]], good: int
                    ) -> list[tuple[int, int, str, str]]:
        """The first row of the first `good` (whose values passed) naming a question or
        learner neither the file nor the database has; a setting the settings screen refuses."""
        found: list[tuple[int, int, str, str]] = []
        after_values = len(self._specs)
        references: list[tuple[str, set[Any], str]] = [
            ("question_id", self.known.questions, "question"),
            ("learner_id", self.known.learners, "learner")]
        for order, (name, known, what) in enumerate(references):
            values = columns.get(name, [])[:good]
            if values and not known.issuperset(values):
                at = next(at for at, value in enumerate(values) if value not in known)
                shown_value = shown(values[at]) if what == "question" else values[at]
                found.append((at, after_values + order, name,
                              f"{shown_value} names no {what} in the file or the database"))
        if self.table.name == "settings":
            for at, (key, value) in enumerate(zip(columns["key"][:good], columns["value"][:good],
                                                  strict=True)):
                if key in SETTING_NAMES:
                    try:  # the settings screen's own check of the value
                        parse_value(key, value)
                    except SettingError as error:
                        found.append((at, after_values + 2, "value", error.message))
                        break
        return found

    def _remember_ids(self, columns: dict[str, list[Any]]) -> None:
        if self.table.name == "questions":
            self.known.questions.update(columns["id"])
        elif self.table.name == "learners":
            self.known.learners.update(columns["id"])


def _first_longer(values: list[Any], length: int) -> int | None:
    """Where the first text longer than `length` is (values that passed a text rule)."""
    texts = [value for value in values if type(value) is str]
    if not texts or max(map(len, texts)) <= length:
        return None
    return next(at for at, value in enumerate(values)
                if type(value) is str and len(value) > length)


# NULL in a JSON column that may be NULL (a rating's card snapshot before undo existed) stays SQL
# NULL: SQLAlchemy's JSON type writes None as the JSON text 'null' (which is no snapshot, and
# which quiz doctor reports) unless given the SQL NULL itself.
SQL_NULL = null()


def _moments(values: list[Any]) -> list[Any]:
    """ISO texts as aware or naive datetimes; anything else is kept for the rule to name."""
    try:
        return list(map(datetime.fromisoformat, values))
    except (TypeError, ValueError):
        return [_moment(value) for value in values]


def _moment(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return value


# --- import ----------------------------------------------------------------------------------

@dataclass
class _Writer:
    """Stores checked columns in the import's one transaction."""

    connection: Connection
    session: Session
    counts: dict[str, int] = field(default_factory=dict)
    undo_rows: dict[int, int] = field(default_factory=dict)  # undo id → its row in the file

    def store(self, reader: _TableReader) -> None:
        """Check the rows `reader` keeps and store them."""
        table, first = reader.table, reader.count - len(reader.pending) + 1
        columns = reader.checked()
        rows = len(next(iter(columns.values()), []))
        if not rows:
            return
        self.counts[table.name] = self.counts.get(table.name, 0) + rows
        if table.name == REVIEWS:
            self.undo_rows.update((review, first + at) for at, (review, kind) in enumerate(
                zip(columns["id"], columns["kind"], strict=True)) if kind == "undo")
            # Append-only: never an update. At the driver's speed (quiz.store.bulk): most of
            # an import's time went to SQLAlchemy building each row's parameters.
            insert_columns(self.session, ReviewRow, columns)
        else:
            _upsert(self.connection, table, [dict(zip(columns, row, strict=True))
                                             for row in zip(*columns.values(), strict=True)])

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
    source.seek(0)
    reader = HistoryReader(source)
    _check_header(reader.header())
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
            _read_tables(reader, known, writer)
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


def _read_tables(reader: HistoryReader, known: _Known, writer: _Writer) -> None:
    """The file's tables, in its order: each table's rows checked and stored in batches, the
    last batch as the table ends (the next table's rows may refer to them)."""
    tables = {table.name: table for table in _tables()}
    readers: dict[str, _TableReader] = {}
    events = reader.tables()
    while True:
        try:
            event = next(events, None)
        except HistoryError:
            for kept in readers.values():  # a bad row read before the bad text is named first
                kept.checked()
            raise
        if event is None:
            return
        if type(event) is Rows:
            table_reader = readers.get(event.table)
            if table_reader is None:
                raise HistoryError(f"table {event.table}: \"columns\" must come before "
                                   "\"rows\"")
            if table_reader.take(event.rows):
                writer.store(table_reader)
        elif type(event) is outline.Table:
            if event.name not in tables and event.name not in SKIPPED_TABLES:
                raise HistoryError(f"unknown table {event.name} (a file from a newer quiz?)")
        elif type(event) is Columns:
            if event.table in SKIPPED_TABLES:
                raise HistoryError(f"table {event.table} is not imported (the target keeps "
                                   "its own)")
            if not isinstance(event.names, list):
                raise HistoryError(f"table {event.table}: \"columns\" must be a list of names")
            readers[event.table] = _TableReader(tables[event.table], event.names, known)
        elif type(event) is TableEnd and event.name in readers:
            writer.store(readers[event.name])


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
