"""Load test: simulated officials using the dashboard and the API on the production stack, while a national-size
import and several report packs run.

    .venv/bin/python tests/benchmarks/load_test.py [--users 50] [--seconds 120] [--scale national]
                                                   [--database-url URL] [--redis-url URL] [--exports 4]

The stack is ``python app.py stack`` (gunicorn with WEB_WORKERS workers and a Celery worker with JOB_WORKERS
processes) on PostgreSQL (a schema ``bench_load_<scale>`` of ``--database-url``, default TEST_DATABASE_URL)
and Redis (``--redis-url``, default db 15, emptied first), on a free loopback port; ``--stack manual``
starts the same gunicorn and Celery commands by hand instead. The store is written directly at the scale
(bench_dashboard.national_store; bloc: the sample workbooks) and kept for the next run.

Each official has an account of its own (a fifth see everything, the others one region each: a province at
national scale, a commune committee at province scale, an organization's subtree at bloc scale), signs
in, then loops until the time is up, waiting 1–3 s (random) between actions: open a page (the shared filters'
callback and the page's own, posted to /_dash-update-component as the browser does), change the period, the
organization or the type filter, open the Tổ chức table (its rows asked for as the grid does), call
/api/v1/summary or /api/v1/organizations?format=csv (the official's region).

Meanwhile, from a fifth of the time on: one national-size import (``python app.py import`` of the national
workbook on the same store, in its own process; the next run starts from a store made afresh), and
``--exports`` report packs (10 charts, DOCX), staggered, by an administrator: through the Báo cáo page as the
browser makes them (its background callback runs on the Celery worker; polled each second) or, with
``--exports-via route``, downloaded from /export/report.docx (made on a web worker).

Reported: requests and errors (any non-2xx answer, a timeout or a Dash error counts), dashboard callbacks' p50,
p95 and max overall and during the import and the exports separately, throughput, and the CPU used by the load
generator itself, the stack and the whole machine. Goals: no error; dashboard p95 ≤ 500 ms during the import
and the exports.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests
from sqlalchemy import func, select

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_dashboard as bd  # noqa: E402
from bench_exports import PACK  # noqa: E402

from dashboard.store.schema import organizations  # noqa: E402
from tests.auth import create_user, login_session  # noqa: E402
from tests.servers import free_port  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL_P95 = 0.500
TIMEOUT = 60
NATIONAL_USERS = 5  # one official in NATIONAL_USERS sees the whole country
PAGE_NAMES = ("overview", "admissions", "discipline", "composition", "quality", "balance", "organizations")
vn = lambda value, digits=0: f"{value:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")  # noqa: E731


@dataclass
class Record:
    kind: str  # dashboard, api, export, login
    what: str
    start: float
    end: float
    ok: bool
    detail: str = ""


@dataclass
class Log:
    records: list[Record] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    windows: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {"import": [], "export": []})

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)


def timed(log: Log, kind: str, what: str, call, who: str = "") -> requests.Response | None:
    """Run one request, record its time and whether it succeeded (2xx, and no Dash error in a callback)."""
    start = time.perf_counter()
    try:
        response = call()
    except requests.RequestException as error:
        log.add(Record(kind, what, start, time.perf_counter(), False, type(error).__name__))
        return None
    end = time.perf_counter()
    ok = 200 <= response.status_code < 300
    detail = "" if ok else f"{who} HTTP {response.status_code} {response.url}: {response.text[:200]}"
    if ok and kind == "dashboard" and response.status_code == 200:
        try:
            body = response.json()
            ok = isinstance(body, dict) and "response" in body
            detail = "" if ok else f"unexpected answer {str(body)[:200]}"
        except ValueError:
            ok, detail = False, f"not JSON: {response.text[:200]}"
    log.add(Record(kind, what, start, end, ok, detail))
    return response


# --- the officials ------------------------------------------------------------------------------------------
class Official(threading.Thread):
    def __init__(self, n: int, base: str, name: str, province: str | None, deps: dict[str, list[dict]],
                 codes: list[str], log: Log, stop_at: float, seed: int, regions: list[str]) -> None:
        super().__init__(name=f"official-{n}", daemon=True)
        self.base, self.user, self.province, self.deps, self.codes = base, name, province, deps, codes
        self.log, self.stop_at, self.rng = log, stop_at, random.Random(seed)
        self.search = f"?period={codes[-1]}"
        self.regions = regions  # the organizations officials are scoped to
        self.page = "overview"

    def run(self) -> None:
        start = time.perf_counter()
        try:
            http = login_session(self.base, self.user)
        except Exception as error:  # a failed sign-in is an error of the run, not of the script
            self.log.add(Record("login", self.user, start, time.perf_counter(), False, repr(error)[:200]))
            return
        self.log.add(Record("login", self.user, start, time.perf_counter(), True))
        http.request = functools.partial(http.request, timeout=TIMEOUT)  # no request waits for ever
        self.http = http
        self.open_page(self.page)
        actions = ((self.open_page_random, 4), (self.change_filter, 4), (self.open_table, 2), (self.call_api, 1))
        choices = [a for a, w in actions for _ in range(w)]
        while time.perf_counter() < self.stop_at:
            time.sleep(self.rng.uniform(1, 3))
            if time.perf_counter() >= self.stop_at:
                break
            self.rng.choice(choices)()

    def post(self, name: str, extra: dict | None = None) -> None:
        for dep in self.deps[name]:
            timed(self.log, "dashboard", name, lambda dep=dep: bd.post(self.http, dep, self.search, self.base, extra),
                  self.user)

    def open_page(self, page: str) -> None:
        """What the browser posts when a page opens: the shared filters, then the page's callbacks."""
        self.page = page
        self.post("filters")
        self.post(page)

    def open_page_random(self) -> None:
        self.open_page(self.rng.choice(PAGE_NAMES))

    def change_filter(self) -> None:
        period = self.rng.choice(self.codes[-8:])
        kind = self.rng.choice(("period", "period", "org", "types", "cmp"))
        parts = [f"period={period}"]
        if kind == "org":
            parts.append(f"org={self.province or self.rng.choice(self.regions)}")
        elif kind == "types":
            parts.append(f"types={self.rng.choice(('admin_agency', 'public_service_unit', 'army'))}")
        elif kind == "cmp":
            parts.append("cmp=same_last_year")
        self.search = "?" + "&".join(parts)
        self.post("filters")
        self.post(self.page)

    def open_table(self) -> None:
        self.page = "organizations"
        self.post("filters")
        self.post("organizations")
        self.post("organizations table")
        for start in (0, 100):
            ask = {"startRow": start, "endRow": start + 100, "sortModel": [], "filterModel": {},
                   "context": {"search": self.search, "text": ""}}
            self.post("rows", {"org-grid.getRowsRequest": ask})

    def call_api(self) -> None:
        period = self.codes[-1]
        if self.rng.random() < 0.5:
            url = f"{self.base}/api/v1/summary?period={period}"
            what = "summary"
        else:  # a province's organizations (the whole country's is 52.000 rows: a report, not a screen)
            org = self.province or self.rng.choice(self.regions)
            url = f"{self.base}/api/v1/organizations?format=csv&period={period}&org={org}"
            what = "organizations.csv"
        timed(self.log, "api", what, lambda: self.http.get(url, timeout=TIMEOUT), self.user)


# --- the import and the exports -----------------------------------------------------------------------------
def run_import(env: dict[str, str], book: Path, log: Log, delay: float, out: dict, scale: str) -> None:
    time.sleep(delay)
    (bd.CACHE / f"load_{scale}.imported").touch()
    start = time.perf_counter()
    output = bd.CACHE / "load_import.json"
    with open(output, "wb") as sink:  # a file, not a pipe: nobody reads a pipe while the import runs
        proc = subprocess.Popen([sys.executable, "app.py", "import", str(book), "--create-orgs",
                                 "--accept-warnings", "--json"], cwd=ROOT, env=env, stdout=sink,
                                stderr=subprocess.STDOUT)
    try:
        cpu = psutil.Process(proc.pid)
        times = cpu.cpu_times()
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                times = cpu.cpu_times()
            time.sleep(0.2)
    except psutil.Error:
        times = None
    proc.wait()
    end = time.perf_counter()
    log.windows["import"].append((start, end))
    ok = proc.returncode == 0
    stdout = output.read_text(encoding="utf-8", errors="replace")
    out.update(seconds=end - start, ok=ok, cpu=(times.user + times.system) if times else float("nan"),
               detail="" if ok else stdout[-500:])
    with contextlib.suppress(ValueError, IndexError, KeyError, TypeError):
        out["batch_id"] = json.loads(stdout)[0]["batch_id"]


def run_import_page(base: str, admin: str, book: Path, log: Log, delay: float, out: dict, scale: str) -> None:
    """The import as an editor makes it: upload on the Data page, its check, then "confirm"; both steps are
    background callbacks, so the work runs on the Celery worker (the web workers only hand it over)."""
    from tests import data_page

    time.sleep(delay)
    (bd.CACHE / f"load_{scale}.imported").touch()
    http = login_session(base, admin)
    deps = bd.callback_map(http, base)
    send = data_page.http_sender(http, base, timeout=TIMEOUT)
    start = time.perf_counter()
    detail = ""
    try:
        checked = data_page.check(send, deps, book.read_bytes(), book.name, create=True, accept=True)
        pending = checked.get("data-pending", {}).get("data")
        if not pending:
            raise AssertionError(f"the check did not allow an import: {json.dumps(checked, ensure_ascii=False)[:400]}")
        status, done = data_page.confirm(send, deps, pending, create=True, accept=True)
        text = json.dumps(done, ensure_ascii=False)
        ok = status == 200 and ("lần nhập số" in text or "import" in text.lower()) and "danger" not in text
        if not ok:
            detail = text[-500:]
    except (AssertionError, requests.RequestException) as error:
        ok, detail = False, str(error)[:500]
    end = time.perf_counter()
    log.windows["import"].append((start, end))
    out.update(seconds=end - start, ok=ok, cpu=float("nan"), detail=detail, via="page")


_END_ID = re.compile(r'"end_id":\s*"([^"]+)"')


def pack_through_page(http: requests.Session, base: str, deps: list[dict], search: str, log: Log) -> None:
    """A report pack as the Báo cáo page makes it: the button's callback hands over a token, the background
    callback (a Celery job) is started, then polled each second as the browser does until the file arrives."""
    page = http.get(f"{base}/bao-cao{search}", timeout=TIMEOUT)
    match = _END_ID.search(page.text)
    if page.status_code != 200 or match is None:
        log.add(Record("export", "report page", 0, 0, False, f"HTTP {page.status_code}, end_id {bool(match)}"))
        return
    end_id = match.group(1)
    hand_over = next(d for d in deps if d["inputs"][0] == {"id": "rep-build", "property": "n_clicks"})
    make = next(d for d in deps if d["inputs"][0] == {"id": "rep-token", "property": "data"})
    url = f"{base}/_dash-update-component?endId={requests.utils.quote(end_id)}"
    start = time.perf_counter()
    response = http.post(url, json=_body(hand_over, search, {"rep-build.n_clicks": 1}), timeout=TIMEOUT)
    token = (response.json().get("response", {}).get("rep-token", {}).get("data")
             if response.status_code == 200 else None)
    if not token:
        log.add(Record("export", "report token", start, time.perf_counter(), False,
                       f"HTTP {response.status_code}: {response.text[:200]}"))
        return
    values = {"rep-token.data": token, "rep-charts.value": list(PACK), "rep-format.value": "docx"}
    body = _body(make, search, values)
    job = http.post(url, json=body, timeout=TIMEOUT).json()
    if "cacheKey" not in job:
        log.add(Record("export", "report job", start, time.perf_counter(), False, str(job)[:200]))
        return
    poll = (f"{url}&cacheKey={requests.utils.quote(job['cacheKey'])}&job={requests.utils.quote(job['job'])}")
    for item in body["inputs"] + body["state"]:
        item["value"] = None  # the renderer sends no values while it polls
    while time.perf_counter() - start < 600:
        time.sleep(1)
        answer = http.post(poll, json=body, timeout=TIMEOUT)
        if answer.status_code != 200:
            log.add(Record("export", "report pack", start, time.perf_counter(), False,
                           f"HTTP {answer.status_code}: {answer.text[:200]}"))
            return
        done = answer.json().get("response", {}).get("rep-download", {}).get("data")
        if done:
            ok = bool(done.get("content")) and done.get("filename", "").endswith(".docx")
            log.add(Record("export", "report pack (background)", start, time.perf_counter(), ok,
                           "" if ok else str(done)[:200]))
            return
    log.add(Record("export", "report pack", start, time.perf_counter(), False, "no file after 600 s"))


def _body(dep: dict, search: str, values: dict) -> dict:
    """A callback's request body with the URL's search and the given "id.property" values."""
    def item(x: dict) -> dict:
        key = f"{x['id']}.{x['property']}"
        return {"id": x["id"], "property": x["property"],
                "value": search if x == bd.URL_INPUT else values.get(key)}

    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
               for o in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": [item(x) for x in dep["inputs"]], "state": [item(x) for x in dep.get("state", [])],
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}


def run_exports(base: str, admin: str, search: str, log: Log, starts: list[float], t0: float,
                through_page: bool) -> None:
    http = login_session(base, admin)
    deps = bd.callback_map(http, base)
    query = f"{search}&charts={','.join(PACK)}"
    threads = []

    def one(at: float) -> None:
        time.sleep(max(0.0, t0 + at - time.perf_counter()))
        start = time.perf_counter()
        if through_page:
            pack_through_page(http, base, deps, search, log)
        else:
            timed(log, "export", "report.docx", lambda: http.get(f"{base}/export/report.docx{query}", timeout=300))
        with log.lock:
            log.windows["export"].append((start, time.perf_counter()))

    for at in starts:
        thread = threading.Thread(target=one, args=(at,), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()


# --- the stack ----------------------------------------------------------------------------------------------
def stack_env(url: str, redis_url: str, port: int, scale: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_PATH", None)
    cache = bd.CACHE / f"load_{scale}"
    env.update(DATABASE_URL=url, REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url, PORT=str(port),
               HOST="127.0.0.1", WEB_WORKERS=env.get("WEB_WORKERS", "3"), JOB_WORKERS=env.get("JOB_WORKERS", "2"),
               SNAPSHOT_CACHE_DIR=str(cache / "snapshots"), EXPORT_CACHE_DIR=str(cache / "exports"),
               SECRET_KEY="load-test-secret-key-not-for-production", LOGIN_RATE_LIMIT="10000 per minute",
               COOKIE_SECURE="false", PYTHONPATH=str(ROOT))
    return env


def has_stack_command() -> bool:
    proc = subprocess.run([sys.executable, "app.py", "stack", "--help"], cwd=ROOT, capture_output=True, check=False)
    return proc.returncode == 0


def start_stack(env: dict[str, str], mode: str, log_path: Path) -> list[subprocess.Popen]:
    out = open(log_path, "ab")  # noqa: SIM115 — kept open for the children's lifetime
    if mode == "app":
        return [subprocess.Popen([sys.executable, "app.py", "stack"], cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)]
    port = env["PORT"]
    return [
        subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", env["WEB_WORKERS"], "--bind",
                          f"127.0.0.1:{port}", "--timeout", "120", "app:server"], cwd=ROOT, env=env, stdout=out,
                         stderr=subprocess.STDOUT, start_new_session=True),
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "dashboard.web.worker", "worker", "--concurrency",
                          env["JOB_WORKERS"], "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
                         cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True),
    ]


def stop_stack(procs: list[subprocess.Popen], mode: str) -> None:
    """SIGTERM to the stack (it forwards it to its children) or to each process group started by hand."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if mode == "app":
                    os.kill(proc.pid, signal.SIGTERM)
                else:
                    os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def tree(procs: list[subprocess.Popen]) -> list[psutil.Process]:
    """The stack's processes: the started ones and their descendants (the stack's children have groups of
    their own, so they are found through the parent links)."""
    found = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            top = psutil.Process(proc.pid)
            found += [top, *top.children(recursive=True)]
    return found


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    out = {}
    for p in processes:
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            out[p.pid] = t.user + t.system + t.children_user + t.children_system
    return out


def part_of(p: psutil.Process) -> str | None:
    """Which part of the machine's work a process is: web, jobs (Celery and the Chromium it drives), database."""
    try:
        cmd, name = " ".join(p.cmdline()), p.name()
    except psutil.Error:
        return None
    if "gunicorn" in cmd:
        return "web"
    if "celery" in cmd or "chrom" in name or "chrom" in cmd or "kaleido" in cmd:
        return "jobs"
    if name.startswith("postgres") or cmd.startswith("postgres"):
        return "database"
    return None


class CpuByPart(threading.Thread):
    """Every second: CPU seconds used by the web workers, the jobs and the database (see part_of)."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="cpu-sampler")
        self.seconds: list[tuple[float, dict[str, float]]] = []  # (time, {part: CPU seconds in that second})
        self.done = threading.Event()

    def run(self) -> None:
        last: dict[tuple[int, float], float] = {}
        while not self.done.is_set():
            row: dict[str, float] = {}
            for p in psutil.process_iter():
                with contextlib.suppress(psutil.Error):
                    key, t = (p.pid, p.create_time()), p.cpu_times()
                    used, before = t.user + t.system, last.get(key)
                    last[key] = used
                    part = part_of(p) if before is not None else None
                    if part:
                        row[part] = row.get(part, 0.0) + used - before
                        if part == "web":  # each worker too: one process runs one thread at a time
                            row[f"web {p.pid}"] = used - before
            self.seconds.append((time.perf_counter(), row))
            self.done.wait(1.0)


def wait_ready(base: str, procs: list[subprocess.Popen], limit: float = 300) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("the stack ended while starting; see its log")
        with contextlib.suppress(requests.RequestException):
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return time.perf_counter() - t0
        time.sleep(0.2)
    raise SystemExit(f"the stack was not ready after {limit} s")


def warm_up(admin: str, base: str, dep: dict, search: str, workers: int, limit: float = 300) -> float:
    """Until three rounds in a row of 2 × ``workers`` overview callbacks posted at once all answer in under a
    second (every worker busy at once, so each has loaded its figures by then): the seconds it took."""
    from concurrent.futures import ThreadPoolExecutor

    sessions = [login_session(base, admin) for _ in range(2 * workers)]

    def one(http: requests.Session) -> bool:
        t = time.perf_counter()
        response = bd.post(http, dep, search, base)
        return response.status_code == 200 and time.perf_counter() - t < 1

    t0, fast = time.perf_counter(), 0
    with ThreadPoolExecutor(len(sessions)) as pool:
        while fast < 3:
            if time.perf_counter() - t0 > limit:
                raise SystemExit(f"the dashboard was not answering quickly after {limit} s")
            fast = fast + 1 if all(pool.map(one, sessions)) else 0
    return time.perf_counter() - t0


# --- the store ----------------------------------------------------------------------------------------------
def prepare_store(scale: str, database_url: str, users: int) -> tuple[str, list, list[str], str]:
    """The store's URL, the officials (name, region or None), the regions, and the administrator's name."""
    url = bd.store_url(f"load_{scale}", database_url)
    dirty = bd.CACHE / f"load_{scale}.imported"
    if dirty.exists():  # the last run's import is in it: start again from the scale's own data
        # (faster than rolling the import back: see the README's load test notes)
        from sqlalchemy import create_engine, text

        admin = create_engine(database_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS bench_load_{scale} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA bench_load_{scale}"))
        admin.dispose()
        dirty.unlink()
    engine = bd.db.make_engine(url)
    bd.db.upgrade(engine)
    with engine.connect() as conn:
        present = conn.execute(select(func.count()).select_from(organizations)).scalar_one()
    if not present:
        t0 = time.perf_counter()
        if scale == "bloc":
            from dashboard.web.sample import ensure_sample_data

            ensure_sample_data(engine)
        else:
            n, provinces, communes = bd.SHAPES[scale]
            bd.national_store(url, organizations_n=n, provinces=provinces, communes=communes)
        print(f"store made in {time.perf_counter() - t0:.0f} s")
    with engine.connect() as conn:
        top = conn.execute(select(organizations.c.code).where(organizations.c.parent_id.is_(None))
                           .order_by(organizations.c.id).limit(1)).scalar_one()
        regions: list[str] = []
        for level in (1, 2, 3):  # the first level with ten organizations or more that have a code
            regions = list(conn.execute(select(organizations.c.code).where(
                organizations.c.level == level, organizations.c.code.is_not(None)).order_by(organizations.c.id)
                .limit(34)).scalars())
            if len(regions) >= 10:
                break
    officials = []
    for i in range(users):
        province = None if i % NATIONAL_USERS == 0 else regions[i % len(regions)]
        name = f"can_bo_{i + 1:02d}" + (f"_{province}" if province else "")
        with contextlib.suppress(Exception):  # made by an earlier run
            # a viewer sees only its scope: the top organization for those who see everything
            create_user(engine, name, role="viewer", scope=[province or top])
        officials.append((name, province))
    with contextlib.suppress(Exception):
        create_user(engine, "quan_tri", role="admin")
    engine.dispose()
    return url, officials, regions, "quan_tri"


# --- the report ---------------------------------------------------------------------------------------------
def overlaps(r: Record, windows: list[tuple[float, float]]) -> bool:
    return any(r.start < end and r.end > start for start, end in windows)


def stats(records: list[Record]) -> str:
    if not records:
        return "—"
    times = [r.end - r.start for r in records]
    return (f"{len(records):>6} req  p50 {vn(statistics.median(times) * 1000):>6} ms  p95 "
            f"{vn(bd.percentile(times, 0.95) * 1000):>6} ms  max {vn(max(times) * 1000):>6} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--scale", choices=("bloc", "province", "national"), default="national")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--exports", type=int, default=4, help="report packs made during the run")
    parser.add_argument("--exports-via", choices=("page", "route"), default="page",
                        help="page: the Báo cáo page's background callback (a Celery job); route: /export/report.docx")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument("--import-via", choices=("page", "cli"), default="page",
                        help="page: uploaded on the Data page, checked and imported by background callbacks (the "
                             "Celery worker); cli: `python app.py import` in a process of its own")
    parser.add_argument("--stack", choices=("auto", "app", "manual"), default="auto")
    args = parser.parse_args()

    import redis

    from loaders.samples import cached_national

    url, officials, regions, admin = prepare_store(args.scale, args.database_url, args.users)
    book_orgs = 52_000 if args.scale == "national" else bd.SHAPES.get(args.scale, (105,))[0]
    book = cached_national(bd.CACHE, book_orgs)
    redis.Redis.from_url(args.redis_url).flushdb()  # this run's own database: nothing cached from the last one
    mode = args.stack if args.stack != "auto" else ("app" if has_stack_command() else "manual")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = stack_env(url, args.redis_url, port, args.scale)
    log_path = bd.CACHE / f"load_{args.scale}.log"
    log_path.unlink(missing_ok=True)
    print(f"{os.cpu_count()} CPUs, load average {vn(os.getloadavg()[0], 1)}; stack: "
          f"{'python app.py stack' if mode == 'app' else 'gunicorn + celery started by hand'} with "
          f"{env['WEB_WORKERS']} web workers and {env['JOB_WORKERS']} job workers; {args.users} officials for "
          f"{vn(args.seconds)} s; log {log_path}", flush=True)
    procs = start_stack(env, mode, log_path)
    result: dict = {}
    log = Log()
    try:
        ready = wait_ready(base, procs)
        probe = login_session(base, admin)
        deps_all = bd.callback_map(probe, base)
        named = dict(bd.page_callbacks(deps_all))
        deps = {name: [named[name]] for name in (*PAGE_NAMES, "organizations table", "filters") if name in named}
        deps["rows"] = [d for d in deps_all if d["output"] == "org-grid.getRowsResponse"]
        codes = [c for c in bd.period_codes(probe, base) if "Q" in c] or bd.period_codes(probe, base)
        warm = warm_up(admin, base, deps["overview"][0], f"?period={codes[-1]}", int(env["WEB_WORKERS"]))
        print(f"stack ready (/healthz) {vn(ready, 1)} s after starting; every web worker serving the dashboard "
              f"{vn(warm, 1)} s later (the officials arrive then)", flush=True)

        # the load generator's own pauses would be counted as the stack's: what its preparation made (a store,
        # a workbook, the accounts) is frozen and full collections are rarer, as in the web workers (without
        # this, 68 full collections of 0,15 s each stopped all 50 officials' threads during a run)
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 100)
        sampler = CpuByPart()
        sampler.start()
        stack_procs = tree(procs)
        cpu_stack0, cpu_me0, cpu_all0 = cpu_seconds(stack_procs), psutil.Process().cpu_times(), psutil.cpu_times()
        t0 = time.perf_counter()
        stop_at = t0 + args.seconds
        users = [Official(i, base, name, province, deps, codes, log, stop_at, seed=i, regions=regions)
                 for i, (name, province) in enumerate(officials)]
        for user in users:  # arrivals spread over the first five seconds
            user.start()
            time.sleep(5 / max(1, len(users)))
        import_info: dict = {}
        side = []
        if not args.no_import and args.import_via == "cli":
            side.append(threading.Thread(target=run_import, daemon=True,
                                         args=(env, book, log, args.seconds / 5, import_info, args.scale)))
        elif not args.no_import:
            side.append(threading.Thread(target=run_import_page, daemon=True,
                                         args=(base, admin, book, log, args.seconds / 5, import_info, args.scale)))
        if args.exports:
            starts = [args.seconds * (0.25 + 0.5 * i / max(1, args.exports - 1)) for i in range(args.exports)]
            side.append(threading.Thread(target=run_exports, args=(base, admin, f"?period={codes[-1]}", log,
                                                                   starts, t0, args.exports_via == "page"),
                                         daemon=True))
        for thread in side:
            thread.start()
        for user in users:
            user.join(args.seconds + TIMEOUT + 30)
        for thread in side:
            thread.join(600)
        wall = time.perf_counter() - t0
        sampler.done.set()
        cpu_stack1, cpu_me1, cpu_all1 = cpu_seconds(tree(procs)), psutil.Process().cpu_times(), psutil.cpu_times()
        result = {"wall": wall, "import": import_info}
        # processes started during the run (kaleido's Chromium, a restarted worker) count from zero
        stack_cpu = sum(after - cpu_stack0.get(pid, 0) for pid, after in cpu_stack1.items())
        me_cpu = (cpu_me1.user + cpu_me1.system) - (cpu_me0.user + cpu_me0.system)
        busy = lambda t: t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(t, "softirq", 0)  # noqa: E731
        all_cpu = busy(cpu_all1) - busy(cpu_all0)
        memory = []
        for p in tree(procs):
            with contextlib.suppress(psutil.Error):
                if "gunicorn" in " ".join(p.cmdline()) and p.parent() and "gunicorn" in " ".join(p.parent().cmdline()):
                    memory.append(p.memory_info().rss / 2**20)
    finally:
        stop_stack(procs, mode)

    records = log.records
    dash = [r for r in records if r.kind == "dashboard"]
    errors = [r for r in records if not r.ok]
    during_import = [r for r in dash if overlaps(r, log.windows["import"])]
    during_export = [r for r in dash if overlaps(r, log.windows["export"])]
    quiet = [r for r in dash if not overlaps(r, log.windows["import"] + log.windows["export"])]
    print(f"\nrequests: {vn(len(records))} in {vn(result['wall'], 1)} s ({vn(len(records) / result['wall'], 1)} "
          f"per second; dashboard callbacks {vn(len(dash) / result['wall'], 1)} per second); errors: {len(errors)}")
    for r in errors[:10]:
        print(f"  error: {r.kind} {r.what}: {r.detail}")
    print(f"dashboard callbacks, all          {stats(dash)}")
    print(f"  during the import               {stats(during_import)}")
    print(f"  during report-pack exports      {stats(during_export)}")
    print(f"  neither                         {stats(quiet)}")
    for kind in ("api", "login", "export"):
        print(f"{kind:<34}{stats([r for r in records if r.kind == kind])}")
    imp = result["import"]
    if imp:
        state = "done" if imp["ok"] else "FAILED " + imp["detail"]
        if imp.get("via") == "page":
            print(f"import (uploaded on the Data page, checked and imported on the Celery worker, the national-layout "
                  f"workbook of {vn(book_orgs)} organizations, {state}): {vn(imp['seconds'], 1)} s from upload to "
                  f"its answer (its CPU is the stack's)")
        else:
            print(f"import (python app.py import, the national-layout workbook of {vn(book_orgs)} organizations, "
                  f"{state}): {vn(imp['seconds'], 1)} s, {vn(imp['cpu'], 1)} s CPU")
        if imp.get("batch_id"):
            print(f"  batch {imp['batch_id']}; the next run starts from a store made afresh")
    exports = [r for r in records if r.kind == "export"]
    if exports:
        how = "the Báo cáo page's background callback" if args.exports_via == "page" else "/export/report.docx"
        print(f"report packs (10 charts, DOCX, {how}): "
              f"{', '.join(vn(r.end - r.start, 1) for r in exports)} s")
    import_cpu = vn(imp.get('cpu', 0) / result['wall'], 2) if imp and imp.get('via') != 'page' else '—'
    print(f"CPU (cores busy on average over the run): load generator {vn(me_cpu / result['wall'], 2)}, the stack "
          f"{vn(stack_cpu / result['wall'], 2)}, the import {import_cpu}"
          f", whole machine {vn(all_cpu / result['wall'], 2)} of {os.cpu_count()}")
    by_part: dict[str, float] = {}
    for _, row in sampler.seconds:
        for part, used in row.items():
            by_part[part] = by_part.get(part, 0.0) + used
    print("CPU by part (cores on average): " + ", ".join(f"{part} {vn(used / result['wall'], 2)}"
                                                         for part, used in sorted(by_part.items())))
    if memory:
        print(f"web workers' RSS at the end: {', '.join(vn(m) for m in memory)} MB")
    print("\nevery 10 s: dashboard callbacks p50 / p95 / max ms; CPU cores of web (each worker), jobs, database; "
          "what ran")
    for start in range(0, int(result["wall"]) + 1, 10):
        lo, hi = t0 + start, t0 + start + 10
        inside = [r.end - r.start for r in dash if lo <= r.start < hi]
        cpu = {"web": 0.0, "jobs": 0.0, "database": 0.0}
        workers: dict[str, float] = {}
        for at, row in sampler.seconds:
            if lo <= at < hi:
                for part in cpu:
                    cpu[part] += row.get(part, 0.0) / 10
                for part, used in row.items():
                    if part.startswith("web "):
                        workers[part] = workers.get(part, 0.0) + used / 10
        running = [name for name in ("import", "export") if any(a < hi and b > lo for a, b in log.windows[name])]
        if inside:
            print(f"  {start:>4} s  {vn(statistics.median(inside) * 1000):>6} / "
                  f"{vn(bd.percentile(inside, 0.95) * 1000):>6} / {vn(max(inside) * 1000):>6}   "
                  f"{vn(cpu['web'], 2)} ({' '.join(vn(w, 2) for _, w in sorted(workers.items()))}) "
                  f"{vn(cpu['jobs'], 2)} {vn(cpu['database'], 2)}   {' '.join(running)}")
    windowed = during_import + during_export
    worst = bd.percentile([r.end - r.start for r in windowed], 0.95) if windowed else float("nan")
    if windowed:
        slow = [r for r in windowed if r.end - r.start > worst]
        counts: dict[str, int] = {}
        for r in slow:
            counts[r.what] = counts.get(r.what, 0) + 1
        print("the slowest 5 % during the import and the exports, by callback: " + ", ".join(
            f"{what} {n}" for what, n in sorted(counts.items(), key=lambda kv: -kv[1])))
    print(f"\n[{'met' if not errors else 'MISSED'}] no errors: {len(errors)}")
    print(f"[{'met' if worst <= GOAL_P95 else 'MISSED'}] dashboard p95 ≤ 500 ms during the import and the exports: "
          f"{vn(worst * 1000)} ms")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
