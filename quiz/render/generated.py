"""Text the program writes (worked solutions, mistake messages, verdicts) → bank Markdown.

Generated text is written in a light notation that reads well in source and in JSON: Markdown
(`**答案**`) with bare math identifiers, `H_out`, `C_in/g`, `r_{l−1}`, `W_ih`, `k^2`. Before it is
shown, `generated_markdown` turns each such identifier into `$…$` math, so the bank's renderer
writes it with Unicode scripts (`Hₒᵤₜ`, `Cᵢₙ/g`, `rₗ₋₁`, `Wᵢₕ`, `k²`), and each code name with
an underscore (`output_padding`, `ceil_mode`) into an inline code span: nothing raw is left.

A math identifier is one letter (Latin or Greek) with scripts: `_x`, `_xyz` (up to three
characters), `_{…}`, `^2`, `^{…}`. A longer word with underscores is a code name. Text already in
`$…$` or in backticks is left alone, so converting twice changes nothing.

`plain_text` lays the result out for a terminal (the CLI); `escape_markdown` makes text that is
not Markdown (an answer the learner typed) show literally.
"""

from __future__ import annotations

import re
import shutil
from typing import TextIO

from quiz.render.math import MATH
from quiz.render.safe import safe_text

_SCRIPT = r"(?:[_^](?:\{[^{}\s]*\}|[A-Za-z0-9]{1,3}(?![A-Za-z0-9])))"
# Not after a word character, a backslash or `$`: `output_padding` is not `t` with a script.
# (ASCII word characters only: `只连C_in/g` has an identifier right after a Chinese character.)
MATH_IDENTIFIER = re.compile(
    rf"(?<![A-Za-z0-9_\\$])[A-Za-zα-ωΑ-Ω]{_SCRIPT}+(?![A-Za-z0-9_{{])")
SCRIPT_PART = re.compile(r"([_^])([A-Za-z0-9]+)")
CODE_NAME = re.compile(
    r"(?<![A-Za-z0-9_\\$])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![A-Za-z0-9_{])")
CODE_SPAN = re.compile(r"(`[^`\n]*`)")
MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
UNWRAPPED = 100_000  # `plain_text` width when the output is not a terminal: one line a paragraph


def generated_markdown(text: str) -> str:
    """`text` (generated, in the light notation above) as bank Markdown."""
    parts = CODE_SPAN.split(text)
    return "".join(part if part.startswith("`") else _outside_code(part) for part in parts)


def _outside_code(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in MATH.finditer(text):
        out.append(_identifiers(text[position:match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_identifiers(text[position:]))
    return "".join(out)


def _identifiers(text: str) -> str:
    text = MATH_IDENTIFIER.sub(lambda match: f"${_braced(match.group(0))}$", text)
    return _code_names(text)


def _braced(identifier: str) -> str:
    """`H_out` → `H_{out}`: in LaTeX an unbraced script is one character (`H_o ut`)."""
    return SCRIPT_PART.sub(r"\1{\2}", identifier)


def _code_names(text: str) -> str:
    # Only outside the math just made: split on it again.
    pieces = re.split(r"(\$[^$]*\$)", text)
    return "".join(piece if piece.startswith("$") else
                   CODE_NAME.sub(lambda match: f"`{match.group(0)}`", piece)
                   for piece in pieces)


def escape_markdown(text: str) -> str:
    """`text` that shows literally when read as bank Markdown (every ASCII punctuation escaped,
    which CommonMark allows; an escaped `$` opens no formula)."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def plain_text(text: str, width: int | None = None) -> str:
    """Generated `text` rendered for a terminal: math in Unicode, Markdown marks gone, Chinese
    wrapped at `width` cells (None: not wrapped, for a pipe or a file)."""
    from quiz.render.terminal import BankMarkdown  # Rich and markdown-it: only when printing

    document = BankMarkdown(generated_markdown(safe_text(text)))
    return "\n".join(line.rstrip() for line in document.plain_lines(width or UNWRAPPED))


def output_width(stream: TextIO) -> int | None:
    """The width to wrap `plain_text` at: the terminal's, or None (no wrapping) for a pipe."""
    isatty = getattr(stream, "isatty", None)
    return shutil.get_terminal_size().columns if isatty is not None and isatty() else None


def print_verdict(message: str, worked: str, stream: TextIO) -> None:
    """A verdict's message and worked solution (generated text) as the CLI prints them."""
    width = output_width(stream)
    print(plain_text(message, width), file=stream)
    if worked:
        print("\n" + plain_text(worked, width), file=stream)
