"""`quiz sheet` and `quiz check FILE|DIR`: reproducible sheets, per-student numbers, grading of
filled-in sheets (right answers, named mistakes, hand edits, a changed seed line)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quiz.bank.parser import load_bank
from quiz.numeric import instantiate, load_templates
from quiz.paths import bundled_bank_dir
from tests.sheets.sheet_helpers import fill, items, key_answers, quiz

NUMERIC_IDS = ("num-conv-out-square", "num-macs-conv", "num-params-conv-bias")


@pytest.fixture(scope="module")
def templates() -> dict:
    return load_templates(load_bank(bundled_bank_dir()))


def make(capsys: pytest.CaptureFixture[str], out: Path, *extra: str) -> None:
    code, _, err = quiz(capsys, "sheet", "--seed", "2024", "--date", "2026-03-02", "-o", str(out),
                        *extra)
    assert code == 0, err


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_same_seed_same_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              fmt: str) -> None:
    options = ("--count", "8", "--students", "2", "--key", "--format", fmt)
    make(capsys, tmp_path / "a", *options)
    make(capsys, tmp_path / "b", *options)
    first = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    second = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.*"))
    # two sheets and keys (md) or one file of each (html), and the manifest
    assert first == second and len(first) == (5 if fmt == "md" else 3)
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    other = tmp_path / "c"
    code, _, _ = quiz(capsys, "sheet", "--seed", "2025", "--date", "2026-03-02", "-o", str(other),
                      *options)
    assert code == 0
    assert {p.read_bytes() for p in other.rglob("*.*")}.isdisjoint(
        {p.read_bytes() for p in (tmp_path / "a").rglob("*.*")})


def test_sheet_shows_seed_student_and_instance_prompts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], templates: dict) -> None:
    roster = tmp_path / "roster.txt"
    roster.write_text("# class 3\n张三\n李四\n", encoding="utf-8")
    make(capsys, tmp_path / "out", "--ids", *NUMERIC_IDS, "conv-translation-invariance",
         "--roster", str(roster), "--key")
    sheet = (tmp_path / "out" / "sheet-02.md").read_text(encoding="utf-8")
    assert "- 学生：李四（2/2）" in sheet and "- seed：2024 / 2" in sheet
    assert "2026-03-02" in sheet and "quiz sheet --seed 2024" in sheet
    listed = items(sheet)
    assert [qid for _, qid, _ in listed] == [*NUMERIC_IDS, "conv-translation-invariance"]
    for _, qid, seed in listed[:3]:
        prompt = instantiate(templates[qid], seed).prompt
        first_line = prompt.splitlines()[0]
        assert f"> {first_line}" in sheet  # the instance drawn from the printed seed
    assert listed[3][2] is None
    key = (tmp_path / "out" / "keys" / "key-02.md").read_text(encoding="utf-8")
    assert "来源：" in key and "**参考答案**" in key and "**解答**" in key


def test_topic_and_kind_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = {q.id: q for q in load_bank(bundled_bank_dir())}
    make(capsys, tmp_path / "rf", "--topic", "感受野", "--count", "500")
    chosen = [qid for _, qid, _ in items((tmp_path / "rf" / "sheet-01.md").read_text("utf-8"))]
    assert sorted(chosen) == sorted(q.id for q in questions.values()
                                    if "感受野" in (q.topic, *q.tags))
    make(capsys, tmp_path / "concept", "--concept", "--count", "7")
    listed = items((tmp_path / "concept" / "sheet-01.md").read_text("utf-8"))
    assert len(listed) == 7 and all(questions[qid].kind.value == "concept"
                                    and seed is None for _, qid, seed in listed)
    code, _, err = quiz(capsys, "sheet", "--ids", "no-such-card", "-o", str(tmp_path / "x"))
    assert code == 2 and "no-such-card" in err


def test_two_students_get_different_numbers(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    make(capsys, tmp_path, "--ids", *NUMERIC_IDS, "--students", "2")
    one = (tmp_path / "sheet-01.md").read_text(encoding="utf-8")
    two = (tmp_path / "sheet-02.md").read_text(encoding="utf-8")
    assert [qid for _, qid, _ in items(one)] == [qid for _, qid, _ in items(two)]
    assert all(a[2] != b[2] for a, b in zip(items(one), items(two), strict=True))
    prompts_one = one.split("## ")[1:]
    prompts_two = two.split("## ")[1:]
    assert all(a != b for a, b in zip(prompts_one, prompts_two, strict=True))


def test_filled_with_the_key_scores_full_marks(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    make(capsys, tmp_path, "--numeric", "--count", "12", "--key")
    sheet = tmp_path / "sheet-01.md"
    answers = iter(key_answers((tmp_path / "keys" / "key-01.md").read_text(encoding="utf-8")))
    fill(sheet, lambda qid, seed: next(answers))
    code, out, err = quiz(capsys, "check", str(sheet), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["graded"] == 12 and result["right"] == 12 and result["score"] == 1.0
    assert {item["status"] for item in result["items"]} == {"right"}


def test_known_wrong_answers_get_their_mistakes_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], templates: dict) -> None:
    make(capsys, tmp_path, "--ids", *NUMERIC_IDS)
    sheet = tmp_path / "sheet-01.md"

    def wrong(qid: str, seed: int | None) -> str:
        p = instantiate(templates[qid], seed).params
        if qid == "num-conv-out-square":  # the size formula without its +1
            size = (int(p["H"]) + 2 * int(p["p"]) - int(p["k"])) // int(p["s"])
            return f"{size}x{size}"
        if qid == "num-macs-conv":  # FLOPs (2 per multiply-add) where MACs are asked
            k, h, s = int(p["k"]), int(p["H"]), int(p["s"])
            out = (h + 2 * (k // 2) - k) // s + 1
            return str(2 * out * out * int(p["Cout"]) * int(p["Cin"]) * k * k)
        return "1"  # no known mistake gives 1 parameter
    fill(sheet, wrong)
    code, out, _ = quiz(capsys, "check", str(sheet), "--json")
    assert code == 1
    by_id = {item["id"]: item for item in json.loads(out)["items"]}
    assert by_id["num-conv-out-square"]["mistake_id"] == "no-plus-one"
    assert "+1" in by_id["num-conv-out-square"]["mistake"]
    assert by_id["num-macs-conv"]["mistake_id"] == "flops-as-macs"
    assert by_id["num-params-conv-bias"]["status"] == "wrong"
    assert by_id["num-params-conv-bias"]["mistake_id"] is None
    code, text, _ = quiz(capsys, "check", str(sheet))
    assert code == 1 and "得分 0/3" in text and "错因：忘了公式末尾的 +1" in text


def test_hand_edited_sheet_is_still_graded(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           templates: dict) -> None:
    make(capsys, tmp_path, "--ids", *NUMERIC_IDS, "conv-translation-invariance", "--key")
    answers = key_answers((tmp_path / "keys" / "key-01.md").read_text(encoding="utf-8"))
    sheet = tmp_path / "sheet-01.md"
    text = sheet.read_text(encoding="utf-8")
    blocks = text.split("\n## ")
    # item 1 removed; item 2 answered in full-width digits with a counter word and an ASCII
    # colon; item 3 answered on the line below; notes added; the concept item left blank
    macs = answers[1].split()[0].translate(str.maketrans("0123456789,", "０１２３４５６７８９，"))
    blocks = [blocks[0] + "\n\n我的笔记：先算输出尺寸。\n",
              blocks[2].replace("答：", f"答: {macs} 次乘加"),
              blocks[3].replace("答：", "答：\n\n" + answers[2].split()[0] + " 个\n\n（草稿）"),
              blocks[4]]
    sheet.write_text("\n## ".join(blocks), encoding="utf-8")
    code, out, err = quiz(capsys, "check", str(sheet), "--json")
    assert code == 1, err  # the deleted item lost its point
    result = json.loads(out)
    assert [item["id"] for item in result["items"]] == [
        "num-conv-out-square", "num-macs-conv", "num-params-conv-bias",
        "conv-translation-invariance"]
    assert [item["status"] for item in result["items"]] == [
        "missing", "right", "right", "blank"]
    assert (result["points"], result["total"], result["missing"]) == (2, 4, [1])
    assert result["items"][3]["expected"]  # the reference answer, to mark it by


def test_answer_written_where_the_answer_line_was_deleted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make(capsys, tmp_path, "--ids", "num-conv-out-square", "--key")
    answer = key_answers((tmp_path / "keys" / "key-01.md").read_text(encoding="utf-8"))[0]
    sheet = tmp_path / "sheet-01.md"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("答：", answer.replace("x", "×")),
                     encoding="utf-8")
    code, out, _ = quiz(capsys, "check", str(sheet), "--json")
    assert code == 0 and json.loads(out)["items"][0]["status"] == "right"


def test_changed_seed_line_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make(capsys, tmp_path, "--ids", *NUMERIC_IDS, "--key")
    sheet = tmp_path / "sheet-01.md"
    answers = iter(key_answers((tmp_path / "keys" / "key-01.md").read_text(encoding="utf-8")))
    fill(sheet, lambda qid, seed: next(answers))
    text = sheet.read_text(encoding="utf-8")
    line = text.splitlines().index("- seed：2024 / 1") + 1
    sheet.write_text(text.replace("- seed：2024 / 1", "- seed：2025 / 1"), encoding="utf-8")
    code, out, err = quiz(capsys, "check", str(sheet))
    assert code == 2 and out == ""
    assert f"{sheet}:{line}:" in err and "not graded" in err


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: re.sub(r"(?m)^(- seed：2024 / 1|<!-- quiz-sheet .*)$", "", t), "no seed line"),
    (lambda t: t.replace("· seed ", "· seed x", 1), "cannot read this item header"),
    (lambda t: "<!-- quiz answer key -->\n" + t, "answer key"),
])
def test_unreadable_sheet_names_file_and_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              edit, message: str) -> None:
    make(capsys, tmp_path, "--ids", *NUMERIC_IDS)
    (tmp_path / "manifest.json").unlink()  # nothing to fall back on
    sheet = tmp_path / "sheet-01.md"
    sheet.write_text(edit(sheet.read_text(encoding="utf-8")), encoding="utf-8")
    code, _, err = quiz(capsys, "check", str(sheet))
    assert code == 2 and f"{sheet}:" in err and message in err


def test_class_folder_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             templates: dict) -> None:
    make(capsys, tmp_path, "--ids", *NUMERIC_IDS, "--students", "3", "--key")
    for number in (1, 2, 3):
        answers = key_answers(
            (tmp_path / "keys" / f"key-0{number}.md").read_text(encoding="utf-8"))
        right = dict(zip(NUMERIC_IDS, answers, strict=True))

        def answer(qid: str, seed: int | None, number: int = number,
                   right: dict = right) -> str:
            if qid == "num-conv-out-square" and number > 1:
                p = instantiate(templates[qid], seed).params
                size = (int(p["H"]) + 2 * int(p["p"]) - int(p["k"])) // int(p["s"])
                return f"{size}x{size}"
            return right[qid]
        fill(tmp_path / f"sheet-0{number}.md", answer)
    code, out, _ = quiz(capsys, "check", str(tmp_path), "--json")
    assert code == 1
    summary = json.loads(out)["summary"]
    assert [(s["student_number"], s["right"], s["total"]) for s in summary["students"]] == [
        (1, 3, 3), (2, 2, 3), (3, 2, 3)]
    conv = next(item for item in summary["items"] if item["id"] == "num-conv-out-square")
    assert (conv["right"], conv["wrong"], conv["sheets"]) == (1, 2, 3)
    assert conv["mistakes"][0]["count"] == 2 and "+1" in conv["mistakes"][0]["mistake"]
    code, csv_text, _ = quiz(capsys, "check", str(tmp_path), "--csv")
    rows = csv_text.splitlines()
    assert rows[0].startswith("file,class,seed,student_number,student,student_key,item,id")
    assert len(rows) == 1 + 9
    assert sum(",no-plus-one," in row for row in rows) == 2
    code, text, _ = quiz(capsys, "check", str(tmp_path))
    assert "3 份答卷" in text and "忘了公式末尾的 +1 ×2" in text


def test_missing_target_and_empty_folder(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert quiz(capsys, "check", str(tmp_path / "nope.md"))[0] == 2
    assert quiz(capsys, "check", str(tmp_path))[0] == 2
