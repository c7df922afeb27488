"""Many rows written at once, at the speed of the database driver.

SQLAlchemy's executemany builds a parameter dictionary and runs every type's processor through
its compiler for each row: for a first import of 100,000 questions that was more time than
SQLite took to store them. Here each column's own bind processor (the same one SQLAlchemy would
run: JSON encoding, naive-UTC datetimes) is looked up once and applied in a plain loop, and the
rows go to the driver's executemany in one call per chunk. Any dialect works: the statement is
compiled by SQLAlchemy for the connection's dialect and its parameter style.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import DateTime, Table, bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeEngine

from quiz.store.models import Base

Row = Mapping[str, object]
Processor = Callable[[Any], Any] | None


def _processors(session: Session, table: Table, names: Sequence[str]) -> list[Processor]:
    dialect = session.get_bind().dialect
    processors: list[Processor] = []
    for name in names:
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        processors.append(_remembering(process) if _is_datetime(column_type) else process)
    return processors


def _is_datetime(column_type: TypeEngine[Any]) -> bool:
    # A TypeDecorator (UTCDateTime) reports `object`; the type it decorates says what it holds.
    return isinstance(getattr(column_type, "impl_instance", column_type), DateTime)


def _remembering(process: Processor) -> Processor:
    """The processor, reusing its result for a value seen before: a timestamp column of an
    import holds the same moment (or None) in every row, and converting it was a third of the
    time."""
    if process is None:
        return None
    seen: dict[object, object] = {}

    def remembered(value: object) -> object:
        try:
            return seen[value]
        except KeyError:
            if len(seen) > 256:  # a column of distinct values: stop collecting them
                seen.clear()
            result = seen[value] = process(value)
            return result

    return remembered


def _driver_rows(session: Session, table: Table, compiled: SQLCompiler,
                 rows: Iterable[Row], renamed: Mapping[str, str] | None = None) -> list[Any]:
    """Each row as the driver takes it: a tuple in the statement's order for positional
    parameter styles (SQLite's `?`), a dictionary for named ones. `renamed` maps a parameter
    name to the column it is bound to, where the two differ."""
    names = list(compiled.positiontup or compiled.params)
    columns = [(renamed or {}).get(name, name) for name in names]
    processors = _processors(session, table, columns)
    plain = all(process is None for process in processors)
    prepared: list[Any] = []
    for row in rows:
        values = [row[name] for name in names]
        if not plain:
            values = [value if process is None else process(value)
                      for value, process in zip(values, processors, strict=True)]
        prepared.append(tuple(values) if compiled.positional
                        else dict(zip(names, values, strict=True)))
    return prepared


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def insert_rows(session: Session, model: type[Base], rows: Sequence[Row]) -> None:
    """INSERT every row (all with the same keys) of `model`'s table in the session's
    transaction; columns a row leaves out get their scalar default, as the ORM would give them."""
    if not rows:
        return
    table = _table(model)
    given = list(rows[0])
    connection = session.connection()
    compiled = cast(SQLCompiler, insert(table).compile(dialect=connection.dialect,
                                                       column_keys=given))
    names = list(compiled.positiontup or compiled.params)
    defaults = {name: _scalar_default(table, name) for name in names if name not in given}
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    connection.exec_driver_sql(str(compiled), _driver_rows(session, table, compiled, rows))


def _scalar_default(table: Table, name: str) -> object:
    default = table.c[name].default
    if default is None or not getattr(default, "is_scalar", False):
        raise ValueError(f"column {table.name}.{name} needs a value (it has no scalar default)")
    return default.arg  # type: ignore[attr-defined]


def update_rows(session: Session, model: type[Base], key: str, rows: Sequence[Row]) -> None:
    """UPDATE … SET (the other keys) WHERE key = ? for every row (all with the same keys)."""
    if not rows:
        return
    table = _table(model)
    names = [name for name in rows[0] if name != key]
    connection = session.connection()
    # The WHERE parameter needs a name of its own: `key` is also a column name SQLAlchemy binds.
    statement = update(table).where(table.c[key] == bindparam("_key"))
    compiled = cast(SQLCompiler, statement.compile(dialect=connection.dialect, column_keys=names))
    renamed = [{**row, "_key": row[key]} for row in rows]
    connection.exec_driver_sql(str(compiled), _driver_rows(session, table, compiled, renamed,
                                                           renamed={"_key": key}))


def driver_select(session: Session, statement: ClauseElement) -> list[tuple[Any, ...]]:
    """The rows of a SELECT as the driver returns them: plain tuples, no SQLAlchemy row objects
    and no result processing (JSON stays text, timestamps stay as stored), for reading every
    question of a large bank where only ids, hashes and positions are compared."""
    connection = session.connection()
    # IN (…) lists rendered as one parameter each (SQLAlchemy expands them only when it runs
    # the statement itself).
    compiled = cast(SQLCompiler, statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}))
    parameters: Any = (tuple(compiled.params[name] for name in compiled.positiontup or ())
                       if compiled.positional else compiled.params)
    # The DB-API cursor of the session's own connection (same transaction), fetched at once:
    # SQLAlchemy's result fetches one row per call, a third of a re-import's time at 100k rows.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()
