"""Element-wise layers: activations, identity and dropout (PyTorch semantics, no parameters,
no MACs — torchvision and fvcore count none for them)."""

from __future__ import annotations

import math

import numpy as np

from quiz.engine.layers import Layer, Params

__all__ = [
    "ACTIVATIONS",
    "GELU",
    "Activation",
    "Dropout",
    "Hardswish",
    "Identity",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "gelu",
    "hardswish",
    "relu6",
    "sigmoid",
    "silu",
]


def sigmoid(x: np.ndarray) -> np.ndarray:
    # through tanh: no overflow of exp for large |x|
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def relu6(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(x, 0, 6))


def silu(x: np.ndarray) -> np.ndarray:
    return np.asarray(x * sigmoid(x))


def hardswish(x: np.ndarray) -> np.ndarray:
    return np.asarray(x * np.clip(x + 3, 0, 6) / 6)


_ERF = np.frompyfunc(math.erf, 1, 1)


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU: x·Φ(x) with the exact erf (NumPy has none: math.erf per element), or
    PyTorch's ``approximate='tanh'`` form."""
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
        return np.asarray(0.5 * x * (1 + np.tanh(inner)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    erf = np.asarray(_ERF(x / math.sqrt(2)), dtype=x.dtype)
    return np.asarray((0.5 * x * (1 + erf)).astype(x.dtype))


class Activation(Layer):
    """A parameter-free function applied to every element."""

    def func(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return self.func(x).astype(x.dtype, copy=False)


class ReLU6(Activation):
    kind = "relu6"

    def func(self, x: np.ndarray) -> np.ndarray:
        return relu6(x)


class Sigmoid(Activation):
    kind = "sigmoid"

    def func(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x)


class Tanh(Activation):
    kind = "tanh"

    def func(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.tanh(x))


class SiLU(Activation):
    kind = "silu"

    def func(self, x: np.ndarray) -> np.ndarray:
        return silu(x)


class Hardswish(Activation):
    kind = "hardswish"

    def func(self, x: np.ndarray) -> np.ndarray:
        return hardswish(x)


class GELU(Activation):
    kind = "gelu"

    def __init__(self, approximate: str = "none", name: str | None = None) -> None:
        super().__init__(name)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def func(self, x: np.ndarray) -> np.ndarray:
        return gelu(x, self.approximate)

    def describe(self) -> str:
        return "gelu" if self.approximate == "none" else "gelu tanh"


class Identity(Layer):
    kind = "identity"

    def forward(self, x: np.ndarray, params: Params) -> np.ndarray:
        return x


class Dropout(Identity):
    """Inference mode (as after ``.eval()``): the identity; the rate is only recorded."""

    kind = "dropout"

    def __init__(self, p: float = 0.5, name: str | None = None) -> None:
        super().__init__(name)
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def describe(self) -> str:
        return f"dropout {self.p:g}"


ACTIVATIONS: dict[str, type[Activation]] = {
    "relu6": ReLU6, "sigmoid": Sigmoid, "tanh": Tanh, "silu": SiLU, "swish": SiLU,
    "hardswish": Hardswish,
}
