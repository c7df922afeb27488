"""Training-time figures on real arrays: stochastic depth (DropPath) survival probabilities, and
the bytes of the training state (weights, gradients, fp32 master copy, optimizer moments) under
mixed precision. NumPy only, like the rest of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DTYPES = {"fp16": np.float16, "bf16": np.float16, "fp32": np.float32, "fp64": np.float64}
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


def survival_probabilities(blocks: int, last: float, rule: str = "linear") -> np.ndarray:
    """Survival probability of residual blocks 1..L (Huang et al. 2016, stochastic depth).

    "linear": p_l = 1 − (l/L)(1 − p_L), from p_0 = 1 at the input to p_L at the last block;
    the misconceptions: "reversed" (the deepest block kept most: 1 − ((L − l)/L)(1 − p_L)),
    "drop" (the drop probability 1 − p_l given for p_l), "uniform" (p_L everywhere) and
    "linspace" (timm's `torch.linspace(0, rate, L)`: block 1 never dropped, i.e.
    1 − ((l − 1)/(L − 1))(1 − p_L))."""
    if blocks < 1 or not 0 <= last <= 1:
        raise ValueError("DropPath needs L >= 1 blocks and 0 <= p_L <= 1")
    index = np.arange(1, blocks + 1, dtype=np.float64)
    drop = 1.0 - float(last)
    if rule == "linear":
        return 1.0 - index / blocks * drop
    if rule == "reversed":
        return 1.0 - (blocks - index) / blocks * drop
    if rule == "drop":
        return index / blocks * drop
    if rule == "uniform":
        return np.full(blocks, float(last))
    if rule == "linspace":
        return 1.0 - np.linspace(0.0, drop, blocks)
    raise ValueError(f"unknown DropPath rule {rule!r}")


def drop_path(x: np.ndarray, survival: float, rng: np.random.Generator) -> np.ndarray:
    """DropPath on a batch (N, ...): each sample's residual branch is kept with probability
    `survival` and scaled by 1/survival (timm's `drop_path`, training mode)."""
    keep = np.asarray(rng.random(x.shape[0]) < survival)
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    dropped: np.ndarray = x * keep.reshape(shape) / survival
    return dropped


@dataclass(frozen=True)
class TrainingState:
    """Bytes of each part of the training state of a model with `params` parameters."""

    weights: int
    grads: int
    master: int
    optimizer: int

    @property
    def total(self) -> int:
        return self.weights + self.grads + self.master + self.optimizer


def _bytes(count: int, dtype: str | None) -> int:
    """Bytes of `count` values of `dtype`, read from a real (zero-length-strided) array."""
    if dtype is None or count == 0:
        return 0
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPES)})")
    # a broadcast view has the array's dtype and size without allocating `count` values
    view = np.broadcast_to(np.zeros(1, dtype=DTYPES[dtype]), (count,))
    return int(view.size * view.itemsize)


def training_state(params: int, *, weights: str = "fp16", grads: str | None = "fp16",
                   master: str | None = "fp32", optimizer: str = "adam",
                   states: str = "fp32", state_count: int | None = None) -> TrainingState:
    """The memory of mixed-precision training (Micikevicius et al. 2018): low-precision
    weights and gradients, an fp32 master copy the optimizer updates, and the optimizer's
    moments (Adam: two, m and v). `state_count` overrides the optimizer's number of moments."""
    if params < 0:
        raise ValueError("a parameter count cannot be negative")
    if optimizer not in OPTIMIZER_STATES:
        raise ValueError(f"unknown optimizer {optimizer!r} (known: {', '.join(OPTIMIZER_STATES)})")
    count = OPTIMIZER_STATES[optimizer] if state_count is None else state_count
    return TrainingState(_bytes(params, weights), _bytes(params, grads), _bytes(params, master),
                         count * _bytes(params, states))


__all__ = ["DTYPES", "OPTIMIZER_STATES", "TrainingState", "drop_path", "survival_probabilities",
           "training_state"]
