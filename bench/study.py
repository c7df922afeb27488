"""Time from a rating to the next card on screen, in the real app running headless on the
bundled bank. Baseline, measured in the same run: revealing an answer (repaints the card without
touching the database). Both are timed inside the app — from calling the action to the refresh
after the new content is in place — so the pilot's own key-press overhead is not counted. The
next card is awaited through the screen's `card_ready` signal (polling would compete with the
worker for the GIL), and each step starts after a short pause, as a learner's would.

Run: python bench/study.py [--ratings N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from quiz.paths import bundled_bank_dir
from quiz.store.counts import StudyScope, home_figures
from quiz.tui.app import make_app
from quiz.tui.screens.study import StudyScreen

# A pause before each key, as a learner reads before pressing one: without it each step would
# start while the app is still finishing the frame before it.
THINK = 0.1


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


async def _painted(screen: StudyScreen) -> None:
    """Wait for the refresh that follows the change on screen."""
    done = asyncio.Event()
    screen.call_after_refresh(done.set)
    await done.wait()


async def _next_card(screen: StudyScreen) -> None:
    """Rate Good and wait for the next card (a signal: polling would take the GIL from the
    worker that saves the rating)."""
    ready = asyncio.Event()
    screen.card_ready.subscribe(screen, lambda _item: ready.set())
    try:
        screen.action_rate(4)
        await ready.wait()
    finally:
        screen.card_ready.unsubscribe(screen)


async def measure(ratings: int) -> tuple[list[float], list[float]]:
    folder = Path(tempfile.mkdtemp())
    app = make_app(db_url=f"sqlite:///{folder / 'bench.db'}", bank_dir=bundled_bank_dir(),
                   sync_bank_on_start=True, fuzz=False, new_per_day=ratings + 10)
    reveal: list[float] = []
    rate: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        context = app.context
        decks = home_figures(context.db, context.clock(), context.settings).decks
        concept = frozenset(d.deck for d in decks if d.numeric == 0)
        screen = StudyScreen(context, StudyScope(decks=concept))
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(ratings):
            assert screen.item is not None
            start = time.perf_counter()
            screen.action_reveal()
            await _painted(screen)
            reveal.append(time.perf_counter() - start)
            await asyncio.sleep(THINK)
            start = time.perf_counter()
            await _next_card(screen)
            await _painted(screen)
            rate.append(time.perf_counter() - start)
            await asyncio.sleep(THINK)
    return reveal, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ratings", type=int, default=100)
    ratings = parser.parse_args().ratings
    reveal, rate = asyncio.run(measure(ratings))
    base = statistics.median(reveal)
    print(f"{'step':<34} {'median ms':>10} {'p95 ms':>8} {'× baseline':>11}")
    for name, samples in (("reveal answer (baseline)", reveal),
                          ("rating → next card painted", rate)):
        median = statistics.median(samples)
        print(f"{name:<34} {median * 1000:>10.1f} {_percentile(samples, 0.95) * 1000:>8.1f} "
              f"{median / base:>11.2f}")
    print(f"\n{ratings} ratings; goals: reveal p95 ≤ 30 ms, rating → next card p95 ≤ 50 ms")


if __name__ == "__main__":
    main()
