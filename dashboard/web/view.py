"""From the URL's state to what a page shows: the period, the comparison, the scope, the filtered facts.

Pure functions of a ``Snapshot`` and a ``ViewState``, shared by the pages and the API.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import pandas as pd

from dashboard import analytics
from dashboard.web import cache, context
from dashboard.web.data import Snapshot
from dashboard.web.state import ViewState, build
from loaders.text import fold

T = TypeVar("T")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class View:
    period_id: int | None
    period_code: str | None
    period_label: str
    other_id: int | None
    root_id: int | None
    root_name: str
    types: tuple[str, ...]
    facts: pd.DataFrame  # the scope and types, every period
    orgs: pd.DataFrame
    periods: pd.DataFrame
    targets: analytics.Targets = analytics.DEFAULT_TARGETS  # the defaults with the URL's overrides


def default_period(periods: pd.DataFrame, facts: pd.DataFrame) -> str | None:
    """The latest period that has figures (quarters and years alike: the one ending last)."""
    if periods.empty:
        return None
    with_data = periods[periods["id"].isin(set(facts["period_id"]))] if not facts.empty else periods
    table = with_data if not with_data.empty else periods
    return str(table.sort_values(["end", "start"]).iloc[-1]["code"])


def find_org(orgs: pd.DataFrame, ref: str | None) -> pd.Series | None:
    """An organization by code (any case), or by id written as text."""
    if not ref or orgs.empty:
        return None
    codes, ids = _org_index(orgs)
    at = codes.get(ref.upper())
    if at is None and ref.isdigit():
        at = ids.get(int(ref))
    return orgs.iloc[at] if at is not None else None


@analytics.memoized
def _org_index(orgs: pd.DataFrame) -> tuple[dict[str, int], dict[int, int]]:
    """Upper-cased code → row position (the first row of a code), id → row position; made once per frame
    (upper-casing 55.000 codes for every request cost milliseconds)."""
    codes: dict[str, int] = {}
    for at, code in enumerate(orgs["code"].tolist()):
        if code is not None and code is not pd.NA and code == code:  # NaN is not equal to itself
            codes.setdefault(str(code).upper(), at)
    ids: dict[int, int] = {}
    for at, oid in enumerate(orgs["id"].tolist()):
        ids.setdefault(int(oid), at)
    return codes, ids


def root_of(orgs: pd.DataFrame) -> pd.Series | None:
    """The single top organization, when there is one."""
    roots = orgs[orgs["parent_id"].isna()] if not orgs.empty else orgs
    return roots.iloc[0] if len(roots) == 1 else None


MEMO_VIEWS = 256  # answers kept per snapshot (each snapshot, and so each scope and data version, has its own)


def remembered(snap: Snapshot, key: tuple, compute: Callable[[], T], *, shared: bool = False) -> T:
    """``compute()``'s result for ``key``, kept with the snapshot: pages answer a view they have answered
    before without recomputing, until the data (and so the snapshot) changes. Results must not be modified.

    ``shared``: also kept in the cache every worker shares (``dashboard.web.cache``, when REDIS_URL is set),
    keyed by store, data version, scope and ``key``. Only for what a callback or the API sends as it is:
    an answer computed by another worker comes back as its JSON (dicts, not figure or component objects)."""
    memo = snap.memo.setdefault("views", OrderedDict())
    with _LOCK:
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
    value = None
    if shared and cache.shared.enabled:
        shared_key = cache.view_key(snap, key, context.engine().url.render_as_string(hide_password=True))
        value = cache.shared.get(shared_key)
        if value is None:
            value = compute()
            cache.shared.set(shared_key, value)
    else:
        value = compute()
    with _LOCK:
        memo[key] = value
        while len(memo) > MEMO_VIEWS:
            memo.popitem(last=False)
    return value


def resolve(snap: Snapshot, state: ViewState) -> View:
    return remembered(snap, ("resolve", build(state.with_(lang="vi")), state.lang), lambda: _resolve(snap, state))


def _resolve(snap: Snapshot, state: ViewState) -> View:
    periods = snap.periods
    code = state.period if state.period in set(periods["code"]) else default_period(periods, snap.facts)
    row = periods[periods["code"] == code].iloc[0] if code else None
    period_id = int(row["id"]) if row is not None else None
    label = str(row["label"]) if row is not None else ""
    if row is not None and state.lang == "en":
        label = analytics.period_label_en(str(row["code"]), str(row["kind"]), label)
    other = analytics.comparison_period(periods, period_id, state.cmp) if period_id is not None else None  # type: ignore[arg-type]
    org = find_org(snap.orgs, state.org)
    root = org if org is not None else root_of(snap.orgs)
    root_id = int(root["id"]) if root is not None and org is not None else None
    root_name = str(root["name"]) if root is not None else ""
    facts = analytics.filter_facts(snap.facts, snap.orgs, root_id=root_id, org_types=state.types or None)
    targets = replace(analytics.DEFAULT_TARGETS, **dict(state.targets)) if state.targets else \
        analytics.DEFAULT_TARGETS
    return View(period_id, code, label, other, root_id, root_name, state.types, facts, snap.orgs, periods, targets)


def search_keys(snap: Snapshot) -> pd.Series:
    """Each organization's code and name folded for searching (no diacritics, lower case), by id; made once
    per snapshot (folding 55.000 names takes about a second)."""
    def make() -> pd.Series:
        orgs = snap.orgs
        if orgs.empty:
            return pd.Series(dtype="object")
        text = orgs["code"].where(orgs["code"].map(lambda c: isinstance(c, str)), "").astype(str) + " " + \
            orgs["name"].astype(str)
        return pd.Series(_folded(text.tolist()), index=orgs["id"].astype("int64").to_numpy())
    return remembered(snap, ("search-keys",), make)


_FOLDED: dict[str, str] = {}  # text → fold(text), kept across snapshots and scopes (names rarely change)
FOLDED_MAX = 250_000
_fold = getattr(fold, "__wrapped__", fold)  # past the loaders' small LRU cache, which 55.000 names would flush


def _folded(texts: list[str]) -> list[str]:
    """``fold`` of each text, remembered by the process: every scope's snapshot and every data version
    searches the same names, which would otherwise be folded again each time (a second at national size)."""
    distinct = set(texts)
    with _LOCK:
        known = {t: _FOLDED[t] for t in distinct if t in _FOLDED}
    done = {t: _fold(t) for t in distinct - known.keys()}
    with _LOCK:
        if len(_FOLDED) + len(done) > FOLDED_MAX:
            _FOLDED.clear()
        _FOLDED.update(done)
    known.update(done)
    return [known[t] for t in texts]
