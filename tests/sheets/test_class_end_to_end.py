"""A class from start to end, on SQLite and on PostgreSQL: `quiz sheet` for a 32-student roster
(Chinese and Latin names, an apostrophe, `<b>`, `=1+1` and other cells a spreadsheet would run),
filled in as students do (answers written the ways people write them in Markdown, classic
mistakes, blanks, deleted items, multi-line concept answers, some marked `评：` by hand, a student
who hands nothing in, a sheet handed in twice, a sheet whose metadata was edited), then
`quiz check` (per student, per item, per misconception; CSV that stays data), `quiz mark` (the
Textual screen, for the concept answers not yet marked), `quiz check` again with the marks, and
`quiz check --record` into each student's own learner, then `quiz class` and `quiz learners`.

Every expected figure is worked out here from the printed parameters with the layer formulas
(held against the answer keys), and from the plan of who wrote what — not read back from quiz.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from quiz.store.db import open_database
from quiz.store.learners import all_learners
from quiz.store.log import history, verdict_parts
from quiz.tui.mark.app import make_mark_app
from tests.conftest import FIXED_NOW, quiz_command

DATE = "2026-12-01"
SHEET_DAY = datetime(2026, 12, 1, tzinfo=timezone.utc)
NUMERIC = ("num-conv-out-square", "num-conv-out-nonsquare", "num-params-conv-bias",
           "num-macs-conv", "num-rf-stack", "num-macs-dws-ratio")
CONCEPT = ("conv-dilated-gridding", "norm-gn-ln-in", "compress-bn-fold", "conv-tf-same-padding")
ITEMS = NUMERIC + CONCEPT
NAMES = ["张三", "李四", "王小明", "David <b>Lee</b>", "O'Brien", "=1+1", "+SUM(A1:A9)",
         "@cmd", "-2+3", "Zoë Müller", "欧阳娜娜", "Ana María"]
ABSENT, TWICE, EDITED, DELETES, BLANK = 12, 6, 13, 2, 3  # student indexes with a role


def roster() -> list[tuple[str, str]]:
    names = NAMES + [f"学生{n:02d}" for n in range(len(NAMES), 32)]
    return [(f"S{index + 1:02d}", name) for index, name in enumerate(names)]


# --- what is right, from the printed parameters --------------------------------------------

def right_value(question: str, p: dict[str, int]) -> Any:
    if question == "num-conv-out-square":
        side = (p["H"] + 2 * p["p"] - p["k"]) // p["s"] + 1
        return (side, side)
    if question == "num-conv-out-nonsquare":
        return ((p["H"] + 2 * p["p"] - p["kh"]) // p["s"] + 1,
                (p["W"] + 2 * p["p"] - p["kw"]) // p["s"] + 1)
    if question == "num-params-conv-bias":
        return p["Cout"] * (p["Cin"] * p["k"] ** 2 + 1)
    if question == "num-macs-conv":
        side = (p["H"] + 2 * p["pad"] - p["k"]) // p["s"] + 1
        return side * side * p["Cout"] * p["Cin"] * p["k"] ** 2
    if question == "num-rf-stack":
        return 1 + (p["k1"] - 1) + (p["k2"] - 1) * p["s1"] + (p["k3"] - 1) * p["s1"] * p["s2"]
    assert question == "num-macs-dws-ratio"
    return Fraction(1, p["Cout"]) + Fraction(1, p["k"] ** 2)


def key_text(value: Any) -> str:
    """The value as the answer key prints it (74x74, 147,520, 589,824 MACs, 265/2304)."""
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return f"{value:,}"


# Right answers, as people write them (each student uses the next form of each item's list).
RIGHT_FORMS = {
    "num-conv-out-square": ["**答：**{h}x{w}", "答：`{h}x{w}`", "答：{h}x{w}。",
                            "答：{h}x{w}（我算的）", "答：{h}, {w}", "答：H={h}, W={w}"],
    "num-conv-out-nonsquare": ["答：H={h}, W={w}", "答：W={w}, H={h}", "答：{h}x{w} ✅",
                               "- 答：{h}×{w}"],
    "num-params-conv-bias": ["- 答：{v}", "答：{v:,}", "答：{v} <!-- checked -->", "答：{v}；"],
    "num-macs-conv": ["答：{v} (MACs)", "答：{v} ✅", "答：`{v}`"],
    "num-rf-stack": ["答：{v}；", "答：{v}", "**答：**{v}"],
    "num-macs-dws-ratio": ["答：1/{cout}+1/{kk}", "答：{f:.4f}倍", "答：{n}/{d}"],
}


@dataclass
class Plan:
    """What one student writes, and what checking must make of it."""

    key: str
    name: str
    answers: dict[str, str] = field(default_factory=dict)        # item id → answer line(s)
    expected: dict[str, str] = field(default_factory=dict)       # numeric status
    mistakes: dict[str, str] = field(default_factory=dict)       # item id → mistake id
    concept_marks: dict[str, float] = field(default_factory=dict)  # marked in the sheet
    deleted: tuple[str, ...] = ()

    def points(self, teacher_marks: dict[str, float]) -> float:
        numeric = sum(status == "right" for status in self.expected.values())
        marks = {**self.concept_marks, **teacher_marks}
        return numeric + sum(score for item, score in marks.items() if item not in self.deleted)


def _mistake(question: str, value: Any, p: dict[str, int],
             index: int) -> tuple[str, str] | None:
    """A classic slip this student makes on this item, as (answer, mistake id)."""
    if question == "num-conv-out-square" and index % 4 == 1:
        return f"答：{value[0] - 1}x{value[1] - 1}", "no-plus-one"
    if question == "num-conv-out-nonsquare" and index % 4 == 2 and value[0] != value[1]:
        return f"答：{value[1]}x{value[0]}", "swapped-hw"
    if question == "num-params-conv-bias" and index % 4 == 3:
        return f"答：{value - p['Cout']}", "forgot-bias"
    if question == "num-macs-dws-ratio" and index % 6 == 5:
        return f"答：{value.denominator}/{value.numerator}", "inverted-ratio"
    return None


def _right(question: str, value: Any, p: dict[str, int], index: int) -> str:
    forms = RIGHT_FORMS[question]
    form = forms[index % len(forms)]
    if isinstance(value, tuple):
        return form.format(h=value[0], w=value[1])
    if isinstance(value, Fraction):
        return form.format(cout=p["Cout"], kk=p["k"] ** 2, f=float(value), n=value.numerator,
                           d=value.denominator)
    return form.format(v=value)


def plan_for(index: int, key: str, name: str, params: dict[str, dict[str, int]]) -> Plan:
    plan = Plan(key, name)
    for question in NUMERIC:
        value = right_value(question, params[question])
        slip = _mistake(question, value, params[question], index)
        if index == BLANK:
            plan.answers[question], plan.expected[question] = "答：", "blank"
        elif slip is not None:
            plan.answers[question], plan.mistakes[question] = slip
            plan.expected[question] = "wrong"
        else:
            plan.answers[question] = _right(question, value, params[question], index)
            plan.expected[question] = "right"
    for number, question in enumerate(CONCEPT):
        answer = f"答：{name} 的第 {number + 1} 个要点\n接着写的第二行 $k^2$"
        if index % 3 == 0:
            answer += "\n\n评：对"
            plan.concept_marks[question] = 1.0
        elif index % 3 == 1:
            answer += "\n\n评：半对"
            plan.concept_marks[question] = 0.5
        plan.answers[question] = answer
    if index == DELETES:
        plan.deleted = (NUMERIC[4], CONCEPT[3])
        for question in plan.deleted:
            plan.expected.pop(question, None)
            plan.concept_marks.pop(question, None)
    return plan


# --- the class, made and filled once --------------------------------------------------------

def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*quiz_command(), *args], capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def _fill(path: Path, plan: Plan) -> None:
    """Write the plan's answers under each item's `答：` line; delete the deleted items."""
    blocks = path.read_text(encoding="utf-8").split("\n## ")
    kept = [blocks[0]]
    for block in blocks[1:]:
        question = block.split("\n", 1)[0].split(" · ")[1].strip()
        if question in plan.deleted:
            continue
        kept.append(block.replace("\n答：\n", f"\n{plan.answers[question]}\n", 1))
    path.write_text("\n## ".join(kept), encoding="utf-8")


@dataclass
class Class:
    folder: Path
    plans: list[Plan]
    handed_in: list[Plan]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Class:
    base = tmp_path_factory.mktemp("class")
    roster_file = base / "roster.txt"
    roster_file.write_text("".join(f"{key}\t{name}\n" for key, name in roster()),
                           encoding="utf-8")
    folder = base / "sheets"
    _run("sheet", "--roster", str(roster_file), "--ids", *ITEMS, "--seed", "2026", "--key",
         "--date", DATE, "-o", str(folder))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    plans = []
    for index, entry in enumerate(manifest["sheets"]):
        params = {item["id"]: item.get("params") for item in entry["items"]}
        plan = plan_for(index, entry["student"]["key"], entry["student"]["name"], params)
        key = (folder / "keys" / entry["file"].replace("sheet-", "key-")).read_text("utf-8")
        for question in NUMERIC:  # the formulas here agree with the printed key
            assert f"**答案**：{key_text(right_value(question, params[question]))}" in key
        plans.append(plan)
        _fill(folder / entry["file"], plan)
    sheets = sorted(folder.glob("sheet-*.md"))
    (sheets[ABSENT]).unlink()
    shutil.copyfile(sheets[TWICE], folder / "sheet-07-again.md")
    edited = sheets[EDITED].read_text(encoding="utf-8").replace('"k1":', '"k1":1', 1)
    assert edited != sheets[EDITED].read_text(encoding="utf-8")
    sheets[EDITED].write_text(edited, encoding="utf-8")
    handed_in = [plan for index, plan in enumerate(plans) if index not in (ABSENT, EDITED)]
    return Class(folder, plans, handed_in)


@pytest.fixture
def class_dir(made: Class, tmp_path: Path) -> Class:
    folder = tmp_path / "sheets"
    shutil.copytree(made.folder, folder)
    return Class(folder, made.plans, made.handed_in)


def _check_json(folder: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    done = _run("check", str(folder), "--json", *extra, check=False)
    return done.returncode, json.loads(done.stdout)


# --- the test -------------------------------------------------------------------------------

def test_a_class_from_sheets_to_each_learners_history(class_dir: Class, db_url: str) -> None:
    folder, plans = class_dir.folder, class_dir.plans
    code, report = _check_json(folder)
    assert code == 2  # the edited sheet is refused
    summary = report["summary"]
    _assert_students(summary, class_dir, teacher={})
    _assert_items_and_misconceptions(summary, class_dir)
    _assert_csv_stays_data(folder, class_dir)

    # Marking: the concept answers nobody marked in the sheet, through the Textual screen.
    teacher = _mark_the_rest(folder, class_dir)
    code, report = _check_json(folder)
    _assert_students(report["summary"], class_dir, teacher=teacher)

    # Recording: refused for unknown students, then into each student's own learner, once.
    refused = _run("check", str(folder), "--record", "--db", db_url, check=False)
    assert refused.returncode == 2 and "--add-learners" in refused.stderr
    db = open_database(db_url)
    try:
        assert [learner.name for learner in all_learners(db)] == ["default"]
    finally:
        db.close()
    _run("check", str(folder), "--record", "--add-learners", "--db", db_url, check=False)
    first = _histories(db_url)
    again = _run("check", str(folder), "--record", "--db", db_url, check=False)
    assert "已记录 0 条" in again.stderr
    assert _histories(db_url) == first
    _assert_histories(first, class_dir, teacher)
    _assert_class_view(db_url, class_dir)
    assert plans  # (the plan list is what everything above was held to)


def _assert_students(summary: dict[str, Any], made: Class,
                     teacher: dict[tuple[str, str], float]) -> None:
    by_key: dict[str, dict[str, Any]] = {}
    for row in summary["students"]:
        by_key.setdefault(row["student_key"], row)
    assert set(by_key) >= {plan.key for plan in made.handed_in}
    for plan in made.handed_in:
        row = by_key[plan.key]
        assert row["student"] == plan.name  # names round-trip exactly
        assert row["total"] == len(ITEMS)  # over every printed item, deleted ones too
        marks = {question: score for (key, question), score in teacher.items() if key == plan.key}
        assert row["points"] == pytest.approx(plan.points(marks)), plan.name
        assert row["score"] == pytest.approx(plan.points(marks) / len(ITEMS))
        assert sorted(row["missing"]) == sorted(ITEMS.index(q) + 1 for q in plan.deleted)
    absent = made.plans[ABSENT]
    assert [row["student_key"] for row in summary["absent"]] == [absent.key]
    assert [row["student"] for row in summary["absent"]] == [absent.name]
    [twice] = summary["duplicates"]
    assert twice["student_key"] == made.plans[TWICE].key and len(twice["files"]) == 2
    [refused] = summary["refused"]
    assert refused["file"].endswith(f"sheet-{EDITED + 1}.md")
    assert "edited" in refused["reason"] and f"student {EDITED + 1}" in refused["reason"]


def _assert_items_and_misconceptions(summary: dict[str, Any], made: Class) -> None:
    items = {row["id"]: row for row in summary["items"]}
    for question in NUMERIC:
        statuses = Counter(plan.expected[question] for plan in made.handed_in
                           if question in plan.expected)
        row = items[question]
        assert (row["right"], row["wrong"], row["blank"]) == \
            (statuses["right"], statuses["wrong"], statuses["blank"]), question
        assert row["unparseable"] == 0, row  # every written form was read
        named = Counter(plan.mistakes[question] for plan in made.handed_in
                        if question in plan.mistakes)
        found = {entry["mistake_id"]: entry["count"] for entry in row["mistakes"]}
        assert found == dict(named), question
        given = Counter(plan.answers[question].removeprefix("答：") for plan in made.handed_in
                        if plan.expected.get(question) == "wrong")
        assert {entry["answer"]: entry["count"] for entry in row["wrong_answers"]} == \
            dict(given)
    expected_who: dict[str, set[str]] = {}
    for plan in made.handed_in:
        for mistake in plan.mistakes.values():
            expected_who.setdefault(mistake, set()).add(plan.key)
    found_who = {entry["mistake_id"]: {student["student_key"] for student in entry["students"]}
                 for entry in summary["misconceptions"]}
    assert found_who == expected_who


def _assert_csv_stays_data(folder: Path, made: Class) -> None:
    done = _run("check", str(folder), "--csv", check=False)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows
    names = {row["student"] for row in rows}
    for plan in made.handed_in:
        shown = "'" + plan.name if plan.name[0] in "=+-@\t\r" else plan.name
        assert shown in names  # unescaped, neutralised where a spreadsheet would run it
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows
               for cell in row.values() if cell)
    numbers = {row["student_number"] for row in rows}
    assert numbers <= {str(n) for n in range(1, 33)}
    answers = [row["answer"] for row in rows if row["id"] == CONCEPT[0]]
    assert any("\n接着写的第二行" in answer for answer in answers)  # multi-line, whole


async def _mark_async(folder: Path, unmarked: set[tuple[str, str]]) -> dict[tuple[str, str],
                                                                            float]:
    app = make_mark_app(folder=folder, clock=lambda: FIXED_NOW)
    marked: dict[tuple[str, str], float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.mark_screen
        while unmarked - set(marked):
            answer = screen.answer
            place = (answer.student_key, answer.question_id)
            if place in unmarked and place not in marked:
                score, key = (0.5, "2") if len(marked) % 2 else (0.0, "3")
                marked[place] = score
                await pilot.press(key)
            else:
                await pilot.press("right")
            await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    return marked


def _mark_the_rest(folder: Path, made: Class) -> dict[tuple[str, str], float]:
    import asyncio

    unmarked = {(plan.key, question) for plan in made.handed_in for question in CONCEPT
                if question not in plan.concept_marks and question not in plan.deleted}
    assert unmarked
    marked = asyncio.run(_mark_async(folder, unmarked))
    saved = json.loads((folder / "marks.json").read_text(encoding="utf-8"))["marks"]
    assert {(entry["student"], entry["id"]): entry["score"] for entry in saved} == marked
    return marked


def _histories(db_url: str) -> dict[str, list[tuple[str, str | None, str | None, datetime]]]:
    db = open_database(db_url)
    try:
        return {learner.name: [(entry.question_id, entry.answer_text, entry.verdict,
                                entry.reviewed_at)
                               for entry in history(db.as_learner(learner.id, learner.name))]
                for learner in all_learners(db)}
    finally:
        db.close()


def _assert_histories(histories: dict[str, list[Any]], made: Class,
                      teacher: dict[tuple[str, str], float]) -> None:
    assert histories.pop("default") == []  # nothing went to the default learner
    assert set(histories) == {plan.key for plan in made.handed_in}
    for plan in made.handed_in:
        logged = histories[plan.key]
        numeric = [q for q in NUMERIC if plan.expected.get(q) in ("right", "wrong")]
        concept = [q for q in CONCEPT if q not in plan.deleted
                   and (q in plan.concept_marks or (plan.key, q) in teacher)]
        assert sorted(q for q, *_ in logged) == sorted(numeric + concept), plan.name
        for question, _answer, verdict, moment in logged:
            assert moment.date() == SHEET_DAY.date()  # stamped with the sheet's date
            status, mistake = verdict_parts(verdict)
            if question in NUMERIC:
                assert status == plan.expected[question]
                assert mistake == plan.mistakes.get(question)


def _assert_class_view(db_url: str, made: Class) -> None:
    view = json.loads(_run("class", "--json", "--db", db_url).stdout)
    expected: dict[str, Counter[str]] = {}
    names = {plan.key: plan.name for plan in made.plans}
    for plan in made.handed_in:
        for mistake in plan.mistakes.values():
            expected.setdefault(mistake, Counter())[names[plan.key]] += 1
    assert {entry["id"]: Counter(entry["learners"]) for entry in view["misconceptions"]} == \
        expected
    listed = json.loads(_run("learners", "--json", "--db", db_url).stdout)
    assert len(listed) == len(made.handed_in) + 1
    display = {row["name"]: row["display_name"] for row in listed}
    assert all(display[plan.key] == plan.name for plan in made.handed_in)
