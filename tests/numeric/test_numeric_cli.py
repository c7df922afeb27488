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
    assert run(["numeric", "sample", "no-such-template"]) == 1
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


BAD_TEMPLATE = """\
# 测试

## 坏模板

```meta
id: bad-one
sources: 004#54
tags: 数值计算
kind: numeric
```

说明。

```template
family: conv-outputz
ask: output_hw(net)
net:
  input 1x8x8
  conv 1 k3
prompt:
  问题。
```
"""


def test_one_bad_template_is_reported_and_the_rest_listed(
        tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    from quiz.cli import main
    from quiz.paths import bundled_bank_dir

    bank = Path(str(tmp_path))
    (bank / "bad.md").write_text(BAD_TEMPLATE, encoding="utf-8")
    (bank / "params.md").write_bytes((bundled_bank_dir() / "numeric-params.md").read_bytes())
    assert main(["numeric", "list", "--path", str(bank)]) == 1
    captured = capsys.readouterr()
    assert "num-params-conv-bias" in captured.out and "bad-one" not in captured.out
    line = BAD_TEMPLATE.splitlines().index("family: conv-outputz") + 1
    assert f"quiz: error: {bank / 'bad.md'}:{line}: unknown family 'conv-outputz'" in captured.err
    # the bad template itself: same message and exit status through every subcommand
    assert main(["numeric", "sample", "bad-one", "--path", str(bank)]) == 1
    assert "unknown family" in capsys.readouterr().err
    # the good ones still work
    assert main(["numeric", "sample", "num-params-conv-bias", "--seed", "1",
                 "--path", str(bank)]) == 0


def test_a_malformed_bank_exits_like_every_command(
        tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    from quiz.cli import main

    bank = Path(str(tmp_path))
    (bank / "broken.md").write_text("## no topic heading\n", encoding="utf-8")
    codes = {main(["numeric", "list", "--path", str(bank)]),
             main(["numeric", "list", "--bank", str(bank)]),
             main(["bank", "list", "--path", str(bank)]),
             main(["check", "--bank", str(bank)]),
             main(["check", "--path", str(bank)])}
    assert codes == {1}
    assert capsys.readouterr().err.count("quiz: error: ") == 5
