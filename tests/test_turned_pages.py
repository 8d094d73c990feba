"""Sheets saved turned or on a moved MediaBox load with every ground-truth field right, with either reader.

Copies of the sample sheet, the KPI list and a real 池田 sheet are made here
(`pdf_factory`): /Rotate 90 on a negative, inverted MediaBox with a CropBox, /Rotate 180,
/Rotate 270, and the content drawn sideways on a portrait page without any /Rotate (a
landscape sheet stored turned). Each copy is read by the ingest's own stages (every
variant with pdfium, the first with pdfplumber too) and loaded into a warehouse of its
own *under the upright file's document id*, so that the ground-truth tests of the
upright files run unchanged on the copy's rows: every test of `test_sheet_ground_truth.py`
taking (sheet_warehouse, pdf), of `test_kpi_warehouse.py` taking (kpi_warehouse) and of
`test_ikeda_ground_truth.py` taking (ikeda_warehouse, name). A check added there is run
here too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import test_ikeda_ground_truth as ikeda_truth
import test_kpi_warehouse as kpi_truth
import test_sheet_ground_truth as sheet_truth
from conftest import IKEDA, KPI_LIST, SHEET_LIBREOFFICE
from hyoka.extractors.pages import Reader
from hyoka.extractors.pdf_input import sha256_hex
from pdf_factory import drawn_turned_copy, moved_copy, rotated_copy

IKEDA_SHEET = IKEDA / ikeda_truth.SHEETS[0]
DOCUMENTS = (SHEET_LIBREOFFICE, KPI_LIST, IKEDA_SHEET)

# how each copy is made from the upright file
VARIANTS: dict[str, Callable[[Path], bytes]] = {
    "rotate 90 on a negative inverted MediaBox": lambda p: moved_copy(p, -700.0, -900.0, invert=True, crop=5.0, rotate=90),
    "rotate 180": lambda p: rotated_copy(p, 180),
    "rotate 270": lambda p: rotated_copy(p, 270),
    "drawn sideways": lambda p: drawn_turned_copy(p, 90),
}
# every variant with the default reader; with pdfplumber the one that asks most of it (its offset MediaBox
# corrected, then turned): tests/test_readers.py shows the two readers give the same cells on the others
CASES = [pytest.param(variant, Reader.PDFIUM, id=f"{variant}-pdfium") for variant in VARIANTS]
CASES.append(pytest.param(next(iter(VARIANTS)), Reader.PDFPLUMBER, id=f"{next(iter(VARIANTS))}-pdfplumber"))


def checks(module: Any, *parameters: str) -> list[Callable[..., None]]:
    """The module's tests that take exactly these fixtures (one document's ground truth)."""
    found = [f for name, f in vars(module).items()
             if name.startswith("test_") and callable(f) and tuple(inspect.signature(f).parameters) == parameters]
    assert found, (module.__name__, parameters)
    return found


def relabelled(result: Any, document_id: str) -> Any:
    """A document's rows and issues filed under another document id."""
    result.document["document_id"] = document_id
    for rows in [*result.tables.values(), result.issues]:
        for row in rows:
            row["document_id"] = document_id
    return result


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, Reader], Path]]:
    """The warehouse of one variant read by one reader (made once): the copies of all three documents."""
    from hyoka.flows.runs import load_result
    from hyoka.flows.stages import process_document
    from hyoka.warehouse import store

    made: dict[tuple[str, Reader], Path] = {}

    def warehouse(variant: str, reader: Reader) -> Path:
        if (variant, reader) not in made:
            db = tmp_path_factory.mktemp("turned") / "turned.duckdb"
            con = store.connect(db)
            try:
                for upright in DOCUMENTS:
                    result = process_document(str(upright), VARIANTS[variant](upright), reader=reader)
                    assert not result.failed, (upright.name, result.document["error"])
                    load_result(con, relabelled(result, sha256_hex(upright.read_bytes())))
            finally:
                con.close()
            made[(variant, reader)] = db
        return made[(variant, reader)]

    yield warehouse


@pytest.mark.parametrize("variant, reader", CASES)
def test_the_sheet_has_every_ground_truth_field(warehouses: Callable[[str, Reader], Path], variant: str, reader: Reader) -> None:
    db = warehouses(variant, reader)
    for check in checks(sheet_truth, "sheet_warehouse", "pdf"):
        check(db, SHEET_LIBREOFFICE)


@pytest.mark.parametrize("variant, reader", CASES)
def test_the_kpi_list_has_every_ground_truth_cell(warehouses: Callable[[str, Reader], Path], variant: str, reader: Reader) -> None:
    db = warehouses(variant, reader)
    for check in checks(kpi_truth, "kpi_warehouse"):
        check(db)


@pytest.mark.parametrize("variant, reader", CASES)
def test_the_ikeda_sheet_has_every_ground_truth_field(warehouses: Callable[[str, Reader], Path], variant: str, reader: Reader) -> None:
    db = warehouses(variant, reader)
    for check in checks(ikeda_truth, "ikeda_warehouse", "name"):
        check(db, IKEDA_SHEET.name)
