"""Sheets and keys as PDF, typeset by typst (from PyPI, no network) with a CJK font.

The sheet data goes to typst as JSON (`sys.inputs`) and the template shows every string as
text: nothing from the bank is ever read as typst markup or code. Math is shown as Unicode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quiz.render.math import render_markdown_math
from quiz.sheets.model import NUMERIC, Sheet, SheetItem
from quiz.sheets.text import one_line, safe_text

# Preferred first; any family whose name says CJK is taken after these.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
             "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN")
INSTALL_HINT = ("install typst (pip install typst) and a CJK font "
                "(e.g. apt-get install fonts-noto-cjk)")

TEMPLATE = r"""
#let data = json(bytes(sys.inputs.data))
#set document(title: data.title)
#set page(paper: "a4", margin: (x: 18mm, y: 16mm),
  footer: context align(center, text(size: 8pt, fill: gray, counter(page).display())))
#set text(font: data.font, size: 10.5pt, lang: "zh", region: "cn")
#set par(leading: 0.65em, spacing: 0.8em)
#let lines(items) = for line in items { par(line) }
#for (index, sheet) in data.sheets.enumerate() {
  if index > 0 { pagebreak() }
  text(size: 15pt, weight: "bold", sheet.title)
  v(2pt)
  text(size: 9pt, fill: luma(60))[
    学生：#sheet.student #h(1.2em) 日期：#sheet.date #h(1.2em) seed：#sheet.seed]
  if not data.key { par(text(size: 9pt, sheet.instructions)) }
  line(length: 100%, stroke: 0.5pt + luma(150))
  for item in sheet.items {
    block(breakable: data.key, above: 1.1em, width: 100%)[
      #text(weight: "bold", str(item.number) + ". ")#text(size: 8pt, fill: luma(110), item.label)
      #lines(item.prompt)
      #if data.key {
        block(fill: luma(244), inset: 6pt, width: 100%)[
          #text(weight: "bold", item.answer_label)#item.answer_first
          #lines(item.answer)
        ]
        text(size: 8.5pt, fill: luma(90), "来源：" + item.sources)
      } else {
        block(height: 3.2em, width: 100%, stroke: (bottom: 0.5pt + luma(150)))[答：]
      }
    ]
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


def _item(item: SheetItem, key: bool) -> dict[str, Any]:
    seed = f" · seed {item.seed}" if item.kind == NUMERIC else ""
    row: dict[str, Any] = {"number": item.number, "label": f"{item.question_id}{seed}",
                           "prompt": plain_lines(item.prompt)}
    if key:
        numeric = item.kind == NUMERIC
        row["answer_label"] = "答案：" if numeric else "参考答案："
        row["answer_first"] = one_line(item.answer) if numeric else ""
        row["answer"] = plain_lines(item.worked if numeric else item.answer)
        row["sources"] = ", ".join(item.sources) or "—"
    return row


def document_data(kind: str, sheets: Sequence[Sheet], font: str) -> dict[str, Any]:
    from quiz.sheets.markdown import INSTRUCTIONS

    key = kind == "keys"
    suffix = "（答案）" if key else ""
    return {
        "title": one_line(sheets[0].title) + suffix if sheets else "",
        "font": font, "key": key,
        "sheets": [{
            "title": one_line(sheet.title) + suffix, "student": one_line(sheet.student_label),
            "date": sheet.date, "seed": f"{sheet.seed} / {sheet.student_number}",
            "instructions": INSTRUCTIONS,
            "items": [_item(item, key) for item in sheet.items],
        } for sheet in sheets],
    }


def write_pdf(kind: str, sheets: Sequence[Sheet], path: Path) -> Path:
    """Typeset `kind` ("sheets" or "keys") of every student into one PDF, each student starting
    on a new page."""
    import typst

    data = document_data(kind, sheets, cjk_font())
    try:
        # typst's stubs tie `output` to the type of `input`, bytes here (a str names a file):
        # take the PDF back as bytes and write it ourselves
        pdf = typst.compile(TEMPLATE.encode(), format="pdf",
                            sys_inputs={"data": json.dumps(data, ensure_ascii=False)})
    except typst.TypstError as error:  # a bug in the template, not in the user's input
        raise RuntimeError(f"typst failed: {error.message}") from error
    path.write_bytes(pdf)
    return path
