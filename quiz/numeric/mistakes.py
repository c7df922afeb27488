"""The known wrong recipes (misconceptions), each as something the engine can evaluate.

A recipe is one of
- a rewrite of the template's nets (drop the dilation, drop the groups, pad one side only, round
  up instead of down, ...): the engine runs the rewritten layers and the asked quantity is read
  from its reports exactly as for the right answer;
- a swap of the measured quantity (FLOPs read where MACs are asked, bias adds counted, BN running
  statistics counted as parameters, ...): same runs, another figure of the same reports;
- a shift of the right value where no layer configuration computes the mistake: "forgot the
  +1", an inverted ratio, and the unit slips (a k/M/G/T prefix one step off: exactly ×/÷ 1000;
  万 and 亿 exchanged: exactly ×/÷ 10⁴).
When a learner's wrong answer equals a recipe's value, the feedback names that mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the specs arrive from the engine's reader, which loads only when a net runs
    from quiz.engine.spec import LayerSpec, NetSpec
from quiz.numeric.families import FAMILIES

# A rewrite returns the changed net, or None when the mistake changes nothing in this net.
# `channels[i]` is the input channel count of layer i (sequential nets, from the right run).
Rewrite = Callable[["NetSpec", list[int]], "NetSpec | None"]

SPATIAL = frozenset({"conv", "dwconv", "convT", "maxpool", "avgpool"})
POOLS = frozenset({"maxpool", "avgpool"})
WEIGHTED = frozenset({"conv", "dwconv", "convT", "fc"})
NORMS = frozenset({"bn", "gn", "ln"})
# A unit slip is only named on a count large enough to be written with the prefix in question:
# 1000 or more for k/M/G/T (one step is ×1000), 10⁴ or more for 万/亿 (one step is ×10⁴).
PREFIX_STEP, PREFIX_FROM = 1000, 1000
WAN_YI_STEP, WAN_YI_FROM = 10_000, 10_000


@dataclass(frozen=True)
class Recipe:
    id: str
    name: str                                   # the mistake, as the feedback names it
    why: str                                    # one sentence: what the right rule is
    rewrite: Rewrite | None = None              # net rewrite over the engine's typed specs
    metric: dict[str, str] = field(default_factory=dict)   # ask function → other figure
    shift: Callable[[Any], Any] | None = None   # value shift ("forgot the +1", inverted ratio)
    ratio_only: bool = False                    # only for asks that divide two measurements


def _changed(net: NetSpec, change: Callable[[LayerSpec], LayerSpec | None]) -> NetSpec | None:
    """``net`` with ``change`` applied to every layer; None if no layer changed."""
    new = net.map_layers(change)
    same = [(a.kind, dict(a.options)) for a in net.layers()] == \
        [(b.kind, dict(b.options)) for b in new.layers()]
    return None if same else new


def _on_spatial(change: Callable[[LayerSpec], LayerSpec]) -> Callable[[LayerSpec], LayerSpec]:
    return lambda spec: change(spec) if spec.kind in SPATIAL else spec


def _ignore_dilation(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, _on_spatial(
        lambda spec: spec if spec.pair("d", 1) == (1, 1) else spec.with_options(d=None)))


def _ignore_groups(net: NetSpec, channels: list[int]) -> NetSpec | None:
    """Grouped → dense; a depthwise conv becomes a dense conv with as many outputs as inputs."""
    layers = list(net.layers())

    def dense(spec: LayerSpec) -> LayerSpec:
        index = next(i for i, layer in enumerate(layers) if layer is spec)
        if spec.kind == "dwconv" and index < len(channels) and channels[index]:
            return spec.with_kind("conv", out=channels[index])
        if spec.get("g", 1) != 1:
            return spec.with_options(g=None)
        return spec

    return _changed(net, dense)


def _forgot_bias(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, lambda spec: spec.with_options(nobias=True)
                    if spec.kind in WEIGHTED | {"lstm"} else spec)


def _extra_bias(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, lambda spec: spec.with_options(nobias=None)
                    if spec.kind in WEIGHTED else spec)


def _tf_same_symmetric(net: NetSpec, _: list[int]) -> NetSpec | None:
    """TensorFlow SAME read as PyTorch's symmetric `padding = d(k−1)//2` on both sides."""
    def symmetric(spec: LayerSpec) -> LayerSpec:
        if spec.get("p") != "tfsame":
            return spec
        (kh, kw), (dh, dw) = spec.pair("k", 1), spec.pair("d", 1)
        return spec.with_options(p=(dh * (kh - 1) // 2, dw * (kw - 1) // 2))

    return _changed(net, symmetric)


def _single_spatial(net: NetSpec) -> LayerSpec | None:
    spatial = [spec for spec in net.layers() if spec.kind in SPATIAL]
    if len(spatial) != 1 or not net.is_sequential() or isinstance(spatial[0].get("p"), str):
        return None
    return spatial[0]


def _replace_layer(net: NetSpec, old: LayerSpec, new: LayerSpec) -> NetSpec:
    return net.map_layers(lambda spec: new if spec is old else spec)


def _one_side_padding(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Padding added on one side only: input H + p instead of H + 2p, i.e. H + p and p = 0."""
    spec, dims = _single_spatial(net), net.input_shape
    if spec is None or dims is None or len(dims) != 3 or spec.kind == "convT":
        return None
    ph, pw = spec.pair("p", 0)
    if (ph, pw) == (0, 0):
        return None
    return _replace_layer(net, spec, spec.with_options(p=None)).with_input(
        (dims[0], dims[1] + ph, dims[2] + pw))


def _ceil_not_floor(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Rounded up: for pooling the engine's own ceil_mode; for a conv, floor((X + s - 1) / s)
    equals ceil(X / s), so the engine runs the conv on an input larger by s - 1."""
    spec = _single_spatial(net)
    if spec is None:
        return None
    if spec.kind in POOLS:
        return None if spec.flag("ceil") else _replace_layer(net, spec,
                                                              spec.with_options(ceil=True))
    dims, (sh, sw) = net.input_shape, spec.pair("s", 1)
    if spec.kind != "conv" or dims is None or len(dims) != 3 or (sh, sw) == (1, 1):
        return None
    return net.with_input((dims[0], dims[1] + sh - 1, dims[2] + sw - 1))


def _floor_not_ceil(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, lambda spec: spec.with_options(ceil=None)
                    if spec.kind in POOLS else spec)


def _ignore_padding(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, _on_spatial(
        lambda spec: spec if spec.get("p", 0) in (0, (0, 0), "valid")
        else spec.with_options(p=None)))


def _pool_stride_one(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Forgot that a pooling layer's stride defaults to its kernel size."""
    return _changed(net, lambda spec: spec.with_options(s=1)
                    if spec.kind in POOLS and "s" not in spec.options
                    and spec.pair("k", 1) != (1, 1) else spec)


def _ignore_stride(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Every layer with stride 1: kernel sizes simply added up, strides not multiplied in."""
    def unit(spec: LayerSpec) -> LayerSpec:
        default = spec.pair("k", 1) if spec.kind in POOLS else (1, 1)
        stride = spec.pair("s", 1) if "s" in spec.options else default
        return spec if stride == (1, 1) else spec.with_options(s=1)

    return _changed(net, _on_spatial(unit))


def _ignore_pooling(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, lambda spec: None if spec.kind in POOLS else spec)


def _no_output_padding(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, lambda spec: spec.with_options(op=None)
                    if spec.kind == "convT" and spec.pair("op", 0) != (0, 0) else spec)


def _convt_as_conv(net: NetSpec, _: list[int]) -> NetSpec | None:
    return _changed(net, lambda spec: spec.with_kind("conv", op=None)
                    if spec.kind == "convT" else spec)


def _ignore_1x1(net: NetSpec, _: list[int]) -> NetSpec | None:
    if not any(spec.kind in WEIGHTED for spec in net.layers()):
        return None
    # may leave no layer at all: that net then costs nothing
    return _changed(net, lambda spec: None
                    if spec.kind == "conv" and spec.pair("k", 0) == (1, 1) else spec)


def _only_first_layer(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Of a stack of layers, counted only the first."""
    weighted = [spec for spec in net.layers() if spec.kind in WEIGHTED]
    if len(weighted) < 2 or not net.is_sequential():
        return None
    return _changed(net, lambda spec: None
                    if any(spec is later for later in weighted[1:]) else spec)


def _input_size_for_output(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Multiplied by the input's H×W instead of the (strided) output's: a stride-1 'same' conv
    has exactly the input's size."""
    return _changed(net, lambda spec: spec.with_options(s=None, p="same")
                    if spec.kind == "conv" and spec.pair("s", 1) != (1, 1) else spec)


def _without_depthwise(net: NetSpec, _: list[int]) -> NetSpec | None:
    """The depthwise part of a separable block left out: each depthwise conv becomes a max pool
    of the same window, which keeps the feature map's size for the layers after it (the
    pointwise 1×1 is still counted on the right map) but has no weights and no MACs."""
    if not any(spec.kind in WEIGHTED - {"dwconv"} for spec in net.layers()):
        return None  # a lone depthwise conv is not a separable total
    # (a pool's stride defaults to its kernel size: the conv's stride is written out)
    return _changed(net, lambda spec: spec.with_kind("maxpool", nobias=None,
                                                     s=spec.pair("s", 1))
                    if spec.kind == "dwconv" else spec)


def _without_gap(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Global average pooling left out before a fully connected layer: the FC is then counted
    on the flattened C×H×W map instead of the C pooled values."""
    layers = list(net.layers())
    before_fc = [spec for index, spec in enumerate(layers) if spec.kind == "gap"
                 and any(later.kind == "fc" for later in layers[index + 1:])]
    if not before_fc or not net.is_sequential():
        return None
    return _changed(net, lambda spec: None if any(spec is gap for gap in before_fc) else spec)


def _norm_without_affine(net: NetSpec, _: list[int]) -> NetSpec | None:
    """BN's learnable γ and β forgotten: every normalisation layer counted as affine=False
    (its running mean and variance stay: they are buffers either way)."""
    return _changed(net, lambda spec: spec.with_options(noaffine=True)
                    if spec.kind in NORMS and not spec.flag("noaffine") else spec)


def _same_not_valid(net: NetSpec, _: list[int]) -> NetSpec | None:
    """Valid (unpadded) convolutions read as 'same': every unpadded conv with a kernel larger
    than 1 keeps the size (stride 1)."""
    def same(spec: LayerSpec) -> LayerSpec:
        if spec.kind not in {"conv", "dwconv"} or spec.pair("k", 1) == (1, 1):
            return spec
        if spec.get("p", 0) not in (0, (0, 0), "valid") or spec.pair("s", 1) != (1, 1):
            return spec
        return spec.with_options(p="same")

    return _changed(net, same)


def _plus(amount: int) -> Callable[[Any], Any]:
    """The right count shifted by `amount` (a token forgotten: the class token)."""
    def shift(value: Any) -> Any:
        return value + amount if isinstance(value, int) and value + amount > 0 else None
    return shift


def _doubled(value: Any) -> Any:
    """The whole difference given where each side's half is asked."""
    return 2 * value if isinstance(value, int) and value else None


def _inverted(value: Any) -> Any:
    """Gave the ratio the other way round (standard / separable instead of separable / standard)."""
    if isinstance(value, (int, Fraction)) and value != 0:
        return 1 / Fraction(value)
    return None


def _minus_one(value: Any) -> Any:
    """Forgot the +1 of the output-size formula: every spatial size one smaller."""
    if isinstance(value, tuple):
        if len(value) == 4:
            return (value[0], value[1], value[2] - 1, value[3] - 1)
        if len(value) == 3:
            return (value[0], value[1] - 1, value[2] - 1)
        return tuple(v - 1 for v in value)
    if isinstance(value, (int, Fraction)):
        return value - 1
    return None


def _scaled(factor: Fraction, smallest: int) -> Callable[[Any], Any]:
    """The right count multiplied by `factor`: a unit slip. Only for a whole count of at least
    `smallest` (a shape, a size, a ratio or a small count is never written with that unit).
    Recognised by value, however the answer is spelled: for 2.4G, `2.4T`, `2400G` and the
    digits of 2.4 × 10¹² are the same slip (the grader compares values, not spellings)."""
    def shift(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) < smallest:
            return None
        scaled = value * factor
        return int(scaled) if scaled.denominator == 1 else scaled
    return shift


RECIPES: dict[str, Recipe] = {r.id: r for r in (
    Recipe("no-plus-one", "忘了公式末尾的 +1",
           "输出尺寸 = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1：窗口的第一个位置也要算一个。",
           shift=_minus_one),
    Recipe("ceil-not-floor", "向上取整了（应向下取整）",
           "卷积默认向下取整：放不下一个完整窗口的剩余行列被丢弃"
           "（池化只有 ceil_mode=True 才向上取整）。",
           rewrite=_ceil_not_floor),
    Recipe("floor-not-ceil", "忽略了 ceil_mode=True（按向下取整算了）",
           "ceil_mode=True 时向上取整，但最后一个窗口必须从输入或左侧填充内开始。",
           rewrite=_floor_not_ceil),
    Recipe("ignore-dilation", "忽略了空洞率 dilation",
           "空洞卷积的等效核大小是 d(k−1)+1，不是 k。", rewrite=_ignore_dilation),
    Recipe("one-side-padding", "只在一侧加了 padding",
           "padding=p 是上下（左右）两侧各填充 p，所以是 H + 2p。", rewrite=_one_side_padding),
    Recipe("tf-same-symmetric", "按 PyTorch 的对称 padding = (k−1)/2 算了",
           "TF 的 SAME 先定输出 ⌈H/s⌉，再补最少的 0：总数 max((⌈H/s⌉−1)s + d(k−1) + 1 − H, 0)，"
           "可以是奇数，多出的一行补在下 / 右侧。", rewrite=_tf_same_symmetric),
    Recipe("tf-same-extra-on-top", "把多出的一行补到了上侧",
           "TF 的 SAME 总填充 P 为奇数时，上 / 左侧补 ⌊P/2⌋，下 / 右侧补 ⌈P/2⌉。",
           metric={"pad_bottom": "pad_top"}),
    Recipe("ignore-padding", "忽略了 padding",
           "padding 会加到输入尺寸上（两侧各 p）；转置卷积里它反过来减去 2p。",
           rewrite=_ignore_padding),
    Recipe("pool-stride-one", "把池化的 stride 当成了 1",
           "PyTorch 的 MaxPool2d/AvgPool2d 不写 stride 时 stride 默认等于 kernel_size。",
           rewrite=_pool_stride_one),
    Recipe("no-output-padding", "忘了 output_padding",
           "转置卷积的 output_padding 只在输出一侧多加若干行列，直接加到输出尺寸上。",
           rewrite=_no_output_padding),
    Recipe("convT-as-conv", "把转置卷积按普通卷积算了",
           "转置卷积：H_out = (H−1)s − 2p + d(k−1) + output_padding + 1，尺寸是放大的。",
           rewrite=_convt_as_conv),
    Recipe("inverted-ratio", "把比值算反了（分子分母颠倒）",
           "题目问的是前者是后者的多少倍：前者作分子。", shift=_inverted, ratio_only=True),
    Recipe("forgot-bias", "漏算了偏置 bias",
           "每个输出通道（每个输出神经元）还有一个偏置参数。", rewrite=_forgot_bias),
    Recipe("extra-bias", "多算了偏置（这一层没有 bias）",
           "题目中的层 bias=False（如后接 BN 的卷积），不含偏置参数。", rewrite=_extra_bias),
    Recipe("ignore-groups", "忽略了分组 groups（按普通卷积算了）",
           "分组卷积每个卷积核只连 C_in/g 个输入通道，参数量和计算量都是普通卷积的 1/g。",
           rewrite=_ignore_groups),
    Recipe("ignore-1x1", "漏算了 1×1 卷积",
           "深度可分离卷积 / 瓶颈结构中的 1×1 卷积也有参数和计算量，而且往往占大头。",
           rewrite=_ignore_1x1),
    Recipe("only-first-layer", "只算了堆叠中的一层",
           "n 个小卷积串联时，参数量和计算量要把每一层都加起来。", rewrite=_only_first_layer),
    Recipe("input-size-for-output", "用输入尺寸代替了输出尺寸",
           "计算量按输出特征图的每个位置计：stride>1 时输出尺寸变小。",
           rewrite=_input_size_for_output),
    Recipe("ignore-stride", "把核大小直接相加，没有乘上前面各层的步长",
           "感受野 r_l = r_{l−1} + (k_l − 1)·j_{l−1}，其中 j 是前面各层步长之积（有效步长）。",
           rewrite=_ignore_stride),
    Recipe("ignore-pooling", "漏算了池化层",
           "池化层也有核和步长，同样扩大感受野、放大后续层的有效步长。",
           rewrite=_ignore_pooling),
    Recipe("flops-as-macs", "给出的是 FLOPs，题目问的是 MACs（乘加次数）",
           "一次乘加 (MAC) = 一次乘法 + 一次加法 = 2 FLOPs。", metric={"macs": "flops"}),
    Recipe("macs-as-flops", "给出的是 MACs（乘加次数），题目问的是 FLOPs",
           "FLOPs 把乘法和加法分开计：FLOPs ≈ 2 × MACs。", metric={"flops": "macs"}),
    Recipe("flops-with-bias", "把偏置加法也计入了 FLOPs（本题约定不计）",
           "本题按 FLOPs = 2 × MACs 的约定，偏置加法单列、不计入。",
           metric={"flops": "flops_bias"}),
    Recipe("bn-running-stats", "把 BN 的 running_mean/running_var 也算成了参数",
           "BN 的可学习参数只有 γ 和 β（每通道 2 个）；running 均值/方差是缓冲区 (buffer)。",
           metric={"params": "params_buffers"}),
    Recipe("lstm-one-bias", "LSTM 只算了一组偏置（Keras 约定）",
           "PyTorch 的 LSTM 有 b_ih 和 b_hh 两组偏置，各 4H 个。",
           metric={"params": "params_one_bias"}),
    Recipe("lstm-no-recurrent", "漏算了 LSTM 的隐藏状态权重 W_hh",
           "每个门都同时看输入 x_t 和上一时刻的 h_{t−1}：W_ih 为 4H×I，W_hh 为 4H×H。",
           metric={"params": "params_no_recurrent"}),
    Recipe("working-set-no-weights", "工作集漏算了权重",
           "工作集 = 输入 + 输出 + 参数（权重）。", metric={"working_set": "io_elems"}),
    Recipe("working-set-bytes", "给出的是字节数，题目问的是元素个数",
           "float32 每个元素 4 字节；本题以元素个数计。",
           metric={"working_set": "working_set_bytes"}),
    Recipe("bytes-for-elements", "给出的是字节数，题目问的是元素个数",
           "题目问的是元素（浮点数）个数：不要再乘每元素的字节数（float32 为 4）。",
           metric={"buffers": "buffers_bytes", "params": "params_bytes"}),
    Recipe("elements-for-bytes", "给出的是元素个数，题目问的是字节数",
           "字节数 = 元素个数 × 每元素字节数（float32 为 4）。",
           metric={"activation_bytes": "activation_elems",
                   "batch_activation_bytes": "batch_activation_elems"}),
    Recipe("ignore-depthwise", "漏算了深度可分离卷积中的深度卷积 (depthwise) 部分",
           "深度可分离卷积 = 深度卷积（每个输入通道一个 k×k 核：C·k² 个参数）+ 1×1 逐点卷积，"
           "两部分都要算。", rewrite=_without_depthwise),
    Recipe("ignore-gap", "漏掉了全连接层前的全局平均池化 (GAP)",
           "GAP 把 C×H×W 的特征图变成 C 个数，全连接层的输入是 C 而不是 C·H·W。",
           rewrite=_without_gap),
    Recipe("bn-affine-forgotten", "漏算了 BN 的 γ 和 β",
           "BN（affine=True，默认）每个通道有可学习的 γ 和 β 两个参数，"
           "另有 running 均值和方差两个缓冲区。", rewrite=_norm_without_affine),
    Recipe("same-not-valid", "把 valid 卷积当成了 same 卷积（以为尺寸不变）",
           "U-Net 原文的 3×3 卷积不补零 (valid)：每个 3×3 卷积让高和宽各少 2。",
           rewrite=_same_not_valid),
    Recipe("crop-one-side", "把两侧合计的差当成了每侧裁掉的量",
           "中心裁剪从上下（左右）两侧各裁一半：每侧裁 (跳连特征尺寸 − 上采样后尺寸)/2。",
           shift=_doubled),
    Recipe("convT-cropped-left-out", "没有计入被 padding 裁掉的那些乘积",
           "本题约定（与 fvcore 相同）：每个输入元素与全部 k×k×C_out 个权重都乘加一次，"
           "散布到被 padding 裁掉的边缘上的乘积也算。", metric={"macs": "macs_convt_uncropped"}),
    Recipe("attn-no-projections", "漏算了 Q、K、V 和输出投影",
           "自注意力除了 QKᵀ 和 AV，还有 4 个 C×C 的线性投影（Q、K、V、输出），"
           "每个 token 4C² 次乘加；token 少时它们占大头。",
           metric={"macs": "macs_no_attn_proj"}),
    Recipe("attn-no-values", "漏算了注意力权重乘 V（AV）这一步",
           "注意力矩阵 (L×L) 还要乘 V (L×C)：与 QKᵀ 一样是 L²·C 次乘加。",
           metric={"macs": "macs_attn_no_av"}),
    Recipe("vit-no-cls", "漏算了分类 token ([CLS])",
           "ViT 在 patch token 之前拼接一个可学习的 [CLS] token，序列长度 = patch 数 + 1。",
           shift=_plus(-1)),
    Recipe("iou-plus-one", "按像素计数加了 1（本题是连续坐标）",
           "本题约定框的宽 = x2 − x1、高 = y2 − y1（连续坐标，不加 1）；旧 VOC 代码的 +1 是"
           "把坐标当像素下标的约定。", metric={"iou": "iou_plus_one"}),
    Recipe("iou-union-no-subtract", "并集没有减去交集",
           "并集 = A + B − 交集：交集部分在 A 和 B 里各算了一次。", metric={"iou": "iou_sum"}),
    Recipe("iou-over-min", "用较小框的面积作了分母（IoMin）",
           "IoU 的分母是并集面积，不是较小框的面积（那是 IoMin，一些 NMS 变体用它）。",
           metric={"iou": "iou_min"}),
    Recipe("ap-11-for-all", "用了 11 点插值（题目要全点插值）",
           "VOC 2010 起用全点插值：精度包络线下的面积，按召回率的每一个变化点求和。",
           metric={"ap_all": "ap_11"}),
    Recipe("ap-all-for-11", "用了全点插值（题目要 11 点插值）",
           "VOC 2007 的 11 点插值：在召回率 0, 0.1, …, 1 这 11 个点取插值精度再平均。",
           metric={"ap_11": "ap_all"}),
    Recipe("ap-coco-only-50", "只算了 IoU 阈值 0.5（那是 AP50）",
           "COCO 的 AP 在 IoU 阈值 0.50, 0.55, …, 0.95 上各算一次 AP 再平均；阈值越高，"
           "定位不准的检测越多地变成 FP。", metric={"ap_coco": "ap_all"}),
    Recipe("ap-coco-only-75", "只算了 IoU 阈值 0.75（那是 AP75）",
           "COCO 的 AP 是 10 个阈值 0.50:0.05:0.95 上 AP 的平均，不是某一个阈值。",
           metric={"ap_coco": "ap_coco_75"}),
    Recipe("ap-coco-11-point", "各阈值用了 11 点插值（本题约定全点插值）",
           "本题约定每个阈值按全点插值算 AP，再对 10 个阈值求平均。",
           metric={"ap_coco": "ap_coco_11"}),
    Recipe("ap-duplicates", "把重复检测也算成了 TP",
           "一个 GT 只能被匹配一次：分数更低的重复框即使 IoU 够高也是 FP。",
           metric={"ap_all": "ap_duplicates", "ap_11": "ap_11_duplicates"}),
    Recipe("ap-no-interpolation", "没有做插值（直接用了每个点的原始 precision）",
           "插值精度 = 该召回率及更高召回率处的最大 precision（精度包络线），不是当点的 "
           "precision。", metric={"ap_all": "ap_raw"}),
    Recipe("fpn-ceil", "向上取整了（应向下取整）",
           "FPN 论文的公式是 k = ⌊k₀ + log₂(√(wh)/224)⌋：向下取整。",
           metric={"fpn_level": "fpn_ceil"}),
    Recipe("fpn-no-clamp", "没有把层级限制在已有的层内",
           "算出的 k 要夹到网络实际有的层级范围里（本题 P2–P5）：太小的 RoI 用 P2，"
           "太大的用 P5。", metric={"fpn_level": "fpn_no_clamp"}),
    Recipe("fpn-no-sqrt", "用面积代替了边长（漏了开方）",
           "公式里是 √(wh)：RoI 的等效边长与 224 比较，面积要先开方。",
           metric={"fpn_level": "fpn_no_sqrt"}),
    Recipe("anchors-no-ratios", "漏乘了长宽比的个数",
           "每个位置的 anchor 数 = 长宽比个数 × 尺度个数。",
           metric={"anchors": "anchors_no_ratios"}),
    Recipe("anchors-no-scales", "漏乘了尺度的个数",
           "每个位置的 anchor 数 = 长宽比个数 × 尺度个数（RetinaNet 每层 3 个尺度）。",
           metric={"anchors": "anchors_no_scales"}),
    Recipe("anchors-added", "把长宽比个数和尺度个数相加了（应相乘）",
           "每种长宽比都配每种尺度：组合数是乘积。", metric={"anchors": "anchors_added"}),
    Recipe("anchors-one-level", "只算了最细的一层",
           "FPN 每一层都放 anchor：要把所有层级的特征图位置加起来。",
           metric={"anchors": "anchors_one_level"}),
    Recipe("anchors-floor-grid", "特征图尺寸向下取整了",
           "本题约定第 l 层特征图边长为 ⌈H/2ˡ⌉（步长 2、每侧 padding 1 的卷积逐层向上取整）。",
           metric={"anchors": "anchors_floor"}),
    Recipe("amp-no-master", "漏算了 fp32 主权重 (master weights)",
           "混合精度训练在 fp16 权重之外还保留一份 fp32 主权重，优化器更新的是它"
           "（Micikevicius et al. 2018）。", metric={"train_state_bytes": "train_no_master"}),
    Recipe("amp-no-optimizer", "漏算了 Adam 的两个状态 (m、v)",
           "Adam 对每个参数保存一阶矩 m 和二阶矩 v，各一个 fp32 值。",
           metric={"train_state_bytes": "train_no_optimizer"}),
    Recipe("amp-no-grads", "漏算了梯度",
           "反向传播为每个参数存一个梯度（本题 fp16）。",
           metric={"train_state_bytes": "train_no_grads"}),
    Recipe("amp-fp32-grads", "把梯度按 fp32 算了",
           "本题约定梯度与权重同为 fp16，每个 2 字节。",
           metric={"train_state_bytes": "train_fp32_grads"}),
    Recipe("droppath-drop-for-survival", "给出的是丢弃概率，不是存活概率",
           "存活概率 = 1 − 丢弃概率。", metric={"survival": "survival_drop",
                                                "expected_depth": "expected_depth_drop"}),
    Recipe("droppath-reversed", "把线性规则的方向弄反了（浅层丢得多）",
           "随机深度让越深的块越容易被丢弃：存活概率从输入端的 1 线性降到最后一块的给定值。",
           metric={"survival": "survival_reversed", "expected_depth": "expected_depth_reversed"}),
    Recipe("droppath-linspace", "用了 timm 的 linspace 规则（第 1 块从 1 开始）",
           "论文规则第 l 块丢弃 (l/L)·(1 − q)，第 1 块已小于 1；timm 用 linspace(0, rate, L)，"
           "第 l 块丢弃 (l − 1)/(L − 1)·rate，第 1 块不丢：起点和步长都不同。",
           metric={"survival": "survival_linspace", "expected_depth": "expected_depth_linspace"}),
    Recipe("droppath-uniform", "所有块用了同一个存活概率",
           "线性衰减规则下每块的存活概率不同：只有最后一块等于给定的最小存活概率。",
           metric={"survival": "survival_uniform", "expected_depth": "expected_depth_uniform"}),
    Recipe("prefix-one-up", "数量级单位大了一档（如把 M 写成了 G）",
           "k、M、G、T 相邻两档差 1000 倍：1k = 10³，1M = 10⁶，1G = 10⁹，1T = 10¹²。",
           shift=_scaled(Fraction(PREFIX_STEP), PREFIX_FROM)),
    Recipe("prefix-one-down", "数量级单位小了一档（如把 G 写成了 M）",
           "k、M、G、T 相邻两档差 1000 倍：1k = 10³，1M = 10⁶，1G = 10⁹，1T = 10¹²。",
           shift=_scaled(Fraction(1, PREFIX_STEP), PREFIX_FROM)),
    Recipe("wan-as-yi", "把“万”当成了“亿”（大了 10⁴ 倍）",
           "1万 = 10⁴，1亿 = 10⁸，两者差 10⁴ 倍；1M = 100万，1G = 10亿。",
           shift=_scaled(Fraction(WAN_YI_STEP), WAN_YI_FROM)),
    Recipe("yi-as-wan", "把“亿”当成了“万”（小了 10⁴ 倍）",
           "1万 = 10⁴，1亿 = 10⁸，两者差 10⁴ 倍；1M = 100万，1G = 10亿。",
           shift=_scaled(Fraction(1, WAN_YI_STEP), WAN_YI_FROM)),
)}

# which recipes each family looks for: quiz.numeric.families is the one list
FAMILY_RECIPES: dict[str, tuple[str, ...]] = {
    name: family.recipes for name, family in FAMILIES.items()}


def recipes_for(family: str, chosen: tuple[str, ...] | None) -> list[Recipe]:
    ids = chosen if chosen is not None else FAMILY_RECIPES.get(family, ())
    return [RECIPES[recipe_id] for recipe_id in ids if recipe_id in RECIPES]
