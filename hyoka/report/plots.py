"""Plots of the numbers, as PNG bytes: per project its budget and indicators, per 総合戦略 goal its KPIs.

Japanese labels are drawn with IPAexGothic, the font the `matplotlib-fontja` package
ships: no system font is needed. Only matplotlib's object API is used (no pyplot), so
nothing global changes and no display is needed. matplotlib is imported by the functions
that draw, not by this module: a report whose figures are all in its cache never loads it.
"""

from __future__ import annotations

import importlib.util
import io
import math
import textwrap
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hyoka.report.cache import digest

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FONT_FAMILY = "IPAexGothic"
DPI = 100
PANEL_W, PANEL_H = 3.5, 2.7  # inches per panel
MAX_COLUMNS = 4
STAGE_ORDER = ("決算", "決算見込", "見込", "当初予算", "補正予算", "予算")
STAGE_COLORS = {
    "決算": "#1d4ed8",
    "決算見込": "#60a5fa",
    "見込": "#93c5fd",
    "当初予算": "#f59e0b",
    "補正予算": "#b45309",
    "予算": "#fbbf24",
}
ACTUAL_COLOR = "#1d4ed8"
TARGET_COLOR = "#dc2626"
BASELINE_COLOR = "#6b7280"


def font_path() -> Path:
    """IPAexGothic as shipped by matplotlib-fontja (found without importing the package,
    whose import changes matplotlib's global font settings)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib-fontja is not installed: it ships the Japanese font the report needs")
    return Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf"


@lru_cache(maxsize=1)
def style_version() -> str:
    """What a figure depends on besides its data: this module's code, matplotlib's version, the font."""
    return digest(Path(__file__).read_bytes(), version("matplotlib"), font_path().stat().st_size)


@lru_cache(maxsize=1)
def _register_font() -> None:
    """Make IPAexGothic known to matplotlib (once)."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))


def era_year(year: int) -> str:
    """2021 → 'R3', 2019 → 'R元', 2018 → 'H30' (short 和暦 for axis labels)."""
    if year >= 2019:
        n, letter = year - 2018, "R"
    elif year >= 1989:
        n, letter = year - 1988, "H"
    else:
        return str(year)
    return f"{letter}{'元' if n == 1 else n}"


def year_label(year: int) -> str:
    """Axis label of a fiscal year: 'R3\\n2021'."""
    return f"{era_year(year)}\n{year}"


def wrap(text: str, width: int = 17, lines: int = 2) -> str:
    """Text wrapped to a few short lines (Japanese has no spaces: wrap by characters)."""
    chunks = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(chunks) > lines:
        chunks = chunks[:lines]
        chunks[-1] = chunks[-1][: width - 1] + "…"
    return "\n".join(chunks)


def _figure(panels: int) -> tuple[Figure, list[Axes]]:
    """A figure with a grid of `panels` axes (the grid's extra cells left empty), legend room at the top.

    Fixed margins rather than constrained layout: a report draws many figures, and the
    layout engine doubles the drawing time. Only the axes that are drawn are made.
    """
    from matplotlib.figure import Figure

    columns = min(MAX_COLUMNS, panels)
    rows = math.ceil(panels / columns)
    width, height = PANEL_W * columns, PANEL_H * rows + 0.35
    figure = Figure(figsize=(width, height), dpi=DPI)
    figure.subplots_adjust(left=0.75 / width, right=1 - 0.1 / width, top=1 - 0.8 / height, bottom=0.55 / height,
                           wspace=0.45, hspace=0.8)
    grid = figure.add_gridspec(rows, columns)
    return figure, [figure.add_subplot(grid[i // columns, i % columns]) for i in range(panels)]


def _legend(figure: Figure, axes: list[Axes]) -> None:
    """One legend for the whole figure, above the panels (each entry once)."""
    entries: dict[str, Artist] = {}
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if entries:
        figure.legend(list(entries.values()), list(entries), loc="upper left", bbox_to_anchor=(0.0, 1.0),
                      ncols=len(entries), fontsize=8, frameon=False)


def _png(figure: Figure) -> bytes:
    """A figure as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _style(axis: Axes, title: str) -> None:
    """Common look of a panel."""
    axis.set_title(title, fontsize=9, loc="left")
    axis.tick_params(labelsize=8)
    axis.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    axis.set_axisbelow(True)
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)


def _thousands(axis: Axes) -> None:
    """Y tick labels with thousands separators."""
    from matplotlib.ticker import FuncFormatter

    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.4g}"))


def budget_panel(axis: Axes, budgets: pd.DataFrame) -> None:
    """事業費 by fiscal year, one bar per stage."""
    years = sorted(int(y) for y in budgets["fiscal_year"].unique())
    stages = [s for s in STAGE_ORDER if s in set(budgets["stage"])] + sorted(set(budgets["stage"]) - set(STAGE_ORDER))
    width = 0.8 / max(1, len(stages))
    for i, stage in enumerate(stages):
        rows = budgets[budgets["stage"] == stage]
        xs = [years.index(int(y)) - 0.4 + width * (i + 0.5) for y in rows["fiscal_year"]]
        axis.bar(xs, rows["total_cost"].fillna(0), width=width * 0.92, label=stage, color=STAGE_COLORS.get(stage, "#9ca3af"))
    axis.set_xticks(range(len(years)), [year_label(y) for y in years])
    _thousands(axis)
    axis.margins(y=0.15)
    _style(axis, "事業費（千円）／ budget by stage")


ACTUAL_KINDS = ("実績", "実績値")
TARGET_KINDS = ("目標", "目標値")
BASELINE_KINDS = ("現状値", "基準値")
OTHER_COLORS = ("#f59e0b", "#7c3aed", "#059669")  # further kinds (見込 …): dashed, hollow markers


def indicator_panel(axis: Axes, rows: pd.DataFrame, title: str, unit: str | None) -> None:
    """One indicator: 実績 as a line, 目標 as red stars, 現状値 as a grey diamond, other kinds (見込) dashed."""
    rows = rows.sort_values("fiscal_year")
    kind = rows["kind"]
    actual, target = rows[kind.isin(ACTUAL_KINDS)], rows[kind.isin(TARGET_KINDS)]
    baseline = rows[kind.isin(BASELINE_KINDS)]
    if not actual.empty:
        axis.plot(actual["fiscal_year"], actual["value"], marker="o", color=ACTUAL_COLOR, linewidth=1.8, label="実績")
    if not baseline.empty:
        axis.scatter(baseline["fiscal_year"], baseline["value"], marker="D", color=BASELINE_COLOR, zorder=3, label="現状値")
    if not target.empty:
        axis.scatter(target["fiscal_year"], target["value"], marker="*", s=130, color=TARGET_COLOR, zorder=4, label="目標")
        if not actual.empty:
            last, first_target = actual.iloc[-1], target.iloc[0]
            axis.plot([last["fiscal_year"], first_target["fiscal_year"]], [last["value"], first_target["value"]],
                      linestyle=":", color=TARGET_COLOR, linewidth=1)
    others = [k for k in kind.unique() if k not in ACTUAL_KINDS + TARGET_KINDS + BASELINE_KINDS]
    for color, other in zip(OTHER_COLORS, others):
        series = rows[kind == other]
        axis.plot(series["fiscal_year"], series["value"], marker="o", markerfacecolor="white", linestyle="--",
                  color=color, linewidth=1.2, label=str(other))
    years = sorted(int(y) for y in rows["fiscal_year"].unique())
    axis.set_xticks(years, [year_label(y) for y in years])
    axis.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    _thousands(axis)
    if unit and unit not in ("-", "－"):
        axis.set_ylabel(unit, fontsize=8)
    axis.margins(y=0.2)
    _style(axis, title)


def project_figure(budgets: pd.DataFrame, indicators: pd.DataFrame) -> bytes | None:
    """One project's figure: its budget panel and one panel per indicator (None when no data)."""
    groups = list(indicators.groupby(["level", "indicator_name"], sort=False)) if not indicators.empty else []
    panels = (0 if budgets.empty else 1) + len(groups)
    if panels == 0:
        return None
    import matplotlib

    _register_font()
    with matplotlib.rc_context({"font.family": [FONT_FAMILY], "axes.unicode_minus": False}):
        figure, axes = _figure(panels)
        if not budgets.empty:
            budget_panel(axes[0], budgets)
        for axis, ((level, name), rows) in zip(axes[0 if budgets.empty else 1:], groups):
            unit = rows["unit"].dropna().iloc[0] if rows["unit"].notna().any() else None
            indicator_panel(axis, rows, f"【{level}】" + wrap(str(name)), unit)
        _legend(figure, axes)
        return _png(figure)


def kpi_figure(kpis: pd.DataFrame) -> bytes | None:
    """One 総合戦略 goal's figure: one panel per KPI (実績値, 現状値 and 目標値 by the year they refer to)."""
    groups = list(kpis.groupby("kpi_id", sort=False))
    if not groups:
        return None
    import matplotlib

    _register_font()
    with matplotlib.rc_context({"font.family": [FONT_FAMILY], "axes.unicode_minus": False}):
        figure, axes = _figure(len(groups))
        for axis, (_, rows) in zip(axes, groups):
            unit = rows["unit"].dropna().iloc[0] if rows["unit"].notna().any() else None
            indicator_panel(axis, rows.rename(columns={"slot": "kind"}), wrap(str(rows["kpi_name"].iloc[0]), 19, 3), unit)
        _legend(figure, axes)
        return _png(figure)
