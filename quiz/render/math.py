"""LaTeX math → readable Unicode, for terminals that cannot typeset.

pylatexenc does the parsing and knows most symbols; we add the macros whose default rendering is
lossy (its `\\frac{a}{b}` becomes `a/b` without parentheses, so `\\frac{a+b}{c}` would read wrong).

Sub- and superscripts are read by our own scanner (pylatexenc leaves `_` and `^` as text), with
their argument as TeX reads it (`_i`, `_{i=1}`, `_\\mathcal{B}`, nested `_{x\\sim p_{data}}`), and
written with Unicode's sub/superscript characters when every character has one (`Σᵢ₌₁ᵐ`, `aˡ⁻¹`).
Unicode has no subscript b, c, d, f, g, q, w, y, z, no capitals and no comma, so otherwise the
script is set off by the small parentheses of the same row: `p₍data₎`, `μ₍B₎`, `w₍o,c₎`, `d⁽−0.5⁾`
(never a raw `_` or `^`). A star or prime superscript stays on the line: `w*`, `D*(x)`.
An escaped `\\_` is a literal underscore (`output\\_padding` → `output_padding`); `\\|` is `‖`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as get_default_text_context_db
from pylatexenc.latexwalker import LatexWalker, LatexWalkerError, get_default_latex_context_db
from pylatexenc.macrospec import LatexContextDb

from quiz.render.safe import safe_text

SUPERSCRIPTS = dict(zip(
    "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεϵθιφϕχ",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᵋᶿᶥᵠᵠᵡ", strict=True))
SUBSCRIPTS = dict(zip("0123456789+-−=()aehijklmnoprstuvxβγρφϕχ",
                      "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵩᵪ", strict=True))
# Already-scripted characters (from `^\top` → ᵀ, or a nested script) stay as they are.
SUPERSCRIPTS |= {char: char for char in set(SUPERSCRIPTS.values())}
SUBSCRIPTS |= {char: char for char in set(SUBSCRIPTS.values())}
SUPERSCRIPT_CHARS = frozenset(SUPERSCRIPTS.values())
ON_THE_LINE = frozenset({"*", "∗", "′", "'", "″"})
SCRIPT_FALLBACK = {"^": ("⁽", "⁾"), "_": ("₍", "₎")}
# Macros whose arguments belong to a script they follow: `_\mathcal{B}`, `^\frac{1}{2}`.
ARGUMENT_COUNTS = {
    "frac": 2, "dfrac": 2, "tfrac": 2, "sqrt": 1, "hat": 1, "bar": 1, "tilde": 1, "vec": 1,
    "dot": 1, "text": 1, "mathrm": 1, "mathbf": 1, "mathit": 1, "operatorname": 1, "textbf": 1,
    "boldsymbol": 1, "mathcal": 1, "textrm": 1, "mathsf": 1, "mathbb": 1,
}
PLACEHOLDER = re.compile("\ue010(\\d+)\ue011")
# Big operators get a space after their limits (`Σᵢ₌₁ᵐ xᵢ`, not `Σᵢ₌₁ᵐxᵢ`) and before them.
# (The small parentheses are left out: they open a fallback group, matched as a whole.)
_SCRIPT_CHARS = "".join(sorted((set(SUPERSCRIPTS.values()) | set(SUBSCRIPTS.values()))
                               - set("₍₎⁽⁾")))
_SCRIPT_RUN = f"(?:[{re.escape(_SCRIPT_CHARS)}*]|₍[^₎]*₎|⁽[^⁾]*⁾)+"
OPERATOR_LIMITS = re.compile(
    f"(Σ|Π|∫|max|min|lim)({_SCRIPT_RUN})(?![{re.escape(_SCRIPT_CHARS)}₍⁽])(?=[\\w(𝔼∂])")
BEFORE_OPERATOR = re.compile(r"(?<=[\w)′'])(?=[ΣΠ∫])")
BINARY = "×·∼≈≤≥≠→←⇒∈±⊙⊗⊕∝"
ONE_SIDED_SPACE = re.compile(f"(?<=[^\\s(])([{BINARY}]) | ([{BINARY}])(?=[^\\s)])")
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.DOTALL)
FENCE = re.compile(r"^\s*(```|~~~)")
LEFTOVER = re.compile(r"\\[A-Za-z]+")
SYMBOL_MACRO = re.compile(r"\\([A-Za-z]+|[,;!])( *)")
# One operand (see `_is_single_operand`); scripts are still placeholders when it is checked.
_ONE_SCRIPT = "\ue010\\d+\ue011"
SINGLE_OPERAND = re.compile(
    f"−?\\d+(?:\\.\\d+)?(?:{_ONE_SCRIPT})*"
    f"|∂?(?:[A-Za-zα-ωΑ-Ωϵϕ𝔼ℝ∇][\u0300-\u036f\u20d7]*)?(?:{_ONE_SCRIPT}|[′'″*ᵀ])*")
SCRIPTS_ONLY = re.compile(f"(?:{_ONE_SCRIPT}|[′'″])*")
FRACTION_OPEN, FRACTION_CLOSE = "\ue020", "\ue021"
FRACTION_MARKS = FRACTION_OPEN + FRACTION_CLOSE
INNERMOST_FRACTION = re.compile(f"{FRACTION_OPEN}([^{FRACTION_MARKS}]*){FRACTION_CLOSE}")
# What starts a factor written right after a fraction (juxtaposition multiplies).
FACTOR_START = re.compile(r"[A-Za-z0-9α-ωΑ-Ωϵϕ(√∂⌊⌈𝔼∇]")
BIG_OPERATORS = frozenset("ΣΠ∫")

SYMBOLS = {
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "cdot": "·", "times": "×",
    "approx": "≈", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "infty": "∞",
    "partial": "∂", "nabla": "∇", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "sum": "Σ",
    "prod": "Π", "int": "∫", "in": "∈", "ldots": "…", "cdots": "⋯", "dots": "…", "pm": "±",
    "mid": "|", "quad": "  ", "qquad": "    ", "propto": "∝", "sim": "∼", "forall": "∀",
    "circ": "∘", "star": "⋆", "ast": "∗", "div": "÷", "lVert": "‖", "rVert": "‖", "Vert": "‖",
    "langle": "⟨", "rangle": "⟩", "emptyset": "∅", "cup": "∪", "cap": "∩", "log": "log",
    "ln": "ln", "exp": "exp", "max": "max", "min": "min", "arg": "arg", "sin": "sin",
    "cos": "cos", "tanh": "tanh", "lim": "lim", "det": "det", "top": "ᵀ", ",": " ", ";": " ",
    "!": "", "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "",
    "displaystyle": "", "limits": "", "nolimits": "",
}
# pylatexenc drops the blank after `\\eta`; listing the letters here gives it back (`η = d`).
GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9),
    ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE),
    ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("upsilon", 0x3C5),
    ("phi", 0x3D5), ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9),
    ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B), ("Xi", 0x39E),
    ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9),
)}
BLACKBOARD = {"E": "𝔼", "R": "ℝ", "N": "ℕ", "Z": "ℤ", "P": "ℙ"}
COMBINING = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}


def _wrap(text: str) -> str:
    """`text` as one operand of `/` or `√`: parenthesised unless it is a single symbol, so that
    `1/(HW)`, `(Cᵢₙ k²)/g` and `√(hwB)` keep their meaning (extra parentheses never change it)."""
    text = text.strip()
    return text if _is_single_operand(text) else f"({text})"


def _is_single_operand(text: str) -> bool:
    """One number, one (scripted, primed, accented) letter, `∂x`, `√x`, or one bracketed group
    with its scripts: `12`, `Cᵢₙ`, `x̂ᵢ²`, `∂L`, `√dₖ`, `(a+b)`, `√(σ²+ϵ)`."""
    body = text.removeprefix("√")
    if body.startswith("("):
        after = _closing_paren(body) + 1
        return after > 0 and SCRIPTS_ONLY.fullmatch(body[after:]) is not None
    return SINGLE_OPERAND.fullmatch(body) is not None


def _closing_paren(text: str) -> int:
    """Index of the `)` matching the `(` that opens `text` (−1 when unmatched)."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return index
    return -1


def _frac(node, l2tobj) -> str:
    numerator, denominator = (l2tobj.nodelist_to_text([arg]) for arg in node.nodeargd.argnlist)
    # Marked, so that once the whole expression is known a fraction that a factor follows can be
    # set off: `\frac{C}{g}k^2` is (C/g)·k², not C/gk² (see `_resolve_fractions`).
    return f"{FRACTION_OPEN}{_wrap(numerator)}/{_wrap(denominator)}{FRACTION_CLOSE}"


def _resolve_fractions(text: str) -> str:
    """Drop the fraction marks, parenthesising a fraction that a factor or a superscript follows
    (`(C/g)·k²`, `(1/N) Σ`, `(a/b)²`) or that follows a `/` (`a/(b/c)`)."""
    while True:
        match = INNERMOST_FRACTION.search(text)
        if match is None:
            return text
        body, before, after = match.group(1), text[:match.start()], text[match.end():]
        following = after.lstrip(" ")
        if following[:1] in SUPERSCRIPT_CHARS:
            body = f"({body})"
        elif following[:1] in BIG_OPERATORS:
            body = f"({body}) "  # `(1/N) Σᵢ xᵢ`: the operator's own spacing
        elif following[:1] and (FACTOR_START.match(following) or following[0] in FRACTION_MARKS):
            body = f"({body})" + ("" if following != after else "·")
        elif before.rstrip(" ").endswith(("/", "÷")):
            body = f"({body})"
        text = before + body + after


def _sqrt(node, l2tobj) -> str:
    args = [arg for arg in node.nodeargd.argnlist if arg is not None]
    body = l2tobj.nodelist_to_text([args[-1]])
    return f"√{_wrap(body)}"


def _accent(accent: str) -> Callable[..., str]:
    def render(node, l2tobj) -> str:
        body = l2tobj.nodelist_to_text([node.nodeargd.argnlist[-1]]).strip()
        return body + accent if len(body) == 1 else f"{body}{accent}"
    return render


def _symbol(text: str) -> Callable[..., str]:
    # pylatexenc counts the blank after a macro as part of it; give it back so `a \cdot b` keeps it.
    def render(node) -> str:
        return text + (node.macro_post_space or "")
    return render


def _argument(node, l2tobj) -> str:
    return l2tobj.nodelist_to_text([node.nodeargd.argnlist[-1]])


def _blackboard(node, l2tobj) -> str:
    body = _argument(node, l2tobj)
    return "".join(BLACKBOARD.get(char, char) for char in body)


@lru_cache(maxsize=1)
def _parsing_context() -> LatexContextDb:
    # pylatexenc rebuilds this database for every expression unless it is handed one (~1 ms).
    return get_default_latex_context_db()


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    context = get_default_text_context_db().filter_context(keep_categories=None)
    specs = [MacroTextSpec(name, simplify_repl=_frac) for name in ("frac", "dfrac", "tfrac")]
    specs.append(MacroTextSpec("sqrt", simplify_repl=_sqrt))
    specs += [MacroTextSpec(name, simplify_repl=_symbol(text))
              for name, text in (SYMBOLS | GREEK).items()]
    # `\\partial L` reads as one symbol, ∂L, so a fraction of them needs no parentheses.
    specs.append(MacroTextSpec("partial", simplify_repl="∂"))
    specs += [MacroTextSpec(name, simplify_repl=_accent(mark)) for name, mark in COMBINING.items()]
    specs += [MacroTextSpec(name, simplify_repl=_argument) for name in
              ("text", "mathrm", "mathbf", "mathit", "operatorname", "textbf", "boldsymbol",
               "mathcal", "textrm", "mathsf")]
    specs.append(MacroTextSpec("mathbb", simplify_repl=_blackboard))
    context.add_context_category("quiz", macros=specs, prepend=True)
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=False)


def group_end(latex: str, start: int) -> int:
    """Index just past the `}` matching the `{` at `start` (or the end of the text)."""
    depth = 0
    index = start
    while index < len(latex):
        char = latex[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(latex)


def _macro_end(latex: str, start: int) -> tuple[str, int]:
    """The macro name at `start` (a backslash) and the index past it."""
    end = start + 1
    while end < len(latex) and latex[end].isalpha():
        end += 1
    if end == start + 1:
        end = min(len(latex), end + 1)  # a control symbol: `\,`, `\|`, `\_`
    return latex[start + 1:end], end


def _script_argument(latex: str, start: int) -> tuple[str, int]:
    """The argument of a `^` / `_` at `start`, as TeX reads it: a group, a macro with its own
    arguments, or one character. Returns its LaTeX and the index past it."""
    index = start
    while index < len(latex) and latex[index] == " ":
        index += 1
    if index >= len(latex):
        return "", index
    if latex[index] == "{":
        end = group_end(latex, index)
        return latex[index + 1:end - 1], end
    if latex[index] == "\\":
        name, end = _macro_end(latex, index)
        for _ in range(ARGUMENT_COUNTS.get(name, 0)):
            while end < len(latex) and latex[end] == " ":
                end += 1
            if end < len(latex) and latex[end] == "{":
                end = group_end(latex, end)
            else:
                end = min(len(latex), end + 1)
        return latex[index:end], end
    return latex[index], index + 1


def _script(mark: str, latex: str) -> str:
    body = "".join(latex_to_unicode(latex).split())
    if mark == "^" and body and all(char in ON_THE_LINE for char in body):
        return body
    table = SUPERSCRIPTS if mark == "^" else SUBSCRIPTS
    if all(char in table for char in body):
        return "".join(table[char] for char in body)
    opening, closing = SCRIPT_FALLBACK[mark]
    return f"{opening}{body}{closing}"


def _extract_scripts(latex: str) -> tuple[str, list[str]]:
    """`latex` with every script replaced by a placeholder, and the scripts rendered."""
    out: list[str] = []
    scripts: list[str] = []
    index = 0
    while index < len(latex):
        char = latex[index]
        if char == "\\":
            _, end = _macro_end(latex, index)
            out.append(latex[index:end])
            index = end
        elif char in "^_":
            argument, index = _script_argument(latex, index + 1)
            scripts.append(_script(char, argument))
            out.append(f"\ue010{len(scripts) - 1}\ue011")
        else:
            out.append(char)
            index += 1
    return "".join(out), scripts


def _plain_symbols(source: str) -> str | None:
    """The text of `source` when it is only characters and argument-less symbol macros
    (`C \\cdot K`, `\\alpha x`) — most of the bank's formulas once their scripts are out —
    converted as pylatexenc would (each macro gives back the blank after it), without its
    parser; None when pylatexenc is needed."""
    if any(char in source for char in "{}~%&$#") or "\\\\" in source:
        return None
    known = _symbol_table()
    parts: list[str] = []
    position = 0
    for match in SYMBOL_MACRO.finditer(source):
        name = match.group(1)
        if name not in known:
            return None
        blank = "" if name == "partial" else match.group(2)  # ∂L: see _converter
        parts += [source[position:match.start()], known[name], blank]
        position = match.end()
    parts.append(source[position:])
    text = "".join(parts)
    return None if "\\" in text else text


@lru_cache(maxsize=1)
def _symbol_table() -> dict[str, str]:
    return SYMBOLS | GREEK | {"partial": "∂"}


def _space_operators(text: str) -> str:
    text = OPERATOR_LIMITS.sub(r"\1\2 ", text)
    text = BEFORE_OPERATOR.sub(" ", text)
    # `n\times n` comes out of pylatexenc as `n× n`: space a binary operator on both sides or
    # on neither.
    return ONE_SIDED_SPACE.sub(lambda m: f" {m.group(1) or m.group(2)} ", text)


# Limits on one math expression: the bank's longest is under 200 characters and nests at
# most 3 deep. Past them (hostile or broken text: ~100 nested \\frac overflow the recursive
# parser) the expression is shown as its raw LaTeX, made safe, instead of being converted.
MAX_MATH_CHARS = 2000
MAX_MATH_DEPTH = 24
NESTING = re.compile(r"\\(?:left|begin)\b|\\(?:right|end)\b|[{}]")
# a macro that takes arguments nests like a brace even when its arguments have none
# (`\sqrt\sqrt\sqrt x`), and so does a script (`x^x^x`): counted into the depth
ARGUMENT_TAKERS = re.compile(r"\\(?:frac|dfrac|tfrac|sqrt|hat|bar|tilde|vec|dot|"
                             r"mathbb|mathbf|mathrm|text|operatorname|overline|underline)"
                             r"(?![A-Za-z])|[\^_]")
# an optional argument (`\sqrt[3]{x}`): the parser backtracks on nested ones (25 nested take
# seconds, 40 do not end), so more than a few refuse the expression
OPTIONAL_ARGUMENT = re.compile(r"\\[A-Za-z]+\s*\[")
MAX_OPTIONAL_ARGUMENTS = 8


def too_deep(latex: str) -> bool:
    """Whether `latex` is past MAX_MATH_CHARS or nests past MAX_MATH_DEPTH."""
    if len(latex) > MAX_MATH_CHARS or \
            len(OPTIONAL_ARGUMENT.findall(latex)) > MAX_OPTIONAL_ARGUMENTS:
        return True
    depth = deepest = 0
    for token in NESTING.finditer(latex):
        mark = token.group(0)
        depth += 1 if mark == "{" or mark in ("\\left", "\\begin") else -1
        deepest = max(deepest, depth)
    if deepest > MAX_MATH_DEPTH:
        return True
    # arguments without braces: a run of argument takers with nothing between them
    run = longest = 0
    position = 0
    for token in ARGUMENT_TAKERS.finditer(latex):
        run = run + 1 if not latex[position:token.start()].strip(" {") else 1
        longest = max(longest, run)
        position = token.end()
    return longest > MAX_MATH_DEPTH


@lru_cache(maxsize=4096)
def latex_to_unicode(latex: str) -> str:
    """One math expression (without its $ delimiters) as Unicode text; past the limits
    (MAX_MATH_CHARS, MAX_MATH_DEPTH), or should the converter still overflow, the raw LaTeX
    made safe."""
    if too_deep(latex):
        return safe_text(latex.strip())
    try:
        return _latex_to_unicode(latex)
    except RecursionError:
        return safe_text(latex.strip())


def _latex_to_unicode(latex: str) -> str:
    # `''` is a double prime in math; pylatexenc would typeset it as a closing quote (”).
    source = latex.strip().replace("\\|", "‖").replace("\\_", "\ue012").replace("''", "″")
    source, scripts = _extract_scripts(source)
    text = _plain_symbols(source)
    if text is None:
        try:
            nodes = LatexWalker(source, latex_context=_parsing_context()).get_latex_nodes()[0]
            text = _converter().nodelist_to_text(nodes)
        except (LatexWalkerError, IndexError, AttributeError):
            text = source
    text = PLACEHOLDER.sub(lambda m: scripts[int(m.group(1))], text)
    text = _resolve_fractions(text)
    # An unknown command would otherwise vanish or show raw: keep its name, drop the backslash.
    text = LEFTOVER.sub(lambda m: m.group(0)[1:], text).replace("\ue012", "_")
    text = _space_operators(text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def render_markdown_math(markdown: str) -> str:
    """Replace `$…$` and `$$…$$` in Markdown with Unicode, leaving code blocks and spans alone."""
    def replace(match: re.Match[str]) -> str:
        display, inline = match.groups()
        if display is not None:
            return f"\n\n**{latex_to_unicode(display)}**\n\n" if "\n" in match.group(0) \
                else f"**{latex_to_unicode(display)}**"
        return latex_to_unicode(inline)
    return substitute_math(markdown, replace)


def substitute_math(markdown: str, replace: Callable[[re.Match[str]], str]) -> str:
    """`markdown` with every math span (a `MATH` match: group 1 display, group 2 inline) replaced
    by `replace(match)`, outside fenced code blocks and inline code spans."""
    out: list[str] = []
    in_fence = False
    buffer: list[str] = []
    for line in markdown.splitlines():
        if FENCE.match(line):
            if buffer:
                out.append(_substitute_block("\n".join(buffer), replace))
                buffer = []
            in_fence = not in_fence
            out.append(line)
        elif in_fence:
            out.append(line)
        else:
            buffer.append(line)
    if buffer:
        out.append(_substitute_block("\n".join(buffer), replace))
    return "\n".join(out)


def _substitute_block(text: str, replace: Callable[[re.Match[str]], str]) -> str:
    """Math outside inline code spans; display math may span lines."""
    parts = re.split(r"(`[^`\n]*`)", text)
    return "".join(part if part.startswith("`") else MATH.sub(replace, part) for part in parts)
