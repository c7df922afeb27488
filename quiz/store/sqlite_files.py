"""SQLite files, in one place: the file of a URL, the checks made before a file is opened (is
it SQLite, is it a quiz database, which schema), the connection settings, plain read-only
connections for `quiz doctor`, and copies made with SQLite's online backup API (consistent while
another process writes; written under a temporary name and renamed, so a failure never leaves a
half-written file under a backup's name).
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import stat
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from quiz.store import StoreError
from quiz.store.tables import APPLICATION_ID, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 10_000
CACHE_KIB = 32 * 1024  # SQLite's page cache per connection
REQUIRED_TABLES = ("schema_info", "questions", "cards", "reviews")
SQLITE_HEADER = b"SQLite format 3\x00"
NOT_SQLITE = "this file is not an SQLite database"


class BackupError(RuntimeError):
    """A backup that could not be made; the message says which file and why."""


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases and in-memory ones)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if database and database.startswith("file:"):  # an SQLite URI (…?mode=ro&uri=true)
        database = database.removeprefix("file:").split("?", 1)[0]
        if database.startswith("//"):
            database = database[2:]
    # SQLAlchemy reads `?mode=memory&uri=true` into the URL's query, not its database.
    in_memory = parsed.query.get("mode") == "memory" or "mode=memory" in (parsed.database or "")
    if not database or database == ":memory:" or in_memory:
        return None
    return Path(database).expanduser()

def prepare_folder(url: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the database folder {folder}: {error.strerror}") \
                from None

def configure_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # The driver's own transaction handling is switched off: SQLAlchemy's "begin" event below
    # emits BEGIN (or BEGIN IMMEDIATE for writers) itself, as the SQLAlchemy docs recommend.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Counting at scale probes indexes of tens of MiB (the review log's, per card): SQLite's
    # default 2 MiB page cache reads most probes from the OS again. Memory is used only as pages
    # are read.
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    # A read-only file keeps its journal mode; reading it still works.
    with suppress(sqlite3.OperationalError):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()

@dataclass(frozen=True)
class FileFacts:
    """What an existing SQLite file says about itself, read without writing to it."""

    application_id: int
    tables: frozenset[str]
    version: int | None  # schema_info's version, None when the table is missing or empty
    objects: frozenset[str] = frozenset()  # names of every table, index and trigger


def read_facts(path: Path) -> FileFacts:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                     timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            rows = connection.execute("SELECT type, name FROM sqlite_master").fetchall()
            tables = frozenset(name for kind, name in rows if kind == "table")
            objects = frozenset(name for _kind, name in rows)
            version = None
            if "schema_info" in tables:
                version = connection.execute("SELECT max(version) FROM schema_info").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"cannot read {path}: {sqlite_reason(error, path)}") from None
    return FileFacts(application_id, tables, version, objects)


def sqlite_reason(error: BaseException, path: Path | None = None) -> str:
    """One line a learner can act on, for the SQLite errors that have a plain cause (the
    error's own first line otherwise)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return plain_reason(error, path) or text


def plain_reason(error: BaseException, path: Path | None = None) -> str | None:
    """The plain cause of a store failure (read-only, full disk, locked, not a database …), or
    None when the error has none of them — a bug or damage, to be reported as itself."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if isinstance(error, OSError) and error.errno == errno.EROFS:
        return "the database is read-only (the file system is mounted read-only)"
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    lowered = text.lower()
    folder = path.parent if path is not None else None
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return NOT_SQLITE
    if "readonly" in lowered or "read-only" in lowered:
        return "the database is read-only (the file or its folder cannot be written)"
    if "unable to open database file" in lowered:
        where = f" (check that {folder} exists and can be written)" if folder else ""
        return f"the database file cannot be opened{where}"
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return "the disk is full"
    if "locked" in lowered or "busy" in lowered:
        return "the database is locked by another program (try again in a moment)"
    return None


def write_refusal(path: Path) -> str | None:
    """Why quiz could not write to the SQLite file `path` (None when it can, as far as the
    permissions tell): the file, and the folder where SQLite makes its journal — or, in WAL
    mode, the -wal and -shm files when they are already there. Asked before anything is
    written or copied, so a read-only database is refused in one line with nothing half-done."""
    folder = path.parent
    if not path.exists():
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            return f"the database cannot be created (its folder {folder} is read-only)"
        return None
    if not os.access(path, os.W_OK):
        return "the database is read-only (the file cannot be written)"
    companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    locked = [file.name for file in companions if file.exists() and not os.access(file, os.W_OK)]
    if locked:
        return f"the database is read-only ({', '.join(locked)} beside it cannot be written)"
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    wal_ready = all(file.exists() for file in companions[:2])
    if in_wal_mode(path) and wal_ready:
        return None  # a WAL database writes into its existing -wal and -shm alone
    return (f"the database is read-only (its folder {folder} cannot be written, and SQLite "
            "writes its journal there)")


def in_wal_mode(path: Path) -> bool:
    """Whether the file's header says WAL mode (bytes 18 and 19 are 2)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2 and header[19] == 2

def check_identity(facts: FileFacts, path: Path) -> None:
    """Refuse a file that is not a quiz database, or one this quiz cannot use, before any write."""
    ours = facts.application_id == APPLICATION_ID or (
        facts.application_id == 0 and "schema_info" in facts.tables)
    if not ours:
        if facts.application_id != 0:
            owner = f"application id {facts.application_id:#x}"
        else:
            owner = "tables " + ", ".join(sorted(facts.tables)[:6])
        raise StoreError(f"{path} is not a quiz database ({owner}); quiz will not add its "
                         "tables to it — choose another file with --db")
    if facts.version is None or facts.version < 1:
        raise StoreError(f"{path}: the schema version is missing (0); this is not a complete "
                         "quiz database — restore a backup or choose another file")
    if facts.version > SCHEMA_VERSION:
        raise StoreError(f"{path}: schema version {facts.version} is newer than this quiz "
                         f"understands ({SCHEMA_VERSION}); upgrade quiz")
    missing = [table for table in REQUIRED_TABLES if table not in facts.tables]
    if missing:
        raise StoreError(f"{path}: table {', '.join(missing)} is missing — the database is "
                         "damaged; restore a backup (quiz doctor explains) rather than start "
                         "from an empty history")

def existing_facts(url: str, create: bool) -> FileFacts | None:
    """Look at an existing SQLite file before opening it; None for a new (or empty) one."""
    path = sqlite_path(url)
    if path is None:
        return None
    try:
        facts_of_path = path.stat()
        size: int | None = facts_of_path.st_size
    except (FileNotFoundError, NotADirectoryError):
        size = None
    except OSError as error:
        raise StoreError(f"cannot open {path}: {error.strerror}") from None
    else:
        if not stat.S_ISREG(facts_of_path.st_mode):
            raise StoreError(f"{path} is not a database file (it is a directory or a device): "
                             "give --db a file's path")
    if size is None and not create:
        raise StoreError(f"{path}: no such database (only `quiz` and `quiz import` create one; "
                         "check the --db path)")
    if not size:
        return None
    # SQLite reads a short file without its header as an empty database and would write over
    # it: a file that is not SQLite is refused before anything is opened.
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise StoreError(f"{path} is not an SQLite database; quiz will not write over it — "
                             "choose another file with --db")
    facts = read_facts(path)
    if not facts.tables and facts.application_id == 0:
        return None
    check_identity(facts, path)
    return facts

def connect_existing(path: Path, write: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection to a file that must already exist (never creates one)."""
    uri = f"file:{quote(str(path.resolve()))}?mode={'rw' if write else 'ro'}"
    connection = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
    # A damaged text value must be reportable, not an exception while fetching it.
    connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    return connection

PARTIAL = ".partial-"
# A copy being written: `.NAME.partial-PID`, and the journal SQLite may keep beside it.
_PARTIAL_NAME = re.compile(r"^\..+\.partial-(\d+)(-journal|-wal|-shm)?$")


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the half-written copies left in `folder` by a backup whose process is gone
    (killed during the copy): their hidden `.partial-PID` names never look like a backup, and
    they would otherwise pile up. A live process's copy is left alone."""
    removed = []
    with suppress(OSError):
        for entry in folder.iterdir():
            found = _PARTIAL_NAME.match(entry.name)
            if found and not _process_alive(int(found.group(1))):
                with suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process (or an unusable number): not ours to judge
    return True


# SQLite's primary result codes that say the file could not be reached or written — not that
# it is damaged (SQLITE_CORRUPT and SQLITE_NOTADB are the ones that do).
_ACCESS_CODES = frozenset({3, 5, 6, 7, 8, 10, 13, 14, 23})  # PERM BUSY LOCKED NOMEM READONLY
#                                                             IOERR FULL CANTOPEN AUTH


def is_access_failure(error: sqlite3.Error) -> bool:
    """Whether an sqlite3 error says the file could not be read or written here (permissions,
    a read-only folder, a lock, a full disk) rather than that its content is damaged."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _ACCESS_CODES
    reason = plain_reason(error)  # an error raised without SQLite's code: by its text
    return reason is not None and reason != NOT_SQLITE


def wal_has_content(path: Path) -> bool:
    """Whether `path`'s -wal holds pages (committed changes not yet copied into the file)."""
    try:
        return path.with_name(path.name + "-wal").stat().st_size > 0
    except OSError:
        return False


def _wal_reader_refused(error: sqlite3.Error, path: Path) -> bool:
    """Whether SQLite refused to read a WAL database only because it could not make the files a
    reader needs (SQLITE_READONLY or SQLITE_CANTOPEN), with nothing in a -wal or a hot -journal
    that an immutable reader would miss. A lock (BUSY, LOCKED) is never this: a writer may be
    half-way through the file, and an immutable read would see damage that is not there."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int) or code & 0xFF not in (8, 14):  # READONLY, CANTOPEN
        return False
    journal = path.with_name(path.name + "-journal")
    hot_journal = journal.exists() and journal.stat().st_size > 0
    return in_wal_mode(path) and not wal_has_content(path) and not hot_journal \
        and os.access(path, os.R_OK)


def connect_to_read(path: Path) -> sqlite3.Connection:
    """A read-only connection for checking a file. A WAL database in a folder SQLite cannot
    write (so it cannot make the -shm that a reader needs) is opened `immutable` instead — but
    only when no -wal holds changes: an immutable reader ignores the -wal, and would check an
    older state of the database than the one quiz uses. A file that cannot be read here (a
    lock, permissions) raises the sqlite3 error; a damaged one is returned for the caller's
    checks to report."""
    connection = connect_existing(path)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        if not _wal_reader_refused(error, path):
            if is_access_failure(error):  # raised now: the caller would only wait for it again
                connection.close()
                raise
            return connection  # damage: the caller's first read meets it and reports it
        connection.close()
        uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
        connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
    return connection


def backup_database(source: Path, target: Path) -> Path:
    """Copy the database `source` to `target` (which must not exist yet)."""
    if not source.is_file():
        raise BackupError(f"{source}: the database does not exist")
    if target.exists():
        raise BackupError(f"{target} already exists; choose another name")
    partial = target.with_name(f".{target.name}{PARTIAL}{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(target.parent)
        with closing(connect_existing(source)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            # A self-contained single file: no -wal beside it to forget when copying it away.
            dst.execute("PRAGMA journal_mode=DELETE")
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise BackupError(f"cannot back up {source} to {target}: {reason}") from None
    return target
