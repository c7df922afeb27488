"""The bundled bank cites every source ID and only real ones; it renders without raw LaTeX."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from quiz.bank.model import Question
from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir, bundled_data_dir
from quiz.render.math import render_markdown_math

TOPICS = {
    "卷积基础", "卷积变种", "感受野", "参数与计算量", "网络结构", "基础模块", "池化", "激活函数",
    "归一化", "正则化与过拟合", "优化与训练", "初始化", "反向传播", "损失函数", "RNN/LSTM",
    "框架与工程", "其他", "数值计算", "模型压缩", "目标检测", "语义分割", "可解释性",
}
LEFTOVER_COMMAND = re.compile(r"\\[A-Za-z]+")


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_bank(bundled_bank_dir())


@pytest.fixture(scope="module")
def source_rows() -> dict[str, dict[str, str]]:
    with open(bundled_data_dir() / "sources.tsv", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_sources_list_has_every_index_id(source_rows: dict[str, dict[str, str]]) -> None:
    assert len(source_rows) == 133
    assert Counter(row["file"][:3] for row in source_rows.values()) == {
        "000": 12, "001": 23, "002": 16, "003": 28, "004": 54,
    }


def test_every_source_id_is_cited(questions, source_rows) -> None:
    cited = {source for question in questions for source in question.sources}
    assert sorted(set(source_rows) - cited) == []


def test_no_question_cites_an_unknown_id(questions, source_rows) -> None:
    unknown = [(q.id, s) for q in questions for s in q.sources if s not in source_rows]
    assert unknown == []


def test_errata_name_a_source_the_question_cites(questions) -> None:
    stray = [(q.id, e.source) for q in questions for e in q.errata if e.source not in q.sources]
    assert stray == []


def test_every_question_has_a_known_topic_tag(questions) -> None:
    assert [(q.id, q.tags[0]) for q in questions if q.tags[0] not in TOPICS] == []


def test_unanswered_sources_are_covered_by_authored_or_other_answers(
    questions, source_rows,
) -> None:
    """An ID the sources leave open (N) is answered by the bank: by a question that is the
    bank's own, or one that merges another source that does answer it."""
    for source_id, row in source_rows.items():
        if row["answer_in_source"] != "N":
            continue
        citing = [q for q in questions if source_id in q.sources]
        assert any(
            q.origin.value == "authored" or any(
                source_rows[other]["answer_in_source"] == "A" for other in q.sources
                if other in source_rows
            )
            for q in citing
        ), source_id


def test_every_answer_renders_without_raw_latex(questions) -> None:
    leftovers = []
    for question in questions:
        rendered = render_markdown_math(f"{question.title}\n\n{question.answer}")
        prose = re.sub(r"```.*?```|`[^`\n]*`", "", rendered, flags=re.DOTALL)
        found = LEFTOVER_COMMAND.findall(prose)
        if found or "$" in prose.replace("\\$", ""):
            leftovers.append((question.id, found[:3]))
    assert leftovers == []
