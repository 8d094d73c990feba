"""Pandera schemas for the record tables, with the cross-field checks.

Each check is named after an entry of `schemas.checks.CHECKS`. A check that concerns one
column of a wide check carries it in brackets (`unparseable_number[total_cost]`) so the
issue can name the column. Schemas validate DataFrames built by `schemas.validate`, where
`raw__<column>` holds the printed text of a parsed column.
"""

from __future__ import annotations

import re

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


# ---------------------------------------------------------------------------------------
# cross-row checks (issue 4): each looks at one sheet at a time. A sheet's rows share the
# project code and the page they were read from, so a project bound twice into one book
# is two sheets, not one.

BUDGET_YEAR_SLACK = 2  # years a budget row may lie from its sheet's year
JUMP_FACTOR = 10.0  # a value more than this many times (or less than 1/this) the previous year's
# Budget stages compared with each other for value_jump: settled figures with settled
# ones (R2決算 → R3決算見込), budgets with budgets (R3当初予算 → R4当初予算).
STAGE_FAMILIES = {"決算": "settled", "決算見込": "settled", "見込": "settled",
                  "当初予算": "budget", "補正予算": "budget", "予算": "budget"}
PROJECT_PROVENANCE = {"page", "bbox", "raw_text", "first_page", "last_page", "project_code_raw"}


def _sheets(df: pd.DataFrame, *keys: str):  # type: ignore[no-untyped-def]
    """Rows grouped by sheet (project code + page) and any further keys."""
    columns = [c for c in ("project_code", "page", *keys) if c in df]
    return df.groupby(columns, dropna=False, sort=False)


def budget_year_out_of_range(df: pd.DataFrame) -> pd.Series:
    """A budget row more than 2 years from its sheet's year (the median year of its matrix)."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "fiscal_year" not in df:
        return ok
    for _, rows in _sheets(df):
        years = rows["fiscal_year"].dropna()
        if years.empty:
            continue
        far = (years - years.median()).abs() > BUDGET_YEAR_SLACK
        ok[far[far].index] = False
    return ok


def target_before_actual(df: pd.DataFrame) -> pd.Series:
    """A 目標 column whose year is before the newest 実績 year of the same indicator."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "kind" not in df:
        return ok
    for _, rows in _sheets(df, "level", "indicator_no"):
        actual_years = rows.loc[rows["kind"] == "実績", "fiscal_year"].dropna()
        if actual_years.empty:
            continue
        targets = rows[(rows["kind"] == "目標") & (rows["fiscal_year"] < actual_years.max())]
        ok[targets.index] = False
    return ok


def _content(df: pd.DataFrame) -> pd.Series:
    """A project's content as one comparable string (whitespace ignored)."""
    columns = [c for c in df.columns if c not in PROJECT_PROVENANCE and not c.startswith("raw__")]
    cell = lambda v: "" if v is None or (isinstance(v, float) and v != v) else re.sub(r"\s+", "", str(v))  # noqa: E731
    return pd.Series(["\x1f".join(cell(v) for v in row) for row in df[columns].itertuples(index=False)], index=df.index)


def duplicate_project(df: pd.DataFrame) -> pd.Series:
    """The same project code again in one document with different content: the later one fails."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "project_code" not in df:
        return ok
    content = _content(df)
    for code, rows in df.groupby("project_code", sort=False):
        if not code or len(rows) < 2:
            continue
        first = content[rows.index[0]]
        later = [i for i in rows.index[1:] if content[i] != first]
        ok[later] = False
    return ok


def _jumps(series: pd.DataFrame, column: str) -> list:
    """Rows of one series whose value is > JUMP_FACTOR× (or < 1/JUMP_FACTOR) the previous year's."""
    values = series[series[column].notna() & series["fiscal_year"].notna() & (series[column] > 0)]
    jumps = []
    for index, row in values.iterrows():
        earlier = values[values["fiscal_year"] < row["fiscal_year"]]
        if earlier.empty:
            continue
        previous = earlier[earlier["fiscal_year"] == earlier["fiscal_year"].max()][column]
        ratio = row[column] / float(previous.iloc[-1])
        if ratio > JUMP_FACTOR or ratio < 1 / JUMP_FACTOR:
            jumps.append(index)
    return jumps


def budget_value_jump(df: pd.DataFrame) -> pd.Series:
    """事業費 more than 10× (or under 1/10) the previous year's of the same stage family."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "stage" not in df:
        return ok
    family = df["stage"].map(STAGE_FAMILIES).fillna(df["stage"])
    for _, rows in _sheets(df.assign(_family=family), "_family"):
        ok[_jumps(rows, "total_cost")] = False
    return ok


def indicator_value_jump(df: pd.DataFrame) -> pd.Series:
    """An indicator's 実績 more than 10× (or under 1/10) its previous year's 実績."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "kind" not in df:
        return ok
    actuals = df[df["kind"] == "実績"]
    for _, rows in _sheets(actuals, "level", "indicator_no"):
        ok[_jumps(rows, "value")] = False
    return ok


def _nullable(dtype: type, *checks: pa.Check) -> pa.Column:
    return pa.Column(dtype, nullable=True, coerce=True, checks=list(checks), required=False)


PROJECTS = pa.DataFrameSchema(
    {
        "project_code": pa.Column(str, checks=[pa.Check(lambda s: s.str.fullmatch(r"\d+"), name="project_code_format")]),
        "start_fiscal_year": _nullable(float, pa.Check(_year_in_range, name="fiscal_year_range")),
        "page": pa.Column(int, coerce=True),
    },
    checks=[pa.Check(duplicate_project, name="duplicate_project[project_code]")],
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
        pa.Check(budget_year_out_of_range, name="budget_year_out_of_range[label]"),
        pa.Check(budget_value_jump, name="value_jump[total_cost]"),
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
        pa.Check(target_before_actual, name="target_before_actual[column_label]"),
        pa.Check(indicator_value_jump, name="value_jump[value]"),
    ],
    strict=False,
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "projects": PROJECTS,
    "project_budgets": PROJECT_BUDGETS,
    "project_staffing": PROJECT_STAFFING,
    "project_indicators": PROJECT_INDICATORS,
}


# ---------------------------------------------------------------------------------------
# funding sources, cost items and SDGs (issue 6): long tables that every template fills,
# so that the arithmetic is checked the same way whatever the city's matrix looks like.

# project_budget_sources.source: what every template maps its printed rows / columns to.
from extractors.records import BUDGET_SOURCES  # noqa: E402
# the rounding a printed 受益者負担率 (one decimal, in percent) may carry
BURDEN_RATE_TOLERANCE = 0.051
_BUDGET_COLUMN_KEYS = ("project_code", "page", "fiscal_year", "stage", "label")


def _budget_columns(df: pd.DataFrame):  # type: ignore[no-untyped-def]
    """Source rows grouped by budget column (one sheet's year + stage + printed heading)."""
    return df.groupby([c for c in _BUDGET_COLUMN_KEYS if c in df], dropna=False, sort=False)


def source_funding_sum(df: pd.DataFrame) -> pd.Series:
    """事業費 = the sum of a budget column's sources, leaving out parts (受益者負担 ⊂ その他).

    Checked where 事業費 is printed and every whole source is known: printed, or blank on a
    template whose blank means 0 (`blank_is_zero`, e.g. 池田); on the others a blank is
    "not stated" and the column is not checked.
    The failing column is reported on its last whole source (一般財源, the balancing item).
    """
    ok = pd.Series(True, index=df.index)
    if df.empty or "total_cost" not in df or "amount" not in df:
        return ok
    for _, rows in _budget_columns(df):
        total = rows["total_cost"].dropna()
        whole = rows[rows["part_of"].isna()] if "part_of" in rows else rows
        if total.empty or whole.empty:
            continue
        blank_is_zero = "blank_is_zero" in whole and bool(whole["blank_is_zero"].fillna(False).astype(bool).all())
        if whole["amount"].isna().any() and not blank_is_zero:
            continue
        if abs(float(whole["amount"].fillna(0).sum()) - float(total.iloc[0])) > FUNDING_TOLERANCE:
            ok[whole.index[-1]] = False
    return ok


def part_exceeds_whole(df: pd.DataFrame) -> pd.Series:
    """A part (うち受益者負担) larger than the source it is part of (その他)."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "part_of" not in df:
        return ok
    for _, rows in _budget_columns(df):
        for index, part in rows[rows["part_of"].notna() & rows["amount"].notna()].iterrows():
            whole = rows[(rows["source"] == part["part_of"])]["amount"].fillna(0)
            if part["amount"] > (float(whole.iloc[0]) if not whole.empty else 0.0) + FUNDING_TOLERANCE:
                ok[index] = False
    return ok


def burden_rate(df: pd.DataFrame) -> pd.Series:
    """受益者負担率 = うち受益者負担 ÷ 事業費 × 100, to the one decimal it is printed with."""
    ok = pd.Series(True, index=df.index)
    needed = ("beneficiary_burden_pct", "beneficiary_burden", "total_cost")
    if df.empty or any(c not in df for c in needed):
        return ok
    rows = df[df["beneficiary_burden_pct"].notna() & df["beneficiary_burden"].notna() & (df["total_cost"] > 0)]
    expected = rows["beneficiary_burden"] / rows["total_cost"] * 100
    bad = (expected - rows["beneficiary_burden_pct"]).abs() > BURDEN_RATE_TOLERANCE
    ok[bad[bad].index] = False
    return ok


PROJECT_BUDGET_SOURCES = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(
            float,
            pa.Check(_year_in_range, name="fiscal_year_range"),
            pa.Check(lambda s: s.notna(), name="fiscal_year_missing"),
        ),
        "source": pa.Column(str, checks=[pa.Check(lambda s: s.isin(BUDGET_SOURCES), name="unknown_funding_source")]),
        "amount": _nullable(float),
        "total_cost": _nullable(float),
    },
    # Parsing and sign are checked once, on project_budgets where the printed cells are;
    # the funding sum is checked here, the one shape every template shares.
    checks=[
        pa.Check(source_funding_sum, name="funding_sum[amount]"),
        pa.Check(part_exceeds_whole, name="part_exceeds_whole[amount]"),
    ],
    strict=False,
)

PROJECT_BUDGET_ITEMS = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(float, pa.Check(_year_in_range, name="fiscal_year_range")),
        "amount": _nullable(float),
    },
    checks=[unparseable("amount"), negative("amount")],
    strict=False,
)

PROJECT_SDGS = pa.DataFrameSchema(
    {"goal_no": pa.Column(int, coerce=True, checks=[pa.Check(lambda s: s.between(1, 17), name="sdg_goal_range")])},
    strict=False,
)

# project_budgets: the columns the 池田 template added, checked like the others.
PROJECT_BUDGETS = pa.DataFrameSchema(
    {
        **PROJECT_BUDGETS.columns,
        "national_prefecture": _nullable(float),
        "beneficiary_burden": _nullable(float),
        "beneficiary_burden_pct": _nullable(
            float, pa.Check(lambda s: s.isna() | s.between(0, 100), name="percent_range")
        ),
    },
    checks=[
        *PROJECT_BUDGETS.checks,
        *(unparseable(column) for column in ("national_prefecture", "beneficiary_burden", "beneficiary_burden_pct")),
        *(negative(column) for column in ("national_prefecture", "beneficiary_burden")),
        pa.Check(burden_rate, name="burden_rate[beneficiary_burden_pct]"),
    ],
    strict=False,
)

SCHEMAS.update(
    {
        "project_budgets": PROJECT_BUDGETS,
        "project_budget_sources": PROJECT_BUDGET_SOURCES,
        "project_budget_items": PROJECT_BUDGET_ITEMS,
        "project_sdgs": PROJECT_SDGS,
    }
)
