"""Opening a file as a PDF, and saying clearly why when it cannot be read.

Every reason a user's file is refused is a `DocumentError` whose message is one line a
person can act on. Nothing here raises anything else for a bad file.
"""

from __future__ import annotations

import hashlib
import io
from contextlib import contextmanager
from typing import Iterator

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException

# Where a PDF's header must appear, and how far from the end its %%EOF may sit.
HEADER_WINDOW = 1024
TRAILER_WINDOW = 4096


class DocumentError(Exception):
    """A file that cannot be read as a document; the message says why, in one line."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.reason} — {self.hint}" if self.hint else self.reason


def sha256_hex(data: bytes) -> str:
    """The document id: the sha256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()


def check_pdf_bytes(data: bytes) -> None:
    """Refuse bytes that are empty, not a PDF, or cut short, before parsing them."""
    if not data:
        raise DocumentError("empty file (0 bytes)", "re-download or re-export the PDF")
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        start = data[:16].decode("latin-1", "replace").encode("unicode_escape").decode("ascii")
        raise DocumentError(f"not a PDF (the file starts with {start!r})", "hyoka reads PDF files only")
    if b"%%EOF" not in data[-TRAILER_WINDOW:]:
        raise DocumentError("truncated PDF (no %%EOF at the end of the file)", "the download or copy was cut short: fetch the file again")


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfplumber.PDF]:
    """Open PDF bytes with pdfplumber, turning every parser failure into a `DocumentError`."""
    check_pdf_bytes(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise DocumentError("encrypted PDF (a password is needed to open it)", "save an unprotected copy and ingest that") from exc
    except (PDFSyntaxError, PSException) as exc:
        raise DocumentError(f"damaged PDF ({type(exc).__name__}: {exc})", "re-export the PDF from its source") from exc
    except Exception as exc:  # pdfminer raises many kinds on broken files
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise DocumentError("encrypted PDF (a password is needed to open it)", "save an unprotected copy and ingest that") from exc
        raise DocumentError(f"unreadable PDF ({type(exc).__name__}: {exc})", "re-export the PDF from its source") from exc
    try:
        yield pdf
    finally:
        pdf.close()
