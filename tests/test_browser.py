"""The app in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, no mocks.

The store is the one of test_web.py: organizations A and B under "Đảng bộ Khối Thử", quarters 2024-Q1 and
2024-Q2 with numbers worked out by hand (Q1 150 members, Q2 153). The app is served by werkzeug from a thread
of a child process: Dash moves its process-wide callback registry into the first app that answers a request,
so an app built in this process would leave test_web.py's app without callbacks (or take them from it).
When a test fails, its screenshot and the browser's console go to tests/.artifacts/<test>.png / .log.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests import auth
from tests.builders import simple_report
from tests.stores import seeded_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TIMEOUT_MS = 15_000  # for every wait: page actions and expect()
expect.set_options(timeout=TIMEOUT_MS)

HEADER = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp")
# Q1: A 100 members, 40 women, 2 admitted; B 50, 10, 1     → 150 / 50 / 3
# Q2: A 103, 41, 3; B 50, 11, 0                           → 153 / 52 / 3  (+3 members on Q1)
# Q3 (uploaded by a test): A 104, 41, 1; B 52, 11, 2      → 156 / 52 / 3  (+3 members on Q2)
Q1 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 100, 40, 2], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 50, 10, 1]]
Q2 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 103, 41, 3], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 50, 11, 0]]
Q3 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 104, 41, 1], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 52, 11, 2]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The child process: the app on the store given as argv[1], served until its standard input closes.
# (os.read, not sys.stdin.read: a background job forked while this thread holds sys.stdin's lock would hang
# closing its copy of sys.stdin)
SERVE = """
import os, sys, threading
from werkzeug.serving import make_server
from dashboard.store import db
from dashboard.web.app import create_app

app = create_app(db.make_engine(sys.argv[1]), sample_data=False)
server = make_server("127.0.0.1", 0, app.server, threaded=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_port, flush=True)
while os.read(0, 4096):
    pass
server.shutdown()
"""


def report(title: str, rows: list) -> bytes:
    return simple_report(title, rows, header=HEADER)


def hand_worked_reports() -> list[tuple[str, bytes]]:
    """Q1 and Q2 as the files the store is seeded with."""
    return [("q1.xlsx", report("BÁO CÁO QUÝ I NĂM 2024", Q1)), ("q2.xlsx", report("BÁO CÁO QUÝ II NĂM 2024", Q2))]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The base URL of the app, on a fresh SQLite store holding Q1 and Q2."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    seeded_store(url, hand_worked_reports())

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "COOKIE_SECURE": "false"}  # plain HTTP
    with served_child(url, env, folder / "server.log") as base:
        yield base


@contextlib.contextmanager
def served_child(url: str, env: dict[str, str], log_path: Path, *, timeout: float = 60) -> Iterator[str]:
    """The app on the store ``url`` in a child process (``SERVE``) with the environment ``env``: its base URL,
    until the block ends (then its standard input is closed and it stops)."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, url], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline().decode().strip() if ready else ""  # type: ignore[union-attr]
        if not line.isdigit():
            pytest.fail(f"the app did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        yield f"http://127.0.0.1:{line}"
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    """One browser profile for the module, so the app's scripts (plotly.js, AG Grid) are fetched once."""
    ctx = browser.new_context(base_url=server, viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    ctx.set_default_timeout(TIMEOUT_MS)
    login = ctx.new_page()
    auth.login_page(login, "admin")
    login.close()
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new tab on the app (its state lives in the URL); on failure, a screenshot and the console's messages."""
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    tab.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    failed_before = request.session.testsfailed
    yield tab
    if request.session.testsfailed > failed_before:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", request.node.name)
        with contextlib.suppress(Exception):  # a dead page must not hide the test's own failure
            tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.log").write_text(f"url: {tab.url}\n" + "\n".join(console), encoding="utf-8")
    tab.close()


def card(page: Page, title: str):
    """The overview's key-figure card with exactly this title."""
    return page.locator("#ovw-cards .card").filter(has=page.get_by_text(title, exact=True))


def bar_label(page: Page, graph_id: str, text: str):
    """The SVG texts of a chart that read exactly ``text`` (bar labels, ticks)."""
    return page.locator(f"#{graph_id} text").filter(has_text=re.compile(rf"^{re.escape(text)}$"))


def upload(page: Page, name: str, data: bytes) -> None:
    page.locator("#data-upload input[type=file]").set_input_files({"name": name, "mimeType": XLSX, "buffer": data})


def test_brw001_overview_shows_the_hand_worked_figures(page):
    page.goto("/?period=2024-Q2")
    expect(card(page, "Đảng viên")).to_have_text(re.compile(r"^Đảng viên\s*153\s*\+3 so với"))
    expect(card(page, "Đảng viên nữ")).to_contain_text("34,0%")  # 52 of 153
    narrative = page.locator("#ovw-narrative")
    expect(narrative).to_contain_text("Tính đến 30/6/2024")
    expect(narrative).to_contain_text("153 đảng viên")
    expect(narrative).to_contain_text("tăng 3")
    expect(bar_label(page, "ovw-composition", "103")).to_have_count(1)  # A's bar


def test_brw002_choosing_a_period_updates_cards_charts_and_url(page):
    page.goto("/?period=2024-Q2")
    expect(card(page, "Đảng viên")).to_contain_text("153")
    page.locator("#filter-period").click()
    page.get_by_role("option", name="Quý I/2024").click()
    expect(page).to_have_url(re.compile(r"[?&]period=2024-Q1(&|$)"))
    expect(card(page, "Đảng viên")).to_have_text(re.compile(r"^Đảng viên\s*150(?!\d)"))
    expect(page.locator("#ovw-narrative")).to_contain_text("150 đảng viên")
    expect(bar_label(page, "ovw-composition", "103")).to_have_count(0)  # Q2's A is gone
    expect(bar_label(page, "ovw-composition", "100")).not_to_have_count(0)  # Q1's A


def test_brw003_a_row_of_the_table_opens_the_organization_page_and_links_lead_around(page):
    page.goto("/to-chuc?period=2024-Q1")
    grid = page.locator("#org-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row")).to_have_count(2)
    grid.get_by_role("gridcell", name="Đảng bộ Sở Tài chính", exact=True).click()
    expect(page).to_have_url(re.compile(r"/don-vi\?period=2024-Q1&org=A$"))
    header = page.locator("#unit-header")
    expect(header).to_contain_text("Đảng bộ Sở Tài chính")
    expect(header).to_contain_text("Mã: A")
    expect(page.locator("#unit-table")).to_contain_text("100")  # its members in Q1 ...
    expect(page.locator("#unit-table")).to_contain_text("103")  # ... and in Q2
    header.get_by_role("link", name="Đảng bộ Khối Thử").click()  # up to where it sits
    expect(page).to_have_url(re.compile(r"/don-vi\?period=2024-Q1&org=KHOI$"))
    children = page.locator("#unit-children")
    expect(children).to_contain_text("Đảng bộ Công ty Điện lực")
    children.get_by_role("link", name="Đảng bộ Công ty Điện lực").click()
    expect(page).to_have_url(re.compile(r"[?&]org=B$"))
    expect(page.locator("#unit-header")).to_contain_text("Đảng bộ Công ty Điện lực")


def test_brw004_organizations_breadcrumb_leads_back_to_everything(page):
    page.goto("/to-chuc?period=2024-Q1&org=KHOI")
    crumbs = page.locator("#org-tree-crumbs")
    expect(crumbs).to_have_text(re.compile(r"^Toàn bộ\s*›\s*Đảng bộ Khối Thử$"))
    expect(page).to_have_url(re.compile(r"[?&]org=KHOI(&|$)"))
    crumbs.get_by_role("link", name="Toàn bộ").click()
    expect(page).to_have_url(re.compile(r"/to-chuc\?period=2024-Q1$"))
    expect(crumbs).to_have_text("Toàn bộ")
    grid = page.locator("#org-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row")).to_have_count(2)


def test_brw005_uploading_a_bad_file_shows_its_issues_with_cells(page):
    bad = [list(r) for r in Q2]
    bad[0][5] = 500  # 500 women of 103 members, in F4
    page.goto("/du-lieu")
    upload(page, "bad.xlsx", report("BÁO CÁO QUÝ III NĂM 2024", bad))
    issues = page.locator("#data-report table")
    expect(issues).to_contain_text("F4")
    expect(issues).to_contain_text("nhiều hơn tổng số đảng viên")
    expect(page.locator("#data-report")).to_contain_text("1 lỗi")
    expect(page.locator("#data-confirm")).to_be_disabled()


def test_brw006_uploading_a_good_file_and_confirming_makes_its_numbers_appear(page):
    page.goto("/du-lieu")
    upload(page, "q3.xlsx", report("BÁO CÁO QUÝ III NĂM 2024", Q3))
    confirm = page.locator("#data-confirm")
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(page.locator("#data-result")).to_contain_text("lần nhập số 3")
    page.goto("/?period=2024-Q3")
    expect(card(page, "Đảng viên")).to_have_text(re.compile(r"^Đảng viên\s*156\s*\+3 so với"))
    expect(page.locator("#ovw-narrative")).to_contain_text("156 đảng viên")
    expect(page.locator("#filter-period")).to_contain_text("Quý III/2024")


def test_brw007_the_english_switch_turns_the_interface_to_english(page):
    page.goto("/?period=2024-Q2")
    nav = page.locator("#shell-nav")
    expect(nav).to_contain_text("Tổng quan")
    page.locator("#shell-lang").get_by_text("EN", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]lang=en(&|$)"))
    expect(nav).to_contain_text("Overview")
    expect(nav).not_to_contain_text("Tổng quan")
    expect(card(page, "Members")).to_have_text(re.compile(r"^Members\s*153\s*\+3"))
    expect(page.locator("#ovw-narrative")).to_contain_text("153")
    expect(page.locator("#ovw-narrative")).not_to_contain_text("đảng viên")


def test_brw008_the_tree_filter_opens_level_by_level_and_chooses_an_organization(page):
    page.goto("/?period=2024-Q2")
    expect(card(page, "Đảng viên")).to_contain_text("153")
    page.locator("#tree-button").click()
    panel = page.locator("#tree-panel")
    expect(panel).to_contain_text("Đảng bộ Khối Thử")
    expect(panel).not_to_contain_text("Đảng bộ Sở Tài chính")  # one level at a time
    panel.get_by_role("button", name="▸").first.click()
    expect(panel).to_contain_text("Đảng bộ Sở Tài chính")
    panel.get_by_role("button", name="Đảng bộ Sở Tài chính", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]org=A(&|$)"))
    expect(card(page, "Đảng viên")).to_have_text(re.compile(r"^Đảng viên\s*103(?!\d)"))
    # and by name, without diacritics
    page.locator("#tree-button").click()
    # typed once the panel has opened and its re-drawing for the new filter is done (typing into it while it
    # is still being drawn lost the text under load)
    expect(panel).not_to_have_class(re.compile(r"offcanvas-toggling"))
    expect(panel).not_to_have_attribute("data-dash-is-loading", "true")
    page.locator("#tree-search").fill("dien luc")
    page.locator("#tree-search").press("Enter")
    expect(panel).to_contain_text("Tìm thấy 1 tổ chức")
    panel.get_by_role("button", name="Đảng bộ Công ty Điện lực", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]org=B(&|$)"))
    expect(card(page, "Đảng viên")).to_have_text(re.compile(r"^Đảng viên\s*50\s*0 so với"))  # 50, no change


def test_brw009_targets_set_in_the_dialog_go_into_the_link(page):
    page.goto("/phat-trien-dang-vien?period=2024-Q2")
    page.locator("#targets-open").click()
    field = page.locator("#targets-modal input").first  # admissions, % a year
    expect(field).to_have_value("3")
    field.fill("5")
    page.locator("#targets-apply").click()
    expect(page).to_have_url(re.compile(r"[?&]targets=adm:5(&|$)"))
    expect(page.locator("#targets-open")).to_contain_text("*")  # the view uses its own targets
    expect(page.locator("#adm-left")).to_contain_text("5%")  # the target line's label


def test_brw010_rolling_back_asks_first_then_the_numbers_go(page):
    page.goto("/du-lieu?period=2024-Q3")
    batches = page.locator("#data-batches")
    expect(batches).to_contain_text("q3.xlsx")  # imported by test_brw006
    batches.get_by_role("row").filter(has_text="q3.xlsx").get_by_role("button", name="Hoàn tác").click()
    dialog = page.locator("#data-rollback-modal")
    expect(dialog).to_contain_text("q3.xlsx")
    dialog.get_by_role("button", name="Hủy").click()
    expect(dialog).to_be_hidden()
    page.goto("/?period=2024-Q3")
    expect(card(page, "Đảng viên")).to_contain_text("156")  # cancelling changed nothing
    page.goto("/du-lieu?period=2024-Q3")
    batches.get_by_role("row").filter(has_text="q3.xlsx").get_by_role("button", name="Hoàn tác").click()
    dialog.get_by_role("button", name="Hoàn tác").click()
    expect(page.locator("#data-rollback-done")).to_contain_text("Đã hoàn tác lần nhập số 3")
    page.goto("/?period=2024-Q2")
    expect(page.locator("#filter-period")).to_contain_text("Quý II/2024")
    page.locator("#filter-period").click()
    expect(page.get_by_role("option", name="Quý III/2024")).to_have_count(1)  # the period stays known ...
    page.goto("/?period=2024-Q3")
    expect(page.locator("#ovw-cards")).not_to_contain_text("156")  # ... but its figures are gone
