"""Dashboard benchmark: every page's callback timed server side, and each figure's JSON size.

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--scale bloc|national] [--runs 50]

bloc: the bundled sample data (105 organizations, 20 periods). national: about 52.000 grassroots
organizations under 34 provinces and 3.300 commune committees × 20 quarters, written straight into a
temporary SQLite store (cached in .bench/). Each callback is posted to /_dash-update-component as the
browser would, for typical filter changes, and timed over --runs runs (p50, p95).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dashboard.store import db  # noqa: E402
from dashboard.store.schema import facts, import_batches, organizations, periods  # noqa: E402
from loaders.catalogue import METRIC_IDS  # noqa: E402

GOALS = {"bloc": 0.030, "national": 0.150}


def national_store(path: Path, organizations_n: int = 52_000, quarters: int = 20, seed: int = 42) -> None:
    """A national-size store written directly (import-free): provinces → communes → grassroots."""
    rng = random.Random(seed)
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    now = dt.datetime(2026, 11, 22)
    with db.write_transaction(engine) as conn:
        rows = [(1, "TW", "Toàn quốc", "toàn quốc", None, None, 0, now)]
        next_id = 2
        provinces = list(range(next_id, next_id + 34))
        rows += [(p, f"T{p:02d}", f"Đảng bộ tỉnh {p}", f"đảng bộ tỉnh {p}", None, 1, 1, now) for p in provinces]
        next_id += 34
        communes = list(range(next_id, next_id + 3_300))
        rows += [(c, f"X{c:05d}", f"Đảng bộ xã {c}", f"đảng bộ xã {c}", "commune", provinces[i % 34], 2, now)
                 for i, c in enumerate(communes)]
        next_id += 3_300
        types = ["admin_agency", "public_service_unit", "soe_100", "private_enterprise", "army", "police", "other"]
        leaves = list(range(next_id, next_id + organizations_n))
        rows += [(o, f"C{o:06d}", f"Chi bộ {o}", f"chi bộ {o}", types[o % len(types)], communes[i % 3_300], 3, now)
                 for i, o in enumerate(leaves)]
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
        fact_rows = []
        for q in range(quarters):
            for o in leaves:
                m = members[o] = max(3, members[o] + rng.randint(-2, 3))
                female = m * rng.randint(30, 55) // 100
                committee = rng.randint(3, 9)
                values = {"members_total": m, "members_full": m - 2, "members_probationary": 2,
                          "members_female": female, "admitted": rng.randint(0, 3), "recognized_full": rng.randint(0, 2),
                          "committee_members": committee, "committee_female": rng.randint(0, committee // 2),
                          "committee_youth": rng.randint(0, 2), "disciplined_total": 0}
                fact_rows.append((1, o, q + 1, 0, 10, *[values.get(k) for k in METRIC_IDS]))
        db.bulk_insert(conn, facts, ["batch_id", "org_id", "period_id", "sheet_no", "row_no", *METRIC_IDS],
                       fact_rows)
        conn.exec_driver_sql("INSERT INTO audit_log (at, actor, action) VALUES ('2026-11-22', 'bench', 'import')")
    engine.dispose()


def signed_in_client(app):
    """A test client signed in as the benchmark's own account (created once per store)."""
    from dashboard.web import context
    from tests.auth import create_user, login_client

    with contextlib.suppress(Exception):  # the account exists from an earlier run
        create_user(context.engine(), "bench")
    return login_client(app.server.test_client(), "bench")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("bloc", "national"), default="bloc")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--cold-start", action="store_true", help="drop the snapshot's copy on disk first")
    args = parser.parse_args()
    cache = ROOT / ".bench"
    cache.mkdir(exist_ok=True)
    path = cache / f"dashboard_{args.scale}.sqlite3"
    snapshots = cache / f"snapshots_{args.scale}"
    if args.scale == "national" and not path.exists():
        t0 = time.perf_counter()
        national_store(path)
        print(f"built the national store in {time.perf_counter() - t0:.0f} s")
    if args.cold_start:
        shutil.rmtree(snapshots, ignore_errors=True)
    from dashboard.web import context
    from dashboard.web.app import create_app

    # start: store migrated, app built, figures loaded (from the copy on disk when there is one)
    t0 = time.perf_counter()
    app = create_app(db.make_engine(f"sqlite:///{path}"), sample_data=args.scale == "bloc",
                     snapshot_cache=snapshots)
    context.data().snapshot()
    started = time.perf_counter() - t0
    how = context.data().last_refresh
    client = signed_in_client(app)
    # first page load: a signed-in visitor opens the overview until its numbers arrive
    t_page = time.perf_counter()
    page = client.get("/")
    client.get("/_dash-layout")
    deps = client.get("/_dash-dependencies").get_json()
    overview = next(d for d in deps if d["output"].startswith("..ovw-cards"))
    post(client, overview, "")
    first = time.perf_counter() - t_page
    codes = [r["id"] for r in client.get("/api/v1/periods").get_json()["periods"]]
    print(f"server start to figures loaded: {started:.2f} s (figures {how}); first page load (page, layout, "
          f"callbacks map, the overview's numbers): {first:.2f} s; page {page.status_code}")
    org_ref = "T05" if args.scale == "national" else None
    searches = [f"?period={codes[-1]}", f"?period={codes[-2]}", f"?period={codes[-1]}&cmp=same_last_year",
                f"?period={codes[-1]}&types=admin_agency"] + ([f"?period={codes[-1]}&org={org_ref}"] if org_ref else [])
    pages = [("overview", "..ovw-cards"), ("admissions", "..adm-left"), ("discipline", "..dis-left"),
             ("composition", "..cmp-left"), ("quality", "..qua-left"), ("balance", "..bal-left"),
             ("organizations", "..org-tree"), ("filters", "..shell-url.search")]
    print(f"\n{'callback':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'first-time max ms':>19}"
          f"{'largest figure KB':>19}{'goal':>8}")
    for name, prefix in pages:
        dep = next((d for d in deps if d["output"].startswith(prefix)
                    and d["inputs"][0] == {"id": "shell-url", "property": "search"}), None)
        if dep is None:
            print(f"{name:<16} (no such callback)")
            continue
        times, first_times, largest, seen = [], [], 0, set()
        for i in range(args.runs):
            search = searches[i % len(searches)]
            t = time.perf_counter()
            response = post(client, dep, search)
            elapsed = time.perf_counter() - t
            times.append(elapsed)
            if search not in seen:  # the first request of a view computes; later ones may reuse results
                seen.add(search)
                first_times.append(elapsed)
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code} for {search}")
            for value in response.get_json()["response"].values():
                if isinstance(value, dict) and "figure" in value:
                    largest = max(largest, len(json.dumps(value["figure"])))
        p50 = statistics.median(times)
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        ok = "ok" if p95 <= GOALS[args.scale] and largest <= 200_000 else "MISSED"
        print(f"{name:<16}{p50 * 1000:>9.0f}{p95 * 1000:>9.0f}{max(times) * 1000:>9.0f}"
              f"{max(first_times) * 1000:>19.0f}{largest / 1024:>19.0f}{ok:>8}")
    print(f"\ngoals at {args.scale} scale: p95 ≤ {GOALS[args.scale] * 1000:.0f} ms, each figure ≤ 200 KB, first page "
          f"load ≤ 2 s; {args.runs} runs cycling {len(searches)} views ({', '.join(searches)})")
    return 0


def post(client, dep: dict, search: str):
    """One callback as the browser posts it, for the URL ``search``."""
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    inputs = [{"id": x["id"], "property": x["property"],
               "value": search if x["property"] == "search" else None} for x in dep["inputs"]]
    body = {"output": dep["output"], "outputs": outputs, "inputs": inputs, "state": [],
            "changedPropIds": ["shell-url.search"]}
    return client.post("/_dash-update-component", json=body)


if __name__ == "__main__":
    sys.exit(main())
