"""What the pages and the API read: frames from the store, cached until the data changes.

The cache key is the store's *data version* (the newest audit-log entry: every import, rollback, lock and
restructuring writes one), so an import is visible on the next request. Frames are handed out as they are
cached: callers must not modify them (the analytics functions return new frames).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard.store import db, queries
from dashboard.store.schema import audit_log, import_batches

SAMPLE_USER = "Dữ liệu mẫu"  # the actor of the imports made from the bundled sample data


@dataclass(frozen=True)
class Snapshot:
    """Everything the dashboard shows, read in one consistent transaction."""

    version: int
    facts: pd.DataFrame  # org_id, period_id, one column per metric (latest committed import per metric)
    orgs: pd.DataFrame  # id, code, name, org_type, parent_id, level, valid_from, valid_to
    periods: pd.DataFrame  # id, code, kind, start, end, label, locked
    sample_only: bool  # every committed import came from the bundled sample data


class DataService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one())

    def snapshot(self) -> Snapshot:
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
