"""Pandera schemas for the record tables, with the cross-field checks.

Each check is named after an entry of `hyoka.schemas.checks.CHECKS`. A check that concerns one
column of a wide check carries it in brackets (`unparseable_number[total_cost]`) so the
issue can name the column. Schemas validate DataFrames built by `hyoka.schemas.validate`, where
`raw__<column>` holds the printed text of a parsed column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa

from hyoka.normalize import is_placeholder
from hyoka.schemas.screen import column_check, frame_check

MIN_FISCAL_YEAR = 1868  # 明治元年
MAX_FISCAL_YEAR = 2100
FUNDING_PARTS = ("national", "prefecture", "municipal_bonds", "other", "general_revenue")
AMOUNT_COLUMNS = ("total_cost",) + FUNDING_PARTS
# 達成率 is printed to one decimal: allow that rounding and a little more.
ACHIEVEMENT_TOLERANCE = 0.15
FUNDING_TOLERANCE = 0.5


def _year_in_range(series: pd.Series) -> pd.Series:
    """True for a missing year or one in 1868–2100."""
    if series.dtype == np.float64:  # the coerced column: the same test on its array
        values = series.to_numpy()
        return pd.Series(np.isnan(values) | ((values >= MIN_FISCAL_YEAR) & (values <= MAX_FISCAL_YEAR)), index=series.index)
    return series.isna() | series.between(MIN_FISCAL_YEAR, MAX_FISCAL_YEAR)


def number_parsed(df: pd.DataFrame, column: str) -> pd.Series:
    """False where a printed value is not blank, not a placeholder, and did not parse."""
    ok = pd.Series(True, index=df.index)
    raw = df.get(f"raw__{column}")
    if raw is None:
        return ok
    # Only a missing value with printed text can fail, and not where the text is "" or a
    # placeholder (stripping keeps a placeholder one): the rest are read exactly as ever.
    texts = raw.to_numpy(dtype=object)
    candidates = df[column].isna().to_numpy(dtype=bool) & ~pd.isna(texts)
    for position in np.flatnonzero(candidates):
        text = texts[position]
        candidates[position] = not (isinstance(text, str) and (text == "" or is_placeholder(text)))
    if not candidates.any():
        return ok
    printed = raw[candidates].fillna("").astype(str).str.strip()
    bad = (printed != "") & ~printed.map(is_placeholder).astype(bool)
    ok[bad.index[bad.to_numpy(dtype=bool)]] = False
    return ok


def unparseable(column: str) -> pa.Check:
    """A printed value that is not blank, not a placeholder, and did not parse."""
    return frame_check(lambda df: number_parsed(df, column), name=f"unparseable_number[{column}]")


def not_negative(df: pd.DataFrame, column: str) -> pd.Series:
    """False where an amount is below zero."""
    series = df[column]
    if series.dtype == np.float64:  # the coerced column: the same test on its array
        values = series.to_numpy()
        return pd.Series(np.isnan(values) | (values >= 0), index=df.index)
    return series.isna() | (series >= 0)


def negative(column: str) -> pa.Check:
    """Negative amounts (printed with △) are legal but worth a look."""
    return frame_check(lambda df: not_negative(df, column), name=f"negative_amount[{column}]")


# A run validates the documents of a batch as one frame per table (`validate_extractions`):
# this column says which document each row is of, and every check that compares rows
# groups by it first, so that rows of two documents are never compared with each other.
DOCUMENT_COLUMN = "__document__"


def _within_document(df: pd.DataFrame, *keys: str) -> list[str]:
    """Group key columns, the document column first when the frame holds several documents."""
    return [DOCUMENT_COLUMN, *keys] if DOCUMENT_COLUMN in df else list(keys)


def _document_key(df: pd.DataFrame) -> list[pd.Series]:
    """The document column as a first group key, when the frame holds several documents."""
    return [df[column] for column in _within_document(df)]


def _group_codes(keys: Sequence[pd.Series | np.ndarray]) -> np.ndarray:
    """Each row's group number under the key columns, as `groupby(keys, dropna=False)` groups rows.

    Each key is factorized as groupby factorizes it (a missing value is a key of its own),
    and the combinations are numbered.
    """
    codes = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        key_codes, uniques = pd.factorize(key, use_na_sentinel=False)
        codes = np.unique(codes * len(uniques) + key_codes, return_inverse=True)[1].reshape(-1)
    return codes


def _groups(codes: np.ndarray, rows: np.ndarray | None = None) -> list[np.ndarray]:
    """The row positions (ascending) of each group, for all rows or only for `rows`."""
    positions = np.arange(len(codes)) if rows is None else np.flatnonzero(rows)
    if not len(positions):
        return []
    ordered = positions[np.argsort(codes[positions], kind="stable")]
    return np.split(ordered, np.flatnonzero(np.diff(codes[ordered])) + 1)


def _group_has(codes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each group number: whether any of its rows is in `mask`."""
    return np.bincount(codes[mask], minlength=int(codes.max()) + 1) > 0


def _passes(df: pd.DataFrame, failing: Sequence[int] | np.ndarray) -> pd.Series:
    """A check's output: True except at the failing row positions."""
    ok = np.ones(len(df), dtype=bool)
    ok[np.asarray(failing, dtype=np.intp)] = False
    return pd.Series(ok, index=df.index)


def _floats(df: pd.DataFrame, column: str) -> np.ndarray:
    """A (coerced, float) column as a NumPy array."""
    return df[column].to_numpy(dtype=float, na_value=np.nan)


def _is(df: pd.DataFrame, column: str, value: str) -> np.ndarray:
    """Where a text column equals `value` (never where it is missing)."""
    return df[column].to_numpy(dtype=object) == value


def _last_after_sorting_by_year(positions: np.ndarray, years: np.ndarray) -> int:
    """The last of `positions` once sorted by year as `DataFrame.sort_values` sorts (quicksort, NaN last)."""
    missing = np.isnan(years)
    if missing.any():
        return int(positions[missing][-1])
    return int(positions[np.argsort(years, kind="quicksort")[-1]])


def achievement_rate(df: pd.DataFrame) -> pd.Series:
    """達成率 = newest 実績 ÷ 目標 × 100, checked on the newest 実績 row of each indicator."""
    if df.empty or "achievement_rate" not in df:
        return pd.Series(True, index=df.index)
    codes = _group_codes([*_document_key(df), df["project_code"], df["level"], df["indicator_no"]])
    rate, value, year = _floats(df, "achievement_rate"), _floats(df, "value"), _floats(df, "fiscal_year")
    valued = ~np.isnan(value)
    actual, target = _is(df, "kind", "実績") & valued, _is(df, "kind", "目標") & valued
    # only an indicator with a rate, a valued 実績 and a valued 目標 is checked
    checked = _group_has(codes, ~np.isnan(rate)) & _group_has(codes, actual) & _group_has(codes, target)
    failing = []
    for rows in _groups(codes, checked[codes]):
        target_value = float(value[rows[target[rows]][-1]])
        if target_value == 0:
            continue
        actuals = rows[actual[rows]]
        newest = _last_after_sorting_by_year(actuals, year[actuals])
        expected = float(value[newest]) / target_value * 100
        first_rate = rate[rows][~np.isnan(rate[rows])][0]
        if abs(expected - float(first_rate)) > ACHIEVEMENT_TOLERANCE:
            failing.append(newest)
    return _passes(df, failing)


# ---------------------------------------------------------------------------------------
# cross-row checks (issue 4): each looks at one sheet at a time. A sheet's rows share the
# project code and the page they were read from, so a project bound twice into one book
# is two sheets, not one.

BUDGET_YEAR_SLACK = 2  # years a budget row may lie from its sheet's year
JUMP_FACTOR = 10.0  # a value more than this many times (or less than 1/this) the previous year's
# Budget stages compared with each other for value_jump: settled figures with settled
# ones (R2決算 → R3決算見込), budgets with budgets (R3当初予算 → R4当初予算).
STAGE_FAMILIES = {"決算": "settled", "決算見込": "settled", "見込": "settled",
                  "当初予算": "budget", "補正予算": "budget", "予算": "budget",
                  "予算現額": "budget", "予算案": "budget"}
PROJECT_PROVENANCE = {"page", "bbox", "raw_text", "first_page", "last_page", "project_code_raw"}


def _sheet_codes(df: pd.DataFrame, *keys: str, family: np.ndarray | None = None) -> np.ndarray:
    """Each row's sheet (project code + page) and further keys (and stage family), as a group number."""
    columns: list[pd.Series | np.ndarray] = [*_document_key(df), *(df[c] for c in ("project_code", "page", *keys) if c in df)]
    return _group_codes(columns + ([family] if family is not None else []))


def _group_median(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each row's group median of `values`, missing values left out (NaN for a group with none)."""
    present = np.flatnonzero(~np.isnan(values))
    median = np.full(int(codes.max()) + 1 if len(codes) else 0, np.nan)
    if len(present):
        ordered = present[np.lexsort((values[present], codes[present]))]
        group, value = codes[ordered], values[ordered]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        count = np.diff(np.r_[starts, len(ordered)])
        upper = value[starts + count // 2]
        lower = value[starts + (count - 1) // 2]
        # as NumPy's median: the middle value, or the mean of the two middle ones
        median[group[starts]] = np.where(count % 2 == 1, upper, (lower + upper) / 2)
    return median[codes]


def _has_neighbour_year(codes: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Whether another row of the same sheet is of the same year or the one before or after."""
    counts: dict[tuple[int, float], int] = {}
    for code, year in zip(codes.tolist(), years.tolist(), strict=True):
        counts[(code, year)] = counts.get((code, year), 0) + 1
    return np.array([counts.get((code, year), 0) > 1 or (code, year - 1) in counts or (code, year + 1) in counts
                     for code, year in zip(codes.tolist(), years.tolist(), strict=True)], dtype=bool)


def budget_year_out_of_range(df: pd.DataFrame) -> pd.Series:
    """A budget row more than 2 years from its sheet's year (the median year of its matrix), standing alone.

    A year next to another of its sheet's years is part of a run, not a misread: an export's
    six yearly blocks (令和2–7) lie up to 2.5 years from their median, one year apart.
    """
    if df.empty or "fiscal_year" not in df:
        return pd.Series(True, index=df.index)
    years = _floats(df, "fiscal_year")
    codes = _sheet_codes(df)
    with np.errstate(invalid="ignore"):
        far = np.abs(years - _group_median(codes, years)) > BUDGET_YEAR_SLACK
    far &= ~_has_neighbour_year(codes, years)
    return pd.Series(~far, index=df.index)


def target_before_actual(df: pd.DataFrame) -> pd.Series:
    """A 目標 column whose year is before the newest 実績 year of the same indicator."""
    if df.empty or "kind" not in df:
        return pd.Series(True, index=df.index)
    codes, years = _sheet_codes(df, "level", "indicator_no"), _floats(df, "fiscal_year")
    newest_actual = np.full(int(codes.max()) + 1, np.nan)
    np.fmax.at(newest_actual, codes, np.where(_is(df, "kind", "実績"), years, np.nan))  # fmax: NaN never wins
    with np.errstate(invalid="ignore"):
        early = _is(df, "kind", "目標") & (years < newest_actual[codes])
    return pd.Series(~early, index=df.index)


_WHITESPACE = re.compile(r"\s+")


def _cell_text(value: object) -> str:
    """One cell of a project's content: '' for a missing value, else its text without whitespace."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _WHITESPACE.sub("", str(value))


def _content(df: pd.DataFrame) -> pd.Series:
    """A project's content as one comparable string (whitespace ignored)."""
    columns = [c for c in df.columns if c not in PROJECT_PROVENANCE and not c.startswith("raw__")]
    return pd.Series(["\x1f".join(map(_cell_text, row)) for row in df[columns].itertuples(index=False)], index=df.index)


def duplicate_project(df: pd.DataFrame) -> pd.Series:
    """The same project code again in one document with different content: the later one fails."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "project_code" not in df:
        return ok
    codes = df["project_code"]
    keys = _within_document(df, "project_code")
    # only the rows of a code seen twice are compared, so only theirs are turned into text
    repeated = df[(codes.notna() & df.duplicated(keys, keep=False)).to_numpy(dtype=bool)]
    if repeated.empty:
        return ok
    content = _content(repeated)
    for _, rows in repeated.groupby(keys, sort=False):
        code = rows["project_code"].iloc[0]
        if not code or len(rows) < 2:
            continue
        first = content[rows.index[0]]
        later = [i for i in rows.index[1:] if content[i] != first]
        ok[later] = False
    return ok


def _jumps(codes: np.ndarray, years: np.ndarray, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions (among `rows`) whose value is > JUMP_FACTOR× (or < 1/JUMP_FACTOR) its group's previous year's.

    The previous year's value is that of the last row (in document order) of the newest
    earlier year in the same group; only positive values with a year take part.
    """
    positions = np.flatnonzero(rows & ~np.isnan(values) & ~np.isnan(years) & (values > 0))
    if not len(positions):
        return positions
    # by group, then year, then document order: each (group, year) run ends on its last row
    positions = positions[np.lexsort((positions, years[positions], codes[positions]))]
    group, year, value = codes[positions], years[positions], values[positions]
    starts = np.r_[True, (group[1:] != group[:-1]) | (year[1:] != year[:-1])]
    run = np.cumsum(starts) - 1
    run_starts = np.flatnonzero(starts)
    run_value = value[np.r_[run_starts[1:] - 1, len(positions) - 1]]
    run_group = group[run_starts]
    has_previous = np.r_[False, run_group[1:] == run_group[:-1]][run]
    previous = np.r_[np.nan, run_value[:-1]][run]
    ratio = value[has_previous] / previous[has_previous]
    jump = (ratio > JUMP_FACTOR) | (ratio < 1 / JUMP_FACTOR)
    return positions[has_previous][jump]


def budget_value_jump(df: pd.DataFrame) -> pd.Series:
    """事業費 more than 10× (or under 1/10) the previous year's of the same stage family."""
    if df.empty or "stage" not in df:
        return pd.Series(True, index=df.index)
    # a stage's family, or the stage itself where it has none (as map + fillna)
    family = np.array([STAGE_FAMILIES.get(stage, stage) for stage in df["stage"].tolist()], dtype=object)
    codes = _sheet_codes(df, family=family)
    everywhere = np.ones(len(df), dtype=bool)
    return _passes(df, _jumps(codes, _floats(df, "fiscal_year"), _floats(df, "total_cost"), everywhere))


def indicator_value_jump(df: pd.DataFrame) -> pd.Series:
    """An indicator's 実績 more than 10× (or under 1/10) its previous year's 実績."""
    if df.empty or "kind" not in df:
        return pd.Series(True, index=df.index)
    codes = _sheet_codes(df, "level", "indicator_no")
    return _passes(df, _jumps(codes, _floats(df, "fiscal_year"), _floats(df, "value"), _is(df, "kind", "実績")))


def _nullable(dtype: type, *checks: pa.Check) -> pa.Column:
    """An optional, nullable column coerced to `dtype`."""
    return pa.Column(dtype, nullable=True, coerce=True, checks=list(checks), required=False)


PROJECTS = pa.DataFrameSchema(
    {
        # an empty code is the template's finding (missing_project_code, where it looked), not a format error
        "project_code": pa.Column(
            str, checks=[column_check(lambda s: s.eq("") | s.str.fullmatch(r"\d+"), name="project_code_format")]
        ),
        "start_fiscal_year": _nullable(float, column_check(_year_in_range, name="fiscal_year_range")),
        "page": pa.Column(int, coerce=True),
    },
    checks=[frame_check(duplicate_project, name="duplicate_project[project_code]")],
    strict=False,
)

PROJECT_BUDGETS = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(
            float,
            column_check(_year_in_range, name="fiscal_year_range"),
            column_check(lambda s: s.notna(), name="fiscal_year_missing", ignore_na=False),
        ),
        "tax_allocation_pct": _nullable(float, column_check(lambda s: s.isna() | s.between(0, 100), name="percent_range")),
        **{column: _nullable(float) for column in AMOUNT_COLUMNS},
    },
    checks=[
        *(unparseable(column) for column in AMOUNT_COLUMNS + ("tax_allocation_pct",)),
        *(negative(column) for column in AMOUNT_COLUMNS),
        frame_check(budget_year_out_of_range, name="budget_year_out_of_range[label]"),
        frame_check(budget_value_jump, name="value_jump[total_cost]"),
    ],
    strict=False,
)

PROJECT_STAFFING = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(float, column_check(_year_in_range, name="fiscal_year_range")),
        "regular_staff": _nullable(float, column_check(lambda s: s.isna() | s.between(0, 1000), name="staff_range")),
        "fiscal_year_staff": _nullable(float, column_check(lambda s: s.isna() | s.between(0, 1000), name="staff_range")),
    },
    checks=[unparseable("regular_staff"), unparseable("fiscal_year_staff")],
    strict=False,
)

PROJECT_INDICATORS = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(float, column_check(_year_in_range, name="fiscal_year_range")),
        "value": _nullable(float),
        "baseline": _nullable(float),
        "achievement_rate": _nullable(float),
    },
    checks=[
        unparseable("value"),
        unparseable("baseline"),
        unparseable("achievement_rate"),
        frame_check(achievement_rate, name="achievement_rate[achievement_rate]"),
        frame_check(target_before_actual, name="target_before_actual[column_label]"),
        frame_check(indicator_value_jump, name="value_jump[value]"),
    ],
    strict=False,
)

# ---------------------------------------------------------------------------------------
# funding sources, cost items and SDGs (issue 6): long tables that every template fills,
# so that the arithmetic is checked the same way whatever the city's matrix looks like.

# project_budget_sources.source: what every template maps its printed rows / columns to.
from hyoka.extractors.records import BUDGET_SOURCES  # noqa: E402
# the rounding a printed 受益者負担率 (one decimal, in percent) may carry
BURDEN_RATE_TOLERANCE = 0.051
_BUDGET_COLUMN_KEYS = ("project_code", "page", "fiscal_year", "stage", "label")


def _budget_column_codes(df: pd.DataFrame) -> np.ndarray:
    """Each source row's budget column (one sheet's year + stage + printed heading), as a group number."""
    return _group_codes([*_document_key(df), *(df[c] for c in _BUDGET_COLUMN_KEYS if c in df)])


def source_funding_sum(df: pd.DataFrame) -> pd.Series:
    """事業費 = the sum of a budget column's sources, leaving out parts (受益者負担 ⊂ その他).

    Checked where 事業費 is printed and every whole source is known: printed, or blank on a
    template whose blank means 0 (`blank_is_zero`, e.g. 池田); on the others a blank is
    "not stated" and the column is not checked.
    The failing column is reported on its last whole source (一般財源, the balancing item).
    """
    if df.empty or "total_cost" not in df or "amount" not in df:
        return pd.Series(True, index=df.index)
    codes = _budget_column_codes(df)
    total, amount = _floats(df, "total_cost"), _floats(df, "amount")
    whole = df["part_of"].isna().to_numpy(dtype=bool) if "part_of" in df else np.ones(len(df), dtype=bool)
    blank_zero = df["blank_is_zero"].fillna(False).astype(bool).to_numpy(dtype=bool) if "blank_is_zero" in df else None
    checked = _group_has(codes, ~np.isnan(total)) & _group_has(codes, whole)
    failing = []
    for rows in _groups(codes, checked[codes]):
        wholes = rows[whole[rows]]
        amounts = amount[wholes]
        missing = np.isnan(amounts)
        if missing.any() and not (blank_zero is not None and bool(blank_zero[wholes].all())):
            continue
        totals = total[rows]
        # the same NumPy sum, over the same values in the same order, as Series.sum
        if abs(float(np.where(missing, 0.0, amounts).sum()) - float(totals[~np.isnan(totals)][0])) > FUNDING_TOLERANCE:
            failing.append(wholes[-1])
    return _passes(df, failing)


def part_exceeds_whole(df: pd.DataFrame) -> pd.Series:
    """A part (うち受益者負担) larger than the source it is part of (その他)."""
    if df.empty or "part_of" not in df:
        return pd.Series(True, index=df.index)
    part_of = df["part_of"]
    parts = np.flatnonzero((part_of.notna() & df["amount"].notna()).to_numpy(dtype=bool))
    codes, amount, sources = _budget_column_codes(df), _floats(df, "amount"), df["source"].tolist()
    # the amount (blank as 0) of the first row of each budget column's source a part names
    wanted = set(part_of.iloc[parts].tolist())
    whole_amount: dict[tuple[int, str], float] = {}
    for position, source in enumerate(sources):
        if source in wanted:
            whole_amount.setdefault((codes[position], source), 0.0 if np.isnan(amount[position]) else float(amount[position]))
    parent = part_of.tolist()
    failing = [int(p) for p in parts if amount[p] > whole_amount.get((codes[p], parent[p]), 0.0) + FUNDING_TOLERANCE]
    return _passes(df, failing)


def burden_rate(df: pd.DataFrame) -> pd.Series:
    """受益者負担率 = うち受益者負担 ÷ 事業費 × 100, to the one decimal it is printed with."""
    ok = pd.Series(True, index=df.index)
    needed = ("beneficiary_burden_pct", "beneficiary_burden", "total_cost")
    if df.empty or any(c not in df for c in needed):
        return ok
    rate, burden, total = (df[c] for c in needed)
    rows = (rate.notna() & burden.notna() & (total > 0)).to_numpy(dtype=bool)
    expected = burden[rows] / total[rows] * 100
    bad = (expected - rate[rows]).abs() > BURDEN_RATE_TOLERANCE
    ok[bad[bad].index] = False
    return ok


PROJECT_BUDGET_SOURCES = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(
            float,
            column_check(_year_in_range, name="fiscal_year_range"),
            column_check(lambda s: s.notna(), name="fiscal_year_missing", ignore_na=False),
        ),
        "source": pa.Column(str, checks=[column_check(lambda s: s.isin(BUDGET_SOURCES), name="unknown_funding_source")]),
        "amount": _nullable(float),
        "total_cost": _nullable(float),
    },
    # Parsing and sign are checked once, on project_budgets where the printed cells are;
    # the funding sum is checked here, the one shape every template shares.
    checks=[
        frame_check(source_funding_sum, name="funding_sum[amount]"),
        frame_check(part_exceeds_whole, name="part_exceeds_whole[amount]"),
    ],
    strict=False,
)

# ---------------------------------------------------------------------------------------
# a full breakdown that adds up (issue 13: 神戸's コスト, 収入 and 職種等内訳). Each sum is
# checked per budget (or staffing) column of one sheet, blanks as 0; a column whose total
# is not printed is not checked. The failing row is the column's last part.


def _sums_differ(parts: np.ndarray, total: float) -> bool:
    """Whether the parts (blank as 0) add up to something else than the total."""
    return abs(float(np.nansum(parts)) - total) > FUNDING_TOLERANCE


def cost_items_sum(df: pd.DataFrame) -> pd.Series:
    """事業費 (合計(A)) = the column's cost items, their parts (委託料 in 物件費) left out."""
    if df.empty or "adds_up" not in df or "total_cost" not in df:
        return pd.Series(True, index=df.index)
    adds_up = df["adds_up"].fillna(False).astype(bool).to_numpy(dtype=bool)
    whole = df["part_of"].isna().to_numpy(dtype=bool) if "part_of" in df else np.ones(len(df), dtype=bool)
    codes, amount, total = _budget_column_codes(df), _floats(df, "amount"), _floats(df, "total_cost")
    failing = []
    for rows in _groups(codes, adds_up & whole & ~np.isnan(total)):
        if _sums_differ(amount[rows], float(total[rows[0]])):
            failing.append(rows[-1])
    return _passes(df, failing)


def item_parts_sum(df: pd.DataFrame) -> pd.Series:
    """An item with parts (物件費) = the sum of its parts (アルバイト・人材派遣, 委託料, その他物件費)."""
    if df.empty or "part_of" not in df or "item_name" not in df:
        return pd.Series(True, index=df.index)
    codes, amount = _budget_column_codes(df), _floats(df, "amount")
    names, parents = df["item_name"].tolist(), df["part_of"].tolist()
    failing = []
    for rows in _groups(codes):
        for parent in {parents[r] for r in rows if isinstance(parents[r], str)}:
            parts = [r for r in rows if parents[r] == parent]
            whole = [r for r in rows if names[r] == parent and not isinstance(parents[r], str)]
            if whole and _sums_differ(amount[parts], 0.0 if np.isnan(amount[whole[0]]) else float(amount[whole[0]])):
                failing.append(parts[-1])
    return _passes(df, failing)


PROJECT_BUDGET_ITEMS = pa.DataFrameSchema(
    {
        "fiscal_year": _nullable(float, column_check(_year_in_range, name="fiscal_year_range")),
        "amount": _nullable(float),
    },
    checks=[
        unparseable("amount"),
        negative("amount"),
        frame_check(cost_items_sum, name="cost_items_sum[amount]"),
        frame_check(item_parts_sum, name="item_parts_sum[amount]"),
    ],
    strict=False,
)

REVENUE_COLUMNS = ("national", "prefecture", "national_prefecture", "municipal_bonds", "other")


def revenue_sum(df: pd.DataFrame) -> pd.Series:
    """収入合計 = the sources other than 一般財源 (blank as 0), where 収入合計 is printed."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "revenue_total" not in df:
        return ok
    parts = np.nansum(np.column_stack([_floats(df, c) for c in REVENUE_COLUMNS if c in df]), axis=1)
    total = _floats(df, "revenue_total")
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(total) & (np.abs(parts - total) > FUNDING_TOLERANCE)
    return pd.Series(~bad, index=df.index)


def general_revenue_balance(df: pd.DataFrame) -> pd.Series:
    """一般財源(B) = 合計(A) − 収入合計, where all three are printed."""
    ok = pd.Series(True, index=df.index)
    if df.empty or "revenue_total" not in df:
        return ok
    total, revenue, general = (_floats(df, c) for c in ("total_cost", "revenue_total", "general_revenue"))
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(total + revenue + general) & (np.abs(total - revenue - general) > FUNDING_TOLERANCE)
    return pd.Series(~bad, index=df.index)


PROJECT_BUDGETS = pa.DataFrameSchema(
    {**PROJECT_BUDGETS.columns, "revenue_total": _nullable(float)},
    checks=[
        *PROJECT_BUDGETS.checks,
        unparseable("revenue_total"),
        frame_check(revenue_sum, name="revenue_sum[revenue_total]"),
        frame_check(general_revenue_balance, name="general_revenue_balance[general_revenue]"),
    ],
    strict=False,
)


def staff_sum(df: pd.DataFrame) -> pd.Series:
    """A year's staff total (合計(D)) = its job types' staff (blank as 0), where the total is printed."""
    if df.empty or "job_type" not in df or "total_staff" not in df:
        return pd.Series(True, index=df.index)
    codes = _group_codes([*_document_key(df), *(df[c] for c in ("project_code", "page", "fiscal_year", "label") if c in df)])
    staff, total = _floats(df, "staff"), _floats(df, "total_staff")
    typed = df["job_type"].notna().to_numpy(dtype=bool)
    failing = []
    for rows in _groups(codes, typed & ~np.isnan(total)):
        if _sums_differ(staff[rows], float(total[rows[0]])):
            failing.append(rows[-1])
    return _passes(df, failing)


PROJECT_STAFFING = pa.DataFrameSchema(
    {
        **PROJECT_STAFFING.columns,
        "staff": _nullable(float, column_check(lambda s: s.isna() | s.between(0, 100000), name="staff_range")),
        "total_staff": _nullable(float),
    },
    checks=[
        *PROJECT_STAFFING.checks,
        unparseable("staff"),
        unparseable("total_staff"),
        frame_check(staff_sum, name="staff_sum[staff]"),
    ],
    strict=False,
)

PROJECT_SDGS = pa.DataFrameSchema(
    {"goal_no": pa.Column(int, coerce=True, checks=[column_check(lambda s: s.between(1, 17), name="sdg_goal_range")])},
    strict=False,
)

# project_budgets: the columns the 池田 template added, checked like the others.
PROJECT_BUDGETS = pa.DataFrameSchema(
    {
        **PROJECT_BUDGETS.columns,
        "national_prefecture": _nullable(float),
        "beneficiary_burden": _nullable(float),
        "beneficiary_burden_pct": _nullable(
            float, column_check(lambda s: s.isna() | s.between(0, 100), name="percent_range")
        ),
    },
    checks=[
        *PROJECT_BUDGETS.checks,
        *(unparseable(column) for column in ("national_prefecture", "beneficiary_burden", "beneficiary_burden_pct")),
        *(negative(column) for column in ("national_prefecture", "beneficiary_burden")),
        frame_check(burden_rate, name="burden_rate[beneficiary_burden_pct]"),
    ],
    strict=False,
)


def general_revenue_within_cost(df: pd.DataFrame) -> pd.Series:
    """一般財源 is a part of the cost: never more than it (京都's 経費（一財）, 池田's 財源 …).

    Unless another source of the row is negative (△, a refund): that leaves more of the
    cost for the 一般財源, and funding_sum checks the row instead.
    """
    ok = pd.Series(True, index=df.index)
    if df.empty or "general_revenue" not in df or "total_cost" not in df:
        return ok
    general, total = _floats(df, "general_revenue"), _floats(df, "total_cost")
    both = ~np.isnan(general) & ~np.isnan(total)
    others = [c for c in (*FUNDING_PARTS, "national_prefecture") if c != "general_revenue" and c in df]
    negative_source = np.zeros(len(df), dtype=bool)
    for column in others:
        negative_source |= np.nan_to_num(_floats(df, column), nan=0.0) < 0
    return _passes(df, np.flatnonzero(both & ~negative_source & (general > total + FUNDING_TOLERANCE)))


# project_budgets: 一般財源 ≤ 事業費 (issue 13, 京都's cost with its 一般財源 in brackets)
PROJECT_BUDGETS = pa.DataFrameSchema(
    PROJECT_BUDGETS.columns,
    checks=[*PROJECT_BUDGETS.checks,
            frame_check(general_revenue_within_cost, name="general_revenue_exceeds_cost[general_revenue]")],
    strict=False,
)


# project_extra_fields: a city's own fields, label and text as printed. A row without its
# label could not be found again (required_value_missing); the text is not checked.
PROJECT_EXTRA_FIELDS = pa.DataFrameSchema(
    {"label": pa.Column(str, checks=[column_check(lambda s: s.str.strip().ne(""), name="required_value_missing")])},
    strict=False,
)
