"""Parsing bank files in a worker process while the importer writes the ones before.

An import of a large bank spends about as long parsing Markdown as writing rows; with a second
core the two overlap. Results come back in the order the files were given, so an import through
the pool makes exactly the same decisions as one without it. A small bank is parsed in-process:
starting a worker costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from quiz.bank.model import Question
from quiz.bank.parser import BankFile

PARALLEL_FROM_FILES = 8
AHEAD = 4  # files parsed ahead of the writer: bounds the questions held in memory


def parse_with_hashes(file: BankFile) -> list[Question]:
    """A file's questions with their content hashes computed (the worker's share of the work;
    the cached hashes travel back with the questions)."""
    questions = file.questions()
    for question in questions:
        _ = question.content_hash
    return questions


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
            max_workers=1, mp_context=multiprocessing.get_context("fork")) if parallel else None
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
