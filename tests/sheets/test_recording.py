"""Practice on paper and in `quiz practice` counts in the schedule: `--record` logs graded numeric
answers as reviews of their templates; `quiz practice --json` and its exit codes."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from quiz.bank.parser import load_bank
from quiz.numeric import instantiate, load_templates, solve
from quiz.paths import bundled_bank_dir
from quiz.sheets.select import answer_text
from tests.sheets.sheet_helpers import fill, key_answers, quiz


def reviews(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT question_id, seed, answer_text, verdict, rating FROM reviews ORDER BY id"
        )).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def practice(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, answers: str,
             *argv: str) -> tuple[int, dict]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    code, out, _ = quiz(capsys, *argv)
    return code, json.loads(out)


def test_practice_json_exit_codes_and_record(tmp_path: Path, db_url: str,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    drill = ("practice", "--family", "params", "--count", "1", "--seed", "11", "--json")
    code, wrong = practice(capsys, monkeypatch, "1\n", *drill)
    assert code == 1 and (wrong["asked"], wrong["wrong"]) == (1, 1)
    item = wrong["items"][0]
    templates = load_templates(load_bank(bundled_bank_dir()))
    instance = instantiate(templates[item["template"]], item["seed"])
    right_answer = answer_text(solve(instance, eager=False).expected)
    code, right = practice(capsys, monkeypatch, right_answer + "\n", "--db", db_url, *drill,
                           "--record")
    assert code == 0 and (right["asked"], right["right"]) == (1, 1)
    (logged,) = reviews(db_url)
    assert logged[:4] == (item["template"], item["seed"], right_answer, "right")
    assert logged[4] in (3, 4)  # Good, or Easy when answered quickly


def test_check_record_logs_numeric_items_once(tmp_path: Path, db_url: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    ids = ("num-conv-out-square", "num-macs-conv", "conv-translation-invariance")
    code, _, err = quiz(capsys, "sheet", "--ids", *ids, "--seed", "3", "--key", "-o",
                        str(tmp_path))
    assert code == 0, err
    answers = key_answers((tmp_path / "keys" / "key-01.md").read_text(encoding="utf-8"))
    given = {"num-conv-out-square": answers[0], "num-macs-conv": "12"}
    fill(tmp_path / "sheet-01.md", lambda qid, seed: given.get(qid, "自己写的理解"))
    code, _, err = quiz(capsys, "--db", db_url, "check", str(tmp_path / "sheet-01.md"),
                        "--record")
    assert code == 1 and "已记录 2 条复习" in err
    logged = reviews(db_url)
    assert [(qid, answer, verdict, rating) for qid, _, answer, verdict, rating in logged] == [
        ("num-conv-out-square", answers[0], "right", 3), ("num-macs-conv", "12", "wrong", 1)]
    sheet = (tmp_path / "sheet-01.md").read_text(encoding="utf-8")
    assert all(f"· seed {seed}" in sheet for _, seed, *_ in logged)
    code, _, err = quiz(capsys, "--db", db_url, "check", str(tmp_path / "sheet-01.md"),
                        "--record")
    assert "已记录 0 条复习，2 条此前已记录" in err and len(reviews(db_url)) == 2


def test_practice_records_the_named_mistake_and_quiz_mistakes_shows_it(
        db_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong answer the engine names is logged with its mistake; `quiz mistakes` counts it for
    that learner only (another learner has none)."""
    drill = ("practice", "--family", "conv-output", "--count", "1", "--seed", "5", "--json")
    _, asked = practice(capsys, monkeypatch, "1\n", *drill)
    item = asked["items"][0]
    templates = load_templates(load_bank(bundled_bank_dir()))
    solution = solve(instantiate(templates[item["template"]], item["seed"]), eager=True)
    slip = solution.alternatives[0]
    code, done = practice(capsys, monkeypatch, answer_text(slip.value) + "\n", "--db", db_url,
                          "--learner", "ming", *drill, "--record")
    assert code == 1 and done["items"][0]["mistake_id"] == slip.recipe.id
    (logged,) = reviews(db_url)
    assert logged[3] == f"wrong:{slip.recipe.id}"
    code, out, _ = quiz(capsys, "--db", db_url, "--learner", "ming", "mistakes", "--json")
    report = json.loads(out)
    assert code == 0 and report["learner"] == "ming"
    [mistake] = report["mistakes"]
    assert (mistake["id"], mistake["count"], mistake["templates"]) == (
        slip.recipe.id, 1, {item["template"]: 1})
    assert mistake["per_week"][-1] == 1 and not mistake["fading"]
    code, out, _ = quiz(capsys, "--db", db_url, "learners", "add", "li")
    code, out, _ = quiz(capsys, "--db", db_url, "--learner", "li", "mistakes", "--json")
    assert json.loads(out)["mistakes"] == []


def test_practice_mistakes_drills_the_learners_own_misconceptions(
        db_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`quiz practice --mistakes` asks for the learner's logged misconception, on instances where
    the mistaken answer differs from the right one; with none logged it says so (exit 2)."""
    drill = ("practice", "--family", "conv-output", "--count", "1", "--seed", "5", "--json")
    _, asked = practice(capsys, monkeypatch, "1\n", *drill)
    item = asked["items"][0]
    templates = load_templates(load_bank(bundled_bank_dir()))
    slip = solve(instantiate(templates[item["template"]], item["seed"]), eager=True) \
        .alternatives[0]
    practice(capsys, monkeypatch, answer_text(slip.value) + "\n", "--db", db_url, *drill,
             "--record")
    _, drilled = practice(capsys, monkeypatch, "\n\n\n", "--db", db_url, "practice",
                          "--mistakes", "--count", "3", "--seed", "9", "--json")
    assert drilled["asked"] == 3
    quiz(capsys, "--db", db_url, "learners", "add", "li")
    code, _, err = quiz(capsys, "--db", db_url, "--learner", "li", "practice", "--mistakes")
    assert code == 2 and "no named mistakes" in err
    for question in drilled["items"]:
        solution = solve(instantiate(templates[question["template"]], question["seed"]),
                         eager=True)
        values = {alt.recipe.id: alt.value for alt in solution.alternatives}
        assert slip.recipe.id in values and values[slip.recipe.id] != solution.expected
