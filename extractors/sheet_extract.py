"""A city's spreadsheet export → an `Extraction`, with the same records as its PDF sheets.

A spreadsheet template (`hyoka.extractors.sheet_template`, files in `templates/sheets/`)
says which header labels fill which records. Each data row is one project: its text
columns, and per year block a budget column (事業費 and its sources), staff counts and
indicator values.

Provenance, in the record contract's own fields: `page` is the sheet's row number (as
the spreadsheet shows it, from 1), `bbox` is None (a cell has no box on a page), and `raw`
/ `raw_text` hold each cell's text as the export has it. The sheet's name and each column
label's letter are on the document's `pages` row for the header (`page_role`
'sheet_header'), so a value's cell is found as sheet!{letter}{page}.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hyoka.extractors.failures import UNKNOWN_TEMPLATE
from hyoka.extractors.pdf_input import DocumentError
from hyoka.extractors.records import (
    BUDGET_SOURCE_PART_OF,
    BudgetRecord,
    BudgetSourceRecord,
    ExtraFieldRecord,
    EvaluationRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    PageRecord,
    ProjectRecord,
    StaffingRecord,
)
from hyoka.extractors.sheet_template import Column, SheetTemplateSpec, YearBlock, column_specs
from hyoka.extractors.spreadsheet import Cell, HeaderIndex, Sheet, cell_text, column_letter, find_header_row, read_workbook
from hyoka.extractors.template_loader import USER_TEMPLATES_ENV, parse_spec, template_files
from hyoka.normalize import clean_text, digits_only, era_label, era_year, parse_number

# hyoka's spreadsheet templates (package data beside the PDF templates)
SHEET_TEMPLATE_DIR = Path(str(resources.files(__package__ or "extractors") / "templates" / "sheets"))
# where a column sits in BudgetRecord for each funding source
SOURCE_FIELDS = {"国": "national", "都道府県": "prefecture", "国・都道府県": "national_prefecture", "市債": "municipal_bonds",
                 "その他": "other", "受益者負担": "beneficiary_burden", "一般財源": "general_revenue"}


@dataclass(frozen=True)
class SheetTemplate:
    """A spreadsheet template file, checked: its spec and where it came from."""

    spec: SheetTemplateSpec
    source: Path

    @property
    def name(self) -> str:
        return self.spec.template.name


def load_sheet_template(path: Path) -> SheetTemplate:
    """Read and check one spreadsheet template file (a `TemplateFileError` names the mistake)."""
    from hyoka.extractors.template_loader import TemplateFileError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateFileError(path, 1, "", f"cannot be read ({error})") from None
    return SheetTemplate(parse_spec(SheetTemplateSpec, text, path), path)


def sheet_templates() -> tuple[SheetTemplate, ...]:
    """hyoka's spreadsheet templates, then the user's (the `sheets/` folder of HYOKA_TEMPLATES), each by file name."""
    return _sheet_templates(os.environ.get(USER_TEMPLATES_ENV) or None)


@functools.lru_cache(maxsize=8)
def _sheet_templates(folder: str | None) -> tuple[SheetTemplate, ...]:
    from hyoka.extractors.template_loader import TemplateFileError

    found: dict[str, SheetTemplate] = {}
    user = [Path(folder) / "sheets"] if folder else []
    for path in [*template_files(SHEET_TEMPLATE_DIR), *(p for d in user if d.is_dir() for p in template_files(d))]:
        template = load_sheet_template(path)
        if template.name in found:
            raise TemplateFileError(path, 1, "template.name",
                                    f"{template.name!r} is already the name of the template in {found[template.name].source}")
        found[template.name] = template
    return tuple(found.values())


def sheet_template_origin(template: SheetTemplate) -> str:
    """Where a spreadsheet template comes from: hyoka's own folder, or the user's file."""
    if template.source.parent == SHEET_TEMPLATE_DIR:
        return f"hyoka: templates/sheets/{template.source.name}"
    return str(template.source)


# ---- one row ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """A template laid on one sheet's header: the sheet, the header row and its columns."""

    template: SheetTemplate
    sheet: Sheet
    header_row: int  # index in sheet.rows
    header: HeaderIndex

    @property
    def spec(self) -> SheetTemplateSpec:
        return self.template.spec


@dataclass(frozen=True)
class Row:
    """One data row: its number in the sheet (from 1) and its cells."""

    number: int
    cells: Sequence[Cell]

    def text(self, column: int | None) -> str:
        """A cell's text ('' when the column is missing or the row is short)."""
        if column is None or column >= len(self.cells):
            return ""
        return cell_text(self.cells[column])


def _text(row: Row, layout: Layout, columns: tuple[Column, ...]) -> tuple[str | None, str]:
    """The cleaned text of one or more columns, joined by line (and the raw text)."""
    raw = [row.text(layout.header.column(column)) for column in columns]
    parts = [cleaned for cleaned in (clean_text(text) for text in raw) if cleaned]
    return ("\n".join(parts) or None), "\n".join(text for text in raw if text)


def _block_columns(layout: Layout, column: Column) -> list[int | None]:
    """One column per year block: the k-th column of the label is the k-th block (None past the last)."""
    found = layout.header.columns(column)
    return [found[k] if k < len(found) else None for k in range(len(layout.spec.years))]


def _heading(layout: Layout, column: int | None) -> str:
    """A column's header label as printed ('' for a column the sheet lacks)."""
    return layout.header.labels[column] if column is not None else ""


def _figure(text: str) -> float | None:
    """A cell's number, or None (blank, placeholder or not a figure: the raw text says which)."""
    parsed = parse_number(text)
    return float(parsed.value) if parsed.value is not None else None


def row_year(row: Row, layout: Layout) -> int | None:
    """The export's own fiscal year on this row (年度 7 in 令和 → 2025)."""
    parsed = parse_number(row.text(layout.header.column(layout.spec.rows.fiscal_year)))
    if parsed.value is None or parsed.value < 1 or int(parsed.value) != parsed.value:
        return None
    return era_year(layout.spec.rows.era, int(parsed.value))


def block_label(year: int | None, block: YearBlock) -> str:
    """A block's heading: 令和2年度決算 (as the PDF sheets' columns are labelled)."""
    return f"{era_label(year, long=True) if year else '?年度'}{block.stage}"


def project_record(row: Row, layout: Layout, code: str, code_raw: str) -> ProjectRecord:
    """The row's project: its code and text columns."""
    record = ProjectRecord(page=row.number, raw_text=code_raw, project_code=code, project_code_raw=code_raw,
                           first_page=row.number, last_page=row.number)
    for name, column in layout.spec.project.items():
        value, raw = _text(row, layout, (column,))
        setattr(record, name, value)
        if raw:
            record.raw[name] = raw
    return record


def budget_records(row: Row, layout: Layout, code: str, years: list[int | None]) -> Iterator[BudgetRecord | BudgetSourceRecord]:
    """Each year block's budget column, wide (project_budgets) and long (project_budget_sources)."""
    budget = layout.spec.budget
    if budget is None:
        return
    totals = _block_columns(layout, budget.total)
    sources = [(source, _block_columns(layout, source.column)) for source in budget.sources]
    for k, (block, year) in enumerate(zip(layout.spec.years, years, strict=True)):
        label = block_label(year, block)
        total_text = row.text(totals[k])
        record = BudgetRecord(page=row.number, raw_text=total_text, project_code=code, fiscal_year=year,
                              stage=block.stage, label=label, total_cost=_figure(total_text))
        record.raw["total_cost"] = total_text
        parts: list[BudgetSourceRecord] = []
        for source, columns in sources:
            text = row.text(columns[k])
            setattr(record, SOURCE_FIELDS[source.source], _figure(text))
            record.raw[SOURCE_FIELDS[source.source]] = text
            parts.append(BudgetSourceRecord(
                page=row.number, raw_text=text, raw={"amount": text}, project_code=code, fiscal_year=year,
                stage=block.stage, source=source.source, source_label=_heading(layout, columns[k]),
                amount=_figure(text), amount_text=text or None, part_of=BUDGET_SOURCE_PART_OF.get(source.source),
                total_cost=record.total_cost, label=label, blank_is_zero=budget.blank_is_zero))
        if total_text or any(part.amount_text for part in parts):
            yield record
            yield from parts


def staffing_records(row: Row, layout: Layout, code: str, years: list[int | None]) -> Iterator[StaffingRecord]:
    """Each year block's staff counts (a block with none printed is left out)."""
    staffing = layout.spec.staffing
    if staffing is None:
        return
    regular = _block_columns(layout, staffing.regular_staff) if staffing.regular_staff else [None] * len(years)
    term = _block_columns(layout, staffing.fiscal_year_staff) if staffing.fiscal_year_staff else [None] * len(years)
    for k, (block, year) in enumerate(zip(layout.spec.years, years, strict=True)):
        texts = {"regular_staff": row.text(regular[k]), "fiscal_year_staff": row.text(term[k])}
        if not any(texts.values()):
            continue
        yield StaffingRecord(page=row.number, raw_text=texts["regular_staff"] or texts["fiscal_year_staff"],
                             raw={name: text for name, text in texts.items() if text}, project_code=code,
                             fiscal_year=year, label=block_label(year, block),
                             regular_staff=_figure(texts["regular_staff"]), fiscal_year_staff=_figure(texts["fiscal_year_staff"]))


def indicator_records(row: Row, layout: Layout, code: str, years: list[int | None]) -> Iterator[IndicatorRecord]:
    """Each named indicator's value per year block (an indicator without a name is not one)."""
    for number, indicator in enumerate(layout.spec.indicators, start=1):
        name, _ = _text(row, layout, (indicator.name,))
        if not name:
            continue
        unit = _text(row, layout, (indicator.unit,))[0] if indicator.unit else None
        columns = _block_columns(layout, indicator.value)
        for k, (block, year) in enumerate(zip(layout.spec.years, years, strict=True)):
            text = row.text(columns[k])
            heading = _heading(layout, columns[k])
            yield IndicatorRecord(
                page=row.number, raw_text=text, raw={"value": text}, project_code=code, level=indicator.level,
                indicator_no=number, indicator_name=name, unit=unit, fiscal_year=year, kind=block.kind,
                column_label=f"{era_label(year, long=True) if year else '?年度'}{block.kind} {' '.join(heading.split())}",
                value=_figure(text), value_text=text or None)


def evaluation_records(row: Row, layout: Layout, code: str) -> Iterator[EvaluationRecord]:
    """Each evaluation whose texts are not all blank."""
    for evaluation in layout.spec.evaluations:
        record = EvaluationRecord(page=row.number, project_code=code, evaluator=evaluation.evaluator)
        for name, columns in evaluation.fields.items():
            value, raw = _text(row, layout, columns)
            setattr(record, name, value)
            if raw:
                record.raw[name] = raw
        if record.raw:
            record.raw_text = "\n".join(record.raw.values())
            yield record


def extra_records(row: Row, layout: Layout, code: str, years: list[int | None]) -> Iterator[ExtraFieldRecord]:
    """The row's own columns that fit no shared table (a blank cell gives no row, as in a PDF template)."""
    for label, column in layout.spec.extras.items():
        value, raw = _text(row, layout, (column,))
        if value:
            yield ExtraFieldRecord(page=row.number, raw_text=raw, raw={"value_text": raw}, project_code=code,
                                   label=label, value_text=value)
    for label, column in layout.spec.year_extras.items():
        for k, (block, year) in enumerate(zip(layout.spec.years, years, strict=True)):
            raw = row.text(_block_columns(layout, column)[k])
            value = clean_text(raw)
            if value:
                yield ExtraFieldRecord(page=row.number, raw_text=raw, raw={"value_text": raw}, project_code=code,
                                       label=f"{label} {block_label(year, block)}", value_text=value)


def read_row(row: Row, layout: Layout, extraction: Extraction) -> None:
    """One data row's records into the extraction (a row without a code is not a project)."""
    code_raw = row.text(layout.header.column(layout.spec.rows.code)).strip()
    if not code_raw:
        extraction.add(PageRecord(page=row.number, template=layout.template.name, status="skipped",
                                  note="no project code in this row"))
        return
    code = digits_only(code_raw) or code_raw
    own_year = row_year(row, layout)
    years = [own_year + block.offset if own_year is not None else None for block in layout.spec.years]
    extraction.add(PageRecord(page=row.number, template=layout.template.name, page_role="sheet_row", project_code=code))
    extraction.add(project_record(row, layout, code, code_raw))
    extraction.extend(budget_records(row, layout, code, years))
    extraction.extend(staffing_records(row, layout, code, years))
    extraction.extend(indicator_records(row, layout, code, years))
    extraction.extend(evaluation_records(row, layout, code))
    extraction.extend(extra_records(row, layout, code, years))
    if own_year is None:
        extraction.issues.append(IssueRecord(page=row.number, table_name=ProjectRecord.TABLE, record_key=code,
                                             column_name="fiscal_year", check_name="fiscal_year_missing",
                                             raw_value=row.text(layout.header.column(layout.spec.rows.fiscal_year)),
                                             detail=f"sheet {layout.sheet.name}"))


# ---- the whole workbook -------------------------------------------------------------------


def find_layout(sheets: list[Sheet], templates: tuple[SheetTemplate, ...]) -> Layout | None:
    """The first sheet and template whose header row holds every anchor label of the template."""
    for template in templates:
        for sheet in sheets:
            found = find_header_row(sheet.rows, template.spec.header.anchors, template.spec.header.search_rows)
            if found is not None:
                header = HeaderIndex([cell_text(cell) for cell in sheet.rows[found]])
                return Layout(template, sheet, found, header)
    return None


def header_note(layout: Layout) -> str:
    """Where each label the template names sits: 'sheet 'X' row 2: 事務事業ID=G, 国庫支出金=BS,CL,…'."""
    placed = []
    for column in column_specs(layout.spec):
        found = layout.header.columns(column)
        placed.append(f"{column.label[0]}=" + (",".join(column_letter(i) for i in found) if found else "(missing)"))
    return f"sheet {layout.sheet.name!r} row {layout.header_row + 1}: " + "; ".join(dict.fromkeys(placed))


def unknown_sheet_error(sheets: list[Sheet], templates: tuple[SheetTemplate, ...]) -> DocumentError:
    """The one line for a workbook no spreadsheet template reads."""
    names = ", ".join(repr(sheet.name) for sheet in sheets) or "none"
    known = ", ".join(template.name for template in templates) or "none"
    return DocumentError(f"{UNKNOWN_TEMPLATE.reason} (no sheet of this workbook has the header row of a known export; "
                         f"sheets: {names}; spreadsheet templates: {known})",
                         "add a spreadsheet template for this export (docs/adding-a-template.md)")


def extract_spreadsheet(data: bytes, templates: tuple[SheetTemplate, ...] | None = None) -> Extraction:
    """A workbook's bytes → its extraction; an unreadable or unknown workbook is a `DocumentError`."""
    templates = sheet_templates() if templates is None else templates
    sheets = read_workbook(data)
    layout = find_layout(sheets, templates)
    if layout is None:
        raise unknown_sheet_error(sheets, templates)
    info = layout.spec.template
    rows = layout.sheet.rows
    extraction = Extraction(template=info.name, doc_type=info.doc_type, municipality=info.municipality or None,
                            title=layout.sheet.name, page_count=len(rows))
    extraction.add(PageRecord(page=layout.header_row + 1, template=info.name, page_role="sheet_header",
                              note=header_note(layout)))
    for index in range(layout.header_row + 1, len(rows)):
        if any(cell_text(cell).strip() for cell in rows[index]):  # a wholly empty row is no row
            read_row(Row(index + 1, rows[index]), layout, extraction)
    extraction.results_fiscal_year = newest_results_year(extraction)
    return extraction


def newest_results_year(extraction: Extraction) -> int | None:
    """The newest year with results (決算) printed: the edition's results year, as on the PDF sheets."""
    years = [record.fiscal_year for record in extraction.rows(BudgetRecord)
             if record.stage == "決算" and record.fiscal_year is not None]
    return max(years, default=None)
