"""Bridging study items of kind `numeric` to quiz.numeric: templates, fresh instances, grading.

Runs in worker threads; the UI only ever sees the plain values returned here.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from functools import lru_cache

from quiz.bank.model import Block
from quiz.numeric import Instance, Solution, Template, instantiate, load_templates, solve
from quiz.store.counts import DrillCard, Mode, StudyScope
from quiz.store.db import Database
from quiz.store.items import StudyItem

SEED_LIMIT = 2**31  # fits the review log's integer column on every backend
DRILL_SECONDS = 4.0  # a drill starts with what was found by then (at least one card when any)


@dataclass(frozen=True)
class _TemplateQuestion:
    """The fields of a bank question that `load_templates` reads, rebuilt from a StudyItem."""

    id: str
    title: str
    answer: str
    sources: tuple[str, ...]
    kind: str
    blocks: tuple[Block, ...]
    file: str = "<database>"
    line: int = 0
    tags: tuple[str, ...] = field(default=())


@lru_cache(maxsize=256)
def _template(item_id: str, title: str, answer: str, sources: tuple[str, ...],
              blocks: tuple[tuple[str, str, int], ...]) -> Template:
    question = _TemplateQuestion(
        id=item_id, title=title, answer=answer, sources=sources, kind="numeric",
        blocks=tuple(Block(info=info, content=text, line=line) for info, text, line in blocks),
    )
    return load_templates([question])[item_id]


def template_for(item: StudyItem) -> Template:
    return _template(item.id, item.title, item.answer, item.sources, item.blocks)


def fresh_seed(rng: random.Random | None = None) -> int:
    return (rng or random.SystemRandom()).randrange(SEED_LIMIT)


def new_instance(item: StudyItem, seed: int) -> Instance:
    return instantiate(template_for(item), seed)


def precompute(instance: Instance) -> Solution:
    """Run the engine (and the misconception recipes) while the learner is still thinking."""
    return solve(instance)


def drill_scope(db: Database, count: int, rng: random.Random) -> StudyScope | None:
    """A study scope of `count` numeric cards for the misconceptions the learner makes most,
    each with an instance where the mistaken answer differs from the right one (one instance
    per card); None when no named mistake is logged yet or none can be drilled."""
    from collections import Counter

    from quiz.numeric.drill import drill
    from quiz.store.mistakes import logged_mistakes
    from quiz.store.queue import numeric_items

    made = Counter(m.mistake_id for m in logged_mistakes(db, learner_id=db.learner_id))
    if not made:
        return None
    templates = {item.id: template_for(item) for item in numeric_items(db)}
    chosen: dict[str, DrillCard] = {}
    # Draws repeat cards: ask for more than needed, for at most DRILL_SECONDS of engine runs.
    deadline = time.monotonic() + DRILL_SECONDS
    for entry in drill(made, templates, 2 * count, rng, deadline):
        if len(chosen) == count:
            break
        chosen.setdefault(entry.template.id,
                          DrillCard(entry.template.id, entry.seed, entry.mistake_id))
    if not chosen:
        return None
    return StudyScope(numeric_only=True, mode=Mode.DRILL, drill=tuple(chosen.values()))
