"""Derived data kept by the database itself, on SQLite and on PostgreSQL: the counts of home,
`quiz due` and the statistics read these few rows and index ranges instead of every card with
its question and every review (100 ms and more at 100,000 questions and a million reviews; a
few ms with them).

Derived like an index: none of it is one of the models (the history export leaves it out), and
when any of it is missing it is rebuilt from the tables inside the setup transaction.

- `deck_totals`, one row per (learner, deck, kind): the live questions, their cards, and their
  unseen
  cards that are not suspended (buried cards are subtracted when counting: being buried ends at
  a time, and they are few).
- `cards.deck` and `cards.live` (columns of the model): the card's question's deck and whether
  it is not retired, so the due cards of a deck are one range of an index.
- `card_review_totals`, per studied card (a learner's and a question's): counted ratings
  (review or cram, not undone), recalled,
  graded (reviews of a card in review state), graded and recalled, the first counted review, the
  latest counted rating, and the card's deck.
- `rating_hours`: counted ratings per learner and UTC hour of `reviewed_at` ('YYYY-MM-DD HH').

Triggers keep all of it equal to a recount whoever writes (a sync, a rating, an undo, `quiz
doctor --fix`, an older quiz): SQLite triggers, and PL/pgSQL trigger functions on PostgreSQL,
written per dialect because the two trigger languages differ. The append-only rule of the review
log is a trigger too. A sync that writes many questions at once drops the deck triggers
(`suspend`) and rebuilds when it ends (`rebuild_decks`): a trigger per row costs three times as
much.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, inspect

from quiz.store.tables import UTCDateTime

METADATA = MetaData()

DECK_TOTALS = Table(
    "deck_totals", METADATA,
    Column("learner_id", Integer, primary_key=True),
    Column("deck", String(200), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("questions", Integer, nullable=False, default=0),
    Column("cards", Integer, nullable=False, default=0),
    Column("unseen", Integer, nullable=False, default=0),
    sqlite_with_rowid=False,
)
CARD_TOTALS = Table(
    "card_review_totals", METADATA,
    Column("learner_id", Integer, primary_key=True),
    Column("question_id", String(120), primary_key=True),
    Column("ratings", Integer, nullable=False, default=0),
    Column("recalled", Integer, nullable=False, default=0),
    Column("graded", Integer, nullable=False, default=0),
    Column("graded_recalled", Integer, nullable=False, default=0),
    Column("first_review", UTCDateTime),
    Column("last_rating", UTCDateTime),
    Column("deck", String(200), nullable=False, default=""),
    sqlite_with_rowid=False,
)
RATING_HOURS = Table(
    "rating_hours", METADATA,
    Column("learner_id", Integer, primary_key=True),
    Column("hour", String(13), primary_key=True),
    Column("ratings", Integer, nullable=False, default=0),
    sqlite_with_rowid=False,
)
# 'YYYY-MM-DD HH' of a moment, as the hourly totals key it.
HOUR_LENGTH = 13

# Index names are those earlier versions created on SQLite, so an existing file is not rebuilt.
INDEXES = {
    "ix_card_review_totals_first": "CREATE INDEX IF NOT EXISTS ix_card_review_totals_first "
                                   "ON card_review_totals (learner_id, first_review)",
    "ix_card_review_totals_deck": "CREATE INDEX IF NOT EXISTS ix_card_review_totals_deck "
                                  "ON card_review_totals (learner_id, deck, last_rating)",
    # Per deck, the studied cards by state and due date, with what decides whether they are
    # available: the due cards of a deck are counted from this index alone.
    "ix_cards_deck_due": "CREATE INDEX IF NOT EXISTS ix_cards_deck_due ON cards "
                         "(learner_id, deck, live, state, due, suspended, buried_until, "
                         "last_review) "
                         "WHERE last_review IS NOT NULL",
}
# Card columns added by an upgrade of a database made before they were in the model.
CARD_COLUMNS = {"deck": "VARCHAR(200) NOT NULL DEFAULT ''", "live": "BOOLEAN NOT NULL DEFAULT 1"}


# ---------------------------------------------------------------------------------------------
# SQLite triggers (an upgrade of the schema drops them all and they are made again).

_S_UNSEEN = "({c}.last_review IS NULL AND {c}.suspended IS 0)"
_S_SHARE = f"""INSERT INTO deck_totals (learner_id, deck, kind, questions, cards, unseen)
    SELECT l.id, {{q}}.deck, {{q}}.kind, {{sign}},
        {{sign}} * (SELECT count(*) FROM cards c
                    WHERE c.learner_id = l.id AND c.question_id = {{q}}.id),
        {{sign}} * (SELECT count(*) FROM cards c
                    WHERE c.learner_id = l.id AND c.question_id = {{q}}.id
                    AND {_S_UNSEEN.format(c="c")})
    FROM learners l WHERE {{q}}.retired_at IS NULL
    ON CONFLICT (learner_id, deck, kind) DO UPDATE SET questions = questions + excluded.questions,
        cards = cards + excluded.cards, unseen = unseen + excluded.unseen;"""
_S_COPY_TO_CARD = """UPDATE cards SET deck = {q}.deck, live = ({q}.retired_at IS NULL)
    WHERE question_id = {q}.id
    AND (deck IS NOT {q}.deck OR live IS NOT ({q}.retired_at IS NULL));"""
_S_ROW_OF = ("learner_id = {learner} AND (deck, kind) = (SELECT q.deck, q.kind FROM questions q "
             "WHERE q.id = {card} AND q.retired_at IS NULL)")
_S_QUESTION = "(SELECT {value} FROM questions q WHERE q.id = NEW.question_id)"

SQLITE_DECK_TRIGGERS = {
    # A new learner's rows: the live questions per (deck, kind), before any of its cards.
    "deck_totals_learner_insert": """CREATE TRIGGER deck_totals_learner_insert
AFTER INSERT ON learners BEGIN
    INSERT INTO deck_totals (learner_id, deck, kind, questions, cards, unseen)
    SELECT NEW.id, q.deck, q.kind, count(*), 0, 0 FROM questions q
    WHERE q.retired_at IS NULL GROUP BY q.deck, q.kind;
END""",
    "deck_totals_question_insert": f"""CREATE TRIGGER deck_totals_question_insert
AFTER INSERT ON questions BEGIN
    {_S_SHARE.format(q="NEW", sign=1)}
    {_S_COPY_TO_CARD.format(q="NEW")}
END""",
    "deck_totals_question_delete": f"""CREATE TRIGGER deck_totals_question_delete
AFTER DELETE ON questions BEGIN
    {_S_SHARE.format(q="OLD", sign=-1)}
END""",
    "deck_totals_question_update": f"""CREATE TRIGGER deck_totals_question_update
AFTER UPDATE OF deck, kind, retired_at ON questions
WHEN OLD.deck IS NOT NEW.deck OR OLD.kind IS NOT NEW.kind
    OR (OLD.retired_at IS NULL) IS NOT (NEW.retired_at IS NULL)
BEGIN
    {_S_SHARE.format(q="OLD", sign=-1)}
    {_S_SHARE.format(q="NEW", sign=1)}
    {_S_COPY_TO_CARD.format(q="NEW")}
    UPDATE card_review_totals SET deck = NEW.deck
    WHERE question_id = NEW.id AND deck IS NOT NEW.deck;
END""",
    # A card inserted without the copy (an ORM insert knows nothing of it) gets it here; a card
    # without a question is not live.
    "deck_totals_card_copy": f"""CREATE TRIGGER deck_totals_card_copy AFTER INSERT ON cards
WHEN NEW.deck IS NOT COALESCE({_S_QUESTION.format(value="q.deck")}, '')
    OR NEW.live IS NOT COALESCE({_S_QUESTION.format(value="q.retired_at IS NULL")}, 0)
BEGIN
    UPDATE cards SET deck = COALESCE({_S_QUESTION.format(value="q.deck")}, ''),
        live = COALESCE({_S_QUESTION.format(value="q.retired_at IS NULL")}, 0)
    WHERE learner_id = NEW.learner_id AND question_id = NEW.question_id;
END""",
    "deck_totals_card_insert": f"""CREATE TRIGGER deck_totals_card_insert
AFTER INSERT ON cards BEGIN
    UPDATE deck_totals SET cards = cards + 1, unseen = unseen + {_S_UNSEEN.format(c="NEW")}
    WHERE {_S_ROW_OF.format(card="NEW.question_id", learner="NEW.learner_id")};
END""",
    "deck_totals_card_delete": f"""CREATE TRIGGER deck_totals_card_delete
AFTER DELETE ON cards BEGIN
    UPDATE deck_totals SET cards = cards - 1, unseen = unseen - {_S_UNSEEN.format(c="OLD")}
    WHERE {_S_ROW_OF.format(card="OLD.question_id", learner="OLD.learner_id")};
END""",
    "deck_totals_card_update": f"""CREATE TRIGGER deck_totals_card_update
AFTER UPDATE OF last_review, suspended ON cards
WHEN {_S_UNSEEN.format(c="OLD")} IS NOT {_S_UNSEEN.format(c="NEW")}
BEGIN
    UPDATE deck_totals
    SET unseen = unseen + {_S_UNSEEN.format(c="NEW")} - {_S_UNSEEN.format(c="OLD")}
    WHERE {_S_ROW_OF.format(card="NEW.question_id", learner="NEW.learner_id")};
END""",
}

_S_GRADED = "({r}.kind = 'review' AND {r}.state_before IS 2)"
_S_RECALLED = "COALESCE({r}.rating > 1, 0)"
_S_HOUR = "substr({r}.reviewed_at, 1, 13)"
_S_DECK_OF = "COALESCE((SELECT q.deck FROM questions q WHERE q.id = {card}), '')"
_S_FIRST = """(SELECT min(f.reviewed_at) FROM reviews f
    WHERE f.learner_id = {learner} AND f.question_id = {card}
    AND f.kind = 'review' AND NOT EXISTS (
        SELECT 1 FROM reviews u WHERE u.undoes = f.id AND u.kind = 'undo'))"""
_S_LAST = """(SELECT max(f.reviewed_at) FROM reviews f
    WHERE f.learner_id = {learner} AND f.question_id = {card}
    AND f.kind IN ('review', 'cram') AND NOT EXISTS (
        SELECT 1 FROM reviews u WHERE u.undoes = f.id AND u.kind = 'undo'))"""
_S_TARGET = "(SELECT {value} FROM reviews t WHERE t.id = NEW.undoes)"

SQLITE_LOG_TRIGGERS = {
    # A rating counts unless an undo row already names it (a history imported out of order).
    "card_review_totals_rating": f"""CREATE TRIGGER card_review_totals_rating
AFTER INSERT ON reviews
WHEN NEW.kind IN ('review', 'cram') AND NOT EXISTS (
    SELECT 1 FROM reviews u WHERE u.undoes = NEW.id AND u.kind = 'undo')
BEGIN
    INSERT INTO card_review_totals (learner_id, question_id, ratings, recalled, graded,
                                    graded_recalled, first_review, last_rating, deck)
    VALUES (NEW.learner_id, NEW.question_id, 1, {_S_RECALLED.format(r="NEW")},
            {_S_GRADED.format(r="NEW")},
            {_S_GRADED.format(r="NEW")} AND {_S_RECALLED.format(r="NEW")},
            CASE WHEN NEW.kind = 'review' THEN NEW.reviewed_at END, NEW.reviewed_at,
            {_S_DECK_OF.format(card="NEW.question_id")})
    ON CONFLICT (learner_id, question_id) DO UPDATE SET
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
    INSERT INTO rating_hours (learner_id, hour, ratings)
    VALUES (NEW.learner_id, {_S_HOUR.format(r="NEW")}, 1)
    ON CONFLICT (learner_id, hour) DO UPDATE SET ratings = ratings + 1;
END""",
    # The first undo of a rating takes it back (a second undo of the same rating, an undo
    # naming no rating, or a rating not yet logged change nothing).
    "card_review_totals_undo": f"""CREATE TRIGGER card_review_totals_undo
AFTER INSERT ON reviews
WHEN NEW.kind = 'undo' AND NEW.undoes IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM reviews u WHERE u.undoes = NEW.undoes AND u.kind = 'undo' AND u.id != NEW.id)
BEGIN
    UPDATE card_review_totals SET
        ratings = ratings - 1,
        recalled = recalled - {_S_TARGET.format(value=_S_RECALLED.format(r="t"))},
        graded = graded - {_S_TARGET.format(value=_S_GRADED.format(r="t"))},
        graded_recalled = graded_recalled - {_S_TARGET.format(
            value=_S_GRADED.format(r="t") + " AND " + _S_RECALLED.format(r="t"))},
        first_review = {_S_FIRST.format(card="card_review_totals.question_id",
                                        learner="card_review_totals.learner_id")},
        last_rating = {_S_LAST.format(card="card_review_totals.question_id",
                                      learner="card_review_totals.learner_id")}
    WHERE (learner_id, question_id) = (SELECT t.learner_id, t.question_id FROM reviews t
                         WHERE t.id = NEW.undoes AND t.kind IN ('review', 'cram'));
    UPDATE rating_hours SET ratings = ratings - 1
    WHERE (learner_id, hour) = (SELECT t.learner_id, {_S_HOUR.format(r="t")} FROM reviews t
                  WHERE t.id = NEW.undoes AND t.kind IN ('review', 'cram'));
END""",
}

SQLITE_APPEND_ONLY = {
    "reviews_no_update": """CREATE TRIGGER IF NOT EXISTS reviews_no_update
BEFORE UPDATE ON reviews BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END""",
    "reviews_no_delete": """CREATE TRIGGER IF NOT EXISTS reviews_no_delete
BEFORE DELETE ON reviews BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END""",
}

_S_COUNTED = """r.kind IN ('review', 'cram') AND NOT EXISTS (
    SELECT 1 FROM reviews u WHERE u.undoes = r.id AND u.kind = 'undo')"""
SQLITE_FILL = {
    "cards": """UPDATE cards SET deck = q.deck, live = (q.retired_at IS NULL) FROM questions q
WHERE q.id = cards.question_id
AND (cards.deck IS NOT q.deck OR cards.live IS NOT (q.retired_at IS NULL))""",
    # Cards whose question is missing (a damaged database) count nowhere.
    "orphan_cards": """UPDATE cards SET live = 0
WHERE live IS NOT 0 AND NOT EXISTS (SELECT 1 FROM questions q WHERE q.id = cards.question_id)""",
    "card_totals_deck": """UPDATE card_review_totals SET deck = q.deck FROM questions q
WHERE q.id = card_review_totals.question_id AND card_review_totals.deck IS NOT q.deck""",
    "deck_totals": f"""INSERT INTO deck_totals (learner_id, deck, kind, questions, cards, unseen)
SELECT l.id, q.deck, q.kind, count(*), count(c.question_id),
    count(CASE WHEN {_S_UNSEEN.format(c="c")} THEN 1 END)
FROM learners l CROSS JOIN questions q
LEFT JOIN cards c ON c.learner_id = l.id AND c.question_id = q.id
WHERE q.retired_at IS NULL
GROUP BY l.id, q.deck, q.kind""",
    "card_totals": f"""INSERT INTO card_review_totals (learner_id, question_id, ratings, recalled,
    graded, graded_recalled, first_review, last_rating, deck)
SELECT r.learner_id, r.question_id, count(*), sum({_S_RECALLED.format(r="r")}),
       sum({_S_GRADED.format(r="r")}),
       sum({_S_GRADED.format(r="r")} AND {_S_RECALLED.format(r="r")}),
       min(CASE WHEN r.kind = 'review' THEN r.reviewed_at END), max(r.reviewed_at),
       {_S_DECK_OF.format(card="r.question_id")}
FROM reviews r WHERE {_S_COUNTED}
GROUP BY r.learner_id, r.question_id""",
    "rating_hours": f"""INSERT INTO rating_hours (learner_id, hour, ratings)
SELECT r.learner_id, {_S_HOUR.format(r="r")}, count(*) FROM reviews r WHERE {_S_COUNTED}
GROUP BY r.learner_id, {_S_HOUR.format(r="r")}""",
}


# ---------------------------------------------------------------------------------------------
# PostgreSQL: trigger functions in PL/pgSQL (one per table), the same rules.

_P_UNSEEN = "({c}.last_review IS NULL AND NOT {c}.suspended)"
_P_COUNTED = """r.kind IN ('review', 'cram') AND NOT EXISTS (
    SELECT 1 FROM reviews u WHERE u.undoes = r.id AND u.kind = 'undo')"""

# The counted ratings one INSERT statement into the review log adds (sign 1: its ratings that no
# undo names) and takes back (sign -1: ratings of earlier statements that its undos name and that
# no earlier undo had taken back). Per statement, from its transition table `inserted`, because
# PostgreSQL fires row triggers after the whole statement, when every row of a multi-row INSERT
# is visible to each of them: a row trigger cannot tell a rating undone in the same statement
# (never counted) from one undone later (counted, to take back), nor two undos of one rating in
# the same statement from a second undo (each sees the other and neither takes the rating back).
_P_CHANGES = """changes AS (
        SELECT r.learner_id, r.question_id, r.reviewed_at, r.kind, r.rating, r.state_before,
               1 AS sign
        FROM inserted r WHERE r.kind IN ('review', 'cram')
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = r.id AND u.kind = 'undo')
        UNION ALL
        SELECT t.learner_id, t.question_id, t.reviewed_at, t.kind, t.rating, t.state_before, -1
        FROM reviews t WHERE t.kind IN ('review', 'cram')
        AND t.id IN (SELECT n.undoes FROM inserted n WHERE n.kind = 'undo')
        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = t.id)
        AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = t.id AND u.kind = 'undo'
                        AND NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = u.id)))"""
_P_RECALLED = "COALESCE(c.rating > 1, false)"
_P_GRADED = "(c.kind = 'review' AND c.state_before IS NOT DISTINCT FROM 2)"

POSTGRESQL_FUNCTIONS = {
    "quiz_reviews_append_only": """CREATE OR REPLACE FUNCTION quiz_reviews_append_only()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reviews are append-only';
END $$""",
    # A question's share of its (deck, kind) row, added with sign +1 or -1.
    "quiz_deck_share": f"""CREATE OR REPLACE FUNCTION quiz_deck_share(
    p_id varchar, p_deck varchar, p_kind varchar, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deck_totals AS t (learner_id, deck, kind, questions, cards, unseen)
    SELECT l.id, p_deck, p_kind, p_sign, p_sign * count(c.question_id),
           p_sign * count(c.question_id) FILTER (WHERE {_P_UNSEEN.format(c="c")})
    FROM learners l LEFT JOIN cards c ON c.learner_id = l.id AND c.question_id = p_id
    GROUP BY l.id
    ON CONFLICT (learner_id, deck, kind) DO UPDATE SET questions = t.questions + excluded.questions,
        cards = t.cards + excluded.cards, unseen = t.unseen + excluded.unseen;
END $$""",
    "quiz_question_changed": """CREATE OR REPLACE FUNCTION quiz_question_changed()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.deck IS NOT DISTINCT FROM NEW.deck
            AND OLD.kind IS NOT DISTINCT FROM NEW.kind
            AND (OLD.retired_at IS NULL) = (NEW.retired_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.retired_at IS NULL THEN
        PERFORM quiz_deck_share(OLD.id, OLD.deck, OLD.kind, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.retired_at IS NULL THEN
            PERFORM quiz_deck_share(NEW.id, NEW.deck, NEW.kind, 1);
        END IF;
        UPDATE cards SET deck = NEW.deck, live = (NEW.retired_at IS NULL)
        WHERE question_id = NEW.id
          AND (deck IS DISTINCT FROM NEW.deck OR live IS DISTINCT FROM (NEW.retired_at IS NULL));
    END IF;
    IF TG_OP = 'UPDATE' THEN
        UPDATE card_review_totals SET deck = NEW.deck
        WHERE question_id = NEW.id AND deck IS DISTINCT FROM NEW.deck;
    END IF;
    RETURN NULL;
END $$""",
    "quiz_learner_added": """CREATE OR REPLACE FUNCTION quiz_learner_added()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deck_totals (learner_id, deck, kind, questions, cards, unseen)
    SELECT NEW.id, q.deck, q.kind, count(*), 0, 0 FROM questions q
    WHERE q.retired_at IS NULL GROUP BY q.deck, q.kind;
    RETURN NULL;
END $$""",
    # Before a card is inserted: its copy of the question's deck and liveness.
    "quiz_card_copy": """CREATE OR REPLACE FUNCTION quiz_card_copy()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT q.deck, q.retired_at IS NULL INTO NEW.deck, NEW.live
    FROM questions q WHERE q.id = NEW.question_id;
    IF NOT FOUND THEN
        NEW.deck := '';
        NEW.live := false;
    END IF;
    RETURN NEW;
END $$""",
    "quiz_card_changed": f"""CREATE OR REPLACE FUNCTION quiz_card_changed()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta_cards integer := 0;
    delta_unseen integer := 0;
    card_id varchar;
    card_learner integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta_cards := 1;
        delta_unseen := {_P_UNSEEN.format(c="NEW")}::integer;
        card_id := NEW.question_id;
        card_learner := NEW.learner_id;
    ELSIF TG_OP = 'DELETE' THEN
        delta_cards := -1;
        delta_unseen := -({_P_UNSEEN.format(c="OLD")}::integer);
        card_id := OLD.question_id;
        card_learner := OLD.learner_id;
    ELSE
        delta_unseen := {_P_UNSEEN.format(c="NEW")}::integer
                        - {_P_UNSEEN.format(c="OLD")}::integer;
        card_id := NEW.question_id;
        card_learner := NEW.learner_id;
    END IF;
    IF delta_cards <> 0 OR delta_unseen <> 0 THEN
        UPDATE deck_totals t SET cards = t.cards + delta_cards, unseen = t.unseen + delta_unseen
        FROM questions q
        WHERE q.id = card_id AND q.retired_at IS NULL AND t.learner_id = card_learner
          AND t.deck = q.deck AND t.kind = q.kind;
    END IF;
    RETURN NULL;
END $$""",
    # Per statement of the review log, from its rows in the transition table `inserted`.
    "quiz_review_logged": f"""CREATE OR REPLACE FUNCTION quiz_review_logged()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH {_P_CHANGES}, per_card AS (
        SELECT c.learner_id, c.question_id, sum(c.sign) AS ratings,
               sum(c.sign * {_P_RECALLED}::integer) AS recalled,
               sum(c.sign * {_P_GRADED}::integer) AS graded,
               sum(c.sign * ({_P_GRADED} AND {_P_RECALLED})::integer) AS graded_recalled,
               min(c.reviewed_at) FILTER (WHERE c.sign = 1 AND c.kind = 'review') AS first_review,
               max(c.reviewed_at) FILTER (WHERE c.sign = 1) AS last_rating
        FROM changes c GROUP BY c.learner_id, c.question_id)
    INSERT INTO card_review_totals AS t (learner_id, question_id, ratings, recalled, graded,
                                         graded_recalled, first_review, last_rating, deck)
    SELECT p.learner_id, p.question_id, p.ratings, p.recalled, p.graded, p.graded_recalled,
           p.first_review,
           p.last_rating, COALESCE((SELECT q.deck FROM questions q WHERE q.id = p.question_id), '')
    FROM per_card p
    ON CONFLICT (learner_id, question_id) DO UPDATE SET
        deck = excluded.deck,
        ratings = t.ratings + excluded.ratings, recalled = t.recalled + excluded.recalled,
        graded = t.graded + excluded.graded,
        graded_recalled = t.graded_recalled + excluded.graded_recalled,
        first_review = LEAST(t.first_review, excluded.first_review),
        last_rating = GREATEST(t.last_rating, excluded.last_rating);
    IF EXISTS (SELECT 1 FROM inserted WHERE kind = 'undo') THEN
        -- A card with a rating taken back: its first and latest counted ones, from the log.
        WITH {_P_CHANGES}
        UPDATE card_review_totals t SET
            first_review = (SELECT min(f.reviewed_at) FROM reviews f
                WHERE f.learner_id = t.learner_id AND f.question_id = t.question_id
                AND f.kind = 'review'
                AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = f.id
                                AND u.kind = 'undo')),
            last_rating = (SELECT max(f.reviewed_at) FROM reviews f
                WHERE f.learner_id = t.learner_id AND f.question_id = t.question_id
                AND f.kind IN ('review', 'cram')
                AND NOT EXISTS (SELECT 1 FROM reviews u WHERE u.undoes = f.id
                                AND u.kind = 'undo'))
        WHERE (t.learner_id, t.question_id) IN (
            SELECT c.learner_id, c.question_id FROM changes c WHERE c.sign = -1);
    END IF;
    WITH {_P_CHANGES}
    INSERT INTO rating_hours AS h (learner_id, hour, ratings)
    SELECT c.learner_id, to_char(c.reviewed_at, 'YYYY-MM-DD HH24'), sum(c.sign) FROM changes c
    GROUP BY c.learner_id, to_char(c.reviewed_at, 'YYYY-MM-DD HH24')
    ON CONFLICT (learner_id, hour) DO UPDATE SET ratings = h.ratings + excluded.ratings;
    RETURN NULL;
END $$""",
}

POSTGRESQL_DECK_TRIGGERS = {
    "deck_totals_learners": """CREATE TRIGGER deck_totals_learners
AFTER INSERT ON learners FOR EACH ROW EXECUTE FUNCTION quiz_learner_added()""",
    "deck_totals_questions": """CREATE TRIGGER deck_totals_questions
AFTER INSERT OR DELETE OR UPDATE OF deck, kind, retired_at ON questions
FOR EACH ROW EXECUTE FUNCTION quiz_question_changed()""",
    "deck_totals_card_copy": """CREATE TRIGGER deck_totals_card_copy
BEFORE INSERT ON cards FOR EACH ROW EXECUTE FUNCTION quiz_card_copy()""",
    "deck_totals_cards": """CREATE TRIGGER deck_totals_cards
AFTER INSERT OR DELETE OR UPDATE OF last_review, suspended ON cards
FOR EACH ROW EXECUTE FUNCTION quiz_card_changed()""",
}
POSTGRESQL_LOG_TRIGGERS = {
    # Per statement (see _P_CHANGES); not the name of the row trigger it replaces, so that a
    # database with that one is rebuilt when it opens.
    "card_review_totals_inserted": """CREATE TRIGGER card_review_totals_inserted
AFTER INSERT ON reviews REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION quiz_review_logged()""",
}
POSTGRESQL_APPEND_ONLY = {
    "reviews_no_update": """CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
FOR EACH ROW EXECUTE FUNCTION quiz_reviews_append_only()""",
    "reviews_no_delete": """CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
FOR EACH ROW EXECUTE FUNCTION quiz_reviews_append_only()""",
}

POSTGRESQL_FILL = {
    "cards": """UPDATE cards SET deck = q.deck, live = (q.retired_at IS NULL) FROM questions q
WHERE q.id = cards.question_id
AND (cards.deck IS DISTINCT FROM q.deck OR cards.live IS DISTINCT FROM (q.retired_at IS NULL))""",
    "orphan_cards": """UPDATE cards SET live = false WHERE live
AND NOT EXISTS (SELECT 1 FROM questions q WHERE q.id = cards.question_id)""",
    "card_totals_deck": """UPDATE card_review_totals SET deck = q.deck FROM questions q
WHERE q.id = card_review_totals.question_id AND card_review_totals.deck IS DISTINCT FROM q.deck""",
    "deck_totals": f"""INSERT INTO deck_totals (learner_id, deck, kind, questions, cards, unseen)
SELECT l.id, q.deck, q.kind, count(*), count(c.question_id),
    count(c.question_id) FILTER (WHERE {_P_UNSEEN.format(c="c")})
FROM learners l CROSS JOIN questions q
LEFT JOIN cards c ON c.learner_id = l.id AND c.question_id = q.id
WHERE q.retired_at IS NULL
GROUP BY l.id, q.deck, q.kind""",
    "card_totals": f"""INSERT INTO card_review_totals (learner_id, question_id, ratings, recalled,
    graded, graded_recalled, first_review, last_rating, deck)
SELECT r.learner_id, r.question_id, count(*), count(*) FILTER (WHERE r.rating > 1),
       count(*) FILTER (WHERE r.kind = 'review' AND r.state_before = 2),
       count(*) FILTER (WHERE r.kind = 'review' AND r.state_before = 2 AND r.rating > 1),
       min(r.reviewed_at) FILTER (WHERE r.kind = 'review'), max(r.reviewed_at),
       COALESCE((SELECT q.deck FROM questions q WHERE q.id = r.question_id), '')
FROM reviews r WHERE {_P_COUNTED}
GROUP BY r.learner_id, r.question_id""",
    "rating_hours": f"""INSERT INTO rating_hours (learner_id, hour, ratings)
SELECT r.learner_id, to_char(r.reviewed_at, 'YYYY-MM-DD HH24'), count(*) FROM reviews r
WHERE {_P_COUNTED}
GROUP BY r.learner_id, to_char(r.reviewed_at, 'YYYY-MM-DD HH24')""",
}


class _Dialect:
    """What one database needs: its trigger DDL and fill statements."""

    def __init__(self, name: str) -> None:
        sqlite = name == "sqlite"
        self.functions = {} if sqlite else POSTGRESQL_FUNCTIONS
        self.deck_triggers = SQLITE_DECK_TRIGGERS if sqlite else POSTGRESQL_DECK_TRIGGERS
        self.log_triggers = SQLITE_LOG_TRIGGERS if sqlite else POSTGRESQL_LOG_TRIGGERS
        self.append_only = SQLITE_APPEND_ONLY if sqlite else POSTGRESQL_APPEND_ONLY
        self.fill = SQLITE_FILL if sqlite else POSTGRESQL_FILL
        self.sqlite = sqlite


def _dialect(connection: Connection) -> _Dialect:
    name = connection.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"quiz stores its data in SQLite or PostgreSQL, not {name}")
    return _Dialect(name)


def object_names(connection: Connection) -> frozenset[str]:
    """Names of the tables, indexes and triggers the database has (of the current schema)."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("SELECT name FROM sqlite_master")
    else:
        rows = connection.exec_driver_sql(
            "SELECT c.relname FROM pg_class c "
            "WHERE c.relnamespace = current_schema()::regnamespace "
            "UNION ALL SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal")
    return frozenset(name for (name,) in rows)


def wanted_objects(dialect_name: str) -> frozenset[str]:
    """What a current database has of the derived data, for `object_names` to be held to."""
    dialect = _Dialect(dialect_name)
    return frozenset({table.name for table in METADATA.sorted_tables} | set(INDEXES)
                     | set(dialect.deck_triggers) | set(dialect.log_triggers)
                     | set(dialect.append_only))


def add_card_columns(connection: Connection) -> None:
    """The copies on the cards table, added when missing (a database made before them)."""
    present = {column["name"] for column in inspect(connection).get_columns("cards")}
    for name, declaration in CARD_COLUMNS.items():
        if name not in present:
            if connection.dialect.name != "sqlite":
                declaration = declaration.replace("DEFAULT 1", "DEFAULT true")
            connection.exec_driver_sql(f"ALTER TABLE cards ADD COLUMN {name} {declaration}")


def _drop_triggers(connection: Connection, names: Iterable[str], table: str) -> None:
    on_table = "" if connection.dialect.name == "sqlite" else f" ON {table}"
    for name in names:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{on_table}")


def _deck_trigger_tables(dialect: _Dialect) -> dict[str, str]:
    return {name: ("questions" if "question" in name
                   else "learners" if "learner" in name else "cards")
            for name in dialect.deck_triggers}


def suspend_decks(connection: Connection) -> None:
    """Drop the deck triggers for a bulk write inside the caller's transaction;
    `rebuild_decks` must follow in the same transaction."""
    dialect = _dialect(connection)
    for name, table in _deck_trigger_tables(dialect).items():
        _drop_triggers(connection, [name], table)


def _create_functions(connection: Connection, dialect: _Dialect) -> None:
    for function in dialect.functions.values():
        connection.exec_driver_sql(function)


def rebuild_decks(connection: Connection) -> None:
    """Recompute the deck totals and the cards' copies from the tables and (re)create their
    triggers, inside the caller's transaction (no write can slip between fill and triggers)."""
    dialect = _dialect(connection)
    suspend_decks(connection)
    _create_functions(connection, dialect)
    add_card_columns(connection)
    DECK_TOTALS.drop(connection, checkfirst=True)
    DECK_TOTALS.create(connection)
    for step in ("cards", "orphan_cards", "card_totals_deck", "deck_totals"):
        if step == "card_totals_deck" and not inspect(connection).has_table(CARD_TOTALS.name):
            continue
        connection.exec_driver_sql(dialect.fill[step])
    connection.exec_driver_sql(INDEXES["ix_cards_deck_due"])
    for trigger in dialect.deck_triggers.values():
        connection.exec_driver_sql(trigger)


# Shapes of earlier versions, dropped when rebuilding: SQLite's without first_review and without
# deck; PostgreSQL's row trigger (wrong for a multi-row INSERT, see _P_CHANGES).
_OBSOLETE_LOG_TRIGGERS = ("review_totals_rating", "review_totals_undo",
                          "card_review_totals_logged")
_OBSOLETE_LOG_TABLES = ("review_totals",)


def rebuild_log(connection: Connection) -> None:
    """Drop and rebuild the per-card and hourly totals and their triggers from the log."""
    dialect = _dialect(connection)
    _drop_triggers(connection, [*dialect.log_triggers, *_OBSOLETE_LOG_TRIGGERS], "reviews")
    _create_functions(connection, dialect)
    for name in _OBSOLETE_LOG_TABLES:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    for table in (CARD_TOTALS, RATING_HOURS):
        table.drop(connection, checkfirst=True)
        table.create(connection)
    connection.exec_driver_sql(dialect.fill["card_totals"])
    connection.exec_driver_sql(dialect.fill["rating_hours"])
    for name in ("ix_card_review_totals_first", "ix_card_review_totals_deck"):
        connection.exec_driver_sql(INDEXES[name])
    for trigger in dialect.log_triggers.values():
        connection.exec_driver_sql(trigger)


def ensure_append_only(connection: Connection, objects: frozenset[str]) -> None:
    """The review log refuses any change to a row, at the database level."""
    dialect = _dialect(connection)
    _create_functions(connection, dialect)
    for name, trigger in dialect.append_only.items():
        if name not in objects:
            connection.exec_driver_sql(trigger)


def ensure(connection: Connection, objects: frozenset[str]) -> None:
    """Rebuild what is missing (`objects`: `object_names` of the database)."""
    dialect = _dialect(connection)
    ensure_append_only(connection, objects)
    log = {CARD_TOTALS.name, RATING_HOURS.name, "ix_card_review_totals_first",
           "ix_card_review_totals_deck", *dialect.log_triggers}
    # The log totals first: the deck rebuild copies decks into them.
    if not log <= objects:
        rebuild_log(connection)
    decks = {DECK_TOTALS.name, "ix_cards_deck_due", *dialect.deck_triggers}
    if not decks <= objects:
        rebuild_decks(connection)


def drop_all(connection: Connection) -> None:
    """Drop every derived table and trigger, for an upgrade that changes the tables they are
    derived from; `ensure` makes them again from the upgraded tables."""
    dialect = _dialect(connection)
    for name, table in _deck_trigger_tables(dialect).items():
        _drop_triggers(connection, [name], table)
    _drop_triggers(connection, [*dialect.log_triggers, *_OBSOLETE_LOG_TRIGGERS], "reviews")
    for derived_table in (DECK_TOTALS, CARD_TOTALS, RATING_HOURS):
        derived_table.drop(connection, checkfirst=True)
