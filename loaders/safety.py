"""Safety checks on an uploaded file's bytes, run before any parser inflates or decodes them.

Why this module exists: calamine and openpyxl trust the file. A few kilobytes can make them inflate
gigabytes (zip bombs, sizes that lie), expand XML entities (billion laughs), or allocate a dense grid
for two cells placed at A1 and XFD1048576 — calamine then *aborts the whole process* on the failed
allocation, which no ``except`` can catch. So every package is first streamed through here, with
bounded memory, and refused with an :class:`UnreadableFileError` carrying one sentence in Vietnamese
and one in English (see :data:`MESSAGES`, the single table of codes and messages).

What is checked:

* ZIP packages (xlsx, xlsm, xlsb, ods): entry count, declared sizes and ratios, encryption flags,
  duplicate names; then every entry is inflated in chunks (discarded; a large entry a few chunks ahead,
  on a second thread) with its size enforced and its CRC verified, so an entry that lies about its size
  is caught without inflating past the lie; XML prologs are checked for DTDs and entity declarations;
  the sheets' cell extents and the text they would materialize are measured the way calamine places
  cells (xlsx/xlsm, xlsb, ods).
* OLE2 files (xls, encrypted OOXML): encryption, and the BIFF records of every sheet: extents,
  declared dimensions, shared-string counts and the text the cells would materialize.

The scans also note Excel error cells (``#REF!``, ``#DIV/0!`` …), which python-calamine turns into
empty strings; :mod:`loaders.formats` puts them back.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from loaders.model import Limits, UnreadableFileError

# ---------------------------------------------------------------------------------------------
# Codes and messages: one table. ``{file}`` is always filled; other fields are given per refusal.
# A field may be passed as a (vi, en) pair when its wording differs between the languages.
# ---------------------------------------------------------------------------------------------

MESSAGES: dict[str, tuple[str, str]] = {
    "empty_file": (
        "Tệp “{file}” trống (0 byte), không có gì để đọc.",
        "The file “{file}” is empty (0 bytes); there is nothing to read.",
    ),
    "file_too_large": (
        "Tệp “{file}” quá lớn ({size}); giới hạn cho phép là {limit}.",
        "The file “{file}” is too large ({size}); the limit is {limit}.",
    ),
    "text_too_large": (
        "Tệp văn bản “{file}” quá lớn ({size}); giới hạn cho phép là {limit}.",
        "The text file “{file}” is too large ({size}); the limit is {limit}.",
    ),
    "not_a_spreadsheet": (
        "Tệp “{file}” không phải là bảng tính ({kind}); hãy gửi tệp Excel (.xlsx, .xls), OpenDocument (.ods) "
        "hoặc CSV.",
        "The file “{file}” is not a spreadsheet ({kind}); send an Excel (.xlsx, .xls), OpenDocument (.ods) "
        "or CSV file.",
    ),
    "html_disguised": (
        "Tệp “{file}” thực chất là trang web (HTML/XML) mang đuôi {ext}, không phải bảng tính Excel thật; "
        "hãy mở tệp bằng Excel, chọn Lưu thành (Save As) kiểu .xlsx rồi gửi lại.",
        "The file “{file}” is really a web page (HTML/XML) named {ext}, not a real Excel workbook; "
        "open it in Excel, save it as .xlsx and send it again.",
    ),
    "corrupt_file": (
        "Tệp “{file}” bị hỏng nên không đọc được; hãy mở lại bằng Excel, lưu lại rồi gửi lại.",
        "The file “{file}” is damaged and cannot be read; open it in Excel, save it again and send it again.",
    ),
    "truncated_file": (
        "Tệp “{file}” bị thiếu phần cuối (tải lên hoặc sao chép chưa xong); hãy gửi lại tệp đầy đủ.",
        "The file “{file}” is cut short (the upload or copy did not finish); send the complete file again.",
    ),
    "encrypted_file": (
        "Tệp “{file}” được đặt mật khẩu; hãy gỡ mật khẩu rồi gửi lại.",
        "The file “{file}” is password-protected; remove the password and send it again.",
    ),
    "zip_bomb": (
        "Tệp “{file}” khi giải nén phình ra vượt giới hạn an toàn ({detail}) nên không được xử lý.",
        "The file “{file}” expands beyond the safety limits when unpacked ({detail}), so it was not processed.",
    ),
    "too_many_entries": (
        "Tệp “{file}” chứa quá nhiều thành phần bên trong ({count}, tối đa {limit}) nên không được xử lý.",
        "The file “{file}” holds too many internal parts ({count}, at most {limit}), so it was not processed.",
    ),
    "xml_entities": (
        "Tệp “{file}” chứa khai báo DTD/thực thể XML, thứ mà bảng tính Excel thật không có; "
        "hãy mở bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại.",
        "The file “{file}” contains XML DTD or entity declarations, which a real Excel workbook never has; "
        "open it in Excel, save it as .xlsx and send it again.",
    ),
    "text_encoding": (
        "Tệp “{file}” không được mã hóa UTF-8 hay UTF-16 (có thể là TCVN3, VNI hoặc Windows-1258); "
        "hãy lưu lại dưới dạng CSV UTF-8 rồi gửi lại.",
        "The file “{file}” is neither UTF-8 nor UTF-16 text (perhaps TCVN3, VNI or Windows-1258); "
        "save it as CSV UTF-8 and send it again.",
    ),
    "too_many_sheets": (
        "Tệp “{file}” có {count} trang tính, vượt giới hạn {limit}; hãy bỏ bớt các trang không cần thiết "
        "rồi gửi lại.",
        "The file “{file}” has {count} sheets, more than the limit of {limit}; remove the sheets that are "
        "not needed and send it again.",
    ),
    "sheet_too_large": (
        "Trang tính “{sheet}” của tệp “{file}” quá lớn để đọc an toàn ({detail}); hãy xóa các ô thừa nằm xa "
        "vùng số liệu rồi gửi lại.",
        "The sheet “{sheet}” in the file “{file}” is too large to read safely ({detail}); delete stray cells "
        "far from the data and send it again.",
    ),
    "unsupported_format": (
        "Tệp “{file}” có định dạng chưa được hỗ trợ ({kind}); hãy mở bằng Excel, lưu dưới dạng .xlsx "
        "rồi gửi lại.",
        "The file “{file}” is in a format that is not supported ({kind}); open it in Excel, save it as "
        ".xlsx and send it again.",
    ),
}

Field = str | int | tuple[str, str]


def refuse(code: str, filename: str, **fields: Field) -> UnreadableFileError:
    """Build the error for ``code`` (a key of :data:`MESSAGES`); the caller raises it."""
    vi_template, en_template = MESSAGES[code]
    vi = {k: (v[0] if isinstance(v, tuple) else _num(v, "vi")) for k, v in fields.items()}
    en = {k: (v[1] if isinstance(v, tuple) else _num(v, "en")) for k, v in fields.items()}
    name = filename or "?"
    return UnreadableFileError(code, vi_template.format(file=name, **vi), en_template.format(file=name, **en))


def _num(value: str | int, lang: str) -> str:
    if isinstance(value, int):
        text = f"{value:,}"
        return text.replace(",", ".") if lang == "vi" else text
    return value


def human_size(n: int) -> tuple[str, str]:
    """A byte count as (Vietnamese, English) text: "9,4 MB" / "9.4 MB"."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            en = f"{n / scale:.1f} {unit}"
            return en.replace(".", ","), en
    return f"{n} byte", f"{n} bytes"


#: Excel's grid.
EXCEL_ROWS = 1_048_576
EXCEL_COLS = 16_384

_SMALL_PART_BYTES = 16 * 1024 * 1024  # metadata parts kept in memory ([Content_Types].xml, rels, …)
_PROLOG_BYTES = 64 * 1024  # how far we look for the root element of an XML part
_IN_CHUNK = 64 * 1024  # compressed bytes fed to zlib at a time (bounds unconsumed_tail copies)
_OUT_CHUNK = 1 << 20  # inflated bytes produced at a time
_MAX_CARRY = 8 * 1024 * 1024
_MAX_TEXT_RUN = 4 * 1024 * 1024  # an Excel cell holds at most 32.767 characters (≤ 128 KB of XML)
_AHEAD_BYTES = 4 * 1024 * 1024  # entries inflating to more than this are inflated on a second thread


def grid_limit(limits: Limits) -> int:
    """Cells in the rectangle calamine allocates for one sheet (its dense grid costs ~32–64 bytes a cell)."""
    return limits.max_grid_cells


def text_limit(limits: Limits) -> int:
    """Bytes of cell text calamine would materialize for one sheet (a shared string is copied into every cell)."""
    return limits.max_sheet_text_bytes


@dataclass
class Extent:
    """Where the non-empty cells of one sheet lie (0-based, inclusive) and what they would cost."""

    min_row: int = -1
    min_col: int = -1
    max_row: int = -1
    max_col: int = -1
    text_bytes: int = 0  # text the reader would materialize for the cells
    declared_cells: int = 0  # cells a declared dimension makes the reader reserve (xls)
    string_cells: int = 0  # cells that refer to a shared string (their text is counted later)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # Excel error cells: "#REF!"

    def add(self, r0: int, c0: int, r1: int | None = None, c1: int | None = None) -> None:
        r1 = r0 if r1 is None else r1
        c1 = c0 if c1 is None else c1
        if self.max_row < 0:
            self.min_row, self.min_col, self.max_row, self.max_col = r0, c0, r1, c1
            return
        self.min_row = min(self.min_row, r0)
        self.min_col = min(self.min_col, c0)
        self.max_row = max(self.max_row, r1)
        self.max_col = max(self.max_col, c1)

    def merge(self, other: Extent) -> None:
        if other.max_row >= 0:
            self.add(other.min_row, other.min_col, other.max_row, other.max_col)
        self.text_bytes += other.text_bytes
        self.declared_cells = max(self.declared_cells, other.declared_cells)
        self.errors.update(other.errors)

    @property
    def rows(self) -> int:
        return self.max_row - self.min_row + 1 if self.max_row >= 0 else 0

    @property
    def cols(self) -> int:
        return self.max_col - self.min_col + 1 if self.max_col >= 0 else 0

    @property
    def cells(self) -> int:
        return max(self.rows * self.cols, self.declared_cells)


def check_extent(extent: Extent, sheet: str, filename: str, limits: Limits) -> None:
    """Refuse a sheet whose grid or text would exceed what the reader can hold safely."""
    if extent.max_row >= EXCEL_ROWS or extent.max_col >= EXCEL_COLS:
        raise refuse("corrupt_file", filename)
    if extent.cells > grid_limit(limits):
        detail = (
            f"{_num(extent.rows, 'vi')} dòng × {_num(extent.cols, 'vi')} cột",
            f"{_num(extent.rows, 'en')} rows × {_num(extent.cols, 'en')} columns",
        )
        if extent.declared_cells > extent.rows * extent.cols:
            detail = (
                f"khai báo {_num(extent.declared_cells, 'vi')} ô",
                f"declares {_num(extent.declared_cells, 'en')} cells",
            )
        raise refuse("sheet_too_large", filename, sheet=sheet, detail=detail)
    if extent.text_bytes > text_limit(limits):
        vi, en = human_size(extent.text_bytes)
        raise refuse("sheet_too_large", filename, sheet=sheet, detail=(f"{vi} chữ", f"{en} of text"))


def check_total(extents: list[tuple[str, Extent]], filename: str, limits: Limits) -> None:
    """For readers that build every sheet when the file is opened (xls, ods): each, and all together."""
    cells = text = 0
    for name, extent in extents:
        check_extent(extent, name, filename, limits)
        cells += extent.cells
        text += extent.text_bytes
    if extents and (cells > grid_limit(limits) or text > text_limit(limits)):
        vi, en = human_size(text)
        detail = (
            f"các trang cộng lại {_num(cells, 'vi')} ô, {vi} chữ",
            f"{_num(cells, 'en')} cells and {en} of text across its sheets",
        )
        raise refuse("sheet_too_large", filename, sheet=extents[-1][0], detail=detail)


def check_file_size(data: bytes, filename: str, limits: Limits) -> None:
    if not data:
        raise refuse("empty_file", filename)
    if len(data) > limits.max_file_bytes:
        raise refuse("file_too_large", filename, size=human_size(len(data)), limit=human_size(limits.max_file_bytes))


# ---------------------------------------------------------------------------------------------
# ZIP packages
# ---------------------------------------------------------------------------------------------

_KEEP_PARTS = {
    "[content_types].xml",
    "mimetype",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/_rels/workbook.bin.rels",
    "meta-inf/manifest.xml",
}


#: Packages inflating to more than this (all parts together) are read by calamine from the original bytes.
COPY_BYTES = 192 * 1024 * 1024
_DOS_DATE = (1 << 5) | 1  # 1980-01-01, the earliest date a ZIP header holds


class StoredCopy:
    """The verified package written back uncompressed, part by part as it is verified, into an anonymous
    in-memory file (``memfd``) that calamine then reads by its ``/proc/self/fd`` path.

    Two gains: the reader reads exactly the bytes that were checked, under the sizes and CRCs that were checked
    (no second reading of an untrusted ZIP), and nothing is inflated twice — calamine's own inflater costs about
    twice what zlib's does here. Nothing is written to disk. Where memory files do not exist (not Linux) or one
    cannot be made or filled, there is no copy and calamine reads the original bytes, as it always could.
    """

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd
        self.path = f"/proc/self/fd/{fd}"
        self.offset = 0
        self.central: list[bytes] = []
        self.failed = False

    @classmethod
    def make(cls) -> StoredCopy | None:
        try:
            fd = os.memfd_create("verified-workbook", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            return None
        copy = cls(fd)
        if not os.path.exists(copy.path):  # no /proc: nothing could open the copy by name
            copy.close()
            return None
        return copy

    def begin(self, info: zipfile.ZipInfo) -> None:
        """Start an entry: its header says what the verification is about to prove (size and CRC)."""
        name = info.filename
        raw, flags = (name.encode("ascii"), 0) if name.isascii() else (name.encode("utf-8"), 0x800)
        fields = (flags, 0, 0, _DOS_DATE, info.CRC, info.file_size, info.file_size, len(raw))
        self.central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, *fields, 0, 0, 0, 0, 0,
                                        self.offset) + raw)
        self.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, *fields, 0) + raw)

    def write(self, chunk: bytes) -> None:
        if self.failed or self.fd is None:
            return
        view = memoryview(chunk)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except OSError:  # out of memory for the copy: the reader gets the original bytes instead
            self.failed = True
            return
        self.offset += len(chunk)

    def finish(self) -> str | None:
        """Write the central directory; the path to read the copy by, or None if there is no copy."""
        directory = b"".join(self.central)
        count = len(self.central)
        start = self.offset
        self.write(directory)
        self.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0))
        if self.failed:
            self.close()
            return None
        return self.path

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@dataclass
class ZipPackage:
    """What the verification of a ZIP package found."""

    names: list[str]
    parts: dict[str, bytes]  # small metadata parts, by lower-case name
    extents: dict[str, Extent]  # per part, for parts holding cells (xlsx/xlsm/xlsb)
    ods_sheets: list[tuple[str, Extent]]  # per table of content.xml, in order
    sst_lengths: list[int] = field(default_factory=list)
    # the verified package, uncompressed, for the reader (``inspect_zip(..., copy=True)``); the caller closes it
    copy: StoredCopy | None = None
    # raw byte length of every string of each shared-strings part, measured on the verification's own pass
    sst_parts: list[list[int]] = field(default_factory=list)


def inspect_zip(data: bytes, filename: str, limits: Limits, copy: bool = False) -> ZipPackage:
    """Verify a ZIP package without trusting it; raise :class:`UnreadableFileError` on any problem.

    With ``copy``, the package is also written back uncompressed as it is verified (see :class:`StoredCopy`),
    when it inflates to at most :data:`COPY_BYTES` and a memory file can be made; the caller closes ``pkg.copy``.
    """
    # An upper bound of the entry count, before zipfile builds one ZipInfo per entry (~0,5 KB each).
    if data.count(b"PK\x01\x02") > limits.max_zip_entries:
        raise refuse(
            "too_many_entries", filename, count=data.count(b"PK\x01\x02"), limit=limits.max_zip_entries
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except zipfile.LargeZipFile as exc:
        raise refuse("corrupt_file", filename) from exc
    except Exception as exc:  # BadZipFile, struct.error, ValueError, UnicodeDecodeError…
        # The central directory sits at the end: when its end record is missing the file was cut.
        if data.rfind(b"PK\x05\x06") < 0 and data.rfind(b"PK\x06\x06") < 0:
            raise refuse("truncated_file", filename) from exc
        raise refuse("corrupt_file", filename) from exc

    if len(infos) > limits.max_zip_entries:
        raise refuse("too_many_entries", filename, count=len(infos), limit=limits.max_zip_entries)
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise refuse("encrypted_file", filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Excel and LibreOffice only store or deflate; anything else is crafted or exotic.
            raise refuse("corrupt_file", filename)
        if info.filename in seen:
            # Two entries with one name let our check and the reader see different parts.
            raise refuse("corrupt_file", filename)
        seen.add(info.filename)
        if info.file_size > limits.max_part_bytes:
            raise refuse("zip_bomb", filename, detail=_bomb_detail(info.filename, info.file_size))
        total += info.file_size
        if total > limits.max_inflated_bytes:
            raise refuse("zip_bomb", filename, detail=_bomb_detail("", total))
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise refuse("zip_bomb", filename, detail=(f"tỉ lệ nén {ratio}:1", f"compression ratio {ratio}:1"))

    pkg = ZipPackage(names=[i.filename for i in infos], parts={}, extents={}, ods_sheets=[])
    stored = StoredCopy.make() if copy and total <= COPY_BYTES else None
    try:
        _verify_package(data, zf, infos, filename, limits, pkg, stored)
    except BaseException:
        if stored is not None:
            stored.close()
        raise
    if stored is not None and stored.finish() is not None:
        pkg.copy = stored
    return pkg


def _verify_package(data: bytes, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], filename: str, limits: Limits,
                    pkg: ZipPackage, stored: StoredCopy | None) -> None:
    seen = {info.filename for info in infos}
    # cells referring to a shared string matter only where there is a shared-strings part
    count_strings = any(name.lower().endswith("sharedstrings.xml") for name in seen)
    try:
        for info in infos:
            _verify_entry(data, info, filename, pkg, stored, count_strings)
    except _Invalid as exc:
        raise refuse("corrupt_file", filename) from exc

    manifest = pkg.parts.get("meta-inf/manifest.xml", b"")
    if b"encryption-data" in manifest:
        raise refuse("encrypted_file", filename)

    # Shared strings: a string is copied into every cell that uses it, so the text a sheet
    # materializes is (string cells) × (their strings' lengths).
    lengths: list[int] = []
    for part_lengths in pkg.sst_parts:
        if len(part_lengths) > len(lengths):
            lengths = part_lengths
    pkg.sst_lengths = lengths
    if len(lengths) * 32 + sum(lengths) > text_limit(limits):
        # the reader keeps the whole shared-string table in memory, ~32 bytes a string plus its text
        vi, en = human_size(len(lengths) * 32 + sum(lengths))
        raise refuse("sheet_too_large", filename, sheet="sharedStrings", detail=(f"{vi} chữ", f"{en} of text"))
    longest = max(lengths, default=0)
    for name, extent in list(pkg.extents.items()):
        if extent.string_cells * longest + extent.text_bytes > text_limit(limits):
            # The cheap bound is too coarse: add the strings cell by cell.
            pkg.extents[name] = _exact_extent(data, zf.getinfo(name), filename, lengths)

    # xlsb sheets are binary records: scan the parts the workbook names as sheets, and every
    # .bin part under xl/worksheets/ (the reader follows the relationships; so do we, and more).
    bin_rels = pkg.parts.get("xl/_rels/workbook.bin.rels")
    bin_sheets = {n for n in pkg.names if n.lower().startswith("xl/worksheets/") and n.lower().endswith(".bin")}
    if bin_rels is not None:
        bin_sheets |= {t for t in relationship_targets(bin_rels, "xl/") if t in seen}
    if bin_sheets:
        bin_sst = _xlsb_sst_lengths(data, zf, filename)
        for name in bin_sheets:
            body = b"".join(_inflate(data, zf.getinfo(name), filename))
            pkg.extents[name] = scan_xlsb_sheet(body, bin_sst, filename)


def _verify_entry(data: bytes, info: zipfile.ZipInfo, filename: str, pkg: ZipPackage,
                  stored: StoredCopy | None = None, count_strings: bool = True) -> None:
    """Inflate one entry (checking size and CRC) and run the checks that read it on the way; with ``stored``,
    write it there too (a part that fails a check fails the whole package, copy included)."""
    lower = info.filename.lower()
    keep = lower in _KEEP_PARTS
    cells = _XlsxCellScanner(count_strings)
    ods = _OdsScanner() if info.filename == "content.xml" else None
    sst = _SstScanner() if lower.endswith("sharedstrings.xml") else None
    if stored is not None:
        stored.begin(info)
    prolog = _PrologCheck(filename)
    kept: list[bytes] = []
    kept_size = 0
    run = 0  # bytes since the last "<": one XML text node, which the reader buffers whole
    # closed at once when a check refuses the part: the thread inflating ahead stops there
    with contextlib.closing(_inflate_ahead(data, info, filename)) as chunks:
        for chunk in chunks:
            prolog.feed(chunk)
            first = chunk.find(b"<")
            if first < 0:
                run += len(chunk)
            else:
                run = max(run + first, 0)
                if run <= _MAX_TEXT_RUN:
                    run = len(chunk) - chunk.rfind(b"<") - 1
            if run > _MAX_TEXT_RUN and prolog.is_xml:
                raise refuse(
                    "zip_bomb",
                    filename,
                    detail=(
                        f"phần “{info.filename}” chứa một đoạn chữ liền dài bất thường",
                        f"part “{info.filename}” holds an abnormally long run of text",
                    ),
                )
            cells.feed(chunk)
            if ods is not None:
                ods.feed(chunk)
            if sst is not None:
                sst.feed(chunk)
            if stored is not None:
                stored.write(chunk)
            if keep:
                kept_size += len(chunk)
                if kept_size > _SMALL_PART_BYTES:
                    raise refuse("corrupt_file", filename)
                kept.append(chunk)
    prolog.close()
    cells.close()
    if keep:
        pkg.parts[lower] = b"".join(kept)
    if ods is not None:
        pkg.ods_sheets = ods.close()
    if sst is not None:
        pkg.sst_parts.append(sst.close())
    extent = _exact_extent(data, info, filename, None) if cells.exact_needed else cells.extent
    if extent.max_row >= 0 or extent.errors:
        # Inline strings and formula results are bounded by the part's own size.
        extent.text_bytes += info.file_size
        pkg.extents[info.filename] = extent


def _exact_extent(data: bytes, info: zipfile.ZipInfo, filename: str, sst: list[int] | None) -> Extent:
    exact = _XlsxExactScanner(sst)
    with contextlib.closing(_inflate_ahead(data, info, filename)) as chunks:
        for chunk in chunks:
            exact.feed(chunk)
    exact.close()
    exact.extent.text_bytes += info.file_size
    return exact.extent


def _bomb_detail(part: str, size: int) -> tuple[str, str]:
    vi, en = human_size(size)
    if part:
        return f"phần “{part}” bung ra {vi}", f"part “{part}” inflates to {en}"
    return f"tổng cộng bung ra {vi}", f"{en} in all"


def _inflate(data: bytes, info: zipfile.ZipInfo, filename: str) -> Iterator[bytes]:
    """Yield an entry's bytes in chunks, never past its declared size, and check its CRC at the end.

    We inflate ourselves rather than through ``ZipFile.open`` because zipfile stops quietly at the
    declared size: an entry whose CRC was forged for its first bytes would pass, while the reader
    (Rust's zip crate) inflates on to the end of the deflate stream.
    """
    off = info.header_offset
    if off < 0 or off + 30 > len(data) or data[off : off + 4] != b"PK\x03\x04":
        raise refuse("corrupt_file", filename)
    name_len, extra_len = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(data):
        raise refuse("truncated_file", filename)
    view = memoryview(data)[start:end]
    declared = info.file_size
    crc = 0
    produced = 0
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != declared:
            raise refuse("corrupt_file", filename)
        for pos in range(0, declared, _OUT_CHUNK):
            chunk = bytes(view[pos : pos + _OUT_CHUNK])
            crc = zlib.crc32(chunk, crc)
            yield chunk
        produced = declared
    else:
        inflater = zlib.decompressobj(-15)
        try:
            for pos in range(0, len(view), _IN_CHUNK):
                pending = view[pos : pos + _IN_CHUNK]
                while True:
                    out = inflater.decompress(pending, _OUT_CHUNK)
                    pending = inflater.unconsumed_tail
                    if out:
                        produced += len(out)
                        if produced > declared:
                            raise refuse(
                                "zip_bomb",
                                filename,
                                detail=(
                                    f"phần “{info.filename}” bung ra nhiều hơn kích thước khai báo",
                                    f"part “{info.filename}” inflates past its declared size",
                                ),
                            )
                        crc = zlib.crc32(out, crc)
                        yield out
                    if inflater.eof or (not pending and len(out) < _OUT_CHUNK):
                        break
                if inflater.eof:
                    break
        except zlib.error as exc:
            raise refuse("corrupt_file", filename) from exc
        if not inflater.eof:
            raise refuse("corrupt_file", filename)
    if produced != declared or (crc & 0xFFFFFFFF) != info.CRC:
        raise refuse("corrupt_file", filename)


_DONE = object()


def _inflate_ahead(data: bytes, info: zipfile.ZipInfo, filename: str) -> Iterator[bytes]:
    """:func:`_inflate` running a few chunks ahead on a second thread, for a large entry.

    zlib and crc32 release the GIL, and so do the numpy scans of each chunk: inflating the next chunks while
    the current one is scanned overlaps the two on a second core. The reader gets the same chunks, then the
    same error if any, in the same order as from ``_inflate``; when it stops early, the thread stops too.
    """
    if info.file_size <= _AHEAD_BYTES:
        yield from _inflate(data, info, filename)
        return
    chunks: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()

    def produce() -> None:
        item: object = _DONE
        try:
            for chunk in _inflate(data, info, filename):
                chunks.put(chunk)
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the reader, in its place after the chunks
            item = exc
        chunks.put(item)

    worker = threading.Thread(target=produce, name="inflate", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():  # a producer waiting on a full queue: take its chunks until it sees `stop`
            with contextlib.suppress(queue.Empty):
                chunks.get(timeout=0.01)
        worker.join()


class _PrologCheck:
    """Refuse an XML part whose prolog (before the root element) declares a DTD or entities."""

    _ROOT = re.compile(rb"<[A-Za-z_]")
    _DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.head = b""
        self.done = False
        self.is_xml = False

    def feed(self, chunk: bytes) -> None:
        if self.done:
            return
        self.head += chunk[: _PROLOG_BYTES + 16 - len(self.head)]
        text = self._text()
        if text is None:
            self.done = True  # not XML (an image, a binary part)
            return
        self.is_xml = True
        root = self._ROOT.search(text)
        prolog = text[: root.start()] if root else text
        if self._DTD.search(prolog):
            raise refuse("xml_entities", self.filename)
        if root:
            self.done = True
        elif len(self.head) > _PROLOG_BYTES:
            # 64 KB before the root element is not something an office suite writes.
            raise refuse("xml_entities", self.filename)

    def close(self) -> None:
        if not self.done and self.head:
            text = self._text()
            if text is not None and self._DTD.search(text):
                raise refuse("xml_entities", self.filename)

    def _text(self) -> bytes | None:
        head = self.head
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
            encoding = "utf-16-be" if head.startswith(b"\xfe\xff") or head[:2] == b"\x00<" else "utf-16-le"
            head = head[2:] if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head
            head = head.decode(encoding, errors="replace").encode("utf-8")
        head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        return head if head.startswith(b"<") else None


# --- xlsx cells ------------------------------------------------------------------------------

_DELIM = np.zeros(256, dtype=bool)
_DELIM[[9, 10, 13, 32, 47, 62]] = True  # whitespace, "/", ">" after a tag name
_UPPER = np.zeros(256, dtype=bool)
_UPPER[65:91] = True
_PAD = b"\0" * 24  # a cell reference is read up to 17 bytes past its "<c"
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[48:58] = True
_TAG_END = np.zeros(256, dtype=bool)
_TAG_END[[9, 10, 11, 12, 13, 32, 47, 62]] = True  # what may follow a tag name: \s, "/", ">"
# ":c" or ":row" then a delimiter: a namespace-prefixed cell or row tag (calamine ignores prefixes)
_PREFIXED_TAG = re.compile(rb":(?:c|row)[\s/>]")
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\st="e"[^>]*>(.*?)</c>', re.DOTALL)
_V_TEXT = re.compile(rb"<v>([^<]*)</v>")
def _uniform_rows(a: np.ndarray, digits_at: np.ndarray) -> np.ndarray | None:
    """The row numbers when every reference has as many digits as the first, then a quote (the usual case
    within a chunk); None otherwise, for the general reading."""
    start = int(digits_at[0])
    width = 0
    while width < 8 and 48 <= a[start + width] <= 57:
        width += 1
    if not 1 <= width <= 7 or not (a[digits_at + width] == 34).all():
        return None
    row = np.zeros(digits_at.size, dtype=np.int64)
    for k in range(width):
        digit = a[digits_at + k] - np.uint8(48)  # uint8: anything but "0"…"9" wraps past 9
        if (digit > 9).any():
            return None
        row *= 10
        row += digit
    return row


class _XlsxCellScanner:
    """Extent of the cells of one XML part, for the form every office suite writes (``<c r="B7" …``).

    Vectorized over each chunk with numpy (≈0,2 s for the 70 MB national sheet). When a part uses anything else — a
    cell without ``r``, a namespace prefix, lower-case or odd references — it sets ``exact_needed`` and
    :class:`_XlsxExactScanner` re-reads the part the way calamine does. ``count_strings``: count the cells
    that refer to a shared string (only a package with a shared-strings part needs that).
    """

    def __init__(self, count_strings: bool = True) -> None:
        self.extent = Extent()
        self.exact_needed = False
        self.carry = b""
        self.count_strings = count_strings
        # reused from chunk to chunk: a megabyte allocated afresh for every chunk costs its pages' faults again
        self.buffer = bytearray()
        self.masks = (np.empty(0, dtype=bool), np.empty(0, dtype=bool))

    def feed(self, chunk: bytes) -> None:
        if self.exact_needed:
            return
        # the carry, the chunk and the padding (which lets a reference near the end be read whole), one after
        # the other in the reused buffer; the buffer may run on past them, so every search is bounded
        start = len(self.carry)
        end = start + len(chunk)
        if len(self.buffer) < end + len(_PAD):
            self.buffer = bytearray(max(end + len(_PAD), 2 * len(self.buffer)))
        text = self.buffer
        text[:start] = self.carry
        text[start:end] = chunk
        text[end : end + len(_PAD)] = _PAD
        # Cut before the last "<c": everything before it holds only complete cells.
        cut = text.rfind(b"<c", 0, end)
        if cut < 0:
            self.carry = bytes(text[max(end - 8, 0) : end])
            self._colon_check(text, end)
            return
        self.carry = bytes(text[cut:end])
        if len(self.carry) > _MAX_CARRY:
            self.exact_needed = True
            return
        self._scan(text, cut)

    def _masks(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.masks[0]) < n:
            size = max(n, 2 * len(self.masks[0]))
            self.masks = (np.empty(size, dtype=bool), np.empty(size, dtype=bool))
        return self.masks[0][:n], self.masks[1][:n]

    def close(self) -> None:
        if not self.exact_needed and self.carry:
            self._scan(self.carry + b" " + _PAD, len(self.carry) + 1)
        self.carry = b""

    def _colon_check(self, text: bytes | bytearray, end: int) -> None:
        if _PREFIXED_TAG.search(text, 0, end):
            self.exact_needed = True

    def _scan(self, text: bytes | bytearray, n: int) -> None:
        """Scan ``text[:n]`` in place; ``text`` goes on at least ``len(_PAD)`` bytes past ``n`` with "<c" or
        padding, where no byte can pass for part of a cell reference or a tag name: reading on past ``n``
        finds what reading a copy of ``text[:n]`` would."""
        if not n:
            return
        a = np.frombuffer(text, dtype=np.uint8)
        first_mask, second_mask = self._masks(n)
        colons = np.flatnonzero(np.equal(a[:n], 58, out=first_mask)) if text.find(b":", 0, n) >= 0 else ()
        if len(colons):
            after = a[colons + 1]
            prefixed = ((after == 99) & _TAG_END[a[colons + 2]]) | (
                (after == 114) & (a[colons + 2] == 111) & (a[colons + 3] == 119) & _TAG_END[a[colons + 4]])
            if prefixed.any():
                self.exact_needed = True
                return
        np.equal(a[:n], 60, out=first_mask)
        starts = np.flatnonzero(np.logical_and(first_mask, np.equal(a[1 : n + 1], 99, out=second_mask),
                                               out=first_mask))  # "<c"
        cells = starts[_DELIM[a[starts + 2]]]
        if not cells.size:
            return
        # every cell tag must start with r="…"
        if not ((a[cells + 2] == 32) & (a[cells + 3] == 114) & (a[cells + 4] == 61) & (a[cells + 5] == 34)).all():
            self.exact_needed = True
            return
        p = cells + 6
        first = a[p]
        second = a[p + 1]
        third = a[p + 2]
        two = _UPPER[second]
        three = two & _UPPER[third]
        if not _UPPER[first].all() or (three & _UPPER[a[p + 3]]).any():
            self.exact_needed = True
            return
        col_min, col_max = _column_range(first, second, third, two, three)
        digits_at = p + 1 + two + three
        row = _uniform_rows(a, digits_at)
        if row is None:
            row = np.zeros(cells.size, dtype=np.int64)
            running = np.ones(cells.size, dtype=bool)
            ndigits = np.zeros(cells.size, dtype=np.int64)
            for k in range(8):
                d = a[digits_at + k]
                is_digit = _DIGIT[d] & running
                row = np.where(is_digit, row * 10 + d - 48, row)
                ndigits += is_digit
                running = is_digit
                if not running.any():
                    break
            if (ndigits == 0).any() or (ndigits > 7).any() or not (a[digits_at + ndigits] == 34).all():
                self.exact_needed = True
                return
        if (row < 1).any():
            self.exact_needed = True  # "A0": let the exact scanner refuse it
            return
        # Self-closing cells (styled, empty) are counted too: that can only over-estimate.
        self.extent.add(int(row.min()) - 1, col_min, int(row.max()) - 1, col_max)
        if self.count_strings:
            self.extent.string_cells += text.count(b'="s"', 0, n)
        # an error cell's value is "<v>#…": a "#" preceded by "<v>" (most chunks have no "#" at all)
        if text.find(b"#", 0, n) >= 0 and _has_error_value(a, n, first_mask, second_mask):
            for m in _ERROR_CELL.finditer(text, 0, n):
                v = _V_TEXT.search(m.group(3))
                if v and v.group(1).startswith(b"#"):
                    pos = (int(m.group(2)) - 1, _col_index(m.group(1)))
                    self.extent.errors[pos] = v.group(1).decode("ascii", "replace")


def _column_range(first: np.ndarray, second: np.ndarray, third: np.ndarray, two: np.ndarray,
                  three: np.ndarray) -> tuple[int, int]:
    """0-based (smallest, largest) column of references of one to three letters (``two``, ``three``: the
    references with at least two, three letters): the smallest is among the shortest, the largest among the
    longest, so only those are computed."""

    def columns(mask: np.ndarray | None, letters: int) -> np.ndarray:
        picked = [x if mask is None else x[mask] for x in (first, second, third)[:letters]]
        col = picked[0].astype(np.int64) - 64
        for x in picked[1:]:
            col = col * 26 + x - 64
        return col

    def subset(mask: np.ndarray) -> np.ndarray | None:  # None: all of them (no copy)
        return None if mask.all() else mask

    one, only_two = ~two, two & ~three
    if one.any():
        smallest = columns(subset(one), 1).min()
    elif only_two.any():
        smallest = columns(subset(only_two), 2).min()
    else:
        smallest = columns(None, 3).min()
    if three.any():
        largest = columns(subset(three), 3).max()
    elif two.any():
        largest = columns(subset(two), 2).max()
    else:
        largest = columns(None, 1).max()
    return int(smallest) - 1, int(largest) - 1


def _has_error_value(a: np.ndarray, n: int, first_mask: np.ndarray, second_mask: np.ndarray) -> bool:
    """Whether ``a[:n]`` holds "<v>#": first "<" three bytes before "#" over the whole text, then, only if
    that is found, the "v>" between them (the masks: room for ``n`` booleans each, reused)."""
    if n < 4:
        return False
    hashes = np.logical_and(np.equal(a[3:n], 35, out=first_mask[: n - 3]),
                            np.equal(a[: n - 3], 60, out=second_mask[: n - 3]), out=first_mask[: n - 3])
    if not hashes.any():
        return False
    at = np.flatnonzero(hashes) + 3
    return bool(((a[at - 2] == 118) & (a[at - 1] == 62)).any())


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n - 1


_ATTRS = rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)"
_XLSX_TOKEN = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?(row|c|v)(?=[\s/>])" + _ATTRS + rb">([^<]*)")
_ATTR_R = re.compile(rb"(?:^|\s)r\s*=\s*[\"']([^\"']*)[\"']")
_ATTR_T = re.compile(rb"(?:^|\s)t\s*=\s*[\"']([^\"']*)[\"']")
_REF = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")


class _XlsxExactScanner:
    """Place every cell as calamine's xlsx reader does, with upper-bound semantics where it is unsure.

    calamine takes a cell's position from its ``r`` attribute, or else from a running row and column
    index (a row's ``r``, +1 per ``</row>``, +1 per cell). We keep those indexes at their maximum so
    our extent can only be larger than calamine's. A reference outside Excel's grid (or one that
    would overflow calamine's u32 arithmetic) makes the file corrupt.
    """

    def __init__(self, sst_lengths: list[int] | None = None) -> None:
        self.extent = Extent()
        self.sst = sst_lengths or []
        self.row = 0
        self.col = 0
        self.cell: tuple[int, int] | None = None
        self.cell_type = b""
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        text = self.carry + chunk
        cut = text.rfind(b"<")
        if cut < 0:
            self.carry = b""
            return
        self.carry = text[cut:]
        if len(self.carry) > _MAX_CARRY:
            raise _Invalid
        self._scan(text[:cut])

    def close(self) -> None:
        self._scan(self.carry)
        self.carry = b""

    def _scan(self, text: bytes) -> None:
        for m in _XLSX_TOKEN.finditer(text):
            closing, tag, attrs, after = m.group(1), m.group(2), m.group(3), m.group(4)
            self_closing = attrs.endswith(b"/")
            if tag == b"row":
                if closing:
                    self.row += 1
                    self.col = 0
                    continue
                r = _ATTR_R.search(attrs)
                if r:
                    digits = r.group(1)
                    if not digits.isdigit() or not 1 <= int(digits) <= EXCEL_ROWS:
                        raise _Invalid
                    self.row = max(self.row, int(digits) - 1)
                if self_closing:
                    self.row += 1
                    self.col = 0
            elif tag == b"c":
                if closing:
                    self.cell = None
                    continue
                r = _ATTR_R.search(attrs)
                if r:
                    ref = _REF.fullmatch(r.group(1))
                    if not ref:
                        raise _Invalid
                    row, col = int(ref.group(2)) - 1, _col_index(ref.group(1))
                    if not (0 <= row < EXCEL_ROWS and 0 <= col < EXCEL_COLS):
                        raise _Invalid
                    self.col = max(self.col, col)
                else:
                    row, col = self.row, self.col
                self.col += 1
                t = _ATTR_T.search(attrs)
                self.cell_type = t.group(1) if t else b""
                if self_closing:
                    self.cell = None
                    continue
                self.cell = (row, col)
                self.extent.add(row, col)
                if self.cell_type == b"s":
                    self.extent.string_cells += 1
            elif tag == b"v" and not closing and self.cell is not None:
                value = after.strip()
                if self.cell_type == b"s":
                    if value.isdigit() and int(value) < len(self.sst):
                        self.extent.text_bytes += self.sst[int(value)]
                elif self.cell_type == b"e" and value.startswith(b"#"):
                    self.extent.errors[self.cell] = value.decode("ascii", "replace")


class _Invalid(Exception):
    """A cell reference calamine would misplace or choke on."""


class _SstScanner:
    """Raw byte length of every ``<si>`` of a shared-strings part (an upper bound of its text)."""

    _TOKEN = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?si(?=[\s/>])" + _ATTRS + rb">")

    def __init__(self) -> None:
        self.lengths: list[int] = []
        self.offset = 0
        self.start: int | None = None
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        text = self.carry + chunk
        cut = text.rfind(b"<")
        if cut < 0:
            cut = len(text)
        self._scan(text[:cut])
        self.offset += cut
        self.carry = text[cut:]
        if len(self.carry) > _MAX_CARRY:
            self.offset += len(self.carry)
            self.carry = b""

    def close(self) -> list[int]:
        self._scan(self.carry)
        return self.lengths

    def _scan(self, text: bytes) -> None:
        for m in self._TOKEN.finditer(text):
            if m.group(1):
                if self.start is not None:
                    self.lengths.append(self.offset + m.start() - self.start)
                    self.start = None
            elif m.group(2).endswith(b"/"):
                self.lengths.append(0)
            else:
                self.start = self.offset + m.end()


# --- ods ---------------------------------------------------------------------------------------

_ODS_TOKEN = re.compile(
    rb"<(/?)(table:table|table:table-row|table:table-cell|table:covered-table-cell|text:s)(?=[\s/>])"
    + _ATTRS
    + rb">"
)
_ODS_VALUE_ATTRS = re.compile(
    rb"(?:^|\s)(?:office:value|office:string-value|office:date-value|office:time-value|office:boolean-value"
    rb"|office:value-type|table:formula)\s*="
)


def _ods_attr(attrs: bytes, name: bytes) -> bytes | None:
    m = re.search(rb"(?:^|\s)" + re.escape(name) + rb"\s*=\s*[\"']([^\"']*)[\"']", attrs)
    return m.group(1) if m else None


def _ods_count(attrs: bytes, name: bytes) -> int:
    value = _ods_attr(attrs, name)
    if value is None:
        return 1
    if not value.strip().isdigit():
        raise _Invalid
    return int(value)


class _OdsScanner:
    """Extent and text of each table in content.xml, the way calamine's ods reader expands repeats.

    LibreOffice ends sheets with huge repeated *empty* rows and cells; calamine drops those, so
    only cells with a value count. A non-empty cell repeated N times, in a row repeated M times,
    is N × M cells of the same text.
    """

    def __init__(self) -> None:
        self.sheets: list[tuple[str, Extent]] = []
        self.sheet: Extent | None = None
        self.name = ""
        self.offset = 0
        self.carry = b""
        self.row = 0
        self.row_repeat = 1
        self.col = 0
        self.row_span: tuple[int, int] | None = None
        self.row_text = 0
        self.cell_start: int | None = None
        self.cell_repeat = 1
        self.cell_extra = 0
        self.cell_col = 0
        self.cell_error = False

    def feed(self, chunk: bytes) -> None:
        text = self.carry + chunk
        cut = text.rfind(b"<")
        if cut < 0:
            cut = len(text)
        self._scan(text[:cut])
        self.offset += cut
        self.carry = text[cut:]
        if len(self.carry) > _MAX_CARRY:
            raise _Invalid

    def close(self) -> list[tuple[str, Extent]]:
        self._scan(self.carry)
        return self.sheets

    def _scan(self, text: bytes) -> None:
        for m in _ODS_TOKEN.finditer(text):
            closing, tag, attrs = m.group(1), m.group(2), m.group(3)
            self_closing = attrs.endswith(b"/")
            if tag == b"table:table":
                if closing or self_closing:
                    if self.sheet is not None:
                        self.sheets.append((self.name, self.sheet))
                    self.sheet = None
                    if not self_closing:
                        continue
                self.sheet = Extent()
                self.name = (_ods_attr(attrs, b"table:name") or b"").decode("utf-8", "replace")
                self.row = 0
                if self_closing:
                    self.sheets.append((self.name, self.sheet))
                    self.sheet = None
            elif self.sheet is None:
                continue
            elif tag == b"table:table-row":
                if not closing:
                    self.row_repeat = _ods_count(attrs, b"table:number-rows-repeated")
                    self.col = 0
                    self.row_span = None
                    self.row_text = 0
                if closing or self_closing:
                    if self.row_span is not None:
                        first, last = self.row_span
                        self.sheet.add(self.row, first, self.row + self.row_repeat - 1, last)
                        self.sheet.text_bytes += self.row_text * self.row_repeat
                    self.row += self.row_repeat
            elif tag == b"text:s":
                if not closing:
                    self.cell_extra += _ods_count(attrs, b"text:c")
            elif closing:
                if self.cell_start is not None:
                    size = self.offset + m.start() - self.cell_start + self.cell_extra
                    self.row_text += size * self.cell_repeat
                    if self.cell_error and self.cell_start >= self.offset:
                        self._error(text[self.cell_start - self.offset : m.start()])
                    self.cell_start = None
            else:
                repeat = _ods_count(attrs, b"table:number-columns-repeated")
                if not self_closing or _ODS_VALUE_ATTRS.search(attrs):
                    last = self.col + repeat - 1
                    self.row_span = (
                        (self.col, last)
                        if self.row_span is None
                        else (min(self.row_span[0], self.col), max(self.row_span[1], last))
                    )
                    self.row_text += len(attrs) * repeat
                self.cell_col = self.col
                self.col += repeat
                self.cell_repeat = repeat
                self.cell_extra = 0
                self.cell_start = None if self_closing else self.offset + m.end()
                # LibreOffice keeps an error cell's number (0) and shows "#DIV/0!" as its text
                self.cell_error = b'value-type="error"' in attrs

    def _error(self, content: bytes) -> None:
        m = re.search(rb">(#[^<]{1,20})<", b">" + content + b"<")
        if m is None or self.sheet is None:
            return
        code = m.group(1).decode("utf-8", "replace")
        for i in range(min(self.row_repeat, 100)):
            for j in range(min(self.cell_repeat, 100)):
                self.sheet.errors[(self.row + i, self.cell_col + j)] = code


# --- xlsb --------------------------------------------------------------------------------------


def _xlsb_records(body: bytes) -> Iterator[tuple[int, int, int]]:
    """(type, payload start, payload end) of each BIFF12 record (7-bit variable-length headers)."""
    pos, n = 0, len(body)
    while pos < n:
        b0 = body[pos]
        typ = b0 & 0x7F
        pos += 1
        if b0 & 0x80:
            if pos >= n:
                raise _Invalid
            typ |= (body[pos] & 0x7F) << 7
            pos += 1
        size = 0
        for shift in (0, 7, 14, 21):
            if pos >= n:
                raise _Invalid
            byte = body[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        if pos + size > n:
            raise _Invalid
        yield typ, pos, pos + size
        pos += size


_XLSB_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
                0x2A: "#N/A", 0x2B: "#GETTING_DATA"}


def scan_xlsb_sheet(body: bytes, sst_lengths: list[int], filename: str) -> Extent:
    """Extent of an xlsb sheet part, as calamine's xlsb reader places its cells."""
    extent = Extent()
    row = 0
    try:
        for typ, start, end in _xlsb_records(body):
            if typ == 0x0000:  # BrtRowHdr
                if end - start < 4:
                    raise _Invalid
                row = struct.unpack_from("<I", body, start)[0]
                if row > 0x100000:
                    break  # calamine stops reading the sheet here
            elif typ in (2, 3, 4, 5, 6, 7, 8, 9, 10):  # the cell records calamine keeps
                if end - start < 8:
                    raise _Invalid
                col = struct.unpack_from("<I", body, start)[0]
                if col >= EXCEL_COLS or row >= EXCEL_ROWS:
                    raise _Invalid
                extent.add(row, col)
                if typ in (6, 8) and end - start >= 12:
                    extent.text_bytes += 2 * struct.unpack_from("<I", body, start + 8)[0]
                elif typ == 7 and end - start >= 12:
                    index = struct.unpack_from("<I", body, start + 8)[0]
                    if index < len(sst_lengths):
                        extent.text_bytes += sst_lengths[index]
                elif typ == 3 and end - start >= 9:
                    code = _XLSB_ERRORS.get(body[start + 8])
                    if code:
                        extent.errors[(row, col)] = code
            elif typ == 0x0092:  # BrtEndSheetData
                break
    except _Invalid as exc:
        raise refuse("corrupt_file", filename) from exc
    return extent


def _xlsb_sst_lengths(data: bytes, zf: zipfile.ZipFile, filename: str) -> list[int]:
    lengths: list[int] = []
    for info in zf.infolist():
        if info.filename.lower().endswith("sharedstrings.bin"):
            body = b"".join(_inflate(data, info, filename))
            try:
                for typ, start, end in _xlsb_records(body):
                    if typ == 19 and end - start >= 5:  # BrtSSTItem: flags, then cch (u32)
                        lengths.append(2 * struct.unpack_from("<I", body, start + 1)[0])
            except _Invalid as exc:
                raise refuse("corrupt_file", filename) from exc
    return lengths


def relationship_targets(rels: bytes, base: str, kind: str = "worksheet") -> list[str]:
    """Package paths of the relationships of type ``…/kind`` in a .rels part (base: the source's folder)."""
    out = []
    for m in re.finditer(rb"<(?:[\w.\-]+:)?Relationship\b" + _ATTRS + rb">", rels):
        attrs = m.group(1)
        typ = re.search(rb"\sType\s*=\s*[\"']([^\"']*)[\"']", attrs)
        target = re.search(rb"\sTarget\s*=\s*[\"']([^\"']*)[\"']", attrs)
        if typ and target and typ.group(1).rstrip(b"/").lower().endswith(b"/" + kind.encode()):
            out.append(resolve_part(base, target.group(1).decode("utf-8", "replace")))
    return out


def relationship_map(rels: bytes, base: str) -> dict[str, str]:
    """Relationship id → package path."""
    out = {}
    for m in re.finditer(rb"<(?:[\w.\-]+:)?Relationship\b" + _ATTRS + rb">", rels):
        attrs = m.group(1)
        rid = re.search(rb"\sId\s*=\s*[\"']([^\"']*)[\"']", attrs)
        target = re.search(rb"\sTarget\s*=\s*[\"']([^\"']*)[\"']", attrs)
        if rid and target:
            out[rid.group(1).decode("utf-8", "replace")] = resolve_part(
                base, target.group(1).decode("utf-8", "replace")
            )
    return out


def resolve_part(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = [p for p in base.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def check_zip_extents(pkg: ZipPackage, filename: str, limits: Limits, sheet_names: dict[str, str]) -> None:
    """Refuse when any sheet part (xlsx/xlsb, read one at a time) or all ODS tables together are too large."""
    for part, extent in pkg.extents.items():
        check_extent(extent, sheet_names.get(part, part), filename, limits)
    # calamine's ods reader builds every table when the file is opened: they count together.
    check_total(pkg.ods_sheets, filename, limits)


# ---------------------------------------------------------------------------------------------
# OLE2 (xls, and OOXML wrapped in encryption)
# ---------------------------------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
                0x2A: "#N/A", 0x2B: "#GETTING_DATA"}


@dataclass
class OleWorkbook:
    kind: str  # "xls", "encrypted", "word", "powerpoint", "other"
    sheets: dict[int, Extent] = field(default_factory=dict)  # by BoundSheet offset
    sheet_order: list[int] = field(default_factory=list)  # BoundSheet offsets, in workbook order
    names: list[str] = field(default_factory=list)  # BoundSheet names, in workbook order


def inspect_ole(data: bytes, filename: str, limits: Limits) -> OleWorkbook:
    """Open an OLE2 compound file, decide what it holds, and scan an xls workbook stream."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises OSError, ValueError, struct.error, IndexError…
        raise refuse(_ole_damage(data), filename) from exc
    try:
        streams = ["/".join(path).lower() for path in ole.listdir(streams=True, storages=False)]
        if "encryptedpackage" in streams or "encryptioninfo" in streams:
            return OleWorkbook("encrypted")
        books = [s for s in streams if s in ("workbook", "book")]
        if not books:
            if "worddocument" in streams:
                return OleWorkbook("word")
            if "powerpoint document" in streams:
                return OleWorkbook("powerpoint")
            return OleWorkbook("other")
        result = OleWorkbook("xls")
        # calamine reads "Workbook", else "Book"; scan both when both exist.
        for name in sorted(books, key=lambda b: b != "workbook"):
            size = ole.get_size(name)
            if size > limits.max_file_bytes:
                raise refuse("corrupt_file", filename)
            stream = ole.openstream(name).read()
            if len(stream) < size:
                raise refuse("truncated_file", filename)
            scanned = _scan_biff(stream, filename)
            if scanned is None:
                return OleWorkbook("encrypted")
            if not result.sheet_order:
                result.sheets, result.sheet_order, result.names = scanned
            else:
                check_total(_named_extents(*scanned), filename, limits)
    except UnreadableFileError:
        raise
    except Exception as exc:
        raise refuse(_ole_damage(data), filename) from exc
    finally:
        ole.close()
    return result


def _ole_damage(data: bytes) -> str:
    """A compound file is whole sectors: a size that is not, or a missing tail, means it was cut."""
    if len(data) < 512 or (len(data) - 512) % 512:
        return "truncated_file"
    try:
        sector_shift = struct.unpack_from("<H", data, 30)[0]
        num_fat = struct.unpack_from("<I", data, 44)[0]
        size = 1 << sector_shift if 7 <= sector_shift <= 16 else 512
        # Each FAT sector maps size/4 sectors: a file much shorter than its FAT describes was cut.
        if (len(data) - 512) // size < (num_fat - 1) * (size // 4):
            return "truncated_file"
    except struct.error:
        return "truncated_file"
    return "corrupt_file"


def _biff_records(stream: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    n = len(stream)
    while pos + 4 <= n:
        typ, size = struct.unpack_from("<HH", stream, pos)
        start = pos + 4
        if start + size > n:
            raise _Invalid
        yield typ, start, start + size
        pos = start + size


def _scan_biff(stream: bytes, filename: str) -> tuple[dict[int, Extent], list[int], list[str]] | None:
    """Walk an xls Workbook stream like calamine does. None when the workbook is encrypted (FILEPASS)."""
    sheets: dict[int, Extent] = {}
    order: list[int] = []
    names: list[str] = []
    sst: list[int] = []
    biff8 = True
    try:
        pieces: list[tuple[int, int]] = []
        for typ, start, end in _biff_records(stream, 0):
            if pieces and typ != 0x003C:
                sst = _parse_sst(stream, pieces)
                pieces = []
            if typ == 0x0809 and end - start >= 2:  # BOF: BIFF5 names are 8-bit, BIFF8 ones have a flag
                biff8 = struct.unpack_from("<H", stream, start)[0] != 0x0500
            elif typ == 0x002F and end - start >= 2 and struct.unpack_from("<H", stream, start)[0] != 0:
                return None  # FILEPASS: encrypted with a password
            elif typ == 0x0085 and end - start >= 6:  # BoundSheet8
                offset = struct.unpack_from("<I", stream, start)[0]
                if offset >= len(stream):
                    raise _Invalid
                order.append(offset)
                names.append(_boundsheet_name(stream, start + 6, end, biff8))
            elif typ == 0x00FC:  # SST, continued by the CONTINUE records that follow it
                pieces = [(start, end)]
            elif typ == 0x003C and pieces:
                pieces.append((start, end))
            elif typ == 0x000A:  # EOF of the globals
                break
        if pieces:
            sst = _parse_sst(stream, pieces)
        for offset in dict.fromkeys(order):
            sheets[offset] = _scan_biff_sheet(stream, offset, sst)
    except (_Invalid, struct.error, IndexError) as exc:
        raise refuse("corrupt_file", filename) from exc
    return sheets, order, names


def _boundsheet_name(stream: bytes, pos: int, end: int, biff8: bool) -> str:
    if pos >= end:
        return ""
    cch = stream[pos]
    if biff8 and pos + 1 < end:
        wide = stream[pos + 1] & 0x1
        raw = stream[pos + 2 : min(end, pos + 2 + cch * (2 if wide else 1))]
        return raw.decode("utf-16-le" if wide else "latin-1", "replace")
    return stream[pos + 1 : min(end, pos + 1 + cch)].decode("cp1252", "replace")


def _named_extents(sheets: dict[int, Extent], order: list[int], names: list[str]) -> list[tuple[str, Extent]]:
    return [(name, sheets.get(offset, Extent())) for offset, name in zip(order, names, strict=True)]


def _parse_sst(stream: bytes, pieces: list[tuple[int, int]]) -> list[int]:
    """Byte sizes (2 per character) of the shared strings, across the SST's CONTINUE records."""
    start, end = pieces[0]
    if end - start < 8:
        raise _Invalid
    unique = struct.unpack_from("<i", stream, start + 4)[0]
    total_bytes = sum(e - s for s, e in pieces)
    if unique < 0 or unique > total_bytes // 3 + 1:
        # calamine reserves room for `unique` strings up front: a forged count aborts it.
        raise _Invalid
    lengths: list[int] = []
    piece, pos = 0, start + 8

    def need(k: int) -> None:
        nonlocal piece, pos
        if pos + k > pieces[piece][1]:
            if pos < pieces[piece][1] or piece + 1 >= len(pieces):
                raise _Invalid
            piece += 1
            pos = pieces[piece][0]
            if pos + k > pieces[piece][1]:
                raise _Invalid

    for _ in range(unique):
        need(3)
        cch = struct.unpack_from("<H", stream, pos)[0]
        flags = stream[pos + 2]
        pos += 3
        runs = ext = 0
        if flags & 0x8:
            need(2)
            runs = struct.unpack_from("<H", stream, pos)[0]
            pos += 2
        if flags & 0x4:
            need(4)
            ext = struct.unpack_from("<i", stream, pos)[0]
            pos += 4
            if ext < 0:
                raise _Invalid
        lengths.append(2 * cch)
        wide = flags & 0x1
        left = cch
        while left:
            if pos >= pieces[piece][1]:
                # the characters go on in the next CONTINUE record, which starts with a flags byte
                if piece + 1 >= len(pieces):
                    raise _Invalid
                piece += 1
                pos = pieces[piece][0]
                wide = stream[pos] & 0x1
                pos += 1
            width = 2 if wide else 1
            fit = min(left, (pieces[piece][1] - pos) // width)
            if fit == 0:
                raise _Invalid
            pos += fit * width
            left -= fit
        skip = 4 * runs + ext
        while skip:
            if pos >= pieces[piece][1]:
                if piece + 1 >= len(pieces):
                    raise _Invalid
                piece += 1
                pos = pieces[piece][0]
            step = min(skip, pieces[piece][1] - pos)
            pos += step
            skip -= step
    return lengths


def _scan_biff_sheet(stream: bytes, offset: int, sst: list[int]) -> Extent:
    extent = Extent()
    unpack = struct.unpack_from
    formula_pos: tuple[int, int] | None = None
    for typ, start, end in _biff_records(stream, offset):
        size = end - start
        if typ in (0x0203, 0x027E, 0x0204, 0x0205, 0x00FD, 0x0006):  # Number, RK, Label, BoolErr, LabelSst, Formula
            if size < 6:
                raise _Invalid
            row, col = unpack("<HH", stream, start)
            if typ == 0x00FD:
                if size < 10:
                    raise _Invalid
                index = unpack("<I", stream, start + 6)[0]
                if index < len(sst) and sst[index]:
                    extent.add(row, col)
                    extent.text_bytes += sst[index]
                continue
            extent.add(row, col)
            if typ == 0x0204 and size >= 8:
                extent.text_bytes += 2 * unpack("<H", stream, start + 6)[0]
            elif typ == 0x0205 and size >= 8 and stream[start + 7] == 1:
                code = _BIFF_ERRORS.get(stream[start + 6])
                if code:
                    extent.errors[(row, col)] = code
            elif typ == 0x0006 and size >= 14:
                formula_pos = (row, col)
                if stream[start + 12 : start + 14] == b"\xff\xff" and stream[start + 6] == 2:
                    code = _BIFF_ERRORS.get(stream[start + 8])
                    if code:
                        extent.errors[(row, col)] = code
        elif typ == 0x00BD:  # MulRk
            if size < 6:
                raise _Invalid
            row, first = unpack("<HH", stream, start)
            last = unpack("<H", stream, end - 2)[0]
            if last >= first:
                extent.add(row, first, row, last)
        elif typ == 0x0207 and size >= 2:  # String (a formula's text result)
            extent.text_bytes += 2 * unpack("<H", stream, start)[0]
            if formula_pos is not None:
                extent.add(*formula_pos)
        elif typ == 0x0200:  # Dimensions: calamine reserves rows × cols cells from it
            if size == 14:
                rf, rl, cf, cl = unpack("<IIHH", stream, start)
            elif size == 10:
                rf, rl, cf, cl = unpack("<HHHH", stream, start)
            else:
                raise _Invalid
            if rl >= 1 and cl >= 1:
                if rl - 1 < rf or cl - 1 < cf:
                    raise _Invalid
                extent.declared_cells = max(extent.declared_cells, (rl - rf) * (cl - cf))
        elif typ == 0x000A:  # EOF
            break
    return extent


def check_ole_extents(book: OleWorkbook, filename: str, limits: Limits) -> None:
    """calamine's xls reader builds every sheet when the file is opened: each, and all together."""
    check_total(_named_extents(book.sheets, book.sheet_order, book.names), filename, limits)
