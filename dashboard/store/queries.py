"""Reading the store: current values (latest committed import per metric), history, completeness.

Every reader of the store goes through here; functions take an open connection (use
``db.read_transaction`` for a consistent snapshot) and return plain data or pandas frames.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, text

from dashboard.store.registry import Registry, successor_shares
from dashboard.store.schema import facts, import_batches, organizations, periods
from loaders.catalogue import METRIC_IDS

COMMITTED = "committed"


def period_row(conn: Connection, code: str) -> dict | None:
    row = conn.execute(select(periods).where(periods.c.code == code)).mappings().first()
    return dict(row) if row else None


def list_periods(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(select(periods).order_by(periods.c.start, periods.c.end)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in periods.columns])


def organizations_frame(conn: Connection, after: int | None = None) -> pd.DataFrame:
    """Every organization by id (``after``: only those with a larger id)."""
    query = select(organizations).order_by(organizations.c.id)
    if after is not None:
        query = query.where(organizations.c.id > after)
    rows = conn.execute(query).all()
    # plain tuples: a DataFrame built from Row objects probes each one for namedtuple fields (slow at 50.000)
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=[c.name for c in organizations.columns])
    # a column with no value at all would be of type object: give it the type its values have when there are
    # some (one frame's types whatever the rows, so frames read in parts join into what one read gives)
    for name, kind in (("parent_id", "float64"), ("created_batch_id", "float64"), ("code", "str"),
                       ("org_type", "str")):
        if frame[name].dtype == object and frame[name].isna().all():
            frame[name] = frame[name].astype(kind)
    return frame


def organizations_fingerprint(conn: Connection, upto: int | None = None) -> str | None:
    """What tells, on PostgreSQL, whether the organization rows changed (with ``upto``: the rows with ids up to
    it): their count and the sum of their row versions' transaction ids (``xmin``), read in the caller's
    transaction. Every insert, update or delete changes it (a new row version carries the writing transaction's
    id, newer than any it replaces; a delete changes the count), and it costs the server 13 ms for a country's
    108.000 rows where a digest of their text took 106 ms, in every worker at every refresh. None on SQLite
    (small: read the rows)."""
    if conn.dialect.name != "postgresql":
        return None
    where = "" if upto is None else f" WHERE id <= {int(upto)}"
    row = conn.execute(text(f"SELECT count(*), coalesce(sum(xmin::text::bigint), 0) FROM organizations{where}")).one()
    return f"{row[0]}:{row[1]}"


_NULL = -(2 ** 62)  # stands for NULL in the integer matrix current_values fetches (counts are never this)


FETCH_ROWS = 50_000  # rows turned into an array at a time


def current_values(conn: Connection, period_ids: list[int] | None = None, org_ids: list[int] | None = None,
                   *, batch_ids: list[int] | None = None, keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (org_id, period_id): for each metric the value of the latest committed import reporting it.

    With ``batch_ids`` only those imports count ("as submitted" in those files); with ``keys`` (a frame of
    org_id, period_id) only those pairs are returned. Rows come sorted by (org_id, period_id).

    Fetched as one integer matrix (NULL written as a sentinel by the database), so a national store's
    million rows become a frame without a Python object per value.
    """
    f = facts.c
    query = (select(f.org_id, f.period_id, f.batch_id,
                    *[func.coalesce(f[m], _NULL).label(m) for m in METRIC_IDS])
             .join(import_batches, import_batches.c.id == f.batch_id)
             .where(import_batches.c.status == COMMITTED))
    if keys is not None:
        period_ids = sorted({int(p) for p in keys["period_id"]})
        org_ids = sorted({int(o) for o in keys["org_id"]})
    if period_ids is not None:
        query = query.where(f.period_id.in_(period_ids))
    if batch_ids is not None:
        query = query.where(f.batch_id.in_(batch_ids))
    if org_ids is not None and len(org_ids) <= 5_000:
        query = query.where(f.org_id.in_(org_ids))
    matrix = _integer_matrix(conn, query, 3 + len(METRIC_IDS))
    if org_ids is not None and len(org_ids) > 5_000:
        matrix = matrix[np.isin(matrix[:, 0], np.asarray(org_ids, dtype=np.int64))]
    if keys is not None and len(matrix):
        wanted = pd.MultiIndex.from_arrays([keys["org_id"].astype("int64"), keys["period_id"].astype("int64")])
        got = pd.MultiIndex.from_arrays([matrix[:, 0], matrix[:, 1]])
        matrix = matrix[got.isin(wanted)]
    return _latest_per_metric(matrix)


def _integer_matrix(conn: Connection, query, width: int) -> np.ndarray:
    """A query's rows of ``width`` integers (no NULL) as one array, read a slice at a time: a million rows of
    Python tuples at once peaked near 2 GB for a 300 MB frame. PostgreSQL sends them as text through COPY,
    parsed by pandas' C reader (52.000 rows: 0,12 s instead of 0,41 s through a server-side cursor)."""
    parts = [np.zeros((0, width), dtype=np.int64)]
    if conn.dialect.name == "postgresql":
        # the query's values are integers and fixed words of this module: written into the statement
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))

        def parse(block: bytes) -> None:
            if block:
                parts.append(pd.read_csv(io.BytesIO(block), sep="\t", header=None, dtype=np.int64,
                                         engine="c").to_numpy().reshape(-1, width))

        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
            pending = bytearray()
            for block in copy:
                pending += block
                if len(pending) >= COPY_BYTES:
                    cut = pending.rfind(b"\n") + 1
                    parse(bytes(pending[:cut]))
                    del pending[:cut]
            parse(bytes(pending))
    else:
        result = conn.execute(query.execution_options(stream_results=True, max_row_buffer=FETCH_ROWS))
        for rows in result.partitions(FETCH_ROWS):
            # each row's values in turn (a Row is not a plain tuple: numpy would probe each one's attributes)
            parts.append(np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64,
                                     count=len(rows) * width).reshape(-1, width))
    return np.concatenate(parts) if len(parts) > 2 else parts[-1]


COPY_BYTES = 32 * 2**20  # text parsed at a time (about 400.000 rows)


def _latest_per_metric(matrix: np.ndarray) -> pd.DataFrame:
    """Rows of (org_id, period_id, batch_id, metrics…) → one row per (org_id, period_id) holding, metric by
    metric, the value of the newest batch that has one."""
    # newest batch first within each (org, period)
    order = np.lexsort((-matrix[:, 2], matrix[:, 1], matrix[:, 0]))
    matrix = matrix[order]
    values = matrix[:, 3:]
    if len(matrix) > 1:
        same = (matrix[1:, 0] == matrix[:-1, 0]) & (matrix[1:, 1] == matrix[:-1, 1])
    else:
        same = np.zeros(0, dtype=bool)
    starts = np.flatnonzero(np.concatenate(([True], ~same))) if len(matrix) else np.zeros(0, dtype=np.int64)
    if len(starts) == len(matrix):  # one import per (org, period): nothing to combine
        out_values = values
    else:
        # the first non-NULL per group and column: walk the groups' later rows only where the first is NULL
        out_values = values[starts].copy()
        group = np.cumsum(np.concatenate(([True], ~same))) - 1
        for col in range(values.shape[1]):
            missing = out_values[:, col] == _NULL
            if not missing.any():
                continue
            present = values[:, col] != _NULL
            candidates = np.flatnonzero(present & missing[group])
            if candidates.size:
                groups, first = np.unique(group[candidates], return_index=True)
                out_values[groups, col] = values[candidates[first], col]
    keys = matrix[starts, :2]
    data: dict[str, object] = {"org_id": keys[:, 0], "period_id": keys[:, 1]}
    for i, metric in enumerate(METRIC_IDS):
        column = out_values[:, i]
        mask = column == _NULL
        data[metric] = pd.arrays.IntegerArray(np.where(mask, 0, column), mask)
    return pd.DataFrame(data)


def values_by_org(frame: pd.DataFrame) -> dict[tuple[int, int], dict[str, int]]:
    """(org_id, period_id) → {metric: value} for the metrics that have a value."""
    out: dict[tuple[int, int], dict[str, int]] = {}
    if frame.empty:
        return out
    metrics = [m for m in METRIC_IDS if m in frame.columns]
    for row in frame.itertuples(index=False):
        values = {m: int(v) for m, v in zip(metrics, row[2:2 + len(metrics)], strict=True) if not pd.isna(v)}
        out[(row.org_id, row.period_id)] = values
    return out


def reaggregated(conn: Connection, frame: pd.DataFrame) -> pd.DataFrame:
    """History re-aggregated onto today's structure: a merged organization's past belongs to its successor.

    Values of an organization carried by several successors (a split) are shared by their shares, so they
    may be fractional; sums stay exact where nothing was split.
    """
    if frame.empty:
        return frame
    shares = successor_shares(conn, Registry.load(conn))
    pieces = []
    for org_id, group in frame.groupby("org_id"):
        for target, share in shares.get(int(org_id), {}).items():
            part = group.copy()
            part["org_id"] = target
            metrics = [m for m in METRIC_IDS if m in part.columns]
            part[metrics] = part[metrics].astype("Float64") * share
            pieces.append(part)
    if not pieces:
        return frame.iloc[0:0]
    joined = pd.concat(pieces, ignore_index=True)
    metrics = [m for m in METRIC_IDS if m in joined.columns]
    return joined.groupby(["org_id", "period_id"], sort=True)[metrics].sum(min_count=1).reset_index()


@dataclass
class Completeness:
    period: str
    expected: list[dict]
    reported: list[dict]
    missing: list[dict]


def completeness(conn: Connection, period_code: str, scope_id: int | None = None) -> Completeness:
    """Which organizations that should report for the period (active leaves of the scope) have, and which not."""
    period = period_row(conn, period_code)
    reg = Registry.load(conn)
    within = reg.subtree(scope_id)
    end = period["end"] if period else _period_end(period_code)
    expected = reg.leaves_active_on(end, within)
    reported_ids: set[int] = set()
    if period:
        rows = conn.execute(select(facts.c.org_id).distinct().join(
            import_batches, import_batches.c.id == facts.c.batch_id).where(
            facts.c.period_id == period["id"], import_batches.c.status == COMMITTED)).scalars()
        reported_ids = set(rows)

    def describe(org_id: int) -> dict:
        org = reg.orgs[org_id]
        parent = reg.orgs.get(org.parent_id) if org.parent_id else None
        return {"id": org.id, "code": org.code, "name": org.name, "org_type": org.org_type,
                "parent": parent.name if parent else None}

    expected_ids = [o.id for o in expected]
    return Completeness(
        period=period_code,
        expected=[describe(i) for i in expected_ids],
        reported=[describe(i) for i in expected_ids if i in reported_ids],
        missing=[describe(i) for i in expected_ids if i not in reported_ids],
    )


def _period_end(code: str) -> dt.date:
    from loaders.periods import parse_period_id

    return parse_period_id(code).end


def batches(conn: Connection) -> list[dict]:
    b = import_batches.c
    rows = conn.execute(select(b.id, b.file_name, b.sha256, b.size_bytes, b.format, b.created_by, b.created_at,
                               b.status, b.organizations, b.facts, b.created_orgs, b.errors, b.warnings, b.periods,
                               b.accepted_warnings, b.rolled_back_at, b.rolled_back_by)
                        .order_by(b.id)).mappings().all()
    out = []
    for r in rows:
        item = dict(r)
        item["periods"] = json.loads(item["periods"])
        out.append(item)
    return out


def batch(conn: Connection, batch_id: int) -> dict | None:
    row = conn.execute(select(import_batches).where(import_batches.c.id == batch_id)).mappings().first()
    if row is None:
        return None
    item = dict(row)
    for key in ("periods", "sheets", "issues"):
        item[key] = json.loads(item[key])
    return item
