"""Run a template's nets through the engine and read the measured figures.

Everything a template may ask (`ask:` functions) is read from the engine's `LayerReport`s or its
receptive-field analysis: shapes, parameter/MAC/FLOP counts, working set, receptive field. Nets
run with batch 1 in float32 — every asked figure is an exact integer count or a shape, so the
values of the arrays do not matter, only that the real ops ran on them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from quiz.numeric.nettext import input_dims, layer_lines, parse_lines, render

RUN_CACHE_SIZE = 512


@dataclass(frozen=True)
class NetRun:
    """What the engine measured for one net (one template `net` section, substituted)."""

    text: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    reports: tuple[Any, ...]               # quiz.engine LayerReport, in execution order
    rf: tuple[int, int] | None = None      # receptive field of the last layer (h, w)
    jump: tuple[int, int] | None = None    # effective stride of the last layer (h, w)

    def total(self, field_name: str) -> int:
        return sum(int(getattr(report, field_name)) for report in self.reports)


class NetError(ValueError):
    """The engine rejected a net (invalid configuration)."""


_CACHE: OrderedDict[tuple[str, bool], NetRun] = OrderedDict()
# The TUI solves in a worker thread while the main thread may draw the next instance.
_CACHE_LOCK = threading.Lock()


def run_text(text: str, want_rf: bool = False) -> NetRun:
    """Run one net text (cached by text: instances and recipes often repeat a net)."""
    key = (render(parse_lines(text)), want_rf)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    result = _run_uncached(key[0], want_rf)  # outside the lock: runs may take a while
    with _CACHE_LOCK:
        _CACHE[key] = result
        if len(_CACHE) > RUN_CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _run_uncached(text: str, want_rf: bool) -> NetRun:
    from quiz.numeric import engine_adapter  # numpy and the engine load only when a net runs

    lines = parse_lines(text)
    dims = input_dims(lines)
    if dims is None:
        raise NetError("net has no 'input CxHxW' line")
    if not layer_lines(lines):
        # a recipe removed every layer (e.g. "forgot the 1×1 conv"): nothing runs, nothing counts
        return NetRun(text=text, input_shape=(1, *dims), output_shape=(1, *dims), reports=())
    try:
        return engine_adapter.run(text, (1, *dims), want_rf)
    except (ValueError, ZeroDivisionError) as error:
        raise NetError(str(error)) from None


def plan_ok(text: str) -> bool:
    """Whether the engine accepts a net (used by the sampler to draw only valid instances)."""
    from quiz.numeric import engine_adapter

    dims = input_dims(parse_lines(text))
    if dims is None:
        return False
    try:
        return engine_adapter.plan(text, (1, *dims))
    except (ValueError, ZeroDivisionError):
        return False


def _bn_buffers(run: NetRun) -> int:
    return sum(2 * int(r.output_shape[1]) for r in run.reports if "batch_norm" in r.kind)


def _lstm_reports(run: NetRun) -> list[Any]:
    return [r for r in run.reports if r.kind == "lstm"]


def _params_one_bias(run: NetRun) -> int:
    return run.total("params") - sum(int(r.bias_params) // 2 for r in _lstm_reports(run))


def _params_no_recurrent(run: NetRun) -> int:
    # W_hh is (4H, H): the hidden size is the last output dimension of the LSTM layer
    recurrent = sum(4 * int(r.output_shape[-1]) ** 2 for r in _lstm_reports(run))
    return run.total("params") - recurrent


def _product(values: tuple[int, ...]) -> int:
    result = 1
    for value in values:
        result *= int(value)
    return result


def _need_rf(run: NetRun) -> tuple[int, int]:
    if run.rf is None:
        raise NetError("receptive field was not measured for this net")
    return run.rf


def _need_jump(run: NetRun) -> tuple[int, int]:
    if run.jump is None:
        raise NetError("receptive field was not measured for this net")
    return run.jump


# Every function an `ask:` may use, plus the hidden figures the misconception recipes read.
METRICS: dict[str, Callable[[NetRun], Any]] = {
    "out_hw": lambda run: tuple(int(v) for v in run.output_shape[-2:]),
    "out_shape": lambda run: tuple(int(v) for v in run.output_shape),
    "out_h": lambda run: int(run.output_shape[-2]),
    "out_w": lambda run: int(run.output_shape[-1]),
    "out_c": lambda run: int(run.output_shape[1]),
    "out_elems": lambda run: _product(run.output_shape[1:]),
    "params": lambda run: run.total("params"),
    "weight_params": lambda run: run.total("weight_params"),
    "bias_params": lambda run: run.total("bias_params"),
    "macs": lambda run: run.total("macs"),
    "flops": lambda run: run.total("flops"),
    "bias_adds": lambda run: run.total("bias_adds"),
    "working_set": lambda run: run.total("working_set_elems"),
    "rf": lambda run: _need_rf(run)[0],
    "jump": lambda run: _need_jump(run)[0],
    # figures only the misconception recipes read
    "flops_bias": lambda run: run.total("flops") + run.total("bias_adds"),
    "params_buffers": lambda run: run.total("params") + _bn_buffers(run),
    "params_one_bias": _params_one_bias,
    "params_no_recurrent": _params_no_recurrent,
    "io_elems": lambda run: run.total("input_elems") + run.total("output_elems"),
    "working_set_bytes": lambda run: sum(
        int(r.working_set_elems) * int(r.bytes_per_elem) for r in run.reports),
}


def as_value(value: Any) -> Any:
    """Normalise a measured/derived value: whole Fractions become ints, shapes stay tuples."""
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    if isinstance(value, bool):
        return value
    return value
