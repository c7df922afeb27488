"""Sheets and keys as one self-contained, print-ready HTML file (A4, inline CSS, no scripts,
nothing fetched). Bank Markdown goes through markdown-it with raw HTML disabled, so every text
from the bank comes out escaped; math is shown as Unicode, as in the terminal."""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt

from quiz.render.math import render_markdown_math
from quiz.sheets.model import NUMERIC, Sheet, SheetItem
from quiz.sheets.text import one_line, safe_text

STYLE = """
@page { size: A4; margin: 16mm 18mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       sans-serif; font-size: 11pt; line-height: 1.5; color: #111; margin: 0 auto;
       max-width: 180mm; }
section.sheet { break-after: page; page-break-after: always; }
section.sheet:last-child { break-after: auto; page-break-after: auto; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
.meta { color: #333; font-size: 10pt; margin-bottom: 8pt; }
.meta span { margin-right: 14pt; }
.item { break-inside: avoid; page-break-inside: avoid; margin: 10pt 0; }
.item h2 { font-size: 11pt; margin: 0 0 3pt; }
.item h2 .id { color: #666; font-weight: normal; font-size: 9pt; }
.answer { border-bottom: 1px solid #999; min-height: 2.6em; margin-top: 4pt; }
.key { background: #f4f4f4; padding: 4pt 8pt; }
.sources { color: #555; font-size: 9pt; }
pre, code { font-family: "Noto Sans Mono CJK SC", monospace; font-size: 9.5pt; }
pre { white-space: pre-wrap; }
table { border-collapse: collapse; } td, th { border: 1px solid #bbb; padding: 1pt 4pt; }
"""


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # commonmark with html off: a `<script>` in the bank is text, not a tag
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str) -> str:
    """Bank Markdown → safe HTML (math as Unicode, raw HTML escaped, control characters gone)."""
    return _markdown().render(render_markdown_math(safe_text(text)))


def _document(title: str, sections: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(one_line(title))}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def _header(sheet: Sheet, key: bool) -> str:
    title = html.escape(one_line(sheet.title) + ("（答案）" if key else ""))
    return (
        f"<h1>{title}</h1>\n<div class=\"meta\">"
        f"<span>学生：{html.escape(one_line(sheet.student_label))}</span>"
        f"<span>日期：{html.escape(sheet.date)}</span>"
        f"<span>seed：{sheet.seed} / {sheet.student_number}</span></div>"
    )


def _item_heading(item: SheetItem) -> str:
    seed = f" · seed {item.seed}" if item.kind == NUMERIC else ""
    return (f"<h2>{item.number}. <span class=\"id\">{html.escape(item.question_id)}{seed}"
            "</span></h2>")


def _sheet_section(sheet: Sheet) -> str:
    parts = [f"<section class=\"sheet\">\n{_header(sheet, key=False)}"]
    for item in sheet.items:
        parts.append(f"<div class=\"item\">{_item_heading(item)}\n{markdown_html(item.prompt)}"
                     "<div class=\"answer\">答：</div></div>")
    parts.append("</section>")
    return "\n".join(parts)


def _key_section(sheet: Sheet) -> str:
    parts = [f"<section class=\"sheet\">\n{_header(sheet, key=True)}"]
    for item in sheet.items:
        if item.kind == NUMERIC:
            body = (f"<p><strong>答案</strong>：{html.escape(one_line(item.answer))}</p>"
                    f"{markdown_html(item.worked)}")
        else:
            body = f"<p><strong>参考答案</strong>：</p>{markdown_html(item.answer)}"
        sources = html.escape(", ".join(item.sources)) or "—"
        parts.append(f"<div class=\"item\">{_item_heading(item)}\n{markdown_html(item.prompt)}"
                     f"<div class=\"key\">{body}</div>"
                     f"<p class=\"sources\">来源：{sources}</p></div>")
    parts.append("</section>")
    return "\n".join(parts)


def sheets_html(sheets: Sequence[Sheet]) -> str:
    """Every student's sheet in one file, each starting on a new page."""
    return _document(sheets[0].title if sheets else "", [_sheet_section(s) for s in sheets])


def keys_html(sheets: Sequence[Sheet]) -> str:
    """Every student's answer key in one file, each starting on a new page."""
    title = (sheets[0].title if sheets else "") + "（答案）"
    return _document(title, [_key_section(s) for s in sheets])
