"""What the store's home queries and syncs return: plain dataclasses that import no SQLAlchemy.

The TUI's preloading child sends these to the app, which unpickles them while it is still
painting its first screen; had they lived beside the queries, unpickling them would have
imported SQLAlchemy there first.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Counts:
    due: int
    new: int
    total: int
    new_today: int
    reviews_today: int
    learning: int = 0


@dataclass(frozen=True)
class DeckCounts:
    deck: str
    review: int
    learning: int
    new: int          # unseen cards in the deck (today's limit applies across decks)
    done_today: int
    total: int
    numeric: int


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)
    unchanged: int = 0
    questions: int = 0  # in the bank as synced

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.retired or self.revived)

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, changed {len(self.changed)}, retired {len(self.retired)}, "
            f"revived {len(self.revived)}, unchanged {self.unchanged}"
        )
