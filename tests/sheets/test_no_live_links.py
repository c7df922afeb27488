"""Exports carry no live links (issue 21): images and links from the bank become text in the
.apkg's fields and in HTML sheets and keys; no `javascript:` survives, not even in math."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import pytest

from quiz.sheets.anki import anki_html
from quiz.sheets.html import inert_source, markdown_html
from tests.sheets.sheet_helpers import quiz

HOSTILE = """\
# 链接与图片

## 图里的卷积 ![t](http://e/t.png) [title](javascript:alert(3))

```meta
id: linked-card
sources: 000#2.2
tags: 卷积
kind: concept
origin: authored
```

**核心**：见图 ![x](http://e/x.png) 和 ![y](/etc/hostname)，再点 [z](javascript:alert(1))。

原样的 <img src=x onerror=alert(2)> 与 <a href="http://e/">a</a>，自动链接 <javascript:alert(4)>
和 <http://e/auto>，引用式 [r][1]，公式 $\\href{javascript:alert(1)}{x}$ 与
$$\\url{javascript:alert(5)} + \\href {javascript:a{b}}{y} + \\class{c}{z} \\require{html}$$

[1]: JaVaScRiPt:alert(6)
"""
LIVE = ("<img", "<a ", "href", "src=", "javascript:")


@pytest.fixture
def hostile_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "linked.md").write_text(HOSTILE, encoding="utf-8")
    return folder


def assert_inert(text: str) -> None:
    found = [mark for mark in LIVE if mark in text.lower()]
    assert not found, (found, text)


def test_apkg_fields_hold_links_and_images_as_text(
        tmp_path: Path, hostile_bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deck = tmp_path / "quiz.apkg"
    code, _, err = quiz(capsys, "export", "--anki", str(deck), "--path", str(hostile_bank))
    assert code == 0, err
    with zipfile.ZipFile(deck) as package:
        (tmp_path / "collection.anki2").write_bytes(package.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        notes = connection.execute("SELECT flds FROM notes").fetchall()
    finally:
        connection.close()
    assert len(notes) == 1
    fields = notes[0][0]
    assert_inert(fields)
    # the words stay: an image's alt, a link's text, the formula's argument
    assert "[图：x]" in fields and "[图：y]" in fields and "再点 z。" in fields
    assert "\\({x}\\)" in fields and "&lt;img&gt;" in fields and "title" in fields


def test_html_sheets_and_keys_hold_links_and_images_as_text(
        tmp_path: Path, hostile_bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, err = quiz(capsys, "sheet", "--path", str(hostile_bank), "--seed", "1", "--key",
                        "--format", "html", "-o", str(out))
    assert code == 0, err
    for name in ("sheets.html", "keys.html"):
        page = (out / name).read_text(encoding="utf-8")
        body = page[page.index("<body>"):]
        # raw HTML of the bank is escaped text there (`&lt;a href=…`); no tag has an address
        assert "<img" not in body and "<a " not in body
        assert not re.search(r"<[^>]*\b(href|src)=", body)
        assert "javascript:" not in body.lower()
    keys = (out / "keys.html").read_text(encoding="utf-8")
    assert "[图：x]" in keys and "再点 z。" in keys


@pytest.mark.parametrize("source", [
    "![x](http://e/x.png)", "![y](/etc/hostname)", "[z](javascript:alert(1))",
    "<javascript:alert(1)>", "[r][1]\n\n[1]: javascript:alert(1)", "`javascript:alert(1)`",
    "$\\href{javascript:alert(1)}{x}$", "$$\\href{javascript:{}}{x}$$", "$\\url{javascript:1}$",
    "$\\href javascript:1$", "$\\style{color:red}{x} \\cssId{i}{x} \\data{a=b}{x}$",
])
def test_each_form_is_text(source: str) -> None:
    assert_inert(anki_html(source))
    assert "<img" not in markdown_html(source) and "<a " not in markdown_html(source)
    assert "javascript:" not in markdown_html(source).lower()
    assert "href" not in markdown_html(source)


def test_plain_math_and_text_are_unchanged() -> None:
    assert inert_source("$\\frac{a}{b} \\hrefx \\urls$") == "$\\frac{a}{b} \\hrefx \\urls$"
    assert anki_html("$C_{in} \\cdot C_{out}$ 个参数") == (
        "<p>\\(C_{in} \\cdot C_{out}\\) 个参数</p>\n")
