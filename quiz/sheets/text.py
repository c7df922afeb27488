"""Bank text made inert for each output: terminal, Markdown, plain text (PDF).

Bank and roster text is data: a `<script>`, a Rich-style `[bold]` or an ANSI escape in it must
reach no reader as anything but characters, and no link in it may stay live. `safe_text` here is
the one function every sheet, key and export passes bank and roster text through (Markdown,
HTML, PDF, the .apkg): the terminal's safe text, without the TeX commands that make links and
with no `javascript:` left (issue 21). Each writer then escapes for its own format.
"""

from __future__ import annotations

import re

from quiz.render.math import group_end
from quiz.render.safe import safe_text as terminal_safe_text

__all__ = ["escape_markdown", "inert_source", "one_line", "quoted", "safe_text",
           "without_machine_blocks", "without_script_urls"]

# Fenced blocks a learner never sees as prose (the bank's machine-readable blocks).
_MACHINE_BLOCK = re.compile(r"^(```|~~~)(claim|template|meta)\b.*?^\1[ \t]*$\n?",
                            re.MULTILINE | re.DOTALL)
# Markdown characters that could start a link, an HTML tag or an entity; `*`, `_`, `$` and
# backticks stay, so that emphasis, code and math in answers keep their meaning.
_MARKDOWN_ACTIVE = re.compile(r"(\\(?=[!-/:-@\[-`{-~])|[\[\]<>&|])")
# Math spans: `$$…$$` (may span lines) and `$…$` on one line, neither opened by `\$`; the
# capturing group makes re.split return them at the odd indexes.
_MATH = re.compile(r"((?<!\\)\$\$.+?(?<!\\)\$\$|(?<!\\)\$[^$\n]+?(?<!\\)\$)", re.DOTALL)
# Inside math, what a reader without math would still take for a tag (`<b`, `</`, `<!`), a link
# (`](`, `][`) or an entity (`&lt;`): the first character of each, to be followed by a space.
_MATH_ACTIVE = re.compile(r"(<(?=[A-Za-z/!?])|\](?=[(\[])|&(?=#?\w+;))")
# TeX commands that make a link, load code or set HTML attributes in MathJax or KaTeX (Anki and
# Markdown viewers render math with them): the command and its first argument go;
# `\href{u}{t}` leaves `{t}`, `\url{u}` leaves `{u}`.
_TEX_LINK = re.compile(r"\\(href|url|require|class|cssId|style|data)(?![A-Za-z])\s*")
# A script URL in the text (a link's address, an autolink, code, math): its colon becomes a
# full-width one, so the words stay and nothing can follow them. No word boundary: in Chinese
# text the letters follow a CJK character, itself a word character.
_SCRIPT_SCHEME = re.compile(r"(?i)((?:java|vb)script)(\s*):")


def safe_text(text: str) -> str:
    """Bank or roster text as every sheet and export shows it: control characters gone
    (quiz.render.safe), TeX link commands dropped (inert_source) and no script URL left
    (without_script_urls). Idempotent: a writer may pass text through it twice."""
    return without_script_urls(inert_source(terminal_safe_text(text)))


def without_script_urls(text: str) -> str:
    """`javascript:` / `vbscript:` (any case) → `javascript：`: also for rendered HTML, where an
    entity in the bank (`&#106;avascript:`) has become the letters themselves."""
    return _SCRIPT_SCHEME.sub(r"\1\2：", text)


def inert_source(text: str) -> str:
    """Bank text without the TeX commands that make links or attributes (see _TEX_LINK)."""
    parts: list[str] = []
    position = 0
    for match in _TEX_LINK.finditer(text):
        if match.start() < position:
            continue  # inside an argument already dropped
        parts.append(text[position:match.start()])
        if not text.startswith("{", match.end()):
            position = match.end()  # a command without its braces: the command alone goes
            continue
        end = group_end(text, match.end())
        if match.group(1) == "url":
            parts.append(text[match.end():end])  # the address stays, as text
        position = end
    parts.append(text[position:])
    return "".join(parts)


def without_machine_blocks(markdown: str) -> str:
    """An answer without its ```claim / ```template blocks (data for the engine, not prose)."""
    return _MACHINE_BLOCK.sub("", markdown).strip()


def escape_markdown(text: str) -> str:
    """Bank text for a Markdown document: control characters dropped, and outside math `[`, `]`,
    `<`, `>`, `&`, `|` (and a backslash before punctuation) escaped, so no link, tag, entity or
    table can come out of it. Inside `$…$` / `$$…$$` the formula stays as KaTeX and MathJax
    read it (`s>1`, `|x|`, `[0,1]`, `\\cdot`); only what would still make a tag, a link or an
    entity for a reader without math gets a space, which math ignores (`a<b` → `a< b`)."""
    parts = _MATH.split(safe_text(text))
    escaped = "".join(
        _inert_math(part) if index % 2 else _MARKDOWN_ACTIVE.sub(lambda m: "\\" + m.group(1), part)
        for index, part in enumerate(parts))
    # a leading `#` would make a heading (and could imitate an item header of the sheet)
    return re.sub(r"^(\s*)#", r"\1\\#", escaped, flags=re.MULTILINE)


def _inert_math(formula: str) -> str:
    return _MATH_ACTIVE.sub(lambda m: m.group(1) + " ", formula)


def quoted(text: str) -> str:
    """Escaped bank text as a Markdown block quote: every line starts with `> `, so nothing in it
    can be read back as a sheet's item header or answer line."""
    lines = escape_markdown(text).strip().splitlines() or [""]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def one_line(text: str) -> str:
    """Safe text folded onto one line (names, titles, table cells)."""
    return " ".join(safe_text(text).split())
