"""The one cached runner: net text → engine run → `Measurement`.

Claims and templates both run their nets here. Runs are cached by (canonical text, input shape,
whether the receptive field is wanted): instances, misconception rewrites and claims repeat
nets often. `clear_cache()` empties it (benchmarks time cold runs).

Nets run in float32 with a fixed seed: every figure read off them is an exact count, a shape
or a receptive field, which the values of the arrays do not change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from quiz.engine import parse_net, receptive_field, run_net
from quiz.engine.layers import NotSpatialError
from quiz.engine.receptive import receptive_field_closed_form
from quiz.measure.measurement import FieldStep, Geometry, MeasureError, Measurement

if TYPE_CHECKING:
    from quiz.engine.network import NetRun

DTYPE = np.float32
CACHE_SIZE = 512

_CACHE: OrderedDict[tuple[str, tuple[int, ...] | None, bool], Measurement] = OrderedDict()
_DATA_CACHE: OrderedDict[tuple[str, tuple[int, ...] | None, bool], Measurement] = OrderedDict()
# The TUI solves in a worker thread while the main thread may draw the next instance.
_LOCK = threading.Lock()


def canonical(text: str) -> str:
    """Net text without comments, blank lines and repeated blanks (the cache key)."""
    lines = (" ".join(raw.split("#", 1)[0].split()) for raw in text.splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def measure(text: str, input_shape: tuple[int, ...] | None = None,
            receptive: bool = False) -> Measurement:
    """Run a net (its `input` line gives the shape unless `input_shape` does; a 3-tuple is
    C×H×W with batch 1). Raises `MeasureError` when the engine rejects the net."""
    key = (canonical(text), None if input_shape is None else _batched(input_shape), receptive)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    result = _measure(*key)  # outside the lock: a run may take a while
    with _LOCK:
        _CACHE[key] = result
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def accepts(text: str, input_shape: tuple[int, ...] | None = None) -> bool:
    """Whether the engine runs the net (the sampler draws only such instances)."""
    try:
        measure(text, input_shape)
    except MeasureError:
        return False
    return True


def measure_data(text: str) -> Measurement:
    """Compute a template's `data` section (quiz.engine.problem): boxes, detections, an RoI, …
    Raises `MeasureError` when the engine cannot read or compute it."""
    from quiz.engine.problem import run_data

    key = (canonical(text), None, False)
    with _LOCK:
        cached = _DATA_CACHE.get(key)
        if cached is not None:
            _DATA_CACHE.move_to_end(key)
            return cached
    try:
        result = Measurement(text, (), (), (), data=run_data(key[0]))
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        raise MeasureError(str(error) or type(error).__name__) from None
    with _LOCK:
        _DATA_CACHE[key] = result
        if len(_DATA_CACHE) > CACHE_SIZE:
            _DATA_CACHE.popitem(last=False)
    return result


def accepts_data(text: str) -> bool:
    """Whether the engine computes the data section (the sampler draws only such instances)."""
    try:
        measure_data(text)
    except MeasureError:
        return False
    return True


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
        _DATA_CACHE.clear()


def cache_size() -> int:
    with _LOCK:
        return len(_CACHE)


def engine_run(text: str, input_shape: tuple[int, ...] | None = None,
               seed: int = 0) -> NetRun:
    """The engine's own run (layers kept, uncached): for checks that need the built layers."""
    try:
        return run_net(parse_net(text, source="net"), input_shape,
                       rng=np.random.default_rng(seed), dtype=DTYPE)
    except (ValueError, ZeroDivisionError, MemoryError) as error:
        raise MeasureError(str(error) or type(error).__name__) from None


def _batched(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(v) for v in shape) if len(shape) != 3 else (1, *map(int, shape))


def _measure(text: str, input_shape: tuple[int, ...] | None, receptive: bool) -> Measurement:
    lines = [line.split() for line in text.splitlines()]
    layers = [tokens for tokens in lines if tokens and tokens[0] != "input"]
    if not layers:
        # a misconception removed every layer ("forgot the 1×1 conv"): nothing runs or counts
        shape = input_shape or (1, *_input_dims(lines))
        return Measurement(text, shape, shape, ())
    run = engine_run(text, input_shape)
    rf = jump = None
    steps: tuple[FieldStep | None, ...] = ()
    if receptive:
        rf, jump = _last_field(run)
        steps = _steps(run)
    return Measurement(
        text=text, input_shape=tuple(int(v) for v in run.input_shape),
        output_shape=tuple(int(v) for v in run.output_shape), reports=tuple(run.layers),
        geometry=tuple(_geometry(path[-1]) for path in run.paths), rf=rf, jump=jump,
        steps=steps)


def _input_dims(lines: list[list[str]]) -> tuple[int, ...]:
    for tokens in lines:
        if tokens and tokens[0] == "input" and len(tokens) == 2:
            try:
                return tuple(int(part) for part in tokens[1].split("x"))
            except ValueError:
                break
    raise MeasureError("net has no 'input CxHxW' line")


def _last_field(run: NetRun) -> tuple[tuple[int, int], tuple[int, int]]:
    hw = (int(run.input_shape[-2]), int(run.input_shape[-1]))
    try:
        last = receptive_field(run, hw)[-1]
    except NotSpatialError:
        last = None
    if last is None:
        raise MeasureError("the receptive field is not a uniform window for this net")
    return ((int(last.size[0]), int(last.size[1])), (int(last.jump[0]), int(last.jump[1])))


def _steps(run: NetRun) -> tuple[FieldStep | None, ...]:
    hw = (int(run.input_shape[-2]), int(run.input_shape[-1]))
    return tuple(None if info is None else FieldStep(
        (int(info.size[0]), int(info.size[1])), (int(info.jump[0]), int(info.jump[1])))
        for info in receptive_field_closed_form(run, hw))


def _geometry(layer: Any) -> Geometry | None:
    """Kernel, stride, padding and dilation as the engine's layer uses them."""
    kernel = getattr(layer, "kernel_size", None)
    if kernel is None:
        return None
    groups = int(getattr(layer, "groups", 1))
    ceil = bool(getattr(layer, "ceil_mode", False))
    output_padding = tuple(getattr(layer, "output_padding", (0, 0)))
    try:
        window = layer.window((1 << 20, 1 << 20))
    except NotSpatialError:
        window = None
    if window is None:  # a transposed conv: its own attributes, not an input window
        return Geometry(tuple(kernel), tuple(layer.stride), tuple(layer.padding),
                        tuple(layer.dilation), groups, ceil, output_padding)
    return Geometry(window.kernel, window.stride, window.padding, window.dilation, groups, ceil,
                    output_padding, getattr(layer, "padding", None) == "same")


__all__ = ["accepts", "accepts_data", "cache_size", "canonical", "clear_cache", "engine_run",
           "measure", "measure_data"]
