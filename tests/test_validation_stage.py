"""The validate stage on its own (no Prefect, no warehouse): the samples and the 池田 sheets.

The real documents are clean as far as the schemas go, so each check is also shown to
fire: one defect is planted in a real extraction, and exactly the issue it should cause
(check, column, record key, severity) must come out, and nothing else. The quick path
(`hyoka.schemas.screen`, which skips Pandera's full run for a table it proves clean) must give
the same issues as Pandera alone, and the issues come from the failure cases as they did.
"""

from __future__ import annotations

import copy
from dataclasses import astuple
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa
import pytest

from conftest import IKEDA_PDFS, KPI_LIST, SHEET_LIBREOFFICE, SHEET_REPORTLAB
from hyoka.extractors.records import Extraction, IssueRecord, Record
from hyoka.extractors.registry import extract_pdf
from hyoka.schemas.checks import message_of, severity_of
from hyoka.schemas.registry import SCHEMAS as ALL_SCHEMAS
from hyoka.schemas.validate import complete_findings, failures_to_issues, records_frame, split_check_name, validate_extraction, validate_table

IKEDA_001 = IKEDA_PDFS[0]
Plant = Callable[[Extraction], None]
Expected = list[tuple[str, str, str | None, str, str]]  # table, check, column, record key, severity


@pytest.fixture(scope="module")
def extractions() -> dict[Path, Extraction]:
    """Every sample and 池田 sheet, extracted once (no Prefect)."""
    return {path: extract_pdf(path.read_bytes()) for path in [SHEET_LIBREOFFICE, SHEET_REPORTLAB, KPI_LIST, *IKEDA_PDFS]}


def schema_issues(extraction: Extraction) -> list[IssueRecord]:
    """What the validate stage adds to the extractor's own issues."""
    issues = validate_extraction(extraction)
    assert issues[: len(extraction.issues)] == complete_findings(extraction.issues)
    return issues[len(extraction.issues):]


def summary(issues: list[IssueRecord]) -> Expected:
    """The parts of each issue a planted defect determines."""
    return [(i.table_name, i.check_name, i.column_name, i.record_key, i.severity) for i in issues]


# ---------------------------------------------------------------------------------------
# the real documents as they are


@pytest.mark.parametrize("path", [SHEET_LIBREOFFICE, SHEET_REPORTLAB], ids=["libreoffice", "reportlab"])
def test_the_asahikawa_sheet_has_its_three_header_mismatches_and_nothing_from_the_schemas(
    extractions: dict[Path, Extraction], path: Path
) -> None:
    extraction = extractions[path]
    issues = validate_extraction(extraction)
    assert [(i.page, i.table_name, i.record_key, i.column_name, i.check_name, i.severity, i.raw_value) for i in issues] == [
        (2, "project_budgets", f"121101 {label}", "tax_allocation_pct", "page_header_mismatch", "warning", "")
        for label in ("R3当初予算", "R3決算見込", "R4当初予算")
    ]
    assert schema_issues(extraction) == []


def test_the_kpi_list_and_every_ikeda_sheet_validate_clean(extractions: dict[Path, Extraction]) -> None:
    for path in [KPI_LIST, *IKEDA_PDFS]:
        extraction = extractions[path]
        assert extraction.tables, path.name
        assert validate_extraction(extraction) == [], path.name


# ---------------------------------------------------------------------------------------
# one planted defect, one issue


def change(table: str, index: int, raw: dict[str, str] | None = None, **values: Any) -> Plant:
    """A plant that sets fields (and printed texts) of one record."""

    def plant(extraction: Extraction) -> None:
        record = extraction.tables[table][index]
        for name, value in values.items():
            setattr(record, name, value)
        record.raw.update(raw or {})

    return plant


def copy_again(table: str, index: int, **values: Any) -> Plant:
    """A plant that appends a changed copy of one record (a project bound twice, say)."""

    def plant(extraction: Extraction) -> None:
        record = copy.deepcopy(extraction.tables[table][index])
        for name, value in values.items():
            setattr(record, name, value)
        extraction.tables[table].append(record)

    return plant


R4 = "Ｒ４年度 決\u3000算"  # 池田 No.1's budget columns as printed
R6_BUDGET = "R６年度 予\u3000算"
KPI = "g1-34d8cf88a33e"  # 旭川 KPI一覧's first KPI

PLANTS: dict[str, tuple[Path, Plant, Expected]] = {
    "funding_sum": (IKEDA_001, change("project_budget_sources", 4, amount=100.0),
                    [("project_budget_sources", "funding_sum", "amount", f"1 {R4} 一般財源", "error")]),
    "part_exceeds_whole": (IKEDA_001, change("project_budget_sources", 3, amount=6000.0),
                           [("project_budget_sources", "part_exceeds_whole", "amount", f"1 {R4} 受益者負担", "error")]),
    "unknown_funding_source": (IKEDA_001, change("project_budget_sources", 4, source="寄附金"),
                               [("project_budget_sources", "unknown_funding_source", "source", f"1 {R4} 寄附金", "error")]),
    "negative_amount": (IKEDA_001, change("project_budgets", 1, other=-5690.0),
                        [("project_budgets", "negative_amount", "other", "1 R５年度 決\u3000算", "warning")]),
    "unparseable_number": (IKEDA_001, change("project_budgets", 0, raw={"general_revenue": "不明"}, general_revenue=None),
                           [("project_budgets", "unparseable_number", "general_revenue", f"1 {R4}", "error")]),
    "burden_rate": (IKEDA_001, change("project_budgets", 2, beneficiary_burden=570.0, beneficiary_burden_pct=50.0),
                    [("project_budgets", "burden_rate", "beneficiary_burden_pct", f"1 {R6_BUDGET}", "warning")]),
    # 受益者負担 is printed 0 there, so the rate is wrong too; table-wide checks come first
    "percent_range": (IKEDA_001, change("project_budgets", 2, beneficiary_burden_pct=150.0),
                      [("project_budgets", "burden_rate", "beneficiary_burden_pct", f"1 {R6_BUDGET}", "warning"),
                       ("project_budgets", "percent_range", "beneficiary_burden_pct", f"1 {R6_BUDGET}", "error")]),
    "budget_year_out_of_range": (IKEDA_001, change("project_budgets", 0, fiscal_year=2015),
                                 [("project_budgets", "budget_year_out_of_range", "label", f"1 {R4}", "error")]),
    "value_jump_budget": (IKEDA_001, change("project_budgets", 3, total_cost=113800.0),
                          [("project_budgets", "value_jump", "total_cost", "1 R６年度 決\u3000算", "warning")]),
    "fiscal_year_range": (IKEDA_001, change("project_budget_items", 0, fiscal_year=1850),
                          [("project_budget_items", "fiscal_year_range", "fiscal_year", f"1 {R4} 内訳#1", "error")]),
    "sdg_goal_range": (IKEDA_001, change("project_sdgs", 0, goal_no=18),
                       [("project_sdgs", "sdg_goal_range", "goal_no", "1 SDG 18", "error")]),
    "duplicate_project": (IKEDA_001, copy_again("projects", 0, project_name="別の事業"),
                          [("projects", "duplicate_project", "project_code", "1", "error")]),
    "project_code_format": (IKEDA_001, change("projects", 0, project_code="A-1"),
                            [("projects", "project_code_format", "project_code", "A-1", "error")]),
    "achievement_rate": (SHEET_LIBREOFFICE, change("project_indicators", 3, value=8.0),
                         [("project_indicators", "achievement_rate", "achievement_rate", "121101 施策#1 実績 R3", "warning")]),
    "target_before_actual": (SHEET_LIBREOFFICE, change("project_indicators", 1, fiscal_year=2020),
                             [("project_indicators", "target_before_actual", "column_label", "121101 事業#1 R5目標値", "warning")]),
    "value_jump_indicator": (SHEET_LIBREOFFICE, change("project_indicators", 9, value=3220.0),
                             [("project_indicators", "value_jump", "value", "121101 基本政策#1 実績 R3", "warning")]),
    "staff_range": (SHEET_LIBREOFFICE, change("project_staffing", 0, regular_staff=5000.0),
                    [("project_staffing", "staff_range", "regular_staff", "121101 人工 2021", "error")]),
    "start_year_range": (SHEET_LIBREOFFICE, change("projects", 0, start_fiscal_year=1700),
                         [("projects", "fiscal_year_range", "start_fiscal_year", "121101", "error")]),
    "kpi_unit_unknown": (KPI_LIST, change("strategy_kpis", 0, unit="謎"),
                         [("strategy_kpis", "kpi_unit_unknown", "unit", KPI, "warning")]),
    "kpi_id_missing": (KPI_LIST, change("strategy_kpis", 0, kpi_id=""),
                       [("strategy_kpis", "kpi_id_missing", "kpi_id", "", "error")]),
    "ref_year_after_column": (KPI_LIST, change("strategy_kpi_values", 2, ref_fiscal_year_end=2022),
                              [("strategy_kpi_values", "ref_year_after_column", "ref_fiscal_year_end",
                                f"{KPI} 令和２年度実績値", "error")]),
    "aggregate_without_range": (KPI_LIST, change("strategy_kpi_values", 1, aggregation="累計"),
                                [("strategy_kpi_values", "aggregate_without_range", "aggregation",
                                  f"{KPI} 令和元年度実績値", "error")]),
    "placeholder_status": (KPI_LIST, change("strategy_kpi_values", 1, status="placeholder"),
                           [("strategy_kpi_values", "placeholder_status", "status", f"{KPI} 令和元年度実績値", "error")]),
    "unparseable_kpi_value": (KPI_LIST, change("strategy_kpi_values", 1, value=None),
                              [("strategy_kpi_values", "unparseable_number", "value", f"{KPI} 令和元年度実績値", "error")]),
    "kpi_words_in_actuals": (KPI_LIST, change("strategy_kpi_values", 1, status="text"),
                             [("strategy_kpi_values", "unparseable_number", "value_text", f"{KPI} 令和元年度実績値", "error")]),
    "kpi_status_unknown": (KPI_LIST, change("strategy_kpi_values", 1, status="謎"),
                           [("strategy_kpi_values", "isin(['value', 'pending', 'text', 'placeholder', 'empty'])", "status",
                             f"{KPI} 令和元年度実績値", "error")]),
}


def planted(extractions: dict[Path, Extraction], name: str) -> tuple[Extraction, Expected]:
    """A copy of a real extraction with one defect planted, and the issues it must cause."""
    path, plant, expected = PLANTS[name]
    extraction = copy.deepcopy(extractions[path])
    plant(extraction)
    return extraction, expected


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_a_planted_defect_gives_exactly_its_issue(extractions: dict[Path, Extraction], name: str) -> None:
    extraction, expected = planted(extractions, name)
    issues = schema_issues(extraction)
    assert summary(issues) == expected
    for issue in issues:
        assert issue.message.startswith(message_of(issue.check_name))


def test_an_issue_points_at_the_printed_cell(extractions: dict[Path, Extraction]) -> None:
    extraction, _ = planted(extractions, "unparseable_number")
    [issue] = schema_issues(extraction)
    record = extraction.tables["project_budgets"][0]
    assert (issue.page, issue.raw_value, issue.bbox) == (1, "不明", record.cell_bboxes["general_revenue"])
    assert issue.message.endswith("general_revenue = '不明'")


# ---------------------------------------------------------------------------------------
# the quick path changes nothing


def pandera_only(table: str, records: list[Record]) -> list[IssueRecord]:
    """A table's issues from Pandera's full run alone (no screen)."""
    try:
        ALL_SCHEMAS[table].validate(records_frame(records), lazy=True)
    except pa.errors.SchemaErrors as exc:
        return reference_failures_to_issues(table, records, exc.failure_cases)
    return []


def reference_failures_to_issues(table: str, records: list[Record], failure_cases: pd.DataFrame) -> list[IssueRecord]:
    """`failures_to_issues` as it was before issue 9 (row by row over the failure cases): the oracle."""
    issues: list[IssueRecord] = []
    seen: set[tuple[str, str | None, int]] = set()
    for failure in failure_cases.itertuples(index=False):
        index = failure.index
        check, column = split_check_name(str(failure.check), failure.column if isinstance(failure.column, str) else None)
        if index is None or pd.isna(index):
            if ("check_failed", check, -1) not in seen:
                seen.add(("check_failed", check, -1))
                issues.append(IssueRecord(None, table, "", column, "check_failed", "error",
                                          message_of("check_failed", f"{check}: {failure.failure_case}")))
            continue
        if check.startswith("coerce_dtype"):
            check = "unparseable_number"
        if (check, column, int(index)) in seen:
            continue
        seen.add((check, column, int(index)))
        record = records[int(index)]
        raw_value = record.raw.get(column) if column else None
        if raw_value is None and column:
            value = getattr(record, column, None)
            raw_value = None if value is None else str(value)
        issues.append(IssueRecord(
            page=record.page_of(column), table_name=table, record_key=record.key(), column_name=column,
            check_name=check, severity=severity_of(check),
            message=message_of(check, f"{column} = {raw_value!r}" if column else ""), raw_value=raw_value,
            bbox=record.cell_bboxes.get(column or "", record.bbox)))
    return issues


def every_planted_and_real_table(extractions: dict[Path, Extraction]) -> list[tuple[str, str, list[Record]]]:
    """(where, table, records) for every schema table of the real and the planted extractions."""
    cases = [(path.name, extraction) for path, extraction in extractions.items()]
    cases += [(name, planted(extractions, name)[0]) for name in sorted(PLANTS)]
    return [(where, table, records) for where, extraction in cases
            for table, records in extraction.tables.items() if table in ALL_SCHEMAS and records]


def test_the_screen_gives_what_pandera_alone_gives(extractions: dict[Path, Extraction]) -> None:
    compared = dirty = 0
    for where, table, records in every_planted_and_real_table(extractions):
        expected = pandera_only(table, records)
        assert [astuple(i) for i in validate_table(table, records)] == [astuple(i) for i in expected], (where, table)
        compared += 1
        dirty += bool(expected)
    assert dirty >= len(PLANTS) and compared > dirty  # both paths were taken


def test_failure_cases_become_the_same_issues_as_before(extractions: dict[Path, Extraction]) -> None:
    for where, table, records in every_planted_and_real_table(extractions):
        try:
            ALL_SCHEMAS[table].validate(records_frame(records), lazy=True)
        except pa.errors.SchemaErrors as exc:
            new = failures_to_issues(table, records, exc.failure_cases)
            assert new == reference_failures_to_issues(table, records, exc.failure_cases), (where, table)
            assert new


def test_a_check_that_raised_is_reported_once_without_a_row() -> None:
    from hyoka.extractors.records import BudgetRecord

    records: list[Record] = [BudgetRecord(page=1, project_code="9", fiscal_year=2021, label="R3決算", total_cost=100.0)]
    failure_cases = pd.DataFrame({"check": ["value_jump[total_cost]"] * 2, "column": [None] * 2, "index": [None] * 2,
                                  "failure_case": ["TypeError('boom')"] * 2})
    [issue] = failures_to_issues("project_budgets", records, failure_cases)
    assert (issue.check_name, issue.column_name, issue.page, issue.record_key) == ("check_failed", "total_cost", None, "")
    assert issue.message.endswith("value_jump: TypeError('boom')")
    assert failures_to_issues("project_budgets", records, failure_cases) == reference_failures_to_issues(
        "project_budgets", records, failure_cases)


def test_the_frame_is_each_records_row_and_printed_texts(extractions: dict[Path, Extraction]) -> None:
    for extraction in extractions.values():
        for records in extraction.tables.values():
            expected = pd.DataFrame([{**r.as_row(), **{f"raw__{c}": t for c, t in r.raw.items()}} for r in records])
            pd.testing.assert_frame_equal(records_frame(records), expected, check_exact=True)
