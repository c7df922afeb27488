"""A class through `quiz sheet` and `quiz check DIR` (issue 18): sheets that carry what grading
needs, grading as printed when the bank changed, missing items, concept marks, the class view,
CSV that stays data, no overwriting, no mixing of classes, recording per student."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from quiz.bank.parser import load_bank
from quiz.commands import recording
from quiz.numeric import instantiate, load_templates
from quiz.paths import bundled_bank_dir
from quiz.sheets.text import escape_markdown
from tests.sheets.sheet_helpers import fill, key_answers, quiz

NUMERIC = ("num-conv-out-square", "num-macs-conv")
CONCEPT = "conv-translation-invariance"
IDS = (*NUMERIC, CONCEPT)
# key<TAB>name, and bare names (their own key): Chinese, Latin, an apostrophe, markup, a formula,
# what would end an HTML comment, a Unicode line separator
ROSTER = ["S01\t王小明", "S02\tO'Brien", "<b>Lee</b>", "=1+1", "S05\tan --> end", "S06\tx\u2028y"]
NAMES = ["王小明", "O'Brien", "<b>Lee</b>", "=1+1", "an --> end", "x\u2028y"]
KEYS = ["S01", "S02", "<b>Lee</b>", "=1+1", "S05", "S06"]
SEED, DATE = "41", "2026-03-02"


@pytest.fixture(scope="module")
def templates() -> dict:
    return load_templates(load_bank(bundled_bank_dir()))


def make_class(capsys: pytest.CaptureFixture[str], folder: Path, *extra: str,
               roster: list[str] = ROSTER, ids: tuple[str, ...] = IDS, seed: str = SEED) -> Path:
    roster_file = folder.parent / f"{folder.name}-roster.txt"
    roster_file.write_text("\n".join(roster) + "\n", encoding="utf-8")
    code, _, err = quiz(capsys, "sheet", "--ids", *ids, "--roster", str(roster_file), "--seed",
                        seed, "--date", DATE, "--key", "-o", str(folder), *extra)
    assert code == 0, err
    return folder


def keys_of(folder: Path, number: int) -> dict[str, str]:
    """The key's numeric answers of student `number`, by question id."""
    text = (folder / "keys" / f"key-{number:02d}.md").read_text(encoding="utf-8")
    numeric = [qid for qid in re.findall(r"^## \d+ · (\S+)", text, re.MULTILINE)
               if qid in NUMERIC]
    return dict(zip(numeric, key_answers(text), strict=True))


def fill_right(folder: Path, number: int, concept: str = "") -> None:
    right = keys_of(folder, number)
    fill(folder / f"sheet-{number:02d}.md", lambda qid, seed: right.get(qid, concept))


def no_plus_one(templates: dict, qid: str, seed: int | None) -> str:
    """num-conv-out-square answered with the size formula without its +1."""
    p = instantiate(templates[qid], seed).params
    size = (int(p["H"]) + 2 * int(p["p"]) - int(p["k"])) // int(p["s"])
    return f"{size}x{size}"


def check_json(capsys: pytest.CaptureFixture[str], target: Path, *extra: str
               ) -> tuple[int, dict, str]:
    code, out, err = quiz(capsys, "check", str(target), "--json", *extra)
    return code, (json.loads(out) if out else {}), err


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def drop_item(path: Path, question_id: str) -> None:
    """Delete an item's whole section, as a student who cannot do it might."""
    blocks = path.read_text(encoding="utf-8").split("\n## ")
    kept = [block for block in blocks
            if block.split("\n", 1)[0].split(" · ")[1:2] != [question_id]]
    assert len(kept) == len(blocks) - 1
    path.write_text("\n## ".join(kept), encoding="utf-8")


# --- a sheet carries what grading needs ----------------------------------------------------------

def test_names_and_keys_round_trip_exactly(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [s["student"]["name"] for s in manifest["sheets"]] == NAMES
    assert [s["student"]["key"] for s in manifest["sheets"]] == KEYS
    assert [s["file"] for s in manifest["sheets"]] == [f"sheet-0{n}.md" for n in range(1, 7)]
    first = manifest["sheets"][0]
    assert [(i["n"], i["id"], i["kind"]) for i in first["items"]] == [
        (1, NUMERIC[0], "numeric"), (2, NUMERIC[1], "numeric"), (3, CONCEPT, "concept")]
    assert set(first["items"][0]["params"]) == {"H", "C", "N", "k", "s", "p"}
    assert all(len(i["hash"]) == 16 for i in first["items"])
    # the metadata line cannot be closed early by a name, and stays one line
    sheet = (folder / "sheet-05.md").read_text(encoding="utf-8")
    (meta_line,) = [line for line in sheet.split("\n") if line.startswith("<!-- quiz-sheet")]
    assert meta_line.count("-->") == 1 and meta_line.endswith("-->")
    for number in range(1, 7):
        fill_right(folder, number, concept="懂了")
    code, report, err = check_json(capsys, folder)
    assert code == 0, err
    students = report["summary"]["students"]
    assert [(s["student"], s["student_key"]) for s in students] == list(
        zip(NAMES, KEYS, strict=True))
    code, text, _ = quiz(capsys, "check", str(folder), "--csv")
    rows = csv_rows(text)
    assert [row["student"] for row in rows[::3]] == [
        "'=1+1" if name == "=1+1" else name for name in NAMES]
    assert [row["student_number"] for row in rows[::3]] == [str(n) for n in range(1, 7)]


def test_a_roster_key_given_twice_is_refused(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.txt"
    roster.write_text("S1\tAnn\n# a comment\nS2\tBob\nS1\tCarl\n", encoding="utf-8")
    code, _, err = quiz(capsys, "sheet", "--ids", *IDS, "--roster", str(roster), "-o",
                        str(tmp_path / "out"))
    assert code == 2 and f"{roster}:4:" in err and "'S1' is given twice" in err
    assert not (tmp_path / "out" / "sheet-01.md").exists()


# --- never overwrite, never mix -----------------------------------------------------------------

def test_sheet_refuses_a_folder_holding_sheets_unless_forced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class")
    fill_right(folder, 1, concept="我的答案")
    filled = (folder / "sheet-01.md").read_bytes()
    for fmt in ("md", "html"):
        code, out, err = quiz(capsys, "sheet", "--ids", *IDS, "--students", "2", "--format",
                              fmt, "-o", str(folder))
        assert code == 2 and out == "" and str(folder) in err and "--force" in err
    assert (folder / "sheet-01.md").read_bytes() == filled
    assert not (folder / "sheets.html").exists()
    code, _, err = quiz(capsys, "sheet", "--ids", *IDS, "--students", "2", "--seed", "5",
                        "-o", str(folder), "--force")
    assert code == 0, err
    assert (folder / "sheet-01.md").read_bytes() != filled
    assert json.loads((folder / "manifest.json").read_text("utf-8"))["seed"] == 5
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]  # atomic writes


def test_check_refuses_to_mix_classes_unless_mixed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "a")
    other = make_class(capsys, tmp_path / "b", seed="42")
    shutil.copy(other / "sheet-02.md", folder / "sheet-99.md")
    code, out, err = quiz(capsys, "check", str(folder))
    assert code == 2 and out == ""
    assert f"{folder} mixes 2 classes" in err and "(seed 41)" in err and "(seed 42)" in err
    assert "sheet-99.md" in err and "--mixed" in err
    # without metadata and manifest a sheet is known by its seed: the same class if it matches
    (folder / "sheet-99.md").unlink()
    (folder / "manifest.json").unlink()
    _without_meta_line(folder / "sheet-01.md")
    assert quiz(capsys, "check", str(folder))[0] == 1  # all blank, but one class
    shutil.copy(other / "sheet-02.md", folder / "sheet-99.md")
    _without_meta_line(folder / "sheet-99.md")
    code, _, err = quiz(capsys, "check", str(folder))
    assert code == 2 and "of seed 42: sheet-99.md" in err
    shutil.copy(other / "sheet-02.md", folder / "sheet-99.md")
    code, report, _ = check_json(capsys, folder, "--mixed")
    assert code == 1 and len(report["summary"]["classes"]) == 3  # one known by its seed only
    assert len(report["summary"]["students"]) == 7
    # sheet-99 is O'Brien of the other class: a second sheet of the same student key
    assert [d["student_key"] for d in report["summary"]["duplicates"]] == ["S02"]


# --- grading as printed -------------------------------------------------------------------------

def test_deleted_items_count_as_missing(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["Ann", "Bob"])
    fill_right(folder, 1)
    fill_right(folder, 2)
    drop_item(folder / "sheet-01.md", NUMERIC[1])
    drop_item(folder / "sheet-01.md", CONCEPT)
    code, report, _ = check_json(capsys, folder)
    assert code == 1
    ann, bob = report["summary"]["students"]
    assert (ann["points"], ann["total"], ann["missing"]) == (1, 3, [2, 3])
    assert (bob["points"], bob["total"], bob["missing"]) == (2, 3, [])
    by_id = {row["id"]: row for row in report["summary"]["items"]}
    assert by_id[NUMERIC[1]]["missing"] == 1 and by_id[CONCEPT]["missing"] == 1
    code, text, _ = quiz(capsys, "check", str(folder / "sheet-01.md"))
    assert "得分 1/3（33%；2 题缺失）" in text


def _without_meta_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(n for n, line in enumerate(lines) if line.startswith("<!-- quiz-sheet"))
    path.write_text("\n".join(lines[:index] + lines[index + 1:]), encoding="utf-8")
    return index + 1


def test_a_deleted_metadata_line_falls_back_to_the_manifest_then_to_the_seed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["Ann", "Bob"])
    fill_right(folder, 2)
    drop_item(folder / "sheet-02.md", NUMERIC[1])
    sheet = folder / "sheet-02.md"
    _without_meta_line(sheet)
    code, result, err = check_json(capsys, sheet)
    assert code == 1 and result["metadata"] == "manifest"
    assert "metadata line is missing" in err and "manifest.json" in err
    assert result["warnings"] and result["student"] == "Bob" and result["missing"] == [2]
    (folder / "manifest.json").unlink()
    code, result, err = check_json(capsys, sheet)
    assert result["metadata"] == "seed" and "regenerated from the seed" in err
    assert result["total"] == 2  # the deleted item cannot be counted any more: it says so
    assert [item["status"] for item in result["items"]] == ["right", "blank"]


def test_a_damaged_or_edited_metadata_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["Ann", "Bob"])
    fill_right(folder, 1)
    sheet = folder / "sheet-01.md"
    text = sheet.read_text(encoding="utf-8")
    meta_line = next(n for n, line in enumerate(text.split("\n"), 1)
                     if line.startswith("<!-- quiz-sheet"))
    # easier numbers written into the metadata: the manifest beside the sheets says otherwise
    edited = re.sub(r'"H":\d+', '"H":20', text, count=1)
    sheet.write_text(edited, encoding="utf-8")
    code, out, err = quiz(capsys, "check", str(sheet))
    assert code == 2 and out == "" and f"{sheet}:{meta_line}:" in err and "edited" in err
    # a damaged line (not JSON any more): graded by the manifest, with a warning
    sheet.write_text(text.replace('{"v":1', '{"v":1,,', 1), encoding="utf-8")
    code, result, err = check_json(capsys, sheet)
    assert code == 1 and result["metadata"] == "manifest"  # the concept item is blank
    assert f"{sheet}:{meta_line}:" in err and "damaged" in err


def _bank_copy(tmp_path: Path) -> Path:
    bank = tmp_path / "bank"
    bank.mkdir()
    shutil.copy(bundled_bank_dir() / "numeric-output-size.md", bank)
    return bank


def _edit_template(bank: Path, old: str, new: str) -> None:
    path = bank / "numeric-output-size.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BANK_IDS = ("num-conv-out-square", "num-pool-out-basic")


def _bank_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    bank = _bank_copy(tmp_path)
    folder = tmp_path / "class"
    code, _, err = quiz(capsys, "sheet", "--path", str(bank), "--ids", *BANK_IDS, "--students",
                        "3", "--seed", "3", "--key", "-o", str(folder))
    assert code == 0, err
    for number in (1, 2, 3):
        answers = iter(key_answers((folder / "keys" / f"key-0{number}.md").read_text("utf-8")))
        fill(folder / f"sheet-0{number}.md", lambda qid, seed, answers=answers: next(answers))
    return bank, folder


def test_right_sheets_stay_right_when_the_parameter_list_changes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bank, folder = _bank_class(tmp_path, capsys)
    # another choice: every seed now draws other numbers than the printed ones
    _edit_template(bank, "  C: 1, 3\n", "  C: 1, 3, 4\n")
    code, report, err = check_json(capsys, folder, "--bank", str(bank))
    assert code == 0, err
    assert [s["points"] for s in report["summary"]["students"]] == [2, 2, 2]
    assert all(not row["notes"] for row in report["summary"]["items"])


def test_a_narrowed_range_or_reworded_prompt_is_said_per_item_and_graded_as_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bank, folder = _bank_class(tmp_path, capsys)
    _edit_template(bank, "  H: 14..231\n", "  H: 14..15\n")
    _edit_template(bank, "输出特征图的高×宽是多少？", "输出的高和宽各是多少？")
    code, report, err = check_json(capsys, folder, "--bank", str(bank))
    assert code == 0, err
    conv = report["summary"]["items"][0]
    assert conv["right"] == 3
    notes = " ".join(note["note"] for note in conv["notes"])
    assert "题面在印出后改过，答案未变" in notes and "is outside 14..15" in notes
    code, text, _ = quiz(capsys, "check", str(folder / "sheet-01.md"), "--bank", str(bank))
    assert code == 0 and "注意：题库中这道题的题面在印出后改过" in text


def test_a_template_that_cannot_give_the_printed_answer_refuses_with_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bank, folder = _bank_class(tmp_path, capsys)
    header_line = (folder / "sheet-02.md").read_text("utf-8").split("\n").index(
        next(line for line in (folder / "sheet-02.md").read_text("utf-8").split("\n")
             if line.startswith("## 1 · num-conv-out-square"))) + 1
    net = "  conv {N} k{k} s{s} p{p}\n"
    _edit_template(bank, net, net + "  conv {N} k3\n")  # the output shrinks by 2
    code, report, err = check_json(capsys, folder, "--bank", str(bank))
    assert code == 2
    assert f"{folder / 'sheet-02.md'}:{header_line}: item 1 (num-conv-out-square)" in err
    assert "not the printed answer" in err
    assert report["summary"]["students"] == [] and len(report["summary"]["refused"]) == 3
    assert report["summary"]["absent"] == []  # refused sheets were handed in
    _edit_template(bank, "  conv {N} k3\n", "")
    _edit_template(bank, "id: num-pool-out-basic", "id: num-pool-renamed")
    code, _, err = quiz(capsys, "check", str(folder / "sheet-01.md"), "--bank", str(bank))
    assert code == 2 and "no numeric question 'num-pool-out-basic' any more" in err


# --- concept marks ------------------------------------------------------------------------------

def test_concept_marks_from_the_sheet_and_marks_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["S1\tAnn", "S2\tBob", "S3\tCy",
                                                             "S4\tDee", "S5\tEd"])
    concept = {1: "平移输入，输出也平移。\n因为权重共享。\n\n评：对",
               2: "是等变不是不变\n**评**：半对", 3: "不知道\n评：8/10",
               4: "乱写\n评：很好", 5: "没写评语"}
    for number, answer in concept.items():
        fill_right(folder, number, concept=answer)
    code, report, _ = check_json(capsys, folder)
    assert code == 1
    items = [sheet["items"][2] for sheet in report["sheets"]]
    assert [(i["status"], i["score"]) for i in items] == [
        ("right", 1.0), ("partial", 0.5), ("partial", 0.8), ("unmarked", None),
        ("unmarked", None)]
    assert items[0]["answer"] == "平移输入，输出也平移。\n因为权重共享。"  # whole, without 评：
    assert "评：很好 无法识别" in " ".join(items[3]["notes"])
    assert [s["points"] for s in report["summary"]["students"]] == [3, 2.5, 2.8, 2, 2]
    assert [s["total"] for s in report["summary"]["students"]] == [3] * 5  # unmarked counts
    marks = {"version": 1, "marks": [
        {"student": "S1", "id": CONCEPT, "score": 0.0, "note": "抄的", "marked_at": ""},
        {"student": "S5", "id": CONCEPT, "score": 1.0}]}
    (folder / "marks.json").write_text(json.dumps(marks), encoding="utf-8")
    code, report, _ = check_json(capsys, folder)
    items = [sheet["items"][2] for sheet in report["sheets"]]
    assert (items[0]["status"], items[0]["mark_source"], items[0]["mark_note"]) == (
        "wrong", "marks.json", "抄的")
    assert (items[4]["status"], items[4]["score"]) == ("right", 1.0)
    assert items[1]["mark_source"] == "sheet"
    code, text, _ = quiz(capsys, "check", str(folder / "sheet-01.md"))
    assert "老师评：错（抄的）" in text and "   因为权重共享。" in text
    (folder / "marks.json").write_text('{"version": 1, "marks": [{"student": 3}]}', "utf-8")
    code, _, err = quiz(capsys, "check", str(folder))
    assert code == 2 and "marks.json: marks[0]: student: expected a string" in err
    (folder / "marks.json").write_text(
        '{"version": 1, "marks": [{"student": "S1", "id": "x", "score": ' + "9" * 4400 + "}]}",
        "utf-8")
    code, _, err = quiz(capsys, "check", str(folder))  # issue 21: a ValueError traceback
    assert code == 2 and "marks.json:1: a number of 4400 digits" in err
    assert len(err.strip().splitlines()) == 1, err


# --- the class view -----------------------------------------------------------------------------

def test_class_view_students_items_and_misconceptions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], templates: dict) -> None:
    roster = ["S1\tAnn", "S2\tBob", "S3\tCy", "S4\tDee"]
    folder = make_class(capsys, tmp_path / "class", roster=roster)
    for number in (1, 2):  # Ann and Bob forget the +1; Bob also writes a stray answer
        right = keys_of(folder, number)

        def answer(qid: str, seed: int | None, right: dict = right,
                   number: int = number) -> str:
            if qid == NUMERIC[0]:
                return no_plus_one(templates, qid, seed)
            return "12" if number == 2 and qid == NUMERIC[1] else right.get(qid, "")
        fill(folder / f"sheet-0{number}.md", answer)
    fill_right(folder, 3)
    shutil.copy(folder / "sheet-03.md", folder / "sheet-03-copy.md")       # a duplicate
    (folder / "sheet-04.md").unlink()                                     # Dee handed in none
    (folder / "notes.md").write_text("# 备忘\n随便写写\n", encoding="utf-8")  # refused
    code, report, err = check_json(capsys, folder)
    assert code == 2 and "notes.md" in err
    summary = report["summary"]
    assert [(s["student"], s["points"], s["duplicate"]) for s in summary["students"]] == [
        ("Ann", 1, False), ("Bob", 0, False), ("Cy", 2, True), ("Cy", 2, True)]
    assert [d["files"] for d in summary["duplicates"]] == [
        [str(folder / "sheet-03-copy.md"), str(folder / "sheet-03.md")]]
    assert [(a["student"], a["student_key"]) for a in summary["absent"]] == [("Dee", "S4")]
    assert [r["file"] for r in summary["refused"]] == [str(folder / "notes.md")]
    assert "not a quiz sheet" in summary["refused"][0]["reason"]
    conv, macs, concept = summary["items"]
    # Cy's two sheets count once in the item tables (the duplicates are listed above).
    assert (conv["right"], conv["wrong"], conv["sheets"]) == (1, 2, 3)
    assert conv["mistakes"] == [{"mistake_id": "no-plus-one", "mistake": conv["mistakes"][0][
        "mistake"], "count": 2}]
    assert sorted(a["count"] for a in conv["wrong_answers"]) == [1, 1]
    assert macs["wrong_answers"] == [{"answer": "12", "count": 1}]
    assert concept["blank"] == 3
    (mistake,) = [m for m in summary["misconceptions"] if m["mistake_id"] == "no-plus-one"]
    assert [s["student"] for s in mistake["students"]] == ["Ann", "Bob"]
    assert mistake["items"] == [{"id": NUMERIC[0], "count": 2}]
    code, text, _ = quiz(capsys, "check", str(folder))
    assert "被拒的答卷" in text and "notes.md" in text and "not a quiz sheet" in text
    assert "同一学生的多份答卷" in text and "名单上没有答卷的学生" in text and "Dee" in text
    assert "全班的错因" in text and "学生：Ann，Bob" in text and "错答：12 ×1" in text
    code, text, _ = quiz(capsys, "check", str(folder), "--csv")
    rows = csv_rows(text)
    assert [r["student"] for r in rows if r["status"] == "absent"] == ["Dee"]
    assert [r["file"] for r in rows if r["status"] == "refused"] == [str(folder / "notes.md")]


def test_csv_cells_stay_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["S1\t@Ann", "S2\t+Bob",
                                                             "S3\t-Cy", "S4\t\tTab"])
    given = {1: ("=HYPERLINK(\"http://x\",\"y\")", "-3", "第一行\n=1+1 第二行"),
             2: ("+1", "@SUM(A1)", "=1+1"), 3: ("\t5", "5", "- 列表"), 4: ("", "", "")}
    for number, answers in given.items():
        by_id = dict(zip(IDS, answers, strict=True))
        fill(folder / f"sheet-0{number}.md", lambda qid, seed, by_id=by_id: by_id[qid])
    code, text, _ = quiz(capsys, "check", str(folder), "--csv")
    assert code == 1
    rows = csv_rows(text)
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [value for row in rows for value in row.values() if value.startswith(dangerous)]
    answers = {(row["student_key"], row["id"]): row["answer"] for row in rows}
    assert answers[("S1", NUMERIC[0])] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert answers[("S1", NUMERIC[1])] == "'-3"   # negative answers too (README: CSV)
    assert answers[("S1", CONCEPT)] == "第一行\n=1+1 第二行"  # whole, its first cell char is safe
    assert answers[("S2", CONCEPT)] == "'=1+1"
    assert [row["student"] for row in rows[::3]] == ["'@Ann", "'+Bob", "'-Cy", "Tab"]


def test_markdown_keeps_math_intact_and_escapes_outside_it() -> None:
    text = "若 $s>1$ 则 $|x|$ 在 $[0,1]$ 上，<b>x</b> [a](b) 与 $$a<b \\cdot c$$"
    escaped = escape_markdown(text)
    assert "$s>1$" in escaped and "$|x|$" in escaped and "$[0,1]$" in escaped
    assert "\\<b\\>x\\</b\\>" in escaped and "\\[a\\](b)" in escaped
    assert "$$a< b \\cdot c$$" in escaped  # `<b` would open a tag where math is not rendered
    # Inside math too a script URL is defanged (issue 21: no `javascript:` survives anywhere).
    assert "$[x] (javascript：1)$" in escape_markdown("$[x](javascript:1)$")


def test_keys_keep_math_of_the_reference_answers(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    questions = {q.id: q for q in load_bank(bundled_bank_dir())}
    with_math = next(q for q in questions.values()
                     if q.kind.value == "concept" and re.search(r"\$[^$\n]*[<>|\[][^$\n]*\$",
                                                                q.answer))
    code, _, err = quiz(capsys, "sheet", "--ids", with_math.id, "--key", "-o", str(tmp_path))
    assert code == 0, err
    key = (tmp_path / "keys" / "key-01.md").read_text(encoding="utf-8")
    formulas = re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", key)
    assert formulas and not [f for f in formulas if re.search(r"\\[<>|\[\]]", f)]


# --- reading answers as written -----------------------------------------------------------------

def test_answer_marks_as_people_write_them(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["Ann"])
    right = keys_of(folder, 1)
    sheet = folder / "sheet-01.md"
    text = sheet.read_text(encoding="utf-8")
    blocks = text.split("\n## ")
    blocks[1] = blocks[1].replace("答：", f"**答：**{right[NUMERIC[0]]}")
    blocks[2] = blocks[2].replace("答：", f"- 答：{right[NUMERIC[1]].split()[0]}\n\n草稿：……")
    blocks[3] = blocks[3].replace("答：", "**答**：\n第一行\n\n第二行\n<!-- 自己的批注 -->")
    sheet.write_text("\n## ".join(blocks), encoding="utf-8")
    code, result, err = check_json(capsys, sheet)
    assert code == 0, err
    assert [item["status"] for item in result["items"]] == ["right", "right", "unmarked"]
    assert result["items"][2]["answer"] == "第一行\n\n第二行"


# --- --record -----------------------------------------------------------------------------------

def test_record_sends_each_sheet_to_its_students_learner(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, templates: dict) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["S1\tAnn", "S2\tBob", "S3\tCy"])
    fill_right(folder, 1, concept="对的\n评：对")
    fill(folder / "sheet-02.md",
         lambda qid, seed: no_plus_one(templates, qid, seed) if qid == NUMERIC[0]
         else "等变\n评：半对" if qid == CONCEPT else "")
    fill_right(folder, 3, concept="还没评")
    calls: list[tuple[list[recording.LearnerAnswers], bool]] = []

    def record(args: object, bank_path: object, batches: list[recording.LearnerAnswers], *,
               add_learners: bool) -> tuple[int, int]:
        calls.append((batches, add_learners))
        if not add_learners:
            raise recording.UnknownLearners(["S2", "S3"])
        return sum(len(batch.answers) for batch in batches), 0

    monkeypatch.setattr(recording, "record_for_learners", record)
    code, _, err = quiz(capsys, "check", str(folder), "--record")
    assert code == 2 and "S2, S3" in err and "--add-learners" in err
    code, _, err = quiz(capsys, "check", str(folder), "--record", "--add-learners")
    assert code == 1 and "已记录 7 条复习（3 份答卷）" in err
    batches, add = calls[-1]
    assert add and [(b.learner, b.display_name) for b in batches] == [
        ("S1", "Ann"), ("S2", "Bob"), ("S3", "Cy")]
    assert {b.reviewed_at for b in batches} == {datetime(2026, 3, 2, 12, tzinfo=timezone.utc)}
    ann, bob, cy = ({a.question_id: a for a in b.answers} for b in batches)
    assert ann[CONCEPT].rating == 3 and bob[CONCEPT].rating == 2 and CONCEPT not in cy
    assert ann[CONCEPT].seed is None and ann[CONCEPT].answer_text == "对的"
    assert bob[NUMERIC[0]].rating == 1 and bob[NUMERIC[0]].mistake_id == "no-plus-one"
    assert NUMERIC[1] not in bob  # left blank: not a review
    assert ann[NUMERIC[0]].verdict == "right" and ann[NUMERIC[0]].rating in (3, 4)


def test_record_into_real_learners(tmp_path: Path, db_url: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_class(capsys, tmp_path / "class", roster=["S1\tAnn", "S2\tBob"])
    fill_right(folder, 1, concept="对的\n评：错")
    fill_right(folder, 2)
    code, _, err = quiz(capsys, "--db", db_url, "check", str(folder), "--record")
    assert code == 2 and "S1, S2" in err and "nothing was recorded" in err
    code, _, err = quiz(capsys, "--db", db_url, "check", str(folder), "--record",
                        "--add-learners")
    assert code == 1 and "已记录 5 条复习（2 份答卷）" in err
    code, _, err = quiz(capsys, "--db", db_url, "check", str(folder), "--record")
    assert "已记录 0 条复习，5 条此前已记录" in err
    code, out, _ = quiz(capsys, "--db", db_url, "learners", "--json")
    learners = {entry["name"]: entry for entry in json.loads(out)}
    assert (learners["S1"]["display_name"], learners["S1"]["reviews"]) == ("Ann", 3)
    assert (learners["S2"]["display_name"], learners["S2"]["reviews"]) == ("Bob", 2)
    assert learners["S1"]["last_active"].startswith("2026-03-02T12:00")  # the sheet's date
