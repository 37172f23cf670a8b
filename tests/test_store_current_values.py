"""``current_values``' combining step against the obvious pandas formulation, on random imports."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.store.queries import _NULL, _latest_per_metric
from loaders.catalogue import METRIC_IDS

ROW = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 6),
                st.lists(st.one_of(st.none(), st.integers(0, 50)), min_size=len(METRIC_IDS), max_size=len(METRIC_IDS)))


@settings(max_examples=80, deadline=None)
@given(st.lists(ROW, min_size=0, max_size=40, unique_by=lambda r: (r[0], r[1], r[2])))
def test_latest_value_per_metric_matches_groupby_first(rows):
    width = 3 + len(METRIC_IDS)
    matrix = np.array([[o, p, b, *[_NULL if v is None else v for v in values]] for o, p, b, values in rows],
                      dtype=np.int64).reshape(-1, width)
    got = _latest_per_metric(matrix)
    frame = pd.DataFrame([[o, p, b, *values] for o, p, b, values in rows],
                         columns=["org_id", "period_id", "batch_id", *METRIC_IDS]).astype(
        {m: "Int64" for m in METRIC_IDS})
    expected = (frame.sort_values("batch_id", ascending=False).drop(columns="batch_id")
                .groupby(["org_id", "period_id"], sort=True).first().reset_index())
    assert len(got) == len(expected)
    if len(got):
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.astype(
            {"org_id": "int64", "period_id": "int64", **{m: "Int64" for m in METRIC_IDS}}), check_dtype=True)


def test_current_values_read_a_slice_at_a_time_gives_the_same_frame(engine, root_org, monkeypatch):
    """The store is read a slice at a time (memory): FETCH_ROWS rows, or on PostgreSQL COPY_BYTES of COPY's text;
    slices of 2 rows, or of 100 bytes (rows cut anywhere), give what one read gives."""
    from dashboard.store import db, imports, queries
    from tests.builders import simple_report

    rows = [[i, f"TCCS-{i:03d}", f"Chi bộ {i}", 10 + i, i % 4] for i in range(1, 8)]
    header = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Đảng viên nữ")
    options = imports.ImportOptions(create_orgs=True, actor="t")
    for title in ("BÁO CÁO QUÝ I NĂM 2024", "BÁO CÁO QUÝ II NĂM 2024"):
        imports.import_file(engine, simple_report(title, rows, header=header), "f.xlsx", options, dry_run=False)
    with db.read_transaction(engine) as conn:
        whole = queries.current_values(conn)
        monkeypatch.setattr(queries, "FETCH_ROWS", 2)
        monkeypatch.setattr(queries, "COPY_BYTES", 100)
        sliced = queries.current_values(conn)
    assert len(whole) == 14 and int(whole["members_total"].sum()) == 2 * sum(10 + i for i in range(1, 8))
    pd.testing.assert_frame_equal(sliced, whole)
