"""Small PDFs made on the spot for tests: broken files, scanned pages, books of pages."""

from __future__ import annotations

import io
import zlib
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


# --------------------------------------------------------------------------------------
# Hostile PDFs, written by hand: small files that ask a reader for a great deal
# --------------------------------------------------------------------------------------


def raw_pdf(pages: list[bytes], *, content_filter: bytes = b"", shared_content: bool = False) -> bytes:
    """A PDF of one page per content stream (already encoded with `content_filter`, e.g. b"/FlateDecode").

    With `shared_content`, every page draws the first stream: a book of thousands of pages
    stays a few KiB.
    """
    count = len(pages)
    streams = pages[:1] if shared_content else pages
    first_page, first_stream = 3, 3 + count
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [%s] >>" % (count, b" ".join(b"%d 0 R" % (first_page + i) for i in range(count))),
    ]
    for i in range(count):
        content = first_stream + (0 if shared_content else i)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>" % content)
    for data in streams:
        filters = b" /Filter %s" % content_filter if content_filter else b""
        objects.append(b"<< /Length %d%s >>\nstream\n" % (len(data), filters) + data + b"\nendstream")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def zeros_deflated(size: int) -> bytes:
    """A zlib stream of `size` zero bytes, made without ever holding them: a block compressed
    once after a full flush is the same bytes every time, so it is repeated."""
    block = 16 << 20
    assert size % block == 0, "a whole number of 16 MiB blocks"
    compressor = zlib.compressobj(9)
    head = compressor.compress(b"") + compressor.flush(zlib.Z_FULL_FLUSH)  # the 2-byte zlib header
    body = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = (size % 65521) << 16 | 1  # Adler-32 of zeros: the sum stays 1, the sum of sums counts them
    tail = b"\x03\x00" + checksum.to_bytes(4, "big")  # an empty final block, then the checksum
    return head + body * (size // block) + tail


def decompression_bomb(size: int = 4 << 30) -> bytes:
    """A one-page PDF of a few KiB whose content stream inflates to `size` bytes (Flate over Flate)."""
    inner = zeros_deflated(size)
    return raw_pdf([zlib.compress(inner, 9)], content_filter=b"[/FlateDecode /FlateDecode]")


def many_pages(count: int = 5000) -> bytes:
    """A PDF of `count` pages that all draw one short line of text."""
    return raw_pdf([b"BT /F1 12 Tf 72 720 Td (page) Tj ET"] * count, shared_content=True)


def busy_page(objects: int = 200_000) -> bytes:
    """A one-page PDF drawing `objects` tiny filled rectangles (its content stream compressed)."""
    ops = b"".join(b"%d %d 1 1 re f\n" % (i % 500, i // 500 % 800) for i in range(objects))
    return raw_pdf([zlib.compress(ops, 6)], content_filter=b"/FlateDecode")
