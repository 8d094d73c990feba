"""`hyoka template check FILE PDF…` (issue 12, item 4): one template file against real pages.

- 池田's file on a 池田 sheet: every item read (exit 0), the values those the ingest reads
  and the hand-checked truth holds, the JSON's shape;
- the same file with one label misspelt: that field "expected but not found" and why (exit 1);
- a file with a mistake: its one line, file, line and key (exit 2); a PDF that cannot be read (exit 2);
- --picture: the page's inspect picture with the cells read and the anchors drawn;
- why a field read nothing, step by step, on the generated two-page sheet of the tiny template.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from conftest import ROOT
from hyoka.extractors.file_template import FileTemplate
from hyoka.extractors.registry import BUILTIN_TEMPLATE_DIR, extract_pdf, read_page_grids
from hyoka.extractors.records import ProjectRecord
from hyoka.extractors.template_check import DocumentCheck, ItemCheck, check_pages
from hyoka.extractors.template_loader import load_template_file, parse_template
from test_template_files import FILE, TINY, generated_sheet

IKEDA_FILE = BUILTIN_TEMPLATE_DIR / "ikeda_mokuhyo_sheet.toml"
IKEDA_PDFS = ROOT / "samples" / "real" / "ikeda"
SHEET = IKEDA_PDFS / "ikeda-r7-001.pdf"


def _hyoka(*args: str):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hyoka.cli import app

    return CliRunner().invoke(app, ["template", "check", *args], env={"COLUMNS": "400"})


def _items(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every item of a document of the JSON, by key."""
    items = [*document["document"], *(item for page in document["pages"] for item in page["items"])]
    assert len({item["key"] for item in items}) == len(items)  # one project on one page: each key once
    return {item["key"]: item for item in items}


@pytest.fixture(scope="module")
def ikeda_json() -> dict[str, Any]:
    run = _hyoka(str(IKEDA_FILE), str(SHEET), "--format", "json")
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)


def test_the_ikeda_file_reads_every_item_of_an_ikeda_sheet(ikeda_json: dict[str, Any]) -> None:
    spec = load_template_file(IKEDA_FILE)
    assert (ikeda_json["template"], ikeda_json["file"], ikeda_json["missing"], ikeda_json["errors"]) == (
        spec.template.name, str(IKEDA_FILE), 0, [])
    (document,) = ikeda_json["documents"]
    assert document["pdf"].endswith(SHEET.name) and document["missing"] == 0 and document["note"] == ""
    (page,) = document["pages"]
    assert (page["page"], page["role"], page["score"], page["recognized"]) == (1, spec.page[0].role, 1.0, True)
    assert page["anchors_found"] == list(spec.page[0].anchors) and page["anchors_missing"] == []
    items = _items(document)
    # every item the file names, and nothing else
    expected = {"project.code", *(f"project.fields.{name}" for name in spec.project.fields),
                *(f"marks[{n}]" for n in range(1, len(spec.marks) + 1)), "budget",
                *(f"indicators[{n}]" for n in range(1, len(spec.indicators) + 1)),
                *(f"evaluations[{n}].fields.{name}" for n, e in enumerate(spec.evaluations, start=1) for name in e.fields),
                *(f"document.title[{n}]" for n in range(1, len(spec.document.title) + 1)),
                "document.results_fiscal_year.read"}
    assert set(items) == expected
    assert all(item["status"] == "read" and item["reason"] == "" for item in items.values())
    for item in items.values():
        assert set(item) == {"key", "status", "page", "value", "raw", "box", "anchor", "rows", "reason", "cells"}
        if item["rows"] is not None:  # a table: its rows, and a box per cell it read
            assert item["rows"] > 0 and len(item["cells"]) >= item["rows"] // 5
        x0, top, x1, bottom = item["box"] or item["cells"][0]["box"]
        assert 0 <= x0 < x1 and 0 <= top < bottom
        assert all(cell["page"] == 1 and cell["label"].startswith(item["key"]) for cell in item["cells"])


def test_what_the_check_shows_is_what_the_ingest_reads(ikeda_json: dict[str, Any]) -> None:
    (project,) = extract_pdf(SHEET.read_bytes()).rows(ProjectRecord)
    items = _items(ikeda_json["documents"][0])
    assert items["project.code"]["value"] == project.project_code
    for name, box in project.cell_bboxes.items():
        item = items["project.code" if name == "project_code" else f"project.fields.{name}"]
        assert item["value"] == getattr(project, name)
        assert item["box"] == pytest.approx(list(box), abs=0.01)
    truth = json.loads((IKEDA_PDFS / "ground_truth.json").read_text(encoding="utf-8"))[SHEET.name]
    assert items["project.fields.department"]["value"] == truth["header"]["担当部署名"]
    assert items["project.fields.project_name"]["value"] == truth["header"]["事務事業名"]
    assert items["project.code"]["raw"] == truth["header"]["NO"]["raw"]
    assert items["marks[1]"]["rows"] == len(truth["まちづくりの進め方"]["SDGs_goals"])


def test_a_misspelt_label_is_expected_but_not_found(tmp_path: Path) -> None:
    text = IKEDA_FILE.read_text(encoding="utf-8")
    written = 'department = { label = "担当部署名" }'
    assert text.count(written) == 1
    misspelt = tmp_path / "misspelt.toml"
    misspelt.write_text(text.replace(written, 'department = { label = "担当部暑名" }'), encoding="utf-8")
    run = _hyoka(str(misspelt), str(SHEET), "--format", "json")
    assert run.exit_code == 1, run.output
    found = json.loads(run.stdout)
    items = _items(found["documents"][0])
    missing = {key: item for key, item in items.items() if item["status"] == "missing"}
    assert list(missing) == ["project.fields.department"] and found["missing"] == 1
    assert missing["project.fields.department"]["reason"] == "label '担当部暑名' not found"
    assert missing["project.fields.department"]["value"] is None and missing["project.fields.department"]["box"] is None

    table = _hyoka(str(misspelt), str(SHEET))  # the terminal's table says the same
    assert table.exit_code == 1
    (line,) = [ln for ln in table.stdout.splitlines() if "project.fields.department" in ln]
    assert "expected but not found: label '担当部暑名' not found" in line
    assert table.stdout.splitlines()[-1].endswith("items read, 1 expected but not found")


def test_a_template_file_with_a_mistake_stops_in_one_line_naming_file_line_and_key(tmp_path: Path) -> None:
    text = IKEDA_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace('{ label = "担当部署名" }', '{ lable = "担当部署名" }'), encoding="utf-8")
    run = _hyoka(str(broken), str(SHEET))
    assert run.exit_code == 2 and run.stdout == ""
    (line,) = [ln for ln in run.stderr.splitlines() if ln.strip()]
    number = next(n for n, ln in enumerate(text.splitlines(), start=1) if '{ label = "担当部署名" }' in ln)
    assert line.startswith(f"error: {broken}:{number}: project.fields.department.lable: unknown key (did you mean 'label'?)")
    assert "Traceback" not in run.output


def test_a_mistake_in_one_of_hyokas_own_files_is_one_line_and_other_files_still_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A contributor editing a built-in template file: `ingest` and `templates` stop in one line naming it
    (before any page is read), and `template check` of a file still runs (it needs only that file)."""
    import shutil

    from typer.testing import CliRunner

    from hyoka.cli import app
    from hyoka.extractors import registry

    builtin = tmp_path / "templates"
    shutil.copytree(BUILTIN_TEMPLATE_DIR, builtin)
    text = (builtin / IKEDA_FILE.name).read_text(encoding="utf-8")
    (builtin / IKEDA_FILE.name).write_text(text.replace("\nname = ", "\nnam = ", 1), encoding="utf-8")
    number = next(n for n, ln in enumerate(text.splitlines(), start=1) if ln.startswith("name = "))
    monkeypatch.setattr(registry, "BUILTIN_TEMPLATE_DIR", builtin)
    registry.builtin_templates.cache_clear()
    try:
        for args in (["ingest", str(SHEET), "--db", str(tmp_path / "w.duckdb")], ["templates"]):
            run = CliRunner().invoke(app, args)
            assert run.exit_code == 2, run.output
            (line,) = [ln for ln in run.stderr.splitlines() if ln.strip()]
            assert line.startswith(f"error: {builtin / IKEDA_FILE.name}:{number}: template.nam: unknown key"), line
        if (tmp_path / "w.duckdb").exists():  # planned, then stopped before any page was read
            from conftest import fetch

            assert fetch(tmp_path / "w.duckdb", "SELECT count(*) FROM documents") == [(0,)]
        assert _hyoka(str(IKEDA_FILE), str(SHEET)).exit_code == 0
    finally:
        registry.builtin_templates.cache_clear()


def test_a_pdf_that_cannot_be_read_is_exit_code_2_and_the_others_are_checked(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    run = _hyoka(str(IKEDA_FILE), str(junk), str(SHEET), "--format", "json")
    assert run.exit_code == 2
    found = json.loads(run.stdout)
    assert [e["pdf"] for e in found["errors"]] == [str(junk)] and "not a PDF" in found["errors"][0]["error"]
    assert [d["missing"] for d in found["documents"]] == [0]  # the readable sheet is still checked
    assert f"error: {junk}: not a PDF" in run.stderr


def test_the_picture_draws_what_the_file_read_and_its_anchors(tmp_path: Path) -> None:
    from hyoka.extractors.inspect import ANCHOR_COLOR, render_page

    run = _hyoka(str(IKEDA_FILE), str(SHEET), "--picture", str(tmp_path / "pictures"))
    assert run.exit_code == 0, run.output
    (written,) = (tmp_path / "pictures").iterdir()
    assert written.name == f"{SHEET.stem}-p1.png"
    plain_png = tmp_path / "inspect.png"
    render_page(SHEET.read_bytes(), 1, plain_png)
    with Image.open(written) as checked, Image.open(plain_png) as plain:
        checked_rgb, plain_rgb = checked.convert("RGB"), plain.convert("RGB")
    # the same page at the same scale, its legend band below it
    grid = read_page_grids(SHEET.read_bytes())[0].grid
    assert grid is not None
    assert checked_rgb.width == plain_rgb.width == round(grid.width * 110 / 72)
    assert checked_rgb.height > round(grid.height * 110 / 72)
    assert checked_rgb.tobytes() != plain_rgb.tobytes()
    # the anchors' outlines are drawn in their own colour, which the plain picture does not use
    colours = dict((colour, count) for count, colour in checked_rgb.getcolors(1 << 24) or [])
    plain_colours = {colour for _, colour in plain_rgb.getcolors(1 << 24) or []}
    assert colours.get(ANCHOR_COLOR, 0) > 1000 and ANCHOR_COLOR not in plain_colours


# ---- why an item read nothing: the step that failed ------------------------------------------


def _check(text: str) -> DocumentCheck:
    template = FileTemplate(parse_template(text, FILE), Path(FILE))
    return check_pages(template, read_page_grids(generated_sheet()), "sheet.pdf")


def _item(check: DocumentCheck, key: str) -> ItemCheck:
    (item,) = [item for item in check.items if item.key == key]
    return item


def test_a_project_over_two_pages_is_checked_on_its_first_page_with_each_items_own_page() -> None:
    check = _check(TINY)
    assert [(p.page, p.role, p.recognized) for p in check.pages] == [(1, "sheet", True), (2, "continued", True)]
    assert check.missing == 0 and check.pages[1].items == []  # the project starts on page 1
    assert _item(check, "project.fields.project_name").page == 1
    budget = _item(check, "budget")
    assert (budget.status, budget.page) == ("read", 2) and budget.cells and {c.page for c in budget.cells} == {2}
    assert _item(check, "project.fields.remarks").page == 2


MISSES = {
    # name: (what the file says instead, the item, why it read nothing)
    "label": (('project_name = { label = "事業名" }', 'project_name = { label = "事業の名" }'),
              "project.fields.project_name", "label '事業の名' not found"),
    "no cell right": (('summary = { label = "目的", value = "below" }', 'summary = { label = "目的" }'),
                      "project.fields.summary", "no cell right of '目的'"),
    "via_below": (('via_below = "判断理由"', 'via_below = "理由"'), "evaluations[1].fields.achievement_reason",
                  "no cell labelled '理由' under '評価'"),
    "pattern": (("pattern = '数値目標：([^】]+)'", "pattern = '目標値：([^】]+)'"), "project.fields.outputs_text",
                "pattern '目標値：([^】]+)' did not match '指標：利用者数【数値目標：1,200人】'"),
    "caption": (('remarks = { caption = "※備考", value = "below" }', 'remarks = { caption = "※備考欄", value = "below" }'),
                "project.fields.remarks", "caption '※備考欄' not found"),
    "budget corner": (('corner = "区分"', 'corner = "区別"'), "budget", "corner '区別' not found"),
    "indicator header": (('header = "指標"', 'header = "指標名"'), "indicators[1]", "header '指標名' not found"),
}


@pytest.mark.parametrize("name", MISSES)
def test_why_an_item_read_nothing(name: str) -> None:
    (old, new), key, reason = MISSES[name]
    assert TINY.count(old) == 1, old
    check = _check(TINY.replace(old, new))
    item = _item(check, key)
    assert (item.status, item.reason) == ("missing", reason)
    assert [i.key for i in check.items if i.status == "missing"] == [key]  # nothing else is missing


def test_a_results_year_not_printed_where_the_file_says_is_read_from_the_budget_as_the_file_allows() -> None:
    old, new = "pattern = '（(.*)実施事業'", "pattern = '【(.*)実施事業'"
    assert TINY.count(old) == 1
    check = _check(TINY.replace(old, new))
    item = _item(check, "document.results_fiscal_year.read")
    assert item.status == "read" and check.missing == 0  # else_newest_budget stands in: nothing is missing
    assert item.value == "2022: the newest 決算 column"
    assert item.reason.startswith("not printed where the file says: pattern '【(.*)実施事業' did not match")


def test_the_asahikawa_file_checks_every_kind_of_item_without_a_traceback() -> None:
    """Staffing, header tables and several indicator tables are shown like any other item."""
    sheet = ROOT / "samples" / "asahikawa_jimujigyo_R4_121101_reportlab.pdf"
    run = _hyoka(str(ROOT / "extractors" / "templates" / "asahikawa_jimujigyo_sheet.toml"), str(sheet), "--format", "json")
    assert run.exit_code == 0, run.output
    items = _items(json.loads(run.stdout)["documents"][0])
    assert items["staffing"]["status"] == "read" and items["budget"]["status"] == "read"
    assert items["project.code"]["value"].replace(" ", "") == "121101"  # printed a group per cell
    # 総合戦略's tables (one found by a header pattern) are printed, with no line: empty, not missing
    for key in ("indicators[4]", "indicators[5]"):
        assert (items[key]["status"], items[key]["reason"]) == ("read", "no indicator line has content")


def test_a_header_pattern_that_matches_nothing_is_named_in_the_reason(tmp_path: Path) -> None:
    source = (ROOT / "extractors" / "templates" / "asahikawa_jimujigyo_sheet.toml").read_text(encoding="utf-8")
    broken = tmp_path / "asahikawa.toml"
    broken.write_text(source.replace("header_pattern = '^施策のアウトカム.*総合戦略'", "header_pattern = '^施策のアウトプット'"),
                      encoding="utf-8")
    sheet = ROOT / "samples" / "asahikawa_jimujigyo_R4_121101_reportlab.pdf"
    run = _hyoka(str(broken), str(sheet), "--format", "json")
    assert run.exit_code == 1, run.output
    item = _items(json.loads(run.stdout)["documents"][0])["indicators[4]"]
    assert (item["status"], item["reason"]) == ("missing", "no header matches '^施策のアウトプット'")
