"""How fast quiz starts, as ratios to baselines measured in the same run:

- `quiz --help` / `--version` against a bare `python -c pass`;
- `quiz due` on the bundled bank against `python -c "import sqlalchemy"`;
- the TUI from process start to the first painted home screen (decks and counts shown, every
  key live, on the bundled bank, already synced once) against a minimal Textual app from process
  start to its first paint — both headless, both timed the same way.

Run: python bench/startup.py [--runs N] [--cpu-time]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

COMMANDS: dict[str, list[str]] = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "quiz --version": [sys.executable, "-m", "quiz", "--version"],
    "quiz --help": [sys.executable, "-m", "quiz", "--help"],
    "import textual (for scale)": [sys.executable, "-c", "import textual.app"],
    "import numpy (for scale)": [sys.executable, "-c", "import numpy"],
    "import sqlalchemy.orm (for scale)": [sys.executable, "-c", "import sqlalchemy.orm"],
}


# Children that exit as soon as their first screen has painted: `call_after_refresh` runs after
# the paint, and `os._exit` leaves out the interpreter's teardown (0.2-0.3 s with SQLAlchemy
# loaded), which happens after the learner already sees the screen. Both are done the same way
# for the minimal app (one Static) and for quiz.
MINIMAL_APP = """
import os
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(os._exit, 0)

Minimal().run(headless=True, size=(80, 24))
"""

# Ends the child once home has painted with its decks and counts: home counts as it mounts, and
# `call_after_refresh` from there runs after the frame that shows them. A home mounted without
# rows ends the child with an error instead.
PAINTED_HOME_HOOK = """
import os, sys
from quiz.paths import bundled_bank_dir

def install_painted_hook():
    from textual.widgets import DataTable
    from quiz.tui.app import QuizApp
    from quiz.tui.screens.home import HomeScreen

    home_mount = HomeScreen.on_mount

    def painted_home(self):
        home_mount(self)
        if self.query_one(DataTable).row_count:
            self.call_after_refresh(os._exit, 0)
        else:
            self.app.exit(return_code=3)

    HomeScreen.on_mount = painted_home
    run = QuizApp.run
    QuizApp.run = lambda self: run(self, headless=True, size=(80, 24))
"""

# The app as `make_app` builds it (the store opens, then home counts as it mounts).
QUIZ_HOME = PAINTED_HOME_HOOK + """
install_painted_hook()
from quiz.tui.app import make_app

app = make_app(db_url=sys.argv[1], bank_dir=bundled_bank_dir(), sync_bank_on_start=True)
app.run()
sys.exit(app.return_code or "home was never painted")
"""

# `quiz --db URL` itself (`quiz.cli.main`), headless: what a learner runs, its daily backup
# included (the first run of a day also copies the database; the warm-up run does that here).
# The hook is installed where `quiz` imports Textual, right after the backup.
QUIZ_CLI = PAINTED_HOME_HOOK + """
from quiz import cli

daily_backup = cli._daily_backup

def backup_then_hook(db_url):
    warning = daily_backup(db_url)
    install_painted_hook()
    return warning

cli._daily_backup = backup_then_hook
code = cli.main(["--db", sys.argv[1]])
sys.stdout.flush()
os._exit(code or 4)
"""

# For scale: what the store's part of the start costs without Textual (imports, open, sync check,
# settings, home's count).
STORE_ONLY = """
import os, sys
from quiz.paths import bundled_bank_dir
from quiz.store.counts import home_figures
from quiz.tui.context import StoreRequest

context, _report = StoreRequest(db_url=sys.argv[1], bank_dir=bundled_bank_dir(),
                                sync_bank_on_start=True).open()
home_figures(context.db, context.clock(), context.settings)
os._exit(0)
"""


def tui_commands() -> dict[str, list[str]]:
    from pathlib import Path

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'startup.db'}"
    subprocess.run([sys.executable, "-c", QUIZ_HOME, url], capture_output=True, check=True)
    return {
        "minimal Textual app, first paint (baseline)": [sys.executable, "-c", MINIMAL_APP],
        "quiz TUI (make_app), home painted": [sys.executable, "-c", QUIZ_HOME, url],
        "quiz (CLI entry, daily backup), home painted": [sys.executable, "-c", QUIZ_CLI, url],
        "store opened, home counted, no Textual": [sys.executable, "-c", STORE_ONLY, url],
    }


# The children run as a learner's Python does: the warm-up run writes the bytecode cache (an
# environment that turns it off, PYTHONDONTWRITEBYTECODE, would time compiling quiz's modules).
CHILD_ENV = {name: value for name, value in os.environ.items()
             if name != "PYTHONDONTWRITEBYTECODE"}


def due_commands() -> dict[str, list[str]]:
    """`quiz due` on the bundled bank (imported once first) against importing SQLAlchemy alone:
    the floor of any command that opens the store."""
    from pathlib import Path

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'due.db'}"
    subprocess.run([sys.executable, "-m", "quiz", "--db", url, "import"], capture_output=True,
                   check=True)
    return {
        "python -c 'import sqlalchemy' (baseline)": [sys.executable, "-c", "import sqlalchemy"],
        "quiz due": [sys.executable, "-m", "quiz", "--db", url, "due"],
        "quiz due --json": [sys.executable, "-m", "quiz", "--db", url, "due", "--json"],
    }


def run_once(command: Sequence[str], cpu_time: bool) -> float:
    """Seconds from start to exit: wall-clock, or the child's CPU time (user + system, for a
    busy machine, where waiting for a core would count as start time)."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=output, env=CHILD_ENV)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            output.seek(0)
            raise subprocess.CalledProcessError(process.returncode, command, output.read())
    return usage.ru_utime + usage.ru_stime if cpu_time else wall


def time_command(command: Sequence[str], runs: int, cpu_time: bool) -> list[float]:
    run_once(command, cpu_time)  # warm the file cache
    return [run_once(command, cpu_time) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time each child's CPU (user + system) instead of the wall clock")
    options = parser.parse_args()
    for commands in (COMMANDS, due_commands(), tui_commands()):
        results = {name: time_command(command, options.runs, options.cpu_time)
                   for name, command in commands.items()}
        baseline = statistics.median(next(iter(results.values())))
        print(f"{'command':<44} {'median ms':>10} {'p90 ms':>8} {'× baseline':>11}")
        for name, samples in results.items():
            median = statistics.median(samples)
            p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
            print(f"{name:<44} {median * 1000:>10.1f} {p90 * 1000:>8.1f} "
                  f"{median / baseline:>11.2f}")
        print()


if __name__ == "__main__":
    main()
