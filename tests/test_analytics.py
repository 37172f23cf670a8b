"""Analytics on a hand-built committee: every expected number is worked out in the comments, not by the code.

The tree (two levels under the committee, three types):

    1 Đảng bộ Khối (no type)
    ├── 2 Đảng bộ Sở Tài chính (admin_agency, a grouping level: no figures of its own)
    │   ├── 5 Chi bộ Phòng Ngân sách (admin_agency)
    │   └── 6 Chi bộ Văn phòng Sở (admin_agency)
    ├── 3 Chi bộ Bệnh viện tỉnh (public_service_unit)
    └── 4 Đảng bộ Công ty Điện lực (soe_100, a grouping level)
        └── 7 Chi bộ Phân xưởng (soe_100)

Quarters 2023-Q4 (id 10), 2024-Q1 (id 11), 2024-Q2 (id 12); year 2024 (id 20) carries the ratings.

members (Q4 → Q1 → Q2) and the flows that explain them:
    5: 40 → 42 (+2 admitted +1 transferred in −1 deceased) → 40 (−2 transferred out)
    6: 25 → 26 (+1 admitted) → 26 (nothing)
    3: 30 → 30 (admitted 0) → 34, although 30 + 3 admitted = 33: the balance does not hold
    7: 15 → 16 (+2 transferred in −1 transferred out) → 17 (+1 admitted)
totals: Q4 110, Q1 114, Q2 117.
"""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import analytics as an

Q4, Q1, Q2, Y2024 = 10, 11, 12, 20
FLOWS = ("admitted", "transferred_in", "transferred_out", "reinstated", "deceased", "removed", "expelled",
         "resigned")
COLUMNS = ("members_total", "members_female", *FLOWS, "disciplined_total", "disciplined_reprimand",
           "disciplined_warning", "committee_members", "committee_female", "committee_youth", "secretary_is_head",
           "rated_total", "rated_excellent", "rated_good", "rated_complete", "rated_failed")


def orgs_frame() -> pd.DataFrame:
    rows = [
        (1, "DBK", "Đảng bộ Khối", None, None, 0),
        (2, "STC", "Đảng bộ Sở Tài chính", "admin_agency", 1, 1),
        (3, "BVT", "Chi bộ Bệnh viện tỉnh", "public_service_unit", 1, 1),
        (4, "DL", "Đảng bộ Công ty Điện lực", "soe_100", 1, 1),
        (5, "STC-NS", "Chi bộ Phòng Ngân sách", "admin_agency", 2, 2),
        (6, "STC-VP", "Chi bộ Văn phòng Sở", "admin_agency", 2, 2),
        (7, "DL-PX", "Chi bộ Phân xưởng", "soe_100", 4, 2),
    ]
    frame = pd.DataFrame(rows, columns=["id", "code", "name", "org_type", "parent_id", "level"])
    frame["parent_id"] = frame["parent_id"].astype("Int64")
    frame["valid_from"] = None
    frame["valid_to"] = None
    return frame


def periods_frame(extra: list[tuple] = ()) -> pd.DataFrame:  # type: ignore[assignment]
    rows = [
        (Q4, "2023-Q4", "quarter", dt.date(2023, 10, 1), dt.date(2023, 12, 31), "Quý IV/2023"),
        (Q1, "2024-Q1", "quarter", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "Quý I/2024"),
        (Q2, "2024-Q2", "quarter", dt.date(2024, 4, 1), dt.date(2024, 6, 30), "Quý II/2024"),
        (Y2024, "2024", "year", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "Năm 2024"),
        *extra,
    ]
    return pd.DataFrame(rows, columns=["id", "code", "kind", "start", "end", "label"])


def fact(org: int, period: int, **values: int | None) -> dict:
    row: dict = {"org_id": org, "period_id": period}
    row.update({c: None for c in COLUMNS})
    if "members_total" in values:  # quarterly rows report every flow; a flow not given is a reported zero
        row.update({f: 0 for f in (*FLOWS, "disciplined_total", "disciplined_reprimand", "disciplined_warning")})
    row.update(values)
    return row


COMMITTEE = {  # the same every quarter: members, women, young, secretary is head (7 leaves it blank)
    5: {"committee_members": 5, "committee_female": 1, "committee_youth": 1, "secretary_is_head": 1},
    6: {"committee_members": 3, "committee_female": 0, "committee_youth": 0, "secretary_is_head": 0},
    3: {"committee_members": 5, "committee_female": 1, "committee_youth": 0, "secretary_is_head": 1},
    7: {"committee_members": 3, "committee_female": 0, "committee_youth": 1},
}


def facts_frame(extra: list[dict] = ()) -> pd.DataFrame:  # type: ignore[assignment]
    rows = [
        fact(5, Q4, members_total=40, members_female=18, admitted=1, **COMMITTEE[5]),
        fact(6, Q4, members_total=25, members_female=10, **COMMITTEE[6]),
        fact(3, Q4, members_total=30, members_female=20, **COMMITTEE[3]),
        fact(7, Q4, members_total=15, members_female=3, **COMMITTEE[7]),
        fact(5, Q1, members_total=42, members_female=19, admitted=2, transferred_in=1, deceased=1,
             disciplined_total=1, disciplined_reprimand=1, **COMMITTEE[5]),
        fact(6, Q1, members_total=26, members_female=10, admitted=1, **COMMITTEE[6]),
        fact(3, Q1, members_total=30, members_female=20, **COMMITTEE[3]),
        fact(7, Q1, members_total=16, members_female=3, transferred_in=2, transferred_out=1, **COMMITTEE[7]),
        fact(5, Q2, members_total=40, members_female=19, transferred_out=2, **COMMITTEE[5]),
        fact(6, Q2, members_total=26, members_female=10, **COMMITTEE[6]),
        fact(3, Q2, members_total=34, members_female=22, admitted=3, disciplined_total=2, disciplined_reprimand=1,
             disciplined_warning=1, **COMMITTEE[3]),
        fact(7, Q2, members_total=17, members_female=3, admitted=1, **COMMITTEE[7]),
        # ratings: 5 rates 40 (7 excellent, 28 good, 4 complete, 1 failed); 3 rates 30 (5, 25, 0, 0)
        fact(5, Y2024, rated_total=40, rated_excellent=7, rated_good=28, rated_complete=4, rated_failed=1),
        fact(3, Y2024, rated_total=30, rated_excellent=5, rated_good=25, rated_complete=0, rated_failed=0),
        *extra,
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({c: "Int64" for c in COLUMNS})


def by_period(frame: pd.DataFrame, period: int) -> pd.Series:
    return frame.set_index("period_id").loc[period]


# --- filtering ---------------------------------------------------------------------------------
def test_descendants_follow_parent_ids_to_any_depth():
    orgs = orgs_frame()
    assert an.descendants(orgs, 1) == {1, 2, 3, 4, 5, 6, 7}
    assert an.descendants(orgs, 2) == {2, 5, 6}
    assert an.descendants(orgs, 4) == {4, 7}
    assert an.descendants(orgs, 3) == {3}


def test_descendants_survive_a_cycle_in_bad_data():
    orgs = orgs_frame()
    orgs.loc[orgs["id"] == 2, "parent_id"] = 5  # 2 → 5 → 2
    assert an.descendants(orgs, 2) == {2, 5, 6}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-1, max_value=40), min_size=1, max_size=40), st.integers(0, 45))
def test_descendants_match_a_walk_down_the_tree(parents, root):
    """Any parent links (cycles, self-parents, unknown parents, an unknown root): the numpy search finds
    what a plain walk from child lists finds."""
    orgs = pd.DataFrame({"id": range(len(parents)),
                         "parent_id": pd.array([p if p >= 0 else None for p in parents], dtype="Int64")})
    children: dict[int, list[int]] = {}
    for oid, pid in enumerate(parents):
        if pid >= 0:
            children.setdefault(pid, []).append(oid)
    expected, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in expected:
                expected.add(child)
                stack.append(child)
    assert an.descendants(orgs, root) == expected


def test_filter_to_a_subtree_keeps_only_its_organizations():
    out = an.filter_facts(facts_frame(), orgs_frame(), root_id=2)
    assert set(out["org_id"]) == {5, 6}
    assert len(out) == 2 * 3 + 1  # two organizations × three quarters, and 5's ratings for 2024


def test_filter_by_types_and_periods():
    out = an.filter_facts(facts_frame(), orgs_frame(), org_types=["public_service_unit", "soe_100"],
                          period_ids=[Q1])
    assert sorted(out["org_id"]) == [3, 7]
    assert an.filter_facts(facts_frame(), orgs_frame(), org_types=[]).empty


def test_subtree_and_type_filters_combine():
    out = an.filter_facts(facts_frame(), orgs_frame(), root_id=4, org_types=["admin_agency"])
    assert out.empty


# --- totals ------------------------------------------------------------------------------------
def test_totals_by_period():
    totals = an.totals_by_period(facts_frame(), orgs_frame())
    q4, q1, q2 = by_period(totals, Q4), by_period(totals, Q1), by_period(totals, Q2)
    assert (q4["members_total"], q1["members_total"], q2["members_total"]) == (110, 114, 117)
    assert q1["organizations"] == 4
    assert q1["members_female"] == 19 + 10 + 20 + 3  # 52
    assert q1["admitted"] == 2 + 1  # 3
    assert q2["admitted"] == 3 + 1  # 4
    assert q1["committee_members"] == 5 + 3 + 5 + 3  # 16
    assert q1["secretary_is_head"] == 2 and q1["secretary_reported"] == 3  # 7 left it blank
    # nobody reported ratings in a quarter: missing, not zero
    assert pd.isna(q1["rated_total"])
    assert by_period(totals, Y2024)["rated_total"] == 70


def test_totals_never_add_a_group_row_to_its_members():
    # the grouping level and the committee itself also send their own totals for Q1
    extra = [fact(2, Q1, members_total=68), fact(1, Q1, members_total=114), fact(4, Q1, members_total=16)]
    totals = an.totals_by_period(facts_frame(extra), orgs_frame())
    assert by_period(totals, Q1)["members_total"] == 114
    assert by_period(totals, Q1)["organizations"] == 4


def test_a_group_row_counts_when_none_of_its_members_reported():
    # only the group (2) reports in a new quarter: its figures are the only ones there are
    periods_extra = 13
    totals = an.totals_by_period(facts_frame([fact(2, periods_extra, members_total=70)]), orgs_frame())
    assert by_period(totals, periods_extra)["members_total"] == 70


def test_totals_of_a_subtree():
    facts = an.filter_facts(facts_frame(), orgs_frame(), root_id=2)
    totals = an.totals_by_period(facts, orgs_frame())
    assert by_period(totals, Q1)["members_total"] == 42 + 26
    assert by_period(totals, Q2)["organizations"] == 2


def test_totals_by_org_type_in_catalogue_order():
    out = an.totals_by_org_type(facts_frame(), orgs_frame())
    q1 = out[out["period_id"] == Q1]
    assert list(q1["org_type"]) == ["admin_agency", "public_service_unit", "soe_100"]
    assert list(q1["organizations"]) == [2, 1, 1]
    assert list(q1["members_total"]) == [42 + 26, 30, 16]
    assert list(q1["admitted"]) == [3, 0, 0]


def test_totals_of_an_empty_frame():
    empty = facts_frame().iloc[0:0]
    assert an.totals_by_period(empty, orgs_frame()).empty
    assert an.totals_by_org_type(empty, orgs_frame()).empty
    assert an.ratios(empty, orgs=orgs_frame()).empty
    assert an.balance(empty, periods_frame()).empty
    assert an.rating_distribution(empty).empty
    assert an.no_admissions(empty, orgs_frame(), Q1).empty
    assert an.committees_without_women(empty, orgs_frame(), Q1).empty
    assert an.excellent_check(empty, orgs_frame(), Y2024).empty
    assert an.org_table(empty, orgs_frame(), Q1).empty
    assert an.hierarchy_frame(empty, orgs_frame(), Q1).empty


# --- ratios and targets ------------------------------------------------------------------------
def ratio(frame: pd.DataFrame, rid: str, period: int = Q1) -> pd.Series:
    hit = frame[(frame["ratio"] == rid) & (frame["period_id"] == period)]
    assert len(hit) == 1, rid
    return hit.iloc[0]


def test_every_ratio_and_its_target_status():
    out = an.ratios(facts_frame(), orgs=orgs_frame(), periods=periods_frame())
    assert ratio(out, "women_pct")["value"] == pytest.approx(52 / 114)
    assert ratio(out, "women_pct")["status"] is None  # no target for women among members
    female = ratio(out, "committee_female_pct")
    assert female["value"] == pytest.approx(2 / 16)  # 12,5% < 15%
    assert (female["target"], female["status"]) == (0.15, "not_met")
    youth = ratio(out, "committee_youth_pct")
    assert youth["value"] == pytest.approx(2 / 16)  # 12,5% ≥ 10%
    assert (youth["target"], youth["status"]) == (0.10, "met")
    adm = ratio(out, "admissions_per_100")
    assert adm["value"] == pytest.approx(3 / 114 * 100)  # 2,63 per 100 in a quarter
    assert adm["target"] == pytest.approx(0.75)  # 3 a year per 100 → 0,75 a quarter
    assert adm["status"] == "met"
    assert ratio(out, "discipline_per_1000")["value"] == pytest.approx(1 / 114 * 1000)
    assert ratio(out, "secretary_head_pct")["value"] == pytest.approx(2 / 3)  # 7 left it blank
    gob = ratio(out, "good_or_better_pct", Y2024)
    assert gob["value"] == pytest.approx((12 + 53) / 70)  # 92,9% ≥ 90%
    assert gob["status"] == "met"
    eog = ratio(out, "excellent_of_good", Y2024)
    assert eog["value"] == pytest.approx(12 / 53)  # 22,6% > 20%
    assert eog["status"] == "not_met"


def test_admissions_target_not_met_in_a_quarter_with_few_admissions():
    # Q4: 1 admission for 110 members = 0,91 per 100 ≥ 0,75 → met; halve it by doubling the quarter's members
    facts = facts_frame()
    facts.loc[(facts["period_id"] == Q4) & (facts["org_id"] == 5), "members_total"] = 200  # 1 / 270 = 0,37
    out = an.ratios(facts, orgs=orgs_frame(), periods=periods_frame())
    assert ratio(out, "admissions_per_100", Q4)["status"] == "not_met"


def test_admissions_target_unknown_without_periods():
    out = an.ratios(facts_frame(), orgs=orgs_frame())
    assert ratio(out, "admissions_per_100")["status"] is None


def test_targets_are_configurable():
    targets = an.Targets(committee_female_min=0.12, committee_youth_min=0.13, good_or_better_min=0.95)
    out = an.ratios(facts_frame(), orgs=orgs_frame(), periods=periods_frame(), targets=targets)
    assert ratio(out, "committee_female_pct")["status"] == "met"  # 12,5% ≥ 12%
    assert ratio(out, "committee_youth_pct")["status"] == "not_met"  # 12,5% < 13%
    assert ratio(out, "good_or_better_pct", Y2024)["status"] == "not_met"  # 92,9% < 95%


def test_a_ratio_counts_only_organizations_reporting_both_parts():
    facts = facts_frame()
    facts.loc[(facts["period_id"] == Q1) & (facts["org_id"] == 3), "members_female"] = pd.NA
    out = an.ratios(facts, orgs=orgs_frame())
    # 3's 30 members leave the denominator along with its blank: (19 + 10 + 3) / (42 + 26 + 16)
    assert ratio(out, "women_pct")["value"] == pytest.approx(32 / 84)


def test_a_target_met_exactly_is_met():
    # 3 women of 20 committee members is exactly 15%
    facts = facts_frame().iloc[0:0]
    facts = pd.concat([facts, pd.DataFrame([fact(5, Q1, committee_members=20, committee_female=3)])])
    out = an.ratios(facts.astype({c: "Int64" for c in COLUMNS}), orgs=orgs_frame())
    assert ratio(out, "committee_female_pct")["status"] == "met"


def test_ratios_by_org_type():
    out = an.ratios(facts_frame(), orgs=orgs_frame(), periods=periods_frame(), by="org_type")
    q1 = out[(out["period_id"] == Q1) & (out["ratio"] == "committee_female_pct")]
    values = dict(zip(q1["org_type"], q1["value"], strict=True))
    assert values["admin_agency"] == pytest.approx(1 / 8)  # (1 + 0) / (5 + 3)
    assert values["public_service_unit"] == pytest.approx(1 / 5)
    assert values["soe_100"] == 0
    statuses = dict(zip(q1["org_type"], q1["status"], strict=True))
    assert statuses == {"admin_agency": "not_met", "public_service_unit": "met", "soe_100": "not_met"}


# --- period comparison -------------------------------------------------------------------------
def many_periods(*, with_2019_q4: bool = True) -> pd.DataFrame:
    rows = [
        (1, "2019", "year", dt.date(2019, 1, 1), dt.date(2019, 12, 31), "Năm 2019"),
        (3, "2020-Q1", "quarter", dt.date(2020, 1, 1), dt.date(2020, 3, 31), "Quý I/2020"),
        (4, "2023-Q1", "quarter", dt.date(2023, 1, 1), dt.date(2023, 3, 31), "Quý I/2023"),
        (5, "2023-Q4", "quarter", dt.date(2023, 10, 1), dt.date(2023, 12, 31), "Quý IV/2023"),
        (6, "2024-Q1", "quarter", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "Quý I/2024"),
        (7, "2024-Q3", "quarter", dt.date(2024, 7, 1), dt.date(2024, 9, 30), "Quý III/2024"),
        (8, "2023", "year", dt.date(2023, 1, 1), dt.date(2023, 12, 31), "Năm 2023"),
        (9, "2024", "year", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "Năm 2024"),
        (10, "2018-06-30", "cutoff", dt.date(2018, 6, 30), dt.date(2018, 6, 30), "Tính đến ngày 30/6/2018"),
        (11, "2018-12-31", "cutoff", dt.date(2018, 12, 31), dt.date(2018, 12, 31), "Tính đến ngày 31/12/2018"),
        (12, "2019-06-30", "cutoff", dt.date(2019, 6, 30), dt.date(2019, 6, 30), "Tính đến ngày 30/6/2019"),
        (13, "2024-H1", "half", dt.date(2024, 1, 1), dt.date(2024, 6, 30), "6 tháng đầu năm 2024"),
        (14, "2023-H2", "half", dt.date(2023, 7, 1), dt.date(2023, 12, 31), "6 tháng cuối năm 2023"),
    ]
    if with_2019_q4:
        rows.append((2, "2019-Q4", "quarter", dt.date(2019, 10, 1), dt.date(2019, 12, 31), "Quý IV/2019"))
    return pd.DataFrame(rows, columns=["id", "code", "kind", "start", "end", "label"])


def test_previous_period_of_the_same_kind():
    periods = many_periods()
    assert an.comparison_period(periods, 6, "previous") == 5  # 2024-Q1 → 2023-Q4
    assert an.comparison_period(periods, 9, "previous") == 8  # 2024 → 2023
    assert an.comparison_period(periods, 13, "previous") == 14  # 2024-H1 → 2023-H2
    # 2024-Q2 is not stored: 2024-Q3 has no previous quarter, it is not compared with 2024-Q1
    assert an.comparison_period(periods, 7, "previous") is None
    # a cut-off date: the latest earlier cut-off
    assert an.comparison_period(periods, 12, "previous") == 11


def test_same_period_last_year():
    periods = many_periods()
    assert an.comparison_period(periods, 6, "same_last_year") == 4  # 2024-Q1 → 2023-Q1
    assert an.comparison_period(periods, 9, "same_last_year") == 8
    assert an.comparison_period(periods, 12, "same_last_year") == 10  # 30/6/2019 → 30/6/2018
    assert an.comparison_period(periods, 5, "same_last_year") is None  # 2022-Q4 is not stored


def test_start_of_term():
    # 2024-Q1 lies in the 2020–2025 term: its start is the close of 31/12/2019
    assert an.comparison_period(many_periods(), 6, "term_start") == 2  # 2019-Q4, the same kind
    assert an.comparison_period(many_periods(with_2019_q4=False), 6, "term_start") == 1  # else the year 2019
    assert an.comparison_period(many_periods(), 9, "term_start") == 1  # the year 2024 → the year 2019


def test_start_of_term_falls_back_to_the_first_period_inside_the_term():
    periods = many_periods(with_2019_q4=False)
    periods = periods[periods["id"] != 1]  # no figure at 31/12/2019 at all
    assert an.comparison_period(periods, 6, "term_start") == 3  # 2020-Q1, the first quarter of the term
    assert an.comparison_period(periods, 6, "term_start", term_begins=dt.date(2025, 1, 1)) is None


def test_comparison_of_an_unknown_period_is_none():
    assert an.comparison_period(many_periods(), 999, "previous") is None


def test_compare_totals_gives_change_and_percent():
    totals = an.totals_by_period(facts_frame(), orgs_frame())
    out = an.compare_totals(totals, Q1, Q4).set_index("metric")
    members = out.loc["members_total"]
    assert (members["value"], members["previous"], members["change"]) == (114, 110, 4)
    assert members["change_pct"] == pytest.approx(4 / 110)
    admitted = out.loc["admitted"]
    assert admitted["change"] == 3 - 1
    assert admitted["change_pct"] == pytest.approx(2.0)
    # Q4 had no one disciplined: a change from zero has no percentage
    assert out.loc["disciplined_total", "change"] == 1
    assert pd.isna(out.loc["disciplined_total", "change_pct"])


def test_compare_totals_without_a_comparison_period():
    totals = an.totals_by_period(facts_frame(), orgs_frame())
    out = an.compare_totals(totals, Q1, None, ["members_total"]).iloc[0]
    assert out["value"] == 114
    assert pd.isna(out["previous"]) and pd.isna(out["change"])


def test_compare_ratios_in_points():
    out = an.ratios(facts_frame(), orgs=orgs_frame(), periods=periods_frame())
    cmp = an.compare_ratios(out, Q1, Q4).set_index("ratio")
    # women: 52/114 now, 51/110 before
    assert cmp.loc["women_pct", "change"] == pytest.approx(52 / 114 - 51 / 110)
    assert cmp.loc["women_pct", "status"] is None
    assert cmp.loc["committee_female_pct", "status"] == "not_met"


# --- lists of organizations --------------------------------------------------------------------
def test_organizations_with_no_admissions():
    out = an.no_admissions(facts_frame(), orgs_frame(), Q1)
    assert list(out["name"]) == ["Chi bộ Bệnh viện tỉnh", "Chi bộ Phân xưởng"]
    assert list(out["members_total"]) == [30, 16]
    assert list(out["parent_name"]) == ["Đảng bộ Khối", "Đảng bộ Công ty Điện lực"]
    # over Q1 and Q2 everyone admitted someone
    assert an.no_admissions(facts_frame(), orgs_frame(), [Q1, Q2]).empty


def test_a_blank_admissions_cell_is_not_a_zero():
    facts = facts_frame()
    facts.loc[(facts["period_id"] == Q1) & (facts["org_id"] == 3), "admitted"] = pd.NA
    out = an.no_admissions(facts, orgs_frame(), Q1)
    assert list(out["org_id"]) == [7]


def test_committees_with_no_woman():
    out = an.committees_without_women(facts_frame(), orgs_frame(), Q1)
    assert sorted(out["org_id"]) == [6, 7]
    assert list(out.sort_values("org_id")["committee_members"]) == [3, 3]


def test_org_table_has_names_types_parents_metrics_and_ratios():
    out = an.org_table(facts_frame(), orgs_frame(), Q1).set_index("org_id")
    assert len(out) == 4
    assert out.loc[5, "name"] == "Chi bộ Phòng Ngân sách"
    assert out.loc[5, "parent_name"] == "Đảng bộ Sở Tài chính"
    assert out.loc[5, "org_type_name"] == "Cơ quan hành chính nhà nước"
    assert out.loc[5, "members_total"] == 42
    assert out.loc[5, "women_pct"] == pytest.approx(19 / 42)
    assert out.loc[6, "committee_female_pct"] == 0
    assert pd.isna(out.loc[7, "secretary_head_pct"])
    english = an.org_table(facts_frame(), orgs_frame(), Q1, lang="en").set_index("org_id")
    assert english.loc[3, "org_type_name"] == "Public service units"


# --- balance -----------------------------------------------------------------------------------
def test_balance_holds_and_does_not_hold():
    out = an.balance(facts_frame(), periods_frame()).set_index("period_id")
    # Q4 is the first quarter: no opening, nothing to check
    assert pd.isna(out.loc[Q4, "opening"]) and pd.isna(out.loc[Q4, "holds"])
    # Q1: 110 + 3 admitted + 3 transferred in − 1 deceased − 1 transferred out = 114 = closing
    q1 = out.loc[Q1]
    assert (q1["opening"], q1["expected"], q1["closing"], q1["difference"]) == (110, 114, 114, 0)
    assert q1["holds"] == True  # noqa: E712 (a nullable boolean)
    assert q1["previous_id"] == Q4
    # Q2: 114 + 4 admitted − 2 transferred out = 116, but 117 reported
    q2 = out.loc[Q2]
    assert (q2["expected"], q2["closing"], q2["difference"]) == (116, 117, 1)
    assert q2["holds"] == False  # noqa: E712
    assert list(out.index[:3]) == [Q4, Q1, Q2]  # in time order


def test_balance_per_organization_names_the_one_that_does_not_hold():
    issues = an.balance_issues(facts_frame(), orgs_frame(), periods_frame(), Q2)
    assert list(issues["name"]) == ["Chi bộ Bệnh viện tỉnh"]
    row = issues.iloc[0]
    assert (row["opening"], row["admitted"], row["expected"], row["closing"], row["difference"]) == (30, 3, 33, 34, 1)
    assert an.balance_issues(facts_frame(), orgs_frame(), periods_frame(), Q1).empty


def test_balance_counts_blank_flows_as_zero_but_says_so():
    facts = facts_frame()
    facts.loc[facts["period_id"] == Q1, "reinstated"] = pd.NA
    out = an.balance(facts, periods_frame()).set_index("period_id")
    assert out.loc[Q1, "holds"] == True  # noqa: E712
    assert out.loc[Q1, "flows_missing"] == 1


# --- quality ratings ---------------------------------------------------------------------------
def test_rating_distribution():
    out = an.rating_distribution(facts_frame(), orgs_frame())
    assert list(out["period_id"]) == [Y2024]  # quarters carry no ratings
    row = out.iloc[0]
    assert (row["rated_total"], row["rated_excellent"], row["rated_good"]) == (70, 12, 53)
    assert (row["rated_complete"], row["rated_failed"], row["unclassified"]) == (4, 1, 0)
    assert row["share_excellent"] == pytest.approx(12 / 70)
    assert row["share_failed"] == pytest.approx(1 / 70)
    assert row["good_or_better_share"] == pytest.approx(65 / 70)


def test_excellent_at_most_twenty_percent_of_good():
    out = an.excellent_check(facts_frame(), orgs_frame(), Y2024).set_index("org_id")
    # 5: 7 excellent of 28 good, 20% of 28 = 5,6 → fails; 3: 5 of 25 = exactly 20% → passes
    assert out.loc[5, "ok"] == False  # noqa: E712
    assert out.loc[5, "allowed"] == 5
    assert out.loc[3, "ok"] == True  # noqa: E712
    assert out.loc[3, "allowed"] == 5
    # an outstanding unit may have 25%: 7 of 28 is exactly 25%
    special = an.excellent_check(facts_frame(), orgs_frame(), Y2024, outstanding=[5]).set_index("org_id")
    assert special.loc[5, "ok"] == True  # noqa: E712
    assert special.loc[5, "limit"] == 0.25


# --- hierarchy ---------------------------------------------------------------------------------
def test_hierarchy_adds_subtrees_up_to_the_top():
    out = an.hierarchy_frame(facts_frame(), orgs_frame(), Q1).set_index("id")
    assert out.loc[1, "value"] == 114
    assert out.loc[2, "value"] == 42 + 26
    assert out.loc[4, "value"] == 16
    assert out.loc[2, "organizations"] == 2
    assert pd.isna(out.loc[1, "parent_id"])
    assert out.loc[5, "parent_id"] == 2
    assert out.index[0] == 1  # parents before children


def test_periods_table_gives_english_labels_and_months():
    table = an.periods_table(periods_frame()).set_index("id")
    assert table.loc[Q1, "label_en"] == "Q1 2024"
    assert table.loc[Y2024, "label_en"] == "Year 2024"
    assert table.loc[Q1, "months"] == 3 and table.loc[Y2024, "months"] == 12
    timeline = an.with_periods(an.totals_by_period(facts_frame(), orgs_frame()), periods_frame())
    assert list(timeline["label"]) == ["Quý IV/2023", "Quý I/2024", "Quý II/2024", "Năm 2024"]


def test_totals_and_ratios_can_be_limited_to_what_a_chart_needs():
    totals = an.totals_by_period(facts_frame(), orgs_frame(), metrics=["members_total", "admitted"])
    assert [c for c in totals.columns if c in an.METRIC_IDS] == ["members_total", "admitted"]
    assert by_period(totals, Q2)["members_total"] == 117
    assert by_period(totals, Q2)["organizations"] == 4
    out = an.ratios(facts_frame(), orgs=orgs_frame(), only=["women_pct"])
    assert set(out["ratio"]) == {"women_pct"}


def test_hierarchy_of_a_subtree_stops_at_its_top():
    facts = an.filter_facts(facts_frame(), orgs_frame(), root_id=2)
    out = an.hierarchy_frame(facts, orgs_frame(), Q1, root_id=2).set_index("id")
    assert list(out.index) == [2, 5, 6]
    assert out.loc[2, "value"] == 68 and out.loc[2, "depth"] == 0 and pd.isna(out.loc[2, "parent_id"])
    assert out.loc[5, "depth"] == 1


def test_memoized_results_are_bounded_and_go_with_their_frames(monkeypatch):
    """Results are kept while their frames live, within MEMO_BYTES: a new snapshot's frames do not keep the
    old ones' results alive, and large results push the least recently used out."""
    import gc

    import numpy as np

    from dashboard import analytics as an

    calls = []

    @an.memoized
    def double(frame: pd.DataFrame) -> pd.DataFrame:
        calls.append(id(frame))
        return frame * 2

    frames = [an.pin(pd.DataFrame({"x": np.arange(10_000, dtype=np.int64) + i})) for i in range(4)]
    monkeypatch.setattr(an, "MEMO_BYTES", 3 * an._size(frames[0]) + 1_000)  # room for three results
    first = double(frames[0])
    assert double(frames[0]) is first and len(calls) == 1  # remembered
    for f in frames[1:]:
        double(f)
    assert len(calls) == 4
    double(frames[0])  # the oldest result went out to make room: computed again
    assert len(calls) == 5
    gone = [k for k in an._MEMO if k[1] == (("frame", id(frames[3])),)]
    assert gone
    del frames[3], f
    gc.collect()
    monkeypatch.setattr(an, "_last_scan", time.monotonic())
    monkeypatch.setattr(an, "SCAN_SECONDS", 3600)
    small = an.pin(pd.DataFrame({"x": [1]}))
    double(small)  # the memo was looked through less than SCAN_SECONDS ago: not again yet
    assert all(k in an._MEMO for k in gone)
    monkeypatch.setattr(an, "SCAN_SECONDS", 0)
    double(an.pin(pd.DataFrame({"x": [2]})))  # a new result then clears the entries of frames that are gone
    assert not any(k in an._MEMO for k in gone)
    assert len(calls) == 7
    assert an._memo_bytes <= an.MEMO_BYTES


def test_org_table_ratio_with_no_members_is_blank_not_infinite():
    facts = facts_frame().copy()
    facts.loc[(facts["org_id"] == 5) & (facts["period_id"] == Q1), "members_total"] = 0
    out = an.org_table(facts, orgs_frame(), Q1).set_index("org_id")
    assert pd.isna(out.loc[5, "women_pct"])  # 19 women of 0 members: no share, not ∞
    assert out.loc[6, "committee_female_pct"] == 0  # the other organizations are untouched
