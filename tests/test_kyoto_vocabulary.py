"""The words 京都's sheet added to the template vocabulary, on a generated sheet of another city.

The sheet is drawn here (two pages, numbered sections each a heading cell over a text
cell, as 京都 prints them), and the template file below reads it in its own words (目標値,
考え方, の予定: not 京都's), so what is tested is the vocabulary, not one city:

- `bracketed`: a cost with its 一般財源 in brackets, full- or half-width;
- `continues_unless`: a section that goes on at the top of the next page, under the
  repeated header, without its heading;
- `layout = "prose"`: indicators written inside a text, under group headings;
- `[[budget.cells]]`: a single figure outside the table, its year named by a heading;
- `across_pages`: an evaluation whose texts are on two pages;
- the check `general_revenue_exceeds_cost`: a 一般財源 above its cost is flagged, the row kept.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from hyoka.extractors.file_template import FileTemplate
from hyoka.extractors.records import Extraction
from hyoka.extractors.registry import extract_pdf
from hyoka.extractors.template_loader import parse_template
from hyoka.extractors.records import BudgetRecord
from hyoka.schemas.validate import validate_extraction, validate_table
from synth.kpi_list import font_path

FONT = "KyotoVocabularyGothic"
FILE = "templates/test_flow_sheet.toml"
FLOW = """\
[template]
name = "test_flow_sheet"
doc_type = "test_sheet"
municipality = "テスト市"
description = "a generated sheet of numbered sections (京都's shapes, other words)"

[numbers.money]
unit = "千円"
bracketed = "general_revenue"

[numbers.indicator]
dash = "no_figure"

[[page]]
role = "first"
anchors = ["番号", "1 概要", "年度"]

[[page]]
role = "second"
anchors = ["番号", "4 評価", "方向性"]

[project]
starts_on = ["first"]
continues = "same_code"
code = { caption = "番号", value = "below", digits = true }

[project.fields]
summary = { label = "概要", match = "contains", value = "below", continues_unless = '^\\s*[0-9]+\\s' }
initiatives_result = { label = "実績", match = "contains", value = "below", continues_unless = '^\\s*[0-9]+\\s' }

[budget]
corner = "年度"
numbers = "money"

[[budget.rows]]
label = "事業費"
match = "prefix"
column = "total_cost"

[[budget.cells]]
value = { label = "予算案" }
year = { label = "の予定", match = "contains", value = "self" }
stage = "予算案"

[[indicators]]
text = { label = "目標", match = "contains", value = "below" }
layout = "prose"
level = "事業"
numbers = "indicator"
kinds = ["目標"]
pattern = '指標：(?P<indicator_name>[^【]+)【目標値：(?P<value_text>[^（]+)（考え方：(?P<target_basis>[^）]+)）】'
group = '^＜(?P<group>[^＞]+)＞$'

[[evaluations]]
evaluator = "1次"
across_pages = true

[evaluations.fields]
comment = { label = "評価", match = "contains", value = "below" }
direction_rating = { label = "方向性" }
"""

Cell = tuple[float, float, float, float, str]  # x, top, width, height, text (lines split by \n)


def _header() -> tuple[list[Cell], list[tuple[float, float, str]]]:
    """What both pages print first: the caption 番号 over its box."""
    return [(60, 52, 40, 16, "3")], [(60, 40, "番号")]


def _first() -> list[Cell]:
    return [
        (60, 80, 400, 16, "1 概要"), (60, 96, 400, 20, "公園を整備する"),
        (60, 116, 400, 16, "2 目標"),
        (60, 132, 400, 60, "＜成果＞\n・指標：来園者数【目標値：1,200人（考え方：前年の1割増）】\n"
                           "＜効果＞\n・指標：満足度【目標値：80％（考え方：調査の目標）】"),
        (60, 200, 100, 16, "年度"), (160, 200, 150, 16, "令和５年度決算"), (310, 200, 150, 16, "令和６年度予算"),
        (60, 216, 100, 16, "事業費（一財）"), (160, 216, 150, 16, "100（40）"), (310, 216, 150, 16, "50(60)"),
        (60, 240, 400, 16, "3 実績"), (60, 256, 400, 30, "初年度は計画どおり整備した"),
    ]


def _second() -> list[Cell]:
    return [
        (60, 80, 400, 30, "次年度に続く取組を進めた"),  # 3 実績 goes on here, without its heading
        (60, 118, 400, 16, "4 評価"), (60, 134, 400, 20, "順調に進んでいる"),
        (60, 160, 150, 40, "5 令和7年度の予定"), (210, 160, 100, 20, "予算案"), (310, 160, 150, 20, "120（60）"),
        (210, 180, 100, 20, "方向性"), (310, 180, 150, 20, "継続"),
    ]


@cache
def flow_sheet() -> bytes:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    height = A4[1]
    for body in (_first(), _second()):
        cells, lines = _header()
        pdf.setFont(FONT, 9)
        for x, top, width, cell_height, text in cells + body:
            pdf.rect(x, height - top - cell_height, width, cell_height)
            rows = text.split("\n")
            for number, row in enumerate(rows):
                middle = top + cell_height / 2 + (number - (len(rows) - 1) / 2) * 11
                pdf.drawString(x + 3, height - middle - 3, row)
        for x, top, text in lines:
            pdf.drawString(x, height - top - 9, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def flow() -> Extraction:
    template = FileTemplate(parse_template(FLOW, FILE), Path(FILE))
    return extract_pdf(flow_sheet(), templates=[template])


def test_two_pages_are_one_project_and_a_section_goes_on_over_the_break(flow: Extraction) -> None:
    (project,) = flow.rows("projects")
    assert (project.project_code, project.first_page, project.last_page) == ("3", 1, 2)
    assert project.summary == "公園を整備する"  # a section with the next heading under it ends on its page
    assert project.initiatives_result == "初年度は計画どおり整備した\n次年度に続く取組を進めた"


def test_costs_with_their_general_revenue_in_brackets(flow: Extraction) -> None:
    budgets = {(b.fiscal_year, b.stage): b for b in flow.rows("project_budgets")}
    assert {key: (b.total_cost, b.general_revenue) for key, b in budgets.items()} == {
        (2023, "決算"): (100, 40), (2024, "予算"): (50, 60), (2025, "予算案"): (120, 60)}
    next_year = budgets[(2025, "予算案")]
    assert next_year.label == "令和7年度予算案" and next_year.page == 2
    assert next_year.raw == {"total_cost": "120", "general_revenue": "60"}
    assert "120（60）" in next_year.raw_text  # the cell as printed
    assert flow.rows("project_budget_sources") == []  # a part, the other sources unprinted


def test_indicators_inside_the_prose_under_their_groups(flow: Extraction) -> None:
    read = [(r.indicator_no, r.indicator_name, r.value, r.unit, r.value_text, r.target_basis, r.indicator_group, r.kind)
            for r in flow.rows("project_indicators")]
    assert read == [
        (1, "来園者数", 1200, "人", "1,200人", "前年の1割増", "成果", "目標"),
        (2, "満足度", 80, "％", "80％", "調査の目標", "効果", "目標"),
    ]


def test_an_evaluation_whose_texts_are_on_two_pages(flow: Extraction) -> None:
    (evaluation,) = flow.rows("project_evaluations")
    assert (evaluation.comment, evaluation.direction_rating, evaluation.page) == ("順調に進んでいる", "継続", 2)


def test_a_general_revenue_above_its_cost_is_flagged_and_kept(flow: Extraction) -> None:
    flagged = [(i.check_name, i.severity, i.record_key, i.column_name) for i in validate_extraction(flow)]
    assert flagged == [("general_revenue_exceeds_cost", "error", "3 令和６年度予算", "general_revenue")]
    assert any(b.general_revenue == 60 and b.total_cost == 50 for b in flow.rows("project_budgets"))


@pytest.mark.parametrize(("other", "checks"), [
    (0.0, {"general_revenue_exceeds_cost"}),
    (-1.0, {"negative_amount"}),  # a △ source (a refund) leaves more of the cost for the 一般財源
])
def test_general_revenue_above_the_cost_is_right_when_another_source_is_negative(other: float, checks: set[str]) -> None:
    row = BudgetRecord(page=1, project_code="3", fiscal_year=2024, stage="決算", label="令和６年度決算",
                       total_cost=100.0, other=other, general_revenue=101.0 if other == 0 else 100.0 - other)
    assert {issue.check_name for issue in validate_table("project_budgets", [row])} == checks
