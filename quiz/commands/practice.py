"""``quiz practice [--family NAME] [--count N] [--json] [--record]``: a quick numeric drill in the
plain terminal.

Reads answers line by line from stdin, so it also works with piped input; EOF ends the drill.
An empty line skips a question (its answer is shown), `q` quits. The engine starts on each
instance in a background thread while the question is on screen. Exit 0 when every question
asked was answered right, 1 when some were wrong or skipped (as `quiz check`); `--json` prints a
summary (the drill itself then goes to stderr), `--record` logs the graded answers as reviews.

`--record` first checks that the database can be written (a read-only file is refused before
the first question). If recording still fails after the drill (a full disk, a lock held too
long), the answers are not lost: the error is one line, and the exact command that records them
follows — the same drill (its seed is always printed then) with the same answers on stdin.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.numeric import Instance, Solution, Template, Verdict

__all__ = ["register", "run"]

QUIT_WORDS = frozenset({"q", "quit", "exit", "退出"})


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "practice", help="numeric drill in the plain terminal",
        description="Randomized numeric questions, one after another; answers are read from "
                    "stdin (empty line: skip, q: quit, EOF: stop).")
    parser.add_argument("--family", default=None,
                        help="only this family (e.g. conv-output, params, macs, "
                             "receptive-field)")
    parser.add_argument("--count", type=int, default=5, help="questions (default 5)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the drill (default: random) for a reproducible run")
    parser.add_argument("--path", default=None, help="bank directory (default: bundled)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON summary (the drill goes to stderr)")
    parser.add_argument("--record", action="store_true",
                        help="log the graded answers as reviews of their templates; a database "
                             "that cannot be written is refused before the first question, and "
                             "if recording fails afterwards the command that records the same "
                             "answers later is printed (the same drill, its seed given, the "
                             "answers on stdin; right answers are rated by that run's time)")
    parser.add_argument("--mistakes", action="store_true",
                        help="drill your own mistakes: questions for the misconceptions you "
                             "make most (logged with --record, in the TUI, by check --record), "
                             "each drawn so that the mistake would show")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    from quiz.commands.numeric import load_bank_templates

    stdin = stdin or sys.stdin
    summary_out = stdout or sys.stdout
    json_summary = getattr(args, "json", False)
    out = sys.stderr if json_summary else summary_out
    templates = load_bank_templates(getattr(args, "path", None))
    pool = _pool(templates, args.family)
    if not pool:
        families = sorted({t.family for t in templates.values()})
        print(f"quiz practice: error: no family {args.family!r} (families: "
              f"{', '.join(families)})", file=sys.stderr)
        return 2
    if getattr(args, "record", False):
        _check_recordable(args)
    # A seed of its own when none is given: a drill whose recording fails can be run again.
    drill_seed = args.seed if args.seed is not None else random.randrange(2**31)
    drill = random.Random(drill_seed)
    score = _Score()
    if getattr(args, "mistakes", False):
        questions = _mistake_questions(args, {t.id: t for t in pool}, drill)
        if not questions:
            print("quiz practice: error: no named mistakes logged for this learner yet (they are "
                  "logged with --record, in the TUI and by quiz check --record)", file=sys.stderr)
            return 2
    else:
        questions = [(drill.choice(pool), drill.randrange(2**31))
                     for _ in range(max(args.count, 0))]
    for number, (template, seed) in enumerate(questions, start=1):
        if not _ask_one(template, seed, number, len(questions), stdin, out, score):
            break
    print(f"\n完成 {score.asked} 题：答对 {score.right}，答错 {score.wrong}，"
          f"跳过 {score.skipped}。",
          file=out)
    if getattr(args, "record", False) and score.graded:
        from quiz.commands.recording import record_answers

        try:
            recorded, _ = record_answers(args, getattr(args, "path", None), score.graded)
        except Exception as error:
            if json_summary:  # the drill's own result stands; only its recording failed
                print(json.dumps(score.to_json(), ensure_ascii=False, indent=1), file=summary_out)
            return _not_recorded(args, drill_seed, score, error)
        print(f"已记录 {recorded} 条复习。", file=out)
    if json_summary:
        print(json.dumps(score.to_json(), ensure_ascii=False, indent=1), file=summary_out)
    return 0 if score.right == score.asked else 1


def _db_url(args: argparse.Namespace) -> str:
    from quiz.paths import default_db_url

    return getattr(args, "db", None) or default_db_url()


def _check_recordable(args: argparse.Namespace) -> None:
    """A database that cannot be written is refused before the first question (StoreError,
    one line), not after the learner has typed every answer."""
    from quiz.store.db import check_writable

    check_writable(_db_url(args))


def _not_recorded(args: argparse.Namespace, seed: int, score: _Score, error: Exception) -> int:
    """Recording failed after the drill: the one-line reason, then the command that records
    the same answers later. A failure without a plain cause (a bug) is raised after that."""
    from quiz.render.safe import safe_text
    from quiz.store import StoreError
    from quiz.store.db import plain_failure_message

    reason = str(error) if isinstance(error, StoreError) else \
        plain_failure_message(error, _db_url(args))
    if reason is not None:
        print(f"quiz: error: {safe_text(reason)}", file=sys.stderr)
    print(f"quiz practice: {len(score.graded)} graded answer(s) not recorded; to record them "
          "later, run:", file=sys.stderr)
    print(f"  {safe_text(replay_command(args, seed, score))}", file=sys.stderr)
    if reason is None:
        raise error
    return 1


def replay_command(args: argparse.Namespace, seed: int, score: _Score) -> str:
    """The shell command that runs the same drill again with the same answers and records them
    (an empty line for a skipped question: it is shown again and not recorded)."""
    answers = " ".join(shlex.quote(item["answer"]) for item in score.items)
    command = ["quiz"]
    if getattr(args, "db", None):
        from sqlalchemy.engine import make_url

        command += ["--db", make_url(args.db).render_as_string(hide_password=True)]
    learner = getattr(args, "learner", None)
    if learner:
        command += ["--learner", learner]
    command += ["practice", "--seed", str(seed), "--count", str(max(args.count, 0))]
    for option in ("family", "path"):
        value = getattr(args, option, None)
        if value:
            command += [f"--{option}", value]
    if getattr(args, "mistakes", False):
        command.append("--mistakes")
    command.append("--record")
    return f"printf '%s\\n' {answers} | {shlex.join(command)}"


class _Score:
    def __init__(self) -> None:
        from quiz.commands.recording import Answer

        self.asked = self.right = self.wrong = self.skipped = 0
        self.items: list[dict[str, Any]] = []
        self.graded: list[Answer] = []

    def add(self, instance: Instance, answer: str, verdict: Verdict | None,
            seconds: float) -> None:
        from quiz.commands.recording import Answer

        self.items.append({
            "template": instance.template_id, "seed": instance.seed, "answer": answer,
            "status": verdict.status.value if verdict else "skipped",
            "mistake_id": verdict.mistake_id if verdict else None,
            "seconds": round(seconds, 1)})
        if verdict is not None:
            self.graded.append(Answer(instance.template_id, instance.seed, answer,
                                      verdict.status.value, verdict.suggested_rating,
                                      int(seconds * 1000), mistake_id=verdict.mistake_id))

    def to_json(self) -> dict[str, Any]:
        return {"asked": self.asked, "right": self.right, "wrong": self.wrong,
                "skipped": self.skipped, "items": self.items}


def _mistake_questions(args: argparse.Namespace, templates: dict[str, Template],
                       rng: random.Random) -> list[tuple[Template, int]]:
    """The learner's logged mistakes, most frequent first, as questions where each would show."""
    from collections import Counter

    from quiz.cli import _open_db
    from quiz.numeric.drill import drill
    from quiz.store.mistakes import logged_mistakes

    if not hasattr(args, "db"):
        args.db = None
    db = _open_db(args)
    try:
        made = Counter(m.mistake_id for m in logged_mistakes(db, learner_id=db.learner_id))
    finally:
        db.close()
    return [(item.template, item.seed) for item in drill(made, templates, max(args.count, 0), rng)]


def _pool(templates: dict[str, Template], family: str | None) -> list[Template]:
    return [t for t in templates.values() if family is None or t.family == family]


def _ask_one(template: Template, seed: int, number: int, total: int, stdin: TextIO,
             out: TextIO, score: _Score) -> bool:
    """One question; False when the learner quits or the input ends."""
    from quiz.numeric import Status, grade, instantiate
    from quiz.render.generated import output_width, plain_text
    from quiz.render.safe import safe_text

    instance = instantiate(template, seed)
    background = _SolveInBackground(instance)
    print(f"\n[{number}/{total}] {safe_text(template.title)}（{template.id}，seed {seed}）",
          file=out)
    print(plain_text(instance.prompt, output_width(out)), file=out)  # the bank's renderer
    started = time.monotonic()
    while True:
        print("> ", end="", file=out, flush=True)
        line = stdin.readline()
        if not line or line.strip().lower() in QUIT_WORDS:
            return False
        if not line.strip():
            score.asked += 1
            score.skipped += 1
            score.add(instance, "", None, time.monotonic() - started)
            print(f"跳过。答案：{_expected_text(instance, background.result())}", file=out)
            return True
        verdict = grade(instance, line.strip(), background.result(), time.monotonic() - started)
        if verdict.status is not Status.UNPARSEABLE:
            break
        print(verdict.message, file=out)  # not graded: the learner may type it again
    score.asked += 1
    score.add(instance, line.strip(), verdict, time.monotonic() - started)
    _show(verdict, out, score)
    return True


def _show(verdict: Verdict, out: TextIO, score: _Score) -> None:
    from quiz.numeric import Status
    from quiz.numeric.feedback import verdict_parts
    from quiz.render.generated import print_verdict

    if verdict.status is Status.RIGHT:
        score.right += 1
    else:
        score.wrong += 1
    # through the bank's renderer: math in Unicode, no Markdown marks, the answer said once
    print_verdict(*verdict_parts(verdict.message, verdict.worked, label_shown=False), out)


def _expected_text(instance: Instance, solution: Solution) -> str:
    from quiz.numeric.feedback import format_value

    return format_value(solution.expected, instance)


class _SolveInBackground:
    """Runs the engine on the instance while the learner reads and types."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self._solution: Solution | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        from quiz.numeric import solve

        try:
            self._solution = solve(self.instance)
        except BaseException as error:  # re-raised in the main thread by result()
            self._error = error

    def result(self) -> Solution:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._solution is not None
        return self._solution
