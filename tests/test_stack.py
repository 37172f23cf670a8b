"""The production stack as one command: ``python app.py stack`` (gunicorn + a Celery worker) on PostgreSQL and
Redis, spoken to over real HTTP as a browser does — imports and report packs run on the Celery worker, never
on a web worker, and every web worker sees an import at once. Then the faults: a Celery worker killed with
SIGKILL in the middle of an import leaves nothing half-written and says so; Redis stopped makes background
jobs answer with a clear message instead of hanging.

Needs TEST_DATABASE_URL and TEST_REDIS_URL (skipped without them, failed if they are set and unreachable).
Each stack gets a PostgreSQL schema of its own; the fault tests run a private redis-server on a free port.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
from sqlalchemy import func, select

from dashboard.store import db, imports
from dashboard.store.imports import HOLD_ENV
from dashboard.store.registry import Registry, create_org
from dashboard.store.schema import facts, import_batches, organizations
from dashboard.web import jobs
from loaders.samples import write_national
from tests import auth, data_page
from tests.builders import simple_report
from tests.conftest import pg_schema as conftest_pg_schema
from tests.conftest import postgres_url
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp")
Q1 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 100, 40, 2], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 50, 10, 1]]
Q2 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 103, 41, 3], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 52, 11, 0]]
START_SECONDS = 120


def redis_base() -> str | None:
    return os.environ.get("TEST_REDIS_URL") or None


def report(title: str, rows: list) -> bytes:
    return simple_report(title, rows, header=HEADER)


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, as a store URL (``search_path`` set in the URL), dropped afterwards."""
    base = postgres_url()
    if base is None or redis_base() is None:
        pytest.skip("TEST_DATABASE_URL and TEST_REDIS_URL are not set (CI sets them)")
    with conftest_pg_schema(base) as url:
        yield url


def seed(url: str) -> None:
    """KHOI with two organizations in 2024-Q1, and an administrator (so no sample data, no set-up link)."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.write_transaction(engine) as conn:
        create_org(conn, Registry.load(conn), name="Đảng bộ Khối Thử", code="KHOI", org_type=None, parent_id=None)
    imports.import_file(engine, report("BÁO CÁO QUÝ I NĂM 2024", Q1), "q1.xlsx",
                        imports.ImportOptions(create_orgs=True, actor="seed"), dry_run=False)
    auth.create_user(engine, "admin", "admin")
    engine.dispose()


class Stack:
    """``python app.py stack`` on a free port; its output goes to a log file the tests read."""

    def __init__(self, url: str, redis_url: str, folder: Path, **env: str) -> None:
        self.url, self.redis_url, self.port = url, redis_url, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"stack-{self.port}.log"
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("CELERY_BROKER_URL", "SECRET_KEY", "COOKIE_SECURE", HOLD_ENV)}
        environ.update(DATABASE_URL=url, REDIS_URL=redis_url, PORT=str(self.port), WEB_WORKERS="2",
                       JOB_WORKERS="1", SNAPSHOT_CACHE_DIR=str(folder / "snapshots"),
                       EXPORT_CACHE_DIR=str(folder / "jobs"), DATABASE_PATH=str(folder / "unused.sqlite3"),
                       LOGIN_RATE_LIMIT="1000 per minute", PYTHONUNBUFFERED="1", **env)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "app.py", "stack"], cwd=ROOT, env=environ,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200 and self.celery_ready():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        pytest.fail(f"the stack did not start:\n{self.output()[-4000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def celery_ready(self) -> bool:
        return f"thongke-{self.port}@" in self.output() and " ready." in self.output()

    def processes(self, kind: str) -> list[psutil.Process]:
        """The running processes of one kind under the stack: ``gunicorn`` or ``celery``, parents and workers."""
        return [p for p in psutil.Process(self.proc.pid).children(recursive=True)
                if p.is_running() and kind in " ".join(p.cmdline())]

    def celery_pool(self) -> list[psutil.Process]:
        """The Celery worker's pool processes (the ones that run the jobs)."""
        celery = self.processes("celery")
        pids = {p.pid for p in celery}
        return [p for p in celery if p.ppid() in pids]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def leftovers(port: int) -> list[str]:
    """Processes of the stack on ``port`` still running (gunicorn bound to it, its Celery worker)."""
    marks = (f"127.0.0.1:{port}", f"thongke-{port}@")
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if any(mark in line for mark in marks):
            found.append(line)
    return found


def task_meta(redis_url: str, job_id: str) -> dict | None:
    """What Celery's result backend says of a task (None: Celery never ran it)."""
    import redis

    raw = redis.Redis.from_url(redis_url).get(f"celery-task-meta-{job_id}")
    return None if raw is None else json.loads(raw)


def text_of(response: dict | None) -> str:
    return json.dumps(response, ensure_ascii=False)


def summary(http, base: str, period: str) -> dict:
    return http.get(base + f"/api/v1/summary?period={period}", timeout=30).json()


# --- the stack on the shared Redis ------------------------------------------------------------------
@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with pg_schema() as url:
        import redis

        redis_url = redis_base()
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()  # set and unreachable: fail
        seed(url)
        srv = Stack(url, redis_url, tmp_path_factory.mktemp("stack"))
        srv.engine = db.make_engine(url)  # type: ignore[attr-defined]
        yield srv
        srv.engine.dispose()  # type: ignore[attr-defined]
        code = srv.stop()
        assert code == 0, srv.output()[-3000:]  # a forwarded SIGTERM stops both children cleanly
        assert leftovers(srv.port) == []


@pytest.fixture(scope="module")
def admin(stack) -> requests.Session:
    return auth.login_session(stack.base, "admin")


@pytest.fixture(scope="module")
def deps(stack, admin) -> list[dict]:
    return admin.get(stack.base + "/_dash-dependencies", timeout=30).json()


def test_stk001_the_stack_runs_gunicorn_workers_and_a_celery_worker(stack):
    health = requests.get(stack.base + "/healthz", timeout=10).json()
    assert health == {"status": "ok", "database": "ok", "redis": "ok"}
    gunicorn = stack.processes("gunicorn")
    assert len(gunicorn) == 3  # the master and WEB_WORKERS=2 workers
    assert len(stack.celery_pool()) == 1  # JOB_WORKERS=1
    # jobs yield the CPU to the web workers (JOB_NICENESS, default 10); web workers run threads (gthread)
    web_nice = {p.nice() for p in gunicorn}
    assert len(web_nice) == 1 and {p.nice() for p in stack.processes("celery")} == {min(19, web_nice.pop() + 10)}
    # and on Linux they run only on CPU time the web workers leave (JOB_IDLE_PRIORITY, SCHED_IDLE)
    assert {os.sched_getscheduler(p.pid) for p in stack.processes("celery")} == {os.SCHED_IDLE}
    assert {os.sched_getscheduler(p.pid) for p in gunicorn} == {os.SCHED_OTHER}
    assert all("gthread" in p.cmdline() for p in gunicorn if p.ppid() == stack.proc.pid)
    out = stack.output()
    assert f"http://127.0.0.1:{stack.port}/" in out and "thiet-lap" not in out  # an account exists: no set-up link


def test_stk002_an_import_runs_on_the_celery_worker_and_every_web_worker_sees_it(stack, admin, deps):
    send = data_page.http_sender(admin, stack.base)
    handed, check = data_page.start_check(send, deps, report("BÁO CÁO QUÝ II NĂM 2024", Q2), "q2.xlsx")
    assert check is not None and handed["data-confirm"]["disabled"] is True
    checked = check.wait()
    assert checked["data-confirm"]["disabled"] is False, text_of(checked)
    status, _, commit = data_page.start_confirm(send, deps, checked["data-pending"]["data"])
    assert status == 200 and commit is not None
    done = commit.wait()
    assert "lần nhập số 2" in text_of(done), text_of(done)
    # both jobs ran as Celery tasks (only a Celery worker writes these), not in a web worker
    for job in (check, commit):
        meta = task_meta(stack.redis_url, job.job_id)
        assert meta is not None and meta["status"] == "SUCCESS", (job.job_id, meta)
    with stack.engine.connect() as conn:  # type: ignore[attr-defined]
        batch = conn.execute(select(import_batches).order_by(import_batches.c.id.desc())).mappings().first()
    assert batch["id"] == 2 and batch["created_by"] == "admin" and batch["status"] == "committed"
    # every web worker answers with the new figures at once (gunicorn's sync workers take a connection each)
    totals = [summary(admin, stack.base, "2024-Q2")["totals"]["members_total"] for _ in range(12)]
    assert totals == [155] * 12


def test_stk003_a_report_pack_is_made_on_the_celery_worker(stack, admin, deps):
    send = data_page.http_sender(admin, stack.base)
    status, handed = build_token(send, deps, "?period=2024-Q2")
    token = handed["rep-token"]["data"]
    assert status == 200 and token
    body = pack_body(deps, token, "?period=2024-Q2")
    job = data_page.Job(send, body)
    out = job.wait(timeout=240)
    download = out["rep-download"]["data"]
    assert download["filename"].endswith(".docx")
    document = zipfile.ZipFile(io.BytesIO(base64.b64decode(download["content"])))
    assert "word/document.xml" in document.namelist()
    assert "Biểu đồ 1" in document.read("word/document.xml").decode("utf-8")
    meta = task_meta(stack.redis_url, job.job_id)
    assert meta is not None and meta["status"] == "SUCCESS"


def test_stk004_the_stack_refuses_sqlite_and_a_missing_or_unreachable_redis(tmp_path):
    base = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL", "DATABASE_URL")}
    cases = [({"DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}", "REDIS_URL": "redis://127.0.0.1:6379/0"},
              "cần PostgreSQL", "needs PostgreSQL"),
             ({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test"}, "cần Redis", "needs Redis"),
             ({"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test",
               "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, "Không kết nối được Redis", "Cannot reach Redis")]
    for env, vi, en in cases:
        done = subprocess.run([sys.executable, "app.py", "stack"], cwd=ROOT, env={**base, **env}, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2 and vi in done.stderr and en in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


# --- faults, on a private Redis ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def private(tmp_path_factory) -> Iterator[Stack]:
    """A stack on a redis-server of its own (the tests stop it); every import holds 8 s before its commit."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed")
    with pg_schema() as url:
        folder = tmp_path_factory.mktemp("faults")
        port = free_port()
        server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--daemonize", "no"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            import redis

            redis_url = f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + 20
            while True:
                try:
                    redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            seed(url)
            srv = Stack(url, redis_url, folder, **{HOLD_ENV: "8", "IMPORT_LOCK_TIMEOUT": "5"})
            srv.engine = db.make_engine(url)  # type: ignore[attr-defined]
            srv.redis_server = server  # type: ignore[attr-defined]
            try:
                yield srv
            finally:
                srv.engine.dispose()  # type: ignore[attr-defined]
                srv.stop()
        finally:
            if server.poll() is None:
                server.kill()
            server.wait()


def store_state(engine) -> tuple:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(import_batches)).scalar_one(),
                conn.execute(select(func.count()).select_from(facts)).scalar_one(),
                conn.execute(select(func.count()).select_from(organizations)).scalar_one())


def wait_for(stack: Stack, pattern: str, after: int, timeout: float = 120) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.compile(pattern).search(stack.output(), after)
        if match:
            return match
        time.sleep(0.2)
    pytest.fail(f"{pattern!r} not in the stack's output:\n{stack.output()[-3000:]}")


def test_stk005_a_celery_worker_killed_mid_import_leaves_nothing_and_the_import_runs_again(private, tmp_path):
    path = tmp_path / "national.xlsx"
    made = write_national(path, organizations=3000, provinces=5, communes=60)
    http = auth.login_session(private.base, "admin")
    deps = http.get(private.base + "/_dash-dependencies", timeout=30).json()
    send = data_page.http_sender(http, private.base)
    checked = data_page.check(send, deps, path.read_bytes(), "national.xlsx", create=True)
    pending = checked["data-pending"]["data"]
    assert pending, text_of(checked)
    before = store_state(private.engine)  # type: ignore[attr-defined]
    mark = len(private.output())
    status, _, commit = data_page.start_confirm(send, deps, pending, create=True)
    assert status == 200 and commit is not None
    holding = wait_for(private, r"holding (\d+)", mark)  # every row written, not committed: kill the worker now
    pool = private.celery_pool()
    assert len(pool) == 1
    pool[0].send_signal(signal.SIGKILL)
    started = time.monotonic()
    out = commit.wait(timeout=60)
    assert time.monotonic() - started < 30  # a clear answer, not a spinner turning forever
    assert jobs.MESSAGES["lost"][0] in text_of(out), text_of(out)
    assert out["data-confirm"]["disabled"] is False  # the same upload may be confirmed again
    assert task_meta(private.redis_url, commit.job_id)["status"] == "FAILURE"
    # nothing half-written: no batch, no facts, no organization of it
    assert store_state(private.engine) == before  # type: ignore[attr-defined]
    with private.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(select(import_batches).where(import_batches.c.id == int(holding.group(1)))).first() is None
    # the lock went with the worker's connection, and the Celery worker has a new pool process: run it again
    deadline = time.monotonic() + 30
    while not private.celery_pool() and time.monotonic() < deadline:
        time.sleep(0.2)
    status, done = data_page.confirm(send, deps, pending, create=True)
    assert status == 200 and "lần nhập số" in text_of(done), text_of(done)
    batches, fact_rows, orgs = store_state(private.engine)  # type: ignore[attr-defined]
    assert batches == before[0] + 1 and fact_rows == before[1] + made["organizations"] and orgs > before[2] + 3000


def pack_body(deps: list[dict], token: str, search: str) -> dict:
    """The report pack's background callback for a token from the build button."""
    return data_page.body_of(data_page.dep_for(deps, "rep-download", "rep-token.data"),
                             [{"id": "rep-token", "property": "data", "value": token}],
                             [*data_page.url(search),
                              {"id": "rep-charts", "property": "value", "value": ["overview-trend"]},
                              {"id": "rep-format", "property": "value", "value": "docx"}])


def build_token(send, deps: list[dict], search: str) -> tuple[int, dict | None]:
    return data_page.call(send, deps, "rep-token", [{"id": "rep-build", "property": "n_clicks", "value": 1}],
                          data_page.url(search))


def test_stk006_redis_stopped_background_jobs_answer_with_a_clear_message(private):
    http = auth.login_session(private.base, "admin")
    deps = http.get(private.base + "/_dash-dependencies", timeout=30).json()
    send = data_page.http_sender(http, private.base)
    search = "?period=2024-Q1&lang=en"
    # two report packs asked for while Redis answers: one running when Redis stops, one started after
    tokens = [build_token(send, deps, search)[1]["rep-token"]["data"] for _ in range(2)]
    running = data_page.Job(send, pack_body(deps, tokens[0], search))
    assert running.status == 200 and "cacheKey" in running.first
    private.redis_server.kill()  # type: ignore[attr-defined]
    private.redis_server.wait()  # type: ignore[attr-defined]
    for job in (running, None):
        started = time.monotonic()
        out = (job or data_page.Job(send, pack_body(deps, tokens[1], search))).wait(timeout=60)
        assert time.monotonic() - started < 30  # an answer, not a request or a spinner that hangs
        assert jobs.MESSAGES["unreachable"][1] in text_of(out), text_of(out)
    # the Data page: the upload cannot be handed over, and says so at once, in Vietnamese by default
    started = time.monotonic()
    checked = data_page.check(send, deps, report("BÁO CÁO QUÝ II NĂM 2024", Q2), "q2.xlsx")
    assert time.monotonic() - started < 30
    assert jobs.MESSAGES["unreachable"][0] in text_of(checked), text_of(checked)
    assert checked["data-confirm"]["disabled"] is True
    # the report page's button, likewise
    status, handed = build_token(send, deps, "?period=2024-Q1")
    assert status == 200 and jobs.MESSAGES["unreachable"][0] in text_of(handed)
    # and the dashboard itself still answers (from the store)
    assert requests.get(private.base + "/healthz", timeout=10).json()["redis"] == "error"
    assert summary(http, private.base, "2024-Q1")["totals"]["members_total"] == 150


def test_stk007_when_gunicorn_dies_the_stack_stops_celery_and_exits_1(private):
    master = min(private.processes("gunicorn"), key=lambda p: p.create_time())
    master.send_signal(signal.SIGKILL)
    assert private.proc.wait(timeout=90) == 1
    assert "gunicorn đã dừng" in private.output() and "gunicorn ended" in private.output()
    deadline = time.monotonic() + 10
    while leftovers(private.port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftovers(private.port) == []
