"""Reporting periods: from ids ("2024-Q3") and from the words officials write ("QUÝ I NĂM 2023")."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from loaders.model import Period
from loaders.text import fold

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ROMAN_LABEL = {1: "I", 2: "II", 3: "III", 4: "IV"}
# fixed English names: calendar.month_name follows the process locale (a vi_VN locale gives "tháng bảy")
_MONTH_EN = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
# the kinds, most specific first: when a title names several, the first kind here wins
_SPECIFICITY = ("month", "quarter", "half", "nine_months", "year", "term_to_date", "cutoff", "term")


def _d(y: int, m: int, day: int) -> dt.date:
    return dt.date(y, m, day)


def _month_end(y: int, m: int) -> dt.date:
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def year(y: int) -> Period:
    return Period(str(y), "year", _d(y, 1, 1), _d(y, 12, 31), f"Năm {y}", f"Year {y}")


def quarter(y: int, q: int) -> Period:
    start = _d(y, 3 * q - 2, 1)
    return Period(f"{y}-Q{q}", "quarter", start, _month_end(y, 3 * q), f"Quý {_ROMAN_LABEL[q]}/{y}", f"Q{q} {y}")


def half(y: int, h: int) -> Period:
    if h == 1:
        return Period(f"{y}-H1", "half", _d(y, 1, 1), _d(y, 6, 30), f"6 tháng đầu năm {y}", f"H1 {y}")
    return Period(f"{y}-H2", "half", _d(y, 7, 1), _d(y, 12, 31), f"6 tháng cuối năm {y}", f"H2 {y}")


def nine_months(y: int) -> Period:
    return Period(f"{y}-9M", "nine_months", _d(y, 1, 1), _d(y, 9, 30), f"9 tháng năm {y}", f"9 months {y}")


def month(y: int, m: int) -> Period:
    return Period(f"{y}-{m:02d}", "month", _d(y, m, 1), _month_end(y, m), f"Tháng {m}/{y}", f"{_MONTH_EN[m]} {y}")


def _vi_date(d: dt.date) -> str:
    """30/6/2019, as official documents write dates (no leading zeros)."""
    return f"{d.day}/{d.month}/{d.year}"


def cutoff(d: dt.date) -> Period:
    vi = _vi_date(d)
    return Period(d.isoformat(), "cutoff", d, d, f"Tính đến ngày {vi}", f"As of {vi}")


def _is_term(y1: int, y2: int) -> bool:
    # a party term is five years (Điều lệ Đảng); shorter ones are allowed for bodies formed mid-term,
    # but one that ends before it starts, or spans more than one term, is a typing error
    return 0 < y2 - y1 <= 5


def term(y1: int, y2: int) -> Period:
    if not _is_term(y1, y2):
        raise ValueError(f"nhiệm kỳ không hợp lệ / invalid term: {y1}-{y2}")
    return Period(f"{y1}-{y2}", "term", _d(y1, 1, 1), _d(y2, 12, 31), f"Nhiệm kỳ {y1}–{y2}", f"Term {y1}–{y2}")


def term_to_date(y1: int, y2: int, d: dt.date) -> Period:
    if not _is_term(y1, y2):
        raise ValueError(f"nhiệm kỳ không hợp lệ / invalid term: {y1}-{y2}")
    vi = _vi_date(d)
    return Period(
        d.isoformat(), "term_to_date", _d(y1, 1, 1), d,
        f"Từ đầu nhiệm kỳ {y1}–{y2} đến ngày {vi}", f"Term {y1}–{y2} to {vi}",
    )


_ID_PATTERNS: tuple[tuple[re.Pattern[str], object], ...] = (
    (re.compile(r"^(\d{4})$"), lambda m: year(int(m[1]))),
    (re.compile(r"^(\d{4})-Q([1-4])$", re.I), lambda m: quarter(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})-H([12])$", re.I), lambda m: half(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})-9M$", re.I), lambda m: nine_months(int(m[1]))),
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), lambda m: month(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), lambda m: cutoff(dt.date(int(m[1]), int(m[2]), int(m[3])))),
    (re.compile(r"^(\d{4})-(\d{4})$"), lambda m: term(int(m[1]), int(m[2]))),
)


def parse_period_id(pid: str) -> Period:
    """A period id from domain.md → Period. Raises ValueError with a readable message."""
    s = pid.strip()
    for pattern, build in _ID_PATTERNS:
        if m := pattern.match(s):
            try:
                p = build(m)  # type: ignore[operator]
            except ValueError:
                break
            if _plausible_year(p.end.year):
                return p
            break
    raise ValueError(
        f"Mã kỳ không hợp lệ: {pid!r} (ví dụ 2024, 2024-H1, 2024-Q3, 2024-07, 2024-9M, 2019-06-30) / "
        f"invalid period id: {pid!r}"
    )


def _plausible_year(y: int) -> bool:
    return 1930 <= y <= 2100


# --- words → period -------------------------------------------------------------------------
_Y = r"(19[3-9]\d|20\d\d|2100)"
_SEP = r"\s*(?:nam|/|-|\.|,)?\s*"
_DATE_NUM = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*" + _Y + r"\b")
_DATE_WORDS = re.compile(r"\b(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+" + _Y + r"\b")
_CUTOFF_LEAD = re.compile(r"(tinh den|den ngay|den het ngay|tai thoi diem|thoi diem|den)\s*(ngay)?\s*$")
_TERM_TO_DATE = re.compile(r"tu dau nhiem ky\s*" + _Y + r"\s*-?\s*" + _Y)
_TERM = re.compile(r"nhiem ky\s*" + _Y + r"\s*-?\s*" + _Y)
_QUARTER = re.compile(r"\b(?:quy|qui|q)\s*(iv|iii|ii|i|[1-4])\b" + _SEP + _Y + r"\b")
_QUARTER_REV = re.compile(r"\b" + _Y + r"\s*-?\s*q([1-4])\b")
_HALF = re.compile(r"\b6\s*(?:thang|t)\s*(dau|cuoi)?\s*(?:nam)?" + _SEP + _Y + r"\b")
_NINE = re.compile(r"\b9\s*(?:thang|t)\s*(?:dau)?\s*(?:nam)?" + _SEP + _Y + r"\b")
_MONTH = re.compile(r"\b(?:thang|t)\s*(1[0-2]|0?[1-9])\b" + _SEP + _Y + r"\b")
_YEAR = re.compile(r"(?:\bnam\s+|^)" + _Y + r"\b")
# "từ tháng 1 đến tháng 3 năm 2024": a span of months, not the month it ends with
_MONTH_RANGE = re.compile(
    r"\btu\s+thang\s+(1[0-2]|0?[1-9])\s+(?:nam\s+" + _Y + r"\s+)?den\s+(?:het\s+)?thang\s+(1[0-2]|0?[1-9])"
    + _SEP + _Y + r"\b"
)
# the place-and-date line of a blank form: "Thái Bình, ngày ... tháng ... năm 2024" names no period
_BLANK_DATE = re.compile(r"\bngay\s+(?:\d{1,2}\s+)?thang\s+(?:\d{1,2}\s+)?nam\s+" + _Y + r"\b")
_REFERENCE = re.compile(r"(kem theo|huong dan so|quy dinh so|ban hanh|cong van so|\d+\s*-\s*(hd|qd|ct|nq|kh)\s*/)")


def _dates(text: str) -> list[tuple[int, int, dt.date]]:
    """All dates in folded text with their span: 31/12/2019 and "ngày 31 tháng 12 năm 2019"."""
    out = []
    for rx in (_DATE_NUM, _DATE_WORDS):
        for m in rx.finditer(text):
            try:
                out.append((m.start(), m.end(), dt.date(int(m[3]), int(m[2]), int(m[1]))))
            except ValueError:
                continue
    return sorted(out)


def _month_span(y: int, first: int, last: int) -> Period | None:
    """The period that months first..last of year y make up, if they make one (1–3 → Q1, 1–6 → H1)."""
    if (last - first == 2) and first % 3 == 1:
        return quarter(y, (first + 2) // 3)
    spans = {(1, 6): lambda: half(y, 1), (7, 12): lambda: half(y, 2), (1, 9): lambda: nine_months(y),
             (1, 12): lambda: year(y)}
    build = spans.get((first, last))
    return build() if build else None


def find_periods(text: str) -> list[Period]:
    """Every period named in one piece of text (a title line, a sheet name), most specific first."""
    f = fold(text)
    if not f or _REFERENCE.search(f):
        return []
    found: list[Period] = []
    dates = _dates(f)
    # cut-off dates: a date introduced by "tính đến", "đến ngày"; dates otherwise (place and date of
    # signing, "ngày 05 tháng 4 năm 2023") are removed before looking for other period words
    m_ttd = _TERM_TO_DATE.search(f)
    for start, _end, d in dates:
        lead = f[max(0, start - 25):start]
        if _CUTOFF_LEAD.search(lead):
            if m_ttd and m_ttd.start() < start and _is_term(int(m_ttd[1]), int(m_ttd[2])):
                found.append(term_to_date(int(m_ttd[1]), int(m_ttd[2]), d))
            else:
                found.append(cutoff(d))
    stripped = f
    for start, end, _d0 in reversed(dates):
        stripped = stripped[:start] + " " + stripped[end:]
    stripped = _BLANK_DATE.sub(" ", stripped)
    for m in _MONTH_RANGE.finditer(stripped):
        span = _month_span(int(m[4]), int(m[1]), int(m[3])) if m[2] in (None, m[4]) else None
        if span is not None:
            found.append(span)
    stripped = _MONTH_RANGE.sub(" ", stripped)
    for m in _QUARTER.finditer(stripped):
        q = _ROMAN.get(m[1]) or int(m[1])
        found.append(quarter(int(m[2]), q))
    for m in _QUARTER_REV.finditer(stripped):
        found.append(quarter(int(m[1]), int(m[2])))
    for m in _HALF.finditer(stripped):
        found.append(half(int(m[2]), 2 if m[1] == "cuoi" else 1))
    for m in _NINE.finditer(stripped):
        found.append(nine_months(int(m[1])))
    for m in _MONTH.finditer(stripped):
        found.append(month(int(m[2]), int(m[1])))
    if not m_ttd:
        for m in _TERM.finditer(stripped):
            if _is_term(int(m[1]), int(m[2])):
                found.append(term(int(m[1]), int(m[2])))
    no_terms = _TERM.sub(" ", stripped)
    for m in _YEAR.finditer(no_terms):
        found.append(year(int(m[1])))
    if re.fullmatch(_Y, stripped.strip()):
        found.append(year(int(stripped.strip())))
    found = [p for p in found if _plausible_year(p.end.year)]
    return sorted(dict.fromkeys(found), key=lambda p: _SPECIFICITY.index(p.kind))


def best_period(texts: list[str]) -> Period | None:
    """The period a block of title lines names: the most specific kind wins.

    A year together with a cut-off date at its 31/12 is that year; a quarter with its own end date is
    the quarter. Conflicting candidates of the same kind → the first one written.
    """
    candidates: list[Period] = []
    for t in texts:
        candidates.extend(find_periods(t))
    if not candidates:
        return None
    candidates.sort(key=lambda p: _SPECIFICITY.index(p.kind))
    return candidates[0]
