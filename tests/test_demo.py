"""`make demo`: the demo's inputs, loaded as the Makefile loads them, show editions.

The warehouse is built from exactly the files the Makefile's `demo` target ingests (no
Prefect: the ingest's own stages). The generated editions in samples/editions/ are
checked against `synth.demo_editions`, which the `editions` target runs: what it says it
changed is what `hyoka changes`, the history views and the report show.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import KPI_LIST, ROOT, SHEET_REPORTLAB, fetch, fetch_dicts
from warehouse_builder import build_warehouse

MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def make_commands(target: str) -> list[list[str]]:
    """The `hyoka` / `python` commands of a Makefile target, as argument lists ($(BIN) and $(DEMO_DB) filled in, VAR=value kept)."""
    body = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M)
    assert body, target
    commands = []
    for line in body.group(1).splitlines():
        line = line.strip()
        if re.match(r"(\w+=\S+ )*\$\(BIN\)/", line):  # optionally after VAR=value
            commands.append(shlex.split(line.replace("$(BIN)/", "").replace("$(DEMO_DB)", "DEMO_DB")))
    return commands


def demo_inputs() -> list[Path]:
    (ingest,) = [c for c in make_commands("demo") if c[:2] == ["hyoka", "ingest"]]
    paths: list[Path] = []
    for arg in ingest[2:]:
        if arg.startswith("--"):
            break
        paths += sorted(ROOT.glob(arg)) if "*" in arg else [ROOT / arg]
    return paths


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(demo_inputs(), tmp_path_factory.mktemp("demo") / "demo.duckdb")


@pytest.fixture(scope="module")
def generated() -> Any:
    """What the Makefile's `editions` target generates (content and the facts of what it changed)."""
    from synth.demo_editions import build

    (command,) = make_commands("editions")
    assert command[:4] == ["PYTHONPATH=tests", "python", "-m", "synth.demo_editions"], command
    sheet, kpi_list, out = command[4:7]
    return build((ROOT / sheet).read_bytes(), (ROOT / kpi_list).read_bytes()), ROOT / out


def test_the_demo_holds_editions_and_nothing_failed(demo: Path) -> None:
    rows = fetch(demo, "SELECT doc_type, results_fiscal_year, status, count(*) FROM documents "
                       "WHERE municipality = '旭川市' GROUP BY ALL ORDER BY ALL")
    assert rows == [
        ("jimujigyo_sheet", 2021, "loaded_with_issues", 1),  # the sample's page 2 differs from page 1 (warnings)
        ("jimujigyo_sheet", 2021, "superseded", 1),  # the same sample drawn twice: the later copy wins
        ("jimujigyo_sheet", 2022, "loaded", 1),
        ("jimujigyo_sheet", 2023, "loaded", 1),
        ("strategy_kpi_list", 2022, "loaded", 1),
        ("strategy_kpi_list", 2023, "loaded", 1),
    ]
    assert fetch(demo, "SELECT count(*) FROM documents WHERE status = 'failed'") == [(0,)]
    # the other cities (issues 13 and 15): every file loads with its template, nothing flagged
    assert fetch(demo, "SELECT municipality, template, status, count(*) FROM documents "
                       "WHERE municipality <> '旭川市' GROUP BY ALL ORDER BY ALL") == [
        ("京都市", "kyoto_shinki_jujitsu_sheet", "loaded", 4),
        ("大船渡市", "ofunato_jimujigyo_export", "loaded", 1),
        ("池田市", "ikeda_mokuhyo_sheet", "loaded", 16),
        ("神戸市", "kobe_jimujigyo_sheet", "loaded", 8)]
    # the generated editions agree with each other and with the KPI lists: no issue at all
    assert fetch(demo, "SELECT count(*) FROM current_validation_issues v JOIN documents d USING (document_id) "
                       "WHERE d.file_name LIKE '%R5%' OR d.file_name LIKE '%R6%'") == [(0,)]


def sql_statements(path: Path) -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    return [s.strip() for block in blocks for s in block.split(";") if s.strip()]


@pytest.mark.parametrize("document", ["docs/queries.md", "README.md"])
def test_every_documented_query_returns_rows_on_the_demo(demo: Path, document: str) -> None:
    statements = sql_statements(ROOT / document)
    assert len(statements) >= 4
    con = duckdb.connect(str(demo), read_only=True)
    try:
        empty = [s.splitlines()[0] for s in statements if not con.execute(s).fetchall()]
    finally:
        con.close()
    assert empty == []


def test_the_makefile_queries_return_rows(demo: Path) -> None:
    queries = [c[2] for c in make_commands("demo") if c[:2] == ["hyoka", "sql"]]
    assert len(queries) >= 3
    for query in queries:
        assert fetch(demo, query), query


def test_generated_files_are_what_the_generator_makes(generated: Any, tmp_path: Path) -> None:
    """The committed PDFs hold what `make editions` draws (compared as read, not byte for byte:
    another reportlab may lay the same content out a little differently)."""
    from hyoka.extractors.registry import extract_pdf
    from synth.demo_editions import write

    editions, out = generated
    (command,) = make_commands("editions")
    fresh = write(ROOT / command[4], ROOT / command[5], tmp_path)
    assert sorted(p.name for p in fresh) == sorted(p.name for p in out.glob("*.pdf"))

    def content(data: bytes) -> dict[str, list[dict]]:
        x = extract_pdf(data)
        return {t: [{k: v for k, v in r.as_row().items() if k != "bbox"} for r in rows] for t, rows in x.tables.items()}

    for path in fresh:
        committed = (out / path.name).read_bytes()
        if committed != path.read_bytes():
            assert content(committed) == content(path.read_bytes()), path.name
    assert (out / fresh[-1].name).read_bytes() == editions.kpi_pdf or content(editions.kpi_pdf) == content(fresh[-1].read_bytes())


def test_changes_between_the_demo_editions(demo: Path, generated: Any) -> None:
    from hyoka.cli import app

    facts = generated[0].facts
    result = CliRunner().invoke(app, ["changes", "--from", "2022", "--to", "2023", "--format", "json", "--db", str(demo)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["project_code"] for p in data["new_projects"]] == [facts["new"]]
    assert [p["project_code"] for p in data["vanished_projects"]] == [facts["vanished"]]
    revised = [(b["project_code"], b["fiscal_year"], b["stage"], b["to_total_cost"])
               for b in data["budget_changes"] if b["change"] == "revised"]
    assert revised == [tuple(facts["revised_budgets"][1])]
    renamed_rows = {b["project_code"] for b in data["budget_changes"]}
    assert facts["renamed"][1] in renamed_rows  # followed by name across the change of code
    values = {(v["source"], v["name"], v["fiscal_year"]): v["to_value"] for v in data["revised_values"]}
    kpi_name, _before, after = facts["kpi"]["revised"]
    code, indicator, year, value = facts["revised_indicator"]
    assert values == {("kpi", kpi_name, year - 1): float(after.replace(",", "")), ("indicator", indicator, year): value}
    pending = {p["name"] for p in data["pending_to_number"]}
    assert pending and pending <= {name for name, _was, _now in facts["kpi"]["to_number"]}
    assert [k["kpi_name"] for k in data["new_kpis"]] == [facts["kpi"]["new_kpi"]]


def test_history_views_follow_the_sample_project(demo: Path, generated: Any) -> None:
    facts = generated[0].facts
    (code,) = facts["sample_projects"]
    history = {(r["fiscal_year"], r["stage"]): r for r in fetch_dicts(
        demo, "SELECT * FROM project_budget_history WHERE project_code = ?", [code])}
    for _code, year, stage, total in facts["revised_budgets"]:
        row = history[(year, stage)]
        assert (row["total_cost"], row["edition_count"], row["revised"]) == (total, 2, True)
        assert row["total_cost_reported"][-1] == total
    editions = fetch(demo, "SELECT DISTINCT results_fiscal_year FROM project_identity WHERE project_key = ? ORDER BY 1", [code])
    assert editions == [(2021,), (2022,), (2023,)]
    old, new = facts["renamed"]
    assert fetch(demo, "SELECT results_fiscal_year, project_code, rule FROM project_identity WHERE project_key = ? "
                       "ORDER BY 1", [old]) == [(2022, old, "code"), (2023, new, "name")]
    assert fetch(demo, "SELECT count(*) FROM kpi_history WHERE revised") == [(1,)]


def test_report_shows_the_editions(demo: Path, tmp_path: Path) -> None:
    from hyoka.report import write_report

    page = write_report(demo, tmp_path / "report", max_project_plots=1).html.read_text(encoding="utf-8")
    assert 'id="changes"' in page and 'data-from="2022" data-to="2023"' in page  # the two newest editions
    section = page[page.index('id="changes"'):]
    for shown in ('data-section="new_projects"', 'data-section="revised_values"', 'data-section="new_kpis"'):
        assert shown in section, shown


def _cells(extraction: Any, table: str, columns: tuple[str, ...]) -> set[tuple]:
    return {tuple(getattr(r, c) for c in columns) for r in extraction.rows(table)}


def test_the_samples_read_back_as_the_generators_input(tmp_path: Path) -> None:
    """An extracted sample, drawn again by the generators, reads back the same: so the next
    editions carry the samples' real content, not an approximation."""
    from hyoka.extractors.registry import extract_pdf
    from synth.editions import kpi_list_from_extraction, truths_from_extraction
    from synth.sheets import render_book

    kpis = extract_pdf(KPI_LIST.read_bytes())
    again = extract_pdf(kpi_list_from_extraction(kpis).pdf())
    assert again.issues == [] and again.title == kpis.title and again.results_fiscal_year == kpis.results_fiscal_year
    for table, columns in (("strategy_kpis", ("kpi_id", "kpi_name", "kpi_remark", "item_title", "sub_item_title", "unit",
                                              "department", "is_placeholder")),
                           ("strategy_kpi_values", ("kpi_id", "column_label", "value_text", "value", "status",
                                                    "ref_fiscal_year_start", "ref_fiscal_year_end", "aggregation"))):
        assert _cells(again, table, columns) == _cells(kpis, table, columns), table

    sheet = extract_pdf(SHEET_REPORTLAB.read_bytes())
    path = tmp_path / "again.pdf"
    render_book(truths_from_extraction(sheet), path)
    drawn = extract_pdf(path.read_bytes())
    assert drawn.results_fiscal_year == sheet.results_fiscal_year
    for table, columns in (("project_budgets", ("project_code", "fiscal_year", "stage", "total_cost", "general_revenue")),
                           ("project_indicators", ("level", "indicator_name", "fiscal_year", "kind", "value")),
                           ("projects", ("project_code", "project_name", "policy_code", "start_fiscal_year"))):
        assert _cells(drawn, table, columns) == _cells(sheet, table, columns), table
