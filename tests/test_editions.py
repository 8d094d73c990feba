"""Editions: two years of the same documents dropped into the inbox, followed across years.

An R4 edition (results 2022) and an R5 edition (results 2023) of a book of evaluation
sheets and of a 総合戦略 KPI list, made by the generators with known differences:

* sheets: project 121101's 当初予算 of FY2023 is printed in both editions with other
  amounts (revised); one 施策 indicator's FY2022 actual is revised; one project vanishes,
  one is new, one keeps its name but gets another 事業コード;
* KPI list: one FY2022 actual revised (134 → 136), one 未集計 in R4 that R5 prints as a
  number, one KPI new in R5; then a corrected re-issue of the R5 list supersedes it.

The history views, `project_identity`, superseding, `hyoka changes`, the Parquet export,
the report's section and every query of docs/queries.md are checked against that.

The two editions are loaded by the ingest's own stages (no Prefect), each when it is
dropped into the inbox; the corrected re-issue comes in through the whole run, by a pass
of `hyoka serve --once` over the whole inbox (which must leave the four known files alone).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import ROOT, fetch, fetch_dicts
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings
from hyoka.extractors.pdf_input import sha256_hex
from synth.editions import budget_row, next_edition, set_budget, set_code, set_indicator
from synth.kpi_list import SynthGoal, SynthItem, SynthKpi, kpi_list_pdf
from synth.sheets import SheetTruth, make_sheet_truth, make_truths, render_book
from warehouse_builder import build_warehouse

TITLE = "【第２期】旭川市まち・ひと・しごと創生総合戦略に係る重要業績評価指標（ＫＰＩ）一覧"
R4_HEADERS = ["現状値"] + [f"令和{n}年度\n実績値" for n in ("元", "２", "３", "４")] + ["令和６年度\n目標値"]
R5_HEADERS = ["現状値"] + [f"令和{n}年度\n実績値" for n in ("元", "２", "３", "４", "５")] + ["令和６年度\n目標値"]
PENDING = "未集計\n（9月頃に実績値を把握予定）"
REVISED_KPI = "市民活動団体の登録数"  # FY2022: 134 in R4, 136 in R5
PENDING_KPI = "スポーツ合宿誘致者数"  # FY2022: 未集計 in R4, 2,950 in R5
NEW_KPI = "移住相談窓口の相談件数"  # only in R5
BEHIND_KPI = "市内宿泊者数"  # 1,300 against a target of 1,800
PROJECT = "121101"  # budgets set by hand: 当初予算 FY2023 revised, 一般財源 share rising
CHANGED_CODE = "990101"  # the R5 code of a project R4 printed under another code
BUDGET_COLUMNS = ("total_cost", "national", "prefecture", "municipal_bonds", "tax_allocation_pct", "other", "general_revenue")


def kpi_list(edition: int, fy2023_registrations: str = "140") -> bytes:
    """The R4 or R5 KPI list (R5 prints one more 実績値 column)."""
    r5 = edition == 5
    registrations = ["120\n（平成30年度）", "121", "125", "130", "136" if r5 else "134", *([fy2023_registrations] if r5 else []), "150"]
    camps = ["2,500\n（平成30年度）", "2,600", "1,200", "1,800", "2,950" if r5 else PENDING, *(["3,100"] if r5 else []), "3,000"]
    stays = ["1,500", "1,450", "900", "1,000", "1,200", *(["1,300"] if r5 else []), "1,800"]
    goal1 = SynthGoal(1, "地域の活力を高める", [SynthItem("ア", "市民活動と交流の推進", kpis=[
        SynthKpi(REVISED_KPI, "団体", registrations, "市民生活部"),
        SynthKpi(PENDING_KPI, "人", camps, "観光スポーツ交流部"),
    ])])
    goal2_kpis = [SynthKpi(BEHIND_KPI, "千人", stays, "観光スポーツ交流部")]
    if r5:
        goal2_kpis.append(SynthKpi(NEW_KPI, "件", ["80", "85", "90", "95", "100", "110", "120"], "総合政策部"))
    goal2 = SynthGoal(2, "新しい人の流れをつくる", [SynthItem("ア", "観光と移住の促進", kpis=goal2_kpis)])
    return kpi_list_pdf([goal1, goal2], R5_HEADERS if r5 else R4_HEADERS, title=TITLE)


def sheet_editions() -> tuple[list[SheetTruth], list[SheetTruth], dict[str, Any]]:
    """R4 and R5 truths of the same small book, and what was changed on purpose."""
    r4 = make_truths(4, seed=21, results_fiscal_year=2022)
    set_code(r4[0], PROJECT)
    for row in (budget_row(2021, "決算", 10000, national=4000), budget_row(2022, "当初予算", 10500, national=4000),
                budget_row(2022, "決算見込", 10200, national=4000), budget_row(2023, "当初予算", 11000, national=4000)):
        set_budget(r4[0], row)
    kept, renamed, revised, vanished = r4
    r5 = [next_edition(t, random.Random(i)) for i, t in enumerate((kept, renamed, revised))]
    for row in (budget_row(2022, "決算", 10300, national=3000), budget_row(2023, "当初予算", 11500, national=4000),
                budget_row(2023, "決算見込", 11300, national=4000), budget_row(2024, "当初予算", 12000, national=4000)):
        set_budget(r5[0], row)
    set_code(r5[1], CHANGED_CODE)
    cell = next(e for e in r5[2].indicators if e["level"] == "施策" and e["fiscal_year"] == 2022 and e["value"] is not None)
    before = cell["value"]
    set_indicator(r5[2], "施策", cell["indicator_no"], 2022, "実績", before + 7)
    new = make_sheet_truth(random.Random(99), 2023, {t.project_code for t in r4} | {CHANGED_CODE})
    r5.append(new)
    facts = {
        "renamed": renamed.project_code, "revised_project": revised.project_code, "vanished": vanished.project_code,
        "new": new.project_code, "indicator": (cell["level"], cell["indicator_name"], before, before + 7),
    }
    return r4, r5, facts


def run_inbox(inbox: Path, db: Path) -> str:
    """One pass over the inbox: `hyoka serve --once`, as a user without a Prefect server runs it
    (the report is checked on its own below)."""
    from hyoka.cli import app

    result = CliRunner().invoke(app, ["serve", "--once", "--inbox", str(inbox), "--db", str(db), "--no-report",
                                      "--runner", "thread"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


def summary_counts(output: str) -> dict[str, int]:
    """The CLI's closing summary table as {row: count}."""
    found = (re.match(r"^\s+(\S.*?)\s{2,}(\d+)\s*$", line) for line in output.splitlines())
    return {m.group(1): int(m.group(2)) for m in found if m}


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("editions")
    made, inbox, db = folder / "made", folder / "inbox", folder / "warehouse.duckdb"
    made.mkdir()
    inbox.mkdir()
    r4, r5, facts = sheet_editions()
    render_book(r4, made / "sheets_R4.pdf", style_seed=21)
    render_book(r5, made / "sheets_R5.pdf", style_seed=22)
    (made / "kpi_R4.pdf").write_bytes(kpi_list(4))
    (made / "kpi_R5.pdf").write_bytes(kpi_list(5))
    (made / "kpi_R5_corrected.pdf").write_bytes(kpi_list(5, fy2023_registrations="141"))
    docs = {path.stem: sha256_hex(path.read_bytes()) for path in made.glob("*.pdf")}

    for edition in ("R4", "R5"):  # one edition after the other, each loaded once it is in the inbox
        names = (f"sheets_{edition}.pdf", f"kpi_{edition}.pdf")
        for name in names:
            shutil.copy(made / name, inbox / name)
        build_warehouse([inbox / name for name in names], db)
    before_correction = {
        "status": fetch(db, "SELECT status FROM documents WHERE document_id = ?", [docs["kpi_R5"]])[0][0],
        "fy2023": fetch(db, "SELECT value FROM kpi_history WHERE kpi_name = ? AND slot = '実績値' AND ref_fiscal_year = 2023",
                        [REVISED_KPI]),
    }
    from hyoka.cli import app

    changes = CliRunner().invoke(app, ["changes", "--from", "2022", "--to", "2023", "--format", "json", "--db", str(db)])
    # the city re-issues the R5 KPI list with a correction: a pass of `serve --once` over the inbox
    shutil.copy(made / "kpi_R5_corrected.pdf", inbox / "kpi_R5_corrected.pdf")
    correction_pass = summary_counts(run_inbox(inbox, db))
    return {"db": db, "inbox": inbox, "made": made, "docs": docs, "r4": r4, "r5": r5, "facts": facts,
            "before_correction": before_correction, "changes": changes, "correction_pass": correction_pass}


# ---- documents and superseding -------------------------------------------------------


def test_every_edition_is_kept(editions) -> None:  # type: ignore[no-untyped-def]
    db, docs = editions["db"], editions["docs"]
    rows = {r["document_id"]: r for r in fetch_dicts(db, "SELECT * FROM documents")}
    assert set(rows) == set(docs.values())
    expected = {"sheets_R4": (2022, "loaded"), "kpi_R4": (2022, "loaded"), "sheets_R5": (2023, "loaded"),
                "kpi_R5": (2023, "superseded"), "kpi_R5_corrected": (2023, "loaded")}
    for name, (year, status) in expected.items():
        row = rows[docs[name]]
        assert (row["results_fiscal_year"], row["status"], row["error_count"]) == (year, status, 0), name


def test_corrected_reissue_supersedes_and_views_use_it(editions) -> None:  # type: ignore[no-untyped-def]
    db, docs = editions["db"], editions["docs"]
    assert editions["before_correction"] == {"status": "loaded", "fy2023": [(140.0,)]}
    # the pass over the inbox read the new file only
    counts = editions["correction_pass"]
    assert (counts["documents"], counts["parsed (read from the file)"], counts["unchanged (already loaded)"]) == (5, 1, 4), counts
    # the superseded list keeps its rows …
    assert fetch(db, "SELECT count(*) FROM strategy_kpi_values WHERE document_id = ?", [docs["kpi_R5"]])[0][0] > 0
    # … and no view uses them
    (row,) = fetch_dicts(db, "SELECT * FROM kpi_history WHERE kpi_name = ? AND slot = '実績値' AND ref_fiscal_year = 2023",
                         [REVISED_KPI])
    assert (row["value"], row["edition_count"], row["revised"]) == (141.0, 1, False)
    assert row["newest_document_id"] == docs["kpi_R5_corrected"]
    for view in ("kpi_history", "project_budget_history", "project_indicator_history"):
        assert fetch(db, f"SELECT count(*) FROM {view} WHERE newest_document_id = ?", [docs["kpi_R5"]]) == [(0,)]
    assert fetch(db, "SELECT count(*) FROM project_identity WHERE document_id = ?", [docs["kpi_R5"]]) == [(0,)]


def test_superseded_file_again_stays_superseded(editions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, docs = editions["db"], editions["docs"]
    summary = run_ingest([str(editions["made"] / "kpi_R5.pdf")], IngestSettings(db=str(db), runner="thread", report=False))
    assert [o.status for o in summary.outcomes] == ["unchanged"]
    assert fetch(db, "SELECT status FROM documents WHERE document_id = ?", [docs["kpi_R5"]]) == [("superseded",)]
    assert fetch(db, "SELECT status FROM documents WHERE document_id = ?", [docs["kpi_R5_corrected"]]) == [("loaded",)]


def test_supersede_rule_for_sheets() -> None:
    """A sheet document is superseded by a later one of the same edition holding all its project codes."""
    from hyoka.warehouse import editions as ed
    from hyoka.warehouse import store

    con = store.connect(":memory:")

    def load(doc_id: str, codes: list[str], year: int = 2022) -> list[str]:
        document = {"document_id": doc_id, "template": "asahikawa_jimujigyo_sheet", "municipality": "旭川市",
                    "results_fiscal_year": year, "doc_type": "jimujigyo_sheet"}
        store.load_document(con, document, {"projects": [{"project_code": c, "project_name": c} for c in codes]})
        return ed.after_load(con, doc_id)

    assert load("a" * 64, ["1", "2"]) == []
    assert load("b" * 64, ["1"]) == []  # a part of the book does not replace the book
    assert load("c" * 64, ["1", "2", "3"]) == ["a" * 64, "b" * 64]  # a corrected, fuller book does
    assert load("d" * 64, ["1", "2", "3"], year=2023) == []  # the next edition supersedes nothing
    status = dict(con.execute("SELECT document_id, status FROM documents").fetchall())
    assert [status[c * 64] for c in "abcd"] == ["superseded", "superseded", "loaded", "loaded"]
    con.close()


def test_warnings_naming_a_superseded_file_are_checked_again() -> None:
    """A sheet warned against a KPI list; the corrected list agrees with the sheet: the warning goes."""
    from hyoka.warehouse import crosscheck
    from hyoka.warehouse import editions as ed
    from hyoka.warehouse import store

    con = store.connect(":memory:")
    sheet, wrong, right = "s" * 64, "k" * 64, "r" * 64
    store.load_document(con, {"document_id": sheet, "municipality": "旭川市", "template": "asahikawa_jimujigyo_sheet",
                              "results_fiscal_year": 2021}, {
        "projects": [{"project_code": "121101"}],
        "project_indicators": [{"project_code": "121101", "level": "施策", "indicator_name": "企業立地件数",
                                "fiscal_year": 2021, "kind": "実績", "value": 6.0, "value_text": "6", "page": 2}],
    })

    def kpi_list(doc: str, value: float) -> None:
        store.load_document(con, {"document_id": doc, "municipality": "旭川市", "template": "asahikawa_strategy_kpi_list",
                                  "title": TITLE, "results_fiscal_year": 2022}, {
            "strategy_kpis": [{"kpi_id": "g1-x", "kpi_name": "企業立地件数", "page": 1}],
            "strategy_kpi_values": [{"kpi_id": "g1-x", "slot": "実績値", "status": "value", "value": value,
                                     "value_text": f"{value:g}", "ref_fiscal_year_start": 2021,
                                     "ref_fiscal_year_end": 2021, "page": 1}],
        })
        crosscheck.record_cross_document_issues(con, doc)

    kpi_list(wrong, 7.0)
    assert crosscheck.record_cross_document_issues(con, sheet) == 1
    kpi_list(right, 6.0)
    assert ed.after_load(con, right) == [wrong]
    assert con.execute("SELECT count(*) FROM validation_issues WHERE document_id = ?", [sheet]).fetchone() == (0,)
    assert con.execute("SELECT status FROM documents WHERE document_id = ?", [sheet]).fetchone() == ("loaded",)
    con.close()


# ---- history views ----------------------------------------------------------------------


def expected_budgets(editions: dict[str, Any]) -> dict[tuple[str, int, str], list[dict[str, Any]]]:
    """(project key, year, stage) → the truths' rows, oldest edition first (the key is the R4 code)."""
    key_of = {editions["facts"]["renamed"]: editions["facts"]["renamed"], CHANGED_CODE: editions["facts"]["renamed"]}
    out: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for truths in (editions["r4"], editions["r5"]):
        for t in truths:
            for b in t.budgets:
                key = key_of.get(t.project_code, t.project_code)
                out.setdefault((key, b["fiscal_year"], b["stage"]), []).append(b)
    return out


def test_budget_history_takes_the_newest_edition(editions) -> None:  # type: ignore[no-untyped-def]
    db = editions["db"]
    rows = {(r["project_key"], r["fiscal_year"], r["stage"]): r for r in fetch_dicts(db, "SELECT * FROM project_budget_history")}
    expected = expected_budgets(editions)
    assert set(rows) == set(expected)
    for key, printed in expected.items():
        row = rows[key]
        for column in BUDGET_COLUMNS:
            assert row[column] == printed[-1][column], (key, column)
        assert row["edition_count"] == len(printed), key
        differs = any(p[c] != printed[0][c] for p in printed for c in BUDGET_COLUMNS)
        assert row["revised"] == differs, key
    assert sum(r["revised"] for r in rows.values()) == 1


def test_initial_budget_printed_in_both_editions_is_revised(editions) -> None:  # type: ignore[no-untyped-def]
    db, docs = editions["db"], editions["docs"]
    (row,) = fetch_dicts(db, "SELECT * FROM project_budget_history WHERE project_code = ? AND fiscal_year = 2023 "
                             "AND stage = '当初予算'", [PROJECT])
    assert (row["total_cost"], row["general_revenue"], row["edition_count"], row["revised"]) == (11500, 7500, 2, True)
    assert row["total_cost_reported"] == [11000, 11500]
    assert row["revised_columns"] == ["total_cost", "general_revenue"]
    assert (row["first_edition_fiscal_year"], row["newest_edition_fiscal_year"]) == (2022, 2023)
    assert row["newest_document_id"] == docs["sheets_R5"]
    (older,) = fetch_dicts(db, "SELECT * FROM project_budget_history WHERE project_code = ? AND fiscal_year = 2021", [PROJECT])
    assert (older["stage"], older["total_cost"], older["edition_count"], older["newest_edition_fiscal_year"]) == ("決算", 10000, 1, 2022)


def test_indicator_history(editions) -> None:  # type: ignore[no-untyped-def]
    db, facts = editions["db"], editions["facts"]
    level, name, before, after = facts["indicator"]
    revised = fetch_dicts(db, "SELECT * FROM project_indicator_history WHERE revised")
    assert len(revised) == 1
    (row,) = revised
    assert (row["project_key"], row["level"], row["indicator_name"], row["fiscal_year"], row["kind"]) == (
        facts["revised_project"], level, name, 2022, "実績")
    assert (row["value"], row["values_reported"], row["edition_count"]) == (after, [before, after], 2)
    # a carried-over target is printed by both editions, and agrees
    targets = fetch(db, "SELECT edition_count, revised FROM project_indicator_history WHERE project_key = ? AND kind = '目標'",
                    [facts["revised_project"]])
    assert targets and all(t == (2, False) for t in targets)


def test_kpi_history(editions) -> None:  # type: ignore[no-untyped-def]
    db = editions["db"]

    def cell(name: str, year: int) -> dict[str, Any]:
        (row,) = fetch_dicts(db, "SELECT * FROM kpi_history WHERE kpi_name = ? AND slot = '実績値' AND ref_fiscal_year = ?",
                             [name, year])
        return row

    revised = cell(REVISED_KPI, 2022)
    assert (revised["value"], revised["revised"], revised["values_reported"], revised["edition_count"]) == (136, True, [134, 136], 2)
    pending = cell(PENDING_KPI, 2022)  # 未集計 is not a value: one edition reports it
    assert (pending["value"], pending["revised"], pending["edition_count"]) == (2950, False, 1)
    assert fetch(db, "SELECT count(*) FROM kpi_history WHERE revised") == [(1,)]


def test_project_identity(editions) -> None:  # type: ignore[no-untyped-def]
    db, facts = editions["db"], editions["facts"]
    rows = fetch_dicts(db, "SELECT * FROM project_identity ORDER BY project_key, results_fiscal_year")
    links = {(r["project_key"], r["results_fiscal_year"]): (r["project_code"], r["rule"]) for r in rows}
    assert links == {
        (PROJECT, 2022): (PROJECT, "code"), (PROJECT, 2023): (PROJECT, "code"),
        (facts["revised_project"], 2022): (facts["revised_project"], "code"),
        (facts["revised_project"], 2023): (facts["revised_project"], "code"),
        (facts["renamed"], 2022): (facts["renamed"], "code"),
        (facts["renamed"], 2023): (CHANGED_CODE, "name"),  # the code changed: linked by name and policy
        (facts["vanished"], 2022): (facts["vanished"], "code"),
        (facts["new"], 2023): (facts["new"], "code"),
    }
    # the renamed project's history runs through the change of code
    (row,) = fetch_dicts(db, "SELECT * FROM project_budget_history WHERE project_key = ? AND fiscal_year = 2023 "
                             "AND stage = '当初予算'", [facts["renamed"]])
    assert (row["project_code"], row["edition_count"], row["revised"]) == (CHANGED_CODE, 2, False)


# ---- hyoka changes -----------------------------------------------------------------------


def test_changes_json(editions) -> None:  # type: ignore[no-untyped-def]
    run, facts = editions["changes"], editions["facts"]
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert (data["from"], data["to"]) == (2022, 2023)
    assert [p["project_code"] for p in data["new_projects"]] == [facts["new"]]
    assert [p["project_code"] for p in data["vanished_projects"]] == [facts["vanished"]]

    budget = {(b["project_key"], b["fiscal_year"], b["stage"]): b for b in data["budget_changes"]}
    revised = [b for b in data["budget_changes"] if b["change"] == "revised"]
    assert [(b["project_code"], b["fiscal_year"], b["stage"]) for b in revised] == [(PROJECT, 2023, "当初予算")]
    assert (revised[0]["from_total_cost"], revised[0]["to_total_cost"], revised[0]["difference"]) == (11000, 11500, 500)
    assert revised[0]["changed_columns"] == ["total_cost", "general_revenue"]
    for key in (facts["renamed"], facts["revised_project"], PROJECT):  # the R5 edition's own rows
        assert {(y, s) for k, y, s in budget if k == key} >= {(2022, "決算"), (2023, "決算見込"), (2024, "当初予算")}
        assert all(budget[k]["change"] == "new" for k in budget if k[0] == key and k[1:] != (2023, "当初予算"))
    assert budget[(facts["renamed"], 2022, "決算")]["project_code"] == CHANGED_CODE

    level, name, before, after = facts["indicator"]
    values = {(v["source"], v["name"], v["fiscal_year"]): v for v in data["revised_values"]}
    assert set(values) == {("kpi", REVISED_KPI, 2022), ("indicator", name, 2022)}
    assert (values[("kpi", REVISED_KPI, 2022)]["from_value"], values[("kpi", REVISED_KPI, 2022)]["to_value"]) == (134, 136)
    indicator = values[("indicator", name, 2022)]
    assert (indicator["from_value"], indicator["to_value"], indicator["level"]) == (before, after, level)
    assert indicator["project_code"] == facts["revised_project"]

    (pending,) = [p for p in data["pending_to_number"] if p["source"] == "kpi"]
    assert (pending["name"], pending["kind"], pending["fiscal_year"], pending["to_value"]) == (PENDING_KPI, "実績値", 2022, 2950)
    assert pending["from_text"].startswith("未集計")
    assert [k["kpi_name"] for k in data["new_kpis"]] == [NEW_KPI]


def test_changes_other_formats_and_a_missing_year(editions) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hyoka.cli import app

    db = str(editions["db"])
    runner = CliRunner()
    table = runner.invoke(app, ["changes", "--from", "2022", "--to", "2023", "--db", db], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    for text in ("New projects: 1", "Vanished projects: 1", "Revised values: 2", "New KPIs: 1", NEW_KPI, "11,500"):
        assert text in table.output, text
    as_csv = runner.invoke(app, ["changes", "--from", "2022", "--to", "2023", "--db", db, "--format", "csv"])
    assert as_csv.exit_code == 0
    sections = {row["section"] for row in csv.DictReader(io.StringIO(as_csv.output))}
    assert sections == {"new_projects", "vanished_projects", "budget_changes", "revised_values", "pending_to_number", "new_kpis"}
    missing = runner.invoke(app, ["changes", "--from", "2021", "--to", "2023", "--db", db])
    assert missing.exit_code == 1
    assert "no edition with results fiscal year 2021" in missing.output and "2022" in missing.output


# ---- export, queries, report -----------------------------------------------------------


def test_export_parquet(editions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hyoka.cli import app
    from hyoka.warehouse.export import relations

    out = tmp_path / "export"
    result = CliRunner().invoke(app, ["export", "--parquet", str(out), "--db", str(editions["db"])])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "_manifest.json").read_text(encoding="utf-8"))
    exported = {r["name"]: r for r in manifest["relations"]}
    assert set(exported) == {name for name, _kind in relations()}
    assert exported["project_budgets"]["sorted_by"] == "fiscal_year"
    assert exported["kpi_history"]["sorted_by"] == "ref_fiscal_year"
    assert exported["projects"]["sorted_by"] is None
    con = duckdb.connect(str(editions["db"]), read_only=True)
    try:
        for name, entry in exported.items():
            rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            assert entry["rows"] == rows, name
            assert con.execute(f"SELECT count(*) FROM read_parquet('{out / entry['path']}/*.parquet')").fetchone()[0] == rows
        history = con.execute(
            f"SELECT total_cost FROM read_parquet('{out}/project_budget_history/*.parquet') "
            "WHERE project_code = ? AND fiscal_year = 2023 AND stage = '当初予算'", [PROJECT]).fetchall()
        assert history == [(11500,)]
    finally:
        con.close()


def sql_examples() -> list[str]:
    text = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    return [s.strip() for block in blocks for s in block.split(";") if s.strip()]


def test_docs_queries_run_and_return_rows(editions) -> None:  # type: ignore[no-untyped-def]
    statements = sql_examples()
    assert len(statements) >= 6
    con = duckdb.connect(str(editions["db"]), read_only=True)
    try:
        for statement in statements:
            assert con.execute(statement).fetchall(), statement
    finally:
        con.close()


def test_docs_queries_answer_the_questions(editions) -> None:  # type: ignore[no-untyped-def]
    by_topic = {s.split("\n")[0]: s for s in sql_examples()}
    con = duckdb.connect(str(editions["db"]), read_only=True)
    try:
        def run(prefix: str) -> list[tuple]:
            (statement,) = [s for first, s in by_topic.items() if first.startswith(prefix)]
            return con.execute(statement).fetchall()

        budget = run("SELECT fiscal_year, stage, total_cost")
        assert (2023, "当初予算", 11500, 7500, 2, True, [11000, 11500]) in budget
        behind = {r[1] for r in run("WITH actual AS")}
        assert BEHIND_KPI in behind and PENDING_KPI not in behind
        rose = {(r[1], r[3], r[4]) for r in run("WITH shares AS")}
        assert (PROJECT, 2021, 2022) in rose  # 一般財源 60% of 決算 in FY2021, 70.9% in FY2022
    finally:
        con.close()


def test_report_has_a_changes_section(editions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from hyoka.report import write_report

    paths = write_report(editions["db"], tmp_path / "report", max_project_plots=1)
    page = paths.html.read_text(encoding="utf-8")
    assert 'id="changes"' in page and 'data-from="2022" data-to="2023"' in page
    for section in ("new_projects", "vanished_projects", "budget_changes", "revised_values", "pending_to_number", "new_kpis"):
        assert f'data-section="{section}"' in page, section
    assert "superseded" in page  # the replaced KPI list is listed with its status


def test_two_projects_of_one_name_in_one_edition_are_never_linked_by_name() -> None:
    """池田 publishes one PDF per sheet: two sheets of one year may carry one name in one department
    with different codes. They are two projects; a third year's lone namesake is not linked either."""
    from hyoka.warehouse import store

    con = duckdb.connect()
    store.ensure_schema(con)
    documents = [("a", 2023, "101"), ("b", 2023, "202"), ("c", 2024, "303"), ("d", 2023, "404"), ("e", 2024, "505")]
    for document_id, year, code in documents:
        con.execute("INSERT INTO documents (document_id, municipality, doc_type, results_fiscal_year, status, ingested_at) "
                    "VALUES (?, '池田市', 'jimujigyo_sheet', ?, 'loaded', now())", [document_id, year])
        name = "防犯灯設置事業" if document_id in "abc" else "道路維持事業"  # d, e: one per edition, code changed
        con.execute("INSERT INTO projects (document_id, project_code, project_name, department, policy_code, first_page, last_page) "
                    "VALUES (?, ?, ?, '総務課', '1-1', 1, 1)", [document_id, code, name])
    rows = con.execute("SELECT project_code, project_key, rule FROM project_identity ORDER BY project_code").fetchall()
    assert rows == [("101", "101", "code"), ("202", "202", "code"), ("303", "303", "code"),
                    ("404", "404", "code"), ("505", "404", "name")]  # a lone namesake per edition is still followed
