"""Later editions of the samples' documents, generated, so the demo has years to follow.

    python -m synth.demo_editions SHEET.pdf KPI_LIST.pdf OUT_DIR

reads a 旭川 evaluation sheet and a 総合戦略 KPI list (the bundled samples: `make editions`)
back through hyoka's own extractor and writes their next editions into OUT_DIR:

* two books of sheets, results years +1 and +2: the sample's project carried on by
  `synth.editions.next_edition` beside synthetic projects (two in the first book; in the
  second one of them vanishes, one is new, and one keeps its name and policy under another
  事業コード). Each book revises one 当初予算 the book before printed; the second also
  revises one 施策 actual;
* the KPI list one year later (`next_kpi_edition`): one more 実績値 column, the pending and
  empty cells of the last one filled, one value of the year before revised, one KPI new.

Indicators that a sheet and the KPI list both report (same name key, as the cross-document
check matches them) are printed with the list's values, so the documents agree. The file
names follow the inputs': `<prefix>_R<N>.pdf`, N moving on with the results year. Everything
is drawn from `--seed`: the same inputs give the same editions.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth import words as W
from synth.editions import (KpiListEdition, kpi_list_from_extraction, next_edition, next_kpi_edition, revise_budget,
                            set_code, set_indicator, truths_from_extraction)
from synth.sheets import SheetTruth, make_sheet_truth, render_book

_ERA_IN_NAME = re.compile(r"^(?P<prefix>.+?)_R(?P<n>\d+)(?:_|$)")
_COMPARED_LEVELS = ("施策", "基本政策")  # the sheet levels the cross-document check compares


@dataclass
class DemoEditions:
    """What `build` made, and what it changed on purpose (for tests and the README)."""

    sheets: dict[int, list[SheetTruth]]  # results fiscal year -> the book's sheets
    kpi_list: KpiListEdition
    kpi_pdf: bytes
    facts: dict[str, Any] = field(default_factory=dict)


def _extract(data: bytes) -> Any:
    from hyoka.extractors.registry import extract_pdf

    return extract_pdf(data)


def _keys(truths: list[SheetTruth]) -> set[str]:
    from hyoka.normalize import indicator_key

    return {indicator_key(e["indicator_name"]) for t in truths for e in t.indicators if e["level"] in _COMPARED_LEVELS}


def _kpi_values(*extractions: Any) -> dict[tuple[str, int], float]:
    """(name key, year) -> a KPI list's single-year actual, the later extraction winning."""
    from hyoka.normalize import indicator_key

    values: dict[tuple[str, int], float] = {}
    for x in extractions:
        names = {k.kpi_id: k.kpi_name for k in x.rows("strategy_kpis")}
        for v in x.rows("strategy_kpi_values"):
            if v.slot == "実績値" and v.status == "value" and v.value is not None \
                    and v.ref_fiscal_year_start == v.ref_fiscal_year_end is not None:
                values[(indicator_key(names[v.kpi_id]), v.ref_fiscal_year_end)] = v.value
    return values


def _agree_with_kpis(truths: list[SheetTruth], kpi_values: dict[tuple[str, int], float]) -> list[tuple[str, str, int]]:
    """Print the KPI list's value in every sheet actual it also reports; return (code, name, year) of each."""
    from hyoka.normalize import indicator_key

    matched = []
    for t in truths:
        for e in list(t.indicators):
            key = (indicator_key(e["indicator_name"]), e["fiscal_year"])
            if e["level"] in _COMPARED_LEVELS and e["kind"] == "実績" and key in kpi_values:
                set_indicator(t, e["level"], e["indicator_no"], e["fiscal_year"], "実績", kpi_values[key])
                matched.append((t.project_code, e["indicator_name"], e["fiscal_year"]))
    return matched


def _new_kpi(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """A KPI (name, unit) from the generators' word lists that neither the list nor a sheet has,
    with a unit the KPI checks know (an unknown one is a warning)."""
    from hyoka.normalize import indicator_key
    from hyoka.schemas.strategy import is_known_unit

    pool = sorted({(k[0], k[1]) for theme in W.THEMES for k in theme["kpis"]} | {(k[0], k[1]) for k in W.STRATEGY_KPIS})
    return rng.choice([(name, "％" if unit == "%" else unit) for name, unit in pool
                       if indicator_key(name) not in taken and is_known_unit(unit)])


def build(sheet_pdf: bytes, kpi_pdf: bytes, seed: int = 5) -> DemoEditions:
    """The next two editions of the sheets and the next edition of the KPI list (see the module docstring)."""
    from hyoka.normalize import indicator_key

    rng = random.Random(seed)
    sample = truths_from_extraction(_extract(sheet_pdf))
    year = sample[0].results_fiscal_year
    used = {t.project_code for t in sample}
    facts: dict[str, Any] = {"sample_projects": sorted(used)}

    # results year +1: the sample's projects carried on, two synthetic projects beside them
    first = [next_edition(t, rng) for t in sample]
    synthetic = [make_sheet_truth(rng, year + 1, used) for _ in range(2)]
    revised = revise_budget(first[0], year + 1, "当初予算", 1.1)
    facts["revised_budgets"] = [(first[0].project_code, year + 1, "当初予算", revised["total_cost"])]

    # results year +2: one synthetic project vanishes, one changes its code, one is new
    kept, vanished = synthetic
    second = [next_edition(t, rng) for t in [*first, kept]]
    renamed = second[-1]
    old_code = renamed.project_code
    new_code = old_code
    while new_code in used:  # a code no sheet has, drawn as make_sheet_truth draws them
        new_code = f"{rng.randint(1, 16):02d}{rng.randint(1, 25):02d}{rng.randint(1, 20):02d}"
    used.add(new_code)
    set_code(renamed, new_code)
    new = make_sheet_truth(rng, year + 2, used)
    second.append(new)
    revised = revise_budget(second[0], year + 2, "当初予算", 0.95)
    facts["revised_budgets"].append((second[0].project_code, year + 2, "当初予算", revised["total_cost"]))
    facts.update(vanished=vanished.project_code, renamed=(old_code, new_code), new=new.project_code)

    # the KPI list, one year on; the names the sheets report are left unrevised
    kpi_extraction = _extract(kpi_pdf)
    edition = kpi_list_from_extraction(kpi_extraction)
    sheet_keys = _keys(sample + first + second)
    taken = sheet_keys | {indicator_key(r.name) for r in edition.rows}
    kpi_list, kpi_facts = next_kpi_edition(edition, rng, keep=sheet_keys, new_kpi=_new_kpi(rng, taken))
    kpi_bytes = kpi_list.pdf()
    facts["kpi"] = kpi_facts
    kpi_values = _kpi_values(kpi_extraction, _extract(kpi_bytes))
    facts["agreeing_indicators"] = _agree_with_kpis(first + second, kpi_values)

    # one 施策 actual the first book printed is revised by the second (not one a KPI list reports too)
    for t in second:
        cell = next((e for e in t.indicators if e["level"] == "施策" and e["kind"] == "実績" and e["fiscal_year"] == year + 1
                     and e["value"] is not None and (indicator_key(e["indicator_name"]), year + 1) not in kpi_values), None)
        if cell:
            after = cell["value"] + max(1.0, round(cell["value"] * 0.05))
            set_indicator(t, "施策", cell["indicator_no"], year + 1, "実績", after)
            facts["revised_indicator"] = (t.project_code, cell["indicator_name"], year + 1, after)
            break

    sheets = {year + 1: sorted(first + synthetic, key=lambda t: t.project_code),
              year + 2: sorted(second, key=lambda t: t.project_code)}
    return DemoEditions(sheets, kpi_list, kpi_bytes, facts)


def output_name(input_name: str, input_year: int, year: int) -> str:
    """`asahikawa_jimujigyo_R4_…pdf` of results 2021 → `asahikawa_jimujigyo_R5.pdf` for results 2022."""
    match = _ERA_IN_NAME.match(Path(input_name).stem)
    if not match:
        raise ValueError(f"{input_name}: expected a file name like <prefix>_R<N>.pdf (R<N>: the 令和 year it is named by)")
    return f"{match['prefix']}_R{int(match['n']) + year - input_year}.pdf"


def write(sheet: Path, kpi_list: Path, out: Path, seed: int = 5) -> list[Path]:
    """Build the editions from two sample PDFs and write them into `out`; return the paths."""
    editions = build(sheet.read_bytes(), kpi_list.read_bytes(), seed)
    out.mkdir(parents=True, exist_ok=True)
    sheet_year = min(editions.sheets) - 1
    written = []
    for year, truths in editions.sheets.items():
        path = out / output_name(sheet.name, sheet_year, year)
        render_book(truths, path, style_seed=seed + year)
        written.append(path)
    kpi_year = _extract(kpi_list.read_bytes()).results_fiscal_year
    path = out / output_name(kpi_list.name, kpi_year, kpi_year + 1)
    path.write_bytes(editions.kpi_pdf)
    written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.demo_editions", description=__doc__.split("\n\n")[0])
    ap.add_argument("sheet", type=Path, help="a 旭川 evaluation sheet PDF named <prefix>_R<N>…pdf")
    ap.add_argument("kpi_list", type=Path, help="a 総合戦略 KPI list PDF named <prefix>_R<N>…pdf")
    ap.add_argument("out", type=Path, help="folder to write the editions into")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    for path in write(args.sheet, args.kpi_list, args.out, args.seed):
        print(path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
