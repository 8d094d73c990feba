"""The next year's edition of a generated sheet: the same project, one year later.

A city re-publishes its sheets every year. The next edition of a project shows the same
project (code, name, policy) with every year column moved on by one year; a value that
both editions print (the 当初予算 of the coming year, the latest 実績 of an indicator)
is carried over unchanged, and the columns that are new in this edition get new values.
Tests then revise single values on purpose (`set_budget`, `set_indicator`) to have
editions that disagree.

    r4 = make_truths(4, seed=7, results_fiscal_year=2022)
    r5 = [next_edition(t, random.Random(i)) for i, t in enumerate(r4)]
"""

from __future__ import annotations

import random
from typing import Any

from synth.sheets import BUDGET_KEYS, SheetTruth, era_short, fmt_amount, fmt_number, round_half_up

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
