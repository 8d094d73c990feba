"""大阪府池田市 事務事業評価（令和６年度実施事業）「目標設定シート」: one project per A4 page.

The page, top to bottom (every field is found by its label, never by its position):

- the NO. box (a sheet number: the project code, since the sheet has no other) and the
  title lines;
- (1) 担当部署名, 事務事業名; 総合計画の体系 (施策の柱, 施策名称) and the yellow
  国土強靭化地域計画の体系 block (事前に備えるべき目標, 施策分野; blank when not applicable);
- (2) 事業の概要: 実施期間 (`令和 5 年度 ～ 令和 9 年度`), 事業の対象, 事業の手段・方法,
  実施形態, 事業内容, 関連計画・例規;
- (3) まちづくりの進め方: the 17 SDG goals with a ○ column on their left, the elements of
  「みんなで取り組むまちづくり」/「持続可能な都市経営」 the same way, and the R6年度取組予定 /
  取組実績 texts;
- (4) 事業費等 (千円): columns R4年度決算, R5年度決算, R6年度予算, R6年度決算; rows 事業費A,
  three 主な内訳 lines, the five 財源 rows (うち受益者負担B is inside その他), 受益者負担率
  B÷A, and 「その他」財源の主な内容 under the table;
- (5) 成果指標: three lines of 内容, 単位, R5実績, R6見込, R6実績, R9見込 and the
  国土強靭化 mark, then 達成状況, 有効性, 効率性 and 方向性, each with its 判断理由;
- ※備考, a framed box.

The sheet is a spreadsheet export: a `-` in the money table is Excel's accounting-format
zero, but in the indicator table it means "no figure" (see `MONEY_DASH`, `INDICATOR_DASH`).
"""

from __future__ import annotations

import re
from typing import Any

from hyoka.extractors.grid import Cell, PageGrid, TextLine
from hyoka.extractors.records import (
    BudgetItemRecord,
    BudgetRecord,
    BudgetSourceRecord,
    EvaluationRecord,
    Extraction,
    IndicatorRecord,
    IssueRecord,
    PageRecord,
    ProjectRecord,
    ReformViewpointRecord,
    SdgRecord,
)
from hyoka.extractors.tables import (
    DASH_IS_NO_FIGURE,
    Column,
    DASH_IS_ZERO,
    DashRule,
    StageColumn,
    budget_source_records,
    cell_at,
    cell_right_of_line,
    box_below_line,
    funding_source,
    header_columns,
    labelled_rows,
    marked_items,
    read_number,
    stacked_below,
    stage_columns,
    text_right,
    union_bbox,
)
from hyoka.extractors.template import PageMatch, best_role, new_extraction
from hyoka.normalize import clean_text, digits_only, find_fiscal_year, fold_width, normalize_label

NAME = "ikeda_mokuhyo_sheet"
DOC_TYPE = "jimujigyo_sheet"
MUNICIPALITY = "池田市"
PAGE_ROLE = "goal_sheet"

# Labels that start cells of a 目標設定シート. None starts a cell of 旭川's sheets (事務事業名 is
# not 事業名, 事業費Ａ is not 事業費(千円)), nor of 神戸's or 京都's.
ROLE_ANCHORS: dict[str, tuple[str, ...]] = {
    PAGE_ROLE: (
        "担当部署名", "事務事業名", "施策の柱", "施策名称", "実施期間", "事業の対象", "事業の手段・方法",
        "実施形態", "関連するSDGsのゴール", "事業費A", "主な内訳", "財源", "成果指標の内容",
        "成果指標の達成状況", "事業の有効性", "事業の効率性",
    ),
}

# What a cell holding only `-` means, per table (the ground truth's convention).
MONEY_DASH: DashRule = DASH_IS_ZERO  # 事業費等: Excel's accounting-format zero
INDICATOR_DASH: DashRule = DASH_IS_NO_FIGURE  # 成果指標: no figure, not zero
# A blank 財源 cell is a source the project does not use: the sources add up with blanks as 0.
MONEY_BLANK_IS_ZERO = True

# 財源 source -> the BudgetRecord column it fills.
SOURCE_COLUMNS = {
    "国": "national",
    "都道府県": "prefecture",
    "国・都道府県": "national_prefecture",
    "市債": "municipal_bonds",
    "その他": "other",
    "受益者負担": "beneficiary_burden",
    "一般財源": "general_revenue",
}

_SDG_NUMBER = re.compile(r"^\s*([0-9]{1,2})\s*")
_VIEWPOINT_GROUP = re.compile(r"^「(?P<name>[^」]+)」の視点$")
_SHEET_NO = re.compile(r"NO\.?\s*([0-9]+)", re.I)


class IkedaSheet:
    """The 池田市 目標設定シート template."""

    name = NAME
    doc_type = DOC_TYPE
    municipality: str | None = MUNICIPALITY
    description = "大阪府池田市 事務事業評価「目標設定シート」 (1 page per project: 事業の概要, SDGs, 事業費等, 成果指標, 評価)"
    money_dash = MONEY_DASH
    indicator_dash = INDICATOR_DASH
    money_blank_is_zero = MONEY_BLANK_IS_ZERO

    def recognize(self, grid: PageGrid) -> PageMatch:
        return best_role(grid, ROLE_ANCHORS)

    def read(self, pages: list[tuple[PageGrid, str]]) -> Extraction:
        extraction = new_extraction(self, pages)
        for grid, _role in pages:
            read_sheet(grid, extraction)
            if extraction.title is None:
                extraction.title = sheet_title(grid)
        extraction.results_fiscal_year = results_fiscal_year(extraction, [g for g, _ in pages])
        return extraction


# ---------------------------------------------------------------------------------------
# small readers


def _text(cells: list[Cell]) -> str | None:
    return clean_text("\n".join(c.text for c in cells if c.text))


def value_right(grid: PageGrid, *labels: str, startswith: bool = False) -> tuple[str | None, list[Cell]]:
    """The text of the cells right of a label cell (None when blank or no label)."""
    label = grid.find_label(*labels, startswith=startswith)
    if label is None:
        return None, []
    text, cells = text_right(grid, label)
    return clean_text(text), cells


def reason_cells(grid: PageGrid, label: Cell | None) -> list[Cell]:
    """The cells of the 判断理由 printed in the block right under a rating label."""
    if label is None:
        return []
    for cell in grid.below(label):
        if cell.label == "判断理由":
            return grid.right_of(cell)
    return []


def _label_containing(grid: PageGrid, fragment: str) -> Cell | None:
    wanted = normalize_label(fragment)
    found = grid.find_all(lambda c: wanted in c.label)
    return found[0] if found else None


def _title_line(grid: PageGrid) -> TextLine | None:
    for line in grid.loose_lines:
        if "実施事業" in line.text or _SHEET_NO.search(fold_width(line.text)):
            return line
    return None


def sheet_title(grid: PageGrid) -> str | None:
    """`第７次池田市総合計画 前期基本計画　事務事業評価（令和６年度実施事業） 目標設定シート`."""
    parts = []
    line = _title_line(grid)
    if line is not None:
        head = re.split(r"\s*N\s*O\s*[.．]", line.text)[0].strip()
        if head:
            parts.append(head)
    parts += [ln.text for ln in grid.loose_lines if normalize_label(ln.text).endswith("シート")]
    return " ".join(parts) or None


def results_fiscal_year(extraction: Extraction, grids: list[PageGrid]) -> int | None:
    """The year whose projects the sheets evaluate: （令和６年度実施事業）, else the newest 決算."""
    for grid in grids:
        line = _title_line(grid)
        match = re.search(r"[（(]([^）)]*)実施事業", line.text) if line else None
        span = find_fiscal_year(match.group(1)) if match else None
        if span:
            return span.start
    years = [r.fiscal_year for r in extraction.rows(BudgetRecord) if r.fiscal_year and r.stage == "決算"]
    return max(years) if years else None


def read_sheet_no(grid: PageGrid) -> tuple[str, Cell | None]:
    """The NO. box: the framed cell right of the `NO.` caption (or the number after it)."""
    line = _title_line(grid)
    if line is None:
        return "", None
    box = cell_right_of_line(grid, line)
    if box is not None and digits_only(box.text):
        return box.text.strip(), box
    match = _SHEET_NO.search(fold_width(line.text))
    return (match.group(1), None) if match else ("", None)


# ---------------------------------------------------------------------------------------
# one sheet


def read_sheet(grid: PageGrid, extraction: Extraction) -> None:
    """Read one 目標設定シート page into its records."""
    no_raw, no_cell = read_sheet_no(grid)
    code = digits_only(no_raw)
    if not code:
        extraction.issues.append(
            IssueRecord(grid.page_number, ProjectRecord.TABLE, "", "project_code", "missing_project_code", detail="NO.")
        )
    project = ProjectRecord(
        page=grid.page_number,
        first_page=grid.page_number,
        last_page=grid.page_number,
        project_code=code,
        project_code_raw=no_raw,
        sheet_no=int(code) if code else None,
        bbox=no_cell.bbox if no_cell else None,
        raw_text=no_raw,
    )
    read_outline(grid, project)
    extraction.extend(read_sdgs(grid, code))
    extraction.extend(read_viewpoints(grid, code))
    budgets, sources, items = read_budget_table(grid, code)
    extraction.extend(budgets)
    extraction.extend(sources)
    extraction.extend(items)
    if not budgets:
        extraction.issues.append(
            IssueRecord(grid.page_number, BudgetRecord.TABLE, code, None, "missing_budget_table")
        )
    other_label = _label_containing(grid, "「その他」財源の主な内容")
    other_cells = grid.right_of(other_label) if other_label else []
    project.other_funding_text = _text(other_cells)
    if other_cells:
        project.cell_bboxes["other_funding_text"] = other_cells[0].bbox
    extraction.extend(read_indicators(grid, code))
    evaluation = read_evaluation(grid, code)
    if evaluation is not None:
        extraction.add(evaluation)
    project.remarks, box = read_remarks(grid)
    if box is not None:
        project.cell_bboxes["remarks"] = box.bbox
    extraction.add(project)
    extraction.add(PageRecord(page=grid.page_number, template=NAME, page_role=PAGE_ROLE, project_code=code))


# ProjectRecord field -> (labels of the cell left of its value, match label starts only)
OUTLINE_FIELDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "department": (("担当部署名",), False),
    "project_name": (("事務事業名",), False),
    "vision_title": (("施策の柱",), False),  # the level above 施策 (旭川: 基本政策)
    "policy_name": (("施策名称", "施策名"), False),
    "resilience_goal": (("事前に備えるべき目標",), False),
    "resilience_field": (("施策分野",), False),
    "period_text": (("実施期間",), True),
    "target": (("事業の対象",), True),
    "method": (("事業の手段・方法",), True),
    "delivery_mode": (("実施形態",), True),
    "summary": (("事業内容",), False),
    "related_plans": (("関連計画・例規", "関連計画"), True),
}


def read_outline(grid: PageGrid, project: ProjectRecord) -> None:
    """(1) and (2): the header cells, 総合計画の体系, 国土強靭化, 事業の概要; (3)'s 取組 texts."""
    for attr, (labels, startswith) in OUTLINE_FIELDS.items():
        text, cells = value_right(grid, *labels, startswith=startswith)
        setattr(project, attr, text)
        if cells:
            project.cell_bboxes[attr] = cells[0].bbox
    if project.period_text:
        span = find_fiscal_year(project.period_text)
        if span:
            project.period_start_fiscal_year, project.period_end_fiscal_year = span.start, span.end
    for attr, fragment in (("initiatives_plan", "取組予定"), ("initiatives_result", "取組実績")):
        label = _label_containing(grid, fragment)
        cells = grid.right_of(label) if label else []
        setattr(project, attr, _text(cells))
        if cells:
            project.cell_bboxes[attr] = cells[0].bbox


def read_sdgs(grid: PageGrid, code: str) -> list[SdgRecord]:
    """(3) The SDG goals with a mark in the column on their left."""
    label = grid.find_label("関連するSDGsのゴール", "SDGsのゴール", startswith=True)
    if label is None:
        return []
    band = grid.in_band(label.top, label.bottom, x0=label.x1)
    records = []
    for item in marked_items(grid, band):
        match = _SDG_NUMBER.match(fold_width(item.item.text))
        if not item.marked or not match:
            continue
        records.append(
            SdgRecord(
                page=grid.page_number,
                bbox=union_bbox([item.mark_cell, item.item]),
                raw_text=f"{item.mark} {item.item.text}",
                project_code=code,
                goal_no=int(match.group(1)),
                goal_label=item.item.text.strip(),
                mark=item.mark,
            )
        )
    return sorted(records, key=lambda r: r.goal_no)


def read_viewpoints(grid: PageGrid, code: str) -> list[ReformViewpointRecord]:
    """(3) The elements of each 「…」の視点 group, marked or not, in template order."""
    records: list[ReformViewpointRecord] = []
    groups = grid.find_all(lambda c: bool(_VIEWPOINT_GROUP.match(fold_width(c.label))))
    for group in groups:
        name = _VIEWPOINT_GROUP.match(fold_width(group.label))
        assert name is not None
        band = grid.in_band(group.top, group.bottom, x0=group.x1)
        for item in marked_items(grid, band):
            records.append(
                ReformViewpointRecord(
                    page=grid.page_number,
                    bbox=union_bbox([item.mark_cell, item.item]),
                    raw_text=f"{item.mark} | {item.item.text}",
                    project_code=code,
                    viewpoint_no=len(records) + 1,
                    viewpoint=clean_text(item.item.text) or "",
                    selected=item.marked,
                    mark=item.mark,
                    viewpoint_group=name.group("name"),
                )
            )
    return records


def read_budget_table(
    grid: PageGrid, code: str
) -> tuple[list[BudgetRecord], list[BudgetSourceRecord], list[BudgetItemRecord]]:
    """(4) 事業費等: one BudgetRecord per column, its 財源 as long rows, and the 主な内訳 lines."""
    corner = grid.find_label("区分")
    if corner is None:
        return [], [], []
    columns = stage_columns(grid, corner)
    if not columns:
        return [], [], []
    extents = {c.label: (c.column.x0, c.column.x1) for c in columns}
    rows = labelled_rows(grid, columns[0].column.cell, extents, label_x0=corner.x0)
    budgets = {
        c.label: BudgetRecord(page=grid.page_number, project_code=code, fiscal_year=c.fiscal_year, stage=c.stage,
                              label=c.label)
        for c in columns
    }
    used: dict[str, list[Cell]] = {c.label: [c.column.cell] for c in columns}
    source_labels: dict[str, str] = {}
    items: list[BudgetItemRecord] = []
    item_no = 0
    for row in rows:
        label = row.label.label
        group = row.group.label if row.group else ""
        if group == "主な内訳":
            item_no += 1
            items += _item_records(grid, code, columns, row.label, row.values, item_no)
            continue
        if label.startswith("事業費"):
            column = "total_cost"
        elif label.startswith("受益者負担率"):
            column = "beneficiary_burden_pct"
        elif funding_source(row.label.text) in SOURCE_COLUMNS:
            column = SOURCE_COLUMNS[funding_source(row.label.text) or ""]
            source_labels[column] = clean_text(row.label.text) or ""
        else:
            continue  # a row this template does not know: nothing is guessed
        for stage_column in columns:
            cell = row.values.get(stage_column.label)
            raw = cell.text.strip() if cell else ""
            record = budgets[stage_column.label]
            setattr(record, column, _money(raw))
            record.raw[column] = raw
            if cell is not None:
                record.cell_bboxes[column] = cell.bbox
                used[stage_column.label].append(cell)
    out = list(budgets.values())
    sources: list[BudgetSourceRecord] = []
    for record in out:
        record.bbox = union_bbox(used[record.label])
        record.raw_text = " | ".join([record.label] + [f"{k}={v}" for k, v in record.raw.items()])
        sources += budget_source_records(record, source_labels, blank_is_zero=MONEY_BLANK_IS_ZERO)
    return out, sources, items


def _money(raw: str) -> float | None:
    return read_number(raw, MONEY_DASH).value


def _item_records(grid: PageGrid, code: str, columns: list[StageColumn], label: Cell,
                  values: dict[str, Cell | None], item_no: int) -> list[BudgetItemRecord]:
    """One 主な内訳 line: a record per column, when the line carries a name or a value."""
    name = clean_text(label.text) or ""
    texts = {c.label: (found.text.strip() if (found := values.get(c.label)) else "") for c in columns}
    if not name and not any(texts.values()):
        return []
    records = []
    for column in columns:
        raw = texts[column.label]
        cell = values.get(column.label)
        records.append(
            BudgetItemRecord(
                page=grid.page_number,
                bbox=union_bbox([label] + ([cell] if cell else [])),
                raw_text=f"{name} | {raw}",
                raw={"amount": raw},
                cell_bboxes={"amount": cell.bbox} if cell else {},
                project_code=code,
                fiscal_year=column.fiscal_year,
                stage=column.stage,
                item_no=item_no,
                item_name=name,
                amount=_money(raw),
                amount_text=raw or None,
                label=column.label,
            )
        )
    return records


def _leaf_label(cell: Cell) -> str:
    """A header as printed, its lines joined by one space: `R５年度 実　績`."""
    return " ".join(line.text for line in cell.lines) or cell.text


def read_indicators(grid: PageGrid, code: str) -> list[IndicatorRecord]:
    """(5) 成果指標: a record per figure column of each line that has content."""
    header = grid.find_label("成果指標の内容")
    if header is None:
        return []
    columns = header_columns(grid, header)
    unit_column = next((c for c in columns if normalize_label(c.label).startswith("単位")), None)
    mark_column = next((c for c in columns if normalize_label(c.label).startswith("国土強靭化")), None)
    figure_columns = [c for c in columns if find_fiscal_year(c.label)]
    records: list[IndicatorRecord] = []
    for row_no, name_cell in enumerate(stacked_below(grid, header), start=1):
        middle = (name_cell.top + name_cell.bottom) / 2

        def text_at(column: Column | None, middle: float = middle) -> tuple[str, Cell | None]:
            cell = cell_at(grid, (column.x0 + column.x1) / 2, middle) if column else None
            return (cell.text.strip() if cell else ""), cell

        name = clean_text(name_cell.text)
        unit = text_at(unit_column)[0] or None
        mark = text_at(mark_column)[0] or None
        figures = [(column, *text_at(column)) for column in figure_columns]
        if not name and not unit and not mark and not any(raw for _, raw, _ in figures):
            continue  # an empty line drawn for filling in
        for column, raw, cell in figures:
            leaf = normalize_label(column.label)
            kind = "実績" if "実績" in leaf else "見込" if "見込" in leaf else "目標" if "目標" in leaf else None
            span = find_fiscal_year(column.label)
            parsed = read_number(raw, INDICATOR_DASH)
            record = IndicatorRecord(
                page=grid.page_number,
                bbox=union_bbox([name_cell] + ([cell] if cell else [])),
                raw_text=" | ".join([name or "", unit or ""] + [r for _, r, _ in figures] + [mark or ""]),
                raw={"value": raw},
                project_code=code,
                level="事業",
                indicator_no=row_no,
                indicator_name=name or "",
                unit=unit,
                fiscal_year=span.start if span else None,
                kind=kind,
                column_label=_leaf_label(column.cell),
                value=parsed.value,
                value_text=raw or None,
                resilience_mark=mark,
            )
            if cell is not None:
                record.cell_bboxes["value"] = cell.bbox
            records.append(record)
    return records


def read_evaluation(grid: PageGrid, code: str) -> EvaluationRecord | None:
    """(5) The ratings and their 判断理由: 達成状況, 有効性 / 効率性, 方向性."""
    achievement = grid.find_label("成果指標の達成状況")
    effectiveness = grid.find_label("事業の有効性")
    efficiency = grid.find_label("事業の効率性")
    direction = _label_containing(grid, "事業の方向性")
    if not any((achievement, effectiveness, efficiency, direction)):
        return None

    boxes: dict[str, tuple[float, float, float, float]] = {}

    def rating(column: str, label: Cell | None) -> str | None:
        cells = grid.right_of(label) if label else []
        if cells:
            boxes[column] = cells[0].bbox
        return _text(cells)

    def reason(column: str, label: Cell | None) -> str | None:
        cells = reason_cells(grid, label)
        if cells:
            boxes[column] = cells[0].bbox
        return _text(cells)

    fields: dict[str, Any] = {  # the evaluation's fields, passed to EvaluationRecord by name
        "achievement_rating": rating("achievement_rating", achievement),
        "achievement_reason": reason("achievement_reason", achievement),
        "effectiveness_rating": rating("effectiveness_rating", effectiveness),
        "efficiency_rating": rating("efficiency_rating", efficiency),
        "effectiveness_efficiency_reason": reason("effectiveness_efficiency_reason", efficiency),
        "direction_rating": rating("direction_rating", direction),
        "direction_reason": reason("direction_reason", direction),
    }
    title = next((ln.text for ln in grid.loose_lines if "成果指標及び評価" in ln.text), None)
    if title:
        title = re.sub(r"^.*[（(]\s*[0-9０-９]\s*[)）]\s*(?=事業の成果指標及び評価)", "", title).strip()
    labels = [c for c in (achievement, effectiveness, efficiency, direction) if c is not None]
    return EvaluationRecord(
        page=grid.page_number,
        bbox=union_bbox(labels),
        raw_text="\n".join(v for v in fields.values() if v),
        project_code=code,
        evaluator="1次",
        title=title,
        cell_bboxes=boxes,
        **fields,
    )


def read_remarks(grid: PageGrid) -> tuple[str | None, Cell | None]:
    """※備考: the framed box under its caption (None when blank)."""
    caption = next((ln for ln in grid.loose_lines if normalize_label(ln.text).startswith("※備考")), None)
    box = box_below_line(grid, caption) if caption else None
    return (clean_text(box.text) if box else None), box


TEMPLATE = IkedaSheet()
