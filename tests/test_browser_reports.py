"""The report page in a real browser: the pack is made by a Dash background callback (diskcache, a separate
process with its own Chromium for the chart images), with its progress bar, and downloaded.

The app runs as `python app.py serve` would (a child process that does not read its standard input: the
background job is forked from it), on a SQLite store holding the hand-worked quarters of test_web.py.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests import auth
from tests.servers import free_port
from tests.stores import seeded_store
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, hand_worked_reports

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    seeded_store(url, hand_worked_reports())
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "HOST": "127.0.0.1", "PORT": str(port), "COOKIE_SECURE": "false",
           "EXPORT_CACHE_DIR": str(folder / "jobs"), "SNAPSHOT_CACHE_DIR": "off", "SECRET_KEY": "test-" + "k" * 40,
           "PYTHONPATH": str(ROOT)}
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "app.py", "serve"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/dang-nhap", timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the app did not start:\n{(folder / 'server.log').read_text(errors='replace')}")
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_rep001_the_pack_is_made_in_the_background_with_progress_and_downloaded(served):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=served, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        auth.login_page(page, "admin")
        page.goto("/bao-cao?period=2024-Q2")
        charts = page.locator("#rep-charts")
        expect(charts).to_contain_text("Số lượng đảng viên qua các kỳ")
        # keep two charts: untick every other one
        for box in charts.locator("input[type=checkbox]").all():
            value = box.get_attribute("value")
            if value not in ("overview-trend", "admissions-trend") and box.is_checked():
                box.uncheck()
        build = page.locator("#rep-build")
        with page.expect_download(timeout=180_000) as waiting:
            build.click()
            expect(page.locator("#rep-cancel")).to_be_enabled()  # running: the job can be cancelled
            expect(build).to_be_disabled()
        download = waiting.value
        assert download.suggested_filename.endswith(".docx")
        expect(page.locator("#rep-status")).to_contain_text("Đã tạo xong")
        expect(page.locator("#rep-progress")).to_contain_text("100%")
        expect(build).to_be_enabled()
        document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
        text = "\n".join(p.text for p in document.paragraphs)
        assert "Biểu đồ 1:" in text and "Biểu đồ 2:" in text and "Biểu đồ 3:" not in text
        assert "153 đảng viên" in text  # the narrative of the period, as the overview shows it
        assert len(document.inline_shapes) == 2
        # a second pack, cancelled while it runs: the buttons come back and nothing is downloaded
        late: list = []
        page.on("download", lambda d: late.append(d))
        build.click()
        cancel = page.locator("#rep-cancel")
        expect(cancel).to_be_enabled()
        cancel.click()
        expect(build).to_be_enabled()
        expect(cancel).to_be_disabled()
        page.wait_for_timeout(12_000)  # longer than the pack took above
        assert late == []
        browser.close()
