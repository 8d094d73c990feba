"""Write the validation report of a warehouse: report.html, issues.csv, issues.parquet.

    paths = write_report("out/demo.duckdb")          # → out/demo-report/report.html …

The report covers every document in the warehouse. It reads the warehouse read-only and
the source PDFs (for the crops); it writes only into its own folder.

What it renders slowly (crops, the font subset) is kept in the folder's `.cache/`, filed
under a hash of what it was drawn from: the next report of the warehouse renders only
crops of new issues (see `hyoka.report.cache`). The plots are inline SVG written as text,
a few milliseconds each, so they are drawn every time and not cached.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from collections.abc import Callable

import duckdb
import pandas as pd

import hyoka
from hyoka.report import crops, plots
from hyoka.report.cache import CACHE_DIR, DiskCache, remove_except
from hyoka.report.exports import with_check_text, write_issue_files
from hyoka.report.location import default_out_dir
from hyoka.report.fonts import font_face_css
from hyoka.report.html import Plot, ReportContent, render
from hyoka.warehouse import changes, report_queries, store

MAX_CROPS = 400  # images of source cells per report; further issues are listed without one
MAX_PROJECT_PLOTS = 40  # projects plotted per report (to keep the page short): those with issues first, then by code
MAX_KPI_PLOTS = 30  # 総合戦略 goals plotted per report


@dataclass
class ReportPaths:
    """Where the report was written, and the numbers it summarises (for the Prefect artifacts)."""

    out_dir: Path
    html: Path
    csv: Path
    parquet: Path
    documents: list[dict[str, Any]] = field(default_factory=list)
    check_counts: dict[str, int] = field(default_factory=dict)
    rendered: dict[str, int] = field(default_factory=dict)  # crops and font subsets made by this report, by kind
    reused: dict[str, int] = field(default_factory=dict)  # crops and font subsets taken from the folder's cache, by kind

    @property
    def errors(self) -> int:
        """Validation errors in the warehouse."""
        return sum(int(d["errors"] or 0) for d in self.documents)

    @property
    def warnings(self) -> int:
        """Validation warnings in the warehouse."""
        return sum(int(d["warnings"] or 0) for d in self.documents)


def _clean(value: Any) -> Any:
    """NaN / NA → None; numpy scalars → Python scalars."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value  # an array (a bbox)
    return value.item() if hasattr(value, "item") else value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of plain dicts."""
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def add_crops(issues: list[dict[str, Any]], max_crops: int, cache: DiskCache | None = None) -> None:
    """Attach `crop_png` / `crop_note` to every issue, one source PDF open at a time."""
    budget = max_crops
    by_document: dict[str, list[dict[str, Any]]] = {}
    for issue in issues:
        by_document.setdefault(issue["document_id"], []).append(issue)
    for document_id, group in by_document.items():
        try:
            results = crops.document_crops(group[0].get("source_path"), document_id, group, budget, cache)
        except Exception as exc:  # noqa: BLE001 - an unreadable PDF costs its crops, not the report
            results = [crops.Crop(note=f"PDFを開けませんでした / could not open the PDF ({type(exc).__name__})")] * len(group)
        for issue, crop in zip(group, results):
            issue["crop_png"], issue["crop_note"] = crop.png, crop.note
            budget -= 1 if crop.png else 0


def group_rows(frame: pd.DataFrame, keys: list[str]) -> Callable[[Any], pd.DataFrame]:
    """The rows of `frame` for a value of `keys` (grouped once for all figures; no rows for an unknown value)."""
    positions = frame.groupby(keys, sort=False).indices if len(frame) else {}
    return lambda key: frame.iloc[positions[key]] if key in positions else frame.iloc[:0]


def plot_order(keys: set[tuple[str, str]], flagged: set[str]) -> list[tuple[str, str]]:
    """(municipality, project code) pairs, flagged projects first, then by municipality and code."""
    return sorted(keys, key=lambda k: (k[1] not in flagged, k[0], k[1]))


def project_plots(con: duckdb.DuckDBPyConnection, flagged: set[str], limit: int) -> tuple[list[Plot], int]:
    """One figure per project (flagged projects first), and how many projects were left out."""
    titles = report_queries.project_titles(con)
    budgets = report_queries.budget_series(con)
    indicators = report_queries.indicator_series(con)
    keys = set(zip(budgets["municipality"], budgets["project_code"])) | set(
        zip(indicators["municipality"], indicators["project_code"])
    )
    ordered = plot_order(keys, flagged)
    chosen = sorted(ordered[:limit])
    names = {(r.municipality, r.project_code): r.project_name for r in titles.itertuples()}
    several = len({m for m, _ in keys}) > 1
    budgets_of = group_rows(budgets, ["municipality", "project_code"])
    indicators_of = group_rows(indicators, ["municipality", "project_code"])
    out = []
    for municipality, code in chosen:
        name = names.get((municipality, code)) or ""
        title = f"{municipality + ' ' if several else ''}{code} {name}".strip()
        svg = plots.project_figure(budgets_of((municipality, code)), indicators_of((municipality, code)))
        if svg:
            out.append(Plot(f"project-{municipality}-{code}", title, svg))
    return out, max(0, len(ordered) - limit)


def kpi_plots(con: duckdb.DuckDBPyConnection, limit: int) -> list[Plot]:
    """One figure per 総合戦略 goal: its KPIs' actuals against target."""
    kpis = report_queries.kpi_series(con)
    out = []
    for (municipality, goal_no), rows in list(kpis.groupby(["municipality", "goal_no"], sort=True, dropna=False))[:limit]:
        goal = rows["goal_title"].dropna().iloc[0] if rows["goal_title"].notna().any() else ""
        number = "" if goal_no is None or (isinstance(goal_no, float) and math.isnan(goal_no)) else f"{int(goal_no)}"
        title = f"{municipality} 基本目標{number} {goal}".strip()
        svg = plots.kpi_figure(rows)
        if svg:
            out.append(Plot(f"kpi-{municipality}-{number}", title, svg))
    return out


def without_images(content: ReportContent) -> ReportContent:
    """The page with every crop one byte long: its text (the SVG plots' labels too), cheap to render (for the font subset)."""
    issues = [{**issue, "crop_png": b"\0"} if issue.get("crop_png") else issue for issue in content.issues]
    return replace(content, issues=issues)


def write_text_atomic(path: Path, content: str) -> None:
    """Write a text file so that a reader never sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)


OBSOLETE_CACHES = ("plots",)  # kinds earlier versions kept (PNG plots): removed by the next report


@dataclass
class ReportCaches:
    """The report folder's caches: crops of issues, the embedded font subset."""

    crops: DiskCache
    fonts: DiskCache
    out_dir: Path

    @classmethod
    def of(cls, out_dir: Path) -> ReportCaches:
        """The caches under `out_dir/.cache/`."""
        return cls(DiskCache(out_dir, "crops", ".png"), DiskCache(out_dir, "fonts", ".css"), out_dir)

    def kinds(self) -> dict[str, DiskCache]:
        """Each cache by the kind of what it keeps."""
        return {"crops": self.crops, "fonts": self.fonts}

    def prune(self) -> None:
        """Drop what this report did not use (the cache holds one report's worth), and caches no longer kept."""
        for cache in self.kinds().values():
            cache.prune()
        for kind in OBSOLETE_CACHES:
            remove_folder(self.out_dir / CACHE_DIR / kind)


def remove_folder(folder: Path) -> None:
    """Delete a cache folder and its files (one that cannot be removed stays)."""
    if folder.is_dir():
        remove_except(folder, ())
        try:
            folder.rmdir()
        except OSError:
            pass


def count_checks(issues: list[dict[str, Any]]) -> dict[str, int]:
    """How many times each check fired."""
    counts: dict[str, int] = {}
    for issue in issues:
        counts[issue["check_name"]] = counts.get(issue["check_name"], 0) + 1
    return counts


def write_report(
    db_path: str | Path,
    out_dir: str | Path | None = None,
    *,
    max_crops: int = MAX_CROPS,
    max_project_plots: int = MAX_PROJECT_PLOTS,
    wait_seconds: float = 60.0,
) -> ReportPaths:
    """Write report.html, issues.csv and issues.parquet for the warehouse at `db_path`."""
    out = Path(out_dir) if out_dir is not None else default_out_dir(db_path)
    out.mkdir(parents=True, exist_ok=True)
    caches = ReportCaches.of(out)
    con = store.connect(db_path, read_only=True, wait_seconds=wait_seconds)
    try:
        documents = records(report_queries.document_summary(con))
        issue_frame = report_queries.issues(con)
        issues = records(with_check_text(issue_frame))
        figures, left_out = project_plots(con, report_queries.flagged_project_codes(con), max_project_plots)
        goals = kpi_plots(con, MAX_KPI_PLOTS)
        try:
            edition_changes = [changes.compare(con, f, t, m) for f, t, m in changes.latest_pairs(con)]
        except duckdb.Error:  # a warehouse last written by an older hyoka has no history views yet
            edition_changes = []
    finally:
        con.close()
    csv_path, parquet_path = write_issue_files(issue_frame, out)
    add_crops(issues, max_crops, caches.crops)
    notes = [f"グラフは {len(figures)} 事業まで（残り {left_out} 事業は省略） / plots of {left_out} more projects left out"] if left_out else []
    content = ReportContent(
        db_path=str(Path(db_path).resolve()),
        generated_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        version=hyoka.__version__,
        documents=documents,
        issues=issues,
        project_plots=figures,
        kpi_plots=goals,
        notes=notes,
        changes=edition_changes,
    )
    html_path = out / "report.html"
    write_text_atomic(html_path, render(content, font_face_css(render(without_images(content)), caches.fonts)))
    caches.prune()
    kinds = caches.kinds()
    return ReportPaths(out, html_path, csv_path, parquet_path, documents, count_checks(issues),
                       rendered={k: c.misses for k, c in kinds.items()}, reused={k: c.hits for k, c in kinds.items()})
