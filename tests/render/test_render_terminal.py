"""The terminal renderer's blocks: lists, code, tables, soft breaks, math and code spans."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from quiz.render.terminal import BankMarkdown


def plain(markdown: str, width: int = 60) -> list[str]:
    return [line.plain for line in BankMarkdown(markdown).lines(width)]


def test_bullets_nest_and_hang() -> None:
    lines = plain("- 甲乙丙丁戊己庚辛壬癸\n  - 子丑\n- 寅", width=12)
    assert lines == ["• 甲乙丙丁戊", "  己庚辛壬癸", "  ◦ 子丑", "• 寅"]


def test_numbered_items_align_their_markers() -> None:
    markdown = "\n".join(f"{n}. 第{n}项" for n in range(8, 12))
    assert plain(markdown) == [" 8. 第8项", " 9. 第9项", "10. 第10项", "11. 第11项"]


def test_code_blocks_are_folded_not_rewrapped() -> None:
    source = "x = conv(  a,  b )  # " + "长" * 30
    lines = plain(f"```\n{source}\n```", width=20)
    assert all(cell_len(line) <= 20 for line in lines)
    assert "".join(lines) == source  # every blank kept, nothing moved between words


def test_tables_fit_the_width() -> None:
    row = "| 卷积层的连接方式是局部连接，每个输出只看一个邻域 | 全连接层每个输出连接全部输入 |"
    markdown = f"| 方面 | 说明 |\n|---|---|\n{row}\n| 参数 | $C_{{out}}(C_{{in}} k^2 + 1)$ |"
    for width in (30, 50, 80):
        lines = plain(markdown, width)
        assert all(cell_len(line) <= width for line in lines), width
        # The formula needs 16 cells: whole once its column can have them.
        assert any("Cₒᵤₜ(Cᵢₙ k² + 1)" in line for line in lines) == (width >= 50), width


def test_soft_breaks_join_chinese_without_a_space() -> None:
    assert plain("卷积\n池化 and\nmore") == ["卷积池化 and more"]


def test_math_is_rendered_but_code_and_money_are_not() -> None:
    lines = plain(r"价格 \$5，公式 $x^2$，代码 `$y^2$`")
    assert lines == ["价格 $5，公式 x²，代码 $y^2$"]


def test_display_formula_on_its_own_is_indented_and_bold() -> None:
    document = BankMarkdown("前文\n\n$$\\frac{a+b}{c}$$\n\n后文")
    lines = document.lines(40)
    assert [line.plain for line in lines] == ["前文", "", "  (a+b)/c", "", "后文"]
    assert any(span.style.bold for span in lines[2].text.spans)


def test_render_through_a_console_at_its_width() -> None:
    console = Console(file=io.StringIO(), width=24, color_system=None)
    console.print(BankMarkdown("**核心**：" + "卷积" * 20))
    output = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len(output) > 1 and all(cell_len(line) <= 24 for line in output)
    assert output[0].startswith("核心：")  # bold markers are styling, not text
