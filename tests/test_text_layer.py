"""A garbled text layer is refused with its reason; an invisible OCR layer is read like any text.

The garbled PDFs are real samples whose fonts' Unicode maps were rewritten to the private
use area or removed (`pdf_factory.garbled_copy`): the pages look as before, their text
does not. The OCR-like PDFs are the sample pages as images with their text laid over
invisible (`pdf_factory.ocr_layered_copy`). Both readers are asked.
"""

from __future__ import annotations

import math

import pytest

from conftest import IKEDA_PDFS, KPI_LIST, SHEET_LIBREOFFICE
from hyoka.extractors.failures import GARBLED, UNKNOWN_TEMPLATE, failure_kind
from hyoka.extractors.pages import Reader
from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.registry import extract_pdf, read_page_grids
from hyoka.extractors.text_layer import TextCount, TextLayerSettings, count_text, is_readable
from pdf_factory import garbled_copy, ocr_layered_copy, text_pdf


def refusal(data: bytes, reader: Reader) -> str:
    """The one line `extract_pdf` refuses the PDF with."""
    with pytest.raises(DocumentError) as caught:
        extract_pdf(data, reader=reader)
    return str(caught.value)


def records(data: bytes, reader: Reader) -> dict[str, list[dict]]:
    """Every record as its row, NaN as None (so that equal rows compare equal)."""
    def clean(row: dict) -> dict:
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}

    return {table: [clean(r.as_row()) for r in rows] for table, rows in extract_pdf(data, reader=reader).tables.items()}


@pytest.mark.parametrize("reader", list(Reader), ids=lambda r: r.value)
@pytest.mark.parametrize("source, drop", [(IKEDA_PDFS[0], True), (SHEET_LIBREOFFICE, False), (KPI_LIST, True)],
                         ids=["ikeda without ToUnicode", "sheet mapped to private use", "kpi list without ToUnicode"])
def test_a_garbled_text_layer_fails_with_its_reason(source, drop: bool, reader: Reader) -> None:  # type: ignore[no-untyped-def]
    """Glyph ids read as Ethiopic or Cherokee (池田's CID fonts), as control characters and ASCII (a simple
    font's codes), or private use code points: the document fails as garbled, not as an unknown layout."""
    line = refusal(garbled_copy(source, drop=drop), reader)
    assert failure_kind(line) is GARBLED, line
    assert "\n" not in line and "% of characters unreadable)" in line and "ToUnicode" in line and "ocrmypdf" in line


def test_readable_characters_are_what_a_japanese_sheet_prints() -> None:
    for text in "事業費（千円）令和４年度①○△▲■※ｱ㈱㎡Ⅱα×÷%,.-〜髙𠮷":
        assert is_readable(text), text
    for text in ("\ue000", "\uf8ff", "\x02", "\ufffd", "(cid:4973)", "ፚ", "Ꭼ", "ب", "한", "\u0378"):
        assert not is_readable(text), repr(text)


def test_a_page_is_garbled_when_most_of_it_is_unreadable_or_none_of_it_is_japanese() -> None:
    chars = [{"text": t} for t in "事業の概要" * 4 + "\ue000" * 30 + "   "]
    assert count_text(chars) == TextCount(printed=50, unreadable=30, japanese=20)
    assert count_text(chars).garbled()  # 60 % unreadable
    assert not TextCount(printed=50, unreadable=20, japanese=30).garbled()  # a sheet with its kanji: 40 %
    assert TextCount(printed=50, unreadable=6, japanese=0).garbled()  # ASCII and control characters: 12 %, no kana or kanji
    assert not TextCount(printed=50, unreadable=0, japanese=0).garbled()  # an English page
    assert not TextCount(printed=10, unreadable=10, japanese=0).garbled()  # too little to judge
    with pytest.raises(ValueError, match="max_unreadable_share must be at least 0 and below 1"):
        TextLayerSettings(max_unreadable_share=1.5)
    with pytest.raises(ValueError, match="min_printed must be at least 1"):
        TextLayerSettings(min_printed=0)


@pytest.mark.parametrize("reader", list(Reader), ids=lambda r: r.value)
def test_an_english_page_is_still_an_unknown_template(reader: Reader) -> None:
    line = refusal(text_pdf(["Minutes of the council meeting", "Item 1: the budget for the bridge over the river"]), reader)
    assert failure_kind(line) is UNKNOWN_TEMPLATE, line


@pytest.mark.parametrize("reader", list(Reader), ids=lambda r: r.value)
def test_an_invisible_ocr_layer_over_a_page_image_is_read_like_any_text(reader: Reader) -> None:
    """Render mode 3 text over an image: the same records as the sheet itself (its rulings kept: hyoka
    finds cells from rulings, which no OCR tool draws)."""
    assert records(ocr_layered_copy(IKEDA_PDFS[0]), reader) == records(IKEDA_PDFS[0].read_bytes(), reader)


def test_an_ocr_layer_without_rulings_is_text_not_garbage() -> None:
    """What an OCR tool leaves (an image, invisible text, no rulings) is read as text: not 'no text layer',
    not garbled."""
    (page,) = read_page_grids(ocr_layered_copy(IKEDA_PDFS[0], rulings=False))
    assert page.has_text and page.text.printed > 500 and page.text.unreadable == 0 and not page.text.garbled()
    assert page.grid is not None and page.grid.cells == []
