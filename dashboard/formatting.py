"""Number and date formats for every card, axis, hover, table and sentence.

Vietnamese writes "7.841" and "20,5%" (dot for thousands, comma for decimals); English "7,841" and
"20.5%". Rounding is half-up on the decimal value (0,125 → 0,13), as officials round by hand, and never
depends on the process locale. A missing value (None, NaN, pd.NA) is shown as an en dash.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

Lang = Literal["vi", "en"]

MISSING = "–"
MINUS = "\u2212"  # a real minus sign: "−3", as in print; "-3" looks like a hyphen
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def plotly_separators(lang: Lang = "vi") -> str:
    """Plotly's ``layout.separators`` (decimal first, then thousands): ",." for vi, ".," for en."""
    return ".," if lang == "en" else ",."


def is_missing(value: Any) -> bool:
    """True for None, NaN and pd.NA (without importing pandas)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and pd.NA (pd.NA != pd.NA is NA, whose bool raises)
    except TypeError:
        return True


def _decimal(value: Any) -> Decimal:
    # repr gives the shortest decimal that round-trips: 0.205 stays 0.205, not 0.20499999…
    return Decimal(repr(float(value))) if not isinstance(value, int | Decimal) else Decimal(value)


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def fmt_number(value: Any, digits: int = 0, lang: Lang = "vi") -> str:
    """A number with ``digits`` decimals, grouped: 7841 → "7.841", 38.87 (1) → "38,9" (en "7,841", "38.9")."""
    if is_missing(value):
        return MISSING
    if isinstance(value, float) and math.isinf(value):
        return MISSING
    d = _decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    thousands, decimal = (",", ".") if lang == "en" else (".", ",")
    sign = MINUS if d < 0 else ""
    text = f"{abs(d):f}"
    whole, _, frac = text.partition(".")
    out = _group(whole, thousands)
    if digits > 0:
        out += decimal + frac
    if sign and set(out) <= set("0.,"):  # "−0,0" reads as a change: show plain zero
        sign = ""
    return sign + out


def fmt_int(value: Any, lang: Lang = "vi") -> str:
    """A count: 7841 → "7.841" (en "7,841"); a fractional value (re-aggregated history) is rounded."""
    return fmt_number(value, 0, lang)


def fmt_pct(fraction: Any, digits: int = 1, lang: Lang = "vi") -> str:
    """A share given as a fraction: 0.205 → "20,5%" (en "20.5%")."""
    if is_missing(fraction):
        return MISSING
    return fmt_number(_decimal(fraction) * 100, digits, lang) + "%"


def _signed(text: str, value: Any) -> str:
    if text.startswith(MINUS) or set(text.rstrip("%")) <= set("0.,"):
        return text
    return "+" + text if _decimal(value) > 0 else text


def fmt_signed(value: Any, digits: int = 0, lang: Lang = "vi") -> str:
    """A change: +12, −3, 0 (with ``digits`` decimals if asked)."""
    if is_missing(value):
        return MISSING
    return _signed(fmt_number(value, digits, lang), value)


def fmt_signed_pct(fraction: Any, digits: int = 1, lang: Lang = "vi") -> str:
    """A relative change given as a fraction: 0.008 → "+0,8%", -0.1 → "−10,0%"."""
    if is_missing(fraction):
        return MISSING
    return _signed(fmt_pct(fraction, digits, lang), fraction)


def fmt_points(fraction: Any, digits: int = 1, lang: Lang = "vi") -> str:
    """A change of a share, in percentage points: 0.015 → "+1,5 điểm %" (en "+1.5 pp")."""
    if is_missing(fraction):
        return MISSING
    text = _signed(fmt_number(_decimal(fraction) * 100, digits, lang), fraction)
    return f"{text} pp" if lang == "en" else f"{text} điểm %"


def fmt_date(value: dt.date | None, lang: Lang = "vi", *, pad: bool = True) -> str:
    """30/06/2019; ``pad=False`` gives 30/6/2019 as official documents write it; en "30 Jun 2019"."""
    if value is None or is_missing(value):
        return MISSING
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if lang == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    if pad:
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    return f"{value.day}/{value.month}/{value.year}"


def safe_text(value: Any) -> str:
    """Text for Plotly labels and hovers, shown as written and never interpreted.

    Plotly reads ``<b>``, ``<br>``, ``<a href>`` and entities in labels: ``<``, ``>`` and ``&`` are escaped
    (Plotly turns the entities back into the characters on screen). A ``$`` is escaped too, because a label
    that starts and ends with ``$`` is otherwise handed to MathJax.
    """
    if is_missing(value):
        return MISSING
    return html.escape(str(value), quote=False).replace("$", "&#36;")
