"""A region of a page rendered as the readers see it: turned upright, within a pixel budget.

The boxes the extractors give (cells, fields, `validation_issues.bbox`) are in the
upright page's coordinates (`hyoka.extractors.pages`): a sheet saved sideways is read turned.
The visual debugger (`hyoka.extractors.inspect`) and the validation report's crops
(`hyoka.report.crops`) draw those boxes on a rendering turned the same way
(`PageView`). pdfium renders only the region asked for, at a scale that keeps the
image within its pixel budget, however large the page: a 14,400-pt page costs what an
A4 page does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hyoka.extractors.pages import PDFIUM_LOCK, BBox, PageView, page_view

if TYPE_CHECKING:
    import pypdfium2
    from PIL import Image

__all__ = ["BBox", "PageView", "Rendered", "page_view", "render_region", "scale_for", "view_of"]


def scale_for(width: float, height: float, resolution: float, max_pixels: int) -> float:
    """Pixels per point: `resolution` dpi, or less so that an image of width × height points holds at most `max_pixels`."""
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be at least 1, not {max_pixels!r}")
    scale = resolution / 72.0
    pixels = max(width, 1.0) * max(height, 1.0) * scale * scale
    return scale * math.sqrt(max_pixels / pixels) if pixels > max_pixels else scale


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


def view_of(page: pypdfium2.PdfPage) -> PageView:
    """The readers' view of a pypdfium2 page (its turn, its visible box)."""
    with PDFIUM_LOCK:
        return page_view(page.raw)


def render_region(page: pypdfium2.PdfPage, view: PageView, region: BBox, scale: float) -> Rendered:
    """Render only `region` (a box of the upright page, inside `view.visible`) at `scale` pixels a point."""
    area = view.visible
    # what pdfium leaves out on each side of the turned page, in points (left, bottom, right, top)
    cut = tuple(max(0.0, c) for c in (region[0] - area[0], area[3] - region[3], area[2] - region[2], region[1] - area[1]))
    with PDFIUM_LOCK:
        bitmap = page.render(scale=scale, rotation=view.turn, crop=cut,
                             no_smoothtext=True, no_smoothpath=True, no_smoothimage=True)
        try:
            image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's buffer is freed below
        finally:
            bitmap.close()
    left, _, _, top = cut
    origin = (area[0] + math.ceil(left * scale) / scale, area[1] + math.ceil(top * scale) / scale)  # pdfium rounds up
    return Rendered(image, origin, scale)
