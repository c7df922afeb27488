"""Turning bank Markdown into what a terminal can show: math as Unicode (`math`), text made safe
to print (`safe`), CJK-aware line breaking (`wrap`) and the laid-out document (`terminal`, which
imports Rich and markdown-it, so it is not imported here)."""

from quiz.render.math import latex_to_unicode, render_markdown_math
from quiz.render.safe import safe_text

__all__ = ["latex_to_unicode", "render_markdown_math", "safe_text"]
