"""Issue codes (loaders.issues): every code has a Vietnamese and an English message that fill in."""

from __future__ import annotations

import re
import string
import unicodedata

import pytest

from loaders.catalogue import METRIC_BY_ID
from loaders.issues import CODES, format_value, make_issue

ALL_CODES = sorted(CODES)

# A full context: every placeholder any template may use, with a realistic value
FULL_CONTEXT = {
    "sheet": "Quý I-2023",
    "cell": "G21",
    "org": "Đảng bộ xã Tân An",
    "metric": "members_female",
    "value": 64,
    "limit": 60,
    "expected": 58,
    "hint": "7841",
    "length": 40000,
    "full": 50,
    "probationary": 8,
    "opening": 7800,
    "increase": 120,
    "decrease": 79,
    "previous_period": "Quý IV/2022",
    "group": "Khối xã",
    "first_cell": "B12",
    "other_value": 63,
    "other_cell": "G40",
    "row": 21,
    "column": "H",
    "other_column": "G",
    "header": "Đảng viên nữ",
}

# Vietnamese letters that carry a diacritic (ă â ê ô ơ ư đ and any tone mark)
_VI_MARKS = set("ăâêôơưđĂÂÊÔƠƯĐ")


def _has_vietnamese_diacritics(text: str) -> bool:
    nfd = unicodedata.normalize("NFD", text)
    return any(ch in _VI_MARKS for ch in text) or any(unicodedata.combining(ch) for ch in nfd)


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_there_are_issue_codes():
    assert len(CODES) >= 30
    assert all(code == spec.code for code, spec in CODES.items())


@pytest.mark.parametrize("code", ALL_CODES)
def test_code_is_a_stable_snake_case_id(code):
    assert code == code.lower()
    assert code.replace("_", "").isalnum()
    assert code.isascii()


@pytest.mark.parametrize("code", ALL_CODES)
def test_code_has_a_severity_and_messages_in_both_languages(code):
    spec = CODES[code]
    assert spec.severity in ("error", "warning")
    assert _has_vietnamese_diacritics(spec.vi), spec.vi
    # English prose may quote Vietnamese ("QUÝ I NĂM 2023") and cite regulations ("366-QĐ/TW"), no more
    english_prose = re.sub(r"“[^”]*”|\S*QĐ\S*", "", spec.en)
    assert not _has_vietnamese_diacritics(english_prose), spec.en
    assert spec.vi != spec.en


@pytest.mark.parametrize("code", ALL_CODES)
def test_vietnamese_and_english_templates_use_the_same_facts(code):
    spec = CODES[code]
    vi = {"metric" if p == "metric_vi" else p for p in _placeholders(spec.vi)}
    en = {"metric" if p == "metric_en" else p for p in _placeholders(spec.en)}
    assert vi == en


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_placeholder_is_one_make_issue_can_fill(code):
    spec = CODES[code]
    known = set(FULL_CONTEXT) | {"metric_vi", "metric_en"}
    assert _placeholders(spec.vi) | _placeholders(spec.en) <= known


@pytest.mark.parametrize("code", ALL_CODES)
def test_make_issue_with_full_context_leaves_no_placeholder(code):
    issue = make_issue(code, **FULL_CONTEXT)
    for message in (issue.message_vi, issue.message_en):
        assert "?" not in message, message
        assert "{" not in message and "}" not in message, message
    assert issue.code == code
    assert issue.severity == CODES[code].severity
    assert (issue.sheet, issue.cell, issue.org, issue.metric, issue.value) == (
        "Quý I-2023",
        "G21",
        "Đảng bộ xã Tân An",
        "members_female",
        64,
    )


@pytest.mark.parametrize("code", ALL_CODES)
def test_message_names_the_cell_and_metric_where_its_template_does(code):
    spec = CODES[code]
    issue = make_issue(code, **FULL_CONTEXT)
    if "cell" in _placeholders(spec.vi):
        assert "G21" in issue.message_vi and "G21" in issue.message_en
    if "metric_vi" in _placeholders(spec.vi):
        assert METRIC_BY_ID["members_female"].vi in issue.message_vi
        assert METRIC_BY_ID["members_female"].en in issue.message_en
    if "value" in _placeholders(spec.vi):
        assert "64" in issue.message_vi and "64" in issue.message_en


def test_missing_context_shows_a_question_mark_rather_than_crashing():
    issue = make_issue("female_exceeds_total", cell="G21", value=64)
    assert "?" in issue.message_vi  # the limit was not given


def test_severity_can_be_overridden_per_issue():
    assert make_issue("balance_mismatch", severity="warning", **FULL_CONTEXT).severity == "warning"


def test_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError):
        make_issue("no_such_code")


def test_values_in_messages_are_written_vietnamese_style():
    issue = make_issue(
        "female_exceeds_total", cell="G21", org="Chi bộ A", metric="members_female", value=7841, limit=1234567
    )
    assert "7.841" in issue.message_vi and "1.234.567" in issue.message_vi
    assert "7841" not in issue.message_vi


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (7841, "7.841"),
        (1234567, "1.234.567"),
        (105, "105"),
        (0, "0"),
        (-7841, "-7.841"),
        (7841.0, "7.841"),
        (0.205, "0,205"),
        (20.5, "20,5"),
        (None, ""),
        ("abc", "abc"),
        (True, "True"),
    ],
)
def test_format_value_writes_numbers_vietnamese_style(value, shown):
    assert format_value(value) == shown


@pytest.mark.parametrize(("value", "shown"), [(1234.5, "1.234,5"), (0.1 + 0.2, "0,3")])
def test_format_value_groups_thousands_and_rounds_decimals(value, shown):
    assert format_value(value) == shown
