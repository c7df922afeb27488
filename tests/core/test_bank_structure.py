"""The bank reader finds headings and fenced blocks with a line scanner; markdown-it (a full
CommonMark parser) is the reference it must agree with on every top-level heading and fence."""

from __future__ import annotations

import random

import pytest
from markdown_it import MarkdownIt

from quiz.bank.files import bank_files
from quiz.bank.parser import _Fence, _Heading, scan
from quiz.paths import bundled_bank_dir

COMMONMARK = MarkdownIt("commonmark").disable("inline")


def _reference(text: str) -> list[tuple[object, ...]]:
    """Top-level headings (level, title, line) and fences (info, content, first, end) as
    markdown-it sees them."""
    tokens = COMMONMARK.parse(text)
    found: list[tuple[object, ...]] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.map is None:
            continue
        if token.type == "heading_open":
            found.append(("h", int(token.tag[1]), tokens[index + 1].content, token.map[0]))
        elif token.type == "fence":
            found.append(("f", token.info.strip(), token.content, token.map[0], token.map[1]))
    return found


def _scanned(text: str) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    for item in scan(text)[1]:
        if isinstance(item, _Heading):
            found.append(("h", item.level, item.title, item.line))
        else:
            assert isinstance(item, _Fence)
            found.append(("f", item.info, item.content, item.start, item.end))
    return found


def test_agrees_with_commonmark_on_every_bundled_file() -> None:
    for path in bank_files(bundled_bank_dir()):
        text = path.read_text(encoding="utf-8")
        assert _scanned(text) == _reference(text), path.name


# Random documents made of the blocks a bank file has at its top level, with the awkward cases of
# each: headings with closing hashes, tabs, empty headings, seven hashes, `#` without a space;
# fences of either marker and length with `##` lines inside, shorter or longer closers, indented
# closers and fences that never close; indented code holding `## x`; quotes and lists holding
# heading-like text; paragraphs that contain `#` and backticks.
def _heading_block(rng: random.Random) -> str:
    hashes = "#" * rng.choice((1, 2, 2, 2, 3, 6, 7))
    title = rng.choice(("问题", "What is a ## b?", "卷积 #", "x ##", "", "  spaced  ", "a#b"))
    closing = rng.choice(("", "", " ##", " #####", "#", " \t#  "))
    gap = rng.choice((" ", " ", "\t", "", "  "))
    return f"{' ' * rng.randint(0, 3)}{hashes}{gap}{title}{closing}"


def _fence_block(rng: random.Random, last: bool) -> str:
    marker = rng.choice("`~") * rng.randint(3, 5)
    info = rng.choice(("meta", "template", "claim x", " python ", "", "a`b" if marker[0] == "~"
                       else "text"))
    indent = " " * rng.randint(0, 3)
    inner = [rng.choice(("## not a heading", "   indented", "id: q1", "", "~~", "``",
                         marker[:2], f"{marker[0] * 3} x", "\t# tab"))
             for _ in range(rng.randint(0, 4))]
    closer = rng.choice((marker, marker + marker[0], " " * rng.randint(0, 3) + marker,
                         marker[:-1] if len(marker) > 3 else marker + "  "))
    if last and rng.random() < 0.3:
        closer = ""  # a fence left open runs to the end of the file
    return "\n".join([f"{indent}{marker}{info}", *inner, *([closer] if closer else [])])


def _other_block(rng: random.Random) -> str:
    return rng.choice((
        "段落里有 ## 井号和 `代码`。\n第二行 #5 也不是标题。",
        "    ## indented code, not a heading\n    ```",
        "> ## quoted heading\n> 引文",
        "> 勘误 004#36：原文有误。",
        "- 列表项\n- ## 列表里的标题",
        "1. 第一\n2. 第二",
        "***",
        "#hashtag 不是标题",
        "####### 七个井号",
    ))


def _document(rng: random.Random) -> str:
    blocks = []
    count = rng.randint(1, 12)
    for index in range(count):
        roll = rng.random()
        if roll < 0.35:
            blocks.append(_heading_block(rng))
        elif roll < 0.65:
            blocks.append(_fence_block(rng, last=index == count - 1))
        else:
            blocks.append(_other_block(rng))
    # Lists take indented lines after them as their own, so blocks after one start at column 0.
    return "\n\n".join(blocks) + rng.choice(("", "\n", "\r\n"))


@pytest.mark.parametrize("seed", range(400))
def test_agrees_with_commonmark_on_random_documents(seed: int) -> None:
    rng = random.Random(seed)
    text = _document(rng)
    if any(line.lstrip().startswith(("- ", "1. ", "2. ")) for line in text.splitlines()):
        # A list followed by an indented block would own it; keep the next block unindented.
        text = "\n".join(line if not line.startswith(" ") or line.startswith("    ")
                         else line.lstrip(" ") for line in text.split("\n"))
    assert _scanned(text) == _reference(text), text


def test_line_numbers_follow_commonmark_line_endings() -> None:
    # Only \n, \r\n and \r end a line (as in an editor); a form feed or U+2028 inside a line
    # must not shift the line numbers of the headings after it.
    text = "# T\r\n\x0cpara\u2028graph\r## Q\n"
    assert [item[3] for item in _scanned(text) if item[0] == "h"] == [0, 2]
    assert _scanned(text) == _reference(text)
