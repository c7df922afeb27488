"""The line breaker on hand-made strings: CJK breaks, Latin words, punctuation, atoms."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from quiz.render.wrap import wrap


def lines(text: str, width: int, **options: object) -> list[str]:
    return [line.plain for line in wrap(Text(text), width, **options)]  # type: ignore[arg-type]


def test_chinese_breaks_between_any_two_characters() -> None:
    assert lines("卷积池化全连接", 4) == ["卷积", "池化", "全连", "接"]


def test_latin_words_break_only_at_spaces() -> None:
    assert lines("hello world foo", 11) == ["hello world", "foo"]
    assert lines("hello world foo", 10) == ["hello", "world foo"]


def test_word_longer_than_the_line_is_folded() -> None:
    assert lines("abcdefghij xy", 4) == ["abcd", "efgh", "ij", "xy"]


def test_mixed_text_fills_lines_instead_of_leaving_them_half_empty() -> None:
    # Rich's own wrapping would move the whole CJK run after "ReLU" to the next line.
    expected = ["用 ReLU 取代", "Sigmoid 缓解梯度", "消失"]
    assert lines("用 ReLU 取代 Sigmoid 缓解梯度消失", 16) == expected


def test_closing_punctuation_never_starts_a_line() -> None:
    assert lines("一二三。四五", 6) == ["一二", "三。四", "五"]
    assert lines("ab cd, ef", 5) == ["ab", "cd,", "ef"]
    # From 6 cells on, the widest glued run (以）！) fits; narrower lines must fold it.
    for width in range(6, 14):
        for line in lines("他说：好的，（可以）！然后（再）说。", width):
            assert line[0] not in "：，）！。", (width, line)


def test_opening_punctuation_never_ends_a_line() -> None:
    assert lines("一二（三）", 6) == ["一二", "（三）"]
    for width in range(4, 12):
        for line in lines("见《深度学习》「第三章」（上）", width):
            assert line[-1] not in "（《「", (width, line)


def test_straight_quotes_pair_up_as_opening_and_closing() -> None:
    for width in range(5, 14):
        for line in lines('主线是"更深更好"：然后"再看"。', width):
            assert not line.startswith('"：') and not line.startswith("："), (width, line)
            assert line[0] != "。"
    assert lines('是"更深"：好', 6) == ['是"更', '深"：', "好"]


def test_an_atom_stays_on_one_line_when_it_fits() -> None:
    text = "设输出为 Hₒᵤₜ = (H + 2p − k)/s + 1 时"
    start = text.index("H")
    end = text.index(" 时")
    for width in range(cell_len(text[start:end]), 40):
        out = lines(text, width, atoms=[(start, end)])
        assert any(text[start:end] in line for line in out), (width, out)


def test_an_atom_longer_than_the_line_breaks_at_its_spaces() -> None:
    formula = "a + b + c + d"
    text = f"即 {formula}。"
    start = text.index("a")
    out = lines(text, 8, atoms=[(start, start + len(formula))])
    assert all(cell_len(line) <= 8 for line in out)
    assert "".join(out).replace(" ", "") == text.replace(" ", "")
    assert out[0] == "即 a + b", out  # it starts where the line has room, not on a fresh line


def test_hanging_indent_and_forced_breaks() -> None:
    out = wrap(Text("一二三四五六\n七八"), 6, first_prefix="• ", prefix="  ")
    assert [line.plain for line in out] == ["• 一二", "  三四", "  五六", "  七八"]
    assert [line.hard for line in out] == [False, False, True, True]
    assert all(line.body_start == 2 for line in out)


def test_styles_survive_wrapping() -> None:
    text = Text("普通文字加粗文字")
    text.stylize("bold", 4, 8)
    out = wrap(text, 6)
    bold = "".join(line.text.plain[span.start:span.end] for line in out
                   for span in line.text.spans if span.style == "bold")
    assert bold == "加粗文字"
