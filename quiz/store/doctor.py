"""`quiz doctor`: check a database the way Anki's Check Database does, and repair what is safe.

Checks: SQLite's integrity and foreign-key checks, missing tables and columns, orphans (cards
without a question or without a learner, reviews of an unknown question or by an unknown
learner, a question without a card for some learner, undo entries of an unknown review), a
missing default learner, damaged fields and card states fsrs cannot load (quiz.store.damage).

A card is one learner's: every check and repair names it by its learner and its question (the
primary key), so repairing one learner's card never touches another's.

Repairs (`fix=True`, always after a backup copy): a card whose scheduling cannot be trusted
becomes a new card (its reviews are kept); a damaged due date becomes now; a damaged flag or
counter its default; a damaged question field a safe value, with the row marked changed so the
next `quiz import` rewrites it from the bank; an unreadable setting goes back to its default; a
learner's damaged display name or creation time a safe value; a question without a card for a
learner gets a new card for that learner; a card whose question or learner is gone and that
has no reviews is deleted (nothing is lost). Everything else — above all the append-only review
log — is reported, never changed. The file is read and repaired with plain sqlite3, never
through the ORM, so a damaged row cannot stop the doctor itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from quiz.store.backup import stamped_backup
from quiz.store.damage import (
    CARD_DEFAULT,
    CARD_DUE_NOW,
    DROP_SETTING,
    LEARNER_FIELD,
    LEARNER_KEY,
    QUESTION_REFRESH,
    RESET_CARD,
    Finding,
    columns,
    scan_rows,
)
from quiz.store.sqlite_files import (
    BackupError,
    connect_existing,
    connect_to_read,
    is_access_failure,
    sqlite_path,
    sqlite_reason,
    write_refusal,
)

QUIZ_TABLES = ("questions", "learners", "cards", "reviews", "settings", "schema_info")
# Tables of schema 3 on: an older file lacks them until quiz upgrades it.
LATER_TABLES = {"learners": 3}
DELETE_ORPHAN_CARD = "delete-orphan-card"
ADD_CARD = "add-card"

REPAIRS = {
    RESET_CARD: "reset to a new card (its reviews are kept)",
    CARD_DUE_NOW: "due now",
    CARD_DEFAULT: "set to its default",
    QUESTION_REFRESH: "set to a safe value; the next quiz import rewrites the question",
    DROP_SETTING: "removed (back to the default setting)",
    LEARNER_FIELD: "set to a safe value (no display name; created now)",
    DELETE_ORPHAN_CARD: "deleted (it has no reviews, so nothing is lost)",
    ADD_CARD: "given a new card",
}


class DoctorError(RuntimeError):
    """The database cannot be opened or is not quiz's (exit code 2)."""


class CannotCheck(DoctorError):
    """The file could not be read here (permissions, a read-only folder a WAL database needs, a
    lock, a full disk): nothing is known about its health, so nothing is advised (exit 2)."""


class _Unreadable(Exception):
    """Raised inside a check when SQLite could not read (not: found damage)."""


@dataclass
class Report:
    path: Path
    findings: list[Finding]
    fixed: list[Finding] = field(default_factory=list)
    backup: Path | None = None

    @property
    def remaining(self) -> list[Finding]:
        fixed = {finding.key for finding in self.fixed}
        return [finding for finding in self.findings if finding.key not in fixed]

    def to_json(self) -> dict[str, object]:
        fixed = {finding.key for finding in self.fixed}
        return {
            "database": str(self.path),
            "backup": str(self.backup) if self.backup else None,
            "findings": [{**finding.to_json(), "fixed": finding.key in fixed}
                         for finding in self.findings],
            "remaining": len(self.remaining),
        }


def _stored_now(now: datetime) -> str:
    """A moment as the store writes it (naive UTC, microseconds)."""
    return now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _has_sqlite_header(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def open_for_doctor(url: str, write: bool = False) -> tuple[Path, sqlite3.Connection]:
    path = sqlite_path(url)
    if path is None:
        raise DoctorError(f"{url}: quiz doctor checks SQLite database files; PostgreSQL keeps "
                          "types and keys itself (check the server with pg_amcheck)")
    if not path.is_file():
        raise DoctorError(f"{path}: the database does not exist")
    try:
        connection = connect_existing(path, write=True) if write else connect_to_read(path)
        tables = columns(connection)
    except sqlite3.DatabaseError as error:
        if is_access_failure(error):
            raise _cannot_check(path, error) from None
        if _has_sqlite_header(path):
            # An SQLite file whose schema pages are damaged: what cannot be read is a finding
            # of examine(), and the advice to restore a backup follows.
            return path, connect_existing(path, write=write)
        raise DoctorError(f"{path}: cannot open as an SQLite database ({error})") from None
    if not {"questions", "cards", "reviews"} & tables.keys():
        connection.close()
        raise DoctorError(f"{path}: not a quiz database (none of its tables is there)")
    return path, connection


def _cannot_check(path: Path, error: BaseException) -> CannotCheck:
    return CannotCheck(f"cannot check {path}: {sqlite_reason(error, path)} — this says "
                       "nothing about the file's health; nothing was changed")


def _raise_if_unreadable(error: sqlite3.Error) -> None:
    """An error that says SQLite could not read the file here is no finding about the file."""
    if is_access_failure(error):
        raise _Unreadable(error) from None


def _structure(connection: sqlite3.Connection) -> list[Finding]:
    from quiz.store.tables import METADATA

    present = columns(connection)
    version = _schema_version(connection, present)
    findings = []
    for table in QUIZ_TABLES:
        if table not in present:
            if version >= LATER_TABLES.get(table, 0):
                findings.append(Finding("missing", table, None, None, "the table is missing"))
            continue
        # An older schema lacks columns until quiz migrates it; report only a current one's.
        expected = {column.name for column in METADATA.tables[table].columns}
        if version < _current_version():
            continue
        for column in sorted(expected - present[table]):
            findings.append(Finding("missing", table, None, column, "the column is missing"))
    return findings


def _current_version() -> int:
    from quiz.store.tables import SCHEMA_VERSION

    return SCHEMA_VERSION


def _schema_version(connection: sqlite3.Connection, present: dict[str, set[str]]) -> int:
    if "version" not in present.get("schema_info", set()):
        return 0
    found = connection.execute(
        "SELECT max(version) FROM schema_info WHERE typeof(version) = 'integer'").fetchone()
    return found[0] if found and found[0] is not None else 0


def _integrity(connection: sqlite3.Connection) -> list[Finding]:
    try:
        lines = [line for (line,) in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        _raise_if_unreadable(error)
        return [Finding("integrity", None, None, None, f"integrity check failed: {error}")]
    if lines == ["ok"]:
        return []
    return [Finding("integrity", None, None, None, f"SQLite integrity check: {line}")
            for line in lines]


def _orphans(connection: sqlite3.Connection, present: dict[str, set[str]]) -> list[Finding]:
    if not {"questions", "cards", "reviews"} <= present.keys():
        return []
    if _keyed_by_learner(present):
        # Without the learners table (reported missing) the default learner is the one known.
        learners = "learners" if "learners" in present else f"(SELECT {_default_id()} AS id)"
        findings = _card_orphans(connection, learners)
        if "learners" in present:
            findings += _learner_orphans(connection)
    else:  # a database from before learners: one card per question
        findings = _card_orphans_before_learners(connection)
    query = ("SELECT id, question_id FROM reviews "
             "WHERE question_id NOT IN (SELECT id FROM questions)")
    for key, question in connection.execute(query):
        findings.append(Finding("orphan", "reviews", key, "question_id",
                                f"reviews question {question!r}, which does not exist"))
    if "undoes" in present["reviews"]:
        query = ("SELECT id, undoes FROM reviews WHERE undoes IS NOT NULL "
                 "AND undoes NOT IN (SELECT id FROM reviews)")
        for key, undone in connection.execute(query):
            findings.append(Finding("orphan", "reviews", key, "undoes",
                                    f"undoes review {undone!r}, which does not exist"))
    return findings


def _keyed_by_learner(present: dict[str, set[str]]) -> bool:
    return LEARNER_KEY in present["cards"] and LEARNER_KEY in present["reviews"]


def _default_id() -> int:
    from quiz.store.tables import DEFAULT_LEARNER_ID

    return DEFAULT_LEARNER_ID


# Whether the card's own learner rated it: such a card's history must stay.
_CARD_REVIEWED = ("EXISTS (SELECT 1 FROM reviews r WHERE r.learner_id = cards.learner_id "
                  "AND r.question_id = cards.question_id)")


def _card_orphans(connection: sqlite3.Connection, learners: str) -> list[Finding]:
    """Cards without a question, and (learner, question) pairs without a card (`learners`: the
    table, or a query, the learners' ids come from)."""
    findings = []
    query = (f"SELECT learner_id, question_id, {_CARD_REVIEWED} FROM cards "
             "WHERE question_id NOT IN (SELECT id FROM questions)")
    for learner, key, has_reviews in connection.execute(query):
        findings.append(Finding(
            "orphan", "cards", key, "question_id", f"the card's question {key!r} does not exist",
            None if has_reviews else DELETE_ORPHAN_CARD, learner))
    # One probe of the cards' primary key per learner and question.
    query = (f"SELECT l.id, q.id FROM {learners} l CROSS JOIN questions q WHERE NOT EXISTS "
             "(SELECT 1 FROM cards c WHERE c.learner_id = l.id AND c.question_id = q.id) "
             "ORDER BY l.id, q.id")
    for learner, key in connection.execute(query):
        findings.append(Finding("orphan", "questions", key, None,
                                f"the question has no card for learner {learner!r}", ADD_CARD,
                                learner))
    return findings


def _learner_orphans(connection: sqlite3.Connection) -> list[Finding]:
    """Cards and reviews of a learner that does not exist, and a missing default learner (every
    database has it: a handle studies as it unless told otherwise, so its cards are not
    orphans — the learner row is what is missing)."""
    findings = []
    unknown = "NOT EXISTS (SELECT 1 FROM learners l WHERE l.id = {table}.learner_id)"
    if connection.execute("SELECT 1 FROM learners WHERE id = ?",
                          (_default_id(),)).fetchone() is None:
        findings.append(Finding("missing", "learners", _default_id(), None,
                                "the default learner is missing (restore a backup)"))
    query = (f"SELECT learner_id, question_id, {_CARD_REVIEWED} FROM cards "
             f"WHERE {unknown.format(table='cards')} AND learner_id IS NOT ?")
    for learner, key, has_reviews in connection.execute(query, (_default_id(),)):
        findings.append(Finding(
            "orphan", "cards", key, "learner_id", f"the card's learner {learner!r} does not exist",
            None if has_reviews else DELETE_ORPHAN_CARD, learner))
    query = (f"SELECT id, learner_id FROM reviews WHERE {unknown.format(table='reviews')} "
             "AND learner_id IS NOT ?")
    for key, learner in connection.execute(query, (_default_id(),)):
        findings.append(Finding("orphan", "reviews", key, "learner_id",
                                f"by learner {learner!r}, who does not exist"))
    return findings


def _card_orphans_before_learners(connection: sqlite3.Connection) -> list[Finding]:
    findings = []
    reviewed = "EXISTS (SELECT 1 FROM reviews r WHERE r.question_id = cards.question_id)"
    query = (f"SELECT question_id, {reviewed} FROM cards "
             "WHERE question_id NOT IN (SELECT id FROM questions)")
    for key, has_reviews in connection.execute(query):
        findings.append(Finding(
            "orphan", "cards", key, "question_id", f"the card's question {key!r} does not exist",
            None if has_reviews else DELETE_ORPHAN_CARD))
    query = "SELECT id FROM questions WHERE id NOT IN (SELECT question_id FROM cards)"
    for (key,) in connection.execute(query):
        findings.append(Finding("orphan", "questions", key, None, "the question has no card",
                                ADD_CARD))
    return findings


def _foreign_keys(connection: sqlite3.Connection) -> list[Finding]:
    """What SQLite's foreign-key check finds beyond the orphans reported above."""
    covered = {("cards", "questions"), ("reviews", "questions"), ("cards", "learners"),
               ("reviews", "learners")}
    findings = []
    for table, rowid, parent, _fkid in connection.execute("PRAGMA foreign_key_check"):
        if (table, parent) not in covered:
            findings.append(Finding("foreign-key", table, rowid, None,
                                    f"refers to a missing row of {parent}"))
    return findings


def _guarded(stage: str, run: Callable[[], list[Finding]]) -> list[Finding]:
    """A stage that a damaged file makes fail is itself a finding; the other stages still run."""
    try:
        return run()
    except sqlite3.DatabaseError as error:
        _raise_if_unreadable(error)
        return [Finding("unreadable", None, None, None, f"cannot {stage}: {error}")]


def examine(connection: sqlite3.Connection) -> list[Finding]:
    """Every finding, integrity first."""
    findings = _integrity(connection)
    try:
        present = columns(connection)
    except sqlite3.DatabaseError as error:
        _raise_if_unreadable(error)
        return [*findings, Finding("unreadable", None, None, None,
                                   f"cannot list the tables: {error}")]
    findings += _guarded("check the tables", lambda: _structure(connection))
    findings += _guarded("check for orphans", lambda: _orphans(connection, present)
                         + _foreign_keys(connection))
    findings += _guarded("scan the rows", lambda: list(scan_rows(connection, present)))
    return findings


def check(url: str) -> Report:
    """Examine the database at `url` without changing it."""
    path, connection = open_for_doctor(url)
    try:
        return Report(path, examine(connection))
    except _Unreadable as error:
        raise _cannot_check(path, error.args[0]) from None
    finally:
        connection.close()


def repair(url: str, now: datetime) -> Report:
    """Examine, and when something can be repaired: back up, repair in one transaction, and
    examine again (what the second look still finds is what remains)."""
    target = sqlite_path(url)
    # A file quiz cannot write is still checked (read-only); only the repair is refused.
    refusal = write_refusal(target) if target is not None and target.is_file() else None
    path, connection = open_for_doctor(url, write=refusal is None)
    try:
        try:
            findings = examine(connection)
        except _Unreadable as error:
            raise _cannot_check(path, error.args[0]) from None
        fixable = [finding for finding in findings if finding.repair]
        report = Report(path, findings)
        if not fixable:
            return report
        if any(finding.check in {"integrity", "unreadable"} for finding in findings):
            # Writing into a file whose pages are damaged can lose more: restore or recover it.
            raise DoctorError(f"{path}: the file itself is damaged, so quiz doctor repairs "
                              "nothing; see quiz doctor without --fix before restoring anything")
        if refusal is not None:
            raise DoctorError(f"{path}: {refusal}; no repair made (quiz doctor without --fix "
                              "lists what --fix would repair)")
        try:
            report.backup = stamped_backup(path, now, "before-doctor")
        except BackupError as error:
            raise DoctorError(f"no repair made: {error}") from None
        present = columns(connection)
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise DoctorError(f"{path}: cannot write ({error}); is quiz running? Close it and "
                              "run quiz doctor --fix again") from None
        try:
            for finding in fixable:
                _apply(connection, finding, now, present)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        still = {finding.key for finding in examine(connection)}
        report.fixed = [finding for finding in fixable if finding.key not in still]
        return report
    finally:
        connection.close()


_NEW_CARD = {"state": 1, "step": 0, "stability": None, "difficulty": None, "last_review": None}
_CARD_DEFAULTS: dict[str, object] = {"lapses": 0, "leech": 0, "suspended": 0, "flagged": 0,
                                     "buried_until": None, "new_rank": 0}
_QUESTION_SAFE: dict[str, object] = {
    "sources": "[]", "tags": "[]", "blocks": "[]", "kind": "concept", "origin": "sourced",
    "difficulty": 2, "line": 0,
}


def _apply(connection: sqlite3.Connection, finding: Finding, now: datetime,
           present: dict[str, set[str]]) -> None:
    stamp = _stored_now(now)
    key = finding.row
    if finding.repair == RESET_CARD:
        _update(connection, "cards", _card_key(finding), {**_NEW_CARD, "due": stamp})
    elif finding.repair == CARD_DUE_NOW:
        _update(connection, "cards", _card_key(finding), {"due": stamp})
    elif finding.repair == CARD_DEFAULT and finding.field:
        _update(connection, "cards", _card_key(finding),
                {finding.field: _CARD_DEFAULTS[finding.field]})
    elif finding.repair == QUESTION_REFRESH and finding.field:
        _refresh_question(connection, key, finding.field, stamp)
    elif finding.repair == LEARNER_FIELD and finding.field:
        value = stamp if finding.field == "created_at" else ""
        _update(connection, "learners", {"id": key}, {finding.field: value})
    elif finding.repair == DROP_SETTING:
        connection.execute("DELETE FROM settings WHERE key = ?", (key,))
    elif finding.repair == DELETE_ORPHAN_CARD:
        _delete_unreviewed_card(connection, _card_key(finding))
    elif finding.repair == ADD_CARD:
        card = {**_card_key(finding), **_NEW_CARD, "due": stamp, **_CARD_DEFAULTS,
                "new_rank": _new_rank(connection, key)}
        card = {name: value for name, value in card.items() if name in present["cards"]}
        names = ", ".join(f'"{name}"' for name in card)
        marks = ", ".join("?" for _ in card)
        connection.execute(f"INSERT INTO cards ({names}) VALUES ({marks})", tuple(card.values()))


def _new_rank(connection: sqlite3.Connection, question: object) -> int:
    """The question's place in the new-card order, as the other learners' cards have it."""
    found = connection.execute("SELECT min(new_rank) FROM cards WHERE question_id = ? "
                               "AND typeof(new_rank) = 'integer'", (question,)).fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def _card_key(finding: Finding) -> dict[str, object]:
    """The card's primary key: its learner and its question (its question alone in a database
    from before learners, whose findings name no learner)."""
    if finding.learner is None:
        return {"question_id": finding.row}
    return {LEARNER_KEY: finding.learner, "question_id": finding.row}


def _delete_unreviewed_card(connection: sqlite3.Connection, key: Mapping[str, object]) -> None:
    """Delete the card unless its learner has rated it (checked again inside the repair)."""
    where = " AND ".join(f'"{name}" = ?' for name in key)
    mine = " AND ".join(f'r."{name}" = cards."{name}"' for name in key)
    connection.execute(f"DELETE FROM cards WHERE {where} AND NOT EXISTS "
                       f"(SELECT 1 FROM reviews r WHERE {mine})", tuple(key.values()))


def _update(connection: sqlite3.Connection, table: str, key: Mapping[str, object],
            values: Mapping[str, object]) -> None:
    assignments = ", ".join(f'"{name}" = ?' for name in values)
    where = " AND ".join(f'"{name}" = ?' for name in key)
    connection.execute(f'UPDATE "{table}" SET {assignments} WHERE {where}',
                       (*values.values(), *key.values()))


def _refresh_question(connection: sqlite3.Connection, key: object, column: str,
                      stamp: str) -> None:
    if column in _QUESTION_SAFE:
        value: object = _QUESTION_SAFE[column]
        connection.execute(f'UPDATE questions SET "{column}" = ? WHERE id = ?', (value, key))
    elif column in {"created_at", "updated_at", "retired_at"}:
        # A damaged retirement time stays a retirement: the next import revives the question
        # if it is still in the bank.
        connection.execute(f'UPDATE questions SET "{column}" = ? WHERE id = ?', (stamp, key))
    else:
        connection.execute(f'UPDATE questions SET "{column}" = '
                           f'COALESCE(CAST("{column}" AS TEXT), \'\') WHERE id = ?', (key,))
    # An empty hash never matches the bank's, so the next import rewrites every field.
    connection.execute("UPDATE questions SET content_hash = '' WHERE id = ?", (key,))
