"""Dashboard benchmark: every page's callback timed server side, and each figure's JSON size.

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--scale bloc|province|national] [--runs 50]
                                                         [--cold-start] [--database-url URL]

bloc: the bundled sample data (105 organizations, 20 periods). province: about 1.000 grassroots organizations
under 97 commune committees × 20 quarters. national: about 52.000 grassroots organizations under 34 provinces
and 3.300 commune committees × 20 quarters. Province and national stores are written straight into the store
(import-free; a SQLite file cached in .bench/, or a schema ``bench_<scale>`` of the PostgreSQL database
``--database-url``). Each callback is posted to /_dash-update-component as the browser would, for typical
filter changes, and timed over --runs runs (p50, p95).

The pieces (building a store, the callbacks map, one callback as the browser posts it, timing every page)
are functions that tests/benchmarks/bench_scale.py and load_test.py reuse.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from dashboard.store import db  # noqa: E402
from dashboard.store.schema import facts, import_batches, organizations, periods  # noqa: E402
from loaders.catalogue import METRIC_IDS  # noqa: E402

CACHE = ROOT / ".bench"
GOALS = {"bloc": 0.030, "province": 0.150, "national": 0.150}
# grassroots organizations, provinces, commune committees of each generated scale
SHAPES = {"province": (1_000, 1, 97), "national": (52_000, 34, 3_300)}
# the callbacks each page posts when its URL changes: (name, the start of its output's id)
PAGES = (("overview", "..ovw-cards"), ("admissions", "..adm-left"), ("discipline", "..dis-left"),
         ("composition", "..cmp-left"), ("quality", "..qua-left"), ("balance", "..bal-left"),
         ("organizations", "..org-tree"), ("organizations table", "..org-grid-box"),
         ("organization", "..unit-header"), ("data", "..data-batches"), ("filters", "..shell-url.search"))
URL_INPUT = {"id": "shell-url", "property": "search"}


def store_url(scale: str, database_url: str | None = None) -> str:
    """Where a scale's store lives: a SQLite file in .bench/, or a schema of the PostgreSQL ``database_url``."""
    if not database_url:
        CACHE.mkdir(exist_ok=True)
        return f"sqlite:///{CACHE / f'dashboard_{scale}.sqlite3'}"
    from sqlalchemy import create_engine

    schema = f"bench_{scale}"
    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    admin.dispose()
    return make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def ensure_store(scale: str, url: str) -> str:
    """The scale's store at ``url``, made if empty; says how it was found or made."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.connect() as conn:
        present = conn.execute(select(func.count()).select_from(organizations)).scalar_one()
    engine.dispose()
    if present:
        return "existing store"
    t0 = time.perf_counter()
    if scale == "bloc":
        from dashboard.web.sample import ensure_sample_data

        engine = db.make_engine(url)
        ensure_sample_data(engine)
        engine.dispose()
        return f"sample workbooks imported in {time.perf_counter() - t0:.0f} s"
    n, provinces, communes = SHAPES[scale]
    national_store(url, organizations_n=n, provinces=provinces, communes=communes)
    return f"written directly (import-free) in {time.perf_counter() - t0:.0f} s"


def national_store(target: Path | str, organizations_n: int = 52_000, quarters: int = 20, seed: int = 42, *,
                   provinces: int = 34, communes: int = 3_300) -> None:
    """A national-layout store written directly (import-free): provinces → communes → grassroots.

    ``target``: a SQLite file's path, or a store URL (SQLite or PostgreSQL).
    """
    provinces_n, communes_n = provinces, communes
    rng = random.Random(seed)
    engine = db.make_engine(target if isinstance(target, str) else f"sqlite:///{target}")
    db.upgrade(engine)
    now = dt.datetime(2026, 11, 22)
    with db.write_transaction(engine) as conn:
        rows = [(1, "TW", "Toàn quốc", "toàn quốc", None, None, 0, now)]
        next_id = 2
        province_ids = list(range(next_id, next_id + provinces_n))
        rows += [(p, f"T{p:02d}", f"Đảng bộ tỉnh {p}", f"đảng bộ tỉnh {p}", None, 1, 1, now) for p in province_ids]
        next_id += provinces_n
        commune_ids = list(range(next_id, next_id + communes_n))
        rows += [(c, f"X{c:05d}", f"Đảng bộ xã {c}", f"đảng bộ xã {c}", "commune",
                  province_ids[i % provinces_n], 2, now) for i, c in enumerate(commune_ids)]
        next_id += communes_n
        types = ["admin_agency", "public_service_unit", "soe_100", "private_enterprise", "army", "police", "other"]
        leaves = list(range(next_id, next_id + organizations_n))
        rows += [(o, f"C{o:06d}", f"Chi bộ {o}", f"chi bộ {o}", types[o % len(types)],
                  commune_ids[i % communes_n], 3, now) for i, o in enumerate(leaves)]
        db.bulk_insert(conn, organizations, ["id", "code", "name", "name_norm", "org_type", "parent_id", "level",
                                             "created_at"], rows)
        period_rows = []
        for q in range(quarters):
            year, quarter = 2022 + q // 4, q % 4 + 1
            start = dt.date(year, 3 * quarter - 2, 1)
            end = (dt.date(year, 3 * quarter, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            period_rows.append((q + 1, f"{year}-Q{quarter}", "quarter", start, end, f"Quý {quarter}/{year}", False))
        db.bulk_insert(conn, periods, ["id", "code", "kind", "start", "end", "label", "locked"], period_rows)
        conn.execute(import_batches.insert().values(
            id=1, file_name="bench", sha256="0" * 64, size_bytes=0, format="xlsx", created_by="bench",
            created_at=now, status="committed", periods="[]", sheets="[]", issues="[]"))
        members = {o: rng.randint(8, 200) for o in leaves}

        def fact_rows():
            for q in range(quarters):
                for o in leaves:
                    m = members[o] = max(3, members[o] + rng.randint(-2, 3))
                    female = m * rng.randint(30, 55) // 100
                    committee = rng.randint(3, 9)
                    values = {"members_total": m, "members_full": m - 2, "members_probationary": 2,
                              "members_female": female, "admitted": rng.randint(0, 3),
                              "recognized_full": rng.randint(0, 2), "committee_members": committee,
                              "committee_female": rng.randint(0, committee // 2),
                              "committee_youth": rng.randint(0, 2), "disciplined_total": 0}
                    yield (1, o, q + 1, 0, 10, *[values.get(k) for k in METRIC_IDS])

        db.bulk_insert(conn, facts, ["batch_id", "org_id", "period_id", "sheet_no", "row_no", *METRIC_IDS],
                       fact_rows() if not db.is_sqlite(conn) else list(fact_rows()))
        conn.exec_driver_sql("INSERT INTO audit_log (at, actor, action) VALUES ('2026-11-22', 'bench', 'import')")
        if not db.is_sqlite(conn):  # ids were given: move the sequences past them, or later inserts collide
            for table in ("organizations", "periods", "import_batches"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    engine.dispose()


def signed_in_client(app, name: str = "bench"):
    """A test client signed in as the benchmark's own account (created once per store)."""
    from dashboard.web import context
    from tests.auth import create_user, login_client

    with contextlib.suppress(Exception):  # the account exists from an earlier run
        create_user(context.engine(), name)
    return login_client(app.server.test_client(), name)


def callback_map(client, base: str = "") -> list[dict]:
    """Dash's callbacks map (``/_dash-dependencies``), for a Flask test client or a requests session."""
    return _json(client.get(base + "/_dash-dependencies"))


def page_callbacks(deps: list[dict]) -> list[tuple[str, dict]]:
    """(name, callback) of each page's callback that answers a change of the URL (its first input)."""
    found = []
    for name, prefix in PAGES:
        dep = next((d for d in deps if d["output"].startswith(prefix) and d["inputs"][0] == URL_INPUT), None)
        if dep is not None:
            found.append((name, dep))
    return found


def views(codes: list[str], org_ref: str | None = None) -> list[str]:
    """Typical filter changes: latest period, previous period, same period last year, one organization type,
    and one organization's subtree when ``org_ref`` is given."""
    return [f"?period={codes[-1]}", f"?period={codes[-2]}", f"?period={codes[-1]}&cmp=same_last_year",
            f"?period={codes[-1]}&types=admin_agency"] + ([f"?period={codes[-1]}&org={org_ref}"] if org_ref else [])


def period_codes(client, base: str = "") -> list[str]:
    return [r["id"] for r in _json(client.get(base + "/api/v1/periods"))["periods"]]


def post(client, dep: dict, search: str, base: str = "", extra: dict | None = None):
    """One callback as the browser posts it, for the URL ``search`` (other inputs None unless in ``extra``:
    ``{"id.property": value}``); ``client`` is a Flask test client or a requests session (then ``base``)."""
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    if not dep["output"].startswith(".."):  # a single output is sent as itself, not as a list of one
        outputs = outputs[0]
    extra = extra or {}
    inputs = [{"id": x["id"], "property": x["property"],
               "value": search if x == URL_INPUT else extra.get(f"{x['id']}.{x['property']}")}
              for x in dep["inputs"]]
    state = [{"id": x["id"], "property": x["property"],
              "value": search if x == URL_INPUT else extra.get(f"{x['id']}.{x['property']}")}
             for x in dep.get("state", [])]
    body = {"output": dep["output"], "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}
    return client.post(base + "/_dash-update-component", json=body)


def _json(response) -> dict | list:
    return response.get_json() if hasattr(response, "get_json") else response.json()


def figure_bytes(answer: dict) -> int:
    """The largest figure's JSON in a callback's answer."""
    largest = 0
    for value in answer.get("response", {}).values():
        if isinstance(value, dict) and "figure" in value:
            largest = max(largest, len(json.dumps(value["figure"])))
    return largest


def time_callback(client, dep: dict, searches: list[str], runs: int) -> dict:
    """``runs`` posts of one callback cycling ``searches``: p50, p95, max, the slowest first request of a view
    (seconds) and the largest figure (bytes)."""
    times, first_times, largest, seen = [], [], 0, set()
    for i in range(runs):
        search = searches[i % len(searches)]
        t = time.perf_counter()
        response = post(client, dep, search)
        elapsed = time.perf_counter() - t
        times.append(elapsed)
        if search not in seen:  # the first request of a view computes; later ones may reuse results
            seen.add(search)
            first_times.append(elapsed)
        if response.status_code not in (200, 204):
            raise SystemExit(f"{dep['output']}: HTTP {response.status_code} for {search}")
        if response.status_code == 200:
            largest = max(largest, figure_bytes(_json(response)))
    return {"p50": statistics.median(times), "p95": percentile(times, 0.95), "max": max(times),
            "first_max": max(first_times), "figure_bytes": largest}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``q`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def time_pages(client, searches: list[str], runs: int) -> list[tuple[str, dict]]:
    """Every page's callback timed (see :func:`time_callback`)."""
    return [(name, time_callback(client, dep, searches, runs)) for name, dep in page_callbacks(callback_map(client))]


def first_page_load(client) -> float:
    """A signed-in visitor opens the overview until its numbers arrive: page, layout, callbacks map, the
    overview's numbers (seconds)."""
    t = time.perf_counter()
    client.get("/")
    client.get("/_dash-layout")
    deps = callback_map(client)
    overview = next(d for d in deps if d["output"].startswith("..ovw-cards"))
    post(client, overview, "")
    return time.perf_counter() - t


def start_app(url: str, scale: str, snapshots: Path):
    """The app on the store (figures loaded); returns (app, seconds, how the figures were loaded)."""
    from dashboard.web import context
    from dashboard.web.app import create_app

    t0 = time.perf_counter()
    app = create_app(db.make_engine(url), sample_data=scale == "bloc", snapshot_cache=snapshots)
    context.data().snapshot()
    return app, time.perf_counter() - t0, context.data().last_refresh


def org_ref_for(scale: str) -> str | None:
    return None if scale == "bloc" else "T05" if scale == "national" else "X00010"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("bloc", "province", "national"), default="bloc")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--cold-start", action="store_true", help="drop the snapshot's copy on disk first")
    parser.add_argument("--database-url", help="a PostgreSQL database (the store goes in schema bench_<scale>)")
    args = parser.parse_args()
    url = store_url(args.scale, args.database_url)
    print(f"store: {make_url(url).render_as_string(hide_password=True)} ({ensure_store(args.scale, url)})")
    snapshots = CACHE / f"snapshots_{args.scale}{'_pg' if args.database_url else ''}"
    if args.cold_start:
        shutil.rmtree(snapshots, ignore_errors=True)

    # start: store migrated, app built, figures loaded (from the copy on disk when there is one)
    app, started, how = start_app(url, args.scale, snapshots)
    client = signed_in_client(app)
    first = first_page_load(client)
    print(f"server start to figures loaded: {started:.2f} s (figures {how}); first page load (page, layout, "
          f"callbacks map, the overview's numbers): {first:.2f} s")
    searches = views(period_codes(client), org_ref_for(args.scale))
    print(f"\n{'callback':<21}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'first-time max ms':>19}"
          f"{'largest figure KB':>19}{'goal':>8}")
    for name, r in time_pages(client, searches, args.runs):
        ok = "ok" if r["p95"] <= GOALS[args.scale] and r["figure_bytes"] <= 200_000 else "MISSED"
        print(f"{name:<21}{r['p50'] * 1000:>9.0f}{r['p95'] * 1000:>9.0f}{r['max'] * 1000:>9.0f}"
              f"{r['first_max'] * 1000:>19.0f}{r['figure_bytes'] / 1024:>19.0f}{ok:>8}")
    print(f"\ngoals at {args.scale} scale: p95 ≤ {GOALS[args.scale] * 1000:.0f} ms, each figure ≤ 200 KB, first page "
          f"load ≤ 2 s; {args.runs} runs cycling {len(searches)} views ({', '.join(searches)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
