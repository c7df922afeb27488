"""Randomized numeric questions graded by running the engine's layers.

Public API (used by the TUI, the store integration and the CLI):
`load_templates`, `Template`, `instantiate`, `Instance`, `solve`, `Solution`, `grade`, `Verdict`,
`Status`, `parse_answer`, `ParsedAnswer`, `fixed_seeds`, `families`, `FAMILIES` (the one
list of families), `clear_caches`.
Importing this package loads neither NumPy nor the engine (they load when a net first runs), and
never Textual or SQLAlchemy.

Typical use (one review of a numeric card)::

    templates = load_templates(questions)           # bank questions of kind numeric, by id
    instance = instantiate(templates[qid], seed)    # seed: stored in the review log; the engine
                                                    # checks the drawn layers (cached runs)
    solution = solve(instance)                      # in a worker while the prompt is shown:
                                                    # engine runs + every misconception's value
    verdict = grade(instance, text, solution, elapsed_s)
    verdict.status          # Status.RIGHT / WRONG / UNPARSEABLE (unparseable: ask again)
    verdict.message, verdict.mistake, verdict.worked (Markdown), verdict.suggested_rating
    # 3 Good, 4 Easy (right and quick), 1 Again (wrong), 0 (unparseable: not graded)

`instantiate(template, -1)` is the template's first fixed instance (a source's worked numbers).
"""

from quiz.numeric.answer import ParsedAnswer, parse_answer
from quiz.numeric.core import (
    Instance,
    Solution,
    clear_caches,
    instantiate,
    load_templates,
    solve,
)
from quiz.numeric.families import FAMILIES, Family
from quiz.numeric.grading import Status, Verdict, give_up, grade
from quiz.numeric.mistakes import FAMILY_RECIPES, RECIPES
from quiz.numeric.sampler import SamplingError, fixed_seeds
from quiz.numeric.template import Template, TemplateError, parse_template


def families(templates: dict[str, Template]) -> dict[str, list[str]]:
    """Family name → template ids, in bank order."""
    grouped: dict[str, list[str]] = {}
    for template in templates.values():
        grouped.setdefault(template.family, []).append(template.id)
    return grouped


__all__ = [
    "FAMILIES", "FAMILY_RECIPES", "RECIPES", "Family", "Instance", "ParsedAnswer",
    "SamplingError", "Solution", "Status", "Template", "TemplateError", "Verdict",
    "clear_caches", "families", "fixed_seeds",
    "give_up", "grade", "instantiate", "load_templates", "parse_answer", "parse_template", "solve",
]
