"""What a sheet shows: bank text escaped in HTML and Markdown and clean on the terminal; the PDF
(typst + a CJK font) with one page per short sheet and the Chinese prompts as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.sheets.sheet_helpers import fill, pdf_ready, quiz

EVIL_BANK = """\
# 测试

## 为什么 <script>alert(1)</script>、[bold]粗[/bold] 与 \x1b[31m红色\x1b[0m 都不该生效？

```meta
id: evil-one
sources: 000#1.1
tags: 卷积基础
kind: concept
```

答案里有 <img src=x onerror=alert(1)>、[link](javascript:alert(1)) 和 \x1b]52;c;AAAA\x07 剪贴板。
"""


@pytest.fixture
def evil_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "evil.md").write_text(EVIL_BANK, encoding="utf-8")
    return folder


def test_bank_text_is_inert_in_html_markdown_and_terminal(
        tmp_path: Path, evil_bank: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    for fmt in ("md", "html"):  # both into one folder: the second run replaces (--force)
        code, _, err = quiz(capsys, "sheet", "--path", str(evil_bank), "--seed", "1", "--key",
                            "--format", fmt, "-o", str(out), "--force")
        assert code == 0, err
    files = [out / "sheets.html", out / "keys.html", out / "sheet-01.md",
             out / "keys" / "key-01.md"]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\x07" not in text
        if path.suffix == ".md":  # every `<` and `[` of the bank is backslash-escaped
            assert not re.search(r"(?<!\\)(<(script|img)|\[(bold|link)\])", text)
        else:
            assert "<script" not in text.lower() and "<img" not in text and "<a " not in text
    html = (out / "keys.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x" in html
    markdown = (out / "keys" / "key-01.md").read_text(encoding="utf-8")
    assert r"\<script\>" in markdown and r"\[bold\]粗\[/bold\]" in markdown
    assert r"\[link\](javascript" in markdown  # not a link any more
    sheet = out / "sheet-01.md"
    fill(sheet, lambda qid, seed: "\x1b[2J[red]清屏[/red]")
    code, text, _ = quiz(capsys, "check", "--bank", str(evil_bank), str(sheet))
    assert code == 0  # nothing numeric to get wrong: the concept item is not marked yet
    assert "\x1b" not in text and "\x07" not in text and "[red]清屏[/red]" in text




def _pdf_text(path: Path) -> tuple[int, list[str]]:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(path))
    return len(reader.pages), [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


@pytest.mark.skipif(not pdf_ready(), reason="typst or a CJK font is not installed")
def test_pdf_pages_and_chinese_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = ("num-conv-out-square", "conv-translation-invariance")
    code, _, err = quiz(capsys, "sheet", "--ids", *ids, "--students", "3", "--seed", "5",
                        "--format", "pdf", "--key", "-o", str(tmp_path / "pdf"))
    assert code == 0, err
    code, _, _ = quiz(capsys, "sheet", "--ids", *ids, "--students", "3", "--seed", "5",
                      "--key", "-o", str(tmp_path / "md"))
    pages, texts = _pdf_text(tmp_path / "pdf" / "sheets.pdf")
    # a one-page sheet per student, each starting on an odd page (a blank back between them)
    assert pages == 5 and texts[1] == texts[3] == "（此页空白）"
    for number, page in enumerate(texts[::2], start=1):
        sheet = (tmp_path / "md" / f"sheet-0{number}.md").read_text(encoding="utf-8")
        prompts = [line[2:] for line in sheet.splitlines() if line.startswith("> ")]
        assert prompts and all(re.sub(r"[\s`]+", "", p) in page for p in prompts), number
        assert "卷积是平移不变的吗？" in page and f"seed：5/{number}" in page
    key_pages, key_texts = _pdf_text(tmp_path / "pdf" / "keys.pdf")
    assert key_pages >= 3 and "来源：" in "".join(key_texts)


def test_pdf_without_a_cjk_font_says_what_to_install(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    typst = pytest.importorskip("typst")

    class NoCjk:
        def __init__(self, **_: object) -> None:
            pass

        def families(self) -> list[str]:
            return ["Libertinus Serif", "DejaVu Sans Mono"]

    monkeypatch.setattr(typst, "Fonts", NoCjk)
    code, out, err = quiz(capsys, "sheet", "--count", "2", "--seed", "1", "--format", "pdf",
                          "-o", str(tmp_path))
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "fonts-noto-cjk" in err
    assert not (tmp_path / "sheets.pdf").exists()


def test_html_is_self_contained_with_a_page_per_student(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Numeric and concept questions both (keys have a section per student for the numeric
    # ones), named rather than drawn: a draw would follow every change of the bank.
    code, _, err = quiz(capsys, "sheet", "--ids", "num-conv-out-square", "conv-1x1",
                        "num-params-conv-bias", "pool-role", "act-relu-why", "--students", "4",
                        "--seed", "8", "--format", "html", "--key", "-o", str(tmp_path))
    assert code == 0, err
    for name in ("sheets.html", "keys.html"):
        page = (tmp_path / name).read_text(encoding="utf-8")
        # sheets: one section per student; keys: the class key and the concept answers, then
        # one section of worked solutions per student (tests/sheets/test_printable.py)
        assert page.count('<section class="sheet">') == 4
        assert "break-after: page" in page and "size: A4" in page
        # (an inline SVG figure names its namespace, which is not a link)
        unlinked = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"<(script|link|img|iframe)\b|https?://|src=", unlinked)
    sheets = (tmp_path / "sheets.html").read_text(encoding="utf-8")
    assert [f"seed：8 / {n}" in sheets for n in range(1, 5)] == [True] * 4
    assert sheets.count('<div class="answer">答：</div>') == 20


def test_sheets_import_neither_textual_nor_sqlalchemy() -> None:
    import subprocess
    import sys

    code = ("import sys, quiz.sheets.select, quiz.sheets.markdown, quiz.sheets.reader, "
            "quiz.sheets.grading, quiz.sheets.report, quiz.sheets.html, quiz.sheets.pdf; "
            "print([m for m in ('textual', 'sqlalchemy') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"
