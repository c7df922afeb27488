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

from quiz.numeric.expr import ExprError, evaluate
from quiz.numeric.template import Template, TemplateError

MAX_TRIES = 2000

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
    for _ in range(MAX_TRIES):
        params = _draw(template, rng)
        if params is not None and satisfies(template, params) and (valid is None or valid(params)):
            return params
    raise SamplingError(f"template {template.id!r}: no valid draw in {MAX_TRIES} tries")


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
    params: Params = {}
    for spec in template.params:
        if spec.derived is not None:
            value = _derive(spec.derived, params)
            if value is None:
                return None  # a derived size that is not a whole number: draw again
            params[spec.name] = value
        else:
            params[spec.name] = rng.choice(spec.choices)
    return params


def _derive(node: object, params: Params) -> int | str | None:
    try:
        value = evaluate(node, params)  # type: ignore[arg-type]
    except ExprError:
        return None
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else None
    if isinstance(value, (int, str)):
        return value
    return None


def satisfies(template: Template, params: Params) -> bool:
    for text, node in template.constraints:
        try:
            if not evaluate(node, params):
                return False
        except (ExprError, TypeError) as error:
            raise TemplateError(f"constraint {text!r}: {error}", template.line) from None
    return True
