"""quiz.store.offload: a history file read and checked in a forked child while the parent
writes. The parent sees the same calls in the same order as a reader run in-process, a refusal
after the calls made before it, a crash as an error carrying the child's traceback, and no
child outlives a killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table

from quiz.store.offload import BATCH, Sink, read_in_child
from quiz.store.tables import METADATA

TABLES = {name: METADATA.tables[name] for name in ("questions", "reviews")}


class Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, int]] = []

    def add(self, table: Table, row: dict[str, Any], number: int) -> None:
        self.calls.append((table.name, row, number))

    def flush(self, table: Table) -> None:
        self.calls.append((table.name, "flush", 0))


class Refused(ValueError):
    pass


def _reader(rows: int, then: BaseException | None = None):  # type: ignore[no-untyped-def]
    def read(sink: Sink) -> None:
        sink.add(TABLES["questions"], {"id": "q1"}, 1)
        sink.flush(TABLES["questions"])
        for number in range(1, rows + 1):
            sink.add(TABLES["reviews"], {"id": number, "answer_text": f"答{number}"}, number)
        sink.flush(TABLES["reviews"])
        if then is not None:
            raise then
    return read


def test_the_calls_are_replayed_in_order_across_batches() -> None:
    here, there = Recording(), Recording()
    _reader(BATCH * 2 + 7)(here)
    read_in_child(_reader(BATCH * 2 + 7), there, TABLES, (Refused,))
    assert there.calls == here.calls and len(there.calls) == BATCH * 2 + 10


def test_a_refusal_is_raised_after_the_calls_made_before_it() -> None:
    here, there = Recording(), Recording()
    with pytest.raises(Refused):
        _reader(5, Refused("table reviews, row 6, field rating: 99 is outside 1..4"))(here)
    with pytest.raises(Refused) as raised:
        read_in_child(_reader(5, Refused("table reviews, row 6, field rating: 99 is outside "
                                         "1..4")), there, TABLES, (Refused,))
    assert str(raised.value) == "table reviews, row 6, field rating: 99 is outside 1..4"
    assert there.calls == here.calls


def test_a_crash_in_the_child_is_an_error_with_its_traceback() -> None:
    with pytest.raises(RuntimeError) as raised:
        read_in_child(_reader(3, KeyError("no such column")), Recording(), TABLES, (Refused,))
    assert "KeyError" in str(raised.value) and "no such column" in str(raised.value)


def test_the_child_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """The parent is SIGKILLed while its child still reads (writes no cleanup runs for): the
    child's next send finds the pipe closed and it exits."""
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import os, time
        from quiz.store.offload import read_in_child
        from quiz.store.tables import METADATA
        tables = {{"reviews": METADATA.tables["reviews"]}}

        def read(sink):
            with open({str(pid_file)!r}, "w") as file:
                file.write(str(os.getpid()))
            number = 0
            while True:  # a file without end
                number += 1
                sink.add(tables["reviews"], {{"id": number}}, number)

        class Slow:
            def add(self, table, row, number):
                time.sleep(0.001)

            def flush(self, table):
                pass

        read_in_child(read, Slow(), tables, (ValueError,))
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        child = int(pid_file.read_text())
        time.sleep(0.3)  # reading and sending
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 5
        while _alive(child):
            assert time.monotonic() < deadline, "the reading child outlived its parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan is reaped by init)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
