"""Read an uploaded spreadsheet's bytes into a :class:`~loaders.model.Workbook` of raw cell grids.

``read_workbook(data, filename, limits)`` is the only entry point. It

* decides the format from the content, never from the extension alone (xlsx bytes named .xls read
  as xlsx; an HTML page named .xls is refused with advice to save it as .xlsx);
* runs :mod:`loaders.safety` before any parser inflates anything;
* reads xlsx, xlsm, xlsb, xls and ods with python-calamine, CSV and text with the csv module;
* raises :class:`~loaders.model.UnreadableFileError` — one sentence in Vietnamese and one in English,
  naming the file — for anything it cannot read, and no other exception, whatever the bytes.

Macros: an .xlsm (or an .xls with VBA) is read for its cell values only. calamine has no VBA or
formula engine, so no macro ever runs and no formula is recalculated; the values are those Excel
cached when the file was saved.

Values are kept as the reader gives them: numbers as int or float, text as str, booleans, dates,
datetimes, times and durations; empty cells are None; Excel error cells are strings such as "#REF!".
Nothing is written to disk and the bytes are not kept after the call returns.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from loaders import safety
from loaders.model import Limits, SheetGrid, UnreadableFileError, Workbook
from loaders.safety import refuse
from loaders.text import a1

_DEFAULT_LIMITS = Limits()

# Signatures of files that are certainly not spreadsheets: (prefix, (Vietnamese, English) kind).
_NOT_SPREADSHEETS: list[tuple[bytes, tuple[str, str]]] = [
    (b"%PDF", ("tệp PDF", "a PDF document")),
    (b"\x89PNG\r\n\x1a\n", ("ảnh PNG", "a PNG image")),
    (b"\xff\xd8\xff", ("ảnh JPEG", "a JPEG image")),
    (b"GIF87a", ("ảnh GIF", "a GIF image")),
    (b"GIF89a", ("ảnh GIF", "a GIF image")),
    (b"II*\x00", ("ảnh TIFF", "a TIFF image")),
    (b"MM\x00*", ("ảnh TIFF", "a TIFF image")),
    (b"\x7fELF", ("tệp chương trình", "an executable program")),
    (b"Rar!\x1a\x07", ("tệp nén RAR", "a RAR archive")),
    (b"7z\xbc\xaf\x27\x1c", ("tệp nén 7z", "a 7z archive")),
    (b"\x1f\x8b", ("tệp nén gzip", "a gzip archive")),
    (b"\xfd7zXZ\x00", ("tệp nén xz", "an xz archive")),
    (b"\x28\xb5\x2f\xfd", ("tệp nén zstd", "a zstd archive")),
    (b"{\\rtf", ("văn bản RTF", "an RTF document")),
    (b"SQLite format 3\x00", ("cơ sở dữ liệu SQLite", "an SQLite database")),
    (b"OggS", ("tệp âm thanh", "an audio file")),
    (b"ID3", ("tệp âm thanh", "an audio file")),
    (b"%!PS", ("tệp PostScript", "a PostScript file")),
]
_ZIP_KINDS = {
    "wordprocessingml": ("văn bản Word", "a Word document"),
    "presentationml": ("bản trình chiếu PowerPoint", "a PowerPoint presentation"),
    "opendocument.text": ("văn bản OpenDocument", "an OpenDocument text"),
    "opendocument.presentation": ("bản trình chiếu OpenDocument", "an OpenDocument presentation"),
}
_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta|style|title|script|div|br)\b", re.DOTALL
)
_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13, 26})


def read_workbook(data: bytes, filename: str, limits: Limits = _DEFAULT_LIMITS) -> Workbook:
    """Read a spreadsheet's bytes into sheets of raw values, or raise :class:`UnreadableFileError`.

    ``filename`` names the file in messages and breaks ties between formats; the content decides.
    """
    try:
        return _read(bytes(data), filename, limits)
    except UnreadableFileError:
        raise
    except MemoryError as exc:
        raise refuse("file_too_large", filename, size=safety.human_size(len(data)),
                     limit=safety.human_size(limits.max_file_bytes)) from exc
    except BaseException as exc:
        # calamine's Rust panics arrive as pyo3's PanicException, a BaseException: they are file
        # problems too. Only the interpreter's own signals go through.
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        raise refuse("corrupt_file", filename) from exc


def _read(data: bytes, filename: str, limits: Limits) -> Workbook:
    safety.check_file_size(data, filename, limits)
    head = data[:8]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _read_zip(data, filename, limits)
    if head == safety.OLE_MAGIC:
        return _read_ole(data, filename, limits)
    for magic, kind in _NOT_SPREADSHEETS:
        if data.startswith(magic):
            raise refuse("not_a_spreadsheet", filename, kind=kind)
    if data[:2] == b"MZ" and b"\x00" in data[:64]:
        raise refuse("not_a_spreadsheet", filename, kind=("tệp chương trình Windows", "a Windows program"))
    if len(data) > 4 and data[4:8] == b"ftyp":
        raise refuse("not_a_spreadsheet", filename, kind=("tệp video", "a video file"))
    if data[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08") and data[3:4] == b"\x00":
        raise refuse("unsupported_format", filename, kind=("bảng tính Excel 2.x–4.0", "an Excel 2.x–4.0 worksheet"))
    if data.startswith((b"\x00\x00\x02\x00\x06\x04", b"\x00\x00\x1a\x00")):
        raise refuse("unsupported_format", filename, kind=("bảng tính Lotus 1-2-3", "a Lotus 1-2-3 worksheet"))
    encoding = _text_encoding(data)
    if encoding is None:
        raise refuse("not_a_spreadsheet", filename, kind=("dữ liệu nhị phân không rõ loại", "unknown binary data"))
    _refuse_markup(data, encoding, filename)
    return _read_text(data, filename, limits)


# --- ZIP packages ------------------------------------------------------------------------------


def _read_zip(data: bytes, filename: str, limits: Limits) -> Workbook:
    pkg = safety.inspect_zip(data, filename, limits, copy=True)
    try:
        return _read_package(pkg, data, filename, limits)
    finally:
        if pkg.copy is not None:
            pkg.copy.close()


def _read_package(pkg: safety.ZipPackage, data: bytes, filename: str, limits: Limits) -> Workbook:
    fmt = _zip_format(pkg, filename)
    part_names = _sheet_parts(pkg)  # part → sheet name, for messages and error cells
    declared = len(part_names) if fmt != "ods" else len(pkg.ods_sheets)
    if declared > limits.max_sheets:
        raise refuse("too_many_sheets", filename, count=declared, limit=limits.max_sheets)
    safety.check_zip_extents(pkg, filename, limits, part_names)
    errors: dict[str, dict[tuple[int, int], str]] = {}
    for part, extent in pkg.extents.items():
        if extent.errors and part in part_names:
            errors[part_names[part]] = extent.errors
    for name, extent in pkg.ods_sheets:
        if extent.errors:
            errors[name] = extent.errors
    # calamine reads the verified copy when there is one (see safety.StoredCopy), else the original bytes
    return _read_calamine(pkg.copy.path if pkg.copy is not None else data, filename, fmt, limits, errors)


def _zip_format(pkg: safety.ZipPackage, filename: str) -> str:
    types = pkg.parts.get("[content_types].xml", b"").decode("utf-8", "replace").lower()
    mimetype = pkg.parts.get("mimetype", b"").decode("ascii", "replace").strip().lower()
    if "ms-excel.sheet.binary.macroenabled.main" in types:
        return "xlsb"
    if "ms-excel.sheet.macroenabled.main" in types or "ms-excel.template.macroenabled.main" in types:
        return "xlsm"
    if "spreadsheetml.sheet.main" in types or "spreadsheetml.template.main" in types:
        return "xlsx"
    if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return "ods"
    for marker, kind in _ZIP_KINDS.items():
        if marker in types or marker in mimetype:
            raise refuse("not_a_spreadsheet", filename, kind=kind)
    names = {n.lower() for n in pkg.names}
    if "xl/workbook.xml" in names:
        return "xlsm" if "xl/vbaproject.bin" in names else "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" not in names:
        raise refuse("corrupt_file", filename)
    if "index/document.iwa" in names:
        raise refuse("unsupported_format", filename, kind=("bảng tính Apple Numbers", "an Apple Numbers file"))
    if not pkg.names or "[content_types].xml" in names:
        raise refuse("corrupt_file", filename)
    raise refuse("not_a_spreadsheet", filename, kind=("tệp nén ZIP", "a ZIP archive"))


_SHEET_TAG = re.compile(rb"<(?:[\w.\-]+:)?sheet\b" + safety._ATTRS + rb">")
_NAME_ATTR = re.compile(rb"\sname\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_RID_ATTR = re.compile(rb"\s[\w.\-]+:id\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _sheet_parts(pkg: safety.ZipPackage) -> dict[str, str]:
    """Sheet part path → sheet name, from the workbook and its relationships (xlsx/xlsm/xlsb)."""
    out: dict[str, str] = {}
    workbook = pkg.parts.get("xl/workbook.xml")
    rels = pkg.parts.get("xl/_rels/workbook.xml.rels")
    if workbook is not None and rels is not None:
        targets = safety.relationship_map(rels, "xl/")
        for m in _SHEET_TAG.finditer(workbook):
            name = _NAME_ATTR.search(m.group(1))
            rid = _RID_ATTR.search(m.group(1))
            if name and rid:
                sheet = html.unescape((name.group(1) or name.group(2) or b"").decode("utf-8", "replace"))
                target = targets.get((rid.group(1) or rid.group(2) or b"").decode("utf-8", "replace"))
                if target:
                    out[target] = sheet
    bin_rels = pkg.parts.get("xl/_rels/workbook.bin.rels")
    if bin_rels is not None:
        for i, target in enumerate(safety.relationship_targets(bin_rels, "xl/")):
            out.setdefault(target, target.rsplit("/", 1)[-1] or f"#{i + 1}")
    return out


# --- OLE2 ----------------------------------------------------------------------------------------


def _read_ole(data: bytes, filename: str, limits: Limits) -> Workbook:
    book = safety.inspect_ole(data, filename, limits)
    if book.kind == "encrypted":
        raise refuse("encrypted_file", filename)
    if book.kind == "word":
        raise refuse("not_a_spreadsheet", filename, kind=("văn bản Word", "a Word document"))
    if book.kind == "powerpoint":
        raise refuse("not_a_spreadsheet", filename, kind=("bản trình chiếu PowerPoint", "a PowerPoint presentation"))
    if book.kind != "xls":
        raise refuse("unsupported_format", filename, kind=("tệp OLE không phải Excel", "an OLE file that is not Excel"))
    if len(book.sheet_order) > limits.max_sheets:
        raise refuse("too_many_sheets", filename, count=len(book.sheet_order), limit=limits.max_sheets)
    safety.check_ole_extents(book, filename, limits)
    errors = {name: book.sheets[offset].errors for offset, name in zip(book.sheet_order, book.names, strict=True)
              if offset in book.sheets and book.sheets[offset].errors}
    return _read_calamine(data, filename, "xls", limits, errors)


# --- calamine ------------------------------------------------------------------------------------


def _read_calamine(
    source: bytes | str, filename: str, fmt: str, limits: Limits, errors: dict[str, dict[tuple[int, int], str]]
) -> Workbook:
    """Read the sheets with calamine from the file's bytes, or from the path of a verified copy of them."""
    import python_calamine as pc

    try:
        if isinstance(source, str):
            book = pc.CalamineWorkbook.from_path(source)
        else:
            book = pc.CalamineWorkbook.from_filelike(io.BytesIO(source))
    except pc.PasswordError as exc:
        raise refuse("encrypted_file", filename) from exc
    except pc.CalamineError as exc:  # ZipError, XmlError, "Cannot detect file format", …
        raise refuse("corrupt_file", filename) from exc
    try:
        metadata = book.sheets_metadata
        if len(metadata) > limits.max_sheets:
            raise refuse("too_many_sheets", filename, count=len(metadata), limit=limits.max_sheets)
        workbook = Workbook(file=filename, format=fmt, sheets=[])
        for index, meta in enumerate(metadata):
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue  # chart sheets, dialog and macro sheets hold no table
            try:
                sheet = book.get_sheet_by_index(index)
            except pc.CalamineError as exc:
                raise refuse("corrupt_file", filename) from exc
            workbook.sheets.append(
                _grid(sheet, meta.name, meta.visible == pc.SheetVisibleEnum.Visible, limits, workbook,
                      errors.get(meta.name, {}))
            )
            del sheet  # calamine's copy of the sheet goes before the next one is built
        return workbook
    finally:
        book.close()


def _grid(sheet: Any, name: str, visible: bool, limits: Limits, workbook: Workbook,
          errors: dict[tuple[int, int], str]) -> SheetGrid:
    start = sheet.start
    if start is None:
        return SheetGrid(name=name, rows=[], row0=0, col0=0, merged=sheet.merged_cell_ranges, visible=visible)
    row0, col0 = start
    rows = sheet.to_python(skip_empty_area=True, nrows=limits.max_rows + 1)
    width = limits.max_cols + 1
    if rows and len(rows[0]) > width:
        rows = [r[:width] for r in rows]
    # empty cells stay "" as calamine gives them (the layout treats "" and None alike): converting
    # 1,8 M cells of a national sheet would cost more than a tenth of the whole read
    _truncate(rows, name, row0, col0, limits, workbook)
    for (r, c), code in errors.items():
        i, j = r - row0, c - col0
        if 0 <= i < len(rows) and 0 <= j < len(rows[i]):
            rows[i][j] = code
    merged = sheet.merged_cell_ranges
    if merged is not None:
        merged = [((int(a), int(b)), (int(c), int(d))) for (a, b), (c, d) in merged]
    return SheetGrid(name=name, rows=rows, row0=row0, col0=col0, merged=merged, visible=visible)


def _truncate(rows: list[list[Any]], sheet: str, row0: int, col0: int, limits: Limits, workbook: Workbook) -> None:
    cap = limits.max_cell_chars
    for i, row in enumerate(rows):
        for v in row:
            if type(v) is str and len(v) > cap:
                for j, w in enumerate(row):
                    if type(w) is str and len(w) > cap:
                        workbook.truncated.append((sheet, a1(row0 + i, col0 + j), len(w)))
                        row[j] = w[:cap]
                break


# --- text: CSV and TXT ---------------------------------------------------------------------------


def _text_encoding(data: bytes) -> str | None:
    """The encoding to try for text-looking bytes, or None when the bytes are binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:4096]
    nuls = sample.count(b"\x00")
    if nuls:
        # UTF-16 without a BOM: ASCII characters leave a NUL in every other byte.
        even, odd = sample[0::2].count(b"\x00"), sample[1::2].count(b"\x00")
        half = len(sample) // 2
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be"
        return None
    controls = sum(sample.count(bytes([b])) for b in _CONTROL)
    if controls > max(2, len(sample) // 100):
        return None
    return "utf-8"


def _decode(data: bytes, encoding: str, filename: str) -> str:
    try:
        if encoding == "utf-16" and len(data) % 2:
            raise UnicodeDecodeError("utf-16", data, len(data) - 1, len(data), "odd length")
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise refuse("text_encoding", filename) from exc


def _refuse_markup(data: bytes, encoding: str, filename: str) -> None:
    """An "xls" that is really a web page (HTML, MHTML) or SpreadsheetML 2003 XML."""
    head = data[:4096]
    try:
        text = head.decode(encoding if encoding != "utf-8-sig" else "utf-8-sig", errors="replace")
    except LookupError:
        return
    text = text.lstrip("\ufeff").lstrip().lower()
    ext = PurePosixPath(filename.replace("\\", "/")).suffix or ".xls"
    if text.startswith("<?xml"):
        if "<workbook" in text or "<ss:workbook" in text or 'progid="excel.sheet"' in text:
            raise refuse("html_disguised", filename, ext=ext)
        if "<html" in text:
            raise refuse("html_disguised", filename, ext=ext)
        raise refuse("not_a_spreadsheet", filename, kind=("tài liệu XML", "an XML document"))
    if _HTML_START.match(text) or text.startswith("mime-version:") or "content-type: multipart/related" in text[:1024]:
        raise refuse("html_disguised", filename, ext=ext)


def _read_text(data: bytes, filename: str, limits: Limits) -> Workbook:
    encoding = _text_encoding(data) or "utf-8"
    text = _decode(data, encoding, filename)
    if len(text) > limits.max_text_bytes:
        raise refuse("text_too_large", filename, size=safety.human_size(len(text)),
                     limit=safety.human_size(limits.max_text_bytes))
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    fmt = "txt" if suffix in (".txt", ".tsv", ".tab") else "csv"
    delimiter = _delimiter(text, "\t" if fmt == "txt" else ",")
    # The csv module refuses fields over 128 KiB by default; a long cell is cut below, not refused.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    width = limits.max_cols + 1
    rows: list[list[Any]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) > limits.max_rows:
                break
            rows.append([v if v != "" else None for v in record[:width]])
    except csv.Error as exc:
        raise refuse("corrupt_file", filename) from exc
    del text
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    span = max((len(r) for r in rows), default=0)
    for r in rows:
        r.extend([None] * (span - len(r)))
    name = PurePosixPath(filename.replace("\\", "/")).stem or "Sheet1"
    workbook = Workbook(file=filename, format=fmt, sheets=[])
    _truncate(rows, name, 0, 0, limits, workbook)
    workbook.sheets.append(SheetGrid(name=name, rows=rows, row0=0, col0=0, merged=None, visible=True))
    return workbook


def _delimiter(text: str, default: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the most consistent columns.

    csv.Sniffer alone is fooled by Vietnamese decimals ("20,5" in a semicolon file), so its guess is
    kept only when it splits the lines as consistently as the best of the three.
    """
    sample = "\n".join(text[:65536].splitlines()[:50])
    scores: dict[str, tuple[int, int]] = {}
    for candidate in (",", ";", "\t"):
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate) if r]
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        scores[candidate] = (count if width > 1 else 0, width)
    if not scores or max(scores.values())[0] == 0:
        return default
    best = max(scores.values())
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in scores and scores[sniffed][0] == best[0]:
        return sniffed
    ranked = sorted(scores, key=lambda d: (scores[d], d == default), reverse=True)
    return ranked[0]
