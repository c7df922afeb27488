"""The keys carry the layer's geometry picture (issue 19, "HTML and PDF keys carry the same
picture"): an inline SVG under the worked solution in keys.html, rectangles drawn by typst in
keys.pdf, for a numeric item whose instance is one conv / pool / transposed conv layer.

Every cell is checked against `quiz.engine.picture` and the output grid against the size the
engine computes for the layer; the SVG is parsed as XML, the PDF's page content read with pypdf.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quiz.cli import main
from quiz.engine.kinds import build_layer
from quiz.engine.netspec import parse_net
from quiz.engine.picture import Cell, LayerPicture, spec_picture
from quiz.engine.spec import LayerSpec
from quiz.sheets import pdf as sheet_pdf
from quiz.sheets.figures import (
    CANVAS_LIMIT,
    OUTPUT_LIMIT,
    figure_svg,
    figure_typst,
    item_figure,
)
from quiz.sheets.model import CONCEPT, NUMERIC, Sheet, SheetItem
from tests.sheets.sheet_helpers import pdf_ready

SVG = "{http://www.w3.org/2000/svg}"
needs_pdf = pytest.mark.skipif(not pdf_ready(), reason="typst or a CJK font is not installed")

SMALL_CONV = "input 1x5x5\nconv 1 k3 s2 p1\n"
SMALL_CONVT = "input 1x3x3\nconvT 1 k3 s2 p1\n"
SMALL_POOL = "input 1x6x7\nmaxpool k2 s2 ceil\n"


def numeric_item(net: str, number: int = 1) -> SheetItem:
    return SheetItem(number=number, question_id="num-test", kind=NUMERIC, prompt="?",
                     answer="3x3", sources=(), topic="t", seed=1, answer_plain="3x3",
                     worked="worked", nets=(("net", net),))


def picture_of(net: str) -> LayerPicture:
    spec = parse_net(net)
    layer = spec.nodes[0]
    assert isinstance(layer, LayerSpec) and spec.input_shape is not None
    return spec_picture(layer, spec.input_shape)


def engine_output_hw(net: str) -> tuple[int, int]:
    """The output size as the engine's layer estimates it (not the picture's own figure)."""
    spec = parse_net(net)
    layer = spec.nodes[0]
    assert isinstance(layer, LayerSpec) and spec.input_shape is not None
    shape = (1, *spec.input_shape)
    out, _ = build_layer(layer, shape).estimate(shape)
    return int(out[2]), int(out[3])


def svg_panels(svg: str) -> list[dict[str, dict[tuple[int, int], str]]]:
    """Each panel's canvas and output cells as {(row, col): kind}, read back from the rects'
    positions."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    panels = []
    for panel in root.iter(f"{SVG}g"):
        if panel.get("class") != "panel":
            continue
        grids: dict[str, dict[tuple[int, int], str]] = {}
        for group in panel.findall(f"{SVG}g"):
            rects = group.findall(f"{SVG}rect")
            left = min(float(r.get("x", "")) for r in rects)
            top = min(float(r.get("y", "")) for r in rects)
            cells: dict[tuple[int, int], str] = {}
            for rect in rects:
                size = float(rect.get("width", ""))
                assert float(rect.get("height", "")) == size
                at = (round((float(rect.get("y", "")) - top) / size),
                      round((float(rect.get("x", "")) - left) / size))
                assert at not in cells, f"two rects at {at}"
                cells[at] = rect.get("class", "")
            grids[group.get("class", "")] = cells
        panels.append(grids)
    return panels


def expected_canvas(picture: LayerPicture, index: int) -> dict[tuple[int, int], str]:
    taps = set(picture.placements[index].taps)
    cells = {}
    for r in range(picture.rows.size):
        for c in range(picture.cols.size):
            kind = picture.cell(r, c)
            if (r, c) in taps:
                cells[(r, c)] = "kernel" if kind is Cell.INPUT else "kernel_zero"
            else:
                cells[(r, c)] = kind.value
    return cells


@pytest.mark.parametrize("net", [SMALL_CONV, SMALL_CONVT, SMALL_POOL])
def test_svg_has_one_rect_per_cell_as_the_engine_pictures_it(net: str) -> None:
    picture = picture_of(net)
    figure = item_figure(numeric_item(net))
    assert figure is not None
    panels = svg_panels(figure_svg(figure))
    assert len(panels) == len(picture.placements) == 3
    oh, ow = engine_output_hw(net)
    for index, panel in enumerate(panels):
        assert panel["canvas"] == expected_canvas(picture, index)
        # the whole output is drawn, and it is the engine's output size
        assert len(panel["output"]) == oh * ow
        assert set(panel["output"]) == {(r, c) for r in range(oh) for c in range(ow)}
        current = [at for at, kind in panel["output"].items() if kind == "current"]
        assert current == [picture.placements[index].output]


def test_transposed_conv_shows_its_inserted_zeros_and_a_full_kernel() -> None:
    figure = item_figure(numeric_item(SMALL_CONVT))
    assert figure is not None
    for panel in svg_panels(figure_svg(figure)):
        kinds = Counter(panel["canvas"].values())
        assert kinds["hole"] > 0
        assert kinds["kernel"] + kinds["kernel_zero"] == 3 * 3


def test_a_large_input_is_cropped_to_its_top_left_with_a_note() -> None:
    net = "input 3x100x90\nconv 8 k3 s2 p1\n"
    figure = item_figure(numeric_item(net))
    assert figure is not None
    oh, ow = engine_output_hw(net)
    panel = svg_panels(figure_svg(figure))[0]
    assert len(panel["canvas"]) == CANVAS_LIMIT * CANVAS_LIMIT
    assert len(panel["output"]) == min(oh, OUTPUT_LIMIT) * min(ow, OUTPUT_LIMIT)
    assert any(f"{oh}x{ow}" in note for note in figure.notes)
    assert any("102x92" in note for note in figure.notes)  # the padded canvas


def test_a_dilated_kernel_is_drawn_as_far_as_it_reaches() -> None:
    figure = item_figure(numeric_item("input 1x40x40\nconv 1 k5 d4\n"))
    assert figure is not None
    reach = 4 * (5 - 1) + 1 + 1  # the second position is one column further
    assert figure.canvas_hw == (reach, reach)


@pytest.mark.parametrize("item", [
    numeric_item("input 256x2x2\nflatten\nfc 1000\n"),  # no sliding window
    numeric_item("input 3x8x8\nconv 4 k3\nrelu\nconv 4 k3\n"),  # two layers
    numeric_item("input 64x7x7\ngap\n"),
    SheetItem(number=1, question_id="c", kind=CONCEPT, prompt="?", answer="a", sources=(),
              topic="t", nets=(("net", SMALL_CONV),)),
])
def test_only_a_single_sliding_window_layer_gets_a_figure(item: SheetItem) -> None:
    assert item_figure(item) is None


def test_every_svg_attribute_is_a_number_or_a_constant_of_the_figure_module() -> None:
    figure = item_figure(numeric_item(SMALL_CONVT))
    assert figure is not None
    root = ET.fromstring(figure_svg(figure))
    constants = {"panel", "canvas", "output", "figure", "img", "normal", "bold", "#222", "#888",
                 "white", "0 0"}
    for element in root.iter():
        assert element.tag in {f"{SVG}{tag}" for tag in ("svg", "g", "rect", "text")}
        for name, value in element.attrib.items():
            number = re.fullmatch(r"[\d.]+( [\d.]+)*", value) is not None
            assert number or value.startswith("#") or value in constants or \
                re.fullmatch(r"[a-z_]+", value), (name, value)


def run_sheet(folder: Path, fmt: str, *ids: str, date: str = "2026-12-07") -> None:
    assert main(["sheet", "--ids", *ids, "--seed", "5", "--students", "2", "--date", date,
                 "--format", fmt, "--key", "-o", str(folder)]) == 0


class _SvgInKey(HTMLParser):
    """Counts the <svg> elements inside each key item's `.key` block, and any script."""

    def __init__(self) -> None:
        super().__init__()
        self.depth_in_key = 0
        self.svg_in_key = 0
        self.svg = 0
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and ("class", "key") in attrs:
            self.depth_in_key = 1
        elif tag == "div" and self.depth_in_key:
            self.depth_in_key += 1
        if tag == "svg":
            self.svg += 1
            self.svg_in_key += bool(self.depth_in_key)
        self.scripts += tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.depth_in_key:
            self.depth_in_key -= 1


def test_html_key_draws_each_conv_item_under_its_worked_solution(tmp_path: Path) -> None:
    # a conv and a pool question have figures, an fc question none: one per student each
    run_sheet(tmp_path / "a", "html", "num-conv-out-dilation", "num-macs-fc",
              "num-pool-out-ceil")
    keys = (tmp_path / "a" / "keys.html").read_text(encoding="utf-8")
    parser = _SvgInKey()
    parser.feed(keys)
    assert parser.svg == parser.svg_in_key == 2 * 2
    assert parser.scripts == 0
    assert "default-src 'none'; style-src 'unsafe-inline'" in keys  # the CSP is unchanged
    sheets = (tmp_path / "a" / "sheets.html").read_text(encoding="utf-8")
    assert "<svg" not in sheets  # the students' sheets do not give the geometry away
    for svg in re.findall(r"<svg.*?</svg>", keys, re.S):
        assert svg_panels(svg)
    run_sheet(tmp_path / "b", "html", "num-conv-out-dilation", "num-macs-fc",
              "num-pool-out-ceil")
    first, again = (tmp_path / name / "keys.html" for name in ("a", "b"))
    assert again.read_bytes() == first.read_bytes()


def filled_and_stroked_paths(pdf: bytes) -> int:
    """Paths typst fills and strokes (`B`): the figure's cells and legend swatches."""
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    total = 0
    for page in reader.pages:
        operations = pypdf.generic.ContentStream(page.get_contents(), reader).operations
        total += sum(operator == b"B" for _, operator in operations)
    return total


def figure_cells(figure: dict[str, Any]) -> int:
    return sum(len(row) for panel in figure["panels"]
               for grid in (panel["canvas"], panel["output"]) for row in grid)


def key_sheets(tmp_path: Path) -> list[Sheet]:
    from quiz.bank.parser import load_bank
    from quiz.commands.numeric import bank_dir
    from quiz.numeric import load_templates
    from quiz.sheets.select import build_sheet

    questions = load_bank(bank_dir(None))
    by_id = {q.id: q for q in questions}
    chosen = [by_id[qid] for qid in ("num-convt-out-op", "num-macs-fc")]
    return [build_sheet(chosen, load_templates(questions), seed=5, student_number=number,
                        class_size=2, student_name="", title="t", date="2026-12-07",
                        command="quiz sheet") for number in (1, 2)]


@needs_pdf
def test_pdf_key_draws_every_cell_of_the_figure_data(tmp_path: Path) -> None:
    sheets = key_sheets(tmp_path)
    data = sheet_pdf.document_data("keys", sheets, sheet_pdf.cjk_font())
    worked = [s for s in data["sections"] if s["kind"] == "worked"]
    figures = [item["figure"] for section in worked for item in section["items"]]
    assert [figure is not None for figure in figures] == [True, False] * 2
    drawn = [figure for figure in figures if figure is not None]
    for figure, sheet in zip(drawn, sheets, strict=True):
        expected = item_figure(sheet.items[0])
        assert expected is not None and figure == figure_typst(expected)
        assert any(kind == "hole" for panel in figure["panels"] for row in panel["canvas"]
                   for kind in row)
    pdf = sheet_pdf.render_pdf("keys", sheets)
    expected_paths = sum(figure_cells(f) + len(f["legend"]) for f in drawn)
    assert filled_and_stroked_paths(pdf) == expected_paths
    assert sheet_pdf.render_pdf("keys", sheets) == pdf  # the same bytes again
    # the students' sheets carry no figure
    assert filled_and_stroked_paths(sheet_pdf.render_pdf("sheets", sheets)) == 0


def test_a_kernel_reaching_too_far_to_draw_legibly_gets_no_figure() -> None:
    # dilation 20: the first window spans 81 cells, which would shrink every cell to a speck
    assert item_figure(numeric_item("input 1x200x200\nconv 1 k5 d20\n")) is None
    assert item_figure(numeric_item("input 1x200x200\nconv 1 k5 d10\n")) is not None


def _paths_to_centre(kernels_strides: list[tuple[int, int]], size: int) -> np.ndarray:
    """Paths from each input pixel to the centre unit of a stack of valid 1-channel convs with
    every weight 1, by direct loops over the layers from the top down (the reference for the
    key's shading; the engine back-propagates through its transposed convolutions)."""
    sizes = [size]
    for k, s in kernels_strides:
        sizes.append((sizes[-1] - k) // s + 1)
    counts = np.zeros((sizes[-1], sizes[-1]))
    counts[sizes[-1] // 2, sizes[-1] // 2] = 1
    for (k, s), below in zip(reversed(kernels_strides), reversed(sizes[:-1]), strict=True):
        spread = np.zeros((below, below))
        for r in range(counts.shape[0]):
            for c in range(counts.shape[1]):
                if counts[r, c]:
                    spread[r * s:r * s + k, c * s:c * s + k] += counts[r, c]
        counts = spread
    return counts


def test_a_receptive_field_item_gets_its_effective_field_over_the_theoretical_box() -> None:
    """000#1.2's stack (three 3×3 convs, strides 2, 2, 1): the canvas is the 15×15 theoretical
    field, each cell shaded by its share of the peak number of paths, computed here by loops."""
    layers = [(3, 2), (3, 2), (3, 1)]
    net = "input 1x40x40\n" + "".join(f"conv 1 k{k} s{s} nobias\n" for k, s in layers)
    item = replace(numeric_item(net), family="receptive-field")
    figure = item_figure(item)
    assert figure is not None and figure.canvas_hw == (15, 15)
    paths = _paths_to_centre(layers, 40)
    rows, cols = np.nonzero(paths)
    box = paths[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    assert box.shape == (15, 15)
    expected = np.clip(np.ceil(4 * box / box.max()), 0, 4).astype(int)
    drawn = np.array([[int(kind.removeprefix("erf")) for kind in row]
                      for row in figure.panels[0].canvas])
    assert (drawn == expected).all()
    svg = figure_svg(figure)
    ET.fromstring(svg)  # well-formed
    assert svg.count('class="erf4"') == int((expected == 4).sum())
    data = figure_typst(figure)
    assert data["panels"][0]["canvas"] == [list(row) for row in figure.panels[0].canvas]
    assert item_figure(replace(item, family="params")) is None  # other families: no field


def test_html_key_draws_a_receptive_field_item(tmp_path: Path) -> None:
    run_sheet(tmp_path / "a", "html", "num-rf-stack")
    keys = (tmp_path / "a" / "keys.html").read_text(encoding="utf-8")
    assert keys.count("<svg") == 2 and 'class="erf4"' in keys
    assert "effective receptive field" in keys
