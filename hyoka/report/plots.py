"""Plots of the numbers, as inline SVG: per project its budget and indicators, per 総合戦略 goal its KPIs.

The SVG is built as plain text (no plotting library): a report's 70 figures take
milliseconds. Its text uses the font the report embeds (`hyoka.report.fonts.FAMILY`, a
subset of IPAexGothic that includes every character of the page, the SVG's too). Text
widths are IPAexGothic's own advances, so titles are wrapped and ellipsized to the panel's
width: never before a closing bracket or after an opening one, never inside a number, and
not inside a bracketed group that fits on a line of its own.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache, cache
from html import escape
from typing import Any
from collections.abc import Iterable, Sequence

import pandas as pd

from hyoka.normalize import era_label
from hyoka.report.fonts import FAMILY

PANEL_W, PANEL_H = 340, 250  # pixels per panel
MAX_COLUMNS = 4
TITLE_SIZE, TICK_SIZE, LEGEND_SIZE = 12, 10.5, 11.5  # font sizes (px)
LINE_GAP = 1.3  # line height, in font sizes
LEGEND_ROW = 20  # pixels per row of the legend
FONT = f"'{FAMILY}', 'Hiragino Sans', 'Yu Gothic UI', 'Noto Sans CJK JP', Meiryo, sans-serif"
INK, MUTED, GRID, AXIS = "#1f2937", "#4b5563", "#e5e7eb", "#9ca3af"
STAGE_ORDER = ("決算", "決算見込", "見込", "当初予算", "補正予算", "予算")
STAGE_COLORS = {
    "決算": "#1d4ed8",
    "決算見込": "#60a5fa",
    "見込": "#93c5fd",
    "当初予算": "#f59e0b",
    "補正予算": "#b45309",
    "予算": "#fbbf24",
}
OTHER_STAGE_COLOR = "#9ca3af"
ACTUAL_COLOR = "#1d4ed8"
TARGET_COLOR = "#dc2626"
BASELINE_COLOR = "#6b7280"
ACTUAL_KINDS = ("実績", "実績値")
TARGET_KINDS = ("目標", "目標値")
BASELINE_KINDS = ("現状値", "基準値")
OTHER_COLORS = ("#f59e0b", "#7c3aed", "#059669")  # further kinds (見込 …): dashed, hollow markers
Row = dict[str, Any]  # one row of a plotted frame
BUDGET_TITLE = "事業費（千円）／ budget by stage"

OPENING = set("（〔［｛〈《「『【〘〖([{")
CLOSING = set("）〕］｝〉》」』】〙〗)]}")
METRICS_SIZE = 1000  # px: the font size text widths are measured at (then scaled)
NO_LINE_START = set("）〕］｝〉》」』】〙〗)]}、。，．,.:;：；!?！？ー～ゝゞヽヾ々…‥・ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ%％")
NO_LINE_END = set("（〔［｛〈《「『【〘〖([{")


# --------------------------------------------------------------------------------------
# years, numbers and text


def year_label(year: int) -> str:
    """Axis label of a fiscal year: 'R3\\n2021'."""
    return f"{era_label(year)}\n{year}"


@lru_cache(maxsize=1)
def _face() -> Any:
    """IPAexGothic (the report's font) at METRICS_SIZE px for its advances, or None without it."""
    try:
        from PIL import ImageFont

        from hyoka.report.fonts import font_path

        return ImageFont.truetype(str(font_path()), METRICS_SIZE)
    except (ImportError, OSError, RuntimeError):  # no font file: the estimates below
        return None


@cache
def char_width(char: str) -> float:
    """The advance of a character in IPAexGothic, in em: the font's own, else an estimate rounded up
    (full-width 1; Latin proportional)."""
    face = _face()
    if face is not None:
        return float(face.getlength(char)) / METRICS_SIZE
    if unicodedata.east_asian_width(char) in ("W", "F", "A"):
        return 1.0
    if char.isdigit():
        return 0.63
    if char in " ,.:;'|!()[]":
        return 0.36
    if char in "%&@#MWmw":
        return 0.93
    return 0.8 if char.isupper() else 0.68


def text_width(text: str, size: float) -> float:
    """The width of `text` at font size `size` (pixels)."""
    return sum(char_width(c) for c in text) * size


def breakable(text: str, at: int) -> bool:
    """Whether a line may break before text[at]: not before closing punctuation, after an opening
    one, or inside a run of Latin letters, digits and signs ('12-3', '3.5%', 'KPI')."""
    before, after = text[at - 1], text[at]
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    return not (before.isascii() and after.isascii() and not before.isspace() and not after.isspace())


def open_group(text: str, at: int) -> int | None:
    """Where the outermost bracket still open before text[at] opened (None when none is open)."""
    depth, opened = 0, None
    for i, char in enumerate(text[:at]):
        if char in OPENING:
            if depth == 0:
                opened = i
            depth += 1
        elif char in CLOSING and depth:
            depth -= 1
    return opened if depth else None


def group_end(text: str, opened: int) -> int:
    """Just past the bracket that closes the group opened at text[opened] (the text's end if none)."""
    depth = 0
    for i in range(opened, len(text)):
        if text[i] in OPENING:
            depth += 1
        elif text[i] in CLOSING:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def line_end(text: str, start: int, width: float, size: float) -> int:
    """Where the line starting at `start` ends: as many characters as fit, backed off to a good
    break, and before a bracketed group that would be split though it fits on a line of its own."""
    end, used = start, 0.0
    while end < len(text) and used + char_width(text[end]) * size <= width:
        used += char_width(text[end]) * size
        end += 1
    if end >= len(text) or end == start:
        return max(end, start + 1)
    at = next((i for i in range(end, start, -1) if breakable(text, i)), None)
    if at is None:
        return end
    opened = open_group(text, at)
    if opened is not None and opened > start and text_width(text[opened:group_end(text, opened)], size) <= width:
        before = next((i for i in range(opened, start, -1) if breakable(text, i)), None)
        if before is not None:
            return before
    return at


def ellipsize(line: str, width: float, size: float) -> str:
    """`line` cut to fit `width` with a trailing '…' (never just after an opening bracket)."""
    while line and (text_width(line + "…", size) > width or line[-1] in NO_LINE_END or line[-1].isspace()):
        line = line[:-1]
    return line + "…"


def wrap_lines(text: str, width: float, size: float, lines: int) -> list[str]:
    """`text` broken into at most `lines` lines of `width` pixels (the last one ellipsized when text is left)."""
    text = " ".join(text.split())
    out: list[str] = []
    start = 0
    while start < len(text) and len(out) < lines:
        end = line_end(text, start, width, size)
        out.append(text[start:end].strip())
        start = end
        while start < len(text) and text[start] == " ":
            start += 1
    if start < len(text):
        out[-1] = ellipsize(out[-1] + text[start:], width, size)
    return out or [""]


@dataclass(frozen=True)
class Ticks:
    """Tick values of an axis and the decimals that tell them apart."""

    values: list[float]
    decimals: int

    @property
    def low(self) -> float:
        """The axis' lower end (its first tick)."""
        return self.values[0]

    @property
    def high(self) -> float:
        """The axis' upper end (its last tick)."""
        return self.values[-1]

    def label(self, value: float) -> str:
        """A tick value with thousands separators and just enough decimals."""
        text = f"{value:,.{self.decimals}f}"
        return text.lstrip("-") if text.strip("-0.,") == "" else text  # never '-0'


def nice_ticks(low: float, high: float, count: int = 5) -> Ticks:
    """About `count` evenly spaced ticks covering low..high, at a step of 1, 2, 2.5 or 5 × 10ⁿ."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / count
    power = math.floor(math.log10(raw))
    for mantissa in (1.0, 2.0, 2.5, 5.0, 10.0):
        if mantissa * 10**power >= raw * (1 - 1e-9):
            break
    if mantissa == 10.0:
        mantissa, power = 1.0, power + 1
    step = mantissa * 10**power
    decimals = max(0, -power) + (1 if mantissa == 2.5 and power <= 0 else 0)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    values = [round(i * step, decimals + 3) for i in range(first, last + 1)]
    return Ticks(values, decimals)


def finite(values: Iterable[object]) -> list[float]:
    """The values that are numbers (not NULL / NaN / ±inf), as floats."""
    out = []
    for value in values:
        try:
            number = float(value)  # type: ignore[arg-type]  # pandas scalars of any type; the failures are caught
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out.append(number)
    return out


def number(value: float) -> str:
    """A value for a tooltip: thousands separators, no needless decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"


# --------------------------------------------------------------------------------------
# SVG pieces


def attrs(**values: object) -> str:
    """SVG attributes from keyword arguments (underscores become dashes; None is left out)."""
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{escape(fmt(v))}"' for k, v in values.items() if v is not None)


def fmt(value: object) -> str:
    """A coordinate or other attribute value as short text."""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def svg_text(x: float, y: float, lines: Sequence[str], size: float, anchor: str = "start", **extra: object) -> str:
    """A text element, one tspan per line (line height LINE_GAP × size)."""
    spans = "".join(
        f'<tspan {attrs(x=x, dy=0 if i == 0 else size * LINE_GAP)}>{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text {attrs(x=x, y=y, font_size=size, text_anchor=anchor, **extra)}>{spans}</text>'


def tooltip(text: str) -> str:
    """A hover text for the element it is inside."""
    return f"<title>{escape(text)}</title>"


def marker(shape: str, x: float, y: float, color: str, hollow: bool = False, note: str = "") -> str:
    """A point marker: 'o' circle, 'D' diamond, '*' star."""
    fill = "white" if hollow else color
    tip = tooltip(note) if note else ""
    if shape == "D":
        points = f"{fmt(x)},{fmt(y - 5)} {fmt(x + 4.5)},{fmt(y)} {fmt(x)},{fmt(y + 5)} {fmt(x - 4.5)},{fmt(y)}"
        return f'<polygon {attrs(points=points, fill=fill, stroke=color, stroke_width=1.2)}>{tip}</polygon>'
    if shape == "*":
        return f'<polygon {attrs(points=star_points(x, y, 7.5, 3.2), fill=fill, stroke=color, stroke_width=0.8)}>{tip}</polygon>'
    return f'<circle {attrs(cx=x, cy=y, r=3.5, fill=fill, stroke=color, stroke_width=1.5)}>{tip}</circle>'


def star_points(x: float, y: float, outer: float, inner: float) -> str:
    """The points of a five-pointed star centred on (x, y)."""
    points = []
    for i in range(10):
        radius, angle = (outer if i % 2 == 0 else inner), math.pi * i / 5 - math.pi / 2
        points.append(f"{fmt(x + radius * math.cos(angle))},{fmt(y + radius * math.sin(angle))}")
    return " ".join(points)


def polyline(points: Sequence[tuple[float, float]], color: str, width: float, dash: str | None = None) -> str:
    """A line through points."""
    coords = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in points)
    return f'<polyline {attrs(points=coords, fill="none", stroke=color, stroke_width=width, stroke_dasharray=dash)}/>'


@dataclass(frozen=True)
class LegendEntry:
    """One entry of a figure's legend: a bar swatch, or a line and marker."""

    label: str
    color: str
    shape: str = "bar"  # 'bar', or a marker shape ('o', 'D', '*')
    line: str | None = None  # the line's dash pattern ('' solid) when the entry has a line
    hollow: bool = False


@dataclass
class Panel:
    """One panel's SVG body (drawn at the origin, PANEL_W × PANEL_H) and its legend entries."""

    body: str
    legend: list[LegendEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Frame:
    """The plotting area of a panel and the scales of its axes."""

    left: float
    top: float
    right: float
    bottom: float
    x_low: float
    x_high: float
    y: Ticks

    def px(self, value: float) -> float:
        """Horizontal pixel of an x value."""
        return self.left + (value - self.x_low) / (self.x_high - self.x_low) * (self.right - self.left)

    def py(self, value: float) -> float:
        """Vertical pixel of a y value."""
        return self.bottom - (value - self.y.low) / (self.y.high - self.y.low) * (self.bottom - self.top)


def title_block(title: str, lines: int) -> tuple[str, float]:
    """A panel's title, wrapped to the panel's width: its SVG and the height it takes."""
    wrapped = wrap_lines(title, PANEL_W - 16, TITLE_SIZE, lines)
    height = TITLE_SIZE * LINE_GAP * len(wrapped) + 6
    return svg_text(8, TITLE_SIZE + 2, wrapped, TITLE_SIZE, fill=INK), height


def frame_for(top: float, x_low: float, x_high: float, y_values: list[float], unit: str | None,
              include_zero: bool, pad: float) -> Frame:
    """The plotting area below a title of height `top`, room left for the y tick labels (and the unit)."""
    low, high = (min(y_values), max(y_values)) if y_values else (0.0, 1.0)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or abs(high) or 1.0
    ticks = nice_ticks(low - (0 if include_zero and low == 0 else span * pad), high + span * pad)
    label_width = max(text_width(ticks.label(v), TICK_SIZE) for v in ticks.values)
    left = label_width + 12 + (TICK_SIZE * LINE_GAP + 2 if unit else 0)
    return Frame(left, top + 6, PANEL_W - 12, PANEL_H - 34, x_low, x_high, ticks)


def y_axis(frame: Frame, unit: str | None) -> str:
    """Grid lines and tick labels of the y axis, the unit turned along it."""
    parts = []
    for value in frame.y.values:
        y = frame.py(value)
        parts.append(f'<line {attrs(x1=frame.left, x2=frame.right, y1=y, y2=y, stroke=GRID, stroke_width=1)}/>')
        parts.append(svg_text(frame.left - 5, y + TICK_SIZE * 0.35, [frame.y.label(value)], TICK_SIZE, "end", fill=MUTED))
    if unit:
        middle = (frame.top + frame.bottom) / 2
        parts.append(svg_text(0, 0, [unit], TICK_SIZE, "middle", fill=MUTED,
                              transform=f"translate({fmt(TICK_SIZE + 1.0)},{fmt(middle)}) rotate(-90)"))
    parts.append(f'<line {attrs(x1=frame.left, x2=frame.left, y1=frame.top, y2=frame.bottom, stroke=AXIS)}/>')
    parts.append(f'<line {attrs(x1=frame.left, x2=frame.right, y1=frame.bottom, y2=frame.bottom, stroke=AXIS)}/>')
    return "".join(parts)


def x_axis(frame: Frame, positions: Sequence[float], years: Sequence[int]) -> str:
    """Fiscal-year tick labels ('R3' over '2021'), every n-th one when they would crowd."""
    spacing = (frame.right - frame.left) / max(1, len(years))
    every = max(1, math.ceil(text_width("2021", TICK_SIZE) * 1.25 / max(spacing, 1e-9)))
    parts = []
    for i, (x, year) in enumerate(zip(positions, years)):
        parts.append(f'<line {attrs(x1=frame.px(x), x2=frame.px(x), y1=frame.bottom, y2=frame.bottom + 4, stroke=AXIS)}/>')
        if i % every == 0:
            parts.append(svg_text(frame.px(x), frame.bottom + TICK_SIZE + 5, year_label(year).split("\n"), TICK_SIZE,
                                  "middle", fill=MUTED))
    return "".join(parts)


# --------------------------------------------------------------------------------------
# panels


def ordered_stages(stages: Iterable[str]) -> list[str]:
    """Budget stages in the usual order, unknown ones after them by name."""
    present = set(stages)
    return [s for s in STAGE_ORDER if s in present] + sorted(present - set(STAGE_ORDER))


def year_of(value: object) -> int | None:
    """A fiscal year as an int (None for NULL / NaN)."""
    found = finite([value])
    return int(found[0]) if found else None


def budget_panel(budgets: list[Row]) -> Panel:
    """事業費 by fiscal year, one bar per stage."""
    budgets = [row for row in budgets if year_of(row["fiscal_year"]) is not None and row["stage"] is not None]
    years = sorted({year_of(row["fiscal_year"]) or 0 for row in budgets})
    stages = ordered_stages(str(row["stage"]) for row in budgets)
    head, top = title_block(BUDGET_TITLE, 1)
    frame = frame_for(top, -0.5, len(years) - 0.5, finite(row["total_cost"] for row in budgets), None, True, 0.08)
    width = 0.8 / max(1, len(stages))
    bars = []
    for row in budgets:
        value, year, stage = finite([row["total_cost"]]), year_of(row["fiscal_year"]) or 0, str(row["stage"])
        if not value:
            continue
        x = years.index(year) - 0.4 + width * stages.index(stage)
        x0, x1 = frame.px(x + width * 0.04), frame.px(x + width * 0.96)
        y0, y1 = sorted((frame.py(0.0), frame.py(value[0])))
        note = f"{era_label(year)} ({year}) {stage}: {number(value[0])} 千円"
        bars.append(f'<rect {attrs(x=x0, y=y0, width=max(x1 - x0, 1.0), height=max(y1 - y0, 0.5), fill=STAGE_COLORS.get(stage, OTHER_STAGE_COLOR))}>'
                    f"{tooltip(note)}</rect>")
    body = head + y_axis(frame, None) + "".join(bars) + x_axis(frame, range(len(years)), years)
    return Panel(body, [LegendEntry(stage, STAGE_COLORS.get(stage, OTHER_STAGE_COLOR)) for stage in stages])


def points_of(rows: list[Row], kinds: Iterable[str], frame: Frame) -> list[tuple[float, float, int, float]]:
    """(x pixel, y pixel, year, value) of the rows of some kinds that have a number, by year."""
    wanted = set(kinds)
    out = []
    for row in rows:
        value = finite([row["value"]])
        if value and row["kind"] in wanted:
            year = year_of(row["fiscal_year"]) or 0
            out.append((frame.px(float(year)), frame.py(value[0]), year, value[0]))
    return out


def series(points: list[tuple[float, float, int, float]], entry: LegendEntry, width: float) -> str:
    """A series drawn as its legend entry says: its line (if any) and a marker per point, with hover texts."""
    line = [polyline([(x, y) for x, y, _, _ in points], entry.color, width, entry.line or None)] \
        if entry.line is not None and len(points) > 1 else []
    return "".join(line + [marker(entry.shape, x, y, entry.color, entry.hollow, f"{era_label(year)} ({year}) {entry.label}: {number(value)}")
                           for x, y, year, value in points])


def indicator_panel(rows: list[Row], title: str, unit: str | None, title_lines: int = 2) -> Panel:
    """One indicator: 実績 as a line, 目標 as red stars, 現状値 as a grey diamond, other kinds (見込) dashed.

    `rows` have `fiscal_year`, `kind` and `value`."""
    rows = sorted((r for r in rows if year_of(r["fiscal_year"]) is not None), key=lambda r: year_of(r["fiscal_year"]) or 0)
    years = sorted({year_of(r["fiscal_year"]) or 0 for r in rows})
    unit = unit if unit and unit not in ("-", "－") else None
    head, top = title_block(title, title_lines)
    low, high = (years[0], years[-1]) if years else (2020, 2021)
    frame = frame_for(top, low - 0.6, high + 0.6, finite(r["value"] for r in rows), unit, False, 0.12)
    actual, target = points_of(rows, ACTUAL_KINDS, frame), points_of(rows, TARGET_KINDS, frame)
    parts = [head, y_axis(frame, unit)]
    if actual and target:
        (x0, y0, _, _), (x1, y1, _, _) = actual[-1], target[0]
        parts.append(polyline([(x0, y0), (x1, y1)], TARGET_COLOR, 1, "2 3"))
    others = list(dict.fromkeys(str(r["kind"]) for r in rows if r["kind"] not in ACTUAL_KINDS + TARGET_KINDS + BASELINE_KINDS))
    drawn = [(LegendEntry(other, color, "o", "5 3", True), points_of(rows, [other], frame), 1.2)
             for color, other in zip(OTHER_COLORS, others)]
    drawn += [(LegendEntry("実績", ACTUAL_COLOR, "o", ""), actual, 1.8),
              (LegendEntry("現状値", BASELINE_COLOR, "D"), points_of(rows, BASELINE_KINDS, frame), 0.0),
              (LegendEntry("目標", TARGET_COLOR, "*"), target, 0.0)]
    parts += [series(points, entry, width) for entry, points, width in drawn]
    parts.append(x_axis(frame, years, years))
    legend = [entry for entry, points, _ in drawn[len(others):] + drawn[:len(others)] if points]
    return Panel("".join(parts), legend)


# --------------------------------------------------------------------------------------
# figures


def legend_entry(entry: LegendEntry, x: float, y: float) -> tuple[str, float]:
    """One legend entry at (x, y = its middle): its SVG and its width."""
    if entry.shape == "bar":
        swatch = f'<rect {attrs(x=x, y=y - 5, width=14, height=10, fill=entry.color)}/>'
    else:
        line = polyline([(x, y), (x + 22, y)], entry.color, 1.6, entry.line or None) if entry.line is not None else ""
        swatch = line + marker(entry.shape, x + 11, y, entry.color, entry.hollow)
    swatch_width = 14 if entry.shape == "bar" else 22
    label = svg_text(x + swatch_width + 5, y + LEGEND_SIZE * 0.35, [entry.label], LEGEND_SIZE, fill=INK)
    return swatch + label, swatch_width + 5 + text_width(entry.label, LEGEND_SIZE) + 16


def legend(entries: list[LegendEntry], width: float) -> tuple[str, float]:
    """The figure's legend, each label once, in rows across the top: its SVG and its height."""
    seen: dict[str, LegendEntry] = {}
    for entry in entries:
        seen.setdefault(entry.label, entry)
    unique = list(seen.values())
    parts, x, row = [], 8.0, 0
    for entry in unique:
        svg, used = legend_entry(entry, x, 0)
        if x > 8 and x + used > width:
            x, row = 8.0, row + 1
            svg, used = legend_entry(entry, x, 0)
        parts.append(f'<g transform="translate(0,{fmt(LEGEND_ROW * row + LEGEND_ROW / 2 + 2)})">{svg}</g>')
        x += used
    return "".join(parts), (LEGEND_ROW * (row + 1) + 4 if unique else 0)


def figure(panels: list[Panel], label: str) -> str:
    """Panels in a grid of up to MAX_COLUMNS columns under one legend, as an SVG element."""
    columns = min(MAX_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    width = PANEL_W * columns
    legend_svg, legend_height = legend([e for p in panels for e in p.legend], width)
    height = legend_height + PANEL_H * rows
    cells = "".join(
        f'<g transform="translate({PANEL_W * (i % columns)},{fmt(legend_height + PANEL_H * (i // columns))})">{p.body}</g>'
        for i, p in enumerate(panels)
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" {attrs(viewBox=f"0 0 {width} {fmt(height)}", width=width, height=fmt(height))}'
            f' role="img" aria-label="{escape(label)}" font-family="{escape(FONT)}">'
            f"{legend_svg}{cells}</svg>")


def records(frame: pd.DataFrame) -> list[Row]:
    """A frame's rows as plain dicts (drawing from dicts is much faster than from pandas)."""
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, values)) for values in zip(*(frame[c].tolist() for c in frame.columns))]


def grouped(rows: list[Row], *keys: str) -> dict[tuple[object, ...], list[Row]]:
    """Rows by the values of `keys`, in order of first appearance."""
    out: dict[tuple[object, ...], list[Row]] = {}
    for row in rows:
        out.setdefault(tuple(row[k] for k in keys), []).append(row)
    return out


def unit_of(rows: list[Row]) -> str | None:
    """The unit of an indicator's rows (the first one given)."""
    return next((str(r["unit"]) for r in rows if finite_text(r["unit"])), None)


def finite_text(value: object) -> bool:
    """Whether a value is present (not NULL / NaN)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def project_figure(budgets: pd.DataFrame, indicators: pd.DataFrame) -> str | None:
    """One project's figure: its budget panel and one panel per indicator (None when no data)."""
    panels = [] if budgets.empty else [budget_panel(records(budgets))]
    for (level, name), rows in grouped(records(indicators), "level", "indicator_name").items():
        panels.append(indicator_panel(rows, f"【{level}】{name}", unit_of(rows)))
    return figure(panels, "事業費と指標 / budget and indicators") if panels else None


def kpi_figure(kpis: pd.DataFrame) -> str | None:
    """One 総合戦略 goal's figure: one panel per KPI (実績値, 現状値 and 目標値 by the year they refer to)."""
    panels = [indicator_panel([{**r, "kind": r["slot"]} for r in rows], str(rows[0]["kpi_name"]), unit_of(rows), 3)
              for rows in grouped(records(kpis), "kpi_id").values()]
    return figure(panels, "KPI 実績と目標 / KPI actuals against target") if panels else None
