"""quiz.sheets.marks: the teacher's marks of concept items beside the sheets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quiz.sheets.marks import (
    MARKS_FILE,
    Mark,
    Marks,
    MarksError,
    load_marks,
    parse_mark,
    save_marks,
)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("对", 1.0), ("✓", 1.0), (" 对。", 1.0), ("半对", 0.5), ("错", 0.0), ("✗", 0.0),
        ("8/10", 0.8), ("8 / 10", 0.8), ("0.8", 0.8), ("80%", 0.8), ("1", 1.0), ("0", 0.0),
        ("100%", 1.0),
    ],
)
def test_parse_mark_reads_the_forms_a_teacher_writes(text: str, score: float) -> None:
    assert parse_mark(text) == pytest.approx(score)


@pytest.mark.parametrize("text", ["", "good", "12/10", "1.5", "120%", "3/0", "-0.5", "对吧"])
def test_parse_mark_refuses_what_is_no_mark(text: str) -> None:
    assert parse_mark(text) is None


def test_with_mark_replaces_and_without_removes_keeping_the_old_value() -> None:
    first = Mark("s1", "q1", 1.0)
    marks = Marks().with_mark(first).with_mark(Mark("s2", "q1", 0.0))
    changed = marks.with_mark(Mark("s1", "q1", 0.5, note="partly"))
    assert marks.get("s1", "q1") == first                      # the old value is untouched
    assert changed.get("s1", "q1") == Mark("s1", "q1", 0.5, note="partly")
    assert [m.student_key for m in changed.entries] == ["s1", "s2"]   # replaced in place
    removed = changed.without("s1", "q1")
    assert removed.get("s1", "q1") is None
    assert removed.get("s2", "q1") == Mark("s2", "q1", 0.0)


def test_save_then_load_round_trips_names_and_notes(tmp_path: Path) -> None:
    marks = Marks((
        Mark("王小明", "cnn-1", 0.5, note="缺 padding", marked_at="2025-03-01T08:00:00Z"),
        Mark("=1+1", "cnn-2", 1.0),
        Mark("O'Brien <b>", "cnn-2", 0.0, note="line 1\nline 2"),
    ))
    path = save_marks(tmp_path, marks)
    assert path == tmp_path / MARKS_FILE
    assert load_marks(tmp_path) == marks
    assert [p.name for p in tmp_path.iterdir()] == [MARKS_FILE]   # no temporary file left


def test_no_file_is_no_marks(tmp_path: Path) -> None:
    assert load_marks(tmp_path) == Marks()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "marks.json:1: not JSON"),
        ("[]", "expected a JSON object"),
        ('{"version": 2, "marks": []}', "version: expected 1"),
        ('{"version": 1, "marks": {}}', "marks: expected a list"),
        ('{"version": 1, "marks": [3]}', "marks[0]: expected an object"),
        ('{"version": 1, "marks": [{"id": "q", "score": 1}]}', "marks[0]: student: missing"),
        ('{"version": 1, "marks": [{"student": "a", "id": 7, "score": 1}]}',
         "marks[0]: id: expected a string"),
        ('{"version": 1, "marks": [{"student": "a", "id": "q", "score": "1"}]}',
         "marks[0]: score: expected a number"),
        ('{"version": 1, "marks": [{"student": "a", "id": "q", "score": true}]}',
         "marks[0]: score: expected a number"),
        ('{"version": 1, "marks": [{"student": "a", "id": "q", "score": 0.5},'
         ' {"student": "a", "id": "q", "score": 1.5}]}', "marks[1]: score: 1.5 is outside"),
        ('{"version": 1, "marks": [{"student": "a", "id": "q", "score": 1, "note": 3}]}',
         "marks[0]: note: expected a string"),
        ('{"version": 1, "marks": [{"student": "a", "id": "q", "score": 1},'
         ' {"student": "a", "id": "q", "score": 0}]}', "marks[1]: a second mark"),
        # Issue 21: past 4300 digits int() raised ValueError from inside json (a traceback).
        pytest.param('{"version": 1,\n "marks": [{"student": "a", "id": "q", "score": 1'
                     + "0" * 5000 + '}]}', "marks.json:2: a number of 5001 digits",
                     id="a score of 5001 digits"),
    ],
)
def test_an_invalid_file_names_the_path_entry_and_field(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / MARKS_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(MarksError) as caught:
        load_marks(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / MARKS_FILE))
    assert message in str(caught.value)


def test_a_marks_file_that_is_no_regular_file_is_refused_without_reading_it(
        tmp_path: Path) -> None:
    """Issue 21: marks.json was read whole with read_text: a FIFO blocked for ever, a link to
    /dev/zero grew without bound."""
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / MARKS_FILE)
    zero = tmp_path / "zero"
    zero.mkdir()
    (zero / MARKS_FILE).symlink_to("/dev/zero")
    for folder, kind in ((fifo, "a FIFO"), (zero, "a character device")):
        with pytest.raises(MarksError) as caught:
            load_marks(folder)
        assert str(caught.value) == f"{folder / MARKS_FILE}: is {kind}; only regular files are read"


def test_the_json_form_is_the_documented_one(tmp_path: Path) -> None:
    save_marks(tmp_path, Marks((Mark("k", "q", 0.5, "n", "2025-01-01T00:00:00Z"),)))
    data = json.loads((tmp_path / MARKS_FILE).read_text(encoding="utf-8"))
    assert data == {"version": 1, "marks": [
        {"student": "k", "id": "q", "score": 0.5, "note": "n", "marked_at": "2025-01-01T00:00:00Z"}
    ]}
