"""Synthetic 旭川-style 事務事業評価シート: varied content, drawn with another hand.

The generator draws the same template as the reference samples (same header labels, same
table structure, same logical cells) but with its own geometry: column widths, line
widths, font sizes, padding, row heights and the way ruling is drawn all come from a
`style_seed`. The content of every sheet comes from a seeded `random.Random`, and the
generator returns what it drew (`SheetTruth`), in warehouse terms, so that a test can
compare the warehouse with it.

    truths = make_book("book.pdf", n_sheets=200, seed=1)
    python -m synth.sheets book.pdf --sheets 200 --seed 1 --truth book.json

Text is wrapped here (the PDF holds one text run per printed line). Rules that keep the
printed text readable by a cell reader:
  * a soft (wrapped) line fills its cell to within 1.8 em (glyphs alone): the greedy break
    is taken back only for kinsoku or to keep a word / a number / a spaced group together;
    a small character spacing (≤ 0.12 em) then takes up most of what is left;
  * no wrapped line starts with a character that opens a paragraph (・ ※ ( < - ①…) or
    with closing punctuation, and no line ends with an opening bracket;
  * a hard break (paragraph end) before a paragraph that does not start with such a
    marker is left visibly short (≥ 3.6 em from the right edge); when a cell's wrap would
    not allow that, the cell's font is reduced a little until it does.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from synth import words as W
from hyoka.normalize import era_label

# ======================================================================================
# Template labels (the same texts as the reference sheet)
# ======================================================================================

L_CODE = "事業コード"
L_NAME = "事業名"
L_SUMMARY = "事業の概要"
L_INPUT_P1 = "インプット（事務事業に必要な行政資源）"
L_INPUT_P2 = "インプット(事務事業に必要な行政資源)"
L_BUDGET_COLS = ["事業費\n(千円)", "国", "北海道", "市債", "交付税\n措置(%)", "その他", "一般財源"]
BUDGET_KEYS = ["total_cost", "national", "prefecture", "municipal_bonds", "tax_allocation_pct", "other", "general_revenue"]
L_REGULAR = "正職員"
L_FY_STAFF = "会計\n年度"
L_OUTPUT = "アウトプット"
L_OUTCOME_P1 = "アウトカム\n(事業成果を測るKPIがある場合はその状況。ない場合は「-」)"
L_OUTCOME_P2 = "アウトカム\n(事業成果を測るKPIがある場合はその状況)"
L_BASIC = ["開始時期", "実施根拠", "関連する計画等", "行政・民間の類似事業・サービス", "改善・課題解決の参考になる事例"]
L_EVAL1 = "1次評価 (所管部局)"
L_VIEWPOINTS = "行財政改革の視点"
L_EVAL1_COLS = ["課題", "改善・対策の方向性", "見込まれる効果"]
L_EXT = "外部評価 (行財政改革推進委員会)"
L_EVAL2 = "2次評価 (行政評価検討会議)"
L_FOOTER = "(参考) 事務事業の「総合計画」「まち・ひと・しごと創生総合戦略」「公約」上の位置づけ"
L_CITY = "目指す都市像の実現に向けて"
L_CITY_CAP1 = "(事業のアウトカムが総合計画の施策推進に貢献)"
L_POLICY = "展開施策"
L_POLICY_OUT = "施策のアウトカム\n(評価指標≒事業の中間アウトカム)"
L_CITY_CAP2 = "(施策のアウトカムは将来ビジョン推進に貢献)"
L_VISION = "将来\nビジョン\n(基本政策)"
L_BASIC_OUT = "基本政策のアウトカム\n(成果指標≒事業の最終アウトカム)"
L_UNIT = "単位"
L_BASELINE = "基準値"
L_ACTUAL = "実績"
L_RATE = "達成率"
L_PROGRESS = "進捗"
L_POP = "人口減少の抑制に向けて"
L_POP_CAP1 = "(事業のアウトカムが総合戦略の施策推進に貢献)"
L_POP_POLICY = "施策 (まち・ひと・しごと創生総合戦略の施策≒人口減少抑制の観点の事業の目的)"
L_POP_KPI = "施策のアウトカム\n(総合戦略のKPI≒事業の中間アウトカム)"
L_POP_CAP2 = "(施策のアウトカムが将来ビジョン推進に貢献)"
L_POP_VISION = "将来ビジョン (総合戦略の基本目標)"
L_POP_OUT = "総合戦略のアウトカム\n(総合戦略数値目標≒事業の最終アウトカム)"
L_PLEDGE_BAR = "公約実現に向けて"
L_PLEDGE = "市長公約"

LEVELS = ("事業", "施策", "基本政策", "総合戦略施策", "総合戦略")

PAGE_W, PAGE_H = 841.8898, 595.2756  # A4 landscape, points

# ======================================================================================
# 和暦
# ======================================================================================


def era_short(year: int) -> str:
    """2021 → 'R3', 2019 → 'R元', 2018 → 'H30' (hyoka's own 和暦 label)."""
    return era_label(year)


def era_long(year: int) -> str:
    """2021 → '令和3', 2019 → '令和元', 1972 → '昭和47' (add 年 / 年度 yourself)."""
    return era_label(year, long=True).removesuffix("年度")


# ======================================================================================
# Numbers as printed
# ======================================================================================


def fmt_amount(value: int) -> str:
    """Thousands separators; negatives with △ as city budgets print them."""
    return f"△{-value:,}" if value < 0 else f"{value:,}"


def fmt_staff(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def fmt_number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}" if decimals else f"{int(value):,}"


def round_half_up(value: float, digits: int) -> float:
    q = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_UP))


# ======================================================================================
# Truth
# ======================================================================================


@dataclass
class SheetTruth:
    """Everything drawn for one project, as plain values (warehouse terms).

    project     ProjectRecord-like columns (texts as printed, paragraphs joined by '\\n',
                wrapped lines joined without separator)
    budgets     4 rows {label, fiscal_year, stage, <7 amount columns>, raw{column: printed}}
                (None for a blank or '－' cell)
    staffing    {fiscal_year, label, regular_staff, fiscal_year_staff, raw}
    viewpoints  8 × {viewpoint_no, viewpoint, selected, mark}
    evaluations 3 × {evaluator 1次/外部/2次, title, issues, direction, expected_effect, comment}
    indicators  one entry per value cell: {level, indicator_no, indicator_name, unit,
                baseline, baseline_text, fiscal_year, kind 実績/目標, column_label, value,
                value_text, achievement_rate, achievement_text, progress_text}
    columns     the printed year columns of the indicator tables (needed to draw empty ones)
    """

    results_fiscal_year: int
    project: dict[str, Any]
    budgets: list[dict[str, Any]]
    staffing: dict[str, Any]
    viewpoints: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    columns: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SheetTruth:
        return cls(**copy.deepcopy(data))

    # convenience for tests
    @property
    def project_code(self) -> str:
        return self.project["project_code"]

    def indicator_rows(self, level: str) -> list[dict[str, Any]]:
        """One dict per printed indicator row of a table: name, unit, baseline, cells."""
        rows: dict[int, dict[str, Any]] = {}
        for entry in self.indicators:
            if entry["level"] != level:
                continue
            row = rows.setdefault(
                entry["indicator_no"],
                {
                    "indicator_name": entry["indicator_name"],
                    "unit": entry["unit"],
                    "baseline_text": entry["baseline_text"],
                    "achievement_text": entry["achievement_text"],
                    "progress_text": entry["progress_text"],
                    "cells": {},
                },
            )
            row["cells"][(entry["kind"], entry["fiscal_year"])] = entry["value_text"]
        return [rows[k] for k in sorted(rows)]


def _loguniform_int(rng: random.Random, lo: float, hi: float) -> int:
    lo = max(lo, 1)
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def _value(rng: random.Random, lo: float, hi: float, decimals: int) -> float:
    if decimals:
        return round(rng.uniform(lo, hi), decimals)
    return float(_loguniform_int(rng, lo, hi))


_TIDY = (
    ("の実施を実施", "を実施"), ("の開催を実施", "を開催"), ("の運営を実施", "を運営"), ("の発行を実施", "を発行"),
    ("の実施の実施方法", "の実施方法"), ("の開催の実施方法", "の開催方法"), ("の実施の", "の"),
)


def _tidy(text: str) -> str:
    """Undo the doubled verbs that word-list composition makes (…の実施を実施する)."""
    for old, new in _TIDY:
        text = text.replace(old, new)
    return text


def _fill(template: str, rng: random.Random, theme: dict, **extra: str) -> str:
    acts = rng.sample(theme["acts"], 2)
    values = {
        "who": rng.choice(theme["who"]),
        "goal": rng.choice(theme["goal"]),
        "state": rng.choice(theme["state"]),
        "act": acts[0],
        "act2": acts[1],
        "city": rng.choice(W.REFERENCE_CITIES),
    }
    values.update(extra)
    return _tidy(template.format(**values))


def _bullets(rng: random.Random, theme: dict, pool: list[str], lo: int, hi: int) -> str:
    items = [_fill(t, rng, theme) for t in rng.sample(pool, rng.randint(lo, hi))]
    bullet = rng.random() < 0.85
    paras = [("・" + s) if bullet else s for s in items]
    if rng.random() < 0.2:
        paras.append(_fill(rng.choice(W.SECOND_PARAGRAPHS), rng, theme))
    return "\n".join(paras)


_STEM_ENDS = ("推進", "支援", "対策", "運営", "整備", "開催", "助成", "誘致", "充実", "振興", "育成", "強化", "保全", "創出",
              "活用", "促進", "更新", "検診", "診査", "回収", "相談", "防止", "訪問", "保育", "啓発", "行事", "発信")


def _project_name(rng: random.Random, theme: dict) -> str:
    stem = rng.choice(theme["stems"])
    if rng.random() < 0.15:
        other = rng.choice([s for s in theme["stems"] if s != stem])
        stem = f"{stem}・{other}"
    if stem.endswith(_STEM_ENDS) or stem.endswith("化"):
        suffix = rng.choice(["事業", "事業", "事業", "事務"])
    else:
        suffix = rng.choice(W.NAME_SUFFIXES)
    return stem + suffix


def _start(rng: random.Random, year: int) -> tuple[str, int | None]:
    if rng.random() < 0.08:
        return "-", None
    era = rng.random()
    if era < 0.3:
        fy = rng.randint(1950, 1988)
    elif era < 0.75 or year < 2019:
        fy = rng.randint(1989, min(year, 2018))
    else:
        fy = rng.randint(2019, year)
    if rng.random() < 0.05:  # 元年 on purpose now and then
        fy = rng.choice([1989, 2019] if year >= 2019 else [1989])
    return f"{era_long(fy)}年度", fy


def _budgets(rng: random.Random, year: int) -> list[dict[str, Any]]:
    rows_spec = [(year - 1, "決算"), (year, "当初予算"), (year, "決算見込"), (year + 1, "当初予算")]
    base = _loguniform_int(rng, 1, 8_000_000) if rng.random() > 0.05 else 0
    shares = {
        "national": rng.uniform(0.1, 0.5) if rng.random() < 0.25 else 0.0,
        "prefecture": rng.uniform(0.05, 0.3) if rng.random() < 0.2 else 0.0,
        "municipal_bonds": rng.uniform(0.2, 0.7) if rng.random() < 0.1 else 0.0,
        "other": rng.uniform(0.02, 0.4) if rng.random() < 0.25 else 0.0,
    }
    scale = sum(shares.values())
    if scale > 0.95:
        shares = {k: v * 0.95 / scale for k, v in shares.items()}
    tax_pct = rng.choice([30, 50, 70, 100]) if shares["municipal_bonds"] else 0
    negative_row = rng.randrange(4) if rng.random() < 0.05 else None
    tax_column_blank = rng.random() < 0.08
    out = []
    for i, (fy, stage) in enumerate(rows_spec):
        total = min(9_999_999, int(base * rng.uniform(0.7, 1.3)))
        vals = {k: int(round(total * s)) for k, s in shares.items()}
        if i == negative_row:
            vals["other"] = -rng.randint(1, max(1, min(99_999, total // 2 + 1)))
        vals["general_revenue"] = total - sum(vals.values())
        vals["total_cost"] = total
        vals["tax_allocation_pct"] = tax_pct if rng.random() > 0.1 else rng.randint(0, 100)
        raw = {k: fmt_amount(vals[k]) for k in BUDGET_KEYS}
        values: dict[str, int | None] = {k: vals[k] for k in BUDGET_KEYS}
        row_mode = rng.random()
        for k in BUDGET_KEYS:
            if row_mode < 0.04:
                cell = "blank"
            elif row_mode < 0.09:
                cell = "placeholder"
            else:
                r = rng.random()
                cell = "blank" if r < 0.03 else "placeholder" if r < 0.05 else "value"
            if k == "tax_allocation_pct" and tax_column_blank:
                cell = "blank"
            if cell == "blank":
                raw[k], values[k] = "", None
            elif cell == "placeholder":
                raw[k], values[k] = "－", None
        out.append({"label": f"{era_short(fy)}{stage}", "fiscal_year": fy, "stage": stage, **values, "raw": raw})
    return out


def _staff(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.35:
        return float(rng.randint(0, 4))
    return round(rng.uniform(0.1, 6.0), 1)


def _indicator_series(rng: random.Random, spec: tuple, blank_ok: bool = True) -> dict[str, Any]:
    name, unit, lo, hi, dec = spec
    base = _value(rng, lo, hi, dec)
    a1 = round(base * rng.uniform(0.7, 1.35), dec) if dec else float(max(1, round(base * rng.uniform(0.7, 1.35))))
    a2 = round(base * rng.uniform(0.7, 1.4), dec) if dec else float(max(1, round(base * rng.uniform(0.7, 1.4))))
    target = round(base * rng.uniform(1.0, 1.5), dec) if dec else float(max(1, round(base * rng.uniform(1.0, 1.5))))
    if unit == "%":
        a1, a2, target, base = (min(v, 100.0) for v in (a1, a2, target, base))
        if target == 0:
            target = 1.0
    pct_sign = unit == "%" and rng.random() < 0.4

    def text(v: float | None) -> str | None:
        if v is None:
            return None
        return fmt_number(v, dec) + ("%" if pct_sign else "")

    if blank_ok and rng.random() < 0.05:
        a1 = None
    if blank_ok and rng.random() < 0.1:
        a2 = None
    rate = round_half_up(a2 / target * 100, 1) if a2 is not None and target else None
    if a2 is None:
        progress = None
    elif a2 >= target:
        progress = "達成"
    elif a2 >= 0.8 * target:
        progress = "概ね達成"
    else:
        progress = "未達成"
    return {
        "name": name, "unit": unit, "dec": dec,
        "baseline": base, "baseline_text": text(base),
        "a1": a1, "a1_text": text(a1), "a2": a2, "a2_text": text(a2),
        "target": target, "target_text": text(target),
        "rate": rate, "rate_text": None if rate is None else f"{rate:.1f}%",
        "progress": progress,
    }


def make_sheet_truth(rng: random.Random, results_fiscal_year: int, used_codes: set[str]) -> SheetTruth:
    """One project's sheet content, drawn from `rng` (deterministic for a given state)."""
    year = results_fiscal_year
    ys = era_short(year)
    theme = rng.choice(W.THEMES)
    pick = rng.choice

    while True:
        parts = [f"{rng.randint(1, 16):02d}", f"{rng.randint(1, 25):02d}", f"{rng.randint(1, 20):02d}"]
        code = "".join(parts)
        if code not in used_codes:
            used_codes.add(code)
            break

    # ---- header: summary, outputs --------------------------------------------------
    acts = rng.sample(theme["acts"], 2)
    paras = [_fill(pick(W.SUMMARY_OPENERS), rng, theme, act=acts[0], act2=acts[1])]
    if rng.random() < 0.6:
        paras.append(pick(["<{}の主な内容>", "＜{}の主な内容＞"]).format(ys))
        for _ in range(rng.randint(1, 3)):
            item = _tidy(pick(W.MAIN_CONTENT_ITEMS).format(act=pick(theme["acts"])))
            sep = " " if rng.random() < 0.7 else ""
            paras.append(f"・{item}{sep}{fmt_amount(_loguniform_int(rng, 1, 99_999))}千円")
    if rng.random() < 0.7:
        paras.append(_tidy(pick(W.SUMMARY_CLOSERS).format(year=f"{era_long(year + 1)}年度", act=pick(acts))))
    summary = "\n".join(paras)

    outs = rng.sample(theme["outs"], rng.randint(1, min(4, len(theme["outs"]))))
    if rng.random() < 0.15:
        noun, unit, lo, hi = outs[0]
        outputs_text = f"{pick(theme['acts'])}により、{noun}は{fmt_amount(_loguniform_int(rng, lo, hi))}{unit}となった。"
    else:
        lines = []
        for noun, unit, lo, hi in outs:
            sep = pick([" ", " ", ""])
            lines.append(f"・{noun}{sep}{fmt_amount(_loguniform_int(rng, lo, hi))}{unit}")
        outputs_text = "\n".join(lines)

    # ---- basic info ------------------------------------------------------------------
    start_text, start_fy = _start(rng, year)
    r = rng.random()
    if r < 0.1:
        legal = "-"
    elif r < 0.3:
        legal = f"地方自治法第{rng.randint(2, 260)}条"
    else:
        legal = pick(theme["laws"])
    plan_pool = theme["plans"] + W.GENERIC_PLANS
    n_plans = rng.choice([0, 1, 1, 2, 2, 3])
    related = "\n".join(rng.sample(plan_pool, n_plans)) if n_plans else "-"
    similar = "-" if rng.random() < 0.55 else pick(W.SIMILAR_SERVICES)
    reference = "-" if rng.random() < 0.6 else _fill(pick(W.REFERENCE_CASES), rng, theme)

    # ---- evaluations -----------------------------------------------------------------
    issues = _bullets(rng, theme, W.ISSUES, 1, 2)
    direction = _bullets(rng, theme, W.DIRECTIONS, 1, 3)
    effect = _bullets(rng, theme, W.EFFECTS, 1, 2)
    ext_comment = _fill(pick(W.EXTERNAL_COMMENTS), rng, theme) if rng.random() < 0.15 else None
    second_comment = _fill(pick(W.SECOND_COMMENTS), rng, theme) if rng.random() < 0.15 else None
    evaluations = [
        {"evaluator": "1次", "title": L_EVAL1, "issues": issues, "direction": direction, "expected_effect": effect, "comment": None},
        {"evaluator": "外部", "title": L_EXT, "issues": None, "direction": None, "expected_effect": None, "comment": ext_comment},
        {"evaluator": "2次", "title": L_EVAL2, "issues": None, "direction": None, "expected_effect": None, "comment": second_comment},
    ]
    n_sel = rng.choice([0, 1, 1, 2, 2, 2, 3, 4])
    selected = set(rng.sample(range(8), n_sel))
    viewpoints = [
        {"viewpoint_no": i + 1, "viewpoint": W.VIEWPOINTS[i], "selected": i in selected, "mark": "○" if i in selected else ""}
        for i in range(8)
    ]

    # ---- budgets / staffing ------------------------------------------------------------
    budgets = _budgets(rng, year)
    regular, fy_staff = _staff(rng), (0.0 if rng.random() < 0.5 else _staff(rng))
    staffing = {
        "fiscal_year": year,
        "label": f"人工({ys}年度)",
        "regular_staff": regular,
        "fiscal_year_staff": fy_staff,
        "raw": {"regular_staff": fmt_staff(regular), "fiscal_year_staff": fmt_staff(fy_staff)},
    }

    # ---- indicators --------------------------------------------------------------------
    outcome_target_year = year + rng.choice([1, 2, 2, 2, 3, 4])
    policy_target_year = year + rng.choice([1, 2, 2, 3])
    strategy_target_year = 2019 if year <= 2018 else 2024 if year <= 2023 else 2029  # 第1期 / 第2期 / 第3期
    indicators: list[dict[str, Any]] = []

    def entry(level: str, no: int, s: dict, fy: int, kind: str, label: str, value: float | None, text: str | None,
              with_rate: bool = True, with_progress: bool = False) -> None:
        indicators.append({
            "level": level, "indicator_no": no, "indicator_name": s["name"], "unit": s["unit"],
            "baseline": s["baseline"], "baseline_text": s["baseline_text"],
            "fiscal_year": fy, "kind": kind, "column_label": label, "value": value, "value_text": text,
            "achievement_rate": s["rate"] if with_rate else None,
            "achievement_text": s["rate_text"] if with_rate else None,
            "progress_text": s["progress"] if with_progress else None,
        })

    kpi_pool = list(theme["kpis"]) + [(noun, unit, lo, hi, 0) for noun, unit, lo, hi in theme["outs"]]
    ts = era_short(outcome_target_year)
    if rng.random() < 0.1:
        outcome = None  # 「-」: no KPI
    else:
        outcome = _indicator_series(rng, pick(kpi_pool), blank_ok=False)
        outcome.update(unit=None, baseline=None, baseline_text=None, rate=None, rate_text=None, progress=None)
        entry("事業", 1, outcome, year, "実績", f"{ys}実績値", outcome["a2"], outcome["a2_text"], with_rate=False)
        entry("事業", 1, outcome, outcome_target_year, "目標", f"{ts}目標値", outcome["target"], outcome["target_text"], with_rate=False)

    pts = era_short(policy_target_year)
    unused = list(kpi_pool)  # an indicator name appears in one table only
    for level, with_progress in (("施策", False), ("基本政策", True)):
        specs = rng.sample(unused, rng.randint(1, min(3, len(unused) - 1)))
        unused = [spec for spec in unused if spec not in specs]
        for no, spec in enumerate(specs, 1):
            s = _indicator_series(rng, spec)
            if with_progress:
                s.update(rate=None, rate_text=None)
            else:
                s.update(progress=None)
            entry(level, no, s, year - 1, "実績", era_short(year - 1), s["a1"], s["a1_text"], True, with_progress)
            entry(level, no, s, year, "実績", ys, s["a2"], s["a2_text"], True, with_progress)
            entry(level, no, s, policy_target_year, "目標", f"目標値{pts}", s["target"], s["target_text"], True, with_progress)

    strategy_filled = rng.random() < 0.25
    sts = era_short(strategy_target_year)
    if strategy_filled:
        s = _indicator_series(rng, pick(theme["kpis"]))
        s.update(progress=None)
        entry("総合戦略施策", 1, s, year - 2, "実績", era_short(year - 2), s["a1"], s["a1_text"])
        entry("総合戦略施策", 1, s, year - 1, "実績", era_short(year - 1), s["a2"], s["a2_text"])
        entry("総合戦略施策", 1, s, strategy_target_year, "目標", f"目標値{sts}", s["target"], s["target_text"])
        g = _indicator_series(rng, pick(W.STRATEGY_KPIS), blank_ok=False)
        g.update(unit=None, baseline=None, baseline_text=None, rate=None, rate_text=None, progress=None)
        entry("総合戦略", 1, g, strategy_target_year, "目標", f"目標値{sts}", g["target"], g["target_text"], with_rate=False)

    # ---- page 2 texts --------------------------------------------------------------------
    policy_code = f"{int(parts[0])}-{rng.randint(1, 5)}-{rng.randint(1, 6)}"
    policy_name = pick(theme["policy"])
    policy_note = f"(施策「{pick(theme['wide'])}」の一部)" if rng.random() < 0.7 else None
    purpose_body = _fill(pick([
        "{who}が{state}よう、{act}などを通じて{goal}に取り組みます。",
        "{goal}を図るため、{act}や{act2}を進め、{who}の暮らしを支えます。",
        "{who}の{goal}に向け、関係機関と連携しながら{act}を推進します。",
    ]), rng, theme)
    policy_purpose = f"(事業の目的) {purpose_body}"
    vision_title = pick(theme["vision"])
    views = ["- " + v for v in rng.sample(theme["views"], rng.randint(1, min(2, len(theme["views"]))))]
    if rng.random() < 0.6:
        a, b = sorted(rng.sample(range(1, 18), 2))
        views.append(f"※{pick(theme['wide'])}の取組に関連するSDGs{a}・{b}の目標")
    vision_text = "\n".join(views)
    if rng.random() < 0.85:
        pledge_no, pledge_title = str(rng.randint(1, 60)), pick(W.PLEDGES)
    else:
        pledge_no, pledge_title = None, None

    project = {
        "project_code": code,
        "project_code_raw": " ".join(parts),
        "project_code_parts": parts,
        "project_name": _project_name(rng, theme),
        "summary": summary,
        "start_fiscal_year": start_fy,
        "start_text": start_text,
        "legal_basis": legal,
        "related_plans": related,
        "similar_services": similar,
        "reference_cases": reference,
        "outputs_header": f"アウトプット\n{ys}年度は何をどれだけしたか\n(利用者数・件数等)",
        "outputs_text": outputs_text,
        "outcome_header": L_OUTCOME_P1,
        "outcome_indicator_text": "-" if outcome is None else outcome["name"],
        "policy_code": policy_code,
        "policy_name": policy_name,
        "policy_note": policy_note,
        "policy_purpose": policy_purpose,
        "vision_title": vision_title,
        "vision_text": vision_text,
        "strategy_policy_text": pick(theme["strategy"]) if strategy_filled else None,
        "strategy_vision_text": pick(W.STRATEGY_GOALS) if strategy_filled else None,
        "pledge_no": pledge_no,
        "pledge_title": pledge_title,
        "footer_text": L_FOOTER,
    }
    columns = {
        "outcome_actual_label": f"{ys}実績値",
        "outcome_target_label": f"{ts}目標値",
        "outcome_target_year": outcome_target_year,
        "policy_actual_years": [year - 1, year],
        "policy_target_year": policy_target_year,
        "strategy_actual_years": [year - 2, year - 1],
        "strategy_target_year": strategy_target_year,
    }
    return SheetTruth(
        results_fiscal_year=year,
        project=project,
        budgets=budgets,
        staffing=staffing,
        viewpoints=viewpoints,
        evaluations=evaluations,
        indicators=indicators,
        columns=columns,
    )


# ======================================================================================
# Font and text fitting
# ======================================================================================

FONT = "SynthIPAexGothic"
_font_ready = False


def _register_font() -> None:
    global _font_ready
    if _font_ready:
        return
    import matplotlib_fontja
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(path)))
    _font_ready = True


_CW: dict[str, float] = {}


def _cw(ch: str) -> float:
    """Advance width of one char at 1 pt."""
    w = _CW.get(ch)
    if w is None:
        from reportlab.pdfbase import pdfmetrics

        _register_font()
        w = _CW[ch] = pdfmetrics.stringWidth(ch, FONT, 1.0)
    return w


def text_width(text: str, size: float) -> float:
    return sum(_cw(c) for c in text) * size


# A line starting like this opens a paragraph for a cell reader (the same pattern readers use).
PARA_START = re.compile(r"^[・●○◯■□◆◇▪•※＜<〈《【\-－]|^[①-⑳]|^[(（][^)）]{0,12}[)）]")
NO_START = set("、。，．,.・：；:;？！?!ー－-―‐)）]］}｝〕〉》」』】’”％%ゝゞヽヾぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々…‥")
NO_START |= set("(（<＜〈《【※●○◯■□◆◇•") | set(W.CIRCLED)
NO_END = set("(（[［{｛〔〈《「『【‘“<＜")
SOFT_FILL_EM = 1.8  # a soft line's glyphs reach the right edge within this many em
HARD_GAP_EM = 3.6  # a paragraph's last line stops this far from the edge unless the next opens visibly (readers allow ~3)
MAX_CHAR_SPACE_EM = 0.12


def _breakable(p: str, k: int) -> bool:
    """Whether a line may break between p[k-1] and p[k]."""
    a, b = p[k - 1], p[k]
    if a == " " or b == " ":
        return False  # a space at a break would vanish
    if b in NO_START or a in NO_END:
        return False
    if a.isascii() and b.isascii():
        return False  # words and numbers stay whole
    return True


def wrap_paragraph(p: str, avail_em: float) -> list[tuple[str, bool]]:
    """Lines of one paragraph as (text, soft) — soft: broken because the cell was full."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(p)
    while i < n:
        w, j = 0.0, i
        while j < n:
            c = _cw(p[j])
            if w + c > avail_em + 1e-9 and j > i:
                break
            w += c
            j += 1
        if j >= n:
            out.append((p[i:], False))
            break
        k = j
        while k > i + 1 and not _breakable(p, k):
            k -= 1
        if not _breakable(p, k):
            k = j  # nothing legal: break where it overflows
        out.append((p[i:k], True))
        i = k
    if not out:
        out.append(("", False))
    return out


@dataclass(frozen=True)
class Line:
    text: str
    size: float
    bold: bool
    soft: bool
    char_space: float
    width: float  # printed width including char spacing


Paras = tuple[tuple[str, float, bool], ...]  # (text, size, bold) per paragraph
FIT_PROBLEMS: list[str] = []  # cells drawn although no font size wrapped them unambiguously
_FIT_FACTORS = tuple(round(1.0 - 0.02 * i, 2) for i in range(13))  # 1.00 … 0.76


@lru_cache(maxsize=100_000)
def fit_paras(paras: Paras, avail: float, check: bool) -> tuple[Line, ...]:
    """Wrap paragraphs into lines that a cell reader reads back as the same text."""
    first: tuple[Line, ...] | None = None
    for factor in _FIT_FACTORS:
        lines: list[Line] = []
        ok = True
        for pi, (text, size, bold) in enumerate(paras):
            s = size * factor
            for t, soft in wrap_paragraph(text, avail / s):
                width = text_width(t, s)
                cs = 0.0
                if soft and len(t) > 1:
                    slack = avail - width
                    # judged on the glyphs alone: readers may not see all the char spacing
                    # (pdfminer drops it where reportlab switches font subsets)
                    if slack > SOFT_FILL_EM * s:
                        ok = False
                    if slack > 0.6 * s:
                        cs = min((slack - 0.2 * s) / (len(t) - 1), MAX_CHAR_SPACE_EM * s)
                        width += cs * (len(t) - 1)
                lines.append(Line(t, s, bold, soft, cs, width))
            if pi + 1 < len(paras):
                last, nxt = lines[-1], paras[pi + 1][0]
                if not PARA_START.match(nxt) and avail - last.width <= HARD_GAP_EM * last.size:
                    ok = False
        if first is None:
            first = tuple(lines)
        if ok or not check:
            return tuple(lines)
    FIT_PROBLEMS.append(" / ".join(p[0] for p in paras)[:80])
    return first  # type: ignore[return-value]


# ======================================================================================
# Style (the "hand" that draws a book)
# ======================================================================================


@dataclass
class Style:
    body: float
    small: float
    bold: float
    pitch: float
    pad_x: float
    pad_y: float
    row_extra: float
    thin: float
    thick: float
    outline: bool
    grid_mode: str  # rects | segments | runs
    fill: float
    bar_fill: float
    label_fill: float | None
    bold_stroke: float
    margin_x: float
    margin_top: float
    margin_bottom: float
    gap: float
    left_share: float
    weights: dict[str, list[float]]

    def scaled(self, k: float) -> Style:
        st = copy.copy(self)
        st.body, st.small, st.bold = self.body * k, self.small * k, self.bold * k
        st.pad_y, st.row_extra, st.gap = self.pad_y * k, self.row_extra * k, self.gap * k
        return st


BASE_WEIGHTS: dict[str, list[float]] = {
    # 3 code parts, name, summary, label, 7 budget columns, 2 staff, output, outcome label/value
    "header": [17, 17, 17, 56, 146, 50, 40, 31, 31, 31, 35, 31, 38, 26, 26, 104, 50, 46],
    "basic": [150, 200, 290, 260, 250],
    "eval": [200, 28, 250, 270, 270],
    "ext": [1, 1],
    "indicator": [230, 32, 44, 36, 36, 54, 48],
    "kpi": [200, 30, 36, 30, 30, 40, 34],
}


def make_style(style_seed: int) -> Style:
    rng = random.Random(f"synth-style-{style_seed}")
    body = round(rng.uniform(6.5, 7.3), 1)
    weights = {k: [w * rng.uniform(0.86, 1.16) for w in v] for k, v in BASE_WEIGHTS.items()}
    return Style(
        body=body,
        small=round(body - rng.uniform(0.1, 0.6), 1),
        bold=round(body + rng.uniform(0.6, 1.4), 1),
        pitch=rng.uniform(1.12, 1.32),
        pad_x=rng.uniform(1.6, 3.6),
        pad_y=rng.uniform(1.2, 2.8),
        row_extra=rng.uniform(0.5, 5.0),
        thin=rng.choice([0.3, 0.4, 0.6, 0.65]),
        thick=rng.choice([1.2, 1.4, 2.0]),
        outline=rng.random() < 0.7,
        grid_mode=rng.choice(["rects", "segments", "runs"]),
        fill=rng.uniform(0.84, 0.93),
        bar_fill=rng.uniform(0.72, 0.86),
        label_fill=rng.choice([None, None, 0.96]),
        bold_stroke=rng.uniform(0.2, 0.35),
        margin_x=rng.uniform(26, 42),
        margin_top=rng.uniform(22, 38),
        margin_bottom=rng.uniform(18, 30),
        gap=rng.uniform(5.5, 10.0),
        left_share=rng.uniform(0.53, 0.6),
        weights=weights,
    )


def _widths(weights: list[float], total: float) -> list[float]:
    s = sum(weights)
    return [w * total / s for w in weights]


# ======================================================================================
# Tables: cells with spans, rows grown to their content
# ======================================================================================


@dataclass
class Box:
    x0: float
    top: float
    x1: float
    bottom: float
    paras: Paras = ()
    align: str = "left"
    valign: str = "top"
    fill: float | None = None
    shrink: bool = False
    check: bool = True


@dataclass
class LooseText:
    x: float
    top: float
    text: str
    size: float
    bold: bool = False
    align: str = "left"  # x is the left edge, or the centre for 'center'


@dataclass
class PageDraw:
    boxes: list[Box] = field(default_factory=list)
    outlines: list[tuple[float, float, float, float]] = field(default_factory=list)
    loose: list[LooseText] = field(default_factory=list)


def _paras(text: str | None, size: float, bold: bool = False) -> Paras:
    if not text:
        return ()
    return tuple((p, size, bold) for p in text.split("\n"))


class Table:
    def __init__(self, widths: list[float], nrows: int, st: Style) -> None:
        self.widths = widths
        self.nrows = nrows
        self.st = st
        self.cells: list[tuple[int, int, int, int, dict]] = []

    def add(self, r: int, c: int, text: str | None = "", rs: int = 1, cs: int = 1, *, paras: Paras | None = None,
            size: float | None = None, bold: bool = False, align: str = "left", valign: str = "top",
            fill: float | None = None, shrink: bool = False, check: bool | None = None) -> None:
        size = size or self.st.body
        ps = paras if paras is not None else _paras(text, size, bold)
        if check is None:
            check = align == "left"
        self.cells.append((r, c, rs, cs, dict(paras=ps, align=align, valign=valign, fill=fill, shrink=shrink, check=check)))

    def _need(self, width: float, kw: dict) -> float:
        st = self.st
        ps: Paras = kw["paras"]
        if not ps:
            return 0.0
        if kw["shrink"]:
            return max(s for _, s, _ in ps) * st.pitch + 2 * st.pad_y
        lines = fit_paras(ps, width - 2 * st.pad_x, kw["check"])
        return sum(line.size * st.pitch for line in lines) + 2 * st.pad_y

    def layout(self, page: PageDraw, x0: float, top: float, row_min: list[float] | float | None = None,
               outline: bool = True) -> float:
        st = self.st
        if row_min is None:
            row_min = st.body * st.pitch + 2 * st.pad_y
        heights = list(row_min) if isinstance(row_min, list) else [row_min] * self.nrows
        xs = [x0]
        for w in self.widths:
            xs.append(xs[-1] + w)
        for r, c, rs, cs, kw in sorted(self.cells, key=lambda cell: cell[2]):
            need = self._need(xs[c + cs] - xs[c], kw)
            have = sum(heights[r:r + rs])
            if need > have + 1e-6:
                extra = (need - have) / rs
                for i in range(r, r + rs):
                    heights[i] += extra
        ys = [top]
        for h in heights:
            ys.append(ys[-1] + h)
        for r, c, rs, cs, kw in self.cells:
            page.boxes.append(Box(xs[c], ys[r], xs[c + cs], ys[r + rs], **kw))
        if outline and st.outline:
            page.outlines.append((xs[0], ys[0], xs[-1], ys[-1]))
        return ys[-1] - top


# ======================================================================================
# Page layouts
# ======================================================================================


def _header_table(page: PageDraw, t: SheetTruth, st: Style, page_no: int, x0: float, top: float, width: float) -> float:
    ys = era_short(t.results_fiscal_year)
    tb = Table(_widths(st.weights["header"], width), 7, st)
    hs, f = st.small, st.fill
    head = dict(size=hs, align="center", valign="middle", fill=f)
    tb.add(0, 0, L_CODE, rs=3, cs=3, **head)
    tb.add(0, 3, L_NAME, rs=3, **head)
    tb.add(0, 4, L_SUMMARY, rs=3, **head)
    tb.add(0, 5, L_INPUT_P1 if page_no == 1 else L_INPUT_P2, cs=10, **head)
    tb.add(1, 5, "", rs=2, **head)
    for i, label in enumerate(L_BUDGET_COLS):
        tb.add(1, 6 + i, label, rs=2, **head)
    tb.add(1, 13, f"人工\n({ys}年度)", cs=2, **head)
    tb.add(2, 13, L_REGULAR, **head)
    tb.add(2, 14, L_FY_STAFF, **head)
    sub = f"{ys}年度は何をどれだけしたか\n(利用者数・件数等)"
    if page_no == 1:
        tb.add(0, 15, f"{L_OUTPUT}\n{sub}", rs=3, **head)
        tb.add(0, 16, L_OUTCOME_P1, rs=3, cs=2, **head)
    else:
        tb.add(0, 15, L_OUTPUT, **head)
        tb.add(1, 15, sub, rs=2, **head)
        tb.add(0, 16, L_OUTCOME_P2, rs=3, cs=2, **head)

    p = t.project
    for i, part in enumerate(p["project_code_parts"]):
        tb.add(3, i, part, rs=4, align="center", valign="middle")
    tb.add(3, 3, p["project_name"], rs=4, bold=True, size=st.body + 0.6, align="center", valign="middle")
    tb.add(3, 4, p["summary"], rs=4)
    for i, b in enumerate(t.budgets):
        tb.add(3 + i, 5, b["label"], align="center", valign="middle", fill=st.label_fill)
        for j, key in enumerate(BUDGET_KEYS):
            tb.add(3 + i, 6 + j, b["raw"][key], align="right", valign="middle", shrink=True)
    tb.add(3, 13, t.staffing["raw"]["regular_staff"], rs=4, align="center", valign="middle", shrink=True)
    tb.add(3, 14, t.staffing["raw"]["fiscal_year_staff"], rs=4, align="center", valign="middle", shrink=True)
    tb.add(3, 15, p["outputs_text"], rs=4)
    rows = t.indicator_rows("事業")
    tb.add(3, 16, p["outcome_indicator_text"], rs=2, cs=2)
    actual = target = ""
    if rows:
        actual = rows[0]["cells"].get(("実績", t.results_fiscal_year)) or ""
        target = rows[0]["cells"].get(("目標", t.columns["outcome_target_year"])) or ""
    tb.add(5, 16, t.columns["outcome_actual_label"], align="center", valign="middle", fill=st.label_fill)
    tb.add(5, 17, actual, align="right", valign="middle", shrink=True)
    tb.add(6, 16, t.columns["outcome_target_label"], align="center", valign="middle", fill=st.label_fill)
    tb.add(6, 17, target, align="right", valign="middle", shrink=True)
    line = st.small * st.pitch + 2 * st.pad_y
    data = st.body * st.pitch + 2 * st.pad_y + st.row_extra
    return tb.layout(page, x0, top, [line, line * 1.9, line * 1.9, data, data, data, data])


def _page1(t: SheetTruth, st: Style) -> tuple[PageDraw, float]:
    page = PageDraw()
    x0, width = st.margin_x, PAGE_W - 2 * st.margin_x
    head = dict(size=st.small, align="center", valign="middle", fill=st.fill)
    top = st.margin_top
    top += _header_table(page, t, st, 1, x0, top, width) + st.gap

    p = t.project
    tb = Table(_widths(st.weights["basic"], width), 2, st)
    for i, label in enumerate(L_BASIC):
        tb.add(0, i, label, **head)
    values = [p["start_text"], p["legal_basis"], p["related_plans"], p["similar_services"], p["reference_cases"]]
    for i, v in enumerate(values):
        single = "\n" not in v
        tb.add(1, i, v, align="center" if single else "left", valign="middle")
    row = st.body * st.pitch + 2 * st.pad_y
    top += tb.layout(page, x0, top, [row, 2 * row + st.row_extra]) + st.gap

    widths = _widths(st.weights["eval"], width)
    tab = Table([(widths[0] + widths[1]) * random.Random(t.project["project_code"]).uniform(0.75, 1.25)], 1, st)
    tab.add(0, 0, L_EVAL1, bold=True, size=st.body + 0.4, align="center", valign="middle", fill=st.bar_fill)
    top += tab.layout(page, x0, top)
    tb = Table(widths, 9, st)
    tb.add(0, 0, L_VIEWPOINTS, cs=2, **head)
    for i, label in enumerate(L_EVAL1_COLS):
        tb.add(0, 2 + i, label, **head)
    for vp in t.viewpoints:
        i = vp["viewpoint_no"]
        tb.add(i, 0, f"{W.CIRCLED[i - 1]} {vp['viewpoint']}", valign="middle")
        tb.add(i, 1, vp["mark"], align="center", valign="middle")
    first = t.evaluations[0]
    for i, key in enumerate(("issues", "direction", "expected_effect")):
        tb.add(1, 2 + i, first[key], rs=8)
    item_row = st.body * st.pitch + 2 * st.pad_y + st.row_extra * 0.5
    top += tb.layout(page, x0, top, [row] + [item_row] * 8) + st.gap

    footer_h = (st.body + 0.5) * st.pitch + 4
    tb = Table(_widths(st.weights["ext"], width), 2, st)
    tb.add(0, 0, L_EXT, **head)
    tb.add(0, 1, L_EVAL2, **head)
    tb.add(1, 0, t.evaluations[1]["comment"])
    tb.add(1, 1, t.evaluations[2]["comment"])
    body = max(4 * row, PAGE_H - st.margin_bottom - footer_h - 4 - top - row)
    top += tb.layout(page, x0, top, [row, body])
    top += 4
    page.loose.append(LooseText(x0, top, L_FOOTER, st.body + 0.5, bold=True))
    top += footer_h
    return page, top


def _bar(page: PageDraw, st: Style, x: float, top: float, w: float, title: str) -> float:
    tb = Table([w], 1, st)
    tb.add(0, 0, title, bold=True, size=st.bold, align="center", valign="middle", fill=st.bar_fill)
    return tb.layout(page, x, top)


def _caption(page: PageDraw, st: Style, x: float, top: float, w: float, text: str) -> float:
    size = st.small
    page.loose.append(LooseText(x + w / 2, top + 2, text, size, align="center"))
    return size * st.pitch + 4


def _indicator_table(page: PageDraw, st: Style, t: SheetTruth, x: float, top: float, w: float, weights: list[float],
                     title: str, level: str, last_col: str, years: list[int], target_year: int, min_rows: int) -> float:
    rows = t.indicator_rows(level)
    n = max(min_rows, len(rows))
    tb = Table(_widths(weights, w), 2 + n, st)
    head = dict(size=st.small, align="center", valign="middle", fill=st.fill)
    tb.add(0, 0, title, rs=2, **head)
    tb.add(0, 1, L_UNIT, rs=2, **head)
    tb.add(0, 2, L_BASELINE, rs=2, **head)
    tb.add(0, 3, L_ACTUAL, cs=2, **head)
    tb.add(1, 3, era_short(years[0]), **head)
    tb.add(1, 4, era_short(years[1]), **head)
    tb.add(0, 5, last_col, rs=2, **head)
    tb.add(0, 6, f"目標値\n{era_short(target_year)}", rs=2, **head)
    num = dict(align="right", valign="middle", shrink=True)
    for i in range(n):
        r = 2 + i
        if i >= len(rows):
            for c in range(7):
                tb.add(r, c, "")
            continue
        row = rows[i]
        tb.add(r, 0, row["indicator_name"], valign="middle")
        tb.add(r, 1, row["unit"], align="center", valign="middle", shrink=True)
        tb.add(r, 2, row["baseline_text"], **num)
        tb.add(r, 3, row["cells"].get(("実績", years[0])), **num)
        tb.add(r, 4, row["cells"].get(("実績", years[1])), **num)
        if last_col == L_PROGRESS:
            tb.add(r, 5, row["progress_text"], align="center", valign="middle", shrink=True)
        else:
            tb.add(r, 5, row["achievement_text"], **num)
        tb.add(r, 6, row["cells"].get(("目標", target_year)), **num)
    line = st.small * st.pitch + 2 * st.pad_y
    data = st.body * st.pitch + 2 * st.pad_y + st.row_extra * 0.4
    return tb.layout(page, x, top, [line, line] + [data] * n)


def _page2(t: SheetTruth, st: Style) -> tuple[PageDraw, float]:
    page = PageDraw()
    x0, width = st.margin_x, PAGE_W - 2 * st.margin_x
    p, cols = t.project, t.columns
    head = dict(size=st.small, align="center", valign="middle", fill=st.fill)
    top0 = st.margin_top + _header_table(page, t, st, 2, x0, st.margin_top, width) + st.gap * 1.3
    col_gap = width * 0.03
    wl = width * st.left_share
    wr = width - wl - col_gap
    xr = x0 + wl + col_gap

    # ---- left: 目指す都市像の実現に向けて ----------------------------------------------
    top = top0
    top += _bar(page, st, x0, top, wl, L_CITY)
    top += _caption(page, st, x0, top, wl, L_CITY_CAP1)
    label_w = wl * 0.14
    tb = Table([label_w, wl - label_w], 1, st)
    tb.add(0, 0, L_POLICY, **head)
    paras: list[tuple[str, float, bool]] = [(f"{p['policy_code']} {p['policy_name']}", st.bold, True)]
    if p["policy_note"]:
        paras.append((p["policy_note"], st.body, False))
    paras.append((p["policy_purpose"], st.body, False))
    tb.add(0, 1, paras=tuple(paras))
    top += tb.layout(page, x0, top, 3 * st.body * st.pitch + 2 * st.pad_y + st.row_extra, outline=False)
    years, ty = cols["policy_actual_years"], cols["policy_target_year"]
    top += _indicator_table(page, st, t, x0, top, wl, st.weights["indicator"], L_POLICY_OUT, "施策", L_RATE, years, ty, 1)
    top += _caption(page, st, x0, top, wl, L_CITY_CAP2)
    tb = Table([label_w, wl - label_w], 1, st)
    tb.add(0, 0, L_VISION, **head)
    paras = [(p["vision_title"], st.bold, True)] + [(v, st.body, False) for v in p["vision_text"].split("\n")]
    tb.add(0, 1, paras=tuple(paras))
    top += tb.layout(page, x0, top, 3 * st.body * st.pitch + 2 * st.pad_y + st.row_extra, outline=False)
    top += _indicator_table(page, st, t, x0, top, wl, st.weights["indicator"], L_BASIC_OUT, "基本政策", L_PROGRESS, years, ty, 1)
    bottom = top

    # ---- right: 人口減少の抑制に向けて / 公約実現に向けて ---------------------------------
    top = top0
    top += _bar(page, st, xr, top, wr, L_POP)
    top += _caption(page, st, xr, top, wr, L_POP_CAP1)
    row = st.body * st.pitch + 2 * st.pad_y
    tb = Table([wr], 2, st)
    tb.add(0, 0, L_POP_POLICY, **head)
    tb.add(1, 0, p["strategy_policy_text"])
    top += tb.layout(page, xr, top, [row, 2 * row + st.row_extra], outline=False)
    syears, sty = cols["strategy_actual_years"], cols["strategy_target_year"]
    top += _indicator_table(page, st, t, xr, top, wr, st.weights["kpi"], L_POP_KPI, "総合戦略施策", L_RATE, syears, sty, 2)
    top += _caption(page, st, xr, top, wr, L_POP_CAP2)
    tb = Table([wr], 2, st)
    tb.add(0, 0, L_POP_VISION, **head)
    tb.add(1, 0, p["strategy_vision_text"])
    top += tb.layout(page, xr, top, [row, 2 * row + st.row_extra], outline=False)
    goal_rows = t.indicator_rows("総合戦略")
    n = max(1, len(goal_rows))
    target_w = sum(_widths(st.weights["kpi"], wr)[-1:]) * 1.15
    tb = Table([wr - target_w, target_w], 1 + n, st)
    tb.add(0, 0, L_POP_OUT, **head)
    tb.add(0, 1, f"目標値\n{era_short(sty)}", **head)
    for i in range(n):
        if i < len(goal_rows):
            tb.add(1 + i, 0, goal_rows[i]["indicator_name"], valign="middle")
            tb.add(1 + i, 1, goal_rows[i]["cells"].get(("目標", sty)), align="right", valign="middle", shrink=True)
        else:
            tb.add(1 + i, 0, "")
            tb.add(1 + i, 1, "")
    top += tb.layout(page, xr, top, [2 * st.small * st.pitch + 2 * st.pad_y] + [row + st.row_extra * 0.4] * n)
    top += st.gap * 1.6
    top += _bar(page, st, xr, top, wr, L_PLEDGE_BAR)
    pw = _widths([1.0, 0.42, 2.6], wr)
    tb = Table(pw, 1, st)
    tb.add(0, 0, L_PLEDGE, **head)
    tb.add(0, 1, p["pledge_no"], align="center", valign="middle", shrink=True)
    tb.add(0, 2, p["pledge_title"], valign="middle")
    top += tb.layout(page, xr, top, 2 * row + st.row_extra)
    return page, max(bottom, top)


def _fit_page(build, t: SheetTruth, st: Style) -> PageDraw:
    limit = PAGE_H - st.margin_bottom
    page = None
    for k in (1.0, 0.94, 0.88, 0.82, 0.76, 0.7, 0.64):
        page, bottom = build(t, st.scaled(k))
        if bottom <= limit + 0.5:
            return page
    FIT_PROBLEMS.append(f"page overflow {t.project['project_code']}")
    return page  # type: ignore[return-value]


# ======================================================================================
# Drawing
# ======================================================================================


def _edges(boxes: list[Box]) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    hs: set[tuple[float, float, float]] = set()
    vs: set[tuple[float, float, float]] = set()
    for b in boxes:
        for y in (b.top, b.bottom):
            hs.add((round(y, 3), round(b.x0, 3), round(b.x1, 3)))
        for x in (b.x0, b.x1):
            vs.add((round(x, 3), round(b.top, 3), round(b.bottom, 3)))
    return sorted(hs), sorted(vs)


def _merge_runs(edges: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Collinear overlapping or touching segments into single runs."""
    groups: dict[float, list[tuple[float, float]]] = {}
    for pos, a, b in edges:
        groups.setdefault(round(pos, 2), []).append((min(a, b), max(a, b)))
    out: list[tuple[float, float, float]] = []
    for pos in sorted(groups):
        runs: list[list[float]] = []
        for a, b in sorted(groups[pos]):
            if runs and a <= runs[-1][1] + 0.01:
                runs[-1][1] = max(runs[-1][1], b)
            else:
                runs.append([a, b])
        out.extend((pos, a, b) for a, b in runs)
    return out


def _draw_page(c: Any, page: PageDraw, st: Style) -> None:
    H = PAGE_H
    for b in page.boxes:
        if b.fill is not None:
            c.setFillGray(b.fill)
            c.rect(b.x0, H - b.bottom, b.x1 - b.x0, b.bottom - b.top, stroke=0, fill=1)
    c.setFillGray(0)
    c.setStrokeGray(0)
    c.setLineWidth(st.thin)
    if st.grid_mode == "rects":
        for b in page.boxes:
            c.rect(b.x0, H - b.bottom, b.x1 - b.x0, b.bottom - b.top, stroke=1, fill=0)
    else:
        hs, vs = _edges(page.boxes)
        if st.grid_mode == "runs":
            hs, vs = _merge_runs(hs), _merge_runs(vs)
        segs = [(a, H - y, b, H - y) for y, a, b in hs] + [(x, H - a, x, H - b) for x, a, b in vs]
        c.lines(segs)
    if page.outlines:
        c.setLineWidth(st.thick)
        for x0, top, x1, bottom in page.outlines:
            c.rect(x0, H - bottom, x1 - x0, bottom - top, stroke=1, fill=0)

    normal = c.beginText()
    bold = c.beginText()
    bold.setTextRenderMode(2)
    state: dict[int, tuple[float, float]] = {}

    def put(x: float, top: float, line: Line) -> None:
        obj = bold if line.bold else normal
        key = id(obj)
        if state.get(key) != (line.size, line.char_space):
            obj.setFont(FONT, line.size)
            obj.setCharSpace(line.char_space)
            state[key] = (line.size, line.char_space)
        baseline = top + (st.pitch - 1) / 2 * line.size + 0.88 * line.size
        obj._code.append(f"1 0 0 1 {x:.3f} {H - baseline:.3f} Tm")  # setTextOrigin, without its slow number formatting
        obj.textOut(line.text)

    for b in page.boxes:
        if not b.paras:
            continue
        avail = b.x1 - b.x0 - 2 * st.pad_x
        if b.shrink:
            text, size, is_bold = b.paras[0]
            w = text_width(text, size)
            if w > avail:
                size = size * avail / w * 0.999
                w = text_width(text, size)
            lines: tuple[Line, ...] = (Line(text, size, is_bold, False, 0.0, w),)
        else:
            lines = fit_paras(b.paras, avail, b.check)
        total = sum(line.size * st.pitch for line in lines)
        y = b.top + st.pad_y if b.valign == "top" else b.top + (b.bottom - b.top - total) / 2
        for line in lines:
            if b.align == "left":
                x = b.x0 + st.pad_x
            elif b.align == "right":
                x = b.x1 - st.pad_x - line.width
            else:
                x = (b.x0 + b.x1 - line.width) / 2
            put(x, y, line)
            y += line.size * st.pitch
    for lt in page.loose:
        w = text_width(lt.text, lt.size)
        x = lt.x - w / 2 if lt.align == "center" else lt.x
        put(x, lt.top, Line(lt.text, lt.size, lt.bold, False, 0.0, w))
    c.drawText(normal)
    c.setLineWidth(st.bold_stroke)
    c.drawText(bold)


class _Spool:
    """Finished pages' content streams, compressed and parked in a temp file.

    reportlab keeps every page's content as a string until `save()`, so memory would grow
    by ~30 KB a page. After each `showPage()` the page's content is compressed into this
    spool and the page gets a stream object that reads it back when the PDF is written.
    Falls back to reportlab's own handling if its internals are not as expected.
    """

    def __init__(self, canvas: Any) -> None:
        import tempfile

        from reportlab.pdfbase import pdfdoc

        self.canvas = canvas
        self.file = tempfile.TemporaryFile()
        self.pdfdoc = pdfdoc
        spool = self

        class _Passthrough:  # the content is already deflated
            pdfname = "FlateDecode"

            def encode(self, data: Any) -> Any:
                return data

        class _Spooled(pdfdoc.PDFObject):
            def __init__(self, offset: int, length: int) -> None:
                self.offset, self.length = offset, length

            def __len__(self) -> int:
                return self.length

            def format(self, document: Any) -> bytes:
                spool.file.seek(self.offset)
                return spool.file.read(self.length)

        self._filter = _Passthrough()
        self._spooled = _Spooled
        self.enabled = True

    def park_last_page(self) -> None:
        if not self.enabled:
            return
        import zlib

        try:
            page = self.canvas._doc.Pages.pages[-1]
            stream = page.stream
            if not stream or page.Contents:
                return
            data = zlib.compress(stream.encode("utf8") if isinstance(stream, str) else stream)
            self.file.seek(0, 2)
            offset = self.file.tell()
            self.file.write(data)
            content = self.pdfdoc.PDFStream(content=self._spooled(offset, len(data)), filters=[self._filter])
            page.Contents = content
            page.stream = None
        except AttributeError:
            self.enabled = False

    def close(self) -> None:
        self.file.close()


def render_book(truths: list[SheetTruth], path: str | Path, *, style_seed: int = 0) -> None:
    """Draw one PDF, 2 pages per sheet, in order. Memory stays flat: no page is kept."""
    from reportlab.pdfgen import canvas as rl_canvas

    _register_font()
    st = make_style(style_seed)
    c = rl_canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
    c.setTitle(f"事務事業評価シート（合本・合成） {len(truths)}事業")
    c.setAuthor("synth.sheets")
    c.setCreator("synth.sheets (reportlab)")
    spool = _Spool(c)
    try:
        for t in truths:
            for build in (_page1, _page2):
                _draw_page(c, _fit_page(build, t, st), st)
                c.showPage()
                spool.park_last_page()
            fit_paras.cache_clear()  # the cache only serves the two pages of one sheet
        c.save()
    finally:
        spool.close()


def make_truths(n_sheets: int, seed: int = 0, results_fiscal_year: int | None = None) -> list[SheetTruth]:
    rng = random.Random(seed)
    year = results_fiscal_year if results_fiscal_year is not None else rng.randint(2018, 2024)
    used: set[str] = set()
    truths = [make_sheet_truth(rng, year, used) for _ in range(n_sheets)]
    truths.sort(key=lambda t: t.project_code)  # a bound book runs in code order
    return truths


def make_book(path: str | Path, n_sheets: int, seed: int = 0, results_fiscal_year: int | None = None) -> list[SheetTruth]:
    """Make `n_sheets` sheets, draw them into one PDF at `path`, return their truths."""
    truths = make_truths(n_sheets, seed, results_fiscal_year)
    render_book(truths, path, style_seed=seed)
    return truths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.sheets", description="Draw a book of synthetic 事務事業評価シート.")
    ap.add_argument("out", help="PDF to write")
    ap.add_argument("--sheets", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--year", type=int, default=None, help="results fiscal year (default: drawn from the seed)")
    ap.add_argument("--truth", default=None, help="write the truths as JSON here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    truths = make_book(args.out, args.sheets, seed=args.seed, results_fiscal_year=args.year)
    elapsed = time.perf_counter() - t0
    if args.truth:
        Path(args.truth).write_text(json.dumps([t.as_dict() for t in truths], ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{args.out}: {len(truths)} sheets, {2 * len(truths)} pages, year {truths[0].results_fiscal_year if truths else '-'}, "
          f"{elapsed:.2f}s", file=sys.stderr)
    if FIT_PROBLEMS:
        print(f"warning: {len(FIT_PROBLEMS)} cells could not be wrapped unambiguously", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
