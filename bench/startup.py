"""How fast `quiz --help` starts, as a ratio to a bare `python -c pass` measured in the same run.

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
    results = {name: time_command(command, runs) for name, command in COMMANDS.items()}
    baseline = statistics.median(results["python -c pass (baseline)"])
    print(f"{'command':<36} {'median ms':>10} {'p90 ms':>8} {'× baseline':>11}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
        print(f"{name:<36} {median * 1000:>10.1f} {p90 * 1000:>8.1f} {median / baseline:>11.2f}")


if __name__ == "__main__":
    main()
