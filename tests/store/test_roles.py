"""A class server no student can tamper with (`quiz class setup`, quiz.store.roles), on a real
PostgreSQL server: each student connects as their own role and, whatever SQL they send, reads and
writes only their own rows; they study as themselves through the store; the teacher (the tables'
owner, not a superuser here) reads everyone. Every role a test makes is dropped after it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from quiz.bank.parser import load_bank
from quiz.cli import main
from quiz.store import derived
from quiz.store.actions import ActionError, apply_review, record_answer, undo_review
from quiz.store.counts import due_counts
from quiz.store.db import Database, open_database
from quiz.store.learners import LearnerError, learner_summaries, resolve_learner
from quiz.store.queue import add_extra_new, next_study_item
from quiz.store.roles import ClassError, Student, class_students, remove_student, setup_class
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.settings import SettingError, Settings, save_settings
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW, quiz_command
from tests.postgres_server import Schemas

pytestmark = pytest.mark.postgresql_only


@dataclass
class ClassServer:
    schema: str
    teacher_url: str
    teacher: Database
    students: dict[str, Student]
    url: dict[str, str] = field(default_factory=dict)      # each student's --db URL
    raw: dict[str, Engine] = field(default_factory=dict)   # each student's own connection

    def student_db(self, name: str) -> Database:
        return resolve_learner(open_database(self.url[name]), name, FIXED_NOW)


def _schema_of(url: str) -> str:
    options = str(make_url(url).query.get("options", ""))
    return options.rsplit("-csearch_path=", 1)[1].split()[0]


def _drop_roles(admin: Engine, roles: list[str]) -> None:
    with admin.connect() as connection:
        for role in roles:
            exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                        {"r": role}).first()
            if exists is None:
                continue
            connection.execute(text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE usename = :r"), {"r": role})
            connection.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
            connection.execute(text(f'DROP ROLE "{role}"'))


@pytest.fixture
def made_roles(postgresql_schemas: Schemas) -> Iterator[list[str]]:
    """Roles to drop after the test (students first, then the teacher who owns the schema)."""
    roles: list[str] = []
    yield roles
    _drop_roles(postgresql_schemas.admin, roles[::-1])


@pytest.fixture
def klass(db_url: str, bank_dir: Path, postgresql_schemas: Schemas,
          made_roles: list[str]) -> Iterator[ClassServer]:
    """A class of two students, alice and bob, each with a rating, on a schema owned by a
    teacher role that is not a superuser (so RLS applies to it as to anyone)."""
    schema = _schema_of(db_url)
    teacher = f"{schema}_teacher"
    with postgresql_schemas.admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{teacher}" LOGIN CREATEROLE'))
        made_roles.append(teacher)
        connection.execute(text(f'ALTER SCHEMA "{schema}" OWNER TO "{teacher}"'))
    teacher_url = make_url(db_url).set(username=teacher).render_as_string(hide_password=False)
    db = open_database(teacher_url)
    sync_bank(db, load_bank(bank_dir), "b", FIXED_NOW)
    students = {s.name: s for s in setup_class(db, ["alice", "bob"], FIXED_NOW)}
    made_roles.extend(s.role for s in students.values())
    server = ClassServer(schema, teacher_url, db, students)
    for name, student in students.items():
        assert student.password  # shown once, made by this setup
        server.url[name] = make_url(db_url).set(
            username=student.role, password=student.password).render_as_string(
            hide_password=False)
        server.raw[name] = create_engine(server.url[name])
    scheduler = make_scheduler(fuzz=False)
    for name in students:
        student_db = server.student_db(name)
        item = next_study_item(student_db, FIXED_NOW, Settings())
        assert item is not None
        apply_review(student_db, scheduler, item.id, Grade.GOOD, FIXED_NOW)
        student_db.close()
    yield server
    for engine in server.raw.values():
        engine.dispose()
    db.close()


def _scalar(engine: Engine, sql: str, **params: object) -> Any:
    with engine.begin() as connection:
        return connection.execute(text(sql), params).scalar()


def _refused(engine: Engine, sql: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
        connection.execute(text(sql), params)
    return str(caught.value.orig)


def test_a_student_reads_only_their_own_rows(klass: ClassServer) -> None:
    alice, bob = klass.students["alice"], klass.students["bob"]
    raw = klass.raw["alice"]
    for table, column in (("reviews", "learner_id"), ("cards", "learner_id"),
                          ("card_review_totals", "learner_id"), ("rating_hours", "learner_id"),
                          ("deck_totals", "learner_id"), ("learners", "id")):
        assert _scalar(raw, f"SELECT count(*) FROM {table} WHERE {column} = :b",
                       b=bob.learner_id) == 0, table
        assert _scalar(raw, f"SELECT count(*) FROM {table} WHERE {column} <> :a",
                       a=alice.learner_id) == 0, table
        assert int(_scalar(raw, f"SELECT count(*) FROM {table}") or 0) > 0, table
    assert _scalar(raw, "SELECT count(*) FROM class_roles") == 1
    # The questions are everyone's to read.
    assert _scalar(raw, "SELECT count(*) FROM questions") == 3


def test_a_student_cannot_change_or_delete_another_learners_rows(klass: ClassServer) -> None:
    bob = klass.students["bob"]
    raw = klass.raw["alice"]
    bob_review = _scalar(klass.teacher.engine,
                         "SELECT id FROM reviews WHERE learner_id = :b", b=bob.learner_id)
    before = _scalar(klass.teacher.engine,
                     "SELECT count(*) FROM reviews WHERE learner_id = :b", b=bob.learner_id)
    # The review log: no UPDATE or DELETE at all, for anyone's rows.
    assert "permission denied" in _refused(raw, "DELETE FROM reviews WHERE id = :r", r=bob_review)
    assert "permission denied" in _refused(raw, "UPDATE reviews SET rating = 4 WHERE id = :r",
                                           r=bob_review)
    assert "permission denied" in _refused(raw, "TRUNCATE reviews")
    # Nor insert a rating as bob, nor an undo of bob's rating under her own name.
    assert "row-level security" in _refused(
        raw, "INSERT INTO reviews (learner_id, question_id, reviewed_at, rating, content_hash, "
             "state_after, due_after, kind) SELECT :b, question_id, reviewed_at, 4, "
             "content_hash, state_after, due_after, 'review' FROM reviews LIMIT 1",
        b=bob.learner_id)
    assert "only their own ratings" in _refused(
        raw, "INSERT INTO reviews (learner_id, question_id, reviewed_at, rating, content_hash, "
             "state_after, due_after, kind, undoes) SELECT learner_id, question_id, "
             "reviewed_at, 0, content_hash, state_after, due_after, 'undo', :r "
             "FROM reviews LIMIT 1", r=bob_review)
    # Cards: bob's are not there to update; none can be deleted; none moved to bob.
    with raw.begin() as connection:
        changed = connection.execute(text(
            "UPDATE cards SET suspended = true WHERE learner_id = :b"), {"b": bob.learner_id})
        assert changed.rowcount == 0
    assert "permission denied" in _refused(raw, "DELETE FROM cards WHERE learner_id = :b",
                                           b=bob.learner_id)
    assert "row-level security" in _refused(raw, "UPDATE cards SET learner_id = :b",
                                            b=bob.learner_id)
    # The derived totals and the class's tables.
    with raw.begin() as connection:
        for table in ("card_review_totals", "rating_hours", "deck_totals"):
            changed = connection.execute(text(
                f"UPDATE {table} SET learner_id = learner_id WHERE learner_id = :b"),
                {"b": bob.learner_id})
            assert changed.rowcount == 0, table
    assert "permission denied" in _refused(
        raw, "UPDATE class_roles SET learner_id = :b", b=bob.learner_id)
    assert "permission denied" in _refused(raw, "UPDATE learners SET name = 'x'")
    assert "permission denied" in _refused(raw, "UPDATE questions SET title = 'x'")
    assert "must be owner" in _refused(raw, "DROP TABLE reviews")
    assert "must be owner" in _refused(raw, "ALTER TABLE reviews DISABLE ROW LEVEL SECURITY")
    # The shared settings are read-only; bob's own keys are out of reach.
    assert "row-level security" in _refused(
        raw, "INSERT INTO settings (key, value) VALUES ('new_per_day', '999')")
    assert "row-level security" in _refused(
        raw, "INSERT INTO settings (key, value) VALUES (:k, '5')",
        k=f"extra_new:{bob.learner_id}:2026-03-02")
    # Nothing of bob's changed.
    assert _scalar(klass.teacher.engine, "SELECT count(*) FROM reviews WHERE learner_id = :b",
                   b=bob.learner_id) == before
    assert _scalar(klass.teacher.engine, "SELECT count(*) FROM cards WHERE learner_id = :b "
                   "AND suspended", b=bob.learner_id) == 0


def test_a_temporary_table_cannot_stand_in_for_the_class_roles(klass: ClassServer) -> None:
    bob = klass.students["bob"]
    with klass.raw["alice"].begin() as connection:
        connection.execute(text("CREATE TEMP TABLE class_roles "
                                "(role_name text, learner_id integer)"))
        connection.execute(text("INSERT INTO class_roles VALUES (current_user, :b)"),
                           {"b": bob.learner_id})
        assert connection.execute(text("SELECT count(*) FROM reviews WHERE learner_id = :b"),
                                  {"b": bob.learner_id}).scalar() == 0


def test_a_student_studies_as_themselves_through_the_store(klass: ClassServer) -> None:
    alice = klass.students["alice"]
    db = klass.student_db("alice")
    try:
        assert db.learner_id == alice.learner_id
        settings = Settings()
        now = FIXED_NOW + timedelta(minutes=5)
        item = next_study_item(db, now, settings)
        assert item is not None
        outcome = apply_review(db, make_scheduler(fuzz=False), item.id, Grade.AGAIN, now)
        assert due_counts(db, now, settings).reviews_today == 2
        undo_review(db, outcome.review_id, now + timedelta(seconds=1))
        assert due_counts(db, now, settings).reviews_today == 1
        # Custom study: the learner's own extra new cards of the day.
        assert add_extra_new(db, now, settings, 2) == 2
        # The shared settings are the teacher's.
        with pytest.raises((SettingError, DBAPIError)):
            save_settings(db, {"new_per_day": "99"})
        # Bob's rating is not hers to undo.
        bob_review = _scalar(klass.teacher.engine, "SELECT id FROM reviews WHERE learner_id = :b",
                             b=klass.students["bob"].learner_id)
        with pytest.raises(ActionError):
            undo_review(db, int(bob_review), now)
    finally:
        db.close()
    # The triggers kept her totals equal to a recount, as the teacher reads them.
    with klass.teacher.engine.begin() as connection:
        ratings, = connection.execute(text(
            "SELECT ratings FROM card_review_totals WHERE learner_id = :a AND question_id = :q"),
            {"a": alice.learner_id, "q": item.id}).one()
        counted = connection.execute(text(
            "SELECT count(*) FROM reviews r WHERE r.learner_id = :a AND r.question_id = :q "
            "AND r.kind = 'review' AND NOT EXISTS (SELECT 1 FROM reviews u "
            "WHERE u.undoes = r.id AND u.kind = 'undo')"),
            {"a": alice.learner_id, "q": item.id}).scalar()
        assert ratings == counted


def test_a_recorded_answer_is_logged_once_under_the_class_rules(klass: ClassServer) -> None:
    """Exactly once (issue 21) holds for a student's own role and for the teacher recording into
    a student's learner: the insert's unique-key check passes the row-level security, and a
    second copy of the answer, from either, changes nothing."""
    alice = klass.students["alice"]
    question = _scalar(klass.teacher.engine, "SELECT id FROM questions ORDER BY id LIMIT 1")
    scheduler = make_scheduler(fuzz=False)
    moment = FIXED_NOW + timedelta(hours=1)
    answer = {"seed": 7, "answer_text": "42", "verdict": "right"}

    def reviews() -> int:
        return int(_scalar(klass.teacher.engine,
                           "SELECT count(*) FROM reviews WHERE learner_id = :a",
                           a=alice.learner_id))

    before = reviews()
    db = klass.student_db("alice")
    try:
        assert record_answer(db, scheduler, question, Grade.GOOD, moment, **answer) is not None
        assert record_answer(db, scheduler, question, Grade.GOOD, moment, **answer) is None
    finally:
        db.close()
    as_alice = klass.teacher.as_learner(alice.learner_id, alice.name)
    assert record_answer(as_alice, scheduler, question, Grade.GOOD, moment, **answer) is None
    assert reviews() == before + 1


def test_a_students_study_app_starts(klass: ClassServer, bank_dir: Path) -> None:
    """The app's start-up sync of the bank the teacher imported (the same install) writes
    nothing a student may not: its record of the bank's fingerprint is dropped for a student."""
    from quiz.store.sync import import_bank
    from quiz.tui.context import _sync_if_changed, fingerprint_key

    import_bank(klass.teacher, bank_dir, "bundled", FIXED_NOW)
    db = klass.student_db("alice")
    try:
        for _ in range(2):
            report = _sync_if_changed(db, bank_dir, FIXED_NOW)
            assert report is not None and not report.added and not report.changed
        assert _scalar(klass.teacher.engine, "SELECT count(*) FROM settings WHERE key = :k",
                       k=fingerprint_key(bank_dir)) == 0
    finally:
        db.close()


def test_the_learner_must_be_the_roles_own(klass: ClassServer) -> None:
    db = open_database(klass.url["alice"])
    try:
        with pytest.raises(LearnerError) as refused:
            resolve_learner(db, "bob", FIXED_NOW)
        message = str(refused.value)
        assert "\n" not in message and "studies as 'alice' only" in message
        with pytest.raises(LearnerError):
            resolve_learner(db, "default", FIXED_NOW)
        # Without --learner: the role's own learner.
        assert resolve_learner(db, None, FIXED_NOW).learner_id == klass.students["alice"].learner_id
    finally:
        db.close()


def test_the_teacher_reads_every_learner(klass: ClassServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    summaries = learner_summaries(klass.teacher, FIXED_NOW)
    assert {s.learner.name: s.reviews for s in summaries} == {"default": 0, "alice": 1, "bob": 1}
    # The teacher records into a student's learner (as `quiz check DIR --record` does).
    bob = klass.students["bob"]
    as_bob = klass.teacher.as_learner(bob.learner_id, bob.name)
    item = next_study_item(as_bob, FIXED_NOW, Settings())
    assert item is not None
    apply_review(as_bob, make_scheduler(fuzz=False), item.id, Grade.GOOD, FIXED_NOW)
    assert _scalar(klass.raw["bob"], "SELECT count(*) FROM reviews") == 2
    assert main(["--db", klass.teacher_url, "class"]) == 0
    shown = capsys.readouterr().out
    assert "3 learners" in shown and "alice" in shown and "bob" in shown
    # A student's `quiz class` is their own row.
    assert main(["--db", klass.url["bob"], "class"]) == 0
    shown = capsys.readouterr().out
    assert "1 learners" in shown and "bob" in shown and "alice" not in shown


def test_a_bulk_rebuild_of_the_totals_keeps_the_rules(klass: ClassServer) -> None:
    """An import that rewrites many questions makes the derived tables again: they come back
    with RLS, the policies and the students' privileges."""
    with klass.teacher.write_connection() as connection:
        derived.rebuild_log(connection)
        derived.rebuild_decks(connection)
    raw = klass.raw["alice"]
    bob = klass.students["bob"]
    for table in ("card_review_totals", "rating_hours", "deck_totals"):
        assert _scalar(raw, f"SELECT count(*) FROM {table} WHERE learner_id = :b",
                       b=bob.learner_id) == 0, table
        assert int(_scalar(raw, f"SELECT count(*) FROM {table}") or 0) > 0, table
    db = klass.student_db("alice")
    try:
        item = next_study_item(db, FIXED_NOW, Settings())
        assert item is not None
        apply_review(db, make_scheduler(fuzz=False), item.id, Grade.GOOD, FIXED_NOW)
    finally:
        db.close()


def test_setup_again_changes_nothing_and_removal_takes_the_role_out(
        klass: ClassServer, made_roles: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    again = setup_class(klass.teacher, ["alice"], FIXED_NOW)
    assert [(s.name, s.role, s.password) for s in again] == [
        ("alice", klass.students["alice"].role, None),
        ("bob", klass.students["bob"].role, None)]
    # Through the command: a new student, printed with the URL to give them.
    assert main(["--db", klass.teacher_url, "class", "setup", "--student", "carol"]) == 0
    out = capsys.readouterr().out
    carol = next(s for s in class_students(klass.teacher) if s.name == "carol")
    made_roles.insert(1, carol.role)
    assert f"carol: role {carol.role}, password " in out and "--learner carol" in out
    removed = remove_student(klass.teacher, "bob")
    with klass.teacher.engine.connect() as connection:
        assert connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                  {"r": removed.role}).first() is None
    assert {s.name for s in class_students(klass.teacher)} == {"alice", "carol"}
    # A student cannot set the class up (not the tables' owner).
    db = klass.student_db("alice")
    try:
        with pytest.raises(ClassError, match="only the owner"):
            setup_class(db, ["mallory"], FIXED_NOW)
    finally:
        db.close()


def test_an_existing_role_is_never_made_a_student(klass: ClassServer) -> None:
    with pytest.raises(ClassError, match="exists already"):
        setup_class(klass.teacher, ["dave"], FIXED_NOW, role=klass.students["bob"].role)


def test_a_teacher_only_command_refuses_a_student_in_one_line(klass: ClassServer) -> None:
    """What only the teacher may do is refused by the server for a student's role (SQLSTATE
    42501): one line naming it, no traceback."""
    result = subprocess.run([*quiz_command(), "--db", klass.url["alice"], "learners", "add",
                             "mallory"], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "permission denied" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_a_students_app_starts_with_a_bank_elsewhere_without_syncing_it(
        klass: ClassServer, tmp_path: Path, bank_dir: Path) -> None:
    """A student's install with the bank at another path (another machine): the app does not
    try to write the teacher's questions; it starts on what the teacher imported."""
    from quiz.tui.context import StoreRequest

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(bank_dir, elsewhere)
    (elsewhere / "conv.md").write_text((bank_dir / "conv.md").read_text(encoding="utf-8")
                                       + "\n", encoding="utf-8")
    request = StoreRequest(db_url=klass.url["alice"], learner="alice", bank_dir=elsewhere,
                           sync_bank_on_start=True, clock=lambda: FIXED_NOW)
    context, report = request.open()
    try:
        assert report is None and context.db.learner_name == "alice"
    finally:
        context.db.close()
