"""Small PDFs made on the spot for tests: broken files, scanned pages, books of pages."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with some ASCII text (a document of no known template)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4))
    for i, line in enumerate(lines):
        pdf.drawString(72, 500 - 20 * i, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def scanned_pdf(pages: int = 2) -> bytes:
    """A PDF whose pages carry only drawings, no text layer (like a scan)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4))
    for _ in range(pages):
        for i in range(10):
            pdf.rect(40 + 70 * i, 100, 60, 300, fill=i % 2)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_copy(source: Path, password: str = "secret") -> bytes:
    """The source PDF protected with a user password."""
    writer = PdfWriter(clone_from=PdfReader(str(source)))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def book(pages: list[tuple[Path | bytes, int]]) -> bytes:
    """A PDF made of the given (file, page number from 1) in order."""
    writer = PdfWriter()
    for source, page_no in pages:
        reader = PdfReader(io.BytesIO(source) if isinstance(source, bytes) else str(source))
        writer.add_page(reader.pages[page_no - 1])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
