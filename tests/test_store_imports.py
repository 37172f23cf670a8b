"""The import workflow on a real store (SQLite file and PostgreSQL): dry run, commit, duplicates,
corrections, rollback, locks and organization matching."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from dashboard.store import db, imports, queries
from dashboard.store.registry import Registry, create_org
from dashboard.store.schema import audit_log, facts, import_batches, organizations
from tests.builders import simple_report

Q1 = "BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN QUÝ I NĂM 2024"
Q2 = "BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN QUÝ II NĂM 2024"
ROWS = [
    [1, "TCCS-001", "Đảng bộ Sở Tài chính", 45, 20, 1],
    [2, "TCCS-002", "Chi bộ Sở Tư pháp", 18, 9, 0],
    [3, "TCCS-003", "Đảng bộ Công ty Điện lực", 120, 30, 2],
]


def run(engine: Engine, data: bytes, *, dry_run: bool = False, name: str = "q1.xlsx",
        **options) -> imports.ImportResult:
    opts = imports.ImportOptions(**{"create_orgs": True, "actor": "tester", **options})
    return imports.import_file(engine, data, name, opts, dry_run=dry_run)


def values(engine: Engine, period: str, metric: str = "members_total") -> dict[str, int]:
    """Organization code → current value of one metric in a period."""
    with db.read_transaction(engine) as conn:
        row = queries.period_row(conn, period)
        if row is None:
            return {}
        frame = queries.current_values(conn, [row["id"]])
        codes = dict(conn.execute(select(organizations.c.id, organizations.c.code)).all())
    return {codes[r.org_id]: int(getattr(r, metric)) for r in frame.itertuples() if not _na(getattr(r, metric))}


def _na(v) -> bool:
    return bool(pd.isna(v))


def count(engine: Engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_sto001_dry_run_reports_what_would_change_and_writes_nothing(engine, root_org):
    result = run(engine, simple_report(Q1, ROWS), dry_run=True)
    assert result.status == "dry_run"
    assert [(n.name, n.code, n.parent_label) for n in result.new_orgs] == [
        (r[2], r[1], "Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh (KHOI)") for r in ROWS]
    assert len(result.changes) == 3 * 3 and all(c.old is None for c in result.changes)
    assert (count(engine, import_batches), count(engine, facts), count(engine, organizations)) == (0, 0, 1)
    assert count(engine, audit_log) == 1  # only the root organization's creation


def test_sto002_commit_writes_every_value_with_its_source_cell(engine, root_org):
    result = run(engine, simple_report(Q1, ROWS))
    assert result.status == "committed" and result.batch_id == 1
    assert values(engine, "2024-Q1") == {"TCCS-001": 45, "TCCS-002": 18, "TCCS-003": 120}
    assert values(engine, "2024-Q1", "admitted") == {"TCCS-001": 1, "TCCS-002": 0, "TCCS-003": 2}
    with engine.connect() as conn:
        batch = queries.batch(conn, 1)
        row = conn.execute(select(facts.c.sheet_no, facts.c.row_no).join(
            organizations, organizations.c.id == facts.c.org_id).where(organizations.c.code == "TCCS-002")).one()
    # the value of members_total for TCCS-002 came from Biểu 1, column D, row 5 (title, blank, header, 2 rows)
    assert batch["sheets"][row.sheet_no]["name"] == "Biểu 1"
    assert batch["sheets"][row.sheet_no]["columns"]["members_total"] + str(row.row_no) == "D5"
    assert batch["sha256"] == result.sha256 and batch["created_by"] == "tester"
    assert batch["organizations"] == 3 and batch["facts"] == 9 and batch["created_orgs"] == 3


def test_sto003_the_same_bytes_again_are_a_no_op(engine, root_org):
    data = simple_report(Q1, ROWS)
    first = run(engine, data)
    again = run(engine, data, name="renamed.xlsx")
    assert again.status == "duplicate" and again.duplicate_of == first.batch_id
    assert count(engine, import_batches) == 1 and count(engine, facts) == 3


def test_sto004_a_corrected_file_supersedes_and_both_versions_stay(engine, root_org):
    first = run(engine, simple_report(Q1, ROWS))
    corrected_rows = [list(r) for r in ROWS]
    corrected_rows[1][3] = 19  # one more member in TCCS-002
    corrected = run(engine, simple_report(Q1, corrected_rows), dry_run=True)
    changed = [(c.org, c.metric, c.old, c.new) for c in corrected.changes]
    assert changed == [("TCCS-002", "members_total", 18, 19)]
    assert corrected.unchanged == 8
    second = run(engine, simple_report(Q1, corrected_rows))
    assert values(engine, "2024-Q1")["TCCS-002"] == 19  # as corrected
    with engine.connect() as conn:
        period_id = queries.period_row(conn, "2024-Q1")["id"]
        submitted = queries.current_values(conn, [period_id], batch_ids=[first.batch_id])
    assert sorted(submitted["members_total"].tolist()) == [18, 45, 120]  # as first submitted
    assert second.batch_id == first.batch_id + 1


def test_sto005_partial_correction_keeps_other_metrics(engine, root_org):
    run(engine, simple_report(Q1, ROWS))
    # a second file for the same period with only the committee figures
    committee = simple_report(Q1, [[1, "TCCS-001", "Đảng bộ Sở Tài chính", 7]],
                              header=("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Cấp ủy viên"))
    run(engine, committee)
    assert values(engine, "2024-Q1") == {"TCCS-001": 45, "TCCS-002": 18, "TCCS-003": 120}
    assert values(engine, "2024-Q1", "committee_members") == {"TCCS-001": 7}


def test_sto006_rollback_restores_exactly_what_was_there(engine, root_org):
    first = run(engine, simple_report(Q1, ROWS))
    corrected_rows = [list(r) for r in ROWS]
    corrected_rows[0][3] = 46
    second = run(engine, simple_report(Q1, corrected_rows))
    assert values(engine, "2024-Q1")["TCCS-001"] == 46
    imports.rollback(engine, second.batch_id, "tester")
    assert values(engine, "2024-Q1") == {"TCCS-001": 45, "TCCS-002": 18, "TCCS-003": 120}
    # rolling back the first import as well removes the organizations it created
    done = imports.rollback(engine, first.batch_id, "tester")
    assert done["removed_orgs"] == 3
    assert values(engine, "2024-Q1") == {}
    assert count(engine, organizations) == 1
    with pytest.raises(imports.ImportRefused, match="hoàn tác"):
        imports.rollback(engine, first.batch_id, "tester")
    # the same bytes can come back after a rollback
    assert run(engine, simple_report(Q1, ROWS)).status == "committed"


def test_sto007_rolling_back_an_earlier_batch_keeps_a_later_correction(engine, root_org):
    first = run(engine, simple_report(Q1, ROWS))
    corrected_rows = [list(r) for r in ROWS]
    corrected_rows[2][3] = 121
    run(engine, simple_report(Q1, corrected_rows))
    imports.rollback(engine, first.batch_id, "tester")
    assert values(engine, "2024-Q1") == {"TCCS-001": 45, "TCCS-002": 18, "TCCS-003": 121}


def test_sto008_a_file_with_errors_is_refused_and_nothing_is_written(engine, root_org):
    bad = [list(r) for r in ROWS]
    bad[0][4] = 99  # 99 women of 45 members
    with pytest.raises(imports.ImportRefused) as refused:
        run(engine, simple_report(Q1, bad))
    assert "1 lỗi" in refused.value.message_vi and "1 errors" in refused.value.message_en
    assert [i.code for i in refused.value.result.errors] == ["female_exceeds_total"]
    assert (count(engine, import_batches), count(engine, facts), count(engine, organizations)) == (0, 0, 1)


def test_sto009_warnings_need_explicit_acceptance(engine, root_org):
    rows = [[1, "TCCS-001", "Chi bộ A", 10, 4, 1, "CQHC"], [2, "TCCS-002", "Chi bộ B", 5, 2, 0, "loại lạ"]]
    header = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp", "Loại hình")
    data = simple_report(Q1, rows, header=header)
    with pytest.raises(imports.ImportRefused, match="cảnh báo"):
        run(engine, data)
    assert count(engine, facts) == 0
    accepted = run(engine, data, accept_warnings=True)
    assert accepted.status == "committed"
    with engine.connect() as conn:
        assert queries.batch(conn, accepted.batch_id)["accepted_warnings"] is True


def test_sto010_locked_period_refuses_imports_until_unlocked(engine, root_org):
    imports.set_lock(engine, "2024-Q1", True, "admin")
    with pytest.raises(imports.ImportRefused):
        run(engine, simple_report(Q1, ROWS))
    dry = run(engine, simple_report(Q1, ROWS), dry_run=True)
    assert [i.code for i in dry.errors] == ["period_locked"]
    assert run(engine, simple_report(Q2, ROWS)).status == "committed"  # other periods are open
    imports.set_lock(engine, "2024-Q1", False, "admin")
    assert run(engine, simple_report(Q1, ROWS)).status == "committed"


def test_sto011_rollback_into_a_locked_period_is_refused(engine, root_org):
    result = run(engine, simple_report(Q1, ROWS))
    imports.set_lock(engine, "2024-Q1", True, "admin")
    with pytest.raises(imports.ImportRefused, match="chốt"):
        imports.rollback(engine, result.batch_id, "tester")
    assert values(engine, "2024-Q1")["TCCS-001"] == 45


def test_sto012_organizations_match_by_code_then_by_name_without_creating(engine, root_org):
    run(engine, simple_report(Q1, ROWS))
    # next quarter: no codes, names with other spelling (old tone placement, case, spaces)
    rows = [[1, None, "ĐẢNG BỘ SỞ TÀI  CHÍNH", 46, 20, 1], [2, None, "Chi bộ Sở Tư pháp", 18, 9, 0]]
    result = run(engine, simple_report(Q2, rows), create_orgs=False)
    assert result.status == "committed" and result.new_orgs == []
    assert values(engine, "2024-Q2") == {"TCCS-001": 46, "TCCS-002": 18}


def test_sto013_unknown_organization_is_an_issue_without_create(engine, root_org):
    rows = [[1, None, "Chi bộ Mới thành lập", 5, 2, 0]]
    with pytest.raises(imports.ImportRefused):
        run(engine, simple_report(Q1, rows), create_orgs=False)
    dry = run(engine, simple_report(Q1, rows), create_orgs=False, dry_run=True)
    [issue] = dry.errors
    assert issue.code == "org_not_found" and issue.cell == "C4"
    assert "Chi bộ Mới thành lập" in issue.message_vi and "create new organizations" in issue.message_en


def test_sto014_ambiguous_name_is_an_issue_never_a_guess(engine, root_org):
    with db.write_transaction(engine) as conn:
        reg = Registry.load(conn)
        for code in ("A", "B"):
            unit = create_org(conn, reg, name=f"Đảng bộ xã {code}", code=f"XA-{code}", org_type="commune",
                              parent_id=root_org)
            create_org(conn, reg, name="Chi bộ thôn Đông", code=f"CB-{code}", org_type=None, parent_id=unit.id)
    rows = [[1, None, "Chi bộ thôn Đông", 30, 10, 1]]
    dry = run(engine, simple_report(Q1, rows), create_orgs=False, dry_run=True)
    [issue] = dry.errors
    assert issue.code == "org_ambiguous"
    assert "CB-A" in issue.message_vi and "CB-B" in issue.message_vi
    # with the parent given in the file, the match is unique
    header = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp",
              "Đảng bộ cấp trên")
    rows = [[1, None, "Chi bộ thôn Đông", 30, 10, 1, "Đảng bộ xã B"]]
    result = run(engine, simple_report(Q1, rows, header=header), create_orgs=False)
    assert values(engine, "2024-Q1") == {"CB-B": 30}
    assert result.status == "committed"


def test_sto015_scope_limits_matching_and_creation(engine, root_org):
    with db.write_transaction(engine) as conn:
        reg = Registry.load(conn)
        a = create_org(conn, reg, name="Đảng bộ xã A", code="XA-A", org_type="commune", parent_id=root_org)
        b = create_org(conn, reg, name="Đảng bộ xã B", code="XA-B", org_type="commune", parent_id=root_org)
        create_org(conn, reg, name="Chi bộ thôn Tây", code="CB-B1", org_type=None, parent_id=b.id)
    rows = [[1, "CB-B1", "Chi bộ thôn Tây", 30, 10, 1]]
    dry = run(engine, simple_report(Q1, rows), scope_id=a.id, dry_run=True)
    assert [i.code for i in dry.errors] == ["org_outside_scope"]
    created = run(engine, simple_report(Q1, [[1, None, "Chi bộ thôn Nam", 12, 5, 0]]), scope_id=a.id)
    assert [n.parent_id for n in created.new_orgs] == [a.id]


def test_sto016_parents_named_in_the_file_are_created_above_their_organizations(engine, root_org):
    header = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp",
              "Đảng bộ cấp trên")
    rows = [[1, "T1", "Chi bộ thôn 1", 10, 4, 0, "Đảng bộ xã Tân An"],
            [2, "T2", "Chi bộ thôn 2", 12, 5, 1, "Đảng bộ xã Tân An"],
            [3, "T3", "Chi bộ thôn 3", 9, 3, 0, "Đảng bộ xã Tân Bình"]]
    run(engine, simple_report(Q1, rows, header=header))
    with engine.connect() as conn:
        reg = Registry.load(conn)
    tan_an = reg.find("Đảng bộ xã Tân An")
    assert tan_an.parent_id == root_org and tan_an.level == 1
    assert {reg.orgs[i].code for i in reg.children[tan_an.id]} == {"T1", "T2"}
    assert reg.find("T3").parent_id == reg.find("Đảng bộ xã Tân Bình").id


def test_sto017_every_import_rollback_and_lock_is_in_the_audit_log(engine, root_org):
    result = run(engine, simple_report(Q1, ROWS))
    imports.rollback(engine, result.batch_id, "tester")
    imports.set_lock(engine, "2024-Q1", True, "admin")
    with engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.actor).order_by(audit_log.c.id)).all()
    assert [tuple(a) for a in actions] == [("org_create", "system"), ("import", "tester"), ("rollback", "tester"),
                                           ("lock", "admin")]


def test_sto020_rolling_back_an_import_that_created_thousands_of_organizations(engine, root_org, tmp_path):
    """A province-wide first import creates every organization; its rollback removes all of them, tree and
    all (more than one batch of ids per statement), and leaves what was there before."""
    from loaders.samples import write_national

    path = tmp_path / "province.xlsx"
    write_national(path, organizations=6_000, provinces=2, communes=40)
    before = count(engine, organizations)
    result = imports.import_file(engine, path.read_bytes(), "province.xlsx",
                                 imports.ImportOptions(create_orgs=True, accept_warnings=True, actor="tester"),
                                 dry_run=False)
    created = count(engine, organizations) - before
    assert result.batch_id is not None and created > 6_000  # the organizations and their commune committees
    done = imports.rollback(engine, result.batch_id, "tester")
    assert done["removed_orgs"] == created
    assert count(engine, organizations) == before
    assert count(engine, facts) == 0
