"""The two page readers, pdfium (the default) and pdfplumber, give the same cells and texts.

Every sample, every real development PDF (池田, 神戸, 京都), a generated book and a few
PDFs made here for what the samples lack (a ruled table inside a scaled form XObject,
invisible text, pages turned by /Rotate or drawn sideways, a MediaBox moved to negative
coordinates and inverted) are read by both readers; for each page, the
cell boxes must agree to `BOX_TOLERANCE`, and the cell texts, the loose lines and
"has text" must be equal. A failure names the file, the page, the cell and the
difference.

Where the readers differ on purpose (see also `hyoka.extractors.pages`):
- vertical-writing glyphs (Identity-V fonts, 神戸's `（内訳）` labels): pdfminer boxes
  them with no height, above where they are drawn; pdfium boxes them where they are
  drawn. A cell holding such a glyph may read the same characters in another order.
- whitespace-only text objects: pdfium's text page leaves them out, and the pdfium reader
  restores them (U+0020 or U+3000, told apart by their advance); the samples show no
  difference, so none is allowed.
- overprinted (fake bold) glyphs: pdfium's text page drops a glyph printed again at the
  same place; pdfplumber keeps both and `grid.CharColumns.deduped` drops the copy. No
  difference is allowed either.
"""

from __future__ import annotations

import inspect
import io
import pickle
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, cache
from pathlib import Path

import pytest
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from conftest import IKEDA_PDFS, KPI_LIST, REAL, SAMPLES, SHEET_LIBREOFFICE
from hyoka.extractors.grid import BBox, PageGrid, build_grid, intersections_to_cells, ruled_cells, ruling_edges
from hyoka.extractors.pages import DEFAULT_READER, PageObjects, Reader
from hyoka.extractors.pdf_input import DocumentError, open_document
from hyoka.extractors.registry import assemble_extraction, count_pages, extract_pdf, read_page_grids
from pdf_factory import book, drawn_turned_copy, encrypted_copy, moved_copy, rotated_copy

# grid rounds cell boxes to 0.01 pt; pdfium keeps coordinates as 32-bit floats, which may
# land a box edge on the other side of a rounding step
BOX_TOLERANCE = 0.011

SAMPLE_PDFS = sorted(SAMPLES.glob("*.pdf")) + IKEDA_PDFS + sorted((REAL / "kobe").glob("*.pdf")) + sorted((REAL / "kyoto").glob("*.pdf"))


# ---------------------------------------------------------------------------------------
# PDFs made here


def form_xobject_pdf() -> bytes:
    """A ruled table drawn once as a form XObject and placed twice (scaled, moved), plus invisible text."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.beginForm("table")
    for i in range(4):
        pdf.line(0, i * 20, 200, i * 20)
    for j in range(3):
        pdf.line(j * 100, 0, j * 100, 60)
    pdf.setFont("Helvetica", 9)
    for x, y, text in [(5, 45, "Name"), (105, 45, "Value"), (5, 25, "alpha"), (105, 25, "1,234"), (5, 5, "beta gamma"), (105, 5, "56")]:
        pdf.drawString(x, y, text)
    pdf.endForm()
    for dx, dy, scale in [(100, 500, 1.5), (100, 200, 1.0)]:
        pdf.saveState()
        pdf.translate(dx, dy)
        pdf.scale(scale, scale)
        pdf.doForm("table")
        pdf.restoreState()
    hidden = pdf.beginText(300, 100)
    hidden.setTextRenderMode(3)  # invisible, as an OCR layer is
    hidden.setFont("Helvetica", 10)
    hidden.textLine("invisible words")
    pdf.drawText(hidden)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@cache
def generated_pdf(name: str) -> bytes:
    if name == "generated book (3 sheets)":
        import tempfile

        from synth.sheets import make_book

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "book.pdf"
            make_book(str(path), 3, seed=20240)
            return path.read_bytes()
    if name == "form xobject + invisible text":
        return form_xobject_pdf()
    turned = {"ikeda turned 90": (IKEDA_PDFS[0], 90), "sheet turned 270": (SHEET_LIBREOFFICE, 270), "kpi list turned 180": (KPI_LIST, 180)}
    if name in turned:
        return rotated_copy(*turned[name])
    if name == "sheet drawn sideways":  # a landscape sheet stored turned on a portrait page, no /Rotate
        return drawn_turned_copy(SHEET_LIBREOFFICE, 270)
    if name == "kpi list stored sideways, shown upright by /Rotate":  # how landscape A3 sheets are often saved
        return drawn_turned_copy(KPI_LIST, 90, rotate=90)
    if name == "ikeda on an inverted negative MediaBox":  # with a CropBox, and turned by /Rotate
        return moved_copy(IKEDA_PDFS[0], -700.0, -900.0, invert=True, crop=5.0, rotate=90)
    raise KeyError(name)


GENERATED = ["generated book (3 sheets)", "form xobject + invisible text", "ikeda turned 90", "sheet turned 270", "kpi list turned 180",
             "sheet drawn sideways", "kpi list stored sideways, shown upright by /Rotate", "ikeda on an inverted negative MediaBox"]


def pdf_bytes(name: str) -> bytes:
    return generated_pdf(name) if name in GENERATED else (SAMPLES / name).read_bytes()


ALL_INPUTS = [str(p.relative_to(SAMPLES)) for p in SAMPLE_PDFS] + GENERATED


# ---------------------------------------------------------------------------------------
# reading


@lru_cache(maxsize=4)
def page_objects(name: str, reader: Reader) -> list[PageObjects]:
    with open_document(pdf_bytes(name), reader) as source:
        return [source.read(n) for n in range(1, source.page_count + 1)]


def _inside(x: float, y: float, box: BBox) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def holds_vertical_glyph(objects: PageObjects, box: BBox) -> bool:
    """Whether pdfplumber boxed a glyph in this cell with no height (pdfminer's vertical-writing box)."""
    return any(
        c["bottom"] - c["top"] == 0 and c["text"].strip() and _inside((c["x0"] + c["x1"]) / 2, c["top"], box)
        for c in objects.chars
    )


def same_characters(a: str, b: str) -> bool:
    """The same printed characters, in any order."""
    return Counter("".join(a.split())) == Counter("".join(b.split()))


def grid_differences(label: str, ours: PageGrid, theirs: PageGrid, their_objects: PageObjects) -> list[str]:
    """What differs between the pdfium grid (ours) and the pdfplumber grid (theirs) of one page."""
    problems: list[str] = []
    if len(ours.cells) != len(theirs.cells):
        problems.append(f"{label}: {len(ours.cells)} cells with pdfium, {len(theirs.cells)} with pdfplumber")
    unmatched = list(theirs.cells)
    for cell in ours.cells:
        match = next((c for c in unmatched if max(abs(a - b) for a, b in zip(c.bbox, cell.bbox)) <= BOX_TOLERANCE), None)
        if match is None:
            problems.append(f"{label}, cell {cell.index} {cell.bbox}: no pdfplumber cell within {BOX_TOLERANCE} pt")
            continue
        unmatched.remove(match)
        if cell.text != match.text:
            if same_characters(cell.text, match.text) and holds_vertical_glyph(their_objects, match.bbox):
                continue  # intended: pdfminer misplaces vertical-writing glyphs
            problems.append(f"{label}, cell {cell.index} {cell.bbox}: pdfium {cell.text!r} != pdfplumber {match.text!r}")
    for cell in unmatched:
        problems.append(f"{label}, pdfplumber cell {cell.index} {cell.bbox} {cell.text!r}: not found by pdfium")
    ours_loose = [line.text for line in ours.loose_lines]
    theirs_loose = [line.text for line in theirs.loose_lines]
    if ours_loose != theirs_loose:
        only_ours = [t for t in ours_loose if t not in theirs_loose]
        only_theirs = [t for t in theirs_loose if t not in ours_loose]
        problems.append(f"{label}: loose lines differ: pdfium only {only_ours!r}, pdfplumber only {only_theirs!r}")
    if (ours.width, ours.height) != pytest.approx((theirs.width, theirs.height), abs=1e-3):
        problems.append(f"{label}: page size {ours.width}x{ours.height} != {theirs.width}x{theirs.height}")
    return problems


# ---------------------------------------------------------------------------------------
# the two readers agree


@pytest.mark.parametrize("name", ALL_INPUTS)
def test_both_readers_give_the_same_cells_and_texts(name: str) -> None:
    ours, theirs = page_objects(name, Reader.PDFIUM), page_objects(name, Reader.PDFPLUMBER)
    assert len(ours) == len(theirs), f"{name}: {len(ours)} pages with pdfium, {len(theirs)} with pdfplumber"
    problems: list[str] = []
    for mine, other in zip(ours, theirs):
        label = f"{name} page {mine.page_number}"
        if bool(mine.chars) != bool(other.chars):
            problems.append(f"{label}: has text {bool(mine.chars)} with pdfium, {bool(other.chars)} with pdfplumber")
        problems += grid_differences(label, build_grid(mine), build_grid(other), other)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ALL_INPUTS)
def test_our_intersections_to_cells_is_pdfplumbers(name: str) -> None:
    """`grid.intersections_to_cells` (indexed) gives pdfplumber's cells, in pdfplumber's order."""
    from pdfplumber.table import edges_to_intersections, intersections_to_cells as pdfplumber_cells, merge_edges
    from pdfplumber.utils import filter_edges

    for objects in page_objects(name, Reader.PDFIUM):
        edges = filter_edges(merge_edges(ruling_edges(objects), 3, 3, 3, 3), min_length=3)
        crossings = edges_to_intersections(edges, 3, 3)
        assert intersections_to_cells(crossings) == pdfplumber_cells(crossings), f"{name} page {objects.page_number}"


@pytest.mark.parametrize("name", ALL_INPUTS)
def test_our_ruled_cells_are_pdfplumbers(name: str) -> None:
    """`grid.ruled_cells` (tuples, indexed) gives the cells of pdfplumber's merge, filter and crossing steps, in order."""
    from pdfplumber.table import edges_to_intersections, intersections_to_cells as pdfplumber_cells, merge_edges
    from pdfplumber.utils import filter_edges

    from hyoka.extractors.grid import ruling_edge_tuples

    checked = 0
    for objects in page_objects(name, Reader.PDFIUM):
        edges = ruling_edges(objects)
        theirs = pdfplumber_cells(edges_to_intersections(filter_edges(merge_edges(edges, 3, 3, 3, 3), min_length=3), 3, 3))
        assert ruled_cells(edges) == theirs, f"{name} page {objects.page_number}"
        # the tuples `find_cell_boxes` makes straight from the objects are these edges, in order
        as_tuples = [tuple(e[k] for k in ("x0", "x1", "top", "bottom", "width", "height")) for e in edges]
        orientations = [e["orientation"] for e in edges]
        assert ruling_edge_tuples(objects) == (
            [t for t, o in zip(as_tuples, orientations) if o == "v"],
            [t for t, o in zip(as_tuples, orientations) if o == "h"],
        ), f"{name} page {objects.page_number}"
        checked += bool(theirs)
    assert checked, f"{name}: no page with ruled cells, nothing was compared"


def test_grid_settings_are_checked_up_front() -> None:
    from hyoka.extractors.grid import GridSettings

    with pytest.raises(ValueError, match="snap_tolerance must be a number ≥ 0"):
        GridSettings(snap_tolerance=-1)
    assert GridSettings().as_table_settings()["intersection_tolerance"] == 3.0


@pytest.mark.parametrize("path", [SHEET_LIBREOFFICE, KPI_LIST, IKEDA_PDFS[0], REAL / "kyoto" / "kyoto-r6-001.pdf"], ids=lambda p: p.name)
def test_the_pdfplumber_reader_gives_the_table_finders_cells(path: Path) -> None:
    """With pdfplumber pages, the cells are exactly those of pdfplumber's own table finder."""
    import pdfplumber

    from hyoka.extractors.grid import TABLE_SETTINGS, find_cell_boxes

    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            edges = ruling_edges(page)
            settings = dict(
                TABLE_SETTINGS,
                vertical_strategy="explicit",
                horizontal_strategy="explicit",
                explicit_vertical_lines=[e for e in edges if e["orientation"] == "v"],
                explicit_horizontal_lines=[e for e in edges if e["orientation"] == "h"],
            )
            finder = {tuple(round(v, 2) for v in cell) for cell in page.debug_tablefinder(settings).cells}
            assert find_cell_boxes(page) == sorted(finder, key=lambda b: (b[1], b[0])), f"{path.name} page {page.page_number}"


def test_read_page_grids_is_build_grid_of_each_page() -> None:
    data = KPI_LIST.read_bytes()
    for reader in Reader:
        reads = read_page_grids(data, reader=reader)
        assert [r.page for r in reads] == [1, 2, 3, 4]
        assert [r.grid for r in reads] == [build_grid(o) for o in page_objects(str(KPI_LIST.relative_to(SAMPLES)), reader)]


@pytest.mark.parametrize("name, turn", [("sheet turned 270", 90), ("kpi list turned 180", 180), ("ikeda turned 90", 270),
                                        ("sheet drawn sideways", 270), ("ikeda on an inverted negative MediaBox", 270),
                                        ("kpi list stored sideways, shown upright by /Rotate", 0)])
def test_a_page_is_turned_until_its_text_reads_upright(name: str, turn: int) -> None:
    """Both readers turn the page as far, and reading it again gives the same (pdfium's /Rotate is set back)."""
    for reader in Reader:
        with open_document(pdf_bytes(name), reader) as source:
            first, again = source.read(1), source.read(1)
        assert (first.turn, again) == (turn, first), reader
        assert 0 <= min(c["x0"] for c in first.chars) and max(c["x1"] for c in first.chars) <= first.width, reader
        assert 0 <= min(c["top"] for c in first.chars) and max(c["bottom"] for c in first.chars) <= first.height, reader


def test_ruled_cells_without_rulings_is_empty() -> None:
    assert ruled_cells([]) == []


# ---------------------------------------------------------------------------------------
# the default reader, and bad files


def test_pdfium_is_the_default_reader() -> None:
    assert DEFAULT_READER is Reader.PDFIUM
    for function in (extract_pdf, read_page_grids, count_pages, open_document):
        assert inspect.signature(function).parameters["reader"].default is Reader.PDFIUM, function.__name__
    assert Reader("pdfium") is Reader.PDFIUM and Reader("pdfplumber") is Reader.PDFPLUMBER


GOOD = SHEET_LIBREOFFICE.read_bytes()
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty file (0 bytes)"),
    "not a PDF": (b"These are my meeting notes, not a PDF.\n", "not a PDF (the file starts with"),
    "truncated": (GOOD[: len(GOOD) // 2], "truncated PDF (no %%EOF at the end of the file)"),
    "encrypted": (encrypted_copy(SHEET_LIBREOFFICE), "encrypted PDF (a password is needed to open it)"),
    "damaged": (b"%PDF-1.4\n" + bytes(random.Random(7).randrange(256) for _ in range(4000)) + b"\n%%EOF\n", "damaged PDF ("),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_one_line_with_either_reader(name: str) -> None:
    data, reason = BAD_FILES[name]
    messages: dict[Reader, set[str]] = {}
    for reader in Reader:
        calls = [lambda r=reader: count_pages(data, r), lambda r=reader: read_page_grids(data, reader=r),
                 lambda r=reader: extract_pdf(data, reader=r)]
        for call in calls:
            with pytest.raises(DocumentError) as caught:
                call()
            message = str(caught.value)
            assert message.startswith(reason), (reader.value, message)
            assert "\n" not in message
            messages.setdefault(reader, set()).add(message)
    if name != "damaged":  # a damaged file's line quotes the parser's own words
        assert messages[Reader.PDFIUM] == messages[Reader.PDFPLUMBER]


def test_a_pdf_without_pages() -> None:
    writer = PdfWriter()
    buffer = io.BytesIO()
    writer.write(buffer)
    for reader in Reader:
        assert count_pages(buffer.getvalue(), reader) == 0
        assert read_page_grids(buffer.getvalue(), reader=reader) == []
        with pytest.raises(DocumentError, match="^PDF has no pages"):
            extract_pdf(buffer.getvalue(), reader=reader)


# ---------------------------------------------------------------------------------------
# reading by parts


def test_any_split_of_a_book_assembles_the_same_extraction() -> None:
    """Pages read in ranges (pickled, as from worker processes), in any order, give one extraction."""
    data = book([(KPI_LIST, 1), (SHEET_LIBREOFFICE, 1), (SHEET_LIBREOFFICE, 2), (KPI_LIST, 2), (IKEDA_PDFS[0], 1)])
    whole = extract_pdf(data)
    count = count_pages(data)
    assert count == 5
    rng = random.Random(3)
    for cuts in ([], [1], [2, 4], [1, 2, 3, 4]):
        bounds = [0, *cuts, count]
        parts = [(a + 1, b) for a, b in zip(bounds, bounds[1:])]
        rng.shuffle(parts)
        reads = [read for first, last in parts for read in pickle.loads(pickle.dumps(read_page_grids(data, first=first, last=last)))]
        assert assemble_extraction(reads, count) == whole, parts


def test_on_page_reports_every_page_of_the_range() -> None:
    seen: list[tuple[int, int]] = []
    read_page_grids(KPI_LIST.read_bytes(), first=2, last=3, on_page=lambda page, total: seen.append((page, total)))
    assert seen == [(2, 4), (3, 4)]


def test_two_threads_read_two_documents_at_once() -> None:
    """pdfium is not thread-safe: the reader's lock must make parallel reads safe and equal."""
    files = [IKEDA_PDFS[0].read_bytes(), KPI_LIST.read_bytes(), IKEDA_PDFS[1].read_bytes(), GOOD]
    alone = [[r.grid for r in read_page_grids(data)] for data in files]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda data: [r.grid for r in read_page_grids(data)], files * 2))
    assert together == alone * 2
