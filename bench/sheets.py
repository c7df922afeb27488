"""Time to make a class set of practice sheets with keys, as a ratio to a baseline.

    python bench/sheets.py [--students 40] [--count 20] [--seed 1] [--numeric] [--pdf]

Baseline: instantiating and solving the same numeric instances (same questions, same per-student
seeds) with the engine and nothing else. Measured: `quiz sheet` making the sheets and keys as
Markdown and as HTML (and PDF with --pdf), `quiz check` grading the whole class filled in
with the keys' answers; marking data (what `quiz mark` loads, and one save of marks.json per
mark, as the screen saves after each); `quiz check --record` of the class into each student's
learner (a fresh SQLite file); and `quiz class` over those learners. Each phase runs in a
fresh interpreter, so that no phase profits from the
engine runs another one cached; the times exclude interpreter start and imports.

    python bench/sheets.py --rss [--sizes 10 100 1000] [--count 20] [--seed 1] [--numeric]

Peak memory by class size (issue 21: sheets are streamed to disk, so memory must not grow with
the class): `quiz sheet --students N --key` (Markdown) in a child process per size, its peak
resident memory (ru_maxrss) and wall time, as ratios to the smallest size measured in the same
run. The tree measured is whichever `quiz` the child imports (PYTHONPATH picks another).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _sheet_args(options: argparse.Namespace, out: Path, fmt: str) -> argparse.Namespace:
    from quiz.cli import build_parser

    # A roster (keys S01…, Chinese names), so that --record has a learner per student.
    roster = out.parent / f"roster-{fmt}.txt"
    roster.write_text("".join(f"S{n:02d}\t学生{n:02d}\n" for n in range(1, options.students + 1)),
                      encoding="utf-8")
    argv = ["sheet", "--seed", str(options.seed), "--count", str(options.count), "--roster",
            str(roster), "--key", "--format", fmt, "-o", str(out), "--date",
            "2026-03-02"] + (["--numeric"] if options.numeric else [])
    return build_parser().parse_args(argv)


def phase_baseline(options: argparse.Namespace, out: Path) -> dict[str, float]:
    from quiz.bank.parser import load_bank
    from quiz.numeric import instantiate, load_templates, solve
    from quiz.paths import bundled_bank_dir
    from quiz.sheets.select import Selection, item_seed, select_questions

    questions = load_bank(bundled_bank_dir())
    templates = load_templates(questions)
    kind = "numeric" if options.numeric else None
    start = time.perf_counter()
    chosen = select_questions(questions, Selection(kind=kind, count=options.count), options.seed)
    numeric = [q for q in chosen if q.id in templates]
    for student in range(1, options.students + 1):
        for question in numeric:
            seed = item_seed(options.seed, student, question.id)
            solve(instantiate(templates[question.id], seed), eager=False)
    return {"seconds": time.perf_counter() - start, "numeric_items": len(numeric)}


def phase_sheets(options: argparse.Namespace, out: Path, fmt: str) -> dict[str, float]:
    from quiz.commands.sheet import make_sheets, write_sheets

    args = _sheet_args(options, out, fmt)
    start = time.perf_counter()
    files = write_sheets(make_sheets(args).sheets(), fmt, True, out)
    return {"seconds": time.perf_counter() - start, "files": len(files)}


def fill_with_keys(out: Path) -> None:
    """Numeric items get their key's answer; concept items an answer the teacher marked right
    (`评：对`), so that every item counts and the class scores 100%."""
    for sheet in sorted(out.glob("sheet-*.md")):
        key = (out / "keys" / sheet.name.replace("sheet-", "key-")).read_text(encoding="utf-8")
        answers = iter(re.findall(r"^\*\*答案\*\*：(.*)$", key, re.MULTILINE))
        text = sheet.read_text(encoding="utf-8")
        blocks = text.split("\n## ")
        blocks = [b.replace("\n答：\n", f"\n答：{next(answers)}\n") if " · seed " in
                  b.split("\n", 1)[0] else b.replace("\n答：\n", "\n答：理解\n评：对\n")
                  for b in blocks]
        sheet.write_text("\n## ".join(blocks), encoding="utf-8")


def phase_check(options: argparse.Namespace, out: Path) -> dict[str, float]:
    from quiz.commands.sheet_check import check_sheets

    args = argparse.Namespace(target=str(out), bank="", json=True, csv=False, record=False)
    import contextlib
    import io

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as captured:
        code = check_sheets(args)
    seconds = time.perf_counter() - start
    summary = json.loads(captured.getvalue())["summary"]["students"]
    if code != 0 or any(row["right"] != row["total"] for row in summary):
        raise SystemExit("bench: a sheet filled with its key did not score 100%")
    return {"seconds": seconds, "sheets": len(summary)}


def phase_mark(options: argparse.Namespace, out: Path) -> dict[str, float]:
    """What `quiz mark` loads, then every concept answer marked with a save after each."""
    from quiz.sheets.marks import Mark, Marks, save_marks
    from quiz.tui.mark.loading import load_class

    start = time.perf_counter()
    loaded = load_class(out)
    load_seconds = time.perf_counter() - start
    marks = Marks()
    start = time.perf_counter()
    for answer in loaded.answers:
        marks = marks.with_mark(Mark(answer.student_key, answer.question_id, 1.0))
        save_marks(out, marks)
    save_seconds = time.perf_counter() - start
    (out / "marks.json").unlink()
    return {"seconds": load_seconds + save_seconds, "load": load_seconds, "saves": save_seconds,
            "answers": len(loaded.answers)}


def phase_record(options: argparse.Namespace, out: Path) -> dict[str, float]:
    import contextlib
    import io

    from quiz.cli import main as quiz_main

    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        code = quiz_main(["check", str(out), "--record", "--add-learners", "--db",
                          f"sqlite:///{out / 'class.db'}"])
    if code != 0:
        raise SystemExit(f"bench: quiz check --record exited {code}")
    return {"seconds": time.perf_counter() - start}


def phase_class(options: argparse.Namespace, out: Path) -> dict[str, float]:
    import contextlib
    import io

    from quiz.cli import main as quiz_main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as captured:
        code = quiz_main(["class", "--db", f"sqlite:///{out / 'class.db'}"])
    seconds = time.perf_counter() - start
    if code != 0 or f"{options.students + 1} learners" not in captured.getvalue():
        raise SystemExit("bench: quiz class did not list the class")
    return {"seconds": seconds}


def run_phase(name: str, options: argparse.Namespace, out: Path) -> dict[str, float]:
    argv = [sys.executable, __file__, "--phase", name, "--students", str(options.students),
            "--count", str(options.count), "--seed", str(options.seed), "--out", str(out)]
    if options.numeric:
        argv.append("--numeric")
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def sheet_child(size: int, options: argparse.Namespace, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of `quiz sheet` making `size` Markdown sheets and keys."""
    argv = [sys.executable, "-m", "quiz", "sheet", "--students", str(size), "--count",
            str(options.count), "--seed", str(options.seed), "--key", "--date", "2026-03-02",
            "-o", str(out)] + (["--numeric"] if options.numeric else [])
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    error = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"quiz sheet --students {size} failed:\n{error}")
    if len(list(out.glob("sheet-*.md"))) != size:
        raise SystemExit(f"quiz sheet --students {size} did not write {size} sheets")
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def report_rss(options: argparse.Namespace, root: Path) -> int:
    sizes = sorted(options.sizes)
    figures = {size: sheet_child(size, options, root / f"rss-{size}") for size in sizes}
    base_seconds, base_mib = figures[sizes[0]]
    print(f"quiz sheet --key (Markdown), {options.count} items, seed {options.seed}: peak RSS "
          f"and wall time by class size, as ratios to {sizes[0]} students")
    print(f"{'students':>9} {'peak RSS MiB':>13} {'× base':>7} {'seconds':>8} {'× base':>7} "
          f"{'s/student':>9}")
    for size in sizes:
        seconds, mib = figures[size]
        print(f"{size:>9} {mib:>13.1f} {mib / base_mib:>7.2f} {seconds:>8.2f} "
              f"{seconds / base_seconds:>7.2f} {seconds / size:>9.4f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--numeric", action="store_true", help="numeric questions only")
    parser.add_argument("--pdf", action="store_true", help="also time PDF (typst)")
    parser.add_argument("--rss", action="store_true",
                        help="peak memory of quiz sheet by class size (see --sizes)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000],
                        help="class sizes for --rss (default 10 100 1000)")
    parser.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.phase:
        out = Path(options.out)
        phases = {"baseline": lambda: phase_baseline(options, out),
                  "md": lambda: phase_sheets(options, out, "md"),
                  "html": lambda: phase_sheets(options, out, "html"),
                  "pdf": lambda: phase_sheets(options, out, "pdf"),
                  "check": lambda: phase_check(options, out),
                  "mark": lambda: phase_mark(options, out),
                  "record": lambda: phase_record(options, out),
                  "class": lambda: phase_class(options, out)}
        print(json.dumps(phases[options.phase]()))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        if options.rss:
            return report_rss(options, Path(folder))
        return report(options, Path(folder))


def report(options: argparse.Namespace, root: Path) -> int:
    baseline = run_phase("baseline", options, root / "baseline")
    base = baseline["seconds"]
    print(f"{options.students} students × {options.count} items "
          f"({int(baseline['numeric_items'])} numeric), seed {options.seed}")
    print(f"baseline: instantiate + solve {options.students * int(baseline['numeric_items'])} "
          f"instances: {base:.2f} s")
    names = ["md", "html", *(["pdf"] if options.pdf else []), "check", "mark", "record",
             "class"]
    labels = {"md": "sheets + keys, Markdown", "html": "sheets + keys, HTML",
              "pdf": "sheets + keys, PDF", "check": "quiz check of the class (100%)",
              "mark": "marking data: load + a save per mark",
              "record": "check --record into learners",
              "class": "quiz class over the learners"}
    for name in names:
        out = root / (name if name in ("md", "html", "pdf") else "md")
        if name == "check":
            fill_with_keys(out)  # the Markdown phase wrote this class set
        seconds = run_phase(name, options, out)["seconds"]
        print(f"{labels[name]:<34} {seconds:7.2f} s  {seconds / base:5.2f}× baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
