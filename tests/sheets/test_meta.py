"""quiz.sheets.meta: the metadata line of a sheet and manifest.json, read back field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quiz.sheets.meta import (
    MANIFEST_FILE,
    ItemMeta,
    MetaError,
    SheetMeta,
    comment_payload,
    load_manifest,
    meta_comment,
    meta_from_text,
    meta_to_json,
)

NASTY = "王 O'Brien <b>x</b> =1+1 --> <!-- & \u2028 \x85 \"q\" \\ end"


def sample(name: str = NASTY) -> SheetMeta:
    return SheetMeta(
        title="T <i>", date="2026-03-02", seed=7, class_id="abc", student_number=3,
        class_size=30, student_name=name, student_key="K-3",
        items=(ItemMeta(1, "num-a", "numeric", 11, (("H", 32), ("mode", "same")), "h1", "a1"),
               ItemMeta(2, "concept-b", "concept", None, (), "h2", "a2")))


def test_the_comment_line_round_trips_any_name_on_one_line() -> None:
    meta = sample()
    line = meta_comment(meta)
    assert line.splitlines() == [line]              # no character of the name breaks the line
    assert line.count("-->") == 1 and line.count("<!--") == 1
    payload = comment_payload(line)
    assert payload is not None
    assert meta_from_text(payload, "f.md:3") == meta


def test_a_line_that_is_no_metadata_comment() -> None:
    assert comment_payload("<!-- a note -->") is None
    assert comment_payload("答：<!-- quiz-sheet {} -->") is None


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("seed"), "f.md:3: seed: missing"),
    (lambda d: d.update(seed="7"), "f.md:3: seed: expected int"),
    (lambda d: d.update(seed=True), "f.md:3: seed: expected int"),
    (lambda d: d.update(v=2), "f.md:3: v: expected version 1"),
    (lambda d: d["student"].update(key=3), "f.md:3: student: key: expected str"),
    (lambda d: d.update(count=3), "f.md:3: count: 3 items, but 2 are listed"),
    (lambda d: d["items"][0].update(kind="essay"), "items[0]: kind: expected"),
    (lambda d: d["items"][0]["params"].update(H=1.5), "items[0]: params.H: expected a whole"),
    (lambda d: d["items"][1].update(id="num-a"), "appears twice"),
    (lambda d: d.update(items={}), "f.md:3: items: expected list"),
])
def test_a_wrong_field_is_named(change, message: str) -> None:
    data = meta_to_json(sample("Ann"))
    change(data)
    with pytest.raises(MetaError) as caught:
        meta_from_text(json.dumps(data), "f.md:3")
    assert message in str(caught.value)


def test_not_json_is_said(tmp_path: Path) -> None:
    with pytest.raises(MetaError, match=r"f\.md:3: the sheet's metadata is not JSON"):
        meta_from_text("{'v': 1}", "f.md:3")  # never eval'd: Python syntax is no JSON
    (tmp_path / MANIFEST_FILE).write_text('{"version": 1, "sheets": [{"file": 3}]}', "utf-8")
    with pytest.raises(MetaError) as caught:
        load_manifest(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / MANIFEST_FILE))
    assert "sheets[0]: file: expected str" in str(caught.value)
    assert load_manifest(tmp_path / "elsewhere") is None
