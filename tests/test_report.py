"""The validation report (issue 4): planted errors of every check, each found exactly once,
on the right page, in `validation_issues`, `issues.csv` and `report.html`; none on a clean
book; on the samples only the real page-2 difference.

The planted book is drawn by `synth.sheets` from truths mutated on purpose; page 2 of one
sheet comes from a second drawing whose header table differs, so page 2 disagrees with
page 1 the way a badly copied sheet does. Both books go through the whole run
(`run_ingest`, as `hyoka ingest` runs it), which writes the report at its end; one test runs
the Prefect flow, which also publishes the report as artifacts.
"""

from __future__ import annotations

import copy
import csv
import io
import re
import shutil
from dataclasses import dataclass
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from conftest import KPI_LIST, ROOT, fetch, fetch_dicts
from pdf_factory import book
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings
from synth.sheets import BUDGET_KEYS, SheetTruth, era_short, fmt_amount, make_truths, render_book

YEAR = 2022
SEED = 1


# --------------------------------------------------------------------------------------
# the planted book


@dataclass(frozen=True)
class Plant:
    """One planted error: where it must be reported."""

    check: str
    table: str
    page: int
    key: str  # the issue's record_key starts with this
    column: str


def _set(row: dict, **values: object) -> None:
    """Set budget cells: value and printed text."""
    for key, value in values.items():
        row[key] = value
        row["raw"][key] = fmt_amount(value) if isinstance(value, int) else value


def _plain_budgets(truth: SheetTruth, base: int) -> None:
    """Four ordinary budget rows: every cell printed, sources add up, no jump."""
    for i, row in enumerate(truth.budgets):
        total = base + 100 * i
        _set(row, total_cost=total, national=total // 4, prefecture=0, municipal_bonds=0,
             tax_allocation_pct=0, other=0, general_revenue=total - total // 4)


def _no_negative(truth: SheetTruth) -> None:
    """Fold a negative その他 (△, drawn now and then: a negative_amount warning) into 一般財源."""
    for row in truth.budgets:
        if isinstance(row["other"], int) and row["other"] < 0 and isinstance(row["general_revenue"], int):
            _set(row, general_revenue=row["general_revenue"] + row["other"], other=0)


def _indicator(truth: SheetTruth, level: str, no: int = 1) -> list[dict]:
    """The value entries of one indicator row (実績…, 目標), in drawing order."""
    rows = [e for e in truth.indicators if e["level"] == level and e["indicator_no"] == no]
    assert rows, (truth.project_code, level, no)
    return rows


def _values(entries: list[dict], *values: float) -> None:
    """Set the entries' values and printed texts."""
    for entry, value in zip(entries, values):
        entry["value"], entry["value_text"] = value, f"{value:,.0f}"


def planted_book(folder: Path) -> tuple[Path, Path, list[Plant]]:
    """A clean book and the same book with one error of every check planted; and the plants."""
    truths = make_truths(7, seed=SEED, results_fiscal_year=YEAR)
    for truth in truths:
        _no_negative(truth)
    render_book(truths, folder / "clean.pdf", style_seed=SEED)
    truths = copy.deepcopy(truths)
    # the sheet with the year plants needs a 事業 KPI (drawn for 9 sheets in 10)
    years = next(t for t in reversed(truths) if any(e["level"] == "事業" for e in t.indicators))
    funding, rate, page2, dup_of, jump, _ = [t for t in truths if t is not years]
    # funding_sum: 一般財源 printed 100 too high on the R3決算 row
    _plain_budgets(funding, 1000)
    _set(funding.budgets[0], general_revenue=funding.budgets[0]["general_revenue"] + 100)
    # achievement_rate: 施策#1 prints 97.5% where 90 ÷ 100 makes 90.0%
    entries = _indicator(rate, "施策")
    _values(entries, 80, 90, 100)
    for entry in entries:
        entry["achievement_rate"], entry["achievement_text"] = 97.5, "97.5%"
    # page_header_mismatch: page 2 drawn from a copy whose R4当初予算 その他 says 50
    _plain_budgets(page2, 3000)
    page2_copy = copy.deepcopy(page2)
    _set(page2_copy.budgets[1], other=50)
    # duplicate_project: the same 事業コード again, under another name
    duplicate = copy.deepcopy(dup_of)
    duplicate.project["project_name"] += "（再掲）"
    # value_jump (budget): R5当初予算 20× R4当初予算, sources scaled with it; unparseable_number: 国 '5O0'
    _plain_budgets(jump, 2000)
    _set(jump.budgets[3], **{k: jump.budgets[3][k] * 20 for k in BUDGET_KEYS if isinstance(jump.budgets[3][k], int)})
    _set(jump.budgets[2], national="5O0")
    jump.budgets[2]["national"] = None
    # budget_year_out_of_range: R14決算 on an R4 sheet; value_jump (indicator): 120 → 2,400;
    # target_before_actual: the 事業 KPI's target dated R3, before its R4 actual
    _plain_budgets(years, 4000)
    years.budgets[0].update(fiscal_year=YEAR + 10, label=f"{era_short(YEAR + 10)}決算")
    _values(_indicator(years, "基本政策"), 120, 2400, 2500)
    target = next(e for e in _indicator(years, "事業") if e["kind"] == "目標")
    target.update(fiscal_year=YEAR - 1, column_label=f"{era_short(YEAR - 1)}目標値")
    years.columns.update(outcome_target_year=YEAR - 1, outcome_target_label=target["column_label"])

    at = truths.index(dup_of) + 1
    sheets = truths[:at] + [duplicate] + truths[at:]
    render_book(sheets, folder / "main.pdf", style_seed=SEED)
    render_book([page2_copy], folder / "page2.pdf", style_seed=SEED)
    first = {id(t): 2 * i + 1 for i, t in enumerate(sheets)}  # page 1 of each sheet
    pages = [(folder / "main.pdf", p) for p in range(1, 2 * len(sheets) + 1)]
    pages[first[id(page2)]] = (folder / "page2.pdf", 2)
    planted = folder / "planted.pdf"
    planted.write_bytes(book(pages))
    code = lambda t: t.project_code  # noqa: E731
    plants = [
        Plant("funding_sum", "project_budget_sources", first[id(funding)], f"{code(funding)} {era_short(YEAR - 1)}決算 一般財源", "amount"),
        Plant("achievement_rate", "project_indicators", first[id(rate)] + 1, f"{code(rate)} 施策#1 ", "achievement_rate"),
        Plant("page_header_mismatch", "project_budgets", first[id(page2)] + 1, f"{code(page2)} {era_short(YEAR)}当初予算", "other"),
        Plant("duplicate_project", "projects", first[id(duplicate)], code(duplicate), "project_code"),
        Plant("value_jump", "project_budgets", first[id(jump)], f"{code(jump)} {era_short(YEAR + 1)}当初予算", "total_cost"),
        Plant("unparseable_number", "project_budgets", first[id(jump)], f"{code(jump)} {era_short(YEAR)}決算見込", "national"),
        Plant("budget_year_out_of_range", "project_budgets", first[id(years)], f"{code(years)} {era_short(YEAR + 10)}決算", "label"),
        Plant("value_jump", "project_indicators", first[id(years)] + 1, f"{code(years)} 基本政策#1 ", "value"),
        Plant("target_before_actual", "project_indicators", first[id(years)], f"{code(years)} 事業#1 ", "column_label"),
    ]
    return folder / "clean.pdf", planted, plants


@dataclass
class Books:
    """The clean and the planted book, ingested together by the flow (which wrote the report)."""

    db: Path
    report_dir: Path
    plants: list[Plant]

    def issues(self, file_name: str) -> list[dict]:
        """The warehouse's issues of one of the books."""
        return fetch_dicts(self.db, "SELECT v.* FROM validation_issues v JOIN documents d USING (document_id) "
                                    "WHERE d.file_name = ?", [file_name])


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Books:
    """Both books in one warehouse, through the whole run."""

    folder = tmp_path_factory.mktemp("planted")
    clean_pdf, planted_pdf, plants = planted_book(folder)
    db = folder / "books.duckdb"
    summary = run_ingest([str(clean_pdf), str(planted_pdf)], IngestSettings(db=str(db)))
    assert summary.failed == 0, [o.error for o in summary.outcomes]
    assert summary.report_error is None
    return Books(db, Path(summary.report_dir), plants)


def matching(rows: list[dict], plant: Plant, page_key: str = "page") -> list[dict]:
    """The issue rows that report a plant."""
    return [
        r for r in rows
        if r["check_name"] == plant.check and str(r["table_name"]) == plant.table
        and str(r["record_key"]).startswith(plant.key) and int(r[page_key] or 0) == plant.page
    ]


# --------------------------------------------------------------------------------------
# parsing the HTML


class IssueCards(HTMLParser):
    """The `<article class="issue">` cards of a report: their data-* attributes, text and images."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict] = []
        self.depth = 0
        self.images: list[str] = []
        self.fonts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "article" and "issue" in (attributes.get("class") or "").split():
            self.cards.append({**attributes, "text": "", "images": []})
            self.depth = 1
        elif self.depth and tag == "article":
            self.depth += 1
        if tag == "img":
            self.images.append(attributes.get("src") or "")
            if self.depth:
                self.cards[-1]["images"].append(attributes.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "article":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.cards[-1]["text"] += data


def cards(report_dir: Path) -> IssueCards:
    """The parsed report.html of a report folder."""
    parser = IssueCards()
    parser.feed((report_dir / "report.html").read_text(encoding="utf-8"))
    return parser


def csv_rows(report_dir: Path) -> list[dict]:
    """The rows of issues.csv (checking its byte-order mark)."""
    raw = (report_dir / "issues.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "issues.csv starts with a UTF-8 byte-order mark (for Excel)"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


# --------------------------------------------------------------------------------------
# planted errors: exactly once, right page and check, in all three places

# The tables the sheet's checks validate; project_budget_sources (issue 6) re-checks the
# same budget cells in long form, see test_no_issue_outside_the_plants_in_any_table.
SHEET_TABLES = ("projects", "project_budgets", "project_budget_sources", "project_staffing", "project_indicators")


def in_sheet_tables(rows: list[dict], table_key: str = "table_name") -> list[dict]:
    return [r for r in rows if r[table_key] in SHEET_TABLES]


def where(rows: list[dict]) -> list[tuple]:
    return [(r["page"], r["check_name"], r["table_name"], r["record_key"]) for r in rows]


def html_rows(report: IssueCards, file_name: str) -> list[dict]:
    """The cards of one document, with the keys `matching` reads."""
    return [{**c, "check_name": c["data-check"], "table_name": c["data-table"], "record_key": c["data-record-key"]}
            for c in report.cards if c["data-document"] == file_name]


def test_every_check_is_planted(books: Books) -> None:
    assert {p.check for p in books.plants} >= {
        "funding_sum", "achievement_rate", "page_header_mismatch", "duplicate_project", "value_jump",
        "unparseable_number", "budget_year_out_of_range", "target_before_actual",
    }


def test_planted_errors_in_validation_issues(books: Books) -> None:
    rows = books.issues("planted.pdf")
    for plant in books.plants:
        found = matching(rows, plant)
        assert len(found) == 1, (plant, found)
        assert found[0]["column_name"] == plant.column
        assert found[0]["bbox"] is not None, plant
    # nothing else in the sheet's tables: every issue there is one of the plants
    assert len(in_sheet_tables(rows)) == len(books.plants), where(in_sheet_tables(rows))


def test_no_issue_outside_the_plants_in_any_table(books: Books) -> None:
    rows, clean = books.issues("planted.pdf"), books.issues("clean.pdf")
    assert (len(rows), clean) == (len(books.plants), []), where([r for r in rows + clean if r["table_name"] not in SHEET_TABLES])


def test_planted_errors_in_issues_csv(books: Books) -> None:
    rows = csv_rows(books.report_dir)
    planted = [r for r in rows if r["file_name"] == "planted.pdf"]
    for plant in books.plants:
        found = matching(planted, plant)
        assert len(found) == 1, plant
        assert found[0]["check_ja"] and found[0]["check_en"] and found[0]["raw_value"]
    assert len(in_sheet_tables(planted)) == len(books.plants)
    # the CSV and the Parquet file hold exactly what the warehouse holds
    assert len(rows) == fetch(books.db, "SELECT count(*) FROM validation_issues")[0][0]
    parquet = pd.read_parquet(books.report_dir / "issues.parquet")
    assert sorted(parquet["check_name"]) == sorted(r["check_name"] for r in rows)
    assert parquet["bbox"].map(len).eq(4).all()


def test_planted_errors_in_the_html(books: Books) -> None:
    from hyoka.schemas.checks import CHECKS

    report = cards(books.report_dir)
    rows = html_rows(report, "planted.pdf")
    for plant in books.plants:
        found = matching(rows, plant, page_key="data-page")
        assert len(found) == 1, plant
        card = found[0]
        info = CHECKS[plant.check]
        assert info.ja in card["text"] and info.en in card["text"], "the check in plain Japanese and English"
        assert plant.key.strip() in card["text"]
        # the crop of the source page, embedded
        assert len(card["images"]) == 1 and card["images"][0].startswith("data:image/png;base64,"), plant
    assert len(in_sheet_tables(rows)) == len(books.plants)
    # one card per issue of the warehouse
    assert len(report.cards) == fetch(books.db, "SELECT count(*) FROM validation_issues")[0][0]


def test_clean_book_gives_no_issues(books: Books) -> None:
    assert in_sheet_tables(books.issues("clean.pdf")) == []
    assert in_sheet_tables([r for r in csv_rows(books.report_dir) if r["file_name"] == "clean.pdf"]) == []
    assert in_sheet_tables(html_rows(cards(books.report_dir), "clean.pdf")) == []


# --------------------------------------------------------------------------------------
# the samples


def test_samples_only_the_real_page_2_difference(sheet_warehouse: Path) -> None:
    rows = fetch(sheet_warehouse, "SELECT page, check_name, table_name, column_name FROM validation_issues")
    # each rendering: page 2 leaves 交付税措置(%) blank where page 1 prints 0, in 3 budget rows
    assert sorted(rows) == [(2, "page_header_mismatch", "project_budgets", "tax_allocation_pct")] * 6
    from hyoka.report import default_out_dir

    report = cards(default_out_dir(sheet_warehouse))
    assert [(c["data-page"], c["data-check"]) for c in report.cards] == [("2", "page_header_mismatch")] * 6


def test_kpi_list_sample_triggers_none_of_the_sheet_checks() -> None:
    from hyoka.flows.stages import read_and_process

    result = read_and_process(str(KPI_LIST))
    mine = {"budget_year_out_of_range", "target_before_actual", "duplicate_project", "value_jump"}
    assert not [i for i in result.issues if i["check_name"] in mine]


# --------------------------------------------------------------------------------------
# the report itself


def test_report_is_self_contained_with_plots(books: Books) -> None:
    page = (books.report_dir / "report.html").read_text(encoding="utf-8")
    # nothing to fetch: no external URLs in src/href, no linked stylesheets or scripts
    assert not re.search(r"""(src|href)=["'](https?:|//)""", page)
    assert "<link" not in page and "<script" not in page
    assert "@font-face" in page and "data:font/ttf;base64," in page, "the Japanese font is embedded"
    report = cards(books.report_dir)
    assert len(report.images) == len(report.cards), "a crop per issue"
    assert all(src.startswith("data:image/png;base64,") for src in report.images)
    figures = re.findall(r'<div class="plot" id="project-[^"]*"><h3>[^<]*</h3><svg [^>]*>', page)
    assert len(figures) >= 7, "an inline SVG figure per project"
    assert all("font-family=\"&#x27;hyoka-ja&#x27;" in svg for svg in figures), "the SVG text uses the embedded font"
    for heading in ("概要", "指摘一覧", "事業のグラフ", "検査の一覧と重大度"):
        assert heading in page


def test_report_says_when_the_pdf_is_gone(books: Books, tmp_path: Path) -> None:
    from hyoka.report import write_report

    db = tmp_path / "moved.duckdb"
    shutil.copy(books.db, db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE documents SET source_path = ?", [str(tmp_path / "gone.pdf")])
    con.close()
    paths = write_report(db, tmp_path / "out", max_project_plots=0)
    report = cards(paths.out_dir)
    assert len(report.cards) >= len(books.plants)
    for card in report.cards:
        assert card["images"] == []
        assert "見つかりません" in card["text"] and "gone.pdf" in card["text"]


BUDGETS = pd.DataFrame({"fiscal_year": [2021, 2022, 2022, 2023], "stage": ["決算", "決算見込", "当初予算", "当初予算"],
                        "total_cost": [1_200.0, 1_350.0, 1_300.0, 1_500.0]})
INDICATORS = pd.DataFrame({
    "level": ["施策"] * 4, "unit": ["%"] * 4, "fiscal_year": [2020, 2021, 2022, 2025],
    "indicator_name": ["特定健康診査の受診率（国民健康保険の被保険者のうち四十歳以上の方）"] * 4,
    "kind": ["現状値", "実績", "実績", "目標"], "value": [169.6, 169.8, 170.1, 170.3]})


def svg_texts(svg: str) -> list[str]:
    """The texts of an SVG's <text> elements (their lines joined by '|')."""
    from html import unescape

    return [unescape("|".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", t))) for t in re.findall(r"<text .*?</text>", svg)]


def test_plots_are_inline_svg_with_the_embedded_font() -> None:
    from hyoka.report import fonts, plots

    assert fonts.font_path().name == "ipaexg.ttf" and fonts.font_path().is_file()
    svg = plots.project_figure(BUDGETS, INDICATORS)
    assert svg and svg.startswith("<svg ") and svg.endswith("</svg>")
    assert f"font-family=\"&#x27;{fonts.FAMILY}&#x27;" in svg
    texts = svg_texts(svg)
    # the fiscal years as 和暦 over 西暦, a bar per budget value, a legend entry per stage and kind
    for year in (2021, 2022, 2023):
        assert plots.year_label(year).replace("\n", "|") in texts
    assert plots.year_label(2019) == "R元\n2019" and "R元|2019" not in texts
    assert len(re.findall(r"<rect [^>]*><title>", svg)) == len(BUDGETS)
    assert "R4 (2022) 当初予算: 1,300 千円" in svg
    for label in ("決算", "決算見込", "当初予算", "実績", "現状値", "目標"):
        assert label in texts, label
    assert plots.project_figure(BUDGETS.iloc[:0], INDICATORS.iloc[:0]) is None


def test_plot_y_ticks_are_distinct_and_nice() -> None:
    from hyoka.report import plots

    # values within 1 of each other: the old plots printed '170, 170, 169'
    for low, high in ((169.6, 170.3), (169.0, 170.4), (0.0, 1_234.0), (0.0, 3.0), (5.0, 5.0), (-3.0, 12.0),
                      (0.001, 0.0042), (0.0, 1e6), (0.0, 1e9), (-5.0, -1.0), (-1_234.5, -1_200.0), (-0.3, 0.2),
                      (169.99, 170.01)):
        ticks = plots.nice_ticks(low, high)
        labels = [ticks.label(v) for v in ticks.values]
        assert len(set(labels)) == len(labels) >= 3, labels
        assert ticks.low <= low and ticks.high >= high, (low, high, labels)
        steps = {round(b - a, 9) for a, b in zip(ticks.values, ticks.values[1:])}
        assert len(steps) == 1 and f"{steps.pop():.3e}"[:3] in ("1.0", "2.0", "2.5", "5.0"), labels
    assert [plots.nice_ticks(0, 1_234).label(v) for v in (0, 1_000)] == ["0", "1,000"]
    panel = plots.indicator_panel(plots.records(INDICATORS), "受診率", "%")
    ticks = [t for t in svg_texts(panel.body) if re.fullmatch(r"[\d,.]+", t)]
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks


def test_plot_titles_fit_the_panel() -> None:
    from hyoka.report import plots

    name = str(INDICATORS["indicator_name"][0])
    lines = plots.wrap_lines(f"【施策】{name}、{name}", plots.PANEL_W - 16, plots.TITLE_SIZE, 2)
    assert len(lines) == 2 and lines[-1].endswith("…"), lines
    assert all(plots.text_width(line, plots.TITLE_SIZE) <= plots.PANEL_W - 16 for line in lines)
    for width in range(60, 340, 7):  # at no width does a line start with a closing bracket or comma
        for line in plots.wrap_lines("受診率（国民健康保険）、特定健診（四十歳以上）の受診率", width, 12, 9):
            assert line[:1] not in "）、。」", (width, line)
    assert plots.wrap_lines("短い題", 300, 12, 2) == ["短い題"]


TITLES = ("冬期（12-3月）観光客宿泊延数（各年度泊数）", "【施策】" + str(INDICATORS["indicator_name"][0]),
          "観光入込客数 (千人) 「まちなか」の歩行者通行量（平日・休日の平均）", "KPI達成率（％）3.5%以上")


def test_plot_titles_break_at_sensible_points() -> None:
    from hyoka.report import plots

    for title in TITLES:
        groups = re.findall(r"[（(「【][^）)」】]*[）)」】]", title)
        for width in range(60, 340, 5):
            lines = plots.wrap_lines(title, width, 12, 20)  # lines enough for the whole title
            assert "".join(lines).replace(" ", "") == title.replace(" ", ""), (width, lines)
            for line in lines:
                assert plots.text_width(line, 12) <= width, (width, line)
                assert line[:1] not in plots.NO_LINE_START and line[-1:] not in plots.NO_LINE_END, (width, lines)
            for a, b in zip(lines, lines[1:]):  # never inside '12-3', '3.5%', 'KPI'
                assert not (a[-1].isascii() and b[0].isascii()), (width, lines)
            for group in groups:  # a bracketed group that fits on a line is never split
                if plots.text_width(group, 12) <= width:
                    assert any(group in line for line in lines), (width, group, lines)
    # the line stays whole when a short one will do: '冬期' then the bracket, not '冬期（12-'
    assert plots.wrap_lines(TITLES[0], 80, 12, 3)[0] == "冬期"
    assert not plots.ellipsize("受診率（国民", 60, 12).endswith("（…")


def test_plot_titles_fit_their_panel_in_the_embedded_font() -> None:
    """Measured with the font file itself (as the browser draws it), not with the plots' own sums."""
    from PIL import ImageFont

    from hyoka.report import fonts, plots

    face = ImageFont.truetype(str(fonts.font_path()), plots.TITLE_SIZE)
    names = [*TITLES, "Webサイト閲覧数 (WWW.mmm-window.com) mmmmwwwwMMMMWWWW"]  # wide Latin letters
    kpis = pd.DataFrame({"kpi_id": [i for i in range(len(names)) for _ in range(2)],
                         "kpi_name": [t * 9 for t in names for _ in range(2)],  # long: wrapped and ellipsized
                         "slot": ["実績値", "目標値"] * len(names), "fiscal_year": [2021, 2024] * len(names),
                         "value": [1.0, 2.0] * len(names), "unit": ["人"] * 2 * len(names)})
    svg = plots.kpi_figure(kpis)
    assert svg is not None
    titles = [t for t in svg_texts(svg) if any(c in t for c in "期施観KW")]
    assert len(titles) == len(names), titles
    for title in titles:
        lines = title.split("|")
        assert len(lines) <= 3 and lines[-1].endswith("…"), lines
        for line in lines:
            assert face.getlength(line) <= plots.PANEL_W - 16, line


def test_default_report_folder() -> None:
    from hyoka.report import default_out_dir

    assert default_out_dir("out/demo.duckdb") == Path("out/demo-report")


def test_cli_report_command(books: Books, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hyoka.cli import app
    from hyoka.report import plots

    monkeypatch.setattr(plots, "project_figure", lambda *args: None)  # plots are tested above
    result = CliRunner().invoke(app, ["report", "--db", str(books.db), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    assert (tmp_path / "r" / "report.html").is_file()
    assert len(csv_rows(tmp_path / "r")) == fetch(books.db, "SELECT count(*) FROM validation_issues")[0][0]
    missing = CliRunner().invoke(app, ["report", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no warehouse" in missing.output


def test_ingest_summary_prints_the_report_path(books: Books, capsys: pytest.CaptureFixture[str]) -> None:
    from hyoka.flows.runs import IngestSummary
    from hyoka.cli import _print_summary

    assert books.report_dir == books.db.with_name("books-report")
    _print_summary(IngestSummary(db_path=str(books.db), report_dir=str(books.report_dir)))
    assert f"report:    {books.report_dir / 'report.html'}" in capsys.readouterr().out.replace("\n", "")


def test_a_report_failure_never_fails_the_ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hyoka.report
    from conftest import SHEET_REPORTLAB

    skipped = run_ingest([str(SHEET_REPORTLAB)], IngestSettings(db=str(tmp_path / "a.duckdb"), report=False))
    assert (skipped.report_dir, skipped.report_error) == (None, None)
    assert not (tmp_path / "a-report").exists()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(hyoka.report, "write_report", broken)
    summary = run_ingest([str(SHEET_REPORTLAB)], IngestSettings(db=str(tmp_path / "b.duckdb")))
    assert summary.failed == 0 and summary.count("loaded_with_issues") == 1
    assert summary.report_dir is None and "disk full" in summary.report_error


def test_the_flow_run_carries_the_artifacts(tmp_path: Path, ingest_flow: Callable[..., Any]) -> None:
    """The Prefect flow publishes its report as a table and a summary of the same flow run."""
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from conftest import SHEET_REPORTLAB

    sheet = tmp_path / "flow-sheet.pdf"  # a name no other flow run of the session reads
    shutil.copy(SHEET_REPORTLAB, sheet)
    summary = ingest_flow([str(sheet)], IngestSettings(db=str(tmp_path / "flow.duckdb")))
    assert summary.count("loaded_with_issues") == 1 and summary.report_error is None
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["validation-report", "validation-report-summary"]))
        )
    tables = [a for a in artifacts if a.key == "validation-report" and a.type == "table" and "flow-sheet.pdf" in str(a.data)]
    assert tables and tables[0].flow_run_id is not None
    data = tables[0].data if isinstance(tables[0].data, (list, dict)) else json.loads(tables[0].data)
    assert {"file", "status", "pages", "records", "errors", "warnings"} <= set(data[0])
    summaries = [a for a in artifacts if a.key == "validation-report-summary" and a.flow_run_id == tables[0].flow_run_id]
    assert summaries and summaries[0].type == "markdown" and "page_header_mismatch" in str(summaries[0].data)


def test_artifacts_markdown_and_table(books: Books, tmp_path: Path) -> None:
    from hyoka.report import write_report
    from hyoka.report.artifacts import markdown, table_rows

    paths = write_report(books.db, tmp_path, max_project_plots=0)
    rows = {r["file"]: r for r in table_rows(paths)}
    assert rows["clean.pdf"]["pages"] == 14 and rows["planted.pdf"]["pages"] == 16
    assert rows["planted.pdf"]["errors"] + rows["planted.pdf"]["warnings"] == len(books.issues("planted.pdf"))
    text = markdown(paths)
    for plant in books.plants:
        assert f"`{plant.check}`" in text


def test_artifacts_link_the_report_by_absolute_file_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Prefect UI knows no working directory: the report's files are named by absolute `file://` URLs."""
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    from hyoka.report.artifacts import markdown
    from hyoka.report.build import ReportPaths

    monkeypatch.chdir(tmp_path)
    folder = Path("出力 レポート")  # relative, as `--report-dir out/...` gives it; a space and Japanese
    folder.mkdir()
    paths = ReportPaths(out_dir=folder, html=folder / "report.html", csv=folder / "issues.csv",
                        parquet=folder / "issues.parquet")
    for path in (paths.html, paths.csv, paths.parquet):
        path.write_text("x")
    text = markdown(paths)
    urls = re.findall(r"\]\((file://[^)\s]+)\)", text)
    assert len(urls) == 3, text
    for url, path in zip(urls, (paths.html, paths.csv, paths.parquet)):
        target = Path(url2pathname(urlparse(url).path))
        assert target.is_absolute() and target == (tmp_path / path).resolve() and target.is_file(), url
    assert f"`{(tmp_path / paths.html).resolve()}`" in text  # the path itself, to copy


# --------------------------------------------------------------------------------------
# the cost of a report: only the crops and the font subset are cached, no matplotlib at all


def test_writing_a_report_does_not_import_matplotlib(books: Books, tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, hyoka.report; hyoka.report.write_report(sys.argv[1], sys.argv[2]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'matplotlib_fontja')))")
    out = subprocess.run([sys.executable, "-c", code, str(books.db), str(tmp_path / "r")], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    assert "<svg " in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    sources = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "hyoka" / "report").glob("*.py"))
    assert "import matplotlib" not in sources and "from matplotlib" not in sources


def _html_without_timestamp(report_dir: Path) -> str:
    """report.html without its 'generated' time (which changes from one report to the next)."""
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d \S*", "generated …", page)


def _new_issue(db: Path, page: int, bbox: list[float]) -> None:
    """Add one warning on the planted book's page (as a later check would)."""
    con = duckdb.connect(str(db))
    con.execute(
        "INSERT INTO validation_issues (document_id, page, table_name, record_key, column_name, check_name, severity, "
        "message, raw_value, bbox) SELECT document_id, ?, 'project_budgets', 'added', 'total_cost', 'value_jump', "
        "'warning', 'added by a test', '1', ? FROM documents WHERE file_name = 'planted.pdf'", [page, bbox])
    con.close()


def test_a_second_report_renders_only_what_changed(books: Books, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from hyoka.report import crops, fonts, write_report

    db, out = tmp_path / "books.duckdb", tmp_path / "report"
    shutil.copy(books.db, db)
    (out / ".cache" / "plots").mkdir(parents=True)
    (out / ".cache" / "plots" / "old.png").write_bytes(b"\x89PNG")  # left by a version that cached PNG plots
    first = write_report(db, out, max_project_plots=3)
    issues = fetch(db, "SELECT count(*) FROM validation_issues")[0][0]
    assert first.rendered == {"crops": issues, "fonts": 1} and set(first.reused.values()) == {0}
    assert not (out / ".cache" / "plots").exists(), "the obsolete plot cache is removed"
    html = _html_without_timestamp(out)
    assert html.count('<div class="plot" id="project-') == 3

    # an unchanged warehouse: nothing is rendered again, and the page is the same
    def never(*args: object) -> None:
        raise AssertionError("rendered again")

    with monkeypatch.context() as patch:
        for module, name in ((crops, "render_crop"), (crops, "render_page"), (fonts, "subset_font")):
            patch.setattr(module, name, never)
        second = write_report(db, out, max_project_plots=3)
    assert set(second.rendered.values()) == {0}
    assert second.reused == {"crops": issues, "fonts": 1}
    assert _html_without_timestamp(out) == html

    # one more issue: one more crop is rendered, the others are reused
    _new_issue(db, 1, [100.0, 100.0, 160.0, 116.0])
    third = write_report(db, out, max_project_plots=3)
    assert third.rendered["crops"] == 1 and third.reused["crops"] == issues
    assert len(cards(out).cards) == issues + 1 and all(c["images"] for c in cards(out).cards)

    # a plotted project's budget changes: its figure shows the new amount
    def figure_amounts(report_dir: Path, project: str) -> list[int]:
        """The amounts the project's figure labels (its tooltips: `…: 1,300 千円`)."""
        figure = (report_dir / "report.html").read_text(encoding="utf-8").split(f'-{project}">', 1)[1].split("</svg>", 1)[0]
        return sorted(int(amount.replace(",", "")) for amount in re.findall(r": ([\d,]+) 千円", figure))

    page = (out / "report.html").read_text(encoding="utf-8")
    project = re.findall(r'<div class="plot" id="project-[^"]*-(\d+)"', page)[0]
    shown = figure_amounts(out, project)
    assert shown
    con = duckdb.connect(str(db))
    con.execute("UPDATE project_budgets SET total_cost = total_cost + 1 WHERE project_code = ?", [project])
    con.close()
    fourth = write_report(db, out, max_project_plots=3)
    assert fourth.rendered["crops"] == 0
    # every amount it showed, one more (which rows the figure draws is the report's business, not this test's)
    assert figure_amounts(out, project) == [amount + 1 for amount in shown]
    # the cache holds what the last report used, nothing more
    assert len(list((out / ".cache" / "crops").iterdir())) == issues + 1


def test_a_cached_crop_is_not_shown_when_the_pdf_is_gone(books: Books, tmp_path: Path) -> None:
    from hyoka.report import write_report

    db, out = tmp_path / "books.duckdb", tmp_path / "report"
    shutil.copy(books.db, db)
    write_report(db, out, max_project_plots=0)
    con = duckdb.connect(str(db))
    con.execute("UPDATE documents SET source_path = ?", [str(tmp_path / "gone.pdf")])
    con.close()
    write_report(db, out, max_project_plots=0)
    report = cards(out)
    assert report.cards and all(c["images"] == [] and "gone.pdf" in c["text"] for c in report.cards)


def _huge_page_pdf(path: Path, side: float) -> None:
    """A one-page PDF of side × side points (14,400 is the largest a PDF page may be) with a word at its top left."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=(side, side))
    pdf.setFont("Helvetica", 12)
    pdf.drawString(100, side - 112, "12,345")
    pdf.showPage()
    pdf.save()


def test_crops_of_a_huge_page_stay_small(tmp_path: Path) -> None:
    import hashlib

    from PIL import Image

    from hyoka.report import crops

    path = tmp_path / "huge.pdf"
    _huge_page_pdf(path, 14_400.0)
    document_id = hashlib.sha256(path.read_bytes()).hexdigest()
    cell = [96.0, 98.0, 140.0, 114.0]
    issues = [
        {"page": 1, "bbox": cell, "row_bbox": None},  # a cell: its region at 144 dpi
        {"page": 1, "bbox": cell, "row_bbox": [0.0, 96.0, 14_400.0, 116.0]},  # a row as wide as the page
        {"page": 1, "bbox": None},  # no cell: the whole page as a thumbnail
        {"page": 2, "bbox": cell},  # no such page
    ]
    found = crops.document_crops(str(path), document_id, issues, budget=10)
    images = [Image.open(io.BytesIO(c.png)).convert("RGB") for c in found[:3] if c.png]
    assert len(images) == 3 and "page 2" in (found[3].note or "")
    assert images[0].width >= crops.MIN_WIDTH * 2 - 2, "a small region is rendered at 144 dpi"
    assert images[1].width * images[1].height <= crops.MAX_CROP_PIXELS
    assert images[2].width * images[2].height <= crops.MAX_PAGE_PIXELS
    assert found[2].note and "whole page" in found[2].note
    # the cell is boxed in red where it is: around (96..140, 98..114) points, 2 pixels a point
    red = [(x, y) for x in range(images[0].width) for y in range(images[0].height)
           if images[0].getpixel((x, y))[0] > 180 and images[0].getpixel((x, y))[1] < 80]
    assert red, "the red box is drawn"
    xs, ys = [x for x, _ in red], [y for _, y in red]
    assert 180 <= min(xs) <= 200 and 270 <= max(xs) <= 285 and 60 <= min(ys) <= 75, (min(xs), max(xs), min(ys))


def test_a_crop_of_a_turned_or_moved_page_shows_the_cell_as_upright(tmp_path: Path) -> None:
    """A sheet saved turned (/Rotate, or drawn sideways) or on a moved, cropped MediaBox is read upright:
    its crop is the upright sheet's crop, pixel for pixel (less what its CropBox cuts off)."""
    import hashlib

    from PIL import Image, ImageChops

    from conftest import SHEET_LIBREOFFICE
    from hyoka.extractors.registry import extract_pdf
    from hyoka.report import crops
    from pdf_factory import drawn_turned_copy, moved_copy, rotated_copy

    def crop(data: bytes, name: str, cell: list[float]) -> Image.Image:
        path = tmp_path / name
        path.write_bytes(data)
        (found,) = crops.document_crops(str(path), hashlib.sha256(data).hexdigest(), [{"page": 1, "bbox": cell}], 1)
        assert found.png, found.note
        return Image.open(io.BytesIO(found.png)).convert("RGB")

    def cell_of(data: bytes) -> list[float]:
        (project,) = extract_pdf(data).rows("projects")
        return list(project.cell_bboxes["project_name"])

    upright = SHEET_LIBREOFFICE.read_bytes()
    expected = crop(upright, "upright.pdf", cell_of(upright))
    copies = {f"rotate {d}": rotated_copy(SHEET_LIBREOFFICE, d) for d in (90, 180, 270)}
    copies["drawn sideways"] = drawn_turned_copy(SHEET_LIBREOFFICE, 270)
    for name, data in copies.items():
        image = crop(data, f"{name}.pdf", cell_of(data))
        assert image.size == expected.size and ImageChops.difference(image, expected).getbbox() is None, name
    # 5 pt of CropBox on each side: the crop loses its left 10 pixels (144 dpi), the rest is the same
    moved = moved_copy(SHEET_LIBREOFFICE, -700.0, -900.0, invert=True, crop=5.0, rotate=90)
    image = crop(moved, "moved.pdf", cell_of(moved))
    cut = expected.crop((10, 0, expected.width, expected.height))
    assert image.size == cut.size and ImageChops.difference(image, cut).getbbox() is None


def test_crops_are_rendered_under_the_pdfium_lock(tmp_path: Path) -> None:
    import hashlib
    import threading

    from hyoka.report import crops

    path = tmp_path / "page.pdf"
    _huge_page_pdf(path, 600.0)
    document_id = hashlib.sha256(path.read_bytes()).hexdigest()
    issues = [{"page": 1, "bbox": [96.0, 98.0, 140.0, 114.0], "row_bbox": None}] * 3
    results: list[list[crops.Crop]] = []
    threads = [threading.Thread(target=lambda: results.append(crops.document_crops(str(path), document_id, issues, 10)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(c.png for found in results for c in found)
    assert len({c.png for found in results for c in found}) == 1, "the same crop whichever thread drew it"


# --------------------------------------------------------------------------------------
# the cross-row checks on small frames


def test_budget_year_is_judged_against_its_own_sheet() -> None:
    from hyoka.schemas.tables import budget_year_out_of_range

    frame = pd.DataFrame({"project_code": ["1"] * 4 + ["2"] * 4, "page": [1] * 4 + [3] * 4,
                          "fiscal_year": [2020, 2021, 2021, 2022, 2010, 2011, 2011, 2012]})
    assert budget_year_out_of_range(frame).all(), "two sheets of different years are both fine"
    frame.loc[0, "fiscal_year"] = 2030
    assert budget_year_out_of_range(frame).tolist() == [False] + [True] * 7


def test_value_jump_compares_within_a_stage_family() -> None:
    from hyoka.schemas.tables import budget_value_jump

    frame = pd.DataFrame({"project_code": ["1"] * 4, "page": [1] * 4, "fiscal_year": [2020, 2021, 2021, 2022],
                          "stage": ["決算", "当初予算", "決算見込", "当初予算"], "total_cost": [100.0, 5.0, 120.0, 6.0]})
    assert budget_value_jump(frame).all(), "当初予算 is not compared with 決算"
    frame.loc[3, "total_cost"] = 6000.0
    assert budget_value_jump(frame).tolist() == [True, True, True, False]


def test_duplicate_project_needs_different_content() -> None:
    from hyoka.schemas.tables import duplicate_project

    frame = pd.DataFrame({"project_code": ["1", "1", "1"], "page": [1, 3, 5], "project_name": ["A", "A", "A 改"]})
    assert duplicate_project(frame).tolist() == [True, True, False]


def test_every_check_is_documented_in_the_readme() -> None:
    from hyoka.schemas.checks import CHECKS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Validation report and checks", 1)[1]
    for name, info in CHECKS.items():
        assert re.search(rf"\| `{name}` \| {info.severity} \|", section), f"{name} ({info.severity}) is not in the README"
