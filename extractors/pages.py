"""A PDF page as plain objects (characters, lines, rects, curves), from either of two readers.

`build_grid` needs only what is printed on a page: each character with its box, and the
straight lines, rects and curves that are drawn, with how they are painted. Both readers
give these as the same plain dicts, in pdfplumber's conventions (a box as
`x0`/`x1`/`top`/`bottom`, PDF points), in the *upright page's* coordinates: the origin is
the top-left corner of the page turned so that its text reads upright, whatever its
/Rotate, however its content was drawn and wherever its MediaBox lies (`upright_page`).
A sheet saved sideways or upside down is read like the upright one: the same cells, the
same boxes.

- `Reader.PDFIUM` (the default): pdfium through pypdfium2's raw API, 10-25 ms of CPU a
  page (a real 池田 sheet, a generated sheet), where pdfplumber takes 130-290 ms.
- `Reader.PDFPLUMBER`: pdfplumber (pdfminer), the reference.

`tests/test_readers.py` proves that both give the same cells and cell texts; where the
two differ on purpose is said there, and in `_char_box` below.

pdfium is not thread-safe: every pdfium call here runs under `PDFIUM_LOCK`.
"""

from __future__ import annotations

import ctypes
import functools
import io
import operator
import re
import struct
import threading
from ctypes import c_double, c_float, c_int, c_size_t, c_uint, c_ulong, c_ushort, c_void_p
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol
from collections import Counter
from collections.abc import Callable, Mapping

import pypdfium2.raw as pdfium_c
from pypdfium2 import PdfiumError

Obj = dict[str, Any]
Point = tuple[float, float]
BBox = tuple[float, float, float, float]  # x0, top, x1, bottom
Matrix = tuple[float, float, float, float, float, float]  # a b c d e f: (x, y) → (ax + cy + e, bx + dy + f)

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class Reader(str, Enum):
    """Which library reads a page's objects."""

    PDFIUM = "pdfium"
    PDFPLUMBER = "pdfplumber"


DEFAULT_READER = Reader.PDFIUM


@dataclass
class PageObjects:
    """What is printed on one page, as plain dicts in pdfplumber's conventions, on the upright page.

    chars: text, x0, x1, top, bottom, size, upright, fontname (pdfplumber adds more keys).
    lines, rects, curves: object_type, x0, x1, top, bottom, y0, y1, doctop, width, height,
    pts, stroke, fill, evenodd, stroking_color, non_stroking_color.
    turn: how far (degrees clockwise) the page as displayed (its /Rotate applied) was turned
    for its text to read upright; a renderer turns it as much to draw these boxes on it.
    """

    page_number: int
    width: float
    height: float
    chars: list[Obj] = field(default_factory=list)
    lines: list[Obj] = field(default_factory=list)
    rects: list[Obj] = field(default_factory=list)
    curves: list[Obj] = field(default_factory=list)
    turn: int = 0


# ---- the upright page: the same for both readers ---------------------------------------

TURNS = (0, 90, 180, 270)


def baseline_quarter(a: float, b: float) -> int:
    """Which way a baseline (a, b) points in pdfminer's space (y up): 0 right, 1 up, 2 left, 3 down."""
    if abs(a) >= abs(b):
        return 0 if a >= 0 else 2
    return 1 if b > 0 else 3


def upright_turn(quarters: Mapping[int, int]) -> int:
    """The clockwise turn (degrees) after which most characters read left to right.

    `quarters` counts the printed (not blank) characters by `baseline_quarter`. A page
    whose text mostly runs up is turned 90°, down 270°, upside down 180°; a tie keeps
    the page as it is. Sideways labels in a few narrow cells do not turn a sheet.
    """
    if not quarters:
        return 0
    best = max(sorted(quarters), key=lambda q: (quarters[q], q == 0))
    return 90 * best


@dataclass(frozen=True)
class Turn:
    """A clockwise turn of a `width` × `height` page (points, top-left origin) by a multiple of 90°."""

    degrees: int
    width: float
    height: float

    def __post_init__(self) -> None:
        if self.degrees not in TURNS:
            raise ValueError(f"a page turns by one of {TURNS} degrees, not {self.degrees!r}")

    @property
    def across(self) -> bool:
        """Whether widths become heights (a quarter turn)."""
        return self.degrees in (90, 270)

    @property
    def size(self) -> tuple[float, float]:
        """The turned page's width and height."""
        return (self.height, self.width) if self.across else (self.width, self.height)

    def point(self, x: float, top: float) -> Point:
        """Where a point of the page lands on the turned page."""
        if self.degrees == 90:
            return self.height - top, x
        if self.degrees == 180:
            return self.width - x, self.height - top
        if self.degrees == 270:
            return top, self.width - x
        return x, top

    def box(self, box: BBox) -> BBox:
        """A box (x0, top, x1, bottom) of the page on the turned page."""
        (ax, at), (bx, bt) = self.point(box[0], box[1]), self.point(box[2], box[3])
        return min(ax, bx), min(at, bt), max(ax, bx), max(at, bt)


def moved(obj: Obj, point: Callable[[float, float], Point], height: float, across: bool = False) -> Obj:
    """A copy of a char or shape with its box and points placed by `point` on a page `height` high.

    `across` (a quarter turn): a char's size becomes its new height (pdfminer's size of a
    horizontal glyph) and its upright flag flips; pdfminer's `matrix` of a char, which
    describes the unturned page, is left out.
    """
    copy = {k: v for k, v in obj.items() if not (across and k == "matrix")}
    (ax, at), (bx, bt) = point(obj["x0"], obj["top"]), point(obj["x1"], obj["bottom"])
    x0, x1, top, bottom = min(ax, bx), max(ax, bx), min(at, bt), max(at, bt)
    copy.update(x0=x0, x1=x1, top=top, bottom=bottom)
    if "doctop" in obj:
        copy["doctop"] = obj["doctop"] - obj["top"] + top  # pdfplumber counts doctop from the document's start
    if "y0" in obj:
        copy["y0"], copy["y1"] = height - bottom, height - top
    if "width" in obj:
        copy["width"], copy["height"] = x1 - x0, bottom - top
    if "pts" in obj:
        copy["pts"] = [point(x, t) for x, t in obj["pts"]]
    if "path" in obj:  # pdfplumber's path: (op, point, …)
        copy["path"] = [(op, *(point(x, t) for x, t in pts)) for op, *pts in obj["path"]]
    if across and "size" in obj:
        copy["size"] = bottom - top
        copy["upright"] = not obj.get("upright", True)
    return copy


def moved_page(objects: PageObjects, point: Callable[[float, float], Point], size: tuple[float, float],
               turn: int = 0) -> PageObjects:
    """Every object of a page placed by `point` on a page of `size`, turned by `turn` in all."""
    across = (turn - objects.turn) % 180 == 90
    height = size[1]

    def place(objs: list[Obj]) -> list[Obj]:
        return [moved(obj, point, height, across) for obj in objs]

    return PageObjects(objects.page_number, size[0], size[1], place(objects.chars), place(objects.lines),
                       place(objects.rects), place(objects.curves), turn)


def upright_page(objects: PageObjects, quarters: Mapping[int, int]) -> PageObjects:
    """The page turned so that most of its text reads left to right (itself when it does already)."""
    degrees = upright_turn(quarters)
    if degrees == 0:
        return objects
    turn = Turn(degrees, objects.width, objects.height)
    return moved_page(objects, turn.point, turn.size, (objects.turn + degrees) % 360)


class PageLike(Protocol):
    """A `PageObjects`, or a pdfplumber page (which has the same attributes)."""

    @property
    def page_number(self) -> int: ...
    @property
    def width(self) -> Any: ...
    @property
    def height(self) -> Any: ...
    @property
    def chars(self) -> list[Obj]: ...
    @property
    def lines(self) -> list[Obj]: ...
    @property
    def rects(self) -> list[Obj]: ...
    @property
    def curves(self) -> list[Obj]: ...


class PageTooBusy(Exception):
    """A page that draws more objects than the reader may read (`ObjectBudget`)."""

    def __init__(self, page: int) -> None:
        super().__init__(f"page {page} holds too many objects")
        self.page = page


class ObjectBudget:
    """Counts what a page draws as it is read, and stops the reading past `limit` (None: no limit).

    Counted before each expensive step: the page's objects, its characters, each form's
    objects and each path's segments, so a page of 200,000 objects stops at the count.
    """

    __slots__ = ("page", "left")

    def __init__(self, page: int, limit: int | None) -> None:
        self.page, self.left = page, limit

    def spend(self, count: int) -> None:
        """Take `count` objects; `PageTooBusy` when the page has drawn more than the limit."""
        if self.left is not None:
            self.left -= count
            if self.left < 0:
                raise PageTooBusy(self.page)


class PageSource(Protocol):
    """An open document: how many pages it has, and each page's objects (numbered from 1)."""

    page_count: int

    def read(self, number: int) -> PageObjects: ...

    def close(self) -> None: ...


def open_pages(data: bytes, reader: Reader = DEFAULT_READER, max_objects: int | None = None) -> PageSource:
    """Open PDF bytes with the reader; its own exceptions pass through (see `pdf_input.open_document`).

    A page that draws more than `max_objects` objects raises `PageTooBusy` when read.
    """
    if Reader(reader) is Reader.PDFPLUMBER:
        return PdfplumberPages(data, max_objects)
    return PdfiumPages(data, max_objects)


# =========================================================================================
# pdfplumber
# =========================================================================================


def from_pdfplumber(page: Any) -> PageObjects:
    """A pdfplumber page's objects, on the upright page (its MediaBox's corner at the origin)."""
    objects = PageObjects(
        page_number=page.page_number,
        width=float(page.width),
        height=float(page.height),
        chars=page.chars,
        lines=page.lines,
        rects=page.rects,
        curves=page.curves,
    )
    dx, dy = pdfplumber_offset(page)
    if dx or dy:
        objects = moved_page(objects, lambda x, t: (x - dx, t - dy), (objects.width, objects.height))
    quarters = Counter(baseline_quarter(*c["matrix"][:2]) for c in page.chars if c["text"] and not c["text"].isspace())
    return upright_page(objects, quarters)


def pdfplumber_offset(page: Any) -> Point:
    """Where pdfplumber puts the upright page's origin: its MediaBox's corner, and pdfminer's
    reading of an inverted MediaBox (taken as given) beside `frame_for`'s (ordered)."""
    x0, y0, x1, y1 = (float(v) for v in page.page_obj.mediabox)
    ours = frame_for(x0, y0, x1, y1, page.rotation).ctm
    theirs = pdfminer_ctm(x0, y0, x1, y1, page.rotation)
    return float(page.bbox[0]) + theirs[4] - ours[4], float(page.bbox[1]) - theirs[5] + ours[5]


class PdfplumberPages:
    """A document open in pdfplumber."""

    def __init__(self, data: bytes, max_objects: int | None = None) -> None:
        import pdfplumber

        self.max_objects = max_objects
        self._pdf = pdfplumber.open(io.BytesIO(data))
        try:
            self.page_count = len(self._pdf.pages)
        except Exception:
            self._pdf.close()
            raise

    def read(self, number: int) -> PageObjects:
        page = self._pdf.pages[number - 1]
        try:
            objects = from_pdfplumber(page)
            # pdfminer has parsed the page by now: the budget spares the grid, not the parse
            ObjectBudget(number, self.max_objects).spend(
                len(objects.chars) + len(objects.lines) + len(objects.rects) + len(objects.curves))
            return objects
        finally:
            page.close()  # keep memory flat across a book of hundreds of pages

    def close(self) -> None:
        self._pdf.close()


# =========================================================================================
# pdfium, through our own prototypes of the functions we call. They declare only the
# result type: ctypes then converts no argument (a call costs a third of a declared
# one), so every argument is passed as a ctypes value: a handle as `c_void_p` (or the
# `Handle` a function returned), an out-parameter by `byref`, a float as `c_float`, a
# size as `c_size_t`. Text object and font handles come back as plain ints, to key caches
# (and so do page objects: most are text objects the walk skips). One prototype declares
# its argument: `_FontOfTextObject`, called with such an int.
# =========================================================================================

PDFIUM_LOCK = threading.RLock()


class Handle(c_void_p):
    """A pdfium handle as a function returns it: passed on as is (a falsy one is NULL)."""


def _fn(name: str, restype: Any, argtypes: tuple[Any, ...] | None = None) -> Callable[..., Any]:
    """A private, result-typed prototype of a pdfium function (pypdfium2's calling convention),
    its arguments declared only when `argtypes` are given."""
    bound = getattr(pdfium_c, name)
    proto = type(bound)(ctypes.cast(bound, c_void_p).value)
    proto.restype = restype
    if argtypes is not None:
        proto.argtypes = argtypes
    return proto


_LoadMemDocument64 = _fn("FPDF_LoadMemDocument64", c_void_p)
_GetLastError = _fn("FPDF_GetLastError", c_ulong)
_GetPageCount = _fn("FPDF_GetPageCount", c_int)
_CloseDocument = _fn("FPDF_CloseDocument", None)
_LoadPage = _fn("FPDF_LoadPage", Handle)
_ClosePage = _fn("FPDF_ClosePage", None)
_GetMediaBox = _fn("FPDFPage_GetMediaBox", c_int)
_GetPageBoundingBox = _fn("FPDF_GetPageBoundingBox", c_int)
_GetRotation = _fn("FPDFPage_GetRotation", c_int)
_SetRotation = _fn("FPDFPage_SetRotation", None)
_TextLoadPage = _fn("FPDFText_LoadPage", Handle)
_TextClosePage = _fn("FPDFText_ClosePage", None)
_CountChars = _fn("FPDFText_CountChars", c_int)
_GetText = _fn("FPDFText_GetText", c_int)
_GetUnicode = _fn("FPDFText_GetUnicode", c_uint)
_IsGenerated = _fn("FPDFText_IsGenerated", c_int)
_GetTextObject = _fn("FPDFText_GetTextObject", c_void_p)
_GetCharOrigin = _fn("FPDFText_GetCharOrigin", c_int)
_GetLooseCharBox = _fn("FPDFText_GetLooseCharBox", c_int)
_GetCharMatrix = _fn("FPDFText_GetMatrix", c_int)
_GetFontSize = _fn("FPDFText_GetFontSize", c_double)
_TextObjGetFont = _fn("FPDFTextObj_GetFont", c_void_p)
# the same taking a text object as a plain int (the text page's handles are ints): declaring the
# argument costs less than wrapping each handle in a `c_void_p` (a page may have a thousand)
_FontOfTextObject = _fn("FPDFTextObj_GetFont", c_void_p, (c_void_p,))
_TextObjGetFontSize = _fn("FPDFTextObj_GetFontSize", c_int)
_FontGetDescent = _fn("FPDFFont_GetDescent", c_int)
_FontGetBaseName = _fn("FPDFFont_GetBaseFontName", c_size_t)
_FontGetGlyphWidth = _fn("FPDFFont_GetGlyphWidth", c_int)
_CountObjects = _fn("FPDFPage_CountObjects", c_int)
_GetObject = _fn("FPDFPage_GetObject", c_void_p)  # an address (an int): the walk skips most objects unwrapped
_ObjGetType = _fn("FPDFPageObj_GetType", c_int)
_ObjGetMatrix = _fn("FPDFPageObj_GetMatrix", c_int)
_ObjGetBounds = _fn("FPDFPageObj_GetBounds", c_int)
_FormCountObjects = _fn("FPDFFormObj_CountObjects", c_int)
_FormGetObject = _fn("FPDFFormObj_GetObject", c_void_p)  # (as `_GetObject`)
_PathCountSegments = _fn("FPDFPath_CountSegments", c_int)
_PathGetSegment = _fn("FPDFPath_GetPathSegment", Handle)
_SegmentGetPoint = _fn("FPDFPathSegment_GetPoint", c_int)
_SegmentGetType = _fn("FPDFPathSegment_GetType", c_int)
_SegmentGetClose = _fn("FPDFPathSegment_GetClose", c_int)
_SegmentAddress = _fn("FPDFPath_GetPathSegment", c_void_p)  # the same, as an address (an int)
_CreateNewPath = _fn("FPDFPageObj_CreateNewPath", Handle)
_PathMoveTo = _fn("FPDFPath_MoveTo", c_int)
_PathLineTo = _fn("FPDFPath_LineTo", c_int)
_PathBezierTo = _fn("FPDFPath_BezierTo", c_int)
_PathClose = _fn("FPDFPath_Close", c_int)
_ObjDestroy = _fn("FPDFPageObj_Destroy", None)
_PathGetDrawMode = _fn("FPDFPath_GetDrawMode", c_int)
_ObjGetStrokeColor = _fn("FPDFPageObj_GetStrokeColor", c_int)
_ObjGetFillColor = _fn("FPDFPageObj_GetFillColor", c_int)

_ERRORS = {
    pdfium_c.FPDF_ERR_SUCCESS: "no error",
    pdfium_c.FPDF_ERR_UNKNOWN: "unknown error",
    pdfium_c.FPDF_ERR_FILE: "file not found or could not be opened",
    pdfium_c.FPDF_ERR_FORMAT: "file not in PDF format or corrupted",
    pdfium_c.FPDF_ERR_PASSWORD: "password required or incorrect password",
    pdfium_c.FPDF_ERR_SECURITY: "unsupported security scheme",
    pdfium_c.FPDF_ERR_PAGE: "page not found or content error",
}

OBJ_TEXT, OBJ_PATH, OBJ_FORM = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
SEG_LINETO, SEG_BEZIERTO, SEG_MOVETO = pdfium_c.FPDF_SEGMENT_LINETO, pdfium_c.FPDF_SEGMENT_BEZIERTO, pdfium_c.FPDF_SEGMENT_MOVETO
FILL_NONE, FILL_EVENODD = pdfium_c.FPDF_FILLMODE_NONE, pdfium_c.FPDF_FILLMODE_ALTERNATE
FORM_DEPTH = 15  # form XObjects nested deeper than this are not read (pypdfium2's limit too)

# Characters pdfium may have generated (word spaces, line breaks): only these need asking.
_MAYBE_GENERATED = frozenset(" \r\n")
# What a character that maps to no Unicode reads as (pdfminer writes "(cid:N)").
UNMAPPED = "\ufffd"
# Code points pdfium gives that are not the printed character: none (0), and 0xFFFE for a
# hyphen it took for a word broken at the end of a line (on a turned page, the bullet `-`
# that starts one).
_NOT_PRINTED = {0: UNMAPPED, 0xFFFE: "-"}
_SURROGATE = re.compile("[\ud800-\udfff]")
# An FS_MATRIX (six C floats: a, b, c, d, e, f) read in one go, and its first four.
_MATRIX = struct.Struct("=6f")
_MATRIX_ABCD = struct.Struct("=4f")
_ONE = c_float(1.0)


class PdfiumPages:
    """A document open in pdfium."""

    def __init__(self, data: bytes, max_objects: int | None = None) -> None:
        self.max_objects = max_objects
        self._data = data  # pdfium reads from this buffer until the document is closed
        with PDFIUM_LOCK:
            handle = _LoadMemDocument64(data, c_size_t(len(data)), None)
            if not handle:
                code = int(_GetLastError())
                raise PdfiumError(f"pdfium cannot load the document: {_ERRORS.get(code, f'error {code}')}", err_code=code)
            self._handle: c_void_p | None = c_void_p(handle)
            self.page_count = int(_GetPageCount(self._handle))

    def read(self, number: int) -> PageObjects:
        with PDFIUM_LOCK:
            if self._handle is None:
                raise ValueError("the document is closed")
            return read_pdfium_page(self._handle, number, self.max_objects)

    def close(self) -> None:
        with PDFIUM_LOCK:
            if self._handle is not None:
                _CloseDocument(self._handle)
                self._handle = None


def read_pdfium_page(document: c_void_p, number: int, max_objects: int | None = None) -> PageObjects:
    """One page of an open pdfium document, on the upright page (call under `PDFIUM_LOCK`);
    `PageTooBusy` past `max_objects`.

    A page whose text does not read left to right as displayed is read a second time
    with its /Rotate turned by `upright_turn` (in memory, set back after): pdfium's text
    page follows lines in the displayed order, and upside down it drops spaces and takes
    a line's leading `-` for a hyphen at a line's end.
    """
    page = _LoadPage(document, number - 1)
    if not page:
        raise PdfiumError(f"pdfium cannot load page {number}")
    quarters = max(0, int(_GetRotation(page)))
    turn = 0
    try:
        reading = _PageReading(page_frame(page), number, _budget_of(page, number, max_objects))
        chars = read_chars(page, reading)
        turn = upright_turn(reading.quarters)
        if turn:
            _SetRotation(page, c_int((quarters + turn // 90) % 4))
            reading = _PageReading(page_frame(page), number, _budget_of(page, number, max_objects))
            chars = read_chars(page, reading)
        drawings = read_objects(page, reading)
    finally:
        if turn:
            _SetRotation(page, c_int(quarters))
        _ClosePage(page)
    return PageObjects(number, reading.frame.width, reading.frame.height, chars + drawings.spaces,
                       drawings.lines, drawings.rects, drawings.curves, turn)


def _budget_of(page: c_void_p, number: int, max_objects: int | None) -> ObjectBudget:
    """A reading's object budget, its page objects already spent (`PageTooBusy` before any is read)."""
    budget = ObjectBudget(number, max_objects)
    budget.spend(int(_CountObjects(page)))
    return budget


@dataclass(frozen=True)
class PageView:
    """A page as the readers place it, for drawing their boxes on a rendering of it.

    width, height: the upright page's (its MediaBox, turned); turn: the degrees a renderer
    turns the displayed page by (pdfium's `rotation`); visible: what pdfium renders (the
    MediaBox cut to the CropBox) as a box of the upright page.
    """

    width: float
    height: float
    turn: int
    visible: BBox


def page_view(page: Any) -> PageView:
    """How the readers turn and place an open pdfium page (its handle; call under `PDFIUM_LOCK`).

    The turn is decided as `read_pdfium_page` decides it, from the page's characters.
    """
    frame = page_frame(page)
    reading = _PageReading(frame, 0)
    read_chars(page, reading)
    turn = Turn(upright_turn(reading.quarters), frame.width, frame.height)
    rect = pdfium_c.FS_RECTF()
    _GetPageBoundingBox(page, ctypes.byref(rect))  # MediaBox ∩ CropBox, inherited
    visible = turn.box(frame.box(rect.left, rect.bottom, rect.right, rect.top))
    return PageView(*turn.size, turn.degrees, visible)


# ---- from PDF user space to the page's space ------------------------------------------


@dataclass(frozen=True)
class Frame:
    """pdfminer's page transform (MediaBox corner to the origin, /Rotate), then the flip to a top-left origin."""

    ctm: Matrix  # user space → pdfminer's space (y up, origin at the turned MediaBox's lower left)
    width: float
    height: float

    @property
    def to_page(self) -> Matrix:
        """User space → the page's (x, top), as one matrix."""
        a, b, c, d, e, f = self.ctm
        return (a, -b, c, -d, e, self.height - f)

    @property
    def upright(self) -> bool:
        """Whether the page is not turned (/Rotate 0)."""
        return self.ctm[:4] == (1.0, 0.0, 0.0, 1.0)

    def box(self, left: float, bottom: float, right: float, top: float) -> BBox:
        """A user-space box as the page's (x0, top, x1, bottom)."""
        a, b, c, d, e, f = self.to_page
        xs = [a * x + c * y + e for x, y in ((left, bottom), (right, top))]
        ys = [b * x + d * y + f for x, y in ((left, bottom), (right, top))]
        return min(xs), min(ys), max(xs), max(ys)


def page_frame(page: c_void_p) -> Frame:
    """The page's frame, from its MediaBox and rotation, as pdfminer sets it up."""
    box = [c_float(), c_float(), c_float(), c_float()]
    if _GetMediaBox(page, *(ctypes.byref(v) for v in box)):
        x0, y0, x1, y1 = (v.value for v in box)
    else:  # an inherited MediaBox: pdfium's box getters do not inherit, the page's bounding box does
        rect = pdfium_c.FS_RECTF()
        _GetPageBoundingBox(page, ctypes.byref(rect))
        x0, y0, x1, y1 = rect.left, rect.bottom, rect.right, rect.top
    return frame_for(x0, y0, x1, y1, 90 * max(0, int(_GetRotation(page))))


def pdfminer_ctm(x0: float, y0: float, x1: float, y1: float, rotation: int) -> Matrix:
    """pdfminer's page transform for a MediaBox given as (x0, y0, x1, y1) and a /Rotate."""
    rotation %= 360
    if rotation == 90:
        return (0.0, -1.0, 1.0, 0.0, -y0, x1)
    if rotation == 180:
        return (-1.0, 0.0, 0.0, -1.0, x1, y1)
    if rotation == 270:
        return (0.0, 1.0, -1.0, 0.0, y1, -x0)
    return (1.0, 0.0, 0.0, 1.0, -x0, -y0)


def frame_for(x0: float, y0: float, x1: float, y1: float, rotation: int) -> Frame:
    """The frame of a page with this MediaBox (any two opposite corners) and /Rotate.

    pdfminer takes the MediaBox's corners as given; ordered here, so that an inverted box
    (its first corner top-right) still puts the page between 0 and its width and height.
    """
    lx, hx = sorted((x0, x1))
    ly, hy = sorted((y0, y1))
    width, height = hx - lx, hy - ly
    if rotation % 180 == 90:
        width, height = height, width
    return Frame(ctm=pdfminer_ctm(lx, ly, hx, hy, rotation), width=width, height=height)


def compose(outer: Matrix, inner: Matrix) -> Matrix:
    """The matrix applying `inner` first, then `outer`."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


# ---- one page's reading: caches and out-parameters shared by its steps ------------------


@dataclass(frozen=True)
class _TextStyle:
    """What all characters of one text object share, and what boxing them needs."""

    raw: tuple[float, float, float, float]  # the character matrix in user space (pdfium's)
    matrix: tuple[float, float, float, float]  # the same in pdfminer's space (page rotation applied)
    size: float  # the font size (Tf)
    descent: float  # the font's descent at that size, in text space (negative)
    fontname: str
    upright: bool
    quarter: int  # which way the baseline runs on the page (`baseline_quarter`)
    # upright, unturned text on an unturned page: x0 = origin x + x_offset, x1 = loose
    # right + x_offset, top = top_offset - origin y, bottom = bottom_offset - origin y
    simple: bool
    x_offset: float
    top_offset: float
    bottom_offset: float

    @functools.cached_property  # asked once per text object: a page may have a thousand of one style
    def fast(self) -> tuple[float, float, float, str, bool] | None:
        """(x_offset, top_offset, bottom_offset, fontname, upright) when simple, else None."""
        return (self.x_offset, self.top_offset, self.bottom_offset, self.fontname, self.upright) if self.simple else None


@dataclass(frozen=True)
class _Font:
    """What we need of a font: its descent per unit of size, its name, its whitespace advances."""

    descent: float
    name: str
    space: float  # the advance of U+0020 per unit of size (0 when the font cannot print it)
    ideographic_space: float  # the same for U+3000


class _PageReading:
    """One page being read: its frame, and what its characters and objects share."""

    def __init__(self, frame: Frame, number: int, budget: ObjectBudget | None = None) -> None:
        self.frame = frame
        self.to_page = frame.to_page
        self.number = number
        self.budget = budget or ObjectBudget(number, None)
        self.styles: dict[int, _TextStyle] = {}  # by text object: those the text page read
        self.quarters: Counter[int] = Counter()  # printed characters by the way their baseline runs
        self.style_cache: dict[tuple[Any, ...], _TextStyle] = {}
        self._fonts: dict[int, _Font] = {}
        self.x, self.y = c_float(), c_float()
        self.x_ref, self.y_ref = ctypes.byref(self.x), ctypes.byref(self.y)
        self.matrix = pdfium_c.FS_MATRIX()
        self.matrix_ref = ctypes.byref(self.matrix)
        self.mode, self.stroke = c_int(), c_int()
        self.mode_ref, self.stroke_ref = ctypes.byref(self.mode), ctypes.byref(self.stroke)
        self.rgba = [c_uint(), c_uint(), c_uint(), c_uint()]
        self.rgba_refs = [ctypes.byref(v) for v in self.rgba]
        self.bounds = [c_float(), c_float(), c_float(), c_float()]
        self.bounds_refs = [ctypes.byref(v) for v in self.bounds]

    def font(self, handle: int) -> _Font:
        """A font's metrics, read once per page."""
        font = self._fonts.get(handle)
        if font is None:
            font = self._fonts[handle] = _read_font(handle)
        return font

    def style(self, matrix: tuple[float, float, float, float], size: float, font_handle: int) -> _TextStyle:
        """The style of text drawn with this user-space matrix, font size and font."""
        key = (matrix, size, font_handle)
        style = self.style_cache.get(key)
        if style is None:
            style = self.style_cache[key] = self._new_style(matrix, size, self.font(font_handle))
        return style

    def _new_style(self, raw: tuple[float, float, float, float], size: float, font: _Font) -> _TextStyle:
        fa, fb, fc, fd, fe, ff = self.frame.ctm
        ma, mb, mc, md, _, _ = compose((fa, fb, fc, fd, 0.0, 0.0), (*raw, 0.0, 0.0))
        ra, rb, rc, rd = raw
        descent = font.descent * size
        simple = self.frame.upright and rb == 0.0 and rc == 0.0 and ra > 0.0 and rd > 0.0
        base = self.frame.height - ff
        return _TextStyle(
            raw=raw,
            matrix=(ma, mb, mc, md),
            size=size,
            descent=descent,
            fontname=font.name,
            upright=ma * md > 0 and mb * mc <= 0,
            quarter=baseline_quarter(ma, mb),
            simple=simple,
            x_offset=fe,
            top_offset=base - rd * (descent + size),
            bottom_offset=base - rd * descent,
        )

    def object_matrix(self, obj: c_void_p) -> Matrix:
        """A page object's matrix (identity when pdfium has none)."""
        if not _ObjGetMatrix(obj, self.matrix_ref):
            return IDENTITY
        matrix: Matrix = _MATRIX.unpack_from(self.matrix)
        return matrix


def _read_font(handle: int) -> _Font:
    """A font's descent, base name and whitespace advances."""
    if not handle:
        return _Font(0.0, "", 0.0, 0.0)
    font = c_void_p(handle)
    value = c_float()
    ref = ctypes.byref(value)
    descent = value.value if _FontGetDescent(font, _ONE, ref) else 0.0
    widths = [value.value if _FontGetGlyphWidth(font, ctypes.c_uint32(code), _ONE, ref) else 0.0 for code in (0x20, 0x3000)]
    length = int(_FontGetBaseName(font, None, c_size_t(0)))
    name = b""
    if length > 0:
        buffer = ctypes.create_string_buffer(length)
        _FontGetBaseName(font, buffer, c_size_t(length))
        name = buffer.value
    return _Font(min(0.0, descent), name.decode("utf-8", "replace"), max(0.0, widths[0]), max(0.0, widths[1]))


# ---- characters ---------------------------------------------------------------------


def read_chars(page: c_void_p, reading: _PageReading) -> list[Obj]:
    """The page's characters with pdfminer-style boxes (pdfium's generated spaces and breaks left out)."""
    text_page = _TextLoadPage(page)
    if not text_page:
        raise PdfiumError("pdfium cannot read the page's text")
    try:
        return _chars(text_page, reading)
    finally:
        _TextClosePage(text_page)


def _chars(text_page: c_void_p, reading: _PageReading) -> list[Obj]:
    count = int(_CountChars(text_page))
    if count <= 0:
        return []
    reading.budget.spend(count)
    texts = _texts(text_page, count)
    frame, styles = reading.frame, reading.styles
    counts = [0, 0, 0, 0]  # printed characters by `baseline_quarter` (a list: this loop runs per char)
    fast_styles: dict[int, tuple[float, float, float, str, bool] | None] = {}
    ox, oy, loose = c_double(), c_double(), pdfium_c.FS_RECTF()
    ox_ref, oy_ref, loose_ref = ctypes.byref(ox), ctypes.byref(oy), ctypes.byref(loose)
    is_generated, text_object, origin, loose_box = _IsGenerated, _GetTextObject, _GetCharOrigin, _GetLooseCharBox
    maybe_generated = _MAYBE_GENERATED
    char_matrix, font_size, font_of, abcd = _GetCharMatrix, _GetFontSize, _FontOfTextObject, _MATRIX_ABCD.unpack_from
    matrix, matrix_ref, style_cache = reading.matrix, reading.matrix_ref, reading.style_cache
    chars: list[Obj] = []
    append = chars.append
    for i, text in enumerate(texts):
        if text in maybe_generated and is_generated(text_page, i):
            continue
        handle = text_object(text_page, i) or 0
        if handle in fast_styles:
            fast = fast_styles[handle]
        else:  # a text object's first char: its style, from the char's matrix, font size and font
            # (inline: some pages draw every char as a text object of its own)
            char_matrix(text_page, i, matrix_ref)
            key = (abcd(matrix), font_size(text_page, i), (font_of(handle) if handle else None) or 0)
            style = style_cache.get(key)
            if style is None:
                style = reading.style(*key)
            styles[handle] = style
            fast = fast_styles[handle] = style.fast
        origin(text_page, i, ox_ref, oy_ref)
        loose_box(text_page, i, loose_ref)
        x, y = ox.value, oy.value
        if fast is not None:  # upright text on an unturned page: the box is offsets from the origin
            x_offset, top_offset, bottom_offset, fontname, upright = fast
            right = loose.right
            x0, x1 = x + x_offset, (right if right > x else x) + x_offset
            top, bottom = top_offset - y, bottom_offset - y
            quarter = 0
        else:
            style = styles[handle]
            fontname, upright, quarter = style.fontname, style.upright, style.quarter
            x0, top, x1, bottom = _char_box(style, frame, x, y, _advance(style, x, y, loose))
        if not text.isspace():
            counts[quarter] += 1
        append({
            "text": text,
            "fontname": fontname,
            "size": bottom - top,
            "upright": upright,
            "x0": x0,
            "x1": x1,
            "top": top,
            "bottom": bottom,
        })
    reading.quarters.update({quarter: n for quarter, n in enumerate(counts) if n})
    return chars


def _texts(text_page: c_void_p, count: int) -> list[str]:
    """Every character's text as we print it (`_NOT_PRINTED` replaced): one call for the page when
    its text maps one-to-one."""
    buffer = (c_ushort * (count + 1))()
    written = int(_GetText(text_page, 0, count, buffer))
    text = bytes(buffer)[: 2 * max(0, written - 1)].decode("utf-16-le", "surrogatepass")
    if len(text) != count or _SURROGATE.search(text):
        # a skipped control character or a surrogate pair: ask character by character
        text = "".join(chr(int(_GetUnicode(text_page, i))) for i in range(count))
    return list(text.translate(_NOT_PRINTED))


def _advance(style: _TextStyle, ox: float, oy: float, loose: Any) -> float:
    """A character's advance in text space, read off pdfium's loose box from the origin on.

    The loose box is the advance box united with the glyph's ink, so a glyph whose ink
    overhangs its advance is boxed to its ink (pdfminer: to its advance).
    """
    ra, rb, rc, rd = style.raw
    if abs(rb) + abs(rc) <= 1e-6 * (abs(ra) + abs(rd)) and ra:  # a horizontal baseline
        return max(0.0, (loose.right - ox) / ra if ra > 0 else (ox - loose.left) / -ra)
    if abs(ra) + abs(rd) <= 1e-6 * (abs(rb) + abs(rc)) and rb:  # turned a quarter
        return max(0.0, (loose.top - oy) / rb if rb > 0 else (oy - loose.bottom) / -rb)
    return style.size  # any other angle: an em (the loose box is a hull of the turned box)


def _char_box(style: _TextStyle, frame: Frame, ox: float, oy: float, advance: float) -> tuple[float, float, float, float]:
    """pdfminer's box of a character: (0, descent) to (advance, descent + size) through its matrix.

    Intended differences from pdfminer: the descent is the font's as pdfium knows it
    (pdfminer takes the descriptor's /Descent, 0 when a font gives none, as LibreOffice's
    exports do, so its boxes sit up to ~0.1 em higher); vertical-writing (Identity-V)
    glyphs are boxed like horizontal ones, where pdfium draws them (pdfminer boxes them
    above their origin, with no height).
    """
    a, b, c, d = style.matrix
    fa, fb, fc, fd, fe, ff = frame.ctm
    px, py = fa * ox + fc * oy + fe, fb * ox + fd * oy + ff
    y0 = style.descent
    y1 = y0 + style.size
    xs = (px + c * y0, px + a * advance + c * y0, px + a * advance + c * y1, px + c * y1)
    ys = (py + d * y0, py + b * advance + d * y0, py + b * advance + d * y1, py + d * y1)
    return (min(xs), frame.height - max(ys), max(xs), frame.height - min(ys))


# ---- page objects: drawings, and the whitespace the text page leaves out ----------------


@dataclass
class Drawings:
    """A page's painted paths as pdfminer splits them, and its lone whitespace characters."""

    lines: list[Obj] = field(default_factory=list)
    rects: list[Obj] = field(default_factory=list)
    curves: list[Obj] = field(default_factory=list)
    spaces: list[Obj] = field(default_factory=list)

    @functools.cached_property  # asked for every path of a page
    def of_kind(self) -> dict[str, list[Obj]]:
        return {"line": self.lines, "rect": self.rects, "curve": self.curves}


def read_objects(page: c_void_p, reading: _PageReading) -> Drawings:
    """Walk the page's objects, into form XObjects (their matrices composed)."""
    drawings = Drawings()
    objects = [_GetObject(page, i) for i in range(int(_CountObjects(page)))]
    _walk(objects, IDENTITY, 0, reading, drawings)
    return drawings


def _walk(objects: list[int | None], outer: Matrix, depth: int, reading: _PageReading, drawings: Drawings) -> None:
    """Collect the paths and lone whitespace of these sibling objects, given by address (and of the
    forms among them)."""
    styles = reading.styles
    for index, address in enumerate(objects):
        if not address or address in styles:
            continue  # NULL, or a text object the text page read (most of a page's objects: not wrapped)
        obj = Handle(address)
        kind = _ObjGetType(obj)
        if kind == OBJ_PATH:
            _add_path(obj, outer, reading, drawings)
        elif kind == OBJ_TEXT:
            following = objects[index + 1] if index + 1 < len(objects) else None
            space = lone_whitespace(obj, Handle(following) if following else None, outer, reading)
            if space is not None:
                drawings.spaces.append(space)
        elif kind == OBJ_FORM and depth < FORM_DEPTH:
            matrix = compose(outer, reading.object_matrix(obj))
            count = int(_FormCountObjects(obj))
            reading.budget.spend(count)
            children = [_FormGetObject(obj, c_ulong(j)) for j in range(count)]
            _walk(children, matrix, depth + 1, reading, drawings)


def lone_whitespace(obj: Handle, following: Handle | None, outer: Matrix, reading: _PageReading) -> Obj | None:
    """The character of a text object that prints only whitespace, which pdfium's text page leaves out.

    pdfium skips a text object whose glyphs have no ink (a lone space drawn on its own,
    as spreadsheet exports draw an ideographic space between words); pdfminer keeps it,
    and the space is part of the printed text. pdfium does not say which character it
    was: we take the space (U+0020 or U+3000) whose advance in the object's font best
    matches the distance to the next text object on the same baseline (drawn right after
    it), and U+0020 when nothing tells.
    """
    left, _, right, _ = reading.bounds
    if not _ObjGetBounds(obj, *reading.bounds_refs) or right.value - left.value >= 0.01:
        return None  # not inkless: pdfium left it out as a duplicate (overprinted bold)
    a, b, c, d, e, f = compose(outer, reading.object_matrix(obj))
    size = c_float()
    if not _TextObjGetFontSize(obj, ctypes.byref(size)) or size.value <= 0:
        return None
    font_handle = _TextObjGetFont(obj) or 0
    font = reading.font(font_handle)
    style = reading.style((a, b, c, d), size.value, font_handle)
    text, advance = " ", font.space * size.value
    candidates = [(ch, width * size.value) for ch, width in ((" ", font.space), ("\u3000", font.ideographic_space)) if width > 0]
    measured = _distance_to(following, outer, (a, b, c, d, e, f), reading) if following else None
    if measured is not None and candidates:
        text, advance = min(candidates, key=lambda pair: abs(pair[1] - measured))
    elif candidates:
        text, advance = candidates[0]
    x0, top, x1, bottom = _char_box(style, reading.frame, e, f, advance)
    return {"text": text, "fontname": style.fontname, "size": bottom - top, "upright": style.upright,
            "x0": x0, "x1": x1, "top": top, "bottom": bottom}


def _distance_to(following: Handle, outer: Matrix, matrix: Matrix, reading: _PageReading) -> float | None:
    """How far along the baseline, in text space, the next text object starts (None: not on it)."""
    obj = following
    if _ObjGetType(obj) != OBJ_TEXT:
        return None
    a, b, c, d, e, f = matrix
    det = a * d - b * c
    if not det:
        return None
    _, _, _, _, ne, nf = compose(outer, reading.object_matrix(obj))
    # the next origin in this object's text space (the matrix inverted): along and across its baseline,
    # whichever way the baseline runs (content drawn turned)
    dx, dy = ne - e, nf - f
    along, across = (d * dx - c * dy) / det, (a * dy - b * dx) / det
    if abs(across) > 0.05 or along <= 0:
        return None
    return along


def _color(getter: Callable[..., int], obj: Handle, reading: _PageReading) -> tuple[float, ...] | None:
    """A paint colour as RGB in 0..1 (pdfium converts gray and CMYK), None when there is none."""
    if not getter(obj, *reading.rgba_refs):
        return None
    r, g, b, _alpha = reading.rgba
    return (r.value / 255, g.value / 255, b.value / 255)


# A path's segment as pdfium stores it (CFX_Path::Point): x and y as 32-bit floats, its type
# and its close flag as a byte each, padded to 12 bytes. A segment handle is the address of
# one in the path's array of them.
_SEGMENT = struct.Struct("=ffBB2x")
Segment = tuple[float, float, int, int]  # x, y (user space), type (SEG_*), closes its subpath


def path_segments(obj: Handle, count: int, reading: _PageReading) -> list[Segment]:
    """A path object's `count` segments: its array read in one go where it lies as `_SEGMENT` says,
    else segment by segment through the API.

    Reading a segment through the API costs three calls (its handle, its type, its point):
    a page's rulings are thousands of segments. The array is read only when
    `segments_readable` found pdfium's layout to be `_SEGMENT`'s and this path's first and
    last segments lie exactly `count - 1` segments apart (the array is contiguous).
    """
    if count <= 0:
        return []
    if segments_readable():
        first = _SegmentAddress(obj, 0)
        last = _SegmentAddress(obj, count - 1) if count > 1 else first
        if first and last and last - first == (count - 1) * _SEGMENT.size:
            return list(_SEGMENT.iter_unpack(ctypes.string_at(first, count * _SEGMENT.size)))
    return _api_segments(obj, count, reading)


def _api_segments(obj: Handle, count: int, reading: _PageReading) -> list[Segment]:
    """A path's segments through pdfium's API, one call per fact (a NULL segment is of no kind)."""
    x, y, x_ref, y_ref = reading.x, reading.y, reading.x_ref, reading.y_ref
    segments: list[Segment] = []
    for k in range(count):
        segment = _PathGetSegment(obj, k)
        if not segment:
            segments.append((0.0, 0.0, -1, 0))
            continue
        kind = int(_SegmentGetType(segment))
        if kind in (SEG_MOVETO, SEG_LINETO, SEG_BEZIERTO):
            _SegmentGetPoint(segment, x_ref, y_ref)
        else:
            x.value = y.value = 0.0
        segments.append((x.value, y.value, kind, 1 if _SegmentGetClose(segment) else 0))
    return segments


@functools.cache
def segments_readable() -> bool:
    """Whether pdfium lays a path's segments out as `_SEGMENT` says (checked once, on a path made here).

    The path holds every kind of segment and a closed subpath; its array must read as the
    API reads each segment, each segment `_SEGMENT.size` bytes after the one before.
    """
    with PDFIUM_LOCK:
        path = _CreateNewPath(c_float(1.5), c_float(2.25))
        if not path:
            return False
        try:
            _PathLineTo(path, c_float(10.125), c_float(-3.5))
            _PathBezierTo(path, *(c_float(v) for v in (11.0, 12.0, 13.0, 14.0, 15.0, 16.0)))
            _PathClose(path)
            _PathMoveTo(path, c_float(-7.75), c_float(8.0))
            _PathLineTo(path, c_float(9.0), c_float(1e6))
            count = int(_PathCountSegments(path))
            reading = _PageReading(frame_for(0.0, 0.0, 1.0, 1.0, 0), 0)
            expected = _api_segments(path, count, reading)
            addresses = [_SegmentAddress(path, k) for k in range(count)]
            if count < 6 or not all(addresses) or {kind for _, _, kind, _ in expected} != {SEG_MOVETO, SEG_LINETO, SEG_BEZIERTO}:
                return False
            if any(b - a != _SEGMENT.size for a, b in zip(addresses, addresses[1:])):
                return False
            return list(_SEGMENT.iter_unpack(ctypes.string_at(addresses[0], count * _SEGMENT.size))) == expected
        finally:
            _ObjDestroy(path)


def _add_path(obj: Handle, outer: Matrix, reading: _PageReading, drawings: Drawings) -> None:
    """Split a path object into pdfminer's shapes and add each to lines, rects or curves."""
    if not _PathGetDrawMode(obj, reading.mode_ref, reading.stroke_ref):
        return
    fill_mode, stroke = reading.mode.value, bool(reading.stroke.value)
    fill = fill_mode != FILL_NONE
    if not (fill or stroke):
        return
    matrix = reading.object_matrix(obj)
    to_page = compose(reading.to_page, matrix if outer is IDENTITY else compose(outer, matrix))
    count = int(_PathCountSegments(obj))
    reading.budget.spend(count)
    segments = path_segments(obj, count, reading)
    usual = usual_shape(segments, to_page)
    shapes = [usual] if usual is not None else [classify_subpath(ops) for ops in subpath_ops(segments, to_page)]
    paint: Obj = {
        "stroke": stroke,
        "fill": fill,
        "evenodd": fill_mode == FILL_EVENODD,
        "stroking_color": _color(_ObjGetStrokeColor, obj, reading) if stroke else None,
        "non_stroking_color": _color(_ObjGetFillColor, obj, reading) if fill else None,
    }
    frame, number, of_kind = reading.frame, reading.number, drawings.of_kind
    for kind_name, pts in shapes:
        of_kind[kind_name].append(_shape(kind_name, pts, paint, frame, number))


_RECT_KINDS = [SEG_MOVETO, SEG_LINETO, SEG_LINETO, SEG_LINETO, SEG_LINETO]
_KIND = operator.itemgetter(2)  # a `Segment`'s type


def usual_shape(segments: list[Segment], matrix: Matrix) -> tuple[str, list[Point]] | None:
    """A path that is one ruling (a move, a line) or one rect (pdfium's `re`) read as pdfminer does,
    straight from its segments; None for any other path (`subpath_ops`, `classify_subpath`).

    These are most of a sheet's paths: what the general steps make of them, without
    spelling out their ops (a flagged last point adds an `h`, which a ruling must not have).
    """
    a, b, c, d, e, f = matrix
    if len(segments) == 2:
        (x0, y0, kind0, _), (x1, y1, kind1, close) = segments
        if kind0 == SEG_MOVETO and kind1 == SEG_LINETO and not close:
            return "line", [(a * x0 + c * y0 + e, b * x0 + d * y0 + f), (a * x1 + c * y1 + e, b * x1 + d * y1 + f)]
    elif len(segments) == 5 and segments[4][3] and list(map(_KIND, segments)) == _RECT_KINDS:
        return _drawn_rect([(a * px + c * py + e, b * px + d * py + f) for px, py, _, _ in segments])
    return None


def subpath_ops(segments: list[Segment], matrix: Matrix) -> list[list[tuple[str, Point]]]:
    """A path's segments drawn through `matrix` as pdfminer's subpaths of ops ('m', 'l', 'c', 'h')."""
    a, b, c, d, e, f = matrix
    kinds = [segment[2] for segment in segments] + [SEG_MOVETO]
    subpaths: list[list[tuple[str, Point]]] = []
    ops: list[tuple[str, Point]] = []
    beziers = 0
    for k, (px, py, kind, close) in enumerate(segments):
        if kind == SEG_MOVETO:
            op, beziers = "m", 0
            if ops:
                subpaths.append(ops)
            ops = []
        elif kind == SEG_LINETO:
            op = "l"
        elif kind == SEG_BEZIERTO:
            beziers += 1
            if beziers % 3:
                continue  # a control point (pdfium gives a curve as three points): pdfminer keeps the end
            op = "c"
        else:
            continue
        point = (a * px + c * py + e, b * px + d * py + f)
        ops.append((op, point))
        if kinds[k + 1] == SEG_MOVETO and close:  # pdfium flags a closed subpath's last point
            ops.append(("h", point))
    if ops:
        subpaths.append(ops)
    # as pdfminer cuts a path: at each move (dropping a lone move), or whole when it has one
    # move; a path that does not begin with a move is not drawn
    if sum(1 for ops in subpaths if ops[0][0] == "m") > 1:
        subpaths = [ops for ops in subpaths if ops[0][0] == "m" and len(ops) > 1]
    elif subpaths and subpaths[0][0][0] != "m":
        subpaths = []
    return subpaths


def classify_subpath(ops: list[tuple[str, Point]]) -> tuple[str, list[Point]]:
    """pdfminer's reading of one subpath: 'line', 'rect' or 'curve', and its points.

    pdfium closes a subpath by flagging its last point, adding a line back to the start
    when the path is not there yet; pdfminer keeps an `h`, whose point is the start. So
    a flagged line that ends at the start is read as that `h`.
    """
    if len(ops) == 2 and ops[1][0] == "l":  # the usual ruling: one straight segment
        return "line", [ops[0][1], ops[1][1]]
    if len(ops) == 6 and ops[0][0] == "m" and ops[1][0] == ops[2][0] == ops[3][0] == ops[4][0] == "l" and ops[5][0] == "h":
        # the usual rect (pdfium's `re`), without spelling it out op by op below
        drawn = _drawn_rect([point for _, point in ops[:5]])
        if drawn is not None:
            return drawn
    start = ops[0][1]
    shape = ""
    pts: list[Point] = []
    for op, point in ops:
        if op == "h":
            if len(shape) > 1 and shape[-1] == "l" and pts[-1] == start:
                shape = shape[:-1]
                pts.pop()
            shape += "h"
            pts.append(start)
        else:
            shape += op
            pts.append(point)
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("ml", "mlh"):
        return "line", pts[:2]
    if shape in ("mlllh", "mllll"):
        return _quad(pts)
    return "curve", pts


def _drawn_rect(points: list[Point]) -> tuple[str, list[Point]] | None:
    """pdfium's `re` (a move and four lines, the last back to the start, flagged closed) as the
    general steps read it, straight from its five points; None when the points are not such a rect
    (the general steps then decide)."""
    p0, p1, p2, p3, p4 = points
    if p4 == p0 and p3 != p0:
        return _quad([p0, p1, p2, p3, p0])
    return None


def _quad(pts: list[Point]) -> tuple[str, list[Point]]:
    """pdfminer's reading of four sides (five points): a rect when closed and upright, else a curve."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
    square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
    if pts[0] == pts[4] and square:
        return "rect", [(x0, y0), (x2, y0), (x2, y2), (x0, y2)]
    return "curve", pts


def _shape(kind: str, pts: list[Point], paint: Obj, frame: Frame, page_number: int) -> Obj:
    """A line, rect or curve dict as pdfplumber makes it."""
    xs, tops = zip(*pts)
    x0, x1, top, bottom = min(xs), max(xs), min(tops), max(tops)
    return {
        "object_type": kind,
        "page_number": page_number,
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "y0": frame.height - bottom,
        "y1": frame.height - top,
        "width": x1 - x0,
        "height": bottom - top,
        "pts": pts,
        **paint,
    }
