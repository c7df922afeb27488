"""Many rows written at once, at the speed of the database driver.

SQLAlchemy's executemany builds a parameter dictionary and runs every type's processor through
its compiler for each row: for a first import of 100,000 questions that was more time than
SQLite took to store them. Here each column's own bind processor (the same one SQLAlchemy would
run: JSON encoding, naive-UTC datetimes) is looked up once and mapped over the column's values,
the columns are zipped into rows, and the rows go to the driver's executemany in one call per
chunk. Any dialect works: the statement is compiled by SQLAlchemy for the connection's dialect
and its parameter style.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from quiz.store.models import Base

Row = Mapping[str, object]
Processor = Callable[[Any], Any] | None


def _processors(session: Session, table: Table, names: Sequence[str]) -> list[Processor]:
    """Each column's bind processor (the one SQLAlchemy would run), None where values go to
    the driver as they are."""
    dialect = session.get_bind().dialect
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def _driver_rows(session: Session, table: Table, compiled: SQLCompiler,
                 columns: Mapping[str, Sequence[object]],
                 renamed: Mapping[str, str] | None = None) -> list[Any]:
    """The rows as the driver takes them, from equally long columns (parameter name → values):
    a tuple in the statement's order for positional parameter styles (SQLite's `?`), a
    dictionary for named ones. Each column is converted whole, then the columns are zipped
    into rows. `renamed` maps a parameter name to the column it is bound to, where the two
    differ."""
    names = list(compiled.positiontup or compiled.params)
    bound = [(renamed or {}).get(name, name) for name in names]
    converted = [columns[name] if process is None else list(map(process, columns[name]))
                 for name, process in zip(names, _processors(session, table, bound),
                                          strict=True)]
    if compiled.positional:
        return list(zip(*converted, strict=True))
    return [dict(zip(names, row, strict=True)) for row in zip(*converted, strict=True)]


def _as_columns(rows: Sequence[Row], names: Sequence[str]) -> dict[str, list[object]]:
    return {name: [row[name] for row in rows] for name in names}


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def insert_rows(session: Session, model: type[Base], rows: Sequence[Row]) -> None:
    """INSERT every row (all with the same keys) of `model`'s table in the session's
    transaction; columns a row leaves out get their scalar default, as the ORM would give them."""
    if rows:
        insert_columns(session, model, _as_columns(rows, list(rows[0])))


def insert_columns(session: Session, model: type[Base],
                   columns: Mapping[str, Sequence[object]]) -> None:
    """INSERT one row per position of the (equally long) columns, name → values, in the
    session's transaction; a column not given gets its scalar default, as the ORM would give
    it."""
    count = len(next(iter(columns.values()), ()))
    if not count:
        return
    table = _table(model)
    connection = session.connection()
    compiled = cast(SQLCompiler, insert(table).compile(dialect=connection.dialect,
                                                       column_keys=list(columns)))
    names = list(compiled.positiontup or compiled.params)
    complete = {name: columns[name] if name in columns
                else [_scalar_default(table, name)] * count for name in names}
    connection.exec_driver_sql(str(compiled), _driver_rows(session, table, compiled, complete))


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
    columns = _as_columns(rows, names)
    columns["_key"] = [row[key] for row in rows]
    connection.exec_driver_sql(str(compiled), _driver_rows(session, table, compiled, columns,
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
