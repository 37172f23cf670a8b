"""A chart's table as an XLSX in the shape of an official form, or as CSV.

XLSX (openpyxl): the issuing-body block top left, "ĐẢNG CỘNG SẢN VIỆT NAM" top right, the title and the
period/scope line, merged two-level headers, counts shown with "." for thousands whatever Excel's locale
(``INT_FORMAT``), percentages as percentages, the header frozen, A4 landscape fitted to the page width with
the headers repeated on every page, the source line under the table, and — where the screen shows a chart
beside the table — a native Excel chart of the same cells, which officials can restyle.

CSV: UTF-8 with BOM (Excel reads the diacritics), one header row ("Số lượng / Đảng viên").

Text starting with ``=``, ``+``, ``-``, ``@``, tab or CR is never a formula: a string cell (with Excel's
quote prefix) in XLSX, a leading apostrophe in CSV.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboard import charts
from dashboard.exports.common import Caption, caption, no_figures, unknown_chart
from dashboard.formatting import Lang, is_missing
from dashboard.web.view import View, root_of

# "." between thousands in any Excel locale (a plain "#,##0" follows the reader's locale)
INT_FORMAT = r'[>=1000000]#\.###\.##0;[>=1000]#\.##0;0'
PERCENT_FORMAT = "0.0%"
DECIMAL_FORMAT = "0.00"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
HEADER_TOP = 7  # first header row; rows 1–5 hold the title block
FONT = "Times New Roman"
_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)


def is_dangerous(value: object) -> bool:
    return isinstance(value, str) and value[:1] in DANGEROUS


def csv_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + value if is_dangerous(value) else value  # type: ignore[operator]


def _headers(table: pd.DataFrame) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in table.columns]


def flat_headers(table: pd.DataFrame) -> list[str]:
    return [f"{a} / {b}" if b else a for a, b in _headers(table)]


def _is_whole(values: pd.Series) -> bool:
    return all(is_missing(v) or float(v).is_integer() for v in values)


def to_csv(table: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in flat_headers(table)])
    for row in table.itertuples(index=False):
        writer.writerow(["" if is_missing(v) else csv_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _text_cell(ws: Worksheet, row: int, col: int, value: object, **style: object):
    cell = ws.cell(row, col)
    cell.value = value
    if is_dangerous(value):
        cell.data_type = "s"  # openpyxl would store "=…" as a live formula
        cell.quotePrefix = True
    for key, v in style.items():
        setattr(cell, key, v)
    return cell


def _merge_headers(ws: Worksheet, headers: list[tuple[str, str]], top: int) -> None:
    bold = Font(name=FONT, bold=True, size=12)
    fill = PatternFill("solid", fgColor="F2F2F2")
    wrap = Alignment(horizontal="center", vertical="center", wrap_text=True)
    col = 1
    while col <= len(headers):
        group, sub = headers[col - 1]
        if not sub:
            _text_cell(ws, top, col, group, font=bold, alignment=wrap, fill=fill)
            ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
            col += 1
            continue
        end = col
        while end < len(headers) and headers[end][0] == group and headers[end][1]:
            end += 1
        _text_cell(ws, top, col, group, font=bold, alignment=wrap, fill=fill)
        if end > col:
            ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=end)
        for c in range(col, end + 1):
            _text_cell(ws, top + 1, c, headers[c - 1][1], font=bold, alignment=wrap, fill=fill)
        col = end + 1
    for r in (top, top + 1):
        for c in range(1, len(headers) + 1):
            ws.cell(r, c).border = BORDER
            ws.cell(r, c).fill = fill


def _title_block(ws: Worksheet, words: Caption, issuer: str, width: int, lang: Lang) -> None:
    left = max(2, width // 2)
    _text_cell(ws, 1, 1, issuer.upper(), font=Font(name=FONT, size=12))
    _text_cell(ws, 2, 1, "BAN TỔ CHỨC" if lang == "vi" else "ORGANIZATION DEPARTMENT",
               font=Font(name=FONT, bold=True, size=12))
    right = min(width, left + 1) if width > 2 else width
    _text_cell(ws, 1, right, "ĐẢNG CỘNG SẢN VIỆT NAM" if lang == "vi" else "COMMUNIST PARTY OF VIETNAM",
               font=Font(name=FONT, bold=True, size=12))
    _text_cell(ws, 4, 1, words.title.upper(), font=Font(name=FONT, bold=True, size=14),
               alignment=Alignment(horizontal="center"))
    _text_cell(ws, 5, 1, words.subtitle, font=Font(name=FONT, italic=True, size=12),
               alignment=Alignment(horizontal="center"))
    if width > 1:
        ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=width)
        ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=width)


def _native_chart(ws: Worksheet, table: pd.DataFrame, kind: str, first: int, last: int, title: str) -> None:
    labels = table.attrs.get("label_columns", 1)
    percent = set(table.attrs.get("percent_columns", []))
    numeric = list(range(labels, table.shape[1]))
    chosen = table.attrs.get("chart_columns") or ([c for c in numeric if c in percent] or numeric)
    if last < first or not chosen:
        return
    chart: BarChart | LineChart
    if kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if kind == "bar" else "col"
        if kind == "stacked":
            chart.grouping, chart.overlap = ("percentStacked" if percent else "stacked"), 100
    chart.title = title
    chart.height, chart.width = 9, 18
    categories = Reference(ws, min_col=1, min_row=first, max_row=last)
    for c in chosen:
        a, b = _headers(table)[c]
        series = Series(Reference(ws, min_col=c + 1, min_row=first, max_row=last), title=b or a)
        chart.series.append(series)
    chart.set_categories(categories)
    ws.add_chart(chart, f"{get_column_letter(table.shape[1] + 2)}{HEADER_TOP}")


def to_xlsx(table: pd.DataFrame, words: Caption, *, issuer: str = "", chart_kind: str | None = None,
            lang: Lang = "vi") -> bytes:
    """The table as an official-form workbook (see the module's docstring)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu" if lang == "vi" else "Table"
    headers = _headers(table)
    width = len(headers)
    labels = table.attrs.get("label_columns", 1)
    percent = set(table.attrs.get("percent_columns", []))
    _title_block(ws, words, issuer, width, lang)
    _merge_headers(ws, headers, HEADER_TOP)
    first = HEADER_TOP + 2
    body = Font(name=FONT, size=12)
    formats = []
    for i in range(width):
        if i < labels:
            formats.append(None)
        elif i in percent:
            formats.append(PERCENT_FORMAT)
        else:
            formats.append(INT_FORMAT if _is_whole(table.iloc[:, i]) else DECIMAL_FORMAT)
    for r, row in enumerate(table.itertuples(index=False), start=first):
        for c, value in enumerate(row, start=1):
            value = None if is_missing(value) else value
            cell = _text_cell(ws, r, c, value, font=body, border=BORDER)
            if formats[c - 1]:
                cell.number_format = formats[c - 1]
                cell.alignment = Alignment(horizontal="right")
            else:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = first + len(table) - 1
    _text_cell(ws, last + 2, 1, words.source, font=Font(name=FONT, italic=True, size=11))
    for c in range(1, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 40 if c == 1 else (24 if c <= labels else 16)
    ws.freeze_panes = ws.cell(first, labels + 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_TOP}:{HEADER_TOP + 1}"
    ws.print_options.horizontalCentered = True
    if chart_kind and len(table):
        _native_chart(ws, table, chart_kind, first, last, words.title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def issuer_name(view: View) -> str:
    top = root_of(view.orgs)
    return str(top["name"]) if top is not None else view.root_name


def chart_table(chart_id: str, view: View, fmt: str = "xlsx", lang: Lang = "vi") -> bytes:
    """The table of a catalogue chart as XLSX or CSV."""
    chart = charts.BY_ID.get(chart_id)
    if chart is None:
        raise unknown_chart(chart_id)
    if view.period_id is None or view.facts.empty:
        raise no_figures()
    _fig, table = charts.build(chart_id, view, lang)
    if fmt == "csv":
        return to_csv(table)
    return to_xlsx(table, caption(chart_id, view, lang), issuer=issuer_name(view), chart_kind=chart.excel,
                   lang=lang)
