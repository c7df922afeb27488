"""Measure what a claim is about: a quantity of a layer stack (through `quiz.measure`, the runner
templates use too) or one of the special checks (normalization identities, coverage).

Imported lazily by `quiz.verify.claims.check_claim`: it pulls in NumPy and the engine. Each
function returns the measured `Value`, a one-line account of what ran, and a detail for reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from quiz.bank.claims import Claim, Value, flag, format_number, number, shape
from quiz.engine import coverage
from quiz.engine.ops import batch_norm, group_norm, instance_norm, layer_norm
from quiz.measure.measurement import read
from quiz.measure.quantities import Form, quantity
from quiz.measure.runner import engine_run
from quiz.measure.runner import measure as run_measure

Measurement = tuple[Value, str, str]
# |y - x| allowed for "gives back x": far above float64 rounding, far below any real mismatch.
IDENTITY_ATOL = 1e-8


def _describe(lines: Sequence[str], input_shape: Sequence[int]) -> str:
    dims = "x".join(str(d) for d in input_shape)
    return f"{' | '.join(lines)} on {dims}"


def _net_value(lines: Sequence[str], claim: Claim) -> Value:
    """The claim's quantity for one layer stack, read from a real (cached) run."""
    run = run_measure("\n".join(lines), claim.input_shape,
                      receptive=quantity(claim.quantity).receptive)
    value = read(run, claim.quantity)
    if quantity(claim.quantity).form is Form.FIELD and isinstance(value, int):
        value = (value, value)  # a square field: shown as 7x7; a claimed 7 still matches
    return shape(value) if isinstance(value, tuple) else number(float(value))


def measure_net(claim: Claim, seed: int) -> Measurement:
    value = _net_value(claim.net, claim)
    ran = f"run_net {claim.quantity}: {_describe(claim.net, claim.input_shape)}"
    if not claim.baseline:
        return value, ran, ""
    base = _net_value(claim.baseline, claim)
    if value.kind != "number" or base.kind != "number" or base.number == 0:
        raise ValueError(f"a ratio needs nonzero counts, got {value} / {base}")
    ratio = number(value.number / base.number)
    ran += f" ÷ {_describe(claim.baseline, claim.input_shape)}"
    return ratio, ran, f"{format_number(value.number)} / {format_number(base.number)}"


def _random_batch(input_shape: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    # per-channel offsets and scales far from 0 and 1, so that swapping mean and std shows
    channels = input_shape[1]
    offsets = rng.uniform(2.0, 5.0, size=(1, channels, 1, 1))
    scales = rng.uniform(1.5, 3.0, size=(1, channels, 1, 1))
    result: np.ndarray = offsets + scales * rng.standard_normal(tuple(input_shape))
    return result


def measure_bn_identity(claim: Claim, seed: int) -> Measurement:
    """Does BN with γ, β set to the batch's statistics give back its input?"""
    x = _random_batch(claim.input_shape, np.random.default_rng(seed))
    eps = 1e-5
    stats = {"mean": x.mean(axis=(0, 2, 3)), "std": np.sqrt(x.var(axis=(0, 2, 3)) + eps)}
    gamma, beta = stats[claim.options["gamma"]], stats[claim.options["beta"]]
    y = batch_norm(x, None, None, weight=gamma, bias=beta, training=True, eps=eps)
    error = float(np.max(np.abs(y - x)))
    ran = (f"batch_norm(training) with γ={claim.options['gamma']}, β={claim.options['beta']} "
           f"on {'x'.join(map(str, claim.input_shape))}")
    return flag(error <= IDENTITY_ATOL), ran, f"max |y - x| = {error:.3g}"


def _other_norm(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name == "layer":
        return lambda x: layer_norm(x, x.shape[1:])
    return lambda x: instance_norm(x)


def measure_gn_equivalence(claim: Claim, seed: int) -> Measurement:
    """Is GroupNorm with the given number of groups the same function as LN (or IN)?"""
    x = _random_batch(claim.input_shape, np.random.default_rng(seed))
    channels = claim.input_shape[1]
    groups_text = claim.options["groups"]
    groups = channels if groups_text == "C" else int(groups_text)
    if channels < 2:
        raise ValueError("gn-equivalence needs at least 2 channels to tell G=1 from G=C")
    y_group = group_norm(x, groups)
    y_other = _other_norm(claim.options["norm"])(x)
    error = float(np.max(np.abs(y_group - y_other)))
    ran = (f"group_norm(G={groups}) vs {claim.options['norm']}_norm "
           f"on {'x'.join(map(str, claim.input_shape))}")
    return flag(error <= IDENTITY_ATOL), ran, f"max difference = {error:.3g}"


def measure_coverage(claim: Claim, seed: int) -> Measurement:
    """Does one output unit of the stack draw on every input pixel inside its receptive field?"""
    run = engine_run("\n".join(claim.net), claim.input_shape, seed)
    mask = np.asarray(coverage(run, run.input_shape[2:]), dtype=bool)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise ValueError("the output unit has an empty support")
    box = mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    covered = int(box.sum())
    ran = f"coverage: {_describe(claim.net, claim.input_shape)}"
    detail = f"{covered}/{box.size} pixels of the {box.shape[0]}x{box.shape[1]} field"
    return flag(covered == box.size), ran, detail


CHECK_RUNS: dict[str, Callable[[Claim, int], Measurement]] = {
    "bn-identity": measure_bn_identity,
    "gn-equivalence": measure_gn_equivalence,
    "coverage": measure_coverage,
}


def measure(claim: Claim, seed: int = 0) -> Measurement:
    if claim.check:
        return CHECK_RUNS[claim.check](claim, seed)
    return measure_net(claim, seed)
