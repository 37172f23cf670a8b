"""Cell values → numbers, by the rules officials' files follow (documented in the README).

Each parser returns ``(value, problem)``: ``value`` is the number or None, ``problem`` is None or
``(issue_code, context)``. Nothing is ever guessed: an unclear value becomes an issue at its cell.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from typing import Any

from loaders.text import clean, fold

Problem = tuple[str, dict[str, Any]] | None

_DASHES = {"-", "–", "—", "−", "--", "---"}
_EXCEL_ERRORS = {
    "#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA",
}
_PLAIN = re.compile(r"^[+-]?\d+$")
_DOT_GROUPS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")  # 7.841, 1.234.567
_SPACE_GROUPS = re.compile(r"^[+-]?\d{1,3}(?: \d{3})+$")  # 7 841
_COMMA_GROUPS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")  # 7,841: English thousands or a Vietnamese decimal
_ZERO_DECIMALS = re.compile(r"^([+-]?\d+(?:\.\d{3})*)[,.]0+$")  # 12,0 / 1.234,00
_DECIMAL = re.compile(r"^[+-]?\d+(?:\.\d{3})*[,.]\d+$")
_PERCENT = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*%$")
_FRACTION = re.compile(r"^(\d+(?:\.\d{3})*)\s*/\s*(\d+(?:\.\d{3})*)$")
_YES = {"x", "co", "1", "v", "✓", "✔", "yes", "dung", "nhat the hoa", "x ( co )"}
_NO = {"0", "khong", "no", "k", "-"}


def _from_float(v: float) -> tuple[int | None, Problem]:
    if v != v or v in (float("inf"), float("-inf")):  # NaN or infinite
        return None, ("invalid_number", {})
    if v.is_integer():
        n = int(v)
        return (None, ("negative_value", {})) if n < 0 else (n, None)
    # 7.841 typed into an English-locale Excel: a decimal with exactly three decimals. The whole part
    # must be a leading thousands group (1..999…): 0.123 cannot have been written as "0.123" for 123.
    scaled = v * 1000
    if abs(scaled - round(scaled)) < 1e-6 and abs(v * 100 - round(v * 100)) > 1e-6 and v >= 1:
        return None, ("decimal_thousands", {"hint": str(round(scaled))})
    return None, ("not_integer", {})


def _to_int(digits: str) -> int | None:
    """int() of a digit string; None past Python's limit on digits (thousands of digits is not a count)."""
    try:
        return int(digits)
    except ValueError:
        return None


def parse_count(value: Any) -> tuple[int | None, Problem]:
    """A count cell → non-negative int; None for blank ("not reported"); "-" is 0."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, ("invalid_number", {})
    # numbers.Integral/Real, not int/float: readers built on pandas hand out numpy scalars
    if isinstance(value, numbers.Integral):
        n = int(value)
        return (n, None) if n >= 0 else (None, ("negative_value", {}))
    if isinstance(value, numbers.Real):
        return _from_float(float(value))
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return None, ("date_in_count", {})
    if not isinstance(value, str):
        return None, ("invalid_number", {})
    s = clean(value)
    if not s:
        return None, None
    if s in _DASHES:
        return 0, None
    n: int | None
    if _PLAIN.match(s):
        n = _to_int(s)
    elif _DOT_GROUPS.match(s):
        n = _to_int(s.replace(".", ""))
    elif _SPACE_GROUPS.match(s):
        n = _to_int(s.replace(" ", ""))
    elif (m := _ZERO_DECIMALS.match(s)) and not _COMMA_GROUPS.match(s):
        n = _to_int(m.group(1).replace(".", ""))
    elif _COMMA_GROUPS.match(s):
        return None, ("ambiguous_number", {})
    elif s.upper() in _EXCEL_ERRORS or (s.startswith("#") and s.endswith(("!", "?"))):
        return None, ("formula_error", {})
    elif _PERCENT.match(s):
        return None, ("percent_in_count", {})
    elif _DECIMAL.match(s):
        return None, ("not_integer", {})
    else:
        return None, ("invalid_number", {})
    if n is None:
        return None, ("invalid_number", {})
    return (n, None) if n >= 0 else (None, ("negative_value", {}))


def _vn_float(s: str) -> float:
    """"20,5" → 20.5; "20.5" → 20.5 (a lone separator followed by decimals)."""
    return float(s.replace(",", "."))


def parse_ratio(value: Any) -> tuple[float | None, tuple[int, int] | None, Problem]:
    """A ratio cell → (fraction 0..1, (numerator, denominator) if written as "80/105", problem).

    "20%" / "20,5%" are percentages; a bare number ≤ 1 is a fraction (Excel's 0,205 shown as 20,5%);
    a bare number above 1 and up to 100 is in percentage points (a "Tỷ lệ (%)" column).
    """
    if value is None:
        return None, None, None
    if isinstance(value, (bool, dt.date, dt.datetime)):
        return None, None, ("invalid_ratio", {})
    if isinstance(value, numbers.Real):
        v = float(value)
        if v < 0 or v > 100 or v != v:
            return None, None, ("invalid_ratio", {})
        return (v if v <= 1 else v / 100), None, None
    s = clean(str(value))
    if not s or s in _DASHES:
        return None, None, None
    if m := _PERCENT.match(s):
        v = _vn_float(m.group(1))
        if 0 <= v <= 100:
            return v / 100, None, None
        return None, None, ("invalid_ratio", {})
    if m := _FRACTION.match(s):
        num = _to_int(m.group(1).replace(".", ""))
        den = _to_int(m.group(2).replace(".", ""))
        if num is None or den is None or den == 0 or num > den:
            return None, None, ("invalid_ratio", {})
        return num / den, (num, den), None
    if re.match(r"^\d+(?:[.,]\d+)?$", s):
        return parse_ratio(_vn_float(s))
    return None, None, ("invalid_ratio", {})


def parse_flag(value: Any) -> tuple[int | None, Problem]:
    """A yes/no cell (secretary is also the head): 1/0, "x", "có"/"không"; blank is not reported; "-" is 0."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return int(value), None
    if isinstance(value, numbers.Real):
        if value in (0, 1):
            return int(value), None
        if not float(value).is_integer():
            return None, ("invalid_flag", {})
        return None, ("secretary_flag_over_one", {}) if value > 1 else ("invalid_flag", {})
    s = clean(str(value))
    if not s:
        return None, None
    # "-" is zero, as in a count cell; checked on the clean text because fold() drops punctuation
    if s in _DASHES:
        return 0, None
    # anything number-like goes by its number, so "-1" or "1,5" is not read as the word "1"
    n, problem = parse_count(s)
    if problem is None and n is not None:
        return parse_flag(n)
    if problem is not None and problem[0] != "invalid_number":
        return None, ("invalid_flag", {})
    f = fold(s)
    if f in _YES:
        return 1, None
    if f in _NO:
        return 0, None
    return None, ("invalid_flag", {})
