"""Storage and FSRS scheduling through SQLAlchemy, on SQLite or PostgreSQL. Imports no Textual.

The modules: `db` opens a database (schema, upgrades), `sqlite_files` owns SQLite files, `derived`
the totals the database's triggers keep, `counts` every count (home, `quiz due`, study), `queue`
what comes next, `actions` what the learner does to a card, `sync` the bank's import.

This package's own namespace holds only the store's error, so that the CLI can catch it around
every command without importing SQLAlchemy for commands that never open a database.
"""

from __future__ import annotations


class StoreError(RuntimeError):
    """A database that cannot be opened or used; the message says which and why."""


__all__ = ["StoreError"]
