"""A scanned page's rulings and text lines, found in its image (numpy and OpenCV: the `ocr` extra).

A scan has no drawing operators to read rulings from, so they are found as a person
sees them: long dark runs. The image is binarized (a pixel darker than
`ScanSettings.dark` is ink), a morphological opening with a long thin kernel keeps only
the horizontal (or vertical) runs longer than any character's stroke, and each thin
connected run becomes one ruling, as a PDF line of the upright page (`ruling_lines`):
`hyoka.extractors.grid.build_grid` then closes them into the same cells as a text PDF's.

Text is found inside each cell (and outside every cell, for titles and captions) by
projection: rows with ink form text lines, and within a line, ink separated by a gap
wider than `segment_gap` line heights forms separate segments, each recognized on its
own (`text_segments`). Everything here works in pixels of the rendered page; `Raster`
says how pixels map to page points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Mask = NDArray[np.bool_]

PixelBox = tuple[int, int, int, int]  # x0, top, x1, bottom (x1, bottom excluded)
PointBox = tuple[float, float, float, float]  # x0, top, x1, bottom in page points


@dataclass(frozen=True)
class ScanSettings:
    """How a scanned page is rendered and cut into rulings and text segments."""

    dpi: float = 200.0  # the resolution a page is rendered at (scans are usually 200-300 dpi)
    max_pixels: int = 40_000_000  # a huge page is rendered at less than `dpi`, within this budget
    dark: int = 160  # a grey level (0-255) below this is ink: cell fills (grey, yellow, peach) are lighter
    ruling_min: float = 18.0  # points: a straight dark run this long is a ruling (a character's stroke is shorter)
    # points: a shorter run is a ruling too when both its ends meet a ruling across it (a
    # low row's cell walls); a character's stroke ends in the open
    short_ruling_min: float = 5.0
    meet: float = 2.0  # points: how close a short run's end must come to the ruling it meets
    ruling_thickness: float = 3.0  # points: a thicker dark run is a filled area, not a ruling
    segment_gap: float = 0.9  # line heights: a wider blank splits a text line into segments
    min_ink: int = 6  # pixels: a speck with less ink is dust, not text
    pad: float = 0.25  # line heights of white added around a segment before it is recognized
    min_height: float = 9.0  # points: a lower segment (a dash, 一, ・) is recognized in a crop this high, as in its line
    max_skew: float = 3.0  # degrees: a scan fed in askew up to this much is turned straight first

    def __post_init__(self) -> None:
        for name in ("dpi", "ruling_min", "short_ruling_min", "meet", "ruling_thickness", "segment_gap", "min_height"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"ScanSettings.{name} must be a number > 0, not {value!r}")
        if not isinstance(self.dark, int) or not 0 < self.dark < 256:
            raise ValueError(f"ScanSettings.dark must be a grey level 1-255, not {self.dark!r}")
        if not isinstance(self.max_pixels, int) or self.max_pixels < 1:
            raise ValueError(f"ScanSettings.max_pixels must be a whole number ≥ 1, not {self.max_pixels!r}")
        if not isinstance(self.min_ink, int) or self.min_ink < 0:
            raise ValueError(f"ScanSettings.min_ink must be a whole number ≥ 0, not {self.min_ink!r}")
        if not isinstance(self.max_skew, (int, float)) or not 0 <= self.max_skew <= 10:
            raise ValueError(f"ScanSettings.max_skew must be 0-10 degrees, not {self.max_skew!r}")
        if not isinstance(self.pad, (int, float)) or self.pad < 0:
            raise ValueError(f"ScanSettings.pad must be a number ≥ 0, not {self.pad!r}")


DEFAULT_SCAN = ScanSettings()


@dataclass(frozen=True)
class Raster:
    """Where a rendered page's pixels lie on the upright page: pixel (0, 0) at `origin`, `scale` pixels a point."""

    origin: tuple[float, float]
    scale: float

    def box(self, box: PixelBox) -> PointBox:
        """A pixel box in page points."""
        ox, oy = self.origin
        return (ox + box[0] / self.scale, oy + box[1] / self.scale, ox + box[2] / self.scale, oy + box[3] / self.scale)

    def pixels(self, box: PointBox) -> PixelBox:
        """A page box in whole pixels (rounded inwards)."""
        import math

        ox, oy = self.origin
        return (math.ceil((box[0] - ox) * self.scale), math.ceil((box[1] - oy) * self.scale),
                math.floor((box[2] - ox) * self.scale), math.floor((box[3] - oy) * self.scale))


@dataclass(frozen=True)
class Ruling:
    """A ruling in pixels: horizontal (`across`) at row `at` from `start` to `end`, or vertical at column `at`."""

    across: bool
    at: float
    start: int
    end: int
    thickness: int


def ink_mask(gray: NDArray[np.uint8], settings: ScanSettings = DEFAULT_SCAN) -> Mask:
    """The pixels darker than `settings.dark`."""
    mask: Mask = gray < settings.dark
    return mask


def row_contrast(ink: Mask, degrees: float) -> float:
    """How sharply the rows of `ink` turned by `degrees` differ (rulings and text lines level: high)."""
    import cv2
    import numpy as np

    height, width = ink.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    turned = cv2.warpAffine(ink.astype(np.uint8), turn, (width, height), flags=cv2.INTER_NEAREST)
    rows = turned.sum(axis=1, dtype=np.int64)
    return float((rows.astype(np.float64) ** 2).sum())


def skew_angle(ink: Mask, settings: ScanSettings = DEFAULT_SCAN) -> float:
    """The degrees a scan must be turned (counter-clockwise positive, OpenCV's sense) for its rows to lie level.

    The angle whose turned image has the sharpest row profile: coarse on a quarter-size
    image, then fine on a half-size one.
    """
    import cv2
    import numpy as np

    if settings.max_skew == 0 or not ink.any():
        return 0.0

    def shrunk(factor: int) -> Mask:
        small = cv2.resize(ink.astype(np.uint8), (max(1, ink.shape[1] // factor), max(1, ink.shape[0] // factor)),
                           interpolation=cv2.INTER_AREA)
        out: Mask = small > 0
        return out

    coarse = shrunk(4)
    steps = np.arange(-settings.max_skew, settings.max_skew + 1e-9, 0.1)
    best = max(steps, key=lambda a: (row_contrast(coarse, float(a)), -abs(a)))
    fine = shrunk(2)
    steps = np.arange(best - 0.1, best + 0.1 + 1e-9, 0.02)
    return float(max(steps, key=lambda a: (row_contrast(fine, float(a)), -abs(a))))


def straightened(gray: NDArray[np.uint8], degrees: float) -> NDArray[np.uint8]:
    """The image turned by `degrees` about its centre, the corners it uncovers white."""
    import cv2
    import numpy as np

    height, width = gray.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return np.asarray(cv2.warpAffine(gray, turn, (width, height), flags=cv2.INTER_LINEAR, borderValue=255), dtype=np.uint8)


def ruling_masks(ink: Mask, length: int) -> tuple[Mask, Mask]:
    """The ink in horizontal runs at least `length` pixels long, and in vertical ones."""
    import cv2
    import numpy as np

    image = ink.astype(np.uint8)
    across = cv2.morphologyEx(image, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    down = cv2.morphologyEx(image, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return across.astype(bool), down.astype(bool)


def ruling_length(scale: float, settings: ScanSettings = DEFAULT_SCAN) -> int:
    """The shortest run of ink, in pixels, that may be a ruling (`find_rulings` says which are)."""
    return max(2, round(min(settings.ruling_min, settings.short_ruling_min) * scale))


def thin_runs(mask: Mask, across: bool, thickest: int) -> list[Ruling]:
    """Each connected run of a ruling mask no thicker than `thickest` pixels."""
    import cv2
    import numpy as np

    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    found: list[Ruling] = []
    for x, y, w, h, _area in stats[1:count]:  # label 0 is the background
        if (h if across else w) > thickest:
            continue  # a filled block, not a line
        if across:  # plain Python numbers: they end up in boxes the warehouse stores
            found.append(Ruling(True, float(y + h / 2), int(x), int(x + w), int(h)))
        else:
            found.append(Ruling(False, float(x + w / 2), int(y), int(y + h), int(w)))
    return found


def meets(end: float, at: float, others: list[Ruling], reach: float) -> bool:
    """Whether a run's end (`end` along it, at `at` across) lies on one of the perpendicular `others`."""
    return any(abs(o.at - end) <= reach and o.start - reach <= at <= o.end + reach for o in others)


def find_rulings(across: Mask, down: Mask, scale: float, settings: ScanSettings = DEFAULT_SCAN) -> list[Ruling]:
    """The page's rulings (`ruling_masks`): its long thin runs, and the short ones whose two ends meet long ones."""
    thickest = max(1, round(settings.ruling_thickness * scale))
    long_run = settings.ruling_min * scale
    reach = settings.meet * scale
    runs_ = {True: thin_runs(across, True, thickest), False: thin_runs(down, False, thickest)}
    long_ = {way: [r for r in found if r.end - r.start >= long_run] for way, found in runs_.items()}
    rulings: list[Ruling] = []
    for way, found in runs_.items():
        for run in found:
            others = long_[not way]
            if run.end - run.start >= long_run or (meets(run.start, run.at, others, reach) and meets(run.end, run.at, others, reach)):
                rulings.append(run)
    return rulings


def ruling_mask(shape: tuple[int, ...], rulings: list[Ruling]) -> Mask:
    """The pixels of the rulings, with a pixel of rim (their anti-aliased edges)."""
    import numpy as np

    mask: Mask = np.zeros(shape[:2], dtype=bool)
    for ruling in rulings:
        low = max(0, int(ruling.at - ruling.thickness / 2) - 1)
        high = int(ruling.at + ruling.thickness / 2) + 2
        start, end = max(0, ruling.start - 1), ruling.end + 1
        if ruling.across:
            mask[low:high, start:end] = True
        else:
            mask[start:end, low:high] = True
    return mask


def ruling_lines(rulings: list[Ruling], raster: Raster, page_number: int, page_height: float) -> list[dict[str, Any]]:
    """The rulings as stroked PDF lines of the upright page, as `hyoka.extractors.pages` gives them."""
    lines: list[dict[str, Any]] = []
    for ruling in rulings:
        if ruling.across:
            x0, top, x1, _ = raster.box((ruling.start, 0, ruling.end, 0))
            top = bottom = raster.origin[1] + ruling.at / raster.scale
        else:
            _, top, _, bottom = raster.box((0, ruling.start, 0, ruling.end))
            x0 = x1 = raster.origin[0] + ruling.at / raster.scale
        lines.append({
            "object_type": "line", "page_number": page_number,
            "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
            "y0": page_height - bottom, "y1": page_height - top,
            "width": x1 - x0, "height": bottom - top, "pts": [(x0, top), (x1, bottom)],
            "stroke": True, "fill": False, "evenodd": False,
            "stroking_color": (0.0,), "non_stroking_color": None,
            "linewidth": ruling.thickness / raster.scale,
        })
    return lines


def runs(profile: Any) -> list[tuple[int, int]]:
    """The (start, end) of each run of true values of a 1-d array (end excluded)."""
    import numpy as np

    flags = np.concatenate(([False], profile.astype(bool), [False]))
    edges = np.flatnonzero(flags[1:] != flags[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def join_pieces(bands: list[tuple[int, int]], line: float) -> list[tuple[int, int]]:
    """Bands with the pieces of a line joined: a band much lower than `line`, close to a neighbour,
    joins the nearer one (the strokes of 二 leave blank rows between them)."""
    bands = list(bands)
    changed = True
    while changed and len(bands) > 1:
        changed = False
        for i, (a, b) in enumerate(bands):
            if b - a >= 0.6 * line:
                continue
            gaps = [(a - bands[i - 1][1], i - 1) if i else None, (bands[i + 1][0] - b, i + 1) if i + 1 < len(bands) else None]
            near = min((g for g in gaps if g is not None), default=None)
            if near is None or near[0] > 0.6 * line:
                continue
            j = near[1]
            merged = (min(a, bands[j][0]), max(b, bands[j][1]))
            bands = [band for k, band in enumerate(bands) if k not in (i, j)]
            bands.append(merged)
            bands.sort()
            changed = True
            break
    return bands


def text_bands(ink: Mask, line: float | None = None) -> list[tuple[int, int]]:
    """The rows of a region that hold text lines, top to bottom: runs of inked rows, the pieces of a line joined.

    `line`: the page's usual line height (pixels). A band taller than 1.6 lines is lines
    set so tightly that brackets' tails cross from one to the next: it is split where
    rows hold less than a tenth of its usual ink (`split_band`).
    """
    bands = runs(ink.any(axis=1))
    if not bands:
        return []
    bands = join_pieces(bands, line or max(b - a for a, b in bands))
    if line is None:
        return bands
    return [part for a, b in bands for part in (split_band(ink[a:b], a, line) if b - a > 1.6 * line else [(a, b)])]


def split_band(ink: Mask, offset: int, line: float) -> list[tuple[int, int]]:
    """A band of tightly set lines split at its light rows, each line widened over them up to halfway to the next."""
    import numpy as np

    counts = ink.sum(axis=1)
    light = 0.1 * float(np.percentile(counts[counts > 0], 90))
    parts = join_pieces(runs(counts > light), line)
    if len(parts) < 2:
        return [(offset, offset + len(counts))]
    wide: list[tuple[int, int]] = []
    for i, (a, b) in enumerate(parts):
        top = (parts[i - 1][1] + a) // 2 if i else 0
        bottom = (b + parts[i + 1][0]) // 2 if i + 1 < len(parts) else len(counts)
        wide.append((offset + top, offset + bottom))
    return wide


def line_height(ink: Mask, regions: list[PixelBox]) -> float | None:
    """The median height of the text lines in these regions (None: no text)."""
    import numpy as np

    heights = [b - a for x0, top, x1, bottom in regions for a, b in text_bands(ink[top:bottom, x0:x1])]
    return float(np.median(heights)) if heights else None


def band_segments(ink: Mask, gap: float) -> list[tuple[int, int]]:
    """The column ranges of one text line's segments: inked columns, blanks narrower than `gap` pixels bridged."""
    pieces = runs(ink.any(axis=0))
    segments: list[tuple[int, int]] = []
    for a, b in pieces:
        if segments and a - segments[-1][1] < gap:
            segments[-1] = (segments[-1][0], b)
        else:
            segments.append((a, b))
    return segments


def text_segments(ink: Mask, region: PixelBox, settings: ScanSettings = DEFAULT_SCAN,
                  line: float | None = None) -> list[list[PixelBox]]:
    """The text in a region of the page's text ink, as lines (top to bottom) of segment boxes
    (left to right, page pixels); `line`: the page's usual line height (`line_height`)."""
    x0, top, x1, bottom = region
    if x1 - x0 < 2 or bottom - top < 2:
        return []
    area = ink[top:bottom, x0:x1]
    lines: list[list[PixelBox]] = []
    for a, b in text_bands(area, line):
        band = area[a:b]
        segments: list[PixelBox] = []
        for s0, s1 in band_segments(band, settings.segment_gap * (b - a)):
            piece = band[:, s0:s1]
            if int(piece.sum()) < settings.min_ink:
                continue
            # the band's height, not the segment's own: a line's segments (、 and 二 too) stay one line
            segments.append((x0 + s0, top + a, x0 + s1, top + b))
        if segments:
            lines.append(segments)
    return lines
