"""Bringing the database in line with a bank: add, update in place, retire — never delete."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from quiz.bank.model import Question
from quiz.store.db import Database
from quiz.store.models import CardRow, QuestionRow
from quiz.store.queue import ranks_current, refresh_new_ranks
from quiz.store.scheduling import new_card_state, require_utc
from quiz.store.settings import load_settings


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.retired or self.revived)

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, changed {len(self.changed)}, retired {len(self.retired)}, "
            f"revived {len(self.revived)}, unchanged {self.unchanged}"
        )


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


# Only what deciding needs is read back: whole rows (answers, blocks) of a large bank would be
# most of the time and memory of a sync that changes nothing.
_Known = tuple[str, str, str, datetime | None, str, int]  # id, hash, bank, retired_at, file, line
CHUNK = 500  # ids per IN (…) list: under every database's limit on bound parameters


def _known_rows(session: Session, bank: str, ids: Sequence[str]) -> dict[str, _Known]:
    """The rows of `bank`, and rows of other banks whose id the bank now uses."""
    columns = (QuestionRow.id, QuestionRow.content_hash, QuestionRow.bank, QuestionRow.retired_at,
               QuestionRow.file, QuestionRow.line)
    known: dict[str, _Known] = {
        row[0]: row for row in session.execute(select(*columns).where(QuestionRow.bank == bank))
    }
    elsewhere = [question_id for question_id in ids if question_id not in known]
    for start in range(0, len(elsewhere), CHUNK):
        chunk = elsewhere[start:start + CHUNK]
        known.update((row[0], row) for row in session.execute(
            select(*columns).where(QuestionRow.id.in_(chunk))))
    return known


def sync_bank(db: Database, questions: Sequence[Question], bank: str, now: datetime) -> SyncReport:
    """One transaction: a failure leaves the database as it was.

    `bank` names where the questions come from; only questions of that bank are retired when they
    are missing, so importing a second bank does not retire the first. New rows are inserted and
    changed ones updated in bulk; a sync that changes nothing writes nothing.
    """
    now = require_utc(now)
    report = SyncReport()
    settings = load_settings(db)
    wanted = {question.id: question for question in questions}
    # The write lock first: two imports at once run one after the other, and the second sees
    # the first one's rows instead of inserting them again.
    with db.write() as session:
        known = _known_rows(session, bank, list(wanted))
        new_rows: list[Question] = []
        updates: list[dict[str, object]] = []
        for question_id, question in wanted.items():
            row = known.get(question_id)
            if row is None:
                new_rows.append(question)
                report.added.append(question_id)
                continue
            values = _changes(row, question, bank, now, report)
            if values:
                updates.append({"id": question_id, **values})
        retired = [row[0] for row in known.values()
                   if row[2] == bank and row[0] not in wanted and row[3] is None]
        report.retired.extend(retired)
        _insert_new(session, new_rows, bank, now)
        _bulk_update(session, updates)
        for start in range(0, len(retired), CHUNK):
            session.execute(update(QuestionRow)
                            .where(QuestionRow.id.in_(retired[start:start + CHUNK]))
                            .values(retired_at=now))
        # Bank order or membership changed, the order setting changed, or ranks were never
        # computed (a migrated database).
        if new_rows or updates or retired or not ranks_current(session, settings):
            refresh_new_ranks(session, settings)
    return report


# Rows built and inserted at a time: a first import of a large bank holds the parameters of one
# chunk, not of every question.
INSERT_CHUNK = 2000


def _insert_new(session: Session, questions: Sequence[Question], bank: str,
                now: datetime) -> None:
    card = new_card_state(now)
    for start in range(0, len(questions), INSERT_CHUNK):
        chunk = questions[start:start + INSERT_CHUNK]
        session.execute(insert(QuestionRow), [_new_values(q, bank, now) for q in chunk])
        session.execute(insert(CardRow), [
            {"question_id": q.id, "state": card.state, "step": card.step,
             "stability": card.stability, "difficulty": card.difficulty, "due": card.due,
             "last_review": card.last_review}
            for q in chunk
        ])


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


def _bulk_update(session: Session, updates: list[dict[str, object]]) -> None:
    """UPDATE … WHERE id = ? as executemany, one batch per set of changed columns."""
    batches: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for values in updates:
        batches.setdefault(tuple(sorted(values)), []).append(values)
    for batch in batches.values():
        session.execute(update(QuestionRow), batch)
