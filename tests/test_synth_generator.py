"""The synthetic 事務事業評価シート generator: reproducible, complete, and truthful.

These tests check the generator against itself and against the PDF text (pdfplumber),
not against the extractor: a value in the truth must be printed on its sheet's page.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

pdfplumber = pytest.importorskip("pdfplumber")
pytest.importorskip("reportlab")
pytest.importorskip("matplotlib_fontja")

from synth import sheets as S  # noqa: E402

N = 6
SEED = 11

_WS = re.compile(r"\s+")


def _squash(text: str | None) -> str:
    return _WS.sub("", text or "")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[S.SheetTruth]]:
    path = tmp_path_factory.mktemp("synth") / "book.pdf"
    S.FIT_PROBLEMS.clear()
    truths = S.make_book(path, N, seed=SEED)
    return path, truths


@pytest.fixture(scope="module")
def book_2018(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[S.SheetTruth]]:
    """An edition that straddles 平成 → 令和 (R元), drawn with another style."""
    path = tmp_path_factory.mktemp("synth") / "book2018.pdf"
    truths = S.make_book(path, 3, seed=4, results_fiscal_year=2018)
    return path, truths


def _page_text(page) -> str:
    """Everything printed on a page, whitespace removed, read cell by cell.

    Whole-page extraction interleaves the lines of neighbouring cells, so each ruled cell
    (pdfplumber's table finder on the ruling lines) is read on its own: its chars top to
    bottom, left to right. Text outside cells (captions, footer) and the whole-page text
    are added too.
    """
    chars = [c for c in page.chars if c["text"].strip()]
    boxes = []
    for table in page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"}):
        boxes.extend(table.cells)
    boxes.sort(key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))  # smallest first
    in_box: dict[int, list[dict]] = {}
    loose: list[dict] = []
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        for i, (x0, top, x1, bottom) in enumerate(boxes):
            if x0 <= cx <= x1 and top <= cy <= bottom:
                in_box.setdefault(i, []).append(ch)
                break
        else:
            loose.append(ch)
    parts = []
    for group in list(in_box.values()) + [loose]:
        group.sort(key=lambda c: (round(c["top"], 1), c["x0"]))
        parts.append("".join(c["text"] for c in group))
    parts.append(_squash(page.extract_text()))
    return "\x00".join(parts)


def _printed_values(t: S.SheetTruth, page_no: int) -> dict[str, str]:
    """Every value cell of the truth that is drawn on page 1 or page 2 of its sheet."""
    p = t.project
    values: dict[str, str] = {
        "project_name": p["project_name"],
        "summary": p["summary"],
        "outputs_text": p["outputs_text"],
        "outcome_indicator": p["outcome_indicator_text"],
        "staff_regular": t.staffing["raw"]["regular_staff"],
        "staff_fiscal_year": t.staffing["raw"]["fiscal_year_staff"],
        "staff_label": t.staffing["label"],
    }
    for part in p["project_code_parts"]:
        values[f"code_part_{part}"] = part
    for b in t.budgets:
        values[f"budget_label_{b['label']}"] = b["label"]
        for key, raw in b["raw"].items():
            if raw:
                values[f"budget_{b['label']}_{key}"] = raw
    for e in t.indicators:
        if e["level"] == "事業" and e["value_text"]:
            values[f"outcome_{e['kind']}"] = e["value_text"]
            values[f"outcome_label_{e['kind']}"] = e["column_label"]
    if page_no == 1:
        values.update(
            start_text=p["start_text"],
            legal_basis=p["legal_basis"],
            related_plans=p["related_plans"],
            similar_services=p["similar_services"],
            reference_cases=p["reference_cases"],
            footer=p["footer_text"],
        )
        first, external, second = t.evaluations
        values.update(issues=first["issues"], direction=first["direction"], expected_effect=first["expected_effect"])
        if external["comment"]:
            values["external"] = external["comment"]
        if second["comment"]:
            values["second"] = second["comment"]
        for v in t.viewpoints:
            values[f"viewpoint_{v['viewpoint_no']}"] = f"{S.W.CIRCLED[v['viewpoint_no'] - 1]}{v['viewpoint']}"
    else:
        values.update(
            policy=f"{p['policy_code']} {p['policy_name']}",
            policy_purpose=p["policy_purpose"],
            vision_title=p["vision_title"],
            vision_text=p["vision_text"],
        )
        for key in ("policy_note", "strategy_policy_text", "strategy_vision_text", "pledge_no", "pledge_title"):
            if p[key]:
                values[key] = p[key]
        for e in t.indicators:
            if e["level"] == "事業":
                continue
            tag = f"{e['level']}_{e['indicator_no']}"
            values[f"{tag}_name"] = e["indicator_name"]
            for key in ("unit", "baseline_text", "achievement_text", "progress_text"):
                if e[key]:
                    values[f"{tag}_{key}"] = e[key]
            if e["value_text"]:
                values[f"{tag}_{e['kind']}_{e['fiscal_year']}"] = e["value_text"]
        for key in ("policy_actual_years", "strategy_actual_years"):
            for year in t.columns[key]:
                values[f"{key}_{year}"] = S.era_short(year)
        values["policy_target"] = f"目標値{S.era_short(t.columns['policy_target_year'])}"
        values["strategy_target"] = f"目標値{S.era_short(t.columns['strategy_target_year'])}"
    return values


# ---- (a) reproducible --------------------------------------------------------------------


def test_same_seed_same_truths_and_same_pdf(tmp_path: Path, book) -> None:
    path, truths = book
    again = S.make_book(tmp_path / "again.pdf", N, seed=SEED)
    assert [t.as_dict() for t in again] == [t.as_dict() for t in truths]
    assert (tmp_path / "again.pdf").read_bytes() == path.read_bytes()


def test_other_seed_other_content() -> None:
    a = [t.as_dict() for t in S.make_truths(N, seed=SEED)]
    b = [t.as_dict() for t in S.make_truths(N, seed=SEED + 1)]
    assert a != b


def test_make_sheet_truth_is_deterministic_and_codes_unique() -> None:
    used_a: set[str] = set()
    used_b: set[str] = set()
    rng_a, rng_b = random.Random(5), random.Random(5)
    a = [S.make_sheet_truth(rng_a, 2021, used_a).as_dict() for _ in range(40)]
    b = [S.make_sheet_truth(rng_b, 2021, used_b).as_dict() for _ in range(40)]
    assert a == b
    codes = [t["project"]["project_code"] for t in a]
    assert len(set(codes)) == len(codes) == len(used_a)
    for t in a:
        assert re.fullmatch(r"\d{6}", t["project"]["project_code"])
        assert "".join(t["project"]["project_code_parts"]) == t["project"]["project_code"]


def test_truth_is_json_serialisable(book) -> None:
    _, truths = book
    for t in truths:
        data = json.loads(json.dumps(t.as_dict(), ensure_ascii=False))
        assert S.SheetTruth.from_dict(data).as_dict() == t.as_dict()


# ---- (b) two pages per sheet ----------------------------------------------------------------


def test_two_pages_per_sheet(book, book_2018) -> None:
    for path, truths in (book, book_2018):
        with pdfplumber.open(path) as pdf:
            assert len(pdf.pages) == 2 * len(truths)
            fonts = {c["fontname"].split("+")[-1] for c in pdf.pages[0].chars}
            assert fonts == {"IPAexGothic"}


# ---- (c) every drawn value is printed on its page -------------------------------------------


@pytest.mark.parametrize("which", ["book", "book_2018"])
def test_every_value_is_on_its_page(which: str, request: pytest.FixtureRequest) -> None:
    path, truths = request.getfixturevalue(which)
    missing = []
    with pdfplumber.open(path) as pdf:
        for i, t in enumerate(truths):
            for page_no in (1, 2):
                text = _page_text(pdf.pages[2 * i + page_no - 1])
                for key, value in _printed_values(t, page_no).items():
                    if _squash(value) not in text:
                        missing.append((t.project_code, page_no, key, value))
    assert not missing, missing[:10]


def test_wrapping_was_unambiguous(book) -> None:
    assert S.FIT_PROBLEMS == []


def test_viewpoint_marks_are_printed(book) -> None:
    path, truths = book
    with pdfplumber.open(path) as pdf:
        for i, t in enumerate(truths):
            marks = sum(1 for c in pdf.pages[2 * i].chars if c["text"] == "○")
            assert marks == sum(v["selected"] for v in t.viewpoints)


# ---- (d) the truth is consistent ------------------------------------------------------------


def _parse_amount(raw: str) -> int | None:
    if raw in ("", "－"):
        return None
    negative = raw.startswith("△")
    value = int(raw.lstrip("△").replace(",", ""))
    return -value if negative else value


def test_budget_rows(book) -> None:
    _, truths = book
    for t in S.make_truths(60, seed=3) + truths:
        year = t.results_fiscal_year
        assert [(b["fiscal_year"], b["stage"]) for b in t.budgets] == [
            (year - 1, "決算"), (year, "当初予算"), (year, "決算見込"), (year + 1, "当初予算")
        ]
        for b in t.budgets:
            assert b["label"] == f"{S.era_short(b['fiscal_year'])}{b['stage']}"
            for key in S.BUDGET_KEYS:
                assert b[key] == _parse_amount(b["raw"][key]), (b["label"], key)
                if b[key] is not None and key != "tax_allocation_pct":
                    assert -9_999_999 <= b[key] <= 9_999_999
            if b["tax_allocation_pct"] is not None:
                assert 0 <= b["tax_allocation_pct"] <= 100
            parts = [b[k] for k in ("national", "prefecture", "municipal_bonds", "other", "general_revenue")]
            if b["total_cost"] is not None and all(v is not None for v in parts):
                assert b["total_cost"] == sum(parts), b


def test_indicator_entries() -> None:
    for t in S.make_truths(80, seed=7):
        assert {e["level"] for e in t.indicators} <= set(S.LEVELS)
        for e in t.indicators:
            assert e["kind"] in ("実績", "目標")
            assert (e["value"] is None) == (e["value_text"] is None)
            if e["achievement_rate"] is not None:
                assert e["achievement_text"] == f"{e['achievement_rate']:.1f}%"
        for level in ("施策", "総合戦略施策"):
            for row in _rows(t, level):
                cells = [key for key in row if isinstance(key, tuple)]
                actual = row[("実績", max(y for k, y in cells if k == "実績"))]
                target = row[("目標", next(y for k, y in cells if k == "目標"))]
                rate = row["rate"]
                if actual is None:
                    assert rate is None
                else:
                    assert rate == S.round_half_up(actual / target * 100, 1)
        for row in _rows(t, "基本政策"):
            assert row["rate"] is None and row["progress"] in (None, "達成", "概ね達成", "未達成")


def _rows(t: S.SheetTruth, level: str) -> list[dict]:
    rows: dict[int, dict] = {}
    for e in t.indicators:
        if e["level"] == level:
            row = rows.setdefault(e["indicator_no"], {"rate": e["achievement_rate"], "progress": e["progress_text"]})
            row[(e["kind"], e["fiscal_year"])] = e["value"]
    return list(rows.values())


def test_viewpoints_and_evaluations(book) -> None:
    _, truths = book
    for t in truths:
        assert [v["viewpoint_no"] for v in t.viewpoints] == list(range(1, 9))
        assert [v["viewpoint"] for v in t.viewpoints][2] == "業務の効率化"
        assert [e["evaluator"] for e in t.evaluations] == ["1次", "外部", "2次"]
        assert all(t.evaluations[0][k] for k in ("issues", "direction", "expected_effect"))


# ---- 和暦 and text wrapping -----------------------------------------------------------------


def test_era_labels() -> None:
    assert S.era_short(2021) == "R3"
    assert S.era_short(2019) == "R元"
    assert S.era_short(2018) == "H30"
    assert S.era_long(1989) == "平成元"
    assert S.era_long(1972) == "昭和47"
    t = S.make_truths(1, seed=0, results_fiscal_year=2018)[0]
    assert [b["label"] for b in t.budgets] == ["H29決算", "H30当初予算", "H30決算見込", "R元当初予算"]
    assert t.staffing["label"] == "人工(H30年度)"


def test_start_year_matches_text() -> None:
    eras = {"昭和": 1925, "平成": 1988, "令和": 2018}
    for t in S.make_truths(120, seed=2):
        p = t.project
        if p["start_text"] == "-":
            assert p["start_fiscal_year"] is None
            continue
        m = re.fullmatch(r"(昭和|平成|令和)(元|\d+)年度", p["start_text"])
        assert m, p["start_text"]
        n = 1 if m.group(2) == "元" else int(m.group(2))
        assert p["start_fiscal_year"] == eras[m.group(1)] + n <= t.results_fiscal_year


def test_wrap_kinsoku_and_fill() -> None:
    text = "地域の課題について、関係機関と連携しながら（仮称）協議会を設置し、「見える化」を進める。WEB会議 312千円・ほか。"
    for avail in (7.0, 9.5, 12.0, 15.5):
        lines = S.wrap_paragraph(text, avail)
        assert "".join(t for t, _ in lines) == text
        for (line, soft), (nxt, _) in zip(lines, lines[1:]):
            assert soft
            assert nxt[0] not in S.NO_START and line[-1] not in S.NO_END
            assert not S.PARA_START.match(nxt)
            assert sum(S._cw(c) for c in line) > avail - 4.5  # only a kept-together group may fall short
        assert not lines[-1][1]
