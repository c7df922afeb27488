"""The bank as an Anki deck (genanki): concept cards with their topics as tags and sub-decks and
their source IDs in a field; each numeric template as a fixed sample of instances (the sources'
worked numbers and a few drawn ones) with their worked solutions. Math goes to Anki as MathJax
`\\(…\\)` / `\\[…\\]`, which Anki renders itself (without `\\href`, `\\require` and the other
commands that make links or attributes); all other text is escaped HTML, links and images as
their text: a deck fetches and follows nothing."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.render.math import substitute_math
from quiz.sheets.text import safe_text, without_machine_blocks, without_script_urls

if TYPE_CHECKING:  # pragma: no cover - typing only
    import genanki

    from quiz.bank.model import Question
    from quiz.numeric import Template

DECK_NAME = "CNN 面试题"
DRAWN_SEEDS = (1, 2, 3)  # besides the fixed instances: the same sample on every export
CSS = """.card { font-family: "Noto Sans CJK SC", "PingFang SC", sans-serif; font-size: 18px;
  text-align: left; }
.sources { color: #777; font-size: 13px; margin-top: 1em; }"""
_TOKEN = "QZMATHTOKEN{}END"
_TOKEN_RE = re.compile(r"QZMATHTOKEN(\d+)END")
# Escaped text that still reads as a tag with attributes (`&lt;img src=x&gt;`): in a deck,
# whose fields Anki's editor may turn back into HTML, the attributes go (`&lt;img&gt;`).
_TAG_TEXT = re.compile(r"&lt;(/?[A-Za-z][\w:-]*)(?:(?!&gt;)[^<>])*?=(?:(?!&gt;)[^<>])*&gt;")


def _stable_id(name: str) -> int:
    """Anki wants fixed model and deck ids: derive them from names (31 bits, never 0)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % (2**31 - 1) + 1


def anki_html(markdown: str) -> str:
    """Bank Markdown → HTML for an Anki field: math kept as MathJax, everything else escaped."""
    from quiz.sheets.html import markdown_html

    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        display, inline = match.groups()
        spans.append(f"\\[{display}\\]" if display is not None else f"\\({inline}\\)")
        return _TOKEN.format(len(spans) - 1)

    with_tokens = substitute_math(safe_text(markdown), keep)
    rendered = markdown_html(with_tokens)
    with_math = _TOKEN_RE.sub(lambda m: html.escape(spans[int(m.group(1))]), rendered)
    return without_script_urls(_TAG_TEXT.sub(r"&lt;\1&gt;", with_math))


def _model() -> genanki.Model:
    import genanki

    return genanki.Model(
        _stable_id("quiz concept card"), "quiz CNN card",
        fields=[{"name": "Question"}, {"name": "Answer"}, {"name": "Sources"}, {"name": "Id"}],
        templates=[{
            "name": "Card 1", "qfmt": "{{Question}}",
            "afmt": "{{FrontSide}}<hr id=\"answer\">{{Answer}}"
                    "<div class=\"sources\">{{Sources}} · {{Id}}</div>",
        }],
        css=CSS,
    )


def _tag(text: str) -> str:
    from quiz.render.safe import safe_text

    return re.sub(r"\s+", "_", safe_text(text).strip()) or "untagged"


def write_apkg(questions: Sequence[Question], templates: dict[str, Template],
               path: Path) -> dict[str, int]:
    """Write the deck; returns how many concept and numeric notes it holds."""
    import genanki

    model = _model()
    decks: dict[str, genanki.Deck] = {}
    counts = {"concept": 0, "numeric": 0}

    def deck_for(topic: str) -> genanki.Deck:
        name = f"{DECK_NAME}::{topic}"
        if name not in decks:
            decks[name] = genanki.Deck(_stable_id(name), name)
        return decks[name]

    for question in questions:
        topic = question.tags[0] if question.tags else question.topic
        tags = [_tag(tag) for tag in dict.fromkeys(question.tags or (topic,))]
        sources = html.escape(", ".join(question.sources))
        if question.id in templates:
            for seed, front, back in _numeric_cards(question, templates[question.id]):
                note = genanki.Note(model=model, fields=[front, back, sources,
                                                         f"{question.id} seed {seed}"],
                                    tags=tags, guid=genanki.guid_for(question.id, seed))
                deck_for(topic).add_note(note)
                counts["numeric"] += 1
            continue
        note = genanki.Note(
            model=model, tags=tags, guid=genanki.guid_for(question.id),
            fields=[anki_html(question.title), anki_html(without_machine_blocks(question.answer)),
                    sources, html.escape(question.id)])
        deck_for(topic).add_note(note)
        counts["concept"] += 1
    genanki.Package(list(decks.values())).write_to_file(str(path))
    return counts


def _numeric_cards(question: Question, template: Template) -> list[tuple[int, str, str]]:
    from quiz.numeric import fixed_seeds
    from quiz.sheets.select import SelectionError, numeric_item

    cards = []
    for seed in (*fixed_seeds(template), *DRAWN_SEEDS):
        try:
            item = numeric_item(1, question, template, seed)
        except (SelectionError, ValueError):
            continue  # an instance the engine rejects is left out, not exported half-made
        back = f"<p><b>答案</b>：{html.escape(item.answer)}</p>" + anki_html(item.worked)
        cards.append((seed, anki_html(item.prompt), back))
    return cards
