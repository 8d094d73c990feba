"""Opening a file as a PDF, and saying clearly why when it cannot be read.

Every reason a user's file is refused is a `DocumentError` whose message is one line a
person can act on, whichever reader (pdfium or pdfplumber) opened it. Nothing here
raises anything else for a bad file.
"""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pypdfium2.raw as pdfium_c
from pypdfium2 import PdfiumError

from hyoka.identity import sha256_hex  # noqa: F401 - re-exported: the document id belongs with opening a file
from hyoka.extractors.failures import DAMAGED, EMPTY, ENCRYPTED, NOT_PDF, TRUNCATED, UNREADABLE
from hyoka.extractors.errors import DocumentError
from hyoka.extractors.pages import DEFAULT_READER, PageSource, Reader, open_pages

if TYPE_CHECKING:
    import pdfplumber

# Where a PDF's header must appear, and how far from the end its %%EOF may sit.
HEADER_WINDOW = 1024
TRAILER_WINDOW = 4096


def check_pdf_bytes(data: bytes) -> None:
    """Refuse bytes that are empty, not a PDF, or cut short, before parsing them."""
    if not data:
        raise DocumentError(f"{EMPTY.reason} (0 bytes)", "re-download or re-export the PDF")
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        # repr() alone escapes what cannot be shown (\n, \x00) once; an escape before it doubled every backslash
        start = data[:64].decode("utf-8", "replace")[:16]  # 16 characters, not a character cut in half
        raise DocumentError(f"{NOT_PDF.reason} (the file starts with {start!r})", "hyoka reads PDF files only")
    if b"%%EOF" not in data[-TRAILER_WINDOW:]:
        raise DocumentError(f"{TRUNCATED.reason} (no %%EOF at the end of the file)", "the download or copy was cut short: fetch the file again")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (pdfplumber wraps pdfminer's errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException):
                yield arg
        current = current.__cause__ or current.__context__


# pdfium's load errors that mean the file is locked, and those that mean it is damaged
PDFIUM_LOCKED = {pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY}
PDFIUM_DAMAGED = {pdfium_c.FPDF_ERR_FORMAT, pdfium_c.FPDF_ERR_PAGE}


def pdfminer_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """pdfminer's exceptions that mean (locked, damaged); none when pdfminer was never imported:
    then none can have been raised, and a run with the pdfium reader need not import it (~13 MiB)."""
    if "pdfminer.psparser" not in sys.modules:
        return (), ()
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    return (PDFPasswordIncorrect, PDFEncryptionError), (PDFSyntaxError, PSException)


def classify_open_error(exc: BaseException) -> DocumentError:
    """A one-line `DocumentError` for whatever went wrong while opening a PDF."""
    causes = list(_causes(exc))
    pdfium_codes = {c.err_code for c in causes if isinstance(c, PdfiumError)}
    locked, damaged = pdfminer_errors()
    if (
        pdfium_codes & PDFIUM_LOCKED
        or any(isinstance(c, locked) for c in causes)
        or any("password" in str(c).lower() or "encrypt" in str(c).lower() for c in causes)
    ):
        return DocumentError(f"{ENCRYPTED.reason} (a password is needed to open it)", "save an unprotected copy and ingest that")
    root = causes[-1]
    detail = " ".join(f"{type(root).__name__}: {root}".split()).rstrip(":")
    if pdfium_codes & PDFIUM_DAMAGED or any(isinstance(c, damaged) for c in causes):
        return DocumentError(f"{DAMAGED.reason} ({detail})", "re-export the PDF from its source")
    return DocumentError(f"{UNREADABLE.reason} ({detail})", "re-export the PDF from its source")


@contextmanager
def open_document(data: bytes, reader: Reader = DEFAULT_READER, max_objects: int | None = None) -> Iterator[PageSource]:
    """Open PDF bytes with a reader: its `page_count`, and `read(n)` for page n's objects.

    Every failure to open becomes a `DocumentError` (empty, not a PDF, truncated,
    encrypted, damaged); a page that cannot be read raises from `read`, for the caller
    to skip (`PageTooBusy` for a page of more than `max_objects` objects).
    """
    check_pdf_bytes(data)
    try:
        source = open_pages(data, Reader(reader), max_objects)
    except Exception as exc:  # pdfium raises PdfiumError; pdfminer raises many kinds, wrapped by pdfplumber
        raise classify_open_error(exc) from exc
    try:
        yield source
    finally:
        source.close()


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfplumber.PDF]:
    """Open PDF bytes with pdfplumber, turning every parser failure into a `DocumentError`."""
    import pdfplumber  # the reference reader: imported by the runs that use it

    check_pdf_bytes(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many kinds on broken files; pdfplumber wraps them
        raise classify_open_error(exc) from exc
    try:
        yield pdf
    finally:
        pdf.close()
