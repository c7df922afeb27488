"""``quiz learners [--json]``: who studies in this database — reviews, cards studied, due now,
retention, last active — one row per learner.

    quiz learners [--json]
    quiz learners add NAME [--display-name TEXT]
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.store.learners import LearnerSummary

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "learners", help="the learners of the database (reviews, due, retention, last active)",
        description="List the learners of the database, or add one (`quiz learners add NAME`).")
    parser.add_argument("action", nargs="?", choices=("list", "add"), default="list")
    parser.add_argument("name", nargs="?", default=None, help="add: the new learner's name")
    parser.add_argument("--display-name", default="", help="add: how reports show the learner")
    parser.add_argument("--json", action="store_true", help="one JSON object per learner")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from quiz.cli import CommandError, _open_db

    now = datetime.now(timezone.utc)
    if args.action == "add":
        from quiz.store.learners import add_learner

        if not args.name:
            raise CommandError("quiz learners add NAME: the name is missing")
        db = _open_db(args, create=True)
        try:
            learner = add_learner(db, args.name, now, args.display_name)
        finally:
            db.close()
        print(f"added learner {_shown(learner.name)}")
        return 0
    from quiz.store.learners import learner_summaries

    db = _open_db(args)
    try:
        summaries = learner_summaries(db, now)
    finally:
        db.close()
    if args.json:
        from quiz.render.safe import safe_json

        print(safe_json([summary_json(s) for s in summaries]))
    else:
        print(learners_table(summaries))
    return 0


def _shown(text: str) -> str:
    from quiz.render.safe import safe_text

    return safe_text(text)


def summary_json(summary: LearnerSummary) -> dict[str, Any]:
    """One learner as JSON; a retention from too few reviews is null (its sample size is given)."""
    from quiz.store.stats import enough

    learner = summary.learner
    return {
        "name": learner.name, "display_name": learner.display_name,
        "reviews": summary.reviews, "studied": summary.studied, "due": summary.due,
        "retention": (round(summary.retention, 4)
                      if summary.retention is not None and enough(summary.graded) else None),
        "retention_reviews": summary.graded,
        "last_active": (None if summary.last_active is None
                        else summary.last_active.isoformat(timespec="seconds")),
        "created_at": learner.created_at.isoformat(timespec="seconds"),
    }


def learners_table(summaries: list[LearnerSummary]) -> str:
    from quiz.cli import _pad as pad

    lines = [f"{pad('learner', 24)} {'reviews':>8} {'studied':>8} {'due':>6} "
             f"{'retention':>14}  last active"]
    for summary in summaries:
        retention, last = retention_text(summary), last_active_text(summary, "%Y-%m-%d %H:%M")
        name = _shown(summary.learner.shown)
        if summary.learner.display_name and summary.learner.display_name != summary.learner.name:
            name += f" ({_shown(summary.learner.name)})"
        lines.append(f"{pad(name, 24)} {summary.reviews:>8} {summary.studied:>8} "
                     f"{summary.due:>6} {retention:>14}  {last}")
    return "\n".join(lines)


def retention_text(summary: LearnerSummary) -> str:
    """Retention with the reviews it is drawn from ("93% of 41"); from too few reviews to mean
    anything (the statistics' own minimum), only their number ("— of 3")."""
    from quiz.store.stats import enough

    if summary.retention is None or not enough(summary.graded):
        return f"— of {summary.graded}" if summary.graded else "—"
    return f"{summary.retention:.0%} of {summary.graded}"


def last_active_text(summary: LearnerSummary, shape: str) -> str:
    if summary.last_active is None:
        return "—"
    return summary.last_active.astimezone().strftime(shape)
