"""Functional ops on NumPy arrays (NCHW) with the semantics of ``torch.nn.functional``.

Every op works on whole arrays: convolutions gather sliding windows through strided views and
hand the arithmetic to one BLAS matrix product per chunk of output rows; pooling loops only over
the kernel offsets (at most k*k iterations), never over pixels.

The work performed by the GEMMs is tallied in a :class:`WorkTally` when one is active (see
:func:`count_work`), so layer reports count the multiply-accumulates that actually ran.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "WorkTally",
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "conv2d",
    "conv_transpose2d",
    "count_work",
    "global_avg_pool2d",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "linear",
    "lstm_cell",
    "max_pool2d",
    "pool_output_size",
    "relu",
]

IntPair = int | Sequence[int]

# Bytes of gathered windows (the im2col buffer) per chunk of output rows. Chunking keeps the peak
# memory of one convolution bounded whatever the image size, and a buffer of a few MiB stays in
# cache between the gather and the GEMM (on a 2-core x86, 2-16 MiB measured alike).
CHUNK_BYTES = 8 * 1024 * 1024
MIN_GEMM_COLUMNS = 1024
PHASE_MAX_CHANNELS = 8
# channel block of the depthwise path: its (channels, taps, positions) gather buffer; 1-4 MiB
# measured alike on 256x28x28, 144x112x112, 32x112x112 and 960x7x7 (2-core x86), below 512 KiB
# the per-block matmul calls start to cost
DEPTHWISE_BLOCK_BYTES = 1024 * 1024


# --------------------------------------------------------------------------------------------
# work tally
# --------------------------------------------------------------------------------------------
@dataclass
class WorkTally:
    """Multiply-accumulates and bias additions performed while the tally was active."""

    macs: int = 0
    bias_adds: int = 0


_ACTIVE_TALLY: contextvars.ContextVar[WorkTally | None] = contextvars.ContextVar(
    "quiz_engine_tally", default=None
)


@contextlib.contextmanager
def count_work() -> Iterator[WorkTally]:
    """Count the MACs and bias adds of every op run inside the ``with`` block."""
    tally = WorkTally()
    token = _ACTIVE_TALLY.set(tally)
    try:
        yield tally
    finally:
        _ACTIVE_TALLY.reset(token)


def _tally_gemm(m: int, k: int, n: int, batch: int = 1) -> None:
    tally = _ACTIVE_TALLY.get()
    if tally is not None:
        tally.macs += int(batch) * int(m) * int(k) * int(n)


def _tally_macs(macs: int) -> None:
    tally = _ACTIVE_TALLY.get()
    if tally is not None:
        tally.macs += int(macs)


def _tally_bias(adds: int) -> None:
    tally = _ACTIVE_TALLY.get()
    if tally is not None:
        tally.bias_adds += int(adds)


# --------------------------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------------------------
def _pair(value: IntPair, name: str) -> tuple[int, int]:
    """Normalise an int or a length-2 sequence of ints, as PyTorch's ``_pair`` does."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    try:
        items = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    if len(items) == 1:
        items = items * 2
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) for v in items):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(items[0]), int(items[1])


def _positive_pair(value: IntPair, name: str) -> tuple[int, int]:
    pair = _pair(value, name)
    if min(pair) <= 0:
        raise ValueError(f"{name} must be positive, got {pair}")
    return pair


def _non_negative_pair(value: IntPair, name: str) -> tuple[int, int]:
    pair = _pair(value, name)
    if min(pair) < 0:
        raise ValueError(f"{name} must be non-negative, got {pair}")
    return pair


def _as_batched(x: np.ndarray, op: str) -> tuple[np.ndarray, bool]:
    """Accept (N, C, H, W) or unbatched (C, H, W) like PyTorch; report whether we added N."""
    x = np.asarray(x)
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x[None], True
    raise ValueError(f"{op}: expected a 3D (C, H, W) or 4D (N, C, H, W) input, got shape {x.shape}")


def _float_dtype(*arrays: np.ndarray | None) -> np.dtype:
    dtype = np.result_type(*[a for a in arrays if a is not None])
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return dtype


# --------------------------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------------------------
def _conv_padding(
    padding: IntPair | str, kernel: tuple[int, int], stride: tuple[int, int],
    dilation: tuple[int, int],
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Return ((top, bottom), (left, right)) padding; 'same' puts an odd extra on bottom/right."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation, strict=True):
                total = d * (k - 1)
                # PyTorch puts total // 2 before and the remainder (one more if odd) after.
                pads.append((total // 2, total - total // 2))
            return pads[0], pads[1]
        raise ValueError(f"invalid padding string {padding!r}, should be one of 'valid', 'same'")
    ph, pw = _non_negative_pair(padding, "padding")
    return (ph, ph), (pw, pw)


def tf_same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME along one axis: the fewest zeros giving ⌈size/stride⌉ outputs,
    half before and the odd one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def conv_output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """Output length of a convolution along one axis (floor rule)."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``."""
    x, unbatched = _as_batched(x, "conv2d")
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4D (out, in/groups, kH, kW), got {weight.shape}")
    stride_hw = _positive_pair(stride, "stride")
    dilation_hw = _positive_pair(dilation, "dilation")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    _n, c_in, h, w = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    if c_in != c_per_group * groups:
        raise ValueError(
            f"conv2d: input has {c_in} channels but weight {tuple(weight.shape)} with "
            f"groups={groups} expects {c_per_group * groups}"
        )
    if c_out % groups != 0:
        raise ValueError(f"conv2d: out_channels ({c_out}) must be divisible by groups ({groups})")
    _check_bias(bias, c_out, "conv2d")
    (pt, pb), (pl, pr) = _conv_padding(padding, (kh, kw), stride_hw, dilation_hw)
    eff_kh = dilation_hw[0] * (kh - 1) + 1
    eff_kw = dilation_hw[1] * (kw - 1) + 1
    if h + pt + pb < eff_kh or w + pl + pr < eff_kw:
        raise ValueError(
            f"conv2d: calculated padded input size per channel: ({h + pt + pb} x {w + pl + pr}). "
            f"Kernel size: ({eff_kh} x {eff_kw}). Kernel size can't be greater than actual "
            "input size"
        )
    dtype = _float_dtype(x, weight, bias)
    x = x.astype(dtype, copy=False)
    weight = weight.astype(dtype, copy=False)
    out_h = conv_output_size(h, kh, stride_hw[0], pt + pb, dilation_hw[0])
    out_w = conv_output_size(w, kw, stride_hw[1], pl + pr, dilation_hw[1])
    if c_per_group == 1 and groups > 1:
        out = _depthwise_conv(x, weight, groups, stride_hw, dilation_hw, (pt, pb, pl, pr),
                              out_h, out_w)
    elif (kh, kw) == (1, 1) and stride_hw == (1, 1) and (pt, pb, pl, pr) == (0, 0, 0, 0):
        out = _pointwise_conv(x, weight, groups)
    else:
        x_pad = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        out = _gemm_conv(x_pad, weight, groups, stride_hw, dilation_hw, out_h, out_w)
    if bias is not None:
        out += np.asarray(bias, dtype=dtype)[None, :, None, None]
        _tally_bias(out.size)
    return out[0] if unbatched else out


def _check_bias(bias: np.ndarray | None, channels: int, op: str) -> None:
    if bias is not None and np.shape(bias) != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), got {np.shape(bias)}")


def _rows_per_chunk(bytes_per_row: int, total_rows: int, budget: int | None = None) -> int:
    budget = CHUNK_BYTES if budget is None else budget
    return int(max(1, min(total_rows, budget // max(1, bytes_per_row))))


def _pointwise_conv(x: np.ndarray, weight: np.ndarray, groups: int) -> np.ndarray:
    """1x1, stride 1, no padding: the input already is the GEMM operand, no gather at all."""
    n, c_in, h, w = x.shape
    c_out = weight.shape[0]
    w_mat = weight.reshape(groups, c_out // groups, c_in // groups)
    out = np.matmul(w_mat, x.reshape(n, groups, c_in // groups, h * w))
    _tally_gemm(c_out // groups, c_in // groups, h * w, batch=n * groups)
    return np.asarray(out.reshape(n, c_out, h, w))


def _gemm_conv(
    x_pad: np.ndarray, weight: np.ndarray, groups: int, stride: tuple[int, int],
    dilation: tuple[int, int], out_h: int, out_w: int,
) -> np.ndarray:
    """im2col by chunks of output rows, one BLAS GEMM per (sample, group, chunk).

    The column buffer of a chunk is sized to stay in cache (``CHUNK_BYTES``) and is reused, so
    the gather is cheap next to the GEMM and the peak memory is bounded whatever the image. The
    GEMM writes straight into the output rows of the chunk (a strided matrix BLAS accepts).
    Strided, undilated convolutions first split the image into its stride phases (see
    :func:`_phase_taps`) so that every gather reads contiguous runs.
    """
    n, c_in = x_pad.shape[:2]
    c_out, c_per_group, kh, kw = weight.shape
    k = c_per_group * kh * kw
    out_per_group = c_out // groups
    # phases pay off when the gather dominates: few input channels (a stem on RGB), where the
    # strided per-element copy costs more than the GEMM; with many channels the split's extra
    # copy of the image costs more than it saves (measured on the bench layers)
    use_phases = stride != (1, 1) and dilation == (1, 1) and c_per_group <= PHASE_MAX_CHANNELS
    taps = _phase_taps((kh, kw), stride) if use_phases else [(0, 0, kh, kw)]
    w_mat = _weight_in_tap_order(weight, groups, stride, taps) if use_phases else \
        weight.reshape(groups, out_per_group, k)
    rows = _rows_per_chunk(c_in * kh * kw * out_w * x_pad.itemsize, out_h)
    # but never so few columns that each GEMM call is too thin for BLAS to run at full speed
    rows = min(out_h, max(rows, -(-MIN_GEMM_COLUMNS // out_w)))
    cols_buf = np.empty(c_in * kh * kw * rows * out_w, dtype=x_pad.dtype)
    out = np.empty((n, c_out, out_h, out_w), dtype=x_pad.dtype)
    for sample in range(n):
        if use_phases:
            sources = [np.ascontiguousarray(x_pad[sample, :, a::stride[0], b::stride[1]])
                       for a, b, _, _ in taps]
            tap_stride = (1, 1)
        else:
            sources, tap_stride = [x_pad[sample]], stride
        out_rows = out[sample].reshape(groups, out_per_group, out_h * out_w)
        for row0 in range(0, out_h, rows):
            r = min(rows, out_h - row0)
            cols = cols_buf[:c_in * kh * kw * r * out_w].reshape(groups, k, r * out_w)
            offset = 0
            for source, (_, _, ki, kj) in zip(sources, taps, strict=True):
                size = c_per_group * ki * kj
                block = cols[:, offset:offset + size].reshape(groups, c_per_group, ki, kj, r,
                                                              out_w)
                np.copyto(block, _windows(source, groups, (ki, kj), tap_stride, dilation, row0,
                                          r, out_w))
                offset += size
            np.matmul(w_mat, cols, out=out_rows[:, :, row0 * out_w:(row0 + r) * out_w])
            _tally_gemm(out_per_group, k, r * out_w, batch=groups)
    return out


def _phase_taps(kernel: tuple[int, int],
                stride: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Stride phases (a, b) of the padded image and the (ki, kj) kernel taps falling on each.

    With stride s, tap i of output row y reads padded row s*y + i = s*(y + i//s) + i%s: in the
    phase image x[a::s] (a = i % s) that is row y + i//s, a stride-1 window. So a strided conv
    is a sum of stride-1 convs over the phases, whose gathers copy contiguous runs.
    """
    plan = []
    for a in range(min(stride[0], kernel[0])):
        for b in range(min(stride[1], kernel[1])):
            plan.append((a, b, -(-(kernel[0] - a) // stride[0]), -(-(kernel[1] - b) // stride[1])))
    return plan


def _weight_in_tap_order(weight: np.ndarray, groups: int, stride: tuple[int, int],
                         taps: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Weight matrix (G, out/G, K) with its K columns in the phase order of the gathered taps."""
    c_out, c_per_group, kh, kw = weight.shape
    w5 = weight.reshape(groups, c_out // groups, c_per_group, kh, kw)
    blocks = [w5[:, :, :, a::stride[0], b::stride[1]].reshape(groups, c_out // groups, -1)
              for a, b, _, _ in taps]
    return np.ascontiguousarray(np.concatenate(blocks, axis=2))


def _windows(
    image: np.ndarray, groups: int, kernel: tuple[int, int], stride: tuple[int, int],
    dilation: tuple[int, int], row0: int, rows: int, out_w: int,
) -> np.ndarray:
    """Read-only sliding-window view (G, C/G, kH, kW, rows, outW) of a (C, H, W) image:
    element [g, c, i, j, y, x] is image[g*C/G + c, (row0 + y)*sH + i*dH, x*sW + j*dW]."""
    channels = image.shape[0]
    sc, sh, sw = image.strides
    return as_strided(
        image[:, row0 * stride[0]:, :],
        shape=(groups, channels // groups, kernel[0], kernel[1], rows, out_w),
        strides=(sc * (channels // groups), sc, sh * dilation[0], sw * dilation[1],
                 sh * stride[0], sw * stride[1]),
        writeable=False,
    )


def _depthwise_conv(
    x: np.ndarray, weight: np.ndarray, groups: int, stride: tuple[int, int],
    dilation: tuple[int, int], pads: tuple[int, int, int, int], out_h: int, out_w: int,
) -> np.ndarray:
    """Depthwise (one input channel per group): the padded image is split into its stride
    phases (x[a::sH, b::sW]; a single phase at stride 1), after which tap (i, j) reads one phase
    at a fixed offset. Each phase is flattened with one zero row more for the overrun, so the
    output is computed on the phase width and a tap is one contiguous slice per channel; the
    extra columns are dropped at the end. The phases are filled from the unpadded input
    (the padding is their zeros)."""
    n, c_in, h, w_in = x.shape
    pt, pb, pl, pr = pads
    hp, wp = h + pt + pb, w_in + pl + pr
    c_out, _, kh, kw = weight.shape
    sh, sw = stride
    hq, wq = -(-hp // sh) + 1, -(-wp // sw)
    phases = np.zeros((sh * sw, n, c_in, hq, wq), dtype=x.dtype)
    for a in range(sh):
        first_row = pt + (a - pt) % sh           # first padded row >= pt in phase a
        rows = x[:, :, first_row - pt::sh]
        for b in range(sw):
            first_col = pl + (b - pl) % sw
            part = rows[:, :, :, first_col - pl::sw]
            r0, c0 = (first_row - a) // sh, (first_col - b) // sw
            phases[a * sw + b, :, :, r0:r0 + part.shape[2], c0:c0 + part.shape[3]] = part
    taps = []
    for i in range(kh):
        for j in range(kw):
            (qi, ai), (qj, aj) = divmod(i * dilation[0], sh), divmod(j * dilation[1], sw)
            taps.append((ai * sw + aj, qi * wq + qj))
    out = _depthwise_gemm(phases.reshape(sh * sw, n, c_in, hq * wq), taps,
                          weight.reshape(c_in, c_out // groups, kh * kw), out_h * wq)
    _tally_macs(n * c_out * out_h * out_w * kh * kw)
    return np.ascontiguousarray(out.reshape(n, c_out, out_h, wq)[..., :out_w])


def _depthwise_gemm(sources: np.ndarray, taps: list[tuple[int, int]], weight: np.ndarray,
                    length: int) -> np.ndarray:
    """out[n, c, m, :] = sum over taps t of weight[c, m, t] * sources[src_t, n, c, off_t:+length].

    Per block of channels the tap slices are copied into a (channels, taps, length) buffer and
    one batched matrix product (mult x taps) @ (taps x length) sums them: two passes over
    memory instead of two per tap, and the buffer stays in cache (``DEPTHWISE_BLOCK_BYTES``).
    """
    _, n, c_in, _ = sources.shape
    mult, count = weight.shape[1], len(taps)
    out = np.empty((n, c_in, mult, length), dtype=sources.dtype)
    block = max(1, min(c_in, DEPTHWISE_BLOCK_BYTES // (count * length * sources.itemsize)))
    cols = np.empty((block, count, length), dtype=sources.dtype)
    for sample in range(n):
        for c0 in range(0, c_in, block):
            c1 = min(c_in, c0 + block)
            buf = cols[:c1 - c0]
            for t, (src, offset) in enumerate(taps):
                buf[:, t] = sources[src, sample, c0:c1, offset:offset + length]
            np.matmul(weight[c0:c1], buf, out=out[sample, c0:c1])
    return out


def conv_transpose2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> np.ndarray:
    """Transposed convolution (the adjoint of conv2d w.r.t. its input), as PyTorch's."""
    x, unbatched = _as_batched(x, "conv_transpose2d")
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(
            f"conv_transpose2d: weight must be 4D (in, out/groups, kH, kW), got {weight.shape}"
        )
    stride_hw = _positive_pair(stride, "stride")
    dilation_hw = _positive_pair(dilation, "dilation")
    pad_hw = _non_negative_pair(padding, "padding")
    out_pad = _non_negative_pair(output_padding, "output_padding")
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    for op_, s, d in zip(out_pad, stride_hw, dilation_hw, strict=True):
        if op_ >= s and op_ >= d:
            raise ValueError("output padding must be smaller than either stride or dilation, "
                             f"got output_padding={out_pad}, stride={stride_hw}, "
                             f"dilation={dilation_hw}")
    _n, c_in, h, w = x.shape
    w_in, out_per_group, kh, kw = weight.shape
    if w_in != c_in:
        raise ValueError(f"conv_transpose2d: input has {c_in} channels but weight "
                         f"{tuple(weight.shape)} expects {w_in}")
    if c_in % groups != 0:
        raise ValueError(f"conv_transpose2d: in_channels ({c_in}) must be divisible by groups")
    c_out = out_per_group * groups
    _check_bias(bias, c_out, "conv_transpose2d")
    full_h = (h - 1) * stride_hw[0] + dilation_hw[0] * (kh - 1) + 1 + out_pad[0]
    full_w = (w - 1) * stride_hw[1] + dilation_hw[1] * (kw - 1) + 1 + out_pad[1]
    out_h, out_w = full_h - 2 * pad_hw[0], full_w - 2 * pad_hw[1]
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"conv_transpose2d: output size ({out_h} x {out_w}) is too small")
    dtype = _float_dtype(x, weight, bias)
    full = _col2im_scatter(x.astype(dtype, copy=False), weight.astype(dtype, copy=False), groups,
                           stride_hw, dilation_hw, (full_h, full_w))
    out = np.ascontiguousarray(full[:, :, pad_hw[0]:pad_hw[0] + out_h,
                                    pad_hw[1]:pad_hw[1] + out_w])
    if bias is not None:
        out += np.asarray(bias, dtype=dtype)[None, :, None, None]
        _tally_bias(out.size)
    return out[0] if unbatched else out


def _col2im_scatter(
    x: np.ndarray, weight: np.ndarray, groups: int, stride: tuple[int, int],
    dilation: tuple[int, int], full_hw: tuple[int, int],
) -> np.ndarray:
    """GEMM each chunk of input rows with the transposed weight, then scatter-add the k*k
    kernel taps onto the (un-cropped) output canvas."""
    n, c_in, h, w = x.shape
    _, out_per_group, kh, kw = weight.shape
    in_per_group = c_in // groups
    m = out_per_group * kh * kw
    # (G, in/G, out/G*kH*kW) -> transposed so that cols = w_t @ x
    w_t = weight.reshape(groups, in_per_group, m).transpose(0, 2, 1)
    full = np.zeros((n, groups, out_per_group, *full_hw), dtype=x.dtype)
    rows = _rows_per_chunk(n * groups * m * w * x.itemsize, h)
    sh, sw = stride
    for row0 in range(0, h, rows):
        r = min(rows, h - row0)
        x_chunk = x[:, :, row0:row0 + r, :].reshape(n, groups, in_per_group, r * w)
        cols = np.matmul(w_t, x_chunk).reshape(n, groups, out_per_group, kh, kw, r, w)
        _tally_gemm(m, in_per_group, r * w, batch=n * groups)
        for i in range(kh):
            top = row0 * sh + i * dilation[0]
            for j in range(kw):
                left = j * dilation[1]
                full[:, :, :, top:top + (r - 1) * sh + 1:sh,
                     left:left + (w - 1) * sw + 1:sw] += cols[:, :, :, i, j]
    return full.reshape(n, groups * out_per_group, *full_hw)


# --------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------
def pool_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's pooling output length, including the ceil-mode rule that a last window
    starting inside the right padding (or beyond) is dropped."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


@dataclass(frozen=True)
class _PoolGeometry:
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    out_hw: tuple[int, int]
    # padding applied after the input: the symmetric padding plus what ceil mode's extra
    # window needs beyond it
    pad_after: tuple[int, int]


def _pool_geometry(
    op: str, in_hw: tuple[int, int], kernel_size: IntPair, stride: IntPair | None,
    padding: IntPair, dilation: IntPair, ceil_mode: bool,
) -> _PoolGeometry:
    kernel = _positive_pair(kernel_size, "kernel_size")
    # PyTorch: stride=None (or an empty list) means stride = kernel_size
    stride_hw = kernel if stride is None or stride == [] else _positive_pair(stride, "stride")
    pad = _non_negative_pair(padding, "padding")
    dil = _positive_pair(dilation, "dilation")
    for p, k in zip(pad, kernel, strict=True):
        # PyTorch (pool2d_shape_check): integer half of the kernel size, dilation not counted
        if p > k // 2:
            raise ValueError(f"{op}: pad should be smaller than or equal to half of kernel "
                             f"size, but got pad={p} and kernel_size={k}")
    out_hw = tuple(
        pool_output_size(s, k, st, p, d, ceil_mode)
        for s, k, st, p, d in zip(in_hw, kernel, stride_hw, pad, dil, strict=True)
    )
    if min(out_hw) <= 0:
        raise ValueError(f"{op}: given input size {in_hw}, calculated output size {out_hw} "
                         "is too small")
    pad_after = tuple(
        max(p, (o - 1) * st + d * (k - 1) + 1 - s - p)
        for s, k, st, p, d, o in zip(in_hw, kernel, stride_hw, pad, dil, out_hw, strict=True)
    )
    return _PoolGeometry(kernel, stride_hw, pad, dil, out_hw, pad_after)  # type: ignore[arg-type]


def _pool_taps(x_pad: np.ndarray, g: _PoolGeometry) -> Iterator[np.ndarray]:
    """Yield, for each kernel offset, the strided view of the values under that tap."""
    (oh, ow), (sh, sw) = g.out_hw, g.stride
    for i in range(g.kernel[0]):
        r0 = i * g.dilation[0]
        for j in range(g.kernel[1]):
            c0 = j * g.dilation[1]
            yield x_pad[..., r0:r0 + (oh - 1) * sh + 1:sh, c0:c0 + (ow - 1) * sw + 1:sw]


def _pad_for_pool(x: np.ndarray, g: _PoolGeometry, value: float) -> np.ndarray:
    widths = [(0, 0)] * (x.ndim - 2) + [(g.padding[0], g.pad_after[0]),
                                        (g.padding[1], g.pad_after[1])]
    return np.pad(x, widths, constant_values=value)


def max_pool2d(
    x: np.ndarray,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> np.ndarray:
    """Max pooling, as ``torch.nn.functional.max_pool2d`` (padding counts as -inf)."""
    if return_indices:
        raise ValueError("max_pool2d: return_indices is not supported by this engine")
    x, unbatched = _as_batched(x, "max_pool2d")
    g = _pool_geometry("max_pool2d", x.shape[2:], kernel_size, stride, padding, dilation,
                       ceil_mode)
    dtype = _float_dtype(x)
    x_pad = _pad_for_pool(x.astype(dtype, copy=False), g, -np.inf)
    taps = _pool_taps(x_pad, g)
    out = np.array(next(taps))
    for tap in taps:
        np.maximum(out, tap, out=out)
    return out[0] if unbatched else out


def avg_pool2d(
    x: np.ndarray,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Average pooling, as ``torch.nn.functional.avg_pool2d``.

    The divisor of each window is PyTorch's: the window clipped to the padded input (so the
    extra columns a ceil-mode window reaches past the padding never count), and, when
    ``count_include_pad`` is False, clipped further to the real input.
    """
    x, unbatched = _as_batched(x, "avg_pool2d")
    g = _pool_geometry("avg_pool2d", x.shape[2:], kernel_size, stride, padding, 1, ceil_mode)
    dtype = _float_dtype(x)
    x_pad = _pad_for_pool(x.astype(dtype, copy=False), g, 0.0)
    total = np.zeros(x_pad.shape[:2] + g.out_hw, dtype=dtype)
    for tap in _pool_taps(x_pad, g):
        total += tap
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor must be not zero")
        divisor: np.ndarray | float = float(divisor_override)
    else:
        divisor = _avg_divisor(x.shape[2:], g, count_include_pad).astype(dtype)
    out = total / divisor
    return out[0] if unbatched else out


def _avg_divisor(in_hw: tuple[int, int], g: _PoolGeometry, count_include_pad: bool) -> np.ndarray:
    """Pool a 2-D mask of the cells that count (input, plus the padding when included)."""
    h, w = in_hw
    inner = np.ones((h, w))
    if count_include_pad:
        inner = np.pad(inner, ((g.padding[0], g.padding[0]), (g.padding[1], g.padding[1])),
                       constant_values=1.0)
        extra = (g.pad_after[0] - g.padding[0], g.pad_after[1] - g.padding[1])
        mask = np.pad(inner, ((0, extra[0]), (0, extra[1])))
    else:
        mask = _pad_for_pool(inner, g, 0.0)
    count = np.zeros(g.out_hw)
    for tap in _pool_taps(mask, g):
        count += tap
    return count


def adaptive_avg_pool2d(x: np.ndarray, output_size: IntPair | Sequence[int | None]) -> np.ndarray:
    """Adaptive average pooling: bin i spans [floor(i*H/o), ceil((i+1)*H/o)), as PyTorch.

    Bins may overlap and differ in size, so sums come from an integral image (cumulative sums)
    read at the bin corners: a fixed number of array operations whatever the size.
    """
    x, unbatched = _as_batched(x, "adaptive_avg_pool2d")
    h, w = x.shape[2:]
    if isinstance(output_size, (int, np.integer)):
        output_size = (int(output_size), int(output_size))
    sizes = list(output_size)
    if len(sizes) != 2:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be an int or pair, got "
                         f"{output_size!r}")
    oh = h if sizes[0] is None else int(sizes[0])
    ow = w if sizes[1] is None else int(sizes[1])
    if oh <= 0 or ow <= 0:
        raise ValueError(f"adaptive_avg_pool2d: output size must be positive, got {(oh, ow)}")
    dtype = _float_dtype(x)
    integral = np.zeros((*x.shape[:2], h + 1, w + 1), dtype=dtype)
    integral[:, :, 1:, 1:] = x.astype(dtype, copy=False).cumsum(axis=2).cumsum(axis=3)
    r0, r1 = _adaptive_bounds(h, oh)
    c0, c1 = _adaptive_bounds(w, ow)
    sums = (integral[:, :, r1[:, None], c1[None, :]] - integral[:, :, r0[:, None], c1[None, :]]
            - integral[:, :, r1[:, None], c0[None, :]] + integral[:, :, r0[:, None], c0[None, :]])
    area = ((r1 - r0)[:, None] * (c1 - c0)[None, :]).astype(dtype)
    out = sums / area
    return np.asarray(out[0] if unbatched else out)


def _adaptive_bounds(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.arange(out)
    start = (idx * size) // out
    end = -((-(idx + 1) * size) // out)  # ceil division
    return start, end


def global_avg_pool2d(x: np.ndarray) -> np.ndarray:
    """Mean over H and W keeping them as 1x1 (adaptive_avg_pool2d(x, 1))."""
    return adaptive_avg_pool2d(x, 1)


# --------------------------------------------------------------------------------------------
# dense, normalisation, activations
# --------------------------------------------------------------------------------------------
def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """y = x W^T + b, as ``torch.nn.functional.linear``; x is (..., in_features)."""
    x = np.asarray(x)
    weight = np.asarray(weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2D (out, in), got {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: mat1 and mat2 shapes cannot be multiplied "
                         f"({x.shape} and {weight.T.shape})")
    out_features = weight.shape[0]
    _check_bias(bias, out_features, "linear")
    dtype = _float_dtype(x, weight, bias)
    out = np.matmul(x.astype(dtype, copy=False), weight.astype(dtype, copy=False).T)
    rows = x.size // max(1, x.shape[-1]) if x.shape[-1] else int(np.prod(x.shape[:-1]))
    _tally_gemm(rows, weight.shape[1], out_features)
    if bias is not None:
        out += np.asarray(bias, dtype=dtype)
        _tally_bias(out.size)
    return np.asarray(out)


def relu(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(np.asarray(x), 0))


def _affine(y: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
            shape: tuple[int, ...]) -> np.ndarray:
    if weight is not None:
        y = y * np.asarray(weight).reshape(shape)
    if bias is not None:
        y = y + np.asarray(bias).reshape(shape)
    return y


def batch_norm(
    x: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """Batch norm over (N, C, ...): batch statistics (biased variance) when training, and the
    running statistics updated in place with the unbiased variance, as PyTorch."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2D input (N, C, ...), got {x.shape}")
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0, *range(2, x.ndim))
    for name, arr in (("running_mean", running_mean), ("running_var", running_var),
                      ("weight", weight), ("bias", bias)):
        if arr is not None and np.shape(arr) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},), got {np.shape(arr)}")
    dtype = _float_dtype(x)
    x = x.astype(dtype, copy=False)
    if training:
        count = x.size // c
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {x.shape}")
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * var * count / (count - 1)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "training=False")
        mean, var = np.asarray(running_mean), np.asarray(running_var)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    return _affine(y, weight, bias, shape).astype(dtype, copy=False)


def layer_norm(
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Normalise over the trailing ``normalized_shape`` dimensions (biased variance)."""
    x = np.asarray(x)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(s) for s in normalized_shape)
    if len(shape) == 0 or x.shape[-len(shape):] != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"dimensions of input {x.shape}")
    dtype = _float_dtype(x)
    x = x.astype(dtype, copy=False)
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return _affine(y, weight, bias, shape).astype(dtype, copy=False)


def group_norm(
    x: np.ndarray,
    num_groups: int,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Normalise each group of C/num_groups channels over (channels, spatial) per sample."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected at least 2D input (N, C, ...), got {x.shape}")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups != 0:
        raise ValueError(f"group_norm: expected number of channels in input ({c}) to be "
                         f"divisible by num_groups ({num_groups})")
    if n * (c // num_groups) * int(np.prod(x.shape[2:])) == 1:
        # as PyTorch's _verify_batch_size: a single value per group has no variance
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {x.shape} with {num_groups} groups")
    dtype = _float_dtype(x)
    grouped = x.astype(dtype, copy=False).reshape(n, num_groups, -1)
    mean = grouped.mean(axis=2, keepdims=True)
    var = grouped.var(axis=2, keepdims=True)
    y = ((grouped - mean) / np.sqrt(var + eps)).reshape(x.shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (x.ndim - 2)).astype(dtype, copy=False)


def instance_norm(
    x: np.ndarray,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """Normalise each (sample, channel) over its spatial positions, as PyTorch."""
    x = np.asarray(x)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected at least 3D input (N, C, ...), got {x.shape}")
    n, c = x.shape[:2]
    shape = (1, c) + (1,) * (x.ndim - 2)
    dtype = _float_dtype(x)
    x = x.astype(dtype, copy=False)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running stats required when use_input_stats=False")
        y = (x - np.asarray(running_mean).reshape(shape)) / np.sqrt(
            np.asarray(running_var).reshape(shape) + eps)
        return _affine(y, weight, bias, shape).astype(dtype, copy=False)
    count = int(np.prod(x.shape[2:]))
    if count == 1:
        # as PyTorch's _verify_spatial_size: one position per channel has no variance
        raise ValueError(f"Expected more than 1 spatial element when training, got input "
                         f"size {x.shape}")
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean.reshape(n, c).mean(axis=0)
    if running_var is not None and count > 1:
        running_var *= 1 - momentum
        running_var += momentum * (var.reshape(n, c) * count / (count - 1)).mean(axis=0)
    y = (x - mean) / np.sqrt(var + eps)
    return _affine(y, weight, bias, shape).astype(dtype, copy=False)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # written via tanh so that large |z| never overflows exp
    return 0.5 * (np.tanh(0.5 * z) + 1.0)


def lstm_cell(
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step with PyTorch's layout: gates stacked (i, f, g, o) along the rows of the
    (4H, in) and (4H, H) weights. Returns (h', c')."""
    hidden = np.shape(h)[-1]
    if np.shape(w_ih)[0] != 4 * hidden or np.shape(w_hh) != (4 * hidden, hidden):
        raise ValueError(f"lstm_cell: weights must be (4H, in) and (4H, H) with H={hidden}, got "
                         f"{np.shape(w_ih)} and {np.shape(w_hh)}")
    gates = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    i, f, g, o = np.split(gates, 4, axis=-1)
    c_next = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h_next = _sigmoid(o) * np.tanh(c_next)
    return h_next, c_next
