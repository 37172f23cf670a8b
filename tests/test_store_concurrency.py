"""Nothing is lost, shown by doing it: ``python app.py import`` killed with SIGKILL before its commit, imports
running at the same time, readers reading while an import writes — on the SQLite file and on PostgreSQL.

The importer runs as a real subprocess against the test's store (``DATABASE_URL``). The test hook
``STORE_TEST_HOLD_BEFORE_COMMIT`` makes it print ``holding N`` once every row is written (uncommitted) and
sleep before the commit: that is the moment the tests kill it, race it, or read beside it.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from dashboard.store import db, imports, queries
from dashboard.store.imports import HOLD_ENV
from dashboard.store.schema import audit_log, facts, import_batches, org_names, org_parents, organizations, periods
from loaders.samples import write_national
from tests.builders import simple_report

ROOT = Path(__file__).resolve().parents[1]
Q1 = "BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN QUÝ I NĂM 2024"
Q2 = "BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN QUÝ II NĂM 2024"
STARTUP = 30.0  # seconds a subprocess may take to reach its hold (generous: CI machines are slow)


# --- helpers ---------------------------------------------------------------------------------
def report(title: str, n: int, *, shift: int = 0) -> bytes:
    """``n`` chi bộ with codes CB-0001…; ``shift`` adds to every member count (a corrected file)."""
    rows = [[i, f"CB-{i:04d}", f"Chi bộ thôn số {i}", 20 + i % 50 + shift, 5 + i % 7, i % 3] for i in range(1, n + 1)]
    return simple_report(title, rows)


def members(n: int, shift: int = 0) -> int:
    """The members_total sum ``report(…, n, shift=shift)`` carries."""
    return sum(20 + i % 50 + shift for i in range(1, n + 1))


def period_sum(engine: Engine, code: str) -> int | None:
    """Sum of current members_total over the period, read in one consistent snapshot (None: no such period)."""
    with db.read_transaction(engine) as conn:
        row = queries.period_row(conn, code)
        if row is None:
            return None
        frame = queries.current_values(conn, [row["id"]])
    return int(frame["members_total"].sum()) if not frame.empty else 0


def snapshot(engine: Engine) -> dict:
    """Row counts of every table an import writes, and the audit log itself."""
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (import_batches, facts, organizations, org_names, org_parents, periods)}
        counts["audit"] = [tuple(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    return counts


def committed_batches(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(import_batches.c.id).where(import_batches.c.status == "committed")
                                 .order_by(import_batches.c.id)).scalars())


class Importer:
    """``python app.py import FILE --create-orgs --user t`` in a subprocess, its output read as it comes."""

    def __init__(self, store_url: str, path: Path, *, hold: float | None = None, lock_timeout: int | None = None):
        env = {k: v for k, v in os.environ.items()
               if k not in (HOLD_ENV, "IMPORT_LOCK_TIMEOUT", "DATABASE_PATH")}
        env.update(DATABASE_URL=store_url, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
        if hold is not None:
            env[HOLD_ENV] = str(hold)
        if lock_timeout is not None:
            env["IMPORT_LOCK_TIMEOUT"] = str(lock_timeout)
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "import", str(path), "--create-orgs",
                                      "--user", "t"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.out: list[str] = []
        self.err: list[str] = []
        self.stamps: list[tuple[float, str]] = []  # (time.monotonic(), line) of every stdout line
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._pumps = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.out, self.lines), daemon=True),
                       threading.Thread(target=self._pump, args=(self.proc.stderr, self.err, None), daemon=True)]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream, sink: list[str], lines: queue.Queue | None) -> None:
        try:
            for line in stream:
                sink.append(line)
                if lines is not None:
                    self.stamps.append((time.monotonic(), line))
                    lines.put(line)
        finally:
            if lines is not None:
                lines.put(None)

    def wait_holding(self, timeout: float = STARTUP) -> int:
        """Block until the importer says ``holding N`` (every row written, not committed); N is its batch id."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no 'holding' line within {timeout} s; output so far: {''.join(self.out)!r}")
            if line is None:
                self.proc.wait(timeout=10)
                pytest.fail(f"the importer ended (status {self.proc.returncode}) before holding:\n"
                            f"{self.stdout}\n{self.stderr}")
            match = re.match(r"holding (\d+)", line)
            if match:
                return int(match.group(1))

    def finish(self, timeout: float = STARTUP) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the importer did not end within {timeout} s:\n{self.stdout}\n{self.stderr}")
        self._close()
        return code

    def held_at(self) -> float:
        """When the ``holding`` line came (``time.monotonic()``)."""
        return next(t for t, line in self.stamps if line.startswith("holding"))

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        for pump in self._pumps:
            pump.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)


@pytest.fixture
def importers() -> Iterator[list[Importer]]:
    """Every Importer a test starts; any still running at the end is killed (by its pid)."""
    started: list[Importer] = []
    yield started
    for importer in started:
        importer.kill()


@pytest.fixture
def start(store_url: str, importers: list[Importer]):
    def _start(path: Path, **kwargs) -> Importer:
        importer = Importer(store_url, path, **kwargs)
        importers.append(importer)
        return importer
    return _start


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A national-form workbook of 3.000 organizations (plus their commune committees): ~1 s to write."""
    path = tmp_path_factory.mktemp("national") / "national_3000.xlsx"
    write_national(path, organizations=3000)
    return path


@pytest.fixture(autouse=True)
def _no_hold_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imports run in the test process itself never hold."""
    monkeypatch.delenv(HOLD_ENV, raising=False)
    monkeypatch.delenv("IMPORT_LOCK_TIMEOUT", raising=False)


def busy_probe(store_url: str, monkeypatch: pytest.MonkeyPatch) -> float:
    """Seconds a write transaction of our own waited before StoreBusy (IMPORT_LOCK_TIMEOUT=1); fails if it got in."""
    monkeypatch.setenv("IMPORT_LOCK_TIMEOUT", "1")
    probe = db.make_engine(store_url)
    t0 = time.monotonic()
    try:
        with pytest.raises(db.StoreBusy), db.write_transaction(probe):
            pass
    finally:
        probe.dispose()
        monkeypatch.delenv("IMPORT_LOCK_TIMEOUT")
    return time.monotonic() - t0


# --- SIGKILL before the commit ---------------------------------------------------------------
def test_con001_kill_9_mid_import_leaves_nothing_of_that_batch(engine, root_org, store_url, national, start,
                                                               monkeypatch):
    before = snapshot(engine)
    importer = start(national, hold=30)
    importer.wait_holding()
    # every row is written now, inside the importer's open transaction, on this very store: it holds the
    # import lock (our own write waits, then is told busy) and no reader sees any of it
    assert busy_probe(store_url, monkeypatch) >= 0.9
    assert snapshot(engine) == before

    importer.kill()
    assert importer.proc.returncode == -signal.SIGKILL

    after = snapshot(engine)
    assert after == before  # no batch, no facts, no organization, no period, the audit log unchanged
    assert after["import_batches"] == after["facts"] == after["periods"] == 0 and after["organizations"] == 1
    if db.is_sqlite(engine):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    # the store is usable at once: the same file goes in whole
    again = start(national)
    assert again.finish() == 0, again.stderr
    assert "holding" not in again.stdout
    batches = committed_batches(engine)
    assert len(batches) == 1
    done = snapshot(engine)
    with engine.connect() as conn:
        created = conn.execute(select(import_batches.c.created_orgs)).scalar_one()
    assert done["facts"] == 3000 and created > 3000
    assert done["organizations"] == 1 + created
    assert done["org_names"] == done["org_parents"] == 0  # history rows start with an organization's first change
    assert len(done["audit"]) == len(before["audit"]) + 1 and done["audit"][-1][3] == "import"


# --- imports at the same time ----------------------------------------------------------------
def test_con002_two_imports_into_different_periods_both_commit(engine, root_org, tmp_path, start):
    n = 300
    q1, q2 = tmp_path / "q1.xlsx", tmp_path / "q2.xlsx"
    q1.write_bytes(report(Q1, n))
    q2.write_bytes(report(Q2, n, shift=7))
    # started together; each holds 1 s before its commit, so whichever is second is surely waiting meanwhile
    first, second = start(q1, hold=1), start(q2, hold=1)
    assert first.finish() == 0, first.stderr
    assert second.finish() == 0, second.stderr
    # one after the other: the second wrote only once the first had committed (after its 1 s hold)
    assert abs(second.held_at() - first.held_at()) >= 0.8
    assert len(committed_batches(engine)) == 2
    assert period_sum(engine, "2024-Q1") == members(n)
    assert period_sum(engine, "2024-Q2") == members(n, shift=7)
    # one created the organizations, the other (planning under the lock, after the commit) found them
    assert snapshot(engine)["organizations"] == 1 + n


def test_con003_same_period_the_second_waits_and_supersedes(engine, root_org, tmp_path, start):
    n = 300
    old, new = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    old.write_bytes(report(Q1, n))
    new.write_bytes(report(Q1, n, shift=5))
    hold = 3.0
    first = start(old, hold=hold)
    first_batch = first.wait_holding()

    box: dict = {}

    def second() -> None:
        try:
            box["result"] = imports.import_file(engine, new.read_bytes(), new.name,
                                                imports.ImportOptions(create_orgs=True, actor="t"), dry_run=False)
        except Exception as error:
            box["error"] = error
        box["done"] = time.monotonic()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    thread.join(timeout=STARTUP)
    assert not thread.is_alive(), "the second import never finished"
    assert first.finish() == 0, first.stderr
    assert "error" not in box, box.get("error")
    result = box["result"]
    assert result.status == "committed" and result.batch_id > first_batch
    # it waited for the first to commit (the lock was held for `hold` seconds after "holding") …
    assert box["done"] >= first.held_at() + hold - 0.5
    # … and planned after that commit: every value it changes, it changes from the first file's value
    assert len(result.changes) == n and not result.new_orgs
    assert all(c.metric == "members_total" and c.old is not None and c.new - c.old == 5 for c in result.changes)
    assert committed_batches(engine) == [first_batch, result.batch_id]
    assert period_sum(engine, "2024-Q1") == members(n, shift=5)  # the later file wins, whole
    assert snapshot(engine)["facts"] == 2 * n  # both kept: the first one's values are history, not lost


def test_con004_same_period_busy_past_the_lock_timeout(engine, root_org, store_url, tmp_path, start, monkeypatch):
    n = 50
    old, new = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    old.write_bytes(report(Q1, n))
    new.write_bytes(report(Q1, n, shift=5))
    first = start(old, hold=8)
    first.wait_holding()
    second = start(new, lock_timeout=1)
    # meanwhile, in this process: import_file says StoreBusy (the web page's case)
    monkeypatch.setenv("IMPORT_LOCK_TIMEOUT", "1")
    impatient = db.make_engine(store_url)
    try:
        with pytest.raises(db.StoreBusy):
            imports.import_file(impatient, new.read_bytes(), new.name, imports.ImportOptions(create_orgs=True),
                                dry_run=False)
    finally:
        impatient.dispose()
        monkeypatch.delenv("IMPORT_LOCK_TIMEOUT")
    status = second.finish(timeout=20)
    assert first.proc.poll() is None, "the first import should still be holding"
    assert status == 3, (status, second.stdout, second.stderr)
    assert "thử lại" in second.stderr
    everything = (second.stdout + second.stderr).lower()
    assert "database is locked" not in everything and "traceback" not in everything
    assert "lock timeout" not in everything and "Đã nhập" not in second.stdout
    assert first.finish() == 0, first.stderr
    # only the first import is there, whole; the refused one left nothing, and goes in once retried
    assert len(committed_batches(engine)) == 1
    assert period_sum(engine, "2024-Q1") == members(n)
    assert snapshot(engine)["facts"] == n
    retry = start(new)
    assert retry.finish() == 0, retry.stderr
    assert period_sum(engine, "2024-Q1") == members(n, shift=5)


def test_con005_a_write_transaction_locks_from_its_start_and_never_blocks_readers(engine, root_org, store_url,
                                                                                  monkeypatch):
    with db.write_transaction(engine):  # nothing written yet: the lock is held all the same
        waited = busy_probe(store_url, monkeypatch)
        assert 0.9 <= waited < 10
        t0 = time.monotonic()
        assert period_sum(engine, "2024-Q1") is None
        assert time.monotonic() - t0 < 2
    with db.write_transaction(engine):  # released at the end
        pass


# --- readers during an import ----------------------------------------------------------------
def test_con006_readers_see_the_old_figures_or_the_new_never_a_mix(engine, root_org, tmp_path, start):
    n = 400
    imports.import_file(engine, report(Q1, n), "old.xlsx", imports.ImportOptions(create_orgs=True, actor="t"),
                        dry_run=False)
    old_sum, new_sum = members(n), members(n, shift=3)
    assert period_sum(engine, "2024-Q1") == old_sum
    corrected = tmp_path / "corrected.xlsx"
    corrected.write_bytes(report(Q1, n, shift=3))  # every organization's figure changes

    seen: list[int | None] = []
    stop = threading.Event()
    failure: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                seen.append(period_sum(engine, "2024-Q1"))
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        importer = start(corrected, hold=2)
        importer.wait_holding()
        during = period_sum(engine, "2024-Q1")  # every corrected row is written, not committed
        assert importer.finish() == 0, importer.stderr
        after = period_sum(engine, "2024-Q1")
        deadline = time.monotonic() + 5
        while (len(seen) < 20 or seen[-1] != new_sum) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive() and not failure, failure
    mixed = sorted({s for s in seen if s not in (old_sum, new_sum)}, key=str)
    assert not mixed, f"a reader saw a mix: {mixed} (old {old_sum}, new {new_sum})"
    assert during == old_sum, f"read {during} while the corrected rows were written but not committed"
    assert after == new_sum
    assert old_sum in seen and new_sum in seen, (len(seen), set(seen))
    first_new = seen.index(new_sum)
    assert old_sum not in seen[first_new:], "a reader saw the old figures again after the new"


# --- SQLite settings -------------------------------------------------------------------------
@pytest.mark.sqlite_only
def test_con007_sqlite_runs_wal_with_full_synchronous_commits(store_url, monkeypatch):
    monkeypatch.setenv("IMPORT_LOCK_TIMEOUT", "7")
    engine = db.make_engine(store_url)
    try:
        with engine.connect() as conn:
            pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                      for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
        assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 7000}
    finally:
        engine.dispose()
    # WAL is a property of the file: any other connection to it finds it too
    raw = sqlite3.connect(store_url.removeprefix("sqlite:///"))
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()
