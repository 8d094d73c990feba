"""Which Pandera schema validates which record type: the one place validation looks a table up.

The schemas themselves live beside their checks (`hyoka.schemas.tables`, `hyoka.schemas.strategy`);
here each is filed under its record type's `TABLE`. A record type with no table-wide
checks is listed in `UNCHECKED`, so that a new record type must be placed in one or the
other (`tests/test_record_contract.py` holds every record type to that).
"""

from __future__ import annotations

import pandera.pandas as pa

from hyoka.extractors.records import (
    BudgetItemRecord,
    BudgetRecord,
    BudgetSourceRecord,
    EvaluationRecord,
    ExtraFieldRecord,
    IndicatorRecord,
    PageRecord,
    ProjectRecord,
    Record,
    ReformViewpointRecord,
    SdgRecord,
    StaffingRecord,
    StrategyKpiRecord,
    StrategyKpiValueRecord,
)
from hyoka.schemas import strategy, tables

# record table -> its schema
SCHEMAS: dict[str, pa.DataFrameSchema] = {
    ProjectRecord.TABLE: tables.PROJECTS,
    BudgetRecord.TABLE: tables.PROJECT_BUDGETS,
    StaffingRecord.TABLE: tables.PROJECT_STAFFING,
    IndicatorRecord.TABLE: tables.PROJECT_INDICATORS,
    BudgetSourceRecord.TABLE: tables.PROJECT_BUDGET_SOURCES,
    BudgetItemRecord.TABLE: tables.PROJECT_BUDGET_ITEMS,
    SdgRecord.TABLE: tables.PROJECT_SDGS,
    ExtraFieldRecord.TABLE: tables.PROJECT_EXTRA_FIELDS,
    StrategyKpiRecord.TABLE: strategy.STRATEGY_KPIS,
    StrategyKpiValueRecord.TABLE: strategy.STRATEGY_KPI_VALUES,
}

# record types loaded as read, with no table-wide checks (their extractor reports what it doubts)
UNCHECKED: frozenset[type[Record]] = frozenset({PageRecord, ReformViewpointRecord, EvaluationRecord})


def schema_for(table: str | type[Record]) -> pa.DataFrameSchema | None:
    """The schema of a record table (by name or record type); None for a table without checks."""
    return SCHEMAS.get(table if isinstance(table, str) else table.TABLE)
