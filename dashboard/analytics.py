"""Pure pandas over the store's frames: filter, add up, ratios and targets, period comparison, checks.

Three frames come in (as ``dashboard.store.queries`` returns them):

* **facts**: ``org_id``, ``period_id``, then one nullable integer column per metric of
  ``loaders.catalogue.METRICS`` (any subset of them). Blank is "not reported", never zero.
* **orgs**: ``id``, ``code``, ``name``, ``org_type``, ``parent_id``, ``level``, ``valid_from``, ``valid_to``.
* **periods**: ``id``, ``code``, ``kind``, ``start``, ``end``, ``label``.

Nothing here reads a file or a database or knows about Dash; every function returns a new frame.

Results are memoized for *pinned* frames (:func:`pin`: the dashboard pins its snapshot's frames, and a
memoized result is pinned in turn), keyed by the frames' identity and the other arguments: a page that
asks again for the same sums of the same frames gets them without recomputing. Frames are never modified
in place here, and callers must not modify what they get.

Adding up never double counts: only the organizations in the facts frame are summed, once per period,
and when an organization and one of its descendants both carry figures for the same period, the more
detailed figures (the descendant's) are the ones summed (see :func:`reporting_units`).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd

from loaders.catalogue import METRIC_IDS, ORG_TYPE_BY_ID, ORG_TYPE_IDS

Lang = Literal["vi", "en"]
ComparisonMode = Literal["previous", "same_last_year", "term_start"]
COMPARISONS: tuple[str, ...] = ("previous", "same_last_year", "term_start")

MET, NOT_MET = "met", "not_met"
UNKNOWN_TYPE = "unknown"  # an organization with no org_type (usually a grouping level)

FLOWS_IN: tuple[str, ...] = ("admitted", "transferred_in", "reinstated")
FLOWS_OUT: tuple[str, ...] = ("deceased", "expelled", "removed", "resigned", "transferred_out")
RATINGS: tuple[str, ...] = ("rated_excellent", "rated_good", "rated_complete", "rated_failed")
DISCIPLINE_FORMS: tuple[str, ...] = (
    "disciplined_reprimand", "disciplined_warning", "disciplined_dismissal", "disciplined_expulsion",
)
KEYS = ("org_id", "period_id")
_MONTHS_BY_KIND = {"month": 1, "quarter": 3, "half": 6, "nine_months": 9, "year": 12}


# --- memoization over pinned frames ---------------------------------------------------------------
_PINNED: weakref.WeakValueDictionary[int, pd.DataFrame] = weakref.WeakValueDictionary()
_MEMO: OrderedDict[tuple, tuple[tuple, object, int]] = OrderedDict()  # key → (frames' refs, result, bytes)
_MEMO_LOCK = threading.Lock()
MEMO_SIZE = 4096  # results kept (least recently used dropped; 512 evicted the intermediate results of 35 scopes
# under load and cost 13 % more CPU per callback; the byte budget below is what bounds memory)
MEMO_BYTES = 768 * 2**20  # and at most this much in frames (at national size one result may be 50 MB)
_memo_bytes = 0
_last_scan = 0.0
SCAN_SECONDS = 1.0
_frames_gone = False  # set when a frame that results were computed from is freed (see _remember)


def pin(frame: pd.DataFrame) -> pd.DataFrame:
    """Mark a frame as immutable from now on, so results computed from it may be memoized."""
    _PINNED[id(frame)] = frame
    return frame


def _pinned(frame: pd.DataFrame) -> bool:
    return _PINNED.get(id(frame)) is frame


def _freeze(value: object) -> object:
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def memoized(fn: Callable) -> Callable:
    """Memoize ``fn`` when every frame among its arguments is pinned (otherwise just call it)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        frames = [a for a in (*args, *kwargs.values()) if isinstance(a, pd.DataFrame)]
        if not frames or not all(_pinned(f) for f in frames):
            return fn(*args, **kwargs)
        try:
            key = (fn.__qualname__,
                   tuple(("frame", id(a)) if isinstance(a, pd.DataFrame) else _freeze(a) for a in args),
                   tuple(sorted((k, ("frame", id(v)) if isinstance(v, pd.DataFrame) else _freeze(v))
                                for k, v in kwargs.items())))
            hash(key)
        except TypeError:
            return fn(*args, **kwargs)
        refs = tuple(weakref.ref(f, _frame_gone) for f in frames)
        with _MEMO_LOCK:
            hit = _MEMO.get(key)
            if hit is not None and all(r() is f for r, f in zip(hit[0], frames, strict=True)):
                _MEMO.move_to_end(key)
                return hit[1]
        result = fn(*args, **kwargs)
        if isinstance(result, pd.DataFrame):
            pin(result)
        # a result that is one of its inputs (filter_facts with no filter) takes no memory of its own
        _remember(key, refs, result, 0 if any(result is f for f in frames) else _size(result))
        return result

    return wrapper


def _size(result: object) -> int:
    """About the bytes a result holds (8 a cell: an estimate is enough for a budget, and cheap)."""
    if isinstance(result, pd.DataFrame):
        return 8 * len(result) * (result.shape[1] + 1)
    if isinstance(result, pd.Series):
        return 16 * len(result)
    if isinstance(result, np.ndarray):
        return int(result.nbytes)
    if isinstance(result, tuple | list):
        return sum(_size(r) for r in result)
    return 0


def _frame_gone(_ref: weakref.ref) -> None:
    """A frame some result was computed from was freed: the next ``_remember`` looks for such results."""
    global _frames_gone
    _frames_gone = True


def _remember(key: tuple, refs: tuple, result: object, size: int) -> None:
    """Keep a result; drop those of frames that are gone (an older snapshot), then the least recently used
    beyond MEMO_SIZE entries or MEMO_BYTES."""
    global _memo_bytes, _frames_gone, _last_scan
    with _MEMO_LOCK:
        old = _MEMO.pop(key, None)
        if old is not None:
            _memo_bytes -= old[2]
        _MEMO[key] = (refs, result, size)
        _memo_bytes += size
        now = time.monotonic()
        # the whole memo is looked through only when a frame was freed since the last look, and at most once a
        # second (results evicted below free frames too: a look at every call cost 1–2 ms under load)
        if _frames_gone and now - _last_scan >= SCAN_SECONDS:
            _frames_gone, _last_scan = False, now
            dead = [k for k, (rs, _r, _s) in _MEMO.items() if any(r() is None for r in rs)]
            for k in dead:
                _memo_bytes -= _MEMO.pop(k)[2]
        while len(_MEMO) > 1 and (len(_MEMO) > MEMO_SIZE or _memo_bytes > MEMO_BYTES):
            _memo_bytes -= _MEMO.popitem(last=False)[1][2]


@memoized
def period_slice(facts: pd.DataFrame, period_id: int) -> pd.DataFrame:
    """The rows of one period (memoized for a pinned frame); a frame in period order (as the dashboard keeps
    its snapshot) gives a contiguous slice without scanning a million rows."""
    periods = facts["period_id"].to_numpy()
    if periods.size and bool((periods[:-1] <= periods[1:]).all()):
        start = np.searchsorted(periods, period_id, side="left")
        end = np.searchsorted(periods, period_id, side="right")
        return facts.iloc[int(start):int(end)]
    return facts[facts["period_id"] == period_id]


# --- targets and ratios ------------------------------------------------------------------------
@dataclass(frozen=True)
class Targets:
    """Targets worth tracking (domain.md); the values change by term, so they are configurable.

    Shares are fractions: 0.15 is 15%. ``admissions_per_year`` is admissions in a year over members.
    """

    committee_female_min: float = 0.15
    committee_youth_min: float = 0.10
    admissions_per_year: float = 0.03
    good_or_better_min: float = 0.90
    excellent_of_good_max: float = 0.20


DEFAULT_TARGETS = Targets()


@dataclass(frozen=True)
class Ratio:
    """A ratio of sums: sum(numerator parts) / sum(denominator) × scale, over organizations reporting both."""

    id: str
    numerator: tuple[str, ...]
    denominator: str  # a metric, or "@organizations": the organizations reporting the numerator
    scale: int
    vi: str
    en: str
    target: str | None = None  # a Targets field
    at_most: bool = False  # the target is a ceiling, not a floor


RATIOS: tuple[Ratio, ...] = (
    Ratio("women_pct", ("members_female",), "members_total", 1, "Tỷ lệ đảng viên nữ", "Women among members"),
    Ratio("ethnic_minority_pct", ("members_ethnic_minority",), "members_total", 1,
          "Tỷ lệ đảng viên dân tộc thiểu số", "Ethnic minorities among members"),
    Ratio("probationary_pct", ("members_probationary",), "members_total", 1,
          "Tỷ lệ đảng viên dự bị", "Probationary members"),
    Ratio("committee_female_pct", ("committee_female",), "committee_members", 1,
          "Tỷ lệ cấp ủy viên nữ", "Women among committee members", "committee_female_min"),
    Ratio("committee_youth_pct", ("committee_youth",), "committee_members", 1,
          "Tỷ lệ cấp ủy viên trẻ", "Young committee members", "committee_youth_min"),
    Ratio("committee_ethnic_minority_pct", ("committee_ethnic_minority",), "committee_members", 1,
          "Tỷ lệ cấp ủy viên dân tộc thiểu số", "Ethnic minorities among committee members"),
    Ratio("admissions_per_100", ("admitted",), "members_total", 100,
          "Kết nạp trên 100 đảng viên", "Admissions per 100 members", "admissions_per_year"),
    Ratio("discipline_per_1000", ("disciplined_total",), "members_total", 1000,
          "Kỷ luật trên 1.000 đảng viên", "Disciplined per 1,000 members"),
    Ratio("secretary_head_pct", ("secretary_is_head",), "@organizations", 1,
          "Tỷ lệ bí thư đồng thời là thủ trưởng", "Secretary is also the head"),
    Ratio("good_or_better_pct", ("rated_excellent", "rated_good"), "rated_total", 1,
          "Tỷ lệ hoàn thành tốt nhiệm vụ trở lên", "Rated good or better", "good_or_better_min"),
    Ratio("excellent_of_good", ("rated_excellent",), "rated_good", 1,
          "Xuất sắc so với hoàn thành tốt", "Excellent relative to good", "excellent_of_good_max", at_most=True),
)
RATIO_BY_ID: dict[str, Ratio] = {r.id: r for r in RATIOS}


def metric_columns(frame: pd.DataFrame) -> list[str]:
    """The catalogue metrics present as columns, in catalogue order."""
    return [m for m in METRIC_IDS if m in frame.columns]


def org_type_name(type_id: str | None, lang: Lang = "vi") -> str:
    """The catalogue name of an organization type ("Đơn vị sự nghiệp" / "Public service units")."""
    t = ORG_TYPE_BY_ID.get(type_id or "")
    if t is None:
        return "Unspecified type" if lang == "en" else "Chưa xác định loại hình"
    return t.en if lang == "en" else t.vi


# --- the tree ----------------------------------------------------------------------------------
def _parent_lookup(orgs: pd.DataFrame) -> np.ndarray:
    """Dense array: position = org id, value = parent id or -1 (walking up the tree in numpy)."""
    ids = orgs["id"].to_numpy(dtype=np.int64)
    parents = pd.array(orgs["parent_id"], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
    lookup = np.full(int(ids.max()) + 2 if ids.size else 1, -1, dtype=np.int64)
    lookup[ids] = parents
    return lookup


def _up(lookup: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Parent of each id (-1 for a root or an id the registry does not know)."""
    known = (ids >= 0) & (ids < lookup.size)
    return np.where(known, lookup[np.clip(ids, 0, lookup.size - 1)], -1)


def _parent_series(orgs: pd.DataFrame) -> pd.Series:
    """org id → parent id (Int64, NA for a root)."""
    return pd.Series(pd.array(orgs["parent_id"], dtype="Int64"), index=pd.Index(orgs["id"].astype("int64")))


@memoized
def completeness(orgs: pd.DataFrame, facts: pd.DataFrame, periods: pd.DataFrame, period_id: int,
                 roots: tuple[int | None, ...] = (None,)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who should report for a period and who has not: ``(expected, missing)``, rows of ``orgs``.

    Expected: organizations active on the period's last day with no active sub-organization (the ones that
    report), under ``roots`` (``None``: every organization). Reported: those with figures for the period.
    """
    row = periods[periods["id"] == period_id]
    if row.empty or orgs.empty:
        return orgs.iloc[0:0], orgs.iloc[0:0]
    end = row["end"].iloc[0]
    start_ok = orgs["valid_from"].map(lambda d: d is None or pd.isna(d) or d <= end)
    end_ok = orgs["valid_to"].map(lambda d: d is None or pd.isna(d) or end <= d)
    active = orgs[(start_ok & end_ok).to_numpy(dtype=bool)]
    parents = set(pd.array(active["parent_id"], dtype="Int64").dropna().astype(int).tolist())
    expected = active[~_in(active["id"], sorted(parents))]
    if any(r is not None for r in roots):
        within: set[int] = set()
        for r in roots:
            within |= set(orgs["id"].tolist()) if r is None else descendants(orgs, int(r))
        expected = expected[_in(expected["id"], sorted(within))]
    expected = expected.sort_values(["code", "name"], na_position="first", key=lambda c: c.fillna("")) \
        .reset_index(drop=True)
    reported = period_slice(facts, period_id)["org_id"].unique() if len(facts) else []
    missing = expected[~_in(expected["id"], reported)].reset_index(drop=True)
    return expected, missing


def descendants(orgs: pd.DataFrame, root_id: int) -> set[int]:
    """The ids of ``root_id`` and every organization under it (``orgs``: id, parent_id)."""
    return set(descendant_ids(orgs, root_id).tolist())


@memoized
def descendant_ids(orgs: pd.DataFrame, root_id: int) -> np.ndarray:
    """:func:`descendants` as a sorted array, found level by level in numpy (memoized for a pinned frame)."""
    if int(root_id) < 0:
        return np.array([int(root_id)], dtype=np.int64)
    ids = orgs["id"].to_numpy(dtype=np.int64)
    parents = pd.array(orgs["parent_id"], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
    top = int(max(ids.max(initial=-1), parents.max(initial=-1), int(root_id))) + 1
    inside = np.zeros(top, dtype=bool)
    inside[int(root_id)] = True
    frontier = inside.copy()
    has_parent = parents >= 0
    while True:  # each pass adds one level; an organization already inside is not added again (cycles end)
        step = has_parent.copy()
        step[has_parent] = frontier[parents[has_parent]]
        new = ids[step & ~inside[ids]]
        if new.size == 0:
            break
        frontier = np.zeros(top, dtype=bool)
        frontier[new] = True
        inside[new] = True
    return np.flatnonzero(inside).astype(np.int64)


def _ids(values: Iterable[int] | pd.Series | np.ndarray) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index | np.ndarray | list | tuple):
        return np.asarray(values, dtype=np.int64)
    return np.fromiter((int(a) for a in values), dtype=np.int64)


def _in(values: pd.Series | np.ndarray, allowed: Iterable[int] | pd.Series | np.ndarray) -> np.ndarray:
    """Membership mask; a lookup table beats ``isin`` on large integer columns."""
    allowed_arr = _ids(allowed)
    arr = np.asarray(values, dtype=np.int64)
    if arr.size == 0 or allowed_arr.size == 0:
        return np.zeros(arr.size, dtype=bool)
    top = int(max(arr.max(), allowed_arr.max()))
    if min(arr.min(), allowed_arr.min()) < 0 or top > 50_000_000:
        return np.isin(arr, allowed_arr)
    table = np.zeros(top + 1, dtype=bool)
    table[allowed_arr] = True
    return table[arr]


@memoized
def filter_facts(facts: pd.DataFrame, orgs: pd.DataFrame, *, root_id: int | None = None,
                 org_types: Sequence[str] | None = None, period_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Facts of the subtree under ``root_id`` (itself included), of the given types, in the given periods.

    ``None`` means no restriction; an empty ``org_types`` list keeps nothing.
    """
    if root_id is None and org_types is None and period_ids is None:
        return facts
    mask = np.ones(len(facts), dtype=bool)
    if root_id is not None:
        mask &= _in(facts["org_id"], descendant_ids(orgs, root_id))
    if org_types is not None:
        wanted = set(org_types)
        types = orgs.set_index("id")["org_type"].fillna(UNKNOWN_TYPE)
        ids = types.index[types.isin(wanted)]
        mask &= _in(facts["org_id"], ids.tolist())
    if period_ids is not None:
        mask &= _in(facts["period_id"], period_ids)
    return facts.loc[mask].reset_index(drop=True)


@memoized
def reporting_units(facts: pd.DataFrame, orgs: pd.DataFrame | None) -> pd.DataFrame:
    """The rows to add up: an organization's row is left out for a period in which one of its
    descendants also has a row, so a group's own total never adds to its members' figures."""
    if facts.empty or orgs is None or orgs.empty:
        return facts
    lookup = _parent_lookup(orgs)
    org_ids = facts["org_id"].to_numpy(dtype=np.int64)
    if org_ids.min() >= 0 and org_ids.max() < 50_000_000:  # distinct ids without sorting a million of them
        seen = np.zeros(int(org_ids.max()) + 1, dtype=bool)
        seen[org_ids] = True
        reporting = np.flatnonzero(seen)
    else:
        reporting = np.unique(org_ids)
    # quick pass over distinct organizations: is any reporting organization an ancestor of another?
    level, nested = reporting, False
    for _ in range(64):
        up = _up(lookup, level)
        up = np.unique(up[up >= 0])
        if up.size == 0:
            break
        if _in(up, reporting).any():
            nested = True
            break
        level = up
    if not nested:
        return facts
    periods = facts["period_id"].to_numpy(dtype=np.int64)
    covered = []
    walk_org, walk_period = org_ids, periods
    for _ in range(64):
        walk_org = _up(lookup, walk_org)
        keep = walk_org >= 0
        walk_org, walk_period = walk_org[keep], walk_period[keep]
        if walk_org.size == 0:
            break
        covered.append(pd.DataFrame({"org_id": walk_org, "period_id": walk_period}).drop_duplicates())
    ancestors = pd.MultiIndex.from_frame(pd.concat(covered).drop_duplicates())
    drop = pd.MultiIndex.from_arrays([org_ids, periods]).isin(ancestors)
    return facts.loc[~drop].reset_index(drop=True)


def _with_type(facts: pd.DataFrame, orgs: pd.DataFrame) -> pd.DataFrame:
    types = orgs.set_index("id")["org_type"]
    return facts.assign(org_type=types.reindex(facts["org_id"].to_numpy()).fillna(UNKNOWN_TYPE).to_numpy())


def _type_order(types: pd.Series) -> pd.Series:
    order = {t: i for i, t in enumerate((*ORG_TYPE_IDS, UNKNOWN_TYPE))}
    return types.map(lambda t: order.get(t, len(order)))


# --- totals ------------------------------------------------------------------------------------
def _chosen(frame: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    present = metric_columns(frame)
    return present if metrics is None else [m for m in present if m in set(metrics)]


def _group_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's group number (groups in sorted key order) and the frame of the groups' keys."""
    codes = np.zeros(len(frame), dtype=np.int64)
    uniques_by_key = []
    for key in keys:
        key_codes, uniques = pd.factorize(frame[key], sort=True, use_na_sentinel=False)
        codes = codes * max(len(uniques), 1) + key_codes
        uniques_by_key.append(uniques)
    sizes = [max(len(u), 1) for u in uniques_by_key]
    total = int(np.prod(sizes)) if sizes else 1
    if total <= 4 * len(frame) + 1_000:  # dense: the present combinations, without sorting rows
        present = np.bincount(codes, minlength=total) > 0
        combos = np.flatnonzero(present)
        remap = np.cumsum(present) - 1
        codes = remap[codes]
    else:
        combos, codes = np.unique(codes, return_inverse=True)
    parts = np.unravel_index(combos, sizes) if keys else ()
    key_frame = pd.DataFrame({k: np.asarray(u)[p] for k, u, p in zip(keys, uniques_by_key, parts, strict=True)})
    return codes, key_frame


def _sum(frame: pd.DataFrame, keys: list[str], metrics: Sequence[str] | None = None) -> pd.DataFrame:
    chosen = _chosen(frame, metrics)
    if frame.empty:
        cols = {k: pd.Series(dtype="int64") for k in keys}
        cols.update({"organizations": pd.Series(dtype="int64"), "secretary_reported": pd.Series(dtype="int64")})
        cols.update({m: pd.Series(dtype="Int64") for m in chosen})
        return pd.DataFrame(cols)
    codes, out = _group_codes(frame, keys)
    n = len(out)
    # the store keeps a row only for an organization that reported something in the period
    out["organizations"] = np.bincount(codes, minlength=n).astype("int64")
    if "secretary_is_head" in frame.columns:
        out["secretary_reported"] = np.bincount(codes[_values(frame["secretary_is_head"])[1]],
                                                minlength=n).astype("int64")
    else:
        out["secretary_reported"] = np.zeros(n, dtype="int64")
    for m in chosen:
        values, reported = _values(frame[m])
        sums = np.bincount(codes, weights=values, minlength=n)
        seen = np.bincount(codes[reported], minlength=n) > 0
        out[m] = pd.arrays.IntegerArray(np.rint(sums).astype("int64"), ~seen)
    return out


@memoized
def totals_by_period(facts: pd.DataFrame, orgs: pd.DataFrame | None = None, *,
                     metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per period: ``organizations`` (with a row in the period), ``secretary_reported`` (reporting
    secretary_is_head) and each metric summed (NA where no organization reported it).

    Give ``orgs`` to guard against nested rows; ``metrics`` limits the sums to the ones needed (summing
    all 33 over 52.000 organizations × 20 quarters takes ~0,3 s, one metric ~20 ms). For a pinned frame every
    metric is summed once and the subsets asked for are taken from that (memoized) result.
    """
    if metrics is not None and _pinned(facts) and (orgs is None or _pinned(orgs)):
        full = totals_by_period(facts, orgs)
        wanted = set(metrics)
        return full[[c for c in full.columns if c not in METRIC_IDS or c in wanted]]
    return _sum(reporting_units(facts, orgs), ["period_id"], metrics)


@memoized
def totals_by_org_type(facts: pd.DataFrame, orgs: pd.DataFrame, *,
                       metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (period_id, org_type), types in catalogue order; no type → ``UNKNOWN_TYPE``."""
    units = _with_type(reporting_units(facts, orgs), orgs)
    out = _sum(units, ["period_id", "org_type"], metrics)
    if out.empty:
        return out
    out = out.assign(_o=_type_order(out["org_type"])).sort_values(["period_id", "_o"])
    return out.drop(columns="_o").reset_index(drop=True)


# --- periods -----------------------------------------------------------------------------------
def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def period_months(kind: str, start: dt.date, end: dt.date) -> float:
    """How many months a period's flows cover (NaN for a cut-off date, which covers no span)."""
    if kind in _MONTHS_BY_KIND:
        return float(_MONTHS_BY_KIND[kind])
    if kind == "cutoff" or end <= start:
        return float("nan")
    return float((end.year - start.year) * 12 + end.month - start.month + 1)


def period_label_en(code: str, kind: str, label: str) -> str:
    """The English label of a stored period ("Q1 2023"); the Vietnamese label if none can be made."""
    from loaders.periods import parse_period_id

    try:
        p = parse_period_id(code)
    except ValueError:
        return label
    if p.kind == kind:
        return p.label_en or label
    if kind == "term_to_date":
        return f"Term to {p.end.day}/{p.end.month}/{p.end.year}"
    return label


@memoized
def periods_table(periods: pd.DataFrame) -> pd.DataFrame:
    """The periods frame with dates as ``datetime.date``, ``label_en`` and ``months``, ordered by end date."""
    cols = ["id", "code", "kind", "start", "end", "label", "label_en", "months"]
    if periods.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    out = periods.copy()
    out["start"] = [_as_date(v) for v in out["start"]]
    out["end"] = [_as_date(v) for v in out["end"]]
    out["label_en"] = [period_label_en(c, k, lab) for c, k, lab in
                       zip(out["code"], out["kind"], out["label"], strict=True)]
    out["months"] = [period_months(k, s, e) for k, s, e in zip(out["kind"], out["start"], out["end"], strict=True)]
    out = out.sort_values(["end", "start", "code"], kind="stable").reset_index(drop=True)
    return out[cols]


def with_periods(frame: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (with period_id) joined to its periods' code, kind, start, end, label, label_en, months,
    in time order: the input a time-series figure expects."""
    table = periods_table(periods).rename(columns={"id": "period_id"})
    table["period_id"] = table["period_id"].astype("int64")
    if frame.empty:
        out = frame.copy()
        for c in table.columns:
            if c not in out.columns:
                out[c] = pd.Series(dtype="object")
        return out
    base = frame.copy()
    base["period_id"] = base["period_id"].astype("int64")
    out = base.merge(table, on="period_id", how="inner")
    out = out.sort_values(["end", "start"], kind="stable").reset_index(drop=True)
    return out


def _period_rows(periods: pd.DataFrame) -> dict[int, dict]:
    table = periods if "label_en" in periods.columns and "months" in periods.columns else periods_table(periods)
    return {int(r["id"]): r for r in table.to_dict("records")}


def _shift_year(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29/2 in a year that has none
        return d.replace(year=d.year + years, day=28)


def _previous_code(code: str, kind: str) -> str | None:
    try:
        if kind == "year":
            return str(int(code) - 1)
        y = int(code[:4])
        if kind == "quarter":
            q = int(code[-1])
            return f"{y}-Q{q - 1}" if q > 1 else f"{y - 1}-Q4"
        if kind == "half":
            return f"{y}-H1" if code.endswith("H2") else f"{y - 1}-H2"
        if kind == "month":
            m = int(code[5:7])
            return f"{y}-{m - 1:02d}" if m > 1 else f"{y - 1}-12"
        if kind == "nine_months":
            return f"{y - 1}-9M"
        if kind == "term":
            y1, y2 = int(code[:4]), int(code[5:9])
            return f"{y1 - (y2 - y1)}-{y1}"
    except ValueError:
        return None
    return None


def _last_year_code(code: str, kind: str) -> str | None:
    try:
        if kind == "year":
            return str(int(code) - 1)
        if kind in ("quarter", "half", "month", "nine_months"):
            return f"{int(code[:4]) - 1}{code[4:]}"
        if kind in ("cutoff", "term_to_date"):
            return _shift_year(dt.date.fromisoformat(code), -1).isoformat()
    except ValueError:
        return None
    return None


def term_start(day: dt.date) -> dt.date:
    """First day of the five-year party term a day falls in (terms 2015–2020, 2020–2025, 2025–2030)."""
    return dt.date(day.year - day.year % 5, 1, 1)


def comparison_period(periods: pd.DataFrame, period_id: int, mode: ComparisonMode, *,
                      term_begins: dt.date | None = None) -> int | None:
    """The id of the period to compare ``period_id`` with, or None if the store has none.

    * ``previous``: the period just before, of the same kind (2024-Q1 → 2023-Q4, 2024 → 2023); for cut-off
      dates the latest earlier cut-off.
    * ``same_last_year``: the same period a year earlier (2024-Q1 → 2023-Q1, 30/6/2019 → 30/6/2018).
    * ``term_start``: the figures at the start of the term, i.e. at the close of the day before it began
      (``term_begins``, default :func:`term_start` of the period's end): a period of the same kind ending
      then, else any kind ending then (year, quarter, half, cut-off, month), else the first period of the
      same kind inside the term.

    ``periods`` may be :func:`periods_table`'s frame (cheaper when asking many times).
    """
    rows = _period_rows(periods)
    cur = rows.get(int(period_id))
    if cur is None:
        return None
    kind, start, end = cur["kind"], cur["start"], cur["end"]
    by_code = {(r["code"], r["kind"]): pid for pid, r in rows.items()}
    others = [(pid, r) for pid, r in rows.items() if pid != int(period_id)]
    if mode == "previous":
        code = _previous_code(cur["code"], kind)
        if code is not None:
            return by_code.get((code, kind))
        earlier = [(r["end"], pid) for pid, r in others if r["kind"] == kind and r["end"] < end
                   and (kind != "term_to_date" or r["start"] == start)]
        return max(earlier)[1] if earlier else None
    if mode == "same_last_year":
        code = _last_year_code(cur["code"], kind)
        return by_code.get((code, kind)) if code is not None else None
    if mode == "term_start":
        begins = term_begins or term_start(end)
        if begins > end:
            return None
        baseline = begins - dt.timedelta(days=1)
        ending = [(pid, r) for pid, r in others if r["end"] == baseline]
        preference = [kind, "year", "quarter", "half", "cutoff", "month"]
        for k in preference:
            for pid, r in ending:
                if r["kind"] == k:
                    return pid
        inside = [(r["end"], pid) for pid, r in others if r["kind"] == kind and r["start"] >= begins and r["end"] < end]
        return min(inside)[1] if inside else None
    raise ValueError(f"unknown comparison mode: {mode!r}")


def compare_totals(totals: pd.DataFrame, period_id: int, other_id: int | None,
                   metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Per metric (and ``organizations``): value, previous, change, change_pct (a fraction; NA when the
    previous value is missing or zero). ``totals`` is :func:`totals_by_period`'s frame."""
    names = list(metrics) if metrics is not None else ["organizations", *metric_columns(totals)]
    indexed = totals.set_index("period_id") if not totals.empty else totals
    def value(pid: int | None, name: str) -> object:
        if pid is None or totals.empty or pid not in indexed.index or name not in indexed.columns:
            return pd.NA
        return indexed.at[pid, name]
    rows = []
    for name in names:
        cur, prev = value(period_id, name), value(other_id, name)
        change = pd.NA if pd.isna(cur) or pd.isna(prev) else cur - prev
        pct = change / prev if change is not pd.NA and not pd.isna(prev) and prev > 0 else pd.NA
        rows.append({"metric": name, "value": cur, "previous": prev, "change": change, "change_pct": pct})
    out = pd.DataFrame(rows, columns=["metric", "value", "previous", "change", "change_pct"])
    return out.astype({c: "Float64" for c in ("value", "previous", "change", "change_pct")})


def compare_ratios(ratio_frame: pd.DataFrame, period_id: int, other_id: int | None) -> pd.DataFrame:
    """Per ratio: value, previous, change (a difference of fractions, i.e. points), target, status.
    ``ratio_frame`` is :func:`ratios`' frame by period."""
    cols = ["ratio", "value", "previous", "change", "target", "status"]
    cur = ratio_frame[ratio_frame["period_id"] == period_id].set_index("ratio")
    prev = (ratio_frame[ratio_frame["period_id"] == other_id].set_index("ratio")
            if other_id is not None else cur.iloc[0:0])
    rows = []
    for rid in cur.index:
        v = cur.at[rid, "value"]
        p = prev.at[rid, "value"] if rid in prev.index else np.nan
        rows.append({"ratio": rid, "value": v, "previous": p, "change": v - p,
                     "target": cur.at[rid, "target"], "status": cur.at[rid, "status"]})
    out = pd.DataFrame(rows, columns=cols)
    out["status"] = out["status"].astype("object").where(out["status"].notna(), None)
    return out


# --- ratios ------------------------------------------------------------------------------------
def _target(spec: Ratio, targets: Targets, months: pd.Series | float) -> pd.Series | float:
    if spec.target is None:
        return np.nan
    value = getattr(targets, spec.target)
    if spec.id == "admissions_per_100":  # a yearly target, scaled to the period's length
        return value * spec.scale * months / 12
    return value


def _values(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A metric column as float64 values (0 where blank) and a mask of the reported cells."""
    values = column.array
    if isinstance(values, pd.arrays.IntegerArray):  # the store's columns: data and mask as they are
        reported = ~values.isna()
        return np.where(reported, values.to_numpy(dtype="float64", na_value=0.0), 0.0), reported
    arr = column.to_numpy(dtype="float64", na_value=np.nan)
    reported = ~np.isnan(arr)
    return np.where(reported, arr, 0.0), reported


def _ratio_rows(frame: pd.DataFrame, keys: list[str], targets: Targets, months: pd.Series | None,
                specs: Sequence[Ratio] = RATIOS) -> pd.DataFrame:
    cols = [*keys, "ratio", "numerator", "denominator", "value", "target", "status"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    # one factorization of the keys, then a bincount per ratio: much cheaper than a groupby each
    codes, key_frame = _group_codes(frame, keys)
    n_keys = len(key_frame)
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def values(col: str) -> tuple[np.ndarray, np.ndarray]:
        if col not in cache:
            cache[col] = _values(frame[col])
        return cache[col]

    # one frame at the end, from plain arrays: per-ratio frames cost more than the arithmetic here
    pieces: dict[str, list] = {c: [] for c in ("rows", "ratio", "numerator", "denominator", "value", "target",
                                              "status")}
    month_values = None
    if months is not None and "period_id" in keys:
        month_values = key_frame["period_id"].map(months).to_numpy(dtype="float64")
    for spec in specs:
        den_col = None if spec.denominator == "@organizations" else spec.denominator
        needed = [*spec.numerator, *([den_col] if den_col else [])]
        if any(c not in frame.columns for c in needed):
            continue
        ok = np.logical_and.reduce([values(c)[1] for c in needed])
        if not ok.any():
            continue
        num_rows = np.sum([values(c)[0] for c in spec.numerator], axis=0)
        den_rows = values(den_col)[0] if den_col else np.ones(len(frame))
        numerator = np.bincount(codes[ok], weights=num_rows[ok], minlength=n_keys)
        denominator = np.bincount(codes[ok], weights=den_rows[ok], minlength=n_keys)
        present = np.flatnonzero(np.bincount(codes[ok], minlength=n_keys) > 0)
        num, den = numerator[present], denominator[present]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, num / np.where(den > 0, den, 1) * spec.scale, np.nan)
        if spec.target is None:
            target = np.full(len(present), np.nan)
        elif spec.id == "admissions_per_100":
            target = (_target(spec, targets, month_values[present]) if month_values is not None
                      else np.full(len(present), np.nan))
        else:
            target = np.full(len(present), float(_target(spec, targets, 0)))
        target = np.asarray(target, dtype="float64")
        judged = ~np.isnan(value) & ~np.isnan(target)
        # a tiny tolerance keeps 15,0% (3/20) from failing a 15% floor by floating-point rounding
        passes = value <= target + 1e-9 if spec.at_most else value >= target - 1e-9
        status = np.full(len(present), None, dtype=object)
        status[judged & passes] = MET
        status[judged & ~passes] = NOT_MET
        for name, array in (("rows", present), ("numerator", num), ("denominator", den), ("value", value),
                            ("target", target), ("status", status)):
            pieces[name].append(array)
        pieces["ratio"].append(np.full(len(present), spec.id, dtype=object))
    if not pieces["rows"]:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    out = key_frame.iloc[np.concatenate(pieces["rows"])].reset_index(drop=True)
    for name in ("ratio", "numerator", "denominator", "value", "target"):
        out[name] = np.concatenate(pieces[name])
    out["status"] = pd.Series(np.concatenate(pieces["status"]), index=out.index, dtype="object")  # None, not NaN
    return out[cols]


@memoized
def ratios(facts: pd.DataFrame, *, orgs: pd.DataFrame | None = None, periods: pd.DataFrame | None = None,
           by: Literal["period", "org_type", "org"] = "period", targets: Targets = DEFAULT_TARGETS,
           only: Sequence[str] | None = None) -> pd.DataFrame:
    """Every ratio of :data:`RATIOS` in long form: keys, ``ratio``, ``numerator``, ``denominator``, ``value``,
    ``target`` and ``status`` (``"met"``, ``"not_met"``, or None without a target or a value).

    Each ratio adds up only the organizations that report both of its parts. Keys: ``period_id`` (by
    period), plus ``org_type`` (needs ``orgs``) or ``org_id``. Shares are fractions (0.205); per-100 and
    per-1.000 rates are numbers of members. The admissions target is yearly: scaled to the period's
    months, so it needs ``periods`` (a quarter's target is 0,75 per 100 for 3% a year).
    ``only`` limits the ratios computed (ids of :data:`RATIOS`).
    """
    units = reporting_units(facts, orgs) if by != "org" else facts
    keys = ["period_id"]
    if by == "org_type":
        if orgs is None:
            raise ValueError("ratios by org_type need the orgs frame")
        units = _with_type(units, orgs)
        keys = ["period_id", "org_type"]
    elif by == "org":
        keys = ["org_id", "period_id"]
    months = None
    if periods is not None and not periods.empty:
        table = periods_table(periods)
        months = pd.Series(table["months"].to_numpy(dtype="float64"), index=table["id"].astype("int64"))
    specs = RATIOS if only is None else tuple(r for r in RATIOS if r.id in set(only))
    out = _ratio_rows(units, keys, targets, months, specs)
    if by == "org_type" and not out.empty:
        out = out.assign(_o=_type_order(out["org_type"])).sort_values(["period_id", "_o"], kind="stable")
        out = out.drop(columns="_o").reset_index(drop=True)
    return out


def ratios_wide(ratio_frame: pd.DataFrame, keys: Sequence[str] = ("period_id",)) -> pd.DataFrame:
    """:func:`ratios`' long frame as one column per ratio id (values only)."""
    if ratio_frame.empty:
        return pd.DataFrame(columns=list(keys))
    return ratio_frame.pivot_table(index=list(keys), columns="ratio", values="value", aggfunc="first",
                                   dropna=False).reset_index().rename_axis(columns=None)


# --- lists of organizations that need attention ------------------------------------------------
@memoized
def _org_info(orgs: pd.DataFrame, lang: Lang = "vi") -> pd.DataFrame:
    info = orgs[["id", "code", "name", "org_type", "parent_id"]].copy()
    names = orgs.set_index("id")["name"]
    info["parent_name"] = names.reindex(pd.array(info["parent_id"], dtype="Int64")).to_numpy()
    types = info["org_type"].astype("object")
    names_by_type = {t: org_type_name(t if isinstance(t, str) else None, lang) for t in pd.unique(types)}
    info["org_type_name"] = types.map(names_by_type).to_numpy()
    if "level" in orgs.columns:
        info["level"] = orgs["level"].to_numpy()
    return info.rename(columns={"id": "org_id"}).astype({"org_id": "int64"})


def _attach_info(frame: pd.DataFrame, orgs: pd.DataFrame, lang: Lang = "vi", *, by_name: bool = True) -> pd.DataFrame:
    if not _pinned(orgs) and len(frame) < len(orgs):  # describe only the organizations listed
        listed = frame["org_id"].to_numpy(dtype=np.int64)
        orgs = orgs[_in(orgs["id"], np.concatenate([listed, _up(_parent_lookup(orgs), listed)]))]
    info = _org_info(orgs, lang)  # memoized for the snapshot's organizations
    out = frame.copy()
    out["org_id"] = out["org_id"].astype("int64")
    # only the listed organizations' rows, in the registry's order (merging all 55.000 cost ~10 ms a list)
    out = info[_in(info["org_id"], out["org_id"].to_numpy())].merge(out, on="org_id", how="inner")
    order = ["name", "org_id"] if by_name else ["org_id"]
    return out.sort_values(order, kind="stable").reset_index(drop=True)


@memoized
def no_admissions(facts: pd.DataFrame, orgs: pd.DataFrame, period_ids: int | Sequence[int]) -> pd.DataFrame:
    """Organizations that reported ``admitted`` = 0 in every one of the periods (a blank is not a zero).

    Columns: org_id, code, name, org_type, parent_id, parent_name, org_type_name, [level], admitted,
    members_total (in the latest of the periods it reported).
    """
    ids = [period_ids] if isinstance(period_ids, int | np.integer) else list(period_ids)
    cols = ["org_id", "admitted", "members_total"]
    if facts.empty or "admitted" not in facts.columns:
        return _attach_info(pd.DataFrame({c: pd.Series(dtype="int64") for c in cols}), orgs)
    rows = facts[_in(facts["period_id"], ids)]
    g = rows.groupby("org_id")
    reported = g["admitted"].count()
    summed = g["admitted"].sum(min_count=1)
    keep = reported.index[(reported == len(set(ids))) & (summed == 0)]
    members = (rows.sort_values("period_id").groupby("org_id")["members_total"].last()
               if "members_total" in rows.columns else pd.Series(dtype="Int64"))
    out = pd.DataFrame({"org_id": keep.astype("int64"), "admitted": 0,
                        "members_total": members.reindex(keep).to_numpy() if len(keep) else []})
    return _attach_info(out, orgs)


@memoized
def committees_without_women(facts: pd.DataFrame, orgs: pd.DataFrame, period_id: int) -> pd.DataFrame:
    """Organizations whose committee has members but no woman: committee_members > 0, committee_female = 0."""
    need = ["committee_members", "committee_female"]
    if facts.empty or any(c not in facts.columns for c in need):
        return _attach_info(pd.DataFrame({c: pd.Series(dtype="int64") for c in ["org_id", *need]}), orgs)
    rows = period_slice(facts, period_id)
    hit = rows[(rows["committee_members"] > 0).fillna(False) & (rows["committee_female"] == 0).fillna(False)]
    return _attach_info(hit[["org_id", *need]], orgs)


@memoized
def org_table(facts: pd.DataFrame, orgs: pd.DataFrame, period_id: int, *, lang: Lang = "vi") -> pd.DataFrame:
    """One row per organization with figures in the period, in org_id order: org_id, code, name, org_type,
    org_type_name, parent_id, parent_name, level, every metric, then the ratios per organization (women_pct, …)."""
    rows = period_slice(facts, period_id)
    metrics = metric_columns(facts)
    base = _attach_info(rows[["org_id", *metrics]], orgs, lang, by_name=False)
    if base.empty:
        for r in RATIOS:
            base[r.id] = pd.Series(dtype="float64")
        return base
    # the rows' order in base (by org_id): one lookup for every ratio (-1, a row base lacks, reads NaN)
    where = pd.Index(rows["org_id"].to_numpy(np.int64)).get_indexer(base["org_id"].to_numpy(np.int64))
    columns: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        if name not in columns:
            values = rows[name].to_numpy(dtype="float64", na_value=np.nan)
            columns[name] = np.where(where >= 0, values[where], np.nan)
        return columns[name]
    for spec in RATIOS:
        base[spec.id] = _row_ratio(column, set(rows.columns), spec, len(base))
    return base


def _row_ratio(column: Callable[[str], np.ndarray], present: set[str], spec: Ratio, n: int) -> np.ndarray:
    """A ratio computed on each row alone (NaN where a part is blank or the denominator is 0)."""
    if any(c not in present for c in spec.numerator):
        return np.full(n, np.nan)
    numerator = np.sum([column(c) for c in spec.numerator], axis=0)  # NaN where any part is blank
    if spec.denominator == "@organizations":
        denominator = np.ones(n)
    elif spec.denominator in present:
        denominator = column(spec.denominator)
    else:
        return np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan) \
            * spec.scale


# --- balance (Biểu 1-BTCTW) ----------------------------------------------------------------------
BALANCE_COLUMNS = ("opening", *FLOWS_IN, *FLOWS_OUT, "closing", "expected", "difference", "flows_missing", "holds")


def _balance(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds expected, difference, flows_missing, holds to a frame with opening, the flows and closing.

    A flow left blank counts as zero (and is counted in ``flows_missing``) as long as the row reports at
    least one flow; with no flow at all, or no opening or closing, the balance cannot be checked (NA).
    """
    out = frame.copy()
    for c in (*FLOWS_IN, *FLOWS_OUT):
        if c not in out.columns:
            out[c] = pd.array([pd.NA] * len(out), dtype="Int64")
    # plain arrays: a national period has 52.000 rows, and extension-array arithmetic costs more than the sums
    inflow = [_values(out[c]) for c in FLOWS_IN]
    outflow = [_values(out[c]) for c in FLOWS_OUT]
    missing = sum((~rep).astype("int64") for _, rep in (*inflow, *outflow))
    any_flow = missing < len(FLOWS_IN) + len(FLOWS_OUT)
    net = sum(v for v, _ in inflow) - sum(v for v, _ in outflow)
    opening = out["opening"].to_numpy(dtype="float64", na_value=np.nan)
    closing = out["closing"].to_numpy(dtype="float64", na_value=np.nan)
    expected = np.where(any_flow, opening + net, np.nan)
    difference = closing - expected
    unknown = np.isnan(difference)
    out["expected"] = pd.arrays.FloatingArray(np.nan_to_num(expected), np.isnan(expected))
    out["difference"] = pd.arrays.FloatingArray(np.nan_to_num(difference), unknown)
    out["flows_missing"] = np.asarray(missing, dtype="int64")
    out["holds"] = pd.arrays.BooleanArray(np.abs(np.nan_to_num(difference)) < 1e-6, unknown)
    return out


@memoized
def balance(facts: pd.DataFrame, periods: pd.DataFrame, *, orgs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per period, in time order: previous_id (the previous period of the same kind), opening (its members),
    the flows, closing (members now), expected = opening + admitted + transferred_in + reinstated − deceased
    − expelled − removed − resigned − transferred_out, difference = closing − expected, holds."""
    totals = totals_by_period(facts, orgs, metrics=("members_total", *FLOWS_IN, *FLOWS_OUT))
    cols = ["period_id", "previous_id", *BALANCE_COLUMNS]
    if totals.empty or "members_total" not in totals.columns:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    closing = totals.set_index("period_id")["members_total"]
    table = periods_table(periods)
    prev_ids = [comparison_period(table, int(p), "previous") for p in totals["period_id"]]
    frame = totals.copy()
    frame["previous_id"] = pd.array(prev_ids, dtype="Int64")
    frame["opening"] = pd.array([closing.get(p, pd.NA) if p is not None else pd.NA for p in prev_ids],
                                dtype="Float64")
    frame["closing"] = frame["members_total"].astype("Float64")
    out = _balance(frame)
    ordered = with_periods(out[cols], table)
    return ordered[cols].reset_index(drop=True)


@memoized
def balance_by_org(facts: pd.DataFrame, periods: pd.DataFrame, period_id: int) -> pd.DataFrame:
    """The balance of each organization in the period: org_id, previous_id and the balance columns."""
    cols = ["org_id", "previous_id", *BALANCE_COLUMNS]
    prev_id = comparison_period(periods, period_id, "previous")
    rows = period_slice(facts, period_id)
    if rows.empty or "members_total" not in rows.columns:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    frame = rows.copy()
    if prev_id is not None:
        before = period_slice(facts, prev_id).set_index("org_id")["members_total"]
        frame["opening"] = pd.array(before.reindex(frame["org_id"].to_numpy()).to_numpy(), dtype="Float64")
    else:
        frame["opening"] = pd.array([pd.NA] * len(frame), dtype="Float64")
    frame["previous_id"] = pd.array([prev_id] * len(frame), dtype="Int64")
    frame["closing"] = frame["members_total"].astype("Float64")
    return _balance(frame)[cols].reset_index(drop=True)


@memoized
def balance_issues(facts: pd.DataFrame, orgs: pd.DataFrame, periods: pd.DataFrame, period_id: int) -> pd.DataFrame:
    """Organizations whose balance does not hold in the period, with their names and the difference."""
    by_org = balance_by_org(facts, periods, period_id)
    if by_org.empty:
        return _attach_info(by_org.assign(org_id=pd.Series(dtype="int64")), orgs)
    failing = by_org[by_org["holds"].fillna(True).eq(False)]
    return _attach_info(failing, orgs)


# --- quality ratings ---------------------------------------------------------------------------
@memoized
def rating_distribution(facts: pd.DataFrame, orgs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per period with ratings: rated_total, the four grades, ``unclassified`` (rated but in no grade),
    their shares of rated_total (share_excellent, …, share_unclassified) and good_or_better_share."""
    totals = totals_by_period(facts, orgs, metrics=("rated_total", *RATINGS))
    cols = ["period_id", "rated_total", *RATINGS, "unclassified",
            *[f"share_{r.removeprefix('rated_')}" for r in RATINGS], "share_unclassified", "good_or_better_share"]
    if totals.empty or "rated_total" not in totals.columns:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
    out = totals[totals["rated_total"].notna()].copy()
    for r in RATINGS:
        if r not in out.columns:
            out[r] = pd.array([pd.NA] * len(out), dtype="Int64")
    total = out["rated_total"].astype("float64")
    grades = out[list(RATINGS)].astype("float64")
    out["unclassified"] = (total - grades.fillna(0).sum(axis=1)).clip(lower=0)
    den = total.where(total > 0)
    for r in RATINGS:
        out[f"share_{r.removeprefix('rated_')}"] = grades[r] / den
    out["share_unclassified"] = out["unclassified"] / den
    out["good_or_better_share"] = (grades["rated_excellent"] + grades["rated_good"]) / den
    return out[cols].reset_index(drop=True)


@memoized
def excellent_check(facts: pd.DataFrame, orgs: pd.DataFrame, period_id: int, *, limit: float = 0.20,
                    outstanding: Iterable[int] = (), outstanding_limit: float = 0.25) -> pd.DataFrame:
    """The "excellent ≤ 20% of good" rule (Quy định 366-QĐ/TW) per organization reporting both grades,
    in org_id order (``ok`` is False for the ones to look at).

    Columns: org info, rated_excellent, rated_good, share (excellent / good), limit, allowed (the most
    excellent ratings the rule permits) and ok. Units in ``outstanding`` get ``outstanding_limit`` (25%).
    The comparison is exact (fractions), so 20 of 100 passes and 21 does not.
    """
    need = ["rated_excellent", "rated_good"]
    cols = ["org_id", *need, "share", "limit", "allowed", "ok"]
    if facts.empty or any(c not in facts.columns for c in need):
        return _attach_info(pd.DataFrame({c: pd.Series(dtype="int64") for c in cols}), orgs)
    rows = facts[(facts["period_id"] == period_id) & facts[need].notna().all(axis=1)]
    # floats: re-aggregated history may be fractional; whole counts stay exact (far below 2**53)
    exc = rows["rated_excellent"].to_numpy(dtype="float64")
    good = rows["rated_good"].to_numpy(dtype="float64")
    ids = rows["org_id"].to_numpy(dtype="int64")
    special = _in(rows["org_id"], outstanding) if len(rows) else np.zeros(0, dtype=bool)
    normal, high = Fraction(str(limit)), Fraction(str(outstanding_limit))
    num = np.where(special, high.numerator, normal.numerator)
    den = np.where(special, high.denominator, normal.denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(good > 0, exc / np.where(good > 0, good, 1), np.nan)
    out = pd.DataFrame({"org_id": ids, "rated_excellent": exc, "rated_good": good, "share": share,
                        "limit": np.where(special, outstanding_limit, limit),
                        "allowed": np.floor(good * num / den + 1e-9).astype("int64"),
                        "ok": exc * den <= good * num + 1e-9})
    return _attach_info(out[cols], orgs, by_name=False)


# --- hierarchy ---------------------------------------------------------------------------------
@memoized
def hierarchy_frame(facts: pd.DataFrame, orgs: pd.DataFrame, period_id: int, metric: str = "members_total", *,
                    root_id: int | None = None) -> pd.DataFrame:
    """The tree behind a treemap: every organization with figures in the period and its ancestors (up to
    ``root_id`` when given, the top of the registry otherwise).

    Columns: id, parent_id (NA at the top), name, org_type, value (``metric`` summed over the subtree's
    reporting units), organizations (reporting units in the subtree), depth (0 at the top). Parents come
    before children.
    """
    cols = ["id", "parent_id", "name", "org_type", "value", "organizations", "depth"]
    rows = reporting_units(period_slice(facts, period_id), orgs)
    if rows.empty or metric not in rows.columns:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    parent = _parent_series(orgs)
    parent = parent[~parent.index.duplicated()]
    if root_id is not None:  # nothing above the scope's own top
        parent = parent.copy()
        parent.loc[int(root_id)] = pd.NA
    own = rows.groupby(rows["org_id"].astype("int64"))[metric].sum().astype("float64")
    value, count = own.copy(), pd.Series(1, index=own.index, dtype="int64")
    moving_v, moving_c = own, count
    # each level hands its subtotals to the level above, so every figure reaches every ancestor once
    for _ in range(64):
        up = parent.reindex(moving_v.index)
        has = up.notna().to_numpy()
        if not has.any():
            break
        ups = up[has].astype("int64").to_numpy()
        moving_v = pd.Series(moving_v.to_numpy()[has]).groupby(ups).sum()
        moving_c = pd.Series(moving_c.to_numpy()[has]).groupby(ups).sum()
        value = value.add(moving_v, fill_value=0)
        count = count.add(moving_c, fill_value=0)
    nodes = value.index.to_numpy(dtype="int64")
    par = parent.reindex(nodes)
    inside = par.notna().to_numpy() & _in(par.fillna(-1).astype("int64"), nodes)
    par_in = pd.array(np.where(inside, par.fillna(-1).astype("int64").to_numpy(), -1), dtype="Int64")
    par_in[~inside] = pd.NA
    depth = np.full(len(nodes), -1, dtype="int64")
    depth[~inside] = 0
    for level in range(64):
        frontier = nodes[depth == level]
        if frontier.size == 0:
            break
        kids = inside & (depth < 0) & _in(pd.Series(par_in.fillna(-1).to_numpy(dtype="int64")), frontier)
        depth[kids] = level + 1
    info = orgs.drop_duplicates("id").set_index("id")
    out = pd.DataFrame({
        "id": nodes,
        "parent_id": par_in,
        "name": info["name"].reindex(nodes).fillna("").astype(str).to_numpy(),
        "org_type": info["org_type"].reindex(nodes).to_numpy(),
        "value": value.to_numpy(dtype="float64"),
        "organizations": count.to_numpy(dtype="int64"),
        "depth": depth,
    })
    return out.sort_values(["depth", "name", "id"], kind="stable").reset_index(drop=True)
