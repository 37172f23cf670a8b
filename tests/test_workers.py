"""Many workers: two separate servers (``gunicorn -w 1`` each, on ports of their own) on one store and one Redis
database, spoken to over HTTP, as two workers of one site behind a load balancer would be.

The store is a PostgreSQL schema when TEST_DATABASE_URL is set (else a SQLite file); Redis is TEST_REDIS_URL
(the shared-cache tests skip without it, and fail if it is set but unreachable). The province KHOI has two
districts, HA (A1, A2) and HB (B1, B2); users: an admin, a viewer of HA and a viewer of HB.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from sqlalchemy import create_engine

from dashboard.store import db, imports
from dashboard.store.registry import Registry
from tests import auth
from tests.builders import simple_report
from tests.conftest import pg_schema, postgres_url
from tests.servers import WebServer
from tests.stores import province_store

HEADER = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp")
Q1 = [[1, "A1", "Đảng bộ Sở Tài chính", "CQHC", 100, 40, 2], [2, "A2", "Chi bộ Trường A", "DVSN", 60, 30, 1],
      [3, "B1", "Đảng bộ Công ty Điện lực", "DNNN", 50, 10, 1], [4, "B2", "Chi bộ Xã B", "CQHC", 30, 12, 0]]
MEMBERS_A, MEMBERS_B = 160, 80
CACHE_SECONDS = 600


def report(title: str, rows: list) -> bytes:
    return simple_report(title, rows, header=HEADER)


def seed(url: str) -> None:
    province_store(url, ("q1.xlsx", report("BÁO CÁO QUÝ I NĂM 2024", Q1)),
                   {("HA", "Huyện A"): [("A1", Q1[0][2]), ("A2", Q1[1][2])],
                    ("HB", "Huyện B"): [("B1", Q1[2][2]), ("B2", Q1[3][2])]},
                   [("admin", "admin", None), ("viewer_a", "viewer", ["HA"]), ("viewer_b", "viewer", ["HB"])])


def redis_url() -> str | None:
    return os.environ.get("TEST_REDIS_URL") or None


class Pair:
    """Two servers on one store and one Redis: ``a`` and ``b``."""

    def __init__(self, url: str, folder: Path, redis: str | None) -> None:
        self.url = url
        self.redis = redis
        secret = uuid.uuid4().hex * 2  # one SECRET_KEY, as every worker of a site has
        env = {"REDIS_URL": redis or "", "CACHE_SECONDS": str(CACHE_SECONDS)}
        self.a = WebServer(url, folder, secret=secret, **env)
        try:
            self.b = WebServer(url, folder, secret=secret, **env)
        except BaseException:
            self.a.stop()
            raise
        self.engine = db.make_engine(url)

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()
        self.engine.dispose()


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("workers")
    redis = redis_url()
    if redis:
        import redis as redis_lib

        try:
            redis_lib.Redis.from_url(redis, socket_timeout=5).ping()
        except redis_lib.RedisError as error:
            pytest.fail(f"TEST_REDIS_URL is set but Redis does not answer: {error}")
    base = postgres_url()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(pg_schema(base)) if base else f"sqlite:///{folder / 'store.sqlite3'}"
        seed(url)
        servers = Pair(url, folder, redis)
        yield servers
        servers.stop()


@pytest.fixture(scope="module")
def sessions(pair) -> dict[tuple[str, str], requests.Session]:
    """A signed-in session per (user, server)."""
    return {(name, side): auth.login_session(server.base, name)
            for name in ("admin", "viewer_a", "viewer_b") for side, server in (("a", pair.a), ("b", pair.b))}


def summary(http: requests.Session, server: WebServer, period: str = "2024-Q1") -> dict:
    response = http.get(server.base + f"/api/v1/summary?period={period}", timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def need_redis(pair: Pair) -> None:
    if not pair.redis:
        pytest.skip("TEST_REDIS_URL is not set (CI sets it)")


def shared_key(pair: Pair, key: tuple, scope: list[str] | None = None) -> str:
    """The Redis key the servers use for ``key`` (as the current data version and the scope of ``scope``'s
    organizations make it), computed by the app's own function on a snapshot of the same store."""
    from dashboard.web.cache import PREFIX, view_key
    from dashboard.web.data import DataService

    service = DataService(pair.engine)
    if scope:
        with db.read_transaction(pair.engine) as conn:
            reg = Registry.load(conn)
            snap = service.snapshot(frozenset(reg.find(code).id for code in scope))
    else:
        snap = service.snapshot()
    return PREFIX + view_key(snap, key, pair.engine.url.render_as_string(hide_password=True))


def page(name: str, search: str) -> tuple:
    """A page callback's key: its name and the URL's state, written the one way the app writes it."""
    from dashboard.web.state import build, parse

    return (name, build(parse(search)))


def api_key(period: str) -> tuple:
    return ("api", "summary", period, None, ())


def overview(http: requests.Session, server: WebServer, search: str) -> list:
    """The overview page's callback (cards, two figures, the narrative and its title) as the browser gets it."""
    deps = http.get(server.base + "/_dash-dependencies", timeout=30).json()
    dep = next(d for d in deps if d["output"].lstrip(".").startswith("ovw-cards"))
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs, "state": [], "changedPropIds": ["shell-url.search"],
            "inputs": [{"id": "shell-url", "property": "search", "value": search}]}
    response = http.post(server.base + "/_dash-update-component", json=body, timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.json()["response"]


def commit(pair: Pair, title: str, rows: list, name: str) -> int:
    done = imports.import_file(pair.engine, report(title, rows), name, imports.ImportOptions(actor="test"),
                               dry_run=False)
    assert done.status == "committed", done.status
    return done.batch_id


def test_wrk001_an_import_or_a_rollback_is_seen_by_every_worker_on_the_next_request(pair, sessions):
    for side in ("a", "b"):  # both workers hold their snapshot (and cached answers) of the data as it is
        assert summary(sessions["admin", side], getattr(pair, side))["totals"]["members_total"] == 240
    corrected = [list(r) for r in Q1]
    corrected[0][4] = 130  # A1: 100 → 130, committed by neither server (as by the CLI or a job worker)
    batch = commit(pair, "BÁO CÁO QUÝ I NĂM 2024", corrected, "q1-sua.xlsx")
    for side in ("b", "a"):
        assert summary(sessions["admin", side], getattr(pair, side))["totals"]["members_total"] == 270, side
    imports.rollback(pair.engine, batch, "test")
    for side in ("a", "b"):
        assert summary(sessions["admin", side], getattr(pair, side))["totals"]["members_total"] == 240, side


def test_wrk002_an_answer_computed_by_one_worker_is_served_by_the_other_from_redis(pair, sessions):
    need_redis(pair)
    client = __import__("redis").Redis.from_url(pair.redis)
    admin_a, admin_b = sessions["admin", "a"], sessions["admin", "b"]
    # the API: A computes and shares (an address neither worker has answered for this data version yet)
    address = "/api/v1/summary?period=2024-Q1&org=KHOI"
    key = shared_key(pair, ("api", "summary", "2024-Q1", "KHOI", ()))
    client.delete(key)
    first = admin_a.get(pair.a.base + address, timeout=60).json()
    stored = client.get(key)
    assert stored is not None and stored[:1] == b"{", "A's answer is not in Redis as JSON"
    assert json.loads(stored) == first and first["organizations"] == 4
    assert 0 < client.ttl(key) <= CACHE_SECONDS
    # B reads what A kept: proved by a marker that only Redis holds
    client.set(key, json.dumps({**first, "organizations": 998}), keepttl=True)
    assert admin_b.get(pair.b.base + address, timeout=60).json()["organizations"] == 998
    # a page's callback: the same, and the bytes the browser gets are those of the computing worker
    search = "?period=2024-Q1&cmp=previous&lang=en"
    page_key = shared_key(pair, page("overview", search))
    client.delete(page_key)
    computed = overview(admin_a, pair.a, search)
    kept = json.loads(client.get(page_key))
    assert kept[4] == computed["ovw-narrative-title"]["children"]
    kept[4] = "served from Redis"
    client.set(page_key, json.dumps(kept), keepttl=True)
    served = overview(admin_b, pair.b, search)
    assert served["ovw-narrative-title"]["children"] == "served from Redis"
    assert served["ovw-cards"] == computed["ovw-cards"] and served["ovw-trend"] == computed["ovw-trend"]
    # an import bumps the data version: neither worker serves the marked answers any more
    q2 = commit(pair, "BÁO CÁO QUÝ II NĂM 2024", Q1, "q2.xlsx")
    try:
        for http, server in ((admin_a, pair.a), (admin_b, pair.b)):
            assert http.get(server.base + address, timeout=60).json()["organizations"] == 4
            fresh = overview(http, server, search)
            assert fresh["ovw-narrative-title"]["children"] != "served from Redis"
        assert client.exists(shared_key(pair, page("overview", search)))  # kept again, under the new version
    finally:
        imports.rollback(pair.engine, q2, "test")


def test_wrk003_users_of_different_scopes_never_get_each_others_cached_answers(pair, sessions):
    need_redis(pair)
    client = __import__("redis").Redis.from_url(pair.redis)
    key_a, key_b = (shared_key(pair, api_key("2024-Q1"), [code]) for code in ("HA", "HB"))
    assert key_a != key_b
    client.delete(key_a, key_b)
    seen_a = summary(sessions["viewer_a", "a"], pair.a)
    assert seen_a["totals"]["members_total"] == MEMBERS_A and client.exists(key_a)
    # the same address asked by HB's viewer, through the other worker and through the same one
    for side in ("b", "a"):
        assert summary(sessions["viewer_b", side], getattr(pair, side))["totals"]["members_total"] == MEMBERS_B
    assert json.loads(client.get(key_b))["totals"]["members_total"] == MEMBERS_B
    # the admin (everything) under the same address gets neither
    assert summary(sessions["admin", "b"], pair.b)["totals"]["members_total"] == MEMBERS_A + MEMBERS_B
    # pages too: the narrative of HA's viewer never reaches HB's
    search = "?period=2024-Q1&cmp=same_last_year"
    page_a, page_b = (shared_key(pair, page("overview", search), [code]) for code in ("HA", "HB"))
    client.delete(page_a, page_b)
    cards_a = json.dumps(overview(sessions["viewer_a", "a"], pair.a, search)["ovw-cards"], ensure_ascii=False)
    cards_b = json.dumps(overview(sessions["viewer_b", "b"], pair.b, search)["ovw-cards"], ensure_ascii=False)
    assert "160" in cards_a and "160" not in cards_b and "80" in cards_b
    assert client.exists(page_a) and client.exists(page_b)


# --- the figures' copy on disk, written by several workers at once -------------------------------------
def _writer(folder: str, worker: int, seconds: float) -> None:
    from dashboard.web.data import DataService, Snapshot

    service = DataService(create_engine("sqlite://"), Path(folder))
    service._cache_path = lambda: Path(folder) / "snapshot-shared"  # type: ignore[method-assign]
    rows = 2_000
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        mark = worker * 100_000 + n
        facts = pd.DataFrame({"org_id": np.arange(rows, dtype=np.int64), "period_id": np.ones(rows, dtype=np.int64),
                              "members_total": pd.array(np.full(rows, mark), dtype="Int64")})
        snap = Snapshot(version=mark, facts=facts, orgs=pd.DataFrame(), periods=pd.DataFrame(), sample_only=False,
                        batches={1: f"committed:{mark}"})
        service._to_disk(snap)


def test_wrk004_the_figures_copy_on_disk_is_never_a_mix_of_two_workers_writes(tmp_path):
    """Two processes write their snapshot's copy into one folder again and again (same rows, other figures),
    as two workers that see a new data version at the same moment do; every copy a third one reads is one
    writer's whole copy: the figures match the imports' states its meta names."""
    from dashboard.web.data import DataService

    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(str(tmp_path), w, 3.0)) for w in (1, 2)]
    for proc in writers:
        proc.start()
    reader = DataService(create_engine("sqlite://"), tmp_path)
    reader._cache_path = lambda: tmp_path / "snapshot-shared"  # type: ignore[method-assign]
    reads = 0
    deadline = time.monotonic() + 3.0
    try:
        while time.monotonic() < deadline:
            copy = reader._from_disk()
            if copy is None:
                continue
            reads += 1
            mark = int(copy.batches[1].split(":")[1])
            values = set(copy.facts["members_total"].astype("int64"))
            assert values == {mark}, f"a copy mixes two writers: meta says {mark}, figures {sorted(values)[:3]}"
    finally:
        for proc in writers:
            proc.join(timeout=30)
    assert reads > 20 and all(proc.exitcode == 0 for proc in writers)
