"""The report paragraph on a hand-built committee; the expected sentences are written out by hand.

Two grassroots organizations under "Đảng bộ Khối":

    period          A: members  B: members  total   admitted (A + B)
    Quý II/2023       4.150       3.628     7.778   25 + 20 = 45
    Quý I/2024        4.205       3.636     7.841   30 + 20 = 50
    Quý II/2024       4.200       3.641     7.841   25 + 20 = 45

Quý II/2024 in detail: women 1.800 + 1.248 = 3.048 (3.048 / 7.841 = 38,87% → 38,9%); recognized
30 + 18 = 48; transferred in 10 + 5 = 15, out 12 + 6 = 18; deceased 3 + 0; disciplined 2 + 0;
committees 9 + 7 = 16 members, women 2 + 0 (12,5% < 15%), young 1 + 1 (12,5% ≥ 10%); B has no woman.
Against Quý I/2024: members 7.841 = 7.841, admitted 45 − 50 = −5 (5 / 50 = 10,0%).
Against Quý II/2023: members +63 (63 / 7.778 = 0,81% → 0,8%), admitted 45 = 45.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.narrative import report_paragraph, report_paragraphs

Q2_2023, Q1_2024, Q2_2024, Y2024, CUT = 1, 2, 3, 4, 5
ZERO_FLOWS = {"reinstated": 0, "removed": 0, "expelled": 0, "resigned": 0}


def orgs() -> pd.DataFrame:
    frame = pd.DataFrame(
        [(1, "DBK", "Đảng bộ Khối", None, None, 0),
         (2, "A", "Đảng bộ Sở Tài chính", "admin_agency", 1, 1),
         (3, "B", "Đảng bộ Công ty Điện lực", "soe_100", 1, 1)],
        columns=["id", "code", "name", "org_type", "parent_id", "level"])
    frame["parent_id"] = frame["parent_id"].astype("Int64")
    return frame


def periods() -> pd.DataFrame:
    return pd.DataFrame(
        [(Q2_2023, "2023-Q2", "quarter", dt.date(2023, 4, 1), dt.date(2023, 6, 30), "Quý II/2023"),
         (Q1_2024, "2024-Q1", "quarter", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "Quý I/2024"),
         (Q2_2024, "2024-Q2", "quarter", dt.date(2024, 4, 1), dt.date(2024, 6, 30), "Quý II/2024"),
         (Y2024, "2024", "year", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "Năm 2024"),
         (CUT, "2019-06-30", "cutoff", dt.date(2019, 6, 30), dt.date(2019, 6, 30), "Tính đến ngày 30/6/2019")],
        columns=["id", "code", "kind", "start", "end", "label"])


def facts(rows: list[dict] | None = None) -> pd.DataFrame:
    rows = rows if rows is not None else [
        {"org_id": 2, "period_id": Q2_2023, "members_total": 4150, "admitted": 25},
        {"org_id": 3, "period_id": Q2_2023, "members_total": 3628, "admitted": 20},
        {"org_id": 2, "period_id": Q1_2024, "members_total": 4205, "admitted": 30},
        {"org_id": 3, "period_id": Q1_2024, "members_total": 3636, "admitted": 20},
        {"org_id": 2, "period_id": Q2_2024, "members_total": 4200, "members_female": 1800, "admitted": 25,
         "recognized_full": 30, "transferred_in": 10, "transferred_out": 12, "deceased": 3, "disciplined_total": 2,
         "committee_members": 9, "committee_female": 2, "committee_youth": 1, **ZERO_FLOWS},
        {"org_id": 3, "period_id": Q2_2024, "members_total": 3641, "members_female": 1248, "admitted": 20,
         "recognized_full": 18, "transferred_in": 5, "transferred_out": 6, "deceased": 0, "disciplined_total": 0,
         "committee_members": 7, "committee_female": 0, "committee_youth": 1, **ZERO_FLOWS},
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({c: "Int64" for c in frame.columns if c not in ("org_id", "period_id")})


def vi(frame: pd.DataFrame | None = None, period: int = Q2_2024) -> str:
    return report_paragraph(facts() if frame is None else frame, orgs(), periods(), period,
                            scope_name="Đảng bộ Khối")


def en(frame: pd.DataFrame | None = None, period: int = Q2_2024) -> str:
    return report_paragraph(facts() if frame is None else frame, orgs(), periods(), period,
                            scope_name="Đảng bộ Khối", lang="en")


def test_vietnamese_paragraph():
    assert vi() == (
        "Tính đến 30/6/2024, Đảng bộ Khối có 2 tổ chức cơ sở đảng với 7.841 đảng viên (nữ 3.048, chiếm 38,9%); "
        "trong quý II/2024 kết nạp 45 đảng viên, công nhận đảng viên chính thức cho 48 đồng chí, "
        "tiếp nhận 15 đảng viên chuyển đến, chuyển đi 18 đảng viên, 3 đảng viên từ trần, "
        "thi hành kỷ luật 2 đảng viên; "
        "cấp ủy viên nữ chiếm 12,5% (chưa đạt chỉ tiêu 15%), cấp ủy viên trẻ chiếm 12,5% (đạt chỉ tiêu 10%), "
        "1 cấp ủy chưa có cấp ủy viên nữ; "
        "so với quý trước, số đảng viên không thay đổi, số đảng viên được kết nạp giảm 5 (10,0%); "
        "so với cùng kỳ năm trước, số đảng viên tăng 63 (0,8%), số đảng viên được kết nạp không thay đổi."
    )


def test_english_paragraph():
    assert en() == (
        "As of 30 Jun 2024, Đảng bộ Khối had 2 grassroots party organizations with 7,841 members "
        "(3,048 women, 38.9%); "
        "in Q2 2024: 45 admitted, 48 recognized as full members, 15 transferred in, 18 transferred out, "
        "3 deceased, 2 disciplined; "
        "women make up 12.5% of committee members (target ≥ 15% not met), "
        "young members make up 12.5% of committee members (target ≥ 10% met), 1 committee has no woman; "
        "compared with the previous quarter, membership did not change, admissions fell by 5 (10.0%); "
        "compared with the same period last year, membership rose by 63 (0.8%), admissions did not change."
    )


def test_both_languages_at_once():
    both = report_paragraphs(facts(), orgs(), periods(), Q2_2024, scope_name="Đảng bộ Khối")
    assert both == {"vi": vi(), "en": en()}


def test_decrease_is_said_with_giam():
    frame = facts()
    # a year earlier A had 4.225: 4.225 + 3.628 = 7.853, so 7.841 is 12 fewer (12 / 7.853 = 0,15% → 0,2%)
    frame.loc[(frame["org_id"] == 2) & (frame["period_id"] == Q2_2023), "members_total"] = 4225
    assert "so với cùng kỳ năm trước, số đảng viên giảm 12 (0,2%)" in vi(frame)
    assert "compared with the same period last year, membership fell by 12 (0.2%)" in en(frame)
    assert "tăng" not in vi(frame).split("so với cùng kỳ năm trước")[1].split(",")[0]


def test_increase_against_the_previous_quarter():
    frame = facts()
    frame.loc[(frame["org_id"] == 3) & (frame["period_id"] == Q1_2024), "members_total"] = 3600
    # 4.205 + 3.600 = 7.805 → 7.841 is 36 more (36 / 7.805 = 0,46% → 0,5%)
    assert "so với quý trước, số đảng viên tăng 36 (0,5%)" in vi(frame)
    assert "compared with the previous quarter, membership rose by 36 (0.5%)" in en(frame)


def test_missing_metrics_are_left_out():
    frame = facts().drop(columns=["members_female", "committee_members", "committee_female", "committee_youth",
                                  "admitted"])
    text = vi(frame)
    assert text.startswith("Tính đến 30/6/2024, Đảng bộ Khối có 2 tổ chức cơ sở đảng với 7.841 đảng viên; ")
    assert "nữ" not in text
    assert "kết nạp" not in text
    assert "cấp ủy" not in text
    assert text.endswith("so với quý trước, số đảng viên không thay đổi; "
                         "so với cùng kỳ năm trước, số đảng viên tăng 63 (0,8%).")


def test_a_blank_is_not_said_as_zero():
    frame = facts()
    frame.loc[frame["period_id"] == Q2_2024, "disciplined_total"] = pd.NA
    assert "kỷ luật" not in vi(frame)
    frame.loc[frame["period_id"] == Q2_2024, "disciplined_total"] = 0
    assert "không có đảng viên bị kỷ luật" in vi(frame)


def test_no_admissions_is_said_in_words():
    frame = facts()
    frame.loc[frame["period_id"] == Q2_2024, "admitted"] = 0
    assert "trong quý II/2024 không kết nạp đảng viên mới, công nhận" in vi(frame)
    assert "in Q2 2024: no members admitted, 48 recognized" in en(frame)


def test_no_comparison_without_the_period_to_compare_with():
    frame = facts()
    frame = frame[frame["period_id"] == Q2_2024]
    assert "so với" not in vi(frame)
    assert "compared" not in en(frame)


def test_a_year_with_ratings():
    rows = [{"org_id": 2, "period_id": Y2024, "members_total": 7841, "admitted": 190, "rated_total": 7500,
             "rated_excellent": 1000, "rated_good": 5900, "rated_complete": 580, "rated_failed": 20}]
    text = vi(facts(rows), Y2024)
    # 1.000 / 7.500 = 13,3%; 5.900 / 7.500 = 78,7%; 580 / 7.500 = 7,7%; 20 / 7.500 = 0,3%; 6.900 / 7.500 = 92,0%
    assert text == (
        "Tính đến 31/12/2024, Đảng bộ Khối có 1 tổ chức cơ sở đảng với 7.841 đảng viên; "
        "trong năm 2024 kết nạp 190 đảng viên; "
        "đánh giá, xếp loại 7.500 đảng viên, trong đó hoàn thành xuất sắc nhiệm vụ 1.000 (13,3%), "
        "hoàn thành tốt nhiệm vụ 5.900 (78,7%), hoàn thành nhiệm vụ 580 (7,7%), "
        "không hoàn thành nhiệm vụ 20 (0,3%); tỷ lệ hoàn thành tốt nhiệm vụ trở lên 92,0% (đạt chỉ tiêu 90%)."
    )
    assert en(facts(rows), Y2024) == (
        "As of 31 Dec 2024, Đảng bộ Khối had 1 grassroots party organization with 7,841 members; "
        "in 2024: 190 admitted; "
        "7,500 members were rated: 1,000 excellent (13.3%), 5,900 good (78.7%), 580 complete (7.7%), "
        "20 failed (0.3%); 92.0% rated good or better (target ≥ 90% met)."
    )


def test_a_cutoff_date():
    rows = [{"org_id": 2, "period_id": CUT, "members_total": 105, "admitted": 4}]
    assert vi(facts(rows), CUT) == (
        "Tính đến 30/6/2019, Đảng bộ Khối có 1 tổ chức cơ sở đảng với 105 đảng viên; trong kỳ kết nạp 4 đảng viên."
    )


def test_no_figures_for_the_period():
    assert vi(facts(), Y2024) == "Chưa có số liệu của Đảng bộ Khối trong năm 2024."
    assert en(facts(), Y2024) == "There are no figures for Đảng bộ Khối in Year 2024."


# --- the number and date formats the paragraph (and every card, axis and table) uses ------------
def test_vietnamese_and_english_number_formats():
    from dashboard.formatting import fmt_int, fmt_pct, fmt_points, fmt_signed, fmt_signed_pct, plotly_separators

    assert (fmt_int(7841), fmt_int(7841, "en"), fmt_int(1234567)) == ("7.841", "7,841", "1.234.567")
    assert (fmt_pct(0.205), fmt_pct(0.205, lang="en"), fmt_pct(0.2, 0)) == ("20,5%", "20.5%", "20%")
    assert fmt_pct(0.00125, 2) == "0,13%"  # half-up on the decimal value, not banker's rounding
    assert (fmt_signed(12), fmt_signed(-3), fmt_signed(0)) == ("+12", "−3", "0")
    assert (fmt_signed_pct(0.008), fmt_signed_pct(-0.1, lang="en")) == ("+0,8%", "−10.0%")
    assert (fmt_points(0.015), fmt_points(-0.015, lang="en")) == ("+1,5 điểm %", "−1.5 pp")
    assert (fmt_int(None), fmt_int(pd.NA), fmt_pct(float("nan"))) == ("–", "–", "–")
    assert (plotly_separators("vi"), plotly_separators("en")) == (",.", ".,")


def test_date_formats():
    from dashboard.formatting import fmt_date

    day = dt.date(2019, 6, 30)
    assert (fmt_date(day), fmt_date(day, pad=False), fmt_date(day, "en")) == ("30/06/2019", "30/6/2019", "30 Jun 2019")
