"""Every answer of the bundled bank, laid out at 60, 80 and 120 columns.

The checks re-derive what they need from the output (cell widths, punctuation, the unit a line
starts with) instead of asking the breaker: a line is "half-empty" when it is not the last of its
paragraph and the next line's first unbreakable unit would still have fitted after it.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
from rich.cells import cell_len

from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir
from quiz.render.terminal import BankMarkdown
from quiz.render.wrap import Line

WIDTHS = (60, 80, 120)
CLOSING = set("。，、；：？！）」》’”),.;:!?")
ASCII_STOPS = set(",.;:!?")
OPENING = set("（「《“‘")


@lru_cache(maxsize=1)
def documents() -> dict[str, BankMarkdown]:
    return {q.id: BankMarkdown(q.answer) for q in load_bank(bundled_bank_dir())}


def ids() -> list[str]:
    return sorted(documents())


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Consecutive wrapped lines up to the last line of each paragraph."""
    groups: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if not line.flow:
            continue
        current.append(line)
        if line.hard:
            groups.append(current)
            current = []
    return groups


def body(line: Line) -> str:
    return line.plain[line.body_start:]


def wide(char: str) -> bool:
    return cell_len(char) == 2


def first_unit(text: str, formulas: list[str], room: int, quote_open: bool) -> str:
    """The unbreakable run a line starts with: opening punctuation with what follows it, a
    formula that fits on a line, one CJK character, or a Latin word; then any closing
    punctuation glued to it. `quote_open`: an ASCII `"` is open before `text` (quotes pair up
    in order, so the next one closes)."""
    lead = ""
    while text and (text[0] in OPENING or (text[0] == '"' and not quote_open)):
        quote_open ^= text[0] == '"'
        lead, text = lead + text[0], text[1:]
    word = ""
    for char in text:
        if char.isspace() or wide(char):
            break
        word += char
    candidates = [text[0] if text and wide(text[0]) else word]
    candidates += [f for f in formulas if text.startswith(f) and cell_len(f) <= room]
    unit = max(candidates, key=len)
    quote_open ^= unit.count('"') % 2 == 1
    rest = text[len(unit):]
    while rest and (rest[0] in CLOSING or (rest[0] == '"' and quote_open)):
        quote_open ^= rest[0] == '"'
        unit, rest = unit + rest[0], rest[1:]
    return lead + unit


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("question", ids())
def test_answer_layout(question: str, width: int) -> None:
    document = documents()[question]
    lines = document.lines(width)
    formulas = sorted({f.text for f in document.formulas if f.text}, key=len, reverse=True)
    for line in lines:
        assert cell_len(line.plain) <= width, (width, line.plain)
    for paragraph in paragraphs(lines):
        quotes = 0
        for number, line in enumerate(paragraph):
            text = body(line)
            quotes += text.count('"')
            if not text:
                continue
            # An ASCII stop that begins a word (`.grad`, `.5`) belongs to the word.
            word_start = text[0] in ASCII_STOPS and text[1:2].isalnum()
            assert text[0] not in CLOSING or word_start, (width, line.plain)
            if not line.hard:
                assert text[-1] not in OPENING, (width, line.plain)
                following = paragraph[number + 1]
                room = width - following.body_start
                unit = first_unit(body(following), formulas, room, quotes % 2 == 1)
                # A space stood at the break unless both sides are CJK (conservative: assume one).
                gap = 0 if wide(text[-1]) and wide(body(following)[0]) else 1
                assert cell_len(line.plain) + gap + cell_len(unit) > width, (
                    f"half-empty line at {width}: {line.plain!r}, next starts {unit!r}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("question", ids())
def test_wrapping_loses_nothing_and_keeps_formulas_whole(question: str, width: int) -> None:
    for paragraph in documents()[question].paragraphs():
        plain = paragraph.plain
        spans: list[tuple[int, int]] = []  # where each line's body sits in the paragraph
        cursor = 0
        for line in paragraph.lines(width):
            text = body(line)
            start = plain.find(text, cursor) if text else cursor
            # Only blanks may be dropped between two lines, never text.
            assert start >= 0 and not plain[cursor:start].strip(), (width, line.plain)
            spans.append((start, start + len(text)))
            cursor = start + len(text)
        assert not plain[cursor:].strip()
        room = width - max(cell_len(paragraph.first.plain), cell_len(paragraph.rest.plain))
        for a, b in paragraph.atoms:
            if cell_len(plain[a:b]) <= room:
                assert any(s <= a and b <= e for s, e in spans), (
                    f"formula {plain[a:b]!r} split at width {width}")


def test_errata_fold_into_one_counted_line() -> None:
    answer = next(q.answer for q in load_bank(bundled_bank_dir())
                  if q.answer.count("> 勘误") >= 2)
    expected = answer.count("> 勘误")
    folded = [line.plain for line in BankMarkdown(answer, errata_expanded=False).lines(80)]
    summaries = [line for line in folded if "来源勘误" in line]
    assert summaries == [f"▸ 来源勘误 {expected} 条 — e 展开"]
    assert not any(line.startswith("│ 勘误") for line in folded)
    shown = [line.plain for line in BankMarkdown(answer, errata_expanded=True).lines(80)]
    assert sum(line.startswith("│ 勘误") for line in shown) == expected
    assert not any("e 展开" in line for line in shown)


def test_convention_notes_fold_with_the_errata() -> None:
    answer = "正文。\n\n> 勘误 001#2：甲。\n\n中间。\n\n> 口径：乙。\n\n> 勘误 002#3：丙。"
    folded = [line.plain for line in BankMarkdown(answer, errata_expanded=False).lines(80)]
    assert folded == ["正文。", "", "▸ 来源勘误 2 条 · 口径说明 1 条 — e 展开", "", "中间。"]
