"""A quick proof that a table passes its schema, so that Pandera's full run can be skipped.

Most tables of most documents have no issue at all, and Pandera's lazy validation of a
clean table is mostly bookkeeping. `Screen.passes` runs the same steps on the same data
(coercion with the column's own Pandera dtype, the not-null and dtype tests, then every
check) and answers True only when each step plainly passes. Anything else (a failure, an
exception, a schema feature the screen does not model) answers False, and the caller then
runs Pandera, which reports the issues exactly as it always has. So the screen can only
save work, never change an issue.

A check made with `frame_check` / `column_check` is run by calling its function directly:
a boolean Series that is all True passes in Pandera too (Pandera only ever relaxes a
Series result, for missing values). Any other check goes through Pandera's public
`Check.__call__`. (Pandera deep-copies a column's checks, so a check is recognised by its
function, which copying keeps.)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine

CheckFunction = Callable[[Any], Any]

# the functions of the checks made by `frame_check` / `column_check`
_OWN_FUNCTIONS: set[CheckFunction] = set()


def _registered(function: CheckFunction, name: str, ignore_na: bool = True) -> pa.Check:
    """A Pandera check whose function is remembered as one the screen may call."""
    _OWN_FUNCTIONS.add(function)
    return pa.Check(function, name=name, ignore_na=ignore_na)


def frame_check(function: Callable[[pd.DataFrame], pd.Series], name: str) -> pa.Check:
    """A table-wide Pandera check whose function the screen may call directly."""
    return _registered(function, name)


def column_check(function: Callable[[pd.Series], pd.Series], name: str, *, ignore_na: bool = True) -> pa.Check:
    """A one-column Pandera check whose function the screen may call directly.

    Pandera hands a column check its column without the missing values (`ignore_na`); a
    check about missing values themselves needs `ignore_na=False`.
    """
    return _registered(function, name, ignore_na)


def _function_of(check: pa.Check) -> CheckFunction | None:
    """The function behind a check made here, if it is one (Pandera keeps it as `_check_fn`)."""
    function = getattr(check, "_check_fn", None)
    return function if function in _OWN_FUNCTIONS else None


def _all_true(output: Any) -> bool:
    """A boolean Series (or array) with no False in it."""
    return isinstance(output, (pd.Series, np.ndarray)) and output.dtype == bool and bool(output.all())


def _check_passes(check: pa.Check, data: pd.Series | pd.DataFrame) -> bool:
    """Whether a check plainly passes on data prepared as Pandera prepares it."""
    function = _function_of(check)
    if function is not None:
        # all True passes in Pandera too; anything else is left to Pandera to report
        return _all_true(function(data))
    passed = check(data).check_passed
    return isinstance(passed, (bool, np.bool_)) and bool(passed)


@dataclass(frozen=True)
class ColumnScreen:
    """What the screen needs of one schema column."""

    name: str
    dtype: Any  # a pandera DataType
    coerce: bool
    nullable: bool
    required: bool
    checks: tuple[pa.Check, ...]

    def screened(self, series: pd.Series) -> pd.Series | None:
        """The column as Pandera would check it (coerced) when it passes its own tests, else None."""
        if self.coerce and not _dtype_matches(self.dtype, series):
            series = self.dtype.try_coerce(series)
        if not self.nullable and series.hasnans:
            return None
        if not _dtype_matches(self.dtype, series):
            return None
        for check in self.checks:
            # Pandera hands a column check the column without its missing values
            values = series.dropna() if check.ignore_na and series.hasnans else series
            if not _check_passes(check, values):
                return None
        return series


@dataclass(frozen=True)
class Screen:
    """A schema's columns and table-wide checks, for `passes`."""

    columns: tuple[ColumnScreen, ...]
    checks: tuple[pa.Check, ...]

    def passes(self, frame: pd.DataFrame) -> bool:
        """True only when Pandera's lazy validation of `frame` would report nothing."""
        try:
            coerced = self._coerced_columns(frame)
            if coerced is None:
                return False
            view = frame.assign(**coerced) if coerced else frame
            return all(_check_passes(check, view) for check in self.checks)
        except Exception:  # Pandera reports a check that raises: let it
            return False

    def _coerced_columns(self, frame: pd.DataFrame) -> dict[str, pd.Series] | None:
        """The columns coercion changed, or None when a column fails its own tests."""
        coerced: dict[str, pd.Series] = {}
        for column in self.columns:
            if column.name not in frame.columns:
                if column.required:
                    return None
                continue
            given = frame[column.name]
            series = column.screened(given)
            if series is None:
                return None
            if series is not given:
                coerced[column.name] = series
        return coerced


@functools.lru_cache(maxsize=64)
def _engine_dtype(dtype: Any) -> Any:
    """Pandera's DataType for a pandas dtype (cached: the lookup may try imports each time)."""
    return pandas_engine.Engine.dtype(dtype)


def _dtype_matches(expected: Any, series: pd.Series) -> bool:
    """Pandera's dtype test: one answer for the column, or (a string dtype, say) one per element."""
    result = expected.check(_engine_dtype(series.dtype), series)
    if isinstance(result, (bool, np.bool_)):
        return bool(result)
    return bool(result.all())  # as Pandera reads an element-wise answer


def _plain_check(check: pa.Check) -> bool:
    """A check the screen can run as Pandera does: not grouped, not element-wise."""
    return getattr(check, "groupby", None) is None and not getattr(check, "element_wise", False)


def _plain_column(column: pa.Column) -> bool:
    """A column with only the features the screen models."""
    return (
        isinstance(column.name, str)
        and not column.regex
        and not column.unique
        and column.dtype is not None
        and getattr(column, "default", None) is None
        and not getattr(column, "parsers", None)
        and all(_plain_check(check) for check in column.checks)
    )


def _plain_schema(schema: pa.DataFrameSchema) -> bool:
    """A schema with only the features the screen models (what hyoka's schemas use)."""
    return (
        schema.index is None
        and schema.dtype is None
        and not schema.coerce
        and schema.strict is False
        and not schema.unique
        and not schema.unique_column_names
        and not schema.add_missing_columns
        and not schema.drop_invalid_rows
        and not getattr(schema, "parsers", None)
        and all(_plain_column(column) for column in schema.columns.values())
        and all(_plain_check(check) for check in schema.checks)
    )


def build_screen(schema: pa.DataFrameSchema) -> Screen | None:
    """The screen of a schema, or None when it uses a feature the screen does not model."""
    if not _plain_schema(schema):
        return None
    columns = tuple(
        ColumnScreen(name, column.dtype, column.coerce, column.nullable, column.required, tuple(column.checks))
        for name, column in schema.columns.items()
    )
    return Screen(columns, tuple(schema.checks))


_SCREENS: dict[int, tuple[pa.DataFrameSchema, Screen | None]] = {}


def screen_of(schema: pa.DataFrameSchema) -> Screen | None:
    """The (cached) screen of a schema object."""
    cached = _SCREENS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, build_screen(schema))
        _SCREENS[id(schema)] = cached
    return cached[1]
