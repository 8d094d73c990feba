"""Pandera schemas for the 総合戦略 KPI tables (`strategy_kpis`, `strategy_kpi_values`).

Checks: every KPI has a known unit; a value cell in 現状値 / 実績値 parses to a number or
is honestly marked pending / placeholder / empty; an 実績値 never refers to a year after
its column; a 累計 or 平均 figure spans a range of years.
"""

from __future__ import annotations

import functools

import pandas as pd
import pandera.pandas as pa

from hyoka.normalize import fold_width, is_placeholder
from hyoka.schemas.screen import column_check, frame_check

# Units seen on KPI lists. A unit outside this list is a warning, not an error: a new
# edition may well introduce one; add it here when it is real.
KNOWN_UNITS = frozenset(
    fold_width(unit)
    for unit in (
        "％", "%", "ポイント", "人", "人/日", "件", "回", "円", "泊", "PV", "社", "者", "か所", "箇所", "カ所", "ヶ所", "団体", "校", "世帯", "戸", "台",
        "ha", "t", "kg", "km", "分", "時間", "日", "年", "歳", "倍", "店", "店舗", "施設", "事業", "組", "本", "冊",
    )
)


# A unit may carry a multiplier: 千人, 万件, 百万円.
MULTIPLIERS = ("百万", "十万", "千", "万", "億")


@functools.lru_cache(maxsize=1024)
def is_known_unit(unit: str) -> bool:
    """Whether a printed unit is a known base unit, maybe with a multiplier in front."""
    folded = fold_width(unit).strip()
    for multiplier in MULTIPLIERS:
        if folded.startswith(multiplier) and folded[len(multiplier):] in KNOWN_UNITS:
            return True
    return folded in KNOWN_UNITS


def unit_known(series: pd.Series) -> pd.Series:
    """The unit is printed and is a unit we know (placeholder rows excepted by the caller)."""
    return series.map(lambda u: isinstance(u, str) and is_known_unit(u))


def kpi_unit_check(df: pd.DataFrame) -> pd.Series:
    """A KPI row (not a placeholder row) has a known unit."""
    return df["is_placeholder"].astype(bool) | unit_known(df["unit"])


def value_parses(df: pd.DataFrame) -> pd.Series:
    """現状値 and 実績値 cells are numbers, pending notes, placeholders or blank; words only in 目標値."""
    return (df["slot"] == "目標値") | (df["status"] != "text")


def ref_year_not_after_column(df: pd.DataFrame) -> pd.Series:
    """An 実績値 refers to its column's year or earlier (a carried-forward value)."""
    applies = (df["slot"] == "実績値") & df["column_fiscal_year"].notna() & df["ref_fiscal_year_end"].notna()
    return ~applies | (df["ref_fiscal_year_end"] <= df["column_fiscal_year"])


def aggregate_has_range(df: pd.DataFrame) -> pd.Series:
    """A 累計 or 平均 figure names a range of years (start before end)."""
    applies = df["aggregation"].isin(["累計", "平均"])
    ranged = df["ref_fiscal_year_start"].notna() & (df["ref_fiscal_year_start"] < df["ref_fiscal_year_end"])
    return ~applies | ranged


def placeholder_is_marked(df: pd.DataFrame) -> pd.Series:
    """status 'placeholder' exactly when the cell is a placeholder mark."""
    marked = df["value_text"].map(lambda t: is_placeholder(t) if isinstance(t, str) else False)
    return (df["status"] == "placeholder") == marked


STRATEGY_KPIS = pa.DataFrameSchema(
    {
        "kpi_id": pa.Column(str, checks=column_check(lambda s: s.str.len() > 0, name="kpi_id_missing")),
        "goal_no": pa.Column(float, nullable=True, coerce=True),
        "is_placeholder": pa.Column(bool, coerce=True),
    },
    checks=[frame_check(kpi_unit_check, name="kpi_unit_unknown[unit]")],
    strict=False,
)

STRATEGY_KPI_VALUES = pa.DataFrameSchema(
    {
        "slot": pa.Column(str, checks=pa.Check.isin(["現状値", "実績値", "目標値"])),
        "status": pa.Column(str, checks=pa.Check.isin(["value", "pending", "text", "placeholder", "empty"])),
        "value": pa.Column(float, nullable=True, coerce=True),
        "column_fiscal_year": pa.Column(float, nullable=True, coerce=True),
        "ref_fiscal_year_start": pa.Column(float, nullable=True, coerce=True),
        "ref_fiscal_year_end": pa.Column(float, nullable=True, coerce=True),
    },
    checks=[
        frame_check(lambda df: (df["status"] != "value") | df["value"].notna(), name="unparseable_number[value]"),
        frame_check(value_parses, name="unparseable_number[value_text]"),
        frame_check(ref_year_not_after_column, name="ref_year_after_column[ref_fiscal_year_end]"),
        frame_check(aggregate_has_range, name="aggregate_without_range[aggregation]"),
        frame_check(placeholder_is_marked, name="placeholder_status[status]"),
    ],
    strict=False,
)
