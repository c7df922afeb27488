"""``quiz mark DIR``: mark the concept answers of a class in a full-screen view, item by item
across the class (item 1 for every student, then item 2, …), saving each mark at once to
marks.json beside the sheets, where `quiz check` reads it.

Exit 0 when every mark made is saved; 1 when the last marks could not be saved (the teacher
chose to quit anyway); 2 when there is nothing to mark (no folder, no sheets, no concept items,
an unreadable marks.json) or when some sheets could not be read (they are listed; the others
were marked).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.tui.mark.model import ClassToMark, Refused

__all__ = ["register", "run"]

EXIT_UNSAVED, EXIT_UNREADABLE = 1, 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mark", help="mark the concept answers of a class, item by item (full screen)",
        description="Walk the concept items of the filled-in sheets in DIR item by item across "
                    "the class, each answer beside the reference answer: 1/y 对, 2/h 半对, "
                    "3/n 错, s a score (7/10), N a note, u undo, ←/→ move, q quit. Marks are "
                    "saved after every key to DIR/marks.json, which `quiz check` reads.")
    parser.add_argument("folder", metavar="DIR", help="the folder of filled-in Markdown sheets")
    parser.add_argument("--bank", "--path", dest="bank", default=None, metavar="PATH",
                        help="bank directory (default: the bundled bank)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from quiz.tui.mark.app import make_mark_app
    from quiz.tui.mark.loading import MarkSetupError

    try:
        app = make_mark_app(folder=Path(args.folder), bank_path=args.bank)
    except MarkSetupError as error:
        print(f"quiz mark: error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    refused = app.marking.refused
    _print_refused(refused)  # before the terminal is taken, and again after
    app.run()
    code = app.return_code or 0
    if code == EXIT_UNSAVED:
        print("quiz mark: error: the last marks were NOT saved (see the message on screen); "
              f"{app.marking.folder / 'marks.json'} holds the marks saved before",
              file=sys.stderr)
    else:
        _print_summary(app.marking, app.mark_screen.marked)
    if refused:
        _print_refused(refused)
        return max(code, EXIT_UNREADABLE)
    return code


def _print_refused(refused: tuple[Refused, ...]) -> None:
    for sheet in refused:
        print(f"quiz mark: error: {sheet.reason}", file=sys.stderr)
    if refused:
        print(f"quiz mark: {len(refused)} sheet(s) left out; the others can be marked",
              file=sys.stderr)


def _print_summary(marking: ClassToMark, marked: int) -> None:
    from quiz.sheets.marks import MARKS_FILE

    print(f"marked {marked}/{len(marking.answers)} concept answers of {marking.students} "
          f"student(s); saved in {marking.folder / MARKS_FILE}")
