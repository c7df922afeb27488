"""Browse and search: filters, ranking and paging done in SQL.

A word that looks like a source ID (`004#3`, `000#2.4`, `001#Q7`) matches exactly that ID in a
question's sources — never a longer one such as `004#36`. Other words match id, title, deck,
tags and answer; hits in the id and title rank first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from quiz.store.days import require_utc
from quiz.store.db import Database
from quiz.store.items import StudyItem, to_item
from quiz.store.models import CardRow, QuestionRow

SOURCE_ID = re.compile(r"^\d{3}#[A-Za-z0-9.]+$")
PAGE = 200


class CardFilter(str, Enum):
    ALL = "all"
    NEW = "new"
    LEARNING = "learning"
    REVIEW = "review"
    DUE = "due"
    SUSPENDED = "suspended"
    BURIED = "buried"
    FLAGGED = "flagged"
    LEECH = "leech"


FILTER_LABELS = {
    CardFilter.ALL: "全部 all", CardFilter.NEW: "新卡 new", CardFilter.LEARNING: "学习中 learning",
    CardFilter.REVIEW: "复习 review", CardFilter.DUE: "到期 due",
    CardFilter.SUSPENDED: "暂停 suspended", CardFilter.BURIED: "搁置 buried",
    CardFilter.FLAGGED: "标记 flagged", CardFilter.LEECH: "难记 leech",
}


@dataclass(frozen=True)
class SearchResult:
    items: list[StudyItem]
    total: int  # matches in all, of which `items` is one page


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(column: ColumnElement[str] | InstrumentedAttribute[str],
          word: str) -> ColumnElement[bool]:
    return column.ilike(f"%{_escape_like(word)}%", escape="\\")


def _text(column: InstrumentedAttribute[list[str]]) -> ColumnElement[str]:
    return func.cast(column, QuestionRow.answer.type)


def _word_matches(word: str) -> tuple[ColumnElement[bool], ColumnElement[int]]:
    """Whether a question matches one word, and how well (for ranking)."""
    if SOURCE_ID.match(word):
        # JSON keeps each ID quoted, so the quotes make the match exact.
        exact = _like(_text(QuestionRow.sources), f'"{word}"')
        return exact, case((exact, 3), else_=0)
    in_id = _like(QuestionRow.id, word)
    in_title = _like(QuestionRow.title, word)
    in_tags = or_(_like(QuestionRow.deck, word), _like(_text(QuestionRow.tags), word))
    in_answer = _like(QuestionRow.answer, word)
    score = (case((in_id, 4), else_=0) + case((in_title, 3), else_=0)
             + case((in_tags, 2), else_=0) + case((in_answer, 1), else_=0))
    return or_(in_id, in_title, in_tags, in_answer), score


def _filter(card_filter: CardFilter, now: datetime) -> ColumnElement[bool] | None:
    seen = CardRow.last_review.is_not(None)
    return {
        CardFilter.ALL: None,
        CardFilter.NEW: CardRow.last_review.is_(None),
        CardFilter.LEARNING: and_(seen, CardRow.state.in_((1, 3))),
        CardFilter.REVIEW: and_(seen, CardRow.state == 2),
        CardFilter.DUE: and_(seen, CardRow.due <= now, CardRow.suspended.is_(False)),
        CardFilter.SUSPENDED: CardRow.suspended.is_(True),
        CardFilter.BURIED: and_(CardRow.buried_until.is_not(None), CardRow.buried_until > now),
        CardFilter.FLAGGED: CardRow.flagged.is_(True),
        CardFilter.LEECH: CardRow.leech.is_(True),
    }[card_filter]


def search(
    db: Database, query: str = "", now: datetime | None = None, *, deck: str | None = None,
    card_filter: CardFilter = CardFilter.ALL, include_retired: bool = False,
    limit: int | None = PAGE, offset: int = 0,
) -> SearchResult:
    """Questions matching every word of `query`, best first (then in bank order)."""
    moment = require_utc(now) if now is not None else datetime.now().astimezone()
    conditions: list[ColumnElement[bool]] = []
    scores: list[ColumnElement[int]] = []
    for word in query.split():
        matches, score = _word_matches(word)
        conditions.append(matches)
        scores.append(score)
    if not include_retired:
        conditions.append(QuestionRow.retired_at.is_(None))
    if deck:
        conditions.append(QuestionRow.deck == deck)
    state = _filter(card_filter, moment)
    if state is not None:
        conditions.append(state)
    # Each question has one card per learner: the join is to this learner's.
    mine = and_(CardRow.question_id == QuestionRow.id, CardRow.learner_id == db.learner_id)
    joined = select(QuestionRow, CardRow).join(CardRow, mine)
    ordering: list[ColumnElement[Any] | InstrumentedAttribute[Any]] = [
        QuestionRow.file, QuestionRow.line]
    if scores:
        total_score = scores[0]
        for score in scores[1:]:
            total_score = total_score + score
        ordering.insert(0, total_score.desc())
    statement = joined.where(*conditions).order_by(*ordering).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    counting = select(func.count()).select_from(QuestionRow)
    if state is not None:  # every question has its card: join only to filter on it
        counting = counting.join(CardRow, mine)
    counting = counting.where(*conditions)
    with db.sessions.begin() as session:
        rows = session.execute(statement).all()
        total = session.scalar(counting) or 0
    return SearchResult(items=[to_item(q, c, moment) for q, c in rows], total=total)


def decks(db: Database) -> list[str]:
    with db.sessions.begin() as session:
        return list(session.scalars(
            select(QuestionRow.deck).where(QuestionRow.retired_at.is_(None))
            .group_by(QuestionRow.deck).order_by(func.min(QuestionRow.file))
        ))


def question_location(db: Database, question_id: str) -> tuple[str, int] | None:
    """The file (absolute, as synced) and line of a question, for opening it in an editor."""
    with db.sessions.begin() as session:
        row = session.execute(select(QuestionRow.file, QuestionRow.line)
                              .where(QuestionRow.id == question_id)).first()
    return None if row is None else (row[0], row[1])
