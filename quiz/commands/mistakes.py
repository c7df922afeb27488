"""``quiz mistakes [--weeks N] [--json]``: your own misconceptions — every named mistake the engine
found in your logged numeric answers (TUI, `practice --record`, `check --record`): how often, on
which templates, week by week, when last seen, and whether it is fading.

The learner is --learner / QUIZ_LEARNER (default: the default learner).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from quiz.commands._args import positive_int

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.store.mistakes import Misconception

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mistakes", help="your misconceptions: how often, where, week by week, fading or not",
        description="Every misconception the engine named in your logged answers: how often, "
                    "on which templates, per week, last seen, and whether it is fading.")
    parser.add_argument("--weeks", type=positive_int, default=8, metavar="N",
                        help="weeks shown (default 8)")
    parser.add_argument("--json", action="store_true", help="the same as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from quiz.cli import _open_db
    from quiz.numeric.drill import mistake_names
    from quiz.store.mistakes import logged_mistakes, misconceptions, week_starts

    now = datetime.now(timezone.utc)
    db = _open_db(args)
    try:
        mine = logged_mistakes(db, learner_id=db.learner_id)
        learner = db.learner_name
    finally:
        db.close()
    weeks = week_starts(now, args.weeks)
    found = misconceptions(mine, {}, weeks, mistake_names())
    if args.json:
        print(json.dumps({"learner": learner, "weeks": [w.date().isoformat() for w in weeks],
                          "mistakes": [mistake_json(entry) for entry in found]},
                         ensure_ascii=False, indent=1))
    else:
        print(mistakes_text(learner, found, args.weeks))
    return 0


def mistake_json(entry: Misconception) -> dict[str, Any]:
    return {"id": entry.mistake_id, "name": entry.name, "count": entry.count,
            "templates": dict(entry.questions), "per_week": entry.per_week,
            "last_seen": None if entry.last_seen is None
            else entry.last_seen.isoformat(timespec="seconds"),
            "fading": entry.fading}


def mistakes_text(learner: str, found: list[Misconception], weeks: int) -> str:
    from quiz.render.safe import safe_text

    lines = [f"{safe_text(learner)}: {sum(e.count for e in found)} named mistakes "
             f"(per week, the last {weeks} oldest first)"]
    if not found:
        lines.append("  none logged yet — numeric answers graded wrong with a named mistake "
                     "show here")
    for entry in found:
        last = "—" if entry.last_seen is None else \
            entry.last_seen.astimezone().strftime("%Y-%m-%d")
        where = ", ".join(f"{safe_text(qid)} ×{n}" for qid, n in entry.questions.most_common(4))
        trend = "fading 在减少" if entry.fading else "still made 仍在犯"
        lines += [f"  {safe_text(entry.name)} [{safe_text(entry.mistake_id)}] · {entry.count} × · "
                  f"last {last} · {trend}",
                  f"    weeks {' '.join(map(str, entry.per_week))} · on: {where}"]
    return "\n".join(lines)
