"""Crops of source PDF pages around flagged cells, as PNG bytes for the report.

The box of a flagged cell (`validation_issues.bbox`, PDF points, top-left origin) is
drawn in red; the box of its whole row, when known, in amber; the crop is padded so a
reader sees the row and its neighbours. When the PDF is gone or was changed after it
was ingested, the crop says so instead of showing a page that may not be the one read.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

BBox = tuple[float, float, float, float]

RESOLUTION = 144  # pixels per inch of a crop (2× screen: sharp when scaled down)
PAGE_RESOLUTION = 60  # of a whole-page thumbnail (an issue with a page but no cell)
PAD_X, PAD_TOP, PAD_BOTTOM = 24.0, 34.0, 16.0  # points around the flagged box (column headings are above)
MIN_WIDTH = 420.0  # points: narrower crops are widened, mostly to the left where row labels are
LEFT_SHARE = 0.7  # of the widening
CELL_STROKE = (220, 38, 38)
CELL_FILL = (220, 38, 38, 45)
ROW_STROKE = (217, 119, 6)


@dataclass
class Crop:
    """A rendered crop (PNG bytes), or the reason there is none."""

    png: bytes | None = None
    note: str | None = None


def as_bbox(value: Any) -> BBox | None:
    """A 4-number box from a warehouse value (list, array, tuple), None if not one."""
    if value is None:
        return None
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    if len(numbers) != 4 or any(math.isnan(v) for v in numbers):
        return None
    return numbers[0], numbers[1], numbers[2], numbers[3]


def union(boxes: Sequence[BBox]) -> BBox:
    """The smallest box holding every box."""
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def crop_region(cell: BBox, row: BBox | None, page_box: BBox) -> BBox:
    """The region to render: cell and row, padded, at least MIN_WIDTH wide, inside the page."""
    x0, top, x1, bottom = union([cell, row] if row else [cell])
    x0, top, x1, bottom = x0 - PAD_X, top - PAD_TOP, x1 + PAD_X, bottom + PAD_BOTTOM
    px0, ptop, px1, pbottom = page_box
    missing = MIN_WIDTH - (x1 - x0)
    if missing > 0:
        left = min(missing * LEFT_SHARE, x0 - px0) if x0 > px0 else 0.0
        x0, x1 = x0 - left, x1 + (missing - left)
        if x1 > px1:  # no room on the right: take it on the left
            x0 -= x1 - px1
    return max(x0, px0), max(top, ptop), min(x1, px1), min(bottom, pbottom)


def _png(image: Any) -> bytes:
    """A pdfplumber PageImage as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file's bytes (the warehouse's document id)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_problem(source_path: str | None, document_id: str) -> str | None:
    """Why the ingested PDF cannot be shown (missing, changed), or None when it can."""
    if not source_path:
        return "元のPDFの場所が記録されていません / the source path of the PDF was not recorded"
    path = Path(source_path)
    if not path.is_file():
        return f"元のPDFが見つかりません / the source PDF is gone: {source_path}"
    try:
        if sha256_file(path) != document_id:
            return f"元のPDFは取込後に変更されています / the PDF was changed after it was ingested: {source_path}"
    except OSError as exc:
        return f"元のPDFを読めません / cannot read the source PDF: {source_path} ({exc.strerror or exc})"
    return None


def render_crop(page: Any, cell: BBox, row: BBox | None) -> bytes:
    """The page region around a cell, the cell boxed in red and its row in amber."""
    page_box = tuple(float(v) for v in page.bbox)
    region = crop_region(cell, row, page_box)  # type: ignore[arg-type]
    image = page.crop(region, strict=False).to_image(resolution=RESOLUTION)
    if row:
        image.draw_rect(row, fill=(0, 0, 0, 0), stroke=ROW_STROKE, stroke_width=2)
    image.draw_rect(cell, fill=CELL_FILL, stroke=CELL_STROKE, stroke_width=3)
    return _png(image)


def render_page(page: Any) -> bytes:
    """A small image of a whole page (for an issue that names a page but no cell)."""
    return _png(page.to_image(resolution=PAGE_RESOLUTION))


def document_crops(source_path: str | None, document_id: str, issues: list[dict[str, Any]], budget: int) -> list[Crop]:
    """One crop per issue of one document (same order); at most `budget` images are rendered."""
    problem = source_problem(source_path, document_id)
    if problem:
        return [Crop(note=problem) for _ in issues]
    import pdfplumber

    crops: list[Crop] = []
    with pdfplumber.open(source_path) as pdf:
        for issue in issues:
            if budget <= 0:
                crops.append(Crop(note="画像は省略しました（件数の上限） / crop left out: too many issues"))
                continue
            crop = issue_crop(pdf, issue)
            budget -= 1 if crop.png else 0
            crops.append(crop)
    return crops


def issue_crop(pdf: Any, issue: dict[str, Any]) -> Crop:
    """The crop of one issue, or why there is none."""
    page_no = issue.get("page")
    if page_no is None or (isinstance(page_no, float) and math.isnan(page_no)):
        return Crop(note="文書全体に関する指摘です / the issue concerns the whole document")
    page_no = int(page_no)
    if not 1 <= page_no <= len(pdf.pages):
        return Crop(note=f"ページ {page_no} がPDFにありません / page {page_no} is not in the PDF")
    page = pdf.pages[page_no - 1]
    cell = as_bbox(issue.get("bbox"))
    try:
        if cell is None:
            return Crop(png=render_page(page), note="セルの位置が記録されていないため、ページ全体を示します / no cell box: the whole page")
        return Crop(png=render_crop(page, cell, as_bbox(issue.get("row_bbox"))))
    except Exception as exc:  # noqa: BLE001 - one bad crop must not cost the report
        return Crop(note=f"画像を作れませんでした / could not render the crop ({type(exc).__name__}: {exc})")
