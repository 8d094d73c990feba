"""The 総合戦略 KPI一覧 template against every cell of the sample's ground truth.

`samples/asahikawa_sogo_senryaku_kpi_R4.pdf` is read with `extract_pdf` (all templates,
as `hyoka ingest` does) and each KPI row and value cell is compared with
`samples/ground_truth.json`. Synthetic editions drawn with reportlab (`synth.kpi_list`)
check that the value columns are read from the header: a seventh value column, another
column order, and kpi_ids that stay the same across editions.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from hyoka.extractors.file_template import FileTemplate
from hyoka.extractors.grid import build_grid
from hyoka.extractors.kpi_list import KpiList, ValueColumn, annotation_span, municipality_from_title, read_value
from hyoka.extractors.pdf_input import open_pdf
from hyoka.extractors.records import Extraction, StrategyKpiRecord, StrategyKpiValueRecord
from hyoka.extractors.registry import MIN_SCORE, extract_pdf, template_named
from hyoka.normalize import find_fiscal_year, normalize_label
from synth.kpi_list import SynthGoal, SynthItem, SynthKpi, SynthSubItem, kpi_list_pdf

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
KPI_PDF = SAMPLES / "asahikawa_sogo_senryaku_kpi_R4.pdf"
SHEET_PDF = SAMPLES / "asahikawa_jimujigyo_R4_121101.pdf"
TRUTH = json.loads((SAMPLES / "ground_truth.json").read_text(encoding="utf-8"))["asahikawa_sogo_senryaku_kpi_R4"]

# ground-truth slot kind -> record status (text cells are listed one by one below)
KIND_STATUS = {"number": "value", "placeholder": "placeholder", "empty": "empty"}
TEXT_STATUS = {
    "未集計（9月頃に実績値を把握予定）": "pending",
    "（令和4年度分については10月頃確定予定）": "pending",
    "法定雇用率以上": "text",
}
KPI_ID = re.compile(r"^g[0-9]+-[0-9a-f]{12}$")

TEMPLATE = template_named("asahikawa_strategy_kpi_list")  # the template file extractors/templates/…toml
assert isinstance(TEMPLATE, FileTemplate) and TEMPLATE.spec.kpi_list is not None
LIST = KpiList(TEMPLATE.spec.kpi_list, TEMPLATE.spec.settings.edge)


# ---------------------------------------------------------------------------------------
# helpers


@pytest.fixture(scope="module")
def sample() -> Extraction:
    return extract_pdf(KPI_PDF.read_bytes())


def kpis(extraction: Extraction) -> list[StrategyKpiRecord]:
    rows = extraction.rows("strategy_kpis")
    assert all(isinstance(r, StrategyKpiRecord) for r in rows)
    return sorted(rows, key=lambda r: (r.page, r.row_no))  # type: ignore[return-value]


def values_of(extraction: Extraction, kpi_id: str) -> list[StrategyKpiValueRecord]:
    return [r for r in extraction.rows("strategy_kpi_values") if r.kpi_id == kpi_id]  # type: ignore[misc]


def truth_rows() -> list[dict]:
    """Every KPI row of the ground truth in reading order, with its goal and item path."""
    rows = []
    for goal in TRUTH["goals"]:
        for item in goal["items"]:
            for kpi in item["kpis"]:
                rows.append({"goal": goal, "item": item, "sub": None, "kpi": kpi})
            for sub in item.get("subitems") or []:
                for kpi in sub["kpis"]:
                    rows.append({"goal": goal, "item": item, "sub": sub, "kpi": kpi})
    return rows


def slot_of(column: str) -> str:
    return "現状値" if "現状値" in column else "目標値" if "目標値" in column else "実績値"


def expected_kpi_id(goal_no: int, name: str) -> str:
    """The documented rule: g{goal}- + sha1(goal|normalize_label(name))[:12]."""
    return f"g{goal_no}-" + hashlib.sha1(f"{goal_no}|{normalize_label(name)}".encode()).hexdigest()[:12]


TRUTH_ROWS = truth_rows()


# ---------------------------------------------------------------------------------------
# the sample, document level


def test_document_fields(sample: Extraction) -> None:
    assert sample.template == "asahikawa_strategy_kpi_list"
    assert sample.doc_type == "strategy_kpi_list"
    assert sample.title == TRUTH["document"]
    assert sample.municipality == "旭川市"
    assert sample.results_fiscal_year == 2022  # 令和４年度実績値 has values
    assert sample.page_count == 4


def test_every_page_is_a_read_goal_page(sample: Extraction) -> None:
    pages = sample.rows("pages")
    assert [(p.page, p.template, p.page_role, p.status) for p in pages] == [
        (g["page"], "asahikawa_strategy_kpi_list", "kpi_goal_page", "read") for g in TRUTH["goals"]
    ]


def test_row_count_and_order(sample: Extraction) -> None:
    rows = kpis(sample)
    assert len(rows) == len(TRUTH_ROWS) == 32
    assert sum(r.is_placeholder for r in rows) == 2
    for page in {r.page for r in rows}:
        assert [r.row_no for r in rows if r.page == page] == list(range(1, 1 + sum(r.page == page for r in rows)))
    assert len(sample.rows("strategy_kpi_values")) == 32 * 6


# ---------------------------------------------------------------------------------------
# the sample, every KPI row


@pytest.mark.parametrize("index", range(len(TRUTH_ROWS)), ids=lambda i: f"row{i + 1}")
def test_kpi_row(sample: Extraction, index: int) -> None:
    truth = TRUTH_ROWS[index]
    goal, item, sub, kpi = truth["goal"], truth["item"], truth["sub"], truth["kpi"]
    row = kpis(sample)[index]
    assert row.page == goal["page"]
    assert row.goal_no == goal["goal_no"]
    assert row.goal_title == goal["title"]
    assert row.item_label == item["label"]
    assert row.item_title == item["text"]
    assert row.sub_item_no == (sub["label"] if sub else None)
    assert row.sub_item_title == (sub["text"] if sub else None)
    assert row.kpi_name == kpi["name_main"]
    assert row.kpi_remark == kpi["name_remark"]
    assert row.unit == kpi["unit"]
    assert row.department == kpi["dept"]
    assert row.is_placeholder == kpi["placeholder_row"]
    if kpi["placeholder_row"]:
        assert row.kpi_id == f"g{goal['goal_no']}-{item['label']}-placeholder"
    else:
        assert KPI_ID.match(row.kpi_id)
        assert row.kpi_id == expected_kpi_id(goal["goal_no"], kpi["name_main"])
    assert row.bbox is not None and row.raw["kpi_name"].replace("\n", "") == kpi["name"].replace("\n", "")
    assert set(row.cell_bboxes) >= {"kpi_name", "unit", "department", "item_label", "item_title"}


@pytest.mark.parametrize("index", range(len(TRUTH_ROWS)), ids=lambda i: f"row{i + 1}")
def test_kpi_values(sample: Extraction, index: int) -> None:
    truth = TRUTH_ROWS[index]
    kpi = truth["kpi"]
    row = kpis(sample)[index]
    values = values_of(sample, row.kpi_id)
    slots = list(kpi["slots"].values())
    assert len(values) == len(slots) == 6
    for value, slot in zip(values, slots):
        where = f"{kpi['name_main']} / {slot['column']}"
        assert normalize_label(value.column_label) == normalize_label(slot["column"]), where
        assert value.slot == slot_of(slot["column"]), where
        assert value.page == row.page
        assert value.value == slot["value"], where
        assert value.value_text == (slot["raw"] or None), where
        assert value.raw == {"value": slot["raw"]}, where
        status = TEXT_STATUS[slot["note"]] if slot["kind"] == "text" else KIND_STATUS[slot["kind"]]
        assert value.status == status, where
        assert value.annotation == slot["annotation"], where
        assert value.note == slot["note"], where
        # the column's year from its header (現状値: the annotation's year, if any)
        column_year = find_fiscal_year(slot["column"])
        if value.slot == "現状値":
            span = find_fiscal_year(slot["annotation"]) if slot["annotation"] else None
            assert value.column_fiscal_year == (span.end if span else None), where
        else:
            assert column_year is not None and value.column_fiscal_year == column_year.start, where
        # the years the value really refers to
        if slot["annotation"]:
            span = find_fiscal_year(slot["annotation"])
            expected = (span.start, span.end)
        elif slot["kind"] in ("number", "text") and value.slot != "現状値":
            expected = (column_year.start, column_year.start)
        else:
            expected = (None, None)
        assert (value.ref_fiscal_year_start, value.ref_fiscal_year_end) == expected, where
        if value.status != "empty":
            assert value.cell_bboxes["value"] == value.bbox, where
        assert value.bbox is not None, where


def _value(sample: Extraction, name: str, column: str) -> StrategyKpiValueRecord:
    (row,) = [r for r in kpis(sample) if r.kpi_name == name]
    (value,) = [v for v in values_of(sample, row.kpi_id) if normalize_label(v.column_label) == normalize_label(column)]
    return value


@pytest.mark.parametrize(
    ("name", "column", "value", "start", "end", "aggregation", "annotation"),
    [
        # measured FY2019, carried into the FY2020 column
        ("子どもたちが健やかに成長していると感じる市民の割合（市民アンケート結果）", "令和２年度実績値",
         59.9, 2019, 2019, None, "（令和元年度）"),
        # mixed parentheses
        ("「ワーク・ライフ・バランスが実現できている」と思う市民の割合（市民アンケート結果）", "令和２年度実績値",
         22.0, 2019, 2019, None, "(令和元年度）"),
        ("粗付加価値額", "現状値", 8246014, 2017, 2017, None, "(平成29年度)"),
        ("企業立地件数（累計数）", "令和２年度実績値", 6, 2020, 2020, "単年度", "（令和2年度のみ）"),
        ("企業立地件数（累計数）", "令和６年度目標値", 30, 2020, 2024, "累計", "（令和2-6年度累計）"),
        ("移住相談会や交流会などの参加者数（累計数）", "令和６年度目標値", 705, 2020, 2024, "累計", "（令和2-6年度累計数）"),
        ("ホームページアクセス（全ページ合計）件数（各年度件数）", "現状値", 1669, 2016, 2018, "平均",
         "（平成28-30年度の平均値）"),
        # plain values: the column's year (実績値, 目標値), unknown for 現状値
        ("企業立地件数（累計数）", "令和元年度実績値", 2, 2019, 2019, None, None),
        ("青果物販売額", "令和元年度実績値", 1723, 2019, 2019, None, None),
        ("空港乗降客数（各年度人数）", "令和６年度目標値", 145, 2024, 2024, None, None),
    ],
)
def test_annotated_examples(sample, name, column, value, start, end, aggregation, annotation) -> None:  # type: ignore[no-untyped-def]
    record = _value(sample, name, column)
    assert record.status == "value"
    assert record.value == value
    assert (record.ref_fiscal_year_start, record.ref_fiscal_year_end) == (start, end)
    assert record.aggregation == aggregation
    assert record.annotation == annotation


def test_text_cells(sample: Extraction) -> None:
    pending = _value(sample, "スポーツ合宿誘致者数（各年度人数）", "令和４年度実績値")
    assert (pending.status, pending.value, pending.note) == ("pending", None, "未集計（9月頃に実績値を把握予定）")
    assert pending.value_text == "未集計\n（9月頃に実績値を把握予定）"
    later = _value(sample, "海外進出企業の海外拠点数（累計数）", "令和４年度実績値")
    assert (later.status, later.value, later.note) == ("pending", None, "（令和4年度分については10月頃確定予定）")
    target = _value(sample, "障がい者の雇用率", "令和６年度目標値")
    assert (target.status, target.value, target.note, target.column_fiscal_year) == ("text", None, "法定雇用率以上", 2024)
    empty = _value(sample, "粗付加価値額", "令和４年度実績値")
    assert (empty.status, empty.value, empty.value_text, empty.ref_fiscal_year_start) == ("empty", None, None, None)
    dash = _value(sample, "企業立地件数（累計数）", "現状値")
    assert (dash.status, dash.value, dash.value_text, dash.column_fiscal_year) == ("placeholder", None, "－", None)


def test_kpi_ids_are_unique_and_placeholders_named_by_item(sample: Extraction) -> None:
    ids = [r.kpi_id for r in kpis(sample)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i.endswith("placeholder")] == ["g2-エ-placeholder", "g4-ア-placeholder"]
    # 冬季 (item) and 冬期 (KPI name) are kept apart: the KPI name is hashed as printed
    (winter,) = [r for r in kpis(sample) if r.kpi_name.startswith("冬期")]
    assert winter.kpi_id == expected_kpi_id(2, "冬期（12-3月）観光客宿泊延数（各年度泊数）")
    assert winter.kpi_id != expected_kpi_id(2, "冬季（12-3月）観光客宿泊延数（各年度泊数）")


def test_the_sample_has_no_issue_and_its_two_empty_cells_say_so(sample: Extraction) -> None:
    assert sample.issues == []
    empty = [v for v in sample.rows("strategy_kpi_values") if v.status == "empty"]
    assert [(v.page, normalize_label(v.column_label), v.value, v.value_text) for v in empty] == [
        (3, "令和4年度実績値", None, None), (4, "令和4年度実績値", None, None)
    ]


# ---------------------------------------------------------------------------------------
# recognizing pages


def test_sheet_pages_are_not_kpi_pages() -> None:
    extraction = extract_pdf(SHEET_PDF.read_bytes())
    assert [(p.template, p.page_role) for p in extraction.rows("pages")] == [
        ("asahikawa_jimujigyo_sheet", "sheet_page1"),
        ("asahikawa_jimujigyo_sheet", "sheet_page2"),
    ]
    assert not extraction.rows("strategy_kpis") and not extraction.rows("strategy_kpi_values")
    with open_pdf(SHEET_PDF.read_bytes()) as pdf:
        for page in pdf.pages:
            assert TEMPLATE.recognize(build_grid(page)).score < MIN_SCORE / 2


def test_kpi_pages_are_not_sheet_pages() -> None:
    with open_pdf(KPI_PDF.read_bytes()) as pdf:
        for page in pdf.pages:
            grid = build_grid(page)
            assert TEMPLATE.recognize(grid).score == 1.0
            assert TEMPLATE.recognize(grid).role == "kpi_goal_page"
            assert template_named("asahikawa_jimujigyo_sheet").recognize(grid).score < MIN_SCORE / 2


# ---------------------------------------------------------------------------------------
# small pieces


def test_value_cells() -> None:
    actual = ValueColumn("実績値", "令和２年度\n実績値", 2020, 0, 1, None)  # type: ignore[arg-type]
    current = ValueColumn("現状値", "現状値", None, 0, 1, None, dated=False)  # type: ignore[arg-type]
    record = read_value(actual, "1,669（平成28-30年度の平均値）", LIST)  # annotation on the same line
    assert (record.value, record.annotation, record.aggregation) == (1669, "（平成28-30年度の平均値）", "平均")
    assert (record.ref_fiscal_year_start, record.ref_fiscal_year_end) == (2016, 2018)
    record = read_value(actual, "12\n（速報値）", LIST)  # not a year annotation: a note
    assert (record.status, record.value, record.annotation, record.note) == ("value", 12, None, "（速報値）")
    assert record.ref_fiscal_year_start == 2020
    assert read_value(current, "13", LIST).ref_fiscal_year_start is None  # a plain 現状値: year unknown
    assert read_value(current, "13\n（令和元年度）", LIST).column_fiscal_year == 2019
    assert read_value(actual, "集計中", LIST).status == "pending"
    assert read_value(actual, "約50", LIST).status == "text"
    assert read_value(actual, "", LIST).status == "empty"
    assert read_value(actual, "―", LIST).status == "placeholder"


def test_annotation_span() -> None:
    assert annotation_span("（令和2-6年度累計数）", LIST.annotation_rest).start == 2020  # type: ignore[union-attr]
    assert annotation_span("(令和元年度）", LIST.annotation_rest).end == 2019  # type: ignore[union-attr]
    assert annotation_span("（令和4年度分については10月頃確定予定）", LIST.annotation_rest) is None
    assert annotation_span("令和元年度", LIST.annotation_rest) is None


def test_municipality_from_title() -> None:
    def municipality(title: str) -> str | None:
        return municipality_from_title(title, TEMPLATE.spec.document)

    assert municipality("【第２期】旭川市まち・ひと・しごと創生総合戦略に係る重要業績評価指標（ＫＰＩ）一覧") == "旭川市"
    assert municipality("第2期大町市まち・ひと・しごと創生総合戦略 KPI一覧") == "大町市"
    assert municipality("東川町まち・ひと・しごと創生総合戦略") == "東川町"
    assert municipality("重要業績評価指標一覧") is None


# ---------------------------------------------------------------------------------------
# synthetic editions: columns are read from the header

SEVEN_COLUMNS = (
    ["現状値"] + [f"令和{n}年度\n実績値" for n in ("元", "２", "３", "４", "５")] + ["令和６年度\n目標値"]
)
FIRST_NAME = TRUTH["goals"][0]["items"][0]["kpis"][0]["name_main"]  # a KPI that is also in the sample


def seven_column_goals() -> list[SynthGoal]:
    return [
        SynthGoal(1, "架空の目標をかなえる", [
            SynthItem("ア", "架空の施策の推進", kpis=[
                SynthKpi(FIRST_NAME, "％", ["59.9\n（令和元年度）", "59.9", "60.1", "61.2", "62.3", "63.4", "65.0"], "子育て支援部"),
                SynthKpi("架空指標その二（累計数）", "人", ["－", "1", "2", "3", "未集計\n（9月頃に実績値を把握予定）", "", "50\n（令和2-6年度累計数）"],
                         "企画部", remark="※架空の注記です。定義は別紙のとおり。"),
            ]),
            SynthItem("イ", "小項目のある架空の施策", subitems=[
                SynthSubItem("①", "小項目その一", [
                    SynthKpi("小項目指標Ａ", "％", ["1.5\n(令和元年度）", "1.6", "1.7\n（令和元年度）", "1.8", "1.9", "2.0", "法定雇用率以上"], "福祉部"),
                ]),
                SynthSubItem("②", "小項目その二", [
                    SynthKpi("小項目指標Ｂ", "回", ["2", "3", "4", "5", "6", "", "7"], "福祉部"),
                ]),
            ]),
        ]),
        SynthGoal(2, "二つ目の架空の目標", [
            SynthItem("ア", "架空の連携", kpis=[SynthKpi("指標Ｃ（各年度件数）", "件", ["1", "2", "3", "4", "5", "6", "9"], "総務部")]),
        ]),
    ]


@pytest.fixture(scope="module")
def seven() -> Extraction:
    title = "【第３期】架空町まち・ひと・しごと創生総合戦略に係る重要業績評価指標（ＫＰＩ）一覧"
    return extract_pdf(kpi_list_pdf(seven_column_goals(), SEVEN_COLUMNS, title=title))


def test_seven_value_columns_from_the_header(seven: Extraction) -> None:
    assert seven.template == "asahikawa_strategy_kpi_list"
    assert seven.municipality == "架空町"
    assert seven.results_fiscal_year == 2023  # 令和５年度実績値 now exists and has values
    rows = kpis(seven)
    assert [(r.page, r.row_no, r.goal_no, r.item_label, r.sub_item_no, r.is_placeholder) for r in rows] == [
        (1, 1, 1, "ア", None, False),
        (1, 2, 1, "ア", None, False),
        (1, 3, 1, "イ", None, True),
        (1, 4, 1, "イ", "①", False),
        (1, 5, 1, "イ", "②", False),
        (2, 1, 2, "ア", None, False),
    ]
    assert rows[1].kpi_remark == "※架空の注記です。定義は別紙のとおり。"
    assert rows[3].item_title == "小項目のある架空の施策" and rows[3].sub_item_title == "小項目その一"
    goals = seven_column_goals()
    truth_kpis = [k for g in goals for i in g.items for k in (i.kpis or [None] + [k for s in i.subitems for k in s.kpis])]
    for row, truth in zip(rows, truth_kpis):
        values = values_of(seven, row.kpi_id)
        assert [(v.slot, v.column_fiscal_year if v.slot != "現状値" else None) for v in values] == [
            ("現状値", None), *(("実績値", year) for year in range(2019, 2024)), ("目標値", 2024)]
        if truth is None:
            assert all(v.status == "placeholder" for v in values)
            continue
        assert [v.value_text for v in values] == [t or None for t in truth.values]
    by_text = {(v.kpi_id, normalize_label(v.column_label)): v for v in seven.rows("strategy_kpi_values")}
    r5 = by_text[(rows[0].kpi_id, "令和5年度実績値")]
    assert (r5.value, r5.ref_fiscal_year_start, r5.status) == (63.4, 2023, "value")
    carried = by_text[(rows[3].kpi_id, "令和2年度実績値")]
    assert (carried.value, carried.ref_fiscal_year_start, carried.annotation) == (1.7, 2019, "（令和元年度）")
    assert by_text[(rows[1].kpi_id, "令和4年度実績値")].status == "pending"
    assert by_text[(rows[3].kpi_id, "令和6年度目標値")].status == "text"
    assert seven.issues == []


def test_kpi_id_is_stable_across_editions(sample: Extraction, seven: Extraction) -> None:
    (in_sample,) = [r for r in kpis(sample) if r.kpi_name == FIRST_NAME]
    (in_seven,) = [r for r in kpis(seven) if r.kpi_name == FIRST_NAME]
    assert in_sample.kpi_id == in_seven.kpi_id


def test_column_order_does_not_matter() -> None:
    headers = ["令和６年度\n目標値", "令和４年度\n実績値", "現状値", "令和３年度\n実績値"]
    goals = [SynthGoal(3, "順序の違う版", [SynthItem("ウ", "並べ替えた施策", kpis=[
        SynthKpi("並べ替え指標", "件", ["40", "34\n（令和3年度）", "30\n（平成30年度）", "33"], "経済部"),
        SynthKpi("空欄のある指標", "件", ["", "", "", "－"], "経済部"),
    ])])]
    extraction = extract_pdf(kpi_list_pdf(goals, headers, title=None))
    assert extraction.municipality is None
    assert "missing_title" in {i.check_name for i in extraction.issues}
    assert extraction.results_fiscal_year == 2022
    row = kpis(extraction)[0]
    assert (row.goal_no, row.goal_title, row.item_label, row.item_title) == (3, "順序の違う版", "ウ", "並べ替えた施策")
    got = {(v.slot, v.column_fiscal_year): (v.value, v.ref_fiscal_year_start) for v in values_of(extraction, row.kpi_id)}
    assert got == {
        ("目標値", 2024): (40, 2024),
        ("実績値", 2022): (34, 2021),
        ("現状値", 2018): (30, 2018),
        ("実績値", 2021): (33, 2021),
    }
    checks = [i.check_name for i in extraction.issues]
    assert "empty_column" not in checks  # each column has a value somewhere
    assert sum(v.status == "empty" for v in values_of(extraction, kpis(extraction)[1].kpi_id)) == 3


def test_an_unreported_year_is_one_issue_and_not_the_results_year() -> None:
    goals = seven_column_goals()
    for goal in goals:
        for item in goal.items:
            for kpi in item.kpis + [k for s in item.subitems for k in s.kpis]:
                kpi.values[5] = ""  # 令和５年度実績値 not reported yet
    extraction = extract_pdf(kpi_list_pdf(goals, SEVEN_COLUMNS))
    assert extraction.results_fiscal_year == 2022
    empty = [i for i in extraction.issues if i.check_name == "empty_column"]
    assert [(i.check_name, normalize_label(i.record_key)) for i in empty] == [("empty_column", "令和5年度実績値")]
