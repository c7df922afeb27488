"""Whole numbers read back from sheets are held to the range quiz writes (issue 21): a seed of
thousands of digits was a ValueError traceback from int() ("Exceeds the limit (4300 digits)");
now it is one line naming the file and line, before int() sees the string."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quiz.commands.sheet import MAX_STUDENTS
from quiz.sheets.select import SEED_LIMIT
from tests.sheets.sheet_helpers import quiz

HUGE = "9" * 5000


@pytest.fixture
def numeric_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "class"
    code, _, err = quiz(capsys, "sheet", "--numeric", "--count", "2", "--seed", "5",
                        "--students", "2", "--date", "2026-01-05", "-o", str(out))
    assert code == 0, err
    return out


def _line_of(text: str, pattern: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1)
                if re.search(pattern, line))


def _check_one_line(capsys: pytest.CaptureFixture[str], sheet: Path, line: int,
                    what: str) -> None:
    code, _, err = quiz(capsys, "check", str(sheet))
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"{sheet}:{line}: {what}" in err and "out of range" in err, err


@pytest.mark.parametrize(("pattern", "replace", "what"), [
    (r"^- seed：5 / 1$", ("seed：5 /", f"seed：{HUGE} /"), "the seed"),
    (r"^- seed：5 / 1$", ("/ 1", f"/ {HUGE}"), "the student number"),
    (r"^- seed：5 / 1$", ("seed：5 /", f"seed：{SEED_LIMIT} /"), "the seed"),
    (r"^- seed：5 / 1$", ("/ 1", f"/ {MAX_STUDENTS + 1}"), "the student number"),
    (r"^## 1 · ", ("## 1 · ", f"## {HUGE} · "), "the item number"),
    (r"^## 2 · .* · seed \d+$", (" · seed ", f" · seed {HUGE}"), "the item's seed"),
    (r"^## 2 · .* · seed \d+$", (" · seed ", " · seed -"), "the item's seed"),
], ids=["huge-seed", "huge-student", "seed-limit", "student-limit", "huge-item-number",
        "huge-item-seed", "negative-item-seed"])
def test_an_out_of_range_number_in_a_sheet_line_is_one_line_naming_it(
        numeric_class: Path, capsys: pytest.CaptureFixture[str], pattern: str,
        replace: tuple[str, str], what: str) -> None:
    sheet = numeric_class / "sheet-01.md"
    text = sheet.read_text(encoding="utf-8")
    line = _line_of(text, pattern)
    lines = text.splitlines()
    lines[line - 1] = lines[line - 1].replace(*replace, 1)
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check_one_line(capsys, sheet, line, what)


def test_a_huge_number_in_the_metadata_line_is_named_and_the_manifest_grades(
        numeric_class: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = numeric_class / "sheet-01.md"
    text = sheet.read_text(encoding="utf-8")
    line = _line_of(text, "quiz-sheet")
    sheet.write_text(text.replace('"seed":5,', f'"seed":{HUGE},', 1), encoding="utf-8")
    code, out, err = quiz(capsys, "check", str(sheet))
    assert "Traceback" not in err
    assert f"{sheet}:{line}: a number of 5000 digits" in err, err
    # the damaged line is a warning: the manifest beside the sheet still says what was printed
    assert "graded by" in err and code == 1, (code, out, err)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"seed": 5,', f'"seed": {HUGE},', "a number of 5000 digits"),
    ('"seed": 5,', f'"seed": {SEED_LIMIT},', "out of range"),
    ('"n": 1,', f'"n": {MAX_STUDENTS + 1},', "out of range"),
], ids=["huge-seed", "seed-limit", "student-limit"])
def test_the_manifest_is_refused_in_one_line_naming_the_file_and_line(
        numeric_class: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        message: str) -> None:
    manifest = numeric_class / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, _, err = quiz(capsys, "check", str(numeric_class))
    assert code == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and str(manifest) in err and message in err, err
    if "digits" in message:
        assert f"{manifest}:{_line_of(text, re.escape(old))}:" in err, err


def test_the_metadata_range_is_the_one_quiz_sheet_writes(
        numeric_class: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every seed quiz writes is read back: the largest one too."""
    out = numeric_class.parent / "largest"
    code, _, err = quiz(capsys, "sheet", "--numeric", "--count", "2", "--seed",
                        str(SEED_LIMIT - 1), "--date", "2026-01-05", "-o", str(out))
    assert code == 0, err
    code, _, err = quiz(capsys, "check", str(out / "sheet-01.md"))
    assert code == 1 and "Traceback" not in err, err  # unanswered: graded, not refused
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert entry["seed"] == SEED_LIMIT - 1


@pytest.mark.parametrize("seed", [str(SEED_LIMIT), "-1", HUGE[:4000]],
                         ids=["limit", "negative", "4000-digits"])
def test_quiz_sheet_refuses_a_seed_it_could_not_read_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: str) -> None:
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--seed", seed, "-o", str(out))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--seed" in err, err
    assert not out.exists()
