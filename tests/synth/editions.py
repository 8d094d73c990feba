"""The next year's edition of a generated sheet: the same project, one year later.

A city re-publishes its sheets every year. The next edition of a project shows the same
project (code, name, policy) with every year column moved on by one year; a value that
both editions print (the 当初予算 of the coming year, the latest 実績 of an indicator)
is carried over unchanged, and the columns that are new in this edition get new values.
Tests then revise single values on purpose (`set_budget`, `set_indicator`) to have
editions that disagree.

    r4 = make_truths(4, seed=7, results_fiscal_year=2022)
    r5 = [next_edition(t, random.Random(i)) for i, t in enumerate(r4)]

A real document can be carried on too: `truths_from_extraction` turns an extracted 旭川
sheet into truths, `kpi_list_from_extraction` a KPI list into what `kpi_list_pdf` draws,
and `next_kpi_edition` gives the list one year later (`synth.demo_editions` does both for
the demo).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from synth.kpi_list import SynthGoal, SynthItem, SynthKpi, SynthSubItem, kpi_list_pdf
from synth.sheets import BUDGET_KEYS, SheetTruth, era_long, era_short, fmt_amount, fmt_number, round_half_up

_SOURCES = ("national", "prefecture", "municipal_bonds", "other")


def _strategy_target_year(year: int) -> int:
    return 2019 if year <= 2018 else 2024 if year <= 2023 else 2029  # as make_sheet_truth: 第1期 / 第2期 / 第3期


def budget_row(fiscal_year: int, stage: str, total: int, *, national: int = 0, prefecture: int = 0,
               municipal_bonds: int = 0, other: int = 0, tax_allocation_pct: int = 0) -> dict[str, Any]:
    """A fully printed budget row whose 一般財源 is what the sources leave of 事業費."""
    values = {
        "total_cost": total, "national": national, "prefecture": prefecture, "municipal_bonds": municipal_bonds,
        "tax_allocation_pct": tax_allocation_pct, "other": other,
        "general_revenue": total - national - prefecture - municipal_bonds - other,
    }
    raw = {k: fmt_amount(values[k]) for k in BUDGET_KEYS}
    return {"label": f"{era_short(fiscal_year)}{stage}", "fiscal_year": fiscal_year, "stage": stage, **values, "raw": raw}


def _relabel(row: dict[str, Any], fiscal_year: int, stage: str) -> dict[str, Any]:
    out = {**row, "raw": dict(row["raw"]), "fiscal_year": fiscal_year, "stage": stage}
    out["label"] = f"{era_short(fiscal_year)}{stage}"
    return out


def _scaled(row: dict[str, Any], factor: float, fiscal_year: int, stage: str) -> dict[str, Any]:
    """The row's amounts times `factor` (blank and － cells stay as they were), 一般財源 rebalanced."""
    out = _relabel(row, fiscal_year, stage)
    for key in ("total_cost", *_SOURCES):
        if row[key] is not None:
            out[key] = int(round(row[key] * factor))
    if out["total_cost"] is not None and out["general_revenue"] is not None:
        out["general_revenue"] = out["total_cost"] - sum(out[k] for k in _SOURCES if out[k] is not None)
    for key in BUDGET_KEYS:
        if out[key] is not None:
            out["raw"][key] = fmt_amount(out[key])
    return out


def _format_like(value: float, text: str | None) -> str:
    """`value` printed as `text` prints its number: the same decimals and % sign."""
    text = text or ""
    pct = text.endswith("%")
    digits = text.rstrip("%")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return fmt_number(value, decimals) + ("%" if pct else "")


def _decimals(text: str | None) -> int:
    digits = (text or "").rstrip("%")
    return len(digits.split(".")[1]) if "." in digits else 0


def _drawn(rng: random.Random, previous: float | None, text: str | None, unit: str | None) -> float:
    """A new actual near the previous one, with the same decimals."""
    base = previous if previous else 10.0
    decimals = _decimals(text)
    value = round(base * rng.uniform(0.9, 1.15), decimals) if decimals else float(max(1, round(base * rng.uniform(0.9, 1.15))))
    return min(value, 100.0) if unit == "%" else value


def next_edition(t: SheetTruth, rng: random.Random) -> SheetTruth:
    """The same project's sheet one results year later (see the module docstring)."""
    new = SheetTruth.from_dict(t.as_dict())
    old_year, year = t.results_fiscal_year, t.results_fiscal_year + 1
    old_ys, ys = era_short(old_year), era_short(year)
    new.results_fiscal_year = year

    # ---- budgets: Y-1 決算, Y 当初予算 (printed last year too), Y 決算見込, Y+1 当初予算 -----
    by_key = {(b["fiscal_year"], b["stage"]): b for b in t.budgets}
    initial = by_key.get((year, "当初予算")) or t.budgets[-1]
    settled_from = by_key.get((old_year, "決算見込")) or initial
    new.budgets = [
        _scaled(settled_from, rng.uniform(0.92, 1.03), year - 1, "決算"),
        _relabel(initial, year, "当初予算"),
        _scaled(initial, rng.uniform(0.95, 1.05), year, "決算見込"),
        _scaled(initial, rng.uniform(0.9, 1.2), year + 1, "当初予算"),
    ]

    # ---- staffing, headers --------------------------------------------------------------
    new.staffing = {**t.staffing, "fiscal_year": year, "label": f"人工({ys}年度)", "raw": dict(t.staffing["raw"])}
    p = new.project
    p["outputs_header"] = p["outputs_header"].replace(f"{old_ys}年度", f"{ys}年度")
    p["summary"] = p["summary"].replace(f"{old_ys}の主な内容", f"{ys}の主な内容")

    # ---- indicators ---------------------------------------------------------------------
    cols = dict(t.columns)
    outcome_target = cols["outcome_target_year"] if cols["outcome_target_year"] > year else year + 1
    policy_target = cols["policy_target_year"] if cols["policy_target_year"] > year else year + 1
    strategy_target = _strategy_target_year(year)
    cols.update(
        outcome_actual_label=f"{ys}実績値",
        outcome_target_label=f"{era_short(outcome_target)}目標値",
        outcome_target_year=outcome_target,
        policy_actual_years=[year - 1, year],
        policy_target_year=policy_target,
        strategy_actual_years=[year - 2, year - 1],
        strategy_target_year=strategy_target,
    )
    new.columns = cols

    rows: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for entry in t.indicators:
        rows.setdefault((entry["level"], entry["indicator_no"]), []).append(entry)
    indicators: list[dict[str, Any]] = []
    for (level, _no), entries in rows.items():
        actuals = sorted((e for e in entries if e["kind"] == "実績"), key=lambda e: e["fiscal_year"])
        target = next((e for e in entries if e["kind"] == "目標"), None)
        template = entries[0]
        unit = template["unit"]
        latest = next((e for e in reversed(actuals) if e["value"] is not None), None)
        new_actual = _drawn(rng, latest["value"] if latest else None, (latest or target or {}).get("value_text"), unit)
        new_text = _format_like(new_actual, (latest or target or {}).get("value_text"))

        def entry(fy: int, kind: str, label: str, value: float | None, text: str | None, e: dict[str, Any] = template) -> dict[str, Any]:
            return {**e, "fiscal_year": fy, "kind": kind, "column_label": label, "value": value, "value_text": text}

        out: list[dict[str, Any]] = []
        if level == "事業":
            out.append(entry(year, "実績", f"{ys}実績値", new_actual, new_text))
            if target:
                out.append(entry(outcome_target, "目標", f"{era_short(outcome_target)}目標値", target["value"], target["value_text"]))
        elif level == "総合戦略":
            if target:
                out.append(entry(strategy_target, "目標", f"目標値{era_short(strategy_target)}", target["value"], target["value_text"]))
        else:
            years = [year - 1, year] if level in ("施策", "基本政策") else [year - 2, year - 1]
            target_year = policy_target if level in ("施策", "基本政策") else strategy_target
            carried = next((e for e in actuals if e["fiscal_year"] == years[0]), None)
            out.append(entry(years[0], "実績", era_short(years[0]), carried["value"] if carried else None,
                             carried["value_text"] if carried else None))
            out.append(entry(years[1], "実績", era_short(years[1]), new_actual, new_text))
            if target:
                out.append(entry(target_year, "目標", f"目標値{era_short(target_year)}", target["value"], target["value_text"]))
            _rate(out, level)
        indicators += out
    new.indicators = indicators
    return new


def _rate(entries: list[dict[str, Any]], level: str) -> None:
    """Achievement rate (施策, 総合戦略施策) or progress (基本政策) from the newest actual and the target."""
    actual = [e for e in entries if e["kind"] == "実績"][-1]["value"]
    target = next((e["value"] for e in entries if e["kind"] == "目標"), None)
    rate = round_half_up(actual / target * 100, 1) if actual is not None and target else None
    for e in entries:
        if level == "基本政策":
            e["achievement_rate"] = e["achievement_text"] = None
            if actual is None or target is None:
                e["progress_text"] = None
            else:
                e["progress_text"] = "達成" if actual >= target else "概ね達成" if actual >= 0.8 * target else "未達成"
        else:
            e["achievement_rate"] = rate
            e["achievement_text"] = None if rate is None else f"{rate:.1f}%"
            e["progress_text"] = None


def set_budget(t: SheetTruth, row: dict[str, Any]) -> None:
    """Replace the budget row of the same fiscal year and stage (see `budget_row`)."""
    for i, b in enumerate(t.budgets):
        if (b["fiscal_year"], b["stage"]) == (row["fiscal_year"], row["stage"]):
            t.budgets[i] = row
            return
    raise KeyError((row["fiscal_year"], row["stage"]))


def set_indicator(t: SheetTruth, level: str, indicator_no: int, fiscal_year: int, kind: str, value: float) -> None:
    """Print another value in one indicator cell (rates and progress follow)."""
    entries = [e for e in t.indicators if e["level"] == level and e["indicator_no"] == indicator_no]
    cell = next(e for e in entries if e["fiscal_year"] == fiscal_year and e["kind"] == kind)
    cell["value_text"] = _format_like(value, cell["value_text"] or next((e["value_text"] for e in entries if e["value_text"]), None))
    cell["value"] = value
    if level in ("施策", "基本政策", "総合戦略施策"):
        _rate(entries, level)


def set_code(t: SheetTruth, code: str) -> None:
    """Give the project another 事業コード (six digits, printed as three pairs)."""
    parts = [code[0:2], code[2:4], code[4:6]]
    t.project.update(project_code=code, project_code_raw=" ".join(parts), project_code_parts=parts)


def revise_budget(t: SheetTruth, fiscal_year: int, stage: str, factor: float) -> dict[str, Any]:
    """Print the budget row of this year and stage with its amounts times `factor`; return it."""
    (row,) = [b for b in t.budgets if (b["fiscal_year"], b["stage"]) == (fiscal_year, stage)]
    revised = _scaled(row, factor, fiscal_year, stage)
    set_budget(t, revised)
    return revised


# ======================================================================================
# An extracted sheet as a truth: a real sample carried into its next editions
# ======================================================================================

_INDICATOR_KEYS = ("level", "indicator_no", "indicator_name", "unit", "baseline", "baseline_text", "fiscal_year", "kind",
                   "column_label", "value", "value_text", "achievement_rate", "achievement_text", "progress_text")


def _int(value: float | None) -> int | None:
    return None if value is None else int(round(value))


def truths_from_extraction(extraction: Any) -> list[SheetTruth]:
    """The 旭川 sheets of an extraction (`hyoka.extractors.registry.extract_pdf`) as truths, one per
    project, in the document's order: what `next_edition` and `render_book` take."""
    from synth.sheets import fmt_staff

    year = extraction.results_fiscal_year
    if year is None:
        raise ValueError("the document has no results fiscal year: it cannot be carried into the next edition")

    def of(table: str, code: str) -> list[Any]:
        return [r for r in extraction.rows(table) if r.project_code == code]

    truths = []
    for p in extraction.rows("projects"):
        code = p.project_code
        budgets: dict[tuple[int, str], dict[str, Any]] = {}
        for b in sorted(of("project_budgets", code), key=lambda b: b.page):  # page 2 repeats page 1's table
            values = {k: _int(getattr(b, k)) for k in BUDGET_KEYS}
            raw = {k: b.raw.get(k, fmt_amount(v) if v is not None else None) for k, v in values.items()}
            budgets.setdefault((b.fiscal_year, b.stage), {"label": b.label, "fiscal_year": b.fiscal_year,
                                                          "stage": b.stage, **values, "raw": raw})
        (staff,) = of("project_staffing", code)[:1]
        indicators = [{k: getattr(i, k) for k in _INDICATOR_KEYS} for i in of("project_indicators", code)]
        outcome = [i for i in indicators if i["level"] == "事業"]
        outcome_target = next((i["fiscal_year"] for i in outcome if i["kind"] == "目標"), year + 1)
        policy_target = next((i["fiscal_year"] for i in indicators if i["level"] == "施策" and i["kind"] == "目標"), year + 1)
        project = {k: getattr(p, k) for k in (
            "project_code", "project_code_raw", "project_name", "summary", "start_fiscal_year", "start_text", "legal_basis",
            "related_plans", "similar_services", "reference_cases", "outputs_header", "outputs_text", "outcome_header",
            "policy_code", "policy_name", "policy_note", "policy_purpose", "vision_title", "vision_text",
            "strategy_policy_text", "strategy_vision_text", "pledge_no", "pledge_title", "footer_text")}
        project["project_code_parts"] = p.project_code_raw.split()
        project["outcome_indicator_text"] = outcome[0]["indicator_name"] if outcome else "-"
        truths.append(SheetTruth(
            results_fiscal_year=year,
            project=project,
            budgets=list(budgets.values()),  # in the sheet's order
            staffing={"fiscal_year": staff.fiscal_year, "label": f"人工({era_short(year)}年度)",
                      "regular_staff": staff.regular_staff, "fiscal_year_staff": staff.fiscal_year_staff,
                      "raw": {k: staff.raw.get(k) or fmt_staff(getattr(staff, k) or 0)
                              for k in ("regular_staff", "fiscal_year_staff")}},
            viewpoints=[{"viewpoint_no": v.viewpoint_no, "viewpoint": v.viewpoint, "selected": v.selected, "mark": v.mark}
                        for v in of("project_reform_viewpoints", code)],
            evaluations=[{k: getattr(e, k) for k in ("evaluator", "title", "issues", "direction", "expected_effect", "comment")}
                         for e in of("project_evaluations", code)],
            indicators=indicators,
            columns={
                "outcome_actual_label": f"{era_short(year)}実績値",
                "outcome_target_label": f"{era_short(outcome_target)}目標値",
                "outcome_target_year": outcome_target,
                "policy_actual_years": [year - 1, year],
                "policy_target_year": policy_target,
                "strategy_actual_years": [year - 2, year - 1],
                "strategy_target_year": _strategy_target_year(year),
            },
        ))
    return truths


# ======================================================================================
# 総合戦略 KPI一覧: an extracted list and its next edition
# ======================================================================================

_ERA_YEAR = re.compile(r"(令和|平成)([元0-9０-９]+)年度")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class KpiCell:
    """One value cell as printed, with what hyoka read from it."""

    text: str  # '' for an empty cell
    status: str  # value | pending | text | placeholder | empty
    value: float | None = None
    ref_fiscal_year_start: int | None = None
    ref_fiscal_year_end: int | None = None
    annotation: str | None = None


@dataclass
class KpiRow:
    goal_no: int
    goal_title: str
    item_label: str
    item_title: str
    sub_item_no: str | None
    sub_item_title: str | None
    name: str
    remark: str | None
    unit: str
    department: str
    cells: list[KpiCell]  # one per header


@dataclass
class KpiListEdition:
    """A KPI list as `synth.kpi_list.kpi_list_pdf` draws it: title, value headers, rows."""

    title: str
    headers: list[str]  # as printed: '現状値', '令和２年度\n実績値', …
    rows: list[KpiRow] = field(default_factory=list)

    def goals(self) -> list[SynthGoal]:
        goals: list[SynthGoal] = []
        for row in self.rows:
            if not goals or goals[-1].no != row.goal_no:
                goals.append(SynthGoal(row.goal_no, row.goal_title, []))
            items = goals[-1].items
            if not items or items[-1].label != row.item_label:
                items.append(SynthItem(row.item_label, row.item_title))
            kpi = SynthKpi(row.name, row.unit, [c.text for c in row.cells], row.department, remark=row.remark)
            if row.sub_item_no:
                subs = items[-1].subitems
                if not subs or subs[-1].no != row.sub_item_no:
                    subs.append(SynthSubItem(row.sub_item_no, row.sub_item_title or "", []))
                subs[-1].kpis.append(kpi)
            else:
                items[-1].kpis.append(kpi)
        return goals

    def pdf(self) -> bytes:
        return kpi_list_pdf(self.goals(), self.headers, title=self.title)


def _printed_header(label: str) -> str:
    """'令和２年度実績値' (as read) → '令和２年度\\n実績値' (as the list prints it)."""
    return re.sub(r"年度(実績値|目標値)$", r"年度\n\1", label)


def kpi_list_from_extraction(extraction: Any) -> KpiListEdition:
    """The KPI list of an extraction, its placeholder rows left out (the drawing adds them)."""
    cells: dict[str, list[Any]] = {}
    for v in extraction.rows("strategy_kpi_values"):
        cells.setdefault(v.kpi_id, []).append(v)
    kpis = [k for k in extraction.rows("strategy_kpis") if not k.is_placeholder]
    headers = [_printed_header(v.column_label) for v in cells[kpis[0].kpi_id]]
    edition = KpiListEdition(extraction.title or "", headers)
    for k in sorted(kpis, key=lambda k: (k.page, k.row_no)):
        row_cells = [KpiCell(v.value_text or "", v.status, v.value, v.ref_fiscal_year_start, v.ref_fiscal_year_end, v.annotation)
                     for v in cells[k.kpi_id]]
        if [_printed_header(v.column_label) for v in cells[k.kpi_id]] != headers:
            raise ValueError(f"KPI {k.kpi_name!r} has other columns than the list's first KPI")
        edition.rows.append(KpiRow(k.goal_no, k.goal_title or "", k.item_label or "", k.item_title or "", k.sub_item_no,
                                   k.sub_item_title, k.kpi_name or "", k.kpi_remark, k.unit or "", k.department or "",
                                   row_cells))
    return edition


def _era_text(year: int, like: str) -> str:
    """'令和5' for 2023, in the digits (full or half width) of `like`."""
    text = era_long(year)
    return text.translate(_FULL_WIDTH) if re.search(r"[０-９]", like) else text


def _shift_years(text: str, years: int) -> str:
    """Every 令和N年度 / 平成N年度 of `text` moved on by `years` (other text unchanged)."""
    from hyoka.normalize import era_year, fold_width

    def moved(m: re.Match[str]) -> str:
        year = era_year(m.group(1), 1 if m.group(2) == "元" else int(fold_width(m.group(2))))
        return f"{_era_text(year + years, m.group(2))}年度"

    return _ERA_YEAR.sub(moved, text)


def _number(cell: KpiCell) -> str:
    return cell.text.split("\n")[0]


def _annotated(number: str, like: KpiCell, years: int) -> str:
    """`number` with `like`'s single-year annotation moved on by `years` (dropped when it has none)."""
    if like.annotation and like.ref_fiscal_year_start == like.ref_fiscal_year_end is not None:
        moved = _shift_years(like.annotation, years)
        if moved != like.annotation:
            return f"{number}\n{moved}"
    return number


def _next_number(rng: random.Random, row: KpiRow, upto: int) -> str:
    """A new actual near the row's latest printed number before column `upto`, printed alike."""
    latest = next((c for c in reversed(row.cells[:upto]) if c.status == "value" and c.value is not None), None)
    base, text = (latest.value, _number(latest)) if latest else (10.0, "10")
    value = base * rng.uniform(0.98, 1.1)
    if row.unit in ("％", "%"):
        value = min(value, 100.0)
    return _format_like(value, text)


def next_kpi_edition(edition: KpiListEdition, rng: random.Random, *, keep: set[str],
                     new_kpi: tuple[str, str]) -> tuple[KpiListEdition, dict[str, Any]]:
    """The same list one results year later, and what changed on purpose.

    * one more 実績値 column (the next year), after the last one: a number near the row's
      latest where the last column had one (its year note, if any, moved on), else the same
      kind of cell (a pending note moved on, an empty cell, a text);
    * the last column's pending and empty cells are numbers now;
    * the previous year's first plain number of a KPI whose name key is not in `keep` (names
      other documents report: they must keep agreeing) is revised;
    * `new_kpi` (name, unit) is added to the first goal's first item without sub-items.
    """
    from hyoka.normalize import indicator_key

    actual = [i for i, h in enumerate(edition.headers) if h.endswith("実績値")]
    last = actual[-1]
    header = edition.headers[last]
    new_header = _shift_years(header, 1)
    headers = edition.headers[: last + 1] + [new_header] + edition.headers[last + 1:]
    facts: dict[str, Any] = {"new_column": new_header, "to_number": [], "revised": None, "new_kpi": new_kpi[0]}
    rows: list[KpiRow] = []
    for row in edition.rows:
        cells = [KpiCell(c.text, c.status) for c in row.cells]
        newest = row.cells[last]
        if newest.status in ("pending", "empty"):
            previous = next((c for c in reversed(row.cells[1:last]) if c.status == "value"), None)
            number = _next_number(rng, row, last)
            cells[last] = KpiCell(_annotated(number, previous, 1) if previous else number, "value")
            facts["to_number"].append((row.name, newest.text, cells[last].text))
        if newest.status == "value":
            added = KpiCell(_annotated(_next_number(rng, row, last + 1), newest, 1), "value")
        elif newest.status == "pending":
            added = KpiCell(_shift_years(newest.text, 1), "pending")
        else:
            added = KpiCell(newest.text, newest.status)
        cells.insert(last + 1, added)
        rows.append(KpiRow(**{**row.__dict__, "cells": cells}))
    previous_year = actual[-2]
    for old, new in zip(edition.rows, rows):
        cell = old.cells[previous_year]
        # a plain number of its own column's year, not carried into another column of the row
        plain = cell.status == "value" and cell.value is not None and not cell.annotation and not any(
            c is not cell and c.ref_fiscal_year_end == cell.ref_fiscal_year_end for c in old.cells)
        if facts["revised"] is None and plain and indicator_key(old.name) not in keep:
            decimals = len(_number(cell).split(".")[1]) if "." in _number(cell) else 0
            step = 10.0 ** -decimals
            text = _format_like(cell.value + max(step, round(cell.value * 0.02, decimals)), _number(cell))
            new.cells[previous_year] = KpiCell(text, "value")
            facts["revised"] = (old.name, cell.text, text)
    host = next(i for i, r in enumerate(rows) if not r.sub_item_no)
    name, unit = new_kpi
    template = rows[host]
    values = [KpiCell(_next_number(rng, KpiRow(**{**template.__dict__, "unit": unit, "cells": []}), 0), "value")
              for _ in headers]
    rows.insert(host + 1, KpiRow(**{**template.__dict__, "name": name, "remark": None, "unit": unit, "cells": values}))
    return KpiListEdition(edition.title, headers, rows), facts
