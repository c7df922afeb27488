"""Exports carry no live links (issue 21): images and links from the bank become text in the
.apkg's fields and in every sheet format (Markdown, HTML, PDF) and their keys; no `javascript:`
survives, not even in math. Every writer passes bank text through quiz.sheets.text.safe_text."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from quiz.sheets.anki import anki_html
from quiz.sheets.html import markdown_html
from quiz.sheets.text import escape_markdown, inert_source, one_line, quoted
from tests.sheets.sheet_helpers import pdf_ready, quiz

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
# A numeric template whose prompt links: its instances reach the class key and worked solutions.
NUMERIC = """\
# 数值

## 输出尺寸 [n](javascript:alert(7))

```meta
id: linked-numeric
sources: 000#2.2
tags: 卷积
kind: numeric
origin: authored
```

见 [w](javascript:alert(8))：按公式算。

```template
family: conv-output
ask: output_hw(net)
tolerance: 0
params:
  H: 14..30
  k: 1, 3
net:
  input 3x{H}x{H}
  conv 8 k{k} s1 p0
prompt:
  输入 {H}×{H}，{k}×{k} 卷积，见 [p](javascript:alert(9))
  与 $\\href{javascript:alert(10)}{H}$。输出高×宽？
```
"""


@pytest.fixture
def hostile_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "linked.md").write_text(HOSTILE, encoding="utf-8")
    return folder


@pytest.fixture
def hostile_class_bank(hostile_bank: Path) -> Path:
    (hostile_bank / "numeric.md").write_text(NUMERIC, encoding="utf-8")
    return hostile_bank


def assert_inert(text: str) -> None:
    found = [mark for mark in LIVE if mark in text.lower()]
    assert not found, (found, text)


def assert_renders_no_link(markdown: str) -> None:
    """As a Markdown viewer that lets raw HTML through shows it: no tag with an address."""
    rendered = MarkdownIt("commonmark", {"html": True}).render(markdown)
    # the metadata comment is data, never shown (its JSON escapes `<` and `>`)
    rendered = re.sub(r"<!--.*?-->", "", rendered, flags=re.DOTALL)
    assert "<img" not in rendered and "<a " not in rendered, rendered
    assert not re.search(r"<[^>]*\b(href|src)=", rendered), rendered


def make_class(capsys: pytest.CaptureFixture[str], bank: Path, out: Path, fmt: str,
               *extra: str) -> list[Path]:
    code, _, err = quiz(capsys, "sheet", "--path", str(bank), "--seed", "1", "--key",
                        "--students", "2", "--format", fmt, "-o", str(out), *extra)
    assert code == 0, err
    return sorted(path for path in out.rglob("*") if path.is_file())


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


def test_markdown_sheets_keys_and_manifest_hold_links_as_text(
        tmp_path: Path, hostile_class_bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    files = make_class(capsys, hostile_class_bank, out, "md")
    names = {path.relative_to(out).as_posix() for path in files}
    assert names == {"manifest.json", "sheet-01.md", "sheet-02.md", "keys/key-01.md",
                     "keys/key-02.md"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "javascript:" not in text.lower(), (path, text)
        assert "\\href" not in text and "\\url" not in text, (path, text)
        if path.suffix == ".md":
            assert_renders_no_link(text)
    key = (out / "keys" / "key-01.md").read_text(encoding="utf-8")
    # the words stay, as text: a link's words and address, the formula's argument
    assert "\\[z\\](javascript：alert(1))" in key and "${x}$" in key
    assert "javascript：alert(9)" in key  # the numeric instance's prompt, as printed


def test_a_title_and_roster_names_make_no_link_in_a_markdown_sheet(
        tmp_path: Path, hostile_bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line quoted on every sheet holds the title verbatim: a backtick in it must not
    close the code span and leave a link behind it."""
    roster = tmp_path / "roster.txt"
    roster.write_text("k1\t[n](javascript:alert(11))\nk2\t<img src=x>\n", encoding="utf-8")
    out = tmp_path / "out"
    title = "a` [t](http://e/t) `b"
    code, _, err = quiz(capsys, "sheet", "--path", str(hostile_bank), "--seed", "1", "--key",
                        "--roster", str(roster), "--title", title, "-o", str(out))
    assert code == 0, err
    for path in sorted(out.rglob("*.md")):
        assert_renders_no_link(path.read_text(encoding="utf-8"))
    first = (out / "sheet-01.md").read_text(encoding="utf-8")
    assert "- 学生：\\[n\\](javascript：alert(11))（1/2）" in first, first
    assert "- 学生：\\<img src=x\\>（2/2）" in (out / "sheet-02.md").read_text(encoding="utf-8")
    code, _, err = quiz(capsys, "check", str(out / "sheet-01.md"))
    assert "Traceback" not in err and code == 1, err  # still read back: unanswered


@pytest.mark.skipif(not pdf_ready(), reason="PDF needs typst and a CJK font")
def test_pdf_sheets_and_keys_hold_links_as_text(
        tmp_path: Path, hostile_class_bank: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What typst is given (every string it shows) holds no script URL, and the PDFs have no
    link annotation or script action."""
    import typst

    given: list[str] = []
    compile_ = typst.compile

    def recording(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs["sys_inputs"]["data"])
        return compile_(*args, **kwargs)

    monkeypatch.setattr(typst, "compile", recording)
    out = tmp_path / "out"
    files = make_class(capsys, hostile_class_bank, out, "pdf")
    assert {path.name for path in files} == {"sheets.pdf", "keys.pdf", "manifest.json"}
    assert len(given) == 2
    for data in given:
        assert "javascript:" not in data.lower() and "\\href" not in data, data
    keys = json.loads(given[1])
    assert "javascript：alert(1)" in json.dumps(keys, ensure_ascii=False)
    for path in files:
        content = path.read_bytes()
        assert b"/URI" not in content and b"/JavaScript" not in content and \
            b"javascript:" not in content.lower(), path


def test_manifest_of_an_html_class_holds_no_script_url(
        tmp_path: Path, hostile_class_bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    files = make_class(capsys, hostile_class_bank, out, "html")
    assert {path.name for path in files} == {"sheets.html", "keys.html", "manifest.json"}
    for path in files:
        assert "javascript:" not in path.read_text(encoding="utf-8").lower(), path


@pytest.mark.parametrize("source", [
    "[z](javascript:alert(1))", "<javascript:alert(1)>", "[r][1]\n\n[1]: javascript:alert(1)",
    "`javascript:alert(1)`", "点javascript:alert(1)", "$\\href{javascript:alert(1)}{x}$",
    "$$\\url{javascript:1}$$", "JAVASCRIPT :alert(1)", "vbscript:msgbox(1)",
])
def test_every_sheet_writer_gets_text_without_script_urls(source: str) -> None:
    from quiz.sheets.pdf import plain_lines

    for shown in (escape_markdown(source), quoted(source), one_line(source),
                  "\n".join(plain_lines(source)), markdown_html(source), anki_html(source)):
        assert not re.search(r"(?i)(java|vb)script\s*:", shown), (source, shown)
        assert "\\href" not in shown and "\\url" not in shown, (source, shown)
    assert_renders_no_link(escape_markdown(source))
