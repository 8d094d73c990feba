"""旭川市 事務事業評価シート: one project on two A4 landscape pages.

Page 1: the header table (事業コード, 事業名, 事業の概要, インプット budget matrix, 人工,
アウトプット, アウトカム), the 基本情報 row (開始時期 …), 1次評価 with the eight
行財政改革の視点, and the 外部評価 / 2次評価 boxes.
Page 2: the header table again, then 展開施策 with the 施策 / 基本政策 outcome tables,
the 人口減少の抑制 block with its 総合戦略 tables, and 市長公約.

Every field is found by its header label and read from the cells the rulings make;
fiscal years come from the labels (R3決算見込 → 2021), never from positions.
"""

from __future__ import annotations

import functools

import re
from typing import Any
from dataclasses import dataclass, field, replace

from hyoka.extractors.grid import Cell, PageGrid
from hyoka.extractors.records import (
    BUDGET_AMOUNT_COLUMNS,
    BBox,
    BudgetRecord,
    EvaluationRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    PageRecord,
    ProjectRecord,
    Record,
    ReformViewpointRecord,
    StaffingRecord,
)
from hyoka.extractors.tables import (
    budget_source_records,
    cell_in_column,
    header_columns,
    row_cells,
    stacked_below,
    text_below,
    text_right,
    union_bbox,
)
from hyoka.extractors.template import PageMatch, best_role, new_extraction
from hyoka.normalize import (
    clean_text,
    digits_only,
    find_fiscal_year,
    fold_width,
    is_placeholder,
    normalize_label,
    parse_number,
    parse_stage_label,
)

NAME = "asahikawa_jimujigyo_sheet"
DOC_TYPE = "jimujigyo_sheet"
MUNICIPALITY = "旭川市"

ROLE_ANCHORS: dict[str, tuple[str, ...]] = {
    "sheet_page1": ("事業コード", "事業名", "事業の概要", "インプット", "開始時期", "実施根拠", "1次評価", "行財政改革の視点"),
    "sheet_page2": ("事業コード", "事業名", "事業の概要", "インプット", "展開施策", "基本政策のアウトカム", "市長公約", "人口減少の抑制に向けて"),
}

# Budget matrix columns: record field -> labels the header cell may carry (normalized
# prefix match). 北海道 is this template's prefecture column; other prefectures' names
# are accepted so that a sister template reads the same.
BUDGET_COLUMN_LABELS: dict[str, tuple[str, ...]] = {
    "total_cost": ("事業費",),
    "national": ("国",),
    "prefecture": ("北海道", "都道府県", "道", "都", "府", "県", "道支出金", "県支出金", "府支出金", "都支出金"),
    "municipal_bonds": ("市債", "町債", "村債", "地方債"),
    "tax_allocation_pct": ("交付税",),
    "other": ("その他",),
    "general_revenue": ("一般財源",),
}

# 行財政改革の視点 items start with a circled number.
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_VIEWPOINT = re.compile(rf"^([{_CIRCLED}])\s*(.*)$", re.S)
# 展開施策 starts with a policy code such as 12-1-1.
_POLICY = re.compile(r"^\s*([0-9０-９]+(?:\s*[-－‐ー]\s*[0-9０-９]+)+)\s*(.*)$")
# A 公約 number, e.g. 47 or No.47.
_OUTCOME_LABEL = re.compile(r"(実績|目標)")


class AsahikawaSheet:
    """The 旭川市 事務事業評価シート template."""

    name = NAME
    doc_type = DOC_TYPE
    municipality: str | None = MUNICIPALITY
    description = "旭川市 事務事業評価シート (2 pages per project: inputs, outputs, evaluation; policy outcomes)"

    def recognize(self, grid: PageGrid) -> PageMatch:
        """Score the page against the anchors of page 1 and page 2."""
        return best_role(grid, ROLE_ANCHORS)

    def read(self, pages: list[tuple[PageGrid, str]]) -> Extraction:
        """Read the pages this template won, grouping them into projects."""
        extraction = new_extraction(self, pages)
        for group in group_project_pages(pages):
            read_project(group, extraction)
        extraction.results_fiscal_year = results_fiscal_year(extraction)
        return extraction


def results_fiscal_year(extraction: Extraction) -> int | None:
    """The year whose results the sheets report: 人工's year, else the newest 決算(見込) row."""
    staff_years = [r.fiscal_year for r in extraction.rows(StaffingRecord) if r.fiscal_year]
    if staff_years:
        return max(staff_years)
    result_years = [
        r.fiscal_year for r in extraction.rows(BudgetRecord) if r.fiscal_year and r.stage in ("決算", "決算見込")
    ]
    return max(result_years) if result_years else None


# ---------------------------------------------------------------------------------------
# grouping pages into projects


@dataclass
class ProjectPages:
    page1: PageGrid | None = None
    page2: PageGrid | None = None
    extra: list[PageGrid] = field(default_factory=list)


def group_project_pages(pages: list[tuple[PageGrid, str]]) -> list[ProjectPages]:
    """Group pages into projects by content: a page 1 starts a project, its page 2 follows."""
    groups: list[ProjectPages] = []
    for grid, role in pages:
        if role == "sheet_page1" or not groups:
            groups.append(ProjectPages())
        current = groups[-1]
        if role == "sheet_page1":
            current.page1 = grid
        elif current.page2 is None and (
            current.page1 is None or _project_code(grid) == _project_code(current.page1)
        ):
            current.page2 = grid
        else:
            # a page 2 whose code differs from the page 1 before it: a project of its own
            groups.append(ProjectPages(page2=grid))
    return groups


def _project_code(grid: PageGrid) -> str:
    """The page's 事業コード (digits only; "" when the page has no header table)."""
    found = read_code_cells(grid)
    return digits_only(" ".join(c.text.strip() for c in found[0])) if found else ""


# ---------------------------------------------------------------------------------------
# the header table (both pages)


@dataclass
class HeaderTable:
    """Everything in the header table of one page, before it becomes records."""

    page: int
    project_code: str
    project_code_raw: str
    code_cells: list[Cell]
    name_cell: Cell | None
    summary_cell: Cell | None
    budgets: list[BudgetRecord]
    staffing: StaffingRecord | None
    outputs_header: str | None
    outputs_cell: Cell | None
    outcome_header: str | None
    outcome: list[IndicatorRecord]
    # budget column -> its header as printed (prefecture -> 北海道), for project_budget_sources
    budget_labels: dict[str, str] = field(default_factory=dict)

    @property
    def project_name(self) -> str | None:
        return clean_text(self.name_cell.text) if self.name_cell else None

    @property
    def summary(self) -> str | None:
        return clean_text(self.summary_cell.text) if self.summary_cell else None

    @property
    def outputs_text(self) -> str | None:
        return clean_text(self.outputs_cell.text) if self.outputs_cell else None


def read_code_cells(grid: PageGrid) -> tuple[list[Cell], Cell | None, float, float] | None:
    """The 事業コード cells under their label, the 事業名 cell, and the data row's top and bottom."""
    code_label = grid.find_label("事業コード")
    name_label = grid.find_label("事業名")
    if code_label is None or name_label is None:
        return None
    data_top = max(code_label.bottom, name_label.bottom)
    name_cells = [c for c in grid.below(name_label) if c.top >= data_top - 2.5]
    name_cell = name_cells[0] if name_cells else None
    data_bottom = name_cell.bottom if name_cell else data_top
    code_cells = [c for c in grid.in_band(data_top, data_bottom, code_label.x0, code_label.x1) if c.text]
    return code_cells, name_cell, data_top, data_bottom


def read_header_table(grid: PageGrid) -> HeaderTable | None:
    """Read the header table of a sheet page (None when the page has none)."""
    found = read_code_cells(grid)
    if found is None:
        return None
    code_cells, name_cell, data_top, data_bottom = found
    summary_label = grid.find_label("事業の概要")
    code_raw = " ".join(c.text.strip() for c in code_cells)
    summary_cells = grid.below(summary_label) if summary_label else []
    budgets = read_budget_matrix(grid, data_top, data_bottom)
    staffing = read_staffing(grid, data_top)
    outputs_header, outputs_cell = read_outputs(grid, data_top)
    outcome_header, outcome = read_outcome(grid, data_top, data_bottom)
    return HeaderTable(
        page=grid.page_number,
        project_code=digits_only(code_raw),
        project_code_raw=code_raw,
        code_cells=code_cells,
        name_cell=name_cell,
        summary_cell=summary_cells[0] if summary_cells else None,
        budgets=budgets,
        staffing=staffing,
        outputs_header=outputs_header,
        outputs_cell=outputs_cell,
        outcome_header=outcome_header,
        outcome=outcome,
        budget_labels=budget_column_labels(grid, data_top),
    )


def budget_column_labels(grid: PageGrid, data_top: float) -> dict[str, str]:
    """The インプット matrix's header labels as printed, by budget column (first of each)."""
    labels: dict[str, str] = {}
    for cell in grid.cells:
        column = _match_budget_column(cell.text) if cell.bottom <= data_top + 2.5 else None
        if column and column not in labels:
            labels[column] = clean_text(cell.text) or ""
    return labels


@functools.lru_cache(maxsize=4096)  # asked of every header cell of every sheet
def _match_budget_column(label: str) -> str | None:
    """Which budget field a header label names (None for other headers)."""
    norm = normalize_label(label)
    for column, labels in BUDGET_COLUMN_LABELS.items():
        for wanted in labels:
            wanted_norm = normalize_label(wanted)
            # one-character labels (国, 道) must match exactly, longer ones as a prefix
            if norm == wanted_norm or (len(wanted_norm) > 1 and norm.startswith(wanted_norm)):
                return column
    return None


def read_budget_matrix(grid: PageGrid, data_top: float, data_bottom: float) -> list[BudgetRecord]:
    """Budget rows of the インプット matrix: one record per labelled row (R3決算見込 …)."""
    header_cells = [c for c in grid.cells if c.bottom <= data_top + 2.5 and _match_budget_column(c.text)]
    columns = {}
    for cell in header_cells:
        column = _match_budget_column(cell.text)
        if column and column not in columns:
            columns[column] = cell
    if "total_cost" not in columns:
        return []
    left = min(c.x0 for c in columns.values())
    right = max(c.x1 for c in columns.values())
    records: list[BudgetRecord] = []
    for label_cell in grid.in_band(data_top, data_bottom + 2.5, float("-inf"), left):
        span, stage = parse_stage_label(label_cell.text)
        if span is None or stage is None or label_cell.x1 > left + 2.5:
            continue
        band = row_cells(grid, label_cell, left - 1, right + 1)
        record = BudgetRecord(
            page=grid.page_number,
            label=clean_text(label_cell.text) or "",
            fiscal_year=span.start,
            stage=stage,
        )
        used: list[Cell] = [label_cell]
        for column, header in columns.items():
            value_cell = cell_in_column(band, header.x0, header.x1)
            raw = value_cell.text.strip() if value_cell else ""
            setattr(record, column, parse_number(raw).value)
            record.raw[column] = raw
            if value_cell:
                record.cell_bboxes[column] = value_cell.bbox
                used.append(value_cell)
        record.bbox = union_bbox(used)
        record.raw_text = " | ".join([record.label] + [record.raw[c] for c in BUDGET_AMOUNT_COLUMNS if c in record.raw])
        records.append(record)
    return records


def read_staffing(grid: PageGrid, data_top: float) -> StaffingRecord | None:
    """人工 (R3年度): 正職員 and 会計年度 with the fiscal year from the header."""
    header = grid.find_label("人工", startswith=True)
    if header is None:
        return None
    span = find_fiscal_year(header.text)
    record = StaffingRecord(page=grid.page_number, label=clean_text(header.text) or "", fiscal_year=span.start if span else None)
    used = [header]
    for sub in grid.in_band(header.bottom - 1, data_top, header.x0 - 1, header.x1 + 1):
        if sub is header or sub.top < header.bottom - 2.5:
            continue
        values = [c for c in grid.below(sub) if c.top >= data_top - 2.5]
        raw = values[0].text.strip() if values else ""
        norm = normalize_label(sub.text)
        column = "regular_staff" if norm.startswith("正職員") else "fiscal_year_staff" if norm.startswith("会計") else None
        if column is None:
            continue
        setattr(record, column, parse_number(raw).value)
        record.raw[column] = raw
        if values:
            record.cell_bboxes[column] = values[0].bbox
            used.append(values[0])
        used.append(sub)
    record.bbox = union_bbox(used)
    record.raw_text = " | ".join(f"{k}={v}" for k, v in record.raw.items())
    return record


def read_outputs(grid: PageGrid, data_top: float) -> tuple[str | None, Cell | None]:
    """アウトプット: its header text (with the sub-header) and the value cell."""
    header = grid.find_label("アウトプット", startswith=True)
    if header is None:
        return None, None
    header_cells = [header]
    current = header
    while True:
        below = grid.below(current)
        if not below:
            return "\n".join(c.text for c in header_cells), None
        current = below[0]
        if current.top >= data_top - 2.5:
            return "\n".join(c.text for c in header_cells), current
        header_cells.append(current)


def read_outcome(grid: PageGrid, data_top: float, data_bottom: float) -> tuple[str | None, list[IndicatorRecord]]:
    """アウトカム of the header table: the KPI name and its labelled values (R3実績値 …)."""
    header = grid.find_label("アウトカム", startswith=True)
    if header is None:
        return None, []
    cells = grid.in_band(data_top, data_bottom + 2.5, header.x0 - 1, header.x1 + 1)
    name_cells: list[Cell] = []
    values: list[tuple[Cell, Cell]] = []
    for cell in cells:
        span = find_fiscal_year(cell.text)
        if span and _OUTCOME_LABEL.search(cell.text) and cell.x1 < header.x1 - 2.5:
            right = [c for c in grid.right_of(cell) if c.x1 <= header.x1 + 2.5]
            if right:
                values.append((cell, right[0]))
                continue
        if cell.x1 >= header.x1 - 2.5 and cell.x0 <= header.x0 + 2.5 and not any(cell is v for _, v in values):
            name_cells.append(cell)
    name = clean_text("\n".join(c.text for c in name_cells if c.text))
    if (not name or is_placeholder(name)) and not any(v.text.strip() for _, v in values):
        return header.text, []  # 「-」: the project has no KPI
    records = []
    for label_cell, value_cell in values:
        span = find_fiscal_year(label_cell.text)
        kind = "目標" if "目標" in label_cell.text else "実績"
        parsed = parse_number(value_cell.text)
        records.append(
            IndicatorRecord(
                page=grid.page_number,
                bbox=union_bbox([label_cell, value_cell]),
                raw_text=f"{label_cell.text} | {value_cell.text}",
                raw={"value": value_cell.text.strip()},
                cell_bboxes={"value": value_cell.bbox},
                level="事業",
                indicator_no=1,
                indicator_name=name or "",
                fiscal_year=span.start if span else None,
                kind=kind,
                column_label=clean_text(label_cell.text) or "",
                value=parsed.value,
                value_text=clean_text(value_cell.text),
            )
        )
    return header.text, records


# ---------------------------------------------------------------------------------------
# page 1 blocks


def read_basic_info(grid: PageGrid, project: ProjectRecord) -> None:
    """開始時期, 実施根拠, 関連する計画等, 類似事業, 参考事例: the value under each label."""
    fields = {
        "start_text": ("開始時期",),
        "legal_basis": ("実施根拠",),
        "related_plans": ("関連する計画等", "関連計画"),
        "similar_services": ("行政・民間の類似事業", "類似事業"),
        "reference_cases": ("改善・課題解決の参考になる事例", "参考になる事例", "参考事例"),
    }
    for attr, labels in fields.items():
        label = grid.find_label(*labels, startswith=True)
        if label is None:
            continue
        text, cells = text_below(grid, label)
        setattr(project, attr, clean_text(text))
        if cells:
            project.cell_bboxes[attr] = cells[0].bbox
    if project.start_text:
        span = find_fiscal_year(project.start_text)
        project.start_fiscal_year = span.start if span else None


def read_first_evaluation(grid: PageGrid, code: str) -> tuple[EvaluationRecord | None, list[ReformViewpointRecord]]:
    """1次評価: the 行財政改革の視点 with their marks, 課題, 改善・対策の方向性, 見込まれる効果."""
    title = grid.find_label("1次評価", startswith=True)
    viewpoint_header = grid.find_label("行財政改革の視点", startswith=True)
    viewpoints: list[ReformViewpointRecord] = []
    if viewpoint_header is not None:
        items = [
            c
            for c in grid.in_band(viewpoint_header.bottom, grid.height, viewpoint_header.x0 - 1, viewpoint_header.x1 + 1)
            if _VIEWPOINT.match(fold_width(c.text).strip())
        ]
        for item in items:
            match = _VIEWPOINT.match(item.text.strip())
            if not match:
                continue
            marks = [c for c in grid.right_of(item) if c.x1 <= viewpoint_header.x1 + 2.5]
            mark = marks[0].text.strip() if marks else ""
            viewpoints.append(
                ReformViewpointRecord(
                    page=grid.page_number,
                    bbox=union_bbox([item] + marks),
                    raw_text=f"{item.text} | {mark}",
                    project_code=code,
                    viewpoint_no=_CIRCLED.index(match.group(1)) + 1,
                    viewpoint=re.sub(r"\s+", " ", match.group(2)).strip(),
                    selected=bool(mark),
                    mark=mark,
                )
            )
    texts: dict[str, Any] = {}  # the evaluation's text fields, passed to EvaluationRecord by name
    used: list[Cell] = []
    for attr, label_text in (("issues", "課題"), ("direction", "改善・対策の方向性"), ("expected_effect", "見込まれる効果")):
        label = grid.find_label(label_text, startswith=True)
        if label is None:
            texts[attr] = None
            continue
        text, cells = text_below(grid, label)
        texts[attr] = clean_text(text)
        used += cells
    if title is None and not viewpoints and not any(texts.values()):
        return None, viewpoints
    evaluation = EvaluationRecord(
        page=grid.page_number,
        bbox=union_bbox(used),
        raw_text="\n".join(t for t in texts.values() if t),
        project_code=code,
        evaluator="1次",
        title=clean_text(title.text) if title else None,
        **texts,
    )
    return evaluation, viewpoints


def read_review_box(grid: PageGrid, code: str, label_text: str, evaluator: str) -> EvaluationRecord | None:
    """外部評価 / 2次評価: a titled box whose body may be empty."""
    label = grid.find_label(label_text, startswith=True)
    if label is None:
        return None
    text, cells = text_below(grid, label)
    return EvaluationRecord(
        page=grid.page_number,
        bbox=union_bbox(cells),
        raw_text=text,
        project_code=code,
        evaluator=evaluator,
        title=clean_text(label.text),
        comment=clean_text(text),
    )


# ---------------------------------------------------------------------------------------
# page 2 blocks


def read_policy(grid: PageGrid, project: ProjectRecord) -> None:
    """展開施策 (code, name, note, purpose) and 将来ビジョン (基本政策) (title, text)."""
    label = grid.find_label("展開施策")
    if label is not None:
        text, cells = text_right(grid, label)
        lines = (clean_text(text) or "").split("\n")
        match = _POLICY.match(lines[0]) if lines and lines[0] else None
        if match:
            project.policy_code = re.sub(r"\s", "", fold_width(match.group(1)))
            project.policy_name = match.group(2).strip() or None
        elif lines and lines[0]:
            project.policy_name = lines[0]
        rest = lines[1:]
        project.policy_note = next((line for line in rest if not line.startswith(("(事業の目的)", "（事業の目的）"))), None)
        purpose = [line for line in rest if line != project.policy_note]
        project.policy_purpose = "\n".join(purpose) or None
        if cells:
            _mark(project, grid, cells[0], "policy_code", "policy_name", "policy_note", "policy_purpose")
    vision = grid.find_label("将来ビジョン(基本政策)")
    if vision is not None:
        text, cells = text_right(grid, vision)
        lines = (clean_text(text) or "").split("\n")
        project.vision_title = lines[0] or None
        project.vision_text = "\n".join(lines[1:]) or None
        if cells:
            _mark(project, grid, cells[0], "vision_title", "vision_text")
    strategy_policy = grid.find_label("施策(まち・ひと・しごと創生総合戦略", startswith=True)
    if strategy_policy is not None:
        text, cells = text_below(grid, strategy_policy)
        project.strategy_policy_text = clean_text(text)
        if cells:
            _mark(project, grid, cells[0], "strategy_policy_text")
    strategy_vision = grid.find_label("将来ビジョン(総合戦略", startswith=True)
    if strategy_vision is not None:
        text, cells = text_below(grid, strategy_vision)
        project.strategy_vision_text = clean_text(text)
        if cells:
            _mark(project, grid, cells[0], "strategy_vision_text")


def _mark(record: ProjectRecord, grid: PageGrid, cell: Cell, *columns: str) -> None:
    """Remember where some of a record's columns were read: this cell, on this page."""
    for column in columns:
        record.cell_bboxes[column] = cell.bbox
        record.cell_pages[column] = grid.page_number


def read_pledge(grid: PageGrid, project: ProjectRecord) -> None:
    """市長公約: its number and title, the cells to the right of the label."""
    label = grid.find_label("市長公約", "公約")
    if label is None:
        return
    cells = grid.right_of(label)
    if not cells:
        return
    number_cell = cells[0]
    title_cells = grid.right_of(number_cell)
    project.pledge_no = clean_text(number_cell.text)
    project.pledge_title = clean_text("\n".join(c.text for c in title_cells)) if title_cells else None
    _mark(project, grid, number_cell, "pledge_no")
    if title_cells:
        _mark(project, grid, title_cells[0], "pledge_title")


def indicator_level(header_text: str) -> str | None:
    """Which level an outcome table header names (施策 / 基本政策 / 総合戦略施策 / 総合戦略)."""
    norm = normalize_label(header_text)
    if norm.startswith("基本政策のアウトカム"):
        return "基本政策"
    if norm.startswith("総合戦略のアウトカム"):
        return "総合戦略"
    if norm.startswith("施策のアウトカム"):
        return "総合戦略施策" if "総合戦略" in norm else "施策"
    return None


def read_outcome_tables(grid: PageGrid, code: str) -> list[IndicatorRecord]:
    """Every outcome table of page 2: one record per value cell of each indicator row."""
    records: list[IndicatorRecord] = []
    for header in grid.find_all(lambda c: indicator_level(c.text) is not None):
        level = indicator_level(header.text)
        assert level is not None
        columns = header_columns(grid, header)
        for row_no, name_cell in enumerate(stacked_below(grid, header), start=1):
            band = row_cells(grid, name_cell)
            records += read_indicator_row(grid, code, level, row_no, name_cell, band, columns)
    return records


def read_indicator_row(grid: PageGrid, code: str, level: str, row_no: int, name_cell: Cell, band: list[Cell],
                       columns: list[Any]) -> list[IndicatorRecord]:
    """One indicator row: name, 単位, 基準値, 実績 per year, 達成率 / 進捗, 目標値."""
    cells = {column.full_label: cell_in_column(band, column.x0, column.x1) for column in columns}
    texts = {label: (cell.text.strip() if cell else "") for label, cell in cells.items()}
    name = clean_text(name_cell.text)
    if not name and not any(texts.values()):
        return []  # an empty row drawn for filling in
    unit = baseline_text = achievement_text = progress_text = None
    value_columns = []
    for column in columns:
        norm = normalize_label(column.full_label)
        text = texts[column.full_label]
        if norm.startswith("単位"):
            unit = text or None
        elif norm.startswith("基準値"):
            baseline_text = text or None
        elif norm.startswith("達成率"):
            achievement_text = text or None
        elif norm.startswith("進捗"):
            progress_text = text or None
        else:
            value_columns.append(column)
    baseline = parse_number(baseline_text).value
    achievement = parse_number(achievement_text)
    records = []
    for column in value_columns:
        span = find_fiscal_year(column.full_label)
        kind = "目標" if "目標" in column.full_label else "実績" if "実績" in column.full_label else None
        cell = cells[column.full_label]
        raw = texts[column.full_label]
        parsed = parse_number(raw)
        record = IndicatorRecord(
            page=grid.page_number,
            bbox=union_bbox([name_cell] + ([cell] if cell else [])),
            raw_text=" | ".join([name or ""] + [texts[c.full_label] for c in columns]),
            raw={"value": raw, "baseline": baseline_text or "", "achievement_rate": achievement_text or ""},
            project_code=code,
            level=level,
            indicator_no=row_no,
            indicator_name=name or "",
            unit=unit,
            baseline=baseline,
            baseline_text=baseline_text,
            fiscal_year=span.start if span else None,
            kind=kind,
            column_label=re.sub(r"\s+", " ", column.full_label).strip(),
            value=parsed.value,
            value_text=raw or None,
            achievement_rate=achievement.value,
            achievement_text=achievement_text,
            progress_text=progress_text,
        )
        if cell:
            record.cell_bboxes["value"] = cell.bbox
        records.append(record)
    return records


# ---------------------------------------------------------------------------------------
# one project


def read_project(group: ProjectPages, extraction: Extraction) -> None:
    """Read one project's pages into records, comparing page 2's header with page 1's."""
    first = group.page1 or group.page2
    assert first is not None
    header = read_header_table(first)
    if header is None or not header.project_code:
        extraction.issues.append(
            IssueRecord(first.page_number, ProjectRecord.TABLE, "", "project_code", "missing_project_code")
        )
    code = header.project_code if header else ""
    project = ProjectRecord(
        page=first.page_number,
        first_page=first.page_number,
        last_page=(group.page2 or first).page_number,
        project_code=code,
        project_code_raw=header.project_code_raw if header else "",
        bbox=union_bbox(header.code_cells) if header else None,
    )
    if header:
        project.project_name = header.project_name
        project.summary = header.summary
        project.outputs_header = header.outputs_header
        project.outputs_text = header.outputs_text
        project.outcome_header = header.outcome_header
        project.raw_text = header.project_code_raw
        code_box = union_bbox(header.code_cells)
        if code_box is not None:
            project.cell_bboxes["project_code"] = code_box
        for column, cell in (("project_name", header.name_cell), ("summary", header.summary_cell),
                             ("outputs_text", header.outputs_cell)):
            if cell is not None:
                _mark(project, first, cell, column)
        for record in header.budgets:
            record.project_code = code
            extraction.add(record)
            # the same figures in the long table every template fills: 北海道 → 都道府県
            extraction.extend(budget_source_records(record, header.budget_labels))
        if header.staffing:
            header.staffing.project_code = code
            extraction.add(header.staffing)
        for indicator in header.outcome:
            indicator.project_code = code
            extraction.add(indicator)
    if group.page1 is not None:
        read_basic_info(group.page1, project)
        footer = [line.text for line in group.page1.loose_lines if normalize_label(line.text).startswith("(参考)")]
        project.footer_text = footer[0] if footer else None
        evaluation, viewpoints = read_first_evaluation(group.page1, code)
        extraction.extend(viewpoints)
        if evaluation:
            extraction.add(evaluation)
        for label, evaluator in (("外部評価", "外部"), ("2次評価", "2次")):
            box = read_review_box(group.page1, code, label, evaluator)
            if box:
                extraction.add(box)
    else:
        extraction.issues.append(
            IssueRecord(first.page_number, project.TABLE, project.key(), None, "missing_page1")
        )
    if group.page2 is not None:
        read_policy(group.page2, project)
        read_pledge(group.page2, project)
        extraction.extend(read_outcome_tables(group.page2, code))
        if group.page1 is not None and header is not None:
            second = read_header_table(group.page2)
            if second is not None:
                extraction.issues += compare_header_tables(header, second)
    elif group.page1 is not None:
        extraction.issues.append(
            IssueRecord(first.page_number, project.TABLE, project.key(), None, "missing_page2")
        )
    extraction.add(project)
    for grid, role in ((group.page1, "sheet_page1"), (group.page2, "sheet_page2")):
        if grid is not None:
            extraction.add(PageRecord(page=grid.page_number, template=NAME, page_role=role, project_code=code))


def _same_text(a: str | None, b: str | None) -> bool:
    """Equal once width is folded and whitespace ignored (page 2 may use ＜＞ for <>)."""
    return re.sub(r"\s", "", fold_width(a or "")) == re.sub(r"\s", "", fold_width(b or ""))


def compare_header_tables(page1: HeaderTable, page2: HeaderTable) -> list[IssueRecord]:
    """Every difference between the header table of page 1 and its copy on page 2."""
    issues: list[IssueRecord] = []
    code = page1.project_code

    def differ(record_type: type[Record], key: str, column: str, first: str | None, second: str | None,
               bbox: BBox | None = None) -> None:
        if not _same_text(first, second):
            issues.append(
                IssueRecord(
                    page=page2.page,
                    table_name=record_type.TABLE,
                    record_key=key,
                    column_name=column,
                    check_name="page_header_mismatch",
                    raw_value=second,
                    bbox=bbox,
                    detail=f"1ページ目 {first or '(空欄)'} / 2ページ目 {second or '(空欄)'}",
                )
            )

    def budget_key(budget: BudgetRecord) -> str:
        return replace(budget, project_code=code).key()  # a page-2 row has no project code of its own

    differ(ProjectRecord, code, "project_code", page1.project_code_raw, page2.project_code_raw)
    differ(ProjectRecord, code, "project_name", page1.project_name, page2.project_name)
    differ(ProjectRecord, code, "summary", page1.summary, page2.summary, page2.summary_cell.bbox if page2.summary_cell else None)
    differ(ProjectRecord, code, "outputs_text", page1.outputs_text, page2.outputs_text)
    second_budgets = {(b.fiscal_year, b.stage): b for b in page2.budgets}
    for budget in page1.budgets:
        key = budget_key(budget)
        other = second_budgets.pop((budget.fiscal_year, budget.stage), None)
        if other is None:
            differ(BudgetRecord, key, "label", budget.label, None)
            continue
        for column in BUDGET_AMOUNT_COLUMNS:
            differ(BudgetRecord, key, column, budget.raw.get(column), other.raw.get(column), other.cell_bboxes.get(column))
    for other in second_budgets.values():
        differ(BudgetRecord, budget_key(other), "label", None, other.label)
    # These keys name the repeated header cell as they always have (`code year`, `code 事業 label`),
    # not StaffingRecord / IndicatorRecord.key(): released validation_issues keep their keys.
    if page1.staffing and page2.staffing:
        for column in ("regular_staff", "fiscal_year_staff"):
            differ(StaffingRecord, f"{code} {page1.staffing.fiscal_year}", column,
                   page1.staffing.raw.get(column), page2.staffing.raw.get(column), page2.staffing.cell_bboxes.get(column))
    first_outcome = {(o.fiscal_year, o.kind): o for o in page1.outcome}
    for outcome in page2.outcome:
        mine = first_outcome.get((outcome.fiscal_year, outcome.kind))
        differ(IndicatorRecord, f"{code} 事業 {outcome.column_label}", "value",
               mine.value_text if mine else None, outcome.value_text, outcome.cell_bboxes.get("value"))
    return issues


TEMPLATE = AsahikawaSheet()
