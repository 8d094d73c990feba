"""A page answers a template's questions once while it is read (`hyoka.extractors.tables.page_answers`): the
answers must not change what is read, however often a page is read, and are not kept after the reading."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import IKEDA_PDFS, REAL, SHEET_LIBREOFFICE
from hyoka.extractors.tables import forget_pages, page_answers, page_memo
from hyoka.extractors.file_template import FileTemplate, anchor_cells, read_field, read_first
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
    with page_answers():  # both readings within one: the second is answered by what the first asked
        first = dataclasses.asdict(assemble_extraction(reads, len(reads)))
        again = dataclasses.asdict(assemble_extraction(reads, len(reads)))
    assert again == first
    fresh = pages_of(path)
    assert dataclasses.asdict(assemble_extraction(fresh, len(fresh))) == first


@pytest.mark.parametrize("path", KYOTO_PDFS, ids=lambda p: p.name)
def test_a_value_that_goes_on_over_a_page_break_reads_the_same_when_asked_again(path: Path) -> None:
    # 京都's sections may go on at the top of the next page (`continues_unless`): the value goes on
    # with a copy, the page's answer stays as it was
    template = template_named("kyoto_shinki_jujitsu_sheet")
    assert isinstance(template, FileTemplate)
    grids = [read.grid for read in pages_of(path) if read.grid is not None]
    fields, settings = template.project_spec.fields, template.spec.settings
    with page_answers():
        first = {name: [f.text for f in read_first(grids, alternatives, settings)] for name, alternatives in fields.items()}
        again = {name: [f.text for f in read_first(grids, alternatives, settings)] for name, alternatives in fields.items()}
    assert again == first
    assert any(first.values())


def test_a_field_is_answered_once_a_page_and_each_reader_gets_its_own_list() -> None:
    reads = pages_of(SHEET_LIBREOFFICE)
    grid = reads[0].grid
    assert grid is not None
    template = template_named("asahikawa_jimujigyo_sheet")
    assert isinstance(template, FileTemplate)
    spec, settings = template.project_spec.fields["project_name"][0], template.spec.settings
    with page_answers():
        found = read_field(grid, spec, settings)
        assert found and found[0].text
        found.clear()  # a reader's list is its own
        again = read_field(grid, spec, settings)
        assert again and again[0].text
        anchors = anchor_cells(grid, spec.label, spec.match)
        anchors.clear()
        assert anchor_cells(grid, spec.label, spec.match)


def test_answers_are_kept_while_a_template_reads_and_not_after() -> None:
    reads = pages_of(SHEET_LIBREOFFICE)
    grid = reads[0].grid
    assert grid is not None
    assert page_memo(grid) == {}  # outside a reading nothing is kept
    anchor_cells(grid, ("事業名",), "exact")
    assert page_memo(grid) == {}
    with page_answers():
        anchor_cells(grid, ("事業名",), "exact")
        assert page_memo(grid)  # kept while the reading lasts
        with page_answers():  # a reading inside (a hook's) shares them
            assert page_memo(grid)
        forget_pages([grid])
        assert page_memo(grid) == {}
        anchor_cells(grid, ("事業名",), "exact")
    assert page_memo(grid) == {}
