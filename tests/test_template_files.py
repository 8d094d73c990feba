"""Templates as data files (issue 12): the file format, its loader and its vocabulary.

- a template file with a mistake is refused with the file, the line and the key named,
  for each kind of mistake (unknown key, wrong type, empty label list, bad unit …);
- a tiny template file reads a generated two-page sheet, exercising each item of the
  vocabulary: page roles, a project spanning pages, a field right of / below its label,
  a caption's box, a value inside prose by a pattern, a ○ list, a ■/□ choice, a budget
  table by year and stage with cost items and funding sources (a dash is 0, 百万円 stored
  as 千円), an indicator table (a dash is no figure), an evaluation through 判断理由;
- a second tiny template reads a generated book of header tables (旭川's shapes, other
  words): pages joined by their code, values under their headers, a value split into
  parts, a budget matrix whose rows are the years, staffing, marks listed below, indicator
  pairs and tables in reading order, an evaluation's box, the repeated-header hook; and
  its new keys refuse mistakes with the file, line and key;
- the shipped templates are files: 池田's and 旭川's sheets have no Python module.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from conftest import ROOT
from hyoka.extractors.file_template import ChoiceSpec, FileTemplate, chosen_option
from hyoka.extractors.records import Extraction
from hyoka.extractors.registry import BUILTIN_TEMPLATE_DIR, TEMPLATES, extract_pdf, load_templates, with_templates
from hyoka.extractors.template_loader import TemplateFileError, key_lines, parse_template
from synth.kpi_list import font_path

TINY = '''\
# a generated two-page sheet: every item of the template vocabulary once
[template]
name = "test_city_sheet"
doc_type = "jimujigyo_sheet"
municipality = "テスト市"
description = "テスト市 事業評価シート (generated: 2 pages per project)"

[settings]
edge = "2.5pt"
caption_gap = "40pt"
box_gap = "12pt"
mark_width = "35%"

[numbers.money]
unit = "百万円"
dash = "zero"
blank_is_zero = true

[numbers.indicator]
dash = "no_figure"

[[page]]
role = "sheet"
anchors = ["事業名", "実施期間", "関連ゴール", "方向性"]

[[page]]
role = "continued"
anchors = ["区分", "事業費", "指標", "単位"]

[document]
title = [
    { caption = "実施事業", match = "contains", value = "self", remove = '\\s*NO\\..*$' },
    { caption = "シート", match = "suffix", value = "self", every = true },
]

[document.results_fiscal_year]
read = { caption = "実施事業", match = "contains", value = "self", pattern = '（(.*)実施事業' }
else_newest_budget = ["決算"]

[project]
starts_on = ["sheet"]
code_name = "NO."
code_number = "sheet_no"
code = { caption = "NO.", match = "contains", value = "right", digits = true }

[project.fields]
project_name = { label = "事業名" }
period_text = { label = "実施期間", years = ["period_start_fiscal_year", "period_end_fiscal_year"] }
summary = { label = "目的", value = "below" }
outputs_text = { caption = "指標：", match = "prefix", value = "self", pattern = '数値目標：([^】]+)' }
remarks = { caption = "※備考", value = "below" }

[[marks]]
into = "project_sdgs"
label = "関連ゴール"
number = '^\\s*([0-9]+)'

[[marks]]
into = "project_reform_viewpoints"
label_pattern = '^「(?P<group>[^」]+)」の視点$'
every = true
keep = "all"

[budget]
corner = "区分"
numbers = "money"

[[budget.rows]]
group = "内訳"
items = true

[[budget.rows]]
label = "事業費"
column = "total_cost"

[[budget.rows]]
funding_source = true

[[indicators]]
header = "指標"
level = "事業"
numbers = "indicator"
kinds = ["実績", "目標"]
columns = { unit = "単位" }

[[evaluations]]
evaluator = "1次"

[evaluations.fields]
achievement_rating = { label = "評価" }
achievement_reason = { label = "評価", via_below = "判断理由" }
direction_rating = { label = "方向性", choice = { options = ["縮小", "拡充", "廃止"] } }
'''

FILE = "templates/test_city_sheet.toml"


# ---- the loader's errors: file, line, key ----------------------------------------------------


def _line_of(text: str, fragment: str) -> int:
    (number,) = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return number


MISTAKES = {
    # name: (what is written instead, the key named, words of the reason)
    "unknown key": (('project_name = { label = "事業名" }', 'project_name = { lable = "事業名" }'),
                    "project.fields.project_name.lable", "unknown key (did you mean 'label'?)"),
    "unknown record field": (('project_name = { label', 'project_nam = { label'),
                             "project.fields.project_nam", "not a text field of projects (did you mean 'project_name'?)"),
    "wrong type": (('keep = "all"', 'keep = true'), "marks[2].keep", "true (true/false) is not one of: marked, all"),
    "text where true/false belongs": (('items = true', 'items = "yes"'), "budget.rows[1].items",
                                      "where true or false belongs"),
    "empty label list": (('anchors = ["区分", "事業費", "指標", "単位"]', 'anchors = []'), "page[2].anchors",
                         "an empty list"),
    "blank label": (('label = "関連ゴール"', 'label = "  "'), "marks[1].label", "an empty label"),
    "bad unit": (('box_gap = "12pt"', 'box_gap = "12px"'), "settings.box_gap", "unit 'px' is not pt or mm"),
    "no unit": (('mark_width = "35%"', 'mark_width = 0.35'), "settings.mark_width",
                'not a quantity with its unit: write it as "35%"'),
    "unknown money unit": (('unit = "百万円"', 'unit = "万円"'), "numbers.money.unit", "not a unit hyoka knows"),
    "bad choice": (('summary = { label = "目的", value = "below" }', 'summary = { label = "目的", value = "beside" }'),
                   "project.fields.summary.value", "is not one of: right, below, self, under, header"),
    "bad regular expression": (("number = '^\\s*([0-9]+)'", "number = '^\\s*([0-9]+'"), "marks[1].number",
                               "not a valid regular expression"),
    "pattern without its group": (("number = '^\\s*([0-9]+)'", "number = '^\\s*[0-9]+'"), "marks[1].number",
                                  "the pattern needs a group"),
    "undefined number convention": (('numbers = "indicator"', 'numbers = "indicators"'), "indicators[1].numbers",
                                    "no [numbers.indicators] in this file (defined: money, indicator)"),
    "unknown page role": (('starts_on = ["sheet"]', 'starts_on = ["sheets"]'), "project.starts_on",
                          "'sheets' is not a role of [[page]] (did you mean 'sheet'?)"),
    "two anchors": (('project_name = { label = "事業名" }', 'project_name = { label = "事業名", caption = "名" }'),
                    "project.fields.project_name", "exactly one of label, label_pattern or caption"),
    "budget column": (('column = "total_cost"', 'column = "total"'), "budget.rows[2].column",
                      "not a number column of project_budgets (did you mean 'total_cost'?)"),
    "bad template name": (('name = "test_city_sheet"', 'name = "Test City"'), "template.name", "lower-case letters"),
    "nested table of an array": (('direction_rating = { label = "方向性", choice = { options',
                                  'direction_rating = { label = "方向性", choice = { option'),
                                 "evaluations[1].fields.direction_rating.choice.option", "did you mean 'options'?"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_a_mistake_is_refused_with_file_line_and_key(name: str) -> None:
    (old, new), key, reason = MISTAKES[name]
    assert TINY.count(old) == 1, old
    text = TINY.replace(old, new)
    with pytest.raises(TemplateFileError) as refused:
        parse_template(text, FILE)
    error = refused.value
    assert (str(error.path), error.line, error.key) == (FILE, _line_of(text, new.splitlines()[0]), key)
    assert reason in error.reason
    assert str(error) == f"{FILE}:{error.line}: {key}: {error.reason}"  # one line
    assert "\n" not in str(error)


def test_a_missing_key_names_its_table() -> None:
    text = TINY.replace('evaluator = "1次"\n', "")
    with pytest.raises(TemplateFileError) as refused:
        parse_template(text, FILE)
    assert (refused.value.line, refused.value.key, refused.value.reason) == (
        _line_of(text, "[[evaluations]]"), "evaluations[1]", "missing key 'evaluator'")


def test_a_file_that_is_not_toml_names_its_line() -> None:
    text = TINY.replace("[budget]", "[budget  # unclosed")
    with pytest.raises(TemplateFileError) as refused:
        parse_template(text, FILE)
    assert refused.value.line == _line_of(text, "# unclosed")
    assert refused.value.reason.startswith("not valid TOML: ")


def test_key_lines_follows_arrays_of_tables_inline_tables_and_long_values() -> None:
    text = '''\
a = """two
lines"""
b = [
    "x",  # a comment
    { c = 1, d = [2, 3] },
]
[[t]]
e = 1
[[t]]
[t.sub]
f = 'g'
'''
    lines = key_lines(text)
    assert lines[("a",)] == 1 and lines[("b",)] == 3 and lines[("b", 2)] == 5 and lines[("b", 2, "d")] == 5
    assert lines[("t", 1)] == 7 and lines[("t", 1, "e")] == 8 and lines[("t", 2)] == 9
    assert lines[("t", 2, "sub")] == 10 and lines[("t", 2, "sub", "f")] == 11


def test_two_templates_of_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(TINY, encoding="utf-8")
    (tmp_path / "b.toml").write_text(TINY, encoding="utf-8")
    with pytest.raises(TemplateFileError, match="'test_city_sheet' is already the name of the template in"):
        with_templates([], load_templates(tmp_path))


# ---- the vocabulary on a generated page ---------------------------------------------------------

FONT = "TemplateTestGothic"
Cell = tuple[float, float, float, float, str]  # x, top, width, height, text


def _page(pdf: canvas.Canvas, cells: list[Cell], lines: list[tuple[float, float, str]]) -> None:
    """One page of ruled cells (top-based coordinates, as the grid reads them) and loose lines."""
    height = A4[1]
    pdf.setFont(FONT, 9)
    for x, top, width, cell_height, text in cells:
        pdf.rect(x, height - top - cell_height, width, cell_height)
        if text:
            pdf.drawString(x + 3, height - top - cell_height / 2 - 3, text)
    for x, top, text in lines:
        pdf.drawString(x, height - top - 9, text)
    pdf.showPage()


@cache
def generated_sheet() -> bytes:
    """Two pages of one project: the sheet (fields, marks, a choice) and its continuation (tables)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
    title = "テスト市 事業評価（令和５年度実施事業） NO."
    title_end = 60 + pdfmetrics.stringWidth(title, FONT, 9)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    row = 20.0
    _page(pdf, [
        (title_end + 8, 36, 30, 16, "７"),  # the NO. box
        (60, 90, 100, row, "事業名"), (160, 90, 300, row, "公園管理事業"),
        (60, 110, 100, row, "実施期間"), (160, 110, 300, row, "令和3年度～令和7年度"),
        (60, 140, 400, row, "目的"), (60, 160, 400, row, "市民の憩いの場を保つ"),
        (60, 200, 100, row, "関連ゴール"), (160, 200, 15, row, "○"), (175, 200, 120, row, "1 貧困をなくそう"),
        (295, 200, 15, row, ""), (310, 200, 120, row, "2 飢餓をゼロに"),
        (60, 220, 100, row, "「連携」の視点"), (160, 220, 15, row, "○"), (175, 220, 120, row, "協働"),
        (295, 220, 15, row, ""), (310, 220, 120, row, "広報"),
        (60, 250, 100, row, "方向性"), (160, 250, 300, row, "□ 縮小 ■ 拡充 □ 廃止"),
        (60, 280, 100, row, "評価"), (160, 280, 300, row, "A"),
        (60, 300, 100, row, "判断理由"), (160, 300, 300, row, "計画どおり進んだ"),
    ], [(60, 40, title), (60, 62, "評価シート"), (60, 340, "指標：利用者数【数値目標：1,200人】")])
    _page(pdf, [
        (60, 90, 100, row, "区分"), (160, 90, 80, row, "R4決算"), (240, 90, 80, row, "R5予算"),
        (60, 110, 100, row, "事業費"), (160, 110, 80, row, "1.5"), (240, 110, 80, row, "2"),
        (60, 130, 30, 2 * row, "内訳"), (90, 130, 70, row, "委託料"), (160, 130, 80, row, "1"), (240, 130, 80, row, "-"),
        (90, 150, 70, row, "消耗品"), (160, 150, 80, row, "0.5"), (240, 150, 80, row, ""),
        (60, 170, 30, 2 * row, "財源"), (90, 170, 70, row, "国庫支出金"), (160, 170, 80, row, "0.5"),
        (240, 170, 80, row, "-"),
        (90, 190, 70, row, "一般財源"), (160, 190, 80, row, "1"), (240, 190, 80, row, "2"),
        (60, 250, 150, row, "指標"), (210, 250, 50, row, "単位"), (260, 250, 70, row, "R4実績"),
        (330, 250, 70, row, "R5目標"),
        (60, 270, 150, row, "利用者数"), (210, 270, 50, row, "人"), (260, 270, 70, row, "1,000"),
        (330, 270, 70, row, "-"),
        (60, 290, 150, row, ""), (210, 290, 50, row, ""), (260, 290, 70, row, ""), (330, 290, 70, row, ""),
        (60, 354, 400, 30, "特になし"),
    ], [(60, 340, "※備考")])
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def tiny() -> Extraction:
    template = FileTemplate(parse_template(TINY, FILE), Path(FILE))
    return extract_pdf(generated_sheet(), templates=[template])


def test_pages_of_two_roles_are_one_project(tiny: Extraction) -> None:
    assert [(p.page, p.page_role, p.project_code) for p in tiny.rows("pages")] == [
        (1, "sheet", "7"), (2, "continued", "7")]
    (project,) = tiny.rows("projects")
    assert (project.project_code, project.project_code_raw, project.sheet_no) == ("7", "７", 7)
    assert (project.first_page, project.last_page) == (1, 2)
    assert (tiny.template, tiny.municipality) == ("test_city_sheet", "テスト市")


def test_document_fields_from_captions(tiny: Extraction) -> None:
    assert tiny.title == "テスト市 事業評価（令和５年度実施事業） 評価シート"  # two parts; NO. removed
    assert tiny.results_fiscal_year == 2023  # 令和５年度 from the title, by its pattern


def test_fields_right_below_caption_box_and_pattern(tiny: Extraction) -> None:
    (project,) = tiny.rows("projects")
    assert project.project_name == "公園管理事業"  # right of its label
    assert (project.period_start_fiscal_year, project.period_end_fiscal_year) == (2021, 2025)  # years of the text
    assert project.summary == "市民の憩いの場を保つ"  # below its label
    assert project.outputs_text == "1,200人"  # inside prose, by a pattern
    assert project.remarks == "特になし"  # the framed box under a caption, on page 2
    assert project.cell_pages == {"remarks": 2}
    assert set(project.cell_bboxes) == {"project_code", "project_name", "period_text", "summary", "outputs_text", "remarks"}


def test_marked_items(tiny: Extraction) -> None:
    assert [(s.goal_no, s.goal_label, s.mark) for s in tiny.rows("project_sdgs")] == [(1, "1 貧困をなくそう", "○")]
    assert [(v.viewpoint_no, v.viewpoint, v.selected, v.viewpoint_group) for v in tiny.rows("project_reform_viewpoints")
            ] == [(1, "協働", True, "連携"), (2, "広報", False, "連携")]


def test_budget_table_by_year_and_stage(tiny: Extraction) -> None:
    budgets = {(b.fiscal_year, b.stage): b for b in tiny.rows("project_budgets")}
    assert set(budgets) == {(2022, "決算"), (2023, "予算")}
    r4, r5 = budgets[(2022, "決算")], budgets[(2023, "予算")]
    assert (r4.total_cost, r4.national, r4.general_revenue, r4.page) == (1500, 500, 1000, 2)  # 百万円 stored as 千円
    assert (r5.total_cost, r5.national, r5.raw["national"], r5.general_revenue) == (2000, 0, "-", 2000)  # a dash is 0
    sources = {(s.fiscal_year, s.source): (s.amount, s.source_label, s.blank_is_zero) for s in tiny.rows("project_budget_sources")}
    assert sources == {
        (2022, "国"): (500, "国庫支出金", True), (2022, "一般財源"): (1000, "一般財源", True),
        (2023, "国"): (0, "国庫支出金", True), (2023, "一般財源"): (2000, "一般財源", True),
    }
    items = [(i.item_no, i.item_name, i.fiscal_year, i.amount, i.amount_text) for i in tiny.rows("project_budget_items")]
    assert items == [(1, "委託料", 2022, 1000, "1"), (1, "委託料", 2023, 0, "-"),
                     (2, "消耗品", 2022, 500, "0.5"), (2, "消耗品", 2023, None, None)]


def test_indicator_table(tiny: Extraction) -> None:
    rows = [(i.indicator_no, i.indicator_name, i.unit, i.fiscal_year, i.kind, i.value, i.value_text)
            for i in tiny.rows("project_indicators")]
    assert rows == [(1, "利用者数", "人", 2022, "実績", 1000, "1,000"), (1, "利用者数", "人", 2023, "目標", None, "-")]


def test_evaluation_through_its_reason_and_a_choice(tiny: Extraction) -> None:
    (evaluation,) = tiny.rows("project_evaluations")
    assert (evaluation.evaluator, evaluation.achievement_rating, evaluation.achievement_reason) == (
        "1次", "A", "計画どおり進んだ")
    assert evaluation.direction_rating == "拡充"  # the option after ■
    assert evaluation.raw_text == "A\n計画どおり進んだ\n拡充"


def test_the_generated_sheet_validates_clean(tiny: Extraction) -> None:
    from hyoka.schemas.validate import validate_extraction

    issues = validate_extraction(tiny)
    assert [(i.check_name, i.record_key) for i in issues if i.severity == "error"] == []


@pytest.mark.parametrize(
    ("printed", "options", "chosen"),
    [
        ("□ より多くの市民に（共同消費性）\n■ 特定の個人に（個人消費性）", (), "特定の個人に（個人消費性）"),
        ("○ 達成 ● おおむね ○ 達成までは ○ その他", ("達成", "おおむね達成", "達成までは困難", "その他"), "おおむね達成"),
        ("○ 達成 ○ おおむね", (), None),  # nothing marked
        ("■ 政策的 ■ 経常的", (), "政策的\n経常的"),
    ],
)
def test_a_choice_is_the_option_after_a_filled_mark(printed: str, options: tuple[str, ...], chosen: str | None) -> None:
    assert chosen_option(printed, ChoiceSpec(options=options)) == chosen


# ---- the shipped templates ----------------------------------------------------------------------


def test_asahikawas_sheet_is_a_template_file_with_no_python_module() -> None:
    (sheet,) = [t for t in TEMPLATES if t.name == "asahikawa_jimujigyo_sheet"]
    assert isinstance(sheet, FileTemplate)
    assert sheet.source == BUILTIN_TEMPLATE_DIR / "asahikawa_jimujigyo_sheet.toml"
    assert not (ROOT / "extractors" / "asahikawa_sheet.py").exists()
    assert sheet.spec.project.hooks == ("repeated_header",)  # its one hook (extractors/template_hooks.py)


def test_ikeda_is_a_template_file_with_no_python_module() -> None:
    (ikeda,) = [t for t in TEMPLATES if t.name == "ikeda_mokuhyo_sheet"]
    assert isinstance(ikeda, FileTemplate)
    assert ikeda.source == BUILTIN_TEMPLATE_DIR / "ikeda_mokuhyo_sheet.toml"
    assert not (ROOT / "extractors" / "ikeda_sheet.py").exists()
    files: Callable[[Path], list[str]] = lambda folder: sorted(p.name for p in folder.glob("*.toml"))  # noqa: E731
    assert files(BUILTIN_TEMPLATE_DIR) == files(ROOT / "extractors" / "templates")


# ---- a city of one's own: --templates DIR -------------------------------------------------------


@pytest.fixture
def user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the tiny template; HYOKA_TEMPLATES is restored afterwards (the command sets it)."""
    from hyoka.extractors.registry import USER_TEMPLATES_ENV

    folder = tmp_path / "my-templates"
    folder.mkdir()
    (folder / "test_city_sheet.toml").write_text(TINY, encoding="utf-8")
    monkeypatch.setenv(USER_TEMPLATES_ENV, "")  # recorded, so that the test's change is undone
    return folder


def _hyoka(*args: str):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hyoka.cli import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})


def test_hyoka_templates_lists_a_users_file_and_where_each_comes_from(user_folder: Path) -> None:
    run = _hyoka("templates", "--templates", str(user_folder))
    assert run.exit_code == 0, run.output
    lines = run.stdout.splitlines()
    (mine,) = [ln for ln in lines if " test_city_sheet " in ln]
    assert str((user_folder / "test_city_sheet.toml").resolve()) in mine and "テスト市" in mine
    (ikeda,) = [ln for ln in lines if " ikeda_mokuhyo_sheet " in ln]
    assert "hyoka: templates/ikeda_mokuhyo_sheet.toml" in ikeda
    (asahikawa,) = [ln for ln in lines if " asahikawa_jimujigyo_sheet " in ln]
    assert "hyoka: templates/asahikawa_jimujigyo_sheet.toml" in asahikawa
    (export,) = [ln for ln in lines if " ofunato_jimujigyo_export " in ln]
    assert "hyoka: templates/sheets/ofunato_jimujigyo_export.toml" in export and "大船渡市" in export


def test_a_users_file_with_a_mistake_stops_the_command_in_one_line(user_folder: Path, tmp_path: Path) -> None:
    broken = TINY.replace('unit = "百万円"', 'unit = "万円"')
    (user_folder / "test_city_sheet.toml").write_text(broken, encoding="utf-8")
    run = _hyoka("ingest", str(tmp_path), "--db", str(tmp_path / "w.duckdb"), "--templates", str(user_folder))
    assert run.exit_code == 2
    (line,) = [ln for ln in run.stderr.splitlines() if ln.strip()]
    where = f"{(user_folder / 'test_city_sheet.toml').resolve()}:{_line_of(broken, '万円')}: numbers.money.unit:"
    assert where in line and "fix the template file" in line
    assert not (tmp_path / "w.duckdb").exists()


def test_ingest_reads_with_a_users_template(user_folder: Path, tmp_path: Path) -> None:
    from conftest import fetch

    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(generated_sheet())
    db = tmp_path / "w.duckdb"
    run = _hyoka("ingest", str(pdf), "--db", str(db), "--no-report", "--orchestrator", "local",
                 "--templates", str(user_folder))
    assert run.exit_code == 0, run.output
    assert fetch(db, "SELECT template, municipality, status FROM documents") == [("test_city_sheet", "テスト市", "loaded")]
    assert fetch(db, "SELECT project_code, project_name FROM projects") == [("7", "公園管理事業")]
    assert fetch(db, "SELECT fiscal_year, total_cost FROM project_budgets ORDER BY 1") == [(2022, 1500), (2023, 2000)]


# ---- the vocabulary of header tables, on a generated book (旭川's layout, other words) ----------

HEADED = """\
# a generated sheet of two pages, each starting with a header table over one data row
[template]
name = "test_headed_sheet"
doc_type = "jimujigyo_sheet"
municipality = "テスト町"
description = "テスト町 事業評価シート (generated: a header table on both pages)"

[numbers.money]
unit = "千円"

[numbers.staff]
unit = "人工"

[numbers.indicator]
dash = "no_figure"

[[page]]
role = "head"
anchors = ["コード", "名称", "財源内訳", "改善の視点"]
missing = "missing_page1"

[[page]]
role = "tail"
anchors = ["コード", "名称", "財源内訳", "施策", "公約"]
missing = "missing_page2"

[document.results_fiscal_year]
read = { label = "人工", match = "prefix", value = "self" }
newest = true

[project]
starts_on = ["head"]
continues = "same_code"
hooks = ["repeated_header"]
code = { label = "コード", value = "under", join = "spaces" }

[project.fields]
project_name = { label = "名称", value = "under" }
outputs_header = { label = "活動", match = "prefix", value = "header" }
outputs_text = { label = "活動", match = "prefix", value = "under" }
pledge_no = { label = "公約" }
pledge_title = { label = "公約", skip = 1 }

[project.parts]
policy = { label = "施策", compact = ["policy_code"], pattern = '\\A(?P<policy_code>[0-9]+(?:\\s*-\\s*[0-9]+)+)\\s*(?P<policy_name>[^\\n]*)(?:\\n(?P<policy_purpose>[\\s\\S]*))?' }

[budget]
header = "事業費"
numbers = "money"

[[budget.columns]]
label = "事業費"
column = "total_cost"

[[budget.columns]]
funding_source = true

[staffing]
header = "人工"
match = "prefix"
numbers = "staff"
columns = { regular_staff = "正職員", fiscal_year_staff = "会計" }

[[marks]]
into = "project_reform_viewpoints"
label = "改善の視点"
items = "below"
keep = "all"
number = '^([①-⑳])'

[[indicators]]
header = "成果"
layout = "pairs"
level = "事業"
numbers = "indicator"
kinds = ["目標", "実績"]

[[indicators]]
header_pattern = '^施策の指標'
every = true
level = "施策"
numbers = "indicator"
kinds = ["目標", "実績"]
column_label = "text"
columns = { unit = "単位", baseline_text = "基準値" }

[[evaluations]]
evaluator = "1次"
box = "texts"

[evaluations.fields]
issues = { label = "課題", value = "below" }
direction = { label = "方向性", value = "below" }
"""

HEADED_FILE = "templates/test_headed_sheet.toml"
LANDSCAPE = (A4[1], A4[0])


def _header_table(code: tuple[str, str], year: str, national: str, page: int) -> list[Cell]:
    """The header table both pages print: code, name, the budget rows, 人工, 活動 (split on page 2), 成果."""
    activity = [(520, 60, 90, 40, "活動\nR5年度の件数")] if page == 1 else [
        (520, 60, 90, 20, "活動"), (520, 80, 90, 20, "R5年度の件数")]
    budget = [("R4決算", "1,000", "400", "-", "600"), ("R5予算", "1,200", national, "100", "600"),
              ("R6予算", "1,300", "500", "100", "700")]
    rows: list[Cell] = []
    for number, (label, *figures) in enumerate(budget):
        top = 100 + 20 * number
        rows += [(200, top, 60, 20, label), *((x, top, w, 20, f) for (x, w), f in
                                              zip(((260, 50), (310, 40), (350, 40), (390, 50)), figures))]
    return [
        (40, 60, 60, 40, "コード"), (100, 60, 100, 40, "名称"), (200, 60, 240, 16, "財源内訳"),
        (200, 76, 60, 24, ""), (260, 76, 50, 24, "事業費"), (310, 76, 40, 24, "国"), (350, 76, 40, 24, "県"),
        (390, 76, 50, 24, "一般財源"), (440, 60, 80, 20, f"人工({year}年度)"), (440, 80, 40, 20, "正職員"),
        (480, 80, 40, 20, "会計年度"), *activity, (610, 60, 120, 40, "成果"),
        (40, 100, 30, 60, code[0]), (70, 100, 30, 60, code[1]), (100, 100, 100, 60, "道路維持事業"), *rows,
        (440, 100, 40, 60, "1.5"), (480, 100, 40, 60, "0.5"), (520, 100, 90, 60, "点検 30件"),
        (610, 100, 120, 20, "補修率"), (610, 120, 60, 20, "R5実績"), (670, 120, 60, 20, "80"),
        (610, 140, 60, 20, "R6目標"), (670, 140, 60, 20, "90"),
    ]


def _head(code: tuple[str, str]) -> list[Cell]:
    """Page 1: the header table, a numbered list with marks on the right, an evaluation's texts side by side."""
    return [*_header_table(code, "R5", "500", 1),
            (40, 190, 140, 20, "改善の視点"), (40, 210, 120, 20, "① 効率化"), (160, 210, 20, 20, "○"),
            (40, 230, 120, 20, "② 協働"), (160, 230, 20, 20, ""),
            (200, 190, 200, 20, "課題"), (200, 210, 200, 40, "人手不足"),
            (400, 190, 200, 20, "方向性"), (400, 210, 200, 40, "委託を拡大")]


def _tail(code: tuple[str, str], year: str, national: str) -> list[Cell]:
    """Page 2: the header table again, a policy split into parts, a pledge, two indicator tables."""
    return [*_header_table(code, year, national, 2),
            (40, 190, 80, 40, "施策"), (120, 190, 300, 40, "1 - 2 - 3 道路の安全\n(目的) 事故を減らす"),
            (40, 240, 80, 20, "公約"), (120, 240, 30, 20, "12"), (150, 240, 200, 20, "安全なまち"),
            (40, 280, 150, 40, "施策の指標"), (190, 280, 40, 40, "単位"), (230, 280, 100, 20, "実績"),
            (230, 300, 50, 20, "R4"), (280, 300, 50, 20, "R5"), (330, 280, 50, 40, "基準値"),
            (380, 280, 60, 40, "目標値R7"),
            (40, 320, 150, 20, "事故件数"), (190, 320, 40, 20, "件"), (230, 320, 50, 20, "12"), (280, 320, 50, 20, "10"),
            (330, 320, 50, 20, "15"), (380, 320, 60, 20, "8"),
            (40, 360, 150, 40, "施策の指標(参考)"), (190, 360, 40, 40, "単位"), (230, 360, 100, 40, "R5実績"),
            (40, 400, 150, 20, "参加者数"), (190, 400, 40, 20, "人"), (230, 400, 100, 20, "300")]


@cache
def generated_book() -> bytes:
    """Four pages: a project on pages 1-2 (page 2 prints 国 50 where page 1 prints 500), a page 1 alone,
    and a page 2 whose code is not the page 1's before it."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LANDSCAPE)
    for cells in (_head(("12", "34")), _tail(("12", "34"), "R5", "50"), _head(("56", "78")),
                  _tail(("90", "12"), "R6", "500")):
        pdf.setFont(FONT, 9)
        for x, top, width, height, text in cells:
            pdf.rect(x, LANDSCAPE[1] - top - height, width, height)
            lines = text.split("\n")
            for number, line in enumerate(lines):
                middle = top + height / 2 + (number - (len(lines) - 1) / 2) * 11
                pdf.drawString(x + 3, LANDSCAPE[1] - middle - 3, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def headed() -> Extraction:
    template = FileTemplate(parse_template(HEADED, HEADED_FILE), Path(HEADED_FILE))
    return extract_pdf(generated_book(), templates=[template])


def test_pages_join_a_project_when_they_print_its_code(headed: Extraction) -> None:
    assert [(p.page, p.page_role, p.project_code) for p in headed.rows("pages")] == [
        (1, "head", "1234"), (2, "tail", "1234"), (3, "head", "5678"), (4, "tail", "9012")]
    assert [(p.project_code, p.project_code_raw, p.first_page, p.last_page) for p in headed.rows("projects")] == [
        ("1234", "12 34", 1, 2), ("5678", "56 78", 3, 3), ("9012", "90 12", 4, 4)]
    missing = [(i.page, i.check_name, i.record_key) for i in headed.issues if i.check_name.startswith("missing_page")]
    assert missing == [(3, "missing_page2", "5678"), (4, "missing_page1", "9012")]
    assert headed.results_fiscal_year == 2024  # the newest 人工 year of the book (page 4: R6)


def test_header_table_fields_under_their_headers(headed: Extraction) -> None:
    project = headed.rows("projects")[0]
    assert (project.project_name, project.outputs_text) == ("道路維持事業", "点検 30件")
    assert project.outputs_header == "活動\nR5年度の件数"  # one cell on page 1, a header over a sub-header on page 2
    code_cells = [c for c in project.cell_bboxes["project_code"]]
    assert code_cells[0] == pytest.approx(40, abs=1) and code_cells[2] == pytest.approx(100, abs=1)  # both cells


def test_a_value_split_into_parts_and_a_cell_skipped(headed: Extraction) -> None:
    project = headed.rows("projects")[0]
    assert (project.policy_code, project.policy_name, project.policy_purpose) == ("1-2-3", "道路の安全", "(目的) 事故を減らす")
    assert (project.pledge_no, project.pledge_title) == ("12", "安全なまち")
    assert project.cell_pages["policy_code"] == 2 and project.cell_pages["pledge_title"] == 2


def test_budget_rows_labelled_by_year_and_stage(headed: Extraction) -> None:
    budgets = [(b.project_code, b.label, b.fiscal_year, b.stage, b.total_cost, b.national, b.prefecture, b.general_revenue)
               for b in headed.rows("project_budgets") if b.project_code == "1234"]
    assert budgets == [("1234", "R4決算", 2022, "決算", 1000, 400, None, 600),
                       ("1234", "R5予算", 2023, "予算", 1200, 500, 100, 600),
                       ("1234", "R6予算", 2024, "予算", 1300, 500, 100, 700)]
    r4 = headed.rows("project_budgets")[0]
    assert (r4.raw["prefecture"], r4.raw_text) == ("-", "R4決算 | 1,000 | 400 | - | 600")  # the row as printed
    sources = {(s.label, s.source): (s.amount, s.source_label) for s in headed.rows("project_budget_sources")
               if s.project_code == "1234"}
    assert sources[("R5予算", "都道府県")] == (100, "県") and sources[("R4決算", "一般財源")] == (600, "一般財源")
    assert len(sources) == 3 * 3  # 国, 県, 一般財源 in each row


def test_staffing_under_its_sub_headers(headed: Extraction) -> None:
    staffing = headed.rows("project_staffing")
    assert [(s.project_code, s.fiscal_year, s.regular_staff, s.fiscal_year_staff, s.label) for s in staffing] == [
        ("1234", 2023, 1.5, 0.5, "人工(R5年度)"), ("5678", 2023, 1.5, 0.5, "人工(R5年度)"),
        ("9012", 2024, 1.5, 0.5, "人工(R6年度)")]


def test_marks_listed_below_with_their_numbers(headed: Extraction) -> None:
    marks = [(v.viewpoint_no, v.viewpoint, v.selected, v.mark, v.raw_text) for v in headed.rows("project_reform_viewpoints")
             if v.project_code == "1234"]
    assert marks == [(1, "効率化", True, "○", "① 効率化 | ○"), (2, "協働", False, "", "② 協働 | ")]


def test_indicator_pairs_and_rows_in_reading_order(headed: Extraction) -> None:
    rows = [(i.level, i.indicator_no, i.indicator_name, i.column_label, i.fiscal_year, i.kind, i.value, i.unit,
             i.baseline, i.raw.get("baseline"))
            for i in headed.rows("project_indicators") if i.project_code == "1234"]
    assert rows == [
        ("事業", 1, "補修率", "R5実績", 2023, "実績", 80, None, None, None),
        ("事業", 1, "補修率", "R6目標", 2024, "目標", 90, None, None, None),
        ("施策", 1, "事故件数", "実績 R4", 2022, "実績", 12, "件", 15, "15"),
        ("施策", 1, "事故件数", "実績 R5", 2023, "実績", 10, "件", 15, "15"),
        ("施策", 1, "事故件数", "目標値R7", 2025, "目標", 8, "件", 15, "15"),
        ("施策", 1, "参加者数", "R5実績", 2023, "実績", 300, "人", None, ""),  # a second table of the level (every)
    ]


def test_an_evaluations_box_around_its_texts(headed: Extraction) -> None:
    evaluation = headed.rows("project_evaluations")[0]
    assert (evaluation.issues, evaluation.direction, evaluation.cell_bboxes) == ("人手不足", "委託を拡大", {})
    assert evaluation.bbox is not None
    assert evaluation.bbox[0] == pytest.approx(200, abs=1) and evaluation.bbox[1] == pytest.approx(210, abs=1)


def test_a_repeated_header_that_differs_is_flagged_by_the_hook(headed: Extraction) -> None:
    mismatches = [(i.page, i.table_name, i.record_key, i.column_name, i.raw_value, i.detail)
                  for i in headed.issues if i.check_name == "page_header_mismatch"]
    assert mismatches == [(2, "project_budgets", "1234 R5予算", "national", "50", "1ページ目 500 / 2ページ目 50")]


HEADED_MISTAKES = {
    # name: (what is written instead, the line it is on, the key named, words of the reason)
    "skip from a label's own text": (('pledge_title = { label = "公約", skip = 1 }',
                                      'pledge_title = { label = "公約", value = "self", skip = 1 }'),
                                     "pledge_title", "project.fields.pledge_title.skip", "value is right or below"),
    "parts without named groups": (("[project.parts]\n", "[project.parts]\nnumber = { label = \"番号\", pattern = '[0-9]+' }\n"),
                                   "number = { label", "project.parts.number.pattern", "a pattern with named groups"),
    "a part that is no field": (("(?P<policy_name>", "(?P<policy_nam>"), "policy = ", "project.parts.policy.pattern",
                                "'policy_nam' is not a text field of projects (did you mean 'policy_name'?)"),
    "compact names no part": (('compact = ["policy_code"]', 'compact = ["code"]'), "policy = ",
                              "project.parts.policy.compact", "not a named group of the pattern"),
    "unknown hook": (('hooks = ["repeated_header"]', 'hooks = ["repeated_headers"]'), "hooks = ",
                     "project.hooks", "not a hook hyoka has (did you mean 'repeated_header'?)"),
    "budget columns without their header": (('header = "事業費"\n', ''), "[budget]", "budget.header",
                                            "found by its first column's header"),
    "staffing column no field": (('regular_staff = "正職員"', 'regular = "正職員"'), "regular = ",
                                 "staffing.columns.regular", "not a number field of project_staffing"),
    "items below without a number": (("number = '^([①-⑳])'\n", ""), "[[marks]]", "marks[1].number",
                                     "told from their marks by their number"),
    "pairs with named columns": (('layout = "pairs"', 'layout = "pairs"\ncolumns = { resilience_mark = "強靭化" }'),
                                 "resilience_mark",
                                 "indicators[1].columns", "no named columns"),
    "a missing page's check": (('missing = "missing_page1"', 'missing = "Missing page 1"'), "Missing page 1",
                               "page[1].missing", "a check's name is lower-case"),
}


@pytest.mark.parametrize("name", HEADED_MISTAKES)
def test_a_mistake_in_the_new_vocabulary_is_refused_with_file_line_and_key(name: str) -> None:
    (old, new), line, key, reason = HEADED_MISTAKES[name]
    assert HEADED.count(old) == 1, old
    text = HEADED.replace(old, new)
    with pytest.raises(TemplateFileError) as refused:
        parse_template(text, HEADED_FILE)
    error = refused.value
    assert (error.line, error.key) == (_line_of(text, line), key)
    assert reason in error.reason, error.reason
