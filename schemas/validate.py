"""The validate stage: records in, validation issues out (records are never dropped).

Each table's records become a DataFrame, the table's Pandera schema (`hyoka.schemas.registry`)
validates it lazily (all failures at once), and every failure becomes an `IssueRecord`
that knows its page, record key (the record's own `key()`), column, raw value and the
cell's box on the page. The extractors' own findings come without severity or message:
`complete_findings` gives them the check registry's (`hyoka.schemas.checks`).

A run validates the documents it has read together (`validate_extractions`): each table of
all of them is screened once, as one frame, and only a table that does not plainly pass is
validated document by document. Most tables of most documents pass, and a frame's fixed
cost (building it, each check's call) then is paid once per batch, not once per document.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import fields, replace
from typing import Any
from collections.abc import Callable, Set as AbstractSet

import pandas as pd
import pandera.pandas as pa

from hyoka.extractors.records import Extraction, IssueRecord, Record
from hyoka.schemas.checks import message_of, severity_of
from hyoka.schemas.registry import schema_for
from hyoka.schemas.screen import screen_of
from hyoka.schemas.tables import DOCUMENT_COLUMN

_COLUMN_IN_NAME = re.compile(r"^(?P<check>[a-z_]+)\[(?P<column>[a-z_]+)\]$")
# Record fields that are provenance helpers, not table columns (as in `Record.as_row`)
_NOT_COLUMNS = frozenset({"raw", "cell_bboxes", "cell_pages", "confidence", "bbox"})


@functools.cache
def _row_getter(record_type: type[Record]) -> tuple[tuple[str, ...], Callable[[Record], tuple[Any, ...]]]:
    """The table columns of a record type and one getter for all of them (what `as_row` reads)."""
    names = tuple(f.name for f in fields(record_type) if f.name not in _NOT_COLUMNS)
    getter = operator.attrgetter(*names)
    return names, (getter if len(names) > 1 else lambda record: (getter(record),))


@functools.cache
def _raw_column(column: str) -> str:
    """`raw__<column>`: where a parsed column's printed text goes."""
    return f"raw__{column}"


def _frame_row(record: Record) -> dict[str, Any]:
    """`record.as_row()` plus `raw__<column>` for its printed text, without re-reading its fields each time."""
    names, getter = _row_getter(type(record))  # type: ignore[arg-type]  # a class is hashable: mypy reads its instances' __hash__ = None
    row = dict(zip(names, getter(record)))
    row["bbox"] = list(record.bbox) if record.bbox else None
    for column, text in record.raw.items():
        row[_raw_column(column)] = text
    return row


def records_frame(records: list[Record]) -> pd.DataFrame:
    """A DataFrame of records' columns plus `raw__<column>` for their printed text."""
    return pd.DataFrame([_frame_row(record) for record in records])


@functools.lru_cache(maxsize=1024)
def split_check_name(name: str, column: str | None) -> tuple[str, str | None]:
    """`funding_sum[total_cost]` → ('funding_sum', 'total_cost')."""
    match = _COLUMN_IN_NAME.match(name)
    if match:
        return match.group("check"), match.group("column")
    return name, column


def _case_column(column: object) -> str | None:
    """A failure case's column name (None where Pandera gives none)."""
    return column if isinstance(column, str) else None


def _check_failed_issue(table: str, check: str, column: str | None, failure_case: object) -> IssueRecord:
    """A check that raised, or a missing column: no row to point at, never dropped silently."""
    return IssueRecord(None, table, "", column, "check_failed", "error", message_of("check_failed", f"{check}: {failure_case}"))


def _row_issue(table: str, record: Record, check: str, column: str | None) -> IssueRecord:
    """The issue of one failing (check, column) on one record."""
    raw_value = record.raw.get(column) if column else None
    if raw_value is None and column:
        value = getattr(record, column, None)
        raw_value = None if value is None else str(value)
    detail = f"{column} = {raw_value!r}" if column else ""
    return IssueRecord(
        page=record.page_of(column),
        table_name=table,
        record_key=record.key(),
        column_name=column,
        check_name=check,
        severity=severity_of(check),
        message=message_of(check, detail),
        raw_value=raw_value,
        bbox=record.cell_bboxes.get(column or "", record.bbox),
    )


def _is_missing(value: object) -> bool:
    """None or NaN (a failure case may also be a list or an array: never missing)."""
    return value is None or (isinstance(value, float) and value != value)


def registry_name(check: str) -> str:
    """The registry's name for a Pandera failure: its built-in checks get ours, ours keep theirs."""
    if check.startswith(("coerce_dtype(", "dtype(")):
        return "unparseable_number"  # a value that is not of the column's type
    if check == "not_nullable":
        return "required_value_missing"
    return check


def uncoercible_cells(failure_cases: pd.DataFrame) -> list[tuple[str, int]]:
    """(column, row) of each value Pandera could not coerce to its column's type."""
    cases = failure_cases[failure_cases["check"].astype(str).str.startswith("coerce_dtype(")
                          & failure_cases["index"].notna() & failure_cases["failure_case"].notna()]
    return sorted({(str(column), int(index)) for column, index in zip(cases["column"], cases["index"])})


def failures_to_issues(table: str, records: list[Record], failure_cases: pd.DataFrame) -> list[IssueRecord]:
    """One issue per (check, column, row) from Pandera's failure cases, in their order.

    A table-wide check fails a row once per column of the frame, so the cases are read as
    plain lists and each (check, column, row) is turned into an issue only the first time.
    """
    issues: list[IssueRecord] = []
    seen: set[tuple[str, str | None, int]] = set()
    no_row = failure_cases["index"].isna().tolist()
    cases = zip(failure_cases["check"].tolist(), failure_cases["column"].tolist(), failure_cases["index"].tolist(), no_row)
    for position, (name, case_column, index, rowless) in enumerate(cases):
        check, column = split_check_name(str(name), _case_column(case_column))
        if rowless:
            if ("check_failed", check, -1) not in seen:
                seen.add(("check_failed", check, -1))
                issues.append(_check_failed_issue(table, check, column, failure_cases["failure_case"].iloc[position]))
            continue
        check = registry_name(check)
        if check == "unparseable_number" and _is_missing(failure_cases["failure_case"].iloc[position]):
            continue  # an empty value is not a wrong one: not_nullable (required_value_missing) says it
        key = (check, column, int(index))
        if key not in seen:
            seen.add(key)
            issues.append(_row_issue(table, records[int(index)], check, column))
    return issues


def validate_table(table: str, records: list[Record]) -> list[IssueRecord]:
    """Validate one table's records with its schema; return its issues."""
    schema = schema_for(table)
    if schema is None or not records:
        return []
    frame = records_frame(records)
    screen = screen_of(schema)
    if screen is not None and screen.passes(frame):
        return []  # plainly clean: Pandera's run would report nothing
    try:
        # the frame is this call's own: Pandera need not copy it
        schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    else:
        return []
    unparseable = uncoercible_cells(failures)
    if not unparseable:
        return failures_to_issues(table, records, failures)
    # A value of the wrong type leaves its column uncoerced, and every other check of that
    # column (or of the table) would then fail on the type instead of judging the rows: each
    # such value is an issue of its own, and the rest is validated again without it.
    issues = [_row_issue(table, records[row], "unparseable_number", column) for column, row in unparseable]
    frame = records_frame(records)
    for column, row in unparseable:
        frame.iat[row, frame.columns.get_loc(column)] = None
    try:
        schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        said = set(unparseable)  # one issue per unreadable value: not also "missing" once it is set aside
        other = [pd.isna(row) or (str(column), int(row)) not in said for column, row in zip(cases["column"], cases["index"])]
        issues += failures_to_issues(table, records, cases[other])
    return issues


def complete_finding(issue: IssueRecord) -> IssueRecord:
    """An extractor's finding with the registry's severity and message (what it set itself is kept)."""
    if issue.severity is not None and issue.message is not None:
        return issue
    return replace(
        issue,
        severity=issue.severity or severity_of(issue.check_name),
        message=issue.message if issue.message is not None else message_of(issue.check_name, issue.detail),
    )


def complete_findings(issues: list[IssueRecord]) -> list[IssueRecord]:
    """`complete_finding` of each issue, in order."""
    return [complete_finding(issue) for issue in issues]


def validate_extraction(extraction: Extraction, passing: AbstractSet[str] = frozenset()) -> list[IssueRecord]:
    """Every issue of a document: the extractor's findings (completed from the registry) and each table
    schema's (but those of `passing`, tables known to plainly pass: `tables_that_pass`)."""
    issues = complete_findings(extraction.issues)
    for table, records in extraction.tables.items():
        if table not in passing:
            issues += validate_table(table, records)
    return issues


def tables_that_pass(extractions: list[Extraction]) -> set[str]:
    """The tables that plainly pass their schema in every one of these documents, screened as one frame each.

    The frame's document column keeps each check within one document (`DOCUMENT_COLUMN`),
    so a table passes here only where it passes in each document alone.
    """
    passing: set[str] = set()
    names = {table for extraction in extractions for table, records in extraction.tables.items() if records}
    for table in sorted(names):
        schema = schema_for(table)
        screen = screen_of(schema) if schema is not None else None
        if screen is None:
            continue
        parts = [(number, records) for number, extraction in enumerate(extractions)
                 if (records := extraction.tables.get(table))]
        frame = records_frame([record for _, records in parts for record in records])
        frame[DOCUMENT_COLUMN] = [number for number, records in parts for _ in records]
        if screen.passes(frame):
            passing.add(table)
    return passing


def validate_extractions(extractions: list[Extraction]) -> list[list[IssueRecord]]:
    """`validate_extraction` of each document (the same issues, in the same order), the tables screened together."""
    passing = tables_that_pass(extractions) if len(extractions) > 1 else frozenset()
    return [validate_extraction(extraction, passing) for extraction in extractions]
