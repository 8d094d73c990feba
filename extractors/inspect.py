"""A visual debugger: a page drawn with the cells hyoka found and the fields it read.

Blue boxes are ruled cells, green boxes are cells that became fields (labelled with
their table and column), orange boxes are text outside every cell. Open the PNG next
to the PDF to see at once what was read, what was not, and where a value came from.
"""

from __future__ import annotations

from pathlib import Path

from PIL import ImageDraw

from extractors.grid import build_grid
from extractors.pdf_input import open_pdf
from extractors.registry import choose_template, extract_pdf, TEMPLATES

CELL_COLOR = (40, 90, 220)
FIELD_COLOR = (20, 160, 60)
LOOSE_COLOR = (240, 140, 0)


def field_boxes(data: bytes, page_number: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(label, bbox) of every field the extractor read from the page."""
    extraction = extract_pdf(data)
    boxes: list[tuple[str, tuple[float, float, float, float]]] = []
    for table, records in extraction.tables.items():
        if table == "pages":
            continue
        for record in records:
            for column, bbox in record.cell_bboxes.items():
                if record.page_of(column) == page_number:
                    boxes.append((f"{table}.{column}", bbox))
            if record.bbox and not record.cell_bboxes and record.page == page_number:
                boxes.append((table, record.bbox))
    return boxes


def render_page(data: bytes, page_number: int, out: str | Path, *, resolution: int = 110) -> str:
    """Write a PNG of one page with cells, fields and loose text drawn; return a summary line."""
    with open_pdf(data) as pdf:
        if not 1 <= page_number <= len(pdf.pages):
            raise ValueError(f"page {page_number} does not exist: the PDF has {len(pdf.pages)} page(s)")
        page = pdf.pages[page_number - 1]
        grid = build_grid(page)
        choice = choose_template(grid, TEMPLATES)
        image = page.to_image(resolution=resolution)
        image.draw_rects([c.bbox for c in grid.cells], stroke=CELL_COLOR + (255,), fill=CELL_COLOR + (18,), stroke_width=1)
        image.draw_rects(
            [(line.x0, line.top, line.x1, line.bottom) for line in grid.loose_lines],
            stroke=LOOSE_COLOR + (255,), fill=LOOSE_COLOR + (30,), stroke_width=1,
        )
        fields = field_boxes(data, page_number) if choice.template else []
        image.draw_rects([bbox for _, bbox in fields], stroke=FIELD_COLOR + (255,), fill=FIELD_COLOR + (40,), stroke_width=2)
        annotated = image.annotated.convert("RGB")
        scale = resolution / 72
        draw = ImageDraw.Draw(annotated)
        for label, (x0, top, _x1, _bottom) in fields:
            draw.text((x0 * scale + 2, top * scale + 1), label, fill=FIELD_COLOR)
        verdict = (
            f"template {choice.closest} ({choice.match.role}, score {choice.match.score:.2f})"
            if choice.template
            else f"no template (closest {choice.closest}, score {choice.match.score:.2f})"
        )
        draw.text((4, 4), f"page {page_number}: {len(grid.cells)} cells, {len(fields)} fields; {verdict}", fill=(200, 0, 0))
        annotated.save(str(out))
    return f"page {page_number}: {len(grid.cells)} cells, {len(fields)} fields, {verdict}"
