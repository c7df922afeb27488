"""``quiz calc``: run one layer or a whole network on real arrays and print what it did.

NumPy and the engine are imported inside :func:`run` so that ``quiz --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from quiz.commands._args import positive_int

if TYPE_CHECKING:  # pragma: no cover - typing only
    from quiz.engine import LayerReport, NetRun, RFInfo
    from quiz.engine.erf import EffectiveField

__all__ = ["register", "run"]

_SHAPE_HELP = "NxCxHxW or CxHxW (batch 1), e.g. 1x64x112x112"


def _shape(text: str) -> tuple[int, ...]:
    """argparse type: '1x64x112x112' or '64x112x112' -> a 4-tuple (N, C, H, W)."""
    if not re.fullmatch(r"\d+(x\d+){2,3}", text.strip().lower()):
        raise argparse.ArgumentTypeError(f"invalid shape {text!r}: expected {_SHAPE_HELP}")
    dims = tuple(int(v) for v in text.strip().lower().split("x"))
    if min(dims) <= 0:
        raise argparse.ArgumentTypeError(f"invalid shape {text!r}: dimensions must be positive")
    return dims if len(dims) == 4 else (1, *dims)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _padding(text: str) -> int | str:
    if text in ("same", "valid"):
        return text
    return _non_negative(text)


# --------------------------------------------------------------------------------------------
# argument parsing
# --------------------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calc`` command and its ``conv``, ``pool``, ``convT`` and ``net`` forms."""
    calc = subparsers.add_parser(
        "calc", help="run a layer or a network with the NumPy engine and count its work",
        description="Run real layers on random arrays (NumPy engine) and report output shape, "
                    "parameters, MACs (FLOPs = 2 x MACs; bias adds listed apart), memory and "
                    "receptive field.")
    kinds = calc.add_subparsers(dest="calc_kind", metavar="{conv,pool,convT,net}")
    kinds.required = True
    _add_conv(kinds)
    _add_pool(kinds)
    _add_conv_transpose(kinds)
    _add_net(kinds)
    calc.set_defaults(command="calc", handler=run)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", type=_shape, required=True, help=_SHAPE_HELP)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random arrays")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--show-rf", action="store_true",
                        help="draw the receptive-field support of one output unit")
    parser.add_argument("--draw", action="store_true",
                        help="draw the geometry: the padded input, the kernel at its first "
                             "positions, the output grid")


def _add_convolution_args(p: argparse.ArgumentParser, padding: Callable[[str], Any],
                          padding_help: str) -> None:
    """The options Conv2d and ConvTranspose2d share, with their PyTorch defaults."""
    _add_common(p)
    p.add_argument("--out", "-o", type=positive_int, required=True, help="output channels")
    p.add_argument("-k", "--kernel", type=positive_int, required=True)
    p.add_argument("-s", "--stride", type=positive_int, default=1)
    p.add_argument("-p", "--padding", type=padding, default=0, help=padding_help)
    p.add_argument("-d", "--dilation", type=positive_int, default=1)
    p.add_argument("-g", "--groups", type=positive_int, default=1)
    p.add_argument("--no-bias", action="store_true")


def _add_conv(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser("conv", help="one Conv2d layer",
                         description="Run one Conv2d (PyTorch semantics).")
    _add_convolution_args(p, padding=_padding, padding_help="N, 'same' or 'valid'")


def _add_conv_transpose(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser("convT", help="one ConvTranspose2d layer",
                         description="Run one ConvTranspose2d (PyTorch semantics).")
    _add_convolution_args(p, padding=_non_negative, padding_help="N")
    p.add_argument("--output-padding", "--op", type=_non_negative, default=0)


def _add_pool(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser("pool", help="one MaxPool2d / AvgPool2d layer",
                         description="Run one pooling layer (PyTorch semantics).")
    _add_common(p)
    p.add_argument("--type", "-t", choices=("max", "avg"), default="max")
    p.add_argument("-k", "--kernel", type=positive_int, required=True)
    p.add_argument("-s", "--stride", type=positive_int, default=None, help="default: kernel")
    p.add_argument("-p", "--padding", type=_non_negative, default=0)
    p.add_argument("-d", "--dilation", type=positive_int, default=1, help="max pooling only")
    p.add_argument("--ceil", action="store_true", help="ceil_mode=True")
    p.add_argument("--exclude-pad", action="store_true",
                   help="avg pooling: count_include_pad=False")


def _add_net(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser("net", help="a network file (see data/nets/README.md)",
                         description="Run a network described in the text format, layer by "
                                     "layer, and print a per-layer table with totals.")
    p.add_argument("file", help="network file (.net)")
    p.add_argument("--input", "-i", type=_shape, default=None,
                   help=f"{_SHAPE_HELP}; default: the file's 'input' line")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--show-rf", action="store_true",
                   help="draw the support of a central unit of the last spatial layer")
    p.add_argument("--draw-rf", metavar="LAYER", default=None,
                   help="draw the effective receptive field (gradient magnitude, Luo et al. "
                        "2016) of LAYER's centre unit inside its theoretical field; LAYER is "
                        "a row number from the table or a unique layer name")
    p.add_argument("--no-progress", action="store_true")


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Execute ``quiz calc``; returns the exit code (1 for an invalid configuration)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        if args.calc_kind == "net":
            return _run_net(args, out, err)
        return _run_layer(args, out)
    except OSError as error:
        print(f"quiz calc: {error}", file=err)
        return 1
    except ValueError as error:  # invalid configuration (incl. NetSpecError file:line:)
        from quiz.render.safe import safe_text

        print(f"quiz calc: error: {safe_text(str(error))}", file=err)
        return 1


def _make_layer(args: argparse.Namespace) -> Any:
    from quiz.engine import layers as L

    channels = args.input[1]
    if args.calc_kind == "conv":
        return L.Conv2d(channels, args.out, args.kernel, args.stride, args.padding,
                        args.dilation, args.groups, not args.no_bias)
    if args.calc_kind == "convT":
        return L.ConvTranspose2d(channels, args.out, args.kernel, args.stride, args.padding,
                                 args.output_padding, args.groups, not args.no_bias,
                                 args.dilation)
    if args.type == "max":
        return L.MaxPool2d(args.kernel, args.stride, args.padding, args.dilation, args.ceil)
    if args.dilation != 1:
        raise ValueError("avg pooling has no dilation")
    return L.AvgPool2d(args.kernel, args.stride, args.padding, args.ceil,
                       not args.exclude_pad)


def _run_layer(args: argparse.Namespace, out: TextIO) -> int:
    import numpy as np

    from quiz.engine import coverage, draw_support, receptive_field

    if args.draw and args.json:
        raise ValueError("--draw prints a picture: leave out --json")
    layer = _make_layer(args)
    # refuse a layer over the engine's limits from its shapes, before the input exists
    layer.check(args.input, np.dtype(args.dtype).itemsize)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal(args.input, dtype=np.float32).astype(args.dtype)
    start = time.perf_counter()
    _, report = layer.run(x, rng)
    hw = (args.input[2], args.input[3])
    rf = receptive_field([layer], hw)[0]
    elapsed = time.perf_counter() - start
    if args.json:
        data = report.as_dict() | {"rf": _rf_dict(rf), "seconds": round(elapsed, 6)}
        print(json.dumps(data, indent=2), file=out)
    else:
        _print_layer(report, rf, elapsed, out)
    if args.show_rf and rf is not None and not args.json:
        print(draw_support(coverage([layer], hw)), file=out)
    if args.draw:
        print("", file=out)
        _print_geometry(layer, hw, out)
    return 0


def _print_geometry(layer: Any, hw: tuple[int, int], out: TextIO) -> None:
    """The layer's geometry figure: coloured on a terminal, plain characters otherwise."""
    import shutil

    from quiz.engine.picture import layer_picture
    from quiz.render.geometry import draw_geometry, geometry_text

    picture = layer_picture(layer, hw)
    if not out.isatty():
        print(geometry_text(picture), file=out)
        return
    from rich.console import Console

    width = min(80, shutil.get_terminal_size().columns)
    Console(file=out, highlight=False, width=width).print(draw_geometry(picture, width))


def _rf_dict(rf: RFInfo | None) -> dict[str, object] | None:
    if rf is None:
        return None
    return {"size": list(rf.size), "jump": list(rf.jump), "start": list(rf.start),
            "holes": rf.holes}


def _fmt_pair(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _fmt_shape(shape: Sequence[int]) -> str:
    return "x".join(str(v) for v in shape)


def _human(value: float, unit: str = "") -> str:
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= scale:
            return f"{value / scale:.3f} {suffix}{unit}".rstrip()
    return f"{value:g} {unit}".rstrip()


def _human_bytes(value: int) -> str:
    for scale, suffix in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if value >= scale:
            return f"{value / scale:.2f} {suffix}"
    return f"{value} B"


def _print_layer(report: LayerReport, rf: RFInfo | None, elapsed: float, out: TextIO) -> None:
    rows = [
        ("layer", report.name),
        ("input", _fmt_shape(report.input_shape)),
        ("output", _fmt_shape(report.output_shape)),
        ("params", f"{report.params:,} (weights {report.weight_params:,}, "
                   f"bias {report.bias_params:,})"),
        ("MACs", f"{report.macs:,} ({_human(report.macs)})"),
        ("FLOPs", f"{report.flops:,} (= 2 x MACs; bias adds {report.bias_adds:,} apart)"),
        ("activations", f"in {report.input_elems:,} + out {report.output_elems:,} elements"),
        ("working set", f"{report.working_set_elems:,} elements = "
                        f"{_human_bytes(report.working_set_bytes)} "
                        f"({report.bytes_per_elem} B/element)"),
    ]
    if rf is not None:
        rows.append(("receptive field", f"{_fmt_pair(rf.size)} (jump {_fmt_pair(rf.jump)}, "
                                        f"start {_fmt_pair(rf.start)})"))
    rows.append(("time", f"{elapsed * 1e3:.2f} ms"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}", file=out)


def _progress_bar(err: TextIO, total: int) -> Callable[[int, str], None] | None:
    """A one-line bar on stderr, shown only on a terminal and only once the run is slow."""
    if not err.isatty():
        return None
    started = time.perf_counter()

    def show(done: int, name: str) -> None:
        if time.perf_counter() - started < 0.5 and done < total:
            return
        filled = int(30 * done / max(1, total))
        end = "\n" if done >= total else ""
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {name[:30]:<30}",
              end=end, file=err, flush=True)

    return show


def _run_net(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import numpy as np

    from quiz.engine import coverage, draw_support, load_net, net_receptive_fields, run_net
    from quiz.engine.network import count_layers

    if args.draw_rf is not None and args.json:
        raise ValueError("--draw-rf prints a picture: leave out --json")
    spec = load_net(args.file)
    shape = args.input if args.input is not None else spec.input_shape
    if shape is None:
        raise ValueError(f"{args.file} has no 'input' line: pass --input CxHxW")
    progress = None if args.no_progress else _progress_bar(err, count_layers(spec.nodes))
    start = time.perf_counter()
    result = run_net(spec, shape, np.random.default_rng(args.seed), np.dtype(args.dtype),
                     progress)
    rfs = net_receptive_fields(result)  # one pass over the whole net
    elapsed = time.perf_counter() - start  # what the user waited for: run and fields
    if args.json:
        data = result.as_dict()
        rows = data["layers"]
        assert isinstance(rows, list)  # as_dict lists one dict per layer
        for row, rf in zip(rows, rfs, strict=True):
            row["rf"] = _rf_dict(rf)
        data["seconds"] = round(elapsed, 6)
        print(json.dumps(data, indent=2), file=out)
        return 0
    # a LAYER without a field is refused before anything is printed
    field = None if args.draw_rf is None else _effective_field(result, rfs, args.draw_rf)
    _print_net(result, rfs, elapsed, out)
    if args.show_rf:
        _print_net_support(result, rfs, out, coverage, draw_support)
    if field is not None:
        print("", file=out)
        _print_effective_field(field, out)
    return 0


def _effective_field(result: NetRun, rfs: Sequence[RFInfo | None], layer: str) -> EffectiveField:
    from quiz.engine.erf import net_effective_field, select_row

    return net_effective_field(result, select_row(result, layer), rfs)


def _print_effective_field(field: EffectiveField, out: TextIO) -> None:
    """The effective field of a unit: coloured on a terminal, plain characters otherwise."""
    import shutil

    from quiz.render.rf_picture import draw_effective_field, effective_field_text

    if not out.isatty():
        print(effective_field_text(field), file=out)
        return
    from rich.console import Console

    width = min(80, shutil.get_terminal_size().columns)
    Console(file=out, highlight=False, width=width).print(draw_effective_field(field, width))


def _print_net(result: NetRun, rfs: Sequence[RFInfo | None], elapsed: float,
               out: TextIO) -> None:
    header = ("#", "layer", "output", "params", "MACs", "RF", "jump")
    rows = []
    for index, (report, rf) in enumerate(zip(result.layers, rfs, strict=True), start=1):
        rows.append((
            str(index), "  " * report.depth + report.name, _fmt_shape(report.output_shape[1:]),
            f"{report.params:,}", f"{report.macs:,}",
            _fmt_pair(rf.size) + ("*" if rf.holes else "") if rf else "-",
            _fmt_pair(rf.jump) if rf else "-",
        ))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    right = {0, 3, 4, 5, 6}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    print(line(header), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in rows:
        print(line(row), file=out)
    print("", file=out)
    peak = max(result.layers, key=lambda r: r.working_set_elems)
    print(f"input {_fmt_shape(result.input_shape)} -> output {_fmt_shape(result.output_shape)}",
          file=out)
    print(f"total params {result.params:,}  MACs {result.macs:,} ({_human(result.macs)})  "
          f"FLOPs {result.flops:,} (= 2 x MACs)  bias adds {result.bias_adds:,}", file=out)
    print(f"largest working set {_human_bytes(peak.working_set_bytes)} at {peak.name}; "
          f"ran in {elapsed:.2f} s (with receptive fields)", file=out)
    if any(rf is not None and rf.holes for rf in rfs):
        print("* receptive field with holes (gridding): see --show-rf", file=out)


def _print_net_support(result: NetRun, rfs: Sequence[RFInfo | None], out: TextIO,
                       coverage: Callable[..., Any], draw_support: Callable[..., str]) -> None:
    last = max((i for i, rf in enumerate(rfs) if rf is not None), default=None)
    if last is None:
        print("no layer with a receptive field to draw", file=out)
        return
    hw = (result.input_shape[2], result.input_shape[3])
    print(f"\nsupport of a central unit of '{result.layers[last].name}' on the "
          f"{hw[0]}x{hw[1]} input:", file=out)
    print(draw_support(coverage(result.paths[last], hw)), file=out)
