"""Pandera schemas for the record tables, with the cross-field checks.

Each check is named after an entry of `schemas.checks.CHECKS`. A check that concerns one
column of a wide check carries it in brackets (`unparseable_number[total_cost]`) so the
issue can name the column. Schemas validate DataFrames built by `schemas.validate`, where
`raw__<column>` holds the printed text of a parsed column.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from hyoka.normalize import is_placeholder

MIN_FISCAL_YEAR = 1868  # 明治元年
MAX_FISCAL_YEAR = 2100
FUNDING_PARTS = ("national", "prefecture", "municipal_bonds", "other", "general_revenue")
AMOUNT_COLUMNS = ("total_cost",) + FUNDING_PARTS
# 達成率 is printed to one decimal: allow that rounding and a little more.
ACHIEVEMENT_TOLERANCE = 0.15
FUNDING_TOLERANCE = 0.5


def _year_in_range(series: pd.Series) -> pd.Series:
    return series.isna() | series.between(MIN_FISCAL_YEAR, MAX_FISCAL_YEAR)


def unparseable(column: str) -> pa.Check:
    """A printed value that is not blank, not a placeholder, and did not parse."""

    def check(df: pd.DataFrame) -> pd.Series:
        raw = df.get(f"raw__{column}")
        if raw is None:
            return pd.Series(True, index=df.index)
        printed = raw.fillna("").astype(str).str.strip()
        bad = df[column].isna() & (printed != "") & ~printed.map(is_placeholder)
        return ~bad

    return pa.Check(check, name=f"unparseable_number[{column}]")


def negative(column: str) -> pa.Check:
    """Negative amounts (printed with △) are legal but worth a look."""
    return pa.Check(lambda df: df[column].isna() | (df[column] >= 0), name=f"negative_amount[{column}]")


def funding_sum(df: pd.DataFrame) -> pd.Series:
    """事業費 = 国 + 都道府県 + 市債 + その他 + 一般財源, where every part is printed."""
    parts = df[list(FUNDING_PARTS)]
    complete = parts.notna().all(axis=1) & df["total_cost"].notna()
    difference = (parts.sum(axis=1) - df["total_cost"]).abs()
    return ~complete | (difference <= FUNDING_TOLERANCE)


def achievement_rate(df: pd.DataFrame) -> pd.Series:
    """達成率 = newest 実績 ÷ 目標 × 100, checked on the newest 実績 row of each indicator."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "achievement_rate" not in df:
        return ok
    for _, rows in df.groupby(["project_code", "level", "indicator_no"], dropna=False):
        rate = rows["achievement_rate"].dropna()
        actuals = rows[(rows["kind"] == "実績") & rows["value"].notna()].sort_values("fiscal_year")
        targets = rows[(rows["kind"] == "目標") & rows["value"].notna()]
        if rate.empty or actuals.empty or targets.empty:
            continue
        target = float(targets["value"].iloc[-1])
        if target == 0:
            continue
        expected = float(actuals["value"].iloc[-1]) / target * 100
        if abs(expected - float(rate.iloc[0])) > ACHIEVEMENT_TOLERANCE:
            ok[actuals.index[-1]] = False
    return ok


def _nullable(dtype: type, *checks: pa.Check) -> pa.Column:
    return pa.Column(dtype, nullable=True, coerce=True, checks=list(checks), required=False)


PROJECTS = pa.DataFrameSchema(
    {
        "project_code": pa.Column(str, checks=[pa.Check(lambda s: s.str.fullmatch(r"\d+"), name="project_code_format")]),
        "start_fiscal_year": _nullable(float, pa.Check(_year_in_range, name="fiscal_year_range")),
        "page": pa.Column(int, coerce=True),
    },
    strict=False,
)

PROJECT_BUDGETS = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(
            float,
            pa.Check(_year_in_range, name="fiscal_year_range"),
            pa.Check(lambda s: s.notna(), name="fiscal_year_missing"),
        ),
        "tax_allocation_pct": _nullable(float, pa.Check(lambda s: s.isna() | s.between(0, 100), name="percent_range")),
        **{column: _nullable(float) for column in AMOUNT_COLUMNS},
    },
    checks=[
        *(unparseable(column) for column in AMOUNT_COLUMNS + ("tax_allocation_pct",)),
        *(negative(column) for column in AMOUNT_COLUMNS),
        pa.Check(funding_sum, name="funding_sum[total_cost]"),
    ],
    strict=False,
)

PROJECT_STAFFING = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(float, pa.Check(_year_in_range, name="fiscal_year_range")),
        "regular_staff": _nullable(float, pa.Check(lambda s: s.isna() | s.between(0, 1000), name="staff_range")),
        "fiscal_year_staff": _nullable(float, pa.Check(lambda s: s.isna() | s.between(0, 1000), name="staff_range")),
    },
    checks=[unparseable("regular_staff"), unparseable("fiscal_year_staff")],
    strict=False,
)

PROJECT_INDICATORS = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(float, pa.Check(_year_in_range, name="fiscal_year_range")),
        "value": _nullable(float),
        "baseline": _nullable(float),
        "achievement_rate": _nullable(float),
    },
    checks=[
        unparseable("value"),
        unparseable("baseline"),
        unparseable("achievement_rate"),
        pa.Check(achievement_rate, name="achievement_rate[achievement_rate]"),
    ],
    strict=False,
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "projects": PROJECTS,
    "project_budgets": PROJECT_BUDGETS,
    "project_staffing": PROJECT_STAFFING,
    "project_indicators": PROJECT_INDICATORS,
}
