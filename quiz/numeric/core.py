"""Templates → instances → engine solutions → verdicts: the public workflow of quiz.numeric."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from quiz.measure.measurement import READERS, MeasureError, Measurement, read
from quiz.measure.quantities import Form, form_of
from quiz.numeric.expr import ExprError, Node, calls_in, evaluate, parse_expr
from quiz.numeric.mistakes import Recipe, recipes_for
from quiz.numeric.sampler import Params, check_template, sample_params
from quiz.numeric.template import Template, TemplateError, parse_template, substitute

if TYPE_CHECKING:
    from quiz.engine.spec import NetSpec

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
    data: tuple[tuple[str, str], ...] = ()  # (name, substituted data text) the engine computes

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.template_id, self.seed, self.nets, self.data, self.ask)

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
            **({"data": {name: text for name, text in self.data}} if self.data else {}),
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

    def __init__(self, instance: Instance, ask: Node, expected: Any,
                 runs: dict[str, Measurement],
                 want_rf: bool, seconds: float) -> None:
        self.instance_key = instance.key
        self.batch = instance.batch
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
        raise TemplateError(f"numeric question {question.id!r} needs exactly one ```template "
                            "block", question.line, question.file, question.id)
    return _template_from(question, blocks[0])


def _template_from(question: Any, block: Any) -> Template:
    try:
        template = parse_template(block.content, id=question.id, title=question.title,
                                  first_line=block.line + 1)
        check_template(template)  # at import: sizes and constraints evaluate and can hold
    except TemplateError as error:
        raise TemplateError(error.message, error.line or block.line, question.file,
                            question.id) from None
    return replace(template, explanation=question.answer, sources=tuple(question.sources),
                   file=question.file)


def instantiate(template: Template, seed: int) -> Instance:
    """Draw a valid instance deterministically from `seed` (the engine checks the layers)."""

    from quiz.measure.runner import (  # NumPy and the engine load with the first run
        accepts,
        accepts_data,
    )

    def valid(params: Params) -> bool:
        return (all(accepts(substitute(text, params)) for _, text in template.nets)
                and all(accepts_data(substitute(text, params)) for _, text in template.data))

    params = sample_params(template, seed, valid)
    if seed < 0 and not valid(params):
        raise TemplateError(f"fixed instance {template.fixed[-seed - 1].label} of "
                            f"{template.id!r} is rejected by the engine", template.line)
    return _instance(template, seed, params)


def instance_from_params(template: Template, seed: int, params: Params) -> Instance:
    """The instance with these parameters (a printed sheet's), drawing nothing: a sheet is graded
    as printed even after the template's ranges changed. Raises TemplateError when the template
    cannot take them any more (a parameter missing, or a net the engine rejects); whether they
    still lie in today's ranges is `sampler.params_problems`' question."""
    from quiz.measure.runner import accepts, accepts_data

    missing = sorted(set(template.param_names) - set(params))
    if missing:
        raise TemplateError(f"{template.id}: the template now needs {', '.join(missing)}, "
                            "which the printed parameters lack", template.line)
    values = {name: params[name] for name in template.param_names}
    for _, text in template.nets:
        if not accepts(substitute(text, values)):
            raise TemplateError(f"{template.id}: the engine rejects these parameters now",
                                template.line)
    for _, text in template.data:
        if not accepts_data(substitute(text, values)):
            raise TemplateError(f"{template.id}: the engine rejects these parameters now",
                                template.line)
    return _instance(template, seed, values)


def _instance(template: Template, seed: int, params: Params) -> Instance:
    batch_text = substitute(template.batch, params) if template.batch else ""
    return Instance(
        template_id=template.id, family=template.family, seed=seed, params=params,
        prompt=substitute(template.prompt, params) + _answer_hint(template), unit=template.unit,
        nets=tuple((name, _canonical_net(substitute(text, params)))
                   for name, text in template.nets),
        ask=template.ask_text, tolerance=template.tolerance,
        batch=int(batch_text) if batch_text.isdigit() else None,
        mistakes=tuple(r.id for r in recipes_for(template.family, template.mistakes)),
        source=template.fixed[-seed - 1].label if seed < 0 else None,
        data=tuple((name, _canonical_data(substitute(text, params)))
                   for name, text in template.data),
    )


def _answer_hint(template: Template) -> str:
    """The grading rule, stated with the question (exact vs. tolerance)."""
    if any(form_of(name) is Form.SHAPE for name in calls_in(template.ask)):
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
    from quiz.measure.runner import measure, measure_data

    start = time.perf_counter()
    ask = parse_expr(instance.ask)
    want_rf = _uses_rf(ask)
    try:
        runs = {name: measure(text, receptive=want_rf) for name, text in instance.nets}
        runs.update((name, measure_data(text)) for name, text in instance.data)
    except MeasureError as error:
        raise TemplateError(f"{instance.template_id}: {error}") from None
    expected = _evaluate(ask, runs, {}, instance.batch)
    solution = Solution(instance, ask, expected, runs, want_rf, time.perf_counter() - start)
    if eager:
        solution.alternatives  # noqa: B018 - computes and caches them
    with _SOLUTIONS_LOCK:
        _SOLUTIONS[instance.key] = solution
        if len(_SOLUTIONS) > SOLUTION_CACHE_SIZE:
            _SOLUTIONS.popitem(last=False)
    return solution


def clear_caches() -> None:
    """Forget every solved instance and every engine run (benchmarks time cold runs)."""
    from quiz.measure.runner import clear_cache

    with _SOLUTIONS_LOCK:
        _SOLUTIONS.clear()
    clear_cache()


def _uses_rf(node: Node) -> bool:
    return any(form_of(name) is Form.FIELD for name in calls_in(node))


def _evaluate(ask: Node, runs: dict[str, Measurement], swap: dict[str, str],
              batch: int | None) -> Any:
    """The asked quantity from the runs; `swap` reads another figure (a recipe's metric)."""
    functions = {name: _reader(swap.get(name, name), batch) for name in READERS}
    value = evaluate(ask, runs, functions)
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


def _reader(name: str, batch: int | None) -> Any:
    def figure(run: Measurement) -> Any:
        value = read(run, name, batch)
        return Fraction(value) if isinstance(value, int) else value  # exact ratios
    return figure


def _alternatives(
    instance: Instance, ask: Node, runs: dict[str, Measurement], expected: Any, want_rf: bool,
) -> Iterable[Alternative]:
    seen: list[Any] = [expected]
    for recipe in recipes_for(instance.family, instance.mistakes):
        try:
            value, nets = _recipe_value(recipe, instance, ask, runs, expected, want_rf)
        except (MeasureError, ExprError, ZeroDivisionError, TypeError):
            continue  # the rewrite is not a valid net here: that mistake cannot be made
        if value is None or value in seen:
            continue  # indistinguishable from the right answer (or an earlier mistake)
        seen.append(value)
        yield Alternative(recipe, value, nets)


def _recipe_value(
    recipe: Recipe, instance: Instance, ask: Node, runs: dict[str, Measurement], expected: Any,
    want_rf: bool,
) -> tuple[Any, tuple[tuple[str, str], ...]]:
    if recipe.ratio_only and not (ask.op == "bin" and ask.args[0] == "/"):
        return None, ()
    if recipe.shift is not None:
        return recipe.shift(expected), ()
    if recipe.metric:
        return _evaluate(ask, runs, recipe.metric, instance.batch), ()
    assert recipe.rewrite is not None
    from quiz.measure.runner import measure

    rewritten: dict[str, Measurement] = {name: runs[name] for name, _ in instance.data}
    changed_nets: list[tuple[str, str]] = []
    for name, text in instance.nets:
        net = _parse(text)
        changed = recipe.rewrite(net, _input_channels(runs[name], net))
        if changed is not None:
            new_text = changed.render()
            rewritten[name] = measure(new_text, receptive=want_rf)
            changed_nets.append((name, new_text))
        else:
            rewritten[name] = runs[name]
    if not changed_nets or not any(run.reports for run in rewritten.values()):
        return None, ()  # nothing changed, or nothing left to measure
    return _evaluate(ask, rewritten, {}, instance.batch), tuple(changed_nets)


def _parse(text: str) -> NetSpec:
    from quiz.engine.netspec import parse_net  # the registry of layers loads NumPy

    return parse_net(text)


def _canonical_net(text: str) -> str:
    """The net as the engine's reader writes it back (one spelling per net); a net the reader
    rejects is kept as written, for the engine's run to report."""
    from quiz.engine.netspec import NetSpecError

    try:
        return _parse(text).render()
    except NetSpecError:
        return text


def _canonical_data(text: str) -> str:
    """A data section with one blank between words and no empty lines (one spelling each)."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _input_channels(run: Measurement, net: NetSpec) -> list[int]:
    """Input channels of each layer line (sequential nets: one report per line)."""
    reports = run.reports
    if len(reports) != len(list(net.layers())):
        return []
    return [int(r.input_shape[1]) if len(r.input_shape) > 1 else 0 for r in reports]
