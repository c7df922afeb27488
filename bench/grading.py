"""Time to generate and verify numeric question instances, per family.

    python bench/grading.py [--per-template N] [--seed S]

"generate" is `instantiate` (drawing the parameters; the engine checks the layers), "verify" is
`solve(..., eager=True)` (the engine runs the layers and every misconception's rewrite) plus
`grade` of the right answer; "grade" alone is what follows Enter once the worker has solved the
instance. The run caches are cleared before every instance so that each one really runs the
engine. The last line times checking every ```claim of the bank (`quiz check --bank`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from quiz.bank.parser import load_bank
from quiz.numeric import Status, clear_caches, grade, instantiate, load_templates, solve
from quiz.numeric.feedback import format_value

BANK = Path(__file__).resolve().parents[1] / "data" / "questions"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def answer_text(value: object) -> str:
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value) if len(value) < 4 else str(value)
    return str(value)


def time_instance(template: object, seed: int) -> tuple[float, float, float]:
    clear_caches()
    start = time.perf_counter()
    instance = instantiate(template, seed)  # type: ignore[arg-type]
    generated = time.perf_counter()
    solution = solve(instance, eager=True)
    solved = time.perf_counter()
    verdict = grade(instance, answer_text(solution.expected), solution)
    done = time.perf_counter()
    if verdict.status is not Status.RIGHT:
        raise SystemExit(f"{instance.template_id} seed {seed}: right answer not accepted "
                         f"({format_value(solution.expected)}: {verdict.message})")
    return generated - start, done - generated, done - solved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-template", type=int, default=20, help="instances per template")
    parser.add_argument("--seed", type=int, default=1000, help="first seed")
    args = parser.parse_args()
    templates = load_templates(load_bank(BANK))
    instantiate(next(iter(templates.values())), 0)  # warm up: imports NumPy and the engine
    families: dict[str, list[tuple[float, float, float]]] = {}
    counts: dict[str, int] = {}
    for template in templates.values():
        counts[template.family] = counts.get(template.family, 0) + 1
        for seed in range(args.seed, args.seed + args.per_template):
            families.setdefault(template.family, []).append(time_instance(template, seed))
    print(f"{len(templates)} templates, {args.per_template} instances each "
          "(times in ms; engine caches cleared per instance)\n")
    header = (f"{'family':16s} {'tmpl':>4s} {'n':>4s} {'gen med':>8s} {'gen p95':>8s} "
              f"{'verify med':>10s} {'verify p95':>10s} {'total p95':>9s} {'grade p95':>9s}")
    print(header)
    print("-" * len(header))
    for family, times in families.items():
        gen = [g * 1000 for g, _, _ in times]
        ver = [v * 1000 for _, v, _ in times]
        total = [(g + v) * 1000 for g, v, _ in times]
        grading = [r * 1000 for _, _, r in times]
        print(f"{family:16s} {counts[family]:4d} {len(times):4d} {statistics.median(gen):8.1f} "
              f"{percentile(gen, 0.95):8.1f} {statistics.median(ver):10.1f} "
              f"{percentile(ver, 0.95):10.1f} {percentile(total, 0.95):9.1f} "
              f"{percentile(grading, 0.95):9.1f}")
    print(claims_line())
    return 0


def claims_line() -> str:
    """`quiz check --bank` without its printing: every claim of the bank, cold runner cache."""
    from quiz.verify import check_bank

    clear_caches()
    questions = load_bank(BANK)
    start = time.perf_counter()
    results = check_bank(questions)
    seconds = time.perf_counter() - start
    failed = sum(result.status == "FAIL" for result in results)
    return (f"\nclaims: {len(results)} checked in {seconds:.2f} s "
            f"({seconds / max(len(results), 1) * 1000:.1f} ms each, {failed} FAIL)")


if __name__ == "__main__":
    sys.exit(main())
