"""Benchmark of the NumPy engine's convolution against the bare GEMM it has to do.

For each layer the engine's conv2d time is compared with NumPy's own matrix product of the
same size (M = out/groups, K = in/groups * kH * kW, N = outH * outW, batched over samples and
groups), measured in the same run, and with PyTorch CPU when torch is importable. Goal: within
1.5x of the bare GEMM. Then the peak memory of one large convolution (1x256x224x224, 3x3),
which chunking keeps bounded.

    python bench/engine.py [--repeat-seconds 0.3] [--skip-large]
    OPENBLAS_NUM_THREADS=1 python bench/engine.py --cpu-time   # on a busy machine

``--cpu-time`` times with the process's CPU clock and one PyTorch thread: on a loaded machine
wall-clock minima of multi-threaded libraries mostly measure the other processes (set
OPENBLAS_NUM_THREADS=1 so that NumPy's BLAS is single-threaded too).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from quiz.engine import conv2d


@dataclass(frozen=True)
class ConvCase:
    label: str
    n: int
    c: int
    hw: int
    out: int
    k: int
    stride: int = 1
    groups: int = 1

    @property
    def padding(self) -> int:
        return self.k // 2

    @property
    def out_hw(self) -> int:
        return (self.hw + 2 * self.padding - self.k) // self.stride + 1

    def gemm_mkn(self) -> tuple[int, int, int, int]:
        """(batch, M, K, N) of the GEMMs the convolution amounts to."""
        m = self.out // self.groups
        k = self.c // self.groups * self.k * self.k
        return self.n * self.groups, m, k, self.out_hw * self.out_hw


CASES = [
    ConvCase("resnet 64x56x56 -> 64 3x3", 1, 64, 56, 64, 3),
    ConvCase("resnet 128x28x28 -> 128 3x3", 1, 128, 28, 128, 3),
    ConvCase("stem 3x224x224 -> 64 7x7/2", 1, 3, 224, 64, 7, stride=2),
    ConvCase("resnet 256x14x14 -> 256 3x3", 1, 256, 14, 256, 3),
    ConvCase("bottleneck 256x56x56 -> 64 1x1", 1, 256, 56, 64, 1),
    ConvCase("vgg 64x112x112 -> 128 3x3", 1, 64, 112, 128, 3),
    ConvCase("depthwise 256x28x28 3x3", 1, 256, 28, 256, 3, groups=256),
    ConvCase("depthwise 256x56x56 3x3/2", 1, 256, 56, 256, 3, stride=2, groups=256),
    ConvCase("batch 8: 64x56x56 -> 64 3x3", 8, 64, 56, 64, 3),
]


CLOCK: Callable[[], float] = time.perf_counter


def best_time(fn: Callable[[], object], budget: float) -> float:
    """Minimum of repeated runs (the least disturbed by other processes), after a warm-up."""
    fn()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - started < budget and len(times) < 200):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return min(times)


def torch_conv(case: ConvCase, x: np.ndarray, w: np.ndarray) -> Callable[[], object] | None:
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    if CLOCK is time.process_time:
        torch.set_num_threads(1)
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)

    def run() -> object:
        with torch.no_grad():
            return F.conv2d(xt, wt, None, case.stride, case.padding, 1, case.groups)

    return run


def bench_case(case: ConvCase, budget: float) -> dict[str, object]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((case.n, case.c, case.hw, case.hw), dtype=np.float32)
    w = rng.standard_normal((case.out, case.c // case.groups, case.k, case.k), dtype=np.float32)
    batch, m, k, n = case.gemm_mkn()
    a = rng.standard_normal((case.groups, m, k), dtype=np.float32)
    b = rng.standard_normal((case.n, case.groups, k, n), dtype=np.float32)
    engine = lambda: conv2d(x, w, None, case.stride, case.padding, 1, case.groups)  # noqa: E731
    gemm = lambda: np.matmul(a, b)  # noqa: E731
    # interleaved (engine, gemm, engine, gemm) so that both see the same machine load
    t_engine = best_time(engine, budget / 2)
    t_gemm = best_time(gemm, budget / 2)
    t_engine = min(t_engine, best_time(engine, budget / 2))
    t_gemm = min(t_gemm, best_time(gemm, budget / 2))
    return {"case": case, "engine": t_engine, "gemm": t_gemm, "torch": None,
            "gemm_shape": f"{batch}x({m}x{k}x{n})"}


def add_torch_times(rows: list[dict[str, object]], budget: float) -> None:
    """Measured after all NumPy runs: once imported, torch's OpenMP pool competes with
    OpenBLAS's threads and would slow the NumPy measurements down."""
    for row in rows:
        case = row["case"]
        assert isinstance(case, ConvCase)
        rng = np.random.default_rng(0)
        x = rng.standard_normal((case.n, case.c, case.hw, case.hw), dtype=np.float32)
        w = rng.standard_normal((case.out, case.c // case.groups, case.k, case.k),
                                dtype=np.float32)
        torch_fn = torch_conv(case, x, w)
        if torch_fn is None:
            return
        row["torch"] = best_time(torch_fn, budget)


def print_table(rows: list[dict[str, object]]) -> None:
    has_torch = any(r["torch"] is not None for r in rows)
    header = f"{'layer (float32)':<32} {'GEMM b x (MxKxN)':>22} {'engine':>9} {'GEMM':>9} " \
             f"{'ratio':>6}"
    if has_torch:
        header += f" {'torch':>9} {'vs torch':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        case = r["case"]
        assert isinstance(case, ConvCase)
        engine, gemm = float(r["engine"]), float(r["gemm"])  # type: ignore[arg-type]
        line = (f"{case.label:<32} {r['gemm_shape']!s:>22} {engine * 1e3:8.2f}ms "
                f"{gemm * 1e3:7.2f}ms {engine / gemm:5.2f}x")
        if has_torch and r["torch"] is not None:
            t = float(r["torch"])  # type: ignore[arg-type]
            line += f" {t * 1e3:7.2f}ms {engine / t:7.2f}x"
        print(line)


def peak_memory_large_conv() -> tuple[float, float, float]:
    """(seconds, traced peak MiB, tensors MiB) of a 1x256x224x224 -> 256 3x3 conv."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 256, 224, 224), dtype=np.float32)
    w = rng.standard_normal((256, 256, 3, 3), dtype=np.float32)
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        y = conv2d(x, w, padding=1)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tensors = (x.nbytes + w.nbytes + y.nbytes) / 2**20
    return elapsed, peak / 2**20, tensors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat-seconds", type=float, default=0.3,
                        help="time budget per measurement (the minimum is kept)")
    parser.add_argument("--no-torch", action="store_true", help="do not time PyTorch")
    parser.add_argument("--skip-large", action="store_true",
                        help="skip the 1x256x224x224 memory measurement")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with the CPU clock, one thread per library (busy machines)")
    args = parser.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.process_time
        if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
            print("note: set OPENBLAS_NUM_THREADS=1 for single-threaded NumPy CPU times")
    rows = [bench_case(case, args.repeat_seconds) for case in CASES]
    large = None if args.skip_large else peak_memory_large_conv()
    if not args.no_torch:
        add_torch_times(rows, args.repeat_seconds)
    print_table(rows)
    ratios = [float(r["engine"]) / float(r["gemm"]) for r in rows  # type: ignore[arg-type]
              if not r["case"].groups > 1]  # type: ignore[attr-defined]
    print(f"\ndense layers within 1.5x of the bare GEMM: "
          f"{sum(q <= 1.5 for q in ratios)}/{len(ratios)} "
          f"(geometric mean {float(np.exp(np.mean(np.log(ratios)))):.2f}x)")
    print("depthwise: no GEMM to speak of (M=1, K=9 per channel); the engine gathers the 9 "
          "taps per channel block and sums them in one batched matmul, the GEMM column is "
          "only a reference")
    if all(r["torch"] is not None for r in rows):
        def vs_torch(depthwise: bool) -> list[float]:
            return [float(r["engine"]) / float(r["torch"]) for r in rows  # type: ignore[arg-type]
                    if (r["case"].groups > 1) == depthwise]  # type: ignore[attr-defined]
        print(f"vs PyTorch CPU: dense median {float(np.median(vs_torch(False))):.2f}x (goal "
              f"<= 1.5x), depthwise {', '.join(f'{q:.2f}x' for q in vs_torch(True))} "
              "(goal <= 3x)")
    if large is not None:
        seconds, peak, tensors = large
        im2col = 256 * 9 * 224 * 224 * 4 / 2**20
        print(f"\n1x256x224x224 -> 256 3x3 conv (float32): {seconds:.2f} s, traced peak "
              f"{peak:.0f} MiB (input+weight+output {tensors:.0f} MiB; an unchunked im2col "
              f"alone would be {im2col:.0f} MiB); limit 2048 MiB: "
              f"{'OK' if peak < 2048 else 'EXCEEDED'}")


if __name__ == "__main__":
    main()
