"""The bundled bank's checked claims, and `quiz check` through main() and the console script.

The rule: every claim of the bank that the engine refutes has an erratum for its source in the
same answer. It is checked on the bundled bank and, to show that it bites, on copies with one
erratum removed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from quiz.bank.claims import bank_claims
from quiz.bank.parser import load_bank, parse_file
from quiz.cli import main
from quiz.paths import bundled_bank_dir
from quiz.verify import ClaimResult, check_bank
from tests.conftest import quiz_command

# the sources whose worked numbers the INDEX of the seeds lists: each needs a checked claim
INDEX_SOURCES = (
    "000#1.3", "000#2.1", "000#2.3", "000#2.4", "000#4.1", "000#4.2", "001#T1", "001#T2",
    "001#T5", "002#1", "002#3", "002#9", "002#10", "002#13", "002#14", "002#15", "002#16",
    "003#2", "003#8", "003#12", "003#17", "004#3", "004#11", "004#12", "004#14", "004#44",
    "004#54",
)


@lru_cache(maxsize=1)
def bundled_outcomes() -> tuple[ClaimResult, ...]:
    return tuple(check_bank(load_bank(bundled_bank_dir())))


def refuted_pairs() -> list[tuple[str, str, str]]:
    """(file name, question id, source) of every claim the bank marks `expect: erratum`.

    Read statically so that collection stays cheap; that these are exactly the refuted claims
    is what test_every_refuted_claim_in_the_bundled_bank_has_an_erratum checks (expect must
    match the engine)."""
    pairs = {(Path(c.file).name, c.question, c.source)
             for c in bank_claims(load_bank(bundled_bank_dir())) if c.expect == "erratum"}
    return sorted(pairs)


def test_every_index_source_has_a_claim() -> None:
    sources = {claim.source for claim in bank_claims(load_bank(bundled_bank_dir()))}
    assert not set(INDEX_SOURCES) - sources


def test_every_refuted_claim_in_the_bundled_bank_has_an_erratum() -> None:
    failures = [f"{o.file}:{o.line}: {o.reason}"
                for o in bundled_outcomes() if o.status == "FAIL"]
    assert not failures, "\n".join(failures)
    assert {o.status for o in bundled_outcomes()} == {"AGREE", "CONVENTION", "ERRATUM"}


def test_the_bundled_bank_has_refuted_claims() -> None:
    # the sources do contain wrong numbers: if none is refuted, the checker has gone blind
    sources = {source for _, _, source in refuted_pairs()}
    assert {"000#2.4", "004#3", "002#9", "000#4.1", "004#11"} <= sources


def _drop_erratum(bank: Path, file_name: str, source: str) -> None:
    path = bank / file_name
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^> 勘误 {re.escape(source)}[：:].*\n", re.M)
    assert pattern.search(text), f"no erratum for {source} in {file_name}"
    path.write_text(pattern.sub("", text), encoding="utf-8")


@pytest.mark.parametrize(("file_name", "question_id", "source"), refuted_pairs())
def test_removing_an_erratum_makes_its_claims_fail(
    tmp_path: Path, file_name: str, question_id: str, source: str,
) -> None:
    bank = tmp_path / "bank"
    shutil.copytree(bundled_bank_dir(), bank)
    _drop_erratum(bank, file_name, source)
    question = next(q for q in parse_file(bank / file_name) if q.id == question_id)
    outcomes = check_bank([question])
    failing = [o for o in outcomes if o.status == "FAIL"]
    assert any(o.verdict == "refuted" for o in outcomes)
    assert failing and all(o.source == source for o in failing)
    assert all("no erratum" in o.reason for o in failing)


# ---------------------------------------------------------------------------------------------
# the command

SMALL_BANK = """\
# 卷积

## 空洞卷积的感受野？

```meta
id: dilated
sources: 004#3
tags: 卷积变种
kind: concept
```

单层等效核 $d(k-1)+1$。

```claim
source: 004#3
what: dilation 2 → 5
input: 1x16x16
net: conv 1 k3 d2
quantity: rf
claimed: 5
expect: agree
```

```claim
source: 004#3
what: dilation 3 → 8
input: 1x16x16
net: conv 1 k3 d3
quantity: rf
claimed: 8
expect: erratum
```
"""
ERRATUM = "\n> 勘误 004#3：原文说 8；正确的是 7。\n"


def write_bank(tmp_path: Path, text: str) -> Path:
    bank = tmp_path / "bank"
    bank.mkdir(exist_ok=True)
    (bank / "conv.md").write_text(text, encoding="utf-8")
    return bank


def test_main_reports_agree_and_erratum(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bank = write_bank(tmp_path, SMALL_BANK + ERRATUM)
    assert main(["check", "--bank", str(bank)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("AGREE") and "004#3" in out[0] and "dilated" in out[0]
    assert out[1].startswith("ERRATUM") and "claimed 8" in out[1] and "engine 7x7" in out[1]
    assert out[-1] == "2 claims: 1 agree, 0 convention, 1 erratum, 0 fail"


def test_main_fails_on_a_refuted_claim_without_erratum(
    tmp_path: Path, capsys: pytest.CaptureFixture,
) -> None:
    bank = write_bank(tmp_path, SMALL_BANK)
    assert main(["check", "--bank", str(bank), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["summary"] == {"claims": 2, "agree": 1, "convention": 0, "erratum": 0,
                                 "fail": 1}
    failed = report["claims"][1]
    assert failed["status"] == "FAIL" and failed["verdict"] == "refuted"
    assert failed["claimed"] == "8" and failed["measured"] == "7x7"
    assert "no erratum" in failed["reason"] and failed["line"] == 24


def test_main_reports_a_malformed_claim_with_file_and_line_and_checks_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture,
) -> None:
    bank = write_bank(tmp_path, SMALL_BANK.replace("quantity: rf", "quantity: area", 1))
    assert main(["check", "--bank", str(bank)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"conv\.md:19: unknown quantity 'area'", out), out
    assert re.search(r"^2 claims: 0 agree, 0 convention, 0 erratum, 2 fail$", out, re.M), out


def test_main_checks_the_bundled_bank_by_default(capsys: pytest.CaptureFixture) -> None:
    assert main(["check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["fail"] == 0
    assert report["summary"]["claims"] == len(bundled_outcomes())



# a source that counts "FLOPs" as multiply-adds: checked in that convention, not as an error
FLOPS_AS_MACS = """\
# 计算量

## 卷积的计算量？

```meta
id: flops
sources: 004#12
tags: 参数与计算量
kind: concept
```

乘加次数 $K^2 C_{in} C_{out} H W$。

```claim
source: 004#12
what: 原文的 "FLOPs"（= 乘加次数）
input: 16x10x10
net: conv 32 k3 p1
quantity: QUANTITY
claimed: 460800
expect: EXPECT
```
"""
CONVENTION = "\n> 口径 004#12：原文的 FLOPs 指乘加次数 (MACs)。\n"


def _check_one(tmp_path: Path, text: str) -> ClaimResult:
    bank = write_bank(tmp_path, text)
    (outcome,) = check_bank(load_bank(bank))
    return outcome


def test_a_claim_in_its_sources_convention_is_reported_as_convention(tmp_path: Path) -> None:
    text = FLOPS_AS_MACS.replace("QUANTITY", "macs").replace("EXPECT", "convention")
    question = parse_file(write_bank(tmp_path, text + CONVENTION) / "conv.md")[0]
    assert [note.source for note in question.conventions] == ["004#12"]
    assert question.errata == ()
    assert _check_one(tmp_path, text + CONVENTION).status == "CONVENTION"


def test_expect_convention_needs_a_convention_note(tmp_path: Path) -> None:
    text = FLOPS_AS_MACS.replace("QUANTITY", "macs").replace("EXPECT", "convention")
    outcome = _check_one(tmp_path, text)
    assert outcome.status == "FAIL" and "口径" in outcome.reason


def test_a_convention_note_does_not_excuse_a_refuted_claim(tmp_path: Path) -> None:
    # read in the FLOPs = 2·MACs sense the number is refuted; a 口径 note is not an erratum
    for expect in ("erratum", "convention"):
        text = FLOPS_AS_MACS.replace("QUANTITY", "flops").replace("EXPECT", expect)
        outcome = _check_one(tmp_path, text + CONVENTION)
        assert outcome.status == "FAIL" and outcome.verdict == "refuted", expect


def test_the_bundled_bank_checks_004_12_in_the_macs_convention() -> None:
    statuses = {o.status for o in bundled_outcomes() if o.source == "004#12"}
    assert statuses == {"AGREE", "CONVENTION"}


def run_quiz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*quiz_command(), *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300)


def test_console_script_exit_codes(tmp_path: Path) -> None:
    bad = run_quiz("check", "--bank", str(write_bank(tmp_path, SMALL_BANK)))
    assert bad.returncode == 1 and "FAIL" in bad.stdout and "no erratum" in bad.stdout
    good = run_quiz("check", "--bank", str(write_bank(tmp_path, SMALL_BANK + ERRATUM)))
    assert good.returncode == 0 and "1 agree, 0 convention, 1 erratum, 0 fail" in good.stdout


def test_console_script_on_the_bundled_bank() -> None:
    result = run_quiz("check", "--bank")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert re.search(r"^\d+ claims: \d+ agree, \d+ convention, \d+ erratum, 0 fail$",
                     result.stdout, re.M)


def test_check_command_and_claims_do_not_import_numpy_until_run() -> None:
    code = ("import sys, argparse; import quiz.commands.check as c, quiz.bank.claims, quiz.verify; "
            "c.register(argparse.ArgumentParser().add_subparsers()); "
            "print('numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_verbose_shows_what_ran(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bank = write_bank(tmp_path, SMALL_BANK + ERRATUM)
    assert main(["check", "--bank", str(bank), "-v"]) == 0
    out = capsys.readouterr().out
    assert "ran: run_net rf: conv 1 k3 d3 on 1x1x16x16" in out


def test_the_bank_is_parsing_only() -> None:
    """Loading the bank and parsing every claim imports neither the engine nor NumPy."""
    code = ("import sys; from quiz.bank.parser import load_bank; from quiz.bank.claims import "
            "bank_claims; from quiz.paths import bundled_bank_dir; "
            "n = len(bank_claims(load_bank(bundled_bank_dir()))); "
            "print(n, [m for m in ('numpy', 'quiz.engine', 'quiz.verify', 'quiz.numeric') "
            "if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    count, loaded = result.stdout.split(" ", 1)
    assert int(count) > 50 and loaded.strip() == "[]", result.stderr
