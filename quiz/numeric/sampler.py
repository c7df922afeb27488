"""Draw a template's parameters reproducibly from a seed.

`random.Random(seed)` is used rather than NumPy so that a seed stored in the review log keeps
meaning the same instance across NumPy versions. Draws are rejected until the template's
constraints hold and the `valid` callback (the engine's check of the layers) accepts them.
Negative seeds select the template's fixed instances: -1 is the first worked number of a source.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

from quiz.numeric.expr import ExprError, Node, evaluate
from quiz.numeric.template import Template, TemplateError

MAX_TRIES = 2000          # draws per instance (constraints are cheap to evaluate)
MAX_ENGINE_TRIES = 100    # draws the engine may reject before the template is called broken

Params = dict[str, int | str]


class SamplingError(ValueError):
    """No valid configuration was found (the template's ranges and constraints conflict)."""


def fixed_seeds(template: Template) -> list[int]:
    return [-(index + 1) for index in range(len(template.fixed))]


def sample_params(
    template: Template, seed: int, valid: Callable[[Params], bool] | None = None,
) -> Params:
    if seed < 0:
        return _fixed_params(template, seed)
    rng = random.Random(seed)
    rejected = 0
    for _ in range(MAX_TRIES):
        params = _draw(template, rng)
        if params is None or not satisfies(template, params):
            continue
        if valid is None or valid(params):
            return params
        rejected += 1
        if rejected >= MAX_ENGINE_TRIES:
            raise SamplingError(f"template {template.id!r}: the engine rejected "
                                f"{MAX_ENGINE_TRIES} draws that satisfy the constraints")
    raise SamplingError(f"template {template.id!r}: no valid draw in {MAX_TRIES} tries")


def check_template(template: Template) -> None:
    """Done at import, before any review: the derived sizes and constraints evaluate (within the
    expression reader's bounds) and some draw satisfies them. No engine runs here."""
    rng = random.Random(0)
    problem = ""
    for _ in range(MAX_TRIES):
        params, problem = _draw_explained(template, rng)
        if params is not None and satisfies(template, params):
            return
    line = template.constraint_lines[0] if template.constraint_lines else template.line
    raise TemplateError(f"no draw in {MAX_TRIES} satisfies the constraints (where:)"
                        + (f"; {problem}" if problem else ""), line, template.file)


def _fixed_params(template: Template, seed: int) -> Params:
    index = -seed - 1
    if index >= len(template.fixed):
        raise SamplingError(
            f"template {template.id!r} has {len(template.fixed)} fixed instances; seed {seed} "
            "selects none (negative seeds -1, -2, … select them)"
        )
    params: Params = dict(template.fixed[index].values)
    for spec in template.params:
        if spec.derived is not None:
            value = _derive(spec.derived, params)
            if value is None:
                raise TemplateError(f"fixed {template.fixed[index].label}: {spec.name} "
                                    "is not a whole number", template.line)
            params[spec.name] = value
    return params


def _draw(template: Template, rng: random.Random) -> Params | None:
    return _draw_explained(template, rng)[0]


def _draw_explained(template: Template, rng: random.Random) -> tuple[Params | None, str]:
    params: Params = {}
    for spec in template.params:
        if spec.derived is not None:
            value, problem = _derive_explained(spec.derived, params)
            if value is None:
                # a derived size that is not a whole number: draw again
                return None, f"{spec.name} = {spec.text}: {problem}"
            params[spec.name] = value
        else:
            params[spec.name] = rng.choice(spec.choices)
    return params, ""


def _derive(node: Node, params: Params) -> int | str | None:
    return _derive_explained(node, params)[0]


def _derive_explained(node: Node, params: Params) -> tuple[int | str | None, str]:
    try:
        value = evaluate(node, params)
    except ExprError as error:
        return None, str(error)
    if isinstance(value, Fraction):
        return (int(value), "") if value.denominator == 1 else (None, "not a whole number")
    if isinstance(value, (int, str)):
        return value, ""
    return None, f"not a size: {value!r}"


def params_problems(template: Template, params: Params) -> list[str]:
    """Why `params` (a printed instance's) could not be drawn from the template today: unknown
    or missing names, values outside a parameter's choices, a derived size that no longer
    follows, a constraint that no longer holds. Empty when they could."""
    problems = [f"{name} is no parameter of the template any more"
                for name in params if name not in template.param_names]
    drawn: Params = {}
    for spec in template.params:
        if spec.name not in params:
            problems.append(f"{spec.name} is missing")
            return problems
        value = params[spec.name]
        if spec.derived is not None:
            if _derive(spec.derived, drawn) != value:
                problems.append(f"{spec.name} = {spec.text} no longer gives {value}")
        elif value not in spec.choices:
            problems.append(f"{spec.name} = {value} is outside {spec.text}")
        drawn[spec.name] = value
    if not problems:
        try:
            if not satisfies(template, drawn):
                problems.append("a constraint (where:) no longer holds")
        except TemplateError as error:
            problems.append(str(error))
    return problems


def satisfies(template: Template, params: Params) -> bool:
    lines = template.constraint_lines or (template.line,) * len(template.constraints)
    for (text, node), line in zip(template.constraints, lines, strict=True):
        try:
            if not evaluate(node, params):
                return False
        except (ExprError, TypeError) as error:
            raise TemplateError(f"constraint {text!r}: {error}", line, template.file) from None
    return True
