"""A visual debugger: a page drawn with the cells hyoka found and the fields it read.

Blue boxes are ruled cells, green boxes are cells that became fields (labelled with
their table and column), orange boxes are text outside every cell. Open the PNG next
to the PDF to see at once what was read, what was not, and where a value came from.
"""

from __future__ import annotations

from pathlib import Path

from PIL import ImageDraw

from extractors.grid import build_grid
from extractors.pages import DEFAULT_READER, Reader
from extractors.pdf_input import open_document, open_pdf
from extractors.registry import choose_template, extract_pdf, TEMPLATES

CELL_COLOR = (40, 90, 220)
FIELD_COLOR = (20, 160, 60)
LOOSE_COLOR = (240, 140, 0)


def field_boxes(data: bytes, page_number: int, reader: Reader = DEFAULT_READER) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(label, bbox) of every field the extractor read from the page."""
    extraction = extract_pdf(data, reader=reader)
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


def render_page(data: bytes, page_number: int, out: str | Path, *, resolution: int = 110, reader: Reader = DEFAULT_READER) -> str:
    """Write a PNG of one page with cells, fields and loose text drawn; return a summary line.

    The grid is read as the ingest reads it (`reader`); pdfplumber draws the picture.
    """
    with open_document(data, reader) as source:
        if not 1 <= page_number <= source.page_count:
            raise ValueError(f"page {page_number} does not exist: the PDF has {source.page_count} page(s)")
        grid = build_grid(source.read(page_number))
    choice = choose_template(grid, TEMPLATES)
    with open_pdf(data) as pdf:
        image = pdf.pages[page_number - 1].to_image(resolution=resolution)
        image.draw_rects([c.bbox for c in grid.cells], stroke=CELL_COLOR + (255,), fill=CELL_COLOR + (18,), stroke_width=1)
        image.draw_rects(
            [(line.x0, line.top, line.x1, line.bottom) for line in grid.loose_lines],
            stroke=LOOSE_COLOR + (255,), fill=LOOSE_COLOR + (30,), stroke_width=1,
        )
        fields = field_boxes(data, page_number, reader) if choice.template else []
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
