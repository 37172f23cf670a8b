"""The loader's fast paths give exactly what the plain ones give.

A national sheet is read with shortcuts: figures kept as columns until a record's dicts are used, totals
summed with numpy, texts tidied a column at a time, the sheet's XML inflated on a second thread and scanned
with numpy. Each is checked here against the plain reading it stands for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import io
import json
import os
import re
import struct
import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import UnreadableFileError, formats, layout, load, safety
from loaders.model import Limits, OrgRecord, PeriodData, unread_figures
from loaders.rules import frame_of
from loaders.text import clean, clean_all
from tests import badfiles
from tests.builders import SheetSpec, standard_form, xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]


def _loaded(*sheets: SheetSpec):
    return load(xlsx_bytes(sheets), filename="nhanh.xlsx")


def _two_org_types() -> SheetSpec:
    """Organizations of two types with different metrics present, a member count per type."""
    header = ["STT", "Tên tổ chức cơ sở đảng", "Loại hình", "Đảng viên đầu kỳ", "Tổng số đảng viên", "Đảng viên nữ",
              "Kết nạp"]
    rows = [
        [1, "Chi bộ Sở Tư pháp", "CQHC", 10, 12, None, 2],
        [2, "Đảng bộ Công ty Điện lực", "DN 100% vốn NN", None, 40, 9, None],
        [3, "Chi bộ Sở Y tế", "CQHC", 7, None, 3, 1],
        [4, "Chi bộ Công ty Cấp nước", "DN 100% vốn NN", 5, 6, None, None],
    ]
    return SheetSpec("Năm 2024", [["BÁO CÁO NĂM 2024"], header, *rows])


def test_fast001_figures_are_plain_dicts_built_on_first_use():
    result = _loaded(_two_org_types())
    rec = result.periods[0].records[0]
    assert unread_figures(rec) is not None and unread_figures(rec, auxiliary=True) is not None
    assert type(rec.metrics) is dict and rec.metrics == {"members_total": 12, "admitted": 2}
    assert unread_figures(rec) is None  # built once, then kept
    assert rec.metrics is rec.metrics
    assert rec.auxiliary == {"members_opening": 10}
    rec.metrics["members_female"] = 4
    assert "members_female" in rec.metrics and rec.cells["members_female"] == "F3"
    rec.metrics = {"members_total": 1}
    assert rec.metrics == {"members_total": 1}
    other = result.periods[0].records[1]
    assert other.metrics == {"members_total": 40, "members_female": 9} and other.auxiliary == {}
    assert OrgRecord(other.name, other.sheet, other.row, other.code, other.parent, other.org_type, other.group,
                     dict(other.metrics), {}, dict(other.auxiliary), other.columns) == other


def _touch(pdata: PeriodData) -> None:
    for rec in pdata.records:
        _ = rec.metrics, rec.auxiliary


@pytest.mark.parametrize("sheets", [[_two_org_types()], [standard_form()]], ids=["types", "standard"])
def test_fast002_totals_and_types_are_the_same_from_columns_and_from_dicts(sheets):
    lazy = _loaded(*sheets)
    eager = _loaded(*sheets)
    for pdata in eager.periods:
        _touch(pdata)
    # same JSON, key order included
    assert json.dumps(lazy.to_json_dict(records=True)) == json.dumps(eager.to_json_dict(records=True))


def test_fast003_totals_follow_changes_to_a_records_dicts():
    result = _loaded(_two_org_types())
    pdata = result.periods[0]
    before = pdata.totals()
    pdata.records[3].metrics["members_total"] += 100  # a changed dict, next to records still in columns
    assert pdata.totals()["members_total"] == before["members_total"] + 100
    # the order of metrics per type is the order a walk over the dicts meets them
    pdata.records[0].metrics = {"admitted": 1, "members_total": 2}
    walk: dict[str, dict[str, int]] = {}
    top = pdata.top_records
    for rec in top:
        bucket = walk.setdefault(rec.org_type or "unknown", {"organizations": 0})
        bucket["organizations"] += 1
        for m, v in rec.metrics.items():
            bucket[m] = bucket.get(m, 0) + v
    fresh = _loaded(_two_org_types()).periods[0]
    fresh.records[3].metrics["members_total"] += 100
    fresh.records[0].metrics = {"admitted": 1, "members_total": 2}
    assert [list(b.items()) for b in fresh.by_org_type().values()] == [list(b.items()) for b in walk.values()]
    assert list(fresh.by_org_type()) == list(walk)


def test_fast004_frame_is_the_same_from_columns_and_from_dicts():
    lazy = _loaded(_two_org_types()).periods[0]
    eager = _loaded(_two_org_types()).periods[0]
    _touch(eager)
    eager.records[1].metrics  # noqa: B018
    a, b = frame_of(lazy.records), frame_of(eager.records)
    assert list(a) == list(b) and all(np.array_equal(a[m], b[m]) for m in a)
    mixed = _loaded(_two_org_types()).periods[0]
    mixed.records[2].metrics  # noqa: B018  (one record read, the others still columns)
    c = frame_of(mixed.records)
    assert list(c) == list(a) and all(np.array_equal(a[m], c[m]) for m in a)


def test_fast005_group_members_are_the_organizations_under_each_group():
    result = _loaded(standard_form())
    pdata = result.periods[0]
    members = {d.label: d.members for d in pdata.declared}
    types = [r.org_type for r in pdata.records]
    assert members["Cơ quan hành chính nhà nước"] == [i for i, t in enumerate(types) if t == "admin_agency"]
    assert members["Doanh nghiệp 100% vốn Nhà nước"] == [i for i, t in enumerate(types) if t == "soe_100"]
    assert members["TỔNG CỘNG"] == []


_ODD = st.sampled_from(["", " ", "  ", "\u00a0", "\u200b", "\t", "\n", "e\u0301", "Thu\u200b\u0309y", "\0", "a", "Đ",
                        "ủy", "\u202f", "\ufeff", "x  y", "\u0301"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_ODD, max_size=4).map("".join), max_size=12))
def test_fast006_a_column_tidied_at_once_is_each_cell_tidied(texts):
    assert clean_all(texts) == [clean(t) for t in texts]


def test_fast007_collection_is_paused_while_loading_and_restored():
    data = xlsx_bytes([standard_form()])
    assert gc.isenabled()
    load(data, filename="a.xlsx")
    assert gc.isenabled()
    with pytest.raises(UnreadableFileError):
        load(b"not a spreadsheet at all \x00\x01", filename="a.xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        load(data, filename="a.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- the sheet's XML: inflated on a second thread, scanned with numpy ----------------------------


def _entry_info(data: bytes, name: str) -> zipfile.ZipInfo:
    return zipfile.ZipFile(io.BytesIO(data)).getinfo(name)


@functools.cache
def _big_sheet(rows: int) -> bytes:
    cells = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>T\xe1\xbb\x95 %d</t></is></c>'
                     b'<c r="B%d"><v>%d</v></c></row>' % (r, r, r, r, r) for r in range(1, rows + 1))
    return badfiles.SHEET_HEAD + cells + badfiles.SHEET_TAIL




@pytest.fixture
def small_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inflate ahead from 64 KB on, so that small sheets (and little memory) exercise the second thread."""
    monkeypatch.setattr(safety, "_AHEAD_BYTES", 1 << 16)


def test_fast008_inflating_ahead_gives_the_same_chunks(small_ahead):
    sheet = _big_sheet(15_000)
    assert len(sheet) > 20 * safety._AHEAD_BYTES
    data = badfiles.raw_zip([badfiles.entry("xl/worksheets/sheet1.xml", sheet)])
    info = _entry_info(data, "xl/worksheets/sheet1.xml")
    ahead = list(safety._inflate_ahead(data, info, "a.xlsx"))
    assert ahead == list(safety._inflate(data, info, "a.xlsx"))
    assert b"".join(ahead) == sheet


@pytest.mark.parametrize("declared", [1 << 19, 1 << 20])
def test_fast009_inflating_ahead_fails_where_inflating_fails(small_ahead, declared):
    sheet = _big_sheet(15_000)  # ~1,3 MB, declared smaller: it inflates past its declared size
    data = badfiles.raw_zip([("xl/worksheets/sheet1.xml", badfiles.deflate(sheet), zlib.crc32(sheet), declared)])
    info = _entry_info(data, "xl/worksheets/sheet1.xml")

    def run(chunks):
        seen = []
        with pytest.raises(UnreadableFileError) as exc:
            for chunk in chunks:
                seen.append(len(chunk))
        return seen, exc.value.code

    plain = run(safety._inflate(data, info, "a.xlsx"))
    assert plain[1] == "zip_bomb" and plain[0]
    assert run(safety._inflate_ahead(data, info, "a.xlsx")) == plain


def test_fast010_a_reader_stopping_early_stops_the_inflating_thread(small_ahead):
    sheet = _big_sheet(15_000)
    data = badfiles.raw_zip([badfiles.entry("xl/worksheets/sheet1.xml", sheet)])
    info = _entry_info(data, "xl/worksheets/sheet1.xml")
    chunks = safety._inflate_ahead(data, info, "a.xlsx")
    next(chunks)
    chunks.close()
    assert not [t for t in threading.enumerate() if t.name == "inflate"]


@pytest.mark.parametrize("prolog", [b'<!DOCTYPE worksheet [<!ENTITY x "y">]>', b""])
def test_fast015_a_refused_part_stops_the_inflating_thread(small_ahead, prolog):
    rows = _big_sheet(15_000)[len(badfiles.SHEET_HEAD) : -len(badfiles.SHEET_TAIL)]
    if not prolog:  # no DTD: a bad CRC, found at the end of the part instead
        data = bytearray(badfiles.handmade_xlsx(rows))
        info = _entry_info(bytes(data), "xl/worksheets/sheet1.xml")
        data[info.header_offset + 14 : info.header_offset + 18] = b"\0\0\0\0"
        central = bytes(data).rfind(b"xl/worksheets/sheet1.xml") - 46
        data[central + 16 : central + 20] = b"\0\0\0\0"
        data = bytes(data)
    else:
        data = badfiles.handmade_xlsx(rows, prolog=prolog)
    with pytest.raises(UnreadableFileError) as exc:
        safety.inspect_zip(data, "a.xlsx", Limits())
    assert exc.value.code == ("xml_entities" if prolog else "corrupt_file")
    assert not [t for t in threading.enumerate() if t.name == "inflate"]


def test_fast011_a_large_sheet_read_with_the_second_thread_is_read_the_same(small_ahead):
    sheet = _big_sheet(15_000)
    data = badfiles.raw_zip([badfiles.entry("xl/worksheets/sheet1.xml", sheet)])
    ahead = safety.inspect_zip(data, "a.xlsx", Limits())
    safety._AHEAD_BYTES = 1 << 40
    plain = safety.inspect_zip(data, "a.xlsx", Limits())
    assert ahead.extents == plain.extents and ahead.parts == plain.parts


def _plain_scan(chunks: list[bytes]) -> tuple:
    """The fast cell scanner's rules, read the plain way: a cell at a time, each region padded with zeros."""
    extent = safety.Extent()
    exact = False
    carry = b""

    def region(text: bytes) -> bool:  # True: the fast reading gives up (exact reading needed)
        if safety._PREFIXED_TAG.search(text):
            return True
        padded = text + b"\0" * 24
        cells = [m.start() for m in re.finditer(rb"<c", text) if padded[m.start() + 2] in b"\t\n\r />"]
        if not cells:
            return False
        rows, cols = [], []
        for p in cells:
            if padded[p + 2 : p + 6] != b' r="':
                return True
            letters = 0
            while letters < 4 and 65 <= padded[p + 6 + letters] <= 90:
                letters += 1
            if not 1 <= letters <= 3:
                return True
            digits = 0
            while digits < 8 and 48 <= padded[p + 6 + letters + digits] <= 57:
                digits += 1
            if not 1 <= digits <= 7 or padded[p + 6 + letters + digits] != 34:
                return True
            ref = padded[p + 6 : p + 6 + letters + digits]
            row = int(ref[letters:])
            if row < 1:
                return True
            col = 0
            for ch in ref[:letters]:
                col = col * 26 + ch - 64
            rows.append(row - 1)
            cols.append(col - 1)
        extent.add(min(rows), min(cols), max(rows), max(cols))
        extent.string_cells += text.count(b'="s"')
        if b't="e"' in text:
            for m in safety._ERROR_CELL.finditer(text):
                v = safety._V_TEXT.search(m.group(3))
                if v and v.group(1).startswith(b"#"):
                    extent.errors[(int(m.group(2)) - 1, safety._col_index(m.group(1)))] = v.group(1).decode()
        return False

    for chunk in chunks:
        text = carry + chunk
        cut = text.rfind(b"<c")
        if cut < 0:
            carry = text[-8:]
            if safety._PREFIXED_TAG.search(text):
                exact = True
                break
            continue
        carry = text[cut:]
        if region(text[:cut]):
            exact = True
            break
    else:
        if carry and region(carry + b" "):
            exact = True
    if exact:
        return (True,)
    return False, extent.min_row, extent.min_col, extent.max_row, extent.max_col, extent.string_cells, extent.errors


def _fast_scan(chunks: list[bytes]) -> tuple:
    scanner = safety._XlsxCellScanner()
    for chunk in chunks:
        scanner.feed(chunk)
    scanner.close()
    if scanner.exact_needed:
        return (True,)
    e = scanner.extent
    return False, e.min_row, e.min_col, e.max_row, e.max_col, e.string_cells, e.errors


_PIECES = [
    b'<c r="A1" t="s"><v>1</v></c>', b'<c r="AB12" t="e"><v>#REF!</v></c>', b'<c r="XFD1048576"/>', b'<c r="a1"/>',
    b'<x:c r="B2"/>', b'<c  r="C3"/>', b"<c r='D4'/>", b'<c r="A0"/>', b'<c r="AAAA1"/>', b'<c r="A12345678"/>',
    b'<row r="5">', b"</row>", b'<c t="s" r="E5"/>', b'="s"', b't="e"', b":c ", b":row>", b":rows", b'<col min="1"/>',
    b"<cols>", b"<c>", b"<c/>", b'<c\tr="Z9"/>', b'<c r="Z9"', b'<c r="Z"', b'<c r="9"', b'<c r="', b"<c", b"<", b"c",
    b'"', b'<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>', b"\xe1\xbb\x90", b"<is><t>a:c b</t></is>", b"   ",
    b'<c r="AZ100"><v>3</v></c>', b'<c r="B99999"><v>2</v></c>', b'<c r="C100000"/>', b'<c r="D7" s="1" t="n"/>',
]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=50), st.lists(st.integers(0, 2000), max_size=6))
def test_fast012_numpy_cell_scan_reads_what_a_plain_scan_reads(pieces, cuts):
    body = b"".join(pieces)
    bounds = sorted({min(c, len(body)) for c in cuts})
    chunks = [body[a:b] for a, b in zip([0, *bounds], [*bounds, len(body)], strict=True)]
    assert _fast_scan(chunks) == _plain_scan(chunks)


def test_fast013_numpy_cell_scan_of_a_real_sheet():
    data = badfiles.small_xlsx()
    info = _entry_info(data, "xl/worksheets/sheet1.xml")
    chunks = list(safety._inflate(data, info, "a.xlsx"))
    assert _fast_scan(chunks) == _plain_scan(chunks)
    sheet = _big_sheet(15_000)
    chunks = [sheet[i : i + 65_536] for i in range(0, len(sheet), 65_536)]
    assert _fast_scan(chunks) == _plain_scan(chunks) == (False, 0, 0, 14_999, 1, 0, {})


def test_fast014_the_national_form_reads_the_same_after_all_shortcuts(tmp_path):
    from loaders.samples import write_national

    path = tmp_path / "nat.xlsx"
    write_national(path, organizations=400, provinces=4, communes=30)
    lazy = load(path)
    eager = load(path)
    for pdata in eager.periods:
        _touch(pdata)
    assert json.dumps(lazy.to_json_dict(records=True)) == json.dumps(eager.to_json_dict(records=True))
    assert lazy.issues == [] and len(lazy.periods[0].records) == 400


# --- calamine reads a verified, uncompressed copy of the package ---------------------------------

_SAMPLES = sorted((ROOT / "data" / "samples").glob("*.xlsx"))


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(safety.StoredCopy.make() is None, reason="no memory files here (not Linux)")
@pytest.mark.parametrize("builder", ["small_xlsx", "ods", "national"])
def test_fast016_the_copy_holds_exactly_the_verified_parts(builder, tmp_path):
    if builder == "small_xlsx":
        data = badfiles.small_xlsx()
    elif builder == "ods":
        data = badfiles.handmade_ods(badfiles.ods_content(b"<table:table-row><table:table-cell office:value-type="
                                                          b'"float" office:value="3"><text:p>3</text:p>'
                                                          b"</table:table-cell></table:table-row>"))
    else:
        from loaders.samples import write_national

        write_national(tmp_path / "nat.xlsx", organizations=300, provinces=3, communes=20)
        data = (tmp_path / "nat.xlsx").read_bytes()
    before = _open_fds()
    pkg = safety.inspect_zip(data, "a.xlsx", Limits(), copy=True)
    assert pkg.copy is not None
    with open(pkg.copy.path, "rb") as copy:
        stored = zipfile.ZipFile(io.BytesIO(copy.read()))
    original = zipfile.ZipFile(io.BytesIO(data))
    assert stored.namelist() == original.namelist()
    assert stored.testzip() is None
    for info in stored.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        assert stored.read(info) == original.read(info.filename)
    pkg.copy.close()
    assert _open_fds() == before
    # without copy=True (what the tests and other callers get): no memory file at all
    assert safety.inspect_zip(data, "a.xlsx", Limits()).copy is None and _open_fds() == before


@pytest.mark.parametrize("path", _SAMPLES, ids=[p.name for p in _SAMPLES])
def test_fast017_a_file_reads_the_same_from_the_copy_and_from_its_own_bytes(path, monkeypatch):
    sources: list[type] = []
    read = formats._read_calamine

    def spy(source, *args, **kwargs):
        sources.append(type(source))
        return read(source, *args, **kwargs)

    monkeypatch.setattr(formats, "_read_calamine", spy)
    from_copy = load(path)
    monkeypatch.setattr(safety, "COPY_BYTES", 0)  # over the bound: calamine reads the original bytes
    from_bytes = load(path)
    expected_copy = str if safety.StoredCopy.make() is not None else bytes
    assert sources == [expected_copy, bytes]
    assert json.dumps(from_copy.to_json_dict(records=True)) == json.dumps(from_bytes.to_json_dict(records=True))


@pytest.mark.parametrize("builder", ["small_xlsx", "bad_crc_xlsx", "lying_bomb", "sparse_grid_bomb",
                                     "doctype_in_sheet", "shared_string_bomb"])
def test_fast018_no_memory_file_stays_open(builder):
    data = getattr(badfiles, builder)()
    before = _open_fds()
    with contextlib.suppress(UnreadableFileError):
        load(data, filename="a.xlsx")
    assert _open_fds() == before


def test_fast019_a_copy_that_cannot_be_filled_is_dropped(monkeypatch):
    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safety.os, "write", full)
    data = badfiles.small_xlsx()
    before = _open_fds()
    pkg = safety.inspect_zip(data, "a.xlsx", Limits(), copy=True)
    assert pkg.copy is None and _open_fds() == before
    assert load(data, filename="a.xlsx").sheets  # and the file is read from its own bytes


def test_fast020_cell_scan_without_string_count_finds_the_same_extent():
    sheet = _big_sheet(3_000).replace(b't="inlineStr"', b't="s"')
    chunks = [sheet[i : i + 10_000] for i in range(0, len(sheet), 10_000)]
    counted, plain = safety._XlsxCellScanner(), safety._XlsxCellScanner(count_strings=False)
    for chunk in chunks:
        counted.feed(chunk)
        plain.feed(chunk)
    counted.close()
    plain.close()
    assert counted.extent.string_cells == 3_000 and plain.extent.string_cells == 0
    plain.extent.string_cells = counted.extent.string_cells
    assert plain.extent == counted.extent


# --- the figures: a block of floats read from marshal's bytes -----------------------------------

_SUBNORMAL_U = struct.unpack("<d", b"\x00\x00\x00u\x00\x00\x00\x00")[0]  # its bytes hold those of marshal's ""
_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1.0, 7841.0, _SUBNORMAL_U, 5e-324]),
    st.just(""), st.sampled_from([" ", "u", "7", "1.234", "-", "\0"]), st.booleans(), st.integers(-3, 10**20),
    st.none(), st.just(dt.date(2024, 1, 1)), st.just(dt.time(1, 2)),
)


def _is_float_or_blank(v) -> bool:
    return type(v) is float or (type(v) is str and v == "")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=4, max_size=4), min_size=1, max_size=6),
       st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True))
def test_fast021_a_block_of_figures_is_read_exactly_or_not_at_all(rows, columns):
    block = layout._float_block(rows, columns)
    picked = [[row[c] for c in columns] for row in rows]
    simple = all(_is_float_or_blank(v) for row in picked for v in row)
    if block is None:
        # the careful path: only for cells other than floats and blanks, or a float holding a blank's bytes
        assert not simple or any(b"u\0\0\0\0" in struct.pack("<d", v) for row in picked for v in row if v != "")
        return
    assert simple
    expected = np.array([[np.nan if v == "" else v for v in row] for row in picked], dtype=float)
    assert block.shape == expected.shape
    assert np.array_equal(block.view(np.uint64), expected.view(np.uint64))  # bit for bit: -0.0, NaN


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELLS, max_size=8))
def test_fast022_a_column_of_floats_is_read_exactly_or_not_at_all(cells):
    arr = layout._floats(tuple(cells))
    if arr is None:
        assert not all(type(v) is float for v in cells)
    else:
        assert all(type(v) is float for v in cells)
        assert np.array_equal(arr.view(np.uint64), np.array(cells, dtype=float).view(np.uint64))


def test_fast023_odd_cells_in_a_block_of_figures_still_become_issues():
    header = ["STT", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Đảng viên nữ", "Bí thư đồng thời là thủ trưởng"]
    rows = [[1, "Chi bộ A", 10, 4, 1], [2, "Chi bộ B", 12.5, None, 2], [3, "Chi bộ C", -3, 5, None]]
    result = _loaded(SheetSpec("Năm 2024", [["BÁO CÁO NĂM 2024"], header, *rows]))
    codes = [(i.code, i.cell) for i in result.issues if i.code != "period_unknown"]
    assert ("not_integer", "C4") in codes and ("negative_value", "C5") in codes
    assert any(cell == "E4" for _, cell in codes)  # 2 in a yes/no column
    recs = result.periods[0].records
    assert recs[0].metrics == {"members_total": 10, "members_female": 4, "secretary_is_head": 1}
    assert recs[1].metrics == {} and recs[2].metrics == {"members_female": 5}
