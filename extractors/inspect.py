"""A visual debugger: a page drawn with the cells hyoka found and the fields it read.

Blue boxes are ruled cells, green boxes are cells that became fields, orange boxes are
text outside every cell. A field is labelled inside its cell, in a corner free of printed
text: `table.column`, else the column alone, else a number that the key below the page
spells out (dense tables); a cell too small even for a number is left unlabelled (and
named below). A legend of the colours, the key and the shortened labels spelt out are
drawn in a band below the page. Open the PNG next
to the PDF to see at once what was read, what was not, and where a value came from.

`layout_page` places the labels and the legend (pure: boxes in, boxes out); `render_page`
draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageFont

from hyoka.extractors.grid import PageGrid, build_grid
from hyoka.extractors.pages import DEFAULT_READER, Reader
from hyoka.extractors.pdf_input import open_document, open_pdf
from hyoka.extractors.records import PageRecord
from hyoka.extractors.registry import choose_template, extract_pdf, TEMPLATES

Box = tuple[float, float, float, float]  # x0, top, x1, bottom
Color = tuple[int, int, int]
Measure = Callable[[str], tuple[float, float]]  # text → (width, height) in pixels

CELL_COLOR: Color = (40, 90, 220)
FIELD_COLOR: Color = (20, 160, 60)
LOOSE_COLOR: Color = (240, 140, 0)
LABEL_INK: Color = (0, 100, 35)  # darker than the box: small text must read on the green tint
SUMMARY_INK: Color = (200, 0, 0)
LABEL_SIZE = 9  # pixels: small enough to fit in a table cell beside its value
LEGEND_SIZE = 12
PAD = 1.0  # pixels around a label's text
INSET = 2.0  # pixels a label keeps from its cell's edge (the green border is 2 px wide)
GAP = 6.0  # pixels between legend entries and rows

LEGEND = (
    (CELL_COLOR, "ruled cell"),
    (FIELD_COLOR, "field read (label: table.column, or column)"),
    (LOOSE_COLOR, "text outside every cell"),
)
NUMBERED_NOTE = "field in a small cell: its table.column in the key"


@dataclass(frozen=True)
class PlacedLabel:
    """A field's label on the page: what is written (the label, its column or a key number) and where."""

    field: str  # the full label, table.column
    text: str
    box: Box
    cell: Box
    numbered: bool = False


@dataclass(frozen=True)
class LegendItem:
    """One entry of the band below the page: a colour swatch, a key number's badge, or the summary line."""

    kind: str  # 'colour', 'badge' (what a number means), 'key', 'short' (a shortened label), 'unmarked' or 'summary'
    text: str
    color: Color
    swatch: Box | None  # the colour square, or the badge with the key number (None for text alone)
    badge: str  # the number written in a key badge ('' otherwise)
    text_box: Box


@dataclass
class Layout:
    """Where everything drawn over and below the page goes (image pixels)."""

    width: float
    page_height: float
    height: float  # the picture's height, the band below the page included
    labels: list[PlacedLabel] = field(default_factory=list)
    key: dict[str, int] = field(default_factory=dict)  # full label → its number
    unmarked: list[str] = field(default_factory=list)  # fields whose cell had no room even for a number
    legend: list[LegendItem] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# geometry


def intersects(a: Box, b: Box) -> bool:
    """Whether two boxes overlap (touching edges do not)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(inner: Box, outer: Box) -> bool:
    """Whether `inner` lies within `outer`."""
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def corners(cell: Box, width: float, height: float) -> list[Box]:
    """A box of this size in each corner of the cell (inset from its border): top-left first."""
    x0, top, x1, bottom = cell[0] + INSET, cell[1] + INSET, cell[2] - INSET, cell[3] - INSET
    return [
        (x0, top, x0 + width, top + height),
        (x1 - width, top, x1, top + height),
        (x0, bottom - height, x0 + width, bottom),
        (x1 - width, bottom - height, x1, bottom),
    ]


def scaled(box: Box, scale: float) -> Box:
    """A box in PDF points as image pixels."""
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


# --------------------------------------------------------------------------------------
# layout


def label_texts(label: str) -> list[str]:
    """What a field's label may be shortened to, longest first: 'table.column', 'column'."""
    short = label.rsplit(".", 1)[-1]
    return [label] if short == label else [label, short]


def place_labels(fields: Sequence[tuple[str, Box]], obstacles: Sequence[Box],
                 measure: Measure) -> tuple[list[PlacedLabel], dict[str, int], list[str]]:
    """Labels for `fields` (label, cell box), each inside its cell, clear of every obstacle (the
    printed text) and of each other: the longest text that fits in a free corner, else a key
    number (one per distinct label). Returns the labels, the key and the fields left unmarked."""
    placed: list[PlacedLabel] = []
    key: dict[str, int] = {}
    unmarked: list[str] = []

    def free_corner(text: str, cell: Box) -> Box | None:
        width, height = measure(text)
        for box in corners(cell, width + 2 * PAD, height + 2 * PAD):
            if (inside(box, cell) and not any(intersects(box, o) for o in obstacles)
                    and not any(intersects(box, p.box) for p in placed)):
                return box
        return None

    # reading order, so that key numbers run down the page
    for label, cell in sorted(fields, key=lambda f: (round(f[1][1]), f[1][0])):
        for text in label_texts(label):
            box = free_corner(text, cell)
            if box is not None:
                placed.append(PlacedLabel(label, text, box, cell))
                break
        else:
            number = str(key.get(label, len(key) + 1))
            box = free_corner(number, cell)
            if box is None:
                unmarked.append(label)
                continue
            key.setdefault(label, int(number))
            placed.append(PlacedLabel(label, number, box, cell, numbered=True))
    return placed, key, unmarked


def legend_band(width: float, top: float, labels: Sequence[PlacedLabel], key: dict[str, int], unmarked: Sequence[str],
                summary: str, measure: Measure) -> tuple[list[LegendItem], float]:
    """The band below the page, in rows across `width` from `top`: the colours' legend, the key's
    numbers, the shortened labels spelt out, the fields left unlabelled, and the summary line.
    Returns its items and where the band ends."""
    items: list[LegendItem] = []
    x, y, row_height = GAP, top + GAP, 0.0

    def add(kind: str, text: str, color: Color, badge: str) -> None:
        nonlocal x, y, row_height
        text_w, text_h = measure(text)
        if badge:
            badge_w, badge_h = measure(badge)
            swatch_w, swatch_h = badge_w + 2 * PAD + 4, badge_h + 2 * PAD
        elif kind == "colour":
            swatch_w = swatch_h = text_h
        else:
            swatch_w = swatch_h = -4.0  # text alone
        used = swatch_w + 4 + text_w
        if x > GAP and x + used > width - GAP:
            new_row()
        swatch = (x, y, x + swatch_w, y + swatch_h) if swatch_w > 0 else None
        text_box = (x + swatch_w + 4, y, x + used, y + text_h)
        items.append(LegendItem(kind, text, color, swatch, badge, text_box))
        x += used + 3 * GAP
        row_height = max(row_height, swatch_h, text_h)

    def new_row() -> None:
        nonlocal x, y, row_height
        x, y, row_height = GAP, y + row_height + GAP, 0.0

    for color, text in LEGEND:
        add("colour", text, color, "")
    if key:
        add("badge", NUMBERED_NOTE, FIELD_COLOR, str(min(key.values())))
        new_row()  # the key on rows of its own
        for label, number in sorted(key.items(), key=lambda kv: kv[1]):
            add("key", label, FIELD_COLOR, str(number))
    shortened = sorted({(p.text, p.field) for p in labels if not p.numbered and p.text != p.field})
    if shortened:
        new_row()
        for short, full in shortened:
            add("short", f"{short} = {full}", FIELD_COLOR, "")
    if unmarked:
        new_row()
        counts = {label: unmarked.count(label) for label in dict.fromkeys(unmarked)}
        add("unmarked", "not labelled (cell too small): " + ", ".join(
            f"{label} ({n} cells)" if n > 1 else label for label, n in counts.items()), FIELD_COLOR, "")
    new_row()
    text_w, text_h = measure(summary)
    items.append(LegendItem("summary", summary, SUMMARY_INK, None, "", (GAP, y, GAP + text_w, y + text_h)))
    return items, y + text_h + GAP


def layout_page(fields: Sequence[tuple[str, Box]], obstacles: Sequence[Box], width: float, page_height: float,
                summary: str, measure: Measure, legend_measure: Measure | None = None) -> Layout:
    """Labels placed on a page of `width` × `page_height` pixels, and the band below it."""
    labels, key, unmarked = place_labels(fields, obstacles, measure)
    legend, bottom = legend_band(width, page_height, labels, key, unmarked, summary, legend_measure or measure)
    return Layout(width, page_height, bottom, labels, key, unmarked, legend)


# --------------------------------------------------------------------------------------
# the page


def field_boxes(data: bytes, page_number: int, reader: Reader = DEFAULT_READER) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(label, bbox) of every field the extractor read from the page."""
    extraction = extract_pdf(data, reader=reader)
    boxes: list[tuple[str, tuple[float, float, float, float]]] = []
    for table, records in extraction.tables.items():
        if table == PageRecord.TABLE:
            continue
        for record in records:
            for column, bbox in record.cell_bboxes.items():
                if record.page_of(column) == page_number:
                    boxes.append((f"{table}.{column}", bbox))
            if record.bbox and not record.cell_bboxes and record.page == page_number:
                boxes.append((table, record.bbox))
    return boxes


def text_boxes(grid: PageGrid) -> list[Box]:
    """The box of every printed line on the page: in its cells and outside them (PDF points)."""
    return [(line.x0, line.top, line.x1, line.bottom) for cell in grid.cells for line in cell.lines] + \
        [(line.x0, line.top, line.x1, line.bottom) for line in grid.loose_lines]


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font at `size` pixels (labels are ASCII: no system font needed)."""
    return ImageFont.load_default(size=size)


def measurer(face: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> Measure:
    """(width, height) of a text in `face`: its advance, and the line's full height (ascent + descent)."""
    if isinstance(face, ImageFont.FreeTypeFont):
        ascent, descent = face.getmetrics()
        return lambda text: (float(face.getlength(text)), float(ascent + descent))
    return lambda text: (float(face.getbbox(text)[2]), float(face.getbbox("Ag")[3]))  # Pillow's bitmap font


@dataclass
class PageDrawing:
    """What `render_page` draws on one page: the grid, the template's verdict, the fields and their layout."""

    grid: PageGrid
    verdict: str
    fields: list[tuple[str, Box]]  # PDF points
    layout: Layout  # image pixels
    scale: float  # pixels per PDF point


def plan_page(data: bytes, page_number: int, *, resolution: int = 110, reader: Reader = DEFAULT_READER) -> PageDrawing:
    """Read the page as the ingest reads it (`reader`) and lay out its labels and legend."""
    with open_document(data, reader) as source:
        if not 1 <= page_number <= source.page_count:
            raise ValueError(f"page {page_number} does not exist: the PDF has {source.page_count} page(s)")
        grid = build_grid(source.read(page_number))
    choice = choose_template(grid, TEMPLATES)
    fields = field_boxes(data, page_number, reader) if choice.template else []
    verdict = (
        f"template {choice.closest} ({choice.match.role}, score {choice.match.score:.2f})"
        if choice.template
        else f"no template (closest {choice.closest}, score {choice.match.score:.2f})"
    )
    scale = resolution / 72
    summary = f"page {page_number}: {len(grid.cells)} cells, {len(fields)} fields; {verdict}"
    layout = layout_page(
        [(label, scaled(bbox, scale)) for label, bbox in fields], [scaled(b, scale) for b in text_boxes(grid)],
        round(grid.width * scale), round(grid.height * scale), summary,
        measurer(font(LABEL_SIZE)), measurer(font(LEGEND_SIZE)),
    )
    return PageDrawing(grid, verdict, fields, layout, scale)


def draw_layout(picture: Image.Image, layout: Layout) -> Image.Image:
    """The page's picture with the labels drawn over it and the legend band below it."""
    canvas = Image.new("RGB", (max(picture.width, round(layout.width)), max(picture.height, round(layout.height))), "white")
    canvas.paste(picture, (0, 0))
    draw = ImageDraw.Draw(canvas)
    small, large = font(LABEL_SIZE), font(LEGEND_SIZE)
    for label in layout.labels:
        if label.numbered:
            draw.rectangle(label.box, fill=FIELD_COLOR)
            draw.text((label.box[0] + PAD, label.box[1] + PAD), label.text, fill="white", font=small)
        else:
            draw.rectangle(label.box, fill="white")  # the label reads on the tinted cell
            draw.text((label.box[0] + PAD, label.box[1] + PAD), label.text, fill=LABEL_INK, font=small)
    draw.line([(0, layout.page_height), (canvas.width, layout.page_height)], fill=(160, 160, 160), width=1)
    for item in layout.legend:
        if item.swatch and item.badge:
            draw.rectangle(item.swatch, fill=item.color)
            draw.text((item.swatch[0] + PAD + 2, item.swatch[1] + PAD), item.badge, fill="white", font=large)
        elif item.swatch:
            draw.rectangle(item.swatch, fill=item.color)
        draw.text(item.text_box[:2], item.text, fill=item.color if item.kind == "summary" else (30, 30, 30), font=large)
    return canvas


def render_page(data: bytes, page_number: int, out: str | Path, *, resolution: int = 110, reader: Reader = DEFAULT_READER) -> str:
    """Write a PNG of one page with cells, fields and loose text drawn, labels placed clear of the
    printed values, and a legend below; return a summary line.

    The grid is read as the ingest reads it (`reader`); pdfplumber draws the picture.
    """
    plan = plan_page(data, page_number, resolution=resolution, reader=reader)
    grid, fields = plan.grid, plan.fields
    with open_pdf(data) as pdf:
        image = pdf.pages[page_number - 1].to_image(resolution=resolution)
        image.draw_rects([c.bbox for c in grid.cells], stroke=CELL_COLOR + (255,), fill=CELL_COLOR + (18,), stroke_width=1)
        image.draw_rects(
            [(line.x0, line.top, line.x1, line.bottom) for line in grid.loose_lines],
            stroke=LOOSE_COLOR + (255,), fill=LOOSE_COLOR + (30,), stroke_width=1,
        )
        image.draw_rects([bbox for _, bbox in fields], stroke=FIELD_COLOR + (255,), fill=FIELD_COLOR + (40,), stroke_width=2)
        draw_layout(image.annotated.convert("RGB"), plan.layout).save(str(out))
    return f"page {page_number}: {len(grid.cells)} cells, {len(fields)} fields, {plan.verdict}"
