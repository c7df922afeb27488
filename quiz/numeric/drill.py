"""Drill your own mistakes: numeric questions for the misconceptions a learner makes most, each
drawn so that the mistake shows — an instance where the mistaken answer differs from the right one
(p > 0 for "ignored padding", d > 1 for "ignored dilation", H ≠ W for "swapped H/W"), checked by
running the engine on the instance, not guessed from its parameters."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quiz.numeric.mistakes import RECIPES, recipes_for

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.numeric.core import Instance
    from quiz.numeric.template import Template

SWAPPED_HW = "swapped-hw"  # named by the grader, not a recipe: shows when H ≠ W
DRAWS = 40                 # instances tried per template before a mistake is given up


@dataclass(frozen=True)
class DrillItem:
    template: Template
    seed: int
    mistake_id: str


def templates_for(mistake_id: str, templates: dict[str, Template]) -> list[Template]:
    """The templates whose grading can name this mistake."""
    if mistake_id == SWAPPED_HW:
        return [t for t in templates.values() if t.family.endswith("output")]
    return [t for t in templates.values()
            if any(recipe.id == mistake_id for recipe in recipes_for(t.family, t.mistakes))]


def shows(mistake_id: str, instance: Instance) -> bool:
    """The mistake gives another answer than the right one on this instance (engine-checked)."""
    from quiz.numeric import solve

    solution = solve(instance, eager=mistake_id != SWAPPED_HW)
    if mistake_id == SWAPPED_HW:
        expected: Any = solution.expected
        return isinstance(expected, tuple) and len(expected) >= 2 and expected[-1] != expected[-2]
    return any(alternative.recipe.id == mistake_id for alternative in solution.alternatives)


def drill(mistakes: Counter[str], templates: dict[str, Template], count: int,
          rng: random.Random, deadline: float | None = None) -> list[DrillItem]:
    """`count` questions over the learner's mistakes, the more frequent ones more often.
    `deadline` (a `time.monotonic()` value): once one question is found, stop drawing then and
    return what was found — each try runs the engine, and an instance that shows a rare mistake
    can take many tries."""
    from quiz.numeric import instantiate

    usable = {mistake: found for mistake in mistakes
              if (found := templates_for(mistake, templates))}
    if not usable:
        return []
    names = sorted(usable)
    weights = [mistakes[name] for name in names]
    items: list[DrillItem] = []
    for _ in range(count):
        mistake = rng.choices(names, weights=weights)[0]
        choices = list(usable[mistake])
        rng.shuffle(choices)
        item = _instance_showing(choices, mistake, rng, instantiate,
                                 deadline if items else None)
        if item is not None:
            items.append(item)
        if items and _past(deadline):
            break
    return items


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _instance_showing(templates: list[Template], mistake: str, rng: random.Random,
                      instantiate: Any, deadline: float | None = None) -> DrillItem | None:
    """An instance of one of `templates` on which `mistake` shows: one draw per template in
    turn, so a template where it rarely or never shows does not hold up the others."""
    for _ in range(DRAWS):
        for template in templates:
            seed = rng.randrange(2**31)
            if shows(mistake, instantiate(template, seed)):
                return DrillItem(template, seed, mistake)
            if _past(deadline):
                return None
    return None


def mistake_names() -> dict[str, str]:
    """Every named mistake's id and name as a reader sees it (through the bank's renderer: `W_hh`
    in a name is shown as math): the recipes', and the grader's own (H/W swapped)."""
    from quiz.numeric.grading import SWAPPED_HW as SWAPPED
    from quiz.render.generated import plain_text

    names = {**{recipe.id: recipe.name for recipe in RECIPES.values()}, SWAPPED[0]: SWAPPED[1]}
    return {mistake: plain_text(name) for mistake, name in names.items()}
