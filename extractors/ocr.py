"""Pages without a text layer, read offline by OCR (the `ocr` extra: `pip install 'hyoka[ocr]'`).

A scanned page becomes the same `PageObjects` a text PDF gives, so that the same
templates read it (`read_scan`):

    render (pypdfium2, ~200 dpi) → ink → rulings (`hyoka.extractors.scan_rulings`) →
    PDF lines → cells (`hyoka.extractors.grid.find_cell_boxes`) → each cell's text lines and
    segments → recognized, each segment on its own (rapidocr: its wheel ships the PP-OCR
    models, which read Japanese; onnxruntime runs them) → confusions corrected, labels
    snapped (`hyoka.extractors.ocr_text`) → chars placed inside their cell

Text outside every cell (titles, captions) is read the same way. Every char keeps its
segment's confidence; `OcrPage` keeps them for the values read from the page.

Nothing here imports an OCR library until a page needs it: `ocr_available` only asks
whether the extra is installed.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hyoka.extractors.grid import find_cell_boxes
from hyoka.extractors.ocr_text import OcrPage, OcrText, correct_text, respell, segment_chars, snap_label
from hyoka.extractors.pages import PageObjects
from hyoka.extractors.scan_rulings import (
    DEFAULT_SCAN, PixelBox, Raster, ScanSettings, find_rulings, ink_mask, line_height, ruling_length, ruling_lines,
    ruling_mask, ruling_masks, skew_angle, straightened, text_segments,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# What a user installs to read scans, named once (the failure line and the docs say it).
OCR_EXTRA = "ocr"
INSTALL_HINT = f"install OCR: pip install 'hyoka[{OCR_EXTRA}]'"
# The modules the extra brings (asked for by name: none is imported to ask).
OCR_MODULES = ("rapidocr", "onnxruntime", "cv2")

# images of text segments → (text, confidence 0-1) of each, in order
Recognize = Callable[[list["NDArray[np.uint8]"]], list[tuple[str, float]]]


@functools.cache
def ocr_available() -> bool:
    """Whether the `ocr` extra is installed (nothing is imported to know it)."""
    return all(importlib.util.find_spec(name) is not None for name in OCR_MODULES)


@functools.cache
def rapidocr_recognizer() -> Recognize:
    """rapidocr's recognizer alone (no detection: segments are cut from the cells), loaded once a process."""
    import multiprocessing

    from rapidocr import RapidOCR

    # one segment at a time: a batch is padded to its widest segment, and the recognizer's
    # memory grows steeply with width (a page took 692 MiB at peak in batches of 6, 370 MiB
    # one by one, in the same 7 s): a worker's memory limit must fit a page of scans
    params: dict[str, Any] = {"Global.log_level": "error", "Rec.rec_batch_num": 1}
    if multiprocessing.parent_process() is not None:
        # a worker of a run's process pool (one a core): onnxruntime's own threads would
        # only fight the other workers for the cores; in the run's process it uses them all
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = 1
    engine = RapidOCR(params=params)

    def recognize(images: list[NDArray[np.uint8]]) -> list[tuple[str, float]]:
        if not images:
            return []
        result = engine.recognize_txt(images)  # batched, in the order given
        return [(str(text), float(score)) for text, score in zip(result.txts or (), result.scores)]

    return recognize


class ScannedPages:
    """A document's pages rendered and read by OCR; the PDF is opened on the first page asked for."""

    def __init__(self, data: bytes, labels: frozenset[str] = frozenset(), settings: ScanSettings = DEFAULT_SCAN,
                 recognize: Recognize | None = None) -> None:
        self._data = data
        self.labels = labels
        self.settings = settings
        self._recognize = recognize
        self._document: Any = None

    def read(self, number: int) -> tuple[PageObjects, OcrPage]:
        """Page `number` (from 1) as OCR reads it."""
        gray, raster, size = self.render(number)
        recognize = self._recognize or rapidocr_recognizer()
        return read_scan(gray, raster, number, size, recognize, self.labels, self.settings)

    def render(self, number: int) -> tuple[NDArray[np.uint8], Raster, tuple[float, float]]:
        """Page `number` as a grey image, where its pixels lie, and the upright page's size.

        Rendered with pdfium's image smoothing (not as `hyoka.extractors.render` draws crops):
        a 300-dpi scan shrunk to 200 dpi by picking pixels loses thin rulings.
        """
        import numpy as np
        import pypdfium2

        from hyoka.extractors.pages import PDFIUM_LOCK
        from hyoka.extractors.render import scale_for, view_of

        if self._document is None:
            self._document = pypdfium2.PdfDocument(self._data)
        page = self._document[number - 1]
        try:
            view = view_of(page)
            x0, top, x1, bottom = view.visible
            scale = scale_for(x1 - x0, bottom - top, self.settings.dpi, self.settings.max_pixels)
            with PDFIUM_LOCK:
                bitmap = page.render(scale=scale, rotation=view.turn, grayscale=True)
                try:
                    image = bitmap.to_pil().convert("L")  # a copy: the bitmap's buffer is freed below
                finally:
                    bitmap.close()
        finally:
            page.close()
        gray = np.asarray(image, dtype=np.uint8)
        return gray, Raster((x0, top), scale), (view.width, view.height)

    def close(self) -> None:
        if self._document is not None:
            self._document.close()
            self._document = None


def read_scan(gray: NDArray[np.uint8], raster: Raster, number: int, size: tuple[float, float], recognize: Recognize,
              labels: frozenset[str] = frozenset(), settings: ScanSettings = DEFAULT_SCAN) -> tuple[PageObjects, OcrPage]:
    """A rendered page's rulings and recognized text, as the page objects of a text PDF."""
    width, height = size
    ink = ink_mask(gray, settings)
    skew = skew_angle(ink, settings)
    if abs(skew) >= 0.05:  # a scan fed in askew: its rulings would break into steps
        gray = straightened(gray, skew)
        ink = ink_mask(gray, settings)
    across, down = ruling_masks(ink, ruling_length(raster.scale, settings))
    rulings = find_rulings(across, down, raster.scale, settings)
    lines = ruling_lines(rulings, raster, number, height)
    boxes = find_cell_boxes(PageObjects(number, width, height, lines=lines))
    # what is not text: the rulings, and filled blocks (ink both along and across for a ruling's length)
    drawn = ruling_mask(gray.shape, rulings) | (across & down)
    words = ink & ~drawn
    groups = text_groups(words, boxes, raster, settings)
    crops = [segment_image(gray, drawn, box, raster.scale, settings) for group in groups for line in group for box in line]
    read = iter(recognize(crops))
    texts: list[OcrText] = []
    for group in groups:
        texts += group_texts(group, read, words, raster, labels)
    chars = [char for text in texts for char in segment_chars(text, number)]
    return PageObjects(number, width, height, chars=chars, lines=lines), OcrPage(tuple(texts), raster.scale * 72.0)


def text_groups(ink: NDArray[np.bool_], boxes: list[tuple[float, float, float, float]], raster: Raster,
                settings: ScanSettings = DEFAULT_SCAN) -> list[list[list[PixelBox]]]:
    """The text segments of each cell (smallest cell first, its ink then taken), then of the rest of the page, as lines."""
    ink = ink.copy()
    regions = []
    for box in sorted(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])):
        x0, top, x1, bottom = raster.pixels(box)
        regions.append((max(0, x0), max(0, top), x1, bottom))
    line = line_height(ink, regions)
    groups: list[list[list[PixelBox]]] = []
    for x0, top, x1, bottom in regions:
        lines = text_segments(ink, (x0, top, x1, bottom), settings, line)
        if lines:
            groups.append(lines)
        ink[top:bottom, x0:x1] = False
    loose = text_segments(ink, (0, 0, ink.shape[1], ink.shape[0]), settings, line)
    groups += [[line_] for line_ in loose]  # each loose line a group of its own: a caption, a title
    return groups


def segment_image(gray: NDArray[np.uint8], rulings: NDArray[np.bool_], box: PixelBox, scale: float,
                  settings: ScanSettings = DEFAULT_SCAN) -> NDArray[np.uint8]:
    """A segment's pixels, rulings whitened, on a white margin (at least `settings.min_height` high),
    as the 3-channel image the recognizer takes."""
    import numpy as np

    x0, top, x1, bottom = box
    crop = gray[top:bottom, x0:x1].copy()
    crop[rulings[top:bottom, x0:x1]] = 255
    pad = max(2, round(settings.pad * (bottom - top)))
    short = max(0, round(settings.min_height * scale) - (bottom - top) - 2 * pad)
    framed = np.pad(crop, ((pad + short // 2, pad + short - short // 2), (pad, pad)), constant_values=255)
    return np.ascontiguousarray(np.repeat(framed[:, :, None], 3, axis=2))


def roundness(ink: NDArray[np.bool_], box: PixelBox) -> float:
    """A segment's ink, width over height (0 when it has none): about 1 for ○, 0.5-0.7 for the digit 0."""
    import numpy as np

    x0, top, x1, bottom = box
    piece = ink[top:bottom, x0:x1]
    rows, cols = np.flatnonzero(piece.any(axis=1)), np.flatnonzero(piece.any(axis=0))
    if not len(rows) or not len(cols):
        return 0.0
    return float((cols[-1] - cols[0] + 1) / (rows[-1] - rows[0] + 1))


def snapped(texts: list[str], line_sizes: list[int], labels: frozenset[str]) -> list[str]:
    """A cell's segment texts with the cell snapped to the label it misreads, else each line to its label
    (a label over a unit: 事業費 above (千円))."""
    if not labels:
        return texts
    label = snap_label("".join(texts), labels)
    if label is not None:
        return respell(texts, label)
    out: list[str] = []
    start = 0
    for size in line_sizes:
        line = texts[start:start + size]
        label = snap_label("".join(line), labels)
        out += respell(line, label) if label is not None else line
        start += size
    return out


def group_texts(group: list[list[PixelBox]], read: Any, ink: NDArray[np.bool_], raster: Raster,
                labels: frozenset[str]) -> list[OcrText]:
    """One cell's (or loose line's) segments with their recognized text, corrected, the cell snapped to a label."""
    boxes = [box for line in group for box in line]
    results = [next(read) for _ in boxes]
    only = len(boxes) == 1
    shapes = [roundness(ink, box) if only else 0.0 for box in boxes]
    texts = [correct_text(text, round_glyph=0.8 <= shape <= 1.25, circle=0.9 <= shape <= 1.15)
             for (text, _), shape in zip(results, shapes)]
    texts = snapped(texts, [len(line) for line in group], labels)
    return [OcrText(raster.box(box), text, round(score, 4))
            for box, text, (_, score) in zip(boxes, texts, results) if text]
