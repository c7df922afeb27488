"""``quiz check FILE|DIR``: grade filled-in Markdown sheets (one, or a folder: a class).

Exit 0 when every numeric item is right, 1 when some are wrong (or blank), 2 when a sheet cannot
be read or was changed (its problem is printed as file:line). Concept items are listed with their
reference answer for self-marking and do not count in the score.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.sheets.grading import SheetResult

EXIT_RIGHT, EXIT_WRONG, EXIT_UNREADABLE = 0, 1, 2


def _sheet_files(target: Path) -> list[Path]:
    if target.is_dir():
        return sorted(path for path in target.glob("*.md") if path.is_file())
    return [target]


def check_sheets(args: argparse.Namespace) -> int:
    from quiz.bank.errors import BankError
    from quiz.bank.parser import load_bank
    from quiz.commands.numeric import bank_dir
    from quiz.numeric import load_templates
    from quiz.sheets.grading import grade_sheet
    from quiz.sheets.reader import SheetFormatError, read_sheet

    target = Path(args.target)
    if not target.exists():
        print(f"quiz check: error: {target}: no such file or folder", file=sys.stderr)
        return EXIT_UNREADABLE
    files = _sheet_files(target)
    if not files:
        print(f"quiz check: error: {target}: no .md sheets in this folder", file=sys.stderr)
        return EXIT_UNREADABLE
    bank_path = args.bank or None
    try:
        questions = load_bank(bank_dir(bank_path))
    except BankError as error:
        print(f"quiz check: error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    templates = load_templates(questions)
    results: list[SheetResult] = []
    errors = 0
    for path in files:
        try:
            results.append(grade_sheet(read_sheet(path), questions, templates))
        except SheetFormatError as error:
            print(f"quiz check: error: {error}", file=sys.stderr)
            errors += 1
    _print(results, args, class_report=target.is_dir())
    if args.record and results:
        _record(args, bank_path, results)
    if errors:
        return EXIT_UNREADABLE
    return EXIT_RIGHT if all(result.all_right for result in results) else EXIT_WRONG


def _print(results: list[SheetResult], args: argparse.Namespace, class_report: bool) -> None:
    from quiz.sheets.report import class_csv, class_summary, class_text, sheet_text

    if not results and not class_report:
        return  # the one sheet could not be read: only its error is printed
    if args.csv:
        sys.stdout.write(class_csv(results))
    elif args.json:
        payload = ({"summary": class_summary(results), "sheets": [r.to_json() for r in results]}
                   if class_report else results[0].to_json())
        print(json.dumps(payload, ensure_ascii=False, indent=1))
    elif class_report:
        print(class_text(results))
    else:
        for result in results:
            print(sheet_text(result))


def _record(args: argparse.Namespace, bank_path: str | None, results: list[SheetResult]) -> None:
    from quiz.commands.recording import Answer, record_answers

    answers = [Answer(item.question_id, item.seed, item.answer, item.status,
                      item.suggested_rating)
               for result in results for item in result.items
               if item.suggested_rating and item.seed is not None]
    recorded, skipped = record_answers(args, bank_path, answers)
    note = f"，{skipped} 条此前已记录" if skipped else ""
    print(f"已记录 {recorded} 条复习{note}。", file=sys.stderr)
