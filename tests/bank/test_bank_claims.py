"""Checked claims: the ```claim block parser, value forms, and the checker on true and false
claims run through the real engine."""

from __future__ import annotations

import pytest

from quiz.bank.claims import (
    Claim,
    Value,
    flag,
    number,
    parse_value,
    question_claims,
    shape,
)
from quiz.bank.errors import BankError
from quiz.bank.parser import parse_text
from quiz.verify import ClaimResult, agrees, check_bank, check_claim

HEAD = """\
# 卷积

## 深度可分离卷积的参数量？

```meta
id: dw
sources: 002#16, 004#3
tags: 卷积变种
kind: concept
```

答案。
"""
# line numbers in HEAD: the first claim fence below starts on line 14
FENCE_LINE = HEAD.count("\n") + 2


def bank_text(*claims: str, errata: str = "") -> str:
    blocks = "".join(f"\n```claim\n{body.strip()}\n```\n" for body in claims)
    return HEAD + blocks + (f"\n{errata}\n" if errata else "")


def claims_of(*claims: str, errata: str = "") -> list[Claim]:
    (question,) = parse_text(bank_text(*claims, errata=errata), "bank.md")
    return question_claims(question)


GOOD = """
source: 002#16
what: 深度可分离参数
input: 16x8x8
net: dwconv k3 p1 nobias
net: conv 32 k1 nobias
quantity: params
claimed: 656
expect: agree
"""


def with_lines(base: str, **changes: str | None) -> str:
    """GOOD (or `base`) with keys replaced (value) or removed (None), order kept."""
    lines = []
    for line in base.strip().splitlines():
        key = line.split(":", 1)[0]
        if key in changes:
            if changes[key] is not None:
                value = changes[key]
                # a value of the form 'other: x' replaces the whole line
                lines.append(value if ": " in str(value) else f"{key}: {value}")
            continue
        lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# parsing

def test_parses_a_good_block() -> None:
    (claim,) = claims_of(GOOD)
    assert claim.source == "002#16" and claim.question == "dw"
    assert claim.file == "bank.md" and claim.line == FENCE_LINE
    assert claim.input_shape == (1, 16, 8, 8)
    assert claim.net == ("dwconv k3 p1 nobias", "conv 32 k1 nobias")
    assert claim.quantity == "params" and claim.check == ""
    assert claim.claimed == number(656) and claim.expect == "agree"
    assert claim.tolerance == 0.0 and claim.description == "深度可分离参数"
    assert claim.line_of("claimed") == FENCE_LINE + 7


def test_claim_blocks_stay_out_of_the_answer() -> None:
    (question,) = parse_text(bank_text(GOOD), "bank.md")
    assert "claimed" not in question.answer and len(question.blocks) == 1


def test_checks_and_options_parse() -> None:
    bn = """
source: 004#3
input: 8x4x5x5
check: bn-identity
gamma: std
beta: mean
claimed: yes
expect: agree
"""
    (claim,) = claims_of(bn)
    assert claim.check == "bn-identity" and claim.options == {"gamma": "std", "beta": "mean"}
    assert claim.input_shape == (8, 4, 5, 5) and claim.claimed == flag(True)


@pytest.mark.parametrize(("changes", "offset", "message"), [
    ({"quantity": "speed"}, 6, "unknown quantity 'speed'"),
    ({"claimed": "2+2"}, 7, "not a number"),
    ({"claimed": "__import__('os')"}, 7, "not a number"),
    ({"claimed": None}, 0, "lacks required key 'claimed'"),
    ({"expect": "maybe"}, 8, "expect must be agree, erratum or convention"),
    ({"expect": None}, 0, "lacks required key 'expect'"),
    ({"source": "003#2"}, 1, "not among the question's sources"),
    ({"source": "3#2"}, 1, "not of the form"),
    ({"input": "16x8"}, 3, "input must be CxHxW"),
    ({"net": None}, 0, "needs at least one 'net:' line"),
    ({"quantity": None}, 0, "needs 'quantity:' or 'check:'"),
    ({"what": "colour: red"}, 2, "unknown claim key 'colour'"),
])
def test_malformed_blocks_name_file_and_line(
    changes: dict[str, str | None], offset: int, message: str,
) -> None:
    with pytest.raises(BankError) as caught:
        claims_of(with_lines(GOOD, **changes))
    assert caught.value.file == "bank.md"
    assert caught.value.line == FENCE_LINE + offset, str(caught.value)
    assert message in caught.value.message
    assert str(caught.value).startswith(f"bank.md:{FENCE_LINE + offset}: ")


@pytest.mark.parametrize(("extra", "message", "offset"), [
    ("quantity: macs", "claim key 'quantity' given twice", 9),
    ("just words", "must be 'key: value'", 9),
    ("tolerance: 2", "tolerance is a relative error", 9),
    ("gamma: std", "does not apply", 9),
    ("check: coverage", "either 'check:' or 'quantity:'", 6),
])
def test_more_malformed_lines(extra: str, message: str, offset: int) -> None:
    with pytest.raises(BankError, match=message) as caught:
        claims_of(GOOD.strip() + "\n" + extra)
    assert caught.value.line == FENCE_LINE + offset


def test_baseline_goes_with_a_net_and_a_quantity() -> None:
    (claim,) = claims_of(GOOD.strip() + "\nbaseline: conv 32 k3 p1 nobias")
    assert claim.baseline == ("conv 32 k3 p1 nobias",)


def test_check_claims_need_their_options_and_a_yes_no() -> None:
    gn = "source: 004#3\ninput: 2x4x3x3\ncheck: gn-equivalence\nnorm: layer\nclaimed: yes\n" \
         "expect: agree"
    with pytest.raises(BankError, match="needs 'groups:'") as caught:
        claims_of(gn)
    assert caught.value.line == FENCE_LINE
    with pytest.raises(BankError, match="claimed as yes or no") as caught:
        claims_of(gn.replace("claimed: yes", "claimed: 3") + "\ngroups: 1")
    assert caught.value.line == FENCE_LINE + 5
    with pytest.raises(BankError, match="runs its own layers"):
        claims_of(gn + "\ngroups: 1\nnet: conv 1 k3")


# ---------------------------------------------------------------------------------------------
# values

@pytest.mark.parametrize(("text", "expected"), [
    ("4608", number(4608)),
    ("2,458,624", number(2458624)),
    ("0.72", number(0.72)),
    ("1.2e8", number(1.2e8)),
    ("2.42G", number(2.42e9)),
    ("590K", number(590_000)),
    ("9.44M", number(9.44e6)),
    ("1/4", number(0.25)),
    ("11x6", shape((11, 6))),
    ("64×196×196", shape((64, 196, 196))),
    ("yes", flag(True)),
    ("no", flag(False)),
    ("1/9 .. 1/8", Value("range", low=1 / 9, high=1 / 8)),
])
def test_value_forms(text: str, expected: Value) -> None:
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["2+2", "1e", "five", "1/0", "3 .. 1", "0x10", "2.42 GB"])
def test_values_that_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_value(text)


def test_agreement_rules() -> None:
    assert agrees(number(2.42e9), number(2415919104), 0.005)
    assert not agrees(number(2.42e9), number(2415919104))
    assert agrees(number(5), shape((5, 5))) and not agrees(number(5), shape((5, 7)))
    assert agrees(number(2458624), shape((2458624,)))
    assert agrees(parse_value("1/9 .. 1/8"), number(0.1189))
    assert not agrees(parse_value("1/9 .. 1/8"), number(0.13))
    assert agrees(number(0.72), number(73728 / 102400))
    assert not agrees(flag(True), flag(False)) and not agrees(shape((8, 8)), shape((4, 4)))


# ---------------------------------------------------------------------------------------------
# the checker, on claims that are true and on claims that are false

def run_one(body: str, errata: str = "") -> ClaimResult:
    text = bank_text(body, errata=errata)
    (question,) = parse_text(text, "bank.md")
    (claim,) = question_claims(question)
    return check_claim(claim, question)


def test_true_net_claim_agrees() -> None:
    result = run_one(GOOD)
    assert result.verdict == "agree" and result.measured == number(656)
    assert "dwconv k3 p1 nobias" in result.ran and result.status == "AGREE"


def test_false_claim_is_refuted_and_fails_without_erratum() -> None:
    false = with_lines(GOOD, claimed="4608", expect="erratum")
    result = run_one(false)
    assert result.verdict == "refuted" and result.measured == number(656)
    assert result.status == "FAIL" and "no erratum" in result.reason


def test_false_claim_with_erratum_is_an_erratum() -> None:
    false = with_lines(GOOD, claimed="4608", expect="erratum")
    result = run_one(false, errata="> 勘误 002#16：原文说 4608；正确的是 656。")
    assert result.status == "ERRATUM"


def test_erratum_for_another_source_does_not_count() -> None:
    false = with_lines(GOOD, claimed="4608", expect="erratum")
    result = run_one(false, errata="> 勘误 004#3：别的事。")
    assert result.status == "FAIL"


def test_expect_mismatch_fails_both_ways() -> None:
    result = run_one(with_lines(GOOD, expect="erratum"))
    assert result.status == "FAIL" and "expects erratum" in result.reason
    false = with_lines(GOOD, claimed="4608")
    result = run_one(false, errata="> 勘误 002#16：原文说 4608。")
    assert result.status == "FAIL" and "expects agree" in result.reason


def test_a_claim_that_cannot_run_fails() -> None:
    result = run_one(with_lines(GOOD, net="conv 32 k9 p0 nobias"))
    assert result.verdict == "error" and result.status == "FAIL"


@pytest.mark.parametrize(("body", "measured", "verdict"), [
    ("input: 1x32x32\nnet: conv 1 k3 d3\nquantity: rf\nclaimed: 8", shape((7, 7)), "refuted"),
    ("input: 1x32x32\nnet: conv 1 k3 d3\nquantity: rf\nclaimed: 7", shape((7, 7)), "agree"),
    ("input: 1x16x16\nnet: conv 1 k3 s2\nnet: conv 1 k3 s2\nquantity: jump\nclaimed: 4",
     shape((4, 4)), "agree"),
    ("input: 1x4x4\nnet: convT 1 k3 s2 p1\nquantity: output_hw\nclaimed: 9", shape((7, 7)),
     "refuted"),
    ("input: 16x10x10\nnet: conv 32 k3 p1\nquantity: flops\nclaimed: 921600", number(921600),
     "agree"),
    ("input: 64x8x8\nnet: conv 64 k3 p1 nobias\nnet: conv 64 k3 p1 nobias\n"
     "baseline: conv 64 k5 p2 nobias\nquantity: params\nclaimed: 0.72", number(0.72), "agree"),
    ("input: 1x33x33\nnet: conv 1 k3 d2\nnet: conv 1 k3 d4\nnet: conv 1 k3 d6\n"
     "check: coverage\nclaimed: yes", flag(False), "refuted"),
    ("input: 1x33x33\nnet: conv 1 k3 d1\nnet: conv 1 k3 d2\nnet: conv 1 k3 d5\n"
     "check: coverage\nclaimed: yes", flag(True), "agree"),
    ("input: 8x4x5x5\ncheck: bn-identity\ngamma: mean\nbeta: std\nclaimed: yes", flag(False),
     "refuted"),
    ("input: 8x4x5x5\ncheck: bn-identity\ngamma: std\nbeta: mean\nclaimed: yes", flag(True),
     "agree"),
    ("input: 2x8x4x4\ncheck: gn-equivalence\nnorm: layer\ngroups: C\nclaimed: yes",
     flag(False), "refuted"),
    ("input: 2x8x4x4\ncheck: gn-equivalence\nnorm: layer\ngroups: 1\nclaimed: yes",
     flag(True), "agree"),
    ("input: 2x8x4x4\ncheck: gn-equivalence\nnorm: instance\ngroups: C\nclaimed: yes",
     flag(True), "agree"),
    ("input: 2x8x4x4\ncheck: gn-equivalence\nnorm: instance\ngroups: 1\nclaimed: yes",
     flag(False), "refuted"),
])
def test_checker_on_constructed_claims(body: str, measured: Value, verdict: str) -> None:
    expect = "agree" if verdict == "agree" else "erratum"
    (question,) = parse_text(bank_text(f"source: 004#3\n{body}\nexpect: {expect}"), "bank.md")
    (claim,) = question_claims(question)
    result = check_claim(claim, question)
    assert result.measured == measured, result.detail
    assert result.verdict == verdict and result.ran


def test_bn_claims_with_parameters_run_the_bn_layer() -> None:
    body = with_lines(GOOD, claimed="4608").replace(
        "net: conv 32 k1 nobias", "net: conv 32 k1 nobias\nnet: bn")
    result = run_one(body)
    assert result.measured == number(656 + 2 * 32)  # γ and β of the 32 channels


# ---------------------------------------------------------------------------------------------
# one bad claim does not stop the others; the vocabulary is checked at parse time

def test_a_claim_that_does_not_parse_is_a_fail_and_the_rest_are_checked() -> None:
    bad = with_lines(GOOD, quantity="paramz")
    (question,) = parse_text(bank_text(bad, GOOD), "bank.md")
    first, second = check_bank([question])
    assert first.status == "FAIL" and first.claim is None
    assert first.file == "bank.md" and first.line == FENCE_LINE + 6  # the quantity: line
    assert "unknown quantity 'paramz'" in first.reason and "output_hw" in first.reason
    assert second.status == "AGREE" and second.measured == number(656)


def test_an_unknown_quantity_names_the_line_and_the_vocabulary() -> None:
    with pytest.raises(BankError) as error:
        claims_of(with_lines(GOOD, quantity="out_shape"))
    assert str(error.value).startswith("bank.md:") and "batch_output_shape" in str(error.value)


def test_a_claim_whose_net_is_refused_fails_without_stopping_the_bank() -> None:
    huge = with_lines(GOOD, net="conv 32 k99999")
    (question,) = parse_text(bank_text(huge, GOOD), "bank.md")
    results = check_bank([question])
    assert [r.status for r in results] == ["FAIL", "AGREE"]
    assert "could not run" in results[0].reason


def test_claims_and_templates_read_the_same_quantity_from_the_same_runner() -> None:
    from quiz.measure.runner import cache_size, clear_cache

    clear_cache()
    (question,) = parse_text(bank_text(with_lines(GOOD, quantity="output_shape",
                                                  claimed="32x8x8")), "bank.md")
    (claim,) = question_claims(question)
    assert check_claim(claim, question).measured == shape((32, 8, 8))  # per sample: C×H×W
    assert cache_size() >= 1
    clear_cache()
    assert cache_size() == 0
