"""Scanned pages read by OCR (the `ocr` extra, part of the dev extra): rulings, cells, text, confidence.

The inputs are small on purpose (OCR takes a tenth of a second or more a text segment):
a table of a few cells drawn with reportlab, scanned (`pdf_factory.scanned_copy`: rendered
at 200 dpi and rebuilt as an image-only PDF). A whole sheet is measured by
`benchmarks/ocr_accuracy.py`, not here.
"""

from __future__ import annotations

import functools
import sys

import pytest

from hyoka.extractors import ocr as ocr_module
from hyoka.extractors.failures import NO_TEXT, failure_kind
from hyoka.extractors.grid import build_grid, find_cell_boxes
from hyoka.extractors.ocr import INSTALL_HINT, ScannedPages, read_scan
from hyoka.extractors.ocr_text import (
    OcrPage, OcrText, correct_text, known_labels, low_confidence_findings, respell, snap_label,
)
from hyoka.extractors.pages import PageObjects, PdfiumPages
from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.records import BBox, BudgetRecord, Extraction
from hyoka.extractors.registry import TEMPLATES, extract_pdf, read_page_grids
from hyoka.extractors.scan_rulings import find_rulings, ink_mask, ruling_length, ruling_lines, ruling_masks
from hyoka.normalize import normalize_label
from pdf_factory import ruled_table_pdf, scanned_copy, scanned_pdf

ROWS = [
    ["区分", "事業費", "単位"],
    ["令和5年度", "1,234", "千円"],
    ["一般財源", "567", "人\n（延べ）"],
]
TITLE = "事業費の内訳"


@functools.cache
def table_pdf() -> bytes:
    return ruled_table_pdf(ROWS, title=TITLE)


@functools.cache
def table_scan(skew: float = 0.0) -> bytes:
    return scanned_copy(table_pdf(), 200, skew)


def text_cells() -> list[tuple[tuple[float, float, float, float], str]]:
    """The drawn table's cells and texts as the text layer gives them."""
    source = PdfiumPages(table_pdf())
    try:
        grid = build_grid(source.read(1))
    finally:
        source.close()
    return [(cell.bbox, cell.text) for cell in grid.cells]


def close(a: tuple[float, ...], b: tuple[float, ...], slack: float = 1.5) -> bool:
    return all(abs(x - y) <= slack for x, y in zip(a, b))


def test_a_scan_has_no_text_layer() -> None:
    source = PdfiumPages(table_scan())
    try:
        assert source.read(1).chars == []
    finally:
        source.close()


def cell_boxes_of_scan(data: bytes) -> list[BBox]:
    """The cells closed by the rulings found in page 1's image (the steps ScannedPages takes, one by one)."""
    scan = ScannedPages(data)
    try:
        gray, raster, (width, height) = scan.render(1)
    finally:
        scan.close()
    ink = ink_mask(gray)
    across, down = ruling_masks(ink, ruling_length(raster.scale))
    lines = ruling_lines(find_rulings(across, down, raster.scale), raster, 1, height)
    return find_cell_boxes(PageObjects(1, width, height, lines=lines))


def test_rulings_found_in_the_image_close_the_same_cells_as_the_drawn_ones() -> None:
    boxes = cell_boxes_of_scan(table_scan())
    expected = [box for box, _ in text_cells()]
    assert len(boxes) == len(expected) == 9
    for box, want in zip(sorted(boxes, key=lambda b: (round(b[1]), b[0])), expected):
        assert close(box, want), (box, want)


def test_a_character_stroke_is_not_a_ruling() -> None:
    """一 and ー are long strokes, but end in the open: no cell is closed by them."""
    assert len(cell_boxes_of_scan(scanned_copy(ruled_table_pdf([["一一ー", "ー一"]], title="ーーー一一"), 200))) == 2


@pytest.mark.parametrize("skew", [0.0, 1.2], ids=["straight", "fed-askew"])
def test_recognized_text_lands_in_its_cell_line_by_line(skew: float) -> None:
    """Each cell's text, line by line, in the cell the text layer has it in (a sheet fed in askew is straightened first)."""
    (read,) = read_page_grids(table_scan(skew))
    assert read.grid is not None and read.ocr is not None and read.has_text
    cells = {cell.bbox: cell for cell in read.grid.cells}
    for box, text in text_cells():
        (cell,) = [c for b, c in cells.items() if close(b, box)]
        # the same lines (a hard break kept), the text as labels compare it
        assert [normalize_label(line) for line in cell.text.split("\n")] == [normalize_label(line) for line in text.split("\n")]
    assert [normalize_label(line.text) for line in read.grid.loose_lines] == [normalize_label(TITLE)]
    # every char keeps its segment's confidence, and the page keeps each segment's
    assert all(0 < text.confidence <= 1 for text in read.ocr.texts)
    assert read.ocr.dpi == pytest.approx(200)


def test_each_segment_is_recognized_on_its_own_and_confusions_undone() -> None:
    """A recognizer that reads Chinese forms and letters for digits: what reaches the grid is corrected."""
    misread = {"単位": "單位", "1,234": "1,2O4", "567": "5б7"}
    calls: list[int] = []

    def recognize(images: list) -> list[tuple[str, float]]:
        calls.append(len(images))
        real = ocr_module.rapidocr_recognizer()(images)
        return [(misread.get(text, text), score) for text, score in real]

    scan = ScannedPages(table_scan(), known_labels(TEMPLATES), recognize=recognize)
    try:
        gray, raster, size = scan.render(1)
        objects, page = read_scan(gray, raster, 1, size, recognize, scan.labels)
    finally:
        scan.close()
    assert len(calls) == 1  # one batch a page
    texts = {normalize_label(cell.text) for cell in build_grid(objects).cells}
    assert "1,204" in texts  # O in a figure is 0
    assert "5б7" in texts  # a letter no figure confuses stays: the number will not parse, and is flagged
    assert "単位" in texts  # 單 is not a Japanese form; and 単位 is a label the templates know


def test_a_low_confidence_number_is_flagged_with_its_cell() -> None:
    box = (10.0, 20.0, 60.0, 40.0)
    budget = BudgetRecord(page=1, project_code="1", fiscal_year=2023, stage="決算", total_cost=1234.0,
                          raw={"total_cost": "1,234"}, cell_bboxes={"total_cost": box})
    extraction = Extraction(template="t", doc_type="jimujigyo_sheet", page_count=1)
    extraction.add(budget)
    from hyoka.extractors.ocr_text import attach_confidence

    attach_confidence(extraction, {1: OcrPage((OcrText(box, "1,234", 0.62),), 200.0)})
    assert budget.confidence == {"total_cost": 0.62}
    (finding,) = low_confidence_findings(extraction)
    assert (finding.check_name, finding.column_name, finding.raw_value, finding.bbox) == (
        "ocr_low_confidence", "total_cost", "1,234", box)
    assert "0.62" in finding.detail
    attach_confidence(extraction, {1: OcrPage((OcrText(box, "1,234", 0.99),), 200.0)})
    assert low_confidence_findings(extraction) == []


def test_without_the_extra_a_scan_fails_with_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # as if not installed: find_spec finds nothing
    ocr_module.ocr_available.cache_clear()
    try:
        with pytest.raises(DocumentError) as raised:
            extract_pdf(table_scan())
    finally:
        ocr_module.ocr_available.cache_clear()
    line = str(raised.value)
    assert line == f"{NO_TEXT.reason} (scanned image?) — {INSTALL_HINT}"
    assert "pip install 'hyoka[ocr]'" in line and "\n" not in line
    assert failure_kind(line) is NO_TEXT


def test_a_scan_of_no_text_says_ocr_found_none() -> None:
    with pytest.raises(DocumentError) as raised:
        extract_pdf(scanned_pdf(1))
    line = str(raised.value)
    assert line.startswith(f"{NO_TEXT.reason} (scanned image?)") and "OCR found no text" in line


@pytest.mark.parametrize(("read", "round_glyph", "meant"), [
    ("0", True, "0"),  # a digit 0 about as wide as high is still the digit, unless a circle (below)
    ("数值", False, "数値"), ("首都圈", False, "首都圏"),  # Chinese forms
    ("1,2O4", False, "1,204"), ("l0O", False, "100"), ("△1,OOO", False, "△1,000"),  # letters in a figure
    ("Oil", False, "Oil"),  # a word is not a figure
    ("サ一ビス", False, "サービス"), ("一般", False, "一般"),  # 一 after katakana is ー, elsewhere the kanji
    ("一", False, "－"), ("ー", False, "－"),  # a lone dash
    ("O", True, "○"), ("〇", True, "○"), ("0", False, "0"),  # a round glyph alone is a mark
    ("国·府支出金", False, "国・府支出金"),
])
def test_confusions_are_undone(read: str, round_glyph: bool, meant: str) -> None:
    assert correct_text(read, round_glyph=round_glyph) == meant


def test_a_zero_as_round_as_a_circle_is_the_mark() -> None:
    assert correct_text("0", round_glyph=True, circle=True) == "○"
    assert correct_text("1", round_glyph=True, circle=True) == "1"


def test_a_misread_label_snaps_to_the_templates_label() -> None:
    labels = known_labels(TEMPLATES)
    assert {"事業費a", "成果指標の内容", "※備考", "判断理由"} <= labels  # anchors, captions, via_below
    assert snap_label("成果指標の内客", labels) == "成果指標の内容"  # one glyph wrong
    assert snap_label("備考", labels) == "※備考"  # a dropped mark
    assert snap_label("成果指標の内容", labels) is None  # right already
    assert snap_label("環境学習推進事業", labels) is None  # a value, near no label
    assert "達成率" in labels and snap_label("達成", labels) is None  # a value a word short of a label is that value
    # the correction keeps each character where it was read (line breaks, segments)
    assert respell(["成果指標", "の内客"], "成果指標の内容") == ["成果指標", "の内容"]
    assert respell(["※ 備考"], "※備考") == ["※ 備考"]


def test_the_install_hint_names_the_extra_declared_in_pyproject() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    assert ocr_module.OCR_EXTRA in extras
    declared = {normalize_label(dep.split(">")[0].split("<")[0].split("=")[0]) for dep in extras[ocr_module.OCR_EXTRA]}
    assert {"rapidocr", "onnxruntime"} <= declared
    # CI tests OCR: the dev extra brings the same
    dev = {normalize_label(dep.split(">")[0].split("<")[0].split("=")[0]) for dep in extras["dev"]}
    assert declared <= dev


def test_without_the_extra_the_ingest_records_the_line_and_goes_on(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import fetch_dicts
    from hyoka.extractors.limits import Limits
    from hyoka.flows.engine import run_ingest
    from hyoka.flows.runs import IngestSettings

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(table_scan())
    db = tmp_path / "w.duckdb"
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    ocr_module.ocr_available.cache_clear()
    try:
        # time and memory limits off: pages are read in this process, where the extra is "missing"
        # (a worker process would import it afresh)
        unbounded = Limits(timeout=None, memory_mib=None)
        run_ingest([str(scan)], IngestSettings(db=str(db), runner="thread", report=False, limits=unbounded))
    finally:
        ocr_module.ocr_available.cache_clear()
    (row,) = fetch_dicts(db, "SELECT status, error FROM documents")
    assert row == {"status": "failed", "error": f"{NO_TEXT.reason} (scanned image?) — {INSTALL_HINT}"}


def test_values_read_from_a_scanned_page_carry_its_confidence_and_the_page_says_ocr() -> None:
    """The registry's part, on a real 池田 page's grid as if OCR had read it (no OCR run: fast)."""
    from conftest import IKEDA_PDFS
    from dataclasses import replace

    from hyoka.extractors.registry import assemble_extraction

    (read,) = read_page_grids(IKEDA_PDFS[0].read_bytes())
    assert read.grid is not None and read.ocr is None  # a text layer: no OCR
    texts = tuple(OcrText(cell.bbox, cell.text, 0.97) for cell in read.grid.cells if cell.text)
    extraction = assemble_extraction([replace(read, ocr=OcrPage(texts, 200.0))], 1)
    (page,) = extraction.rows("pages")
    assert page.note == "read by OCR at 200 dpi, lowest confidence 0.97"
    budget = extraction.rows("project_budgets")[0]
    assert budget.confidence and set(budget.confidence.values()) == {0.97}
    assert set(budget.confidence) <= set(budget.cell_bboxes)
    assert "confidence" not in budget.as_row()  # provenance, not a column
    plain = assemble_extraction([read], 1)
    assert plain.rows("project_budgets")[0].confidence == {} and plain.rows("pages")[0].note is None


def test_a_label_line_over_a_unit_line_snaps_on_its_own() -> None:
    from hyoka.extractors.ocr import snapped

    labels = frozenset({"成果指標の内容", "単位"})
    # the whole cell is near no label; its first line is
    assert snapped(["成果指標の内客", "(千円)"], [1, 1], labels) == ["成果指標の内容", "(千円)"]
    assert snapped(["成果指標", "の内客"], [2], labels) == ["成果指標", "の内容"]  # one line, two segments
    assert snapped(["環境学習", "(千円)"], [1, 1], labels) == ["環境学習", "(千円)"]


def test_cell_boxes_of_a_scan_are_plain_floats() -> None:
    (read,) = read_page_grids(table_scan())
    assert read.grid is not None
    assert {type(v) for cell in read.grid.cells for v in cell.bbox} == {float}
