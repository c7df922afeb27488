"""The `quiz` command. Heavy modules (textual, numpy, sqlalchemy) are imported only inside the
commands that need them, so `quiz --help` and `quiz --version` start fast."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from quiz import __version__

if TYPE_CHECKING:
    from quiz.bank.model import Question
    from quiz.store.db import Database

# Subcommands that live in their own modules: each exposes register(subparsers) and run(args).
PLUGIN_COMMANDS = (
    "quiz.commands.learners",
    "quiz.commands.class_view",
    "quiz.commands.mistakes",
    "quiz.commands.calc",
    "quiz.commands.numeric",
    "quiz.commands.practice",
    "quiz.commands.check",
    "quiz.commands.sheet",
    "quiz.commands.export",
    "quiz.commands.doctor",
    "quiz.commands.backup",
    "quiz.commands.mark",
)

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A failure to report as `quiz: error: …` with exit code 1."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _open_db(args: argparse.Namespace, create: bool = False, *,
             new_learner: bool = False) -> Database:
    """The database of --db / QUIZ_DB / the default location, as the learner of --learner /
    QUIZ_LEARNER (default: the default learner). The default location is quiz's own, so any
    command may create it on a first run; an explicit path that does not exist is created only
    by commands meant to create one (`create`), since it is more likely a typo. Likewise an
    unknown learner is made only by commands that study (`new_learner`); the others refuse it."""
    import os

    from quiz.paths import DB_ENV, default_db_url
    from quiz.store.db import open_database
    from quiz.store.learners import resolve_learner

    explicit = getattr(args, "db", None) is not None or bool(os.environ.get(DB_ENV, "").strip())
    db = open_database(getattr(args, "db", None) or default_db_url(),
                       create=create or not explicit)
    try:
        return resolve_learner(db, learner_name(args), _now(), create=new_learner)
    except BaseException:
        db.close()
        raise


def learner_name(args: argparse.Namespace) -> str | None:
    """--learner, else $QUIZ_LEARNER, else None (the default learner)."""
    import os

    from quiz.store.learners import LEARNER_ENV

    return getattr(args, "learner", None) or os.environ.get(LEARNER_ENV, "").strip() or None


def _bank_dir(path: str | None) -> Path:
    from quiz.paths import bundled_bank_dir

    return Path(path) if path else bundled_bank_dir()


def _load_bank(path: str | None) -> list[Question]:
    from quiz.bank.parser import load_bank

    return load_bank(_bank_dir(path))


def _bank_key(path: str | None) -> str:
    return "bundled" if path is None else str(Path(path).resolve())


def cmd_import(args: argparse.Namespace) -> int:
    from quiz.bank.parser import BankError, display_path
    from quiz.store.sync import import_bank

    directory = _bank_dir(args.path)
    if not directory.is_dir():  # before a database is created for nothing
        raise BankError(display_path(directory), 0, "bank directory does not exist")
    db = _open_db(args, create=True)
    try:
        report = import_bank(db, directory, _bank_key(args.path), _now())
    finally:
        db.close()
    print(f"{directory}: {report.questions} questions; {report.summary()}")
    for label, ids in (("added", report.added), ("changed", report.changed),
                       ("retired", report.retired), ("revived", report.revived)):
        if ids:
            print(f"  {label}: {_id_list(ids, everything=args.verbose)}")
    return 0


def _id_list(ids: list[str], everything: bool, shown: int = 12) -> str:
    if everything or len(ids) <= shown:
        return ", ".join(ids)
    return f"{', '.join(ids[:shown])} … and {len(ids) - shown} more (-v lists all)"


def _sync_bundled_on_first_run(db: Database) -> None:
    """An empty database gets the bundled bank, as the TUI's first start would give it, so
    that `quiz due` before the first TUI start already sees the questions."""
    from quiz.store.counts import is_empty

    if is_empty(db):
        from quiz.store.sync import import_bank

        import_bank(db, _bank_dir(None), "bundled", _now())


def cmd_due(args: argparse.Namespace) -> int:
    from quiz.render.safe import safe_text
    from quiz.store.counts import due_cards, due_counts
    from quiz.store.damage import undatable_due
    from quiz.store.settings import load_settings

    db = _open_db(args)
    try:
        _sync_bundled_on_first_run(db)
        now = _now()
        settings = load_settings(db)
        summary = due_counts(db, now, settings)
        due = due_cards(db, now, limit=None if args.json else args.limit)
        damaged = undatable_due(db)
    finally:
        db.close()
    if args.json:
        print(json.dumps({"due": summary.due, "new": summary.new, "total": summary.total,
                          "learning": summary.learning,
                          "due_ids": [item.id for item in due]}, ensure_ascii=False))
        return _warn_damaged(damaged)
    print(f"due {summary.due} · new {summary.new} · total {summary.total}")
    for item in due:
        print(f"  {safe_text(item.id):<28} {safe_text(item.title)}")
    return _warn_damaged(damaged)


def _warn_damaged(damaged: str | None) -> int:
    """A card left out of the counts because its row is damaged: said, and exit 1."""
    if damaged is None:
        return 0
    from quiz.render.safe import safe_text

    print(f"quiz: warning: {safe_text(damaged)}", file=sys.stderr)
    return 1


def cmd_bank_list(args: argparse.Namespace) -> int:
    questions = _load_bank(args.path)
    if args.json:
        from quiz.render.safe import safe_json

        print(safe_json([q.to_json() for q in questions]))
        return 0
    from quiz.render.safe import safe_text

    for question in questions:
        print(f"{safe_text(question.id):<28} {_pad(safe_text(question.tags[0]), 14)} "
              f"{safe_text(question.title)}")
    return 0


def cmd_bank_stats(args: argparse.Namespace) -> int:
    from collections import Counter

    from quiz.render.safe import safe_text

    questions = _load_bank(args.path)
    print(f"{len(questions)} questions")
    for title, counter in (
        ("topic", Counter(q.tags[0] for q in questions)),
        ("origin", Counter(q.origin.value for q in questions)),
        ("kind", Counter(q.kind.value for q in questions)),
        ("difficulty", Counter(str(q.difficulty) for q in questions)),
    ):
        print(f"\nper {title}:")
        for name, count in counter.most_common():
            print(f"  {_pad(safe_text(name), 16)} {count:>4}")
    return 0


def _pad(text: str, width: int) -> str:
    """Left-align in terminal cells: CJK characters take two cells."""
    import unicodedata

    cells = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(width - cells, 0)


def cmd_tui(args: argparse.Namespace) -> int:
    import gc

    db_url = args.db
    if db_url is None:
        from quiz.paths import default_db_url

        db_url = default_db_url()
    # Textual's and SQLAlchemy's imports and the store's open allocate a great deal and free
    # little: no collection meanwhile, and what they made is then set aside (`gc.freeze`) for
    # later collections to skip: about 50 ms (8-9 %) less to home painted.
    gc.disable()
    try:
        from quiz.tui.context import refuse_read_only

        # A database the TUI will not open is refused before the day's copy is made (a copy of
        # a file nobody can study in would only take room).
        refuse_read_only(db_url)
        backup_warning = _daily_backup(db_url)  # before the store opens: it may write (sync)
        from quiz.tui.app import make_app

        # The store opens here, before the terminal is taken, and home counts as it mounts:
        # one process, one start. A store that cannot open is reported by `_run_handler` like
        # any other failure, as one message with exit code 1 (the backup's failure then goes
        # unsaid: the store's error is the one to act on).
        app = make_app(db_url=db_url, bank_dir=_bank_dir(None), sync_bank_on_start=True,
                       learner=learner_name(args))
    finally:
        gc.freeze()
        gc.enable()
    try:
        app.run()
    finally:
        gc.unfreeze()
        if backup_warning is not None:  # after the app, where the learner can read it
            print(f"quiz: warning: no daily backup made: {backup_warning}", file=sys.stderr)
    return app.return_code or 0


def _daily_backup(db_url: str) -> str | None:
    """The first start of a day copies the database before anything can change it (the newest
    7 copies are kept). A copy that fails must not keep the learner from studying: the reason is
    returned, to be shown as a warning."""
    from quiz.store.backup import auto_backup

    try:
        auto_backup(db_url, datetime.now().astimezone())
    except Exception as error:
        return str(error)
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quiz",
        description="CNN interview questions with spaced repetition. Without a command: the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"quiz {__version__}")
    parser.add_argument("--db", metavar="URL", default=None,
                        help="SQLAlchemy database URL (default: $QUIZ_DB or an SQLite file in "
                             "the user data directory)")
    parser.add_argument("--learner", metavar="NAME", default=None,
                        help="study as this learner (default: $QUIZ_LEARNER or the default "
                             "learner); a new name is made when it first studies")
    parser.set_defaults(handler=cmd_tui)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    imp = commands.add_parser("import", help="sync a bank directory into the database")
    imp.add_argument("path", nargs="?", default=None, help="bank directory (default: bundled)")
    imp.add_argument("-v", "--verbose", action="store_true",
                     help="list every id touched (default: the first 12 of each kind)")
    imp.set_defaults(handler=cmd_import)

    due = commands.add_parser("due", help="how many cards are due, and which")
    due.add_argument("--json", action="store_true")
    due.add_argument("--limit", type=int, default=20)
    due.set_defaults(handler=cmd_due)

    bank = commands.add_parser("bank", help="inspect the question bank")
    bank_commands = bank.add_subparsers(title="bank commands", metavar="COMMAND", required=True)
    bank_list = bank_commands.add_parser("list", help="list the questions")
    bank_list.add_argument("--json", action="store_true", help="a JSON array, one object each")
    bank_list.add_argument("--path", default=None, help="bank directory (default: bundled)")
    bank_list.set_defaults(handler=cmd_bank_list)
    bank_stats = bank_commands.add_parser("stats", help="questions per topic, origin and kind")
    bank_stats.add_argument("--path", default=None, help="bank directory (default: bundled)")
    bank_stats.set_defaults(handler=cmd_bank_stats)

    for module_name in PLUGIN_COMMANDS:
        module = importlib.import_module(module_name)
        module.register(commands)
        command = commands.choices.get(module_name.rsplit(".", 1)[-1])
        if command is not None and command.get_default("handler") is None:
            command.set_defaults(handler=module.run)
    _accept_db_everywhere(commands)
    return parser


def _accept_db_everywhere(commands: argparse._SubParsersAction) -> None:
    """`quiz due --db URL --learner NAME` as well as `quiz --db URL --learner NAME due`: every
    subcommand takes --db and --learner, and leaves the top-level value alone when it is not
    given (SUPPRESS)."""
    for command in set(commands.choices.values()):
        if not any("--db" in action.option_strings for action in command._actions):
            command.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                                 help="SQLAlchemy database URL (as before the command)")
        if not any("--learner" in action.option_strings for action in command._actions):
            command.add_argument("--learner", metavar="NAME", default=argparse.SUPPRESS,
                                 help="the learner (as before the command)")
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _accept_db_everywhere(action)


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors whose message is for the user. The bank's is looked up only when its module
    is loaded (it is, whenever one was raised): importing the bank package for this alone cost
    every command 30 ms, a tenth of `quiz due`."""
    from quiz.store import StoreError

    bank = sys.modules.get("quiz.bank.errors")
    return (StoreError, CommandError, *((bank.BankError,) if bank is not None else ()))


def _run_handler(args: argparse.Namespace) -> int:
    handler: Handler = args.handler
    try:
        return handler(args)
    except Exception as error:
        if _permission_denied(error):
            print("quiz: error: the database refused this for your role (permission denied): "
                  "in a class on PostgreSQL, only the teacher can do it", file=sys.stderr)
            return 1
        if not isinstance(error, _user_errors()):
            plain = _plain_store_failure(args, error)
            if plain is not None:
                print(f"quiz: error: {plain}", file=sys.stderr)
                return 1
            return _report_damage(args, error)
        print(f"quiz: error: {error}", file=sys.stderr)
        return 1


def _plain_store_failure(args: argparse.Namespace, error: Exception) -> str | None:
    """A write or read the store refused for a plain cause (a read-only database, a full disk,
    a lock held elsewhere): one line naming the file and the cause (`error_message`, the one
    place store failures become words). Its transaction rolled back: nothing is half-written.
    The store's module is loaded whenever it raised one of these."""
    store = sys.modules.get("quiz.store.db")
    if store is None:
        return None
    from quiz.paths import default_db_url

    return store.plain_failure_message(error, getattr(args, "db", None) or default_db_url())


def _permission_denied(error: BaseException) -> bool:
    """PostgreSQL's insufficient_privilege (SQLSTATE 42501): a student's role of a class
    server (`quiz class setup`) tried what only the teacher may."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) == "42501"


def _report_damage(args: argparse.Namespace, error: Exception) -> int:
    """A damaged row (due='garbage', tags='not json', …) makes reading it raise: name the row
    and field instead of a traceback. Errors damage does not explain re-raise."""
    damage = _damage_message(args, error)
    if damage is None:
        raise error
    print(f"quiz: error: {damage}", file=sys.stderr)
    return 1


def _damage_message(args: argparse.Namespace, error: Exception) -> str | None:
    from quiz.paths import default_db_url
    from quiz.store.damage import damage_message

    return damage_message(error, getattr(args, "db", None) or default_db_url())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run_handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
