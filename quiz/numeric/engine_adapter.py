"""The only module of quiz.numeric that calls quiz.engine (and NumPy).

Nets are the engine's text format; one addition of ours: an `lstm H` line after `input 1x1xI`
(the engine's net format has no recurrent layer) is run through the engine's `LSTM` layer on a
one-step sequence.
"""

from __future__ import annotations

import numpy as np

from quiz.engine import LSTM, run_net
from quiz.numeric.measure import NetRun
from quiz.numeric.nettext import layer_lines, parse_lines

DTYPE = np.float32  # every asked figure is an exact count or a shape: float32 is enough


def run(text: str, input_shape: tuple[int, ...], want_rf: bool) -> NetRun:
    if any(line.kind == "lstm" for line in parse_lines(text)):
        return _run_lstm(text, input_shape)
    result = run_net(text, input_shape, rng=np.random.default_rng(0), dtype=DTYPE)
    rf = jump = None
    if want_rf:
        rf, jump = _receptive_field(result, input_shape)
    return NetRun(text=text, input_shape=tuple(input_shape),
                  output_shape=tuple(int(v) for v in result.output_shape),
                  reports=tuple(result.layers), rf=rf, jump=jump)


def plan(text: str, input_shape: tuple[int, ...]) -> bool:
    """Validity of a net: the engine runs it (results are cached, so `solve` reuses the run)."""
    from quiz.numeric.measure import run_text

    run_text(text)
    return True


def _run_lstm(text: str, input_shape: tuple[int, ...]) -> NetRun:
    lines = layer_lines(parse_lines(text))
    if len(lines) != 1 or len(lines[0].tokens) < 2:
        raise ValueError("an LSTM net is 'input 1x1xI' followed by one 'lstm H [nobias]' line")
    hidden = int(lines[0].tokens[1])
    features = int(input_shape[-1])
    layer = LSTM(features, hidden, bias=not lines[0].has_flag("nobias"))
    x = np.random.default_rng(0).standard_normal((1, 1, features)).astype(DTYPE)
    y, report = layer.run(x, np.random.default_rng(0))
    return NetRun(text=text, input_shape=(1, 1, features),
                  output_shape=tuple(int(v) for v in y.shape), reports=(report,))


def _receptive_field(result: object, input_shape: tuple[int, ...]) -> tuple[
        tuple[int, int], tuple[int, int]]:
    from quiz.engine.receptive import receptive_field

    last = receptive_field(result, (int(input_shape[-2]), int(input_shape[-1])))[-1]  # type: ignore[arg-type]
    if last is None:
        raise ValueError("the receptive field is not a uniform window for this net")
    return (int(last.size[0]), int(last.size[1])), (int(last.jump[0]), int(last.jump[1]))
