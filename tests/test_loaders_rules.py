"""Every rule from domain.md becomes an issue at the cell of the offending value."""

from __future__ import annotations

import pytest

from loaders import load
from tests.builders import SheetSpec, xlsx_bytes

# One header row; the organization is on row 3, so column X's value is at X3.
HEADERS = {
    "members_total": "Tổng số đảng viên",
    "members_full": "Đảng viên chính thức",
    "members_probationary": "Đảng viên dự bị",
    "members_female": "Đảng viên nữ",
    "members_ethnic_minority": "Đảng viên dân tộc thiểu số",
    "members_religious": "Đảng viên theo tôn giáo",
    "members_exempt": "Miễn công tác và sinh hoạt đảng",
    "members_opening": "Đảng viên đầu kỳ",
    "admitted": "Kết nạp",
    "transferred_in": "Chuyển đến",
    "reinstated": "Phục hồi đảng tịch",
    "deceased": "Từ trần",
    "expelled": "Khai trừ",
    "removed": "Xóa tên",
    "resigned": "Xin ra khỏi Đảng",
    "transferred_out": "Chuyển đi",
    "disciplined_total": "Đảng viên bị kỷ luật",
    "disciplined_reprimand": "Khiển trách",
    "disciplined_warning": "Cảnh cáo",
    "disciplined_dismissal": "Cách chức",
    "disciplined_expulsion": "Kỷ luật khai trừ",
    "rated_total": "Số đảng viên được đánh giá, xếp loại",
    "rated_excellent": "HTXSNV",
    "rated_good": "HTTNV",
    "rated_complete": "HTNV",
    "rated_failed": "KHTNV",
    "committee_members": "Cấp ủy viên",
    "committee_female": "Cấp ủy viên nữ",
    "committee_youth": "Cấp ủy viên trẻ",
    "committee_ethnic_minority": "Cấp ủy viên dân tộc thiểu số",
    "secretary_is_head": "Bí thư đồng thời là thủ trưởng",
}


def one_org(values: dict[str, object]) -> tuple[list, dict[str, str]]:
    """Load one organization with these values; return (issues, metric → column letter)."""
    metrics = list(values)
    header = ["STT", "Tên tổ chức cơ sở đảng", *[HEADERS[m] for m in metrics]]
    row = [1, "Chi bộ Sở Tư pháp", *values.values()]
    data = xlsx_bytes([SheetSpec("Năm 2024", [["BÁO CÁO NĂM 2024"], header, row])])
    result = load(data, filename="rules.xlsx")
    letters = {m: chr(ord("C") + i) for i, m in enumerate(metrics)}
    mapped = {c.target: c.column for c in result.columns if c.target}
    assert all(mapped[m] == letters[m] for m in metrics), mapped
    return result.issues, letters


def codes_at(issues) -> list[tuple[str, str]]:
    return [(i.code, i.cell) for i in issues]


def test_rul001_full_plus_probationary_must_equal_total():
    issues, col = one_org({"members_total": 30, "members_full": 27, "members_probationary": 2})
    assert codes_at(issues) == [("members_sum_mismatch", f"{col['members_total']}3")]
    assert issues[0].severity == "error"
    assert "27" in issues[0].message_vi and "29" in issues[0].message_en
    clean, _ = one_org({"members_total": 30, "members_full": 28, "members_probationary": 2})
    assert clean == []


@pytest.mark.parametrize(("metric", "code"), [
    ("members_female", "female_exceeds_total"),
    ("members_ethnic_minority", "ethnic_minority_exceeds_total"),
    ("members_religious", "religious_exceeds_total"),
    ("members_exempt", "exempt_exceeds_total"),
])
def test_rul002_subsets_of_members_cannot_exceed_the_total(metric, code):
    issues, col = one_org({"members_total": 30, metric: 31})
    assert codes_at(issues) == [(code, f"{col[metric]}3")]
    assert issues[0].metric == metric and issues[0].value == 31
    equal, _ = one_org({"members_total": 30, metric: 30})
    assert equal == []


def test_rul003_discipline_forms_must_add_up_to_the_total():
    forms = {"disciplined_reprimand": 2, "disciplined_warning": 1, "disciplined_dismissal": 0,
             "disciplined_expulsion": 1}
    issues, col = one_org({"disciplined_total": 5, **forms})
    assert codes_at(issues) == [("discipline_sum_mismatch", f"{col['disciplined_total']}3")]
    ok, _ = one_org({"disciplined_total": 4, **forms})
    assert ok == []


@pytest.mark.parametrize(("metric", "code"), [
    ("committee_female", "committee_female_exceeds_committee"),
    ("committee_youth", "committee_youth_exceeds_committee"),
    ("committee_ethnic_minority", "committee_ethnic_exceeds_committee"),
])
def test_rul004_committee_subsets_cannot_exceed_committee_members(metric, code):
    # compared with committee members, not with members: 8 of 7 is wrong even though 8 < 30 members
    issues, col = one_org({"members_total": 30, "committee_members": 7, metric: 8})
    assert codes_at(issues) == [(code, f"{col[metric]}3")]


def test_rul005_ratings_cannot_exceed_those_rated_nor_members():
    issues, col = one_org({"members_total": 50, "rated_total": 40, "rated_excellent": 3, "rated_good": 30,
                           "rated_complete": 7, "rated_failed": 1})
    assert codes_at(issues) == [("rated_sum_exceeds_total", f"{col['rated_total']}3")]
    issues, col = one_org({"members_total": 50, "rated_total": 51})
    assert codes_at(issues) == [("rated_exceeds_members", f"{col['rated_total']}3")]


def test_rul006_excellent_over_twenty_percent_of_good_is_a_warning():
    issues, col = one_org({"rated_total": 40, "rated_excellent": 7, "rated_good": 30, "rated_complete": 3})
    assert codes_at(issues) == [("excellent_over_quota", f"{col['rated_excellent']}3")]
    assert issues[0].severity == "warning"
    at_limit, _ = one_org({"rated_total": 40, "rated_excellent": 6, "rated_good": 30, "rated_complete": 4})
    assert at_limit == []


def test_rul007_opening_plus_flows_must_equal_closing():
    flows = {"admitted": 3, "transferred_in": 2, "reinstated": 0, "deceased": 1, "expelled": 0, "removed": 1,
             "resigned": 0, "transferred_out": 2}
    # 100 + 5 − 4 = 101
    ok, _ = one_org({"members_opening": 100, **flows, "members_total": 101})
    assert ok == []
    issues, col = one_org({"members_opening": 100, **flows, "members_total": 104})
    assert codes_at(issues) == [("balance_mismatch", f"{col['members_total']}3")]
    assert "101" in issues[0].message_vi


def test_rul008_secretary_flag_is_one_or_zero_per_organization():
    issues, col = one_org({"secretary_is_head": 2})
    assert codes_at(issues) == [("secretary_flag_over_one", f"{col['secretary_is_head']}3")]
    for yes in ("x", "có", 1):
        none, _ = one_org({"secretary_is_head": yes})
        assert none == []


def test_rul009_blank_is_not_reported_and_dash_is_zero():
    data = xlsx_bytes([SheetSpec("Năm 2024", [["BÁO CÁO NĂM 2024"],
                                              ["STT", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Kết nạp"],
                                              [1, "Chi bộ A", 10, None], [2, "Chi bộ B", 5, "-"]])])
    pdata = load(data, filename="x.xlsx").periods[0]
    assert pdata.records[0].metrics == {"members_total": 10}
    assert pdata.records[1].metrics == {"members_total": 5, "admitted": 0}
    assert pdata.totals() == {"members_total": 15, "admitted": 0}


def quarter_sheet(name: str, title: str, closing: int, flows: dict[str, int]) -> SheetSpec:
    header = ["STT", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", *[HEADERS[m] for m in flows]]
    return SheetSpec(name, [[title], header, [1, "Chi bộ A", closing, *flows.values()]])


def test_rul010_balance_across_consecutive_periods():
    flows = {"admitted": 3, "transferred_in": 0, "reinstated": 0, "deceased": 0, "expelled": 0, "removed": 0,
             "resigned": 0, "transferred_out": 1}
    q1 = quarter_sheet("Q1", "QUÝ I NĂM 2024", 100, flows)
    good_q2 = quarter_sheet("Q2", "QUÝ II NĂM 2024", 102, flows)
    bad_q2 = quarter_sheet("Q2", "QUÝ II NĂM 2024", 105, flows)
    assert load(xlsx_bytes([q1, good_q2]), filename="x.xlsx").issues == []
    issues = load(xlsx_bytes([q1, bad_q2]), filename="x.xlsx").issues
    assert [(i.code, i.sheet, i.cell, i.severity) for i in issues] == [
        ("balance_mismatch_periods", "Q2", "C3", "warning")]
    # not consecutive (Q1 → Q3): no check
    q3 = quarter_sheet("Q3", "QUÝ III NĂM 2024", 105, flows)
    assert load(xlsx_bytes([q1, q3]), filename="x.xlsx").issues == []
