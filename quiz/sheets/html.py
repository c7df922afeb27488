"""Sheets and keys as one self-contained, print-ready HTML file (A4, inline CSS, no scripts,
nothing fetched). Bank Markdown goes through markdown-it with raw HTML disabled, so every text
from the bank comes out escaped; math is shown as Unicode, as in the terminal.

The sheets carry the same instructions as the Markdown and PDF ones and the same answer space by
kind; the keys the same class key as the PDF (quiz.sheets.class_key)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from quiz.render.math import render_markdown_math
from quiz.sheets.class_key import (
    CLASS_KEY_HEADING,
    CONCEPT_HEADING,
    WORKED_HEADING,
    ClassKey,
    class_key,
    class_line,
    column_legend,
    numeric_items,
)
from quiz.sheets.figures import figure_svg, item_figure, svg_style
from quiz.sheets.model import NUMERIC, Sheet, SheetItem
from quiz.sheets.text import one_line, safe_text, without_script_urls

STYLE = """
@page { size: A4; margin: 16mm 18mm; }
@page class-key { size: A4 landscape; margin: 14mm 15mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       sans-serif; font-size: 11pt; line-height: 1.5; color: #111; margin: 0 auto;
       max-width: 180mm; }
section { break-after: page; page-break-after: always; }
section:last-child { break-after: auto; page-break-after: auto; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
.meta { color: #333; font-size: 10pt; margin-bottom: 8pt; }
.meta span { margin-right: 14pt; }
.item { break-inside: avoid; page-break-inside: avoid; margin: 10pt 0; }
.item h2 { font-size: 11pt; margin: 0 0 3pt; }
.item h2 .id { color: #666; font-weight: normal; font-size: 9pt; }
.instructions { font-size: 9.5pt; border-bottom: 1px solid #999; padding-bottom: 6pt; }
.answer { border-bottom: 1px solid #999; min-height: 2.6em; margin-top: 4pt; }
.working { min-height: 6.5em; color: #999; font-size: 8pt; margin-top: 4pt; }
.working + .answer { margin-top: 0; min-height: 1.6em; }
.ruled { height: 1.9em; border-bottom: 1px solid #ccc; }
section.class-key { page: class-key; }
@media print { body { max-width: none; } }
table.class-key { font-size: 8.5pt; line-height: 1.2; }
table.class-key td, table.class-key th { padding: 0 4pt; }
table.class-key td { text-align: right; white-space: nowrap; }
table.class-key td:first-child, table.class-key th:first-child { text-align: left; }
table.class-key thead { display: table-header-group; }
.legends { columns: 2; font-size: 8pt; color: #444; margin-top: 4pt; }
.legend { margin: 0; }
.key { background: #f4f4f4; padding: 4pt 8pt; }
.figure { margin-top: 6pt; } .figure svg { max-width: 100%; height: auto; }
.sources { color: #555; font-size: 9pt; }
pre, code { font-family: "Noto Sans Mono CJK SC", monospace; font-size: 9.5pt; }
pre { white-space: pre-wrap; }
table { border-collapse: collapse; } td, th { border: 1px solid #bbb; padding: 1pt 4pt; }
"""


CONCEPT_LINES = 5  # ruled lines under a concept item's 答：, as on the PDF sheet


def _no_tag(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
            env: Any) -> str:
    return ""


def _image_text(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
                env: Any) -> str:
    alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
    return html.escape(f"[图：{alt}]" if alt else "[图]")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # commonmark with html off: a `<script>` in the bank is text, not a tag. Links and images
    # are text too (a link's words, an image's alt): nothing in a sheet or a deck is fetched or
    # followed. Every address is accepted as a link so that none is left as literal text.
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.add_render_rule("link_open", _no_tag)
    md.add_render_rule("link_close", _no_tag)
    md.add_render_rule("image", _image_text)
    return md


def markdown_html(text: str) -> str:
    """Bank Markdown → safe HTML (math as Unicode, raw HTML escaped, links and images as text,
    control characters gone)."""
    # safe_text before rendering (quiz.sheets.text), and the script URLs again after it: an
    # entity of the bank (`&#106;avascript:`) is rendered as the letters themselves
    return without_script_urls(_markdown().render(render_markdown_math(safe_text(text))))


def _document(title: str, sections: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(one_line(title))}</title>\n<style>{STYLE}{svg_style()}</style>\n"
        "</head>\n<body>\n"
        + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def _header(sheet: Sheet, heading: str = "") -> str:
    title = html.escape(one_line(sheet.title) + (f"（{heading}）" if heading else ""))
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


def _answer_space(item: SheetItem) -> str:
    """Numeric: room for the working, then the answer line; concept: ruled lines to write on."""
    if item.kind == NUMERIC:
        return '<div class="working">计算过程</div><div class="answer">答：</div>'
    return '<div class="answer">答：</div>' + '<div class="ruled"></div>' * CONCEPT_LINES


def _sheet_section(sheet: Sheet) -> str:
    from quiz.sheets.markdown import INSTRUCTIONS

    parts = [f"<section class=\"sheet\">\n{_header(sheet)}",
             f"<p class=\"instructions\">{html.escape(INSTRUCTIONS)}</p>"]
    for item in sheet.items:
        parts.append(f"<div class=\"item\">{_item_heading(item)}\n{markdown_html(item.prompt)}"
                     f"{_answer_space(item)}</div>")
    parts.append("</section>")
    return "\n".join(parts)


def _figure(item: SheetItem) -> str:
    """The layer's geometry as inline SVG (no script: the page's CSP allows it)."""
    figure = item_figure(item)
    return f'<div class="figure">{figure_svg(figure)}</div>' if figure is not None else ""


def _key_item(item: SheetItem) -> str:
    if item.kind == NUMERIC:
        body = (f"<p><strong>答案</strong>：{html.escape(one_line(item.answer))}</p>"
                f"{markdown_html(item.worked)}{_figure(item)}")
    else:
        body = f"<p><strong>参考答案</strong>：</p>{markdown_html(item.answer)}"
    sources = html.escape(one_line(", ".join(item.sources))) or "—"
    return (f"<div class=\"item\">{_item_heading(item)}\n{markdown_html(item.prompt)}"
            f"<div class=\"key\">{body}</div><p class=\"sources\">来源：{sources}</p></div>")


def _class_heading(sheets: Sequence[Sheet], heading: str) -> str:
    title = html.escape(f"{one_line(sheets[0].title)}（{heading}）")
    return f"<h1>{title}</h1>\n<div class=\"meta\">{html.escape(class_line(sheets))}</div>"


def _class_key_section(sheets: Sequence[Sheet], key: ClassKey) -> str:
    head = "".join(f"<th>{column.number}</th>" for column in key.columns)
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in (row.student, *row.cells))
        + "</tr>" for row in key.rows)
    legend = "\n".join(f"<p class=\"legend\">{html.escape(column_legend(column))}</p>"
                       for column in key.columns)
    return (f"<section class=\"class-key\">\n{_class_heading(sheets, CLASS_KEY_HEADING)}\n"
            f"<table class=\"class-key\">\n<thead><tr><th>学生</th>{head}</tr></thead>\n"
            f"<tbody>\n{rows}\n</tbody>\n</table>\n<div class=\"legends\">\n{legend}\n</div>\n"
            "</section>")


def _concept_section(sheets: Sequence[Sheet], key: ClassKey) -> str:
    items = "\n".join(_key_item(item) for item in key.concepts)
    return (f"<section class=\"concepts\">\n{_class_heading(sheets, CONCEPT_HEADING)}\n"
            f"{items}\n</section>")


def _worked_section(sheet: Sheet) -> str:
    parts = [f"<section class=\"sheet\">\n{_header(sheet, heading=WORKED_HEADING)}"]
    parts += [_key_item(item) for item in numeric_items(sheet)]
    parts.append("</section>")
    return "\n".join(parts)


def sheets_html(sheets: Sequence[Sheet]) -> str:
    """Every student's sheet in one file, each starting on a new page."""
    return _document(sheets[0].title if sheets else "", [_sheet_section(s) for s in sheets])


def keys_html(sheets: Sequence[Sheet]) -> str:
    """The class key (a row per student, a column per numeric item), the concept items'
    reference answers once, then each student's numeric worked solutions on a new page."""
    title = (sheets[0].title if sheets else "") + "（答案）"
    if not sheets:
        return _document(title, [])
    key = class_key(sheets)
    sections = [_class_key_section(sheets, key)] if key.columns else []
    sections += [_concept_section(sheets, key)] if key.concepts else []
    sections += [_worked_section(sheet) for sheet in sheets if numeric_items(sheet)]
    return _document(title, sections)
