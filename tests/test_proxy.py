"""The dashboard behind a reverse proxy: the whole site under URL_PREFIX (/thong-ke), and the client's address
and scheme taken from a trusted proxy's X-Forwarded-* headers (PROXY_FIX) — or ignored when none is trusted.

Real servers, real HTTP: the app runs in child processes (Dash's process-wide registries allow one app per
process, see test_browser.py), one trusting one proxy (PROXY_FIX=1) and one, started with
``python app.py serve``, trusting none. A tiny reverse proxy in this process (a thread) forwards to the
trusted one either passing the full path or stripping the prefix and sending X-Forwarded-Prefix, the two
ways nginx is set up; the browser test goes through it both ways. The store is the hand-worked one of
test_web.py (organizations A and B under KHOI; Q2: 153 members, A 103).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select as sql_select

from dashboard import settings
from dashboard.store import db
from dashboard.store.schema import access_log, organizations
from tests import auth
from tests.servers import free_port
from tests.stores import seeded_store
from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    bar_label,
    card,
    hand_worked_reports,
    served_child,
)

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/thong-ke"
PAGES = ("/", "/phat-trien-dang-vien", "/ky-luat", "/co-cau", "/chat-luong", "/bien-dong", "/to-chuc", "/du-lieu",
         "/bao-cao", "/don-vi?org=A")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length"}


# --- servers -------------------------------------------------------------------------------------
def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL")}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               COOKIE_SECURE="false", PYTHONUNBUFFERED="1", **extra)  # plain HTTP on 127.0.0.1
    return env


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        if proc.stdin:
            proc.stdin.close()
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture(scope="module")
def proxy_store(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('proxy') / 'store.sqlite3'}"
    seeded_store(url, hand_worked_reports())
    return url


@pytest.fixture(scope="module")
def app_url(proxy_store, tmp_path_factory) -> Iterator[str]:
    """The address of the app under /thong-ke, trusting one proxy (what the proxy in front would call)."""
    log_path = tmp_path_factory.mktemp("proxy-log") / "server.log"
    env = _env(URL_PREFIX=PREFIX, PROXY_FIX="1", LOGIN_RATE_LIMIT="10 per minute")
    with served_child(proxy_store, env, log_path) as base:
        yield base


@pytest.fixture(scope="module")
def http(app_url) -> requests.Session:
    """Signed in (as admin) at the app's full path, as a proxy that passes the full path would be."""
    return auth.login_session(app_url + PREFIX)


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory) -> Iterator[dict]:
    """``python app.py serve`` under /thong-ke trusting no proxy, on a store with no account yet: its address,
    store and what it printed on starting."""
    folder = tmp_path_factory.mktemp("untrusted")
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    seeded_store(url, hand_worked_reports()[:1], admin=None)
    port = free_port()
    env = _env(URL_PREFIX=PREFIX, PROXY_FIX="0", DATABASE_URL=url, DATABASE_PATH=str(folder / "store.sqlite3"),
               HOST="127.0.0.1", PORT=str(port), SNAPSHOT_CACHE_DIR="off", EXPORT_CACHE_DIR=str(folder / "jobs"),
               LOGIN_RATE_LIMIT="3 per minute", DEBUG="false")
    env.pop("COOKIE_SECURE")  # auto: `serve` on 127.0.0.1 turns it off by itself
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "app.py", "serve", "--lang", "en"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=log)
    base = f"http://127.0.0.1:{port}"
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("thiet-lap" in line for line in printed):
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                line = proc.stdout.readline().decode()  # type: ignore[union-attr]
                if not line:
                    break
                printed.append(line.strip())
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(base + PREFIX + "/healthz", timeout=5).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"`app.py serve` did not start:\n{printed}\n{log_path.read_text(errors='replace')[-3000:]}")
        yield {"base": base, "store": url, "printed": printed}
    finally:
        _stop(proc)


class _Forward(BaseHTTPRequestHandler):
    """One reverse-proxy hop: what nginx's ``proxy_pass`` does with the headers of the README's example."""

    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, *args) -> None:  # the test reads ``seen`` instead
        pass

    def _forward(self) -> None:
        proxy = self.server
        proxy.seen.append(self.path)
        path = self.path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        forwarded_for = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = (forwarded_for + ", " if forwarded_for else "") + self.client_address[0]
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Host"] = self.headers.get("Host", "")
        if proxy.strip:
            if path != PREFIX and not path.startswith((PREFIX + "/", PREFIX + "?")):
                self._answer(404, [("Content-Type", "text/plain")], b"not behind this proxy")
                return
            path = path[len(PREFIX):]
            path = path if path.startswith("/") else "/" + path
            headers["X-Forwarded-Prefix"] = PREFIX
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
        try:
            upstream.request(self.command, path, body=body or None, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            self._answer(response.status, [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP],
                         data)
        finally:
            upstream.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = _forward


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port: int, strip: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream_port, self.strip, self.seen = upstream_port, strip, []


@contextlib.contextmanager
def reverse_proxy(app_url: str, *, strip: bool) -> Iterator[_ProxyServer]:
    server = _ProxyServer(int(app_url.rsplit(":", 1)[1]), strip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def proxy_url(proxy: _ProxyServer) -> str:
    return f"http://127.0.0.1:{proxy.server_address[1]}"


def call(http: requests.Session, base: str, output: str, inputs: list[dict], state: list[dict] | None = None):
    """POST one callback as the browser would (the callback whose output starts with ``output``)."""
    deps = http.get(base + "/_dash-dependencies", timeout=30).json()
    dep = next(d for d in deps if d["output"].lstrip(".").startswith(output))
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs, "state": state or [], "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    response = http.post(base + "/_dash-update-component", json=body, timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.json()["response"]


def hrefs(tree: object) -> list[str]:
    """Every ``href`` in a Dash component tree (as JSON)."""
    return re.findall(r'"href": "([^"]*)"', json.dumps(tree, ensure_ascii=False))


def log_entries(store: str, action: str) -> list[dict]:
    engine = db.make_engine(store)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sql_select(access_log).where(access_log.c.action == action))
                    .mappings()]
    finally:
        engine.dispose()


def org_id(store: str, code: str) -> int:
    engine = db.make_engine(store)
    try:
        with engine.connect() as conn:
            return conn.execute(sql_select(organizations.c.id).where(organizations.c.code == code)).scalar_one()
    finally:
        engine.dispose()


def failed_login(session: requests.Session, base: str, headers: dict[str, str]) -> requests.Response:
    page = session.get(base + PREFIX + "/dang-nhap", headers=headers, timeout=30)
    return session.post(base + PREFIX + "/dang-nhap", headers=headers, allow_redirects=False, timeout=30,
                        data={"name": "nobody", "password": "wrong-password-123",
                              "csrf_token": auth.csrf_field(page.text)})


# --- the setting ---------------------------------------------------------------------------------
def test_prx000_url_prefix_is_read_as_one_clean_path(monkeypatch):
    for raw, expected in (("", ""), ("/", ""), ("/thong-ke", "/thong-ke"), ("thong-ke/", "/thong-ke"),
                          ("/ban-to-chuc/thong-ke/", "/ban-to-chuc/thong-ke")):
        monkeypatch.setenv("URL_PREFIX", raw)
        assert settings.url_prefix() == expected, raw
    for bad in ("/a b", "/x?y=1", "/x#y", "/a//b", "/a/../b", "/%2e%2e"):
        monkeypatch.setenv("URL_PREFIX", bad)
        with pytest.raises(ValueError, match="URL_PREFIX"):
            settings.url_prefix()


# --- under the prefix, the full path passed ------------------------------------------------------
def test_prx001_every_page_and_dash_route_answers_under_the_prefix(http, app_url):
    base = app_url + PREFIX
    for path in PAGES:
        response = http.get(base + path, timeout=30)
        assert response.status_code == 200, path
        page = response.text
        config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S)
        assert config and json.loads(config.group(1))["requests_pathname_prefix"] == PREFIX + "/", path
        scripts = re.findall(r'<script src="([^"]+)"', page)
        assert scripts and all(s.startswith(PREFIX + "/_dash-component-suites/") for s in scripts), scripts[:3]
    for path in ("/_dash-layout", "/_dash-dependencies", "/assets/bootstrap.min.css", "/_favicon.ico"):
        assert http.get(base + path, timeout=30).status_code == 200, path
    layout = http.get(base + "/_dash-layout", timeout=30).json()
    assert set(hrefs(layout)) >= {PREFIX + "/", PREFIX + "/tai-khoan"}  # the brand, the user's menu
    assert all(h.startswith(PREFIX + "/") for h in hrefs(layout)), hrefs(layout)


def test_prx002_api_downloads_and_healthz_answer_under_the_prefix(http, app_url):
    base = app_url + PREFIX
    summary = http.get(base + "/api/v1/summary?period=2024-Q2", timeout=30)
    assert summary.status_code == 200 and summary.json()["totals"]["members_total"] == 153
    table = http.get(base + "/export/table/overview-composition.csv?period=2024-Q2", timeout=60)
    assert table.status_code == 200 and table.headers["Content-Disposition"].startswith("attachment;")
    assert "103" in table.content.decode("utf-8-sig")  # A's members in Q2
    health = requests.get(base + "/healthz", timeout=30)  # public, for the proxy's or a supervisor's checks
    assert health.status_code == 200 and health.json()["database"] == "ok"
    anonymous = requests.get(base + "/api/v1/periods", timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"


def test_prx003_links_the_callbacks_make_carry_the_prefix(http, app_url, proxy_store):
    base = app_url + PREFIX
    # the navigation: every link under the prefix, the page shown (the browser's pathname carries the prefix) active
    out = call(http, base, "shell-nav.children", [
        {"id": "shell-url", "property": "search", "value": "?period=2024-Q2"},
        {"id": "shell-url", "property": "pathname", "value": PREFIX + "/to-chuc"}])
    links = out["shell-nav"]["children"]
    assert [link["props"]["href"] for link in links][:2] == [PREFIX + "/?period=2024-Q2",
                                                            PREFIX + "/phat-trien-dang-vien?period=2024-Q2"]
    active = [link["props"]["href"] for link in links if link["props"].get("active")]
    assert active == [PREFIX + "/to-chuc?period=2024-Q2"]
    # Dash's page router finds the page under the prefix; the chart menus' downloads are under it too
    out = call(http, base, "_pages_content.children", [
        {"id": "_pages_location", "property": "pathname", "value": PREFIX + "/"},
        {"id": "_pages_location", "property": "search", "value": "?period=2024-Q2"}])
    exports = [h for h in hrefs(out["_pages_content"]["children"]) if "/export/" in h]
    assert PREFIX + "/export/chart/overview-composition.png" in exports
    assert all(h.startswith(PREFIX + "/export/") for h in exports), exports
    # a row of the organizations' table opens the organization's page under the prefix
    clicked = {"rowId": str(org_id(proxy_store, "A")), "colId": "name"}
    out = call(http, base, "shell-navigate.href", [{"id": "org-grid", "property": "cellClicked", "value": clicked}],
        [{"id": "shell-url", "property": "search", "value": "?period=2024-Q2"}])
    assert out["shell-navigate"]["href"] == PREFIX + "/don-vi?period=2024-Q2&org=A"
    # the organization's page: links up to where it sits and back to the table, under the prefix
    out = call(http, base, "unit-header", [{"id": "shell-url", "property": "search", "value": "?period=2024-Q2&org=A"}])
    unit_links = hrefs(out)
    assert PREFIX + "/don-vi?period=2024-Q2&org=KHOI" in unit_links
    assert all(h.startswith(PREFIX + "/") for h in unit_links), unit_links


def test_prx004_nothing_answers_outside_the_prefix(http, app_url):
    for path in ("/", "/to-chuc", "/healthz", "/api/v1/periods", "/dang-nhap", "/_dash-layout",
                 "/assets/bootstrap.min.css", "/export/table/overview-composition.csv", "/thong-kex/",
                 "/thong-kehealthz"):
        response = http.get(app_url + path, timeout=30, allow_redirects=False, cookies=http.cookies)
        assert response.status_code == 404, path
    # the bare prefix leads to the overview's address
    bare = http.get(app_url + PREFIX + "?period=2024-Q1", timeout=30, allow_redirects=False)
    assert bare.status_code == 308 and bare.headers["Location"] == PREFIX + "/?period=2024-Q1"


def test_prx005_sign_in_redirects_and_next_stay_under_the_prefix(app_url):
    base = app_url + PREFIX
    browser = requests.Session()
    page = browser.get(base + "/to-chuc?period=2024-Q1", headers={"Accept": "text/html"}, allow_redirects=False,
                       timeout=30)
    assert page.status_code == 302
    assert page.headers["Location"] == PREFIX + "/dang-nhap?next=%2Fto-chuc%3Fperiod%3D2024-Q1"
    form = browser.get(app_url + page.headers["Location"], timeout=30).text
    assert 'action="/thong-ke/dang-nhap?lang=vi"' in form and 'href="/thong-ke/assets/bootstrap.min.css"' in form
    assert 'name="next" value="/to-chuc?period=2024-Q1"' in form
    signed = browser.post(base + "/dang-nhap", allow_redirects=False, timeout=30, data={
        "name": "admin", "password": auth.PASSWORD, "next": "/to-chuc?period=2024-Q1",
        "csrf_token": auth.csrf_field(form)})
    assert signed.status_code == 302 and signed.headers["Location"] == PREFIX + "/to-chuc?period=2024-Q1"
    cookie = next(c for c in browser.cookies if c.name == "thongke_session")
    assert cookie.path == PREFIX  # not sent to the host's other sites
    # a signed-in visit to the sign-in page goes where ``next`` says, which cannot leave the prefix
    for target, expected in (("/du-lieu", PREFIX + "/du-lieu"), ("//evil.example/x", PREFIX + "/"),
                             ("https://evil.example/", PREFIX + "/"), ("/\\evil.example", PREFIX + "/")):
        again = browser.get(base + "/dang-nhap", params={"next": target}, allow_redirects=False, timeout=30)
        assert again.status_code == 302 and again.headers["Location"] == expected, target
    account = browser.get(base + "/tai-khoan", timeout=30).text
    assert 'action="/thong-ke/dang-xuat"' in account and 'href="/thong-ke/"' in account
    signed_out = browser.post(base + "/dang-xuat", timeout=30, data={"csrf_token": auth.csrf_field(account)})
    assert signed_out.status_code == 200 and 'action="/thong-ke/dang-nhap?lang=vi"' in signed_out.text


# --- a proxy that strips the prefix and says so --------------------------------------------------
def test_prx006_a_proxy_that_strips_the_prefix_and_sends_x_forwarded_prefix(app_url):
    with reverse_proxy(app_url, strip=True) as proxy:
        base = proxy_url(proxy) + PREFIX
        anonymous = requests.get(base + "/ky-luat", headers={"Accept": "text/html"}, allow_redirects=False,
                                 timeout=30)
        assert anonymous.status_code == 302
        assert anonymous.headers["Location"] == PREFIX + "/dang-nhap?next=%2Fky-luat"
        session = auth.login_session(base)
        for path in PAGES:
            response = session.get(base + path, timeout=30)
            assert response.status_code == 200 and '<script src="/thong-ke/_dash-component-suites/' in response.text
        assert session.get(base + "/api/v1/periods", timeout=30).json()["periods"][0]["id"] == "2024-Q1"
        csv = session.get(base + "/export/table/overview-composition.csv?period=2024-Q2", timeout=60)
        assert csv.status_code == 200 and "103" in csv.content.decode("utf-8-sig")
        assert requests.get(base + "/healthz", timeout=30).status_code == 200
        assert all(p.startswith(PREFIX) for p in proxy.seen)
    # the app answers a stripped path only when the (trusted) proxy names the prefix it serves
    for prefix_header in ({}, {"X-Forwarded-Prefix": "/other"}):
        assert requests.get(app_url + "/healthz", headers=prefix_header, timeout=30).status_code == 404
    assert requests.get(app_url + "/healthz", headers={"X-Forwarded-Prefix": PREFIX}, timeout=30).status_code == 200


# --- trusted and untrusted forwarded headers -----------------------------------------------------
def test_prx007_a_trusted_proxy_s_client_address_keys_the_sign_in_limit_and_the_log(app_url, proxy_store):
    first, second = {"X-Forwarded-For": "203.0.113.5"}, {"X-Forwarded-For": "203.0.113.6"}
    session = requests.Session()
    statuses = [failed_login(session, app_url, first).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]  # LOGIN_RATE_LIMIT: 10 per minute, for 203.0.113.5
    assert failed_login(session, app_url, second).status_code == 401  # another client: its own count
    ips = [e["ip"] for e in log_entries(proxy_store, "login_failed")]
    assert ips.count("203.0.113.5") == 10 and ips.count("203.0.113.6") == 1


def test_prx008_a_trusted_proxy_s_https_is_honoured(app_url):
    plain = requests.get(app_url + PREFIX + "/dang-nhap", timeout=30)
    assert plain.status_code == 200 and "Strict-Transport-Security" not in plain.headers
    https = requests.get(app_url + PREFIX + "/dang-nhap", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert https.status_code == 200 and https.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_prx009_forwarded_headers_from_an_untrusted_client_are_ignored(untrusted):
    base = untrusted["base"]
    session = requests.Session()
    # spoofing X-Forwarded-For does not escape the limit: every attempt counts for the real address
    statuses = [failed_login(session, base, {"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]  # LOGIN_RATE_LIMIT: 3 per minute
    assert {e["ip"] for e in log_entries(untrusted["store"], "login_failed")} == {"127.0.0.1"}
    https = requests.get(base + PREFIX + "/dang-nhap", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert https.status_code == 200 and "Strict-Transport-Security" not in https.headers
    stripped = requests.get(base + "/healthz", headers={"X-Forwarded-Prefix": PREFIX}, timeout=30)
    assert stripped.status_code == 404


def test_prx010_the_set_up_link_printed_at_start_works_under_the_prefix(untrusted):
    base, printed = untrusted["base"], "\n".join(untrusted["printed"])
    assert f"Open {base}{PREFIX}/ in a browser" in printed
    link = re.search(r"(/thong-ke/thiet-lap\?token=[0-9a-f]+)", printed)
    assert link, printed
    session = requests.Session()
    page = session.get(base + link.group(1), timeout=30)
    assert page.status_code == 200 and 'action="/thong-ke/thiet-lap?lang=' in page.text
    token = link.group(1).rsplit("=", 1)[1]
    made = session.post(base + PREFIX + "/thiet-lap", allow_redirects=False, timeout=30, data={
        "token": token, "name": "quantri", "password": auth.PASSWORD, "password2": auth.PASSWORD,
        "csrf_token": auth.csrf_field(page.text)})
    assert made.status_code == 302 and made.headers["Location"] == PREFIX + "/"
    assert session.get(base + PREFIX + "/", timeout=30).status_code == 200  # signed in as the new administrator


# --- a real browser behind the proxy -------------------------------------------------------------
@pytest.mark.parametrize("strip", [False, True], ids=["full-path", "stripped-prefix"])
def test_prx011_browser_behind_the_proxy_signs_in_navigates_and_downloads(app_url, strip, request):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    with reverse_proxy(app_url, strip=strip) as proxy, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN",
                                       accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        site = proxy_url(proxy) + PREFIX
        try:
            _browse(page, site)
            assert not errors, errors
            assert proxy.seen and all(p.startswith(PREFIX) for p in proxy.seen), \
                [p for p in proxy.seen if not p.startswith(PREFIX)]
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]", "_", request.node.name)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.log").write_text(f"url: {page.url}\n" + "\n".join(errors + proxy.seen),
                                                   encoding="utf-8")
            raise
        finally:
            context.close()
            chromium.close()


def _browse(page: Page, site: str) -> None:
    # sign in: the guard sends the browser to the sign-in page under the prefix, and back where it was going
    page.goto(site + "/?period=2024-Q2")
    expect(page).to_have_url(re.compile(r"/thong-ke/dang-nhap\?next="))
    page.fill("#name", "admin")
    page.fill("#password", auth.PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/thong-ke/\?period=2024-Q2$"))
    # the overview's cards and charts
    expect(card(page, "Đảng viên")).to_contain_text("153")
    expect(bar_label(page, "ovw-composition", "103")).to_have_count(1)  # A's bar
    # another page through the navigation bar
    page.locator("#shell-nav").get_by_role("link", name="Tổ chức", exact=True).click()
    expect(page).to_have_url(re.compile(r"/thong-ke/to-chuc\?period=2024-Q2$"))
    grid = page.locator("#org-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row")).to_have_count(2)
    # an organization's page, from a row of the table, and a link on it
    grid.get_by_role("gridcell", name="Đảng bộ Sở Tài chính", exact=True).click()
    expect(page).to_have_url(re.compile(r"/thong-ke/don-vi\?period=2024-Q2&org=A$"))
    expect(page.locator("#unit-header")).to_contain_text("Đảng bộ Sở Tài chính")
    page.locator("#unit-header").get_by_role("link", name="Đảng bộ Khối Thử").click()
    expect(page).to_have_url(re.compile(r"/thong-ke/don-vi\?period=2024-Q2&org=KHOI$"))
    expect(page.locator("#unit-children")).to_contain_text("Đảng bộ Công ty Điện lực")
    # back to the overview by the brand, and a chart's table downloaded from its menu
    page.locator(".navbar-brand").click()
    expect(page).to_have_url(re.compile(r"/thong-ke/\?period=2024-Q2"))
    link = page.locator("#ovw-composition").locator("xpath=following::a[text()='CSV'][1]")
    expect(link).to_have_attribute("href", re.compile(r"^/thong-ke/export/table/overview-composition\.csv\?"))
    with page.expect_download() as info:
        link.click()
    data = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    assert "Đảng bộ Sở Tài chính" in data or "103" in data, data[:300]
    # a reload keeps the organization's page (the server answers the page's own address under the prefix)
    page.goto(site + "/don-vi?period=2024-Q2&org=B")
    expect(page.locator("#unit-header")).to_contain_text("Đảng bộ Công ty Điện lực")
