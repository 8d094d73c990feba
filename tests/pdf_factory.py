"""Small PDFs made on the spot for tests: broken files, scanned pages, books of pages."""

from __future__ import annotations

import io
import zipfile
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


# ---- the same pages turned and moved (what the readers must read like the upright page) ----

# a quarter turn counter-clockwise, as an exact matrix per angle (cos/sin would leave 1e-16
# where the rulings need 0, and no real generator writes those)
_TURN_CCW = {90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def rotated_copy(source: Path, degrees: int) -> bytes:
    """Every page with /Rotate `degrees` added: the sheet is displayed turned clockwise."""
    writer = PdfWriter(clone_from=str(source))
    for page in writer.pages:
        page.rotate(degrees)
    return _written(writer)


def drawn_turned_copy(source: Path, degrees: int, rotate: int = 0) -> bytes:
    """Every page's content drawn turned `degrees` counter-clockwise on a page that fits it, then /Rotate `rotate`.

    `drawn_turned_copy(p, 90)`: a landscape sheet stored sideways on a portrait page;
    `drawn_turned_copy(p, 90, rotate=90)`: the same, displayed upright by its /Rotate.
    """
    from pypdf import Transformation
    from pypdf.generic import RectangleObject

    writer = PdfWriter(clone_from=str(source))
    for page in writer.pages:
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        page.add_transformation(Transformation((1, 0, 0, 1, -float(box.left), -float(box.bottom))))
        shift = {90: (height, 0), 180: (width, height), 270: (0, width)}[degrees]
        page.add_transformation(Transformation((*_TURN_CCW[degrees], *shift)))
        page.mediabox = RectangleObject([0, 0, width, height] if degrees == 180 else [0, 0, height, width])
        if "/CropBox" in page:
            del page["/CropBox"]
        if rotate:
            page.rotate(rotate)
    return _written(writer)


def moved_copy(source: Path, dx: float, dy: float, *, invert: bool = False, crop: float = 0.0, rotate: int = 0) -> bytes:
    """Every page's content and MediaBox moved by (dx, dy): a negative or offset MediaBox.

    `invert`: the MediaBox written from its top-right corner; `crop`: a CropBox inset this
    much; `rotate`: a /Rotate added as well.
    """
    from pypdf import Transformation
    from pypdf.generic import RectangleObject

    writer = PdfWriter(clone_from=str(source))
    for page in writer.pages:
        page.add_transformation(Transformation((1, 0, 0, 1, dx, dy)))
        box = page.mediabox
        left, bottom, right, top = float(box.left) + dx, float(box.bottom) + dy, float(box.right) + dx, float(box.top) + dy
        page.mediabox = RectangleObject([right, top, left, bottom] if invert else [left, bottom, right, top])
        if "/CropBox" in page:
            del page["/CropBox"]
        if crop:
            page.cropbox = RectangleObject([left + crop, bottom + crop, right - crop, top - crop])
        if rotate:
            page.rotate(rotate)
    return _written(writer)


def huge_page_pdf(side: float = 14_400.0) -> bytes:
    """One page of side × side points (14,400 is the most a PDF page may be) with a small ruled
    table at its top left: two rows of three cells, 150 × 20 pt each, from (100, 100)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(side, side))
    for i in range(3):
        pdf.line(100, side - 100 - 20 * i, 550, side - 100 - 20 * i)
    for j in range(4):
        pdf.line(100 + 150 * j, side - 100, 100 + 150 * j, side - 140)
    pdf.setFont("Helvetica", 12)
    pdf.drawString(110, side - 115, "12,345")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# ---- text layers that are not what they seem ------------------------------------------


def _junk_to_unicode(two_bytes: bool) -> bytes:
    """A ToUnicode CMap sending every code to the private use area (E000–F7FF), as a broken export does."""
    if two_bytes:
        space = "<0000> <FFFF>"
        ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{0xE000 + (hi % 24) * 256:04X}>" for hi in range(256)]
    else:
        space, ranges = "<00> <FF>", ["<00> <FF> <E000>"]
    blocks = "\n".join(f"{len(ranges[i:i + 100])} beginbfrange\n" + "\n".join(ranges[i:i + 100]) + "\nendbfrange"
                       for i in range(0, len(ranges), 100))
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Junk def\n/CMapType 2 def\n"
            f"1 begincodespacerange\n{space}\nendcodespacerange\n{blocks}\nendcmap\n"
            "CMapName currentdict /CMap defineresource pop\nend\nend\n").encode()


def garbled_copy(source: Path, *, drop: bool = False) -> bytes:
    """The source with fonts whose text maps to junk: each ToUnicode CMap rewritten to the private
    use area, or (`drop`) removed, so that the readers fall back on raw glyph codes. The pages
    look the same; their text layer does not."""
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=str(source))
    for page in writer.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if drop:
                font.pop(NameObject("/ToUnicode"), None)
                continue
            stream = DecodedStreamObject()
            stream.set_data(_junk_to_unicode(font["/Subtype"] == "/Type0"))
            font[NameObject("/ToUnicode")] = writer._add_object(stream)
    return _written(writer)


# painting operators of paths: replaced by `n` (end the path unpainted) to take the rulings out
_PAINT = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}


def ocr_layered_copy(source: Path, *, rulings: bool = True, dpi: int = 50) -> bytes:
    """The source as an OCR tool leaves a scan: each page an image, its text laid over it invisible
    (render mode 3). `rulings=False` takes the drawn rulings out too (an OCR tool draws none)."""
    import pypdfium2
    from pypdf import PageObject
    from pypdf.generic import ContentStream, NameObject, NumberObject
    from reportlab.lib.utils import ImageReader

    rendered = pypdfium2.PdfDocument(source.read_bytes())
    images = []
    for page in rendered:
        images.append((page.render(scale=dpi / 72).to_pil(), page.get_width(), page.get_height()))
        page.close()
    rendered.close()
    buffer = io.BytesIO()
    scans = canvas.Canvas(buffer)
    for image, width, height in images:
        scans.setPageSize((width, height))
        scans.drawImage(ImageReader(image), 0, 0, width, height)
        scans.showPage()
    scans.save()
    writer = PdfWriter(clone_from=io.BytesIO(buffer.getvalue()))
    text = PdfWriter(clone_from=str(source))
    for scan, page in zip(writer.pages, text.pages):
        content = ContentStream(page.get_contents(), text)
        operations = []
        for operands, operator in content.operations:
            if operator == b"Tr":
                continue  # the source's own render modes: all text is invisible here
            operations.append(([], b"n") if not rulings and operator in _PAINT else (operands, operator))
            if operator == b"BT":
                operations.append(([NumberObject(3)], b"Tr"))
        content.operations = operations
        page.replace_contents(content)
        overlay: PageObject = page
        scan.merge_page(overlay)
        scan[NameObject("/MediaBox")] = page.mediabox
    return _written(writer)


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


def xlsx_bomb(rows: int = 200_000, cols: int = 50) -> bytes:
    """A workbook of a few MiB whose one sheet holds rows × cols numbers (10 million by default):
    its XML inflates to hundreds of MiB, its cells to more in a reader's memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        row = "".join(f'<c t="n"><v>{j}</v></c>' for j in range(cols))
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            block = ("<row>" + row + "</row>").encode() * 1000
            for _ in range(rows // 1000):
                f.write(block)
            f.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def scanned_copy(source: Path | bytes, dpi: int = 200, skew: float = 0.0) -> bytes:
    """The source as a scanner gives it: each page rendered at `dpi` and rebuilt as an image-only PDF (no text, no drawings);
    `skew`: the sheet fed in turned by this many degrees (counter-clockwise)."""
    import pypdfium2
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    rendered = pypdfium2.PdfDocument(source.read_bytes() if isinstance(source, Path) else source)
    buffer = io.BytesIO()
    scans = canvas.Canvas(buffer)
    try:
        for page in rendered:
            width, height = page.get_size()
            image = page.render(scale=dpi / 72, rotation=0).to_pil().convert("L")  # a grey scan
            if skew:
                image = image.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
            page.close()
            scans.setPageSize((width, height))
            scans.drawImage(ImageReader(image), 0, 0, width, height)
            scans.showPage()
    finally:
        rendered.close()
    scans.save()
    return buffer.getvalue()


def ruled_table_pdf(rows: list[list[str]], *, title: str = "", cell: tuple[float, float] = (110.0, 40.0),
                    size: float = 11.0) -> bytes:
    """A one-page PDF with a ruled table (each cell's text on lines split at "\\n") and a title above it, in IPAexGothic."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from synth.kpi_list import font_path

    font = "TableIPAexGothic"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, str(font_path())))
    width, height = A4
    left, top = 60.0, height - 120.0
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setFont(font, size + 3)
        pdf.drawString(left, top + 24, title)
    pdf.setFont(font, size)
    pdf.setLineWidth(0.8)
    columns = max(len(row) for row in rows)
    w, h = cell
    for r, row in enumerate(rows):
        for c in range(columns):
            x, y = left + c * w, top - (r + 1) * h
            pdf.rect(x, y, w, h, stroke=1, fill=0)
            lines = (row[c] if c < len(row) else "").split("\n")
            for i, line in enumerate(lines):
                pdf.drawString(x + 6, y + h - 4 - size - i * (size + 3), line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
