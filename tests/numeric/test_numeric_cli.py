"""`quiz numeric …` and `quiz practice`: through a parser built here and through quiz.cli."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys

import pytest

from quiz.commands import numeric as numeric_command
from quiz.commands import practice as practice_command


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="quiz")
    commands = parser.add_subparsers(dest="command", required=True)
    numeric_command.register(commands)
    practice_command.register(commands)
    return parser.parse_args(argv)


def run(argv: list[str]) -> int:
    args = parse(argv)
    return int(args.handler(args))


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["numeric", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["family"] for row in rows} >= {"conv-output", "macs", "receptive-field"}
    square = next(row for row in rows if row["id"] == "num-conv-out-square")
    assert square["params"]["k"] == [1, 3, 5, 7, 11]
    assert square["fixed"][0]["source"] == "000#1.3"


def test_sample_json_has_seed_params_prompt_expected_and_layers(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["numeric", "sample", "num-macs-dws", "--seed", "5", "--count", "3",
                "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["seed"] for row in rows] == [5, 6, 7]
    row = rows[0]
    assert row["unit"] == "MACs" and isinstance(row["expected"], int)
    assert row["prompt"] and row["params"]
    reports = row["layers"]["net"]["reports"]
    assert [r["kind"] for r in reports] == ["conv2d", "conv2d"]
    assert sum(r["macs"] for r in reports) == row["expected"]


def test_sample_fixed_instance(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["numeric", "sample", "num-macs-dws-ratio", "--seed", "-1", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["source"] == "003#17" and row["expected_fraction"] == "137/1152"


@pytest.mark.parametrize(("answer", "code", "status"), [
    ("112x112", 0, "right"), ("111x111", 1, "wrong"), ("very big", 2, "unparseable"),
])
def test_grade_exit_codes(capsys: pytest.CaptureFixture[str], answer: str, code: int,
                          status: str) -> None:
    argv = ["numeric", "grade", "num-conv-out-square", "--seed", "-1", "--answer", answer]
    assert run([*argv, "--json"]) == code
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == status
    if status == "wrong":
        assert payload["mistake_id"] == "no-plus-one" and payload["mistake"]
        assert "⌊(224 + 2·3 − 1·(7−1) − 1)/2⌋ + 1 = 112" in payload["worked"]
    assert run(argv) == code  # the plain-text form too
    assert capsys.readouterr().out.strip()


def test_unknown_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["numeric", "sample", "no-such-template"]) == 2
    assert "no numeric template" in capsys.readouterr().err


def test_practice_reads_piped_answers_until_eof() -> None:
    args = parse(["practice", "--family", "receptive-field", "--count", "4", "--seed", "3"])
    out = io.StringIO()
    code = practice_command.run(args, stdin=io.StringIO("5\nnot a number\n7\n\n"), stdout=out)
    text = out.getvalue()
    assert code == 1  # a question was skipped: not all right
    assert "[1/4]" in text and "[3/4]" in text and "[4/4]" in text  # EOF on the 4th question
    assert "无法识别答案" in text
    assert "跳过。答案" in text
    assert "完成 3 题" in text


def test_practice_quit_and_unknown_family(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(["practice", "--count", "3", "--seed", "1"])
    out = io.StringIO()
    assert practice_command.run(args, stdin=io.StringIO("q\n"), stdout=out) == 0
    assert "完成 0 题" in out.getvalue()
    args = parse(["practice", "--family", "nope"])
    assert practice_command.run(args, stdin=io.StringIO(""), stdout=io.StringIO()) == 2


def test_through_quiz_cli_main(capsys: pytest.CaptureFixture[str]) -> None:
    from quiz.cli import main

    assert main(["numeric", "grade", "num-params-dws", "--seed", "-1", "--answer", "656"]) == 0
    assert "正确" in capsys.readouterr().out
    assert main(["numeric", "grade", "num-params-dws", "--seed", "-1", "--answer", "144"]) == 1
    assert "漏算了 1×1 卷积" in capsys.readouterr().out


def test_practice_subprocess_with_pipe() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quiz", "practice", "--family", "conv-output", "--count", "2",
         "--seed", "9"], input="1x1\n", capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr  # the one question answered (1x1) is right
    assert "完成 1 题" in result.stdout


def test_help_does_not_import_numpy() -> None:
    code = ("import sys; from quiz.cli import build_parser; build_parser(); "
            "import quiz.numeric; "
            "bad = [m for m in ('numpy', 'textual', 'sqlalchemy', 'quiz.engine') "
            "if m in sys.modules]; print(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"
