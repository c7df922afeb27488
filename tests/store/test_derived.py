"""The derived data the database keeps by triggers (quiz.store.derived), on SQLite and on
PostgreSQL: the per-deck totals and the cards' copies of their question's deck equal to a recount
of the raw rows after random writes of every kind, after a bulk sync (deck triggers dropped and
rebuilt), and rebuilt when missing; the per-card and hourly totals of the review log equal to a
recount after random ratings, crams and undos, equal to a rebuild, rebuilt when missing and
refilled by the reviews of an imported history; the day's ratings right when the day starts off
the hour; and a review log that refuses any change to its rows.

Every total is one learner's: the databases here have two learners, the random writes and
ratings go to either (or to both at once), and each learner's totals are held to a recount of
that learner's rows alone.

Every recount is computed here in Python from raw rows read with plain SQL, never by the code
under test."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import BindParameter, Connection, bindparam, insert, text
from sqlalchemy.exc import DBAPIError

from quiz.bank.parser import parse_text
from quiz.store import derived
from quiz.store import sync as sync_module
from quiz.store.counts import due_counts
from quiz.store.days import start_of_day
from quiz.store.db import Database, open_database
from quiz.store.history import export_history, import_history
from quiz.store.learners import add_learner
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.settings import Settings
from quiz.store.sync import sync_bank
from quiz.store.tables import DEFAULT_LEARNER_ID, UTCDateTime
from tests.conftest import FIXED_NOW, numbered_bank

QUESTIONS = 30
DECKS = 4
SECOND = 2  # the second learner's id (the first one added after the default learner)
LEARNER_IDS = (DEFAULT_LEARNER_ID, SECOND)
Totals = dict[tuple[int, str, str], tuple[int, int, int]]  # (learner, deck, kind)
Copies = dict[tuple[int, str], tuple[str, int]]  # (learner, question)

QUESTIONS_TABLE = QuestionRow.__table__
CARDS_TABLE = CardRow.__table__


def _moment_param(name: str) -> BindParameter[datetime]:
    """A bound moment stored as the models store it (naive UTC), on either backend."""
    return bindparam(name, type_=UTCDateTime())


# --- deck totals and the cards' copies -------------------------------------------------------

def _recount_decks(connection: Connection) -> tuple[Totals, Copies]:
    """(learner, deck, kind): live questions, that learner's cards of them, its unseen
    unsuspended ones; and each card's expected (deck, live) — from the raw rows, without the
    code under test. Every learner counts every live question, with a card or without."""
    questions = {qid: (deck, kind, retired is None) for qid, deck, kind, retired in
                 connection.execute(text("SELECT id, deck, kind, retired_at FROM questions"))}
    learners = [learner for (learner,) in connection.execute(text("SELECT id FROM learners"))]
    cards = {(learner, qid): (last is None, bool(suspended))
             for learner, qid, last, suspended in connection.execute(text(
                 "SELECT learner_id, question_id, last_review, suspended FROM cards"))}
    totals: dict[tuple[int, str, str], list[int]] = {}
    for learner in learners:
        for qid, (deck, kind, live) in questions.items():
            if not live:
                continue
            entry = totals.setdefault((learner, deck, kind), [0, 0, 0])
            entry[0] += 1
            if (learner, qid) in cards:
                unseen, suspended = cards[learner, qid]
                entry[1] += 1
                entry[2] += unseen and not suspended
    copies = {key: (questions[key[1]][0], int(questions[key[1]][2])) if key[1] in questions
              else ("", 0) for key in cards}
    return {key: (a, b, c) for key, (a, b, c) in totals.items()}, copies


def _stored_decks(connection: Connection) -> tuple[Totals, Copies]:
    totals = {(learner, deck, kind): (int(questions), int(cards), int(unseen))
              for learner, deck, kind, questions, cards, unseen in connection.execute(text(
                  "SELECT learner_id, deck, kind, questions, cards, unseen FROM deck_totals"))
              if (questions, cards, unseen) != (0, 0, 0)}
    copies = {(learner, qid): (deck, int(live)) for learner, qid, deck, live in
              connection.execute(text("SELECT learner_id, question_id, deck, live FROM cards"))}
    return totals, copies


def _card_values(learner: int, qid: str, moment: datetime,
                 last_review: datetime | None) -> dict[str, object]:
    """A card row as the ORM inserts it: without the copy of its question's deck (the models'
    defaults, '' and live), which the triggers must set."""
    return {"learner_id": learner, "question_id": qid, "state": 1, "due": moment,
            "last_review": last_review, "suspended": False, "lapses": 0, "leech": False,
            "flagged": False, "new_rank": 0}


def _whose(rng: random.Random) -> tuple[str, dict[str, object]]:
    """The cards a card write touches: one learner's card of the question, or every learner's
    at once (one statement changing several rows) — as a condition and its parameters."""
    learner = rng.choice((*LEARNER_IDS, None))
    if learner is None:
        return "question_id = :id", {}
    return "learner_id = :learner AND question_id = :id", {"learner": learner}


def _random_write(connection: Connection, rng: random.Random, step: int) -> None:
    """One write of a kind the store (or an older quiz, or doctor) makes."""
    ids = [qid for (qid,) in connection.execute(text("SELECT id FROM questions ORDER BY id"))]
    qid = rng.choice(ids)
    moment = FIXED_NOW - timedelta(hours=rng.uniform(0, 48))
    choice = rng.randrange(10)
    cards, learner = _whose(rng)
    if choice == 0:
        connection.execute(text("UPDATE questions SET deck = :deck WHERE id = :id"),
                           {"deck": f"主题{rng.randrange(DECKS + 1)}", "id": qid})
    elif choice == 1:
        connection.execute(text("UPDATE questions SET kind = :kind WHERE id = :id"),
                           {"kind": rng.choice(("concept", "numeric")), "id": qid})
    elif choice == 2:
        connection.execute(text("UPDATE questions SET retired_at = :at WHERE id = :id")
                           .bindparams(_moment_param("at")),
                           {"at": rng.choice((None, moment)), "id": qid})
    elif choice == 3:
        connection.execute(text(f"UPDATE cards SET last_review = :at WHERE {cards}")
                           .bindparams(_moment_param("at")),
                           {"at": rng.choice((None, moment)), "id": qid, **learner})
    elif choice == 4:
        connection.execute(text(f"UPDATE cards SET suspended = :suspended WHERE {cards}"),
                           {"suspended": rng.random() < 0.5, "id": qid, **learner})
    elif choice == 5:  # a learner's card deleted and put back (doctor: orphan, missing card)
        owner = rng.choice(LEARNER_IDS)
        connection.execute(text("DELETE FROM cards WHERE learner_id = :learner "
                                "AND question_id = :id"), {"learner": owner, "id": qid})
        if rng.random() < 0.5:
            connection.execute(insert(CARDS_TABLE),
                               _card_values(owner, qid, moment, rng.choice((None, moment))))
    elif choice == 6:  # a new question, its cards inserted as the ORM does (no copy)
        new = f"n{step}"
        connection.execute(insert(QUESTIONS_TABLE), {
            "id": new, "bank": "b", "title": "t", "answer": "a", "sources": [], "tags": [],
            "kind": rng.choice(("concept", "numeric")), "origin": "sourced", "difficulty": 2,
            "topic": "t", "deck": f"主题{rng.randrange(DECKS)}", "blocks": [], "file": "f",
            "line": 1, "content_hash": "h", "created_at": moment, "updated_at": moment,
            "retired_at": rng.choice((None, None, moment))})
        owners = [owner for owner in LEARNER_IDS if rng.random() < 0.8]
        if owners:  # one statement for both learners' cards, as sync inserts them
            connection.execute(insert(CARDS_TABLE),
                               [_card_values(owner, new, moment, None) for owner in owners])
    elif choice == 7:  # a question without reviews deleted, its cards first
        if connection.execute(text("SELECT 1 FROM reviews WHERE question_id = :id"),
                              {"id": qid}).first() is None:
            connection.execute(text("DELETE FROM cards WHERE question_id = :id"), {"id": qid})
            connection.execute(text("DELETE FROM questions WHERE id = :id"), {"id": qid})
    elif choice == 8:  # a change that is no change: nothing must move
        connection.execute(text("UPDATE questions SET deck = deck, kind = kind, "
                                "retired_at = retired_at WHERE id = :id"), {"id": qid})
    else:
        connection.execute(text(f"UPDATE cards SET buried_until = :at, state = :state, "
                                f"due = :at WHERE {cards}").bindparams(_moment_param("at")),
                           {"at": moment, "state": rng.randint(1, 3), "id": qid, **learner})


@pytest.fixture
def synced(db_url: str) -> Iterator[Database]:
    """The bank synced for the default learner, then a second learner (its deck rows seeded by
    the learner trigger, its cards inserted after)."""
    db = open_database(db_url)
    sync_bank(db, parse_text(numbered_bank(QUESTIONS, DECKS, id_digits=2), "bank.md"), "b",
              FIXED_NOW)
    assert add_learner(db, "second", FIXED_NOW).id == SECOND
    yield db
    db.close()


def _per_learner(totals: Totals, learner: int) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {(deck, kind): row for (owner, deck, kind), row in totals.items() if owner == learner}


@pytest.mark.parametrize("seed", range(12))
def test_triggers_keep_the_deck_totals_equal_to_a_recount(synced: Database, seed: int) -> None:
    rng = random.Random(seed)
    with synced.engine.connect() as connection:
        assert _stored_decks(connection) == _recount_decks(connection)
        for step in range(60):
            _random_write(connection, rng, step)
            connection.commit()
            assert _stored_decks(connection) == _recount_decks(connection), f"after step {step}"
        # The learners' totals went apart: each is its own learner's, not a shared count.
        stored = _stored_decks(connection)[0]
        assert _per_learner(stored, DEFAULT_LEARNER_ID) != _per_learner(stored, SECOND)


# The trigger that keeps the unseen cards when a card's last review or suspension changes.
_CARD_UPDATE_TRIGGER = {"sqlite": "DROP TRIGGER deck_totals_card_update",
                        "postgresql": "DROP TRIGGER deck_totals_cards ON cards"}


def test_a_missing_trigger_makes_the_next_open_rebuild_the_totals(
        synced: Database, db_url: str, db_backend: str) -> None:
    with synced.engine.begin() as connection:
        connection.execute(text(_CARD_UPDATE_TRIGGER[db_backend]))
        connection.execute(text("UPDATE cards SET last_review = :at "
                                "WHERE question_id IN ('q00', 'q05') AND learner_id = 2")
                           .bindparams(_moment_param("at")), {"at": FIXED_NOW})
    with synced.engine.connect() as connection:
        # The drift the trigger prevents.
        assert _stored_decks(connection) != _recount_decks(connection)
    synced.close()
    reopened = open_database(db_url)
    try:
        with reopened.engine.connect() as connection:
            assert _stored_decks(connection) == _recount_decks(connection)
            assert derived.wanted_objects(db_backend) <= derived.object_names(connection)
    finally:
        reopened.close()


class _SuspendSpy:
    """Records the deck triggers a sync drops for a bulk write ("suspend") and their rebuild
    ("rebuild"); the drop that `rebuild_decks` itself does first is not a sync's suspension."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        self._rebuilding = False
        real_suspend, real_rebuild = derived.suspend_decks, derived.rebuild_decks

        def suspend(connection: Connection) -> None:
            if not self._rebuilding:
                self.calls.append("suspend")
            real_suspend(connection)

        def rebuild(connection: Connection) -> None:
            self.calls.append("rebuild")
            self._rebuilding = True
            try:
                real_rebuild(connection)
            finally:
                self._rebuilding = False

        # sync.py calls derived.suspend_decks / derived.rebuild_decks through the module.
        monkeypatch.setattr(derived, "suspend_decks", suspend)
        monkeypatch.setattr(derived, "rebuild_decks", rebuild)


@pytest.mark.parametrize("chunk", [4, 10_000])
def test_a_bulk_sync_rebuilds_what_triggers_would_have_kept(
        db_url: str, db_backend: str, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """With a small INSERT_CHUNK the first import and a large retirement go the bulk way
    (triggers dropped, totals rebuilt at the end); with a large one, row by row. Both end with
    the same totals, equal to a recount, and every trigger in place."""
    monkeypatch.setattr(sync_module, "INSERT_CHUNK", chunk)
    db = open_database(db_url)
    # A second learner from the start: every sync inserts each new question's card for both.
    assert add_learner(db, "second", FIXED_NOW).id == SECOND
    spy = _SuspendSpy(monkeypatch)
    dumps = []
    try:
        for count, decks in ((QUESTIONS, DECKS), (QUESTIONS + 6, DECKS + 1), (8, 2)):
            sync_bank(db, parse_text(numbered_bank(count, decks, id_digits=2), "bank.md"), "b",
                      FIXED_NOW)
            with db.engine.connect() as connection:
                stored = _stored_decks(connection)
                assert stored == _recount_decks(connection)
                assert derived.wanted_objects(db_backend) <= derived.object_names(connection)
            dumps.append(stored)
    finally:
        db.close()
    # The first import and the retirement of most of the bank went the bulk way (each dropping
    # the deck triggers and rebuilding them when it ended), or none did.
    assert spy.calls == ([] if chunk > QUESTIONS else ["suspend", "rebuild"] * 2)
    live = Counter(f"主题{n % 2}" for n in range(8))
    for learner in LEARNER_IDS:
        assert {deck: (questions, cards) for (owner, deck, _kind), (questions, cards, _u)
                in dumps[-1][0].items() if owner == learner} \
            == {deck: (count, count) for deck, count in live.items()}


# --- the review log's per-card and hourly totals ---------------------------------------------

LOG_QUESTIONS = 8
CardTotals = dict[tuple[int, str],
                  tuple[int, int, int, int, datetime | None, datetime | None, str]]
HourTotals = dict[tuple[int, str], int]  # (learner, UTC hour): counted ratings


def _log_bank() -> str:
    return "\n".join(["# 主题\n"] + [
        f"## 问题 {n}？\n\n```meta\nid: q{n}\nsources: 000#{n + 1}\ntags: 主题{n % 3}\n"
        f"kind: concept\n```\n\n答案 {n}。\n" for n in range(LOG_QUESTIONS)])


def _log(rng: random.Random) -> list[dict[str, object]]:
    """Ratings and crams of both learners (some with no state before), often of the same
    question in the same hour; undos of some — one twice, one naming an undo row, one naming no
    row — each by the learner of the rating it takes back; in id order."""
    rows: list[dict[str, object]] = []
    for _ in range(rng.randint(1, 60)):
        moment = FIXED_NOW - timedelta(hours=rng.uniform(0, 500))
        rows.append({"learner_id": rng.choice(LEARNER_IDS),
                     "question_id": f"q{rng.randrange(LOG_QUESTIONS)}", "reviewed_at": moment,
                     "rating": rng.randint(1, 4), "content_hash": "h", "state_after": 2,
                     "due_after": moment, "kind": rng.choice(("review", "review", "cram")),
                     "state_before": rng.choice((None, 0, 1, 2, 2, 3))})
        if rng.random() < 0.25:
            target = rng.randint(1, len(rows))
            for _twice in range(rng.choice((1, 1, 2))):
                rows.append({"learner_id": rows[target - 1]["learner_id"], "question_id": "q0",
                             "reviewed_at": moment, "rating": 0, "content_hash": "h",
                             "state_after": 2, "due_after": moment, "kind": "undo",
                             "undoes": target})
    rows.append({"learner_id": DEFAULT_LEARNER_ID, "question_id": "q1",
                 "reviewed_at": FIXED_NOW, "rating": 0, "content_hash": "h", "state_after": 2,
                 "due_after": FIXED_NOW, "kind": "undo", "undoes": 10_000})
    for number, row in enumerate(rows, start=1):
        row["id"] = number
    return rows


def _hour(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H")


def _raw_log(db: Database) -> tuple[list[dict[str, object]], dict[str, str]]:
    """The review log and each question's deck, as the database holds them."""
    with db.engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(
            text("SELECT id, learner_id, question_id, reviewed_at, rating, kind, undoes, "
                 "state_before FROM reviews ORDER BY id").columns(reviewed_at=UTCDateTime()))]
        decks = dict(connection.execute(text("SELECT id, deck FROM questions")).all())
    return rows, decks


def _recount_log(rows: list[dict[str, object]],
                 decks: dict[str, str]) -> tuple[CardTotals, HourTotals]:
    """Per learner and card: counted ratings, recalled, graded, graded recalled, first counted
    review, latest counted rating, the question's deck; and counted ratings per learner and UTC
    hour."""
    undone = {row["undoes"] for row in rows if row["kind"] == "undo"}
    totals: dict[tuple[int, str], list[int]] = {}
    first: dict[tuple[int, str], datetime] = {}
    last: dict[tuple[int, str], datetime] = {}
    hours: Counter[tuple[int, str]] = Counter()
    for row in rows:
        if row["kind"] not in ("review", "cram") or row["id"] in undone:
            continue
        card = (int(str(row["learner_id"])), str(row["question_id"]))
        entry = totals.setdefault(card, [0, 0, 0, 0])
        recalled = int(str(row["rating"])) > 1
        graded = row["kind"] == "review" and row["state_before"] == 2
        entry[0] += 1
        entry[1] += recalled
        entry[2] += graded
        entry[3] += graded and recalled
        moment = row["reviewed_at"]
        assert isinstance(moment, datetime)
        if row["kind"] == "review":
            first[card] = min(first.get(card, moment), moment)
        last[card] = max(last.get(card, moment), moment)
        hours[card[0], _hour(moment)] += 1
    cards = {card: (n, ok, graded, graded_ok, first.get(card), last.get(card),
                    decks.get(card[1], ""))
             for card, (n, ok, graded, graded_ok) in totals.items() if n}
    return cards, dict(hours)


def _stored_log(db: Database) -> tuple[CardTotals, HourTotals]:
    with db.engine.connect() as connection:
        cards = {(learner, qid): (int(n), int(ok), int(graded), int(graded_ok), first, last,
                                  deck)
                 for learner, qid, n, ok, graded, graded_ok, first, last, deck
                 in connection.execute(
                     text("SELECT learner_id, question_id, ratings, recalled, graded, "
                          "graded_recalled, first_review, last_rating, deck "
                          "FROM card_review_totals")
                     .columns(first_review=UTCDateTime(), last_rating=UTCDateTime()))
                 if n}
        hours = {(learner, hour): int(n) for learner, hour, n in connection.execute(
            text("SELECT learner_id, hour, ratings FROM rating_hours")) if n}
    return cards, hours


@pytest.fixture
def log_database(db_backend: str,
                 make_db_url: Callable[..., str]) -> Callable[[], Database]:
    """A new database of the test's backend with the questions q0…q7 of three decks and two
    learners."""
    def make() -> Database:
        db = open_database(make_db_url())
        sync_bank(db, parse_text(_log_bank(), "bank.md"), "b", FIXED_NOW)
        assert add_learner(db, "second", FIXED_NOW).id == SECOND
        return db
    return make


@pytest.mark.parametrize("seed", range(10))
def test_the_triggers_keep_the_log_totals_a_rebuild_and_a_recount_give(
        log_database: Callable[[], Database], seed: int) -> None:
    rng = random.Random(seed)
    db = log_database()
    rows = _log(rng)
    try:
        with db.sessions.begin() as session:
            # One at a time, as ratings arrive, and the rest at once in one INSERT statement
            # (PostgreSQL fires its row triggers after such a statement, each seeing every row
            # of it: a rating and its undo, or two undos of one rating, in the same statement).
            half = len(rows) // 2
            for row in rows[:half]:
                session.execute(insert(ReviewRow), [row])
            session.execute(insert(ReviewRow).values(
                [{"undoes": None, "state_before": None, **row} for row in rows[half:]]))
        expected = _recount_log(*_raw_log(db))
        assert expected == _recount_log(rows, _raw_log(db)[1])  # the log is what was written
        assert _stored_log(db) == expected
        with db.engine.begin() as connection:
            derived.rebuild_log(connection)
        assert _stored_log(db) == expected
    finally:
        db.close()


def test_the_random_logs_rate_the_same_cards_as_both_learners() -> None:
    """What the test above covers: logs where both learners rated, and rated the same card in
    the same hour (totals kept per card or per hour but not per learner would differ)."""
    both = same_card = same_hour = 0
    for seed in range(10):
        rows = _log(random.Random(seed))
        cards, hours = _recount_log(rows, {})
        both += {learner for learner, _question in cards} == set(LEARNER_IDS)
        same_card += any((SECOND, qid) in cards for learner, qid in cards
                         if learner == DEFAULT_LEARNER_ID)
        same_hour += any((SECOND, hour) in hours for learner, hour in hours
                         if learner == DEFAULT_LEARNER_ID)
    assert both >= 5 and same_card >= 5 and same_hour >= 1


# The undo trigger, and the one trigger of the review log on PostgreSQL.
_LOG_TRIGGER = {"sqlite": "DROP TRIGGER card_review_totals_undo",
                "postgresql": "DROP TRIGGER card_review_totals_inserted ON reviews"}


def test_missing_log_totals_are_rebuilt_when_the_database_opens(
        log_database: Callable[[], Database], db_backend: str) -> None:
    db = log_database()
    rows = _log(random.Random(7))
    with db.sessions.begin() as session:
        session.execute(insert(ReviewRow), rows)
    with db.engine.begin() as connection:
        connection.execute(text(_LOG_TRIGGER[db_backend]))
        connection.execute(text("DELETE FROM card_review_totals"))
        connection.execute(text("DELETE FROM rating_hours"))
    assert _stored_log(db) == ({}, {})
    db.close()
    db = open_database(db.url)
    try:
        assert _stored_log(db) == _recount_log(*_raw_log(db)) == _recount_log(
            rows, _raw_log(db)[1])
        with db.engine.connect() as connection:
            assert derived.wanted_objects(db_backend) <= derived.object_names(connection)
    finally:
        db.close()


def test_an_imported_history_fills_the_totals_through_its_reviews(
        log_database: Callable[[], Database], make_db_url: Callable[..., str]) -> None:
    source = log_database()
    # The undo naming no review is damage an import refuses (quiz doctor reports it too).
    rows = [row for row in _log(random.Random(3)) if row.get("undoes") != 10_000]
    with source.sessions.begin() as session:
        session.execute(insert(ReviewRow), rows)
    data = export_history(source)
    assert not {table.name for table in derived.METADATA.sorted_tables} & set(data["tables"])
    target = open_database(make_db_url())
    try:
        import_history(target, data)
        assert _stored_log(target) == _stored_log(source) == _recount_log(
            rows, _raw_log(source)[1])
    finally:
        source.close()
        target.close()


@pytest.mark.parametrize("statement", [
    "UPDATE reviews SET rating = 1 WHERE id = 1",
    "DELETE FROM reviews WHERE id = 1",
])
def test_the_review_log_refuses_to_change_a_row(
        log_database: Callable[[], Database], statement: str) -> None:
    db = log_database()
    rows = _log(random.Random(1))
    try:
        with db.sessions.begin() as session:
            session.execute(insert(ReviewRow), rows)
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))
        assert len(_raw_log(db)[0]) == len(rows)
    finally:
        db.close()


# --- the day's ratings -----------------------------------------------------------------------

def _rate(db: Database, moments: list[tuple[int, str, datetime]]) -> None:
    with db.sessions.begin() as session:
        session.execute(insert(ReviewRow), [
            {"learner_id": learner, "question_id": qid, "reviewed_at": moment, "rating": 3,
             "content_hash": "h", "state_after": 2, "due_after": moment, "kind": "review",
             "state_before": 2}
            for learner, qid, moment in moments])


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns", "Asia/Kathmandu"])
def test_ratings_of_the_day_when_it_starts_off_the_hour(
        db_url: str, monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    """A day starting at 4:00 local time in a :30 or :45 time zone starts off the UTC hour: the
    ratings between its start and the next whole hour are counted from the log, the rest from
    the hourly totals — together exactly the ratings since the day started, of the learner
    asking (a second learner rates in the same hours)."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        db = open_database(db_url)
        sync_bank(db, parse_text(numbered_bank(6, 2), "bank.md"), "b", FIXED_NOW)
        second = db.as_learner(add_learner(db, "second", FIXED_NOW).id, "second")
        settings = Settings(day_starts_at=4)
        now = FIXED_NOW + timedelta(hours=30)
        day_start = start_of_day(now, settings.day_starts_at)
        offsets = {DEFAULT_LEARNER_ID: [-3600, -61, -1, 0, 1, 59 * 60, 61 * 60, 3 * 3600,
                                        7 * 3600],
                   second.learner_id: [-60, 0, 2, 30, 58 * 60, 3 * 3600]}
        _rate(db, [(learner, f"q{n % 6}", day_start + timedelta(seconds=offset))
                   for learner, seconds in offsets.items()
                   for n, offset in enumerate(seconds)])
        for learner in (db, second):
            expected = sum(1 for offset in offsets[learner.learner_id]
                           if day_start + timedelta(seconds=offset) <= now and offset >= 0)
            assert due_counts(learner, now, settings).reviews_today == expected
        db.close()
    finally:
        monkeypatch.undo()
        time.tzset()
