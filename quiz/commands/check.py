"""``quiz check --bank [PATH]``: run every ```claim block of the bank through the engine.

One line per claim: AGREE (the engine bears the source out), CONVENTION (it does so in the
convention of the source's 口径 note, e.g. "FLOPs" counted as multiply-adds), ERRATUM (the engine
refutes it and the answer carries an erratum for that source) or FAIL (refuted without an
erratum, the claim's `expect:` disagrees with the engine, or the claim could not run). Exit
status 1 on any FAIL. NumPy and the engine are imported inside :func:`run` so that
``quiz --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.verify import ClaimResult

__all__ = ["register", "run"]

def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="check the sources' numeric claims in the bank against the engine",
        description="Run every ```claim block of the bank through the NumPy engine and report "
                    "AGREE / ERRATUM / FAIL per claim (exit 1 on any FAIL).",
    )
    parser.add_argument("target", nargs="?", default=None, metavar="FILE|DIR",
                        help="a filled-in Markdown sheet, or a folder of them (a class): grade "
                             "it (exit 0 all right, 1 some wrong, 2 unreadable)")
    parser.add_argument("--bank", "--path", dest="bank", nargs="?", const="", default="",
                        metavar="PATH", help="bank directory (default: the bundled bank)")
    parser.add_argument("--json", action="store_true", help="one JSON object with every claim")
    parser.add_argument("--csv", action="store_true", help="sheets: one CSV row per item")
    parser.add_argument("--record", action="store_true",
                        help="sheets: log each sheet's graded items as reviews of its student")
    parser.add_argument("--add-learners", action="store_true",
                        help="sheets, with --record: make learners of students not yet known")
    parser.add_argument("--mixed", action="store_true",
                        help="sheets: grade a folder that mixes classes (seeds) in one report")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print what ran and why a claim failed in full")
    parser.set_defaults(handler=run)


def _bank_dir(path: str) -> Path:
    from quiz.paths import bundled_bank_dir

    return Path(path) if path else bundled_bank_dir()


def _summary(outcomes: list[ClaimResult]) -> dict[str, int]:
    from quiz.verify import STATUSES

    counts = Counter(outcome.status for outcome in outcomes)
    return {"claims": len(outcomes), **{status.lower(): counts[status] for status in STATUSES}}


def _line(outcome: ClaimResult) -> str:
    measured = "—" if outcome.measured is None else str(outcome.measured)
    text = (f"{outcome.status:<10} {outcome.source:<7} {outcome.question:<26} "
            f"claimed {outcome.claimed_text} · engine {measured} · {outcome.description}")
    if outcome.reason:
        text += f"\n           {outcome.file}:{outcome.line}: {outcome.reason}"
    return text


def _print_text(outcomes: list[ClaimResult], verbose: bool) -> None:
    from quiz.render.safe import safe_text  # lines quote the bank: the gate for outside text

    for outcome in outcomes:
        print(safe_text(_line(outcome)))
        if verbose and outcome.ran:
            detail = f" ({outcome.detail})" if outcome.detail else ""
            print(safe_text(f"           ran: {outcome.ran}{detail}"))
    summary = _summary(outcomes)
    print(f"{summary['claims']} claims: {summary['agree']} agree, "
          f"{summary['convention']} convention, {summary['erratum']} erratum, "
          f"{summary['fail']} fail")


def run(args: argparse.Namespace) -> int:
    if args.target is not None:
        from quiz.commands.sheet_check import check_sheets

        return check_sheets(args)
    from quiz.bank.parser import load_bank
    from quiz.render.safe import safe_json
    from quiz.verify import STATUS_FAIL, check_bank

    outcomes = check_bank(load_bank(_bank_dir(args.bank)))
    if args.json:
        print(safe_json({"summary": _summary(outcomes),
                         "claims": [outcome.to_json() for outcome in outcomes]}))
    else:
        _print_text(outcomes, args.verbose)
    return 1 if any(outcome.status == STATUS_FAIL for outcome in outcomes) else 0
