"""The history file's reader (quiz.store.history_file): the same tables, columns and rows
whatever the reads cut, and one line naming the table, the row and the line of the file for
what is not a history's JSON."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from quiz.store import history_file
from quiz.store.history_file import Columns, HistoryError, HistoryReader, Rows, Table, TableEnd

# Text that a reader cutting blindly would misread: brackets, commas and escaped quotes in
# strings, multi-byte characters, long numbers, nested values, every kind of JSON space.
DATA: dict[str, Any] = {
    "format": "quiz-history", "format_version": 1, "schema_version": 4,
    "exported_at": "2026-06-01T00:00:00+00:00",
    "tables": {
        "learners": {"columns": ["id", "name"], "rows": [[1, "默认"], [22, 'a "b" ], ['],
                                                          [333, "\\\\"], [4444, "\u2028\t"]]},
        "empty": {"columns": [], "rows": []},
        "reviews": {"rows": [[12345678901234567, -1.5e-7, None, True, False, {"a": [1, {}]}],
                             [0, 2.5, "]]]},{", [], {}, "卷积核 $\\frac{a}{b}$"]],
                    "columns": ["a", "b", "c", "d", "e", "f"]},
    },
    "trailer": [1, 2, 3],
}


def _events(data: bytes) -> list[object]:
    reader = HistoryReader(io.BytesIO(data))
    header = reader.header()
    events: list[object] = [header]
    for event in reader.tables():
        if isinstance(event, Rows):  # how rows are grouped depends on the reads
            events.extend(Rows(event.table, [row]) for row in event.rows)
        else:
            events.append(event)
    return events


def _expected() -> list[object]:
    events: list[object] = [{key: value for key, value in DATA.items()
                             if key not in {"tables", "trailer"}}]
    for name, table in DATA["tables"].items():
        events.append(Table(name))
        for key, value in table.items():
            if key == "columns":
                events.append(Columns(name, value))
            else:
                events.extend(Rows(name, [row]) for row in value)
        events.append(TableEnd(name))
    return events


LAYOUTS = {
    "compact": json.dumps(DATA, ensure_ascii=False, separators=(",", ":")),
    "spaced": json.dumps(DATA, ensure_ascii=True, indent="\t").replace("\n", "\r\n  "),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("size", [*range(1, 24), 64, 1 << 20])
def test_the_same_events_whatever_the_reads_cut(monkeypatch: pytest.MonkeyPatch, layout: str,
                                                size: int) -> None:
    monkeypatch.setattr(history_file, "CHUNK", size)
    assert _events(LAYOUTS[layout].encode()) == _expected()


@pytest.mark.parametrize("size", [1, 2, 1 << 20])
def test_a_byte_order_mark_in_front_is_read_past(monkeypatch: pytest.MonkeyPatch,
                                                 size: int) -> None:
    monkeypatch.setattr(history_file, "CHUNK", size)
    assert _events(b"\xef\xbb\xbf" + LAYOUTS["compact"].encode()) == _expected()


def test_a_number_cut_by_a_read_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan of a value that ends where the text read so far ends is tried again: `12`
    read before `34` is the number 1234, not 12."""
    text = b'{"format": "quiz-history", "format_version": 1234, "tables": {}}'
    monkeypatch.setattr(history_file, "CHUNK", text.index(b"34"))
    assert HistoryReader(io.BytesIO(text)).header()["format_version"] == 1234


def _refusal(text: str | bytes) -> str:
    reader = HistoryReader(io.BytesIO(text.encode() if isinstance(text, str) else text))
    with pytest.raises(HistoryError) as refused:
        reader.header()
        for _ in reader.tables():
            pass
    return str(refused.value)


HEAD = '{"format": "quiz-history", "tables": {"t": {"columns": ["a"], "rows": [\n'


@pytest.mark.parametrize(("text", "problem"), [
    (HEAD + "[1],\n[NaN]]}}}", "table t, row 2: not valid JSON (NaN is not JSON) (line 3"),
    (HEAD + "[1],\n[-Infinity]]}}}", "table t, row 2: not valid JSON (-Infinity is not JSON)"),
    (HEAD + "[1],\n[1] [2]]}}}", "table t, row 2: not valid JSON: expected ',' or ']' after a row,"
                                 ' found "[" (line 3'),
    (HEAD + "[1],\n[2,]]}}}", "table t, row 2: not valid JSON: expected a value (line 3"),
    (HEAD + "[1],\n[2]", "table t, row 2: not valid JSON: expected ',' or ']' after a row, "
                         "found the end of the file"),
    (HEAD + '[1],\n["unended]]}}}', "table t, row 2: not valid JSON: Unterminated string"),
    (HEAD + "[1]]}}} [", "not valid JSON: more text after the history"),
    (HEAD + "[" * 100_000 + "]" * 100_000 + "]}}}", "table t, row 1: JSON nested deeper"),
    (HEAD + "[" + "9" * 5000 + "]]}}}", "table t, row 1: not valid JSON (Exceeds the limit"),
    ('{"format": "quiz-history", "tables": {"t": {}, "t": {}}}', "table t appears twice"),
    ('{"format": "quiz-history", "tables": {"t": []}}', "table t: needs \"columns\" and \"rows\""),
    ('{"format": "quiz-history", "tables": {"t": {"rows": 7}}}', "needs \"columns\" and \"rows\""),
    ('{"format": "quiz-history"}', 'the file has no "tables"'),
    ("[]", "not valid JSON: expected a JSON object, found \"[\" (line 1"),
    ("", "not valid JSON: expected a JSON object, found the end of the file"),
])
def test_what_is_no_history_json_is_refused_in_one_line(text: str, problem: str) -> None:
    message = _refusal(text)
    assert problem in message and "\n" not in message, message


def test_bytes_that_are_not_utf8_are_refused() -> None:
    assert "not valid UTF-8" in _refusal(HEAD.encode() + b'["\xff"]]}}}')


def test_a_value_longer_than_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in ever larger reads, then refused: never held past the cap and one read."""
    monkeypatch.setattr(history_file, "MAX_VALUE", 1000)
    monkeypatch.setattr(history_file, "CHUNK", 64)
    message = _refusal(HEAD + '["' + "x" * 5000 + '"]]}}}')
    assert "table t, row 1: a value longer than" in message


def test_an_error_late_in_a_long_file_names_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_file, "CHUNK", 4096)
    rows = ",\n".join(f"[{n}]" for n in range(20_000))
    message = _refusal(HEAD + rows + ",\n[1 2]]}}}")
    assert "table t, row 20001: not valid JSON" in message and "(line 20,002 " in message
