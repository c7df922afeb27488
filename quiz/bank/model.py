"""Plain data for one bank question, as parsed from Markdown."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property


class Kind(str, Enum):
    CONCEPT = "concept"
    NUMERIC = "numeric"


class Origin(str, Enum):
    SOURCED = "sourced"
    AUTHORED = "authored"


@dataclass(frozen=True)
class Erratum:
    """A correction of a source: which source ID is wrong and what the answer says about it."""

    source: str
    text: str


@dataclass(frozen=True)
class ConventionNote:
    """A note that a source counts in another convention (口径), not an error: e.g. its "FLOPs"
    are multiply-adds. Claims of that source are checked in the convention the note names."""

    source: str
    text: str


@dataclass(frozen=True)
class Block:
    """A fenced block with machine-readable content (``claim``, ``template``) inside an answer."""

    info: str
    content: str
    line: int


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    answer: str
    sources: tuple[str, ...]
    tags: tuple[str, ...]
    kind: Kind
    origin: Origin
    difficulty: int
    topic: str
    file: str
    line: int
    errata: tuple[Erratum, ...] = ()
    conventions: tuple[ConventionNote, ...] = ()
    blocks: tuple[Block, ...] = field(default=(), compare=False)

    @cached_property
    def content_hash(self) -> str:
        """Hash of everything a learner sees or the scheduler uses; position in the file is excluded
        so that moving a question does not count as an edit."""
        payload = json.dumps(
            [self.title, self.answer, list(self.sources), list(self.tags), self.kind.value,
             self.origin.value, self.difficulty, self.topic,
             [[b.info, b.content] for b in self.blocks]],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "question": self.title,
            "answer": self.answer,
            "sources": list(self.sources),
            "tags": list(self.tags),
            "kind": self.kind.value,
            "origin": self.origin.value,
            "difficulty": self.difficulty,
            "topic": self.topic,
            "file": self.file,
            "line": self.line,
            "errata": [{"source": e.source, "text": e.text} for e in self.errata],
            "conventions": [{"source": c.source, "text": c.text} for c in self.conventions],
        }
