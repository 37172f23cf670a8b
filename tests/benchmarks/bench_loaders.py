"""Loader benchmark: the national-scale workbook read three ways, side by side, in one run.

    .venv/bin/python tests/benchmarks/bench_loaders.py [--organizations 52000] [--repeat 7] [--skip-pandas]

Each measurement runs in a fresh process so that peak memory (VmHWM) belongs to it alone; wall time
and CPU time (user + system, all threads) are the operation only (imports excluded), the median of
``--repeat`` runs; the loader and the bare calamine read take turns, so that other work on the machine
weighs on both alike. Also measured: refusing a zip bomb (3 MB that inflates to 1 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench"


def _peak_kb() -> int:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's across execve)."""
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])


def _measure(mode: str, path: str) -> dict[str, float]:
    """Run in the child process: import, then time one operation."""
    sys.path.insert(0, str(ROOT))
    if mode in ("loader", "bomb"):
        # ``loaders.load`` imports the reader's modules (numpy, python_calamine, …) on its first call: import them
        # here, so that, like the bare read's, the timed operation excludes them
        import python_calamine

        import loaders.api  # noqa: F401
    if mode == "loader":
        from loaders import load

        def op() -> object:
            return load(path)
    elif mode == "calamine":
        import python_calamine

        def op() -> object:
            return python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    elif mode == "pandas_openpyxl":
        import pandas as pd

        def op() -> object:
            return pd.read_excel(path, engine="openpyxl", header=None)
    elif mode == "bomb":
        from loaders import UnreadableFileError, load

        def op() -> object:
            try:
                load(path)
            except UnreadableFileError as exc:
                return exc.code
            raise SystemExit("the bomb was not refused")
    else:
        raise SystemExit(f"unknown mode {mode}")
    before = _peak_kb()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = op()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0  # user + system time of all the process's threads
    peak = _peak_kb()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    info = {"wall": wall, "cpu": cpu, "user": r1.ru_utime - r0.ru_utime, "sys": r1.ru_stime - r0.ru_stime,
            "faults": r1.ru_minflt - r0.ru_minflt, "peak_mb": peak / 1024, "imports_mb": before / 1024}
    if mode == "loader":
        info["organizations"] = len(out.periods[0].records)  # type: ignore[attr-defined]
        info["issues"] = len(out.issues)  # type: ignore[attr-defined]
    if mode == "bomb":
        info["code"] = out  # type: ignore[assignment]
    return info


def _child(mode: str, path: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _summary(results: list[dict[str, float]]) -> dict[str, float]:
    best = dict(results[0])
    best["wall"] = statistics.median(r["wall"] for r in results)
    best["cpu"] = statistics.median(r["cpu"] for r in results)
    best["peak_mb"] = max(r["peak_mb"] for r in results)
    return best


def _runs(mode: str, path: Path, repeat: int) -> dict[str, float]:
    return _summary([_child(mode, path) for _ in range(repeat)])


def _paired(modes: tuple[str, str], path: Path, repeat: int) -> tuple[dict[str, float], dict[str, float], float]:
    """Both readers, one run of each in turn (a load that comes and goes on the machine hits both alike); also
    the median of the per-pair ratios of wall time."""
    pairs = [(_child(modes[0], path), _child(modes[1], path)) for _ in range(repeat)]
    ratio = statistics.median(a["wall"] / b["wall"] for a, b in pairs)
    return _summary([a for a, _ in pairs]), _summary([b for _, b in pairs]), ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organizations", type=int, default=52_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(*args.child)))
        return 0

    sys.path.insert(0, str(ROOT))
    from loaders.samples import cached_national
    from tests.badfiles import zip_bomb

    book = cached_national(CACHE, args.organizations)
    print(f"workbook: {book.name}, {book.stat().st_size / 1e6:.1f} MB")

    loader, calamine, pair_ratio = _paired(("loader", "calamine"), book, args.repeat)
    pandas = None if args.skip_pandas else _runs("pandas_openpyxl", book, 1)

    bomb = CACHE / "bomb.xlsx"
    bomb.write_bytes(zip_bomb())
    refused = _runs("bomb", bomb, args.repeat)

    print()
    print(f"{'reader':<44} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    print(f"{'loaders.load (read + validate)':<44} {loader['wall']:>8.2f} {loader['cpu']:>8.2f} "
          f"{loader['peak_mb']:>8.0f}")
    print(f"{'python-calamine bare read':<44} {calamine['wall']:>8.2f} {calamine['cpu']:>8.2f} "
          f"{calamine['peak_mb']:>8.0f}")
    if pandas:
        print(f"{'pandas.read_excel(engine=openpyxl)':<44} {pandas['wall']:>8.2f} {pandas['cpu']:>8.2f} "
              f"{pandas['peak_mb']:>8.0f}")
    print(f"{'zip bomb refused (' + f'{bomb.stat().st_size / 1e6:.1f} MB → 1 GB)':<44} "
          f"{refused['wall']:>8.2f} {refused['cpu']:>8.2f} {refused['peak_mb']:>8.0f}")
    print()
    print(f"organizations read: {loader['organizations']:,}; issues: {loader['issues']}".replace(",", "."))
    # the verified copy calamine reads (loaders.safety.StoredCopy) lives in a memory file, outside VmHWM
    with zipfile.ZipFile(book) as package:
        inflated = sum(info.file_size for info in package.infolist())
    print(f"plus the verified, uncompressed copy of the package calamine reads: {inflated / 1e6:.0f} MB "
          "in a memory file (not counted in peak MB)")
    ratio = loader["wall"] / calamine["wall"]
    cpu_ratio = loader["cpu"] / calamine["cpu"]
    print(f"ratio to the bare calamine read: wall {ratio:.2f}× (median of pair ratios {pair_ratio:.2f}×), "
          f"CPU {cpu_ratio:.2f}×")
    checks = [(f"within 1,5× of the bare calamine read: {ratio:.2f}×", ratio <= 1.5),
              (f"peak memory under 600 MB: {loader['peak_mb']:.0f} MB", loader["peak_mb"] < 600),
              (f"bomb refused in under 2 s: {refused['wall']:.2f} s", refused["wall"] < 2),
              (f"bomb refused using under 300 MB: {refused['peak_mb']:.0f} MB", refused["peak_mb"] < 300)]
    if pandas:
        speedup = pandas["wall"] / loader["wall"]
        checks.insert(0, (f"at least 5× faster than pandas + openpyxl: {speedup:.1f}×", speedup >= 5))
    for text, ok in checks:
        print(f"[{'ok' if ok else 'MISSED'}] {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
