"""Builders for a corpus of bad files, made in memory at test time (nothing is stored in the repo).

Each builder returns the file's bytes. Big ones (the bombs) are built by streaming, never holding the
inflated content, and cached for the session.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import unicodedata
import zipfile
import zlib

import openpyxl

# --- ZIP writing with full control over the headers ----------------------------------------------


def raw_zip(entries: list[tuple[str, bytes, int, int]], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP from (name, compressed data, crc, declared uncompressed size) — sizes may lie."""
    out = io.BytesIO()
    central = []
    for name, comp, crc, usize in entries:
        name_b = name.encode()
        offset = out.tell()
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, method, 0, 0x21, crc, len(comp), usize,
                              len(name_b), 0))
        out.write(name_b)
        out.write(comp)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, method, 0, 0x21, crc,
                                   len(comp), usize, len(name_b), 0, 0, 0, 0, 0, offset) + name_b)
    cd_start = out.tell()
    for rec in central:
        out.write(rec)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), cd_size, cd_start, 0))
    return out.getvalue()


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def entry(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    return name, deflate(data), zlib.crc32(data), len(data)


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Biểu 1" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    b'Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"
EMPTY_SST = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'
)


def handmade_xlsx(sheet_data: bytes, sst: bytes = EMPTY_SST, *, prolog: bytes = b"") -> bytes:
    """A minimal xlsx written by hand: ``sheet_data`` goes inside <sheetData>."""
    sheet = SHEET_HEAD + sheet_data + SHEET_TAIL
    if prolog:
        sheet = sheet.replace(b"<worksheet", prolog + b"<worksheet", 1)
    return raw_zip([
        entry("[Content_Types].xml", CONTENT_TYPES),
        entry("_rels/.rels", ROOT_RELS),
        entry("xl/workbook.xml", WORKBOOK),
        entry("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        entry("xl/worksheets/sheet1.xml", sheet),
        entry("xl/sharedStrings.xml", sst),
    ])


# --- real files -----------------------------------------------------------------------------------


@functools.cache
def small_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Biểu 1"
    ws.append(["STT", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Nữ"])
    for i in range(1, 41):
        ws.append([i, f"Chi bộ số {i}", 100 + i, 30 + i])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@functools.cache
def small_xls() -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Biểu 1")
    ws.write(0, 0, "Tên tổ chức cơ sở đảng")
    for i in range(1, 300):
        ws.write(i, 0, f"Chi bộ số {i}")
        ws.write(i, 1, 100 + i)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- the corpus -----------------------------------------------------------------------------------


def random_bytes(n: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def empty() -> bytes:
    return b""


def pdf() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"0" * 200


def png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 120


def gzip_file() -> bytes:
    import gzip

    return gzip.compress("Tổng số đảng viên;7.841\n".encode())


def truncated_xlsx() -> bytes:
    data = small_xlsx()
    return data[: len(data) // 2]


def truncated_xls() -> bytes:
    data = small_xls()
    return data[: len(data) // 2 + 100]


def garbage_zip() -> bytes:
    """An xlsx-shaped ZIP whose parts are random bytes."""
    rnd = random.Random(3)
    return raw_zip([entry(name, rnd.randbytes(2000)) for name in (
        "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
        "xl/worksheets/sheet1.xml")])


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bao-cao.txt", "Tổng số đảng viên: 7.841")
    return buf.getvalue()


def docx_like() -> bytes:
    types = CONTENT_TYPES.replace(
        b"spreadsheetml.sheet.main+xml", b"wordprocessingml.document.main+xml"
    )
    return raw_zip([entry("[Content_Types].xml", types), entry("word/document.xml", b"<w:document/>")])


def bad_crc_xlsx() -> bytes:
    """A real xlsx with the sheet's CRC changed in both its local and central headers."""
    data = bytearray(small_xlsx())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    wrong = struct.pack("<I", info.CRC ^ 0xFFFF)
    data[info.header_offset + 14 : info.header_offset + 18] = wrong
    pos = bytes(data).find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == b"xl/worksheets/sheet1.xml":
            data[pos + 16 : pos + 20] = wrong
        pos = bytes(data).find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def _noise(n: int) -> bytes:
    rng = random.Random(1)
    return bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def _bomb_stream(total: int, noise: int = 0) -> tuple[bytes, int]:
    """Deflate of SHEET_HEAD + `total` bytes of spaces + SHEET_TAIL, built from one repeated flushed block.

    ``noise`` random letters per MiB make the file bigger (≈ noise bytes per MiB compressed).
    """
    letters = _noise(noise)
    block = letters + b" " * ((1 << 20) - noise)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(SHEET_HEAD) + comp.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor forgets its history, so every block compresses the same.
    first = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    second = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    assert first == second
    tail = comp.compress(SHEET_TAIL) + comp.flush()
    n = total // len(block)
    crc = zlib.crc32(SHEET_HEAD)
    for _ in range(n):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(SHEET_TAIL, crc)
    return head + first * n + tail, crc


@functools.cache
def _bomb(total: int, noise: int = 0) -> tuple[bytes, int, int]:
    stream, crc = _bomb_stream(total, noise)
    size = len(SHEET_HEAD) + (total // (1 << 20)) * (1 << 20) + len(SHEET_TAIL)
    return stream, crc, size


def _bomb_zip(stream: bytes, crc: int, declared: int) -> bytes:
    return raw_zip([
        entry("[Content_Types].xml", CONTENT_TYPES),
        entry("_rels/.rels", ROOT_RELS),
        entry("xl/workbook.xml", WORKBOOK),
        entry("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", stream, crc, declared),
        entry("xl/sharedStrings.xml", EMPTY_SST),
    ])


def zip_bomb(total: int = 1 << 30, noise: int = 0) -> bytes:
    """An xlsx whose sheet honestly declares that it inflates to ~1 GB (from about 1 MB; 3 MB with noise=2900)."""
    stream, crc, size = _bomb(total, noise)
    return _bomb_zip(stream, crc, size)


def lying_bomb(total: int = 1 << 30, declared: int = 100_000, noise: int = 0) -> bytes:
    """The same bomb with local and central headers patched to declare 100 KB."""
    stream, crc, _ = _bomb(total, noise)
    return _bomb_zip(stream, crc, declared)


def lying_bomb_forged_crc(total: int = 1 << 30, declared: int = 1 << 20, noise: int = 0) -> bytes:
    """A lying bomb whose CRC is that of its first `declared` bytes: zipfile alone would accept it."""
    stream, _, _ = _bomb(total, noise)
    letters = _noise(noise)
    prefix = (SHEET_HEAD + letters + b" " * declared)[:declared]
    return _bomb_zip(stream, zlib.crc32(prefix), declared)


def ratio_bomb() -> bytes:
    """A 300 MB sheet declared honestly, under the part limit, but compressed 1000:1."""
    stream, crc, size = _bomb(300 << 20)
    return _bomb_zip(stream, crc, size)


def encrypted_xlsx(password: str = "matkhau") -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(small_xlsx())).encrypt(password, out)
    return out.getvalue()


ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    b'<manifest:file-entry manifest:full-path="/" '
    b'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"</manifest:manifest>"
)


def ods_content(table_body: bytes, name: bytes = "Biểu 1".encode()) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        b'<office:body><office:spreadsheet><table:table table:name="' + name + b'">' + table_body
        + b"</table:table></office:spreadsheet></office:body></office:document-content>"
    )


def handmade_ods(content: bytes, manifest: bytes = ODS_MANIFEST) -> bytes:
    return _ods_zip(content, manifest)


def _ods_zip(content: bytes, manifest: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def encrypted_ods() -> bytes:
    manifest = ODS_MANIFEST.replace(
        b'manifest:media-type="text/xml"/>',
        b'manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K" '
        b'manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
        b'manifest:initialisation-vector="AAAA"/></manifest:encryption-data></manifest:file-entry>',
    )
    cell = b'<table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row>'
    return _ods_zip(ods_content(cell), manifest)


def ods_repeat_bomb() -> bytes:
    """A 1 KB ODS whose one cell is repeated 16.384 columns × 1.048.576 rows."""
    body = (
        b'<table:table-row table:number-rows-repeated="1048576">'
        b'<table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1">'
        b"<text:p>1</text:p></table:table-cell></table:table-row>"
    )
    return _ods_zip(ods_content(body), ODS_MANIFEST)


def ods_text_bomb() -> bytes:
    """One cell whose text holds a <text:s text:c="…"/> of a billion spaces."""
    body = (
        b'<table:table-row><table:table-cell office:value-type="string">'
        b'<text:p>a<text:s text:c="1000000000"/>b</text:p></table:table-cell></table:table-row>'
    )
    return _ods_zip(ods_content(body), ODS_MANIFEST)


BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "' % i + (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10 + b'">\n' for i in range(1, 10)
    )
    + b"]>\n"
)


def billion_laughs_sst() -> bytes:
    sst = BILLION_LAUGHS + (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&lol9;</t></si></sst>"
    )
    return handmade_xlsx(b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>', sst)


def doctype_in_sheet() -> bytes:
    return handmade_xlsx(
        b'<row r="1"><c r="A1" t="n"><v>1</v></c></row>',
        prolog=b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )


def sparse_grid_bomb() -> bytes:
    """Two cells, A1 and XFD1048576: calamine would allocate 17 billion cells and abort the process."""
    return handmade_xlsx(
        b'<row r="1"><c r="A1" t="n"><v>1</v></c></row>'
        b'<row r="1048576"><c r="XFD1048576" t="n"><v>2</v></c></row>'
    )


def implicit_position_bomb() -> bytes:
    """Far cells reached without any r attribute: 90.000 empty rows, then a row of 200 cells."""
    return handmade_xlsx(b"<row><c><v>1</v></c></row>" + b"<row></row>" * 90_000 + b"<row>" + b"<c><v>1</v></c>" * 200
                         + b"</row>")


def overflowing_reference() -> bytes:
    """A row number that overflows calamine's u32 (it then allocates ~40 GB)."""
    return handmade_xlsx(b'<row r="1"><c r="A1"><v>1</v></c><c r="B99999999999"><v>2</v></c></row>')


def shared_string_bomb(cells: int = 3000, length: int = 1_000_000) -> bytes:
    """A 13 KB file: one 1 MB shared string used by 3.000 cells (calamine copies it into each: 3 GB)."""
    sst = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>" + b"x" * length + b"</t></si></sst>"
    )
    rows = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (i, i) for i in range(1, cells + 1))
    return handmade_xlsx(rows, sst)


def html_as_xls() -> bytes:
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">\n<head><meta charset="utf-8"></head>'
        "<body><table><tr><td>Tên tổ chức</td><td>Tổng số đảng viên</td></tr>"
        "<tr><td>Chi bộ 1</td><td>7.841</td></tr></table></body></html>"
    ).encode()


def doctype_html_as_xls() -> bytes:
    return b"\xef\xbb\xbf  <!DOCTYPE html>\n<html><body><table></table></body></html>"


def spreadsheetml_2003() -> bytes:
    return (
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">\n'
        '<Worksheet ss:Name="Biểu 1"><Table><Row><Cell><Data ss:Type="String">Tổng số</Data></Cell></Row>'
        "</Table></Worksheet></Workbook>"
    ).encode()


def mhtml_as_xls() -> bytes:
    return (
        b'MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\nContent-Type: multipart/related; boundary="----=_NextPart"'
        b"\r\n\r\n------=_NextPart\r\nContent-Type: text/html\r\n\r\n<html></html>\r\n"
    )


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes: base letters precomposed (ô, ơ, ư, ă, đ), tone marks as combining characters."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out.append(base + "".join(c for c in parts if c in _TONES))
    return "".join(out).encode("cp1258")


def cp1258_csv() -> bytes:
    """A CSV saved by old Vietnamese Windows software: Windows-1258, not UTF-8."""
    return to_cp1258("Tên tổ chức;Tổng số đảng viên\nĐảng bộ xã Hòa Phú;7.841\nChi bộ Tân Lập;105\n")


def latin1_csv() -> bytes:
    return "Nom;Valeur\nCafé;12\nÉté;13\n".encode("latin-1")


@functools.cache
def many_sheets(n: int = 201) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    for i in range(n):
        ws = wb.create_sheet(f"Trang {i + 1}")
        ws.append([i])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls_corner_bomb() -> bytes:
    """A 6 KB xls with cells at A1 and IV65536: calamine builds a 16,7 M-cell grid (about 1 GB)."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Biểu")
    ws.write(0, 0, 1)
    ws.write(65535, 255, 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _patch_workbook_stream(data: bytes, patch) -> bytes:
    """Rewrite the Workbook stream of an xls in place (same length) through olefile."""
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(data), write_mode=True)
    stream = bytearray(ole.openstream("Workbook").read())
    patch(stream)
    ole.write_stream("Workbook", bytes(stream))
    ole.fp.seek(0)
    out = ole.fp.read()
    ole.close()
    return out


def _find_record(stream: bytearray, typ: int) -> int:
    pos = 0
    while pos + 4 <= len(stream):
        t, size = struct.unpack_from("<HH", stream, pos)
        if t == typ:
            return pos
        pos += 4 + size
    raise LookupError(typ)


def xls_dimension_bomb() -> bytes:
    """An xls whose DIMENSIONS record claims 65536 rows × 256 columns (calamine reserves them up front)."""

    def patch(stream: bytearray) -> None:
        pos = _find_record(stream, 0x0200)
        size = struct.unpack_from("<H", stream, pos + 2)[0]
        if size == 14:
            struct.pack_into("<IIHH", stream, pos + 4, 0, 65536, 0, 256)
        else:
            struct.pack_into("<HHHH", stream, pos + 4, 0, 65535, 0, 256)

    return _patch_workbook_stream(small_xls(), patch)


def xls_sst_count_bomb() -> bytes:
    """An xls whose shared-string table claims 2³¹−1 strings (calamine reserves them up front)."""

    def patch(stream: bytearray) -> None:
        pos = _find_record(stream, 0x00FC)
        struct.pack_into("<i", stream, pos + 8, 2**31 - 1)

    return _patch_workbook_stream(small_xls(), patch)


def word_ole() -> bytes:
    """An OLE2 compound file holding a WordDocument stream, not a workbook."""
    data = bytearray(small_xls())
    # rename the "Workbook" directory entry to "WordDocument" (same UTF-16 length field updated)
    old = "Workbook".encode("utf-16-le")
    new = "WordDocument".encode("utf-16-le")
    pos = bytes(data).find(old)
    data[pos : pos + 64] = (new + b"\x00\x00").ljust(64, b"\x00")
    struct.pack_into("<H", data, pos + 64, len(new) + 2)
    return bytes(data)
