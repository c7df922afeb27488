"""Templates → instances → engine solutions → verdicts: the public workflow of quiz.numeric."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from quiz.numeric.expr import ExprError, Node, evaluate
from quiz.numeric.measure import METRICS, NetError, NetRun, as_value, plan_ok, run_text
from quiz.numeric.mistakes import Recipe, recipes_for
from quiz.numeric.nettext import layer_lines, parse_lines, render
from quiz.numeric.sampler import Params, sample_params
from quiz.numeric.template import Template, TemplateError, parse_template, substitute

RF_FUNCTIONS = frozenset({"rf", "jump"})
SOLUTION_CACHE_SIZE = 64


@dataclass(frozen=True)
class Instance:
    """One concrete question: a template's parameters drawn from `seed` (negative seeds are the
    template's fixed instances, the worked numbers of the sources)."""

    template_id: str
    family: str
    seed: int
    params: dict[str, int | str] = field(hash=False)
    prompt: str
    unit: str
    nets: tuple[tuple[str, str], ...]      # (name, substituted net text) the engine runs
    ask: str
    tolerance: Fraction
    batch: int | None = None               # displayed batch size (engine runs batch 1)
    mistakes: tuple[str, ...] = ()
    source: str | None = None              # the source ID of a fixed instance

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.template_id, self.seed, self.nets, self.ask)

    @property
    def expected(self) -> Any:
        """The right answer (runs the engine on first use; `solve` caches it)."""
        return solve(self, eager=False).expected

    def to_json(self) -> dict[str, Any]:
        return {
            "template": self.template_id, "family": self.family, "seed": self.seed,
            "params": dict(self.params), "prompt": self.prompt, "unit": self.unit,
            "ask": self.ask, "tolerance": float(self.tolerance), "source": self.source,
            "nets": {name: text for name, text in self.nets},
        }


@dataclass(frozen=True)
class Alternative:
    """A misconception's value for this instance, as the engine measured it."""

    recipe: Recipe
    value: Any
    nets: tuple[tuple[str, str], ...]


class Solution:
    """The engine's runs for one instance. The misconception values (`alternatives`) need more
    runs: they are computed on first use, or at once with `solve(..., eager=True)` (the TUI's
    worker does that while the question is on screen)."""

    def __init__(self, instance: Instance, ask: Node, expected: Any, runs: dict[str, NetRun],
                 want_rf: bool, seconds: float) -> None:
        self.instance_key = instance.key
        self.expected = expected
        self.runs = runs
        self.seconds = seconds
        self._instance = instance
        self._ask = ask
        self._want_rf = want_rf
        self._alternatives: tuple[Alternative, ...] | None = None

    @property
    def alternatives(self) -> tuple[Alternative, ...]:
        if self._alternatives is None:
            start = time.perf_counter()
            self._alternatives = tuple(_alternatives(
                self._instance, self._ask, self.runs, self.expected, self._want_rf))
            self.seconds += time.perf_counter() - start
        return self._alternatives


def load_templates(
    questions: Iterable[Any], errors: list[TemplateError] | None = None,
) -> dict[str, Template]:
    """Templates from bank questions of kind numeric (one ```template block each).

    A malformed template raises `TemplateError` (naming file and line) — unless `errors` is
    given: then it is appended there and skipped, so one bad template cannot stop a session."""
    templates: dict[str, Template] = {}
    for question in questions:
        kind = getattr(question.kind, "value", question.kind)
        if kind != "numeric":
            continue
        try:
            templates[question.id] = _template_for(question)
        except TemplateError as error:
            if errors is None:
                raise
            errors.append(error)
    return templates


def _template_for(question: Any) -> Template:
    blocks = [b for b in question.blocks if b.info == "template"]
    if len(blocks) != 1:
        raise TemplateError(f"{question.file}:{question.line}: numeric question "
                            f"{question.id!r} needs exactly one ```template block")
    return _template_from(question, blocks[0])


def _template_from(question: Any, block: Any) -> Template:
    try:
        template = parse_template(block.content, id=question.id, title=question.title,
                                  first_line=block.line + 1)
    except TemplateError as error:
        raise TemplateError(f"{question.file}:{error.line or block.line}: {error.message}",
                            error.line) from None
    return replace(template, explanation=question.answer, sources=tuple(question.sources),
                   file=question.file)


def instantiate(template: Template, seed: int) -> Instance:
    """Draw a valid instance deterministically from `seed` (the engine checks the layers)."""

    def valid(params: Params) -> bool:
        return all(plan_ok(substitute(text, params)) for _, text in template.nets)

    params = sample_params(template, seed, valid)
    if seed < 0 and not valid(params):
        raise TemplateError(f"fixed instance {template.fixed[-seed - 1].label} of "
                            f"{template.id!r} is rejected by the engine", template.line)
    batch_text = substitute(template.batch, params) if template.batch else ""
    return Instance(
        template_id=template.id, family=template.family, seed=seed, params=params,
        prompt=substitute(template.prompt, params) + _answer_hint(template), unit=template.unit,
        nets=tuple((name, render(parse_lines(substitute(text, params))))
                   for name, text in template.nets),
        ask=template.ask_text, tolerance=template.tolerance,
        batch=int(batch_text) if batch_text.isdigit() else None,
        mistakes=tuple(r.id for r in recipes_for(template.family, template.mistakes)),
        source=template.fixed[-seed - 1].label if seed < 0 else None,
    )


SHAPE_ASKS = frozenset({"out_hw", "out_shape"})


def _answer_hint(template: Template) -> str:
    """The grading rule, stated with the question (exact vs. tolerance)."""
    from quiz.numeric.expr import calls_in

    if calls_in(template.ask) & SHAPE_ASKS:
        return ""
    if template.tolerance == 0:
        return "\n\n（请给出精确值。）"
    percent = f"{float(template.tolerance) * 100:g}%"
    return ("\n\n（精确值请逐位写对；写成近似值（如 1.2M、1.2亿、约 …）时"
            f"相对误差 {percent} 内算对。）")


_SOLUTIONS: OrderedDict[tuple[Any, ...], Solution] = OrderedDict()
_SOLUTIONS_LOCK = threading.Lock()  # solve runs in the TUI's worker thread


def solve(instance: Instance, eager: bool = True) -> Solution:
    """Run the engine on the instance's nets (and, when `eager`, on every misconception's
    rewrite of them, so that grading a wrong answer needs no further engine work)."""
    with _SOLUTIONS_LOCK:
        cached = _SOLUTIONS.get(instance.key)
    if cached is not None:
        if eager:
            cached.alternatives  # noqa: B018 - computes and caches them
        return cached
    start = time.perf_counter()
    ask = _parse_ask(instance.ask)
    want_rf = _uses_rf(ask)
    runs = {name: run_text(text, want_rf) for name, text in instance.nets}
    expected = _evaluate(ask, runs, {}, instance.batch)
    solution = Solution(instance, ask, expected, runs, want_rf, time.perf_counter() - start)
    if eager:
        solution.alternatives  # noqa: B018 - computes and caches them
    with _SOLUTIONS_LOCK:
        _SOLUTIONS[instance.key] = solution
        if len(_SOLUTIONS) > SOLUTION_CACHE_SIZE:
            _SOLUTIONS.popitem(last=False)
    return solution


def _parse_ask(text: str) -> Node:
    from quiz.numeric.expr import parse_expr

    return parse_expr(text)


def _uses_rf(node: Node) -> bool:
    from quiz.numeric.expr import calls_in

    return bool(calls_in(node) & RF_FUNCTIONS)


def _evaluate(ask: Node, runs: dict[str, NetRun], swap: dict[str, str], batch: int | None) -> Any:
    """The asked quantity from the runs; `swap` reads another figure (a recipe's metric)."""
    functions = {
        name: _metric(swap.get(name, name), batch) for name in METRICS
    }
    value = evaluate(ask, runs, functions)
    return as_value(value)


def _metric(name: str, batch: int | None) -> Any:
    measure = METRICS[name]
    if name == "out_shape" and batch is not None:
        # the engine ran batch 1; the batch size only passes through to the shape
        return lambda run: (batch, *measure(run)[1:])
    return lambda run: _exact(measure(run))


def _exact(value: Any) -> Any:
    return Fraction(value) if isinstance(value, int) else value


def _alternatives(
    instance: Instance, ask: Node, runs: dict[str, NetRun], expected: Any, want_rf: bool,
) -> Iterable[Alternative]:
    seen: list[Any] = [expected]
    for recipe in recipes_for(instance.family, instance.mistakes):
        try:
            value, nets = _recipe_value(recipe, instance, ask, runs, expected, want_rf)
        except (NetError, ExprError, ZeroDivisionError, TypeError):
            continue  # the rewrite is not a valid net here: that mistake cannot be made
        if value is None or value in seen:
            continue  # indistinguishable from the right answer (or an earlier mistake)
        seen.append(value)
        yield Alternative(recipe, value, nets)


def _recipe_value(
    recipe: Recipe, instance: Instance, ask: Node, runs: dict[str, NetRun], expected: Any,
    want_rf: bool,
) -> tuple[Any, tuple[tuple[str, str], ...]]:
    if recipe.ratio_only and not (ask.op == "bin" and ask.args[0] == "/"):
        return None, ()
    if recipe.shift is not None:
        return recipe.shift(expected), ()
    if recipe.metric:
        return _evaluate(ask, runs, recipe.metric, instance.batch), ()
    assert recipe.rewrite is not None
    rewritten: dict[str, NetRun] = {}
    changed_nets: list[tuple[str, str]] = []
    for name, text in instance.nets:
        lines = parse_lines(text)
        if recipe.rewrite(lines, _input_channels(runs[name], lines)):
            new_text = render(lines)
            rewritten[name] = run_text(new_text, want_rf)
            changed_nets.append((name, new_text))
        else:
            rewritten[name] = runs[name]
    if not changed_nets or not any(run.reports for run in rewritten.values()):
        return None, ()  # nothing changed, or nothing left to measure
    return _evaluate(ask, rewritten, {}, instance.batch), tuple(changed_nets)


def _input_channels(run: NetRun, lines: list[Any]) -> list[int]:
    """Input channels of each layer line (sequential nets: one report per line)."""
    reports = run.reports
    if len(reports) != len(layer_lines(lines)):
        return []
    return [int(r.input_shape[1]) if len(r.input_shape) > 1 else 0 for r in reports]
