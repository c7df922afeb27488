"""The bundled bank studies well: recall-sized core answers, one home per worked example, numeric
fixed instances that belong to their template (rules in data/questions/README.md)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from quiz.bank.model import Kind, Question
from quiz.bank.parser import load_bank, parse_text
from quiz.numeric import load_templates
from quiz.numeric.sampler import sample_params, satisfies
from quiz.numeric.template import Template, substitute
from quiz.paths import bundled_bank_dir
from quiz.render.math import render_markdown_math

CORE_LIMIT = 100
DETAIL_LIMIT = 700
DOUBLE_TITLE_LIMIT = 10
CORE_PREFIX = re.compile(r"^\*\*核心\*\*[:：]\s*")
MARKDOWN_MARKERS = re.compile(r"[*`]")
# a worked example's fingerprint: a size tuple whose first number has two or more digits
# (200×200×3, 28×28×192) or a number of five or more digits (120,422,400 / 2458624)
SIZE_TUPLE = re.compile(r"(?<![\d.])(\d{2,})\s*[×x]\s*(\d+)\s*[×x]\s*(\d+)(?![\d.])")
BIG_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d{5,})(?![\d.,])")
# a title asks two questions when it has two question marks, or when two of its clauses (split
# at ？ ? ， , 、 ； ;) each hold a question word: "激活函数是什么？为什么需要它？",
# "VGG-16 有多少参数、多少计算量？"; "ReLU 在 0 处不可导，为什么还能用于反向传播？" asks one
QUESTION_MARKS = re.compile(r"[？?]")
CLAUSE_BREAKS = re.compile(r"[？?，,、；;]")
QUESTION_WORDS = re.compile(r"什么|怎么|怎样|如何|哪|为什么|为何|是否|吗|多少|能否|几")
RAW_LAYER_TOKENS = re.compile(r"\b(maxpool|avgpool|dwconv|convT|conv|gap|fc|bn|relu)\b")


def core_answer(question: Question) -> str:
    """The first paragraph of the answer without its `**核心**：` label, as rendered."""
    first = question.answer.strip().split("\n\n", 1)[0]
    return CORE_PREFIX.sub("", render_markdown_math(first))


def core_length(text: str) -> int:
    """CJK characters plus every other non-space character, Markdown markers dropped."""
    return len(re.sub(r"\s", "", MARKDOWN_MARKERS.sub("", text)))


def detail_section(question: Question) -> str:
    """Everything after the core paragraph (notes included), as rendered."""
    parts = question.answer.strip().split("\n\n", 1)
    return render_markdown_math(parts[1]) if len(parts) > 1 else ""


def asks_two_questions(title: str) -> bool:
    """Two question marks, or two clauses that each ask something (see QUESTION_WORDS)."""
    if len(QUESTION_MARKS.findall(title)) >= 2:
        return True
    return sum(bool(QUESTION_WORDS.search(c)) for c in CLAUSE_BREAKS.split(title)) >= 2


def fingerprints(answer: str) -> set[str]:
    text = re.sub(r"\$|\\times|\\,|\{,\}", lambda m: "×" if m.group() == "\\times" else "", answer)
    tuples = {"×".join(match.groups()) for match in SIZE_TUPLE.finditer(text)}
    numbers = {match.group(1).replace(",", "") for match in BIG_NUMBER.finditer(text)}
    return tuples | numbers


def shared_examples(questions: list[Question]) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = defaultdict(list)
    for question in questions:
        if question.kind is Kind.CONCEPT:
            for mark in fingerprints(question.answer):
                owners[mark].append(question.id)
    return {mark: ids for mark, ids in owners.items() if len(ids) > 1}


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_bank(bundled_bank_dir())


@pytest.fixture(scope="module")
def templates(questions: list[Question]) -> dict[str, Template]:
    return load_templates(questions)


# --- the rules, shown to bite on small examples --------------------------------------------

def _card(qid: str, answer: str) -> str:
    return (f"## {qid}？\n\n```meta\nid: {qid}\nsources: 001#T4\ntags: 卷积基础\n"
            f"kind: concept\n```\n\n{answer}\n\n")


def test_core_length_counts_cjk_and_other_non_space_characters() -> None:
    assert core_length("卷积 (conv)") == len("卷积(conv)") == 8
    assert core_length("**ReLU** 不饱和") == 7
    card = _card("a", "**核心**：输出 $\\lfloor x \\rfloor$。\n\n细节")
    (question,) = parse_text("# 卷积\n\n" + card)
    assert core_answer(question).replace(" ", "") == "输出⌊x⌋。"


def test_a_long_core_answer_is_caught() -> None:
    long_core = "**核心**：" + "卷积" * 51 + "\n\n- 细节"
    (question,) = parse_text("# 卷积\n\n" + _card("long", long_core))
    assert core_length(core_answer(question)) == 102 > CORE_LIMIT


def test_two_cards_with_the_same_worked_example_are_caught() -> None:
    text = "# 卷积\n\n" + _card("a", "**核心**：例：200×200×3 输入，32 个 3×3 核，896 个参数。") \
        + _card("b", "**核心**：同样 $200 \\times 200 \\times 3$ 的输入……") \
        + _card("c", "**核心**：$120,422,400$ 次乘加。") + _card("d", "约 120422400 次。")
    shared = shared_examples(parse_text(text))
    assert shared == {"200×200×3": ["a", "b"], "120422400": ["c", "d"]}


def test_small_numbers_and_kernel_shapes_are_not_worked_examples() -> None:
    assert fingerprints("3×3×3 的核，224 像素，1000 类，1.2 亿，$2^{10}$") == set()


def test_a_title_with_two_questions_is_caught() -> None:
    assert asks_two_questions("激活函数是什么？为什么需要它？")
    assert asks_two_questions("VGG-16 有多少参数、多少计算量？")
    assert asks_two_questions("IoU 怎么计算，用在哪里？")
    assert not asks_two_questions("ReLU 在 0 处不可导，为什么还能用于反向传播？")
    assert not asks_two_questions("MSE、MAE、Huber 和 Smooth L1 损失有什么区别？")
    assert not asks_two_questions("输入是多通道时，卷积核的通道数怎么确定？")


def test_a_long_detail_section_is_caught() -> None:
    card = _card("long", "**核心**：短。\n\n- " + "细节" * 351 + "\n\n> 勘误 001#T4：原文……")
    (question,) = parse_text("# 卷积\n\n" + card)
    assert core_length(detail_section(question)) > DETAIL_LIMIT


# --- the bundled bank -----------------------------------------------------------------------

def test_every_concept_card_has_a_core_answer_within_the_limit(questions) -> None:
    concept = [q for q in questions if q.kind is Kind.CONCEPT]
    unlabelled = [q.id for q in concept if not CORE_PREFIX.match(q.answer.strip())]
    too_long = {q.id: core_length(core_answer(q)) for q in concept
                if core_length(core_answer(q)) > CORE_LIMIT}
    assert unlabelled == [] and too_long == {}


def test_every_concept_card_has_a_detail_section_within_the_limit(questions) -> None:
    """A card's back stays short: a longer derivation is a card of its own, linked by id."""
    too_long = {q.id: core_length(detail_section(q)) for q in questions
                if q.kind is Kind.CONCEPT and core_length(detail_section(q)) > DETAIL_LIMIT}
    assert too_long == {}


def test_few_titles_ask_two_questions(questions) -> None:
    """A card asks one question; a what + why pair that one core answers may stay, a few of them."""
    double = [q.id for q in questions if q.kind is Kind.CONCEPT and asks_two_questions(q.title)]
    assert len(double) <= DOUBLE_TITLE_LIMIT, double


def test_no_two_cards_share_a_worked_example(questions) -> None:
    assert shared_examples(questions) == {}


def test_fixed_instances_cite_only_their_templates_sources(templates) -> None:
    """A fixed instance is a source's worked number; an authored template (no source asks it)
    labels its examples 例1, 例2, …"""
    stray = [(t.id, f.label) for t in templates.values() for f in t.fixed
             if f.label not in t.sources and (t.sources or not f.label.startswith("例"))]
    assert stray == []


def test_fixed_instances_satisfy_their_templates_constraints(templates) -> None:
    broken = [(t.id, f.label) for t in templates.values() for f in t.fixed
              if not satisfies(t, _fixed_values(t, dict(f.values)))]
    assert broken == []


def _fixed_values(template: Template, values: dict[str, int | str]) -> dict[str, int | str]:
    index = [dict(f.values) for f in template.fixed].index(values)
    return sample_params(template, -(index + 1))


def test_chinese_prompts_do_not_show_raw_layer_tokens(templates) -> None:
    raw = set()
    for template in templates.values():
        seeds = [*range(-len(template.fixed), 0), *range(20)]
        for seed in seeds:
            prompt = substitute(template.prompt, sample_params(template, seed))
            raw |= {(template.id, m.group())
                    for m in RAW_LAYER_TOKENS.finditer(re.sub(r"`[^`]*`", "", prompt))}
    assert raw == set()


def test_output_size_prompts_say_padding_is_per_side(templates) -> None:
    """A prompt that gives padding as a number says it is per side (每侧), in every instance."""
    unclear = set()
    for template in templates.values():
        for seed in [*range(-len(template.fixed), 0), *range(10)]:
            prompt = substitute(template.prompt, sample_params(template, seed))
            if re.search(r"padding\s*[=＝]?\s*\d", prompt) and "每侧" not in prompt:
                unclear.add(template.id)
    assert unclear == set()


def test_memory_prompts_state_dtype_and_unit(templates) -> None:
    memory = [t for t in templates.values() if t.family == "memory"]
    assert memory
    assert [t.id for t in memory if not re.search(r"float\d+|FP\d+|int8", t.prompt)] == []
    assert [t.id for t in memory if "元素" not in t.prompt and "字节" not in t.prompt] == []


def test_one_note_may_name_several_sources() -> None:
    card = _card("pool", "**核心**：……\n\n> 勘误 003#6、004#36：原文说……\n\n> 口径 004#12：……")
    (question,) = parse_text("# 池化\n\n" + card)
    assert [e.source for e in question.errata] == ["003#6", "004#36"]
    assert [c.source for c in question.conventions] == ["004#12"]


def test_links_name_existing_cards(questions) -> None:
    """"见 `conv-local-sharing`" links must point at a card of the bank."""
    ids = {question.id for question in questions}
    dangling = [(q.id, link) for q in questions
                for link in re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", q.answer)
                if link not in ids]
    assert dangling == []
