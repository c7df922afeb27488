"""What the mark screen's save worker posts back to the UI thread: small dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class MarksSaved(Message):
    version: int
    then_quit: bool = False


@dataclass
class MarksSaveFailed(Message):
    version: int
    reason: str
    then_quit: bool = False
