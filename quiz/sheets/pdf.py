"""Sheets and keys as PDF, typeset by typst (from PyPI, no network) with a CJK font.

The sheet data goes to typst as JSON (`sys.inputs`) and the template shows every string as
text: nothing from the bank or a roster is ever read as typst markup or code. Math is shown as
Unicode.

A document is a run of sections (a student's sheet; in the keys: the class key, the concept
answers, a student's worked solutions). Every page's footer names its section and counts that
section's pages only ("第 k / n 页"), so a page that comes loose still says whose it is. For duplex
printing every section starts on an odd page: no student's sheet begins on the back of another's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from quiz.render.math import render_markdown_math
from quiz.sheets.class_key import (
    CLASS_KEY_HEADING,
    CONCEPT_HEADING,
    WORKED_HEADING,
    class_key,
    class_line,
    column_legend,
    numeric_items,
)
from quiz.sheets.figures import figure_typst, item_figure
from quiz.sheets.model import NUMERIC, Sheet, SheetItem
from quiz.sheets.text import one_line, safe_text

# Preferred first; any family whose name says CJK is taken after these.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
             "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN")
INSTALL_HINT = ("install typst (pip install typst) and a CJK font "
                "(e.g. apt-get install fonts-noto-cjk)")

TEMPLATE = r"""
#let data = json(bytes(sys.inputs.data))
// An explicit date: typst would stamp the time of the run and two runs would differ.
#set document(title: data.title, date: if data.date == none { none } else {
  datetime(year: data.date.at(0), month: data.date.at(1), day: data.date.at(2)) })
#let muted = luma(110)
#let rule = 0.5pt + luma(150)

// A page belongs to the last section that starts on or before it; k / n count that section's
// pages. A page past the section's end is the blank back that duplex printing needs.
#let page-footer = context {
  let current = here().page()
  let starts = query(<quiz-section-start>).filter(s => s.location().page() <= current)
  if starts.len() > 0 {
    let start = starts.last()
    let first = start.location().page()
    let last = query(<quiz-section-end>).find(e => e.value == start.value).location().page()
    set text(size: 8pt, fill: muted)
    if current <= last {
      grid(columns: (1fr, auto), column-gutter: 1em, data.sections.at(start.value).footer,
           "第 " + str(current - first + 1) + " / " + str(last - first + 1) + " 页")
    } else {
      align(center, "（此页空白）")
    }
  }
}
#set page(paper: "a4", margin: (x: 18mm, top: 16mm, bottom: 20mm), footer: page-footer)
#set text(font: data.font, size: 10.5pt, lang: "zh", region: "cn")
#set par(leading: 0.65em, spacing: 0.8em)

#let lines(items) = for line in items { par(line) }
#let title-block(section) = {
  text(size: 15pt, weight: "bold", section.title)
  v(2pt)
  text(size: 9pt, fill: luma(60), section.meta.map(field => [#field]).join(h(1.2em)))
}
#let item-head(item) = {
  text(weight: "bold", str(item.number) + ". ")
  text(size: 8pt, fill: muted, item.label)
}

// numeric: room for the working, then the answer line; concept: ruled lines to write on
#let answer-space(kind) = if kind == "numeric" {
  block(width: 100%, height: 6.5em, above: 0.6em, below: 0pt, inset: (top: 3pt),
        text(size: 8pt, fill: luma(150), "计算过程"))
  block(width: 100%, above: 0pt, inset: (bottom: 3pt), stroke: (bottom: rule), "答：")
} else {
  block(width: 100%, height: 1.9em, above: 0.6em, below: 0pt, stroke: (bottom: rule),
        align(bottom, pad(bottom: 3pt, "答：")))
  for _ in range(5) {
    block(width: 100%, height: 1.9em, above: 0pt, below: 0pt, stroke: (bottom: 0.4pt + luma(190)))
  }
}

#let sheet-body(section) = {
  title-block(section)
  par(text(size: 9pt, data.instructions))
  line(length: 100%, stroke: rule)
  for item in section.items {
    block(breakable: false, above: 1.2em, width: 100%)[
      #item-head(item)
      #lines(item.prompt)
      #answer-space(item.kind)
    ]
  }
}

// A layer's geometry (quiz.sheets.figures): every cell a rectangle filled by its kind; every
// text shown as text.
#let cell-grid(cells, size, fills) = box(
  width: cells.at(0).len() * size, height: cells.len() * size,
  for (r, row) in cells.enumerate() {
    for (c, kind) in row.enumerate() {
      place(dx: c * size, dy: r * size,
            rect(width: size, height: size, fill: rgb(fills.at(kind)), stroke: 0.3pt + luma(140)))
    }
  })
#let geometry-figure(figure) = block(breakable: false, above: 8pt, width: 100%, {
  let size = figure.cell * 1pt
  set text(size: 8pt)
  par(text(size: 9pt, weight: "bold", figure.title) + h(1em) + figure.sizes)
  // an entry never breaks between its swatch and its label
  par(figure.legend.map(entry => box(box(rect(width: 7pt, height: 7pt, fill: rgb(
    figure.fills.at(entry.kind)), stroke: 0.3pt + luma(140))) + " " + entry.label)).join(
    h(1.2em)))
  for note in figure.notes { par(text(fill: muted, note)) }
  grid(columns: figure.panels.len(), column-gutter: 14pt,
       ..figure.panels.map(panel => stack(dir: ttb, spacing: 4pt, panel.label,
         cell-grid(panel.canvas, size, figure.fills), v(size),
         cell-grid(panel.output, size, figure.fills))))
  for panel in figure.panels { par(panel.caption) }
})

#let key-items(section) = {
  title-block(section)
  line(length: 100%, stroke: rule)
  for item in section.items {
    block(breakable: true, above: 1.1em, width: 100%)[
      #item-head(item)
      #lines(item.prompt)
      #block(fill: luma(244), inset: 6pt, width: 100%)[
        #text(weight: "bold", item.answer_label)#item.answer_first
        #lines(item.answer)
        #if item.at("figure", default: none) != none { geometry-figure(item.figure) }
      ]
      #text(size: 8.5pt, fill: muted, "来源：" + item.sources)
    ]
  }
}

#let key-table(section, size) = {
  set text(size: size)
  title-block(section)
  v(4pt)
  table(
    columns: section.header.len(), inset: (x: 4pt, y: 2.6pt), stroke: 0.4pt + luma(160),
    align: (x, y) => if x == 0 { left } else { right },
    fill: (x, y) => if y == 0 { luma(235) } else if calc.even(y) { luma(248) } else { none },
    table.header(..section.header.map(cell => text(weight: "bold", cell))),
    ..section.rows.flatten(),
  )
  v(4pt)
  for legend in section.legend { par(text(size: 0.95em, fill: luma(60), legend)) }
}

// The class key is one landscape page: the largest of these type sizes at which it fits; a
// class too large even at the smallest runs on, the table's header repeated on every page.
#let key-width = 297mm - 2 * 15mm
#let key-height = 210mm - 14mm - 20mm
#let class-key(section) = context {
  let fits = (9.5pt, 8.5pt, 7.5pt, 6.5pt).filter(size =>
    measure(block(width: key-width, key-table(section, size))).height <= key-height)
  key-table(section, if fits.len() > 0 { fits.first() } else { 6.5pt })
}

#let body(section) = {
  if section.kind == "sheet" { sheet-body(section) }
  else if section.kind == "class-key" { class-key(section) }
  else { key-items(section) }
}

#for (index, section) in data.sections.enumerate() {
  if index > 0 { pagebreak(to: if data.duplex { "odd" } else { none }) }
  let content = [
    #metadata(index)<quiz-section-start>#body(section)#metadata(index)<quiz-section-end>]
  if section.kind == "class-key" {
    set page(flipped: true, margin: (x: 15mm, top: 14mm, bottom: 20mm))
    content
  } else {
    content
  }
}
"""


class PdfUnavailable(RuntimeError):
    """typst or a CJK font is missing; the message says what to install."""


def cjk_font() -> str:
    try:
        import typst
    except ImportError:
        raise PdfUnavailable(f"PDF output needs typst: {INSTALL_HINT}") from None
    families = typst.Fonts(include_system_fonts=True).families()
    for name in CJK_FONTS:
        if name in families:
            return name
    for name in sorted(families):
        if "CJK" in name:
            return name
    raise PdfUnavailable(f"PDF output needs a CJK font and none was found: {INSTALL_HINT}")


def plain_lines(markdown: str) -> list[str]:
    """Bank Markdown as plain text lines: math as Unicode, emphasis and code marks dropped."""
    text = render_markdown_math(safe_text(markdown))
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"`([^`\n]*)`", r"\1", text)
    return [line.rstrip() for line in text.splitlines() if line.strip() and
            not line.strip().startswith("```")]


def _label(item: SheetItem) -> str:
    seed = f" · seed {item.seed}" if item.kind == NUMERIC else ""
    return f"{item.question_id}{seed}"


def _sheet_item(item: SheetItem) -> dict[str, Any]:
    return {"number": item.number, "label": _label(item), "kind": item.kind,
            "prompt": plain_lines(item.prompt)}


def _key_item(item: SheetItem) -> dict[str, Any]:
    numeric = item.kind == NUMERIC
    return {"number": item.number, "label": _label(item), "prompt": plain_lines(item.prompt),
            "answer_label": "答案：" if numeric else "参考答案：",
            "answer_first": one_line(item.answer) if numeric else "",
            "answer": plain_lines(item.worked if numeric else item.answer),
            "sources": ", ".join(item.sources) or "—", "figure": _figure(item)}


def _figure(item: SheetItem) -> dict[str, Any] | None:
    """The layer's geometry as data the template draws (quiz.sheets.figures), or None."""
    figure = item_figure(item)
    return figure_typst(figure) if figure is not None else None


def _student_meta(sheet: Sheet) -> list[str]:
    return [f"学生：{one_line(sheet.student_label)}", f"日期：{sheet.date}",
            f"seed：{sheet.seed} / {sheet.student_number}"]


def _student_footer(sheet: Sheet) -> str:
    return f"{one_line(sheet.student_label)} · seed {sheet.seed} / {sheet.student_number}"


def _sheet_section(sheet: Sheet) -> dict[str, Any]:
    return {"kind": "sheet", "footer": _student_footer(sheet), "title": one_line(sheet.title),
            "meta": _student_meta(sheet), "items": [_sheet_item(i) for i in sheet.items]}


def _key_sections(sheets: Sequence[Sheet]) -> list[dict[str, Any]]:
    """The class key (if any item is numeric), the concept answers once (if any), then each
    student's numeric worked solutions."""
    key = class_key(sheets)
    title = one_line(sheets[0].title)
    seed = f"seed {sheets[0].seed}"
    sections: list[dict[str, Any]] = []
    if key.columns:
        sections.append({
            "kind": "class-key", "footer": f"{CLASS_KEY_HEADING} · {seed}",
            "title": f"{title}（{CLASS_KEY_HEADING}）", "meta": [class_line(sheets)],
            "header": ["学生"] + [str(column.number) for column in key.columns],
            "rows": [[row.student, *row.cells] for row in key.rows],
            "legend": [column_legend(column) for column in key.columns]})
    if key.concepts:
        sections.append({
            "kind": "concepts", "footer": f"{CONCEPT_HEADING} · {seed}",
            "title": f"{title}（{CONCEPT_HEADING}）", "meta": [class_line(sheets)],
            "items": [_key_item(item) for item in key.concepts]})
    for sheet in sheets:
        if numeric_items(sheet):
            sections.append({
                "kind": "worked", "footer": f"{WORKED_HEADING} · {_student_footer(sheet)}",
                "title": f"{title}（{WORKED_HEADING}）", "meta": _student_meta(sheet),
                "items": [_key_item(item) for item in numeric_items(sheet)]})
    return sections


def _date_parts(day: str) -> list[int] | None:
    try:
        year, month, date = (int(part) for part in day.split("-"))
    except ValueError:
        return None
    return [year, month, date]


def document_data(kind: str, sheets: Sequence[Sheet], font: str, *,
                  duplex: bool = True) -> dict[str, Any]:
    from quiz.sheets.markdown import INSTRUCTIONS

    key = kind == "keys"
    sections = (_key_sections(sheets) if key else [_sheet_section(s) for s in sheets]) \
        if sheets else []
    return {
        "title": one_line(sheets[0].title) + ("（答案）" if key else "") if sheets else "",
        "date": _date_parts(sheets[0].date) if sheets else None,
        "font": font, "duplex": duplex, "instructions": INSTRUCTIONS, "sections": sections,
    }


def _typeset(kind: str, sheets: Sequence[Sheet], duplex: bool, **output: Any) -> object:
    import typst

    data = document_data(kind, sheets, cjk_font(), duplex=duplex)
    try:
        # bytes in, so the result comes back (a str would name a file)
        result: object = typst.compile(TEMPLATE.encode(), **output,
                                       sys_inputs={"data": json.dumps(data, ensure_ascii=False)})
    except typst.TypstError as error:  # a bug in the template, not in the user's input
        raise RuntimeError(f"typst failed: {error.message}") from error
    return result


def render_pdf(kind: str, sheets: Sequence[Sheet], *, duplex: bool = True) -> bytes:
    """Typeset `kind` ("sheets" or "keys") of every student into one PDF, each section starting
    on an odd page (`duplex`) or on the next page."""
    pdf = _typeset(kind, sheets, duplex, format="pdf")
    assert isinstance(pdf, bytes)
    return pdf


def render_png_pages(kind: str, sheets: Sequence[Sheet], *, ppi: float = 72,
                     duplex: bool = True) -> list[bytes]:
    """The same document as one PNG per page: what a person sees, for checking the layout."""
    pages = _typeset(kind, sheets, duplex, format="png", ppi=ppi)
    # typst gives a single page as bytes and several as a list
    return [pages] if isinstance(pages, bytes) else list(pages) if isinstance(pages, list) else []
