"""Home's first figures from a second process, counted while this one starts Textual.

Importing SQLAlchemy and counting the decks take about as long as Textual's own start and first
paint, and in one process they run one after the other (the interpreter lock lets a thread only
take turns). So `quiz` forks before it imports Textual: the child makes the daily backup, opens
the database, syncs the bundled bank when it changed and counts what home shows, then sends that
back. The app paints home's frame meanwhile and fills the table when the counts arrive; it opens
its own store for everything else, without syncing again. Where fork is not available, or when
the child fails, the app does all of it itself, as it did before (and reports any error then).

Imports neither Textual nor the store: the fork happens before either is loaded.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from quiz.tui.context import StoreRequest

if TYPE_CHECKING:
    from quiz.store.results import Counts, DeckCounts, SyncReport


# Far longer than a start takes (a sync of a changed bundled bank included); a child that has not
# answered by then is given up, and the app opens the store itself.
ANSWER_TIMEOUT = 20.0


@dataclass(frozen=True)
class HomeData:
    counts: Counts
    decks: list[DeckCounts]
    report: SyncReport | None  # the bundled bank's sync, when it changed
    damaged: str | None = None  # a card left out of the counts because its row is damaged


@dataclass(frozen=True)
class _Answer:
    data: HomeData | None
    backup_warning: str | None


def daily_backup(db_url: str) -> str | None:
    """The first start of a day copies the database before anything can change it (the newest
    7 copies are kept). A copy that fails must not keep the learner from studying: the reason is
    returned, to be shown as a warning."""
    from quiz.store.backup import auto_backup

    try:
        auto_backup(db_url, datetime.now().astimezone())
    except Exception as error:
        return str(error)
    return None


def quick_home_data(request: StoreRequest) -> HomeData | None:
    """Home's figures read with a bare sqlite3 connection, without importing SQLAlchemy (half a
    second): when the database is a current quiz database and the bundled bank is as at its
    last sync, nothing needs more. None otherwise (a new database, one to upgrade or repair, a
    changed bank, another kind of database), and the store is opened in full to count. The
    preloading child uses it, and the app itself where there is no child (not Linux)."""
    from dataclasses import replace

    from quiz.store import home_counts
    from quiz.store.backup import sqlite_file
    from quiz.store.damage import UNDATABLE_DUE, describe_undatable_due

    path = sqlite_file(request.db_url)
    connection = home_counts.open_counted(path) if path is not None else None
    if connection is None:
        return None
    try:
        connection.execute("BEGIN")  # one snapshot for every figure
        if request.sync_bank_on_start and request.bank_dir is not None:
            from quiz.bank.fingerprint import bank_fingerprint
            from quiz.tui.context import fingerprint_key

            stored = home_counts.read_value(connection, fingerprint_key(request.bank_dir))
            if stored != bank_fingerprint(request.bank_dir):
                return None  # the bank changed: the full open syncs it
        settings = home_counts.read_settings(connection)
        if request.new_per_day is not None:
            settings = replace(settings, new_per_day=request.new_per_day)
        now = request.clock()
        figures = home_counts.home_figures(
            connection, now, settings, home_counts.extra_new_today(connection, now, settings))
        damaged = connection.execute(UNDATABLE_DUE).fetchone()
        return HomeData(figures.counts, figures.decks, None,
                        describe_undatable_due(damaged) if damaged is not None else None)
    finally:
        connection.close()


def _home_data(request: StoreRequest) -> HomeData:
    quick = quick_home_data(request)
    if quick is not None:
        return quick
    from quiz.store.damage import undatable_due
    from quiz.store.service import home_figures

    context, report = request.open()
    try:
        figures = home_figures(context.db, request.clock(), context.settings)
        return HomeData(figures.counts, figures.decks, report, undatable_due(context.db))
    finally:
        context.db.close()


def _quiet() -> None:
    """The terminal belongs to the app: a warning printed here would land in its screen."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    warnings.simplefilter("ignore")


def _child(sender: Connection, request: StoreRequest, backup: bool) -> None:
    warning = None
    data = None
    try:
        _quiet()
        warning = daily_backup(request.db_url) if backup else None
        data = _home_data(request)
    except BaseException:
        # Whatever went wrong, the app finds it again when it opens the store itself, and
        # reports it there with the CLI's usual message and exit code.
        data = None
    try:
        sender.send(_Answer(data, warning))
    finally:
        sender.close()
        # No interpreter teardown in a forked child: it would run the parent's exit handlers.
        os._exit(0)


class Preload:
    """A running child (see the module's text); `data()` waits for what it sends."""

    def __init__(self, process: BaseProcess, receiver: Connection) -> None:
        self._process = process
        self._receiver = receiver
        self._lock = threading.Lock()
        self._answer: _Answer | None = None

    @classmethod
    def start(cls, request: StoreRequest, *, backup: bool) -> Preload | None:
        """Fork the child, or None where fork is not the platform's safe choice (not Linux)."""
        if not sys.platform.startswith("linux"):
            return None
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(sender, request, backup), daemon=True,
                                  name="quiz-preload")
        process.start()
        sender.close()
        return cls(process, receiver)

    def _wait(self) -> _Answer:
        with self._lock:
            if self._answer is None:
                answer: object = _Answer(None, None)
                try:
                    if self._receiver.poll(ANSWER_TIMEOUT):
                        answer = self._receiver.recv()
                except (EOFError, OSError):  # the child died before it could answer
                    pass
                self._answer = answer if isinstance(answer, _Answer) else _Answer(None, None)
                self._receiver.close()
                self._process.join(timeout=1)
                if self._process.is_alive():  # stuck: the app does the work itself
                    self._process.kill()
            return self._answer

    def data(self) -> HomeData | None:
        """What home shows, or None when the child could not count it."""
        return self._wait().data

    def backup_warning(self) -> str | None:
        """Why the daily backup was not made (None: made, or not due)."""
        return self._wait().backup_warning
