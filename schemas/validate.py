"""The validate stage: records in, validation issues out (records are never dropped).

Each table's records become a DataFrame, the table's Pandera schema validates it lazily
(all failures at once), and every failure becomes an `IssueRecord` that knows its page,
record key, column, raw value and the cell's box on the page.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from extractors.records import Extraction, IssueRecord, Record
from schemas.checks import message_of, severity_of
from schemas.strategy import SCHEMAS as STRATEGY_SCHEMAS
from schemas.tables import SCHEMAS

_COLUMN_IN_NAME = re.compile(r"^(?P<check>[a-z_]+)\[(?P<column>[a-z_]+)\]$")


def record_key(table: str, record: Record) -> str:
    """A short key a person can find the row by: 事業コード + year + stage, KPI id + slot …"""
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


def records_frame(records: list[Record]) -> pd.DataFrame:
    """A DataFrame of records' columns plus `raw__<column>` for their printed text."""
    rows = []
    for record in records:
        row = record.as_row()
        row.update({f"raw__{column}": text for column, text in record.raw.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def split_check_name(name: str, column: str | None) -> tuple[str, str | None]:
    """`funding_sum[total_cost]` → ('funding_sum', 'total_cost')."""
    match = _COLUMN_IN_NAME.match(name)
    if match:
        return match.group("check"), match.group("column")
    return name, column


def failures_to_issues(table: str, records: list[Record], failure_cases: pd.DataFrame) -> list[IssueRecord]:
    """One issue per (check, column, row) from Pandera's failure cases."""
    issues: list[IssueRecord] = []
    seen: set[tuple[str, str | None, int]] = set()
    for failure in failure_cases.itertuples(index=False):
        index = failure.index
        if index is None or pd.isna(index):
            # no row: a check that raised, or a missing column. Never drop it silently.
            check, column = split_check_name(str(failure.check), failure.column if isinstance(failure.column, str) else None)
            key = ("check_failed", check, -1)
            if key not in seen:
                seen.add(key)
                issues.append(IssueRecord(None, table, "", column, "check_failed", "error",
                                          message_of("check_failed", f"{check}: {failure.failure_case}")))
            continue
        check, column = split_check_name(str(failure.check), failure.column if isinstance(failure.column, str) else None)
        if check.startswith("coerce_dtype"):
            check = "unparseable_number"
        key = (check, column, int(index))
        if key in seen:
            continue
        seen.add(key)
        record = records[int(index)]
        raw_value = record.raw.get(column) if column else None
        if raw_value is None and column:
            value = getattr(record, column, None)
            raw_value = None if value is None else str(value)
        issues.append(
            IssueRecord(
                page=record.page_of(column),
                table_name=table,
                record_key=record_key(table, record),
                column_name=column,
                check_name=check,
                severity=severity_of(check),
                message=message_of(check, f"{column} = {raw_value!r}" if column else ""),
                raw_value=raw_value,
                bbox=record.cell_bboxes.get(column or "", record.bbox),
            )
        )
    return issues


def validate_table(table: str, records: list[Record]) -> list[IssueRecord]:
    """Validate one table's records with its schema; return its issues."""
    schema = SCHEMAS.get(table) or STRATEGY_SCHEMAS.get(table)
    if schema is None or not records:
        return []
    frame = records_frame(records)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return failures_to_issues(table, records, exc.failure_cases)
    return []


def validate_extraction(extraction: Extraction) -> list[IssueRecord]:
    """Every issue of a document: the extractor's own and each table schema's."""
    issues = list(extraction.issues)
    for table, records in extraction.tables.items():
        issues += validate_table(table, records)
    return issues
