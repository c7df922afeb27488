"""A forgiving parser for typed numeric answers.

Accepts what people write in interviews, chat and filled-in Markdown sheets: `1,234,567`,
`1 234 567`, `1.2e8`, `1.2×10^8`, `120M`, `2.42G`, `590K`, `1.2亿`, `3万`, `3w`, shapes `112x112`,
`112×112×64`, `(1, 64, 112, 112)`, labelled shapes `H=64, W=22`, fractions and ratios `1/9`,
`1:9`, `11.89%`, `0.1189倍`, arithmetic `1/128+1/9`, `2^(10)`, approximate markers (`约`, `~`, `≈`)
and trailing units (`FLOPs`, `MACs`, `MB`, `Mb` (bits), `个参数`).

What a sheet or chat adds around the answer is removed first: Markdown emphasis, inline code,
list markers, a leading `答：`, trailing `。；;，`, HTML comments, check marks and a trailing
note in parentheses (`55x55（我算的）`).

The caller may say what the question asks (`wants`): a shape question reads `55, 55` as 55×55,
a number question reads `223,223` as 223223 (a valid thousands grouping only), a ratio question
also takes `0.1189x`. `parse_answer` never raises: input it cannot read comes back with `error` set
to a message that says what could not be read and what was expected.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from quiz.numeric.expr import MAX_BITS, ExprError, evaluate_arithmetic

# What the question asks for: decides the readings that differ between a shape and a number.
AnswerForm = Literal["shape", "number", "ratio"]

EXPECTED_FORMS = (
    "请输入一个数（如 1234567、1,234,567、1.2e8、120M、2.42G、1.2亿、3万）、"
    "分数或比值（如 1/9、0.1189）、或形状（如 112x112、(1, 64, 112, 112)）"
)

# Longest first so that 百万 wins over 万 and 万亿 over 亿.
CHINESE_SCALES: tuple[tuple[str, int], ...] = (
    ("万亿", 10**12), ("千亿", 10**11), ("百亿", 10**10), ("十亿", 10**9), ("亿", 10**8),
    ("千万", 10**7), ("百万", 10**6), ("十万", 10**5), ("万", 10**4), ("千", 10**3),
)
LATIN_SCALES: dict[str, int] = {
    "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15, "e": 10**18, "w": 10**4,
}
BILLION = 10**9
DATA_SCALES: dict[str, int] = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
                               "p": 10**15}
BINARY_SCALES: dict[str, int] = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}

APPROX_PREFIXES = ("approximately", "approx.", "approx", "about", "around", "大约", "大概",
                   "约为", "近似", "约", "~", "≈", "～")
APPROX_SUFFIXES = ("左右", "上下")
# a trailing note that says only "approximately": `9.4M（约）`
APPROX_NOTES = frozenset({"约", "大约", "大概", "近似", "估算", "估计", "左右", "approx",
                          "approx.", "approximately", "about", "~", "≈"})

# Trailing words naming what was counted; `None` means "just a counting word". The grader
# checks the named unit against the asked quantity (FLOPs on a parameter question is flagged).
UNIT_WORDS: tuple[tuple[str, str | None], ...] = (
    ("multiply-adds", "macs"), ("mult-adds", "macs"), ("乘加运算", "macs"), ("次乘加", "macs"),
    ("乘加", "macs"), ("madds", "macs"), ("macs", "macs"), ("mac", "macs"),
    ("flops", "flops"), ("flop", "flops"), ("次浮点运算", "flops"),
    ("bytes", "bytes"), ("byte", "bytes"), ("字节", "bytes"), ("比特", "bits"),
    ("parameters", "params"), ("params", "params"), ("param", "params"),
    ("个参数", "params"), ("参数", "params"),
    ("elements", "elements"), ("个元素", "elements"), ("元素", "elements"),
    ("pixels", "pixels"), ("像素", "pixels"),
    ("times", "ratio"), ("倍", "ratio"),
    ("次", None), ("个", None),
)
UNIT_NAMES = frozenset(word for word, _ in UNIT_WORDS)
NOT_FINITE = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "∞"})

NUMBER = re.compile(
    r"""^(?P<sign>[+-]?)
        (?P<int>\d{1,3}(?:[,_ ']\d{3})+|\d*)
        (?:\.(?P<frac>\d+))?
        (?:e(?P<exp>[+-]?\d+))?$""",
    re.VERBOSE,
)
TIMES_TEN = re.compile(r"^(?:(?P<mant>.+?)[x×*·])?10(?:\^|\*\*)(?P<exp>[+-]?\d+)$")
MAX_EXPONENT = 30
# the answer itself, and the line it came in (comments and notes included): bounds that keep the
# markup patterns fast on anything pasted
MAX_ANSWER = 200
MAX_WRITTEN = 2000
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
SHAPE_SEPARATOR = re.compile(r"[x×*]")
BATCH_PLACEHOLDERS = frozenset({"n", "b", "batch", "none", "bs", "?"})

# --- what a sheet or chat wraps around an answer ---------------------------------------------
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# ✅ ✔ ✓ ☑ ✗ ✘ ❌ ❎ ☒ ⭕ and the emoji variation selector: never part of a number
CHECK_MARKS = re.compile("[\u2705\u2714\u2713\u2611\u2717\u2718\u274c\u274e\u2612\u2b55\ufe0f]")
# √ ✕ ✖ also mark right/wrong, but may stand for a root or a times sign inside the answer:
# removed only at the end
TRAILING_MARKS = re.compile("[\\s\u221a\u2715\u2716]+$")
LIST_MARKER = re.compile(r"^(?:[-+*•]\s+|\d{1,3}(?:[.)]\s+|、\s*))")
ANSWER_LABEL = re.compile(r"^[*_\s]*(?:答案?|answer|ans)\s*:[*_\s]*", re.IGNORECASE)
# `**8x8**` inside other text (`约**120M**`); not `2**3**2`, where `**` is a power
INNER_EMPHASIS = re.compile(
    r"(?<![0-9A-Za-z.)*_])(\*\*|__|\*|_)(?=[^\s*_])([^*_]+?)(?<=[^\s*_])\1(?![0-9A-Za-z.(*_])")
# an unpaired `**` left at an edge (`**答：8x8**` once the label is gone); a single `*` is kept,
# so that `3*3*` stays an unfinished product instead of becoming 3×3
EDGE_EMPHASIS = re.compile(r"^[*_]{2,}|[*_]{2,}$")
TRAILING_PUNCTUATION = re.compile(r"[\s。；;，,、.．!！]+$")
# a parenthesis right after one of these is part of the math: `2^(10)`, `1/(3x3)`
MATH_BEFORE_PARENTHESIS = frozenset("^*/+-x×·(,:=[")

# --- bytes and bits: letter case decides (MB bytes, Mb bits) ---------------------------------
DATA_UNIT = re.compile(
    r"(?<=[\d\s.])(?P<prefix>[kKmMgGtTpP]?)(?P<binary>i?)(?P<symbol>(?i:bytes?|bits?)|B|b)$")
DATA_UNIT_NOTE = re.compile(r"[kKmMgGtTpP]?i?(?:(?i:bytes?|bits?)|B|b)")

# --- labelled shapes: `H=64, W=22`, `W=22, H=64`, `H=W=55`, `C=4, H=64, W=22` ---------------
AXIS_LABELS: dict[str, tuple[str, ...]] = {
    "n": ("batch", "批量", "批", "n", "b"),
    "c": ("channels", "channel", "通道数", "通道", "ch", "c"),
    "h": ("height", "高度", "高", "h"),
    "w": ("width", "宽度", "宽", "w"),
}
LABEL_AXIS = {label: axis for axis, labels in AXIS_LABELS.items() for label in labels}
LABEL_SUFFIX = r"(?:_?out|_?o|')"
LABEL = (r"(?:" + "|".join(sorted(LABEL_AXIS, key=len, reverse=True)) + r")"
         + LABEL_SUFFIX + "?")
LABELLED_DIM = re.compile(rf"({LABEL}(?:\s*=\s*{LABEL})*)\s*[=:]\s*(\d+)")
LABEL_SEPARATOR = re.compile(r"\s*(?:[,;、]|\band\b|和)?\s*")

# --- arithmetic answers: `1/128+1/9`, `2^(10)`, `1/(3x3)` ------------------------------------
ARITHMETIC_TEXT = re.compile(r"[\d.+\-*/^()x×·]+")
BINARY_MINUS = re.compile(r"[\d)]-[\d(]")
PRODUCT_SIGN = re.compile(r"[*x×·]")
COMMA_LIST = re.compile(r"\d+(?:\s*,\s*\d+)+")
THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


@dataclass(frozen=True)
class ParsedAnswer:
    """What a typed answer says. `value` is set for numbers (for `a×b×c` it is the product, so
    `3*3*256*256` reads as a count); `shape` is set for shape-like input."""

    text: str
    value: Fraction | None = None
    shape: tuple[int, ...] | None = None
    exact: bool = False          # written out in full (plain integer or a/b): graded exactly
    approx: bool = False         # marked as approximate (约, ~, ≈)
    unit: str | None = None      # flops | macs | bytes | bits | params | elements | pixels | ratio
    error: str | None = None
    # "1867776B": billions where no bytes can be meant (`value`), bytes on a memory question
    # (`bytes_value`); the grader knows which question it is
    bytes_value: Fraction | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class _DataUnit:
    kind: Literal["bytes", "bits", "bare-b"]  # bare-b: `B` alone, billions or bytes
    scale: int


class _Unreadable(ValueError):
    """Internal: raised by the helpers, turned into `ParsedAnswer.error` at the top."""


class _NotFinite(_Unreadable):
    """nan, inf, 1e999: readable, but not a number anything can be graded against."""


def parse_answer(text: str, wants: AnswerForm | None = None) -> ParsedAnswer:
    """Read an answer; never raises (any internal failure becomes an error message).

    `wants` is what the question asks for, when the caller knows it (the grader does)."""
    original = text if isinstance(text, str) else str(text)
    try:
        return _parse(original, wants)
    except _NotFinite as exc:
        return ParsedAnswer(text=original, error=(
            f"{str(exc)!r} 不是一个可以评分的数（NaN、无穷大，或指数超过 {MAX_EXPONENT} "
            "的数都不是有限的计数）。请写出具体数值，如 1.2e8、120M。"))
    except Exception as exc:  # the contract is "never raises": a bug must not crash a review
        detail = str(exc).strip()
        message = f"无法识别答案 {original.strip()!r}" + (f"（{detail}）" if detail else "")
        return ParsedAnswer(text=original, error=f"{message}。{EXPECTED_FORMS}")


def _normalize(text: str) -> str:
    """One spelling per character; letter case is kept (MB and Mb differ)."""
    # Superscript exponents first: NFKC would turn "10⁸" into "108".
    text = SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group(0).translate(SUPERSCRIPTS), text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("，", ",").replace("：", ":").replace("（", "(").replace("）", ")")
    text = text.replace("−", "-").replace("–", "-").replace("×", "×")
    return text.strip()


def _parse(original: str, wants: AnswerForm | None) -> ParsedAnswer:
    if len(original) > MAX_WRITTEN:
        raise _Unreadable("答案太长")
    text = _strip_markup(_normalize(original))
    if not text:
        raise _Unreadable("答案为空" if not original.strip() else "去掉格式标记后没有答案")
    if len(text) > MAX_ANSWER:
        raise _Unreadable("答案太长")
    text, approx = _strip_approx(text)
    labelled = _labelled_shape(text.lower())
    if labelled is not None:
        return ParsedAnswer(text=original, shape=labelled, approx=approx)
    if "=" in text:  # "3*3*256*256=590K": the learner's result is what follows the last '='
        text, approx_after = _strip_approx(text.rsplit("=", 1)[1].strip())
        approx = approx or approx_after
    if text.replace(" ", "").lower() in NOT_FINITE:
        raise _NotFinite(original.strip())
    text, data = _split_data_unit(text)
    text, unit = _strip_unit_words(text.lower(), wants)
    if not text:
        raise _Unreadable("只有单位没有数值")
    if data is not None:
        return _data_answer(original, text, data, approx)
    return _plain_answer(original, text, unit, approx, wants)


def _plain_answer(original: str, text: str, unit: str | None, approx: bool,
                  wants: AnswerForm | None) -> ParsedAnswer:
    if _is_arithmetic(text):
        value, exact = _arithmetic(text)
        return ParsedAnswer(text=original, value=value, exact=exact and not approx,
                            approx=approx, unit=unit)
    if text.startswith(("(", "[")) or text.endswith((")", "]")):
        return ParsedAnswer(text=original, shape=_bracket_shape(text), approx=approx)
    comma_shape = _comma_list(text, wants)
    if comma_shape is not None:
        return ParsedAnswer(text=original, shape=comma_shape, approx=approx)
    shape = _maybe_shape(text)
    if shape is not None:
        return ParsedAnswer(text=original, value=Fraction(_product(shape)), shape=shape,
                            exact=not approx, approx=approx, unit=unit)
    value, exact = _ratio_or_number(text)
    return ParsedAnswer(text=original, value=value, exact=exact and not approx, approx=approx,
                        unit=unit)


# --- markup ---------------------------------------------------------------------------------

def _strip_markup(text: str) -> str:
    """Remove what a Markdown sheet or a chat message wraps around the answer, until nothing
    changes (`- **答：** `55x55` ✅` takes several rounds)."""
    text = CHECK_MARKS.sub(" ", HTML_COMMENT.sub(" ", text).replace("`", ""))
    previous = None
    while text != previous:
        previous = text
        text = LIST_MARKER.sub("", text.strip(), count=1)
        text = ANSWER_LABEL.sub("", text, count=1)
        text = INNER_EMPHASIS.sub(r"\2", text)
        text = _without_edge_emphasis(text)
        text = TRAILING_MARKS.sub("", TRAILING_PUNCTUATION.sub("", text))
        text = _without_trailing_note(text)
    return text.strip()


def _without_edge_emphasis(text: str) -> str:
    """`**8x8**`, `_8x8_` → `8x8`: the same run of markers on both edges."""
    body = text.strip("*_")
    leading = text[: len(text) - len(text.lstrip("*_"))]
    trailing = text[len(text.rstrip("*_")):]
    if body and leading and leading == trailing:
        return body
    return EDGE_EMPHASIS.sub("", text)


def _without_trailing_note(text: str) -> str:
    """`55x55 (我算的)` → `55x55`: a parenthesised group after a complete answer is a note.
    A group that follows an operator (`2^(10)`, `1/(3x3)`) or is the whole answer (`(3x3)`) is
    math and stays. A note that names a unit or says "approximately" keeps its meaning."""
    if not text.endswith(")"):
        return text
    start = _opening_parenthesis(text)
    if start is None:
        return text  # unbalanced: the reader says so
    before, note = text[:start].rstrip(), text[start + 1:-1].strip()
    if not before or before[-1] in MATH_BEFORE_PARENTHESIS:
        return text
    lowered = note.lower()
    if lowered in APPROX_NOTES:
        return f"约{before}"
    if _names_a_unit(note):
        return f"{before} {note}"
    return before


def _opening_parenthesis(text: str) -> int | None:
    """Where the group closed by the final `)` opens."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        if text[index] == ")":
            depth += 1
        elif text[index] == "(":
            depth -= 1
            if depth == 0:
                return index
    return None


def _names_a_unit(note: str) -> bool:
    lowered = note.lower()
    scaled = lowered[1:] if lowered[:1] in LATIN_SCALES else ""
    return (lowered in UNIT_NAMES or scaled in UNIT_NAMES
            or DATA_UNIT_NOTE.fullmatch(note) is not None)


def _strip_approx(text: str) -> tuple[str, bool]:
    approx = False
    changed = True
    while changed:
        changed = False
        for prefix in APPROX_PREFIXES:
            if text[: len(prefix)].lower() == prefix:
                text, approx, changed = text[len(prefix):].strip(), True, True
        for suffix in APPROX_SUFFIXES:
            if text.endswith(suffix):
                text, approx, changed = text[: -len(suffix)].strip(), True, True
    return text, approx


# --- shapes ---------------------------------------------------------------------------------

def _labelled_shape(text: str) -> tuple[int, ...] | None:
    """`h=64, w=22` (any order, `h=w=55` for a square) as (H, W) — or (N, C, H, W) with those
    labels; None if the text is not a list of at least two labelled dimensions."""
    dims: dict[str, int] = {}
    position = 0
    while position < len(text):
        match = LABELLED_DIM.match(text, position)
        if match is None:
            return None
        for label in re.split(r"\s*=\s*", match.group(1)):
            axis = LABEL_AXIS[re.sub(LABEL_SUFFIX + "$", "", label) or label]
            if axis in dims:
                raise _Unreadable(f"{label.upper()} 写了两次")
            dims[axis] = int(match.group(2))
        separator = LABEL_SEPARATOR.match(text, match.end())
        position = separator.end() if separator else match.end()
    if len(dims) < 2:
        return None
    if any(value <= 0 for value in dims.values()):
        raise _Unreadable("形状的每一维必须是正整数")
    return tuple(dims[axis] for axis in "nchw" if axis in dims)


def _comma_list(text: str, wants: AnswerForm | None) -> tuple[int, ...] | None:
    """`55, 55` / `223,223`: a shape on a shape question; on any other question a number only
    when the commas group thousands (`223,223` is 223223), else an error that says so."""
    if not COMMA_LIST.fullmatch(text):
        return None
    if wants == "shape":
        dims = tuple(int(part) for part in text.split(","))
        if any(dim <= 0 for dim in dims):
            raise _Unreadable("形状的每一维必须是正整数")
        return dims
    if THOUSANDS.fullmatch(text):
        return None  # a number: the reader takes it
    if wants in ("number", "ratio"):
        raise _Unreadable(f"{text!r} 不是一个数：逗号只能做千位分隔（每组 3 位，如 1,234,567），"
                          "这道题问的是一个数")
    raise _Unreadable(f"{text!r} 不是一个数：逗号只能做千位分隔（每组 3 位，如 1,234,567）；"
                      "形状请写成 55x55 或 (55, 55)")


def _maybe_shape(text: str) -> tuple[int, ...] | None:
    """`112x112x64` (also ×, *) with at least two integer parts is a shape; anything else is not."""
    if TIMES_TEN.match(text.replace(" ", "")):
        return None
    parts = [part.strip() for part in SHAPE_SEPARATOR.split(text)]
    if len(parts) < 2:
        return None
    if not all(re.fullmatch(r"\d+", part) for part in parts):
        if any(re.fullmatch(r"[\d.]+[a-z\u4e00-\u9fff]*", part) for part in parts):
            raise _Unreadable("形状的每一维必须是正整数")
        return None
    dims = tuple(int(part) for part in parts)
    if any(dim <= 0 for dim in dims):
        raise _Unreadable("形状的每一维必须是正整数")
    return dims


def _bracket_shape(text: str) -> tuple[int, ...]:
    inner = text.strip()
    if inner[:1] in "([" and inner[-1:] in ")]":
        inner = inner[1:-1]
    elif inner[:1] in "([" or inner[-1:] in ")]":
        raise _Unreadable("括号不配对")
    parts = [part.strip() for part in re.split(r"[,x×*]", inner)]
    if parts and parts[-1] == "":
        parts = parts[:-1]  # "(64,)" like a Python tuple
    if parts and parts[0] in BATCH_PLACEHOLDERS:
        parts = parts[1:]  # "(N, 64, 112, 112)": the batch size is not part of the answer
    if not parts or not all(re.fullmatch(r"\d+", part) for part in parts):
        raise _Unreadable("形状应写成 (1, 64, 112, 112) 这样的正整数列表")
    dims = tuple(int(part) for part in parts)
    if any(dim <= 0 for dim in dims):
        raise _Unreadable("形状的每一维必须是正整数")
    return dims


def _product(dims: tuple[int, ...]) -> int:
    result = 1
    for dim in dims:
        result *= dim
    return result


# --- units ----------------------------------------------------------------------------------

def _split_data_unit(text: str) -> tuple[str, _DataUnit | None]:
    """A trailing byte or bit unit, read before the text is lower-cased: `MB`, `KiB`, `kB` are
    bytes; `Mb`, `Kb`, `Gb`, `kbit`, `Mbit` are bits; `B` alone is billions or bytes (the grader
    decides). `mb`, `kb` in lower case could be either and are refused."""
    match = DATA_UNIT.search(text)
    if match is None:
        return text, None
    prefix, binary, symbol = match.group("prefix"), match.group("binary"), match.group("symbol")
    if binary and not prefix:
        return text, None  # "3ib" is no unit: the number reader refuses it
    rest = text[: match.start()].strip()
    if not prefix and symbol in ("B", "b"):
        return rest, _DataUnit("bare-b", 1)
    if symbol == "b" and prefix.islower():
        written, bit_prefix = prefix + binary + symbol, "k" if prefix == "k" else prefix.upper()
        raise _Unreadable(
            f"{written!r} 分不清是字节还是比特：字节请写 {prefix.upper()}{binary}B，"
            f"比特请写 {prefix.upper()}{binary}b 或 {bit_prefix}bit")
    kind: Literal["bytes", "bits"] = \
        "bits" if symbol == "b" or symbol.lower().startswith("bit") else "bytes"
    scale = BINARY_SCALES[prefix.lower()] if binary else DATA_SCALES[prefix.lower()]
    return rest, _DataUnit(kind, scale)


def _data_answer(original: str, text: str, data: _DataUnit, approx: bool) -> ParsedAnswer:
    value, exact = _value_of(text)
    if data.kind == "bare-b":
        # "1867776B", "1.867776e6 B", "1.2b": billions, or bytes on a memory question
        return ParsedAnswer(text=original, value=value * BILLION, approx=approx,
                            bytes_value=value)
    return ParsedAnswer(text=original, value=value * data.scale,
                        exact=exact and data.scale == 1 and not approx, approx=approx,
                        unit=data.kind)


def _strip_unit_words(text: str, wants: AnswerForm | None) -> tuple[str, str | None]:
    """Remove trailing unit words (`MACs`, `个参数`, `倍`); on a ratio question also `x`
    (`0.1189x`), which elsewhere would be an unfinished shape."""
    unit: str | None = None
    changed = True
    while changed:
        changed = False
        for word, kind in UNIT_WORDS:
            if text.endswith(word) and len(text) > len(word):
                text, changed = text[: -len(word)].strip(), True
                unit = unit or kind
                break
    if wants == "ratio" and unit is None and re.fullmatch(r"[^x×*]*\d\s*[x×]", text):
        text, unit = text[:-1].strip(), "ratio"
    return text, unit


# --- numbers --------------------------------------------------------------------------------

def _value_of(text: str) -> tuple[Fraction, bool]:
    """The number a text states, whatever its form (used where a unit follows it)."""
    if _is_arithmetic(text):
        return _arithmetic(text)
    shape = _maybe_shape(text)
    if shape is not None:
        return Fraction(_product(shape)), True
    return _ratio_or_number(text)


def _is_arithmetic(text: str) -> bool:
    """Sums, nested fractions, powers: more than a number, `a/b` or `a×b×c` can say. A bare
    product stays a shape and `1.2×10^8` a number."""
    compact = text.replace(" ", "")
    if not ARITHMETIC_TEXT.fullmatch(compact) or TIMES_TEN.match(compact):
        return False
    if "+" in compact[1:] or "^" in compact or "**" in compact:
        return True
    products = PRODUCT_SIGN.search(compact) is not None
    minus = BINARY_MINUS.search(compact) is not None
    if "/" in compact:
        return compact.count("/") > 1 or products or minus or "(" in compact
    # "55-56" (a range?) is not read as -1; "3*3*64*64-64" is arithmetic
    return minus and products


def _arithmetic(text: str) -> tuple[Fraction, bool]:
    """Exact rational arithmetic through the template language's safe evaluator (no eval):
    written in full when no number has a decimal point."""
    expression = re.sub(r"[x×·]", "*", text).replace("^", "**")
    try:
        value = evaluate_arithmetic(expression)
    except ExprError as error:
        raise _Unreadable(_arithmetic_problem(text, str(error))) from None
    return value, "." not in text


def _arithmetic_problem(text: str, detail: str) -> str:
    if "division by zero" in detail:
        return f"算式 {text!r} 里分母为 0"
    if "too large" in detail or "exponent" in detail or "too long" in detail:
        return f"算式 {text!r} 的结果太大（指数最多 64，数值最多 {MAX_BITS} 位二进制）"
    return f"算式 {text!r} 读不出来：只能用数字、+ - × / ^ 和括号"


def _ratio_or_number(text: str) -> tuple[Fraction, bool]:
    if text.endswith("%"):
        value, _ = _number(text[:-1].strip())
        return value / 100, False
    for separator in ("/", ":"):
        if separator in text:
            left, _, right = text.partition(separator)
            numerator, left_exact = _number(left.strip())
            denominator, right_exact = _number(right.strip())
            if denominator == 0:
                raise _Unreadable("分母不能为 0")
            return numerator / denominator, left_exact and right_exact
    return _number(text)


def _number(text: str) -> tuple[Fraction, bool]:
    """A single number with optional scale suffix. Returns (value, written-in-full)."""
    if not text:
        raise _Unreadable("缺少数值")
    compact = text.replace(" ", "") if re.search(r"\d \d{3}", text) else text
    times_ten = TIMES_TEN.match(compact.replace(" ", ""))
    if times_ten:
        mant = times_ten.group("mant")
        mantissa = _number(mant)[0] if mant else Fraction(1)
        exponent = int(times_ten.group("exp"))
        if abs(exponent) > MAX_EXPONENT:
            raise _NotFinite(text)
        return mantissa * Fraction(10) ** exponent, False
    compact, scale = _strip_scale(compact.strip())
    match = NUMBER.match(compact)
    if not match or not (match.group("int") or match.group("frac")):
        raise _Unreadable(f"{text!r} 不是数值")
    digits = re.sub(r"[,_ ']", "", match.group("int") or "0")
    fraction = match.group("frac") or ""
    value = Fraction(int(digits + fraction), 10 ** len(fraction))
    exponent = int(match.group("exp") or 0)
    if abs(exponent) > MAX_EXPONENT:
        raise _NotFinite(text)
    value *= Fraction(10) ** exponent * scale
    if match.group("sign") == "-":
        value = -value
    written_in_full = scale == 1 and not match.group("exp") and not fraction
    return value, written_in_full


def _strip_scale(text: str) -> tuple[str, int]:
    for word, factor in CHINESE_SCALES:
        if text.endswith(word):
            return text[: -len(word)].strip(), factor
    if text and text[-1] in LATIN_SCALES and len(text) > 1 and not text[-2].isalpha():
        return text[:-1].strip(), LATIN_SCALES[text[-1]]
    return text, 1
