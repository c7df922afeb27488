"""LaTeX math → readable Unicode, for terminals that cannot typeset.

pylatexenc does the parsing and knows most symbols; we add the macros whose default rendering is
lossy (its `\\frac{a}{b}` becomes `a/b` without parentheses, so `\\frac{a+b}{c}` would read wrong).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.latexwalker import LatexWalkerError

SUPERSCRIPTS = dict(zip("0123456789+-=()niT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ", strict=True))
SUBSCRIPTS = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ",
                      strict=True))
SCRIPT = re.compile(r"([\^_])(?:\{([^{}]*)\}|([A-Za-z0-9]))")
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.DOTALL)
FENCE = re.compile(r"^\s*(```|~~~)")
LEFTOVER = re.compile(r"\\[A-Za-z]+")
SIMPLE_OPERAND = re.compile(r"^[\w.·′']+$")

SYMBOLS = {
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "cdot": "·", "times": "×",
    "approx": "≈", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "infty": "∞",
    "partial": "∂", "nabla": "∇", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "sum": "Σ",
    "prod": "Π", "int": "∫", "in": "∈", "ldots": "…", "cdots": "⋯", "dots": "…", "pm": "±",
    "mid": "|", "quad": "  ", "qquad": "    ", "propto": "∝", "sim": "~", "forall": "∀",
    "circ": "∘", "star": "⋆", "ast": "∗", "div": "÷", "lVert": "‖", "rVert": "‖", "Vert": "‖",
    "langle": "⟨", "rangle": "⟩", "emptyset": "∅", "cup": "∪", "cap": "∩", "log": "log",
    "ln": "ln", "exp": "exp", "max": "max", "min": "min", "arg": "arg", "sin": "sin",
    "cos": "cos", "tanh": "tanh", "lim": "lim", "det": "det", "top": "ᵀ", ",": " ", ";": " ",
    "!": "", "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "",
    "displaystyle": "", "limits": "", "nolimits": "",
}
BLACKBOARD = {"E": "𝔼", "R": "ℝ", "N": "ℕ", "Z": "ℤ", "P": "ℙ"}
MACRO_BEFORE_SCRIPT = re.compile(r"(\\[A-Za-z]+)(?=[\^_])")
COMBINING = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}


def _wrap(text: str) -> str:
    text = text.strip()
    simple = SIMPLE_OPERAND.match(text) or (text.startswith("√(") and text.count("(") == 1)
    return text if simple else f"({text})"


def _frac(node, l2tobj) -> str:
    numerator, denominator = (l2tobj.nodelist_to_text([arg]) for arg in node.nodeargd.argnlist)
    return f"{_wrap(numerator)}/{_wrap(denominator)}"


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
def _converter() -> LatexNodes2Text:
    context = get_default_latex_context_db().filter_context(keep_categories=None)
    specs = [MacroTextSpec(name, simplify_repl=_frac) for name in ("frac", "dfrac", "tfrac")]
    specs.append(MacroTextSpec("sqrt", simplify_repl=_sqrt))
    specs += [MacroTextSpec(name, simplify_repl=_symbol(text)) for name, text in SYMBOLS.items()]
    specs += [MacroTextSpec(name, simplify_repl=_accent(mark)) for name, mark in COMBINING.items()]
    specs += [MacroTextSpec(name, simplify_repl=_argument) for name in
              ("text", "mathrm", "mathbf", "mathit", "operatorname", "textbf", "boldsymbol",
               "mathcal", "textrm", "mathsf")]
    specs.append(MacroTextSpec("mathbb", simplify_repl=_blackboard))
    context.add_context_category("quiz", macros=specs, prepend=True)
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=False)


def _script(match: re.Match[str]) -> str:
    mark, braced, single = match.groups()
    body = braced if braced is not None else single
    table = SUPERSCRIPTS if mark == "^" else SUBSCRIPTS
    if body and all(char in table for char in body):
        return "".join(table[char] for char in body)
    if body and SIMPLE_OPERAND.match(body) and mark == "_":
        return f"_{body}"
    return f"{mark}({body})" if len(body) > 1 else f"{mark}{body}"


def _scripts_to_unicode(latex: str) -> str:
    # One pass only: a fallback such as `_eff` must not be rewritten again into `ₑff`.
    return SCRIPT.sub(_script, latex)


@lru_cache(maxsize=4096)
def latex_to_unicode(latex: str) -> str:
    """One math expression (without its $ delimiters) as Unicode text."""
    # `\sum_{i}` must not become `\sumᵢ`: close the macro name before scripts are rewritten.
    source = _scripts_to_unicode(MACRO_BEFORE_SCRIPT.sub(r"\1{}", latex.strip()))
    try:
        text = _converter().latex_to_text(source)
    except (LatexWalkerError, IndexError, AttributeError):
        text = source
    # An unknown command would otherwise vanish or show raw: keep its name, drop the backslash.
    text = LEFTOVER.sub(lambda m: m.group(0)[1:], text)
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
