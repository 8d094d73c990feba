"""The record contract (issue 11): each record type says its table and its key, once.

- every record type declares `TABLE` and `key()`; the key is what validation_issues
  always called the row (the if-chain it replaced is kept here as the oracle);
- no table name is written as a string in extractors/ outside records.py;
- every record table has a validation schema or is declared unchecked, and its DDL;
- templates return what they read, and the registry merges them by one stated rule;
- the report finds a row from its key and a flagged project from its pages, not a regex.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import IKEDA_PDFS, KPI_LIST, ROOT, SHEET_LIBREOFFICE
from hyoka.extractors.records import (
    RECORD_TYPES,
    BudgetRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    PageRecord,
    ProjectRecord,
    Record,
)
from hyoka.extractors.registry import (
    TEMPLATES,
    PageRead,
    assemble_extraction,
    extract_pdf,
    merge_extractions,
    read_page_grids,
    template_named,
)
from hyoka.extractors.template import PageMatch
from hyoka.schemas.registry import SCHEMAS, UNCHECKED, schema_for
from hyoka.warehouse import report_queries, schema, store

TABLE_NAMES = set(RECORD_TYPES) | {Extraction.TABLE, "validation_issues"}


def old_record_key(table: str, record: Record) -> str:
    """`hyoka.schemas.validate.record_key` as it was before issue 11: the oracle of `key()`."""
    get = lambda name: getattr(record, name, None)  # noqa: E731
    if table == "project_budgets":
        return f"{get('project_code')} {get('label')}"
    if table == "project_staffing":
        return f"{get('project_code')} 人工 {get('fiscal_year')}"
    if table == "project_indicators":
        return f"{get('project_code')} {get('level')}#{get('indicator_no')} {get('column_label')}"
    if table == "strategy_kpis":
        return str(get("kpi_id"))
    if table == "strategy_kpi_values":
        return f"{get('kpi_id')} {get('column_label')}"
    if table == "project_budget_sources":
        return f"{get('project_code')} {get('label')} {get('source')}"
    if table == "project_budget_items":
        return f"{get('project_code')} {get('label')} 内訳#{get('item_no')}"
    if table == "project_sdgs":
        return f"{get('project_code')} SDG {get('goal_no')}"
    return str(get("project_code") or get("kpi_id") or "")


@pytest.fixture(scope="module")
def extractions() -> list[Extraction]:
    return [extract_pdf(path.read_bytes()) for path in (SHEET_LIBREOFFICE, KPI_LIST, *IKEDA_PDFS[:3])]


# --------------------------------------------------------------------------------------
# the record types


def test_every_record_type_declares_its_table_and_key() -> None:
    assert len(RECORD_TYPES) == 13
    for table, record_type in RECORD_TYPES.items():
        assert record_type.TABLE == table
        assert isinstance(record_type().key(), str), record_type.__name__  # key() is its own, not Record's
    with pytest.raises(TypeError, match="declares no TABLE"):
        type("Nameless", (Record,), {})
    with pytest.raises(TypeError, match="already has a record type"):
        type("Twin", (Record,), {"TABLE": ProjectRecord.TABLE})
    assert len(RECORD_TYPES) == 13 and RECORD_TYPES[ProjectRecord.TABLE] is ProjectRecord  # nothing registered


def test_keys_are_what_validation_issues_always_said(extractions: list[Extraction]) -> None:
    """The same key for every record of the samples as the old if-chain; pages alone are new ('page N')."""
    checked = set()
    for extraction in extractions:
        for table, records in extraction.tables.items():
            for record in records:
                if table == PageRecord.TABLE:
                    assert record.key() == f"page {record.page}"
                    continue
                assert record.key() == old_record_key(table, record), (table, record.key())
                checked.add(table)
    # project_extra_fields came after the if-chain (no old key) and no sample fills it: test_extra_fields holds its key
    assert checked == set(RECORD_TYPES) - {PageRecord.TABLE, "project_extra_fields"}


def test_extraction_files_a_record_under_its_own_table() -> None:
    extraction = Extraction(template="t", doc_type="d")
    budget, project = BudgetRecord(project_code="1", label="R3決算"), ProjectRecord(project_code="1")
    extraction.add(budget)
    extraction.extend([project])
    assert extraction.tables == {"project_budgets": [budget], "projects": [project]}
    assert extraction.rows(BudgetRecord) == [budget] and extraction.rows("projects") == [project]
    assert extraction.rows(IndicatorRecord) == []


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module that is not a docstring, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_table_name_is_spelt_out_in_extractors_outside_records() -> None:
    found = []
    for path in sorted((ROOT / "extractors").glob("*.py")):
        if path.name == "records.py":
            continue
        found += [f"{path.name}:{line} {text!r}" for line, text in _string_constants(path) if text in TABLE_NAMES]
    assert not found, found


# --------------------------------------------------------------------------------------
# schemas and the warehouse


def test_every_record_table_has_a_schema_or_is_declared_unchecked() -> None:
    with_schema = {RECORD_TYPES[table] for table in SCHEMAS}
    assert set(SCHEMAS) <= set(RECORD_TYPES), set(SCHEMAS) - set(RECORD_TYPES)
    assert not with_schema & UNCHECKED
    assert with_schema | UNCHECKED == set(RECORD_TYPES.values())
    assert schema_for(BudgetRecord) is schema_for("project_budgets") is SCHEMAS["project_budgets"]
    assert schema_for(PageRecord) is None


def test_every_record_type_has_its_table_in_the_warehouse_ddl() -> None:
    assert sorted(schema.RECORD_TABLES) == sorted(RECORD_TYPES)
    for table, record_type in RECORD_TYPES.items():
        columns = store.table_columns(table)  # raises for a table the DDL lacks
        row = record_type(page=1).as_row()
        assert set(row) == set(columns) - {"document_id"}, (table, set(row) ^ (set(columns) - {"document_id"}))
    # `detail` is a finding's specifics, folded into `message` by the validate stage
    issue_columns = {f.name for f in fields(IssueRecord)} - {"detail"} | {"document_id", "related_document_id"}
    assert set(store.table_columns("validation_issues")) == issue_columns


# --------------------------------------------------------------------------------------
# templates return what they read; the registry merges


def test_templates_read_into_an_extraction_of_their_own() -> None:
    for template in TEMPLATES:
        assert list(inspect.signature(template.read).parameters) == ["pages"], template.name  # no shared extraction
    for path, name, fields_read in (
        (SHEET_LIBREOFFICE, "asahikawa_jimujigyo_sheet", ("旭川市", 2021, None)),
        (KPI_LIST, "asahikawa_strategy_kpi_list",
         ("旭川市", 2022, "【第２期】旭川市まち・ひと・しごと創生総合戦略に係る重要業績評価指標（ＫＰＩ）一覧")),
    ):
        template = template_named(name)
        pages = [(r.grid, template.recognize(r.grid).role or "") for r in read_page_grids(path.read_bytes()) if r.grid]
        part = template.read(pages)
        assert (part.template, part.doc_type, part.page_count) == (name, template.doc_type, len(pages))
        assert (part.municipality, part.results_fiscal_year, part.title) == fields_read
        assert [p.page for p in part.rows(PageRecord)] == list(range(1, len(pages) + 1))


class FakeTemplate:
    """A template that claims fixed pages and reads the document fields it is given."""

    def __init__(self, name: str, pages: set[int], **document: Any) -> None:
        self.name, self.doc_type, self.municipality, self.description = name, f"{name}_type", None, name
        self.main_record = ProjectRecord
        self.pages, self.document = pages, document
        self.read_calls: list[list[int]] = []

    def recognize(self, grid: Any) -> PageMatch:
        return PageMatch(1.0, "page") if grid.page_number in self.pages else PageMatch(0.0, None)

    def read(self, pages: list[tuple[Any, str]]) -> Extraction:
        numbers = [grid.page_number for grid, _ in pages]
        self.read_calls.append(numbers)
        extraction = Extraction(template=self.name, doc_type=self.doc_type, page_count=len(pages), **self.document)
        for number in numbers:
            extraction.add(ProjectRecord(page=number, project_code=f"{self.name}{number}"))
            extraction.add(PageRecord(page=number, template=self.name))
        extraction.issues.append(IssueRecord(numbers[0], Extraction.TABLE, "", None, f"read_by_{self.name}", "warning", ""))
        return extraction


def _assemble(*templates: FakeTemplate, pages: int) -> Extraction:
    reads = [PageRead(n, SimpleNamespace(page_number=n), has_text=True) for n in range(1, pages + 1)]  # type: ignore[arg-type]  # a stub grid: the fakes only ask its number
    return assemble_extraction(reads, pages, list(templates))  # type: ignore[arg-type]  # the fakes are Templates by shape


def test_the_template_with_most_pages_owns_the_document_fields() -> None:
    sheets = FakeTemplate("a", {1, 3}, municipality="甲市", results_fiscal_year=2020)
    kpis = FakeTemplate("b", {2}, municipality="乙市", results_fiscal_year=2024, title="乙の一覧")
    merged = _assemble(sheets, kpis, pages=3)
    assert (merged.template, merged.doc_type, merged.page_count) == ("a", "a_type", 3)
    # a's own fields win; the title a did not read is b's; nothing of b overwrites a
    assert (merged.municipality, merged.results_fiscal_year, merged.title) == ("甲市", 2020, "乙の一覧")
    assert sheets.read_calls == [[1, 3]] and kpis.read_calls == [[2]]  # each template read only its own pages
    assert [p.project_code for p in merged.rows(ProjectRecord)] == ["a1", "a3", "b2"]  # parts in order, each as read
    assert [p.page for p in merged.rows(PageRecord)] == [1, 2, 3]
    assert [i.check_name for i in merged.issues] == ["read_by_a", "read_by_b"]


def test_a_tie_goes_to_the_template_of_the_earlier_page() -> None:
    merged = _assemble(FakeTemplate("a", {2}, title="A"), FakeTemplate("b", {1}, title="B"), pages=2)
    assert (merged.template, merged.title) == ("b", "B")


def test_merge_keeps_each_field_from_one_part() -> None:
    main = Extraction(template="m", doc_type="m_type", page_count=3, results_fiscal_year=None, title="main title")
    other = Extraction(template="o", doc_type="o_type", page_count=1, results_fiscal_year=2023, title="other title",
                       municipality="丙町")
    merged = merge_extractions([other, main], page_count=9)
    assert (merged.template, merged.doc_type, merged.page_count) == ("m", "m_type", 9)
    assert (merged.title, merged.results_fiscal_year, merged.municipality) == ("main title", 2023, "丙町")
    assert (main.title, other.title) == ("main title", "other title")  # the parts are left as they were read


# --------------------------------------------------------------------------------------
# the report reads parts, not a parsed key


def test_report_finds_rows_by_their_key_and_flagged_projects_by_their_page(tmp_path: Path) -> None:
    doc_id = "c" * 64
    budget = BudgetRecord(page=1, bbox=(1, 2, 3, 4), project_code="121101", label="R3決算見込", fiscal_year=2021)
    indicator = IndicatorRecord(page=2, bbox=(5, 6, 7, 8), project_code="121101", level="施策", indicator_no=1,
                                column_label="R3実績")
    pages = [PageRecord(page=1, project_code="121101"), PageRecord(page=2, project_code="121101"),
             PageRecord(page=3, project_code=None), PageRecord(page=4, project_code="999")]

    def issue(record: Record, page: int) -> dict[str, Any]:
        return {"page": page, "table_name": record.TABLE, "record_key": record.key(), "column_name": None,
                "check_name": "funding_sum", "severity": "error", "message": "m"}

    con = store.connect(tmp_path / "contract.duckdb")
    try:
        document = {"document_id": doc_id, "source_path": "/x.pdf", "file_name": "x.pdf", "file_size": 1,
                    "doc_type": "jimujigyo_sheet", "template": "t", "page_count": 4}
        tables = {r[0].TABLE: [x.as_row() for x in r] for r in ([budget], [indicator], pages)}
        page_issue = {**issue(pages[2], 3), "record_key": "g1-0123456789ab"}
        store.load_document(con, document, tables, [issue(budget, 1), issue(indicator, 2), page_issue])
        found = {row["table_name"]: row["row_bbox"] for row in report_queries.issues(con).to_dict("records")}
        assert list(found["project_budgets"]) == [1, 2, 3, 4]
        assert list(found["project_indicators"]) == [5, 6, 7, 8]
        assert report_queries.flagged_project_codes(con) == {"121101"}  # page 4 has no issue, page 3 no project
    finally:
        con.close()
