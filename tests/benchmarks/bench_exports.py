"""Exports benchmark: warm PNG export per chart (goal ≤ 1 s), a report pack of 10 charts (goal ≤ 15 s), and
memory over 100 exports in a row (RSS of this process and its Chromium children; Chromium processes before
and after: no leak).

    .venv/bin/python tests/benchmarks/bench_exports.py

Runs on the bundled sample data (a bloc committee: 105 organizations, quarters 2023–2026 and years
2020–2024) imported into a temporary SQLite store.

:func:`download_times` times the same exports through the app's download routes (one PNG, one XLSX table,
a report pack), for tests/benchmarks/bench_scale.py and load_test.py.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dashboard import charts
from dashboard.exports import images, report
from dashboard.exports.common import caption
from dashboard.store import db
from dashboard.web.data import DataService
from dashboard.web.sample import ensure_sample_data
from dashboard.web.state import ViewState
from dashboard.web.view import resolve

PACK = ("overview-composition", "overview-trend", "admissions-trend", "admissions-by-type", "discipline-forms",
        "discipline-exits", "composition-women-youth", "quality-ratings", "balance-waterfall", "organizations-tree")


def download_times(client, search: str, base: str = "") -> dict[str, float]:
    """Seconds for one PNG chart, one XLSX table and a 10-chart DOCX report pack, downloaded through
    ``/export/…`` as a signed-in browser would (``client``: a Flask test client or a requests session)."""
    query = search.lstrip("?")
    out = {}
    for key, path in (("png", "/export/chart/overview-trend.png"), ("xlsx", "/export/table/overview-trend.xlsx"),
                      ("pack", "/export/report.docx?charts=" + ",".join(PACK))):
        t = time.perf_counter()
        response = client.get(base + path + ("&" if "?" in path else "?") + query)
        out[key] = time.perf_counter() - t
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return out


def chromium_processes() -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["name", "ppid"]):
        try:
            if "chrom" in (p.info["name"] or "") and _descends_from_me(p):
                out.append(p)
        except psutil.Error:
            continue
    return out


def _descends_from_me(p: psutil.Process) -> bool:
    me = psutil.Process().pid
    try:
        return any(parent.pid == me for parent in p.parents())
    except psutil.Error:
        return False


def rss_mb() -> float:
    total = psutil.Process().memory_info().rss
    for p in chromium_processes():
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def png(chart_id: str, view) -> bytes:
    fig, _table = charts.build(chart_id, view, "vi")
    return images.render(images.decorate(fig, caption(chart_id, view, "vi")), "png")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    engine = db.make_engine(f"sqlite:///{folder / 'store.sqlite3'}")
    db.upgrade(engine)
    ensure_sample_data(engine)
    view = resolve(DataService(engine).snapshot(), ViewState(period="2024-Q4"))
    before = len(chromium_processes())
    t0 = time.perf_counter()
    images.start()
    png("overview-trend", view)
    cold = time.perf_counter() - t0
    print(f"kaleido server start + first image: {cold:.2f} s; Chromium processes before start: {before}, "
          f"after: {len(chromium_processes())}")
    print(f"{'chart':<26} {'warm PNG s (median of 3)':>26} {'bytes':>10}")
    worst = 0.0
    for chart_id in charts.CHART_IDS:
        times, size = [], 0
        for _ in range(3):
            t = time.perf_counter()
            size = len(png(chart_id, view))
            times.append(time.perf_counter() - t)
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"{chart_id:<26} {median:>26.2f} {size:>10,}")
    print(f"slowest warm PNG: {worst:.2f} s (goal ≤ 1 s: {'met' if worst <= 1 else 'NOT met'})")

    for fmt in ("docx", "pptx", "zip"):
        t = time.perf_counter()
        data = report.report(view, PACK, fmt, "vi")
        took = time.perf_counter() - t
        print(f"report pack, 10 charts, {fmt}: {took:.2f} s, {len(data):,} bytes"
              + (f" (goal ≤ 15 s: {'met' if took <= 15 else 'NOT met'})" if fmt == "docx" else ""))

    start_rss, start_count = rss_mb(), len(chromium_processes())
    peak = start_rss
    t = time.perf_counter()
    for i in range(100):
        png(charts.CHART_IDS[i % len(charts.CHART_IDS)], view)
        if i % 10 == 9:
            peak = max(peak, rss_mb())
    took = time.perf_counter() - t
    end_rss, end_count = rss_mb(), len(chromium_processes())
    print(f"100 PNG exports in a row: {took:.1f} s; RSS (process + Chromium) {start_rss:.0f} → {end_rss:.0f} MB, "
          f"peak {peak:.0f} MB; Chromium processes {start_count} → {end_count}")
    images.stop()
    time.sleep(1)
    print(f"after stopping the server: Chromium processes {len(chromium_processes())} (started with {before})")
    engine.dispose()


if __name__ == "__main__":
    main()
