"""Turning bank Markdown into what a terminal can show (math as Unicode)."""

from quiz.render.math import latex_to_unicode, render_markdown_math

__all__ = ["latex_to_unicode", "render_markdown_math"]
