"""Run one checked claim through the NumPy engine and measure what it claims about.

Imported lazily by `quiz.bank.claims.check_claim`: it pulls in numpy and `quiz.engine`. Each
function returns the measured `Value`, a one-line account of what ran, and a detail for reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from quiz.bank.claims import Claim, Value, flag, format_number, number, shape
from quiz.engine import NetRun, coverage, parse_net, receptive_field, run_net
from quiz.engine.ops import batch_norm, group_norm, instance_norm, layer_norm

Measurement = tuple[Value, str, str]
# float32 keeps the largest bank nets (a 500x500x100 feature map) light; counts, shapes and
# receptive fields do not depend on the dtype. The normalization checks compare arrays and use
# float64 so that a true identity is not mistaken for a near miss.
NET_DTYPE = np.float32
# |y - x| allowed for "gives back x": far above float64 rounding, far below any real mismatch.
IDENTITY_ATOL = 1e-8


def _describe(lines: Sequence[str], input_shape: Sequence[int]) -> str:
    dims = "x".join(str(d) for d in input_shape)
    return f"{' | '.join(lines)} on {dims}"


@lru_cache(maxsize=8)
def _run(lines: tuple[str, ...], input_shape: tuple[int, ...], seed: int) -> NetRun:
    """One real run of a layer stack; several claims of a question often share a net."""
    spec = parse_net("\n".join(lines) + "\n", source="claim")
    return run_net(spec, input_shape, rng=np.random.default_rng(seed), dtype=NET_DTYPE)


def _count(run: NetRun, quantity: str) -> int:
    if quantity == "working_set":
        # the figure of the sources: input + output + parameters of each layer, summed
        return sum(layer.working_set_elems for layer in run.layers)
    return sum(getattr(layer, quantity) for layer in run.layers)


def _receptive(run: NetRun, quantity: str) -> Value:
    info = receptive_field(run, run.input_shape[2:])[-1]
    if info is None:
        raise ValueError("the net's last layer has no uniform receptive field")
    return shape(info.size if quantity == "rf" else info.jump)


def _net_value(lines: Sequence[str], claim: Claim, seed: int) -> Value:
    """The claim's quantity for one layer stack, read from a real run."""
    run = _run(tuple(lines), claim.input_shape, seed)
    if claim.quantity in {"rf", "jump"}:
        return _receptive(run, claim.quantity)
    if claim.quantity == "output_shape":
        return shape(run.output_shape[1:])  # per sample: C x H x W, or a flattened length
    if claim.quantity == "output_hw":
        return shape(run.output_shape[2:])
    return number(_count(run, claim.quantity))


def measure_net(claim: Claim, seed: int) -> Measurement:
    value = _net_value(claim.net, claim, seed)
    ran = f"run_net {claim.quantity}: {_describe(claim.net, claim.input_shape)}"
    if not claim.baseline:
        return value, ran, ""
    base = _net_value(claim.baseline, claim, seed)
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
    return offsets + scales * rng.standard_normal(tuple(input_shape))


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
    run = _run(tuple(claim.net), claim.input_shape, seed)
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
