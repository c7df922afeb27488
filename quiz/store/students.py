"""Who a connection studies as on a class server (`quiz class setup`, PostgreSQL row-level
security): the role → learner record, read without importing the set-up code. `quiz.store.roles`
makes the record; `quiz.store.learners` reads it when it resolves `--learner`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from quiz.store.db import Database

ROLE_TABLE = "class_roles"


@dataclass(frozen=True)
class Student:
    """One student of the class: their learner and the role they connect as. `password` is
    set only when this setup made or reset it (it is shown once, never stored by quiz)."""

    learner_id: int
    name: str
    role: str
    password: str | None = None


def has_roles_table(connection: Connection) -> bool:
    """The schema has a class's role record (made by `quiz class setup`)."""
    return bool(connection.exec_driver_sql(
        f"SELECT to_regclass(quote_ident(current_schema()) || '.{ROLE_TABLE}') IS NOT NULL"
    ).scalar())


def student_learner(db: Database) -> Student | None:
    """The student the connected role is (its learner), or None: not a class's student (the
    teacher, a single user, SQLite)."""
    if db.is_sqlite:
        return None
    with db.read() as connection:
        if not has_roles_table(connection):
            return None
        row = connection.exec_driver_sql(
            f"SELECT r.learner_id, l.name, r.role_name FROM {ROLE_TABLE} r "
            "JOIN learners l ON l.id = r.learner_id WHERE r.role_name = current_user::text"
        ).first()
    return None if row is None else Student(int(row[0]), str(row[1]), str(row[2]))
