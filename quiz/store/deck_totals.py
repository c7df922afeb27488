"""Per-deck totals and each card's copy of its question's deck, kept by SQLite triggers, so that
home's figures and `quiz due` read a few dozen rows and index ranges instead of every card with
its question (about 100 ms at 100,000 questions; a few ms with these).

Derived data, like an index and like `quiz.store.log_totals`: none of it is one of the models
(the history export leaves it out), SQLite alone has it (other databases count through joins),
and when any of it is missing it is rebuilt from the tables in the setup transaction.

- `deck_totals`, one row per (deck, kind): the live questions, their cards, and their unseen
  cards that are not suspended. (Being buried ends at a time, so buried cards are subtracted
  when counting: they are few, and found from their own index.)
- `cards.deck` and `cards.live`: the card's question's deck and whether it is not retired, so
  that the due cards of a deck are one range of `ix_cards_deck_due`.

Triggers keep all of it equal to a recount whatever writes the tables (a sync, an undo, `quiz
doctor --fix`, an older quiz). A sync that inserts many questions at once drops the triggers
(`suspend`) and rebuilds everything when it ends (`rebuild`, 0.5 s at 100,000 questions): a
trigger per row would cost three times as much.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from quiz.store import log_totals

if TYPE_CHECKING:
    from sqlalchemy import Connection

TABLE = "deck_totals"
CARD_COLUMNS = {"deck": "VARCHAR(200) NOT NULL DEFAULT ''", "live": "BOOLEAN NOT NULL DEFAULT 1"}
INDEXES = {
    # Per deck, the studied cards by state and due date, with what decides whether they are
    # available: the due cards of a deck are counted from this index alone (last_review too,
    # or SQLite reads each row to test the index's own condition).
    "ix_cards_deck_due": "CREATE INDEX IF NOT EXISTS ix_cards_deck_due ON cards "
                         "(deck, live, state, due, suspended, buried_until, last_review) "
                         "WHERE last_review IS NOT NULL",
}
TRIGGERS = ("deck_totals_question_insert", "deck_totals_question_delete",
            "deck_totals_question_update", "deck_totals_card_copy", "deck_totals_card_insert",
            "deck_totals_card_delete", "deck_totals_card_update")
OBJECTS = (TABLE, *INDEXES, *TRIGGERS)

CREATE_TABLE = f"""CREATE TABLE {TABLE} (
    deck VARCHAR(200) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    questions INTEGER NOT NULL DEFAULT 0,
    cards INTEGER NOT NULL DEFAULT 0,
    unseen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (deck, kind)
) WITHOUT ROWID"""

# A card that counts as unseen: never reviewed and not suspended.
_UNSEEN = "({c}.last_review IS NULL AND {c}.suspended IS 0)"

# A question's share of its (deck, kind) row, added with sign +1 or -1 (nothing when retired).
_SHARE = f"""INSERT INTO {TABLE} (deck, kind, questions, cards, unseen)
    SELECT {{q}}.deck, {{q}}.kind, {{sign}},
        {{sign}} * (SELECT count(*) FROM cards c WHERE c.question_id = {{q}}.id),
        {{sign}} * (SELECT count(*) FROM cards c WHERE c.question_id = {{q}}.id
                    AND {_UNSEEN.format(c="c")})
    WHERE {{q}}.retired_at IS NULL
    ON CONFLICT (deck, kind) DO UPDATE SET questions = questions + excluded.questions,
        cards = cards + excluded.cards, unseen = unseen + excluded.unseen;"""

# The card of a question, copying its deck and whether it is live.
_COPY_TO_CARD = """UPDATE cards SET deck = {q}.deck, live = ({q}.retired_at IS NULL)
    WHERE question_id = {q}.id
    AND (deck IS NOT {q}.deck OR live IS NOT ({q}.retired_at IS NULL));"""

# The (deck, kind) row of a card's question, when the question is live.
_ROW_OF = ("(deck, kind) = (SELECT q.deck, q.kind FROM questions q "
           "WHERE q.id = {card} AND q.retired_at IS NULL)")
_QUESTION = "(SELECT {value} FROM questions q WHERE q.id = NEW.question_id)"

CREATE_TRIGGERS = (
    f"""CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON questions BEGIN
    {_SHARE.format(q="NEW", sign=1)}
    {_COPY_TO_CARD.format(q="NEW")}
END""",
    f"""CREATE TRIGGER {TRIGGERS[1]} AFTER DELETE ON questions BEGIN
    {_SHARE.format(q="OLD", sign=-1)}
END""",
    f"""CREATE TRIGGER {TRIGGERS[2]} AFTER UPDATE OF deck, kind, retired_at ON questions
WHEN OLD.deck IS NOT NEW.deck OR OLD.kind IS NOT NEW.kind
    OR (OLD.retired_at IS NULL) IS NOT (NEW.retired_at IS NULL)
BEGIN
    {_SHARE.format(q="OLD", sign=-1)}
    {_SHARE.format(q="NEW", sign=1)}
    {_COPY_TO_CARD.format(q="NEW")}
    UPDATE {log_totals.TABLE} SET deck = NEW.deck
    WHERE question_id = NEW.id AND deck IS NOT NEW.deck;
END""",
    # A card inserted without the copy (an ORM insert knows nothing of it) gets it here; a card
    # without a question is not live.
    f"""CREATE TRIGGER {TRIGGERS[3]} AFTER INSERT ON cards
WHEN NEW.deck IS NOT COALESCE({_QUESTION.format(value="q.deck")}, '')
    OR NEW.live IS NOT COALESCE({_QUESTION.format(value="q.retired_at IS NULL")}, 0)
BEGIN
    UPDATE cards SET deck = COALESCE({_QUESTION.format(value="q.deck")}, ''),
        live = COALESCE({_QUESTION.format(value="q.retired_at IS NULL")}, 0)
    WHERE question_id = NEW.question_id;
END""",
    f"""CREATE TRIGGER {TRIGGERS[4]} AFTER INSERT ON cards BEGIN
    UPDATE {TABLE} SET cards = cards + 1, unseen = unseen + {_UNSEEN.format(c="NEW")}
    WHERE {_ROW_OF.format(card="NEW.question_id")};
END""",
    f"""CREATE TRIGGER {TRIGGERS[5]} AFTER DELETE ON cards BEGIN
    UPDATE {TABLE} SET cards = cards - 1, unseen = unseen - {_UNSEEN.format(c="OLD")}
    WHERE {_ROW_OF.format(card="OLD.question_id")};
END""",
    f"""CREATE TRIGGER {TRIGGERS[6]} AFTER UPDATE OF last_review, suspended ON cards
WHEN {_UNSEEN.format(c="OLD")} IS NOT {_UNSEEN.format(c="NEW")}
BEGIN
    UPDATE {TABLE} SET unseen = unseen + {_UNSEEN.format(c="NEW")} - {_UNSEEN.format(c="OLD")}
    WHERE {_ROW_OF.format(card="NEW.question_id")};
END""",
)

FILL_CARDS = """UPDATE cards SET deck = q.deck, live = (q.retired_at IS NULL) FROM questions q
WHERE q.id = cards.question_id
AND (cards.deck IS NOT q.deck OR cards.live IS NOT (q.retired_at IS NULL))"""
# Cards whose question is missing (a damaged database) count nowhere.
FILL_ORPHAN_CARDS = """UPDATE cards SET live = 0
WHERE live IS NOT 0 AND NOT EXISTS (SELECT 1 FROM questions q WHERE q.id = cards.question_id)"""
FILL_TABLE = f"""INSERT INTO {TABLE} (deck, kind, questions, cards, unseen)
SELECT q.deck, q.kind, count(*), count(c.question_id),
    count(CASE WHEN {_UNSEEN.format(c="c")} THEN 1 END)
FROM questions q LEFT JOIN cards c ON c.question_id = q.id
WHERE q.retired_at IS NULL
GROUP BY q.deck, q.kind"""


def _card_columns(connection: Connection) -> set[str]:
    return {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(cards)")}


def add_card_columns(connection: Connection) -> None:
    """The copies on the cards table, added when missing (before the indexes that name them)."""
    present = _card_columns(connection)
    for name, declaration in CARD_COLUMNS.items():
        if name not in present:
            connection.exec_driver_sql(f"ALTER TABLE cards ADD COLUMN {name} {declaration}")


def suspend(connection: Connection) -> None:
    """Drop the triggers for a bulk write inside the caller's transaction; `rebuild` must follow
    in the same transaction."""
    _drop_triggers(connection)


def _drop_triggers(connection: Connection) -> None:
    for name in TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def rebuild(connection: Connection) -> None:
    """Recompute the totals and the cards' copies from the tables, and (re)create the triggers,
    inside the caller's transaction (so no write can slip between the fill and the triggers)."""
    _drop_triggers(connection)
    add_card_columns(connection)
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
    connection.exec_driver_sql(CREATE_TABLE)
    connection.exec_driver_sql(FILL_CARDS)
    connection.exec_driver_sql(FILL_ORPHAN_CARDS)
    # The copy in the per-card log totals (filled from the questions when they are rebuilt).
    connection.exec_driver_sql(
        f"UPDATE {log_totals.TABLE} SET deck = q.deck FROM questions q "
        f"WHERE q.id = {log_totals.TABLE}.question_id AND {log_totals.TABLE}.deck IS NOT q.deck")
    connection.exec_driver_sql(FILL_TABLE)
    for index in INDEXES.values():
        connection.exec_driver_sql(index)
    for trigger in CREATE_TRIGGERS:
        connection.exec_driver_sql(trigger)


def ensure(connection: Connection, objects: Iterable[str]) -> None:
    """Rebuild unless the table, its index and every trigger are there (`objects`: the names in
    sqlite_master)."""
    if not set(OBJECTS) <= set(objects):
        rebuild(connection)
