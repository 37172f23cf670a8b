"""Exports, end to end and read back: a store filled through the real import path with numbers worked out by
hand, the real app served over HTTP (a child process: Dash's registries are process-wide), real kaleido and
Chromium, real LibreOffice. Every file is opened with the library an official would use and its numbers are
compared with the API's and the screen's.

Q1 2024: A (admin agency) 100 members, 40 women, 2 admitted; B (wholly state-owned) 50, 10, 1 → 150 / 50 / 3
Q2 2024: A 103, 41, 3; B 50, 11, 0                                                         → 153 / 52 / 3
B's name starts with "@" (a spreadsheet would read it as a formula): it must stay text in every export.
"""

from __future__ import annotations

import csv
import io
import os
import re
import select
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from PIL import Image
from pptx import Presentation

from dashboard import charts
from dashboard.exports import images, tables
from dashboard.exports.common import Caption
from dashboard.store import db, imports
from tests import auth
from tests.builders import simple_report
from tests.stores import seeded_store
from tests.test_browser import SERVE  # the same child-process server

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp")
B_NAME = "@Đảng bộ Công ty Điện lực"
Q1 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 100, 40, 2], [2, "B", B_NAME, "DNNN", 50, 10, 1]]
Q2 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 103, 41, 3], [2, "B", B_NAME, "DNNN", 50, 11, 0]]
SOURCE = "Nguồn: Ban Tổ chức Đảng bộ Khối Thử; số liệu đến 30/6/2024"
COMPOSITION = "Tổ chức cơ sở đảng và đảng viên theo loại hình"
ADMISSIONS = "Kết nạp và công nhận đảng viên chính thức"
Q2_STATE = "?period=2024-Q2"



def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@pytest.fixture(scope="session")
def kaleido_server() -> Iterator[None]:
    """One kaleido server (one Chromium) for every in-process image of the session."""
    images.start()
    yield
    images.stop()


@pytest.fixture(scope="module")
def exports_store(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("exports")
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    seeded_store(url, [(name, simple_report(title, rows, header=HEADER)) for title, rows, name in (
        ("BÁO CÁO QUÝ I NĂM 2024", Q1, "q1.xlsx"), ("BÁO CÁO QUÝ II NĂM 2024", Q2, "q2.xlsx"))])
    return url


@pytest.fixture(scope="module")
def http(exports_store, tmp_path_factory):
    """A signed-in HTTP session on the real app serving the store, with ``base`` set to its address."""
    log_path = tmp_path_factory.mktemp("exports-log") / "server.log"
    env = {**os.environ, "COOKIE_SECURE": "false",  # plain HTTP on 127.0.0.1
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, exports_store], cwd=ROOT, env=env,
                                stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline().decode().strip() if ready else ""  # type: ignore[union-attr]
        if not line.isdigit():
            pytest.fail(f"the app did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        base = f"http://127.0.0.1:{line}"
        session = auth.login_session(base)
        session.base = base  # type: ignore[attr-defined]
        yield session
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def get(http, path: str):
    response = http.get(http.base + path, timeout=120)
    return response


def download(http, path: str, kind: str) -> bytes:
    response = get(http, path)
    assert response.status_code == 200, (path, response.text[:300])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[a-z0-9_.-]+\.' + kind + '"', disposition), disposition
    return response.content


def screen(http, output_prefix: str, search: str) -> dict:
    """What a page shows: its callback posted as the browser posts it."""
    deps = get(http, "/_dash-dependencies").json()
    dep = next(d for d in deps if d["output"].lstrip(".").startswith(output_prefix))
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs, "inputs": [
        {"id": "shell-url", "property": "search", "value": search}], "state": [],
        "changedPropIds": ["shell-url.search"]}
    response = http.post(http.base + "/_dash-update-component", json=body, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return response.json()["response"]


def not_blank(png: bytes, min_width: int = 1600) -> Image.Image:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width >= min_width
    colors = image.getcolors(maxcolors=1 << 20) or []
    assert len(colors) > 20, "the image is (nearly) one colour"
    return image


@pytest.fixture(scope="module")
def docx_bytes(http) -> bytes:
    return download(http, f"/export/report.docx{Q2_STATE}&charts=overview-composition,admissions-trend", "docx")


def test_exp001_same_numbers_in_api_screen_and_every_export(http, docx_bytes):
    # the API and the screen
    summary = get(http, "/api/v1/summary?period=2024-Q2").json()
    assert summary["totals"]["members_total"] == 153 and summary["totals"]["admitted"] == 3
    by_type = {k: v["members_total"] for k, v in summary["by_org_type"].items()}
    assert by_type == {"admin_agency": 103, "soe_100": 50}
    overview = screen(http, "ovw-cards", Q2_STATE)
    on_screen = sorted(v for tr in overview["ovw-composition"]["figure"]["data"] for v in tr["x"] if v > 10)
    assert on_screen == sorted(by_type.values())
    admissions = screen(http, "adm-left", Q2_STATE)
    admitted_on_screen = next(tr["y"] for tr in admissions["adm-left"]["figure"]["data"] if tr["name"] == "Kết nạp")
    assert admitted_on_screen == [3, 3]

    # XLSX: an official form with the same numbers
    data = download(http, f"/export/table/overview-composition.xlsx{Q2_STATE}", "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["A4"].value == COMPOSITION.upper() and ws["A5"].value.startswith("Quý II/2024")
    rows = {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 3).value) for r in (9, 10)}
    assert rows == {"Cơ quan hành chính nhà nước": (1, 103), "DN 100% vốn Nhà nước": (1, 50)}
    assert ws.cell(9, 3).number_format == tables.INT_FORMAT
    assert {"A7:A8", "B7:C7"} <= {str(r) for r in ws.merged_cells.ranges}
    assert (ws.cell(7, 2).value, ws.cell(8, 2).value, ws.cell(8, 3).value) == ("Số lượng", "Tổ chức cơ sở đảng",
                                                                              "Đảng viên")
    assert ws.freeze_panes == "B9" and ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.cell(12, 1).value == SOURCE
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # the native chart (openpyxl does not read charts back)
        chart_xml = next(zf.read(n) for n in zf.namelist() if n.startswith("xl/charts/chart"))
    assert b"<barChart>" in chart_xml and b"$C$9:$C$10" in chart_xml

    # CSV: UTF-8 with BOM, the same numbers
    text = download(http, f"/export/table/admissions-trend.csv{Q2_STATE}", "csv")
    assert text.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert lines[0][:2] == ["Kỳ báo cáo", "Kết nạp"]
    assert [(r[0], r[1], r[3]) for r in lines[1:]] == [("Quý I/2024", "3", "150"), ("Quý II/2024", "3", "153")]

    # PNG and SVG and PDF of the chart: big, not blank, the words and numbers inside
    not_blank(download(http, f"/export/chart/overview-composition.png{Q2_STATE}", "png"))
    svg = nfc(download(http, f"/export/chart/overview-composition.svg{Q2_STATE}", "svg").decode("utf-8"))
    for words in (COMPOSITION, "Quý II/2024 · Đảng bộ Khối Thử", SOURCE, ">103<", ">50<"):
        assert words in svg, words
    assert download(http, f"/export/chart/admissions-trend.pdf{Q2_STATE}", "pdf").startswith(b"%PDF")

    # DOCX: A4, Times New Roman, the narrative, numbered captions, the tables with their numbers
    doc = Document(io.BytesIO(docx_bytes))
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "153 đảng viên" in text and f"Biểu đồ 1: {COMPOSITION}" in text and f"Biểu đồ 2: {ADMISSIONS}" in text
    assert f"Bảng 1: {COMPOSITION}" in text and text.count(SOURCE) == 2
    assert doc.styles["Normal"].font.name == "Times New Roman" and 13 <= doc.styles["Normal"].font.size.pt <= 14
    assert len(doc.inline_shapes) == 2
    assert all(shape.width <= section.page_width - section.left_margin - section.right_margin
               for shape in doc.inline_shapes)
    cells = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert cells[2:] == [["Cơ quan hành chính nhà nước", "1", "103"], ["DN 100% vốn Nhà nước", "1", "50"]]
    admissions_rows = [[c.text for c in row.cells] for row in doc.tables[2].rows]
    assert admissions_rows[1:] == [["Quý I/2024", "3", "–", "150"], ["Quý II/2024", "3", "–", "153"]]

    # PPTX: a title slide, the summary, one chart per slide
    pptx = download(http, f"/export/report.pptx{Q2_STATE}&charts=overview-composition,admissions-trend", "pptx")
    slides = list(Presentation(io.BytesIO(pptx)).slides)
    assert len(slides) == 4 and "153 đảng viên" in slides[1].placeholders[1].text
    assert [sum(1 for s in slide.shapes if s.shape_type == 13) for slide in slides[2:]] == [1, 1]
    assert slides[2].shapes.title.text == f"Biểu đồ 1: {COMPOSITION}"

    # ZIP of images
    with zipfile.ZipFile(io.BytesIO(download(http, f"/export/report.zip{Q2_STATE}&charts=overview-trend,"
                                                   "balance-trend", "zip"))) as zf:
        names = zf.namelist()
        assert [n.split("_")[1] for n in names] == ["overview-trend", "balance-trend"]
        not_blank(zf.read(names[0]))


def test_exp002_download_errors_have_the_api_error_shape(http):
    for path, status, code in (("/export/chart/nope.png", 404, "chart_unknown"),
                               ("/export/chart/overview-trend.exe", 400, "format_unknown"),
                               ("/export/table/overview-trend.xlsx?period=2030", 404, "period_unknown"),
                               ("/export/report.docx?charts=overview-trend,nope", 404, "chart_unknown")):
        response = get(http, path)
        assert response.status_code == status, path
        body = response.json()
        assert body["error"]["code"] == code and body["error"]["message_vi"] and body["error"]["message_en"]
    # the menu under a chart links to its downloads for the URL in view (the callback as the browser posts it)
    deps = get(http, "/_dash-dependencies").json()
    dep = next(d for d in deps if '"export-link"' in d["output"])
    link = {"chart": "overview-trend", "fmt": "chart.png", "type": "export-link"}
    label = {"chart": "overview-trend", "type": "export-label"}
    body = {"output": dep["output"], "outputs": [[{"id": link, "property": "href"}],
                                                 [{"id": label, "property": "children"}]],
            "inputs": [{"id": "shell-url", "property": "search", "value": "?period=2024-Q1&lang=en"}],
            "state": [[{"id": link, "property": "id", "value": link}], [{"id": label, "property": "id",
                                                                         "value": label}]],
            "changedPropIds": ["shell-url.search"]}
    response = http.post(http.base + "/_dash-update-component", json=body, timeout=60)
    assert response.status_code == 200, response.text[:300]
    shown = [value for props in response.json()["response"].values() for value in props.values()]
    assert shown == ["/export/chart/overview-trend.png?period=2024-Q1&lang=en", "Download:"]


def test_exp003_docx_opens_in_libreoffice_with_whole_charts_and_vietnamese_text(docx_bytes, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice and shutil.which("pdftoppm") and shutil.which("pdftotext"), "LibreOffice and poppler-utils"
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(docx_bytes)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=120)
    pdf = tmp_path / "bao-cao.pdf"
    text = nfc(" ".join(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                       timeout=60).stdout.decode("utf-8").split()))  # lines joined
    for words in (f"Biểu đồ 1: {COMPOSITION}", f"Biểu đồ 2: {ADMISSIONS}", f"Bảng 1: {COMPOSITION}",
                  "BÁO CÁO SỐ LIỆU ĐẢNG VIÊN QUÝ II/2024", "153 đảng viên", SOURCE):
        assert words in text, words
    # every chart is in the PDF whole: two images of the charts' full shape (2000 × 1240), not cropped
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, timeout=60)
    pictures = [(int(f[3]), int(f[4])) for f in (line.split() for line in listing.stdout.decode().splitlines()[2:])
                if f[2] == "image"]
    assert len(pictures) == 2
    assert all(w >= 1500 and abs(w / h - 2000 / 1240) < 0.01 for w, h in pictures), pictures
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    for page in pages:
        not_blank(page.read_bytes(), min_width=300)


def test_exp004_text_that_looks_like_a_formula_stays_text(http, tmp_path):
    frame = charts.make_table([[v, 1] for v in ("=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx",
                                                 "\rx", "Bình thường")], [("Tên", ""), ("Số", "")])
    words = Caption("=cmd|' /C calc'!A0", "+phạm vi", "Nguồn: thử")
    ws = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx(frame, words))).active
    assert ws["A4"].value == "=CMD|' /C CALC'!A0" and ws["A4"].data_type == "s"
    for r, value in enumerate(frame.iloc[:, 0], start=9):
        assert ws.cell(r, 1).value == value and ws.cell(r, 1).data_type == "s", value
    assert ws.cell(9, 1).quotePrefix
    rows = list(csv.reader(io.StringIO(tables.to_csv(frame).decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + v if v[:1] in "=+-@\t\r" else v for v in frame.iloc[:, 0]]
    # and through the whole path: B's name from the store, in the tree's table
    data = download(http, f"/export/table/organizations-tree.xlsx{Q2_STATE}", "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = next(c for row in ws.iter_rows() for c in row if c.value == B_NAME)
    assert cell.data_type == "s"
    lines = download(http, f"/export/table/organizations-tree.csv{Q2_STATE}", "csv").decode("utf-8-sig")
    assert "'" + B_NAME in lines


def test_exp005_filled_template_loads_with_zero_issues_and_matches_the_store(http, exports_store):
    from loaders.api import load

    data = download(http, "/export/template.xlsx?period=2024-Q3&metrics=members_total,members_full,"
                          "members_probationary,members_female,admitted", "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.protection.sheet and not ws.cell(8, 5).protection.locked and ws.cell(7, 5).protection.locked
    check = ws.data_validations.dataValidation[0]
    assert (check.type, check.operator, check.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert [ws.cell(r, 2).value for r in (8, 9)] == ["A", "B"]
    assert [ws.cell(r, 3).value for r in (8, 9)] == ["Đảng bộ Sở Tài chính", B_NAME]
    filled = {"A": (104, 100, 4, 41, 1), "B": (52, 50, 2, 11, 2)}
    for r in (8, 9):
        for c, value in enumerate(filled[ws.cell(r, 2).value], start=5):
            ws.cell(r, c).value = value
    buf = io.BytesIO()
    wb.save(buf)
    result = load(buf.getvalue(), filename="filled.xlsx")
    assert result.issues == []
    [period] = result.periods
    assert period.period.id == "2024-Q3" and period.totals()["members_total"] == 156
    assert {r.org_type for r in period.records} == {"admin_agency", "soe_100"}
    engine = db.make_engine(exports_store)
    try:
        dry = imports.import_file(engine, buf.getvalue(), "filled.xlsx", imports.ImportOptions(actor="test"),
                                  dry_run=True)
    finally:
        engine.dispose()
    assert dry.issues == [] and dry.new_orgs == []  # every organization matched by its code


def test_exp006_every_chart_exports_every_format(exports_store, kaleido_server, monkeypatch, tmp_path):
    """The CLI, in this process: every chart as PNG and both tables; the pack; errors with exit codes."""
    from dashboard import cli

    monkeypatch.setenv("DATABASE_URL", exports_store)
    for chart_id in charts.CHART_IDS:
        out = tmp_path / f"{chart_id}.png"
        assert cli.main(["export", "chart", "--period", "2024-Q2", "--chart", chart_id, "-o", str(out)]) == 0
        not_blank(out.read_bytes())
        for fmt in ("xlsx", "csv"):
            out = tmp_path / f"{chart_id}.{fmt}"
            assert cli.main(["export", "table", "--period", "2024-Q2", "--chart", chart_id, "--format", fmt,
                             "-o", str(out)]) == 0
            assert out.read_bytes().startswith(b"\xef\xbb\xbf") if fmt == "csv" else zipfile.is_zipfile(out)
    out = tmp_path / "scope.svg"
    assert cli.main(["export", "chart", "--period", "2024-Q2", "--org", "A", "--chart", "overview-composition",
                     "--format", "svg", "-o", str(out)]) == 0
    svg = nfc(out.read_text(encoding="utf-8"))
    assert "Quý II/2024 · Đảng bộ Sở Tài chính" in svg and ">103<" in svg and ">50<" not in svg
    out = tmp_path / "pack.zip"
    assert cli.main(["export", "report", "--period", "2024-Q2", "--chart", "overview-trend,admissions-trend",
                     "--format", "zip", "-o", str(out)]) == 0
    assert len(zipfile.ZipFile(out).namelist()) == 2
    out = tmp_path / "template.xlsx"
    assert cli.main(["export", "template", "--period", "2024-Q3", "--org", "KHOI", "-o", str(out)]) == 0
    assert cli.main(["export", "chart", "--chart", "nope", "-o", str(tmp_path / "x.png")]) == 1
    assert cli.main(["export", "table", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert cli.main(["export", "chart", "--chart", "overview-trend", "--period", "1999", "-o",
                     str(tmp_path / "x.png")]) == 1
