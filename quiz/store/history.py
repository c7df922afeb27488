"""Moving the learner's data between machines: the whole database as JSON (every table and column
of the models, so columns added later travel without changes here), and the review log as CSV in
the columns FSRS optimisers read.

Import policy: `import_history` writes only into a database that has no reviews yet (a fresh one,
or one where the bank was synced but nothing studied). Reviews are inserted with their original
ids — never updated or deleted, so the append-only triggers hold; rows of the other tables
(questions, cards, settings, …) replace the rows with the same primary key, and rows that exist
only in the target are kept. All of it happens in one transaction: on any error nothing changes.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, DateTime, Table, TypeDecorator, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from quiz.store import StoreError
from quiz.store.db import Database
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


class HistoryError(StoreError):
    """A history file that cannot be imported (format, version, or the target's state)."""


def _tables() -> list[Table]:
    return [t for t in METADATA.sorted_tables if t.name not in SKIPPED_TABLES]


def _exported_columns(table: Table) -> list[str]:
    derived = DERIVED_COLUMNS.get(table.name, frozenset())
    return [column.name for column in table.columns if column.name not in derived]


def _is_datetime(column: Column[Any]) -> bool:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance  # UTCDateTime reports `object`; its storage type is DateTime
    return isinstance(kind, DateTime)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def _decode(column: Column[Any], value: Any) -> Any:
    if value is not None and _is_datetime(column):
        return datetime.fromisoformat(value)
    return value


def export_history(db: Database, now: datetime | None = None) -> dict[str, Any]:
    """Every row of every table, in primary-key order, with the format and schema versions."""
    tables: dict[str, Any] = {}
    with db.engine.connect() as connection:
        for table in _tables():
            columns = _exported_columns(table)
            rows = connection.execute(select(*[table.c[name] for name in columns])
                                      .order_by(*table.primary_key.columns))
            tables[table.name] = {
                "columns": columns,
                "rows": [[_encode(row._mapping[name]) for name in columns] for row in rows],
            }
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {"format": FORMAT, "format_version": FORMAT_VERSION,
            "schema_version": SCHEMA_VERSION, "exported_at": moment.isoformat(),
            "tables": tables}


def _check_header(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise HistoryError(f"not a quiz history file (expected \"format\": \"{FORMAT}\")")
    version, schema = data.get("format_version"), data.get("schema_version")
    if not isinstance(version, int) or not isinstance(schema, int):
        raise HistoryError("format_version and schema_version must be integers")
    if version > FORMAT_VERSION or schema > SCHEMA_VERSION:
        raise HistoryError(
            f"the file is from a newer quiz (format {version}, schema {schema}; this quiz reads "
            f"format {FORMAT_VERSION}, schema {SCHEMA_VERSION}): upgrade quiz first")
    tables = data.get("tables")
    if not isinstance(tables, dict):
        raise HistoryError("\"tables\" must be an object")
    return tables


def _rows(table: Table, entry: Any) -> list[dict[str, Any]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("columns"), list) \
            or not isinstance(entry.get("rows"), list):
        raise HistoryError(f"table {table.name}: needs \"columns\" and \"rows\" lists")
    unknown = [name for name in entry["columns"] if name not in _exported_columns(table)]
    if unknown:
        raise HistoryError(f"table {table.name}: unknown column(s) {', '.join(map(str, unknown))}"
                           " (a file from a newer quiz?)")
    columns = [table.columns[name] for name in entry["columns"]]
    # A file from before learners (schema 2): its cards and reviews are the single user's.
    learner = ({"learner_id": DEFAULT_LEARNER_ID}
               if "learner_id" in table.columns and "learner_id" not in entry["columns"] else {})
    rows = []
    for number, row in enumerate(entry["rows"], start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise HistoryError(f"table {table.name}, row {number}: expected {len(columns)} values")
        try:
            rows.append({**learner,
                         **{c.name: _decode(c, v) for c, v in zip(columns, row, strict=True)}})
        except (TypeError, ValueError) as error:
            raise HistoryError(f"table {table.name}, row {number}: {error}") from None
    return rows


def _upsert(connection: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert the row, or replace the one with its primary key; True when it was new."""
    key = [column == row[column.name] for column in table.primary_key.columns]
    exists = connection.scalar(select(func.count()).select_from(table).where(*key))
    if exists:
        connection.execute(table.update().where(*key).values(**row))
        return False
    connection.execute(table.insert().values(**row))
    return True


def import_history(db: Database, data: Any) -> dict[str, int]:
    """Load an exported history (see the module docstring for the policy); rows per table."""
    tables = _check_header(data)
    known = {table.name: table for table in _tables()}
    unknown = [name for name in tables if name not in known and name not in SKIPPED_TABLES]
    if unknown:
        raise HistoryError(f"unknown table(s) {', '.join(unknown)} (a file from a newer quiz?)")
    counts: dict[str, int] = {}
    try:
        with db.engine.begin() as connection:
            reviews = known[REVIEWS]
            if connection.scalar(select(func.count()).select_from(reviews)):
                raise HistoryError("the database already has reviews; import-history only "
                                   "fills a database without any (use a fresh --db)")
            for table in _tables():
                rows = _rows(table, tables[table.name]) if table.name in tables else []
                for row in rows:
                    if table.name == REVIEWS:
                        connection.execute(table.insert().values(**row))  # append-only
                    else:
                        _upsert(connection, table, row)
                counts[table.name] = len(rows)
            _continue_review_ids(connection)
    except SQLAlchemyError as error:
        raise HistoryError(f"import failed, nothing was changed: {error.__class__.__name__}: "
                           f"{error.orig if hasattr(error, 'orig') else error}") from None
    return counts


def _continue_review_ids(connection: Connection) -> None:
    """PostgreSQL: the id sequences of the reviews and the learners go on after the imported
    ids (SQLite takes the largest id + 1 by itself)."""
    if connection.dialect.name == "postgresql":
        for table in ("reviews", "learners"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


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
