"""The report pack for a period and scope: a DOCX to paste into the written report, a PPTX with one chart
per slide, a ZIP of the chart images. The user picks the charts (``chart_ids``).

DOCX (python-docx), as administrative documents are set: A4 with 2/2/3/2 cm margins, Times New Roman 14
(tables 13), the issuing-body block, a title, the narrative paragraph (``dashboard.narrative``), each chart
as a 16 cm image with "Biểu đồ n: …" under it, and the key tables with "Bảng n: …" above them and the source
line under them. Numbers in tables are written in the reader's language (7.841; 20,5%).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt
from pptx import Presentation
from pptx.util import Inches
from pptx.util import Pt as PptPt

from dashboard import charts
from dashboard.exports import images
from dashboard.exports.common import caption, no_figures, scope_name, slug, source_line, unknown_chart
from dashboard.exports.tables import issuer_name
from dashboard.formatting import Lang, fmt_int, fmt_number, fmt_pct, is_missing
from dashboard.narrative import report_paragraph
from dashboard.web.view import View

FONT = "Times New Roman"
BODY_PT, TABLE_PT = 14, 13
MAX_TABLE_ROWS = 40  # longer tables stay out of the document (they are in the workbook exports)
Progress = Callable[[int, int, str], None]  # (done, total, what is being made)


@dataclass(frozen=True)
class Pack:
    """What the report is made of: the words, and each chosen chart's image and table."""

    title: str
    subtitle: str
    narrative: str
    source: str
    issuer: str
    items: list[tuple[str, str, bytes, pd.DataFrame]]  # (chart id, title, PNG, table)


def _words(lang: Lang) -> dict[str, str]:
    if lang == "en":
        return {"title": "REPORT ON PARTY MEMBERSHIP FIGURES", "chart": "Chart", "table": "Table",
                "dept": "ORGANIZATION DEPARTMENT", "party": "COMMUNIST PARTY OF VIETNAM", "summary": "Summary"}
    return {"title": "BÁO CÁO SỐ LIỆU ĐẢNG VIÊN", "chart": "Biểu đồ", "table": "Bảng", "dept": "BAN TỔ CHỨC",
            "party": "ĐẢNG CỘNG SẢN VIỆT NAM", "summary": "Nhận định"}


def collect(view: View, chart_ids: Sequence[str], lang: Lang = "vi", progress: Progress | None = None) -> Pack:
    """Render every chosen chart once (the slow part: ~0,5 s an image) and gather the words."""
    if view.period_id is None or view.facts.empty:
        raise no_figures()
    for chart_id in chart_ids:
        if chart_id not in charts.BY_ID:
            raise unknown_chart(chart_id)
    items = []
    total = len(chart_ids) + 1
    for i, chart_id in enumerate(chart_ids):
        chart = charts.BY_ID[chart_id]
        if progress:
            progress(i, total, chart.title(lang))
        fig, table = charts.build(chart_id, view, lang)
        png = images.render(images.decorate(fig, caption(chart_id, view, lang), lang=lang), "png")
        items.append((chart_id, chart.title(lang), png, table))
    narrative = report_paragraph(view.facts, view.orgs, view.periods, view.period_id, scope_name=view.root_name,
                                 lang=lang, **({"targets": view.targets} if hasattr(view, "targets") else {}))
    words = _words(lang)
    label = view.period_label
    title = f"{words['title']} {label.upper()}" if label else words["title"]
    if progress:
        progress(total - 1, total, words["summary"])
    return Pack(title, scope_name(view, lang), narrative, source_line(view, lang), issuer_name(view), items)


# --- DOCX ------------------------------------------------------------------------------------------
def _font(run, size: float, *, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _para(doc, text: str, size: float = BODY_PT, *, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False, after: float = 6, cell=None):
    if cell is not None and len(cell.paragraphs) == 1 and not cell.paragraphs[0].runs:
        p = cell.paragraphs[0]  # a new cell comes with one empty paragraph: fill it
    else:
        p = (cell or doc).add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.space_before = Pt(0)
    if indent:
        p.paragraph_format.first_line_indent = Cm(1)
    _font(p.add_run(text), size, bold=bold, italic=italic)
    return p


def _cell_text(value: object, column: int, table: pd.DataFrame, lang: Lang) -> str:
    if column < table.attrs.get("label_columns", 1):
        return "" if is_missing(value) else str(value)
    if is_missing(value):
        return "–"
    if column in set(table.attrs.get("percent_columns", [])):
        return fmt_pct(value, 1, lang)
    return fmt_int(value, lang) if float(value).is_integer() else fmt_number(value, 2, lang)


def _docx_table(doc, table: pd.DataFrame, lang: Lang) -> None:
    headers = [(str(a), str(b)) for a, b in table.columns]
    two = any(b for _, b in headers)
    top = 2 if two else 1
    grid = doc.add_table(rows=top + len(table), cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    col = 0
    while col < len(headers):
        group, sub = headers[col]
        if not sub:
            cell = grid.cell(0, col).merge(grid.cell(top - 1, col)) if two else grid.cell(0, col)
            _para(doc, group, TABLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0, cell=cell)
            col += 1
            continue
        end = col
        while end + 1 < len(headers) and headers[end + 1][0] == group and headers[end + 1][1]:
            end += 1
        cell = grid.cell(0, col).merge(grid.cell(0, end)) if end > col else grid.cell(0, col)
        _para(doc, group, TABLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0, cell=cell)
        for c in range(col, end + 1):
            _para(doc, headers[c][1], TABLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0,
                  cell=grid.cell(1, c))
        col = end + 1
    labels = table.attrs.get("label_columns", 1)
    for r, row in enumerate(table.itertuples(index=False), start=top):
        for c, value in enumerate(row):
            align = WD_ALIGN_PARAGRAPH.LEFT if c < labels else WD_ALIGN_PARAGRAPH.RIGHT
            _para(doc, _cell_text(value, c, table, lang), TABLE_PT, align=align, after=0, cell=grid.cell(r, c))


def to_docx(pack: Pack, lang: Lang = "vi") -> bytes:
    words = _words(lang)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    head = doc.add_table(rows=1, cols=2)
    left, right = head.cell(0, 0), head.cell(0, 1)
    _para(doc, pack.issuer.upper(), 13, align=WD_ALIGN_PARAGRAPH.CENTER, after=0, cell=left)
    _para(doc, words["dept"], 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0, cell=left)
    _para(doc, words["party"], 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0, cell=right)
    _para(doc, "", 8, after=6)
    _para(doc, pack.title, BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(doc, pack.subtitle, BODY_PT, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    _para(doc, pack.narrative, BODY_PT, indent=True)
    width = section.page_width - section.left_margin - section.right_margin
    for n, (_chart_id, title, png, _table) in enumerate(pack.items, start=1):
        pic = doc.add_paragraph()
        pic.alignment = WD_ALIGN_PARAGRAPH.CENTER
        pic.paragraph_format.keep_with_next = True
        pic.add_run().add_picture(io.BytesIO(png), width=Emu(int(width)))
        _para(doc, f"{words['chart']} {n}: {title}", 13, bold=True, italic=True,
              align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    n = 0
    for chart_id, title, _png, table in pack.items:
        if not charts.BY_ID[chart_id].report_table or table.empty or len(table) > MAX_TABLE_ROWS:
            continue
        n += 1
        cap = _para(doc, f"{words['table']} {n}: {title}", 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
        cap.paragraph_format.keep_with_next = True
        _docx_table(doc, table, lang)
        _para(doc, pack.source, 13, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, after=12)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- PPTX ------------------------------------------------------------------------------------------
def to_pptx(pack: Pack, lang: Lang = "vi") -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    first = prs.slides.add_slide(prs.slide_layouts[0])
    first.shapes.title.text = pack.title
    first.placeholders[1].text = f"{pack.subtitle}\n{pack.source}"
    summary = prs.slides.add_slide(prs.slide_layouts[1])
    summary.shapes.title.text = _words(lang)["summary"]
    body = summary.placeholders[1]
    body.left, body.top, body.width, body.height = Inches(0.7), Inches(1.5), Inches(11.9), Inches(5.5)
    body.text_frame.word_wrap = True
    body.text_frame.text = pack.narrative
    for paragraph in body.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = PptPt(18)
    for n, (_chart_id, title, png, _table) in enumerate(pack.items, start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
        slide.shapes.title.text = f"{_words(lang)['chart']} {n}: {title}"
        slide.shapes.title.text_frame.paragraphs[0].runs[0].font.size = PptPt(28)
        height = Inches(5.6)
        width = int(height * images.WIDTH / images.HEIGHT)
        slide.shapes.add_picture(io.BytesIO(png), int((prs.slide_width - width) / 2), Inches(1.6), width, height)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# --- ZIP -------------------------------------------------------------------------------------------
def to_zip(pack: Pack) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, (chart_id, title, png, _table) in enumerate(pack.items, start=1):
            zf.writestr(f"{n:02d}_{chart_id}_{slug(title, 40)}.png", png)
    return buf.getvalue()


def report(view: View, chart_ids: Sequence[str], fmt: str = "docx", lang: Lang = "vi",
           progress: Progress | None = None) -> bytes:
    """The pack as DOCX, PPTX or ZIP."""
    pack = collect(view, chart_ids, lang, progress)
    if fmt == "pptx":
        return to_pptx(pack, lang)
    if fmt == "zip":
        return to_zip(pack)
    return to_docx(pack, lang)
