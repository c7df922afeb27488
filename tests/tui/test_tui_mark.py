"""`quiz mark DIR`: marking concept answers item by item across a class, with the pilot.

A class of three is made with `quiz sheet` and filled in; the tests press keys and read
marks.json back from disk (it is written after every mark, so what a test reads is what a crash
would leave)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.widgets import Input, Static

from quiz.bank.parser import load_bank
from quiz.cli import main
from quiz.paths import bundled_bank_dir
from quiz.sheets.marks import MARKS_FILE
from quiz.sheets.text import without_machine_blocks
from quiz.tui.keys import display_keys
from quiz.tui.mark import writer
from quiz.tui.mark.answer_panel import AnswerPanel
from quiz.tui.mark.app import MarkApp, make_mark_app
from quiz.tui.mark.help import MarkHelpScreen, key_table
from quiz.tui.mark.loading import MarkSetupError
from quiz.tui.mark.prompt import PromptScreen
from quiz.tui.mark.screen import EXIT_SAVED, EXIT_UNSAVED, MarkScreen
from quiz.tui.mark.texts import FAILED, SAVED
from quiz.tui.widgets.bank_text import BankText
from tests.conftest import FIXED_NOW

ITEM_HEADER = re.compile(r"^## (\d+) · ([a-z0-9-]+)", re.MULTILINE)
STAMP = "2026-03-02T09:30:00Z"  # FIXED_NOW as marks.json writes it


def make_class(folder: Path, *extra: str) -> Path:
    code = main(["sheet", "--students", "3", "--concept", "--count", "3", "--seed", "1",
                 "--date", "2026-03-02", "-o", str(folder), *extra])
    assert code == 0
    return folder


def fill(folder: Path) -> None:
    """Every `答：` line gets a two-line answer naming the sheet and the item."""
    for path in sorted(folder.glob("sheet-*.md")):
        lines, count = [], 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() == "答：":
                count += 1
                line = f"答：{path.stem} 第{count}题\n第二行 $x^2$"
            lines.append(line)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def class_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = make_class(tmp_path / "class")
    fill(folder)
    capsys.readouterr()
    return folder


def sheet_key(path: Path) -> str:
    """The student key in the sheet's metadata line, read straight from its JSON."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if "quiz-sheet" in line:
            return str(json.loads(line[line.index("{"):line.rindex("}") + 1])["student"]["key"])
    raise AssertionError(f"{path} has no metadata line")


def keys(folder: Path) -> list[str]:
    return [sheet_key(path) for path in sorted(folder.glob("sheet-*.md"))]


def item_ids(folder: Path) -> list[str]:
    text = sorted(folder.glob("sheet-*.md"))[0].read_text(encoding="utf-8")
    return [match.group(2) for match in ITEM_HEADER.finditer(text)]


def saved(folder: Path) -> dict[tuple[str, str], tuple[float, str]]:
    path = folder / MARKS_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {(m["student"], m["id"]): (m["score"], m["note"]) for m in data["marks"]}


def app_for(folder: Path) -> MarkApp:
    return make_mark_app(folder=folder, clock=lambda: FIXED_NOW)


async def settle(pilot) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def plain(app: MarkApp, selector: str) -> str:
    return str(app.mark_screen.query_one(selector, Static).render())


async def test_walks_item_by_item_across_the_class_saving_every_mark(class_dir: Path) -> None:
    students, ids = keys(class_dir), item_ids(class_dir)
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.mark_screen
        assert (screen.answer.question_id, screen.answer.student_key) == (ids[0], students[0])
        assert "题 1/3" in plain(app, "#mark-progress")
        await pilot.press("1")
        await settle(pilot)
        assert saved(class_dir) == {(students[0], ids[0]): (1.0, "")}  # on disk already
        await pilot.press("h", "n")
        await settle(pilot)
        # item 1 is done for the class: item 2, first student
        assert (screen.answer.question_id, screen.answer.student_key) == (ids[1], students[0])
        progress = plain(app, "#mark-progress")
        assert "题 2/3" in progress and "学生 1/3" in progress and "已评 3/9" in progress
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == EXIT_SAVED
    assert saved(class_dir) == {(students[0], ids[0]): (1.0, ""),
                                (students[1], ids[0]): (0.5, ""),
                                (students[2], ids[0]): (0.0, "")}
    entry = json.loads((class_dir / MARKS_FILE).read_text(encoding="utf-8"))["marks"][0]
    assert entry["marked_at"] == STAMP


@pytest.mark.parametrize(("key", "score"), [("1", 1.0), ("y", 1.0), ("2", 0.5), ("h", 0.5),
                                            ("3", 0.0), ("n", 0.0)])
async def test_each_mark_key(class_dir: Path, key: str, score: float) -> None:
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
    assert saved(class_dir) == {(keys(class_dir)[0], item_ids(class_dir)[0]): (score, "")}


async def test_a_typed_score_and_one_that_is_refused(class_dir: Path) -> None:
    first = (keys(class_dir)[0], item_ids(class_dir)[0])
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", *"12/10", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)  # still open, saying why
        assert "12/10" in str(app.screen.query_one("#prompt-error", Static).render())
        assert saved(class_dir) == {}
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, PromptScreen)
        assert saved(class_dir) == {}
        await pilot.press("s", *"7/10", "enter")
        await settle(pilot)
        assert saved(class_dir) == {first: (0.7, "")}
        await pilot.press("left")
        await settle(pilot)
        assert "0.7" in plain(app, "#mark-status")


async def test_undo_takes_marks_back_in_order(class_dir: Path) -> None:
    students, ids = keys(class_dir), item_ids(class_dir)
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.mark_screen
        await pilot.press("1", "2", "3")
        await settle(pilot)
        assert len(saved(class_dir)) == 3
        await pilot.press("u")
        await settle(pilot)
        assert set(saved(class_dir)) == {(students[0], ids[0]), (students[1], ids[0])}
        assert screen.answer.student_key == students[2]  # back on the answer undone
        assert "已撤销" in plain(app, "#mark-status")
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert saved(class_dir) == {(students[0], ids[0]): (1.0, "")}
        assert screen.answer.student_key == students[1]
        await pilot.press("u", "u")  # the second has nothing left to take back
        await settle(pilot)
        assert saved(class_dir) == {}
        assert "未评" in plain(app, "#mark-status")


async def test_undo_of_a_changed_mark_restores_the_old_one(class_dir: Path) -> None:
    first = (keys(class_dir)[0], item_ids(class_dir)[0])
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1", "left", "3")
        await settle(pilot)
        assert saved(class_dir) == {first: (0.0, "")}
        await pilot.press("u")
        await settle(pilot)
        assert saved(class_dir) == {first: (1.0, "")}


async def test_notes_on_a_marked_answer_and_before_the_mark(class_dir: Path) -> None:
    students, ids = keys(class_dir), item_ids(class_dir)
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # typed into the note, q, j, u and 1 are letters, not keys of the screen
        await pilot.press("1", "left", "N", *"漏了残差 qju1", "enter")
        await settle(pilot)
        assert app.is_running
        assert saved(class_dir) == {(students[0], ids[0]): (1.0, "漏了残差 qju1")}
        assert "漏了残差 qju1" in plain(app, "#mark-status")
        # the note prompt opens with the note; emptied, the note is removed
        await pilot.press("N")
        await settle(pilot)
        assert app.screen.query_one(Input).value == "漏了残差 qju1"
        await pilot.press(*["backspace"] * 9, "enter")
        await settle(pilot)
        assert saved(class_dir) == {(students[0], ids[0]): (1.0, "")}
        # a note before the mark waits for it, then is saved with it
        await pilot.press("right", "N", *"先写备注", "enter")
        await settle(pilot)
        assert (students[1], ids[0]) not in saved(class_dir)
        assert "评分后保存" in plain(app, "#mark-status")
        await pilot.press("2")
        await settle(pilot)
        assert saved(class_dir)[(students[1], ids[0])] == (0.5, "先写备注")


async def test_marks_are_loaded_on_reopening_and_can_be_changed(class_dir: Path) -> None:
    students, ids = keys(class_dir), item_ids(class_dir)
    first = app_for(class_dir)
    async with first.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1", "2", "q")
        await settle(pilot)
    second = app_for(class_dir)
    async with second.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = second.mark_screen
        # it resumes at the first answer not marked yet
        assert (screen.answer.question_id, screen.answer.student_key) == (ids[0], students[2])
        assert "已评 2/9" in plain(second, "#mark-progress")
        await pilot.press("k")  # k: the previous answer
        await settle(pilot)
        assert "半对" in plain(second, "#mark-status")
        await pilot.press("3")
        await settle(pilot)
    assert saved(class_dir) == {(students[0], ids[0]): (1.0, ""),
                                (students[1], ids[0]): (0.0, "")}


async def test_a_mark_written_in_the_sheet_is_shown_and_can_be_changed(class_dir: Path) -> None:
    students, ids = keys(class_dir), item_ids(class_dir)
    sheet = class_dir / "sheet-01.md"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text.replace("第二行 $x^2$\n", "第二行 $x^2$\n评：半对\n", 1),
                     encoding="utf-8")
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.mark_screen
        assert screen.answer.student_key == students[1]  # the first is marked on paper
        assert "已评 1/9" in plain(app, "#mark-progress")
        await pilot.press("left")
        await settle(pilot)
        status = plain(app, "#mark-status")
        assert "半对" in status and "卷面" in status
        assert "评：半对" not in screen.query_one("#mark-student", AnswerPanel).markdown
        await pilot.press("1")
        await settle(pilot)
    assert saved(class_dir) == {(students[0], ids[0]): (1.0, "")}


async def test_quiz_check_reads_the_marks(class_dir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    students, ids = keys(class_dir), item_ids(class_dir)
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1", "2", "N", *"不完整", "enter", "3", "q")
        await settle(pilot)
    capsys.readouterr()
    assert main(["check", str(class_dir), "--json"]) != 2
    report = json.loads(capsys.readouterr().out)
    items = {sheet["student_key"]: {item["id"]: item for item in sheet["items"]}
             for sheet in report["sheets"]}
    assert [items[key][ids[0]]["score"] for key in students] == [1.0, 0.5, 0.0]
    assert {items[key][ids[0]]["mark_source"] for key in students} == {"marks.json"}
    assert items[students[2]][ids[0]]["mark_note"] == "不完整"
    assert items[students[0]][ids[1]]["status"] == "unmarked"


async def test_answer_whole_beside_the_reference(class_dir: Path) -> None:
    ids = item_ids(class_dir)
    reference = {q.id: without_machine_blocks(q.answer) for q in load_bank(bundled_bank_dir())}
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j")  # j: the next answer
        await settle(pilot)
        screen = app.mark_screen
        student = screen.query_one("#mark-student", AnswerPanel)
        assert "sheet-02 第1题" in student.markdown and "第二行 $x^2$" in student.markdown
        assert reference[ids[0]] in screen.query_one("#mark-reference", AnswerPanel).markdown
        assert not screen.query_one("#mark-answers").has_class("-wide")  # stacked at 80


async def test_an_answer_is_shown_as_text_never_as_markup(class_dir: Path) -> None:
    sheet = class_dir / "sheet-01.md"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text.replace("sheet-01 第1题", "[red]红[/red] \x1b[2J清屏", 1),
                     encoding="utf-8")
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.mark_screen.query_one("#mark-student", AnswerPanel)
        console = Console(width=76, record=True, file=io.StringIO())
        console.print(panel.query_one(BankText).document)
        shown = console.export_text()
        assert "[red]红[/red] 清屏" in shown and "\x1b" not in shown


async def test_side_by_side_on_a_wide_terminal(class_dir: Path) -> None:
    app = app_for(class_dir)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        answers = app.mark_screen.query_one("#mark-answers")
        assert answers.has_class("-wide")
        student = app.mark_screen.query_one("#mark-student")
        reference = app.mark_screen.query_one("#mark-reference")
        assert student.region.y == reference.region.y and student.region.x < reference.region.x


async def test_help_lists_every_key(class_dir: Path) -> None:
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, MarkHelpScreen)
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(key_table(app.screen.bindings))
        shown = console.export_text()
        for binding in [*MarkScreen.BINDINGS, *MarkApp.BINDINGS]:
            assert isinstance(binding, Binding)
            assert f"{display_keys(binding.key)} " in shown and binding.tooltip in shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.mark_screen


async def test_a_failed_save_is_shown_kept_and_retried(class_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    first = (keys(class_dir)[0], item_ids(class_dir)[0])
    real_save = writer.save_marks

    def disk_full(folder: Path, marks: object) -> Path:
        raise OSError(28, "No space left on device", str(folder / MARKS_FILE))

    monkeypatch.setattr(writer, "save_marks", disk_full)
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        assert app.mark_screen.save_state == FAILED
        assert "未保存" in plain(app, "#mark-saved")
        await pilot.press("q")  # the quit tries again, fails, and does not leave
        await settle(pilot)
        assert app.is_running and app.return_code is None
        monkeypatch.setattr(writer, "save_marks", real_save)
        await pilot.press("r")
        await settle(pilot)
        assert app.mark_screen.save_state == SAVED
        assert saved(class_dir) == {first: (1.0, "")}
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == EXIT_SAVED


async def test_quitting_twice_leaves_unsaved_marks(class_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(folder: Path, marks: object) -> Path:
        raise PermissionError(13, "Permission denied", str(folder / MARKS_FILE))

    monkeypatch.setattr(writer, "save_marks", read_only)
    app = app_for(class_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1", "q")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == EXIT_UNSAVED
    assert not (class_dir / MARKS_FILE).exists()


def test_names_are_shown_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.txt"
    roster.write_text("张三\n[red]李四[/red]\nO'Brien\n", encoding="utf-8")
    folder = tmp_path / "class"
    assert main(["sheet", "--roster", str(roster), "--concept", "--count", "2", "--seed", "4",
                 "-o", str(folder)]) == 0
    marking = make_mark_app(folder=folder).marking
    assert [answer.student for answer in marking.answers[:3]] == ["张三", "[red]李四[/red]",
                                                                  "O'Brien"]


def test_nothing_to_mark_is_a_clear_error(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["mark", str(empty)]) == 2
    assert "no .md sheets" in capsys.readouterr().err
    assert main(["mark", str(tmp_path / "absent")]) == 2
    assert "no such folder" in capsys.readouterr().err
    numeric = tmp_path / "numeric"
    assert main(["sheet", "--students", "2", "--numeric", "--count", "2", "--seed", "3",
                 "-o", str(numeric)]) == 0
    capsys.readouterr()
    assert main(["mark", str(numeric)]) == 2
    assert "no concept items" in capsys.readouterr().err


def test_an_unreadable_marks_file_is_never_overwritten(class_dir: Path) -> None:
    damaged = '{"version": 1, "marks": [{"student": "x"}]}\n'
    (class_dir / MARKS_FILE).write_text(damaged, encoding="utf-8")
    with pytest.raises(MarkSetupError, match=r"marks\.json: marks\[0\]: id: missing"):
        make_mark_app(folder=class_dir)
    assert (class_dir / MARKS_FILE).read_text(encoding="utf-8") == damaged


def test_unreadable_sheets_are_listed_and_the_rest_marked(
        class_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (class_dir / "notes.md").write_text("# 备课笔记\n\n随便写写\n", encoding="utf-8")
    marking = make_mark_app(folder=class_dir).marking
    assert [refused.path.name for refused in marking.refused] == ["notes.md"]
    assert "notes.md:1" in marking.refused[0].reason
    assert {answer.sheet.name for answer in marking.answers} == {
        "sheet-01.md", "sheet-02.md", "sheet-03.md"}
    # the command lists them and exits 2 once the marking ends
    monkeypatch.setattr(MarkApp, "run", lambda self: None)
    assert main(["mark", str(class_dir)]) == 2
    err = capsys.readouterr().err
    assert "notes.md:1" in err and "1 sheet(s) left out" in err


def test_a_second_sheet_of_a_student_is_left_out(class_dir: Path) -> None:
    copy = class_dir / "sheet-01-again.md"
    copy.write_text((class_dir / "sheet-01.md").read_text(encoding="utf-8"), encoding="utf-8")
    marking = make_mark_app(folder=class_dir).marking
    assert [refused.path.name for refused in marking.refused] == ["sheet-01.md"] or \
        [refused.path.name for refused in marking.refused] == ["sheet-01-again.md"]
    assert len(marking.answers) == 9


def test_a_question_changed_since_printing_is_noted(tmp_path: Path, bank_dir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "class"
    assert main(["sheet", "--students", "2", "--count", "3", "--seed", "2", "--path",
                 str(bank_dir), "-o", str(folder)]) == 0
    bank_file = bank_dir / "conv.md"
    bank_file.write_text(bank_file.read_text(encoding="utf-8").replace(
        "降采样，扩大感受野。", "降采样，扩大感受野，减少计算。"), encoding="utf-8")
    marking = make_mark_app(folder=folder, bank_path=str(bank_dir)).marking
    notes = {item.question_id: "印出后改过" in item.reference for item in marking.items}
    assert notes == {"conv-1x1": False, "rf-basics": False, "pool-role": True}
    assert len(marking.answers) == 6


def test_mark_snapshot(snap_compare, class_dir: Path) -> None:
    async def mark_first(pilot) -> None:
        await settle(pilot)
        await pilot.press("2", "left")
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.05)

    assert snap_compare(app_for(class_dir), terminal_size=(80, 24), run_before=mark_first)
