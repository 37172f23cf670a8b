"""Workbooks built in code for the loader tests: small, readable, each showing one layout feature."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

Row = Sequence[Any]


@dataclass
class SheetSpec:
    """A sheet: rows written from A1 (None leaves a cell empty), merged ranges like "A7:A9"."""

    name: str
    rows: list[Row]
    merges: list[str] = field(default_factory=list)
    hidden: bool = False


def xlsx_bytes(sheets: Iterable[SheetSpec]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        ws = wb.create_sheet(spec.name)
        for r, row in enumerate(spec.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for rng in spec.merges:
            ws.merge_cells(rng)
        if spec.hidden:
            ws.sheet_state = "hidden"
    bio = io.BytesIO()
    wb.save(bio)
    return bio.getvalue()


# The standard form used across tests: three header rows, a column-number row.
# Columns: A STT | B name | C members_total | D full | E probationary | F female | G ethnic minority
#          | H committee total | I committee female | J note
FORM_COLUMNS = ("members_total", "members_full", "members_probationary", "members_female",
                "members_ethnic_minority", "committee_members", "committee_female")


def form_header(top: int) -> tuple[list[Row], list[str]]:
    """Three merged header rows starting at 1-based row ``top`` and the column-number row under them."""
    rows: list[Row] = [
        ["STT", "Tên tổ chức cơ sở đảng", "Số lượng đảng viên", None, None, None, None, "Cấp ủy viên", None,
         "Ghi chú"],
        [None, None, "Tổng số", "Chia ra", None, "Trong đó", None, "Tổng số", "Nữ", None],
        [None, None, None, "Chính thức", "Dự bị", "Nữ", "Dân tộc thiểu số", None, None, None],
        ["(1)", "(2)", "(3)=(4)+(5)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)"],
    ]
    t = top
    merges = [f"A{t}:A{t + 2}", f"B{t}:B{t + 2}", f"C{t}:G{t}", f"H{t}:I{t}", f"J{t}:J{t + 2}",
              f"C{t + 1}:C{t + 2}", f"D{t + 1}:E{t + 1}", f"F{t + 1}:G{t + 1}", f"H{t + 1}:H{t + 2}",
              f"I{t + 1}:I{t + 2}"]
    return rows, merges


TITLE = [
    ["ĐẢNG BỘ KHỐI CÁC CƠ QUAN TỈNH", None, None, None, None, None, "ĐẢNG CỘNG SẢN VIỆT NAM"],
    ["BAN TỔ CHỨC", None, None, None, None, None, "Thái Bình, ngày 05 tháng 4 năm 2023"],
    [None, None, None, None, None, None, None, "Biểu số 01-BTCTW"],
    ["BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN QUÝ I NĂM 2023"],
    ["(Tính đến ngày 31/3/2023)"],
    [],
]
SIGNATURE = [
    [],
    [None, "Ghi chú: số liệu do các tổ chức cơ sở đảng báo cáo."],
    [None, "NGƯỜI LẬP BIỂU", None, None, None, None, "T/M BAN THƯỜNG VỤ"],
    [None, None, None, None, None, None, "TRƯỞNG BAN"],
    [None, "Nguyễn Văn An", None, None, None, None, "Trần Thị Bình"],
]


def org(stt: Any, name: str, total: Any, full: Any, prob: Any, female: Any, ethnic: Any, committee: Any,
        committee_female: Any, note: Any = None) -> Row:
    return [stt, name, total, full, prob, female, ethnic, committee, committee_female, note]


def summed(label_stt: Any, label: str, rows: list[Row]) -> Row:
    """A group or total row carrying the sums of ``rows`` (columns C to I)."""
    def number(v: Any) -> int:
        text = str(v).replace(".", "")
        return int(text) if text.lstrip("-").isdigit() else 0

    sums = [sum(number(r[i]) for r in rows) for i in range(2, 9)]
    return [label_stt, label, *sums, None]


# a realistic small bloc: two groups, STT restarting in each
ADMIN = [
    org(1, "Đảng bộ Sở Tài chính", 45, 42, 3, 20, 1, 7, 2),
    org(2, "Chi bộ Sở Tư pháp", 18, 17, 1, 9, 0, 5, 1),
    org(3, "Đảng bộ Văn phòng UBND tỉnh", 60, 55, 5, 25, 2, 9, 3),
]
SOE = [
    org(1, "Đảng bộ Công ty Điện lực", 120, 110, 10, 30, 4, 9, 2),
    org(2, "Chi bộ Công ty Xổ số kiến thiết", 15, 15, 0, 6, 0, 3, 1),
]


def standard_form(
    *,
    title: list[Row] | None = None,
    groups: list[tuple[str, str, list[Row]]] | None = None,
    total: str | None = "top",
    sheet: str = "Biểu 01",
    total_label: str = "TỔNG CỘNG",
) -> SheetSpec:
    """The whole form: title block, header, column numbers, total row, group rows, signature."""
    title = TITLE if title is None else title
    groups = groups if groups is not None else [("I", "Cơ quan hành chính nhà nước", ADMIN),
                                                ("II", "Doanh nghiệp 100% vốn Nhà nước", SOE)]
    # copies: a test may change its sheet's cells without changing the shared rows
    groups = [(stt, label, [list(r) for r in members]) for stt, label, members in groups]
    title = [list(r) for r in title]
    top = len(title) + 1
    header, merges = form_header(top)
    rows: list[Row] = [*title, *header]
    all_orgs = [r for _, _, members in groups for r in members]
    if total == "top":
        rows.append(summed(None, total_label, all_orgs))
    for stt, label, members in groups:
        if stt is not None or label:
            rows.append(summed(stt, label, members))
        rows.extend(members)
    if total == "bottom":
        rows.append(summed(None, total_label, all_orgs))
    rows.extend(SIGNATURE)
    return SheetSpec(sheet, rows, merges)


def cell_of(spec: SheetSpec, text: str, column: int) -> str:
    """A1 address of ``column`` (0-based) in the first row whose B cell (or A cell) equals ``text``."""
    for r, row in enumerate(spec.rows, start=1):
        if len(row) > 1 and (row[1] == text or row[0] == text):
            return f"{get_column_letter(column + 1)}{r}"
    raise KeyError(text)


def simple_report(title: str, rows: list[Row], *, sheet: str = "Biểu 1",
                  header: Sequence[str] = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên",
                                           "Đảng viên nữ", "Kết nạp")) -> bytes:
    """A one-sheet report: a title naming the period, one header row, organizations below."""
    return xlsx_bytes([SheetSpec(sheet, [[title], [], list(header), *[list(r) for r in rows]])])
