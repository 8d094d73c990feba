"""Synthetic 総合戦略 KPI一覧 PDFs: the sample's layout with any value columns.

A KPI list is drawn directly with reportlab: one page per 基本目標, a heading line
above a ruled table, the document title on the first page only. The columns after 単位
are whatever `value_headers` says (現状値, any number of `令和N年度\\n実績値`, a 目標値, in
any order), so tests can check that an extractor reads the columns from the header
and not by count or position.

Items follow the sample's structure: an item's label (ア) is merged over all its rows;
an item with sub-items has a placeholder row (every cell －) that holds the item's
text, then each sub-item's circled number (in a narrow column) and text, merged over
the sub-item's KPI rows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "IPAexGothic"
FONT_SIZE = 7.0
LINE_HEIGHT = 8.6
ROW_HEIGHT = 27.0
HEADER_HEIGHT = 26.0
PADDING = 2.0
MARGIN_X = 24.0
PLACEHOLDER = "－"

# Fixed column widths (points); the value columns share what is left of the page width.
LABEL_WIDTH = 14.4
SUB_NO_WIDTH = 14.4
ITEM_TEXT_WIDTH = 108.0
KPI_WIDTH = 140.4
UNIT_WIDTH = 27.0
DEPARTMENT_WIDTH = 68.4

KPI_HEADER = "総合戦略における\n重要業績評価指標（ＫＰＩ）"
ITEM_HEADER = "具体的な施策項目"


@dataclass
class SynthKpi:
    name: str
    unit: str
    values: list[str]  # one per value header, in header order ('' for an empty cell)
    department: str
    remark: str | None = None  # printed on its own line under the name


@dataclass
class SynthSubItem:
    no: str  # ①
    text: str
    kpis: list[SynthKpi]


@dataclass
class SynthItem:
    label: str  # ア
    text: str
    kpis: list[SynthKpi] = field(default_factory=list)
    subitems: list[SynthSubItem] = field(default_factory=list)  # when set, `kpis` is ignored


@dataclass
class SynthGoal:
    no: int
    title: str
    items: list[SynthItem]


def font_path() -> Path:
    """IPAexGothic as shipped by matplotlib-fontja (a dev dependency)."""
    import matplotlib_fontja

    return Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))


def _fullwidth_digits(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def wrap(text: str, width: float, size: float = FONT_SIZE) -> list[str]:
    """Lines of `text` that fit `width`: hard breaks kept, then greedy by character."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if line and pdfmetrics.stringWidth(line + char, FONT, size) > width:
                lines.append(line)
                line = char
            else:
                line += char
        lines.append(line)
    return lines


@dataclass
class _Cell:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    align: str = "center"  # center / left


def _draw_cell(pdf: canvas.Canvas, page_height: float, cell: _Cell, size: float = FONT_SIZE) -> None:
    pdf.rect(cell.x0, page_height - cell.bottom, cell.x1 - cell.x0, cell.bottom - cell.top, stroke=1, fill=0)
    if not cell.text:
        return
    lines = wrap(cell.text, cell.x1 - cell.x0 - 2 * PADDING, size)
    block = len(lines) * LINE_HEIGHT
    baseline = cell.top + (cell.bottom - cell.top - block) / 2 + size
    for i, line in enumerate(lines):
        y = page_height - (baseline + i * LINE_HEIGHT)
        if cell.align == "left":
            pdf.drawString(cell.x0 + PADDING, y, line)
        else:
            pdf.drawCentredString((cell.x0 + cell.x1) / 2, y, line)


def _goal_cells(goal: SynthGoal, value_headers: list[str], top: float, page_width: float) -> list[_Cell]:
    """Every cell of one goal's table, header row first."""
    value_width = (page_width - 2 * MARGIN_X - LABEL_WIDTH - SUB_NO_WIDTH - ITEM_TEXT_WIDTH - KPI_WIDTH
                   - UNIT_WIDTH - DEPARTMENT_WIDTH) / len(value_headers)
    x_label = MARGIN_X
    x_sub = x_label + LABEL_WIDTH
    x_text = x_sub + SUB_NO_WIDTH
    x_kpi = x_text + ITEM_TEXT_WIDTH
    x_unit = x_kpi + KPI_WIDTH
    x_values = [x_unit + UNIT_WIDTH + i * value_width for i in range(len(value_headers) + 1)]
    x_dept = x_values[-1]
    x_end = x_dept + DEPARTMENT_WIDTH

    cells = [
        _Cell(x_label, top, x_kpi, top + HEADER_HEIGHT, ITEM_HEADER),
        _Cell(x_kpi, top, x_unit, top + HEADER_HEIGHT, KPI_HEADER),
        _Cell(x_unit, top, x_values[0], top + HEADER_HEIGHT, "単位"),
        *(
            _Cell(x_values[i], top, x_values[i + 1], top + HEADER_HEIGHT, header)
            for i, header in enumerate(value_headers)
        ),
        _Cell(x_dept, top, x_end, top + HEADER_HEIGHT, "担当部"),
    ]

    def height(*texts: tuple[str, float]) -> float:
        """The row height that holds every (text, cell width): ROW_HEIGHT, or more for a long text."""
        lines = max(len(wrap(text, width - 2 * PADDING)) if text else 0 for text, width in texts)
        return max(ROW_HEIGHT, lines * LINE_HEIGHT + 2 * PADDING)

    def kpi_row(y: float, kpi: SynthKpi, side: tuple[str, float] = ("", 0.0)) -> tuple[list[_Cell], float]:
        """The row's cells and height; `side` is a merged cell beside it that must fit too."""
        name = kpi.name + (f"\n{kpi.remark}" if kpi.remark else "")
        if len(kpi.values) != len(value_headers):
            raise ValueError(f"{kpi.name}: {len(kpi.values)} values for {len(value_headers)} columns")
        h = height((name, x_unit - x_kpi), (kpi.unit, x_values[0] - x_unit), (kpi.department, x_end - x_dept),
                   *((v, value_width) for v in kpi.values), side)
        return [
            _Cell(x_kpi, y, x_unit, y + h, name, "left"),
            _Cell(x_unit, y, x_values[0], y + h, kpi.unit),
            *(_Cell(x_values[i], y, x_values[i + 1], y + h, v) for i, v in enumerate(kpi.values)),
            _Cell(x_dept, y, x_end, y + h, kpi.department),
        ], h

    y = top + HEADER_HEIGHT
    for item in goal.items:
        item_top = y
        if item.subitems:
            placeholder = SynthKpi(PLACEHOLDER, PLACEHOLDER, [PLACEHOLDER] * len(value_headers), PLACEHOLDER)
            row, h = kpi_row(y, placeholder, (item.text, x_kpi - x_sub))
            cells.append(_Cell(x_sub, y, x_kpi, y + h, item.text, "left"))
            cells += row
            y += h
            for sub in item.subitems:
                sub_top = y
                for kpi in sub.kpis:  # a one-row sub-item's text must fit its row (a longer one spans several)
                    row, h = kpi_row(y, kpi, (sub.text, x_kpi - x_text) if len(sub.kpis) == 1 else ("", 0.0))
                    cells += row
                    y += h
                cells.append(_Cell(x_sub, sub_top, x_text, y, sub.no))
                cells.append(_Cell(x_text, sub_top, x_kpi, y, sub.text, "left"))
        else:
            for kpi in item.kpis:  # a one-row item's text must fit its row (a longer one spans several)
                row, h = kpi_row(y, kpi, (item.text, x_kpi - x_sub) if len(item.kpis) == 1 else ("", 0.0))
                cells += row
                y += h
            cells.append(_Cell(x_sub, item_top, x_kpi, y, item.text, "left"))
        cells.append(_Cell(x_label, item_top, x_sub, y, item.label))
    return cells


def kpi_list_pdf(goals: list[SynthGoal], value_headers: list[str], *, title: str | None = None) -> bytes:
    """A KPI一覧 PDF: one A4 landscape page per goal, columns after 単位 as given."""
    _register_font()
    page_width, page_height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(page_width, page_height), invariant=1)  # the same bytes every time
    pdf.setLineWidth(0.5)
    for index, goal in enumerate(goals):
        y = 36.0
        if index == 0 and title:
            pdf.setFont(FONT, 10.8)
            pdf.drawCentredString(page_width / 2, page_height - (y + 10.8), title)
            y += 22.0
        pdf.setFont(FONT, 9.9)
        pdf.drawString(MARGIN_X + 1, page_height - (y + 9.9), f"基本目標{_fullwidth_digits(goal.no)}\u3000{goal.title}")
        y += 16.0
        pdf.setFont(FONT, FONT_SIZE)
        for cell in _goal_cells(goal, value_headers, y, page_width):
            _draw_cell(pdf, page_height, cell)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
