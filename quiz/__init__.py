"""quiz: a CNN interview question bank with spaced repetition."""

__version__ = "0.1.0"
