"""Cell values → numbers (loaders.numbers), by the rules in domain.md.

Counts are non-negative integers; blank is "not reported" (None), "-" is zero; "." groups thousands
and "," marks decimals ("7.841", "20,5%"); ratios are "20%", "20,5%", a fraction or "80/105".
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.issues import CODES
from loaders.numbers import parse_count, parse_flag, parse_ratio


def _code(problem):
    return None if problem is None else problem[0]


def _vn(n: int) -> str:
    """n written the Vietnamese way: "." between groups of three digits."""
    digits = str(n)
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ".".join(groups)


# --- parse_count: values that are counts -----------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (0, 0),
        (7841, 7841),
        (12.0, 12),  # Excel stores every number as a float
        ("7841", 7841),
        ("7.841", 7841),
        ("1.234.567", 1234567),
        ("105", 105),
        ("\u00a07.841\u00a0", 7841),  # non-breaking spaces around text pasted from Word
        (" 7.841\u200b ", 7841),  # a zero-width space after the number
        ("7\u00a0841", 7841),  # a non-breaking space as the thousands separator
        ("12,0", 12),  # a decimal comma with a zero fraction is a whole number
        ("1.234,00", 1234),
        ("-", 0),
        ("–", 0),  # en dash
        ("—", 0),  # em dash
    ],
)
def test_count_cells_written_as_whole_numbers_parse_to_their_value(cell, expected):
    assert parse_count(cell) == (expected, None)


@pytest.mark.parametrize("cell", [None, "", "   ", "\u00a0", "\u200b", "\t\n"])
def test_blank_count_cell_is_not_reported_rather_than_zero(cell):
    assert parse_count(cell) == (None, None)


def test_dash_is_zero_but_blank_is_none():
    assert parse_count("-")[0] == 0
    assert parse_count("")[0] is None


def test_numpy_scalars_from_pandas_readers_are_numbers():
    assert parse_count(np.int64(7841)) == (7841, None)
    assert parse_count(np.float64(7841.0)) == (7841, None)
    assert _code(parse_count(np.float64(1.5))[1]) == "not_integer"


# --- parse_count: values that are not counts -------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        (-3, "negative_value"),
        (-3.0, "negative_value"),
        ("-3", "negative_value"),
        ("-1.234", "negative_value"),
        (1.5, "not_integer"),
        ("1,5", "not_integer"),
        ("12,5", "not_integer"),
        (7.84, "not_integer"),  # two decimals: not a thousands separator
        (0.123, "not_integer"),  # "0.123" is no way to write 123
        ("7,841", "ambiguous_number"),  # 7841 in English, 7,841 in Vietnamese
        ("1,234,567", "ambiguous_number"),
        ("20%", "percent_in_count"),
        ("20,5%", "percent_in_count"),
        ("#REF!", "formula_error"),
        ("#DIV/0!", "formula_error"),
        ("#N/A", "formula_error"),
        ("#value!", "formula_error"),
        (dt.date(2024, 1, 7), "date_in_count"),
        (dt.datetime(2024, 7, 1, 0, 0), "date_in_count"),
        (dt.time(7, 41), "date_in_count"),
        (True, "invalid_number"),
        (False, "invalid_number"),
        ("abc", "invalid_number"),
        ("12 người", "invalid_number"),
        ("x", "invalid_number"),
        (float("nan"), "invalid_number"),
        ([1], "invalid_number"),
    ],
)
def test_count_cells_that_are_not_counts_become_their_issue_code(cell, code):
    value, problem = parse_count(cell)
    assert value is None
    assert _code(problem) == code


@pytest.mark.parametrize(("cell", "hint"), [(7.841, "7841"), (1.5, None), (105.234, "105234"), (1234.567, "1234567")])
def test_float_with_three_decimals_is_flagged_with_the_thousands_reading_as_hint(cell, hint):
    # 7.841 typed into an English-locale Excel arrives as the float 7.841; the official meant 7841
    _value, problem = parse_count(cell)
    if hint is None:
        assert _code(problem) == "not_integer"
    else:
        assert problem == ("decimal_thousands", {"hint": hint})


def test_a_number_of_thousands_of_digits_is_an_issue_not_a_crash():
    # Python refuses int() of more than 4300 digits; the loader must report, not raise
    assert _code(parse_count("1" * 5000)[1]) == "invalid_number"
    assert _code(parse_count("1" + ".000" * 1500)[1]) == "invalid_number"


# --- parse_count: properties -----------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**15))
def test_any_count_written_vietnamese_style_parses_back(n):
    assert parse_count(_vn(n)) == (n, None)
    assert parse_count(str(n)) == (n, None)
    assert parse_count(n) == (n, None)
    assert parse_count(float(n)) == (n, None)
    assert parse_count(f" {_vn(n)}\u00a0") == (n, None)


@given(st.integers(min_value=1, max_value=10**12))
def test_any_negative_count_is_reported_as_negative(n):
    assert _code(parse_count(-n)[1]) == "negative_value"
    assert _code(parse_count("-" + _vn(n))[1]) == "negative_value"


@given(st.text())
def test_any_text_parses_to_a_count_a_blank_or_a_known_issue(text):
    value, problem = parse_count(text)
    if problem is None:
        assert value is None or (isinstance(value, int) and value >= 0)
    else:
        assert value is None
        code, context = problem
        assert code in CODES
        assert isinstance(context, dict)


@given(st.text(alphabet=" \u00a0\u200b\t\n\u202f\u2009\ufeff"))
def test_whitespace_of_any_kind_is_blank(text):
    assert parse_count(text) == (None, None)


# --- parse_ratio ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "fraction"),
    [
        ("20%", 0.2),
        ("20,5%", 0.205),
        ("20 %", 0.2),
        ("100%", 1.0),
        ("0%", 0.0),
        (0.205, 0.205),  # Excel's 20,5% is stored as 0.205
        (20.5, 0.205),  # a "Tỷ lệ (%)" column holding percentage points
        ("20,5", 0.205),
        ("0,205", 0.205),
    ],
)
def test_percentages_and_fractions_become_a_fraction_of_one(cell, fraction):
    value, parts, problem = parse_ratio(cell)
    assert problem is None
    assert parts is None
    assert value == pytest.approx(fraction)


def test_ratio_written_as_count_over_count_keeps_both_counts():
    value, parts, problem = parse_ratio("80/105")
    assert problem is None
    assert parts == (80, 105)
    assert value == pytest.approx(80 / 105)


def test_ratio_over_thousands_reads_vietnamese_separators():
    value, parts, problem = parse_ratio("1.234/2.000")
    assert (parts, problem) == ((1234, 2000), None)
    assert value == pytest.approx(0.617)


@pytest.mark.parametrize(
    "cell", ["120%", "-5%", "5/0", "105/80", "abc", 150, -0.1, True, dt.date(2024, 1, 1), "1" * 5000 + "/" + "2" * 5000]
)
def test_impossible_or_unreadable_ratios_are_invalid(cell):
    assert parse_ratio(cell) == (None, None, ("invalid_ratio", {}))


@pytest.mark.parametrize("cell", [None, "", "  "])
def test_blank_ratio_is_not_reported(cell):
    assert parse_ratio(cell) == (None, None, None)


@given(st.text())
def test_any_text_parses_to_a_ratio_a_blank_or_invalid_ratio(text):
    value, parts, problem = parse_ratio(text)
    if problem is None:
        assert value is None or 0.0 <= value <= 1.0
    else:
        assert (value, parts, problem) == (None, None, ("invalid_ratio", {}))


# --- parse_flag -------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["x", "X", " x ", "có", "Có", "CÓ", 1, 1.0, "1", True, np.int64(1)])
def test_yes_marks_are_one(cell):
    assert parse_flag(cell) == (1, None)


@pytest.mark.parametrize("cell", [0, 0.0, "0", "không", "Không", "KHÔNG", "-", "–", False])
def test_no_marks_and_dash_are_zero(cell):
    assert parse_flag(cell) == (0, None)


@pytest.mark.parametrize("cell", [None, "", "   "])
def test_blank_flag_is_not_reported(cell):
    assert parse_flag(cell) == (None, None)


@pytest.mark.parametrize("cell", [2, 3.0, "2", "12"])
def test_flag_above_one_for_one_organization_is_its_own_issue(cell):
    assert parse_flag(cell) == (None, ("secretary_flag_over_one", {}))


@pytest.mark.parametrize("cell", ["abc", "?", "!!", 1.5, "0,5", -1, "-1", "20%", dt.date(2024, 1, 1)])
def test_anything_else_in_a_flag_cell_is_invalid(cell):
    # "-1" must not be read as the word "1" once its sign is folded away; "?" is not blank
    assert parse_flag(cell) == (None, ("invalid_flag", {}))
