"""Per-card totals of the review log, kept by SQLite triggers as ratings and undos are appended.

The statistics' whole-history figures (total reviews, true retention, accuracy per deck) would
otherwise read every review — a million of them after a year of heavy study. With the totals
they read one row per studied card.

The table is derived data, like an index: it is not one of the models (the history export
leaves it out, and importing a history fills it through the triggers as the reviews go in), and
when it or one of its triggers is missing it is rebuilt from the log in the setup transaction.

What counts is what `quiz.store.queue.effective_reviews` counts: ratings (review or cram) that
no undo row takes back; a rating undone twice is taken back once. "Graded" ratings are reviews
of a card that was in review state (fsrs state 2), the ones true retention measures.
`first_review` is when the card's first counted review (not cram) happened, `last_rating` its
latest counted rating (cram too): the new cards seen today and the cards done today are ranges
of their indexes, not a probe of the log for each of today's reviews. `deck` is the card's
question's deck (kept in step when a question changes deck by `quiz.store.deck_totals`), so the
cards done today per deck are one index range per deck.

`rating_hours` counts the same ratings per UTC hour of `reviewed_at`: the ratings since the start
of the learner's day are a sum over at most 24 rows (and an exact count of the part of an hour a
day start that is not on the hour leaves), not a probe for an undo of each of today's ratings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

TABLE = "card_review_totals"
HOURS = "rating_hours"
TRIGGERS = ("card_review_totals_rating", "card_review_totals_undo")
INDEXES = ("ix_card_review_totals_first", "ix_card_review_totals_deck")
OBJECTS = (TABLE, HOURS, *INDEXES, *TRIGGERS)
# Earlier shapes (without first_review; without deck), dropped when rebuilding.
OBSOLETE_TRIGGERS = ("review_totals_rating", "review_totals_undo")
OBSOLETE_TABLES = ("review_totals",)

_GRADED = "({r}.kind = 'review' AND {r}.state_before IS 2)"
_RECALLED = "COALESCE({r}.rating > 1, 0)"

CREATE_TABLE = f"""CREATE TABLE {TABLE} (
    question_id VARCHAR(120) NOT NULL PRIMARY KEY,
    ratings INTEGER NOT NULL DEFAULT 0,
    recalled INTEGER NOT NULL DEFAULT 0,
    graded INTEGER NOT NULL DEFAULT 0,
    graded_recalled INTEGER NOT NULL DEFAULT 0,
    first_review DATETIME,
    last_rating DATETIME,
    deck VARCHAR(200) NOT NULL DEFAULT ''
) WITHOUT ROWID"""
CREATE_HOURS = f"""CREATE TABLE {HOURS} (
    hour VARCHAR(13) NOT NULL PRIMARY KEY,
    ratings INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID"""
CREATE_INDEXES = (f"CREATE INDEX {INDEXES[0]} ON {TABLE} (first_review)",
                  f"CREATE INDEX {INDEXES[1]} ON {TABLE} (deck, last_rating)")

# 'YYYY-MM-DD HH' of a stored timestamp ('YYYY-MM-DD HH:MM:SS.ffffff').
HOUR_LENGTH = 13
_HOUR = "substr({r}.reviewed_at, 1, 13)"
_DECK_OF = "COALESCE((SELECT q.deck FROM questions q WHERE q.id = {card}), '')"

# The first counted review of a card, from its log (the per-card index), undone ones left out.
_FIRST = """(SELECT min(f.reviewed_at) FROM reviews f WHERE f.question_id = {card}
    AND f.kind = 'review' AND NOT EXISTS (
        SELECT 1 FROM reviews u WHERE u.undoes = f.id AND u.kind = 'undo'))"""
_LAST = """(SELECT max(f.reviewed_at) FROM reviews f WHERE f.question_id = {card}
    AND f.kind IN ('review', 'cram') AND NOT EXISTS (
        SELECT 1 FROM reviews u WHERE u.undoes = f.id AND u.kind = 'undo'))"""

# A rating counts unless an undo row already names it (a history imported out of order).
RATING_TRIGGER = f"""CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON reviews
WHEN NEW.kind IN ('review', 'cram') AND NOT EXISTS (
    SELECT 1 FROM reviews u WHERE u.undoes = NEW.id AND u.kind = 'undo')
BEGIN
    INSERT INTO {TABLE} (question_id, ratings, recalled, graded, graded_recalled, first_review,
                         last_rating, deck)
    VALUES (NEW.question_id, 1, {_RECALLED.format(r="NEW")}, {_GRADED.format(r="NEW")},
            {_GRADED.format(r="NEW")} AND {_RECALLED.format(r="NEW")},
            CASE WHEN NEW.kind = 'review' THEN NEW.reviewed_at END, NEW.reviewed_at,
            {_DECK_OF.format(card="NEW.question_id")})
    ON CONFLICT (question_id) DO UPDATE SET
        deck = excluded.deck,
        ratings = ratings + excluded.ratings, recalled = recalled + excluded.recalled,
        graded = graded + excluded.graded,
        graded_recalled = graded_recalled + excluded.graded_recalled,
        first_review = CASE
            WHEN excluded.first_review IS NULL THEN first_review
            WHEN first_review IS NULL OR excluded.first_review < first_review
                THEN excluded.first_review
            ELSE first_review END,
        last_rating = CASE WHEN last_rating IS NULL OR excluded.last_rating > last_rating
                           THEN excluded.last_rating ELSE last_rating END;
    INSERT INTO {HOURS} (hour, ratings) VALUES ({_HOUR.format(r="NEW")}, 1)
    ON CONFLICT (hour) DO UPDATE SET ratings = ratings + 1;
END"""

# The first undo of a rating takes it back (a second undo of the same rating changes nothing;
# an undo naming no rating, or a rating not yet logged, neither).
_TARGET = "(SELECT {value} FROM reviews t WHERE t.id = NEW.undoes)"
UNDO_TRIGGER = f"""CREATE TRIGGER {TRIGGERS[1]} AFTER INSERT ON reviews
WHEN NEW.kind = 'undo' AND NEW.undoes IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM reviews u WHERE u.undoes = NEW.undoes AND u.kind = 'undo' AND u.id != NEW.id)
BEGIN
    UPDATE {TABLE} SET
        ratings = ratings - 1,
        recalled = recalled - {_TARGET.format(value=_RECALLED.format(r="t"))},
        graded = graded - {_TARGET.format(value=_GRADED.format(r="t"))},
        graded_recalled = graded_recalled - {_TARGET.format(
            value=_GRADED.format(r="t") + " AND " + _RECALLED.format(r="t"))},
        first_review = {_FIRST.format(card=f"{TABLE}.question_id")},
        last_rating = {_LAST.format(card=f"{TABLE}.question_id")}
    WHERE question_id = (SELECT t.question_id FROM reviews t
                         WHERE t.id = NEW.undoes AND t.kind IN ('review', 'cram'));
    UPDATE {HOURS} SET ratings = ratings - 1
    WHERE hour = (SELECT {_HOUR.format(r="t")} FROM reviews t
                  WHERE t.id = NEW.undoes AND t.kind IN ('review', 'cram'));
END"""

_COUNTED = """r.kind IN ('review', 'cram') AND NOT EXISTS (
    SELECT 1 FROM reviews u WHERE u.undoes = r.id AND u.kind = 'undo')"""
FILL = f"""INSERT INTO {TABLE} (question_id, ratings, recalled, graded, graded_recalled,
                       first_review, last_rating, deck)
SELECT r.question_id, count(*), sum({_RECALLED.format(r="r")}), sum({_GRADED.format(r="r")}),
       sum({_GRADED.format(r="r")} AND {_RECALLED.format(r="r")}),
       min(CASE WHEN r.kind = 'review' THEN r.reviewed_at END), max(r.reviewed_at),
       {_DECK_OF.format(card="r.question_id")}
FROM reviews r
WHERE {_COUNTED}
GROUP BY r.question_id"""
FILL_HOURS = f"""INSERT INTO {HOURS} (hour, ratings)
SELECT {_HOUR.format(r="r")}, count(*) FROM reviews r WHERE {_COUNTED}
GROUP BY {_HOUR.format(r="r")}"""


def rebuild(connection: Connection) -> None:
    """Drop and rebuild the totals and their triggers from the log (inside the caller's
    transaction, so no rating can slip between the fill and the triggers)."""
    for name in (*TRIGGERS, *OBSOLETE_TRIGGERS):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for name in (TABLE, HOURS, *OBSOLETE_TABLES):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    connection.exec_driver_sql(CREATE_TABLE)
    connection.exec_driver_sql(FILL)
    connection.exec_driver_sql(CREATE_HOURS)
    connection.exec_driver_sql(FILL_HOURS)
    for index in CREATE_INDEXES:
        connection.exec_driver_sql(index)
    connection.exec_driver_sql(RATING_TRIGGER)
    connection.exec_driver_sql(UNDO_TRIGGER)


def ensure(connection: Connection, objects: frozenset[str]) -> None:
    """Rebuild the totals unless the table and both triggers are there (`objects`: the names
    in sqlite_master)."""
    if not set(OBJECTS) <= objects:
        rebuild(connection)
