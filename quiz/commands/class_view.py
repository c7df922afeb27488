"""``quiz class [--weeks N] [--json]``: the class over the recorded learners' histories — per
learner progress (cards studied of the bank), reviews, retention, due, last active; and per
misconception the engine named in a logged answer: how often, who makes it, on which questions,
and how often week by week (is it going away?).

What is recorded comes from the TUI, `quiz practice --record` and `quiz check DIR --record`
(each sheet into its student's learner).

``quiz class setup [--student NAME …] [--role ROLE] [--new-password] [--remove NAME …]``
(PostgreSQL, run by the teacher): row-level security, so that each student connects as their own
role and reads and writes only their own rows (see `quiz.store.roles`).
"""

from __future__ import annotations

import argparse
import shlex
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from quiz.commands._args import positive_int

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.store.learners import LearnerSummary
    from quiz.store.mistakes import Misconception

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "class", help="the class over recorded learners: progress, retention, due, "
                      "misconceptions over time",
        description="Every learner's progress, retention and due cards, and each misconception "
                    "the engine named in logged answers: who makes it, on which questions, and "
                    "week by week.")
    parser.add_argument("--weeks", type=positive_int, default=6, metavar="N",
                        help="weeks of misconception counts shown (default 6)")
    parser.add_argument("--json", action="store_true", help="the same as one JSON object")
    parser.set_defaults(handler=run)
    actions = parser.add_subparsers(dest="class_action", metavar="{setup}")
    setup = actions.add_parser(
        "setup", help="PostgreSQL: each student connects as their own role and can read and "
                      "write only their own rows (row-level security); run by the teacher",
        description="Turn on row-level security on a shared PostgreSQL database (run again: "
                    "nothing changes) and make each --student a learner and a login role of "
                    "their own, printed with its password once. A student's connection then "
                    "reads and writes only their own cards, reviews and totals, whatever SQL "
                    "it sends; the teacher (the tables' owner) reads everything. Without "
                    "options: the class as it is.")
    setup.add_argument("--student", action="append", default=[], metavar="NAME",
                       help="a student (their learner's name; made when missing); repeatable")
    setup.add_argument("--role", default=None, metavar="ROLE",
                       help="the role of the one new --student (default: "
                            "quiz_<database>_<schema>_<learner id>)")
    setup.add_argument("--new-password", action="store_true",
                       help="give the named students' roles new passwords (shown once)")
    setup.add_argument("--remove", action="append", default=[], metavar="NAME",
                       help="take a student out of the class: their role's rights here go and "
                            "the role is dropped; their learner and history stay; repeatable")
    setup.set_defaults(handler=run_setup)


def run(args: argparse.Namespace) -> int:
    from quiz.cli import _open_db
    from quiz.numeric.drill import mistake_names
    from quiz.store.counts import live_cards
    from quiz.store.learners import learner_summaries
    from quiz.store.mistakes import logged_mistakes, misconceptions, week_starts

    now = datetime.now(timezone.utc)
    db = _open_db(args)
    try:
        summaries = learner_summaries(db, now)
        with db.read() as connection:
            total = live_cards(connection, db.learner_id)
        mistakes = logged_mistakes(db)
    finally:
        db.close()
    names = {summary.learner.id: summary.learner.shown for summary in summaries}
    found = misconceptions(mistakes, names, week_starts(now, args.weeks), mistake_names())
    if args.json:
        from quiz.render.safe import safe_json

        print(safe_json(class_json(summaries, total, found, args.weeks, now)))
    else:
        print(class_text(summaries, total, found, args.weeks))
    return 0


def run_setup(args: argparse.Namespace) -> int:
    from quiz.cli import CommandError, _open_db
    from quiz.paths import default_db_url
    from quiz.render.safe import safe_text
    from quiz.store.roles import class_students, remove_student, setup_class

    if (getattr(args, "db", None) or default_db_url()).lower().startswith("sqlite"):
        # Before opening: no SQLite file is made for a refusal.
        raise CommandError("row-level security needs PostgreSQL: a class shares a PostgreSQL "
                           "database (--db postgresql+psycopg://…); an SQLite file has no roles")
    now = datetime.now(timezone.utc)
    db = _open_db(args)
    try:
        removed = [remove_student(db, name) for name in args.remove]
        if args.remove and not args.student:
            students = class_students(db)
        else:
            students = setup_class(db, args.student, now, role=args.role,
                                   new_password=args.new_password)
        url = db.engine.url
    finally:
        db.close()
    for student in removed:
        print(f"removed {safe_text(student.name)} (role {student.role}); their history stays")
    print(f"row-level security is on: {len(students)} student(s); each connects as their "
          "own role")
    for student in students:
        shown = url.set(username=student.role, password="PASSWORD").render_as_string(
            hide_password=False)
        line = f"  {safe_text(student.name)}: role {student.role}"
        if student.password is not None:
            line += f", password {student.password} (shown once)"
        print(line)
        print(f"    quiz --db {shlex.quote(safe_text(shown))} "
              f"--learner {shlex.quote(safe_text(student.name))}")
    return 0


def _progress(summary: LearnerSummary, total: int) -> str:
    return f"{summary.studied}/{total}" if total else "—"


def class_text(summaries: list[LearnerSummary], total: int, found: list[Misconception],
               weeks: int) -> str:
    from quiz.cli import _pad
    from quiz.commands.learners import last_active_text, retention_text
    from quiz.render.safe import safe_text

    lines = [f"{len(summaries)} learners · {total} cards each", "",
             f"{_pad('learner', 24)} {'studied':>9} {'reviews':>8} {'due':>5} "
             f"{'retention':>14}  last active"]
    for summary in summaries:
        retention, last = retention_text(summary), last_active_text(summary, "%Y-%m-%d")
        lines.append(f"{_pad(safe_text(summary.learner.shown), 24)} "
                     f"{_progress(summary, total):>9} {summary.reviews:>8} {summary.due:>5} "
                     f"{retention:>14}  {last}")
    lines += ["", f"misconceptions (logged wrong answers the engine named; per week, the last "
                  f"{weeks} oldest first):"]
    if not found:
        lines.append("  none logged yet")
    for entry in found:
        who = ", ".join(f"{safe_text(name)} ×{count}" for name, count in
                        entry.learners.most_common(6))
        more = len(entry.learners) - 6
        where = ", ".join(f"{safe_text(qid)} ×{count}" for qid, count in
                          entry.questions.most_common(4))
        lines += [f"  {safe_text(entry.name)} [{safe_text(entry.mistake_id)}] · {entry.count} × · "
                  f"{len(entry.learners)} learner(s) · weeks {' '.join(map(str, entry.per_week))}",
                  f"    who: {who}{f' … and {more} more' if more > 0 else ''}",
                  f"    on: {where}"]
    return "\n".join(lines)


def class_json(summaries: list[LearnerSummary], total: int, found: list[Misconception],
               weeks: int, now: datetime) -> dict[str, Any]:
    from quiz.commands.learners import summary_json
    from quiz.store.mistakes import week_starts

    return {
        "cards": total,
        "learners": [{**summary_json(summary), "progress": (summary.studied / total
                                                            if total else None)}
                     for summary in summaries],
        "weeks": [start.date().isoformat() for start in week_starts(now, weeks)],
        "misconceptions": [{
            "id": entry.mistake_id, "name": entry.name, "count": entry.count,
            "learners": dict(entry.learners), "questions": dict(entry.questions),
            "per_week": entry.per_week,
        } for entry in found],
    }
