"""A page answers a template's questions once (`hyoka.extractors.tables.page_memo`): the answers must not change
what is read, however often a page is read, and must go when the page does."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import pytest

from conftest import IKEDA_PDFS, REAL, SHEET_LIBREOFFICE
from hyoka.extractors import tables
from hyoka.extractors.file_template import FileTemplate, anchor_cells, read_field
from hyoka.extractors.pages import Reader
from hyoka.extractors.registry import PageRead, assemble_extraction, read_page_grids, template_named

KYOTO_PDFS = sorted((REAL / "kyoto").glob("kyoto-r6-*.pdf"))


def pages_of(path: Path) -> list[PageRead]:
    """A PDF's pages read into grids."""
    return read_page_grids(path.read_bytes(), reader=Reader.PDFIUM)


@pytest.mark.parametrize("path", [SHEET_LIBREOFFICE, IKEDA_PDFS[0], *KYOTO_PDFS], ids=lambda p: p.name)
def test_a_page_read_again_gives_what_it_gave(path: Path) -> None:
    # the second reading is answered from the pages' memos: a value a reader went on with
    # (京都's 取組実績 continued over a page break, 旭川's hook reading page 1 again) must not have changed them
    reads = pages_of(path)
    first = dataclasses.asdict(assemble_extraction(reads, len(reads)))
    again = dataclasses.asdict(assemble_extraction(reads, len(reads)))
    assert again == first
    fresh = pages_of(path)
    assert dataclasses.asdict(assemble_extraction(fresh, len(fresh))) == first


def test_a_field_is_answered_once_a_page_and_each_reader_gets_its_own_list() -> None:
    reads = pages_of(SHEET_LIBREOFFICE)
    grid = reads[0].grid
    assert grid is not None
    template = template_named("asahikawa_jimujigyo_sheet")
    assert isinstance(template, FileTemplate)
    spec, settings = template.project_spec.fields["project_name"][0], template.spec.settings
    found = read_field(grid, spec, settings)
    assert found and found[0].text
    found.clear()  # a reader's list is its own
    again = read_field(grid, spec, settings)
    assert again and again[0].text
    assert anchor_cells(grid, spec.label, spec.match) == anchor_cells(grid, spec.label, spec.match)


def test_a_page_memo_goes_with_its_page() -> None:
    reads = pages_of(SHEET_LIBREOFFICE)
    grid = reads[0].grid
    assert grid is not None
    anchor_cells(grid, ("事業名",), "exact")
    key = id(grid)
    assert tables._PAGE_MEMOS[key]  # the answer is kept while the page lives
    del grid, reads
    gc.collect()
    assert key not in tables._PAGE_MEMOS  # an answer holding its page would keep it here for good
