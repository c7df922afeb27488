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


# A child that prints when its first screen has painted, then exits. The minimal app paints one
# Static; quiz paints home once the decks and counts have arrived from the database.
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.exit)

Minimal().run(headless=True, size=(80, 24))
"""

QUIZ_HOME = """
import sys
from textual.widgets import DataTable
from quiz.paths import bundled_bank_dir
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.home import HomeScreen

mount = QuizApp.on_mount

def painted_home(app):
    screen = app.screen
    if isinstance(screen, HomeScreen) and screen.query_one(DataTable).row_count:
        app.call_after_refresh(app.exit)

def on_mount(self):
    mount(self)
    self.set_interval(0.002, lambda: painted_home(self))

QuizApp.on_mount = on_mount
app = make_app(db_url=sys.argv[1], bank_dir=bundled_bank_dir(), sync_bank_on_start=True)
app.run(headless=True, size=(80, 24))
"""


def tui_commands() -> dict[str, list[str]]:
    import tempfile
    from pathlib import Path

    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'startup.db'}"
    subprocess.run([sys.executable, "-c", QUIZ_HOME, url], capture_output=True, check=True)
    return {
        "minimal Textual app, first paint (baseline)": [sys.executable, "-c", MINIMAL_APP],
        "quiz TUI, home painted": [sys.executable, "-c", QUIZ_HOME, url],
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
