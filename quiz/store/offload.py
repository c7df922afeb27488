"""Reading and checking a long file in a second process while this one writes its rows.

A history import of 600,000 reviews spends about two thirds of its time parsing JSON and
checking each value, and a third handing rows to the database: one process does them one after
the other, two overlap them. The reader runs in a forked child with the same code it would run
here (`read(sink)`); every `sink.add` / `sink.flush` it makes is sent through a pipe in batches
and replayed on the real sink, in the same order, so an import through the child makes exactly
the same writes as one without it.

The child ends when the import does, however it ends: a parent that dies closes the pipe and the
child's next send fails (BrokenPipeError), so no reader outlives a killed import.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol

from sqlalchemy import Table

BATCH = 2000  # calls a message carries: big enough that pickling dominates the pipe's cost


class Sink(Protocol):
    def add(self, table: Table, row: dict[str, Any], number: int) -> None: ...

    def flush(self, table: Table) -> None: ...


class _PipeSink:
    """The child's sink: calls batched into messages to the parent."""

    def __init__(self, pipe: Connection) -> None:
        self._pipe = pipe
        self._calls: list[tuple[str, dict[str, Any] | None, int]] = []

    def add(self, table: Table, row: dict[str, Any], number: int) -> None:
        self._calls.append((table.name, row, number))
        if len(self._calls) >= BATCH:
            self.send()

    def flush(self, table: Table) -> None:
        self._calls.append((table.name, None, 0))  # no row: a flush of that table

    def send(self) -> None:
        if self._calls:
            self._pipe.send(("calls", self._calls))
            self._calls = []


def _child(read: Callable[[Sink], None], pipe: Connection, parents_end: Connection,
           refused: tuple[type[Exception], ...]) -> None:
    # The fork copied the parent's receiving end: held here too, it would keep the pipe open
    # for reading after the parent died, and the sends below would never fail.
    parents_end.close()
    sink = _PipeSink(pipe)
    try:
        read(sink)
        sink.send()
        pipe.send(("done", None))
    except refused as error:
        sink.send()
        pipe.send(("refused", error))
    except BrokenPipeError:
        pass  # the parent is gone: nobody to tell
    except BaseException:  # a bug: its traceback goes to the parent, which raises it
        pipe.send(("failed", traceback.format_exc()))
    finally:
        pipe.close()
        os._exit(0)  # not the parent's atexit handlers, nor its open database's


def read_in_child(read: Callable[[Sink], None], sink: Sink, tables: dict[str, Table],
                  refused: tuple[type[Exception], ...]) -> None:
    """Run `read(sink)` in a forked child, replaying its calls on `sink` here. An exception of
    a `refused` type raised by `read` is raised here as it was (after the calls made before
    it); any other failure of the child is a RuntimeError carrying its traceback."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(read, sending, receiving, refused), daemon=True)
    process.start()
    sending.close()  # the child holds the only sending end: its exit is our EOF
    try:
        _replay(receiving, sink, tables)
    finally:
        receiving.close()  # a child still sending now fails (BrokenPipeError) and exits
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


def _replay(receiving: Connection, sink: Sink, tables: dict[str, Table]) -> None:
    while True:
        try:
            kind, payload = receiving.recv()
        except EOFError:
            raise RuntimeError("the process reading the file ended without a word") from None
        if kind == "calls":
            for name, row, number in payload:
                if row is None:
                    sink.flush(tables[name])
                else:
                    sink.add(tables[name], row, number)
        elif kind == "done":
            return
        elif kind == "refused":
            raise payload
        else:
            raise RuntimeError(f"the process reading the file failed:\n{payload}")
