"""Worked solutions: the textbook formula with this instance's numbers substituted, and what the
engine ran (layer by layer, from its reports).

The formulas live here, in code that explains — they never decide the grade: the expected value
is the engine's measurement, and the formula text is checked against it by the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from quiz.measure.measurement import READERS, FieldStep, Geometry, Measurement, read
from quiz.numeric.expr import Node, calls_in, parse_expr

if TYPE_CHECKING:
    from quiz.engine.report import LayerReport
    from quiz.numeric.core import Instance, Solution

KIND_NAMES = {
    "conv": "卷积", "dwconv": "深度卷积 (depthwise)", "convT": "转置卷积", "maxpool": "最大池化",
    "avgpool": "平均池化", "fc": "全连接", "bn": "BN", "gap": "全局平均池化", "relu": "ReLU",
    "flatten": "展平", "lstm": "LSTM", "attn": "多头自注意力",
}


def group(value: int) -> str:
    """1234567 → 1,234,567 (thousands separators help reading large counts)."""
    return f"{value:,}"


def format_value(value: Any, instance: Instance | None = None) -> str:
    unit = f" {instance.unit}" if instance is not None and instance.unit else ""
    if isinstance(value, tuple):
        return "×".join(str(v) for v in value)
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{float(value):.4g}（= {value.numerator}/{value.denominator}）"
    if isinstance(value, (int, Fraction)):
        number = int(value)
        return group(number) + unit + _scaled(number)
    return str(value)


def _scaled(number: int) -> str:
    """A readable magnitude beside large counts: ≈ 2.42G / 1.2亿 / 5780万."""
    if abs(number) < 10_000:
        return ""
    for factor, latin in ((10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(number) >= factor:
            text = f"≈ {_mantissa(number / factor)}{latin}"
            break
    if abs(number) >= 10**8:
        text += f" ≈ {_mantissa(number / 10**8)}亿"
    elif abs(number) >= 10**4:
        text += f" ≈ {_mantissa(number / 10**4)}万"
    return f"（{text}）"


def _mantissa(value: float) -> str:
    """Three significant digits, but never exponent notation: `.3g` turns 5780 into 5.78e+03,
    which nobody reads as 5780万; from 1000 on the whole number is shorter and exact enough."""
    rounded = float(f"{value:.3g}")
    return f"{rounded:g}" if abs(rounded) < 1000 else f"{value:.0f}"


def worked_solution(instance: Instance, solution: Solution) -> str:
    parts = [f"{ANSWER_LEAD}{format_value(solution.expected, instance)}"]
    ask = parse_expr(instance.ask)
    if ask.op != "call":
        parts.append(f"**所求**：{render_ask(ask, solution)} = "
                     f"{format_value(solution.expected, instance)}")
    topics = _topics(ask)
    for name, text in instance.nets:
        run = solution.runs[name]
        title = f"`{name}`" if len(instance.nets) > 1 else "网络"
        parts.append(f"**{title} 逐层公式**：\n\n" + "\n".join(formula_lines(text, run, topics)))
        parts.append("**引擎实际运行**：\n\n" + "\n".join(engine_lines(run)))
        if calls_in(ask) & ACTIVATION_ASKS:
            parts.append(activation_text(run, instance.batch))
    for name, _ in instance.data:
        title = f"`{name}`" if len(instance.data) > 1 else "数据"
        parts.append(f"**{title} 逐步计算**：\n\n"
                     + "\n".join(data_lines(solution.runs[name], calls_in(ask))))
    if instance.batch and calls_in(ask) & ACTIVATION_ASKS:
        parts.append(f"（引擎以 batch 1 运行；各层逐样本计算，batch = {instance.batch} 时激活是单个"
                     f"样本的 {instance.batch} 倍。）")
    elif instance.batch:
        parts.append(f"（引擎以 batch 1 运行；batch = {instance.batch} 只改变第一维。）")
    return "\n\n".join(parts)


ANSWER_LEAD = "**答案**："
RIGHT_ANSWER = "正确答案："
STATUS_WORDS = ("不对。", "正确！")


def verdict_parts(message: str, worked: str, *, label_shown: bool) -> tuple[str, str]:
    """A verdict's message and worked solution as shown one above the other, each thing said
    once: the message without its status word when a label beside it says it (`✘ 不对 wrong`),
    and the worked solution without its opening answer when the message states the right one."""
    if label_shown:
        for word in STATUS_WORDS:
            if message.startswith(word):
                message = message.removeprefix(word).lstrip()
                break
    if RIGHT_ANSWER in message and worked.startswith(ANSWER_LEAD):
        worked = worked.partition("\n\n")[2]
    return message, worked


def activation_text(run: Measurement, batch: int | None) -> str:
    """Every layer's output, summed: the activations a training step keeps for backward."""
    sizes = [_product(tuple(r.output_shape[1:])) for r in run.reports]
    per_byte = int(run.reports[0].bytes_per_elem) if run.reports else 4
    total = sum(sizes)
    text = (f"**保存的激活**：每个样本各层输出 {' + '.join(group(n) for n in sizes)} = "
            f"{group(total)} 个元素 × {per_byte} 字节 = {group(total * per_byte)} 字节")
    if batch:
        text += f"；× batch {batch} = {group(total * per_byte * batch)} 字节"
    return text


ASK_TOPICS = {
    "output_hw": {"size"}, "output_shape": {"size"}, "batch_output_shape": {"size"},
    "output_h": {"size"}, "output_w": {"size"}, "output_c": {"size"}, "output_elems": {"size"},
    "params": {"params"}, "weight_params": {"params"}, "bias_params": {"params"},
    "macs": {"size", "macs"}, "flops": {"size", "macs"}, "bias_adds": {"macs"},
    "working_set": {"size", "params"}, "rf": {"rf"}, "jump": {"rf"},
    "pad_top": {"size"}, "pad_bottom": {"size"}, "pad_total": {"size"}, "buffers": {"params"},
    "activation_bytes": {"size"}, "batch_activation_bytes": {"size"},
}
ACTIVATION_ASKS = frozenset({"activation_bytes", "batch_activation_bytes"})


def _topics(ask: Node) -> set[str]:
    """Which formulas explain this ask (sizes, parameters, MACs, receptive field)."""
    topics: set[str] = set()
    for name in calls_in(ask):
        topics |= ASK_TOPICS.get(name, set())
    return topics or {"size", "params", "macs"}


def render_ask(node: Node, solution: Solution) -> str:
    """`macs(dws) / macs(std)` → `109,985,792 / 924,844,032`."""
    if node.op == "call":
        name, args = node.args
        run = solution.runs.get(args[0].args[0]) if args and args[0].op == "name" else None
        if run is not None and name in READERS:
            value = read(run, name, solution.batch)
            return "×".join(map(str, value)) if isinstance(value, tuple) else group(int(value))
        return str(name)
    if node.op == "num":
        return str(node.args[0])
    if node.op == "bin":
        op, left, right = node.args
        return f"({render_ask(left, solution)} {op} {render_ask(right, solution)})"
    if node.op == "neg":
        return f"−{render_ask(node.args[0], solution)}"
    return "…"


def engine_lines(run: Measurement) -> list[str]:
    lines = []
    for report in run.reports:
        shape_in = "×".join(map(str, report.input_shape))
        shape_out = "×".join(map(str, report.output_shape))
        detail = [f"{report.kind} {shape_in} → {shape_out}"]
        if report.params:
            detail.append(f"{group(report.weight_params)} 个权重 + "
                          f"{group(report.bias_params)} 个偏置")
        if report.macs:
            detail.append(f"{group(report.macs)} MACs")
        lines.append("- " + "，".join(detail))
    if run.rf is not None and run.jump is not None:
        lines.append(f"- 感受野（反向传播单位输出得到）：{run.rf[0]}×{run.rf[1]}，"
                     f"有效步长 {run.jump[0]}")
    return lines


def formula_lines(text: str, run: Measurement, topics: set[str] | None = None) -> list[str]:
    """The textbook formula of each layer, filled with the geometry and shapes the engine used
    (sequential nets: one report per layer line)."""
    topics = topics if topics is not None else {"size", "params", "macs", "rf"}
    from quiz.engine.netspec import parse_net  # the registry of layers loads NumPy

    specs = list(parse_net(text).layers())
    kinds = [spec.kind for spec in specs]
    reports = run.reports
    if not reports:
        return ["- （没有层）"]
    if len(reports) != len(kinds) or len(run.geometry) != len(reports):
        return ["- （含分支的网络：见下方引擎逐层报告）"]
    out: list[str] = []
    previous = FieldStep((1, 1), (1, 1))
    for index, (kind, report) in enumerate(zip(kinds, reports, strict=True)):
        layer = _Layer(kind, report, run.geometry[index], specs[index].get("p") == "tfsame")
        if "rf" in topics:
            step = run.steps[index] if index < len(run.steps) else None
            text_rf = _rf_text(layer, previous, step)
            previous = step or previous
            out.append(f"- {KIND_NAMES.get(kind, kind)}：" + (text_rf or "感受野不变"))
        else:
            out.extend(_layer_formulas(layer, topics))
    return out


class _Layer:
    """One layer line's keyword with what the engine reported and the geometry it used."""

    def __init__(self, kind: str, report: LayerReport, geometry: Geometry | None,
                 tf_same: bool = False) -> None:
        self.kind, self.report, self.geometry, self.tf_same = kind, report, geometry, tf_same

    @property
    def g(self) -> Geometry:
        if self.geometry is None:
            return Geometry((1, 1), (1, 1), (0, 0), (1, 1))
        return self.geometry


def _layer_formulas(layer: _Layer, topics: set[str]) -> list[str]:
    name = KIND_NAMES.get(layer.kind, layer.kind)
    handler = _FORMULAS.get(layer.kind)
    body = [text for topic, text in handler(layer) if topic in topics] if handler else []
    return [f"- {name}：" + "；".join(body)] if body else [f"- {name}：不涉及本题所求"]


def _conv_size(layer: _Layer) -> str:
    g, report = layer.g, layer.report
    k, s, p, d = g.kernel, g.stride, g.padding, g.dilation
    h_in, h_out = report.input_shape[-2], report.output_shape[-2]
    if g.same:
        return (f"padding=same（stride 1）：两侧共补 d(k−1) = {d[0] * (k[0] - 1)}，"
                f"H_out = H = {h_out}")
    top, bottom = report.padding[:2]
    if layer.tf_same:  # TensorFlow's SAME: the size comes first, the padding follows from it
        return (f"padding=SAME（TensorFlow）：H_out = ⌈H/s⌉ = ⌈{h_in}/{s[0]}⌉ = {h_out}；"
                f"总填充 P = max((H_out−1)·s + d(k−1) + 1 − H, 0) = "
                f"max(({h_out}−1)·{s[0]} + {d[0]}·({k[0]}−1) + 1 − {h_in}, 0) = {top + bottom}，"
                f"上侧 ⌊P/2⌋ = {top}，下侧 {bottom}（多出的一行补在下 / 右侧）")
    floor = ("⌈", "⌉") if g.ceil else ("⌊", "⌋")
    return (f"H_out = {floor[0]}(H + 2p − d(k−1) − 1)/s{floor[1]} + 1 = "
            f"{floor[0]}({h_in} + 2·{p[0]} − {d[0]}·({k[0]}−1) − 1)/{s[0]}{floor[1]} + 1 = {h_out}"
            + (f"（W 方向同理得 {report.output_shape[-1]}）"
               if report.output_shape[-1] != h_out or report.input_shape[-1] != h_in else ""))


def _conv_counts(layer: _Layer) -> list[tuple[str, str]]:
    g, report = layer.g, layer.report
    k = g.kernel
    c_in, c_out = report.input_shape[1], report.output_shape[1]
    per_group = c_in // g.groups
    bias = int(report.bias_params)
    h_out, w_out = report.output_shape[-2], report.output_shape[-1]
    area = _kernel_area(k)
    params = (f"参数 = C_out·(C_in/g)·{area} + 偏置 = {c_out}·{per_group}·{k[0]}·{k[1]} + {bias}"
              f" = {group(c_out * per_group * k[0] * k[1] + bias)}")
    macs = (f"MACs = H_out·W_out·C_out·(C_in/g)·{area} = {h_out}·{w_out}·{c_out}·{per_group}·"
            f"{k[0]}·{k[1]} = {group(h_out * w_out * c_out * per_group * k[0] * k[1])}，"
            "FLOPs ≈ 2×MACs")
    return [("params", params), ("macs", macs)]


def _kernel_area(kernel: tuple[int, ...]) -> str:
    """`k²` for a square kernel; for another, its sides in words (Unicode has no subscript w,
    so `k_h·k_w` would show as `kₕ·k₍w₎`)."""
    return "k²" if kernel[0] == kernel[-1] else "核高·核宽"


def _conv(layer: _Layer) -> list[tuple[str, str]]:
    return [("size", _conv_size(layer)), *_conv_counts(layer)]


def _conv_t(layer: _Layer) -> list[tuple[str, str]]:
    g, report = layer.g, layer.report
    k, s, p, d, op = g.kernel, g.stride, g.padding, g.dilation, g.output_padding
    h_in, h_out = report.input_shape[-2], report.output_shape[-2]
    size = (f"H_out = (H−1)s − 2p + d(k−1) + output_padding + 1 = ({h_in}−1)·{s[0]} − 2·{p[0]}"
            f" + {d[0]}·({k[0]}−1) + {op[0]} + 1 = {h_out}")
    return [("size", size), *_conv_counts(layer)[:1]]


def _pool(layer: _Layer) -> list[tuple[str, str]]:
    text = _conv_size(layer)
    if layer.g.stride == layer.g.kernel:
        text += "（不写 stride 时默认等于 kernel_size）"
    if layer.g.ceil:
        text += "；ceil_mode：最后一个窗口须从输入或左侧填充内开始"
    return [("size", text), ("params", "无参数")]


def _fc(layer: _Layer) -> list[tuple[str, str]]:
    report = layer.report
    n_in, n_out = _product(report.input_shape[1:]), report.output_shape[-1]
    bias = int(report.bias_params)
    return [("params", f"参数 = in·out + out = {n_in}·{n_out} + {bias} = "
                       f"{group(n_in * n_out + bias)}"),
            ("macs", f"MACs = in·out = {group(n_in * n_out)}")]


def _product(values: tuple[int, ...]) -> int:
    result = 1
    for value in values:
        result *= int(value)
    return result


def _bn(layer: _Layer) -> list[tuple[str, str]]:
    channels = layer.report.output_shape[1]
    return [("params", f"可学习参数 γ、β 各 C 个 = 2·{channels} = {2 * channels}"
            f"（running_mean/var 共 {2 * channels} 个是缓冲区，不算参数）")]


def _gap(layer: _Layer) -> list[tuple[str, str]]:
    shape = layer.report.input_shape
    return [("macs", f"无参数；每通道把 {shape[-2]}×{shape[-1]} 个值求平均（约 C·H·W = "
            f"{group(shape[1] * shape[-2] * shape[-1])} 次加法，没有乘加 MAC）"),
            ("size", f"输出 {shape[1]}×1×1")]


def _lstm(layer: _Layer) -> list[tuple[str, str]]:
    report = layer.report
    n_in, hidden = report.input_shape[-1], report.output_shape[-1]
    bias = int(report.bias_params)
    total = 4 * hidden * (n_in + hidden) + bias
    return [("params", f"参数 = 4H·(I + H) + 2·4H = 4·{hidden}·({n_in} + {hidden}) + {bias} = "
                       f"{group(total)}"
            "（4 个门 i、f、g、o；W_ih、W_hh 与两组偏置 b_ih、b_hh）")]


def _attn(layer: _Layer) -> list[tuple[str, str]]:
    report = layer.report
    c, h, w = (int(v) for v in report.input_shape[1:])
    tokens = h * w
    bias = int(report.bias_params)
    projections, mixing = 4 * tokens * c * c, 2 * tokens * tokens * c
    return [
        ("size", f"{h}×{w} 展平成 L = {tokens} 个 token，输出形状不变"),
        ("params", f"参数 = Q、K、V、输出四个 C×C 投影 + 偏置 = 4·{c}² + {bias} = "
                   f"{group(4 * c * c + bias)}"),
        ("macs", f"MACs = 四个投影 4·L·C² + QKᵀ 与 AV 各 L²·C = 4·{tokens}·{c}² + "
                 f"2·{tokens}²·{c} = {group(projections)} + {group(mixing)} = "
                 f"{group(projections + mixing)}（按头切分不改变总数）"),
    ]


_FORMULAS: dict[str, Callable[[_Layer], list[tuple[str, str]]]] = {
    "conv": _conv, "dwconv": _conv, "convT": _conv_t, "maxpool": _pool, "avgpool": _pool,
    "fc": _fc, "bn": _bn, "gap": _gap, "lstm": _lstm, "attn": _attn,
}


def _rf_text(layer: _Layer, before: FieldStep, after: FieldStep | None) -> str:
    """The recursion r ← r + (k′ − 1)·j, j ← j·s, with the engine's numbers on both sides
    (k′ is the effective kernel: `k_eff` would show its subscript as `₍eff₎`)."""
    if layer.geometry is None or after is None or after == before:
        return ""
    k, s, d = layer.g.kernel[0], layer.g.stride[0], layer.g.dilation[0]
    k_eff = d * (k - 1) + 1
    rf, jump = before.size[0], before.jump[0]
    return (f"感受野 r = r + (k′ − 1)·j = {rf} + ({k_eff} − 1)·{jump} = {after.size[0]}，"
            f"有效步长 j = j·s = {jump}·{s} = {after.jump[0]}"
            + (f"（等效核 k′ = d(k−1)+1 = {k_eff}）" if d > 1 else ""))


def _num(value: float) -> str:
    """A computed number as a learner writes it: 100.0 → 100, 0.5384… → 0.5385."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _ratio(value: float) -> str:
    """A precision, recall or probability as a small fraction when it is one (2/3)."""
    fraction = Fraction(value).limit_denominator(1000)
    if fraction.denominator == 1:
        return str(fraction.numerator)
    return f"{fraction.numerator}/{fraction.denominator}"


def data_lines(run: Measurement, asks: set[str]) -> list[str]:
    """The steps of a `data` computation, with the engine's intermediate values."""
    data = run.data
    if data is None:
        return ["- （没有数据）"]
    handler = _DATA_STEPS.get(data.kind)
    return handler(data.details, data.figures, asks) if handler else ["- （见引擎结果）"]


def _iou_steps(d: dict[str, Any], f: dict[str, Any], _: set[str]) -> list[str]:
    (a, b), (area_a, area_b) = d["boxes"], d["areas"]
    return [
        f"- 面积 A = ({_num(a[2])}−{_num(a[0])})·({_num(a[3])}−{_num(a[1])}) = {_num(area_a)}，"
        f"B = ({_num(b[2])}−{_num(b[0])})·({_num(b[3])}−{_num(b[1])}) = {_num(area_b)}（连续坐标，"
        "宽 = x2 − x1，不加 1）",
        f"- 交集：宽 max(0, min(x2) − max(x1))、高同理，面积 I = {_num(d['inter'])}",
        f"- 并集 U = A + B − I = {_num(area_a)} + {_num(area_b)} − {_num(d['inter'])} = "
        f"{_num(d['union'])}",
        f"- IoU = I / U = {_num(d['inter'])}/{_num(d['union'])} = {_num(f['iou'])}",
    ]


def _ap_steps(d: dict[str, Any], f: dict[str, Any], asks: set[str]) -> list[str]:
    lines = [f"- 按分数从高到低匹配（IoU 阈值 0.5，共 {d['n_gt']} 个 GT），"
             "precision = TP 数/已处理框数，recall = TP 数/GT 数："]
    for rank, (score, iou, gt, tp, p, r) in enumerate(zip(
            d["scores"], d["best_iou"], d["best_gt"], d["tp"], d["precision"], d["recall"],
            strict=True), start=1):
        if tp:
            verdict = f"与 G{gt} 的 IoU {iou:.3f} ≥ 0.5，TP"
        elif iou >= 0.5:
            verdict = f"与 G{gt} 的 IoU {iou:.3f}，但 G{gt} 已被更高分的框匹配，FP"
        else:
            verdict = f"最大 IoU {iou:.3f}（G{gt}）< 0.5，FP"
        lines.append(f"- 第 {rank} 名（分数 {_num(score)}）：{verdict}；precision = {_ratio(p)}，"
                     f"recall = {_ratio(r)}")
    if "ap_all" in asks:
        lines.append("- 全点插值 (all-point)：每个召回率处取其右侧（召回率更高处）的最大 "
                     f"precision，再按召回率的增量加权求和：AP = {_num(f['ap_all'])}")
    if "ap_11" in asks:
        lines.append("- 11 点插值：召回率 0, 0.1, …, 1 处各取“召回率 ≥ 该点”的最大 precision"
                     f"（没有则为 0），11 个值取平均：AP = {_num(f['ap_11'])}")
    if "ap_coco" in asks:
        per = "，".join(f"{t:.2f}: {_num(v)}" for t, v in zip(
            d["thresholds"], d["per_threshold"], strict=True))
        lines.append(f"- 每个 IoU 阈值重新匹配并按全点插值算 AP：{per}")
        lines.append(f"- 10 个阈值取平均：AP = {_num(f['ap_coco'])}")
    return lines


def _fpn_steps(d: dict[str, Any], f: dict[str, Any], _: set[str]) -> list[str]:
    return [
        f"- √(wh) = √({_num(d['w'])}·{_num(d['h'])}) = {d['side']:.2f}",
        f"- k0 + log₂(√(wh)/{_num(d['canonical'])}) = {d['k0']} + log₂({d['side']:.2f}/"
        f"{_num(d['canonical'])}) = {d['raw']:.3f}",
        f"- 向下取整得 {_num(float(f['fpn_no_clamp']))}，限制在 [{d['k_min']}, {d['k_max']}] 内："
        f"k = {f['fpn_level']}",
    ]


def _anchor_steps(d: dict[str, Any], f: dict[str, Any], _: set[str]) -> list[str]:
    per = d["per_location"]
    lines = [f"- 每个位置 {len(d['ratios'])} 种长宽比 × {d['scales']} 种尺度 = {per} 个 anchor"]
    for level, stride, rows, cols in d["levels"]:
        lines.append(f"- P{level}：步长 {stride}，特征图 ⌈{d['image'][0]}/{stride}⌉×"
                     f"⌈{d['image'][1]}/{stride}⌉ = {rows}×{cols}，{rows}·{cols}·{per} = "
                     f"{group(rows * cols * per)}")
    lines.append(f"- 合计 {group(int(f['anchors']))} 个")
    return lines


def _droppath_steps(d: dict[str, Any], f: dict[str, Any], asks: set[str]) -> list[str]:
    blocks, last, block = d["blocks"], d["last"], d["block"]
    lines = [f"- 线性衰减：第 l 块的存活概率 = 1 − (l/L)·(1 − 最后一块的存活概率)，L = {blocks}，"
             f"最后一块 {_num(last)}"]
    if "survival" in asks:
        lines.append(f"- 第 {block} 块：1 − ({block}/{blocks})·(1 − {_num(last)}) = "
                     f"{_num(f['survival'])}")
    if "expected_depth" in asks:
        shown = [_ratio(p) for p in d["survival"]]
        if len(shown) > 8:
            shown = [*shown[:3], "…", *shown[-2:]]
        lines.append(f"- 期望保留的块数 = 各块存活概率之和 = {' + '.join(shown)} = "
                     f"L − (1 − {_num(last)})·(L + 1)/2 = {_num(f['expected_depth'])}")
    return lines


def _train_steps(d: dict[str, Any], f: dict[str, Any], _: set[str]) -> list[str]:
    weights, grads, master, moments = d["parts"]
    n = group(d["params"])
    return [
        f"- 权重（{d['weights']}）{n} 个参数 → {group(weights)} 字节",
        f"- 梯度（{d['grads']}）→ {group(grads)} 字节",
        f"- fp32 主权重 (master weights) → {group(master)} 字节",
        f"- 优化器 {d['optimizer']} 的状态（{d['states']}）→ {group(moments)} 字节",
        f"- 合计 {group(int(f['train_state_bytes']))} 字节",
    ]


_DATA_STEPS: dict[str, Callable[[dict[str, Any], dict[str, Any], set[str]], list[str]]] = {
    "iou": _iou_steps, "ap": _ap_steps, "fpn": _fpn_steps, "anchors": _anchor_steps,
    "droppath": _droppath_steps, "train": _train_steps,
}
