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

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard import analytics
from dashboard.store import db, queries
from dashboard.store.schema import audit_log, import_batches

SAMPLE_USER = "Dữ liệu mẫu"  # the actor of the imports made from the bundled sample data
Scope = frozenset[int] | None  # None: everything; otherwise the tops of the subtrees one may see
MAX_SCOPED = 64  # scoped snapshots kept (least recently used dropped)


@dataclass(frozen=True)
class Snapshot:
    """Everything the dashboard shows, read in one consistent transaction."""

    version: int
    facts: pd.DataFrame  # org_id, period_id, one column per metric (latest committed import per metric)
    orgs: pd.DataFrame  # id, code, name, org_type, parent_id, level, valid_from, valid_to
    periods: pd.DataFrame  # id, code, kind, start, end, label, locked
    sample_only: bool  # every committed import came from the bundled sample data
    scope: Scope = None


def restrict(snap: Snapshot, scope: frozenset[int]) -> Snapshot:
    """The part of a snapshot under the organizations of ``scope`` (each included with its subtree)."""
    orgs = snap.orgs
    allowed: set[int] = set()
    for top in scope:
        if not orgs.empty and int(top) in set(orgs["id"]):
            allowed |= analytics.descendants(orgs, int(top))
    keep = orgs[orgs["id"].isin(allowed)].copy()
    outside = ~keep["parent_id"].isin(allowed)
    keep.loc[outside, "parent_id"] = None  # the scope's tops are this user's roots
    keep = keep.reset_index(drop=True)
    facts = snap.facts
    mask = analytics._in(facts["org_id"], sorted(allowed)) if len(facts) else []
    return replace(snap, facts=facts.loc[mask].reset_index(drop=True) if len(facts) else facts, orgs=keep,
                   scope=scope)


class DataService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._scoped: OrderedDict[tuple[int, frozenset[int]], Snapshot] = OrderedDict()

    def version(self) -> int:
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
        snap = restrict(base, key[1])
        with self._lock:
            self._scoped[key] = snap
            while len(self._scoped) > MAX_SCOPED:
                self._scoped.popitem(last=False)
        return snap

    def _base(self) -> Snapshot:
        version = self.version()
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._snapshot is not None and self._snapshot.version == version:
                return self._snapshot
            with db.read_transaction(self.engine) as conn:
                version = int(conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one())
                users = set(conn.execute(select(import_batches.c.created_by).where(
                    import_batches.c.status == queries.COMMITTED)).scalars())
                snap = Snapshot(
                    version=version,
                    facts=queries.current_values(conn),
                    orgs=queries.organizations_frame(conn),
                    periods=queries.list_periods(conn),
                    sample_only=bool(users) and users == {SAMPLE_USER},
                )
            self._snapshot = snap
            return snap
