"""The cross-row checks say exactly what they said before issue 9 made them fast.

Each `reference_*` function below is the implementation the check had before (one
DataFrame per group, row by row), kept here as the oracle. Hypothesis draws small frames
shaped like the validate stage's (ties in years, missing keys and values, zeros,
fractions, parts and wholes, placeholders) and every check must give the same row-by-row
answer as its reference.
"""

from __future__ import annotations

import re
from typing import Any
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyoka.extractors.records import BUDGET_SOURCES
from hyoka.normalize import is_placeholder
from hyoka.schemas import tables
from hyoka.schemas.tables import (
    ACHIEVEMENT_TOLERANCE,
    BUDGET_YEAR_SLACK,
    BURDEN_RATE_TOLERANCE,
    FUNDING_TOLERANCE,
    JUMP_FACTOR,
    PROJECT_PROVENANCE,
    STAGE_FAMILIES,
)

PROPERTY = settings(derandomize=True, max_examples=60, deadline=None, database=None)

# ---------------------------------------------------------------------------------------
# the implementations before issue 9 (the oracle)


def reference_unparseable(df: pd.DataFrame, column: str) -> pd.Series:
    """`unparseable` before issue 9."""
    raw = df.get(f"raw__{column}")
    if raw is None:
        return pd.Series(True, index=df.index)
    printed = raw.fillna("").astype(str).str.strip()
    bad = df[column].isna() & (printed != "") & ~printed.map(is_placeholder)
    return ~bad


def reference_negative(df: pd.DataFrame, column: str) -> pd.Series:
    """`negative` before issue 9."""
    return df[column].isna() | (df[column] >= 0)


def reference_achievement_rate(df: pd.DataFrame) -> pd.Series:
    """`achievement_rate` before issue 9."""
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


def _sheets(df: pd.DataFrame, *keys: str) -> Any:
    """Rows by sheet, as the checks grouped them before issue 9."""
    columns = [c for c in ("project_code", "page", *keys) if c in df]
    return df.groupby(columns, dropna=False, sort=False)


def reference_budget_year_out_of_range(df: pd.DataFrame) -> pd.Series:
    """`budget_year_out_of_range` before issue 9."""
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


def reference_target_before_actual(df: pd.DataFrame) -> pd.Series:
    """`target_before_actual` before issue 9."""
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
    """A project's content as one string, as before issue 9."""
    columns = [c for c in df.columns if c not in PROJECT_PROVENANCE and not c.startswith("raw__")]
    cell = lambda v: "" if v is None or (isinstance(v, float) and v != v) else re.sub(r"\s+", "", str(v))  # noqa: E731
    return pd.Series(["\x1f".join(cell(v) for v in row) for row in df[columns].itertuples(index=False)], index=df.index)


def reference_duplicate_project(df: pd.DataFrame) -> pd.Series:
    """`duplicate_project` before issue 9."""
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


def _jumps(series: pd.DataFrame, column: str) -> list[Any]:
    """The jumping rows of one series, as before issue 9."""
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


def reference_budget_value_jump(df: pd.DataFrame) -> pd.Series:
    """`budget_value_jump` before issue 9."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "stage" not in df:
        return ok
    family = df["stage"].map(STAGE_FAMILIES).fillna(df["stage"])
    for _, rows in _sheets(df.assign(_family=family), "_family"):
        ok[_jumps(rows, "total_cost")] = False
    return ok


def reference_indicator_value_jump(df: pd.DataFrame) -> pd.Series:
    """`indicator_value_jump` before issue 9."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "kind" not in df:
        return ok
    actuals = df[df["kind"] == "実績"]
    for _, rows in _sheets(actuals, "level", "indicator_no"):
        ok[_jumps(rows, "value")] = False
    return ok


def _budget_columns(df: pd.DataFrame) -> Any:
    """Source rows by budget column, as before issue 9."""
    keys = ("project_code", "page", "fiscal_year", "stage", "label")
    return df.groupby([c for c in keys if c in df], dropna=False, sort=False)


def reference_source_funding_sum(df: pd.DataFrame) -> pd.Series:
    """`source_funding_sum` before issue 9."""
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


def reference_part_exceeds_whole(df: pd.DataFrame) -> pd.Series:
    """`part_exceeds_whole` before issue 9."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "part_of" not in df:
        return ok
    for _, rows in _budget_columns(df):
        for index, part in rows[rows["part_of"].notna() & rows["amount"].notna()].iterrows():
            whole = rows[(rows["source"] == part["part_of"])]["amount"].fillna(0)
            if part["amount"] > (float(whole.iloc[0]) if not whole.empty else 0.0) + FUNDING_TOLERANCE:
                ok[index] = False
    return ok


def reference_burden_rate(df: pd.DataFrame) -> pd.Series:
    """`burden_rate` before issue 9."""
    ok = pd.Series(True, index=df.index)
    needed = ("beneficiary_burden_pct", "beneficiary_burden", "total_cost")
    if df.empty or any(c not in df for c in needed):
        return ok
    rows = df[df["beneficiary_burden_pct"].notna() & df["beneficiary_burden"].notna() & (df["total_cost"] > 0)]
    expected = rows["beneficiary_burden"] / rows["total_cost"] * 100
    bad = (expected - rows["beneficiary_burden_pct"]).abs() > BURDEN_RATE_TOLERANCE
    ok[bad[bad].index] = False
    return ok


# ---------------------------------------------------------------------------------------
# frames shaped like the validate stage's, after Pandera's coercion

FLOAT_COLUMNS = ("fiscal_year", "value", "achievement_rate", "total_cost", "amount", "other",
                 "beneficiary_burden", "beneficiary_burden_pct")

# values that make ties, exact ratios and zeros likely, besides any float
amounts = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.1, 1.0, 2.0, 5.0, 9.0, 10.0, 10.5, 100.0, 101.0, 1000.0, 5690.0, -5.0, 0.3]),
    st.floats(-1e7, 1e7, allow_nan=False, allow_infinity=False),
)
years = st.one_of(
    st.none(),
    st.sampled_from([2019.0, 2020.0, 2021.0, 2022.0, 2023.0, 2025.0, 2030.0, 2020.5, 2021.25]),
    st.floats(1900, 2100, allow_nan=False),
)
printed = st.sampled_from([None, "", " ", "　", "－", "―", "／", "abc", "1,000", "△12", "x"])

row = st.fixed_dictionaries(
    {
        "page": st.sampled_from([1, 2]),
        "project_code": st.sampled_from(["1", "2", "", None]),
        "project_name": st.sampled_from(["事業A", "事業 A", "事業B", None]),
        "level": st.sampled_from(["事業", "施策", None]),
        "indicator_no": st.sampled_from([1, 2]),
        "kind": st.sampled_from(["実績", "目標", "見込", None]),
        "fiscal_year": years,
        "value": amounts,
        "achievement_rate": st.one_of(st.none(), st.sampled_from([50.0, 77.8, 100.0, 10.0]), amounts),
        "stage": st.sampled_from(["決算", "決算見込", "当初予算", "予算", "補正予算", "見込", "謎", None]),
        "label": st.sampled_from(["R2決算", "R3決算", "R3予算", None]),
        "total_cost": amounts,
        "amount": amounts,
        "other": amounts,
        "source": st.sampled_from(list(BUDGET_SOURCES) + ["寄附金", None]),
        "part_of": st.sampled_from([None, None, "その他", "国"]),
        "blank_is_zero": st.sampled_from([True, False, None]),
        "beneficiary_burden": amounts,
        "beneficiary_burden_pct": st.one_of(st.none(), st.sampled_from([0.0, 3.3, 10.0, 100.0]), amounts),
        "raw__value": printed,
        "raw__other": printed,
    }
)


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The frame of some rows as the validate stage builds it, with float columns coerced as Pandera does."""
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(row_keys()))
    for column in FLOAT_COLUMNS:
        frame[column] = frame[column].astype("float64")
    return frame


def row_keys() -> list[str]:
    """The columns every drawn row has."""
    return ["page", "project_code", "project_name", "level", "indicator_no", "kind", "fiscal_year", "value",
            "achievement_rate", "stage", "label", "total_cost", "amount", "other", "source", "part_of",
            "blank_is_zero", "beneficiary_burden", "beneficiary_burden_pct", "raw__value", "raw__other"]


frames = st.lists(row, max_size=16).map(frame_of)
# the same with few keys, so that rows share a sheet, an indicator, a budget column
narrow_row = row.map(lambda r: {**r, "page": 1, "project_code": r["project_code"] or "1",
                                "level": r["level"] or "施策", "indicator_no": 1,
                                "label": r["label"] or "R3決算"})
narrow_frames = st.lists(narrow_row, max_size=16).map(frame_of)


def same_answer(new: Callable[[pd.DataFrame], pd.Series], reference: Callable[[pd.DataFrame], pd.Series],
                df: pd.DataFrame) -> None:
    """The check and its reference pass and fail the same rows."""
    expected = reference(df)
    actual = new(df)
    assert list(actual.index) == list(expected.index)
    assert actual.astype(bool).tolist() == expected.astype(bool).tolist()


# ---------------------------------------------------------------------------------------


# the reference warns (pandas 3) on an empty frame, where its mapped column has no bool dtype
@pytest.mark.filterwarnings("ignore:'and' operations between boolean dtype and str")
@PROPERTY
@given(frames)
def test_unparseable_and_negative_as_before(df: pd.DataFrame) -> None:
    """The per-column checks fail the rows they failed."""
    for column in ("value", "other"):
        same_answer(lambda d, c=column: tables.number_parsed(d, c), lambda d, c=column: reference_unparseable(d, c), df)
        same_answer(lambda d, c=column: tables.not_negative(d, c), lambda d, c=column: reference_negative(d, c), df)
    same_answer(lambda d: tables.number_parsed(d, "total_cost"), lambda d: reference_unparseable(d, "total_cost"), df)


@PROPERTY
@given(st.one_of(frames, narrow_frames))
def test_indicator_checks_as_before(df: pd.DataFrame) -> None:
    """達成率, 目標 before 実績 and 実績 jumps fail the rows they failed."""
    same_answer(tables.achievement_rate, reference_achievement_rate, df)
    same_answer(tables.target_before_actual, reference_target_before_actual, df)
    same_answer(tables.indicator_value_jump, reference_indicator_value_jump, df)


@PROPERTY
@given(st.one_of(frames, narrow_frames))
def test_budget_checks_as_before(df: pd.DataFrame) -> None:
    """Budget year, budget jump and 受益者負担率 fail the rows they failed."""
    same_answer(tables.budget_year_out_of_range, reference_budget_year_out_of_range, df)
    same_answer(tables.budget_value_jump, reference_budget_value_jump, df)
    same_answer(tables.burden_rate, reference_burden_rate, df)


@PROPERTY
@given(st.one_of(frames, narrow_frames))
def test_source_checks_as_before(df: pd.DataFrame) -> None:
    """The funding sum and part ⊂ whole fail the rows they failed."""
    same_answer(tables.source_funding_sum, reference_source_funding_sum, df)
    same_answer(tables.part_exceeds_whole, reference_part_exceeds_whole, df)


@PROPERTY
@given(frames)
def test_duplicate_project_as_before(df: pd.DataFrame) -> None:
    """A project bound twice with other content fails where it failed."""
    same_answer(tables.duplicate_project, reference_duplicate_project, df)


def test_the_frames_drawn_do_reach_the_failing_branches() -> None:
    """The oracle comparison means something only if drawn frames fail checks: a fixed one that does."""
    df = frame_of([
        {**dict.fromkeys(row_keys()), "page": 1, "project_code": "1", "level": "施策", "indicator_no": 1,
         "kind": kind, "fiscal_year": year, "value": value, "achievement_rate": 50.0, "stage": "決算",
         "label": "R3決算", "total_cost": total, "amount": amount, "source": source, "part_of": part_of,
         "blank_is_zero": True}
        for kind, year, value, total, amount, source, part_of in [
            ("実績", 2020.0, 1.0, 100.0, 80.0, "その他", None),
            ("実績", 2021.0, 20.0, 100.0, 90.0, "受益者負担", "その他"),
            ("目標", 2019.0, 10.0, 2000.0, 30.0, "一般財源", None),
        ]
    ])
    assert not tables.achievement_rate(df).all()  # 20 / 10 × 100 = 200 ≠ 50
    assert not tables.target_before_actual(df).all()  # 目標 2019 before 実績 2021
    assert not tables.indicator_value_jump(df).all()  # 1 → 20
    assert not tables.budget_value_jump(df).all()  # 100 → 2000
    assert not tables.source_funding_sum(df).all()  # 80 + 30 ≠ 100
    assert not tables.part_exceeds_whole(df).all()  # 90 > 80
    for check, reference in [(tables.achievement_rate, reference_achievement_rate),
                             (tables.source_funding_sum, reference_source_funding_sum),
                             (tables.part_exceeds_whole, reference_part_exceeds_whole)]:
        same_answer(check, reference, df)
    assert np.array_equal(tables.budget_year_out_of_range(df).to_numpy(), [True, True, True])
