"""Bringing the database in line with a bank: add, update in place, retire — never delete."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import cast

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from quiz.bank.model import Question
from quiz.bank.parser import BankFile, IdRegistry, empty_bank, read_bank
from quiz.store import derived
from quiz.store.bulk import driver_select, insert_rows, update_rows
from quiz.store.days import require_utc
from quiz.store.db import Database, refresh_statistics_after_sync
from quiz.store.models import QuestionRow, SettingRow
from quiz.store.ranks import ranks_current, refresh_new_ranks
from quiz.store.scheduling import new_card_state
from quiz.store.settings import Settings, load_settings
from quiz.store.tables import DEFAULT_LEARNER_ID


def _content(question: Question) -> dict[str, object]:
    return {
        "title": question.title,
        "answer": question.answer,
        "sources": list(question.sources),
        "tags": list(question.tags),
        "kind": question.kind.value,
        "origin": question.origin.value,
        "difficulty": question.difficulty,
        "topic": question.topic,
        "deck": question.tags[0] if question.tags else question.topic,
        "blocks": [[b.info, b.content, b.line] for b in question.blocks],
        "content_hash": question.content_hash,
    }


def stored_path(question: Question) -> str:
    """Where the question's file is, independent of the working directory the bank was loaded
    from (so syncing from another folder neither rewrites rows nor reorders new cards)."""
    return _resolved(os.getcwd(), question.file)


@lru_cache(maxsize=4096)
def _resolved(cwd: str, file: str) -> str:
    # Once per file, not per question: resolving walks the file system.
    return str(Path(cwd, file).resolve())


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    unchanged: int = 0
    questions: int = 0  # in the bank as synced

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.retired or self.revived)

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, changed {len(self.changed)}, retired {len(self.retired)}, "
            f"revived {len(self.revived)}, unchanged {self.unchanged}"
        )


# Only what deciding needs is read back: whole rows (answers, blocks) of a large bank would be
# most of the time and memory of a sync that changes nothing.
_Known = tuple[str, str, str, datetime | None, str, int]  # id, hash, bank, retired_at, file, line
CHUNK = 500  # ids per IN (…) list: under every database's limit on bound parameters


def _known_rows(session: Session, bank: str) -> dict[str, _Known]:
    """The rows of `bank` (rows of other banks are looked up as their ids turn up)."""
    # Driver tuples: `retired_at` is only tested for None, so it need not become a datetime.
    rows = driver_select(session, select(*_KNOWN_COLUMNS).where(QuestionRow.bank == bank))
    for row in rows:
        _check_retired_at(row)
    return {row[0]: cast(_Known, row) for row in rows}


def _check_retired_at(row: tuple[object, ...]) -> None:
    """A damaged `retired_at` stops the sync as reading it through the ORM would (the CLI then
    names the row), instead of being taken for a retirement and silently revived."""
    value = row[3]
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"questions.retired_at of {row[0]!r} is not a date: "
                             f"{value!r}") from None


# All in the index ix_questions_sync: a re-import reads the index, not the wide rows.
_KNOWN_COLUMNS = (QuestionRow.id, QuestionRow.content_hash, QuestionRow.bank,
                  QuestionRow.retired_at, QuestionRow.file, QuestionRow.line)


def sync_bank(db: Database, questions: Sequence[Question], bank: str, now: datetime) -> SyncReport:
    """Bring the database in line with `questions`, the whole of `bank`, in one transaction: a
    failure leaves the database as it was.

    `bank` names where the questions come from; only questions of that bank are retired when they
    are missing, so importing a second bank does not retire the first. New rows are inserted and
    changed ones updated in bulk; a sync that changes nothing writes nothing.
    """
    unique = list({question.id: question for question in questions}.values())
    return _run(db, bank, now, lambda sync: sync.add(unique), file_digests=False)


def import_bank(db: Database, directory: Path, bank: str, now: datetime) -> SyncReport:
    """`sync_bank` of a bank folder, read and written file by file: memory holds one file's
    questions, not the bank's, and a file whose bytes are unchanged since the last import of
    `bank` is not parsed again (its stored digest and question count vouch for its rows).
    Raises BankError (and writes nothing) for a bad file, a duplicate id or an empty bank."""

    # Parsed in this process: a worker process parsing ahead was timed side by side (50,000
    # questions: 0.92x the wall time, within the runs' spread, for 1.19x the CPU; the bundled
    # bank: slower) and removed with the processes it could leave behind.
    def read_files(sync: _Sync) -> None:
        for file in read_bank(directory):
            if not sync.skip_unchanged(file):
                sync.add(file.questions(), file)
        if not sync.wanted:
            raise empty_bank(directory)

    return _run(db, bank, now, read_files, file_digests=True)


def _run(db: Database, bank: str, now: datetime, feed: Callable[[_Sync], None],
         file_digests: bool) -> SyncReport:
    now = require_utc(now)
    settings = load_settings(db)
    # The write lock first: two imports at once run one after the other, and the second sees
    # the first one's rows instead of inserting them again (SQLite: BEGIN IMMEDIATE; PostgreSQL:
    # the syncs' advisory lock, held to the end of the transaction).
    with db.write() as session:
        if not db.is_sqlite:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK})
        sync = _Sync(session, bank, now)
        feed(sync)
        sync.finish(settings, file_digests)
    return sync.report


class _Sync:
    """One sync in progress: questions arrive in batches (a file at a time) and are inserted or
    updated in chunks; what was never seen is retired at the end."""

    def __init__(self, session: Session, bank: str, now: datetime) -> None:
        self.session, self.bank, self.now = session, bank, now
        self.report = SyncReport()
        self.known = _known_rows(session, bank)
        self.wanted: set[str] = set()
        self.ids = IdRegistry()
        self.recorded = _recorded_files(session, bank)
        self.digests: dict[str, tuple[str, int]] = {}
        self._new: list[Question] = []
        self._updates: list[dict[str, object]] = []
        # The new-card order's inputs changed: a file's questions in another order, a changed
        # deck, kind or sources (membership is in the report).
        self._ranks_stale = False
        self._live_by_file: dict[str, list[_Known]] = {}
        # The per-deck totals' triggers are dropped for a bulk write and rebuilt at the end.
        self._bulk = False
        for row in self.known.values():
            if row[3] is None:
                self._live_by_file.setdefault(row[4], []).append(row)

    def skip_unchanged(self, file: BankFile) -> bool:
        """Take a file's rows as they are when its bytes match the last import's and all of its
        questions are still live rows of this bank at that file."""
        stored = _resolved(os.getcwd(), file.name)
        digest = file.digest
        rows = self._live_by_file.get(stored, [])
        if self.recorded.get(stored) != (digest, len(rows)) or not rows:
            self.digests[stored] = (digest, -1)  # the count is known once parsed
            return False
        for row in rows:
            self.ids.add(row[0], file.name, row[5])
            self.wanted.add(row[0])
        self.report.unchanged += len(rows)
        self.digests[stored] = (digest, len(rows))
        return True

    def add(self, questions: Sequence[Question], file: BankFile | None = None) -> None:
        self._look_up_elsewhere([q.id for q in questions if q.id not in self.known])
        edited: list[Question] = []
        for question in questions:
            self.ids.add(question.id, question.file, question.line)
            self.wanted.add(question.id)
            row = self.known.get(question.id)
            if row is None:
                self._new.append(question)
                self.report.added.append(question.id)
            else:
                values = _changes(row, question, self.bank, self.now, self.report)
                if values:
                    self._updates.append({"id": question.id, **values})
                    # Without files, any move may reorder; with them the order check is below.
                    self._ranks_stale |= file is None
                    if question.content_hash != row[1]:
                        edited.append(question)
        if file is not None:
            stored = _resolved(os.getcwd(), file.name)
            self.digests[stored] = (self.digests[stored][0], len(questions))
            # Lines that shift but keep their order (an answer grew) leave the ranks as they are.
            before = sorted(self._live_by_file.get(stored, []), key=lambda row: row[5])
            self._ranks_stale |= [row[0] for row in before] != [q.id for q in questions]
        if edited and not self._ranks_stale:  # before the updates are written
            self._ranks_stale = _orders_differently(self.session, edited)
        self._flush(INSERT_CHUNK)

    def _look_up_elsewhere(self, ids: list[str]) -> None:
        # A bank may take over ids another bank used: their rows move to this bank.
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            self.known.update((row[0], row) for row in self.session.execute(
                select(*_KNOWN_COLUMNS).where(QuestionRow.id.in_(chunk))))

    def _flush(self, at_least: int) -> None:
        if len(self._new) >= at_least:
            self._go_bulk_for(len(self._new))
            _insert_new(self.session, self._new, self.bank, self.now)
            self._new = []
        if len(self._updates) >= at_least:
            _bulk_update(self.session, self._updates)
            self._updates = []

    def finish(self, settings: Settings, file_digests: bool) -> None:
        self._flush(1)
        self.report.questions = len(self.wanted)
        retired = [row[0] for row in self.known.values()
                   if row[2] == self.bank and row[0] not in self.wanted and row[3] is None]
        self.report.retired.extend(retired)
        self._go_bulk_for(len(retired))
        for start in range(0, len(retired), CHUNK):
            self.session.execute(update(QuestionRow)
                                 .where(QuestionRow.id.in_(retired[start:start + CHUNK]))
                                 .values(retired_at=self.now))
        _record_files(self.session, self.bank, self.digests if file_digests else {})
        # Bank order or membership changed, the order setting changed, or ranks were never
        # computed (a migrated database).
        membership = self.report.added or self.report.retired or self.report.revived
        if membership or self._ranks_stale or not ranks_current(self.session, settings):
            refresh_new_ranks(self.session, settings, new_cards=set(self.report.added),
                              new_card=_new_card(self.now))
        if self._bulk:
            # A class server's row-level security is put back on the rebuilt totals by the
            # listeners quiz.store.roles registers: make sure they are there.
            import quiz.store.roles  # noqa: F401

            derived.rebuild_decks(self.session.connection())
        if membership:
            refresh_statistics_after_sync(self.session.connection(), self._bulk)

    def _go_bulk_for(self, rows: int) -> None:
        """Before writing `rows` questions: when they are many (a first import), the per-deck
        totals are rebuilt once at the end instead of kept by a trigger per row."""
        connection = self.session.connection()
        if self._bulk or rows < INSERT_CHUNK:
            return
        live = self.session.scalar(
            select(func.coalesce(func.sum(derived.DECK_TOTALS.c.questions), 0))
            .where(derived.DECK_TOTALS.c.learner_id == DEFAULT_LEARNER_ID)) or 0
        if rows * BULK_SHARE >= live:
            derived.suspend_decks(connection)
            self._bulk = True


# The digest and question count of each file of a bank at its last import, stored beside the
# settings (a learner never sees them: `load_settings` reads only the keys it knows).
def _files_key(bank: str) -> str:
    return "bank_files:" + hashlib.sha256(bank.encode()).hexdigest()[:32]


def _recorded_files(session: Session, bank: str) -> dict[str, tuple[str, int]]:
    row = session.get(SettingRow, _files_key(bank))
    value = row.value if row is not None else None
    if not isinstance(value, dict):
        return {}
    return {str(path): (str(entry[0]), int(entry[1])) for path, entry in value.items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int)}


def _record_files(session: Session, bank: str, digests: dict[str, tuple[str, int]]) -> None:
    """Keep what the files were; a sync from questions (not files) forgets it, so the next
    import parses every file again."""
    key = _files_key(bank)
    row = session.get(SettingRow, key)
    value = {path: list(entry) for path, entry in sorted(digests.items())}
    if not value:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(SettingRow(key=key, value=value))
    elif row.value != value:
        row.value = value


# PostgreSQL's advisory lock that syncs of one database take in turn ("QSYN").
SYNC_LOCK = 0x5153594E

# Rows built and inserted at a time: a first import of a large bank holds the parameters of one
# chunk, not of every question.
INSERT_CHUNK = 2000
# Writing at least 1/BULK_SHARE of the live questions at once (and at least INSERT_CHUNK of
# them): rebuilding the per-deck totals costs less than a trigger per row.
BULK_SHARE = 4


def _insert_new(session: Session, questions: Sequence[Question], bank: str,
                now: datetime) -> None:
    """The questions' rows; their cards are inserted with their ranks when the sync ends."""
    for start in range(0, len(questions), INSERT_CHUNK):
        chunk = questions[start:start + INSERT_CHUNK]
        insert_rows(session, QuestionRow, [_new_values(q, bank, now) for q in chunk])


def _new_card(now: datetime) -> dict[str, object]:
    card = new_card_state(now)
    return {"state": card.state, "step": card.step, "stability": card.stability,
            "difficulty": card.difficulty, "due": card.due, "last_review": card.last_review}


def _new_values(question: Question, bank: str, now: datetime) -> dict[str, object]:
    return {"id": question.id, "bank": bank, "file": stored_path(question),
            "line": question.line, "created_at": now, "updated_at": now, "retired_at": None,
            **_content(question)}


def _changes(row: _Known, question: Question, bank: str, now: datetime,
             report: SyncReport) -> dict[str, object]:
    """The columns to write for a known question (none when nothing changed)."""
    question_id, content_hash, old_bank, retired_at, file, line = row
    values: dict[str, object] = {}
    # Position and owning bank may move freely; only content changes count as an edit.
    position = (stored_path(question), question.line, bank)
    if (file, line, old_bank) != position:
        values.update(file=position[0], line=position[1], bank=bank)
    if retired_at is not None:
        values["retired_at"] = None
        report.revived.append(question_id)
    if content_hash != question.content_hash:
        values.update(_content(question), updated_at=now)
        report.changed.append(question_id)
    elif retired_at is None:
        report.unchanged += 1
    return values


def _orders_differently(session: Session, edited: Sequence[Question]) -> bool:
    """Some edited question's deck, kind or sources differ from its stored row's: new-card
    ranks may move. (Read for the edited rows alone, not with every known row.)"""
    wanted = {q.id: (_content(q)["deck"], q.kind.value, list(q.sources)) for q in edited}
    ids = list(wanted)
    for start in range(0, len(ids), CHUNK):
        for question_id, deck, kind, sources in driver_select(session, select(
                QuestionRow.id, QuestionRow.deck, QuestionRow.kind, QuestionRow.sources)
                .where(QuestionRow.id.in_(ids[start:start + CHUNK]))):
            if isinstance(sources, str):
                try:
                    sources = json.loads(sources)
                except ValueError:
                    return True
            if (deck, kind, sources) != wanted[question_id]:
                return True
    return False


def _bulk_update(session: Session, updates: list[dict[str, object]]) -> None:
    """UPDATE … WHERE id = ? as executemany, one batch per set of changed columns."""
    batches: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for values in updates:
        batches.setdefault(tuple(sorted(values)), []).append(values)
    for batch in batches.values():
        update_rows(session, QuestionRow, "id", batch)
