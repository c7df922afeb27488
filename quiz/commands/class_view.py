"""``quiz class [--weeks N] [--json]``: the class over the recorded learners' histories — per
learner progress (cards studied of the bank), reviews, retention, due, last active; and per
misconception the engine named in a logged answer: how often, who makes it, on which questions,
and how often week by week (is it going away?).

What is recorded comes from the TUI, `quiz practice --record` and `quiz check DIR --record`
(each sheet into its student's learner).
"""

from __future__ import annotations

import argparse
import json
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
        print(json.dumps(class_json(summaries, total, found, args.weeks, now),
                         ensure_ascii=False, indent=1))
    else:
        print(class_text(summaries, total, found, args.weeks))
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
