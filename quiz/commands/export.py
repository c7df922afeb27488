"""``quiz export`` and ``quiz import-history``: data in and out.

    quiz export --anki FILE.apkg [--path BANK]   the bank as an Anki deck
    quiz export --json FILE                      the whole history and card states (lossless)
    quiz export --csv FILE                       the review log for FSRS optimisers
    quiz import-history FILE                     load a --json export into a database without
                                                 reviews (one transaction; see quiz.store.history)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]

def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export", help="export the bank to Anki, the history to JSON or the review log to CSV",
        description="Write one or more exports: --anki (the bank as an .apkg deck), --json (the "
                    "whole database: history and card states), --csv (the review log in the "
                    "columns FSRS optimisers read).")
    export.add_argument("--anki", metavar="FILE.apkg", help="Anki deck of the bank")
    export.add_argument("--json", metavar="FILE", help="history and card states as JSON")
    export.add_argument("--csv", metavar="FILE",
                        help="review log: card_id, review_time, review_rating, review_state, "
                             "review_duration")
    export.add_argument("--path", default=None, help="bank directory for --anki "
                                                     "(default: bundled)")
    export.set_defaults(handler=run)
    imported = subparsers.add_parser(
        "import-history", help="load a `quiz export --json` file into the database",
        description="Load an exported history into a database that has no reviews yet "
                    "(all or nothing). A file from a newer quiz is refused.")
    imported.add_argument("file", help="the JSON file written by quiz export --json")
    imported.set_defaults(handler=run_import)


def _error(message: str, code: int = 2) -> int:
    """One line on stderr; it quotes file names and what a history file holds (table and column
    names, values), so it passes the gate for outside text."""
    from quiz.render.safe import safe_text

    print(safe_text(f"quiz: error: {message}"), file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    if not (args.anki or args.json or args.csv):
        return _error("quiz export needs --anki FILE, --json FILE or --csv FILE")
    try:
        if args.anki:
            _export_anki(Path(args.anki), args.path)
        if args.json or args.csv:
            _export_store(args)
    except OSError as error:  # every write goes through atomic_target: it names the file
        return _error(f"cannot write {error.filename}: {error.strerror}")
    return 0


def _export_anki(path: Path, bank_path: str | None) -> None:
    from quiz.bank.parser import load_bank
    from quiz.commands.numeric import bank_dir
    from quiz.numeric import load_templates
    from quiz.sheets.anki import write_apkg
    from quiz.sheets.marks import atomic_target

    questions = load_bank(bank_dir(bank_path))
    templates = load_templates(questions)
    with atomic_target(path) as temporary:  # genanki writes the temporary file, then a rename
        counts = write_apkg(questions, templates, temporary)
    print(f"{path}: {counts['concept']} concept notes, {counts['numeric']} numeric notes")


def _export_store(args: argparse.Namespace) -> None:
    from quiz.cli import _open_db
    from quiz.sheets.marks import atomic_target, write_atomically
    from quiz.store.history import reviews_csv, write_history

    db = _open_db(args)
    try:
        if args.json:
            path = Path(args.json)
            # Rows are written as the database hands them out: a long history is never held
            # whole in memory; the file appears (renamed into place) only once complete.
            with atomic_target(path) as temporary, \
                    temporary.open("w", encoding="utf-8", newline="\n") as out:
                rows = write_history(db, out)
            print(f"{args.json}: " + ", ".join(f"{n} {name}" for name, n in rows.items()))
        if args.csv:
            text = reviews_csv(db)
            write_atomically(Path(args.csv), text)
            print(f"{args.csv}: {text.count(chr(10)) - 1} reviews")
    finally:
        db.close()


def run_import(args: argparse.Namespace) -> int:
    """Refusals name the file and, for a bad value, its table, row and field; a refused file
    leaves the database as it was (a database file this command made is removed again)."""
    from quiz.cli import _open_db
    from quiz.files import FileRefused
    from quiz.store.history import import_history, open_history, read_header
    from quiz.store.history_file import HistoryError

    try:
        handle = open_history(args.file)
    except FileRefused as error:
        return _error(str(error))
    with handle:
        try:
            read_header(handle)  # before the database is opened (or made)
        except HistoryError as error:
            return _error(f"{args.file}: {error}", code=1)
        made = _new_sqlite_file(args)
        db = _open_db(args, create=True)
        try:
            counts = import_history(db, handle)
        except BaseException as error:
            db.close()
            _remove_made(made)  # the transaction was rolled back: nothing in it is kept
            if isinstance(error, HistoryError):
                return _error(f"{args.file}: {error}; nothing was changed", code=1)
            raise
        db.close()
    print(f"{args.file}: imported " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    return 0


def _new_sqlite_file(args: argparse.Namespace) -> Path | None:
    """The SQLite file of the target when it does not exist yet (this import would make it)."""
    from quiz.paths import default_db_url
    from quiz.store.sqlite_files import sqlite_path

    path = sqlite_path(getattr(args, "db", None) or default_db_url())
    return path if path is not None and not path.exists() else None


def _remove_made(path: Path | None) -> None:
    if path is None:
        return
    for name in (path, *(path.with_name(path.name + suffix)
                         for suffix in ("-wal", "-shm", "-journal"))):
        name.unlink(missing_ok=True)
