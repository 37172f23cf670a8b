"""An import template: an XLSX for one period, pre-filled with the organizations of the scope (code, name,
type) and a column for each chosen metric, for the organizations to fill in and send back.

The title names the period as the loaders read it ("BÁO CÁO SỐ LIỆU ĐẢNG VIÊN QUÝ III/2024"), the headers
are the catalogue's names, the type is the catalogue's type name, so a filled template loads with no issue.
The figure cells accept only whole numbers ≥ 0 (Excel data validation with a message in Vietnamese); the
sheet is protected (no password: it guards against slips, not people) with only the figure cells unlocked,
so the title block and header rows cannot be changed by accident.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dashboard.analytics import descendants, org_type_name
from dashboard.exports.common import ExportError
from dashboard.exports.tables import _text_cell
from dashboard.formatting import Lang
from dashboard.web.data import Snapshot
from dashboard.web.view import find_org, root_of
from loaders.catalogue import METRIC_BY_ID
from loaders.periods import parse_period_id

DEFAULT_METRICS = ("members_total", "members_full", "members_probationary", "members_female", "admitted")
HEADER_ROW = 7
FONT = "Times New Roman"
_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)


def reporting_orgs(snap: Snapshot, org: str | None, start: dt.date) -> pd.DataFrame:
    """The organizations that report in the scope: those under ``org`` (or everything) with no
    sub-organization, still existing at the period's start; in the order of their codes."""
    orgs = snap.orgs
    if orgs.empty:
        return orgs
    if "valid_to" in orgs.columns:
        ends = pd.to_datetime(orgs["valid_to"], errors="coerce")
        orgs = orgs[ends.isna() | (ends >= pd.Timestamp(start))]
    hit = find_org(orgs, org) if org else None
    if org and hit is None:
        raise ExportError("org_unknown", "Không có tổ chức với mã này.", "There is no organization with this code.")
    inside = orgs if hit is None else orgs[orgs["id"].isin(descendants(orgs, int(hit["id"])) | {int(hit["id"])})]
    parents = set(orgs["parent_id"].dropna().astype("int64"))
    leaves = inside[~inside["id"].isin(parents)]
    return leaves.assign(_code=leaves["code"].fillna("").astype(str)).sort_values(
        ["_code", "name", "id"], kind="stable").drop(columns="_code")


def template(snap: Snapshot, period: str, *, org: str | None = None, metrics: Sequence[str] = DEFAULT_METRICS,
             lang: Lang = "vi") -> bytes:
    """The template workbook's bytes. ``period`` is a period id (2024-Q3), known to the store or not."""
    try:
        p = parse_period_id(period)
    except ValueError:
        raise ExportError("period_invalid", f"Mã kỳ báo cáo không hợp lệ: {period[:20]}.",
                          f"Not a period id: {period[:20]}.") from None
    unknown = [m for m in metrics if m not in METRIC_BY_ID]
    if unknown or not metrics:
        raise ExportError("metric_unknown", f"Chỉ tiêu không hợp lệ: {', '.join(unknown)[:60] or '(trống)'}.",
                          f"Unknown metric: {', '.join(unknown)[:60] or '(none)'}.")
    rows = reporting_orgs(snap, org, p.start)
    top = root_of(snap.orgs)
    issuer = str(top["name"]) if top is not None else ""
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu"
    headers = ["STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", *[METRIC_BY_ID[m].vi for m in metrics]]
    width = len(headers)
    bold = Font(name=FONT, bold=True, size=12)
    _text_cell(ws, 1, 1, issuer.upper(), font=Font(name=FONT, size=12))
    _text_cell(ws, 2, 1, "BAN TỔ CHỨC", font=bold)
    _text_cell(ws, 1, max(3, width - 1), "ĐẢNG CỘNG SẢN VIỆT NAM", font=bold)
    _text_cell(ws, 4, 1, f"BÁO CÁO SỐ LIỆU ĐẢNG VIÊN {p.label.upper()}", font=Font(name=FONT, bold=True, size=14),
               alignment=Alignment(horizontal="center"))
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=width)
    fill = PatternFill("solid", fgColor="F2F2F2")
    for c, text in enumerate(headers, start=1):
        _text_cell(ws, HEADER_ROW, c, text, font=bold, fill=fill, border=BORDER,
                   alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
    first = HEADER_ROW + 1
    open_cell = Protection(locked=False)
    body = Font(name=FONT, size=12)
    for r, org_row in enumerate(rows.itertuples(), start=first):
        code = org_row.code if isinstance(org_row.code, str) else ""
        kind = org_type_name(org_row.org_type, "vi") if isinstance(org_row.org_type, str) else ""
        for c, value in enumerate((r - first + 1, code, org_row.name, kind), start=1):
            _text_cell(ws, r, c, value, font=body, border=BORDER)
        for c in range(5, width + 1):
            cell = ws.cell(r, c)
            cell.protection, cell.border, cell.font = open_cell, BORDER, body
            cell.number_format = "0"
    last = first + max(len(rows), 1) - 1
    if rows.empty:
        for c in range(5, width + 1):
            ws.cell(first, c).protection = open_cell
    check = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           showErrorMessage=True, errorTitle="Số liệu không hợp lệ / Invalid figure",
                           error="Chỉ nhập số nguyên không âm (0, 1, 2, …). / Whole numbers ≥ 0 only.")
    check.add(f"E{first}:{get_column_letter(width)}{last}")
    ws.add_data_validation(check)
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 45
    ws.column_dimensions["D"].width = 28
    for c in range(5, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 16
    ws.freeze_panes = ws.cell(first, 5)
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may still be changed
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
