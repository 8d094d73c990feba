"""A city's own fields (issue 13): `[project.extras]` keeps what fits no shared table, queryable.

- a template file names each extra field by its label as stored, read like a
  `[project.fields]` entry; a value that is not found gives no row;
- a blank label, or one not written as it is stored, is refused with file, line and key;
- the rows load into project_extra_fields (and its current_ view), with their provenance;
- a row without its label is flagged, not dropped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hyoka.extractors.file_template import FileTemplate
from hyoka.extractors.records import ExtraFieldRecord, Extraction
from hyoka.extractors.registry import extract_pdf
from hyoka.extractors.template_loader import TemplateFileError, parse_template
from test_template_files import FILE, TINY, generated_sheet

EXTRAS = '''
[project.extras]
"目的の 全文" = { label = "目的", value = "below" }
"判断理由" = { label = "評価", via_below = "判断理由" }
"印字されていない項目" = { label = "どこにもない見出し" }
'''
# [project.extras] belongs to [project]: written after its other tables, before [[marks]]
EXTENDED = TINY.replace("\n[[marks]]", EXTRAS + "\n[[marks]]", 1)


@pytest.fixture(scope="module")
def extended() -> Extraction:
    template = FileTemplate(parse_template(EXTENDED, FILE), Path(FILE))
    return extract_pdf(generated_sheet(), templates=[template])


def test_extras_are_read_by_their_label_as_stored(extended: Extraction) -> None:
    rows = extended.rows(ExtraFieldRecord)
    assert [(r.project_code, r.label, r.value_text, r.page) for r in rows] == [
        ("7", "目的の 全文", "市民の憩いの場を保つ", 1),
        ("7", "判断理由", "計画どおり進んだ", 1),
    ]  # the label printed nowhere gives no row
    assert all(r.bbox is not None and r.raw_text == r.value_text for r in rows)
    assert rows[0].key() == "7 目的の 全文"
    (project,) = extended.rows("projects")
    assert project.summary == "市民の憩いの場を保つ"  # an extra takes nothing away from the shared fields


@pytest.mark.parametrize(("label", "reason"), [
    ("  ", "an empty label"),
    ("目的の  全文", "single spaces"),
    (" 目的", "single spaces"),
])
def test_a_label_not_as_stored_is_refused_with_file_line_and_key(label: str, reason: str) -> None:
    text = EXTENDED.replace('"目的の 全文" =', f'"{label}" =')
    with pytest.raises(TemplateFileError) as refused:
        parse_template(text, FILE)
    line = next(n for n, written in enumerate(text.splitlines(), start=1) if written.startswith(f'"{label}"'))
    assert (refused.value.line, refused.value.key) == (line, f"project.extras.{label}")
    assert reason in refused.value.reason


def test_extras_load_into_their_table_and_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from conftest import fetch
    from hyoka.cli import app
    from hyoka.extractors.registry import USER_TEMPLATES_ENV

    monkeypatch.setenv(USER_TEMPLATES_ENV, "")  # the command sets it: recorded, so that it is undone

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "test_city_sheet.toml").write_text(EXTENDED, encoding="utf-8")
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(generated_sheet())
    db = tmp_path / "w.duckdb"
    run = CliRunner().invoke(app, ["ingest", str(pdf), "--db", str(db), "--no-report", "--orchestrator", "local",
                                   "--templates", str(folder)], env={"COLUMNS": "400"})
    assert run.exit_code == 0, run.output
    query = "SELECT project_code, label, value_text, page, bbox IS NOT NULL FROM {} ORDER BY label"
    expected = [("7", "判断理由", "計画どおり進んだ", 1, True), ("7", "目的の 全文", "市民の憩いの場を保つ", 1, True)]
    assert fetch(db, query.format("project_extra_fields")) == expected
    assert fetch(db, query.format("current_project_extra_fields")) == expected
    assert fetch(db, "SELECT extra_fields FROM document_summary") == [(2,)]
    assert fetch(db, "SELECT count(*) FROM validation_issues WHERE table_name = 'project_extra_fields'") == [(0,)]


def test_a_row_without_its_label_is_flagged_not_dropped() -> None:
    from hyoka.schemas.validate import validate_extraction

    extraction = Extraction(template="t", doc_type="jimujigyo_sheet")
    extraction.extend([ExtraFieldRecord(page=1, project_code="7", label="目的", value_text="a"),
                       ExtraFieldRecord(page=2, project_code="7", label=" ", value_text="b")])
    issues = validate_extraction(extraction)
    assert [(i.page, i.table_name, i.record_key, i.column_name, i.check_name) for i in issues] == [
        (2, "project_extra_fields", "7  ", "label", "required_value_missing")]
    assert len(extraction.rows(ExtraFieldRecord)) == 2
