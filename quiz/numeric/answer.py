"""A forgiving parser for typed numeric answers.

Accepts what people write in interviews and chat: `1,234,567`, `1 234 567`, `1.2e8`, `1.2×10^8`,
`120M`, `2.42G`, `590K`, `1.2亿`, `3万`, `3w`, shapes `112x112`, `112×112×64`, `(1, 64, 112, 112)`,
fractions and ratios `1/9`, `1:9`, `11.89%`, approximate markers (`约`, `~`, `≈`) and trailing units
(`FLOPs`, `MACs`, `MB`, `个参数`). `parse_answer` never raises: input it cannot read comes back with
`error` set to a message that says what was expected.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

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
BYTE_SCALES: dict[str, int] = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}

APPROX_PREFIXES = ("approximately", "approx.", "approx", "about", "around", "大约", "大概",
                   "约为", "近似", "约", "~", "≈", "～")
APPROX_SUFFIXES = ("左右", "上下")

# Trailing words naming what was counted; `None` means "just a counting word". The grader
# checks the named unit against the asked quantity (FLOPs on a parameter question is flagged).
UNIT_WORDS: tuple[tuple[str, str | None], ...] = (
    ("multiply-adds", "macs"), ("mult-adds", "macs"), ("乘加运算", "macs"), ("次乘加", "macs"),
    ("乘加", "macs"), ("madds", "macs"), ("macs", "macs"), ("mac", "macs"),
    ("flops", "flops"), ("flop", "flops"), ("次浮点运算", "flops"),
    ("bytes", "bytes"), ("byte", "bytes"), ("字节", "bytes"),
    ("parameters", "params"), ("params", "params"), ("param", "params"),
    ("个参数", "params"), ("参数", "params"),
    ("elements", "elements"), ("个元素", "elements"), ("元素", "elements"),
    ("pixels", "pixels"), ("像素", "pixels"),
    ("次", None), ("个", None),
)
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
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
SHAPE_SEPARATOR = re.compile(r"[x×*]")
BATCH_PLACEHOLDERS = frozenset({"n", "b", "batch", "none", "bs", "?"})


@dataclass(frozen=True)
class ParsedAnswer:
    """What a typed answer says. `value` is set for numbers (for `a×b×c` it is the product, so
    `3*3*256*256` reads as a count); `shape` is set for shape-like input."""

    text: str
    value: Fraction | None = None
    shape: tuple[int, ...] | None = None
    exact: bool = False          # written out in full (plain integer or a/b): graded exactly
    approx: bool = False         # marked as approximate (约, ~, ≈)
    unit: str | None = None      # flops | macs | bytes | params | elements | pixels, if named
    error: str | None = None
    # "1867776B": billions where no bytes can be meant (`value`), bytes on a memory question
    # (`bytes_value`); the grader knows which question it is
    bytes_value: Fraction | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Unreadable(ValueError):
    """Internal: raised by the helpers, turned into `ParsedAnswer.error` at the top."""


def parse_answer(text: str) -> ParsedAnswer:
    """Read an answer; never raises (any internal failure becomes an error message)."""
    original = text if isinstance(text, str) else str(text)
    try:
        return _parse(original)
    except _NotFinite as exc:
        return ParsedAnswer(text=original, error=(
            f"{str(exc)!r} 不是一个可以评分的数（NaN、无穷大，或指数超过 {MAX_EXPONENT} "
            "的数都不是有限的计数）。请写出具体数值，如 1.2e8、120M。"))
    except Exception as exc:  # the contract is "never raises": a bug must not crash a review
        detail = str(exc).strip()
        message = f"无法识别答案 {original.strip()!r}" + (f"（{detail}）" if detail else "")
        return ParsedAnswer(text=original, error=f"{message}。{EXPECTED_FORMS}")


def _normalize(text: str) -> str:
    # Superscript exponents first: NFKC would turn "10⁸" into "108".
    text = SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group(0).translate(SUPERSCRIPTS), text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("，", ",").replace("：", ":").replace("（", "(").replace("）", ")")
    text = text.replace("−", "-").replace("–", "-").replace("×", "×")
    text = text.strip().lower()
    if "=" in text:  # "3*3*256*256=590K": the learner's result is what follows the last '='
        text = text.rsplit("=", 1)[1].strip()
    return text


class _NotFinite(_Unreadable):
    """nan, inf, 1e999: readable, but not a number anything can be graded against."""


def _parse(original: str) -> ParsedAnswer:
    text = _normalize(original)
    if not text:
        raise _Unreadable("答案为空")
    if len(text) > 200:
        raise _Unreadable("答案太长")
    text, approx = _strip_approx(text)
    if text.replace(" ", "") in NOT_FINITE:
        raise _NotFinite(original.strip())
    if text.startswith(("(", "[")) or text.endswith((")", "]")):
        return ParsedAnswer(text=original, shape=_bracket_shape(text), approx=approx)
    text, unit, scaled = _strip_unit(text)
    if not text:
        raise _Unreadable("只有单位没有数值")
    if unit is None and re.fullmatch(r"[^a-z]*\d\s*b", text):
        # "1867776B", "1867776 B", "1.2b": billions, or bytes on a memory question
        number, _ = _number(text[:-1].strip())
        return ParsedAnswer(text=original, value=number * BILLION, approx=approx,
                            bytes_value=number)
    shape = _maybe_shape(text)
    if shape is not None:
        return ParsedAnswer(text=original, value=Fraction(_product(shape)), shape=shape,
                            exact=not approx, approx=approx, unit=unit)
    value, exact = _ratio_or_number(text)
    exact = exact and not approx and not scaled
    return ParsedAnswer(text=original, value=value, exact=exact, approx=approx,
                        unit=unit)


def _strip_approx(text: str) -> tuple[str, bool]:
    approx = False
    changed = True
    while changed:
        changed = False
        for prefix in APPROX_PREFIXES:
            if text.startswith(prefix):
                text, approx, changed = text[len(prefix):].strip(), True, True
        for suffix in APPROX_SUFFIXES:
            if text.endswith(suffix):
                text, approx, changed = text[: -len(suffix)].strip(), True, True
    return text, approx


def _strip_unit(text: str) -> tuple[str, str | None, bool]:
    """Remove trailing unit words. Byte units (`KB`, `MB`) are applied here (their letters differ
    from the count suffixes); the flag says whether such a scale was applied."""
    unit: str | None = None
    changed = True
    while changed:
        changed = False
        for word, kind in UNIT_WORDS:
            if text.endswith(word) and len(text) > len(word):
                text, changed = text[: -len(word)].strip(), True
                unit = unit or kind
                break
    match = re.search(r"(\d|\s)([kmgt]?)(i?b)$", text)
    if match and unit is None and (match.group(2) or match.group(3) == "ib"):
        # "2.69MB", "10 KiB": a byte count (a bare "B" is read by the caller: billions or bytes)
        scale = BYTE_SCALES[match.group(2)]
        if match.group(3) == "ib":
            scale = {1: 1, 10**3: 2**10, 10**6: 2**20, 10**9: 2**30, 10**12: 2**40}[scale]
        number, _ = _number(text[: match.start(2)].strip())
        return _format_fraction(number * scale), "bytes", scale != 1
    return text, unit, False


def _format_fraction(value: Fraction) -> str:
    """Back to text the number reader accepts (used after a byte scale was applied)."""
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value)


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
