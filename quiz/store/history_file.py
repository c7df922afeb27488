"""Reading a history file (`quiz export --json`) as a stream, in the memory of one row.

The file has a fixed outline: an object whose keys before "tables" are the header (format,
versions, when it was written), and "tables": {name: {"columns": [names], "rows": [row, …]}}.
`HistoryReader` walks that outline a token at a time and hands every value inside it (a header
value, a columns list, one row) whole to the standard library's C scanner
(`json.JSONDecoder.scan_once`), so any layout of valid JSON reads the same and the file is never
held whole. The scanner decodes a review row in a quarter of the time ijson's C backend took to
build it from events, which was a third of a 600,000-review import.

What the scanner would accept beyond JSON is refused here: NaN and ±Infinity. A value nested
past the interpreter's recursion limit, one longer than MAX_VALUE, bytes that are not UTF-8 and
a file that ends early are refused in one line naming the table, the row and the line of the file.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from quiz.store import StoreError

CHUNK = 1 << 20             # bytes read from the file at a time
MAX_VALUE = 64 * 2**20      # characters of one value (a row, a header value) at most
# The most text a read can cut off a token with the scan failing at the token's start: `false`,
# or an escape `\uXXXX` in a string.
_LONGEST_CUT = 6
_SPACE = re.compile(r"[ \t\n\r]*")
# After a row: its comma (or the list's end) and the space around it, in one match.
_AFTER_ROW = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")


class HistoryError(StoreError):
    """A history file that cannot be imported (format, version, a value, or the target's
    state); the message names the table, row and field where there is one."""


@dataclass(slots=True)
class Table:
    """A table begins (its name, as the file gives it)."""

    name: str


@dataclass(slots=True)
class Columns:
    """A table's "columns" list, read before its rows."""

    table: str
    names: list[Any]


@dataclass(slots=True)
class Rows:
    """The next rows of a table, in the file's order (each any JSON value: the import says
    what a row must be)."""

    table: str
    rows: list[Any]


@dataclass(slots=True)
class TableEnd:
    """A table's columns and rows are all read."""

    name: str


def _found(character: str) -> str:
    return json.dumps(character) if character else "the end of the file"


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


class HistoryReader:
    """The outline of one history file, read once from the start of `source`."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        # A byte order mark a text editor put in front is read past (RFC 8259 allows it).
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        decoder = json.JSONDecoder(parse_constant=_refuse_constant)
        # The decoder's own C scanner (raw_decode's, without its Python frame; typeshed does
        # not list the attribute).
        self.scan: Callable[[str, int], tuple[Any, int]] = \
            decoder.scan_once  # type: ignore[attr-defined]
        self.text, self.pos, self.line, self.ended = "", 0, 1, False
        self.at_tables = False  # the header was read up to "tables"
        self.where = ""  # the table and row being read, for a message

    # --- the text, a chunk at a time ---

    def _more(self) -> bool:
        """Read on, keeping the text from `pos`; False at the end of the file. A value longer
        than one chunk is read in ever larger reads, so it is scanned a few times, not once a
        chunk."""
        if self.ended:
            return False
        kept = len(self.text) - self.pos
        if kept > MAX_VALUE:
            raise self._error(f"a value longer than {MAX_VALUE // 2**20} MB")
        data = self.source.read(max(CHUNK, kept))
        try:
            decoded = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise self._error(f"not valid UTF-8 ({error.reason})") from None
        self.line += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos:] + decoded
        self.pos = 0
        self.ended = not data
        return True

    def _error(self, problem: str) -> HistoryError:
        line = self.line + self.text.count("\n", 0, min(self.pos, len(self.text)))
        return HistoryError(f"{self.where}{problem} (line {line:,} of the file)")

    def _next_char(self) -> str:
        """The next character that is not space, not consumed ('' at the end of the file)."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._more():
                return ""

    def _expect(self, wanted: str, what: str) -> None:
        found = self._next_char()
        if found != wanted:
            raise self._error(f"not valid JSON: expected {what}, found {_found(found)}")
        self.pos += 1

    def _value(self) -> Any:
        """The next value, whole. A scan that fails where the text read so far ends (or in a
        string it leaves open), or that ends there, is tried again with more text: the read
        may have cut the value, or a number in it."""
        self._next_char()
        while True:
            try:
                value, end = self.scan(self.text, self.pos)
            except StopIteration as stop:  # no value where one must be (at any depth)
                problem, at, open_string = "expected a value", int(stop.value), False
            except json.JSONDecodeError as error:
                problem, at = error.msg, error.pos
                open_string = error.msg.startswith("Unterminated string")
            except RecursionError:
                raise self._error("JSON nested deeper than a history file needs") from None
            except ValueError as error:  # NaN, or an integer of more than 4,300 digits
                raise self._error(f"not valid JSON ({error})") from None
            else:
                if end == len(self.text) and self._more():
                    continue
                self.pos = end
                return value
            if (open_string or len(self.text) - at <= _LONGEST_CUT) and self._more():
                continue
            self.pos = at
            raise self._error(f"not valid JSON: {problem}")

    def _key(self) -> str | None:
        """The next key of an object, or None at its end (the ',' or '}' consumed)."""
        found = self._next_char()
        if found == "}":
            self.pos += 1
            return None
        if found == ",":
            self.pos += 1
            self._next_char()
        key = self._value()
        if not isinstance(key, str):
            raise self._error("not valid JSON: expected a key")
        self._expect(":", "':'")
        return key

    def _object_start(self, what: str) -> None:
        self._expect("{", what)

    # --- the outline ---

    def header(self) -> dict[str, Any]:
        """The keys before "tables", and their values; the reader is then at the tables."""
        self.pos, self.where = 0, ""
        self._object_start("a JSON object")
        header: dict[str, Any] = {}
        while (key := self._key()) is not None:
            if key == "tables":
                self.at_tables = True
                return header
            header[key] = self._value()
        return header  # no "tables": the caller's check of the header says what is wrong

    def tables(self) -> Iterator[Table | Columns | Rows | TableEnd]:
        """The tables, in the file's order, after `header`: their columns and rows."""
        if not self.at_tables:
            raise HistoryError("the file has no \"tables\"")
        self._object_start("\"tables\": {…}")
        seen: set[str] = set()
        while (name := self._key()) is not None:
            if name in seen:
                raise self._error(f"table {name} appears twice")
            seen.add(name)
            yield Table(name)
            yield from self._table(name)
            yield TableEnd(name)
        self.where = ""
        while self._key() is not None:  # keys after "tables" are read past
            self._value()
        if self._next_char():
            raise self._error("not valid JSON: more text after the history")

    def _table(self, name: str) -> Iterator[Table | Columns | Rows | TableEnd]:
        self.where = f"table {name}: "
        if self._next_char() != "{":
            raise self._error("needs \"columns\" and \"rows\" lists")
        self.pos += 1
        while (key := self._key()) is not None:
            self.where = f"table {name}: "
            if key == "columns":
                yield Columns(name, self._value())
            elif key == "rows":
                if self._next_char() != "[":
                    raise self._error("needs \"columns\" and \"rows\" lists")
                self.pos += 1
                yield from self._rows(name)
            else:
                self._value()
        self.where = ""

    def _rows(self, name: str) -> Iterator[Rows]:
        if self._next_char() == "]":
            self.pos += 1
            return
        number = 0  # rows read so far
        while True:
            rows, ended = self._rows_read_whole()
            if rows:
                yield Rows(name, rows)
                number += len(rows)
            if ended:
                return
            # The next row as `_value` reads it: across reads, and named when it is refused.
            number += 1
            self.where = f"table {name}, row {number}: "
            yield Rows(name, [self._value()])
            mark = self._next_char()
            if mark not in {",", "]"}:
                raise self._error(f"not valid JSON: expected ',' or ']' after a row, found "
                                  f"{_found(mark)}")
            self.pos += 1
            if mark == "]":
                return

    def _rows_read_whole(self) -> tuple[list[Any], bool]:
        """The rows that lie whole in the text read so far, each with the comma after it, and
        whether the list ended: a loop of two C calls a row (the scan and a match), the rest of
        a long review log's reading. It stops before anything else (a row the read cut, or bad
        text), which `_value` then reads or names."""
        text, scan, after_row = self.text, self.scan, _AFTER_ROW.match
        pos = _SPACE.match(text, self.pos).end()  # type: ignore[union-attr]
        rows: list[Any] = []
        while True:
            try:
                value, end = scan(text, pos)
            except (StopIteration, ValueError, RecursionError):
                break
            after = after_row(text, end)
            if after is None:  # a value the read cut (a number) has no comma after it yet
                break
            rows.append(value)
            pos = after.end()
            if after.group(1) == "]":
                self.pos = pos
                return rows, True
        self.pos = pos
        return rows, False
