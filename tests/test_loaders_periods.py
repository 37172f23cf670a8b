"""Reporting periods (loaders.periods): ids from domain.md and the words officials write in titles.

Start and end dates below are worked out by hand from the calendar: a quarter q runs from the first
day of month 3q−2 to the last day of month 3q; a half-year H1 is 1/1–30/6, H2 1/7–31/12; nine months
1/1–30/9; a cut-off date is a single day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.periods import best_period, find_periods, parse_period_id

D = dt.date


@pytest.mark.parametrize(
    ("pid", "kind", "start", "end", "label"),
    [
        ("2024", "year", D(2024, 1, 1), D(2024, 12, 31), "Năm 2024"),
        ("2024-H1", "half", D(2024, 1, 1), D(2024, 6, 30), "6 tháng đầu năm 2024"),
        ("2024-H2", "half", D(2024, 7, 1), D(2024, 12, 31), "6 tháng cuối năm 2024"),
        ("2024-Q1", "quarter", D(2024, 1, 1), D(2024, 3, 31), "Quý I/2024"),
        ("2024-Q2", "quarter", D(2024, 4, 1), D(2024, 6, 30), "Quý II/2024"),
        ("2024-Q3", "quarter", D(2024, 7, 1), D(2024, 9, 30), "Quý III/2024"),
        ("2024-Q4", "quarter", D(2024, 10, 1), D(2024, 12, 31), "Quý IV/2024"),
        ("2024-07", "month", D(2024, 7, 1), D(2024, 7, 31), "Tháng 7/2024"),
        ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29), "Tháng 2/2024"),  # a leap year
        ("2023-02", "month", D(2023, 2, 1), D(2023, 2, 28), "Tháng 2/2023"),
        ("2024-9M", "nine_months", D(2024, 1, 1), D(2024, 9, 30), "9 tháng năm 2024"),
        ("2019-06-30", "cutoff", D(2019, 6, 30), D(2019, 6, 30), "Tính đến ngày 30/6/2019"),
        ("2015-2020", "term", D(2015, 1, 1), D(2020, 12, 31), "Nhiệm kỳ 2015–2020"),
    ],
)
def test_period_id_gives_its_kind_dates_and_vietnamese_label(pid, kind, start, end, label):
    p = parse_period_id(pid)
    assert (p.id, p.kind, p.start, p.end, p.label) == (pid, kind, start, end, label)


def test_period_as_dict_has_iso_dates():
    assert parse_period_id("2024-Q3").as_dict() == {
        "id": "2024-Q3",
        "kind": "quarter",
        "label": "Quý III/2024",
        "label_en": "Q3 2024",
        "start": "2024-07-01",
        "end": "2024-09-30",
    }


@pytest.mark.parametrize(
    ("typed", "canonical"), [("2024-q3", "2024-Q3"), ("2024-h1", "2024-H1"), ("2024-9m", "2024-9M"), (" 2024 ", "2024")]
)
def test_period_id_in_lower_case_or_padded_is_read_as_canonical(typed, canonical):
    assert parse_period_id(typed).id == canonical


@pytest.mark.parametrize(
    "pid",
    [
        "",
        "abc",
        "24",
        "2024-13",
        "2024-00",
        "2024-7",
        "2024-Q0",
        "2024-Q5",
        "2024-H3",
        "2024Q3",
        "2024-10M",
        "2019-02-30",
        "2019-13-01",
        "1900",
        "3000",
        "2020-2015",
        "2024-2024",
        "2000-2020",
        "Q3-2024",
    ],
)
def test_invalid_period_id_raises_value_error(pid):
    with pytest.raises(ValueError):
        parse_period_id(pid)


def test_english_month_label_does_not_depend_on_the_locale():
    assert parse_period_id("2024-07").label_en == "July 2024"


# --- words → period --------------------------------------------------------------------------


def _first(text: str):
    found = find_periods(text)
    assert found, text
    return found[0]


@pytest.mark.parametrize(
    ("text", "pid", "kind", "start", "end"),
    [
        ("NĂM 2019", "2019", "year", D(2019, 1, 1), D(2019, 12, 31)),
        ("BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN NĂM 2019", "2019", "year", D(2019, 1, 1), D(2019, 12, 31)),
        ("QUÝ I NĂM 2023", "2023-Q1", "quarter", D(2023, 1, 1), D(2023, 3, 31)),
        ("Quý 3 năm 2024", "2024-Q3", "quarter", D(2024, 7, 1), D(2024, 9, 30)),
        ("QUÝ IV/2023", "2023-Q4", "quarter", D(2023, 10, 1), D(2023, 12, 31)),
        ("QUÍ I NĂM 2023", "2023-Q1", "quarter", D(2023, 1, 1), D(2023, 3, 31)),  # the "quí" spelling
        ("6 THÁNG ĐẦU NĂM 2024", "2024-H1", "half", D(2024, 1, 1), D(2024, 6, 30)),
        ("6 tháng cuối năm 2024", "2024-H2", "half", D(2024, 7, 1), D(2024, 12, 31)),
        ("9 THÁNG NĂM 2024", "2024-9M", "nine_months", D(2024, 1, 1), D(2024, 9, 30)),
        ("THÁNG 7 NĂM 2024", "2024-07", "month", D(2024, 7, 1), D(2024, 7, 31)),
        ("Tháng 12/2024", "2024-12", "month", D(2024, 12, 1), D(2024, 12, 31)),
        ("(Tính đến ngày 31/12/2019)", "2019-12-31", "cutoff", D(2019, 12, 31), D(2019, 12, 31)),
        ("Tính đến 31 tháng 12 năm 2019", "2019-12-31", "cutoff", D(2019, 12, 31), D(2019, 12, 31)),
        ("tính đến ngày 30 tháng 6 năm 2019", "2019-06-30", "cutoff", D(2019, 6, 30), D(2019, 6, 30)),
        # the term began with its congress in 2015; the title does not give the day, so its first year
        ("từ đầu nhiệm kỳ 2015 - 2020 đến ngày 30/6/2019", "2019-06-30", "term_to_date", D(2015, 1, 1), D(2019, 6, 30)),
        ("NHIỆM KỲ 2020 - 2025", "2020-2025", "term", D(2020, 1, 1), D(2025, 12, 31)),
        ("Nhiệm kỳ 2025–2030", "2025-2030", "term", D(2025, 1, 1), D(2030, 12, 31)),
    ],
)
def test_title_line_names_its_period(text, pid, kind, start, end):
    p = _first(text)
    assert (p.id, p.kind, p.start, p.end) == (pid, kind, start, end)


def test_term_to_date_is_identified_by_its_end_date():
    p = _first("từ đầu nhiệm kỳ 2015 - 2020 đến ngày 30/6/2019")
    assert p.id == "2019-06-30"
    assert p.end == D(2019, 6, 30)
    assert p.label == "Từ đầu nhiệm kỳ 2015–2020 đến ngày 30/6/2019"


@pytest.mark.parametrize(
    ("sheet", "pid"),
    [
        ("Quý I-2023", "2023-Q1"),
        ("Q1.2023", "2023-Q1"),
        ("Q3-2024", "2024-Q3"),
        ("Năm 2020", "2020"),
        ("2024", "2024"),
        ("T7-2024", "2024-07"),
        ("6T-2024", "2024-H1"),
        ("9T-2024", "2024-9M"),
    ],
)
def test_sheet_name_names_its_period(sheet, pid):
    assert _first(sheet).id == pid


@pytest.mark.parametrize(
    "text",
    [
        "Thái Bình, ngày 05 tháng 4 năm 2023",
        "Hà Nội, ngày 31/12/2019",
        "Thái Bình, ngày     tháng     năm 2024",  # the date line of a blank form
        "Thái Bình, ngày ... tháng ... năm 2024",
        "(Ban hành kèm theo Hướng dẫn số 11-HD/BTCTW ngày 12/5/2021)",
        "Biểu số 1-BTCTW",
        "ĐẢNG BỘ TỈNH THÁI BÌNH",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Sheet1",
        "",
        "NHIỆM KỲ 2025 - 2020",  # a term cannot end before it starts
    ],
)
def test_lines_that_are_not_period_names_yield_none(text):
    assert find_periods(text) == []


def test_find_periods_lists_the_most_specific_first():
    kinds = [p.kind for p in find_periods("6 THÁNG ĐẦU NĂM 2024 (tính đến 30/6/2024)")]
    assert kinds[0] == "half"
    assert set(kinds) == {"half", "year", "cutoff"}


@pytest.mark.parametrize(
    ("lines", "pid"),
    [
        (["BÁO CÁO THỐNG KÊ ĐẢNG VIÊN QUÝ II NĂM 2024", "(Tính đến ngày 30/6/2024)"], "2024-Q2"),
        (["BÁO CÁO SỐ LIỆU ĐẢNG VIÊN NĂM 2019", "(Tính đến ngày 31/12/2019)"], "2019"),
        (["ĐẢNG BỘ TỈNH THÁI BÌNH", "Thái Bình, ngày 05 tháng 4 năm 2023", "BÁO CÁO QUÝ I NĂM 2023"], "2023-Q1"),
        # a report for 2023 on a form dated the next year must not become 2024
        (["ĐẢNG BỘ TỈNH THÁI BÌNH", "Thái Bình, ngày    tháng    năm 2024", "BÁO CÁO ĐẢNG VIÊN NĂM 2023"], "2023"),
        (
            [
                "BAN TỔ CHỨC",
                "(Ban hành kèm theo Hướng dẫn số 11-HD/BTCTW ngày 12/5/2021)",
                "THỐNG KÊ 6 THÁNG ĐẦU NĂM 2024",
            ],
            "2024-H1",
        ),
        (["Kết quả từ đầu nhiệm kỳ 2015 - 2020 đến ngày 30/6/2019"], "2019-06-30"),
    ],
)
def test_title_block_gives_one_period(lines, pid):
    p = best_period(lines)
    assert p is not None
    assert p.id == pid


def test_title_block_without_a_period_gives_none():
    assert best_period([]) is None
    assert best_period(["ĐẢNG BỘ TỈNH THÁI BÌNH", "BAN TỔ CHỨC", "Biểu số 1-BTCTW"]) is None


@given(st.integers(min_value=1990, max_value=2090), st.integers(min_value=1, max_value=4))
def test_any_quarter_title_round_trips_to_its_id(y, q):
    roman = {1: "I", 2: "II", 3: "III", 4: "IV"}[q]
    p = best_period([f"BÁO CÁO QUÝ {roman} NĂM {y}"])
    assert p is not None
    assert p == parse_period_id(f"{y}-Q{q}")
    assert p.start == D(y, 3 * q - 2, 1)
    assert (p.end + dt.timedelta(days=1)) == (D(y + 1, 1, 1) if q == 4 else D(y, 3 * q + 1, 1))


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)))
def test_any_cutoff_date_round_trips_to_its_id(d):
    p = _first(f"(Tính đến ngày {d.day}/{d.month}/{d.year})")
    assert p.kind == "cutoff"
    assert p == parse_period_id(d.isoformat())
    assert p.start == p.end == d


@given(st.text(max_size=60))
def test_find_periods_never_raises_and_gives_real_periods(text):
    for p in find_periods(text):
        assert p.start <= p.end
        assert parse_period_id(p.id).end == p.end


@pytest.mark.parametrize(
    ("text", "pid"),
    [
        ("BÁO CÁO QUÝ I NĂM 2024 (từ tháng 1 đến tháng 3 năm 2024)", "2024-Q1"),
        ("Từ tháng 1 đến tháng 6 năm 2024", "2024-H1"),
        ("Từ tháng 7 đến hết tháng 12 năm 2024", "2024-H2"),
        ("Từ tháng 1 năm 2024 đến tháng 9 năm 2024", "2024-9M"),
        ("Từ tháng 10 đến tháng 12/2024", "2024-Q4"),
    ],
)
def test_span_of_months_names_the_period_it_makes_up_not_its_last_month(text, pid):
    p = best_period([text])
    assert p is not None
    assert p.id == pid


@pytest.mark.parametrize("text", ["Từ tháng 2 đến tháng 5 năm 2024", "Từ tháng 1 năm 2023 đến tháng 3 năm 2024"])
def test_span_of_months_that_is_no_reporting_period_is_not_a_month(text):
    assert all(p.kind != "month" and p.kind != "quarter" for p in find_periods(text))
