"""Organizations keep their identity through renames and moves; merges and splits keep trends continuous
when history is re-aggregated onto today's structure; a mapping sheet applies a whole reorganization."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from dashboard.store import db, imports, queries
from dashboard.store import registry as r
from dashboard.store.mapping import apply_mapping, read_mapping
from dashboard.store.schema import lineage_events, org_names, org_parents
from tests.builders import SheetSpec, simple_report, xlsx_bytes

JULY_2025 = dt.date(2025, 7, 1)


def orgs(engine: Engine, root: int, *names_codes: tuple[str, str]) -> list[r.Org]:
    with db.write_transaction(engine) as conn:
        reg = r.Registry.load(conn)
        return [r.create_org(conn, reg, name=name, code=code, org_type="commune", parent_id=root)
                for name, code in names_codes]


def report(title: str, rows: list[tuple[str, str, int]]) -> bytes:
    return simple_report(title, [[i, code, name, members, members // 3, 0]
                                 for i, (code, name, members) in enumerate(rows, 1)])


def imp(engine: Engine, data: bytes, **options) -> imports.ImportResult:
    return imports.import_file(engine, data, "f.xlsx", imports.ImportOptions(actor="t", **options), dry_run=False)


def members_by_code(engine: Engine, *, reaggregate: bool) -> dict[tuple[str, str], float]:
    """(org code, period code) → members, as reported or re-aggregated onto today's structure."""
    with db.read_transaction(engine) as conn:
        frame = queries.current_values(conn)
        if reaggregate:
            frame = queries.reaggregated(conn, frame)
        reg = r.Registry.load(conn)
        period_codes = dict(zip(queries.list_periods(conn)["id"], queries.list_periods(conn)["code"], strict=True))
    return {(reg.orgs[int(row.org_id)].code, period_codes[row.period_id]): float(row.members_total)
            for row in frame.itertuples()}


def test_res001_rename_keeps_identity_and_history(engine, root_org):
    [a] = orgs(engine, root_org, ("Đảng bộ xã Tân An", "XA-01"))
    imp(engine, report("QUÝ I NĂM 2025", [("XA-01", "Đảng bộ xã Tân An", 100)]))
    with db.write_transaction(engine) as conn:
        reg = r.Registry.load(conn)
        r.rename(conn, reg, reg.orgs[a.id], "Đảng bộ phường Tân An", JULY_2025, "t", new_code="P-01")
    # the renamed organization reports under its new name and code; it is still the same organization
    imp(engine, report("QUÝ III NĂM 2025", [("P-01", "Đảng bộ phường Tân An", 104)]))
    assert members_by_code(engine, reaggregate=False) == {("P-01", "2025-Q1"): 100, ("P-01", "2025-Q3"): 104}
    with engine.connect() as conn:
        history = conn.execute(select(org_names.c.name, org_names.c.code, org_names.c.valid_from,
                                      org_names.c.valid_to).where(org_names.c.org_id == a.id)
                               .order_by(org_names.c.id)).all()
    assert [tuple(h) for h in history] == [("Đảng bộ xã Tân An", "XA-01", None, dt.date(2025, 6, 30)),
                                           ("Đảng bộ phường Tân An", "P-01", JULY_2025, None)]


def test_res002_move_changes_parent_with_history(engine, root_org):
    a, b = orgs(engine, root_org, ("Đảng bộ xã A", "A"), ("Đảng bộ xã B", "B"))
    with db.write_transaction(engine) as conn:
        reg = r.Registry.load(conn)
        child = r.create_org(conn, reg, name="Chi bộ thôn 1", code="C1", org_type=None, parent_id=a.id)
        r.move(conn, reg, reg.orgs[child.id], reg.orgs[b.id], JULY_2025, "t")
        with pytest.raises(r.RegistryError):
            r.move(conn, reg, reg.orgs[b.id], reg.orgs[child.id], JULY_2025, "t")  # under itself
    with engine.connect() as conn:
        reg = r.Registry.load(conn)
        parents = conn.execute(select(org_parents.c.parent_id, org_parents.c.valid_to).where(
            org_parents.c.org_id == child.id).order_by(org_parents.c.id)).all()
    assert reg.orgs[child.id].parent_id == b.id and reg.orgs[child.id].level == 2
    assert [tuple(p) for p in parents] == [(a.id, dt.date(2025, 6, 30)), (b.id, None)]


def test_res003_merged_organization_trend_is_continuous_when_reaggregated(engine, root_org):
    orgs(engine, root_org, ("Đảng bộ xã An Hòa", "A"), ("Đảng bộ xã Bình Minh", "B"))
    imp(engine, report("QUÝ I NĂM 2025", [("A", "Đảng bộ xã An Hòa", 100), ("B", "Đảng bộ xã Bình Minh", 50)]))
    imp(engine, report("QUÝ II NĂM 2025", [("A", "Đảng bộ xã An Hòa", 101), ("B", "Đảng bộ xã Bình Minh", 52)]))
    with db.write_transaction(engine) as conn:
        reg = r.Registry.load(conn)
        c = r.create_org(conn, reg, name="Đảng bộ xã An Bình", code="C", org_type="commune", parent_id=root_org,
                         valid_from=JULY_2025)
        r.merge(conn, reg, [reg.find("A"), reg.find("B")], c, JULY_2025, "t")
    imp(engine, report("QUÝ III NĂM 2025", [("C", "Đảng bộ xã An Bình", 154)]))
    reported = members_by_code(engine, reaggregate=False)
    assert reported == {("A", "2025-Q1"): 100, ("B", "2025-Q1"): 50, ("A", "2025-Q2"): 101,
                        ("B", "2025-Q2"): 52, ("C", "2025-Q3"): 154}
    today = members_by_code(engine, reaggregate=True)
    # on today's structure the new commune has a history: 150 → 153 → 154, no break at 1/7/2025
    assert today == {("C", "2025-Q1"): 150, ("C", "2025-Q2"): 153, ("C", "2025-Q3"): 154}


def test_res004_split_shares_history_between_successors(engine, root_org):
    [a] = orgs(engine, root_org, ("Đảng bộ xã Lớn", "L"))
    imp(engine, report("QUÝ I NĂM 2025", [("L", "Đảng bộ xã Lớn", 200)]))
    with db.write_transaction(engine) as conn:
        reg = r.Registry.load(conn)
        n1 = r.create_org(conn, reg, name="Đảng bộ xã Bắc", code="N1", org_type="commune", parent_id=root_org)
        n2 = r.create_org(conn, reg, name="Đảng bộ xã Nam", code="N2", org_type="commune", parent_id=root_org)
        r.split(conn, reg, reg.orgs[a.id], [(n1, 0.75), (n2, 0.25)], JULY_2025, "t")
    today = members_by_code(engine, reaggregate=True)
    assert today == {("N1", "2025-Q1"): 150, ("N2", "2025-Q1"): 50}


def test_res005_dissolved_organization_leaves_todays_structure(engine, root_org):
    a, _b = orgs(engine, root_org, ("Đảng bộ xã A", "A"), ("Đảng bộ xã B", "B"))
    imp(engine, report("QUÝ I NĂM 2025", [("A", "Đảng bộ xã A", 10), ("B", "Đảng bộ xã B", 20)]))
    with db.write_transaction(engine) as conn:
        reg = r.Registry.load(conn)
        r.dissolve(conn, reg, reg.orgs[a.id], JULY_2025, "t")
        with pytest.raises(r.RegistryError, match="kết thúc"):
            r.rename(conn, reg, reg.orgs[a.id], "X", dt.date(2025, 8, 1), "t")
    assert members_by_code(engine, reaggregate=True) == {("B", "2025-Q1"): 20}
    assert members_by_code(engine, reaggregate=False) == {("A", "2025-Q1"): 10, ("B", "2025-Q1"): 20}
    # a later file still naming the dissolved organization gets a warning at its cell
    dry = imports.import_file(engine, report("QUÝ III NĂM 2025", [("A", "Đảng bộ xã A", 9)]), "f.xlsx",
                              imports.ImportOptions(), dry_run=True)
    assert [(i.code, i.cell) for i in dry.issues] == [("org_ended", "C4")]


def test_res006_mapping_sheet_applies_the_reorganization(engine, root_org):
    orgs(engine, root_org, ("Đảng bộ xã A", "A"), ("Đảng bộ xã B", "B"), ("Đảng bộ xã C", "C"),
         ("Đảng bộ xã D", "D"))
    imp(engine, report("QUÝ II NĂM 2025", [("A", "Đảng bộ xã A", 10), ("B", "Đảng bộ xã B", 20),
                                           ("C", "Đảng bộ xã C", 30), ("D", "Đảng bộ xã D", 40)]))
    sheet = SheetSpec("Sắp xếp", [
        ["DANH SÁCH SẮP XẾP TỔ CHỨC ĐẢNG TỪ 01/7/2025"],
        ["Mã cũ", "Mã mới", "Tên mới", "Ngày hiệu lực", "Tỷ lệ"],
        ["A", "AB", "Đảng bộ phường An Bình", "01/07/2025", None],  # A and B merge into a new ward
        ["B", "AB", "Đảng bộ phường An Bình", "01/07/2025", None],
        ["C", "C2", "Đảng bộ xã C mới", "01/07/2025", None],  # renamed with a new code
        ["D", "D1", "Đảng bộ xã Đông", "01/07/2025", "60%"],  # D is split in two
        ["D", "D2", "Đảng bộ xã Tây", "01/07/2025", "40%"],
    ])
    rows = read_mapping(xlsx_bytes([sheet]), "sapxep.xlsx")
    with db.write_transaction(engine) as conn:
        done = apply_mapping(conn, r.Registry.load(conn), rows, "t", None)
        kinds = conn.execute(select(lineage_events.c.kind).order_by(lineage_events.c.id)).scalars().all()
    assert sorted(kinds) == ["merge", "rename", "split"]
    assert len(done) == 3
    today = members_by_code(engine, reaggregate=True)
    assert today == {("AB", "2025-Q2"): 30, ("C2", "2025-Q2"): 30, ("D1", "2025-Q2"): 24, ("D2", "2025-Q2"): 16}


def test_res007_mapping_sheet_errors_are_readable():
    bad = SheetSpec("S", [["Mã cũ", "Mã mới"], ["A", None]])
    with pytest.raises(r.RegistryError, match="cần cả mã cũ và mã mới"):
        read_mapping(xlsx_bytes([bad]), "x.xlsx")
    with pytest.raises(r.RegistryError, match="Mã cũ"):
        read_mapping(xlsx_bytes([SheetSpec("S", [["A", "B"]])]), "x.xlsx")


def test_res008_completeness_lists_who_has_not_reported(engine, root_org):
    orgs(engine, root_org, ("Đảng bộ xã A", "A"), ("Đảng bộ xã B", "B"), ("Đảng bộ xã C", "C"))
    imp(engine, report("QUÝ I NĂM 2025", [("A", "Đảng bộ xã A", 10), ("C", "Đảng bộ xã C", 30)]))
    with db.read_transaction(engine) as conn:
        c = queries.completeness(conn, "2025-Q1")
        later = queries.completeness(conn, "2025-Q2")  # a period nobody has reported yet
    assert [o["code"] for o in c.expected] == ["A", "B", "C"]
    assert [o["code"] for o in c.missing] == ["B"]
    assert [o["code"] for o in later.missing] == ["A", "B", "C"]


def test_res010_completeness_from_the_dashboards_snapshot_matches_the_store(engine, root_org):
    """The Data page reads who has reported from the snapshot (fast); the store's query is the reference:
    a merged organization is expected before the merger and not after, its successor the other way round."""
    from dashboard import analytics
    from dashboard.web.data import DataService

    orgs(engine, root_org, ("Đảng bộ xã A", "A"), ("Đảng bộ xã B", "B"), ("Đảng bộ xã D", "D"))
    imp(engine, report("QUÝ I NĂM 2025", [("A", "Đảng bộ xã A", 100), ("B", "Đảng bộ xã B", 50)]))
    [c] = orgs(engine, root_org, ("Đảng bộ xã C", "C"))
    with db.write_transaction(engine) as conn:
        reg = r.Registry.load(conn)
        r.merge(conn, reg, [reg.find("A"), reg.find("B")], c, JULY_2025, "t")
    imp(engine, report("QUÝ III NĂM 2025", [("C", "Đảng bộ xã C", 151)]))
    snap = DataService(engine).snapshot()
    checked = 0
    for code in ("2025-Q1", "2025-Q3"):
        period_id = int(snap.periods.loc[snap.periods["code"] == code, "id"].iloc[0])
        for root in (None, root_org, c.id):
            expected, missing = analytics.completeness(snap.orgs, snap.facts, snap.periods, period_id, (root,))
            with db.read_transaction(engine) as conn:
                reference = queries.completeness(conn, code, root)
            assert list(expected["code"]) == [o["code"] for o in reference.expected], (code, root)
            assert list(missing["code"]) == [o["code"] for o in reference.missing], (code, root)
            checked += 1
    assert checked == 6
    q1 = int(snap.periods.loc[snap.periods["code"] == "2025-Q1", "id"].iloc[0])
    q3 = int(snap.periods.loc[snap.periods["code"] == "2025-Q3", "id"].iloc[0])
    # C was created without a start date, so it is expected in Q1 too (and did not report then)
    assert list(analytics.completeness(snap.orgs, snap.facts, snap.periods, q1)[0]["code"]) == ["A", "B", "C", "D"]
    assert list(analytics.completeness(snap.orgs, snap.facts, snap.periods, q1)[1]["code"]) == ["C", "D"]
    assert list(analytics.completeness(snap.orgs, snap.facts, snap.periods, q3)[0]["code"]) == ["C", "D"]
