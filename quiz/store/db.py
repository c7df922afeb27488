"""Opening a database, SQLite or PostgreSQL: the engine, the schema (created, upgraded, and the
derived data and triggers of `quiz.store.derived`), and the version check. One setup serves both
databases; what is SQLite's alone (its files, pragmas, BEGIN IMMEDIATE) is named as such."""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from quiz.store import StoreError, derived
from quiz.store.sqlite_files import (
    REQUIRED_TABLES,
    FileFacts,
    backup_database,
    configure_connection,
    existing_facts,
    plain_reason,
    prepare_folder,
    sqlite_path,
    sqlite_reason,
    write_refusal,
)
from quiz.store.tables import (
    APPLICATION_ID,
    CARDS,
    DEFAULT_LEARNER,
    DEFAULT_LEARNER_ID,
    LEARNERS,
    METADATA,
    REVIEWS,
    SCHEMA_INFO,
    SCHEMA_VERSION,
)

# One encoder for every JSON column value: json.dumps with options builds a new one per call,
# which was a fifth of the time of writing a large import's rows. Readable Chinese, not \uXXXX.
_JSON = json.JSONEncoder(ensure_ascii=False)
DIALECTS = ("sqlite", "postgresql")

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


class Database:
    """An open database: its engine, Core connections for reads and writes, and the ORM's
    sessions, made on first use — the ORM is imported then, not by `quiz due` or the TUI's first
    frame, which read through Core alone.

    A handle studies as one learner (`learner_id`): every card and review it reads or writes is
    that learner's. `as_learner` gives a handle of another learner on the same engine."""

    def __init__(self, engine: Engine, url: str, learner_id: int = DEFAULT_LEARNER_ID,
                 learner_name: str = DEFAULT_LEARNER) -> None:
        self.engine = engine
        self.url = url
        self.learner_id = learner_id
        self.learner_name = learner_name
        self._sessions: sessionmaker[Session] | None = None
        self._writes: sessionmaker[Session] | None = None

    def as_learner(self, learner_id: int, learner_name: str) -> Database:
        """The same database (engine and sessions shared) studied as another learner."""
        other = Database(self.engine, self.url, learner_id, learner_name)
        other._sessions, other._writes = self._sessions, self._writes
        return other

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def _writer(self) -> Engine:
        # Transactions that read and then write take the write lock at BEGIN (SQLite: BEGIN
        # IMMEDIATE): what they read cannot be changed by another process before they write,
        # and they wait for a lock instead of failing to upgrade one. (PostgreSQL: such units
        # lock the rows they read, SELECT … FOR UPDATE.)
        return self.engine.execution_options(quiz_immediate=True) if self.is_sqlite \
            else self.engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    def write(self) -> AbstractContextManager[Session]:
        """An ORM session in one write transaction."""
        if self._writes is None:
            from sqlalchemy.orm import sessionmaker

            self._writes = sessionmaker(self._writer(), expire_on_commit=False)
        return self._writes.begin()

    def read(self) -> AbstractContextManager[Connection]:
        """A Core connection in one (read) transaction."""
        return self.engine.begin()

    def write_connection(self) -> AbstractContextManager[Connection]:
        """A Core connection in one write transaction."""
        return self._writer().begin()

    def close(self) -> None:
        self.engine.dispose()


def _on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("quiz_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def error_message(error: BaseException, url: str = "") -> str:
    """A store failure (SQLAlchemy or sqlite3) as one line, for the CLI and the TUI."""
    original = getattr(error, "orig", None) or error
    path = sqlite_path(url) if url else None
    prefix = f"{path or url}: " if (path or url) else ""
    return prefix + sqlite_reason(original, path)


def plain_failure_message(error: BaseException, url: str) -> str | None:
    """`error_message` of a failure with a plain cause the learner can act on (the database is
    read-only, the disk is full, another program holds the lock), met while a command read or
    wrote — its transaction rolled back, so nothing is half-written. None for anything else
    (a bug or a damaged row: reported as such by the caller)."""
    from sqlalchemy.exc import OperationalError

    original = getattr(error, "orig", None) or error
    store_failure = isinstance(error, OperationalError) or isinstance(original, sqlite3.Error)
    if not store_failure or plain_reason(original, sqlite_path(url)) is None:
        return None
    return error_message(error, url)


def check_writable(url: str) -> None:
    """Refuse, before anything is asked or written, a database quiz could not write (an SQLite
    file or folder without write permission): commands that will write (`practice --record`,
    the TUI) say so at once instead of failing after the learner's work. Other databases are
    asked at their first write (their permissions are the server's)."""
    path = sqlite_path(url)
    reason = write_refusal(path) if path is not None else None
    if reason is not None:
        raise StoreError(f"{path}: {reason}")


def _check_columns(connection: Connection, url: str) -> None:
    """Every column the models use exists (a half-migrated file is caught at open)."""
    inspector = inspect(connection)
    for table in METADATA.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in present]
        if missing:
            raise StoreError(f"{url}: table {table.name} lacks column(s) {', '.join(missing)} "
                             f"for schema version {SCHEMA_VERSION}; restore a backup")


def _backup_before_upgrade(url: str, version: int) -> Path | None:
    """Copy an SQLite file beside itself before a migration (written under a hidden partial
    name and renamed when complete, so a copy cut short never looks like a backup)."""
    source = sqlite_path(url)
    if source is None:
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return backup_database(source, source.with_name(f"{source.name}.v{version}-backup-{stamp}"))


def _refuse_unwritable_setup(url: str, facts: FileFacts) -> None:
    """An SQLite file that must be written to open (upgraded, or given a missing index) but
    cannot be: refused in one line before any backup is copied, so each refused command leaves
    nothing behind."""
    path = sqlite_path(url)
    reason = write_refusal(path) if path is not None else None
    if reason is None:
        return
    if facts.version is not None and facts.version < SCHEMA_VERSION:
        need = f"quiz must upgrade it (schema {facts.version} to {SCHEMA_VERSION}) to open it"
    else:
        need = "quiz must add missing indexes or triggers to open it"
    raise StoreError(f"{path}: {reason}; {need} — nothing was changed or copied")


def _migrate_1_to_2(connection: Connection) -> None:
    """Decks, card flags, the new-card rank, undo and cram columns, readable JSON tags."""
    alters = (
        "ALTER TABLE questions ADD COLUMN deck VARCHAR(200) NOT NULL DEFAULT ''",
        "ALTER TABLE cards ADD COLUMN lapses INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN leech BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN buried_until DATETIME",
        "ALTER TABLE cards ADD COLUMN flagged BOOLEAN NOT NULL DEFAULT 0",
        "ALTER TABLE cards ADD COLUMN new_rank INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE reviews ADD COLUMN kind VARCHAR(10) NOT NULL DEFAULT 'review'",
        "ALTER TABLE reviews ADD COLUMN undoes INTEGER",
        "ALTER TABLE reviews ADD COLUMN state_before INTEGER",
        "ALTER TABLE reviews ADD COLUMN card_before JSON",
    )
    for statement in alters:
        connection.execute(text(statement))
    # Tags were stored ASCII-escaped, which no LIKE search for Chinese text can match.
    rows = connection.execute(text("SELECT id, tags, sources FROM questions")).all()
    for question_id, tags, sources in rows:
        tag_list = _json_list(tags)
        connection.execute(
            text("UPDATE questions SET tags = :tags, sources = :sources, deck = :deck "
                 "WHERE id = :id"),
            {"tags": _dumps(tag_list), "sources": _dumps(_json_list(sources)),
             "deck": tag_list[0] if tag_list else "", "id": question_id},
        )
    # A lapse is an Again that sent a review card back to relearning (fsrs state 3).
    connection.execute(text(
        "UPDATE cards SET lapses = (SELECT count(*) FROM reviews r WHERE "
        "r.question_id = cards.question_id AND r.rating = 1 AND r.state_after = 3)"
    ))


def _json_list(value: object) -> list[object]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return list(value) if isinstance(value, list) else []


def _migrate_2_to_3(connection: Connection) -> None:
    """Learners: the history so far becomes the default learner's. Cards are keyed by learner
    and question, and each review names its learner; the derived totals are dropped and made
    again per learner (`derived.ensure`)."""
    derived.drop_all(connection)
    derived.add_card_columns(connection)  # a v2 file made before the cards' copies
    LEARNERS.create(connection, checkfirst=True)
    _add_default_learner(connection)
    for name in LEARNER_INDEXES:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    if connection.dialect.name == "sqlite":
        _rebuild_with_learner(connection, "cards")
        _rebuild_with_learner(connection, "reviews")
    else:
        for table in ("cards", "reviews"):
            # A default fills the existing rows without an UPDATE (which the review log's
            # append-only trigger refuses); dropped at once, so no later write can omit it.
            connection.exec_driver_sql(
                f"ALTER TABLE {table} ADD COLUMN learner_id INTEGER NOT NULL "
                f"DEFAULT {DEFAULT_LEARNER_ID} REFERENCES learners (id)")
            connection.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN learner_id DROP DEFAULT")
        connection.exec_driver_sql("ALTER TABLE cards DROP CONSTRAINT cards_pkey")
        connection.exec_driver_sql("ALTER TABLE cards ADD PRIMARY KEY (learner_id, question_id)")
    # Today's extra new cards (custom study) are the learner's, as the counts now key them. (A
    # database of schema 1, upgraded through 2 in the same open, has no settings table yet.)
    if inspect(connection).has_table("settings"):
        connection.execute(
            text("UPDATE settings SET key = :prefix || substr(key, 11) "
                 "WHERE key LIKE :one AND key NOT LIKE :two"),
            {"prefix": f"extra_new:{DEFAULT_LEARNER_ID}:", "one": "extra_new:%",
             "two": "extra_new:%:%"})


def _rebuild_with_learner(connection: Connection, name: str) -> None:
    """SQLite cannot change a primary key in place: the table is made again from the model and
    its rows copied with the default learner (ids kept, so undo rows still name their review)."""
    table = {"cards": CARDS, "reviews": REVIEWS}[name]
    old = f"{name}_v2"
    # Index names are the database's, not the table's: the old ones go before the new table
    # takes them; the old table's triggers (append-only) go so that it can be dropped.
    for kind, object_name in connection.exec_driver_sql(
            "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') "
            f"AND tbl_name = '{name}' AND sql IS NOT NULL").all():
        connection.exec_driver_sql(f"DROP {str(kind).upper()} IF EXISTS {object_name}")
    connection.exec_driver_sql(f"ALTER TABLE {name} RENAME TO {old}")
    table.create(connection)
    present = {column["name"] for column in inspect(connection).get_columns(old)}
    columns = [column.name for column in table.columns
               if column.name != "learner_id" and column.name in present]
    listed = ", ".join(columns)
    connection.exec_driver_sql(
        f"INSERT INTO {name} (learner_id, {listed}) "
        f"SELECT {DEFAULT_LEARNER_ID}, {listed} FROM {old}")
    connection.exec_driver_sql(f"DROP TABLE {old}")


def _add_default_learner(connection: Connection) -> None:
    """The learner a single user studies as, with its fixed id (the first row of a new table)."""
    present = connection.execute(
        select(LEARNERS.c.id).where(LEARNERS.c.id == DEFAULT_LEARNER_ID)).first()
    if present is None:
        connection.execute(LEARNERS.insert().values(
            id=DEFAULT_LEARNER_ID, name=DEFAULT_LEARNER, display_name="",
            created_at=datetime.now(timezone.utc)))
        if connection.dialect.name == "postgresql":
            # The id was given: the sequence must not hand it out again.
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('learners', 'id'), "
                "GREATEST((SELECT max(id) FROM learners), 1))")


def _migrate_3_to_4(connection: Connection) -> None:
    """The key of an answer given outside the TUI (reviews.answer_key), whose unique index
    (`INDEXES`, made after the migrations) logs a recorded answer once. The rows logged before
    keep NULL (the log is append-only); recording finds them by question, seed and text. (A
    database upgraded from schema 2 in the same open already has the column: SQLite's upgrade to
    learners made its review table from the current model.)"""
    present = {column["name"] for column in inspect(connection).get_columns("reviews")}
    if "answer_key" not in present:
        connection.exec_driver_sql("ALTER TABLE reviews ADD COLUMN answer_key VARCHAR(64)")


MIGRATIONS = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4}
INDEXES = {
    "ix_questions_deck": "CREATE INDEX IF NOT EXISTS ix_questions_deck ON questions (deck)",
    "ix_cards_suspended": "CREATE INDEX IF NOT EXISTS ix_cards_suspended "
                          "ON cards (learner_id, suspended)",
    "ix_cards_new_rank": "CREATE INDEX IF NOT EXISTS ix_cards_new_rank "
                         "ON cards (learner_id, new_rank)",
    "ix_reviews_undoes": "CREATE INDEX IF NOT EXISTS ix_reviews_undoes ON reviews (undoes)",
    # Covering indexes, so counts and statistics over a million reviews read an index, not the
    # wide rows: per day and today's reviews with their cards (reviewed_at first), retention per
    # week and reviews today (kind first), the per-card pass of the statistics and "reviewed
    # before" (question_id first); browse pages in bank order.
    "ix_reviews_when": "CREATE INDEX IF NOT EXISTS ix_reviews_when "
                       "ON reviews (learner_id, reviewed_at, kind, state_before, rating, "
                       "question_id)",
    "ix_reviews_kind": "CREATE INDEX IF NOT EXISTS ix_reviews_kind "
                       "ON reviews (learner_id, kind, state_before, reviewed_at, rating)",
    "ix_reviews_card": "CREATE INDEX IF NOT EXISTS ix_reviews_card "
                       "ON reviews (learner_id, question_id, kind, reviewed_at, rating, "
                       "state_before)",
    "ix_questions_position": "CREATE INDEX IF NOT EXISTS ix_questions_position "
                             "ON questions (file, line)",
    # What an import compares for each question of its bank (quiz.store.sync), so a re-import
    # of an unchanged bank reads this index instead of every wide question row.
    "ix_questions_sync": "CREATE INDEX IF NOT EXISTS ix_questions_sync "
                         "ON questions (bank, id, content_hash, retired_at, file, line)",
    # The live questions per deck (home totals, the deck list, browse's count) from an index.
    "ix_questions_live": "CREATE INDEX IF NOT EXISTS ix_questions_live "
                         "ON questions (retired_at, deck, kind, file)",
    # The join from a card to its question's deck and retirement without reading the wide
    # question row (answers, blocks).
    "ix_questions_card": "CREATE INDEX IF NOT EXISTS ix_questions_card "
                         "ON questions (id, retired_at, deck, kind)",
    # Partial indexes: the undo rows alone (a few per thousand ratings), and the studied and
    # unseen cards apart, so counting the due learning cards does not step over every unseen
    # card (whose state is Learning too).
    "ix_reviews_undo": "CREATE INDEX IF NOT EXISTS ix_reviews_undo ON reviews (undoes) "
                       "WHERE kind = 'undo'",
    # (last_review and question_id in the columns too: without them each row read from the
    # index would still be looked up in the table.)
    # `live` (quiz.store.deck_totals's copy of the question's retirement) too, so the due
    # cards of every deck are counted from this index alone.
    "ix_cards_studied": "CREATE INDEX IF NOT EXISTS ix_cards_studied ON cards "
                        "(learner_id, state, due, suspended, buried_until, live, last_review, "
                        "question_id) "
                        "WHERE last_review IS NOT NULL",
    # The cards' primary key starts with the learner: a question's cards across the learners
    # (a rank written per question, a question's deck copied to its cards, a new learner's
    # rank lookup) need their own index.
    "ix_cards_question": "CREATE INDEX IF NOT EXISTS ix_cards_question "
                         "ON cards (question_id, learner_id)",
    "ix_cards_buried": "CREATE INDEX IF NOT EXISTS ix_cards_buried "
                       "ON cards (learner_id, buried_until, suspended) "
                       "WHERE buried_until IS NOT NULL",
    "ix_cards_unseen": "CREATE INDEX IF NOT EXISTS ix_cards_unseen "
                       "ON cards (learner_id, suspended, buried_until, last_review, question_id) "
                       "WHERE last_review IS NULL",
    # An answer given outside the TUI is logged once per learner (quiz.store.actions
    # .record_answer inserts ON CONFLICT DO NOTHING against it). NULL keys (the TUI's ratings)
    # never collide, on SQLite as on PostgreSQL.
    "ux_reviews_answer": "CREATE UNIQUE INDEX IF NOT EXISTS ux_reviews_answer "
                         "ON reviews (learner_id, answer_key)",
}
# Indexes whose columns schema 3 changed (the learner first): dropped by the upgrade, made again.
LEARNER_INDEXES = ("ix_cards_suspended", "ix_cards_new_rank", "ix_reviews_when", "ix_reviews_kind",
                   "ix_reviews_card", "ix_cards_studied", "ix_cards_buried", "ix_cards_unseen",
                   "ix_cards_deck_due")
# Indexes an earlier version created that a newer one replaced (dropped when the database is set
# up again, so a write does not maintain both).
OBSOLETE_INDEXES = ("ix_reviews_day", "ix_reviews_card_log", "ix_cards_seen")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _needs_setup(facts: FileFacts | None) -> bool:
    """Whether opening an SQLite file must write (create, migrate, add a missing index or
    trigger): a current database is opened without writing anything, so a read-only file can
    still be read."""
    if facts is None:
        return True
    wanted = {table.name for table in METADATA.sorted_tables}
    wanted |= set(INDEXES) | derived.wanted_objects("sqlite")
    return (facts.application_id != APPLICATION_ID or facts.version != SCHEMA_VERSION
            or not wanted <= facts.objects)


def _set_up(connection: Connection, url: str) -> None:
    """Create or upgrade the schema and its derived data, inside the caller's transaction —
    which holds the database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
    lock), so processes opening a new database at once wait for each other instead of racing."""
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLICATION_ID})
    has_info = inspect(connection).has_table("schema_info")
    version = connection.execute(select(func.max(SCHEMA_INFO.c.version))).scalar() \
        if has_info else None
    _check_not_newer(version, url)
    if has_info:
        _check_complete(connection, url, version)
    while version is not None and version < SCHEMA_VERSION:
        MIGRATIONS[version](connection)
        version += 1
    METADATA.create_all(connection)
    _add_default_learner(connection)
    derived.add_card_columns(connection)  # before the check and the indexes that name them
    if not sqlite:
        # Created as VARCHAR(60) by earlier versions: a bank folder's key is longer.
        connection.exec_driver_sql("ALTER TABLE settings ALTER COLUMN key TYPE TEXT")
    _check_columns(connection, url)
    for index in INDEXES.values():
        connection.execute(text(index))
    for name in OBSOLETE_INDEXES:
        connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
    derived.ensure(connection, derived.object_names(connection))
    connection.execute(text("DELETE FROM schema_info"))
    connection.execute(text("INSERT INTO schema_info (version) VALUES (:v)"),
                       {"v": SCHEMA_VERSION})
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _check_complete(connection: Connection, url: str, version: int | None) -> None:
    """A database that has been set up keeps its history: a missing table or version is damage
    to report, never a reason to start again from empty tables."""
    if version is None or version < 1:
        raise StoreError(f"{url}: the schema version is missing (0); this is not a complete "
                         "quiz database — restore a backup or choose another database")
    inspector = inspect(connection)
    missing = [table for table in REQUIRED_TABLES if not inspector.has_table(table)]
    if missing:
        raise StoreError(f"{url}: table {', '.join(missing)} is missing — the database is "
                         "damaged; restore a backup rather than start from an empty history")


def _set_up_sqlite(engine: Engine, url: str) -> None:
    with engine.connect().execution_options(quiz_immediate=True) as connection, \
            connection.begin():
        _set_up(connection, url)


def _postgresql_current(engine: Engine) -> bool:
    """A PostgreSQL database with this schema and all its derived objects: opened without
    writing (and without the setup lock)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("schema_info"):
            return False
        version = connection.execute(select(func.max(SCHEMA_INFO.c.version))).scalar()
        wanted = {table.name for table in METADATA.sorted_tables}
        wanted |= set(INDEXES) | derived.wanted_objects("postgresql")
        return version == SCHEMA_VERSION and wanted <= derived.object_names(connection)


def _set_up_postgresql(engine: Engine, url: str) -> None:
    if _postgresql_current(engine):
        return
    with engine.begin() as connection:
        _set_up(connection, url)


# SQLite's query planner needs ANALYZE's statistics to prefer a day's range of the review log
# over an equality on a column with three values (without them, a count of today's ratings
# reads a million index entries). Nothing else runs ANALYZE: it is run when a table has grown
# (or shrunk) twofold since, or has an index without statistics — a few times over a
# database's life, about a second at a million reviews.
STATISTICS_PROBES = (("reviews", "ix_reviews_when"), ("cards", "ix_cards_due"),
                     ("questions", "ix_questions_card"))
ANALYZE_MIN_ROWS = 1000


def _statistics_stale(connection: Connection) -> bool:
    names = {name for (name,) in connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    known: dict[str, int] = {}
    if "sqlite_stat1" in names:
        for index, stat in connection.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1"):
            with suppress(AttributeError, IndexError, ValueError):
                known[index] = int(stat.split()[0])
    for table, index in STATISTICS_PROBES:
        if table not in names:
            continue
        # The largest rowid: the number of rows in a table nothing deletes from, in one probe.
        rows = connection.exec_driver_sql(f"SELECT max(rowid) FROM {table}").scalar() or 0
        if rows < ANALYZE_MIN_ROWS:
            continue
        counted = known.get(index)
        if counted is None or not counted / 2 <= rows <= counted * 2:
            return True
    return False


def refresh_statistics_after_sync(connection: Connection, bulk: bool) -> None:
    """Within a sync's transaction: when it made the statistics of the bank's tables stale (a
    first import of a large bank), gather them now (0.2 s at 100,000 questions), instead of at
    the next command's open. PostgreSQL's autovacuum would gather them later; a bulk sync
    gathers them at once, so the next count is planned on the new sizes."""
    if connection.dialect.name == "sqlite":
        if _statistics_stale(connection):
            connection.exec_driver_sql("ANALYZE questions")
            connection.exec_driver_sql("ANALYZE cards")
    elif bulk:
        connection.exec_driver_sql("ANALYZE questions, cards")


def _refresh_statistics(engine: Engine) -> None:
    """ANALYZE when the statistics are missing or stale; a database that cannot be written
    (read-only, locked by another writer) is left as it is — the queries still work, slower."""
    with engine.connect() as connection:
        if not _statistics_stale(connection):
            return
        with suppress(SQLAlchemyError):
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def _check_not_newer(version: int | None, url: str) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"{url}: schema version {version} is newer than this quiz understands "
            f"({SCHEMA_VERSION}); upgrade quiz"
        )


def open_database(url: str, *, create: bool = True) -> Database:
    """Open the database at an SQLAlchemy URL; with `create`, a missing SQLite file is created.

    An SQLite file is checked before anything is written to it: another application's file, a
    newer schema or a damaged one (a missing table or column) is refused with a StoreError.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StoreError(f"--db {url!r} is not a valid SQLAlchemy URL ({error})") from None
    backend = parsed.get_backend_name()
    # The URL as messages show it: a password is never printed.
    shown = parsed.render_as_string(hide_password=True)
    if backend not in DIALECTS:
        raise StoreError(f"--db {shown!r}: quiz stores its data in SQLite or PostgreSQL "
                         f"(postgresql+psycopg://…), not {backend}")
    is_sqlite = backend == "sqlite"
    facts = existing_facts(url, create) if is_sqlite else None
    if is_sqlite and facts is None:
        prepare_folder(url)
    if facts is not None and _needs_setup(facts):
        _refuse_unwritable_setup(url, facts)
    backup = None
    if facts is not None and facts.version is not None and facts.version < SCHEMA_VERSION:
        try:
            backup = _backup_before_upgrade(url, facts.version)
        except Exception as error:
            raise StoreError(f"cannot back up {url} before upgrading it: {error}") from None
    try:
        # JSON stays readable (and searchable with LIKE) for Chinese tags.
        engine = create_engine(url, json_serializer=_JSON.encode)
        if is_sqlite:
            event.listen(engine, "connect", configure_connection)
            event.listen(engine, "begin", _on_begin)
            if _needs_setup(facts):
                try:
                    _set_up_sqlite(engine, url)
                except BaseException:
                    # The upgrade rolled back: the file is as the backup has it, and a retry
                    # makes its own — this one would only pile up (or fill the disk).
                    engine.dispose()
                    if backup is not None:
                        backup.unlink(missing_ok=True)
                    raise
            else:
                with engine.connect() as connection:
                    _check_columns(connection, url)
            _refresh_statistics(engine)
        else:
            _set_up_postgresql(engine, shown)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot open database {shown}: {error_message(error)}") from None
    except ModuleNotFoundError as error:
        raise StoreError(f"cannot open database {shown}: driver {error.name!r} is not "
                         "installed (PostgreSQL: pip install 'quiz[postgres]')") from None
    return Database(engine, url)
