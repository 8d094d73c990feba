"""Spreadsheet exports (大船渡市): the reader, the template file, and what a row becomes.

The excerpt `samples/real/ofunato/report_excerpt.xlsx` is the real export's header and four
of its projects (`tools/ofunato_excerpt.py`). Copies with moved and added columns are
written here with openpyxl.
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.records import (
    BudgetRecord, BudgetSourceRecord, EvaluationRecord, IndicatorRecord, PageRecord, ProjectRecord, StaffingRecord,
)
from hyoka.extractors.sheet_extract import SHEET_TEMPLATE_DIR, extract_spreadsheet, load_sheet_template
from hyoka.extractors.sheet_template import SheetTemplateSpec
from hyoka.extractors.spreadsheet import column_letter
from hyoka.extractors.template_loader import TemplateFileError, parse_spec
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings, IngestSummary
from hyoka.normalize import normalize_label

ROOT = Path(__file__).resolve().parents[1]
EXCERPT = ROOT / "samples" / "real" / "ofunato" / "report_excerpt.xlsx"
TEMPLATE = SHEET_TEMPLATE_DIR / "ofunato_jimujigyo_export.toml"


def sheet_rows(data: bytes) -> list[list[object]]:
    """The excerpt's cells, row by row, as openpyxl reads them."""
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def write_rows(rows: list[list[object]], title: str = "データ集計マクロ用シート") -> bytes:
    """A workbook of one sheet holding these rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def header_index(rows: list[list[object]]) -> int:
    """The row holding 事務事業ID (the test finds it by label, too)."""
    return next(i for i, row in enumerate(rows) if any(normalize_label(str(c or "")) == "事務事業id" for c in row))


def reordered(rows: list[list[object]]) -> list[list[object]]:
    """Columns sorted by their header label (a repeated label's columns keep their order), and a new first column."""
    header = rows[header_index(rows)]
    order = sorted(range(len(header)), key=lambda i: normalize_label(str(header[i] or "")))
    moved = [[row[i] if i < len(row) else None for i in order] for row in rows]
    return [["備考（追加列）" if i == header_index(rows) else f"extra {i}"] + row for i, row in enumerate(moved)]


def records_without_pages(data: bytes) -> dict[str, list[dict[str, object]]]:
    """Every record of the extraction as a row, except the pages table (whose header note names column letters)."""
    extraction = extract_spreadsheet(data)
    return {table: [record.as_row() | {"raw": record.raw} for record in records]
            for table, records in extraction.tables.items() if table != "pages"}


def test_a_row_becomes_a_project_with_its_budgets_staff_indicators_and_evaluations() -> None:
    extraction = extract_spreadsheet(EXCERPT.read_bytes())
    projects = extraction.rows(ProjectRecord)
    assert extraction.municipality == "大船渡市" and extraction.template == "ofunato_jimujigyo_export"
    assert len(projects) == 4 and all(p.project_code.isdigit() and p.project_name for p in projects)
    first = projects[0]
    budgets = [b for b in extraction.rows(BudgetRecord) if b.project_code == first.project_code]
    # six year blocks, 令和2..6 決算 and the export's own year's 当初予算, one year apart
    assert [b.fiscal_year for b in budgets] == list(range(budgets[0].fiscal_year or 0, (budgets[0].fiscal_year or 0) + 6))
    assert [b.stage for b in budgets] == ["決算"] * 5 + ["当初予算"]
    assert extraction.results_fiscal_year == budgets[4].fiscal_year
    # every figure is the cell's: the raw text is kept, and the sources add up to 事業費計
    for budget in budgets:
        assert budget.total_cost == float(budget.raw["total_cost"])
        parts = [budget.national, budget.prefecture, budget.municipal_bonds, budget.other, budget.general_revenue]
        assert sum(p or 0 for p in parts) == budget.total_cost
    sources = [s for s in extraction.rows(BudgetSourceRecord) if s.project_code == first.project_code]
    assert {s.source for s in sources} == {"国", "都道府県", "市債", "その他", "一般財源"} and len(sources) == 30
    staffing = [s for s in extraction.rows(StaffingRecord) if s.project_code == first.project_code]
    assert len(staffing) == 6 and all(s.regular_staff is not None for s in staffing)
    indicators = [i for i in extraction.rows(IndicatorRecord) if i.project_code == first.project_code]
    assert indicators and all(i.indicator_name and i.unit for i in indicators)
    assert {i.kind for i in indicators} == {"実績", "目標"}
    evaluations = [e for e in extraction.rows(EvaluationRecord) if e.project_code == first.project_code]
    assert {e.evaluator for e in evaluations} == {"1次", "課長等"} and all(e.direction_rating for e in evaluations)
    # provenance: the page is the sheet's row, and the header's pages row names sheet and columns
    assert first.page == first.first_page and first.page > 2
    header = next(p for p in extraction.rows(PageRecord) if p.page_role == "sheet_header")
    assert "データ集計マクロ用シート" in (header.note or "")


def test_the_exports_own_columns_are_kept_as_extra_fields_and_total_cost_adds_up() -> None:
    """延べ業務時間, 人件費計 and トータルコスト fit no shared table: each year's is an extra field, under the
    block's heading; and each year's トータルコスト is its 事業費計 + 人件費計, as the export says."""
    extraction = extract_spreadsheet(EXCERPT.read_bytes())
    extras = {(r.project_code, r.label): r.value_text for r in extraction.rows("project_extra_fields")}
    budgets = {(b.project_code, b.label): b.total_cost for b in extraction.rows(BudgetRecord)}
    checked = 0
    for (code, label), cost in budgets.items():
        staff, total = extras.get((code, f"人件費計 {label}")), extras.get((code, f"トータルコスト {label}"))
        if cost is None or staff is None or total is None:
            continue
        assert float(total) == cost + float(staff), (code, label)
        checked += 1
    assert checked >= len(extraction.rows("projects")) * 5  # every project, nearly every year
    assert {label.split(" ")[0] for _, label in extras} >= {"延べ業務時間", "人件費計", "トータルコスト", "全体計画"}


def test_a_placeholder_source_stays_null_with_its_raw_text() -> None:
    extraction = extract_spreadsheet(EXCERPT.read_bytes())
    dashed = [s for s in extraction.rows(BudgetSourceRecord) if s.amount_text and s.amount is None]
    assert dashed and all(s.amount_text.strip() in {"-", "－"} for s in dashed if s.amount_text)


def test_moved_columns_and_an_extra_column_read_the_same() -> None:
    data = EXCERPT.read_bytes()
    rows = sheet_rows(data)
    copy = write_rows(reordered(rows))
    assert sheet_rows(copy)[header_index(rows)][:3] != rows[header_index(rows)][:3]  # really moved
    assert records_without_pages(copy) == records_without_pages(data)


def test_a_missing_year_block_is_not_read_from_another_column() -> None:
    rows = sheet_rows(EXCERPT.read_bytes())
    header = rows[header_index(rows)]
    last_total = max(i for i, label in enumerate(header) if normalize_label(str(label or "")) == normalize_label("事業費計（A）"))
    header[last_total] = "削除済"
    extraction = extract_spreadsheet(write_rows(rows))
    newest = max(extraction.rows(BudgetRecord), key=lambda b: b.fiscal_year or 0)
    assert newest.total_cost is None and newest.raw["total_cost"] == ""


def test_an_unknown_workbook_fails_with_one_line() -> None:
    with pytest.raises(DocumentError) as error:
        extract_spreadsheet(write_rows([["氏名", "住所"], ["山田", "大船渡"]], title="名簿"))
    line = str(error.value)
    assert line.startswith("unknown template") and "'名簿'" in line and "\n" not in line


def test_a_broken_workbook_fails_with_one_line() -> None:
    data = EXCERPT.read_bytes()
    with pytest.raises(DocumentError) as error:
        extract_spreadsheet(data[: len(data) // 2])
    line = str(error.value)
    assert line.startswith("unreadable spreadsheet") and "\n" not in line and "save it again" in line


def test_the_template_file_refuses_a_mistake_with_file_line_and_key(tmp_path: Path) -> None:
    text = TEMPLATE.read_text(encoding="utf-8").replace('{ source = "市債"', '{ source = "市債券"')
    broken = tmp_path / "broken.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateFileError) as error:
        load_sheet_template(broken)
    line = text.splitlines().index(next(li for li in text.splitlines() if "市債券" in li)) + 1
    assert str(error.value).startswith(f"{broken}:{line}: budget.sources[3].source: '市債券' is not a funding source")


def test_the_shipped_template_parses_and_a_column_may_be_its_label_alone() -> None:
    spec = parse_spec(SheetTemplateSpec, TEMPLATE.read_text(encoding="utf-8"), TEMPLATE)
    assert spec.rows.code.label == ("事務事業ID",) and spec.rows.code.match == "exact"
    assert len(spec.years) == 6


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 208)] == ["A", "Z", "AA", "HA"]


# ---- through the ingest: validate, load, editions ------------------------------------------


def ingest(paths: list[Path], db: Path) -> IngestSummary:
    """The CLI's run, in this process, without the report."""
    return run_ingest([str(p) for p in paths], IngestSettings(db=str(db), report=False, workers=1))


def test_ingest_loads_the_export_into_the_same_tables(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "report.xlsx").write_bytes(EXCERPT.read_bytes())
    summary = ingest([inbox], tmp_path / "w.duckdb")  # a folder: its .xlsx is picked up
    assert summary.loaded == 1 and summary.failed == 0
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        doc = con.execute("SELECT template, municipality, status, results_fiscal_year FROM documents").fetchone()
        assert doc is not None and doc[:2] == ("ofunato_jimujigyo_export", "大船渡市") and doc[2].startswith("loaded")
        counts = {table: con.execute(f"SELECT count(*) FROM current_{table}").fetchone()[0]  # type: ignore[index]
                  for table in ("projects", "project_budgets", "project_budget_sources", "project_staffing")}
        assert counts == {"projects": 4, "project_budgets": 24, "project_budget_sources": 120, "project_staffing": 24}
        # every budget row's sources add up, and six consecutive years are no misread years
        checks = {row[0] for row in con.execute("SELECT DISTINCT check_name FROM validation_issues").fetchall()}
        assert not checks & {"funding_sum", "budget_year_out_of_range"}
        history = con.execute("SELECT count(*) FROM project_budget_history WHERE municipality = '大船渡市'").fetchone()
        assert history is not None and history[0] == 24
    assert ingest([inbox / "report.xlsx"], tmp_path / "w.duckdb").count("unchanged") == 1


def test_a_row_whose_sources_do_not_add_up_is_flagged_on_its_row(tmp_path: Path) -> None:
    rows = sheet_rows(EXCERPT.read_bytes())
    header = header_index(rows)
    revenue = next(i for i, label in enumerate(rows[header]) if normalize_label(str(label or "")) == "一般財源")
    first = header + 1
    rows[first][revenue] = float(str(rows[first][revenue])) + 1  # type: ignore[arg-type]
    copy = tmp_path / "changed.xlsx"
    copy.write_bytes(write_rows(rows))
    ingest([copy], tmp_path / "w.duckdb")
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        flagged = con.execute("SELECT page, column_name, record_key FROM validation_issues WHERE check_name = 'funding_sum'").fetchall()
    assert [(page, column) for page, column, _ in flagged] == [(first + 1, "amount")]


def test_a_broken_export_fails_with_one_line_and_the_others_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(EXCERPT.read_bytes()[:5000])
    good = tmp_path / "report.xlsx"
    good.write_bytes(EXCERPT.read_bytes())
    summary = ingest([broken, good], tmp_path / "w.duckdb")
    assert summary.loaded == 1 and summary.failed == 1
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        error = con.execute("SELECT error FROM documents WHERE status = 'failed'").fetchone()
    assert error is not None and error[0].startswith("unreadable spreadsheet") and "\n" not in error[0]


def test_a_users_spreadsheet_template_is_listed_and_a_mistake_in_one_is_one_line(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`--templates DIR` reads spreadsheet templates from DIR/sheets/, beside hyoka's; `hyoka templates` says where."""
    from typer.testing import CliRunner

    from hyoka.cli import app
    from hyoka.extractors.template_loader import USER_TEMPLATES_ENV

    monkeypatch.setenv(USER_TEMPLATES_ENV, "")  # the command sets it: recorded, so that it is undone
    sheets = tmp_path / "mine" / "sheets"
    sheets.mkdir(parents=True)
    mine = sheets / "my_export.toml"
    mine.write_text(TEMPLATE.read_text(encoding="utf-8").replace('name = "ofunato_jimujigyo_export"', 'name = "my_export"'),
                    encoding="utf-8")
    listed = CliRunner().invoke(app, ["templates", "--templates", str(tmp_path / "mine")], env={"COLUMNS": "300"})
    assert listed.exit_code == 0, listed.output
    assert [line for line in listed.stdout.splitlines() if "my_export" in line and str(mine) in line]
    assert [line for line in listed.stdout.splitlines() if "ofunato_jimujigyo_export" in line and "hyoka: templates/sheets/" in line]
    mine.write_text(TEMPLATE.read_text(encoding="utf-8").replace('name = "ofunato_jimujigyo_export"', 'name = "my_export"')
                    .replace("[staffing]", "[staffin]"), encoding="utf-8")
    from hyoka.extractors import sheet_extract

    sheet_extract._sheet_templates.cache_clear()  # one command reads a folder once; this test runs two
    broken = CliRunner().invoke(app, ["templates", "--templates", str(tmp_path / "mine")])
    assert broken.exit_code == 2
    (line,) = [ln for ln in broken.stderr.splitlines() if ln.strip()]
    assert line.startswith(f"error: {mine}:") and "staffin" in line and "Traceback" not in broken.output
