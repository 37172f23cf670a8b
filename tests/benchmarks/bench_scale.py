"""Scale benchmark: one table of import time, every page's callbacks, figure sizes, memory and start time of a
gunicorn worker, and export times, at bloc, province and national scale.

    .venv/bin/python tests/benchmarks/bench_scale.py [--scales bloc,province,national] [--runs 50]
                                                     [--database-url URL]

Per scale:

- the store the dashboard reads: bloc, the bundled sample workbooks imported; province (1.000 grassroots
  organizations, 1 province, 97 commune committees) and national (52.000 under 34 provinces and 3.300
  commune committees), 20 quarters each, written directly into the store (import-free, fast; see
  bench_dashboard.national_store). PostgreSQL (a schema ``bench_<scale>`` of ``--database-url``, default
  TEST_DATABASE_URL) when given, else a SQLite file in .bench/;
- import: a generated national-layout workbook of the scale's size (one period; loaders.samples.write_national)
  imported by ``dashboard.store.imports.import_file`` into a fresh empty store of the same kind, in a fresh
  process (bench_store's child);
- callbacks: every page's callback posted as the browser does, cycling typical filter changes, ``--runs``
  runs each, in one process on a Flask test client (bench_dashboard.time_pages): p50, p95, largest figure;
- worker: a real ``gunicorn -w 1 app:server`` on the store with the production settings (DATABASE_URL,
  SNAPSHOT_CACHE_DIR): the time from spawning it until it answers a signed-in dashboard callback, first
  with no copy of the figures on disk (cold) then again (restart, from the copy), and its RSS and PSS
  (psutil) once every page's callbacks were asked for every view;
- exports: one PNG chart, one XLSX table and a 10-chart DOCX report pack through the download routes
  (bench_exports.download_times), after kaleido's first image.

The table is printed as it fills, then once more as Markdown for the README.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_dashboard as bd  # noqa: E402
from bench_store import _child as import_in_child  # noqa: E402

from tests.auth import create_user  # noqa: E402
from tests.servers import free_port  # noqa: E402

CACHE = ROOT / ".bench"
SCALES = ("bloc", "province", "national")
# the imported workbook of each scale: grassroots organizations, provinces, commune committees
WORKBOOKS = {"bloc": (105, 1, 10), "province": (1_000, 1, 97), "national": (52_000, 34, 3_300)}
GOALS = {"callback_p95": 0.150, "memory_mb": 1536, "ready_s": 5.0}
BENCH_USER = "bench"


# --- numbers as the README writes them ----------------------------------------------------------------------
def vn(value: float, digits: int = 0) -> str:
    """1234.5 → "1.234,5": thousands by dots, decimals by a comma."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def ms(seconds: float) -> str:
    return vn(seconds * 1000)


# --- the import -------------------------------------------------------------------------------------------
def workbook(scale: str) -> Path:
    from loaders.samples import cached_national, write_national

    n, provinces, communes = WORKBOOKS[scale]
    if scale == "national":
        return cached_national(CACHE, n)
    CACHE.mkdir(exist_ok=True)
    book = CACHE / f"national_{n}_{provinces}_{communes}.xlsx"
    if not book.exists():
        write_national(book, organizations=n, provinces=provinces, communes=communes)
    return book


def fresh_store(database_url: str | None, folder: Path) -> tuple[str, str | None]:
    """(URL of an empty store, the PostgreSQL schema to drop afterwards)."""
    if not database_url:
        return f"sqlite:///{folder / f'import_{uuid.uuid4().hex[:8]}.sqlite3'}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_import_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(database_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def time_import(scale: str, database_url: str | None) -> dict:
    book = workbook(scale)
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as folder:
        url, schema = fresh_store(database_url, Path(folder))
        try:
            result = import_in_child("import", book, url)
        finally:
            if schema:
                drop_schema(database_url, schema)
    return {**result, "mb": book.stat().st_size / 1e6}


# --- callbacks and exports, in a child process (Dash's registries are per process) ----------------------------
def measure_in_process(scale: str, url: str, runs: int, snapshots: str) -> dict:
    from bench_exports import download_times

    from dashboard.exports import images
    from dashboard.web import context

    app, started, how = bd.start_app(url, scale, Path(snapshots))
    client = bd.signed_in_client(app, BENCH_USER)
    first = bd.first_page_load(client)
    searches = bd.views(bd.period_codes(client), bd.org_ref_for(scale))
    pages = bd.time_pages(client, searches, runs)
    snap = context.snapshot()
    grassroots = int((~snap.orgs["id"].isin(snap.orgs["parent_id"].dropna())).sum())
    t = time.perf_counter()
    client.get("/export/chart/overview-composition.png" + searches[0])  # kaleido's Chromium starts once
    kaleido = time.perf_counter() - t
    exports = download_times(client, searches[0])
    images.stop()
    return {"started": started, "how": how, "first_load": first, "pages": pages, "views": searches,
            "organizations": grassroots, "periods": len(snap.periods), "kaleido": kaleido, "exports": exports}


def measure_callbacks(scale: str, url: str, runs: int) -> dict:
    snapshots = CACHE / f"snapshots_scale_{scale}_{uuid.uuid5(uuid.NAMESPACE_URL, url).hex[:8]}"
    proc = subprocess.run([sys.executable, __file__, "--child", scale, url, str(runs), str(snapshots)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"callbacks at {scale} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- a real gunicorn worker ---------------------------------------------------------------------------------
def worker_env(url: str, snapshots: Path, exports: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_PATH"):
        env.pop(name, None)
    env.update(DATABASE_URL=url, SNAPSHOT_CACHE_DIR=str(snapshots), EXPORT_CACHE_DIR=str(exports),
               SECRET_KEY="bench-scale-secret-key-not-for-production", LOGIN_RATE_LIMIT="1000 per minute",
               COOKIE_SECURE="false", PYTHONPATH=str(ROOT))
    return env


def start_worker(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log, "ab") as out:
        return subprocess.Popen([str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "300",
                                 "app:server"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def until_ready(base: str, proc: subprocess.Popen, started: float, limit: float = 300):
    """Sign in as soon as the worker answers, then post the overview's callback: (session, seconds)."""
    import requests

    from tests.auth import login_session

    answered = None
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn ended with status {proc.returncode}")
        if time.perf_counter() - started > limit:
            raise SystemExit(f"gunicorn not ready after {limit} s")
        try:
            if answered is None:
                requests.get(base + "/healthz", timeout=limit)  # the worker's first answer, whatever it is
                answered = time.perf_counter() - started
            http = login_session(base, BENCH_USER)
            break
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.05)
    deps = bd.callback_map(http, base)
    overview = next(d for d in deps if d["output"].startswith("..ovw-cards"))
    response = bd.post(http, overview, "", base)
    if response.status_code != 200:
        raise SystemExit(f"the first callback answered HTTP {response.status_code}")
    return http, time.perf_counter() - started, answered


def worker_process(master: subprocess.Popen) -> psutil.Process:
    children = psutil.Process(master.pid).children()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {len(children)}")
    return children[0]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def measure_worker(scale: str, url: str, views: list[str]) -> dict:
    key = uuid.uuid5(uuid.NAMESPACE_URL, url).hex[:8]
    snapshots, exports = CACHE / f"worker_snapshots_{scale}_{key}", CACHE / f"worker_exports_{scale}"
    shutil.rmtree(snapshots, ignore_errors=True)  # cold: no copy of the figures on disk
    log = CACHE / f"worker_{scale}.log"
    log.unlink(missing_ok=True)
    env = worker_env(url, snapshots, exports)
    out = {}
    for attempt in ("cold", "restart"):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        t0 = time.perf_counter()
        proc = start_worker(env, port, log)
        try:
            http, out[attempt], out[f"{attempt}_http"] = until_ready(base, proc, t0)
            if attempt == "cold":
                info = worker_process(proc).memory_full_info()
                out["ready_rss_mb"], out["ready_pss_mb"] = info.rss / 2**20, info.pss / 2**20
                for _name, dep in bd.page_callbacks(bd.callback_map(http, base)):
                    for search in views:
                        response = bd.post(http, dep, search, base)
                        if response.status_code not in (200, 204):
                            raise SystemExit(f"{dep['output']}: HTTP {response.status_code}")
                worker = worker_process(proc)
                info = worker.memory_full_info()
                out["rss_mb"], out["pss_mb"] = info.rss / 2**20, info.pss / 2**20
        finally:
            stop(proc)
    return out


# --- the table ----------------------------------------------------------------------------------------------
def rows_for(results: dict[str, dict]) -> list[tuple[str, list[str], str]]:
    """(label, one cell per scale, the national goal)."""
    scales = list(results)
    col = [results[s] for s in scales]
    rows: list[tuple[str, list[str], str]] = [
        ("grassroots organizations × periods", [f"{vn(r['cb']['organizations'])} × {r['cb']['periods']}" for r in col],
         ""),
        ("store", [r["store"] for r in col], ""),
        ("import of one period's workbook into an empty store, s (organizations made, file size)",
         [f"{vn(r['imp']['wall'], 2)} ({vn(r['imp']['organizations'])}; {vn(r['imp']['mb'], 2)} MB)"
          for r in col], ""),
    ]
    names = [n for n, _ in col[0]["cb"]["pages"]]
    for name in names:
        cells = []
        for r in col:
            stats = dict(r["cb"]["pages"]).get(name)
            if stats is None:
                cells.append("—")
                continue
            size = f"; {vn(stats['figure_bytes'] / 1024)} KB" if stats["figure_bytes"] else ""
            cells.append(f"{ms(stats['p50'])} / {ms(stats['p95'])}{size}")
        rows.append((f"{name}: p50 / p95 ms; figure", cells, "p95 ≤ 150 ms; ≤ 200 KB"))
    rows.append(("slowest callback p95, ms", [ms(max(s["p95"] for _, s in r["cb"]["pages"])) for r in col],
                 "≤ 150 ms"))
    rows.append(("largest figure JSON, KB", [vn(max(s["figure_bytes"] for _, s in r["cb"]["pages"]) / 1024)
                                             for r in col], "≤ 200 KB"))
    rows.append(("first page load (in process), s", [vn(r["cb"]["first_load"], 2) for r in col], "≤ 2 s"))
    rows.append(("worker memory after every page: RSS / PSS, MB",
                 [f"{vn(r['worker']['rss_mb'])} / {vn(r['worker']['pss_mb'])}" for r in col], "≤ 1.536 MB"))
    rows.append(("worker memory once ready (before the pages): RSS / PSS, MB",
                 [f"{vn(r['worker']['ready_rss_mb'])} / {vn(r['worker']['ready_pss_mb'])}" for r in col], ""))
    rows.append(("worker ready: cold / restart, s",
                 [f"{vn(r['worker']['cold'], 1)} / {vn(r['worker']['restart'], 1)}" for r in col], "≤ 5 s"))
    rows.append(("… of which until its first HTTP answer: cold / restart, s",
                 [f"{vn(r['worker']['cold_http'], 1)} / {vn(r['worker']['restart_http'], 1)}" for r in col], ""))
    rows.append(("export PNG / XLSX / 10-chart DOCX pack, s",
                 [" / ".join(vn(r["cb"]["exports"][k], 2) for k in ("png", "xlsx", "pack")) for r in col], ""))
    rows.append(("kaleido's first image, s", [vn(r["cb"]["kaleido"], 1) for r in col], ""))
    return rows


def verdicts(national: dict) -> list[str]:
    p95 = max(s["p95"] for _, s in national["cb"]["pages"])
    w = national["worker"]
    checks = [(f"callbacks p95 ≤ 150 ms: slowest {ms(p95)} ms", p95 <= GOALS["callback_p95"]),
              (f"memory ≤ 1,5 GB per worker: RSS {vn(w['rss_mb'])} MB, PSS {vn(w['pss_mb'])} MB",
               w["rss_mb"] <= GOALS["memory_mb"]),
              (f"worker ready ≤ 5 s: cold {vn(w['cold'], 1)} s, restart {vn(w['restart'], 1)} s",
               w["restart"] <= GOALS["ready_s"])]
    return [f"[{'met' if ok else 'MISSED'}] national: {text}" for text, ok in checks]


def print_plain(results: dict[str, dict]) -> None:
    rows = rows_for(results)
    width = max(len(label) for label, _, _ in rows)
    cells = [max(len(c[i]) for _, c, _ in rows) for i in range(len(results))]
    print(f"\n{'':<{width}}  " + "  ".join(f"{s:<{cells[i]}}" for i, s in enumerate(results)) + "  goal (national)")
    for label, row, goal in rows:
        print(f"{label:<{width}}  " + "  ".join(f"{c:<{cells[i]}}" for i, c in enumerate(row)) + f"  {goal}")


def print_markdown(results: dict[str, dict]) -> None:
    print("\n| | " + " | ".join(results) + " | goal (national) |")
    print("|---|" + "---|" * len(results) + "---|")
    for label, row, goal in rows_for(results):
        print(f"| {label} | " + " | ".join(row) + f" | {goal} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=",".join(SCALES))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL") or None,
                        help="PostgreSQL for the stores (default TEST_DATABASE_URL; none: SQLite files in .bench/)")
    parser.add_argument("--child", nargs=4, metavar=("SCALE", "URL", "RUNS", "SNAPSHOTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scale, url, runs, snapshots = args.child
        print(json.dumps(measure_in_process(scale, url, int(runs), snapshots)))
        return 0
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = set(scales) - set(SCALES)
    if unknown:
        parser.error(f"unknown scale(s): {', '.join(sorted(unknown))}")
    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{os.cpu_count()} CPUs, load average {vn(os.getloadavg()[0], 1)}; stores on {kind}; {args.runs} runs "
          f"per callback")
    results: dict[str, dict] = {}
    for scale in scales:
        url = bd.store_url(scale, args.database_url)
        how = bd.ensure_store(scale, url)
        engine = bd.db.make_engine(url)
        with contextlib.suppress(Exception):  # the account exists from an earlier run
            create_user(engine, BENCH_USER)
        engine.dispose()
        print(f"[{scale}] store: {how}", flush=True)
        imp = time_import(scale, args.database_url)
        print(f"[{scale}] import: {imp['wall']:.2f} s (read {imp['read']:.2f}, plan {imp['plan']:.2f}, "
              f"write {imp['write']:.2f})", flush=True)
        cb = measure_callbacks(scale, url, args.runs)
        print(f"[{scale}] callbacks: {len(cb['pages'])} timed over {len(cb['views'])} views; exports "
              f"{cb['exports']}", flush=True)
        worker = measure_worker(scale, url, cb["views"])
        print(f"[{scale}] worker: {worker}", flush=True)
        made = "sample workbooks imported" if scale == "bloc" else "written directly"
        results[scale] = {"store": f"{kind}, {made}", "imp": imp, "cb": cb, "worker": worker}
    print_plain(results)
    if "national" in results:
        print()
        for line in verdicts(results["national"]):
            print(line)
    print(f"\nviews cycled: {'; '.join(f'{s}: ' + ', '.join(r['cb']['views']) for s, r in results.items())}")
    print_markdown(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
