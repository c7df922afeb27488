"""`quiz sheet` streams a class to disk (issue 21): `--students 100000` ran 600 s at 2.6 GB and
wrote nothing, every sheet being built before the first was written. Markdown sheets are now
built and written one student at a time, and a class that fails half-way leaves none of its
files behind (bench/sheets.py --rss measures the peak memory by class size)."""

from __future__ import annotations

import errno
import gc
import json
import os
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quiz.cli import build_parser
from quiz.commands import sheet as sheet_command
from quiz.sheets import marks as sheet_marks
from quiz.sheets import select
from quiz.sheets.model import Sheet
from tests.sheets.sheet_helpers import quiz


def every_file(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                  if path.is_file())


def class_files(folder: Path) -> list[str]:
    """The files of the class: not the atomic writer's hidden temporaries (`.name.….tmp`; the
    manifest is one while its entries are written)."""
    return [name for name in every_file(folder) if not Path(name).name.startswith(".")]


def test_each_sheet_is_on_disk_before_the_next_is_built(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    seen: list[list[str]] = []
    build = select.build_sheet

    def recording(*args: Any, **kwargs: Any) -> Sheet:
        seen.append(class_files(out) if out.is_dir() else [])
        return build(*args, **kwargs)

    monkeypatch.setattr(select, "build_sheet", recording)
    code, _, err = quiz(capsys, "sheet", "--students", "4", "--count", "2", "--seed", "3",
                        "--key", "-o", str(out))
    assert code == 0, err
    assert len(seen) == 4
    for number, files in enumerate(seen, start=1):
        # when student n's sheet is built, students 1 … n-1 are complete on disk, keys too;
        # the manifest (the class as printed) comes last
        done = [f"sheet-{k:02d}.md" for k in range(1, number)]
        keys = [f"keys/key-{k:02d}.md" for k in range(1, number)]
        assert files == sorted(keys + done), (number, files)
    assert "manifest.json" in every_file(out) and every_file(out) == class_files(out)


def test_the_writer_holds_one_sheet_at_a_time(tmp_path: Path) -> None:
    """A generator of sheets is consumed lazily and no sheet is kept once written: when sheet n
    is asked for, sheet n-2 is gone from memory (n-1 may still be the writer's loop variable)."""
    args = build_parser().parse_args(["sheet", "--students", "5", "--count", "3", "--seed", "9",
                                      "--key", "-o", str(tmp_path / "out")])
    class_set = sheet_command.make_sheets(args)
    alive: list[weakref.ref[Sheet]] = []

    def sheets() -> Iterator[Sheet]:
        for sheet in class_set.sheets():
            gc.collect()
            if len(alive) >= 2:
                assert alive[-2]() is None, f"sheet {len(alive) - 1} is still held"
            alive.append(weakref.ref(sheet))
            yield sheet
            del sheet

    written = sheet_command.write_sheets(sheets(), "md", True, tmp_path / "out")
    assert len(alive) == 5 and len(written) == 11  # 5 sheets, 5 keys, the manifest


def test_the_manifest_is_written_entry_by_entry(tmp_path: Path) -> None:
    """Memory does not grow with the class: the manifest, whose entries are the only thing
    kept of every student, is written into its (temporary) file as each sheet is written."""
    args = build_parser().parse_args(["sheet", "--students", "4", "--count", "3", "--seed", "9",
                                      "-o", str(tmp_path / "out")])
    class_set = sheet_command.make_sheets(args)
    out = tmp_path / "out"
    sizes: list[int] = []

    def sheets() -> Iterator[Sheet]:
        for sheet in class_set.sheets():
            temporaries = list(out.glob(".manifest.json.*.tmp"))
            assert len(temporaries) == 1 and not (out / "manifest.json").exists()
            sizes.append(temporaries[0].stat().st_size)
            yield sheet

    sheet_command.write_sheets(sheets(), "md", False, out)
    # each sheet's entry reached the file before the next sheet was built (one sheet behind:
    # the writer's buffer flushes at least every 8 KiB, so entries are compared in bulk)
    assert sizes[0] == 0 and sizes == sorted(sizes)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["file"] for entry in manifest["sheets"]] == [
        "sheet-01.md", "sheet-02.md", "sheet-03.md", "sheet-04.md"]


def test_a_class_that_fails_half_way_leaves_none_of_its_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Per file the writes are atomic; for the class too: the files written before a failure
    (here a full disk at the third file) are removed again."""
    calls = {"n": 0}
    write = sheet_marks.write_atomically

    def third_fails(path: Path, content: str | bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        write(path, content)

    monkeypatch.setattr(sheet_marks, "write_atomically", third_fails)
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--students", "3", "--count", "2", "--seed", "3",
                        "--key", "-o", str(out))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert str(out / "sheet-02.md") in err and os.strerror(errno.ENOSPC) in err, err
    assert every_file(out) == []
    # and the folder is not taken for one that holds sheets: the same command runs again
    monkeypatch.setattr(sheet_marks, "write_atomically", write)
    code, _, err = quiz(capsys, "sheet", "--students", "3", "--count", "2", "--seed", "3",
                        "--key", "-o", str(out))
    assert code == 0, err
    assert len(every_file(out)) == 7


def test_a_sheet_that_cannot_be_built_half_way_leaves_no_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    build = select.build_sheet

    def third_refused(*args: Any, **kwargs: Any) -> Sheet:
        if kwargs["student_number"] == 3:
            raise select.SelectionError("q seed 1: the key's answer does not grade as right")
        return build(*args, **kwargs)

    monkeypatch.setattr(select, "build_sheet", third_refused)
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--students", "4", "--count", "2", "--seed", "3",
                        "-o", str(out))
    assert code == 2 and "does not grade as right" in err, err
    assert every_file(out) == []


def test_the_streamed_manifest_is_the_one_manifest_text_gives(tmp_path: Path) -> None:
    """Byte for byte, also for names holding what str.splitlines would split at."""
    from quiz.sheets.meta import Manifest, ManifestSheet, manifest_text, sheet_meta

    roster = tmp_path / "roster.txt"
    roster.write_text("a\tA\u2028B\nb\tC\x85D\x1cE\nc\t\u202eF\n", encoding="utf-8")
    args = build_parser().parse_args(["sheet", "--roster", str(roster), "--count", "3",
                                      "--seed", "9", "-o", str(tmp_path / "out")])
    class_set = sheet_command.make_sheets(args)
    sheet_command.write_sheets(class_set.sheets(), "md", False, tmp_path / "out")
    sheets = list(class_set.sheets())
    first = sheets[0]
    expected = manifest_text(Manifest(
        class_id=first.class_id, seed=first.seed, title=first.title, date=first.date,
        command=first.command, format="md",
        sheets=tuple(ManifestSheet(f"sheet-0{sheet.student_number}.md", sheet_meta(sheet))
                     for sheet in sheets)))
    assert (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8") == expected
