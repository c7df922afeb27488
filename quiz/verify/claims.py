"""Run a parsed claim, compare with its claimed value, and judge the result against the bank.

One result type, `ClaimResult`: what the engine measured (`verdict`: agree / refuted / error)
and what that means for the bank (`status`: AGREE, CONVENTION, ERRATUM or FAIL, with a reason).
A claim block that does not parse is a FAIL naming its file:line; the other claims are still
checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from quiz.bank.claims import CLAIM_INFO, Claim, Value, number, parse_claim
from quiz.bank.errors import BankError
from quiz.bank.model import Question

AGREE, REFUTED, ERROR = "agree", "refuted", "error"
STATUS_AGREE, STATUS_CONVENTION = "AGREE", "CONVENTION"
STATUS_ERRATUM, STATUS_FAIL = "ERRATUM", "FAIL"
STATUSES = (STATUS_AGREE, STATUS_CONVENTION, STATUS_ERRATUM, STATUS_FAIL)


@dataclass(frozen=True)
class ClaimResult:
    """One claim, checked. `claim` is None when the block did not parse (then `file`, `line`
    and `reason` say why)."""

    claim: Claim | None
    file: str
    line: int
    verdict: str                 # agree | refuted | error (did not parse or run)
    status: str                  # AGREE | CONVENTION | ERRATUM | FAIL
    measured: Value | None = None
    reason: str = ""
    ran: str = ""
    detail: str = ""

    @property
    def source(self) -> str:
        return self.claim.source if self.claim else "?"

    @property
    def question(self) -> str:
        return self.claim.question if self.claim else "?"

    @property
    def description(self) -> str:
        return self.claim.description if self.claim else "(claim block does not parse)"

    @property
    def claimed_text(self) -> str:
        return self.claim.claimed_text if self.claim else "?"

    def to_json(self) -> dict[str, object]:
        claim = self.claim
        return {
            "source": self.source, "question": self.question, "file": self.file,
            "line": self.line, "description": self.description,
            "quantity": (claim.check or claim.quantity) if claim else None,
            "claimed": claim.claimed_text if claim else None,
            "measured": None if self.measured is None else str(self.measured),
            "verdict": self.verdict, "status": self.status, "reason": self.reason,
            "expect": claim.expect if claim else None, "ran": self.ran, "detail": self.detail,
        }


def agrees(claimed: Value, measured: Value, tolerance: float = 0.0) -> bool:
    """Does the engine's `measured` value bear out the `claimed` one?

    `tolerance` is relative (0.005 accepts 2.42G for 2,415,919,104); without it numbers must be
    equal up to float rounding. A single number stands for a square shape (`rf 5` = 5x5) and for
    a one-dimensional shape (a flattened length).
    """
    if measured.kind == "shape" and claimed.kind in {"number", "range"}:
        if len(set(measured.shape)) != 1:
            return False
        measured = number(measured.shape[0])
    if claimed.kind == "range":
        return measured.kind == "number" and claimed.low <= measured.number <= claimed.high
    if claimed.kind != measured.kind:
        return False
    if claimed.kind == "shape":
        return claimed.shape == measured.shape
    if claimed.kind == "bool":
        return claimed.flag == measured.flag
    allowed = max(tolerance * abs(claimed.number), 1e-9 * max(1.0, abs(claimed.number)))
    return math.isclose(measured.number, claimed.number, rel_tol=0.0, abs_tol=allowed)


def _has_erratum(question: Question, source: str) -> bool:
    return any(erratum.source == source for erratum in question.errata)


def _has_convention(question: Question, source: str) -> bool:
    return any(note.source == source for note in question.conventions)


def _status(claim: Claim, verdict: str, question: Question) -> tuple[str, str]:
    """A claim `expect: convention` is written in the convention of its source's 口径 note (e.g.
    004#12's "FLOPs" as multiply-adds): it must agree there, and is reported CONVENTION."""
    if claim.expect == "convention" and not _has_convention(question, claim.source):
        return STATUS_FAIL, ("expect: convention, but the answer has no 口径 note for "
                             f"{claim.source}")
    if verdict == REFUTED and not _has_erratum(question, claim.source):
        hint = (" (it has a 口径 note: state the claim in that convention)"
                if _has_convention(question, claim.source) else "")
        return STATUS_FAIL, (f"the engine refutes {claim.source} but the answer has no erratum "
                             f"for it{hint}")
    if claim.expect == "convention":
        if verdict == REFUTED:
            return STATUS_FAIL, "the engine refutes a claim stated in its source's convention"
        return STATUS_CONVENTION, ""
    stated = "erratum" if verdict == REFUTED else "agree"
    if claim.expect != stated:
        return STATUS_FAIL, f"the bank expects {claim.expect}, the engine says {verdict}"
    return (STATUS_ERRATUM if verdict == REFUTED else STATUS_AGREE), ""


def check_claim(claim: Claim, question: Question, seed: int = 0) -> ClaimResult:
    """Run what the claim names, compare with its claimed value, judge against `question`."""
    from quiz.verify import runs  # NumPy and the engine load only when a claim runs

    try:
        measured, ran, detail = runs.measure(claim, seed)
    except (ValueError, ImportError, MemoryError, RecursionError) as error:
        return ClaimResult(claim, claim.file, claim.line, ERROR, STATUS_FAIL,
                           reason=f"could not run: {type(error).__name__}: {error}")
    verdict = AGREE if agrees(claim.claimed, measured, claim.tolerance) else REFUTED
    status, reason = _status(claim, verdict, question)
    return ClaimResult(claim, claim.file, claim.line, verdict, status, measured, reason, ran,
                       detail)


def check_bank(questions: Iterable[Question], seed: int = 0) -> list[ClaimResult]:
    """Every claim block of the bank, checked; a block that does not parse is a FAIL."""
    results: list[ClaimResult] = []
    for question in questions:
        for block in question.blocks:
            if block.info != CLAIM_INFO:
                continue
            try:
                claim = parse_claim(block, question)
            except BankError as error:
                results.append(ClaimResult(None, error.file, error.line, ERROR, STATUS_FAIL,
                                           reason=error.message))
                continue
            results.append(check_claim(claim, question, seed))
    return results
