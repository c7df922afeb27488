"""Parsing bank files in a worker process while the importer writes the ones before.

An import of a large bank spends about as long parsing Markdown as writing rows; with a second
core the two overlap. Results come back in the order the files were given, so an import through
the pool makes exactly the same decisions as one without it. A small bank is parsed in-process:
starting a worker costs more than it saves.

The worker exits when the importer dies, however it dies: a SIGKILLed importer runs no cleanup,
and its worker (tens of MB, holding a bank file) would otherwise live for ever (issue 21).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from quiz.bank.model import Question
from quiz.bank.parser import BankFile

PARALLEL_FROM_FILES = 8
AHEAD = 4  # files parsed ahead of the writer: bounds the questions held in memory
PARENT_CHECK_SECONDS = 0.2  # how often a worker looks whether its importer is still there


def parse_with_hashes(file: BankFile) -> list[Question]:
    """A file's questions with their content hashes computed (the worker's share of the work;
    the cached hashes travel back with the questions)."""
    questions = file.questions()
    for question in questions:
        _ = question.content_hash
    return questions


def _exit_with_parent(parent: int) -> None:
    """The worker's initializer: a daemon thread that ends the worker as soon as its parent is
    gone (os.getppid() changes when the parent dies and the worker is adopted). Portable and
    immune to the race prctl(PR_SET_PDEATHSIG) has (a parent dead before the call), and
    PDEATHSIG fires when the forking *thread* ends, not the process. os._exit: the worker's
    state is of no use to anyone, and its atexit handlers would wait for a parent that is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="quiz-parent-watch", daemon=True).start()


def _may_fork() -> bool:
    """Only a process with no other thread forks (a thread holding a lock at the fork would leave
    it held in the worker for ever: a sync may run beside the TUI's worker threads), and not a
    daemonic process, which multiprocessing forbids children."""
    return (threading.active_count() == 1 and not multiprocessing.current_process().daemon)


class ParsePool:
    def __init__(self, files: int) -> None:
        parallel = files >= PARALLEL_FROM_FILES and (os.cpu_count() or 1) > 1 and _may_fork()
        # fork: spawn would run the caller's main module again in the worker. The worker only
        # parses; it never touches the database connection it inherits.
        self._executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("fork"),
            initializer=_exit_with_parent, initargs=(os.getpid(),)) if parallel else None
        self._pending: deque[tuple[BankFile, Future[list[Question]]]] = deque()
        self._done: deque[tuple[BankFile, list[Question]]] = deque()

    def submit(self, file: BankFile) -> None:
        if self._executor is None:
            self._done.append((file, parse_with_hashes(file)))
        else:
            self._pending.append((file, self._executor.submit(parse_with_hashes, file)))

    def ready(self) -> Iterator[tuple[BankFile, list[Question]]]:
        """Parsed files in order: those already done, and enough of the rest to keep at most
        AHEAD in flight."""
        while self._done:
            yield self._done.popleft()
        while self._pending and (self._pending[0][1].done() or len(self._pending) > AHEAD):
            file, future = self._pending.popleft()
            yield file, future.result()

    def rest(self) -> Iterator[tuple[BankFile, list[Question]]]:
        yield from self.ready()
        while self._pending:
            file, future = self._pending.popleft()
            yield file, future.result()

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
