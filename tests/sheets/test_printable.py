"""Printed sheets for a class (issue 18, "Printable"): every PDF page says whose it is (name,
seed, page k / n of that student), each student starts on an odd page, answer space by kind,
a one-page class key with the concept answers once, the same bytes for the same --date; the
HTML sheets carry the Markdown sheet's instructions and the HTML keys the same class key.

The PDFs are read back with pypdf, the HTML with html.parser (no browser in the test run)."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from quiz.cli import main
from quiz.sheets import pdf as sheet_pdf
from quiz.sheets.markdown import INSTRUCTIONS
from quiz.sheets.model import CONCEPT, Sheet, SheetItem
from tests.sheets.sheet_helpers import items, key_answers, pdf_ready

SEED = 11
DATE = "2025-03-01"
# Chinese and Latin names, an apostrophe, markup of HTML, of a spreadsheet and of typst itself:
# each must come out as the very characters the roster has.
SPECIAL = ["O'Brien", "<b>Lee</b>", "=1+1", 'Ann #panic("typst") *粗* $x$ [a](b)',
           "Élodie Dupont-Martinez"]
CHINESE = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周杰", "吴昊", "徐婷",
           "孙悦", "胡军", "朱琳", "高翔", "林峰", "何雪", "郭涛", "马丽", "罗斌", "梁静", "宋佳",
           "郑凯", "谢娟", "韩梅"]
ROSTER = CHINESE[:3] + SPECIAL + CHINESE[3:]
FOOTER = re.compile(r"^(?P<name>.+)第(?P<k>\d+)/(?P<n>\d+)页$")
BLANK = "（此页空白）"




needs_pdf = pytest.mark.skipif(not pdf_ready(), reason="typst or a CJK font is not installed")


def run_quiz(*argv: str) -> None:
    assert main(list(argv)) == 0, argv


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def label(number: int) -> str:
    return f"{ROSTER[number - 1]}（{number}/{len(ROSTER)}）"


@dataclass(frozen=True)
class ClassFiles:
    """One class's sheets made three ways from one seed: Markdown (what the PDF is checked
    against), PDF and HTML; 10 numeric items and 3 concept items."""

    md: Path
    pdf: Path
    html: Path
    ids: tuple[str, ...]
    numeric: tuple[str, ...]
    concept: tuple[str, ...]


def _chosen_ids(folder: Path, *selection: str) -> list[str]:
    run_quiz("sheet", *selection, "--seed", str(SEED), "--date", DATE, "-o", str(folder))
    return [qid for _, qid, _ in items((folder / "sheet-01.md").read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> ClassFiles:
    root = tmp_path_factory.mktemp("class")
    roster = root / "roster.txt"
    roster.write_text("\n".join(ROSTER) + "\n", encoding="utf-8")
    numeric = _chosen_ids(root / "numeric", "--numeric", "--count", "10")
    concept = _chosen_ids(root / "concept", "--concept", "--count", "3")
    ids = (*concept[:2], *numeric, concept[2])  # concept items first, between and last
    common = ("sheet", "--ids", *ids, "--roster", str(roster), "--seed", str(SEED),
              "--date", DATE, "--key")
    run_quiz(*common, "-o", str(root / "md"))
    run_quiz(*common, "--format", "html", "-o", str(root / "html"))
    if pdf_ready():
        run_quiz(*common, "--format", "pdf", "-o", str(root / "pdf"))
    return ClassFiles(md=root / "md", pdf=root / "pdf", html=root / "html", ids=ids,
                      numeric=tuple(numeric), concept=tuple(concept))


def value_of(answer: str) -> str:
    """A key's answer without its unit (`120,422,400 MACs` → `120,422,400`); a tuple such as
    `(1, 2, 3, 4)` has none."""
    return answer if answer.startswith("(") else answer.split()[0]


@dataclass(frozen=True)
class PdfPage:
    number: int        # 1-based, as printed on a duplex sheet: odd = front
    text: str          # whitespace removed
    lines: list[str]   # each line, whitespace removed
    landscape: bool


def pdf_pages(path: Path) -> list[PdfPage]:
    pypdf = pytest.importorskip("pypdf")
    pages = []
    for number, page in enumerate(pypdf.PdfReader(str(path)).pages, start=1):
        text = page.extract_text()
        pages.append(PdfPage(number, squeeze(text), [squeeze(line) for line in text.splitlines()],
                             page.mediabox.width > page.mediabox.height))
    return pages


@dataclass
class Section:
    """The consecutive pages whose footer names the same section, and the blank backs after."""

    name: str
    pages: list[PdfPage] = field(default_factory=list)
    counted: list[tuple[int, int]] = field(default_factory=list)   # (k, n) of each page
    blanks: int = 0


def sections(pages: list[PdfPage]) -> list[Section]:
    """Group pages by the footer that each one must carry; a page without one fails."""
    found: list[Section] = []
    for page in pages:
        if page.text == BLANK:
            assert found, "the document opens with a blank page"
            found[-1].blanks += 1
            continue
        footer = FOOTER.match(page.lines[-1])
        assert footer, f"page {page.number} has no footer: {page.lines[-1]}"
        if not found or found[-1].name != footer["name"] or found[-1].blanks:
            found.append(Section(footer["name"]))
        found[-1].pages.append(page)
        found[-1].counted.append((int(footer["k"]), int(footer["n"])))
    return found


def _assert_duplex_sections(found: list[Section]) -> None:
    """Page k / n counts each section's own pages, and each section starts on a front page."""
    for section in found:
        size = len(section.pages)
        assert section.counted == [(k, size) for k in range(1, size + 1)], section.name
        assert section.pages[0].number % 2 == 1, f"{section.name} starts on a back page"
        # a blank back where the section ends on a front page (and another one follows)
        assert section.blanks == (0 if section is found[-1] else size % 2), section.name


@needs_pdf
def test_every_sheet_page_says_whose_it_is_and_each_student_starts_on_a_front_page(
        made: ClassFiles) -> None:
    pages = pdf_pages(made.pdf / "sheets.pdf")
    found = sections(pages)
    assert [s.name for s in found] == [
        squeeze(f"{label(n)}·seed{SEED}/{n}") for n in range(1, len(ROSTER) + 1)]
    _assert_duplex_sections(found)
    assert sum(len(s.pages) for s in found) > len(ROSTER)  # these sheets run over a page
    for number, section in enumerate(found, start=1):
        sheet = (made.md / f"sheet-{number:02d}.md").read_text(encoding="utf-8")
        prompts = [squeeze(line[2:]).replace("`", "") for line in sheet.splitlines()
                   if line.startswith("> ") and line[2:].strip()]
        text = "".join(page.text for page in section.pages)
        # this student's own numbers are on this student's pages
        assert all(prompt in text for prompt in prompts), number
        assert text.count("计算过程") == len(made.numeric)  # room for working: numeric only
        assert squeeze(INSTRUCTIONS) in section.pages[0].text
        assert text.replace(squeeze(INSTRUCTIONS), "").count("答：") == len(made.ids)


@needs_pdf
def test_keys_open_with_a_one_page_class_key_and_give_concept_answers_once(
        made: ClassFiles) -> None:
    pages = pdf_pages(made.pdf / "keys.pdf")
    found = sections(pages)
    _assert_duplex_sections(found)
    class_key, concepts, *worked = found
    assert class_key.name == f"班级答案·seed{SEED}" and len(class_key.pages) == 1
    assert class_key.pages[0].landscape and not concepts.pages[0].landscape
    table = class_key.pages[0].text
    for number in range(1, len(ROSTER) + 1):
        answers = key_answers((made.md / "keys" / f"key-{number:02d}.md").read_text("utf-8"))
        assert len(answers) == len(made.numeric)
        row = table[table.index(squeeze(label(number))) + len(squeeze(label(number))):]
        # the cells follow the name in item order: each answer's value (its unit is in the
        # legend, once per column)
        for answer in answers:
            value = squeeze(value_of(answer))
            assert row.startswith(value), (number, answer, row[:40])
            row = row[len(value):]
    for qid in made.numeric:
        assert table.count(qid) == 1  # the legend names each column's question
    assert concepts.name == f"概念题参考答案·seed{SEED}"
    everything = "".join(page.text for page in pages)
    headings = [line for page in pages for line in page.lines]
    for number, qid in concept_items(made):  # was once per student: 30 times
        assert headings.count(f"{number}.{qid}") == 1, qid
    assert everything.count("参考答案：") == len(made.concept)
    assert [s.name for s in worked] == [
        squeeze(f"数值题解答·{label(n)}·seed{SEED}/{n}") for n in range(1, len(ROSTER) + 1)]


@needs_pdf
def test_the_same_date_gives_the_same_pdf_bytes(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")

    def make(folder: str, day: str) -> Path:
        run_quiz("sheet", "--count", "4", "--students", "2", "--seed", "3", "--date", day,
                 "--format", "pdf", "--key", "-o", str(tmp_path / folder))
        return tmp_path / folder

    first, second, other = make("a", "2024-05-06"), make("b", "2024-05-06"), make("c", "2024-05-07")
    for name in ("sheets.pdf", "keys.pdf"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        # the PDF's own date is the sheet's, not the time of the run
        assert pypdf.PdfReader(str(first / name)).metadata.creation_date.date() == date(2024, 5, 6)
        assert pypdf.PdfReader(str(other / name)).metadata.creation_date.date() == date(2024, 5, 7)


class Elements(HTMLParser):
    """The text of each element with a class attribute (by class), and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self.by_class: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []
        self._text: dict[int, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("meta", "br"):
            return
        self._open.append((tag, dict(attrs).get("class")))
        self._text[len(self._open)] = []
        if tag == "tr":
            self.rows.append([])

    def handle_endtag(self, tag: str) -> None:
        depth = len(self._open)
        opened, css = self._open.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"
        text = "".join(self._text.pop(depth))
        if css:
            self.by_class.setdefault(css, []).append(text)
        if tag in ("td", "th"):
            self.rows[-1].append(text)

    def handle_data(self, data: str) -> None:
        for chunks in self._text.values():
            chunks.append(data)


def parse_html(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_html_sheets_carry_the_markdown_instructions_and_answer_space_by_kind(
        made: ClassFiles) -> None:
    assert INSTRUCTIONS in (made.md / "sheet-01.md").read_text(encoding="utf-8").splitlines()
    page = parse_html(made.html / "sheets.html")
    assert page.by_class["instructions"] == [INSTRUCTIONS] * len(ROSTER)
    assert len(page.by_class["working"]) == len(made.numeric) * len(ROSTER)
    assert len(page.by_class["answer"]) == len(made.ids) * len(ROSTER)
    assert len(page.by_class["ruled"]) % (len(made.concept) * len(ROSTER)) == 0
    assert "b" not in page.tags and "script" not in page.tags
    assert f"学生：{label(5)}" in page.by_class["meta"][4]  # `<b>Lee</b>` as text


def test_html_keys_carry_the_same_class_key_and_concept_answers_once(made: ClassFiles) -> None:
    raw = (made.html / "keys.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in raw and "default-src 'none'" in raw
    page = parse_html(made.html / "keys.html")
    header, *rows = page.rows
    numbers = [n for n, (_, qid, _) in enumerate(items_of(made), start=1) if qid in made.numeric]
    assert header == ["学生", *map(str, numbers)]
    assert len(rows) == len(ROSTER)
    for number, row in enumerate(rows, start=1):
        answers = key_answers((made.md / "keys" / f"key-{number:02d}.md").read_text("utf-8"))
        assert row[0] == label(number)
        assert row[1:] == [value_of(answer) for answer in answers]
    assert len(page.by_class["legend"]) == len(made.numeric)
    for _, qid in concept_items(made):
        assert raw.count(f'<span class="id">{html.escape(qid)}</span>') == 1, qid
    assert "b" not in page.tags and "script" not in page.tags


def items_of(made: ClassFiles) -> list[tuple[int, str, int | None]]:
    return items((made.md / "sheet-01.md").read_text(encoding="utf-8"))


def concept_items(made: ClassFiles) -> list[tuple[int, str]]:
    found = [(number, qid) for number, qid, _ in items_of(made) if qid in made.concept]
    assert len(found) == len(made.concept)
    return found


def _one_item_sheets(prompt: str, students: int) -> list[Sheet]:
    item = SheetItem(number=1, question_id="typst-markup", kind=CONCEPT, prompt=prompt,
                     answer="参考答案", sources=("000#1",), topic="测试")
    return [Sheet(title='标题 #set page(width: 1cm)', date=DATE, seed=1, student_number=number,
                  class_size=students, student_name=f"学生{number}", command="quiz sheet",
                  items=(item,))
            for number in range(1, students + 1)]


@needs_pdf
def test_bank_text_with_typst_markup_is_printed_as_text_duplex_or_not() -> None:
    pypdf = pytest.importorskip("pypdf")
    prompt = 'Bank #panic("bank") <b>x</b> [link](y) @ref _under_ \\ = 头'
    sheets = _one_item_sheets(prompt, 3)
    for duplex, pages in ((True, 5), (False, 3)):  # one-page sheets; blank backs only duplex
        pdf = sheet_pdf.render_pdf("sheets", sheets, duplex=duplex)
        texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
        assert len(texts) == pages
        assert all(prompt in text and "标题 #set page(width: 1cm)" in text
                   for text in texts if text != BLANK)


@needs_pdf
def test_png_pages_are_the_pdf_pages_for_looking_at() -> None:
    pypdf = pytest.importorskip("pypdf")
    sheets = _one_item_sheets("题目", 2)
    pdf = pypdf.PdfReader(io.BytesIO(sheet_pdf.render_pdf("sheets", sheets)))
    pngs = sheet_pdf.render_png_pages("sheets", sheets, ppi=20)
    assert len(pngs) == len(pdf.pages) == 3
    assert all(png.startswith(b"\x89PNG") for png in pngs)


@needs_pdf
def test_simplex_on_the_command_line_prints_no_blank_backs(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")

    def pages(*extra: str) -> list[str]:
        folder = tmp_path / ("simplex" if extra else "duplex")
        run_quiz("sheet", "--count", "3", "--students", "3", "--seed", "5", "--date",
                 "2024-05-06", "--format", "pdf", "-o", str(folder), *extra)
        return [page.extract_text() for page in pypdf.PdfReader(str(folder / "sheets.pdf")).pages]

    duplex, simplex = pages(), pages("--simplex")
    assert not any(BLANK in text for text in simplex)
    assert [text for text in duplex if BLANK not in text] == simplex
    assert len(duplex) > len(simplex)  # a one-page sheet each: a blank back after each
