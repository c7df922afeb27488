"""Fuzzing the bank loader: valid bank files mutated many ways (truncation, bad UTF-8, NUL bytes,
bad meta keys and values, huge values, deleted fences, duplicated ids, shuffled lines) must give
either a clean load or a `BankError` naming the file and line — never another exception. A subset
goes through the real `quiz import`: exit 1, `quiz: error:`, and the database unchanged.

Seeded, and bounded in time so the suite stays fast."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from quiz.bank.errors import BankError
from quiz.bank.parser import MAX_FILE_BYTES, load_bank
from quiz.paths import bundled_bank_dir
from tests.conftest import SMALL_BANK, sql_dump
from tests.core.test_cli import run_quiz

SEED = 20261128
BUDGET_SECONDS = 4.0
MIN_CASES = 150
# Through `quiz import` (a process each): one broken mutant of each of these kinds.
PROCESS_KINDS = ("truncate", "bad_utf8", "bad_meta_value", "huge_value", "duplicate_question")
ANCHOR = """\
# 锚

## 这一题不被改动

```meta
id: fuzz-anchor
sources: 000#1
tags: 锚
kind: concept
```

一个始终有效的题目，所以任何错误都只能来自被改动的文件。
"""

Mutation = Callable[[random.Random, bytes], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[:rng.randrange(len(data))]


def bad_utf8(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    junk = rng.choice([b"\xff", b"\xc3", b"\xe4\xb8", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])
    return data[:at] + junk + data[at:]


def nul_bytes(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]


def _meta_lines(data: bytes) -> list[int]:
    lines = _lines(data)
    inside, found = False, []
    for number, line in enumerate(lines):
        if line.strip() == b"```meta":
            inside = True
        elif line.strip() == b"```":
            inside = False
        elif inside:
            found.append(number)
    return found


def bad_meta_key(rng: random.Random, data: bytes) -> bytes:
    lines, targets = _lines(data), _meta_lines(data)
    if not targets:
        return data
    number = rng.choice(targets)
    _key, _sep, value = lines[number].partition(b":")
    key = rng.choice([b"ID", b"tag", b"", b"\xe9\x94\xae", b"kind kind", b"id\x00", b"#"])
    lines[number] = key + rng.choice([b":", b"", b"::"]) + value
    return b"\n".join(lines)


def bad_meta_value(rng: random.Random, data: bytes) -> bytes:
    lines, targets = _lines(data), _meta_lines(data)
    if not targets:
        return data
    number = rng.choice(targets)
    key, _sep, _value = lines[number].partition(b":")
    value = rng.choice([b"", b" ", b"Bad ID", b"9", b"-1", b"concept,numeric", b"999#x",
                        b"\xef\xbc\x8c", b",,,", b"numeric", b"authored", b"0", b"\t\t",
                        b"\x1b]52;c;ZXZpbA==\x07"])
    lines[number] = key + b": " + value
    return b"\n".join(lines)


def huge_value(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    number = rng.randrange(len(lines))
    size = rng.choice([30_000, 300_000, MAX_FILE_BYTES + 10])
    lines[number] = lines[number] + b"x" * size
    return b"\n".join(lines)


def delete_fence(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    fences = [n for n, line in enumerate(lines) if line.lstrip().startswith(b"```")]
    if not fences:
        return data
    del lines[rng.choice(fences)]
    return b"\n".join(lines)


def duplicate_question(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    starts = [n for n, line in enumerate(lines) if line.startswith(b"## ")]
    if not starts:
        return data
    start = rng.choice(starts)
    later = [n for n in starts if n > start]
    end = later[0] if later else len(lines)
    return b"\n".join(lines + lines[start:end])


def shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    for _ in range(rng.randint(1, 4)):
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        action = rng.choice(("swap", "delete", "copy"))
        if action == "swap":
            lines[a], lines[b] = lines[b], lines[a]
        elif action == "delete" and len(lines) > 1:
            del lines[a]
        else:
            lines.insert(a, lines[b])
    return b"\n".join(lines)


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    mutable = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutable[rng.randrange(len(mutable))] = rng.randrange(256)
    return bytes(mutable)


def odd_markup(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    insert = rng.choice([b"# second topic", b"##", b"## ", b"```", b"```meta", b"~~~",
                         b"> ", b"    ```meta", b"<!--", b"\r", b"\x0c", b"## \xe2\x80\xae"])
    lines.insert(rng.randrange(len(lines) + 1), insert)
    return b"\n".join(lines)


MUTATIONS: tuple[Mutation, ...] = (
    truncate, bad_utf8, nul_bytes, bad_meta_key, bad_meta_value, huge_value, delete_fence,
    duplicate_question, shuffle_lines, flip_bytes, odd_markup,
)


def _seeds() -> list[bytes]:
    """Valid bank files: the small test bank and the smallest bundled file with numeric
    templates and claims (so the machine-readable blocks are mutated too)."""
    numeric = [path for path in bundled_bank_dir().glob("*.md")
               if "```template" in path.read_text(encoding="utf-8")]
    seeds = [SMALL_BANK.encode("utf-8")]
    if numeric:
        seeds.append(min(numeric, key=lambda path: path.stat().st_size).read_bytes())
    return seeds


def _outcome(bank: Path) -> BankError | None:
    """None for a clean load, the BankError otherwise; anything else fails the test."""
    try:
        load_bank(bank)
    except BankError as error:
        return error
    return None


def _check_error(error: BankError, name: str, case: str) -> None:
    assert error.file.endswith(name), case
    assert str(error).startswith(error.file), case
    # Line 0 means "the whole file" and is only used for a file's size or type.
    assert error.line >= 1 or "larger than the limit" in error.message, case
    assert error.message.strip(), case


def _mutants(rng: random.Random, seeds: list[bytes]) -> list[tuple[str, bytes]]:
    cases = []
    for number in range(2000):
        seed = rng.choice(seeds)
        mutations = rng.sample(MUTATIONS, rng.choice((1, 1, 2)))
        data = seed
        for mutation in mutations:
            if data:
                data = mutation(rng, data)
        label = f"case {number}: " + "+".join(m.__name__ for m in mutations)
        cases.append((label, data))
    return cases


def test_mutated_bank_files_load_or_fail_with_file_and_line(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "anchor.md").write_text(ANCHOR, encoding="utf-8")
    target = bank / "topic.md"
    deadline = time.monotonic() + BUDGET_SECONDS
    tried, failed = 0, 0
    for label, data in _mutants(rng, _seeds()):
        if tried >= MIN_CASES and time.monotonic() > deadline:
            break
        target.write_bytes(data)
        error = _outcome(bank)  # any other exception fails here, with its traceback
        if error is not None:
            _check_error(error, "topic.md", label)
            failed += 1
        tried += 1
    # The mutations must be doing something: most of them should break the file.
    assert tried >= MIN_CASES and failed > tried // 3, (tried, failed)


@pytest.fixture
def imported(tmp_path: Path, bank_dir: Path) -> tuple[str, Path]:
    db_path = tmp_path / "quiz.db"
    db_url = f"sqlite:///{db_path}"
    first = run_quiz("import", str(bank_dir), db_url=db_url)
    assert first.returncode == 0, first.stderr
    return db_url, db_path


def test_quiz_import_of_a_broken_bank_changes_nothing(
    imported: tuple[str, Path], bank_dir: Path, tmp_path: Path,
) -> None:
    db_url, db_path = imported
    before = sql_dump(db_path)
    rng = random.Random(SEED + 1)
    # One broken mutant per kind of damage, in a bank that otherwise still has the valid file
    # (so a partial import would show in the database).
    chosen: dict[str, tuple[str, bytes]] = {}
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "anchor.md").write_text(ANCHOR, encoding="utf-8")
    for label, data in _mutants(rng, [SMALL_BANK.encode("utf-8")]):
        kind = label.split(": ", 1)[1]
        if kind not in PROCESS_KINDS or kind in chosen:
            continue
        (probe / "zz-broken.md").write_bytes(data)
        if _outcome(probe) is not None:
            chosen[kind] = (label, data)
        if len(chosen) == len(PROCESS_KINDS):
            break
    assert sorted(chosen) == sorted(PROCESS_KINDS)
    for label, data in chosen.values():
        (bank_dir / "zz-broken.md").write_bytes(data)
        result = run_quiz("import", str(bank_dir), db_url=db_url, cwd=tmp_path)
        assert result.returncode == 1, (label, result.stdout, result.stderr)
        assert result.stderr.startswith("quiz: error:"), (label, result.stderr)
        assert "zz-broken.md" in result.stderr and "Traceback" not in result.stderr, label
        assert result.stdout == "", label
        assert sql_dump(db_path) == before, label
