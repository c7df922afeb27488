"""Bringing the database in line with a bank: add, update in place, retire — never delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from quiz.bank.model import Question
from quiz.store.db import Database
from quiz.store.models import CardRow, QuestionRow
from quiz.store.queue import refresh_new_ranks
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
    return str(Path(question.file).resolve())


def _new_row(question: Question, bank: str, now: datetime) -> QuestionRow:
    row = QuestionRow(
        id=question.id, bank=bank, file=stored_path(question), line=question.line,
        created_at=now, updated_at=now, retired_at=None, **_content(question),
    )
    card = new_card_state(now)
    row.card = CardRow(
        state=card.state, step=card.step, stability=card.stability,
        difficulty=card.difficulty, due=card.due, last_review=card.last_review,
    )
    return row


def sync_bank(db: Database, questions: Sequence[Question], bank: str, now: datetime) -> SyncReport:
    """One transaction: a failure leaves the database as it was.

    `bank` names where the questions come from; only questions of that bank are retired when they
    are missing, so importing a second bank does not retire the first.
    """
    now = require_utc(now)
    report = SyncReport()
    settings = load_settings(db)
    wanted = {question.id: question for question in questions}
    with db.sessions.begin() as session:
        existing = {row.id: row for row in session.scalars(select(QuestionRow))}
        for question_id, question in wanted.items():
            row = existing.get(question_id)
            if row is None:
                session.add(_new_row(question, bank, now))
                report.added.append(question_id)
                continue
            _update_row(row, question, bank, now, report)
        for row in existing.values():
            if row.bank == bank and row.id not in wanted and row.retired_at is None:
                row.retired_at = now
                report.retired.append(row.id)
        # Always: a migrated database or a changed order setting needs the ranks too; only
        # changed ranks are written.
        session.flush()
        refresh_new_ranks(session, settings)
    return report


def _update_row(row: QuestionRow, question: Question, bank: str, now: datetime,
                report: SyncReport) -> None:
    # Position and owning bank may move freely; only content changes count as an edit.
    row.file, row.line, row.bank = stored_path(question), question.line, bank
    if row.retired_at is not None:
        row.retired_at = None
        report.revived.append(row.id)
    if row.content_hash != question.content_hash:
        for key, value in _content(question).items():
            setattr(row, key, value)
        row.updated_at = now
        report.changed.append(row.id)
    elif row.id not in report.revived:
        report.unchanged += 1
