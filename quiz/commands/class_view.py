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
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.store.learners import LearnerSummary, LoggedMistake

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "class", help="the class over recorded learners: progress, retention, due, "
                      "misconceptions over time",
        description="Every learner's progress, retention and due cards, and each misconception "
                    "the engine named in logged answers: who makes it, on which questions, and "
                    "week by week.")
    parser.add_argument("--weeks", type=int, default=6, metavar="N",
                        help="weeks of misconception counts shown (default 6)")
    parser.add_argument("--json", action="store_true", help="the same as one JSON object")
    parser.set_defaults(handler=run)


@dataclass
class Misconception:
    mistake_id: str
    name: str
    count: int = 0
    learners: Counter[str] = field(default_factory=Counter)
    questions: Counter[str] = field(default_factory=Counter)
    per_week: list[int] = field(default_factory=list)
    last_seen: datetime | None = None

    @property
    def fading(self) -> bool:
        """Made less in the later half of the weeks shown than in the earlier half (and not in
        the latest week): the misconception is going away."""
        half = len(self.per_week) // 2
        earlier, later = sum(self.per_week[:half]), sum(self.per_week[half:])
        return later < earlier and (not self.per_week or self.per_week[-1] == 0)


def run(args: argparse.Namespace) -> int:
    from quiz.cli import CommandError, _open_db
    from quiz.store.counts import live_cards
    from quiz.store.learners import learner_summaries, logged_mistakes

    if args.weeks < 1:
        raise CommandError("--weeks must be at least 1")
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
    found = misconceptions(mistakes, names, week_starts(now, args.weeks))
    if args.json:
        print(json.dumps(class_json(summaries, total, found, args.weeks, now),
                         ensure_ascii=False, indent=1))
    else:
        print(class_text(summaries, total, found, args.weeks))
    return 0


def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The Mondays (UTC) of the last `weeks` weeks, oldest first."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
    return [monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


def misconceptions(mistakes: list[LoggedMistake], names: dict[int, str],
                   weeks: list[datetime]) -> list[Misconception]:
    """Per misconception: count, who (learner: count), where (question: count), per week."""
    from quiz.numeric.mistakes import RECIPES

    found: dict[str, Misconception] = {}
    for mistake in mistakes:
        recipe = RECIPES.get(mistake.mistake_id)
        entry = found.setdefault(mistake.mistake_id, Misconception(
            mistake.mistake_id, recipe.name if recipe else mistake.mistake_id,
            per_week=[0] * len(weeks)))
        entry.count += 1
        entry.last_seen = mistake.reviewed_at  # oldest first: the latest is the last one
        entry.learners[names.get(mistake.learner_id, str(mistake.learner_id))] += 1
        entry.questions[mistake.question_id] += 1
        for index in range(len(weeks) - 1, -1, -1):
            if mistake.reviewed_at >= weeks[index]:
                entry.per_week[index] += 1
                break
    return sorted(found.values(), key=lambda entry: (-entry.count, entry.mistake_id))


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
