"""Faults on the web side, against the app under gunicorn over HTTP: Redis stopped or hung, PostgreSQL stopped
and restarted. Each test runs its own redis-server or PostgreSQL cluster on a free port (never the shared
ones) and breaks it on purpose.

Redis: the dashboard keeps serving (pages, callbacks, API, sign-in), ``/healthz`` says 503, and the shared
cache is used again once Redis is back. PostgreSQL: requests during the outage get a clear 503 (a page in
both languages, or the API's error shape), nothing is written, and the server recovers by itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from dashboard.store import db
from dashboard.store.schema import audit_log, facts, import_batches, organizations
from tests import auth
from tests.servers import ROOT, PostgresServer, RedisServer, WebServer
from tests.test_workers import MEMBERS_A, MEMBERS_B, overview, seed

TOTAL = MEMBERS_A + MEMBERS_B
HTML = {"Accept": "text/html,application/xhtml+xml"}


def timed(call, limit: float = 2.5):
    """``call()``, which must answer within ``limit`` seconds (a dead Redis must not hold requests up)."""
    start = time.monotonic()
    result = call()
    took = time.monotonic() - start
    assert took < limit, f"took {took:.2f} s"
    return result


def cache_keys(redis: RedisServer) -> set[bytes]:
    return set(redis.client().scan_iter("thongke:view:*"))


# --- Redis ----------------------------------------------------------------------------------------------
@pytest.fixture
def with_redis(tmp_path) -> Iterator[tuple[WebServer, RedisServer]]:
    redis = RedisServer(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    seed(url)
    server = None
    try:
        server = WebServer(url, tmp_path, REDIS_URL=redis.url, CACHE_SECONDS="600")
        yield server, redis
    finally:
        if server is not None:
            server.stop()
        redis.stop()


def test_flt001_redis_stopped_the_dashboard_keeps_serving_and_uses_the_cache_again_when_back(with_redis):
    server, redis = with_redis
    http = auth.login_session(server.base, "admin")  # the sign-in rate limit is counted in Redis
    assert http.get(server.base + "/api/v1/summary?period=2024-Q1", timeout=30).json()["totals"][
        "members_total"] == TOTAL
    overview(http, server, "?period=2024-Q1")
    assert len(cache_keys(redis)) == 2  # the API's answer and the overview's
    assert requests.get(server.base + "/healthz", timeout=10).json()["redis"] == "ok"

    redis.stop()
    health = timed(lambda: requests.get(server.base + "/healthz", timeout=10))
    assert health.status_code == 503 and health.json() == {"status": "error", "database": "ok", "redis": "error"}
    again = timed(lambda: auth.login_session(server.base, "viewer_a"), limit=5)  # sign-in still works
    for search in ("?period=2024-Q1&lang=en", "?period=2024-Q1&cmp=same_last_year", "?period=2024-Q1&org=HB"):
        out = timed(lambda s=search: overview(http, server, s))
        assert out["ovw-cards"]["children"], search
    page = timed(lambda: http.get(server.base + "/co-cau?period=2024-Q1", headers=HTML, timeout=30))
    assert page.status_code == 200 and "<html" in page.text.lower()
    for org, members in (("HA", MEMBERS_A), ("HB", MEMBERS_B)):
        answer = timed(lambda o=org: http.get(server.base + f"/api/v1/summary?period=2024-Q1&org={o}", timeout=30))
        assert answer.status_code == 200 and answer.json()["totals"]["members_total"] == members
    scoped = timed(lambda: again.get(server.base + "/api/v1/summary?period=2024-Q1", timeout=30))
    assert scoped.json()["totals"]["members_total"] == MEMBERS_A
    log = server.text()
    assert log.count("the shared cache (Redis) is unavailable") == 1, log[-3000:]  # once, not per request
    assert "Traceback" not in log

    redis.start()  # empty (no persistence), on the same port
    deadline = time.monotonic() + 30
    while requests.get(server.base + "/healthz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "healthz did not see Redis back"
        time.sleep(0.5)
    deadline = time.monotonic() + 30
    n = 0
    while not cache_keys(redis):  # a new view is kept in Redis again (after the back-off has passed)
        assert time.monotonic() < deadline, "the shared cache is not used again after Redis came back"
        n += 1
        overview(http, server, f"?period=2024-Q1&cmp=term_start&targets=adm:{n}")
        time.sleep(0.5)
    assert "the shared cache (Redis) answers again" in server.text()
    assert "Traceback" not in server.text()


def test_flt002_redis_that_hangs_costs_a_short_timeout_not_the_request(with_redis):
    """A Redis that accepts connections but never answers (stopped with SIGSTOP): requests still answer
    quickly, because the cache gives up after its socket timeout and then leaves Redis alone."""
    server, redis = with_redis
    http = auth.login_session(server.base, "admin")
    redis.pause()
    try:
        start = time.monotonic()
        for search in ("?period=2024-Q1", "?period=2024-Q1&lang=en", "?period=2024-Q1&org=HA",
                       "?period=2024-Q1&org=HB", "?period=2024-Q1&org=HA&lang=en"):
            assert timed(lambda s=search: overview(http, server, s))["ovw-cards"]["children"]
        answer = timed(lambda: http.get(server.base + "/api/v1/summary?period=2024-Q1", timeout=30))
        assert answer.status_code == 200 and answer.json()["totals"]["members_total"] == TOTAL
        assert time.monotonic() - start < 8  # one timeout, then the back-off: not one timeout per request
        assert timed(lambda: requests.get(server.base + "/healthz", timeout=10)).status_code == 503
        timed(lambda: auth.login_session(server.base, "viewer_b"), limit=5)
    finally:
        redis.resume()
    assert "Traceback" not in server.text()


# --- PostgreSQL -----------------------------------------------------------------------------------------
@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except (RuntimeError, OSError) as error:
        if os.environ.get("TEST_DATABASE_URL"):
            pytest.fail(f"a private PostgreSQL cluster could not be started: {error}")
        pytest.skip(f"no private PostgreSQL cluster ({error}); CI sets TEST_DATABASE_URL")
    try:
        yield server
    finally:
        server.close()


def stored(url: str) -> tuple:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                         for t in (facts, organizations, import_batches, audit_log))
    finally:
        engine.dispose()


def test_flt003_postgresql_restarted_requests_fail_cleanly_and_the_server_recovers_by_itself(private_postgres,
                                                                                             tmp_path):
    pg = private_postgres
    seed(pg.url)
    before = stored(pg.url)
    server = WebServer(pg.url, tmp_path, workers=2)
    try:
        http = auth.login_session(server.base, "admin")
        summary = server.base + "/api/v1/summary?period=2024-Q1"
        assert http.get(summary, timeout=30).json()["totals"]["members_total"] == TOTAL
        browser = requests.Session()  # the sign-in form, opened before the outage and sent during it
        form_token = auth.csrf_field(browser.get(server.base + "/dang-nhap", timeout=30).text)

        pg.stop()
        api = timed(lambda: http.get(summary, timeout=30), limit=10)
        assert api.status_code == 503 and api.headers["Retry-After"]
        error = api.json()["error"]
        assert error["code"] == "store_down" and "cơ sở dữ liệu" in error["message_vi"] and \
            "database" in error["message_en"]
        page = http.get(server.base + "/?period=2024-Q1", headers=HTML, timeout=30)
        assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
        assert "Không kết nối được cơ sở dữ liệu" in page.text and "The database cannot be reached" in page.text
        assert "Traceback" not in page.text and "psycopg" not in page.text
        callback = http.post(server.base + "/_dash-update-component", json={"output": "ovw-cards.children"},
                             timeout=30)
        assert callback.status_code == 503 and callback.json()["error"]["code"] == "store_down"
        sign_in = browser.post(server.base + "/dang-nhap", data={"name": "admin", "password": auth.PASSWORD,
                                                                  "csrf_token": form_token},
                               headers=HTML, timeout=30, allow_redirects=False)
        assert sign_in.status_code == 503 and "The database cannot be reached" in sign_in.text
        health = requests.get(server.base + "/healthz", timeout=30)
        assert health.status_code == 503 and health.json()["database"] == "error"

        pg.start()  # no restart of the web server: the next requests find the database by themselves
        for _ in range(4):  # both workers, each with its own pool
            answer = http.get(summary, timeout=30)
            assert answer.status_code == 200 and answer.json()["totals"]["members_total"] == TOTAL
        assert overview(http, server, "?period=2024-Q1&lang=en")["ovw-cards"]["children"]
        assert auth.login_session(server.base, "viewer_b").get(summary, timeout=30).json()["totals"][
            "members_total"] == MEMBERS_B

        pg.restart()  # a restart between two requests: the pooled connections are dead, nobody notices
        for _ in range(4):
            assert http.get(summary, timeout=30).status_code == 200
        assert requests.get(server.base + "/healthz", timeout=30).json()["database"] == "ok"
        log = server.text()
        assert "Traceback" not in log, log[-3000:]
        assert "database unreachable, answering 503" in log
    finally:
        server.stop()
    assert stored(pg.url) == before  # nothing written by the requests during the outage


def test_flt004_the_outage_answers_are_valid_json_in_the_language_asked(private_postgres, tmp_path):
    """The API's error shape during an outage: the same four fields as every other API error, English on
    request."""
    pg = private_postgres
    seed(pg.url)
    server = WebServer(pg.url, tmp_path)
    try:
        token_http = auth.login_session(server.base, "admin")
        pg.stop()
        answer = token_http.get(server.base + "/api/v1/periods?lang=en", timeout=30)
        assert answer.status_code == 503
        body = json.loads(answer.text)
        assert set(body["error"]) == {"code", "message", "message_vi", "message_en"}
        assert body["error"]["message"] == body["error"]["message_en"]
        pg.start()
        assert token_http.get(server.base + "/api/v1/periods", timeout=30).status_code == 200
    finally:
        server.stop()


FIRST_REQUEST_IN_AN_OUTAGE = r"""
import json, os, shutil, sys
from dashboard.accounts import store
from dashboard.store import db
from dashboard.web.app import create_app
from tests import auth
path = sys.argv[1]
engine = db.make_engine(f"sqlite:///{path}")
app = create_app(engine, sample_data=False)
user_id = auth.create_user(engine, "admin", "admin")
with engine.begin() as conn:
    raw = store.new_session(conn, user_id)
server = app.server
client = server.test_client()
client.set_cookie(server.config["SESSION_COOKIE_NAME"],
                  server.session_interface.get_signing_serializer(server).dumps({"sid": raw}))
engine.dispose()
os.rename(path, path + ".away")
os.mkdir(path)  # the store cannot be opened: as a database server that is down
first = client.get("/_dash-dependencies")
os.rmdir(path)
os.rename(path + ".away", path)
after = client.get("/_dash-dependencies")
print(json.dumps({"first": first.status_code, "first_body": first.get_json(),
                  "after": after.status_code, "outputs": [d["output"] for d in after.get_json()]}))
"""


def test_flt005_a_workers_first_request_meeting_an_outage_does_not_leave_it_without_callbacks(tmp_path):
    """Dash finishes its set-up on a process's first request and marks it done before it starts; the layout
    asks who is signed in, so a signed-in first request during an outage once left the worker with no
    callbacks at all until it was restarted. The set-up now happens when the app is created."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SECRET_KEY": "k" * 64, "REDIS_URL": "", "COOKIE_SECURE": "false",
           "SNAPSHOT_CACHE_DIR": "off", "DATABASE_PATH": str(tmp_path / "unused.sqlite3")}
    done = subprocess.run([sys.executable, "-c", FIRST_REQUEST_IN_AN_OUTAGE, str(tmp_path / "store.sqlite3")],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["first"] == 503 and out["first_body"]["error"]["code"] == "store_down"
    assert out["after"] == 200 and any(o.lstrip(".").startswith("ovw-cards") for o in out["outputs"])
