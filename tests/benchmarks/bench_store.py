"""Store benchmark: the national-scale workbook imported end to end into SQLite and PostgreSQL, in one run.

    .venv/bin/python tests/benchmarks/bench_store.py [--organizations 52000] [--repeat 3] [--pg URL]

Measured, each in a fresh process (no warm caches carried from one to the next), the median of ``--repeat``:
the loaders' bare ``load()`` of the file, then ``import_file(..., create_orgs=True, dry_run=False)`` into an
empty store — a temporary SQLite file, and a temporary schema of the PostgreSQL database ``--pg`` (default
TEST_DATABASE_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/test) — split as ImportResult.seconds
has it: read (the loaders), plan (match organizations, diff against the store), write (organizations, facts,
commit). The workbook is ``.bench/national_N.xlsx`` (written by bench_loaders.py; generated if missing).

Goals: the write adds no more than the read took, and a national import finishes in under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _measure(mode: str, path: str, url: str) -> dict:
    """In the child process: import the modules, then time one operation."""
    sys.path.insert(0, str(ROOT))
    os.environ.pop("STORE_TEST_HOLD_BEFORE_COMMIT", None)
    from sqlalchemy import func, select

    from dashboard.store import db, imports
    from dashboard.store.schema import facts, organizations
    from loaders import load

    data = Path(path).read_bytes()
    if mode == "load":
        t0 = time.perf_counter()
        loaded = load(data, filename=Path(path).name)
        wall = time.perf_counter() - t0
        return {"wall": wall, "read": wall, "organizations": sum(len(p.records) for p in loaded.periods)}
    engine = db.make_engine(url)
    db.upgrade(engine)
    t0 = time.perf_counter()
    result = imports.import_file(engine, data, Path(path).name,
                                 imports.ImportOptions(create_orgs=True, accept_warnings=True, actor="bench"),
                                 dry_run=False)
    wall = time.perf_counter() - t0
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(facts)).scalar_one()
        orgs = conn.execute(select(func.count()).select_from(organizations)).scalar_one()
    engine.dispose()
    if result.status != "committed":
        raise SystemExit(f"the import ended {result.status}")
    return {"wall": wall, **result.seconds, "facts": stored, "organizations": orgs}


def _child(mode: str, path: Path, url: str = "") -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(path), url], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class _Stores:
    """A fresh empty store per run: a new SQLite file, or a new PostgreSQL schema (dropped at the end)."""

    def __init__(self, pg_base: str) -> None:
        from sqlalchemy import create_engine

        self.tmp = tempfile.TemporaryDirectory(prefix="bench_store_")
        self.admin = create_engine(pg_base)
        self.pg_base = pg_base
        self.schemas: list[str] = []
        self.n = 0

    def sqlite(self) -> str:
        self.n += 1
        return f"sqlite:///{Path(self.tmp.name) / f'store_{self.n}.sqlite3'}"

    def postgresql(self) -> str:
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        self.schemas.append(schema)
        url = make_url(self.pg_base).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        from sqlalchemy import text

        with self.admin.begin() as conn:
            for schema in self.schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        self.admin.dispose()
        self.tmp.cleanup()


def _median(runs: list[dict]) -> dict:
    out = dict(runs[-1])
    for key in ("wall", "read", "plan", "write"):
        if key in out:
            out[key] = statistics.median(r[key] for r in runs)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organizations", type=int, default=52_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(*args.child)))
        return 0

    sys.path.insert(0, str(ROOT))
    from loaders.samples import cached_national

    book = cached_national(CACHE, args.organizations)
    print(f"workbook: {book.name}, {book.stat().st_size / 1e6:.1f} MB; {args.repeat} run(s) each, median; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    stores = _Stores(args.pg)
    try:
        load_runs, sqlite_runs, pg_runs = [], [], []
        for _ in range(args.repeat):  # interleaved, so that a busy moment of the machine hits all three alike
            load_runs.append(_child("load", book))
            sqlite_runs.append(_child("import", book, stores.sqlite()))
            pg_runs.append(_child("import", book, stores.postgresql()))
    finally:
        stores.close()
    bare, lite, pg = _median(load_runs), _median(sqlite_runs), _median(pg_runs)

    print()
    print(f"{'':<34} {'read s':>8} {'plan s':>8} {'write s':>8} {'total s':>8}")
    print(f"{'loaders.load() (bare)':<34} {bare['wall']:>8.2f} {'':>8} {'':>8} {bare['wall']:>8.2f}")
    for label, r in (("import → SQLite (temp file)", lite), ("import → PostgreSQL (temp schema)", pg)):
        print(f"{label:<34} {r['read']:>8.2f} {r['plan']:>8.2f} {r['write']:>8.2f} {r['wall']:>8.2f}")
    print()
    print(f"organizations in the file: {bare['organizations']:,}; after each import the store holds "
          f"{lite['organizations']:,} / {pg['organizations']:,} organizations (with the commune committees) "
          f"and {lite['facts']:,} / {pg['facts']:,} fact rows".replace(",", "."))
    checks = []
    for name, r in (("SQLite", lite), ("PostgreSQL", pg)):
        checks.append((f"{name}: the write adds no more than the read took: write {r['write']:.2f} s, "
                       f"read {r['read']:.2f} s", r["write"] <= r["read"]))
        checks.append((f"{name}: a national import in under 10 s: {r['wall']:.2f} s", r["wall"] < 10))
    for text_, ok in checks:
        print(f"[{'ok' if ok else 'MISSED'}] {text_}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
