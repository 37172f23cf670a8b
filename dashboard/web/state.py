"""The view's state lives in the URL, so a copied link reproduces the view.

``?period=2023-Q1&cmp=previous&org=KHOI&types=admin_agency,soe_100&lang=en``
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from loaders.catalogue import ORG_TYPE_IDS

COMPARISONS = ("previous", "same_last_year", "term_start")


@dataclass(frozen=True)
class ViewState:
    period: str | None = None
    cmp: str = "previous"
    org: str | None = None  # an organization code (or id as text when it has no code)
    types: tuple[str, ...] = field(default_factory=tuple)
    lang: str = "vi"

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
                     types=types, lang="en" if one("lang") == "en" else "vi")


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
    return "?" + urlencode(q) if q else ""
