"""The store's error, importable without SQLAlchemy: the CLI catches it around every command,
and importing SQLAlchemy for that alone cost every command (and the TUI's start) half a second."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A database that cannot be opened or used; the message says which and why."""
