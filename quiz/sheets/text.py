"""Bank text made inert for each output: terminal, Markdown, plain text (PDF).

Bank and roster text is data: a `<script>`, a Rich-style `[bold]` or an ANSI escape in it must
reach no reader as anything but characters.
"""

from __future__ import annotations

import re

try:
    from quiz.render.safe import safe_text as _shared_safe_text
except ImportError:  # pragma: no cover - checkouts before quiz.render.safe existed
    _shared_safe_text = None

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Fenced blocks a learner never sees as prose (the bank's machine-readable blocks).
_MACHINE_BLOCK = re.compile(r"^(```|~~~)(claim|template|meta)\b.*?^\1[ \t]*$\n?",
                            re.MULTILINE | re.DOTALL)
# Markdown characters that could start a link, an HTML tag or an entity; `*`, `_`, `$` and
# backticks stay, so that emphasis, code and math in answers keep their meaning.
_MARKDOWN_ACTIVE = re.compile(r"(\\(?=[!-/:-@\[-`{-~])|[\[\]<>&|])")


def safe_text(text: str) -> str:
    """`text` without terminal control sequences or control characters (tab, newline kept)."""
    if _shared_safe_text is not None:
        return _shared_safe_text(text)
    text = _ESCAPES.sub("", text.replace("\r\n", "\n"))
    return _CONTROLS.sub("", text)


def without_machine_blocks(markdown: str) -> str:
    """An answer without its ```claim / ```template blocks (data for the engine, not prose)."""
    return _MACHINE_BLOCK.sub("", markdown).strip()


def escape_markdown(text: str) -> str:
    """Bank text for a Markdown document: control characters dropped, and `[`, `]`, `<`, `>`,
    `&`, `|` (and a backslash before punctuation) escaped, so no link, tag, entity or table can
    come out of it; `\\cdot` in math stays as it is."""
    escaped = _MARKDOWN_ACTIVE.sub(lambda m: "\\" + m.group(1), safe_text(text))
    # a leading `#` would make a heading (and could imitate an item header of the sheet)
    return re.sub(r"^(\s*)#", r"\1\\#", escaped, flags=re.MULTILINE)


def quoted(text: str) -> str:
    """Escaped bank text as a Markdown block quote: every line starts with `> `, so nothing in it
    can be read back as a sheet's item header or answer line."""
    lines = escape_markdown(text).strip().splitlines() or [""]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def one_line(text: str) -> str:
    """Safe text folded onto one line (names, titles, table cells)."""
    return " ".join(safe_text(text).split())
