"""Checked claims: the worked numbers of the sources, stated in the bank as ```claim blocks.

A claim block is declarative `key: value` data (format in data/questions/README.md, "Checked
claims"): which layers to run, which quantity to read off (`quiz.measure.quantities`), and the
value the source states. This module only parses the blocks; `quiz.verify` runs and judges them.

Nothing in a claim is evaluated as code: values are matched by the regular expressions below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from quiz.bank.errors import BankError
from quiz.bank.model import Block, Question
from quiz.bank.parser import SOURCE_PATTERN
from quiz.measure.quantities import Form, UnknownQuantity, form_of
from quiz.measure.quantities import quantity as measured_quantity

CLAIM_INFO = "claim"
REPEATABLE_KEYS = frozenset({"net", "baseline"})
SINGLE_KEYS = frozenset({
    "source", "what", "input", "check", "quantity", "claimed", "tolerance", "expect",
    "gamma", "beta", "norm", "groups",
})
# Special checks for statements that are not a number of a layer stack; each measures yes/no.
CHECKS = frozenset({"bn-identity", "gn-equivalence", "coverage"})
CHECK_OPTIONS = {
    "bn-identity": frozenset({"gamma", "beta"}),
    "gn-equivalence": frozenset({"norm", "groups"}),
    "coverage": frozenset(),
}
BN_STATS = frozenset({"mean", "std"})
NORMS = frozenset({"layer", "instance"})
EXPECTS = frozenset({"agree", "erratum", "convention"})
SI_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}

_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?"
NUMBER_PATTERN = re.compile(rf"^({_NUMBER})\s*([KMGT]?)$")
FRACTION_PATTERN = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$")
SHAPE_PATTERN = re.compile(r"^\d+(?:\s*[x×]\s*\d+)+$")
RANGE_SEPARATOR = ".."
BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}
SHAPE_INPUT = re.compile(r"^\d+(?:x\d+){2,3}$")


# ---------------------------------------------------------------------------------------------
# Values: the claimed value as written, and the engine's measurement, in one comparable form.

@dataclass(frozen=True)
class Value:
    """A number, a shape (11x6), a yes/no, or a range `low .. high` of numbers."""

    kind: str  # "number" | "shape" | "bool" | "range"
    number: float = 0.0
    shape: tuple[int, ...] = ()
    flag: bool = False
    low: float = 0.0
    high: float = 0.0

    def __str__(self) -> str:
        if self.kind == "shape":
            return "x".join(str(n) for n in self.shape)
        if self.kind == "bool":
            return "yes" if self.flag else "no"
        if self.kind == "range":
            return f"{format_number(self.low)} .. {format_number(self.high)}"
        return format_number(self.number)


def format_number(number: float) -> str:
    if float(number).is_integer() and abs(number) < 1e18:
        return str(int(number))
    return f"{number:.6g}"


def number(value: float) -> Value:
    return Value("number", number=float(value))


def shape(dims: Iterable[int]) -> Value:
    return Value("shape", shape=tuple(int(d) for d in dims))


def flag(value: bool) -> Value:
    return Value("bool", flag=bool(value))


def parse_number(text: str) -> float:
    """`4608`, `2,458,624`, `0.72`, `1.2e8`, `2.42G` (decimal SI suffixes), `1/9`."""
    text = text.strip()
    fraction = FRACTION_PATTERN.match(text)
    if fraction:
        if int(fraction.group(2)) == 0:
            raise ValueError(f"division by zero in {text!r}")
        return float(Fraction(int(fraction.group(1)), int(fraction.group(2))))
    match = NUMBER_PATTERN.match(text)
    if not match:
        raise ValueError(f"not a number: {text!r} (forms: 4608, 2,458,624, 0.72, 1.2e8, "
                         "2.42G, 590K, 1/9)")
    return float(match.group(1).replace(",", "")) * SI_SUFFIX[match.group(2)]


def parse_value(text: str) -> Value:
    """A claimed value: yes/no, a shape `11x6`, a range `1/9 .. 1/8`, or a number."""
    text = text.strip()
    if text.lower() in BOOLEANS:
        return flag(BOOLEANS[text.lower()])
    if SHAPE_PATTERN.match(text):
        dims = [int(part) for part in re.split(r"\s*[x×]\s*", text)]
        if 0 in dims:
            raise ValueError(f"shape {text!r} has a zero dimension")
        return shape(dims)
    if RANGE_SEPARATOR in text:
        low_text, _, high_text = text.partition(RANGE_SEPARATOR)
        low, high = parse_number(low_text), parse_number(high_text)
        if low > high:
            raise ValueError(f"range {text!r} has its low end above its high end")
        return Value("range", low=low, high=high)
    return number(parse_number(text))


# ---------------------------------------------------------------------------------------------
# Parsing claim blocks.

@dataclass(frozen=True)
class Claim:
    source: str
    question: str
    file: str
    line: int  # the line of the ```claim fence
    what: str
    claimed: Value
    claimed_text: str
    quantity: str = ""
    check: str = ""
    input_shape: tuple[int, ...] = ()
    net: tuple[str, ...] = ()
    baseline: tuple[str, ...] = ()
    tolerance: float = 0.0
    expect: str = ""
    options: dict[str, str] = field(default_factory=dict, compare=False)
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def description(self) -> str:
        return self.what or (self.check or self.quantity)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


@dataclass
class _Fields:
    single: dict[str, tuple[str, int]] = field(default_factory=dict)
    repeated: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.single.get(key, (default, 0))[0]

    def line(self, key: str, fallback: int) -> int:
        if key in self.single:
            return self.single[key][1]
        if self.repeated.get(key):
            return self.repeated[key][0][1]
        return fallback


def _read_fields(file: str, block: Block) -> _Fields:
    fields = _Fields()
    for offset, raw in enumerate(block.content.splitlines()):
        line_no = block.line + 1 + offset
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            raise BankError(file, line_no, f"claim line must be 'key: value', got {text!r}")
        if key in REPEATABLE_KEYS:
            fields.repeated.setdefault(key, []).append((value, line_no))
        elif key in SINGLE_KEYS:
            if key in fields.single:
                raise BankError(file, line_no, f"claim key {key!r} given twice")
            fields.single[key] = (value, line_no)
        else:
            known = ", ".join(sorted(SINGLE_KEYS | REPEATABLE_KEYS))
            raise BankError(file, line_no, f"unknown claim key {key!r} (known: {known})")
        if not value:
            raise BankError(file, line_no, f"claim key {key!r} has no value")
    return fields


def _require(file: str, fields: _Fields, key: str, block_line: int) -> str:
    if key not in fields.single:
        raise BankError(file, block_line, f"claim block lacks required key {key!r}")
    return fields.get(key)


def _parse_source(file: str, fields: _Fields, question: Question, block_line: int) -> str:
    source = _require(file, fields, "source", block_line)
    line = fields.line("source", block_line)
    if not SOURCE_PATTERN.match(source):
        raise BankError(file, line, f"source {source!r} is not of the form 004#36")
    if source not in question.sources:
        cited = ", ".join(question.sources)
        raise BankError(file, line, f"claim source {source} is not among the question's "
                                    f"sources ({cited})")
    return source


def _parse_input(file: str, fields: _Fields, block_line: int) -> tuple[int, ...]:
    text = _require(file, fields, "input", block_line).replace("×", "x").replace(" ", "")
    if not SHAPE_INPUT.match(text):
        raise BankError(file, fields.line("input", block_line),
                        f"input must be CxHxW or NxCxHxW, got {text!r}")
    dims = tuple(int(part) for part in text.split("x"))
    if 0 in dims:
        raise BankError(file, fields.line("input", block_line), "input dimensions must be > 0")
    return dims if len(dims) == 4 else (1, *dims)


def _parse_kind(file: str, fields: _Fields, block_line: int) -> tuple[str, str]:
    """The claim is either a `check:` or a `quantity:` of the net (coverage takes no quantity)."""
    check, quantity = fields.get("check"), fields.get("quantity")
    if check and check not in CHECKS:
        raise BankError(file, fields.line("check", block_line),
                        f"unknown check {check!r} (known: {', '.join(sorted(CHECKS))})")
    if check and quantity:
        raise BankError(file, fields.line("quantity", block_line),
                        "a claim has either 'check:' or 'quantity:', not both")
    if not check and not quantity:
        raise BankError(file, block_line, "claim block needs 'quantity:' or 'check:'")
    if quantity:
        try:
            measured_quantity(quantity)
        except UnknownQuantity as error:
            raise BankError(file, fields.line("quantity", block_line), str(error)) from None
    return check, quantity


def _check_nets(file: str, fields: _Fields, check: str, block_line: int) -> None:
    has_net = bool(fields.repeated.get("net"))
    needs_net = not check or check == "coverage"
    if needs_net and not has_net:
        raise BankError(file, block_line, "claim block needs at least one 'net:' line")
    if not needs_net and has_net:
        raise BankError(file, fields.line("net", block_line),
                        f"check {check!r} runs its own layers; drop the 'net:' lines")
    if fields.repeated.get("baseline") and (check or not has_net):
        raise BankError(file, fields.line("baseline", block_line),
                        "'baseline:' divides a quantity of 'net:' by the same of the baseline")


def _parse_options(file: str, fields: _Fields, check: str, block_line: int) -> dict[str, str]:
    allowed = CHECK_OPTIONS.get(check, frozenset())
    options: dict[str, str] = {key: fields.get(key) for key in ("gamma", "beta", "norm", "groups")
               if key in fields.single}
    for key in options:
        if key not in allowed:
            raise BankError(file, fields.line(key, block_line),
                            f"key {key!r} does not apply to this claim")
    for key in sorted(allowed):
        if key not in options:
            raise BankError(file, block_line, f"check {check!r} needs '{key}:'")
    _check_option_values(file, fields, options, block_line)
    return options


def _check_option_values(file: str, fields: _Fields, options: dict[str, str], line: int) -> None:
    for key in ("gamma", "beta"):
        if key in options and options[key] not in BN_STATS:
            raise BankError(file, fields.line(key, line), f"{key} must be mean or std")
    if "norm" in options and options["norm"] not in NORMS:
        raise BankError(file, fields.line("norm", line), "norm must be layer or instance")
    groups = options.get("groups", "C")
    if groups != "C" and not groups.isdigit():
        raise BankError(file, fields.line("groups", line), "groups must be C or a number")


def _parse_claimed(
    file: str, fields: _Fields, check: str, quantity: str, block_line: int,
) -> Value:
    text = _require(file, fields, "claimed", block_line)
    line = fields.line("claimed", block_line)
    try:
        value = parse_value(text)
    except ValueError as error:
        raise BankError(file, line, str(error)) from None
    if check and value.kind != "bool":
        raise BankError(file, line, f"check {check!r} is claimed as yes or no, got {text!r}")
    numeric = {Form.COUNT, Form.SIZE}
    if quantity and form_of(quantity) in numeric and value.kind not in {"number", "range"}:
        raise BankError(file, line, f"{quantity} is claimed as a number, got {text!r}")
    if quantity and form_of(quantity) not in numeric and value.kind == "bool":
        raise BankError(file, line, f"{quantity} is claimed as a shape or number, got {text!r}")
    return value


def _parse_tolerance(file: str, fields: _Fields, block_line: int) -> float:
    text = fields.get("tolerance", "0")
    try:
        tolerance = float(text)
    except ValueError:
        tolerance = -1.0
    if not 0.0 <= tolerance < 1.0:
        raise BankError(file, fields.line("tolerance", block_line),
                        f"tolerance is a relative error in [0, 1), got {text!r}")
    return tolerance


def _parse_expect(file: str, fields: _Fields, block_line: int) -> str:
    expect = _require(file, fields, "expect", block_line)
    if expect not in EXPECTS:
        raise BankError(file, fields.line("expect", block_line),
                        f"expect must be agree, erratum or convention, got {expect!r}")
    return expect


def parse_claim(block: Block, question: Question) -> Claim:
    """One ```claim block of `question`; raises `BankError` at the offending line."""
    file, line = question.file, block.line
    fields = _read_fields(file, block)
    source = _parse_source(file, fields, question, line)
    check, quantity = _parse_kind(file, fields, line)
    _check_nets(file, fields, check, line)
    key_lines = {key: fields.line(key, line) for key in (*SINGLE_KEYS, *REPEATABLE_KEYS)}
    return Claim(
        source=source, question=question.id, file=file, line=line,
        what=fields.get("what"),
        claimed=_parse_claimed(file, fields, check, quantity, line),
        claimed_text=fields.get("claimed"),
        quantity=quantity, check=check,
        input_shape=_parse_input(file, fields, line),
        net=tuple(value for value, _ in fields.repeated.get("net", [])),
        baseline=tuple(value for value, _ in fields.repeated.get("baseline", [])),
        tolerance=_parse_tolerance(file, fields, line),
        expect=_parse_expect(file, fields, line),
        options=_parse_options(file, fields, check, line),
        key_lines=key_lines,
    )


def question_claims(question: Question) -> list[Claim]:
    return [parse_claim(block, question) for block in question.blocks
            if block.info == CLAIM_INFO]


def bank_claims(questions: Iterable[Question]) -> list[Claim]:
    return [claim for question in questions for claim in question_claims(question)]
