"""総合戦略 KPI一覧 through the warehouse: every cell of the ground truth, editions, cross-checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GROUND_TRUTH, KPI_LIST, SHEET_LIBREOFFICE, fetch, fetch_dicts, squash
from hyoka.extractors.pdf_input import sha256_hex
from hyoka.normalize import normalize_label
from synth.kpi_list import SynthGoal, SynthItem, SynthKpi, SynthSubItem, kpi_list_pdf
from warehouse_builder import build_warehouse

TRUTH = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))["asahikawa_sogo_senryaku_kpi_R4"]
KPI_DOC = sha256_hex(KPI_LIST.read_bytes())
STATUS_OF_KIND = {"number": "value", "placeholder": "placeholder", "empty": "empty"}


@pytest.fixture(scope="module")
def kpi_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The KPI list and the sheet it shares an indicator with, loaded (no Prefect)."""
    return build_warehouse([KPI_LIST, SHEET_LIBREOFFICE], tmp_path_factory.mktemp("kpi") / "kpi.duckdb")


def truth_rows() -> list[tuple[dict, dict, dict | None, dict]]:
    """(goal, item, sub-item or None, kpi) for every KPI row of the ground truth."""
    rows = []
    for goal in TRUTH["goals"]:
        for item in goal["items"]:
            for kpi in item["kpis"]:
                rows.append((goal, item, None, kpi))
            for sub in item.get("subitems", []):
                for kpi in sub["kpis"]:
                    rows.append((goal, item, sub, kpi))
    return rows


def test_document_row(kpi_warehouse: Path) -> None:
    (doc,) = fetch_dicts(kpi_warehouse, "SELECT * FROM documents WHERE document_id = ?", [KPI_DOC])
    assert doc["doc_type"] == "strategy_kpi_list"
    assert doc["municipality"] == "旭川市"  # from the title
    assert doc["results_fiscal_year"] == 2022  # the newest 実績値 column with values
    assert doc["title"] == TRUTH["document"]
    assert doc["page_count"] == 4


def test_thirty_kpis_and_two_placeholder_rows(kpi_warehouse: Path) -> None:
    rows = fetch(kpi_warehouse, "SELECT is_placeholder, count(*) FROM strategy_kpis WHERE document_id = ? GROUP BY 1", [KPI_DOC])
    assert dict(rows) == {False: 30, True: 2}
    placeholders = fetch(
        kpi_warehouse,
        "SELECT goal_no, item_label FROM strategy_kpis WHERE document_id = ? AND is_placeholder ORDER BY goal_no",
        [KPI_DOC],
    )
    assert placeholders == [(2, "エ"), (4, "ア")]


def test_every_kpi_row_and_cell(kpi_warehouse: Path) -> None:
    kpis = fetch_dicts(kpi_warehouse, "SELECT * FROM strategy_kpis WHERE document_id = ?", [KPI_DOC])
    values = fetch_dicts(kpi_warehouse, "SELECT * FROM strategy_kpi_values WHERE document_id = ?", [KPI_DOC])
    expected = truth_rows()
    assert len(kpis) == len(expected) == 32
    for goal, item, sub, truth in expected:
        matches = [
            k for k in kpis
            if k["goal_no"] == goal["goal_no"] and squash(k["kpi_name"]) == squash(truth["name_main"])
            and k["is_placeholder"] == truth["placeholder_row"] and k["item_label"] == item["label"]
        ]
        assert len(matches) == 1, truth["name"]
        kpi = matches[0]
        assert kpi["goal_title"] == goal["title"]
        assert kpi["page"] == goal["page"]
        assert squash(kpi["item_title"]) == squash(item["text"])
        assert kpi["sub_item_no"] == (sub["label"] if sub else None)
        assert squash(kpi["sub_item_title"]) == squash(sub["text"] if sub else None)
        assert squash(kpi["kpi_remark"]) == squash(truth["name_remark"])
        assert kpi["unit"] == truth["unit"]
        assert kpi["department"] == truth["dept"]
        cells = {normalize_label(v["column_label"]): v for v in values if v["kpi_id"] == kpi["kpi_id"]}
        assert len(cells) == 6
        for slot in truth["slots"].values():
            cell = cells[normalize_label(slot["column"])]
            assert cell["value_text"] == (slot["raw"] or None), (truth["name"], slot["column"])
            assert cell["value"] == slot["value"], (truth["name"], slot["column"])
            assert squash(cell["annotation"]) == squash(slot["annotation"])
            if slot["kind"] in STATUS_OF_KIND:
                assert cell["status"] == STATUS_OF_KIND[slot["kind"]]
            else:
                assert cell["status"] in ("pending", "text")
                assert cell["value"] is None
            if slot["note"]:
                assert squash(slot["note"]) in squash(cell["note"])
            assert cell["slot"] in slot["column"]


@pytest.mark.parametrize(
    "name, column, status, ref, aggregation, value",
    [
        # carried forward: printed under 令和２年度 but measured in FY2019
        ("子どもたちが健やかに成長していると感じる市民の割合", "令和２年度実績値", "value", (2019, 2019), None, 59.9),
        ("企業立地件数", "令和２年度実績値", "value", (2020, 2020), "単年度", 6),
        ("移住相談会や交流会などの参加者数", "令和６年度目標値", "value", (2020, 2024), "累計", 705),
        ("スポーツ合宿誘致者数", "令和４年度実績値", "pending", (2022, 2022), None, None),
        ("障がい者の雇用率", "令和６年度目標値", "text", (2024, 2024), None, None),
        ("粗付加価値額", "令和４年度実績値", "empty", (None, None), None, None),
    ],
)
def test_what_a_cell_means(kpi_warehouse: Path, name, column, status, ref, aggregation, value) -> None:  # type: ignore[no-untyped-def]
    rows = fetch_dicts(
        kpi_warehouse,
        "SELECT v.* FROM strategy_kpi_values v JOIN strategy_kpis k USING (document_id, kpi_id) "
        "WHERE v.document_id = ? AND starts_with(k.kpi_name, ?)",
        [KPI_DOC, name],
    )
    (cell,) = [r for r in rows if normalize_label(r["column_label"]) == normalize_label(column)]
    assert (cell["status"], (cell["ref_fiscal_year_start"], cell["ref_fiscal_year_end"])) == (status, ref)
    assert cell["aggregation"] == aggregation
    assert cell["value"] == value
    if status == "pending":
        assert "9月頃" in cell["note"]


def test_average_reference_range(kpi_warehouse: Path) -> None:
    rows = fetch(
        kpi_warehouse,
        "SELECT ref_fiscal_year_start, ref_fiscal_year_end, value FROM strategy_kpi_values "
        "WHERE document_id = ? AND aggregation = '平均'",
        [KPI_DOC],
    )
    assert (2016, 2018, 1669) in rows  # 1,669（平成28-30年度の平均値）


def test_sample_documents_agree_across_documents(kpi_warehouse: Path) -> None:
    """The sheet's 基本政策 indicator is a KPI too: FY2020 161 and FY2021 189 agree."""
    assert fetch(kpi_warehouse, "SELECT count(*) FROM validation_issues WHERE check_name = 'cross_document_mismatch'") == [(0,)]


# ---- a later edition --------------------------------------------------------------

R5_HEADERS = ["現状値"] + [f"令和{n}年度\n実績値" for n in ("元", "２", "３", "４", "５")] + ["令和６年度\n目標値"]
REPEAT = "観光客のリピート率"
CONNECTED = "上川中部定住自立圏形成協定に基づく取組数（各年度件数）"


def r5_edition(title: str) -> bytes:
    """The next year's list: one more 実績値 column and a revised FY2021 value."""
    goals = [
        SynthGoal(2, "新しい人の流れをつくる（次年度版）", [
            SynthItem("エ", "滞在の促進", subitems=[
                SynthSubItem("②", "観光客の滞在とリピート率増加", [
                    SynthKpi(REPEAT, "％", ["58.0\n（平成30年度）", "61.0", "69.8", "77.5", "72.3", "74.1", "66.0"], "観光スポーツ交流部"),
                ]),
            ]),
        ]),
        SynthGoal(4, "連携する（次年度版）", [
            SynthItem("エ", "圏域との連携推進", kpis=[
                SynthKpi(CONNECTED, "件", ["152\n（令和元年度）", "152", "161", "190", "180", "185", "166"], "総合政策部"),
            ]),
        ]),
    ]
    return kpi_list_pdf(goals, R5_HEADERS, title=title)


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("editions")
    r5 = folder / "kpi_R5.pdf"
    r5.write_bytes(r5_edition("【第２期】旭川市まち・ひと・しごと創生総合戦略に係る重要業績評価指標（ＫＰＩ）一覧"))
    db = build_warehouse([KPI_LIST, SHEET_LIBREOFFICE], folder / "editions.duckdb")
    build_warehouse([r5], db)  # the next year's list, loaded into the same warehouse afterwards
    return db, sha256_hex(r5.read_bytes())


def test_kpi_history_follows_editions(two_editions) -> None:  # type: ignore[no-untyped-def]
    db, r5_doc = two_editions
    assert fetch(db, "SELECT results_fiscal_year FROM documents WHERE document_id = ?", [r5_doc]) == [(2023,)]
    history = {
        row["ref_fiscal_year"]: row
        for row in fetch_dicts(db, "SELECT * FROM kpi_history WHERE kpi_name = ? AND slot = '実績値'", [REPEAT])
    }
    assert sorted(history) == [2019, 2020, 2021, 2022, 2023]
    revised = history[2021]
    assert (revised["value"], revised["revised"], revised["edition_count"]) == (77.5, True, 2)
    assert sorted(revised["values_reported"]) == [77.2, 77.5]
    assert (revised["first_edition_fiscal_year"], revised["newest_edition_fiscal_year"]) == (2022, 2023)
    assert revised["newest_document_id"] == r5_doc
    same = history[2022]
    assert (same["value"], same["revised"], same["edition_count"]) == (72.3, False, 2)
    new = history[2023]
    assert (new["value"], new["revised"], new["edition_count"]) == (74.1, False, 1)


def test_carried_forward_value_is_one_observation(two_editions) -> None:  # type: ignore[no-untyped-def]
    db, _ = two_editions
    rows = fetch(
        db,
        "SELECT edition_count, value FROM kpi_history h JOIN strategy_kpis k ON k.kpi_id = h.kpi_id "
        "WHERE starts_with(k.kpi_name, '子どもたちが健やかに') AND h.slot = '実績値' AND h.ref_fiscal_year = 2019",
    )
    assert set(rows) == {(1, 59.9)}  # printed under R1 and, carried forward, under R2: one observation


def test_readme_question_in_one_query(two_editions) -> None:  # type: ignore[no-untyped-def]
    """'What was 観光客のリピート率 in FY2021, per the newest edition, and was it ever revised?'"""
    db, _ = two_editions
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("-- what was 観光客のリピート率 in FY2021")
    query = readme[start: readme.index(";", start)]
    assert fetch(db, query) == [("観光客のリピート率", 77.5, True, 2)]


def test_cross_document_disagreement_is_a_warning_naming_both(two_editions) -> None:  # type: ignore[no-untyped-def]
    """The R5 list says 190 for FY2021 where the sheet says 189."""
    db, r5_doc = two_editions
    issues = fetch_dicts(db, "SELECT * FROM validation_issues WHERE check_name = 'cross_document_mismatch'")
    assert len(issues) == 1
    (issue,) = issues
    sheet_doc = sha256_hex(SHEET_LIBREOFFICE.read_bytes())
    assert (issue["document_id"], issue["related_document_id"], issue["severity"]) == (r5_doc, sheet_doc, "warning")
    assert "kpi_R5.pdf" in issue["message"] and SHEET_LIBREOFFICE.name in issue["message"]
    assert "189" in issue["message"] and "190" in issue["message"]
    assert issue["raw_value"] == "190"
    (doc,) = fetch_dicts(db, "SELECT status, warning_count FROM documents WHERE document_id = ?", [r5_doc])
    assert doc["status"] == "loaded_with_issues" and doc["warning_count"] >= 1
