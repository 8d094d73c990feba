"""旭川's 総合戦略 KPI一覧 is a template file (`[kpi_list]`): no Python template is left.

- every template hyoka ships is a file, the KPI list's among them, and its module is gone;
- what the list reads is what its file says: a header word, a slot's name, the pending
  words, the city's pattern changed in the file change the records (the sample's ground
  truth itself is held by tests/test_kpi_extractor.py);
- a `[kpi_list]` with a mistake is refused with the file, line and key named;
- `hyoka template check` shows the KPI rows each page gave, and why a page gave none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from hyoka.extractors.file_template import FileTemplate
from hyoka.extractors.records import Extraction, StrategyKpiRecord, StrategyKpiValueRecord
from hyoka.extractors.registry import BUILTIN_TEMPLATE_DIR, builtin_templates, read_page_grids, template_origin
from hyoka.extractors.template_check import check_pages
from hyoka.extractors.template_loader import TemplateFileError, parse_template

KPI_FILE = BUILTIN_TEMPLATE_DIR / "asahikawa_strategy_kpi_list.toml"
KPI_TEXT = KPI_FILE.read_text(encoding="utf-8")
KPI_PDF = ROOT / "samples" / "asahikawa_sogo_senryaku_kpi_R4.pdf"
FILE = "kpi.toml"


def edited(old: str, new: str) -> str:
    """The shipped file's text with one passage edited (it must be there: the test would say nothing else)."""
    assert KPI_TEXT.count(old) == 1, old
    return KPI_TEXT.replace(old, new)


def read_with(text: str) -> Extraction:
    """The sample KPI list read with a template file of this text."""
    template = FileTemplate(parse_template(text, FILE), Path(FILE))
    reads = read_page_grids(KPI_PDF.read_bytes())
    return template.read([(read.grid, "kpi_goal_page") for read in reads if read.grid is not None])


def test_every_shipped_template_is_a_file_and_the_kpi_module_is_gone() -> None:
    templates = builtin_templates()
    assert all(isinstance(template, FileTemplate) for template in templates)
    (kpi,) = [t for t in templates if t.name == "asahikawa_strategy_kpi_list"]
    assert template_origin(kpi) == "hyoka: templates/asahikawa_strategy_kpi_list.toml"
    assert kpi.main_record is StrategyKpiRecord  # a page it wins that gives no KPI is flagged no_records
    assert not (ROOT / "extractors" / "asahikawa_kpi.py").exists()


def test_the_file_reads_the_sample_as_shipped() -> None:
    extraction = read_with(KPI_TEXT)
    assert (extraction.municipality, extraction.results_fiscal_year) == ("旭川市", 2022)
    assert len(extraction.rows(StrategyKpiRecord)) == 32
    assert {v.slot for v in extraction.rows(StrategyKpiValueRecord)} == {"現状値", "実績値", "目標値"}


def test_a_slots_name_and_its_header_words_are_the_files() -> None:
    renamed = read_with(edited('slot = "目標値"', 'slot = "目標"'))
    slots = {v.slot for v in renamed.rows(StrategyKpiValueRecord)}
    assert "目標" in slots and "目標値" not in slots
    # without the words that name 担当部, its header is an unknown column and no row has a department
    unnamed = read_with(edited('words = ["担当"]\nfills = "department"', 'words = ["部署"]\nfills = "department"'))
    assert "unknown_column" in {i.check_name for i in unnamed.issues}
    assert all(row.department is None for row in unnamed.rows(StrategyKpiRecord))


def test_the_pending_words_and_the_citys_pattern_are_the_files() -> None:
    shipped = read_with(KPI_TEXT)
    pending = next(line for line in KPI_TEXT.splitlines() if line.startswith("pending = "))
    fewer = read_with(edited(pending, 'pending = ["調査中"]'))  # 未集計 …予定 no longer say "not known yet"
    statuses = lambda e: [v.status for v in e.rows(StrategyKpiValueRecord)]  # noqa: E731
    assert statuses(shipped).count("pending") == 2 and statuses(fewer).count("pending") == 0
    assert statuses(fewer).count("text") == statuses(shipped).count("text") + 2
    nowhere = read_with(edited("[市町村])", "[県])"))
    assert nowhere.municipality is None
    assert [i.check_name for i in nowhere.issues if i.column_name == "municipality"] == ["missing_municipality"]


@pytest.mark.parametrize(("old", "new", "key", "reason"), [
    ('fills = "unit"', 'fills = "units"', "kpi_list.columns[2].fills", "'units' is not a text column of the list"),
    ("(?P<no>", "(", "kpi_list.goal", "groups (?P<no>…) and (?P<title>…)"),
    ('words = ["実績"]', "words = []", "kpi_list.columns[5].words", "an empty list"),
    ('slot = "現状値"', 'slot = "現状値"\nfills = "unit"', "kpi_list.columns[4]", "exactly one of fills"),
    ("[kpi_list]\n", '[project]\ncode = { label = "事業コード" }\n\n[kpi_list]\n', "", "[project] (a sheet per project) or [kpi_list]"),
    ('remark = "※"', 'remarks = "※"', "kpi_list.remarks", "unknown key (did you mean 'remark'?)"),
])
def test_a_kpi_list_with_a_mistake_is_refused_naming_file_line_and_key(old: str, new: str, key: str,
                                                                      reason: str) -> None:
    text = edited(old, new)
    with pytest.raises(TemplateFileError) as refused:
        parse_template(text, FILE)
    error = refused.value
    assert (str(error.path), error.key) == (FILE, key)
    assert reason in error.reason
    if key:  # the line named is the line of the key
        assert key.rsplit(".", 1)[-1].split("[")[0] in text.splitlines()[error.line - 1] or "[[kpi_list.columns]]" in \
            text.splitlines()[error.line - 1]


def test_the_check_shows_the_kpi_rows_of_each_page_and_why_a_page_gave_none() -> None:
    template = FileTemplate(parse_template(KPI_TEXT, FILE), Path(FILE))
    check = check_pages(template, read_page_grids(KPI_PDF.read_bytes()), "kpi.pdf")
    rows = {item.page: item.rows for item in check.items if item.key == "kpi_list"}
    assert sorted(rows) == [1, 2, 3, 4] and sum(n or 0 for n in rows.values()) == 32 * 7  # each KPI and its 6 values
    assert check.missing == 0
    misspelt = FileTemplate(parse_template(edited('header = "具体的な施策項目"', 'header = "具体的施策"'), FILE),
                            Path(FILE))
    check = check_pages(misspelt, read_page_grids(KPI_PDF.read_bytes()), "kpi.pdf")
    reasons = {item.reason for item in check.items if item.key == "kpi_list"}
    assert reasons == {"header '具体的施策' not found"}
