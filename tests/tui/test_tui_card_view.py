"""CardView in a bare app at 80×24: a real bank answer, wrapped by cells, errata folded and
expanded, re-wrapped on resize, markup shown literally."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.geometry import Region

from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir
from quiz.tui.widgets.bank_text import BankText
from quiz.tui.widgets.card_view import CardView


@dataclass(frozen=True)
class Item:
    title: str
    answer: str
    kind: str = "concept"


class CardApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CardView(id="card")


def painted(widget: BankText) -> list[str]:
    """The widget's painted lines without its padding and trailing blanks."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    left = widget.styles.padding.left
    return [strip.text[left:].rstrip() for strip in widget.render_lines(region)]


def squeeze(lines: list[str]) -> str:
    """The text without layout: blanks, bullets and quote bars."""
    return "".join(lines).translate({ord(char): None for char in " •│"})


def bank_item(question_id: str) -> Item:
    question = next(q for q in load_bank(bundled_bank_dir()) if q.id == question_id)
    return Item(question.title, question.answer)


async def test_card_view_wraps_a_bank_answer_and_folds_errata() -> None:
    item = bank_item("arch-cnn-evolution")  # long list, English terms, two 勘误 notes
    errata = item.answer.count("> 勘误")
    app = CardApp()
    async with app.run_test(size=(80, 24)) as pilot:
        card = app.query_one(CardView)
        card.show_question(item)
        await pilot.pause()
        assert not app.query_one("#answer").display
        await card.show_answer(item)
        await pilot.pause()
        answer = app.query_one("#answer", BankText)
        width = answer.content_size.width
        lines = painted(answer)
        assert all(cell_len(line) <= width for line in lines)
        # A line followed by a continuation starting with a lone CJK character is filled up to
        # the edge: that character (2 cells, plus a space at most) did not fit after it. Blocks
        # are separated by a blank line and list items start with a bullet, so any other pair
        # of non-empty lines is a wrapped paragraph.
        checked = 0
        for line, following in pairwise(lines):
            rest = following.removeprefix("  ")
            if not line or not rest or rest.startswith(("• ", "▸")):
                continue
            if cell_len(rest[0]) == 2 and rest[1:2] not in "，。、；：）":
                assert cell_len(line) > width - 3, (line, following)
                checked += 1
        assert checked >= 3
        assert not any(line.lstrip("• ").startswith(("，", "。", "；", "）")) for line in lines)
        summary = [line for line in lines if "来源勘误" in line]
        assert summary == [f"▸ 来源勘误 {errata} 条 — e 展开"]
        assert card.errata_count == errata

        card.toggle_errata()
        await pilot.pause()
        expanded = painted(answer)
        assert sum(line.startswith("│ 勘误") for line in expanded) == errata
        assert not any("e 展开" in line for line in expanded)

        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        narrow = painted(answer)
        assert answer.content_size.width < width
        assert all(cell_len(line) <= answer.content_size.width for line in narrow)
        assert len(narrow) > len(expanded)  # the same text on more, shorter lines
        assert squeeze(narrow) == squeeze(expanded)
        assert card.max_scroll_y > 0  # taller than the screen: the card scrolls
        card.scroll_end(animate=False)
        await pilot.pause()
        assert card.scroll_y == card.max_scroll_y


async def test_card_view_shows_markup_and_escapes_literally() -> None:
    item = Item("标题 [b]不是标记[/b]", "答案 [red]红[/red]，\x1b]52;c;ZXZpbA==\x07剪贴板。")
    app = CardApp()
    async with app.run_test(size=(80, 24)) as pilot:
        card = app.query_one(CardView)
        card.show_question(item)
        await card.show_answer(item)
        await pilot.pause()
        assert painted(app.query_one("#question", BankText))[0] == "标题 [b]不是标记[/b]"
        assert painted(app.query_one("#answer", BankText))[0] == "答案 [red]红[/red]，剪贴板。"
