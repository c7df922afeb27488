"""The order in which new cards are introduced: a pure function over plain values.

Interleaved (the default) takes the decks in turn and spreads numeric cards evenly among concept
cards, so a first session already mixes both; bank order is file order; random is a shuffle fixed
by a seed, so it does not change between sessions. In every order, siblings (cards that share a
source question, i.e. parts of one merged question) are kept apart when anything else is left.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from quiz.store.settings import NewOrder

SIBLING_LOOKAHEAD = 64


@dataclass(frozen=True, slots=True)
class NewCard:
    id: str
    deck: str
    kind: str
    sources: frozenset[str]
    position: tuple[str, int]  # (file, line): bank order


def are_siblings(a: NewCard, b: NewCard) -> bool:
    return bool(a.sources & b.sources)


def _round_robin(cards: Sequence[NewCard]) -> list[NewCard]:
    """Decks in turn (in the order they first appear), each deck in bank order."""
    decks: dict[str, list[NewCard]] = {}
    for card in cards:
        decks.setdefault(card.deck, []).append(card)
    queues = list(decks.values())
    out: list[NewCard] = []
    depth = 0
    while len(out) < len(cards):
        for queue in queues:
            if depth < len(queue):
                out.append(queue[depth])
        depth += 1
    return out


def _spread(major: list[NewCard], minor: list[NewCard]) -> list[NewCard]:
    """Merge two lists keeping each one's order, the minor one spread evenly (Bresenham)."""
    total = len(major) + len(minor)
    out: list[NewCard] = []
    i = j = 0
    for position in range(total):
        # Place a minor card whenever its share of the positions so far falls behind.
        wants_minor = j < len(minor) and (
            i >= len(major) or (j + 0.5) * total <= (position + 1) * len(minor)
        )
        if wants_minor:
            out.append(minor[j])
            j += 1
        else:
            out.append(major[i])
            i += 1
    return out


def _interleaved(cards: Sequence[NewCard]) -> list[NewCard]:
    numeric = _round_robin([c for c in cards if c.kind == "numeric"])
    concept = _round_robin([c for c in cards if c.kind != "numeric"])
    major, minor = (concept, numeric) if len(concept) >= len(numeric) else (numeric, concept)
    return _spread(major, minor)


def separate_siblings(cards: Sequence[NewCard]) -> list[NewCard]:
    """Move a card that would follow its sibling to the next place where it does not, keeping
    the order otherwise (a bounded look-ahead window keeps this linear)."""
    rest = iter(cards)
    window: list[NewCard] = []
    out: list[NewCard] = []

    def refill() -> None:
        for card in rest:
            window.append(card)
            if len(window) >= SIBLING_LOOKAHEAD:
                return

    refill()
    while window:
        chosen = 0
        if out:
            chosen = next(
                (i for i, card in enumerate(window) if not are_siblings(out[-1], card)), 0
            )
        out.append(window.pop(chosen))
        refill()
    return out


def order_new_cards(cards: Sequence[NewCard], order: NewOrder, seed: int = 0) -> list[str]:
    """Ids in the order new cards should be introduced."""
    in_bank_order = sorted(cards, key=lambda card: card.position)
    if order is NewOrder.BANK:
        arranged = in_bank_order
    elif order is NewOrder.RANDOM:
        arranged = list(in_bank_order)
        random.Random(seed).shuffle(arranged)
    else:
        arranged = _interleaved(in_bank_order)
    return [card.id for card in separate_siblings(arranged)]
