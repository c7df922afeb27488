"""Cross-check against PyTorch's CPU ops where torch is importable (skipped otherwise)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz import engine

torch = pytest.importorskip("torch")
F = torch.nn.functional


def t(a: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(a))


def close(ours: np.ndarray, theirs) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    groups=st.integers(1, 3), cpg=st.integers(1, 3), opg=st.integers(1, 3),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    hw=st.tuples(st.integers(1, 10), st.integers(1, 10)),
    seed=st.integers(0, 1000),
)
def test_conv2d_and_transpose_vs_torch(groups: int, cpg: int, opg: int, k: tuple, s: tuple,
                                       p: tuple, d: tuple, hw: tuple, seed: int) -> None:
    g = np.random.default_rng(seed)
    x = g.standard_normal((2, groups * cpg, *hw))
    w = g.standard_normal((groups * opg, cpg, *k))
    b = g.standard_normal(groups * opg)
    try:
        expected = F.conv2d(t(x), t(w), t(b), s, p, d, groups)
    except RuntimeError:
        with pytest.raises(ValueError):
            engine.conv2d(x, w, b, s, p, d, groups)
        return
    close(engine.conv2d(x, w, b, s, p, d, groups), expected)
    # transposed: weight (in, out/groups, kH, kW) = w read the other way round
    op = tuple(min(sv, dv) - 1 for sv, dv in zip(s, d, strict=True))
    try:
        expected_t = F.conv_transpose2d(t(x), t(w.reshape(groups * cpg, opg, *k)), None, s, p,
                                        op, groups, d)
    except RuntimeError:
        with pytest.raises(ValueError):
            engine.conv_transpose2d(x, w.reshape(groups * cpg, opg, *k), None, s, p, op, groups,
                                    d)
        return
    close(engine.conv_transpose2d(x, w.reshape(groups * cpg, opg, *k), None, s, p, op, groups,
                                  d), expected_t)


@pytest.mark.parametrize("kernel", [(2, 2), (3, 4), (4, 1)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_same_padding_vs_torch(kernel: tuple, dilation: int) -> None:
    g = np.random.default_rng(1)
    x, w = g.standard_normal((1, 2, 7, 6)), g.standard_normal((3, 2, *kernel))
    close(engine.conv2d(x, w, padding="same", dilation=dilation),
          F.conv2d(t(x), t(w), padding="same", dilation=dilation))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    ceil=st.booleans(), include_pad=st.booleans(),
    hw=st.tuples(st.integers(1, 9), st.integers(1, 9)),
)
def test_pools_vs_torch(k: tuple, s: tuple, p: tuple, d: tuple, ceil: bool, include_pad: bool,
                        hw: tuple) -> None:
    x = np.random.default_rng(2).standard_normal((2, 3, *hw))
    for ours, theirs in (
        (lambda: engine.max_pool2d(x, k, s, p, d, ceil),
         lambda: F.max_pool2d(t(x), k, s, p, d, ceil)),
        (lambda: engine.avg_pool2d(x, k, s, p, ceil, include_pad),
         lambda: F.avg_pool2d(t(x), k, s, p, ceil, include_pad)),
    ):
        try:
            expected = theirs()
        except RuntimeError:
            with pytest.raises(ValueError):
                ours()
            continue
        close(ours(), expected)


@pytest.mark.parametrize(("hw", "out"), [((7, 7), (3, 3)), ((6, 9), (4, 2)), ((3, 4), (6, 7))])
def test_adaptive_pool_vs_torch(hw: tuple, out: tuple) -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, *hw))
    close(engine.adaptive_avg_pool2d(x, out), F.adaptive_avg_pool2d(t(x), out))


def test_norms_linear_lstm_vs_torch() -> None:
    g = np.random.default_rng(4)
    x = g.standard_normal((4, 6, 5, 5))
    w, b = g.standard_normal(6), g.standard_normal(6)
    rm, rv = g.standard_normal(6), g.random(6) + 0.5
    close(engine.batch_norm(x, rm, rv, w, b), F.batch_norm(t(x), t(rm), t(rv), t(w), t(b)))
    rm_ours, rv_ours, rm_t, rv_t = rm.copy(), rv.copy(), t(rm.copy()), t(rv.copy())
    close(engine.batch_norm(x, rm_ours, rv_ours, w, b, training=True),
          F.batch_norm(t(x), rm_t, rv_t, t(w), t(b), training=True))
    np.testing.assert_allclose(rm_ours, rm_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv_ours, rv_t.numpy(), rtol=1e-12)
    close(engine.layer_norm(x, (5, 5)), F.layer_norm(t(x), (5, 5)))
    close(engine.group_norm(x, 3, w, b), F.group_norm(t(x), 3, t(w), t(b)))
    close(engine.instance_norm(x), F.instance_norm(t(x)))
    lw, lb = g.standard_normal((7, 25)), g.standard_normal(7)
    close(engine.linear(x.reshape(4, 6, 25), lw, lb), F.linear(t(x.reshape(4, 6, 25)), t(lw),
                                                               t(lb)))
    cell = torch.nn.LSTMCell(5, 3).double()
    xi, h, c = g.standard_normal((2, 5)), g.standard_normal((2, 3)), g.standard_normal((2, 3))
    h_t, c_t = cell(t(xi), (t(h), t(c)))
    h_o, c_o = engine.lstm_cell(xi, h, c, cell.weight_ih.detach().numpy(),
                                cell.weight_hh.detach().numpy(), cell.bias_ih.detach().numpy(),
                                cell.bias_hh.detach().numpy())
    close(h_o, h_t)
    close(c_o, c_t)


def test_resnet18_block_counts_vs_torch_modules() -> None:
    """Parameter count of our layers equals torch's for the same constructor arguments."""
    cases = [
        (engine.Conv2d(64, 128, 3, 2, 1, bias=False), torch.nn.Conv2d(64, 128, 3, 2, 1,
                                                                     bias=False)),
        (engine.Conv2d(32, 32, 3, 1, 1, groups=32), torch.nn.Conv2d(32, 32, 3, 1, 1, groups=32)),
        (engine.ConvTranspose2d(16, 8, 4, 2, 1, groups=2),
         torch.nn.ConvTranspose2d(16, 8, 4, 2, 1, groups=2)),
        (engine.BatchNorm2d(64), torch.nn.BatchNorm2d(64)),
        (engine.Linear(512, 1000), torch.nn.Linear(512, 1000)),
    ]
    for ours, theirs in cases:
        shape = (1, 64 if not isinstance(ours, engine.Linear) else 512, 8, 8)
        if isinstance(ours, engine.Conv2d | engine.ConvTranspose2d):
            shape = (1, ours.in_channels, 8, 8)
        x = np.zeros(shape if not isinstance(ours, engine.Linear) else (1, 512))
        _, report = ours.run(x)
        assert report.params == sum(p.numel() for p in theirs.parameters())


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    specs=st.lists(st.tuples(st.sampled_from(["conv", "avg"]), st.integers(1, 4),
                             st.integers(1, 3), st.integers(0, 2), st.integers(1, 2)),
                   min_size=1, max_size=4),
    hw=st.integers(6, 14),
)
def test_coverage_is_the_support_of_torchs_gradient(specs: list, hw: int) -> None:
    """Input pixels with a non-zero gradient of the centre unit (all-positive weights, so no
    cancellation) are exactly the engine's coverage."""
    layers, modules, size = [], [], hw
    for kind, k, s, p, d in specs:
        p = min(p, k // 2)
        if kind == "conv":
            out = (size + 2 * p - d * (k - 1) - 1) // s + 1
            layers.append(engine.Conv2d(1, 1, k, s, p, d, bias=False))
            conv = torch.nn.Conv2d(1, 1, k, s, p, d, bias=False).double()
            torch.nn.init.constant_(conv.weight, 1.0)
            modules.append(conv)
        else:
            out = (size + 2 * p - k) // s + 1
            layers.append(engine.AvgPool2d(k, s, p))
            modules.append(torch.nn.AvgPool2d(k, s, p))
        if out < 1:
            return
        size = out
    x = torch.zeros((1, 1, hw, hw), dtype=torch.float64, requires_grad=True)
    y = x
    for module in modules:
        y = module(y)
    y[0, 0, size // 2, size // 2].backward()
    support = (x.grad[0, 0] != 0).numpy()
    assert np.array_equal(engine.coverage(layers, (hw, hw)), support)
