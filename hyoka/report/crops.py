"""Crops of source PDF pages around flagged cells, as PNG bytes for the report.

The box of a flagged cell (`validation_issues.bbox`, PDF points, top-left origin) is
drawn in red; the box of its whole row, when known, in amber; the crop is padded so a
reader sees the row and its neighbours. When the PDF is gone or was changed after it
was ingested, the crop says so instead of showing a page that may not be the one read.

pdfium renders only the region of the crop, at 144 dpi or less: every image holds at
most `MAX_CROP_PIXELS` pixels (a whole-page thumbnail `MAX_PAGE_PIXELS`), however large
the page. Each source PDF is read and opened once per report, and only for the crops
the report folder's cache does not hold yet. pdfium is not thread-safe: every pdfium
call runs under `PDFIUM_LOCK`, the extractors' lock when they have one (so a report and
an ingest in one process never call pdfium at the same time).
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

from hyoka.identity import sha256_hex
from hyoka.report.cache import DiskCache, digest

if TYPE_CHECKING:
    import pypdfium2
    from PIL import Image

BBox = tuple[float, float, float, float]

RESOLUTION = 144  # pixels per inch of a crop (2× screen: sharp when scaled down)
PAGE_RESOLUTION = 60  # of a whole-page thumbnail (an issue with a page but no cell)
MAX_CROP_PIXELS = 1_500_000  # a crop larger than this at RESOLUTION is rendered at a lower one
MAX_PAGE_PIXELS = 1_000_000  # likewise a whole-page thumbnail (a 14,400-pt page stays small)
PAD_X, PAD_TOP, PAD_BOTTOM = 24.0, 34.0, 16.0  # points around the flagged box (column headings are above)
MIN_WIDTH = 420.0  # points: narrower crops are widened, mostly to the left where row labels are
LEFT_SHARE = 0.7  # of the widening
CELL_STROKE = (220, 38, 38)
CELL_FILL = (220, 38, 38, 45)
ROW_STROKE = (217, 119, 6)
CROP_VERSION = 2  # of the drawing: a cached crop of another version is rendered again



def shared_pdfium_lock() -> threading.RLock:
    """The process's pdfium lock: the extractors' (`hyoka.extractors.pages.PDFIUM_LOCK`) if they have one, else a new one."""
    try:
        from hyoka.extractors.pages import PDFIUM_LOCK as lock  # the pdfium page reader's lock
    except ImportError:
        return threading.RLock()
    return lock


PDFIUM_LOCK = shared_pdfium_lock()

WHOLE_DOCUMENT = "文書全体に関する指摘です / the issue concerns the whole document"
WHOLE_PAGE = "セルの位置が記録されていないため、ページ全体を示します / no cell box: the whole page"
LEFT_OUT = "画像は省略しました（件数の上限） / crop left out: too many issues"


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


def intersect(box: BBox, bounds: BBox) -> BBox:
    """`box` cut to `bounds`."""
    return max(box[0], bounds[0]), max(box[1], bounds[1]), min(box[2], bounds[2]), min(box[3], bounds[3])


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
    return intersect((x0, top, x1, bottom), page_box)


def scale_for(width: float, height: float, resolution: float, max_pixels: int) -> float:
    """Pixels per point: `resolution` dpi, or less so that the image holds at most `max_pixels`."""
    scale = resolution / 72.0
    pixels = max(width, 1.0) * max(height, 1.0) * scale * scale
    return scale * math.sqrt(max_pixels / pixels) if pixels > max_pixels else scale


def read_source(source_path: str | None, document_id: str) -> tuple[bytes | None, str | None]:
    """The ingested PDF's bytes, or why it cannot be shown (not recorded, gone, changed, unreadable)."""
    if not source_path:
        return None, "元のPDFの場所が記録されていません / the source path of the PDF was not recorded"
    path = Path(source_path)
    if not path.is_file():
        return None, f"元のPDFが見つかりません / the source PDF is gone: {source_path}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"元のPDFを読めません / cannot read the source PDF: {source_path} ({exc.strerror or exc})"
    if sha256_hex(data) != document_id:
        return None, f"元のPDFは取込後に変更されています / the PDF was changed after it was ingested: {source_path}"
    return data, None


def page_number(issue: dict[str, Any]) -> int | None:
    """The issue's page (1-based), None for an issue about the whole document."""
    value = issue.get("page")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def crop_key(document_id: str, issue: dict[str, Any]) -> str:
    """The cache key of an issue's image: document, page, boxes and the scale policy it is drawn at."""
    cell, row = as_bbox(issue.get("bbox")), as_bbox(issue.get("row_bbox"))
    scale = (RESOLUTION, MAX_CROP_PIXELS) if cell else (PAGE_RESOLUTION, MAX_PAGE_PIXELS)
    return digest("crop", CROP_VERSION, document_id, page_number(issue), cell, row if cell else None, scale)


# ---- rendering with pdfium -------------------------------------------------------------


@dataclass(frozen=True)
class PageSpace:
    """pdfplumber's page space: pdfminer's transform (MediaBox origin, /Rotate), then the flip to a top-left origin."""

    ctm: tuple[float, float, float, float, float, float]  # user space → pdfminer's space: (ax + cy + e, bx + dy + f)
    x_shift: float  # pdfplumber adds the MediaBox's x0 back
    flip: float  # pdfplumber: top = flip - y
    width: float
    height: float

    @classmethod
    def of(cls, mediabox: BBox, rotation: int) -> PageSpace:
        """The space of a page with this MediaBox (user space) and /Rotate."""
        x0, y0, x1, y1 = mediabox
        ctm = {90: (0.0, -1.0, 1.0, 0.0, -y0, x1), 180: (-1.0, 0.0, 0.0, -1.0, x1, y1),
               270: (0.0, 1.0, -1.0, 0.0, y1, -x0)}.get(rotation % 360, (1.0, 0.0, 0.0, 1.0, -x0, -y0))
        (lx, hx), (ly, hy) = sorted((x0, x1)), sorted((y0, y1))
        if rotation % 180 == 90:
            lx, ly, hx, hy = ly, lx, hy, hx
        return cls(ctm, lx, (hy - ly) - ly, hx - lx, hy - ly)

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point as pdfplumber's (x, top)."""
        a, b, c, d, e, f = self.ctm
        return a * x + c * y + e + self.x_shift, self.flip - (b * x + d * y + f)

    def box(self, user_box: BBox) -> BBox:
        """A user-space box (left, bottom, right, top) as pdfplumber's (x0, top, x1, bottom)."""
        (ax, at), (bx, bt) = self.point(user_box[0], user_box[1]), self.point(user_box[2], user_box[3])
        return min(ax, bx), min(at, bt), max(ax, bx), max(at, bt)

    @property
    def mediabox(self) -> BBox:
        """The MediaBox in pdfplumber's space (what pdfplumber calls `page.bbox`)."""
        return self.x_shift, self.flip - self.height, self.x_shift + self.width, self.flip


def four(values: Sequence[float]) -> BBox:
    """Four numbers as a box."""
    return float(values[0]), float(values[1]), float(values[2]), float(values[3])


def page_boxes(page: pypdfium2.PdfPage) -> tuple[BBox, BBox]:
    """The page's MediaBox and the area pdfium renders (its visible box), in pdfplumber's space (under the lock)."""
    visible = four(page.get_bbox())  # MediaBox ∩ CropBox, inherited from the page tree
    own = page.get_mediabox(fallback_ok=False)  # pdfium's box getters do not inherit: None when the page has none
    space = PageSpace.of(four(own) if own else visible, page.get_rotation())
    return space.mediabox, space.box(visible)


@dataclass
class Rendered:
    """A region of a page as an RGB image, and how to place page points on it."""

    image: Image.Image
    origin: tuple[float, float]  # the page point at pixel (0, 0)
    scale: float  # pixels per point

    def pixels(self, box: BBox) -> tuple[float, float, float, float]:
        """A page box in the image's pixels."""
        ox, oy = self.origin
        return ((box[0] - ox) * self.scale, (box[1] - oy) * self.scale,
                (box[2] - ox) * self.scale, (box[3] - oy) * self.scale)


def render_region(page: pypdfium2.PdfPage, region: BBox, area: BBox, scale: float) -> Rendered:
    """Render only `region` of the page (pdfplumber's space, inside the rendered `area`). Under the lock."""
    left, bottom, right, top = (max(0.0, c) for c in (region[0] - area[0], area[3] - region[3],
                                                        area[2] - region[2], region[1] - area[1]))
    cut = (left, bottom, right, top)  # what pdfium leaves out on each side, in points
    bitmap = page.render(scale=scale, crop=cut, no_smoothtext=True, no_smoothpath=True, no_smoothimage=True)
    try:
        image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's buffer is freed below
    finally:
        bitmap.close()
    origin = (area[0] + math.ceil(left * scale) / scale, area[1] + math.ceil(top * scale) / scale)  # pdfium rounds up
    return Rendered(image, origin, scale)


def draw_box(rendered: Rendered, box: BBox, fill: tuple[int, ...], stroke: tuple[int, int, int], width: int) -> None:
    """A box on the image: translucent fill, opaque outline inside its edges (as pdfplumber draws it)."""
    from PIL import ImageDraw

    x0, y0, x1, y1 = rendered.pixels(box)
    half = width / 2
    x0, y0 = min(x0 + half, (x0 + x1) / 2), min(y0 + half, (y0 + y1) / 2)
    x1, y1 = max(x1 - half, x0), max(y1 - half, y0)
    draw = ImageDraw.Draw(rendered.image, "RGBA")
    if fill[3:] != (0,):
        draw.rectangle((int(x0), int(y0), int(x1), int(y1)), fill=fill)
    for segment in (((x0, y0), (x1, y0)), ((x0, y1), (x1, y1)), ((x0, y0), (x0, y1)), ((x1, y0), (x1, y1))):
        draw.line([(int(x), int(y)) for x, y in segment], fill=stroke, width=width)


def png_bytes(image: Image.Image) -> bytes:
    """An image as a 256-colour PNG (small, and a page crop needs no more colours)."""
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    image.quantize(256, method=PILImage.Quantize.FASTOCTREE).save(buffer, format="PNG")
    return buffer.getvalue()


def render_crop(page: pypdfium2.PdfPage, cell: BBox, row: BBox | None) -> bytes:
    """The page region around a cell, the cell boxed in red and its row in amber."""
    with PDFIUM_LOCK:
        media, area = page_boxes(page)
        region = intersect(crop_region(cell, row, media), area)
        if region[2] - region[0] < 1 or region[3] - region[1] < 1:
            raise ValueError(f"the cell {cell} is outside the page")
        scale = scale_for(region[2] - region[0], region[3] - region[1], RESOLUTION, MAX_CROP_PIXELS)
        rendered = render_region(page, region, area, scale)
    if row:
        draw_box(rendered, row, (0, 0, 0, 0), ROW_STROKE, 2)
    draw_box(rendered, cell, CELL_FILL, CELL_STROKE, 3)
    return png_bytes(rendered.image)


def render_page(page: pypdfium2.PdfPage) -> bytes:
    """A small image of a whole page (for an issue that names a page but no cell)."""
    with PDFIUM_LOCK:
        _, area = page_boxes(page)
        scale = scale_for(area[2] - area[0], area[3] - area[1], PAGE_RESOLUTION, MAX_PAGE_PIXELS)
        rendered = render_region(page, area, area, scale)
    return png_bytes(rendered.image)


# ---- one document's crops --------------------------------------------------------------


@dataclass
class SourcePdf:
    """A source PDF's bytes, opened in pdfium on first use, its pages loaded once each."""

    data: bytes
    document: pypdfium2.PdfDocument | None = None
    pages: dict[int, pypdfium2.PdfPage] = field(default_factory=dict)
    error: Exception | None = None  # why pdfium could not open it (not tried again)

    def page_count(self) -> int:
        """How many pages the PDF has (opens it)."""
        with PDFIUM_LOCK:
            return len(self.open())

    def open(self) -> pypdfium2.PdfDocument:
        """The pdfium document (under the lock)."""
        if self.error is not None:
            raise self.error
        if self.document is None:
            import pypdfium2

            try:
                self.document = pypdfium2.PdfDocument(self.data)
            except Exception as exc:
                self.error = exc
                raise
        return self.document

    def page(self, number: int) -> pypdfium2.PdfPage:
        """Page `number` (1-based), loaded once."""
        with PDFIUM_LOCK:
            if number not in self.pages:
                self.pages[number] = self.open()[number - 1]
            return self.pages[number]

    def close(self) -> None:
        """Close the pages and the document."""
        with PDFIUM_LOCK:
            for page in self.pages.values():
                page.close()
            self.pages.clear()
            if self.document is not None:
                self.document.close()
                self.document = None


def document_crops(source_path: str | None, document_id: str, issues: list[dict[str, Any]], budget: int,
                   cache: DiskCache | None = None) -> list[Crop]:
    """One crop per issue of one document (same order); at most `budget` images; cached ones are reused."""
    data, problem = read_source(source_path, document_id)
    if problem or data is None:
        return [Crop(note=problem) for _ in issues]
    pdf = SourcePdf(data)
    crops: list[Crop] = []
    try:
        for issue in issues:
            if budget <= 0:
                crops.append(Crop(note=LEFT_OUT))
                continue
            crop = cached_crop(pdf, document_id, issue, cache)
            budget -= 1 if crop.png else 0
            crops.append(crop)
    finally:
        pdf.close()
    return crops


def cached_crop(pdf: SourcePdf, document_id: str, issue: dict[str, Any], cache: DiskCache | None) -> Crop:
    """The crop of one issue from the cache, else rendered (and kept there)."""
    if page_number(issue) is None:
        return Crop(note=WHOLE_DOCUMENT)
    key = crop_key(document_id, issue)
    png = cache.get(key) if cache else None
    if png is None:
        crop = issue_crop(pdf, issue)
        if crop.png and cache:
            cache.put(key, crop.png)
        return crop
    return Crop(png=png, note=None if as_bbox(issue.get("bbox")) else WHOLE_PAGE)


def issue_crop(pdf: SourcePdf, issue: dict[str, Any]) -> Crop:
    """The crop of one issue, or why there is none."""
    number = page_number(issue)
    if number is None:
        return Crop(note=WHOLE_DOCUMENT)
    try:
        pages = pdf.page_count()
    except Exception as exc:  # noqa: BLE001 - an unreadable PDF costs its crops, not the report
        return Crop(note=f"PDFを開けませんでした / could not open the PDF ({type(exc).__name__})")
    if not 1 <= number <= pages:
        return Crop(note=f"ページ {number} がPDFにありません / page {number} is not in the PDF")
    try:
        page = pdf.page(number)
        cell = as_bbox(issue.get("bbox"))
        if cell is None:
            return Crop(png=render_page(page), note=WHOLE_PAGE)
        return Crop(png=render_crop(page, cell, as_bbox(issue.get("row_bbox"))))
    except Exception as exc:  # noqa: BLE001 - one bad crop must not cost the report
        return Crop(note=f"画像を作れませんでした / could not render the crop ({type(exc).__name__}: {exc})")
