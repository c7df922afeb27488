"""`import_bank` reads a bank file by file and skips files whose bytes it has seen: after any
sequence of edits its database must equal one synced from the whole parsed bank, and it must
parse only the files that changed."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quiz.bank import parser as bank_parser
from quiz.bank.errors import BankError
from quiz.bank.parser import load_bank
from quiz.store.bulk import insert_rows, update_rows
from quiz.store.db import open_database
from quiz.store.models import QuestionRow, ReviewRow
from quiz.store.sync import import_bank, sync_bank
from tests.conftest import FIXED_NOW, numbered_bank


def _question(number: int, version: int = 0) -> str:
    # Every second edit moves the question to another deck; every edit grows the answer, so
    # the lines below it shift.
    deck = (number + version // 2) % 3
    return (f"## 第 {number} 题？\n\n```meta\nid: q{number}\nsources: 00{number % 5}#{number}\n"
            f"tags: 主题{deck}\nkind: concept\n```\n\n答案 {number}（第 {version} 版）。\n"
            + "补充一行。\n" * version)


def _write(folder: Path, files: dict[str, list[tuple[int, int]]]) -> None:
    for old in folder.glob("*.md"):
        old.unlink()
    for name, questions in files.items():
        body = "\n".join(_question(number, version) for number, version in questions)
        (folder / name).write_text(f"# {name}\n\n{body}", encoding="utf-8")


def _edit(rng: random.Random, files: dict[str, list[tuple[int, int]]], fresh: list[int]) -> None:
    """One random change a learner makes to a bank folder."""
    names = sorted(files)
    name = rng.choice(names)
    action = rng.choice(("edit", "add", "delete", "move", "reorder", "rename", "new file",
                         "drop file", "nothing"))
    questions = files[name]
    if action == "edit" and questions:
        index = rng.randrange(len(questions))
        questions[index] = (questions[index][0], questions[index][1] + 1)
    elif action == "add":
        questions.insert(rng.randrange(len(questions) + 1), (fresh.pop(), 0))
    elif action == "delete" and len(questions) > 1:
        questions.pop(rng.randrange(len(questions)))
    elif action == "move" and len(names) > 1 and len(questions) > 1:
        other = rng.choice([n for n in names if n != name])
        files[other].append(questions.pop(rng.randrange(len(questions))))
    elif action == "reorder":
        rng.shuffle(questions)
    elif action == "rename":
        files[f"r{len(fresh)}-{name}"] = files.pop(name)
    elif action == "new file":
        files[f"n{len(fresh)}.md"] = [(fresh.pop(), 0)]
    elif action == "drop file" and len(names) > 1:
        del files[name]


def _dump(path: Path) -> list[tuple[object, ...]]:
    """Everything a sync decides, ordered; timestamps of creation/update are left out only
    because the two databases were written at different moments."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT q.id, q.bank, q.title, q.answer, q.sources, q.tags, q.deck, q.blocks, "
            "replace(q.file, ?, ''), q.line, q.content_hash, q.retired_at IS NULL, c.new_rank "
            "FROM questions q JOIN cards c ON c.question_id = q.id ORDER BY q.id",
            (str(path.parent),)).fetchall()
    connection.close()
    return rows


@pytest.mark.parametrize("seed", range(8))
def test_file_by_file_import_equals_a_whole_bank_sync(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    bank = tmp_path / "bank"
    bank.mkdir()
    files = {f"t{index}.md": [(index * 10 + n, 0) for n in range(rng.randint(1, 4))]
             for index in range(4)}
    fresh = list(range(1000, 1100))
    by_files = open_database(f"sqlite:///{tmp_path / 'files.db'}")
    whole = open_database(f"sqlite:///{tmp_path / 'whole.db'}")
    for step in range(12):
        _write(bank, files)
        now = FIXED_NOW + timedelta(hours=step)
        report = import_bank(by_files, bank, "b", now)
        reference = sync_bank(whole, load_bank(bank), "b", now)
        assert (sorted(report.added), sorted(report.changed), sorted(report.retired),
                sorted(report.revived), report.unchanged) == (
            sorted(reference.added), sorted(reference.changed), sorted(reference.retired),
            sorted(reference.revived), reference.unchanged), step
        assert _dump(tmp_path / "files.db") == _dump(tmp_path / "whole.db"), step
        _edit(rng, files, fresh)


def test_only_changed_files_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    _write(bank, {f"t{index}.md": [(index * 10 + n, 0) for n in range(3)] for index in range(5)})
    db = open_database(f"sqlite:///{tmp_path / 'quiz.db'}")
    parsed: list[str] = []
    parse = bank_parser.parse_text
    monkeypatch.setattr(bank_parser, "parse_text",
                        lambda text, file="<text>": parsed.append(Path(file).name) or
                        parse(text, file))
    import_bank(db, bank, "b", FIXED_NOW)
    assert len(parsed) == 5
    parsed.clear()
    again = import_bank(db, bank, "b", FIXED_NOW)
    assert parsed == [] and again.unchanged == 15 and again.questions == 15
    (bank / "t2.md").write_text((bank / "t2.md").read_text(encoding="utf-8")
                                .replace("第 0 版", "第 1 版"), encoding="utf-8")
    edited = import_bank(db, bank, "b", FIXED_NOW)
    assert parsed == ["t2.md"] and sorted(edited.changed) == ["q20", "q21", "q22"]
    # A sync from parsed questions forgets the digests: the next import parses every file.
    parsed.clear()
    sync_bank(db, load_bank(bank), "b", FIXED_NOW)
    parsed.clear()
    import_bank(db, bank, "b", FIXED_NOW)
    assert len(parsed) == 5


def test_a_skipped_file_whose_rows_moved_to_another_bank_is_read_again(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    _write(first, {"a.md": [(1, 0), (2, 0)]})
    _write(second, {"b.md": [(2, 0)]})
    db = open_database(f"sqlite:///{tmp_path / 'quiz.db'}")
    import_bank(db, first, "first", FIXED_NOW)
    import_bank(db, second, "second", FIXED_NOW)  # takes over q2
    again = import_bank(db, first, "first", FIXED_NOW)  # a.md unchanged, but q2 left it
    # Read again, not vouched for by its digest: q2 comes back (its topic differs, so it
    # counts as changed).
    assert again.unchanged == 1 and again.changed == ["q2"]
    with db.sessions.begin() as session:
        assert session.scalar(select(QuestionRow.bank).where(QuestionRow.id == "q2")) == "first"


def test_a_duplicate_id_across_a_skipped_and_a_changed_file_is_an_error(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    _write(bank, {"a.md": [(1, 0)], "b.md": [(2, 0)]})
    db = open_database(f"sqlite:///{tmp_path / 'quiz.db'}")
    import_bank(db, bank, "b", FIXED_NOW)
    before = _dump(tmp_path / "quiz.db")
    (bank / "b.md").write_text("# b\n\n" + _question(2) + "\n" + _question(1), encoding="utf-8")
    with pytest.raises(BankError, match="duplicate id 'q1'"):
        import_bank(db, bank, "b", FIXED_NOW + timedelta(hours=1))
    assert _dump(tmp_path / "quiz.db") == before


def test_a_bad_file_after_good_ones_writes_nothing(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    _write(bank, {"a.md": [(1, 0)], "b.md": [(2, 0)]})
    (bank / "z.md").write_text("# z\n\n## 没有 meta 的题\n\n答案。\n", encoding="utf-8")
    db = open_database(f"sqlite:///{tmp_path / 'quiz.db'}")
    with pytest.raises(BankError, match=r"z\.md"):
        import_bank(db, bank, "b", FIXED_NOW)
    assert _dump(tmp_path / "quiz.db") == []


def test_bulk_rows_read_back_as_the_orm_writes_them(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'quiz.db'}")
    shanghai = timezone(timedelta(hours=8))
    moments = [datetime(2026, 3, 1, 8, 0, tzinfo=shanghai), datetime(2026, 3, 1, 0, 0,
                                                                     tzinfo=timezone.utc)]
    rows = []
    for number in range(300):  # past the remembered-values limit of 256 distinct values
        rows.append({"id": f"x{number}", "bank": "b", "title": "标题", "answer": "答",
                     "sources": ["001#1"], "tags": ["标签", str(number)], "kind": "concept",
                     "origin": "sourced", "difficulty": 2, "topic": "t", "deck": "标签",
                     "blocks": [["claim", "a: 1", 3]], "file": "f.md", "line": number,
                     "content_hash": "h", "created_at": moments[number % 2],
                     "updated_at": moments[0] + timedelta(seconds=number)})
    with db.write() as session:
        insert_rows(session, QuestionRow, rows)
        update_rows(session, QuestionRow, "id",
                    [{"id": "x7", "title": "新标题", "retired_at": moments[0]}])
    with db.sessions.begin() as session:
        stored = {row.id: row for row in session.scalars(select(QuestionRow))}
        for row in rows:
            got = stored[str(row["id"])]
            assert got.tags == row["tags"] and got.blocks == row["blocks"]
            assert got.created_at == row["created_at"] and got.updated_at == row["updated_at"]
            assert got.retired_at is None if row["id"] != "x7" else got.retired_at == moments[0]
        assert stored["x7"].title == "新标题" and stored["x0"].title == "标题"
        assert stored["x0"].created_at.tzinfo is timezone.utc
    # A row missing a required column is the database's error, inside the caller's transaction.
    with pytest.raises(IntegrityError), db.write() as session:
        insert_rows(session, ReviewRow, [{"id": 1}])


def test_ranks_are_recomputed_only_when_their_inputs_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quiz.store import sync as store_sync

    bank = tmp_path / "bank"
    bank.mkdir()
    files = {"a.md": [(1, 0), (2, 0), (3, 0)], "b.md": [(4, 0)]}
    _write(bank, files)
    db = open_database(f"sqlite:///{tmp_path / 'quiz.db'}")
    import_bank(db, bank, "b", FIXED_NOW)
    calls: list[int] = []
    refresh = store_sync.refresh_new_ranks
    monkeypatch.setattr(store_sync, "refresh_new_ranks",
                        lambda *args, **kwargs: calls.append(1) or refresh(*args, **kwargs))
    files["a.md"][0] = (1, 1)  # answer grows, q2 and q3 shift down, same deck, same order
    _write(bank, files)
    assert import_bank(db, bank, "b", FIXED_NOW).changed == ["q1"] and calls == []
    files["a.md"][0] = (1, 2)  # now the deck changes too
    _write(bank, files)
    import_bank(db, bank, "b", FIXED_NOW)
    assert calls == [1]
    files["a.md"].reverse()  # same questions, another order
    _write(bank, files)
    import_bank(db, bank, "b", FIXED_NOW)
    assert calls == [1, 1]


def test_an_import_that_grows_the_bank_gathers_its_statistics(tmp_path: Path) -> None:
    """So the first command after a large first import does not pay for ANALYZE at its open."""
    from quiz.store.db import ANALYZE_MIN_ROWS, _statistics_stale

    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "big.md").write_text(numbered_bank(ANALYZE_MIN_ROWS + 100), encoding="utf-8")
    db = open_database(f"sqlite:///{tmp_path / 'quiz.db'}")
    with db.engine.connect() as connection:
        assert not _statistics_stale(connection)  # nothing large yet
    import_bank(db, bank, "b", FIXED_NOW)
    with db.engine.connect() as connection:
        assert not _statistics_stale(connection)
        stats = dict(connection.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1").all())
    assert stats["ix_questions_card"].split()[0] == str(ANALYZE_MIN_ROWS + 100)
