"""One reader for files a user names (quiz.files): regular files only, a size cap checked while
reading, one-line refusals; sheets, nets and history files go through it (issue 21)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from quiz.files import FileRefused, read_user_bytes, read_user_text
from quiz.sheets.reader import SheetFormatError, read_sheet


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "f.md"
    os.mkfifo(path)
    return path


def test_regular_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("héllo", encoding="utf-8")
    assert read_user_text(path, 100) == "héllo"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="is a FIFO; only regular files are read"):
        read_user_bytes(_fifo(tmp_path), 100)


def test_link_to_dev_zero_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.net"
    link.symlink_to("/dev/zero")
    with pytest.raises(FileRefused, match="is a character device"):
        read_user_bytes(link, 100)


def test_size_cap_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    with pytest.raises(FileRefused, match="larger than the limit of 100 bytes"):
        read_user_bytes(path, 100)
    assert read_user_bytes(path, 101) == b"x" * 101
    with pytest.raises(FileRefused, match="cannot read"):
        read_user_bytes(tmp_path / "missing", 100)


def test_sheet_reader_refuses_fifo(tmp_path: Path) -> None:
    with pytest.raises(SheetFormatError, match="FIFO"):
        read_sheet(_fifo(tmp_path))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "quiz", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env={**os.environ, "QUIZ_DB": str(cwd / "q.db")})


@pytest.mark.parametrize("command", [("check",), ("calc", "net")])
def test_commands_refuse_fifo_and_dev_zero(tmp_path: Path, command: tuple[str, ...]) -> None:
    link = tmp_path / "zero.md"
    link.symlink_to("/dev/zero")
    for path in (_fifo(tmp_path), link):
        result = _cli(*command, str(path), cwd=tmp_path)
        assert result.returncode != 0, result
        assert "Traceback" not in result.stderr
        assert str(path) in result.stderr
        assert "FIFO" in result.stderr or "character device" in result.stderr


def test_import_history_refuses_fifo(tmp_path: Path) -> None:
    result = _cli("--db", str(tmp_path / "h.db"), "import-history", str(_fifo(tmp_path)),
                  cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "FIFO" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
