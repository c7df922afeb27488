"""Each card's place in the new-card order, stored so that the next new card is one indexed query.

Recomputed when the bank's order or membership changes or the order setting does. At 100,000
questions this reads every live question, so it reads only the columns the order needs, shares
the repeated strings (files, decks) and writes only the ranks that moved, a chunk at a time.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.store.bulk import driver_select, insert_rows, update_rows
from quiz.store.db import Database
from quiz.store.models import CardRow, QuestionRow, SettingRow
from quiz.store.ordering import NewCard, order_new_cards
from quiz.store.settings import Settings
from quiz.store.tables import LEARNERS

RANKS_KEY = "new_ranks_order"  # the new-card order the stored ranks were computed in
WRITE_CHUNK = 5000


def _live_cards(session: Session) -> Iterator[NewCard]:
    shared: dict[str, str] = {}  # one string object per distinct file or deck
    # The driver's plain tuples: SQLAlchemy's row objects and JSON processing were two thirds of
    # the time at 100,000 questions (sources are decoded below, damaged ones tolerated).
    rows = driver_select(session, select(
        QuestionRow.id, QuestionRow.deck, QuestionRow.kind, QuestionRow.sources, QuestionRow.file,
        QuestionRow.line).where(QuestionRow.retired_at.is_(None)))
    for question_id, deck, kind, sources, file, line in rows:
        yield NewCard(id=question_id, deck=shared.setdefault(deck, deck),
                      kind=shared.setdefault(kind, kind), sources=_sources(sources),
                      position=(shared.setdefault(file, file), line))


def _sources(value: object) -> frozenset[str]:
    # A damaged row (sources not a JSON list) orders like a question without sources.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return frozenset()
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


def refresh_new_ranks(session: Session, settings: Settings, seed: int = 0,
                      new_cards: Collection[str] = (),
                      new_card: Mapping[str, object] | None = None) -> None:
    """Store each card's place in the new-card order (within the caller's transaction).

    `new_cards` are questions just added whose cards do not exist yet: they are inserted here,
    with `new_card`'s values and their rank (a first import of 100,000 questions otherwise
    inserted each card and then updated it again)."""
    order = order_new_cards(list(_live_cards(session)), settings.new_order, seed)
    # Every learner's cards share the order: a rank is written to the question's cards of all
    # of them, and is stale when any of them has another.
    current: dict[str, int | None] = {}
    for question_id, rank in session.connection().execute(
            select(CardRow.question_id, CardRow.new_rank).distinct()):
        current[question_id] = rank if current.get(question_id, rank) == rank else None
    changed = [(question_id, rank) for rank, question_id in enumerate(order)
               if question_id not in new_cards and current.get(question_id) != rank]
    del current
    for start in range(0, len(changed), WRITE_CHUNK):
        update_rows(session, CardRow, "question_id",
                    [{"question_id": question_id, "new_rank": rank}
                     for question_id, rank in changed[start:start + WRITE_CHUNK]])
    if new_cards:
        ranks = {question_id: rank for rank, question_id in enumerate(order)
                 if question_id in new_cards}
        fresh = sorted(new_cards, key=lambda question_id: ranks.get(question_id, len(order)))
        learners = list(session.connection().scalars(select(LEARNERS.c.id)))
        for start in range(0, len(fresh), WRITE_CHUNK):
            insert_rows(session, CardRow, [
                {**(new_card or {}), "learner_id": learner, "question_id": question_id,
                 "new_rank": ranks.get(question_id)}
                for question_id in fresh[start:start + WRITE_CHUNK] for learner in learners])
    marker = session.get(SettingRow, RANKS_KEY)
    if marker is None:
        session.add(SettingRow(key=RANKS_KEY, value=settings.new_order.value))
    elif marker.value != settings.new_order.value:
        marker.value = settings.new_order.value


def ranks_current(session: Session, settings: Settings) -> bool:
    """The stored ranks were computed in the chosen order (False on a database whose ranks were
    never computed, e.g. a migrated one), so a sync that changes nothing can leave them."""
    marker = session.get(SettingRow, RANKS_KEY)
    return marker is not None and marker.value == settings.new_order.value


def reorder_new_cards(db: Database, settings: Settings) -> None:
    """Apply a changed new-card order setting."""
    with db.write() as session:
        refresh_new_ranks(session, settings)
