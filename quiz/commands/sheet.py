"""``quiz sheet``: practice sheets (one per student) and their answer keys.

    quiz sheet [--topic T…] [--ids ID…] [--numeric | --concept] [--difficulty D] [--count N]
               [--seed S] [--students K | --roster FILE] [--format md|html|pdf] [--key] [-o DIR]

The seed chooses the questions (the same for the whole class) and, with the student's number,
every numeric instance (different for each student). It is printed on every sheet, with the
command that makes the sheet again. Markdown sheets are what `quiz check` reads back.
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys
from datetime import date as date_type
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz.commands._args import positive_int

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.sheets.model import Sheet

__all__ = ["register", "run"]

DEFAULT_TITLE = "CNN 面试练习"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sheet", help="practice sheets per student, with answer keys (md / html / pdf)",
        description="Write one practice sheet per student and, with --key, their answer keys. "
                    "The seed (printed on each sheet) makes every sheet again exactly.")
    parser.add_argument("--topic", nargs="+", default=[], metavar="T",
                        help="only these topics (first tag, e.g. 感受野)")
    parser.add_argument("--ids", nargs="+", default=[], metavar="ID",
                        help="exactly these questions, in this order")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--numeric", action="store_const", const="numeric", dest="kind",
                      help="only numeric questions (fresh numbers per student)")
    kind.add_argument("--concept", action="store_const", const="concept", dest="kind",
                      help="only concept questions")
    parser.add_argument("--difficulty", type=int, default=None, metavar="D",
                        help="only questions of this difficulty (1-5)")
    parser.add_argument("--count", type=positive_int, default=10, help="questions (default 10)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the class set (default: random, printed)")
    students = parser.add_mutually_exclusive_group()
    students.add_argument("--students", type=positive_int, default=1, metavar="K",
                          help="sheets for K students, numbered 1..K (default 1)")
    students.add_argument("--roster", default=None, metavar="FILE",
                          help="one student name per line (their order numbers the sheets)")
    parser.add_argument("--format", choices=("md", "html", "pdf"), default="md")
    parser.add_argument("--key", action="store_true", help="also write the answer keys")
    parser.add_argument("-o", "--output", default="sheets", metavar="DIR",
                        help="output folder (default ./sheets)")
    parser.add_argument("--title", default=DEFAULT_TITLE, help="title on every sheet")
    parser.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                        help="date on the sheets (default today)")
    parser.add_argument("--path", default=None, help="bank directory (default: bundled)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from quiz.sheets.select import SelectionError

    try:
        sheets = make_sheets(args)
        written = write_sheets(sheets, args.format, args.key, Path(args.output))
    except (SelectionError, SheetCommandError) as error:
        print(f"quiz sheet: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"quiz sheet: error: cannot write {error.filename}: {error.strerror}",
              file=sys.stderr)
        return 2
    print(f"seed {sheets[0].seed}: {len(sheets)} sheet(s) of {len(sheets[0].items)} questions")
    for path in written:
        print(f"  {path}")
    return 0


class SheetCommandError(ValueError):
    """Options or inputs that cannot make a sheet."""


def _roster(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise SheetCommandError(f"cannot read the roster {path}: {error}") from None
    names = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not names:
        raise SheetCommandError(f"{path}: the roster has no names")
    return names


def _date(text: str | None) -> str:
    if text is None:
        return date_type.today().isoformat()
    try:
        return date_type.fromisoformat(text).isoformat()
    except ValueError:
        raise SheetCommandError(f"--date {text!r}: expected YYYY-MM-DD") from None


def command_line(args: argparse.Namespace, seed: int, day: str) -> str:
    """The `quiz sheet` command that makes these sheets again (without output options)."""
    words = ["quiz", "sheet", "--seed", str(seed)]
    if args.ids:
        words += ["--ids", *args.ids]
    else:
        words += ["--count", str(args.count)]
        if args.topic:
            words += ["--topic", *args.topic]
        if args.kind:
            words.append(f"--{args.kind}")
        if args.difficulty is not None:
            words += ["--difficulty", str(args.difficulty)]
    words += ["--roster", args.roster] if args.roster else ["--students", str(args.students)]
    if args.title != DEFAULT_TITLE:
        words += ["--title", args.title]
    if args.path:
        words += ["--path", args.path]
    return shlex.join([*words, "--date", day])


def make_sheets(args: argparse.Namespace) -> list[Sheet]:
    from quiz.bank.parser import load_bank
    from quiz.commands.numeric import bank_dir
    from quiz.numeric import load_templates
    from quiz.sheets.select import Selection, build_sheet, select_questions

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    if seed < 0:
        raise SheetCommandError("--seed must not be negative")
    names = _roster(args.roster) if args.roster else [""] * args.students
    day = _date(args.date)
    questions = load_bank(bank_dir(args.path))
    templates = load_templates(questions)
    selection = Selection(topics=tuple(args.topic), ids=tuple(args.ids), kind=args.kind,
                          difficulty=args.difficulty, count=args.count)
    chosen = select_questions(questions, selection, seed)
    command = command_line(args, seed, day)
    return [build_sheet(chosen, templates, seed=seed, student_number=number,
                        class_size=len(names), student_name=name, title=args.title, date=day,
                        command=command)
            for number, name in enumerate(names, start=1)]


def write_sheets(sheets: list[Sheet], fmt: str, key: bool, folder: Path) -> list[Path]:
    """Markdown: one file per student (keys under keys/); HTML and PDF: one file of sheets and
    one of keys, each student starting on a new page."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        return _write_markdown(sheets, key, folder)
    from quiz.sheets.html import keys_html, sheets_html

    documents = [("sheets", sheets_html(sheets))] + ([("keys", keys_html(sheets))] if key else [])
    if fmt == "html":
        written = []
        for name, text in documents:
            path = folder / f"{name}.html"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written
    from quiz.sheets.pdf import PdfUnavailable, write_pdf

    try:
        return [write_pdf(kind, sheets, folder / f"{kind}.pdf") for kind, _ in documents]
    except PdfUnavailable as error:
        raise SheetCommandError(str(error)) from None


def _write_markdown(sheets: list[Sheet], key: bool, folder: Path) -> list[Path]:
    from quiz.sheets.markdown import key_markdown, sheet_markdown

    width = max(2, len(str(len(sheets))))
    written = []
    for sheet in sheets:
        path = folder / f"sheet-{sheet.student_number:0{width}d}.md"
        path.write_text(sheet_markdown(sheet), encoding="utf-8")
        written.append(path)
        if key:
            keys = folder / "keys"
            keys.mkdir(exist_ok=True)
            key_path = keys / f"key-{sheet.student_number:0{width}d}.md"
            key_path.write_text(key_markdown(sheet), encoding="utf-8")
            written.append(key_path)
    return written
