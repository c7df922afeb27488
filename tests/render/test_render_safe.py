"""Bank text is text: markup shows literally, control characters never reach the terminal."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from quiz.render.safe import safe_text
from quiz.render.terminal import BankMarkdown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("红\x1b[31m色\x1b[0m", "红色"),                       # CSI colour
        ("a\x1b]52;c;aGVsbG8=\x07b", "ab"),                  # OSC 52 clipboard write, BEL end
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC 8 hyperlink, ST end
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),                  # DCS (sixel)
        ("a\x9b2Jb", "ab"),                                  # 8-bit CSI
        ("a\x00b\x07c\x08d\x7fe\x85f", "abcdef"),            # C0, DEL, C1
        ("abc\rdef", "abcdef"),                              # bare CR would overwrite
        ("x\r\ny\tz", "x\ny\tz"),                            # CRLF → LF, tab kept
        ("a\u202eb", "ab"),                                  # bidi override
        ("普通文字 [bold]不是标记[/bold]", "普通文字 [bold]不是标记[/bold]"),
    ],
)
def test_safe_text(raw: str, expected: str) -> None:
    assert safe_text(raw) == expected


def render(markdown: str, width: int = 60) -> str:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor",
                      force_terminal=True)
    console.print(BankMarkdown(markdown))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_markup_in_an_answer_is_shown_literally() -> None:
    document = BankMarkdown("答案里写 [bold red]x[/bold red] 和 [link=http://e]y[/link]。")
    text = "\n".join(line.plain for line in document.lines(80))
    assert "[bold red]x[/bold red]" in text and "[link=http://e]y[/link]" in text


def test_control_sequences_in_an_answer_do_not_reach_the_terminal() -> None:
    output = render("前\x1b]52;c;ZXZpbA==\x07后 **粗\x1b[2J体** `co\x1bde`\n\n```\nx\x1b[1Ay\n```")
    # The console emits its own SGR styling; nothing else may come through.
    without_sgr = re.sub(r"\x1b\[[0-9;]*m", "", output)
    assert "\x1b" not in without_sgr and "\x07" not in without_sgr
    assert "前后" in without_sgr and "粗体" in without_sgr and "xy" in without_sgr
