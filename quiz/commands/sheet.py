"""``quiz sheet``: practice sheets (one per student) and their answer keys.

    quiz sheet [--topic T…] [--ids ID…] [--numeric | --concept] [--difficulty D] [--count N]
               [--seed S] [--students K | --roster FILE] [--format md|html|pdf] [--key]
               [-o DIR] [--force]

The seed chooses the questions (the same for the whole class) and, with the student's number,
every numeric instance (different for each student). It is printed on every sheet, with the
command that makes the sheet again. Markdown sheets are what `quiz check` reads back; each
carries what grading needs (quiz.sheets.meta), and `manifest.json` beside the sheets lists the
class as printed. A folder that already holds sheets is refused unless --force: filled-in sheets
are never overwritten by accident.
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date as date_type
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quiz.commands._args import positive_int
from quiz.sheets.model import MAX_ITEMS, MAX_STUDENTS, SEED_LIMIT

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.bank.model import Question
    from quiz.numeric import Template
    from quiz.sheets.meta import ManifestStream
    from quiz.sheets.model import Sheet

__all__ = ["MAX_ITEMS", "MAX_STUDENTS", "SEED_LIMIT", "register", "run"]

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
    parser.add_argument("--count", type=positive_int, default=10,
                        help=f"questions (default 10, at most {MAX_ITEMS})")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"seed of the class set, 0 to {SEED_LIMIT - 1} (default: random, "
                             "printed)")
    students = parser.add_mutually_exclusive_group()
    students.add_argument("--students", type=positive_int, default=1, metavar="K",
                          help=f"sheets for K students, numbered 1..K (default 1, at most "
                               f"{MAX_STUDENTS})")
    students.add_argument("--roster", default=None, metavar="FILE",
                          help="one student a line: NAME, or KEY<TAB>NAME (a stable key, e.g. "
                               "a student id; without one the key is the name); their order "
                               "numbers the sheets")
    parser.add_argument("--format", choices=("md", "html", "pdf"), default="md")
    parser.add_argument("--key", action="store_true", help="also write the answer keys")
    parser.add_argument("-o", "--output", default="sheets", metavar="DIR",
                        help="output folder (default ./sheets); one that holds sheets is "
                             "refused unless --force")
    parser.add_argument("--simplex", action="store_true",
                        help="PDF for one-sided printing: no blank backs (default: duplex, each "
                             "student starts on an odd page)")
    parser.add_argument("--force", action="store_true",
                        help="write into a folder that already holds sheets, replacing them")
    parser.add_argument("--title", default=DEFAULT_TITLE,
                        help="title on every sheet (one line)")
    parser.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                        help="date on the sheets (default today)")
    parser.add_argument("--path", default=None, help="bank directory (default: bundled)")
    parser.set_defaults(handler=run)


def _check_options(args: argparse.Namespace) -> None:
    """Refuse, before any work, a class too large to build and a title that is not one line of
    printable text (it is printed on every sheet and written into the command line each sheet
    carries, which `quiz check` reads back as one line)."""
    import unicodedata

    if args.seed is not None and not 0 <= args.seed < SEED_LIMIT:
        # the sheet reader refuses any other seed (quiz.sheets.model): what quiz writes it reads
        raise SheetCommandError(f"--seed {args.seed}: expected 0 to {SEED_LIMIT - 1}")
    if args.count > MAX_ITEMS:
        raise SheetCommandError(f"--count {args.count}: at most {MAX_ITEMS} questions on a sheet")
    if args.students > MAX_STUDENTS:
        raise SheetCommandError(f"--students {args.students}: at most {MAX_STUDENTS} students "
                                "in one class; split the class")
    for character in args.title:
        if unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            raise SheetCommandError(f"--title: one line of printable text, without control "
                                    f"characters (it holds U+{ord(character):04X})")


def run(args: argparse.Namespace) -> int:
    from quiz.render.safe import safe_text
    from quiz.sheets.select import SelectionError

    try:
        _check_options(args)
        if not args.force:  # before the engine runs for every student, not after
            _refuse_occupied(Path(args.output))
        class_set = make_sheets(args)
        written = write_sheets(class_set.sheets(), args.format, args.key, Path(args.output),
                               force=args.force, duplex=not args.simplex)
    except (SelectionError, SheetCommandError) as error:
        print(safe_text(f"quiz sheet: error: {error}"), file=sys.stderr)
        return 2
    except OSError as error:  # every write goes through atomic_target: it names the file
        print(safe_text(f"quiz sheet: error: cannot write {error.filename}: {error.strerror}"),
              file=sys.stderr)
        return 2
    print(f"seed {class_set.seed}: {class_set.size} sheet(s) of {len(class_set.questions)} "
          "questions")
    for path in written:
        print(f"  {path}")
    return 0


class SheetCommandError(ValueError):
    """Options or inputs that cannot make a sheet."""


@dataclass(frozen=True)
class RosterEntry:
    key: str        # stable across sheets and terms: what marks and recorded reviews belong to
    name: str       # as printed, exactly as the roster spells it


def read_roster(path: str) -> list[RosterEntry]:
    """One student a line: `NAME`, or `KEY<TAB>NAME` (a spreadsheet's two columns pasted);
    without a key the key is the name. `#` starts a comment line. A key given twice is refused
    (file:line): two students would share one history."""
    try:
        # split at newlines only: a name may hold any other character (U+2028 too)
        lines = Path(path).read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")
    except (OSError, UnicodeDecodeError) as error:
        raise SheetCommandError(f"cannot read the roster {path}: {error}") from None
    entries: list[RosterEntry] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, tab, name = line.partition("\t")
        key, name = key.strip(), name.strip()
        if tab and not key:
            raise SheetCommandError(f"{path}:{number}: an empty key before the tab")
        entry = RosterEntry(key=key, name=name or key)
        if entry.key in first_line:
            raise SheetCommandError(f"{path}:{number}: the key {entry.key!r} is given twice "
                                    f"(first on line {first_line[entry.key]})")
        first_line[entry.key] = number
        entries.append(entry)
        if len(entries) > MAX_STUDENTS:
            raise SheetCommandError(f"{path}:{number}: more than {MAX_STUDENTS} students in "
                                    "one roster: split the class")
    if not entries:
        raise SheetCommandError(f"{path}: the roster has no names")
    return entries


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


@dataclass(frozen=True)
class ClassSet:
    """A class set as chosen (seed, questions, roster) before any sheet is built: `sheets()`
    builds them one student at a time, so that a writer holds one sheet, not the class."""

    seed: int
    roster: tuple[RosterEntry, ...]
    questions: tuple[Question, ...]
    templates: dict[str, Template]
    title: str
    date: str
    command: str

    @property
    def size(self) -> int:
        return len(self.roster)

    def sheets(self) -> Iterator[Sheet]:
        from quiz.sheets import select
        from quiz.sheets.meta import class_id

        identity = class_id(self.seed, self.command)
        for number, entry in enumerate(self.roster, start=1):
            yield select.build_sheet(
                self.questions, self.templates, seed=self.seed, student_number=number,
                class_size=self.size, student_name=entry.name, title=self.title,
                date=self.date, command=self.command, student_key=entry.key,
                class_id=identity)


def make_sheets(args: argparse.Namespace) -> ClassSet:
    """The class set the options ask for; every choice is made and checked here (questions,
    roster, date), the sheets themselves are built as they are written."""
    from quiz.bank.parser import load_bank
    from quiz.commands.numeric import bank_dir
    from quiz.numeric import load_templates
    from quiz.sheets.select import Selection, select_questions

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(SEED_LIMIT)
    # numbered sheets (no roster) are known by their number: a key is never empty
    roster = read_roster(args.roster) if args.roster else [
        RosterEntry(key=str(number), name="") for number in range(1, args.students + 1)]
    day = _date(args.date)
    questions = load_bank(bank_dir(args.path))
    templates = load_templates(questions)
    selection = Selection(topics=tuple(args.topic), ids=tuple(args.ids), kind=args.kind,
                          difficulty=args.difficulty, count=args.count)
    chosen = select_questions(questions, selection, seed)
    return ClassSet(seed=seed, roster=tuple(roster), questions=tuple(chosen),
                    templates=templates, title=args.title, date=day,
                    command=command_line(args, seed, day))


def write_sheets(sheets: Iterable[Sheet], fmt: str, key: bool, folder: Path, *,
                 force: bool = False, duplex: bool = True) -> list[Path]:
    """Markdown: one file per student (keys under keys/); HTML and PDF: one file of sheets and
    one of keys, each student starting on a new page; and manifest.json, the class as printed.

    Markdown sheets are written as they come: `sheets` may be a generator, and memory holds one
    student's sheet and key at a time (the manifest is written entry by entry too). HTML and
    PDF are one document for the whole class (typst typesets a document at once): those take
    the class as a list. Each file is written to a temporary file and moved into place, the
    manifest last; when anything fails, the files this run already wrote are removed again: a
    class is written whole or not at all (with --force, the files it replaced are gone). A
    folder that already holds sheets (filled in, perhaps) is refused unless `force`."""
    from quiz.sheets.marks import atomic_target
    from quiz.sheets.meta import MANIFEST_FILE, ManifestStream

    folder.mkdir(parents=True, exist_ok=True)
    if not force:
        _refuse_occupied(folder)
    written: list[Path] = []
    manifest_path = folder / MANIFEST_FILE
    try:
        with atomic_target(manifest_path) as temporary, \
                temporary.open("w", encoding="utf-8") as handle:
            manifest = ManifestStream(handle, fmt)
            if fmt == "md":
                _write_markdown(sheets, key, folder, written, manifest)
            else:
                _write_documents(list(sheets), fmt, key, folder, duplex, written, manifest)
            if manifest.count == 0:
                raise SheetCommandError("no student: the class is empty")
            manifest.finish()
    except _DocumentFailed as failed:
        _remove(written, folder)
        raise failed.error from None
    except BaseException:
        _remove(written, folder)
        raise
    written.append(manifest_path)
    return written


class _DocumentFailed(Exception):
    """A sheet's or key's write failed while the manifest's atomic_target is open, which would
    name its own file (manifest.json) for any OSError inside it: this carries the sheet's own
    error past it."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _remove(written: list[Path], folder: Path) -> None:
    """Undo a class set that failed half-way: its files (and keys/ when that is left empty)."""
    for path in written:
        path.unlink(missing_ok=True)
    keys = folder / "keys"
    if keys.is_dir() and not any(keys.iterdir()):
        keys.rmdir()


def _write_markdown(sheets: Iterable[Sheet], key: bool, folder: Path, written: list[Path],
                    manifest: ManifestStream) -> None:
    from quiz.sheets.markdown import key_markdown, sheet_markdown

    for sheet in sheets:
        name = sheet_file_name(sheet, sheet.class_size)
        written.append(_write_document(folder, name, sheet_markdown(sheet)))
        if key:
            written.append(_write_document(folder, f"keys/key-{name[len('sheet-'):]}",
                                           key_markdown(sheet)))
        manifest.add(name, sheet)


def _write_documents(sheets: list[Sheet], fmt: str, key: bool, folder: Path, duplex: bool,
                     written: list[Path], manifest: ManifestStream) -> None:
    if not sheets:
        return
    documents = _documents(sheets, fmt, key, duplex)
    for name, content in documents:
        written.append(_write_document(folder, name, content))
    for sheet in sheets:
        manifest.add(documents[0][0], sheet)


def _refuse_occupied(folder: Path) -> None:
    from quiz.sheets.meta import MANIFEST_FILE

    if not folder.is_dir():
        return
    found = sorted(path.name for pattern in (MANIFEST_FILE, "sheet-*.md", "sheets.html",
                                             "sheets.pdf", "keys")
                   for path in folder.glob(pattern))
    if found:
        shown = ", ".join(found[:3]) + (" …" if len(found) > 3 else "")
        raise SheetCommandError(f"{folder} already holds sheets ({shown}): choose another "
                                "folder, or give --force to replace them")


# A document: its path in the folder, and its content (text, or a PDF's bytes)
Document = tuple[str, "str | bytes"]


def _documents(sheets: list[Sheet], fmt: str, key: bool, duplex: bool = True) -> list[Document]:
    kinds = ["sheets", "keys"] if key else ["sheets"]
    if fmt == "html":
        from quiz.sheets.html import keys_html, sheets_html

        render = {"sheets": sheets_html, "keys": keys_html}
        return [(f"{kind}.html", render[kind](sheets)) for kind in kinds]
    from quiz.sheets.pdf import PdfUnavailable, render_pdf

    try:
        return [(f"{kind}.pdf", render_pdf(kind, sheets, duplex=duplex)) for kind in kinds]
    except PdfUnavailable as error:
        raise SheetCommandError(str(error)) from None


def sheet_file_name(sheet: Sheet, class_size: int) -> str:
    width = max(2, len(str(class_size)))
    return f"sheet-{sheet.student_number:0{width}d}.md"


def _write_document(folder: Path, name: str, content: str | bytes) -> Path:
    from quiz.sheets.marks import write_atomically

    path = folder / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, content)
    except OSError as error:
        if error.filename is None:
            error.filename = str(path)
        raise _DocumentFailed(error) from None
    return path
