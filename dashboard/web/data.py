"""What the pages and the API read: frames from the store, cached until the data changes.

The cache key is the store's *data version* (the newest audit-log entry: every import, rollback, lock and
restructuring writes one), so an import is visible on the next request. Frames are handed out as they are
cached: callers must not modify them (the analytics functions return new frames).

A *scope* (a set of organization ids whose subtrees a user may see) gives a snapshot restricted to those
subtrees: their organizations only (the scope's tops become roots), their figures only. Scoped snapshots
are cached per (data version, scope). Pages, the API and exports get theirs through
``dashboard.web.context.snapshot()``, which applies the signed-in user's scope.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import threading
import time
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard import analytics
from dashboard.store import db, queries
from dashboard.store.schema import audit_log, import_batches
from dashboard.store.schema import facts as facts_table
from loaders.catalogue import METRIC_IDS

log = logging.getLogger(__name__)
SAMPLE_USER = "Dữ liệu mẫu"  # the actor of the imports made from the bundled sample data
Scope = frozenset[int] | None  # None: everything; otherwise the tops of the subtrees one may see
MAX_SCOPED = 64  # scoped snapshots kept (least recently used dropped)
COPY_DELAY = 30.0  # see DataService._base
CHANGE_FRESH = 60.0  # seconds an import's change left on disk is taken by other processes (see _load_change)


@dataclass(frozen=True)
class Snapshot:
    """Everything the dashboard shows, read in one consistent transaction."""

    version: int
    facts: pd.DataFrame  # org_id, period_id, one column per metric (latest committed import per metric)
    orgs: pd.DataFrame  # id, code, name, org_type, parent_id, level, valid_from, valid_to
    periods: pd.DataFrame  # id, code, kind, start, end, label, locked
    sample_only: bool  # every committed import came from the bundled sample data
    scope: Scope = None
    batches: dict[int, str] = field(default_factory=dict, compare=False)  # import id → "status:sha256"
    orgs_print: str | None = field(default=None, compare=False)  # tells whether the registry changed (PostgreSQL)
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # results derived from this snapshot

    def __post_init__(self) -> None:
        for frame in (self.facts, self.orgs, self.periods):  # never modified: results over them are memoized
            analytics.pin(frame)


def allowed_ids(orgs: pd.DataFrame, scope: frozenset[int]) -> set[int]:
    """The organizations under ``scope``'s tops, the tops included."""
    allowed: set[int] = set()
    ids = orgs["id"].to_numpy(dtype=np.int64) if not orgs.empty else np.zeros(0, dtype=np.int64)
    for top in scope:
        if (ids == int(top)).any():  # a top no longer in the registry gives nothing
            allowed |= analytics.descendants(orgs, int(top))
    return allowed


def restrict(snap: Snapshot, scope: frozenset[int]) -> Snapshot:
    """The part of a snapshot under the organizations of ``scope`` (each included with its subtree)."""
    orgs = snap.orgs
    allowed = allowed_ids(orgs, scope)
    keep = orgs[orgs["id"].isin(allowed)].copy()
    outside = ~keep["parent_id"].isin(allowed)
    keep.loc[outside, "parent_id"] = None  # the scope's tops are this user's roots
    keep = keep.reset_index(drop=True)
    facts = snap.facts
    mask = analytics._in(facts["org_id"], sorted(allowed)) if len(facts) else []
    return replace(snap, facts=facts.loc[mask].reset_index(drop=True) if len(facts) else facts, orgs=keep,
                   scope=scope, memo={})


class DataService:
    """Snapshots of the store, rebuilt only as far as the data changed.

    A new data version re-reads organizations and periods (small) and, for figures, only the
    (organization, period) pairs touched by imports whose status changed since the last snapshot (a new
    import, a rollback); nothing else is fetched again. With ``cache_dir`` the figures are also kept on
    disk (``snapshot.npz``, integers only, loaded without pickle), so a restarted server is ready in about
    a second instead of re-reading every fact.
    """

    def __init__(self, engine: Engine, cache_dir: Path | None = None) -> None:
        self.engine = engine
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._scoped: OrderedDict[tuple[int, frozenset[int]], Snapshot] = OrderedDict()
        self.last_refresh: str = ""  # "full", "delta", "disk" or "orgs": how the last snapshot was made
        self.last_orgs: str = ""  # "same", "grown" or "read": how its organizations were
        self.last_change: str = ""  # a delta's change: "store" (read) or "shared" (left by another process)
        # whether this process may read a change for the others (they wait for it): not a background job's,
        # which runs only when the web workers leave the CPU idle
        self.leads_changes = True
        # the scoped snapshots of the version before the last refresh, and the organizations whose figures that
        # refresh changed (None: unknown, any; see _carried_over)
        self._carry: tuple[dict[frozenset[int], Snapshot], frozenset[int] | None] = ({}, None)
        self.warmers: list = []  # functions of the process's first snapshot, run in a background thread
        self.copy_delay = COPY_DELAY  # seconds between a refresh after an import and writing its copy on disk
        self._hurry = threading.Event()  # set by settle(): write the copy now
        self._background: list[threading.Thread] = []  # started behind new snapshots (see settle())
        # the data version already read for the current request, if any (the accounts layer reads it with the
        # session, in the same query); None: ask the store
        self.known_version: Callable[[], int | None] = lambda: None

    def version(self) -> int:
        known = self.known_version()
        current = self._snapshot
        if known is not None and (current is None or known >= current.version):
            return known  # (older than the snapshot: read before another request refreshed it; ask the store)
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one())

    def snapshot(self, scope: Scope = None) -> Snapshot:
        """The current snapshot, restricted to ``scope`` when one is given (``None``: everything)."""
        base = self._base()
        if scope is None:
            return base
        key = (base.version, frozenset(scope))
        with self._lock:
            hit = self._scoped.get(key)
            if hit is not None:
                self._scoped.move_to_end(key)
                return hit
        snap = self._carried_over(base, key[1]) or restrict(base, key[1])
        with self._lock:
            self._scoped[key] = snap
            while len(self._scoped) > MAX_SCOPED:
                self._scoped.popitem(last=False)
        return snap

    def _carried_over(self, base: Snapshot, scope: frozenset[int]) -> Snapshot | None:
        """The scope's snapshot of the previous version brought to ``base``, when the refresh changed nothing in
        it: the same organizations (no new one under its tops, their rows as they were) and no figure of theirs.
        Its frames are the same objects, so what was computed from them stays valid: an import of one province's
        figures leaves the other provinces' officials their computed views (only the periods, the imports'
        states and the answers remembered per version are new)."""
        old_scoped, changed = self._carry
        with self._lock:
            old = old_scoped.pop(scope, None)  # asked once: kept on (in the new version) or let go
        if old is None or changed is None:
            return None
        allowed = allowed_ids(base.orgs, scope)
        if len(allowed) != len(old.orgs) or not changed.isdisjoint(allowed) or \
                set(old.orgs["id"].astype("int64").tolist()) != allowed:
            return None
        return replace(old, version=base.version, periods=base.periods, sample_only=base.sample_only,
                       batches=base.batches, orgs_print=base.orgs_print, memo={})

    def _base(self) -> Snapshot:
        version = self.version()
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._snapshot is not None and self._snapshot.version == version:
                return self._snapshot
            first = self._snapshot is None
            previous = self._snapshot or self._from_disk()
            with db.read_transaction(self.engine) as conn:
                snap, how, changed = self._build(conn, previous)
            self._snapshot = snap
            # the scopes the change left alone keep their frames (and what was computed from them); a scope the
            # change touched is let go at once (a country's scope holds a copy of every figure)
            self._carry = ({scope: s for (v, scope), s in self._scoped.items()
                            if v == previous.version and changed.isdisjoint(s.orgs["id"].tolist())}
                           if previous is not None and changed is not None else {}, changed)
            self._scoped.clear()
            self.last_refresh = how
        # behind the answer, not in its way: the first pages' figures (at start only: after an import every
        # worker would warm the same views at the moment they all refresh, on the officials' CPU), then the copy
        # on disk (0,8 s of CPU at national size; only the next start needs it: after an import, COPY_DELAY
        # later, when the officials' first views of the new figures are done)
        write = how in ("full", "delta")
        warmers = self.warmers if first else []
        if warmers or write:
            delay = self.copy_delay if how == "delta" else 0.0
            worker = threading.Thread(target=self._after_new, args=(snap, write, warmers, delay),
                                      name="snapshot-warm", daemon=True)
            with self._lock:  # the finished ones are let go (a long-running worker sees an import a day)
                self._background = [t for t in self._background if t.is_alive()] + [worker]
            worker.start()
        return snap

    def settle(self, timeout: float | None = None) -> None:
        """Finish the work started behind the current snapshot (warming, the copy on disk: now, not after
        its delay)."""
        with self._lock:
            pending, self._background = self._background, []
        self._hurry.set()
        for worker in pending:
            worker.join(timeout)
        self._hurry.clear()

    def _after_new(self, snap: Snapshot, write: bool, warmers: list, delay: float = 0.0) -> None:
        self._warm(snap, warmers)
        if write and delay > 0:
            self._hurry.wait(delay)
        if write and self._snapshot is snap:  # a newer snapshot writes its own copy
            self._to_disk(snap)

    def warm(self) -> None:
        """Load the snapshot now (at start) and prepare what the first pages will ask for, in the background."""
        threading.Thread(target=self._base, name="snapshot-load", daemon=True).start()

    def _warm(self, snap: Snapshot, warmers: list) -> None:
        for warmer in warmers:
            try:
                warmer(snap)
            except Exception:  # warming only saves time: a page computes whatever is missing
                log.exception("warming the dashboard's figures failed")

    def _build(self, conn, previous: Snapshot | None) -> tuple[Snapshot, str, frozenset[int] | None]:
        version = int(conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one())
        b = import_batches.c
        # an import's state: its status and its file's hash (a store rebuilt at the same path differs here)
        states = {int(i): f"{st}:{sha}" for i, st, sha in conn.execute(select(b.id, b.status, b.sha256))}
        users = set(conn.execute(select(b.created_by).where(b.status == queries.COMMITTED)).scalars())
        periods = queries.list_periods(conn)
        if previous is not None and periods.equals(previous.periods):
            periods = previous.periods  # the same frame: what was computed from it stays valid
        # the registry read again only when it changed (an import that creates no organization, a lock: the
        # same frame, and every result computed from it stays valid)
        orgs, orgs_print = self._organizations(conn, previous)
        how, touched = "full", None  # touched: the organizations whose figures changed (None: any)
        if previous is not None:
            changed = sorted(i for i in set(states) | set(previous.batches)
                             if states.get(i) != previous.batches.get(i))
            if not changed:
                facts, how, touched = previous.facts, "orgs", frozenset()
            else:
                facts, how, touched = self._delta(conn, previous, changed, states, periods)
        if how == "full":
            facts = queries.current_values(conn)
        periods_col = facts["period_id"].to_numpy() if len(facts) else None
        if periods_col is not None and not bool((periods_col[:-1] <= periods_col[1:]).all()):
            # period order: one period's rows are a contiguous slice (analytics.period_slice)
            facts = facts.sort_values(["period_id", "org_id"], kind="stable").reset_index(drop=True)
        snap = Snapshot(version=version, facts=facts, orgs=orgs, periods=periods,
                        sample_only=bool(users) and users == {SAMPLE_USER}, batches=states, orgs_print=orgs_print)
        # what the refresh changed, for the scopes to carry over: nothing known when the registry was read whole
        return snap, how, (touched if self.last_orgs != "read" else None)

    def _organizations(self, conn, previous: Snapshot | None) -> tuple[pd.DataFrame, str | None]:
        """The registry, and its digest (PostgreSQL): the last snapshot's frame when nothing changed; when it only
        grew (an import that created organizations), that frame with the new rows (a country's 55.000 rows read
        and turned into a frame again cost 0,4 s in every worker); otherwise read whole. ``last_orgs`` says
        which ("same", "grown", "read"); on SQLite the registry is read and compared with the last one."""
        known = previous.orgs if previous is not None and previous.orgs_print is not None else None
        orgs_print = queries.organizations_fingerprint(conn)
        self.last_orgs = "read"
        if orgs_print is not None and known is not None:
            if orgs_print == previous.orgs_print:
                self.last_orgs = "same"
                return known, orgs_print
            upto = int(known["id"].max()) if len(known) else 0
            if queries.organizations_fingerprint(conn, upto=upto) == previous.orgs_print:
                grown = _appended(known, queries.organizations_frame(conn, after=upto))
                if grown is not None:
                    self.last_orgs = "grown"
                    return grown, orgs_print
        frame = queries.organizations_frame(conn)
        known = previous.orgs if previous is not None and orgs_print is None else None
        if known is not None and len(known) and len(frame) >= len(known) and \
                frame.iloc[:len(known)].reset_index(drop=True).equals(known):  # SQLite: a small registry, compared
            if len(frame) == len(known):
                self.last_orgs = "same"
                return known, orgs_print
            self.last_orgs = "grown"
        return frame, orgs_print

    def _delta(self, conn, previous: Snapshot, changed: list[int], states: dict[int, str],
               periods: pd.DataFrame) -> tuple[pd.DataFrame, str, frozenset[int] | None]:
        """(the previous figures with what the changed imports changed, "delta", the organizations whose figures
        changed or None when whole periods did), or (empty, "full", None) when a whole read is cheaper. With a
        ``cache_dir``, one process reads the change from the store and leaves it on disk for the others, which
        wait for it (after an import every web worker refreshes at once: three reading the same rows took 2,4 s
        each on two cores, one took 0,9 s); a background job's process takes the change if it is there, and
        never holds the web workers' turn."""
        path = self._cache_path()
        name = "change-" + _digest(previous.batches) + "-" + _digest(states)
        leads = path is not None and self.leads_changes
        with _taking_turns(path, name + ".lock") if leads else contextlib.nullcontext():
            change = _load_change(path / f"{name}.npz") if path is not None else None
            self.last_change = "store" if change is None else "shared"
            if change is None:
                change = self._read_change(conn, previous.facts, changed, states, periods)
                if change is not None and leads:
                    _save_change(path, name, change)
        if change is None:
            return previous.facts.iloc[0:0], "full", None
        touched, fresh, gone_periods = change
        old = previous.facts
        in_gone = old["period_id"].isin(gone_periods).to_numpy()
        keep = old.loc[~in_gone] if in_gone.any() else old
        changed_orgs = None if gone_periods else frozenset(np.unique(touched["org_id"]).tolist())
        return _splice(keep, touched, fresh), "delta", changed_orgs

    @staticmethod
    def _read_change(conn, old: pd.DataFrame, changed: list[int], states: dict[int, str],
                     periods: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[int]] | None:
        """What the changed imports changed: the pairs a newly committed import touched and their current
        values, and whole periods of a rolled-back one (its rows are gone from the store, so its periods are
        what is known of them); None when reading everything again is cheaper (or needed)."""
        committed = [i for i in changed if states.get(i, "").startswith(queries.COMMITTED + ":")]
        gone = [i for i in changed if i not in committed]
        gone_periods: set[int] = set()
        if any(i not in states for i in gone):
            return None  # an import vanished entirely: its periods are unknown
        if gone:
            codes = set()
            for raw in conn.execute(select(import_batches.c.periods).where(import_batches.c.id.in_(gone))).scalars():
                codes |= set(json.loads(raw or "[]"))
            gone_periods = {int(i) for i in periods.loc[periods["code"].isin(codes), "id"]} if codes else set()
        rows: list = []
        if committed:
            result = conn.execute(select(facts_table.c.org_id, facts_table.c.period_id).where(
                facts_table.c.batch_id.in_(committed)).distinct())
            rows = result.cursor.fetchall() if result.cursor is not None else []  # plain tuples, not Row objects
        pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
        touched = pd.DataFrame({"org_id": pairs[:, 0], "period_id": pairs[:, 1]})
        touched = touched[~touched["period_id"].isin(gone_periods)].reset_index(drop=True)
        in_gone = old["period_id"].isin(gone_periods).to_numpy()
        if len(touched) + int(in_gone.sum()) > max(1_000, len(old) // 3):
            return None
        parts = []
        if len(touched):
            parts.append(queries.current_values(conn, keys=touched))
        if gone_periods:
            parts.append(queries.current_values(conn, period_ids=sorted(gone_periods)))
        fresh = pd.concat(parts, ignore_index=True) if parts else old.iloc[0:0]
        return touched, fresh, sorted(gone_periods)

    # --- the copy on disk ------------------------------------------------------------------------------
    def _cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        url = self.engine.url.render_as_string(hide_password=True)
        tag = hashlib.sha256(url.encode()).hexdigest()[:12]
        return Path(self.cache_dir) / f"snapshot-{tag}"

    def _from_disk(self) -> Snapshot | None:
        """The figures kept on disk by an earlier run, if they are readable, whole and of this catalogue."""
        path = self._cache_path()
        if path is None or not (path / "meta.json").exists():
            return None
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != CACHE_FORMAT or meta.get("metrics") != list(METRIC_IDS):
                return None
            tag = str(meta["tag"])
            keys = np.load(path / f"keys-{tag}.npy", allow_pickle=False)
            values = np.load(path / f"values-{tag}.npy", allow_pickle=False)
            if keys.shape != (meta["rows"], 2) or values.shape != (len(METRIC_IDS), meta["rows"]):
                return None
            frame = _frame_from_matrix(keys, values)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged or foreign copy: rebuild from the store
        batches = {int(k): v for k, v in meta["batches"].items()}
        empty = pd.DataFrame()
        return Snapshot(version=-1, facts=frame, orgs=empty, periods=empty, sample_only=False, batches=batches)

    def _to_disk(self, snap: Snapshot) -> None:
        """Write the copy: arrays under a name of their own, then ``meta.json`` (naming them and the row count),
        replaced atomically. One process writes at a time (``writer.lock``; a worker finding it taken leaves the
        copy to the one writing, which a later start catches up from by delta); each writer's files are its own,
        so a reader gets one writer's ``meta.json`` with that writer's arrays, never a mix."""
        path = self._cache_path()
        if path is None:
            return
        try:
            path.mkdir(parents=True, exist_ok=True)
            lock = open(path / "writer.lock", "a+b")  # noqa: SIM115 (held until the copy is written)
        except OSError:
            return
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another worker is writing the copy (after an import they all refresh at once)
            self._write_copy(path, snap)
        finally:
            lock.close()

    def _write_copy(self, path: Path, snap: Snapshot) -> None:
        try:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
                if meta.get("format") == CACHE_FORMAT and meta.get("metrics") == list(METRIC_IDS) and \
                        meta.get("batches") == {str(k): v for k, v in snap.batches.items()}:
                    return  # another worker has already kept these figures
            tag = f"{snap.version}-{os.getpid()}-{secrets.token_hex(4)}"
            keys, values = _matrix_from_frame(snap.facts)
            for name, array in (("keys", keys), ("values", values)):
                with open(path / f"{name}-{tag}.tmp", "wb") as out:
                    np.save(out, array, allow_pickle=False)
                os.replace(path / f"{name}-{tag}.tmp", path / f"{name}-{tag}.npy")
            meta = {"format": CACHE_FORMAT, "metrics": list(METRIC_IDS), "rows": len(keys), "tag": tag,
                    "batches": {str(k): v for k, v in snap.batches.items()}}
            (path / f"meta-{tag}.tmp").write_text(json.dumps(meta), encoding="utf-8")
            os.replace(path / f"meta-{tag}.tmp", path / "meta.json")
            _remove_old_copies(path, keep=tag)
        except OSError:
            pass  # the copy on disk only saves time; the snapshot in memory is what counts


def _digest(batches: dict[int, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(batches.items())).encode()).hexdigest()[:20]


@contextlib.contextmanager
def _taking_turns(path: Path, name: str, patience: float = 5.0):
    """Hold an exclusive lock on ``path/name`` (waiting for another process's turn at most ``patience``
    seconds: past that, or when the file cannot be made, go ahead without it: the lock only saves work)."""
    lock = None
    with contextlib.suppress(OSError):
        path.mkdir(parents=True, exist_ok=True)
        lock = open(path / name, "a+b")  # noqa: SIM115 (closed below)
    try:
        deadline = time.monotonic() + patience
        while lock is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            except OSError:
                break
        yield
    finally:
        if lock is not None:
            lock.close()


def _save_change(path: Path, name: str, change: tuple[pd.DataFrame, pd.DataFrame, list[int]]) -> None:
    """Leave a change read from the store for the other processes (arrays only, replaced atomically)."""
    touched, fresh, gone_periods = change
    keys, values = _matrix_from_frame(fresh)
    temp = path / f"{name}.{os.getpid()}.tmp"
    try:
        with open(temp, "wb") as out:
            np.savez(out, touched=touched[["org_id", "period_id"]].to_numpy(np.int64), keys=keys, values=values,
                     gone=np.asarray(gone_periods, dtype=np.int64), metrics=np.asarray(METRIC_IDS))
        os.replace(temp, path / f"{name}.npz")
        _remove_old_copies(path, keep=name, prefixes=("change-",), grace=CHANGE_FRESH)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()


def _load_change(file: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[int]] | None:
    """A change another process left (None: none, damaged, of another catalogue, or older than CHANGE_FRESH:
    it serves the workers refreshing together, and a store made again with the same imports is not the same)."""
    try:
        if time.time() - file.stat().st_mtime > CHANGE_FRESH:
            return None
        with np.load(file, allow_pickle=False) as saved:
            if list(saved["metrics"]) != list(METRIC_IDS):
                return None
            touched, keys, values, gone = saved["touched"], saved["keys"], saved["values"], saved["gone"]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    if touched.ndim != 2 or touched.shape[1:] != (2,) or keys.ndim != 2 or keys.shape[1:] != (2,) or \
            values.shape != (len(METRIC_IDS), len(keys)):
        return None
    pairs = pd.DataFrame({"org_id": touched[:, 0].astype(np.int64), "period_id": touched[:, 1].astype(np.int64)})
    return pairs, _frame_from_matrix(keys, values), [int(p) for p in gone]


def _remove_old_copies(path: Path, keep: str, grace: float = 60.0,
                       prefixes: tuple[str, ...] = ("keys", "values", "meta")) -> None:
    """Arrays other writers left (replaced copies, interrupted writes) once they are a minute old: a reader
    that has just read an older ``meta.json`` still finds its arrays; one that is later rebuilds instead."""
    now = time.time()
    for old in path.iterdir():
        if old.name == "meta.json" or keep in old.name or not old.name.startswith(prefixes):
            continue
        try:
            if now - old.stat().st_mtime > grace:
                old.unlink()
        except OSError:
            pass


CACHE_FORMAT = 2  # 2: arrays named by the writer's tag (meta.json says which)
_NULL32 = np.iinfo(np.int32).min


def _splice(old: pd.DataFrame, touched: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """``old`` with the rows of the ``touched`` (org, period) pairs replaced by ``fresh``, in (period, org) order.

    ``old`` in that order (as snapshots keep it) is not sorted again: the result is assembled from runs of
    ``old`` and of ``fresh`` (a new period's rows: two runs), a copy of each column instead of a million-row
    sort and take of every column (0,7 s at national size)."""
    old_key = _pair_keys(old)
    fresh = fresh.iloc[np.argsort(_pair_keys(fresh), kind="stable")] if len(fresh) else fresh
    fresh_key = _pair_keys(fresh)
    if (len(old_key) > 1 and not bool((old_key[:-1] < old_key[1:]).all())) or \
            (len(fresh_key) > 1 and not bool((fresh_key[:-1] < fresh_key[1:]).all())):
        return _splice_by_sorting(old, touched, fresh)  # not in strict (period, org) order
    gone = np.zeros(len(old_key), dtype=bool)
    if len(touched) and len(old_key):
        wanted = np.unique(_pair_keys(touched))
        at = np.minimum(np.searchsorted(old_key, wanted), len(old_key) - 1)
        gone[at[old_key[at] == wanted]] = True
    kept = np.flatnonzero(~gone)
    # where each row of the result comes from: positions in old, or len(old) + positions in fresh
    before = np.searchsorted(old_key[kept], fresh_key)  # kept rows ahead of each fresh row
    source = np.empty(len(kept) + len(fresh_key), dtype=np.int64)
    fresh_at = before + np.arange(len(fresh_key))
    taken = np.ones(len(source), dtype=bool)
    taken[fresh_at] = False
    source[fresh_at] = len(old_key) + np.arange(len(fresh_key))
    source[taken] = kept
    if not len(source):
        return old.iloc[0:0].reset_index(drop=True)
    starts = np.flatnonzero(np.concatenate(([True], (np.diff(source) != 1) | (source[1:] == len(old_key)))))
    if len(starts) > SPLICE_RUNS or list(fresh.columns) != list(old.columns):
        return _splice_by_sorting(old, touched, fresh)  # interleaved rows: one take is cheaper than many runs
    ends = np.append(starts[1:], len(source))
    runs = [(source[a], source[a] + (b - a)) for a, b in zip(starts, ends, strict=True)]
    columns = {name: _runs_of(old[name], fresh[name], len(old_key), runs) for name in old.columns}
    return pd.DataFrame(columns, copy=False)


SPLICE_RUNS = 2_000  # more runs than this (rows of old and fresh interleaved): sorted the plain way


def _appended(known: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame | None:
    """``known`` with the rows of ``new`` after it, or None when a column's type would change (a whole read
    is then the safe way: ``organizations_frame`` gives its numeric columns one type whatever the rows)."""
    if new.empty:
        return known
    joined = pd.concat([known, new], ignore_index=True)
    for name in known.columns:
        if joined[name].dtype != known[name].dtype:
            return None
    return joined


def _pair_keys(frame: pd.DataFrame) -> np.ndarray:
    """(period, org) as one sortable integer per row (ids are below 2³¹)."""
    if not len(frame):
        return np.zeros(0, dtype=np.int64)
    return (frame["period_id"].to_numpy(np.int64) << 32) | frame["org_id"].to_numpy(np.int64)


def _runs_of(old: pd.Series, fresh: pd.Series, n_old: int, runs: list[tuple[int, int]]):
    """One column put together from runs of ``old`` (positions below ``n_old``) and of ``fresh``."""
    def parts(values) -> list:
        return [values[0][a:b] if a < n_old else values[1][a - n_old:b - n_old] for a, b in runs]
    if old.dtype == fresh.dtype and isinstance(old.dtype, np.dtype):
        return np.concatenate(parts((old.to_numpy(), fresh.to_numpy())))
    if old.dtype == fresh.dtype and isinstance(old.array, pd.arrays.IntegerArray):
        pieces = parts((old.array, fresh.array))
        return pd.arrays.IntegerArray(np.concatenate([p._data for p in pieces]),
                                      np.concatenate([p._mask for p in pieces]))
    return pd.concat([pd.Series(p) for p in parts((old.array, fresh.array))], ignore_index=True).array


def _splice_by_sorting(old: pd.DataFrame, touched: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays([old["org_id"], old["period_id"]])
    gone = index.isin(pd.MultiIndex.from_arrays([touched["org_id"].astype("int64"),
                                                 touched["period_id"].astype("int64")]))
    joined = pd.concat([old.loc[~gone], fresh], ignore_index=True) if len(fresh) else old.loc[~gone]
    return joined.sort_values(["period_id", "org_id"], kind="stable").reset_index(drop=True)  # period order


def _matrix_from_frame(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(n × 2 keys, metrics × n values): one contiguous row per metric, int32 when the counts fit."""
    n = len(frame)
    keys = np.empty((n, 2), dtype=np.int64)
    values = np.full((len(METRIC_IDS), n), np.nan)
    if n:
        keys[:, 0], keys[:, 1] = frame["org_id"].to_numpy(np.int64), frame["period_id"].to_numpy(np.int64)
        for i, m in enumerate(METRIC_IDS):
            if m in frame.columns:
                values[i] = frame[m].to_numpy(dtype="float64", na_value=np.nan)
    if np.nanmax(np.abs(values), initial=0) < np.iinfo(np.int32).max:  # counts: int32 halves the file
        return keys, np.where(np.isnan(values), _NULL32, values).astype(np.int32)
    return keys, values


def _frame_from_matrix(keys: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    data: dict[str, object] = {"org_id": np.ascontiguousarray(keys[:, 0], dtype=np.int64),
                               "period_id": np.ascontiguousarray(keys[:, 1], dtype=np.int64)}
    for i, metric in enumerate(METRIC_IDS):
        column = values[i]
        mask = column == _NULL32 if column.dtype == np.int32 else np.isnan(column)
        number = column.astype(np.int64) if column.dtype == np.int32 else np.nan_to_num(column).astype(np.int64)
        number[mask] = 0
        data[metric] = pd.arrays.IntegerArray(number, mask)
    return pd.DataFrame(data, copy=False)
