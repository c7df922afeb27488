"""Checking the bank's ```claim blocks against the NumPy engine.

`quiz.bank` parses claims; this package runs them (through the one runner of `quiz.measure`)
and judges each against the bank: AGREE, CONVENTION, ERRATUM or FAIL. Importing this package
loads neither NumPy nor the engine; they load when the first claim runs.
"""

from quiz.verify.claims import (
    STATUS_AGREE,
    STATUS_CONVENTION,
    STATUS_ERRATUM,
    STATUS_FAIL,
    STATUSES,
    ClaimResult,
    agrees,
    check_bank,
    check_claim,
)

__all__ = [
    "STATUSES", "STATUS_AGREE", "STATUS_CONVENTION", "STATUS_ERRATUM", "STATUS_FAIL",
    "ClaimResult", "agrees", "check_bank", "check_claim",
]
