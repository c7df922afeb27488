"""A class server no student can tamper with: PostgreSQL roles and row-level security.

When a class shares one PostgreSQL database, the teacher (the role that owns the tables) runs
`quiz class setup --student NAME …` once. That makes, per student, a learner (when missing) and a
login role of their own, maps the role to the learner in `class_roles`, and turns on row-level
security (RLS) with policies, so that a student's connection — whatever SQL it sends — reads and
writes only that learner's rows:

- `cards`, `deck_totals`, `card_review_totals`, `rating_hours`: select, insert and update their
  own rows (the derived tables' trigger functions run as the student, and write the student's
  rows only); no delete.
- `reviews`: select and insert their own rows; an undo row may name only their own rating;
  update and delete are refused (no privilege, and the log's append-only trigger).
- `learners` and `class_roles`: their own row only, read-only.
- `settings`: the shared settings are read-only; the student's own keys (today's extra new cards,
  `extra_new:<learner id>:…`) can be written; other learners' keys are invisible.
- `questions`, `schema_info`: read-only.

The role a student connects as is mapped to their learner by `class_roles`, which only the teacher
writes; the policies find the learner with `quiz_class_learner()`, which reads that table by its
schema-qualified name (a temporary table of the same name cannot stand in for it). Every table is
`FORCE ROW LEVEL SECURITY`: the owner is held to policies too, and its own policy
(`quiz_teacher`, to the owner role and so to its members) lets the teacher read and write
everything. A role neither the owner nor a student gets nothing (no privilege, no policy).

The derived tables are made again by a bulk import (`quiz.store.derived.rebuild_decks`, and
`rebuild_log`): a listener on their creation applies RLS, the policies and the students'
privileges to the new table in the same transaction, so an import by the teacher does not lock
the students out (nor let them in).

Roles are cluster-wide: a student's role name is `quiz_<database>_<schema>_<learner id>` (only
[a-z0-9_], shortened with a hash past PostgreSQL's 63 bytes), so two classes on one server do not
collide; the teacher can name it instead (`--role`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from contextlib import suppress
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.exc import SQLAlchemyError

from quiz.store import StoreError
from quiz.store.db import Database, error_message
from quiz.store.derived import CARD_TOTALS, DECK_TOTALS, RATING_HOURS
from quiz.store.students import ROLE_TABLE, Student, has_roles_table

LEARNER_FUNCTION = "quiz_class_learner"
TEACHER_POLICY = "quiz_teacher"
STUDENT_POLICY = "quiz_student"
LOG_POLICY = "quiz_student_log"
WRITE_POLICY = "quiz_student_write"
UNDO_TRIGGER = "quiz_class_undo_check"
SETTINGS_TRIGGER = "quiz_class_settings_guard"
ROLE_LENGTH = 63  # PostgreSQL's NAMEDATALEN - 1
ROLE_PATTERN = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# Table: (the column naming the learner, what a student may do). Every table here gets RLS.
STUDENT_ROWS: dict[str, tuple[str, str]] = {
    "learners": ("id", "SELECT"),
    "cards": ("learner_id", "SELECT, INSERT, UPDATE"),
    "reviews": ("learner_id", "SELECT, INSERT"),
    DECK_TOTALS.name: ("learner_id", "SELECT, INSERT, UPDATE"),
    CARD_TOTALS.name: ("learner_id", "SELECT, INSERT, UPDATE"),
    RATING_HOURS.name: ("learner_id", "SELECT, INSERT, UPDATE"),
}
SETTINGS_PRIVILEGES = "SELECT, INSERT, UPDATE"
READ_ONLY = ("questions", "schema_info")
DERIVED = (DECK_TOTALS.name, CARD_TOTALS.name, RATING_HOURS.name)


class ClassError(StoreError):
    """The class cannot be set up or used this way; the message says why, in one line."""



def _run(connection: Connection, sql: str) -> Any:
    """One statement without parameters (the driver would read a `%` as a placeholder)."""
    return connection.exec_driver_sql(sql.replace("%", "%%"))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _require_postgresql(db: Database) -> None:
    if db.is_sqlite:
        raise ClassError("row-level security needs PostgreSQL: a class shares a PostgreSQL "
                         "database (--db postgresql+psycopg://…); an SQLite file has no roles")


def _schema(connection: Connection) -> str:
    return str(_run(connection, "SELECT current_schema()").scalar_one())


def default_role(database: str, schema: str, learner_id: int) -> str:
    """The role a learner's student connects as: a stable function of the database, the schema
    and the learner id (roles are shared by every database of the server)."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", f"{database}_{schema}".lower()).strip("_") or "db"
    name = f"quiz_{cleaned}_{learner_id}"
    if len(name) > ROLE_LENGTH:
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        name = f"quiz_{cleaned[:ROLE_LENGTH - 17 - len(str(learner_id))]}_{digest}_{learner_id}"
    return name


def check_role(role: str) -> str:
    """A role name the teacher gave: lower-case letters, digits and _, at most 63."""
    if not ROLE_PATTERN.fullmatch(role):
        raise ClassError(f"--role {role!r}: a role name is a-z, 0-9 and _ (not first), "
                         f"at most {ROLE_LENGTH} characters")
    return role


def _has_roles_table(connection: Connection) -> bool:
    return has_roles_table(connection)


def _learner_function(schema: str) -> str:
    # Not SECURITY DEFINER: `current_user` is the role running the query (in a policy, the
    # student). The table is named with its schema and the search path pinned, so a temporary
    # table called class_roles cannot answer instead.
    return (f"CREATE OR REPLACE FUNCTION {_ident(schema)}.{LEARNER_FUNCTION}() RETURNS integer "
            "LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$ "
            f"SELECT learner_id FROM {_ident(schema)}.{ROLE_TABLE} "
            "WHERE role_name = current_user::text $$")


def _undo_check_function(schema: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {_ident(schema)}.{UNDO_TRIGGER}() RETURNS trigger "
            "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$ BEGIN "
            f"IF {_ident(schema)}.{LEARNER_FUNCTION}() IS NOT NULL AND NOT EXISTS ("
            f"SELECT 1 FROM {_ident(schema)}.reviews t "
            "WHERE t.id = NEW.undoes AND t.learner_id = NEW.learner_id) THEN "
            "RAISE EXCEPTION 'a student undoes only their own ratings' "
            "USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NEW; END $$")


def _settings_guard_function(schema: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {_ident(schema)}.{SETTINGS_TRIGGER}() RETURNS trigger "
            "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$ BEGIN "
            f"IF {_ident(schema)}.{LEARNER_FUNCTION}() IS NOT NULL "
            "AND NEW.key LIKE 'bank\\_fingerprint:%' THEN RETURN NULL; END IF; "
            "RETURN NEW; END $$")


def _secure_table(connection: Connection, schema: str, table: str, owner: str) -> None:
    """RLS on one table, the teacher's policy and the students' (made again: idempotent)."""
    me = f"(SELECT {_ident(schema)}.{LEARNER_FUNCTION}())"
    qualified = f"{_ident(schema)}.{_ident(table)}"
    run = partial(_run, connection)
    run(f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY")
    run(f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY")
    for policy in (TEACHER_POLICY, STUDENT_POLICY, LOG_POLICY, WRITE_POLICY):
        run(f"DROP POLICY IF EXISTS {policy} ON {qualified}")
    run(f"CREATE POLICY {TEACHER_POLICY} ON {qualified} TO {_ident(owner)} "
        "USING (true) WITH CHECK (true)")
    if table == ROLE_TABLE:
        run(f"CREATE POLICY {STUDENT_POLICY} ON {qualified} FOR SELECT "
            "USING (role_name = current_user::text)")
    elif table == "settings":
        own_key = f"(key LIKE 'extra\\_new:' || {me} || ':%')"
        run(f"CREATE POLICY {STUDENT_POLICY} ON {qualified} FOR SELECT "
            f"USING (key NOT LIKE 'extra\\_new:%' OR {own_key})")
        run(f"CREATE POLICY {WRITE_POLICY} ON {qualified} FOR INSERT WITH CHECK ({own_key})")
        run(f"CREATE POLICY {LOG_POLICY} ON {qualified} FOR UPDATE "
            f"USING ({own_key}) WITH CHECK ({own_key})")
        # The study app records the bank's fingerprint after its start-up sync; the bank is
        # the teacher's, so a student's record of it is dropped (their app starts, and syncs
        # — finding nothing to change — at each start).
        run(_settings_guard_function(schema))
        run(f"DROP TRIGGER IF EXISTS {SETTINGS_TRIGGER} ON {qualified}")
        run(f"CREATE TRIGGER {SETTINGS_TRIGGER} BEFORE INSERT ON {qualified} FOR EACH ROW "
            f"EXECUTE FUNCTION {_ident(schema)}.{SETTINGS_TRIGGER}()")
    elif table == "reviews":
        run(f"CREATE POLICY {STUDENT_POLICY} ON {qualified} FOR SELECT "
            f"USING (learner_id = {me})")
        run(f"CREATE POLICY {LOG_POLICY} ON {qualified} FOR INSERT "
            f"WITH CHECK (learner_id = {me})")
        # A student's undo row names a rating of their own (one naming another learner's
        # rating would take it back in every recount of the totals). A trigger, not the policy:
        # a policy on the log cannot read the log.
        run(_undo_check_function(schema))
        run(f"DROP TRIGGER IF EXISTS {UNDO_TRIGGER} ON {qualified}")
        run(f"CREATE TRIGGER {UNDO_TRIGGER} BEFORE INSERT ON {qualified} FOR EACH ROW "
            f"WHEN (NEW.undoes IS NOT NULL) EXECUTE FUNCTION {_ident(schema)}.{UNDO_TRIGGER}()")
    else:
        column = STUDENT_ROWS[table][0]
        run(f"CREATE POLICY {STUDENT_POLICY} ON {qualified} "
            f"USING ({column} = {me}) WITH CHECK ({column} = {me})")


def _privileges(table: str) -> str:
    if table in STUDENT_ROWS:
        return STUDENT_ROWS[table][1]
    if table == "settings":
        return SETTINGS_PRIVILEGES
    return "SELECT"


def _grant(connection: Connection, schema: str, role: str, tables: tuple[str, ...]) -> None:
    run = partial(_run, connection)
    run(f"GRANT USAGE ON SCHEMA {_ident(schema)} TO {_ident(role)}")
    for table in tables:
        run(f"GRANT {_privileges(table)} ON {_ident(schema)}.{_ident(table)} TO {_ident(role)}")
    sequence = _run(connection,
        "SELECT pg_get_serial_sequence(quote_ident(current_schema()) || '.reviews', 'id')"
    ).scalar()
    if sequence:  # a sequence's name as pg_get_serial_sequence quotes it
        run(f"GRANT USAGE ON SEQUENCE {sequence} TO {_ident(role)}")


SECURED = (*STUDENT_ROWS, "settings", ROLE_TABLE)
GRANTED = (*SECURED, *READ_ONLY)


def _roles(connection: Connection) -> list[str]:
    return [str(role) for (role,) in _run(connection,
        f"SELECT role_name FROM {ROLE_TABLE} ORDER BY learner_id")]


def _owner(connection: Connection) -> str:
    owner = _run(connection,
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = 'reviews'").scalar()
    if owner is None:
        raise ClassError("this database has no quiz tables in its schema")
    return str(owner)


def _enable(connection: Connection) -> None:
    """The roles table, the learner function, RLS and policies on every table (idempotent)."""
    schema = _schema(connection)
    owner = _owner(connection)
    me = _run(connection, "SELECT current_user").scalar_one()
    member = _run(connection,
        "SELECT pg_has_role(current_user, :owner, 'MEMBER')".replace(":owner", _literal(owner))
    ).scalar()
    if not member:
        raise ClassError(f"only the owner of the quiz tables ({owner}) or a member of that role "
                         f"can set up the class; connected as {me}")
    _run(connection,
        f"CREATE TABLE IF NOT EXISTS {_ident(schema)}.{ROLE_TABLE} ("
        "role_name text PRIMARY KEY, "
        "learner_id integer NOT NULL UNIQUE REFERENCES learners (id))")
    _run(connection, _learner_function(schema))
    for table in SECURED:
        _secure_table(connection, schema, table, owner)


def _role_exists(connection: Connection, role: str) -> bool:
    return _run(connection,
        f"SELECT 1 FROM pg_roles WHERE rolname = {_literal(role)}").first() is not None


def _make_role(connection: Connection, role: str, password: str) -> None:
    _run(connection,
        f"CREATE ROLE {_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
        f"NOREPLICATION NOBYPASSRLS PASSWORD {_literal(password)}")


def _student(connection: Connection, name: str, now: datetime, role: str | None,
             new_password: bool) -> Student:
    from quiz.store.learners import check_name

    name = check_name(name, "--student")
    row = _run(connection,
        f"SELECT id FROM learners WHERE name = {_literal(name)}").first()
    if row is None:
        raise ClassError(f"--student {name!r}: no such learner")  # made by the caller first
    learner_id = int(row[0])
    mapped = _run(connection,
        f"SELECT role_name FROM {ROLE_TABLE} WHERE learner_id = {learner_id}").first()
    schema = _schema(connection)
    if mapped is not None:
        current = str(mapped[0])
        if role is not None and role != current:
            raise ClassError(f"--student {name!r} connects as role {current} already; remove "
                             "the student first (--remove) to give them another role")
        password = secrets.token_urlsafe(18) if new_password else None
        if password is not None:
            _run(connection,
                f"ALTER ROLE {_ident(current)} PASSWORD {_literal(password)}")
        _grant(connection, schema, current, GRANTED)
        return Student(learner_id, name, current, password)
    database = str(_run(connection, "SELECT current_database()").scalar_one())
    role = check_role(role) if role is not None else default_role(database, schema, learner_id)
    taken = _run(connection,
        f"SELECT 1 FROM {ROLE_TABLE} WHERE role_name = {_literal(role)}").first()
    if taken is not None or _role_exists(connection, role):
        # Never hand an existing role (perhaps a teacher's, or another class's student) a
        # student's rights: a student's role is made by the setup that maps it.
        raise ClassError(f"--student {name!r}: role {role} exists already; name another "
                         "with --role, or drop that role")
    password = secrets.token_urlsafe(18)
    _make_role(connection, role, password)
    _run(connection,
        f"INSERT INTO {ROLE_TABLE} (role_name, learner_id) VALUES ({_literal(role)}, "
        f"{learner_id})")
    _grant(connection, schema, role, GRANTED)
    return Student(learner_id, name, role, password)


def setup_class(db: Database, students: list[str], now: datetime, *,
                role: str | None = None, new_password: bool = False) -> list[Student]:
    """Turn on row-level security (idempotent) and make each named student: their learner
    (when missing), their login role and its privileges. Returns every student of the class,
    with the passwords made (or reset: `new_password`) by this call. `role` names the role of a
    single new student instead of the default name."""
    from quiz.store.learners import ensure_learner

    _require_postgresql(db)
    if role is not None and len(students) != 1:
        raise ClassError("--role names the role of one --student at a time")
    try:
        with db.write_connection() as connection:
            _enable(connection)  # first, so that a refusal (not the owner) makes nothing
        for name in students:
            ensure_learner(db, name, now)
        made: dict[int, Student] = {}
        with db.write_connection() as connection:
            _run(connection,
                "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.class_roles'))")
            for name in students:
                student = _student(connection, name, now, role, new_password)
                made[student.learner_id] = student
            everyone = _class(connection)
    except SQLAlchemyError as error:
        raise ClassError(f"cannot set up the class: {error_message(error)}") from None
    return [made.get(student.learner_id, student) for student in everyone]


def _class(connection: Connection) -> list[Student]:
    rows = _run(connection,
        f"SELECT r.learner_id, l.name, r.role_name FROM {ROLE_TABLE} r "
        "JOIN learners l ON l.id = r.learner_id ORDER BY r.learner_id")
    return [Student(int(learner_id), str(name), str(role)) for learner_id, name, role in rows]


def class_students(db: Database) -> list[Student]:
    """The students of the class (none before `setup_class`)."""
    _require_postgresql(db)
    with db.read() as connection:
        return _class(connection) if _has_roles_table(connection) else []


def remove_student(db: Database, name: str, *, drop_role: bool = True) -> Student:
    """Take a student's role out of the class: its privileges here revoked, its mapping removed,
    and the role dropped (`drop_role`: unless it still has privileges elsewhere, then it is kept
    without any here). Their learner and history stay."""
    _require_postgresql(db)
    try:
        with db.write_connection() as connection:
            if not _has_roles_table(connection):
                raise ClassError("this database has no class set up (quiz class setup)")
            found = _run(connection,
                f"SELECT r.learner_id, r.role_name FROM {ROLE_TABLE} r JOIN learners l "
                f"ON l.id = r.learner_id WHERE l.name = {_literal(name.strip())}").first()
            if found is None:
                raise ClassError(f"--remove {name!r}: no student of that name in this class")
            learner_id, role = int(found[0]), str(found[1])
            schema = _schema(connection)
            run = partial(_run, connection)
            run(f"REVOKE ALL ON ALL TABLES IN SCHEMA {_ident(schema)} FROM {_ident(role)}")
            run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {_ident(schema)} FROM {_ident(role)}")
            run(f"REVOKE ALL ON SCHEMA {_ident(schema)} FROM {_ident(role)}")
            run(f"DELETE FROM {ROLE_TABLE} WHERE role_name = {_literal(role)}")
        if drop_role:
            # Fails when the role still has privileges elsewhere (another database): kept then,
            # without any here.
            with suppress(SQLAlchemyError), db.write_connection() as connection:
                _run(connection, f"DROP ROLE IF EXISTS {_ident(role)}")
    except SQLAlchemyError as error:
        raise ClassError(f"cannot remove the student: {error_message(error)}") from None
    return Student(learner_id, name.strip(), role)


def _after_create(table: Any, connection: Connection, **_: Any) -> None:
    """A derived table made again (a bulk import, a rebuild): RLS, policies and the students'
    privileges on it at once, inside the transaction that made it."""
    if connection.dialect.name != "postgresql" or not _has_roles_table(connection):
        return
    schema = _schema(connection)
    _secure_table(connection, schema, table.name, _owner(connection))
    for role in _roles(connection):
        _run(connection, f"GRANT {_privileges(table.name)} ON "
                                   f"{_ident(schema)}.{_ident(table.name)} TO {_ident(role)}")


for _table in (DECK_TOTALS, CARD_TOTALS, RATING_HOURS):
    event.listen(_table, "after_create", _after_create)
