"""How fast quiz starts, as ratios to baselines measured in the same run:

- `quiz --help` / `--version` against a bare `python -c pass`;
- the TUI from process start to the first painted home screen (decks and counts shown, on the
  bundled bank, already synced once) against a minimal Textual app from process start to its
  first paint — both headless, both timed the same way.

Run: python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
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

# Ends the child when home has painted with its decks and counts: right after the screen handled
# the message that fills its table (no polling, which would take the interpreter lock from the
# thread opening the store).
PAINTED_HOME_HOOK = """
import os, sys
from quiz.paths import bundled_bank_dir

def install_painted_hook():
    from textual.widgets import DataTable
    from quiz.tui.messages import DecksLoaded
    from quiz.tui.screens.home import HomeScreen

    on_message = HomeScreen._on_message

    async def painted_home(self, message):
        await on_message(self, message)
        if isinstance(message, DecksLoaded) and self.query_one(DataTable).row_count:
            # Ended at the paint: quitting would also wait for the app's own store to finish
            # opening (it does after a preload's rows), which the learner does not wait for.
            self.app.call_after_refresh(os._exit, 0)

    HomeScreen._on_message = painted_home
"""

# The app as `make_app` builds it: the database opens once home's frame has painted (no
# preloading process: that is started by the CLI, below).
QUIZ_HOME = PAINTED_HOME_HOOK + """
install_painted_hook()
from quiz.tui.app import make_app

app = make_app(db_url=sys.argv[1], bank_dir=bundled_bank_dir(), sync_bank_on_start=True,
               open_in_background=True)
app.run(headless=True, size=(80, 24))
if app.start_error is not None:
    raise app.start_error
if app.return_code:
    sys.exit(app.return_code)
sys.stdout.flush()
os._exit(0)
"""

# The same start, ended at the first paint of home's frame, before its rows have arrived: what a
# learner sees first. "home painted" still waits for the real rows.
QUIZ_SKELETON = QUIZ_HOME.replace("""
install_painted_hook()
""", """
from quiz.tui.screens.home import HomeScreen
home_mount = HomeScreen.on_mount

def painted_frame(self):
    home_mount(self)
    self.app.call_after_refresh(os._exit, 0)  # not app.exit: that would wait for the store

HomeScreen.on_mount = painted_frame
""")

# `quiz --db URL` itself (`quiz.cli.main`), headless: what a learner runs. Its daily backup runs
# first and imports the store before anything paints (the first run of a day also copies the
# database; the warm-up run does that here).
QUIZ_CLI = PAINTED_HOME_HOOK + """
from quiz import cli
from quiz.tui import preload

start = preload.Preload.start.__func__

def start_then_hook(cls, request, *, backup):
    # As `quiz` runs: the preloading child is forked before Textual is imported.
    started = start(cls, request, backup=backup)
    install_painted_hook()
    from quiz.tui.app import QuizApp
    run = QuizApp.run
    QuizApp.run = lambda self: run(self, headless=True, size=(80, 24))
    return started

preload.Preload.start = classmethod(start_then_hook)
code = cli.main(["--db", sys.argv[1]])
sys.stdout.flush()
os._exit(code)
"""


def tui_commands() -> dict[str, list[str]]:
    import tempfile
    from pathlib import Path

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'startup.db'}"
    subprocess.run([sys.executable, "-c", QUIZ_HOME, url], capture_output=True, check=True)
    return {
        "minimal Textual app, first paint (baseline)": [sys.executable, "-c", MINIMAL_APP],
        "quiz TUI, first paint (skeleton)": [sys.executable, "-c", QUIZ_SKELETON, url],
        "quiz TUI, home painted": [sys.executable, "-c", QUIZ_HOME, url],
        "quiz (CLI entry, daily backup), home painted": [sys.executable, "-c", QUIZ_CLI, url],
    }


def time_command(command: Sequence[str], runs: int) -> list[float]:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    for commands in (COMMANDS, tui_commands()):
        results = {name: time_command(command, runs) for name, command in commands.items()}
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
