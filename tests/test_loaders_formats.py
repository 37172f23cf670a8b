"""read_workbook on real files of every format, built in memory at test time."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest
import xlwt

from loaders.formats import read_workbook
from loaders.model import Limits, SheetGrid, UnreadableFileError
from tests import badfiles

TITLE = "BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN NĂM 2024"
HEADER = ["STT", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Ngày báo cáo"]
DATA = [
    [1, "Đảng bộ xã Hòa Phú", 7841, dt.date(2024, 12, 31)],
    [2, "Chi bộ Trường THPT Nguyễn Huệ", "7.841", dt.date(2025, 6, 30)],
    [3, "Đảng ủy Khối Doanh nghiệp", 20.5, dt.date(2023, 1, 1)],
]
# The table sits at B2 in the spreadsheets (title merged over B2:E2, header on row 3).
ROW0, COL0 = 1, 1


def _expected() -> list[list[object]]:
    return [[TITLE, None, None, None], HEADER, *DATA]


def _xlsx(*, macro: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Biểu 1"
    for i, row in enumerate(_expected()):
        for j, value in enumerate(row):
            if value is not None:
                cell = ws.cell(row=ROW0 + i + 1, column=COL0 + j + 1, value=value)
                if isinstance(value, dt.date):
                    cell.number_format = "DD/MM/YYYY"
    ws.merge_cells(start_row=ROW0 + 1, start_column=COL0 + 1, end_row=ROW0 + 1, end_column=COL0 + 4)
    hidden = wb.create_sheet("Ẩn")
    hidden["A1"] = "ghi chú"
    hidden.sheet_state = "hidden"
    if macro:
        # openpyxl writes the macro-enabled content type when it carries a "VBA archive"; an
        # archive without vbaProject.bin gives an honest .xlsm with no macro in it.
        base = io.BytesIO()
        openpyxl.Workbook().save(base)
        base.seek(0)
        wb.vba_archive = zipfile.ZipFile(base)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xls() -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Biểu 1")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    ws.write_merge(ROW0, ROW0, COL0, COL0 + 3, TITLE)
    for i, row in enumerate(_expected()[1:], start=1):
        for j, value in enumerate(row):
            if isinstance(value, dt.date):
                ws.write(ROW0 + i, COL0 + j, value, date_style)
            else:
                ws.write(ROW0 + i, COL0 + j, value)
    hidden = wb.add_sheet("Ẩn")
    hidden.write(0, 0, "ghi chú")
    hidden.visibility = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ods() -> bytes:
    rows = [[None] * (COL0 + 4) for _ in range(ROW0)] + [[None] * COL0 + r for r in _expected()]
    buf = io.BytesIO()
    pd.DataFrame(rows).to_excel(buf, engine="odf", header=False, index=False, sheet_name="Biểu 1")
    return buf.getvalue()


def _csv_text(delimiter: str) -> str:
    out = io.StringIO()
    import csv

    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in _expected():
        writer.writerow(["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for v in row])
    return out.getvalue()


def _values(grid: SheetGrid) -> dict[tuple[int, int], object]:
    """Non-empty cells by absolute position, dates as dates."""
    out: dict[tuple[int, int], object] = {}
    for i, row in enumerate(grid.rows):
        for j, value in enumerate(row):
            if value is None or value == "":  # an empty cell is None or calamine's ""
                continue
            if isinstance(value, dt.datetime) and value.time() == dt.time():
                value = value.date()
            out[(grid.row0 + i, grid.col0 + j)] = value
    return out


def _expected_cells(row0: int, col0: int, *, as_text: bool = False) -> dict[tuple[int, int], object]:
    out: dict[tuple[int, int], object] = {}
    for i, row in enumerate(_expected()):
        for j, value in enumerate(row):
            if value is None:
                continue
            if as_text:
                value = value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)
            out[(row0 + i, col0 + j)] = value
    return out


SPREADSHEETS = {
    "xlsx": (_xlsx, "bieu.xlsx"),
    "xlsm": (lambda: _xlsx(macro=True), "bieu.xlsm"),
    "xls": (_xls, "bieu.xls"),
    "ods": (_ods, "bieu.ods"),
}


@pytest.mark.parametrize("fmt", sorted(SPREADSHEETS))
def test_same_table_in_every_spreadsheet_format(fmt: str) -> None:
    build, name = SPREADSHEETS[fmt]
    wb = read_workbook(build(), name)
    assert wb.format == fmt
    grid = wb.sheets[0]
    assert grid.name == "Biểu 1"
    assert _values(grid) == _expected_cells(ROW0, COL0)
    # the text number stays text, the integer stays a number
    assert grid.rows[ROW0 + 3 - grid.row0][COL0 + 2 - grid.col0] == "7.841"
    number = grid.rows[ROW0 + 2 - grid.row0][COL0 + 2 - grid.col0]
    assert number == 7841 and not isinstance(number, (str, bool))


def test_xls_keeps_integers_and_xlsx_floats() -> None:
    xls = read_workbook(_xls(), "a.xls").sheets[0]
    xlsx = read_workbook(_xlsx(), "a.xlsx").sheets[0]
    assert type(xls.rows[2][2]) is int  # 7841 in an xls
    assert type(xlsx.rows[2][2]) is float  # 7841.0 in an xlsx


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_merged_header_is_reported(fmt: str) -> None:
    build, name = SPREADSHEETS[fmt]
    grid = read_workbook(build(), name).sheets[0]
    assert grid.merged == [((ROW0, COL0), (ROW0, COL0 + 3))]


def test_ods_merges_are_unknown() -> None:
    assert read_workbook(_ods(), "a.ods").sheets[0].merged is None


@pytest.mark.parametrize("fmt", ["xlsx", "xlsm", "xls"])
def test_hidden_sheet_is_marked(fmt: str) -> None:
    build, name = SPREADSHEETS[fmt]
    sheets = read_workbook(build(), name).sheets
    assert [(s.name, s.visible) for s in sheets] == [("Biểu 1", True), ("Ẩn", False)]
    assert sheets[1].rows == [["ghi chú"]]


CSV_VARIANTS = {
    "utf8-comma": (lambda: _csv_text(",").encode(), "bieu.csv", "csv"),
    "utf8-bom": (lambda: codecs.BOM_UTF8 + _csv_text(",").encode(), "bieu.csv", "csv"),
    "semicolon": (lambda: _csv_text(";").encode(), "bieu.csv", "csv"),
    "tab": (lambda: _csv_text("\t").encode(), "bieu.csv", "csv"),
    "utf16-txt": (lambda: codecs.BOM_UTF16_LE + _csv_text("\t").encode("utf-16-le"), "bieu.txt", "txt"),
}


@pytest.mark.parametrize("variant", sorted(CSV_VARIANTS))
def test_same_table_as_text(variant: str) -> None:
    build, name, fmt = CSV_VARIANTS[variant]
    wb = read_workbook(build(), name)
    assert wb.format == fmt
    grid = wb.sheets[0]
    assert (grid.name, grid.row0, grid.col0, grid.merged) == ("bieu", 0, 0, None)
    assert _values(grid) == _expected_cells(0, 0, as_text=True)
    assert grid.rows[0] == [TITLE, None, None, None]


def test_quoted_fields_keep_delimiters_and_newlines() -> None:
    text = 'Tên;Ghi chú\r\n"Chi bộ A; khối cơ quan";"dòng 1\r\ndòng 2"\r\n"Đảng bộ ""B""";7.841\r\n'
    grid = read_workbook(text.encode(), "q.csv").sheets[0]
    assert grid.rows == [["Tên", "Ghi chú"], ["Chi bộ A; khối cơ quan", "dòng 1\r\ndòng 2"], ['Đảng bộ "B"', "7.841"]]


def test_semicolon_file_with_decimal_commas() -> None:
    text = "Đơn vị;Tổng số;Tỉ lệ\nXã A;7.841;20,5%\nXã B;105;3,2%\nXã C;96;1,0%\n"
    grid = read_workbook(text.encode(), "tile.csv").sheets[0]
    assert grid.rows[1] == ["Xã A", "7.841", "20,5%"]


def test_utf16_without_bom_is_detected() -> None:
    text = "Tên\tSố\nXã A\t7.841\n"
    grid = read_workbook(text.encode("utf-16-le"), "u.txt").sheets[0]
    assert grid.rows == [["Tên", "Số"], ["Xã A", "7.841"]]


def test_ragged_csv_is_padded_and_blank_tail_dropped() -> None:
    grid = read_workbook(b"a,b,c\n1\n\n,,\n", "r.csv").sheets[0]
    assert grid.rows == [["a", "b", "c"], ["1", None, None]]


def test_wrong_extension_reads_by_content() -> None:
    wb = read_workbook(_xlsx(), "thuc-ra-la-xlsx.xls")
    assert wb.format == "xlsx"
    assert _values(wb.sheets[0]) == _expected_cells(ROW0, COL0)
    assert read_workbook(_xls(), "bao-cao.xlsx").format == "xls"
    assert read_workbook(_csv_text(";").encode(), "bao-cao.xlsx").format == "csv"


def test_long_cells_are_cut_and_recorded() -> None:
    long_text = "Nghị quyết " * 50  # 550 characters
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dài"
    ws["A1"] = "ngắn"
    ws["C4"] = long_text
    buf = io.BytesIO()
    wb.save(buf)
    result = read_workbook(buf.getvalue(), "dai.xlsx", Limits(max_cell_chars=100))
    grid = result.sheets[0]
    assert grid.rows[3][2] == long_text[:100]
    assert result.truncated == [("Dài", "C4", len(long_text))]
    text = read_workbook(f"a;b\nx;{long_text}\n".encode(), "dai.csv", Limits(max_cell_chars=100))
    assert text.truncated == [("dai", "B2", len(long_text))]
    assert text.sheets[0].rows[1][1] == long_text[:100]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_rows_and_columns_are_bounded(kind: str) -> None:
    rows = [[f"r{i}c{j}" for j in range(8)] for i in range(50)]
    if kind == "xlsx":
        wb = openpyxl.Workbook()
        for row in rows:
            wb.active.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    else:
        data = "\n".join(",".join(r) for r in rows).encode()
    grid = read_workbook(data, f"big.{kind}", Limits(max_rows=10, max_cols=3)).sheets[0]
    assert len(grid.rows) == 11  # one more than the limit, so the caller can tell it was cut
    assert all(len(r) == 4 for r in grid.rows)
    assert grid.rows[10][3] == "r10c3"


def test_error_cells_come_out_as_codes_xlsx() -> None:
    data = badfiles.handmade_xlsx(
        b'<row r="1"><c r="A1" t="n"><v>1</v></c><c r="B1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        b'<c r="C1" s="0" t="e"><v>#REF!</v></c><c r="D1" t="str"><f>"a"</f><v>abc</v></c></row>'
    )
    grid = read_workbook(data, "loi.xlsx").sheets[0]
    assert grid.rows == [[1.0, "#DIV/0!", "#REF!", "abc"]]


def test_error_cells_come_out_as_codes_xls() -> None:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Lỗi")
    ws.write(0, 0, 5)
    ws.row(0).set_cell_error(1, 0x17)  # #REF!
    ws.row(0).set_cell_error(2, 0x07)  # #DIV/0!
    buf = io.BytesIO()
    wb.save(buf)
    assert read_workbook(buf.getvalue(), "loi.xls").sheets[0].rows == [[5, "#REF!", "#DIV/0!"]]


def test_error_cells_come_out_as_codes_ods() -> None:
    body = (
        b'<table:table-row><table:table-cell office:value-type="float" office:value="7"><text:p>7</text:p>'
        b'</table:table-cell><table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" '
        b'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell></table:table-row>'
    )
    content = badfiles.ods_content(body).replace(
        b"<office:document-content ",
        b'<office:document-content xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:'
        b'calcext:1.0" ',
    )
    grid = read_workbook(badfiles.handmade_ods(content), "loi.ods").sheets[0]
    assert grid.rows == [[7.0, "#DIV/0!"]]


def test_empty_sheet_and_chart_sheet() -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Trống"
    wb.create_sheet("Số liệu")["B2"] = 3
    wb.create_chartsheet("Biểu đồ")
    buf = io.BytesIO()
    wb.save(buf)
    sheets = read_workbook(buf.getvalue(), "c.xlsx").sheets
    assert [s.name for s in sheets] == ["Trống", "Số liệu"]  # the chart sheet is skipped
    assert (sheets[0].rows, sheets[0].row0, sheets[0].col0) == ([], 0, 0)
    assert (sheets[1].rows, sheets[1].row0, sheets[1].col0) == ([[3.0]], 1, 1)


def test_types_are_kept() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([True, dt.datetime(2024, 1, 2, 3, 4, 5), dt.time(7, 30), 12, 0.5, "=SUM(1,2)"])
    buf = io.BytesIO()
    wb.save(buf)
    row = read_workbook(buf.getvalue(), "t.xlsx").sheets[0].rows[0]
    assert row[0] is True
    assert row[1] == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert row[2] == dt.time(7, 30)
    assert row[3] == 12.0 and isinstance(row[3], float)
    assert row[4] == 0.5
    assert len(row) == 5  # a formula without a cached value is empty: nothing is ever recalculated


def test_large_ragged_sheet_reads() -> None:
    # a national-shaped sheet, smaller: every value comes back at its place
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Toàn quốc")
    for i in range(2000):
        ws.append([i, f"{i:05d}", f"Chi bộ {i}", *range(i % 7)])
    buf = io.BytesIO()
    wb.save(buf)
    grid = read_workbook(buf.getvalue(), "n.xlsx").sheets[0]
    assert len(grid.rows) == 2000 and grid.width == 9
    assert grid.rows[1999][:3] == [1999.0, "01999", "Chi bộ 1999"]
    assert grid.rows[6][8] == 5.0 and grid.rows[5][8] in (None, "")


def test_nothing_but_unreadable_for_a_text_that_is_xml() -> None:
    with pytest.raises(UnreadableFileError) as err:
        read_workbook(b'<?xml version="1.0"?><root/>', "x.xml")
    assert err.value.code == "not_a_spreadsheet"
