"""How fast bank answers are laid out for the terminal, as a ratio to Rich's own Markdown renderer
measured in the same run on the same text (which neither breaks Chinese nor renders math).

Three figures for the longest answer of the bank at 80 columns: the first render (parse, math,
layout), a re-layout at a new width (what a terminal resize costs; the parse is kept), and Rich's
Markdown as the baseline. Then the first render of every answer at 60, 80 and 120 columns.

Run: python bench/render.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable

from rich.console import Console
from rich.markdown import Markdown

from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir
from quiz.render.math import latex_to_unicode
from quiz.render.terminal import BankMarkdown


def timed(action: Callable[[], object], runs: int, before: Callable[[], object] = lambda: None
          ) -> list[float]:
    samples = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    questions = load_bank(bundled_bank_dir())
    longest = max(questions, key=lambda q: len(q.answer))
    console = Console(file=io.StringIO(), width=80, color_system="truecolor")

    def rich_markdown() -> None:
        console.render_lines(Markdown(longest.answer), console.options.update_width(80))

    document = BankMarkdown(longest.answer)
    widths = iter(range(10**9))
    results = {
        "rich Markdown (baseline)": timed(rich_markdown, runs),
        # Formulas are cached once converted; clear the cache so the first render pays for them.
        "first render": timed(lambda: BankMarkdown(longest.answer).lines(80), runs,
                              before=latex_to_unicode.cache_clear),
        "re-layout on resize": timed(lambda: document.lines(60 + next(widths) % 2 * 20), runs),
    }
    baseline = statistics.median(results["rich Markdown (baseline)"])
    print(f"longest answer: {longest.id} ({len(longest.answer)} characters), 80 columns")
    print(f"{'':<28} {'median ms':>10} {'p90 ms':>8} {'× baseline':>11}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
        print(f"{name:<28} {median * 1000:>10.2f} {p90 * 1000:>8.2f} {median / baseline:>11.2f}")
    latex_to_unicode.cache_clear()
    start = time.perf_counter()
    for question in questions:
        laid_out = BankMarkdown(question.answer)
        for width in (60, 80, 120):
            laid_out.lines(width)
    total = time.perf_counter() - start
    print(f"all {len(questions)} answers at 60/80/120 columns: {total * 1000:.0f} ms "
          f"({total / len(questions) * 1000:.1f} ms per answer)")


if __name__ == "__main__":
    main()
