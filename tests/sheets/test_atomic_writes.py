"""Every file `quiz sheet` and `quiz export` write goes to a temporary name beside it and is
renamed when complete: a full disk mid-file (simulated by making os.write fail half way, or the
Anki writer fail after some bytes) leaves no partial file, no temporary file, an old file intact,
and one line on stderr naming the file (it said `cannot write None`). Also the bounds of
`quiz sheet`: --students and the roster are capped, and --title is one line of printable text."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from quiz.bank.parser import load_bank
from quiz.commands.sheet import MAX_STUDENTS
from quiz.sheets.marks import atomic_target, write_atomically
from quiz.store.actions import apply_review
from quiz.store.db import open_database
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import sync_bank
from tests.conftest import FIXED_NOW
from tests.sheets.sheet_helpers import quiz


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """os.write writes part of what it is given, then fails with ENOSPC (errno only, no file
    name: what a real full disk gives)."""
    real_write = os.write
    calls = {"n": 0}

    def write(descriptor: int, data: bytes | memoryview) -> int:
        calls["n"] += 1
        if calls["n"] == 1 and len(data) > 1:
            return real_write(descriptor, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", write)
    yield


def every_file(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def one_line_naming(err: str, path: Path) -> None:
    assert len(err.strip().splitlines()) == 1, err
    assert "None" not in err
    assert str(path) in err
    assert os.strerror(errno.ENOSPC) in err
    assert "Traceback" not in err


# ---- the helper ---------------------------------------------------------------------------------

def test_write_atomically_full_disk_removes_the_temporary_and_names_the_file(
        tmp_path: Path, full_disk: None) -> None:
    target = tmp_path / "out.md"
    with pytest.raises(OSError) as raised:
        write_atomically(target, "x" * 10_000)
    assert raised.value.filename == str(target)
    assert raised.value.errno == errno.ENOSPC
    assert every_file(tmp_path) == []


def test_write_atomically_keeps_the_old_file_on_failure(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "old.json"
    target.write_text("old\n", encoding="utf-8")

    def no_space(descriptor: int, data: bytes | memoryview) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(OSError):
        write_atomically(target, "new\n" * 1000)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert every_file(tmp_path) == ["old.json"]


def test_atomic_target_renames_only_when_the_block_ends(tmp_path: Path) -> None:
    target = tmp_path / "deck.apkg"
    with atomic_target(target) as temporary:
        assert temporary.parent == tmp_path and temporary != target
        temporary.write_bytes(b"deck")
        assert not target.exists()
    assert target.read_bytes() == b"deck"
    assert every_file(tmp_path) == ["deck.apkg"]
    with pytest.raises(ValueError), atomic_target(target) as temporary:
        temporary.write_bytes(b"half")
        raise ValueError("stop")
    assert target.read_bytes() == b"deck"
    assert every_file(tmp_path) == ["deck.apkg"]


def test_written_files_get_the_usual_mode(tmp_path: Path) -> None:
    """Not mkstemp's 0600: a new file gets 0666 less the umask, a replaced one keeps its mode."""
    mask = os.umask(0o022)
    os.umask(mask)
    new = tmp_path / "new.md"
    write_atomically(new, "x")
    assert new.stat().st_mode & 0o777 == 0o666 & ~mask
    kept = tmp_path / "kept.md"
    kept.write_text("old", encoding="utf-8")
    kept.chmod(0o640)
    write_atomically(kept, "new")
    assert kept.stat().st_mode & 0o777 == 0o640


def test_atomic_target_names_the_file_when_its_folder_is_missing(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "x.json"
    with pytest.raises(OSError) as raised, atomic_target(target):
        pass
    assert raised.value.filename == str(target)


# ---- quiz sheet -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, first", [("md", "sheet-01.md"), ("html", "sheets.html")])
def test_sheet_on_a_full_disk_leaves_no_partial_file(
        tmp_path: Path, bank_dir: Path, full_disk: None, fmt: str, first: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--path", str(bank_dir), "--count", "2", "--seed", "7",
                        "--students", "2", "--key", "--format", fmt, "--date", "2026-03-02",
                        "-o", str(out))
    assert code == 2
    one_line_naming(err, out / first)
    assert every_file(out) == []


@pytest.mark.parametrize("fmt, first", [("md", "sheet-01.md"), ("html", "sheets.html")])
def test_sheet_when_fsync_reports_a_full_disk(
        tmp_path: Path, bank_dir: Path, fmt: str, first: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Delayed allocation: the data is accepted and fsync reports ENOSPC (no file name)."""
    def no_space(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--path", str(bank_dir), "--count", "2", "--seed", "7",
                        "--students", "2", "--key", "--format", fmt, "--date", "2026-03-02",
                        "-o", str(out))
    assert code == 2
    one_line_naming(err, out / first)
    assert every_file(out) == []


def test_sheet_title_must_be_one_printable_line(tmp_path: Path, bank_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for title in ("week 3\n--ids x", "tab\there", "bell\x07", "csi\x9b2J", "bidi\u202eevil",
                  "line\u2028sep"):
        out = tmp_path / "refused"
        code, _, err = quiz(capsys, "sheet", "--path", str(bank_dir), "--count", "1",
                            "--title", title, "-o", str(out))
        assert code == 2, title
        assert len(err.strip().splitlines()) == 1 and "--title" in err, err
        assert not out.exists()
    out = tmp_path / "kept"
    code, _, err = quiz(capsys, "sheet", "--path", str(bank_dir), "--count", "1", "--seed", "3",
                        "--title", "第 3 周: 'CNN' \"quiz\" $HOME", "--date", "2026-03-02",
                        "-o", str(out))
    assert code == 0, err
    assert "第 3 周: 'CNN'" in (out / "sheet-01.md").read_text(encoding="utf-8")


def test_sheet_students_capped(tmp_path: Path, bank_dir: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--path", str(bank_dir), "--count", "1",
                        "--students", str(MAX_STUDENTS + 1), "-o", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and str(MAX_STUDENTS) in err, err
    assert not out.exists()
    code, _, err = quiz(capsys, "sheet", "--path", str(bank_dir), "--count", "1",
                        "--students", "100000000000000000000", "-o", str(out))
    assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_roster_capped(tmp_path: Path, bank_dir: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.txt"
    roster.write_text("".join(f"s{n}\tStudent {n}\n" for n in range(MAX_STUDENTS + 5)),
                      encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--path", str(bank_dir), "--count", "1",
                        "--roster", str(roster), "-o", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert f"{roster}:{MAX_STUDENTS + 1}" in err and str(MAX_STUDENTS) in err
    assert not out.exists()


# ---- quiz export --------------------------------------------------------------------------------

@pytest.fixture
def studied_db(tmp_path: Path, bank_dir: Path) -> str:
    url = f"sqlite:///{tmp_path / 'studied.db'}"
    db = open_database(url)
    sync_bank(db, load_bank(bank_dir), "test", FIXED_NOW)
    scheduler = make_scheduler(fuzz=False)
    for minutes, grade in ((0, Grade.GOOD), (5, Grade.AGAIN)):
        apply_review(db, scheduler, "conv-1x1", grade, FIXED_NOW + timedelta(minutes=minutes),
                     duration_ms=1000, seed=minutes, answer_text="答", verdict="right")
    db.close()
    return url


@pytest.mark.parametrize("option", ["--json", "--csv"])
def test_export_on_a_full_disk_leaves_no_partial_file(
        tmp_path: Path, studied_db: str, option: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "history.out"
    real_write = os.write

    def write(descriptor: int, data: bytes | memoryview) -> int:
        if len(data) > 1:  # the export itself; the database writes through SQLite, not os.write
            real_write(descriptor, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", write)
    # The JSON export streams through a text file object (its writes do not pass os.write).
    real_open = Path.open

    def open_on_a_full_disk(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        stream = real_open(self, mode, *args, **kwargs)
        return _FullDisk(stream) if "w" in mode else stream

    monkeypatch.setattr(Path, "open", open_on_a_full_disk)
    code, _, err = quiz(capsys, "--db", studied_db, "export", option, str(target))
    assert code == 2
    one_line_naming(err, target)
    assert every_file(out) == []


class _FullDisk:
    """A text stream on a disk that fills up: the first write lands half, then ENOSPC."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(text[: len(text) // 2])
        self._stream.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()


def test_export_anki_on_a_full_disk_leaves_no_partial_deck(
        tmp_path: Path, bank_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import genanki

    def half_then_full(self: object, file: str) -> None:
        Path(file).write_bytes(b"PK\x03\x04 half a deck")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out = tmp_path / "out"
    out.mkdir()
    deck = out / "bank.apkg"
    deck.write_bytes(b"the deck of last week")
    monkeypatch.setattr(genanki.Package, "write_to_file", half_then_full)
    code, _, err = quiz(capsys, "export", "--anki", str(deck), "--path", str(bank_dir))
    assert code == 2
    one_line_naming(err, deck)
    assert deck.read_bytes() == b"the deck of last week"
    assert every_file(out) == ["bank.apkg"]


def test_export_anki_writes_the_deck_in_place(tmp_path: Path, bank_dir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    out = tmp_path / "out"
    out.mkdir()
    deck = out / "bank.apkg"
    code, out_text, err = quiz(capsys, "export", "--anki", str(deck), "--path", str(bank_dir))
    assert code == 0, err
    assert zipfile.is_zipfile(deck) and out_text.startswith(f"{deck}: ")
    assert every_file(out) == ["bank.apkg"]
