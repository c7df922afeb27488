"""Sheets and keys as Markdown: the form a student fills in and `quiz check` reads back.

The layout is a contract with `quiz.sheets.reader`: the metadata comment line (quiz.sheets.meta),
a `- seed：…` line, one `## N · id[ · seed S]` header per item, the bank text as a block quote (so
nothing in it can pass for a header or an answer), and an answer line `答：`.
"""

from __future__ import annotations

import re

from quiz.sheets.meta import meta_comment, sheet_meta
from quiz.sheets.model import NUMERIC, Sheet, SheetItem
from quiz.sheets.text import escape_markdown, one_line, quoted

ANSWER_MARK = "答："
KEY_MARK = "<!-- quiz answer key -->"
INSTRUCTIONS = ("在每题的“答：”后写答案。数值题写一个数或形状，可带单位，例如 73,728、56x56、"
                "1.2亿、1/9。请勿改动 seed 行：判卷据它重新算出每道题的数。")


def _escape_cell(text: str) -> str:
    """One line of bank or roster text, inert in Markdown outside math and intact inside it."""
    return escape_markdown(one_line(text))


def code_span(text: str) -> str:
    """`text` verbatim as one Markdown code span: fenced by one backtick more than its longest
    run of backticks (a title such as ``a` [x](u) `b`` would otherwise close the span and leave
    a live link after it), padded when it starts or ends with a backtick (CommonMark)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _header(sheet: Sheet, key: bool) -> list[str]:
    title = _escape_cell(sheet.title) + ("（答案）" if key else "")
    lines = [KEY_MARK, ""] if key else []
    lines += [f"# {title}", ""]
    if not key:
        # what grading needs (quiz.sheets.meta), invisible when the sheet is rendered
        lines += [meta_comment(sheet_meta(sheet)), ""]
    lines += [
        f"- 学生：{_escape_cell(sheet.student_label)}",
        f"- 日期：{sheet.date}",
        f"- seed：{sheet.seed} / {sheet.student_number}",
        f"- 重新生成：{code_span(sheet.command)}",
        "",
    ]
    if not key:
        lines += [INSTRUCTIONS, ""]
    return lines


def item_header(item: SheetItem) -> str:
    seed = f" · seed {item.seed}" if item.kind == NUMERIC else ""
    return f"## {item.number} · {item.question_id}{seed}"


def sheet_markdown(sheet: Sheet) -> str:
    lines = _header(sheet, key=False)
    for item in sheet.items:
        lines += [item_header(item), "", quoted(item.prompt), "", ANSWER_MARK, "", ""]
    return "\n".join(lines).rstrip() + "\n"


def key_markdown(sheet: Sheet) -> str:
    lines = _header(sheet, key=True)
    for item in sheet.items:
        lines += [item_header(item), "", quoted(item.prompt), ""]
        if item.kind == NUMERIC:
            lines += [f"**答案**：{_escape_cell(item.answer)}", "", "**解答**：", "",
                      quoted(item.worked), ""]
        else:
            lines += ["**参考答案**：", "", quoted(item.answer), ""]
        lines += [f"来源：{_escape_cell(', '.join(item.sources)) or '—'}", ""]
    return "\n".join(lines).rstrip() + "\n"
