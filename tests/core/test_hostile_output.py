"""One gate for outside text (issue 21): bank text and tags, sheet answers, roster names, history
files and file names full of terminal controls — C0, C1, OSC (title, clipboard), CSI (clear the
screen), bidi overrides and isolates — never reach stdout, stderr or a file quiz writes as raw
control characters. Every command that prints such text runs through the real entry point
(`quiz.cli.main`, and the installed script where the stream's encoding matters).

`safe_text` (quiz/render/safe.py) drops them from text; `safe_json` escapes them in JSON, where
the data must stay whole: bank lists, learners, the class view, history exports, sheet metadata
and manifests are JSON written by `safe_json`; Anki tags and error messages go through
`safe_text`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from quiz.cli import main
from quiz.render.safe import safe_json, safe_text
from tests.conftest import quiz_command

# Every control a terminal acts on: C0 but tab and newline, ESC, DEL, C1, the bidi overrides and
# isolates, and lone surrogates (which a POSIX-locale stream writes back as raw bytes).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# The payload: set the window title, write the clipboard (OSC 52), clear the screen (7-bit and
# 8-bit CSI), an 8-bit OSC, reverse the line (RLO), isolate, BEL, backspace, DEL, ESC alone. (NEL,
# VT and FF would end a line of the bank's meta block: the gate's own tests cover them.)
HOSTILE = ("\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\x9b2J\x9d0;t\x9c"
           "\u202eevil\u202c\u2066i\u2069\u202a\x07\x08\x7f\x1b")
# A file name cannot hold `/` or NUL; this one has the rest.
HOSTILE_NAME = "x" + HOSTILE + ".md"


def first_control(text: str) -> str | None:
    """The first control character of `text` in context, or None when there is none."""
    found = CONTROL.search(text)
    if found is None:
        return None
    return repr(text[max(found.start() - 30, 0):found.end() + 30])


def assert_clean(text: str, where: str) -> None:
    problem = first_control(text)
    assert problem is None, f"{where}: a control character reaches the output: {problem}"


# --- the gate itself -------------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\x9b", "\x9d", "\x85", "\x90", "\x9f", "\x7f", "\u202a",
                                  "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
                                  "\u2068", "\u2069", "\x1b", "\x07", "\x00", "\r", "\udc9b"])
def test_safe_text_drops_every_control(char: str) -> None:
    cleaned = safe_text(f"a{char}b")
    assert first_control(cleaned) is None and cleaned.startswith("a")


def test_safe_text_on_the_corpus_keeps_the_words() -> None:
    cleaned = safe_text("前" + HOSTILE + "后\n\t下一行")
    assert first_control(cleaned) is None
    assert cleaned.startswith("前") and "evil" in cleaned and cleaned.endswith("后\n\t下一行")
    assert "pwned" not in cleaned and "ZXZpbA" not in cleaned  # whole sequences go


def test_safe_text_makes_a_non_utf8_file_name_printable() -> None:
    name = os.fsdecode(b"y\x9b2J.md")  # byte 0x9b (8-bit CSI) read back as U+DC9B
    cleaned = safe_text(name)
    assert first_control(cleaned) is None
    cleaned.encode("utf-8")  # a strict UTF-8 stream writes it


def test_safe_json_escapes_what_json_leaves_raw_and_loses_nothing() -> None:
    value = {"answer": HOSTILE, "name": os.fsdecode(b"y\x9b.md"), HOSTILE: [1, "\u202e"]}
    text = safe_json(value)
    assert first_control(text) is None
    assert "\\u009b" in text and "\\u202e" in text and "\\u001b" in text
    assert json.loads(text) == value
    text.encode("utf-8")


# --- a hostile world: bank, sheets, roster, history, file names ------------------------------

def hostile_bank(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hostile.md").write_text(f"""# 主题{HOSTILE}

## 问题{HOSTILE}？

```meta
id: evil-one
sources: 000#1.1
tags: 牌组{HOSTILE}, 其他{HOSTILE}
kind: concept
```

**核心**：答案{HOSTILE}。

```claim
source: 000#1.1
what: 参数量{HOSTILE}
input: 16x8x8
net: conv 32 k3 p1 nobias
quantity: params
claimed: 4608
expect: agree
```

## 第二题{HOSTILE}？

```meta
id: evil-two
sources: 000#1.2
tags: 牌组{HOSTILE}
kind: concept
```

**核心**：第二个答案{HOSTILE}。
""", encoding="utf-8")
    return directory


@dataclass(frozen=True)
class World:
    root: Path
    bank: Path
    db: str          # the hostile bank imported, sheets recorded for hostile roster names
    sheets: Path     # a class of filled-in sheets (answers and marks hostile)
    printed: dict[str, str]  # what `quiz sheet` wrote there (sheets, keys), before the filling in
    names: Path      # a folder whose file names are hostile
    history: Path    # `quiz export --json` of `db`
    imported: str    # a fresh database that imported `history`


def run(*argv: str) -> tuple[int, str, str]:
    """`quiz ARGV` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as error:
            code = error.code if isinstance(error.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def fill(sheet: Path) -> None:
    """Every answer hostile, every concept item marked wrong (so --record logs it)."""
    text = sheet.read_text(encoding="utf-8")
    text = re.sub(r"^答：$", lambda _: f"答：{HOSTILE}\n评：错", text, flags=re.MULTILINE)
    sheet.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("hostile")
    bank = hostile_bank(root / "bank")
    db = f"sqlite:///{root / 'quiz.db'}"
    assert run("--db", db, "import", str(bank))[0] == 0
    roster = root / "roster.txt"
    roster.write_text(f"s1\tAnn{HOSTILE}\ns2\tBob{HOSTILE}\n", encoding="utf-8")
    sheets = root / "sheets"
    code, _, err = run("sheet", "--path", str(bank), "--count", "2", "--roster", str(roster),
                       "-o", str(sheets), "--key", "--seed", "5", "--date", "2026-03-01")
    assert code == 0, err
    printed = {str(path): path.read_text(encoding="utf-8")
               for path in sorted(sheets.glob("*.md")) + sorted((sheets / "keys").glob("*"))}
    for sheet in sheets.glob("sheet-*.md"):
        fill(sheet)
    code, _, err = run("--db", db, "check", str(sheets), "--path", str(bank), "--record",
                       "--add-learners")
    assert code in (0, 1), err
    names = root / "names"
    names.mkdir()
    (names / HOSTILE_NAME).write_text((sheets / "sheet-01.md").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    (names / ("garbage" + HOSTILE + ".md")).write_text("not a sheet\n", encoding="utf-8")
    (names / os.fsdecode(b"y\x9b2J.md")).write_text("not a sheet either\n", encoding="utf-8")
    history = root / "history.json"
    assert run("--db", db, "export", "--json", str(history))[0] == 0
    imported = f"sqlite:///{root / 'imported.db'}"
    code, _, err = run("--db", imported, "import-history", str(history))
    assert code == 0, err
    yield World(root, bank, db, sheets, printed, names, history, imported)


# Commands over the hostile world: `{bank}`, `{db}`, … are filled in from World.
COMMANDS = [
    pytest.param("bank list --path {bank}", id="bank-list"),
    pytest.param("bank list --json --path {bank}", id="bank-list-json"),
    pytest.param("bank stats --path {bank}", id="bank-stats"),
    pytest.param("--db {db} import {bank}", id="import"),
    pytest.param("--db {db} due", id="due"),
    pytest.param("--db {db} due --json", id="due-json"),
    pytest.param("check --bank {bank}", id="check-bank"),
    pytest.param("check --bank {bank} -v", id="check-bank-verbose"),
    pytest.param("check --bank {bank} --json", id="check-bank-json"),
    pytest.param("check {sheets}/sheet-01.md --path {bank}", id="check-file"),
    pytest.param("check {sheets}/sheet-01.md --path {bank} --json", id="check-file-json"),
    pytest.param("check {sheets}/sheet-01.md --path {bank} --csv", id="check-file-csv"),
    pytest.param("check {sheets} --path {bank}", id="check-dir"),
    pytest.param("check {sheets} --path {bank} --json", id="check-dir-json"),
    pytest.param("check {sheets} --path {bank} --csv", id="check-dir-csv"),
    pytest.param("check {names} --path {bank} --mixed", id="check-dir-file-names"),
    pytest.param("check {names} --path {bank} --mixed --csv", id="check-dir-file-names-csv"),
    pytest.param("check {names} --path {bank} --mixed --json", id="check-dir-file-names-json"),
    pytest.param("check {names} --path {bank}", id="check-dir-file-names-refused"),
    pytest.param("check {names}/" + HOSTILE_NAME + " --path {bank}", id="check-file-name"),
    pytest.param("check {names}/garbage" + HOSTILE + ".md --path {bank}",
                 id="check-file-name-unreadable"),
    pytest.param("--db {fresh} check {sheets} --path {bank} --record", id="check-record-unknown"),
    pytest.param("--db {fresh} check {sheets} --path {bank} --record --add-learners",
                 id="check-record-add-learners"),
    pytest.param("--db {db} learners", id="learners"),
    pytest.param("--db {db} learners --json", id="learners-json"),
    pytest.param("--db {imported} learners", id="learners-imported"),
    pytest.param("--db {db} class", id="class"),
    pytest.param("--db {db} class --json", id="class-json"),
    pytest.param("--db {db} mistakes", id="mistakes"),
    pytest.param("--db {db} mistakes --json", id="mistakes-json"),
    pytest.param("--db {imported} doctor", id="doctor"),
]


def _argv(command: str, world: World, fresh: Path) -> list[str]:
    fields = {"bank": str(world.bank), "db": world.db, "sheets": str(world.sheets),
              "names": str(world.names), "imported": world.imported,
              "fresh": f"sqlite:///{fresh / 'fresh.db'}"}
    argv = command.split(" ")
    return [re.sub(r"\{(\w+)\}", lambda m: fields[m.group(1)], part) for part in argv]


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_prints_a_control_character(world: World, command: str,
                                               tmp_path: Path) -> None:
    code, out, err = run(*_argv(command, world, tmp_path))
    assert code in (0, 1, 2), err
    assert_clean(out, f"quiz {command}: stdout")
    assert_clean(err, f"quiz {command}: stderr")


def test_check_json_escapes_c1_and_bidi_in_answers(world: World) -> None:
    """The finding: U+009B and U+202E from an answer came out raw in `quiz check FILE --json`;
    they are escaped, so the answer is still whole for a program that reads the JSON."""
    code, out, err = run("check", str(world.sheets / "sheet-01.md"), "--path", str(world.bank),
                         "--json")
    assert code in (0, 1), err
    assert_clean(out, "quiz check FILE --json")
    answers = [item["answer"] for item in json.loads(out)["items"]]
    assert HOSTILE in answers


def test_check_dir_names_a_hostile_file_safely(world: World) -> None:
    """The finding: file names were printed raw on stderr and in the --csv file column."""
    code, out, err = run("check", str(world.names), "--path", str(world.bank), "--mixed",
                         "--csv")
    assert code == 2
    assert_clean(out + err, "quiz check DIR --csv")
    assert safe_text(HOSTILE_NAME) in out and "garbage" in err
    assert "\ufffd" in out + err  # the non-UTF-8 name, shown with a replacement character


def test_check_dir_through_the_installed_script_in_the_posix_locale(world: World) -> None:
    """In the POSIX locale Python writes an undecodable file name back as its raw byte (0x9b,
    an 8-bit CSI): the real entry point, the real stream."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": ""}
    env.pop("PYTHONUTF8", None)
    for extra in ([], ["--csv"], ["--json"]):
        done = subprocess.run([*quiz_command(), "check", str(world.names), "--path",
                               str(world.bank), "--mixed", *extra],
                              capture_output=True, env=env, timeout=60, check=False)
        assert done.returncode == 2, done.stderr
        for stream, data in (("stdout", done.stdout), ("stderr", done.stderr)):
            text = data.decode("utf-8")  # a raw byte 0x9b is not UTF-8: this raises
            assert_clean(text, f"quiz check DIR {' '.join(extra)}: {stream}")


def hostile_history(world: World, target: Path, where: str) -> Path:
    """The export with a hostile table name (`where="table"`) or column name (`"column"`)."""
    data = json.loads(world.history.read_text(encoding="utf-8"))
    if where == "table":
        data["tables"]["t" + HOSTILE] = {"columns": [], "rows": []}
    else:
        data["tables"]["learners"]["columns"][1] = "c" + HOSTILE
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


@pytest.mark.parametrize("where", ["table", "column"])
def test_import_history_quotes_table_and_column_names_safely(world: World, tmp_path: Path,
                                                             where: str) -> None:
    """The finding: `import-history` echoed the file's table and column names raw."""
    path = hostile_history(world, tmp_path / f"{where}.json", where)
    code, out, err = run("--db", f"sqlite:///{tmp_path / 'fresh.db'}", "import-history",
                         str(path))
    assert code == 1 and ("unknown table" in err or "unknown column" in err), err
    assert_clean(out + err, f"quiz import-history with a hostile {where} name")


# --- files quiz writes -----------------------------------------------------------------------

def test_sheets_and_keys_written_from_a_hostile_bank_are_clean(world: World) -> None:
    assert world.printed
    for path, text in world.printed.items():
        # the metadata comment is JSON (roster names in it are checked below)
        assert_clean(re.sub(r"<!-- quiz-sheet .*? -->", "", text), path)


def test_roster_names_in_the_manifest_and_sheet_metadata_are_escaped(world: World) -> None:
    assert_clean((world.sheets / "manifest.json").read_text(encoding="utf-8"), "manifest.json")
    for path, text in world.printed.items():
        assert_clean(text, path)


def test_history_export_is_clean(world: World) -> None:
    assert_clean(world.history.read_text(encoding="utf-8"), "quiz export --json")


def test_csv_export_is_clean(world: World, tmp_path: Path) -> None:
    csv_path = tmp_path / "log.csv"
    code, out, err = run("--db", world.db, "export", "--csv", str(csv_path))
    assert code == 0, err
    assert_clean(out + err, "quiz export --csv")
    assert_clean(csv_path.read_text(encoding="utf-8"), "quiz export --csv")


def test_anki_export_is_clean(world: World, tmp_path: Path) -> None:
    apkg = tmp_path / "bank.apkg"
    code, out, err = run("export", "--anki", str(apkg), "--path", str(world.bank))
    assert code == 0, err
    assert_clean(out + err, "quiz export --anki")
    with zipfile.ZipFile(apkg) as archive:
        (tmp_path / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        rows = connection.execute("SELECT flds, tags FROM notes").fetchall()
    finally:
        connection.close()
    assert rows
    for fields, tags in rows:
        for field in fields.split("\x1f"):  # Anki's own field separator
            assert_clean(field, "an Anki note field")
        assert_clean(tags, "an Anki note's tags")


def test_calc_net_quotes_a_hostile_net_file_safely(tmp_path: Path) -> None:
    net = tmp_path / "net.txt"
    net.write_text(f"input 3x8x8\nconv{HOSTILE} 8 k3\n", encoding="utf-8")
    code, out, err = run("calc", "net", str(net))
    assert code != 0
    assert_clean(out + err, "quiz calc net FILE")
