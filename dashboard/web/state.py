"""The view's state lives in the URL, so a copied link reproduces the view.

``?period=2023-Q1&cmp=previous&org=KHOI&types=admin_agency,soe_100&lang=en&targets=adm:3,cfw:15``

``targets`` overrides the default targets (percent values, short keys in ``TARGET_KEYS``), so a view
with the committee's own targets can be shared as a link too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from loaders.catalogue import ORG_TYPE_IDS

COMPARISONS = ("previous", "same_last_year", "term_start")
# URL key → analytics.Targets field; values in the URL are percents (3 = 3%)
TARGET_KEYS = {"adm": "admissions_per_year", "cfw": "committee_female_min", "cfy": "committee_youth_min",
               "good": "good_or_better_min", "exc": "excellent_of_good_max"}


@dataclass(frozen=True)
class ViewState:
    period: str | None = None
    cmp: str = "previous"
    org: str | None = None  # an organization code (or id as text when it has no code)
    types: tuple[str, ...] = field(default_factory=tuple)
    lang: str = "vi"
    targets: tuple[tuple[str, float], ...] = field(default_factory=tuple)  # (Targets field, fraction), sorted

    def with_(self, **changes: object) -> ViewState:
        return replace(self, **changes)  # type: ignore[arg-type]


def parse(search: str | None) -> ViewState:
    """A query string (with or without "?") → state; anything unknown or malformed is ignored."""
    q = parse_qs((search or "").lstrip("?"), keep_blank_values=False)

    def one(key: str) -> str | None:
        values = q.get(key)
        return values[0].strip()[:64] if values and values[0].strip() else None

    cmp = one("cmp")
    types = tuple(t for t in (one("types") or "").split(",") if t in ORG_TYPE_IDS or t == "unknown")
    return ViewState(period=one("period"), cmp=cmp if cmp in COMPARISONS else "previous", org=one("org"),
                     types=types, lang="en" if one("lang") == "en" else "vi", targets=parse_targets(one("targets")))


def parse_targets(text: str | None) -> tuple[tuple[str, float], ...]:
    """``adm:3,cfw:15`` → ((field, 0.03), …); unknown keys and values outside 0–100 are ignored."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        key, _, value = part.partition(":")
        field_name = TARGET_KEYS.get(key.strip())
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            continue
        if field_name and 0 <= number <= 100:
            out[field_name] = round(number / 100, 6)
    return tuple(sorted(out.items()))


def format_targets(targets: tuple[tuple[str, float], ...]) -> str:
    keys = {v: k for k, v in TARGET_KEYS.items()}
    return ",".join(f"{keys[f]}:{round(v * 100, 4):g}" for f, v in targets if f in keys)


def build(state: ViewState) -> str:
    """State → "?…" (defaults left out, so links stay short)."""
    q: dict[str, str] = {}
    if state.period:
        q["period"] = state.period
    if state.cmp != "previous":
        q["cmp"] = state.cmp
    if state.org:
        q["org"] = state.org
    if state.types:
        q["types"] = ",".join(state.types)
    if state.lang != "vi":
        q["lang"] = state.lang
    if state.targets:
        q["targets"] = format_targets(state.targets)
    return "?" + urlencode(q, safe=",:") if q else ""
