"""The rules real data must satisfy (domain.md), turned into issues at the cell of the offending value.

The checks run a column at a time over a *frame* — metric → int64 array aligned with the records, -1 where
an organization reported nothing — so a national file of 52.000 organizations is checked in milliseconds;
an issue is made only for the rows that break a rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter, not_

import numpy as np

from loaders.catalogue import AUXILIARY, METRIC_IDS
from loaders.issues import make_issue
from loaders.model import DeclaredRow, Issue, OrgRecord, Period, SheetFigures, unread_figures

Frame = dict[str, np.ndarray]

# (subset metric, parent metric, issue code)
SUBSETS: tuple[tuple[str, str, str], ...] = (
    ("members_female", "members_total", "female_exceeds_total"),
    ("members_ethnic_minority", "members_total", "ethnic_minority_exceeds_total"),
    ("members_religious", "members_total", "religious_exceeds_total"),
    ("members_exempt", "members_total", "exempt_exceeds_total"),
    ("committee_female", "committee_members", "committee_female_exceeds_committee"),
    ("committee_youth", "committee_members", "committee_youth_exceeds_committee"),
    ("committee_ethnic_minority", "committee_members", "committee_ethnic_exceeds_committee"),
    ("rated_total", "members_total", "rated_exceeds_members"),
)
DISCIPLINE_FORMS = ("disciplined_reprimand", "disciplined_warning", "disciplined_dismissal", "disciplined_expulsion")
RATINGS = ("rated_excellent", "rated_good", "rated_complete", "rated_failed")
INCREASES = ("admitted", "transferred_in", "reinstated")
DECREASES = ("deceased", "expelled", "removed", "resigned", "transferred_out")
EXCELLENT_SHARE_OF_GOOD = 0.20
RATIO_TOLERANCE = 0.005  # half a percentage point: ratios are written rounded


def frame_of(records: list[OrgRecord], metrics: Iterable[str] | None = None) -> Frame:
    """Build the frame from records (used when a period merges several sheets).

    Records whose figures were never read are taken from their sheet's columns, without building dicts.
    """
    wanted = list(metrics) if metrics is not None else [*METRIC_IDS, *AUXILIARY]
    n = len(records)
    sources = {False: _Sources(records, auxiliary=False), True: _Sources(records, auxiliary=True)}
    frame: Frame = {}
    for m in wanted:
        col = sources[m in AUXILIARY].column(m, n)
        if (col >= 0).any():
            frame[m] = col
    return frame


class _Sources:
    """Where the records' values (metrics, or auxiliary ones) are: their sheets' columns, or their dicts."""

    def __init__(self, records: list[OrgRecord], *, auxiliary: bool) -> None:
        self.unread: dict[int, tuple[SheetFigures, list[int], list[int]]] = {}
        self.read: list[tuple[int, dict[str, int]]] = []
        for i, rec in enumerate(records):
            found = unread_figures(rec, auxiliary)
            if found is None:
                self.read.append((i, rec.auxiliary if auxiliary else rec.metrics))
                continue
            figures, index = found
            group = self.unread.setdefault(id(figures), (figures, [], []))
            group[1].append(i)
            group[2].append(index)

    def column(self, metric: str, n: int) -> np.ndarray:
        col = np.full(n, -1, dtype=np.int64)
        for figures, positions, indexes in self.unread.values():
            values = figures.frame.get(metric)
            if values is not None:
                col[positions] = values[indexes]
        for i, values in self.read:
            col[i] = values.get(metric, -1)
        return col


def _at(rec: OrgRecord, metric: str) -> dict[str, str | None]:
    sheet, cell = rec.source(metric)
    return {"sheet": sheet, "cell": cell}


def _all_present(frame: Frame, metrics: Iterable[str]) -> np.ndarray | None:
    cols = [frame.get(m) for m in metrics]
    if any(c is None for c in cols):
        return None
    mask = cols[0] >= 0
    for c in cols[1:]:
        mask &= c >= 0
    return mask


def check_records(records: list[OrgRecord], frame: Frame, issues: list[Issue]) -> None:
    """Rules that hold inside one organization's row; issues come out in row order."""
    found: list[tuple[int, int, Issue]] = []

    def add(rule: int, mask: np.ndarray, build) -> None:
        for i in np.flatnonzero(mask).tolist():
            found.append((i, rule, build(records[i])))

    get = frame.get
    total, full, prob = get("members_total"), get("members_full"), get("members_probationary")
    if total is not None and full is not None and prob is not None:
        mask = (total >= 0) & (full >= 0) & (prob >= 0) & (full + prob != total)
        add(0, mask, lambda r: make_issue(
            "members_sum_mismatch", **_at(r, "members_total"), org=r.key, metric="members_total",
            value=r.metrics["members_total"], full=r.metrics["members_full"],
            probationary=r.metrics["members_probationary"],
            expected=r.metrics["members_full"] + r.metrics["members_probationary"]))
    for k, (sub, parent, code) in enumerate(SUBSETS, start=1):
        sv, pv = get(sub), get(parent)
        if sv is None or pv is None:
            continue
        add(k, (sv >= 0) & (pv >= 0) & (sv > pv), lambda r, sub=sub, parent=parent, code=code: make_issue(
            code, **_at(r, sub), org=r.key, metric=sub, value=r.metrics[sub], limit=r.metrics[parent]))
    present = _all_present(frame, ("disciplined_total", *DISCIPLINE_FORMS))
    if present is not None:
        forms = sum(frame[f] for f in DISCIPLINE_FORMS)
        add(20, present & (forms != frame["disciplined_total"]), lambda r: make_issue(
            "discipline_sum_mismatch", **_at(r, "disciplined_total"), org=r.key, metric="disciplined_total",
            value=r.metrics["disciplined_total"], expected=sum(r.metrics[f] for f in DISCIPLINE_FORMS)))
    rt = get("rated_total")
    rating_cols = [frame[x] for x in RATINGS if x in frame]
    if rt is not None and rating_cols:
        rated = sum(np.maximum(c, 0) for c in rating_cols)
        any_rating = np.logical_or.reduce([c >= 0 for c in rating_cols])
        add(21, (rt >= 0) & any_rating & (rated > rt), lambda r: make_issue(
            "rated_sum_exceeds_total", **_at(r, "rated_total"), org=r.key, metric="rated_total",
            value=r.metrics["rated_total"], expected=sum(r.metrics.get(x, 0) for x in RATINGS)))
    exc, good = get("rated_excellent"), get("rated_good")
    if exc is not None and good is not None:
        mask = (exc > 0) & (good >= 0) & (exc > EXCELLENT_SHARE_OF_GOOD * good)
        add(22, mask, lambda r: make_issue(
            "excellent_over_quota", **_at(r, "rated_excellent"), org=r.key, metric="rated_excellent",
            value=r.metrics["rated_excellent"], limit=r.metrics["rated_good"]))
    present = _all_present(frame, ("members_opening", "members_total", *INCREASES, *DECREASES))
    if present is not None:
        expected = frame["members_opening"] + sum(frame[f] for f in INCREASES) - sum(frame[f] for f in DECREASES)
        add(23, present & (expected != frame["members_total"]), _balance_issue)
    for i, rec in enumerate(records):
        if rec.ratios:
            for issue in _ratio_issues(rec):
                found.append((i, 24, issue))
    found.sort(key=lambda t: (t[0], t[1]))
    issues.extend(issue for _, _, issue in found)


def _balance_issue(r: OrgRecord) -> Issue:
    m = r.metrics
    opening = r.auxiliary["members_opening"]
    inc = sum(m[f] for f in INCREASES)
    dec = sum(m[f] for f in DECREASES)
    return make_issue("balance_mismatch", **_at(r, "members_total"), org=r.key, metric="members_total",
                      value=m["members_total"], opening=opening, increase=inc, decrease=dec,
                      expected=opening + inc - dec)


def _ratio_issues(rec: OrgRecord) -> list[Issue]:
    out = []
    m = rec.metrics
    for key, frac in rec.ratios.items():
        num, den = key.split("/")
        if num in m and den in m and m[den] > 0:
            actual = m[num] / m[den]
            if abs(actual - frac) > RATIO_TOLERANCE:
                out.append(make_issue("ratio_mismatch", **_at(rec, num), org=rec.key, metric=num,
                                      value=f"{frac * 100:.1f}%".replace(".", ","),
                                      expected=f"{actual * 100:.1f}%".replace(".", ",")))
    return out


def top_level_mask(records: list[OrgRecord]) -> np.ndarray:
    """True for organizations that are not sub-units of another organization in the same list."""
    codes = list(map(_CODE, records))
    keys = set(filter(None, codes))  # each record's key: its code, else its name
    if not all(codes):
        keys.update(r.name for r, code in zip(records, codes, strict=True) if not code)
    parents = list(map(_PARENT, records))
    no_parent = np.fromiter(map(not_, parents), dtype=bool, count=len(parents))
    return no_parent | ~np.fromiter(map(keys.__contains__, parents), dtype=bool, count=len(parents))


_CODE = attrgetter("code")
_PARENT = attrgetter("parent")


class _RunSums:
    """Σ and count of the reported values of some metrics over the top-level organizations of runs of records
    ``[start, end)`` (a group's members are such a run) whose ends are among ``bounds`` (sorted, from 0 to n)."""

    def __init__(self, frame: Frame, top: np.ndarray, metrics: list[str], bounds: list[int]) -> None:
        self.at = {b: j for j, b in enumerate(bounds)}
        self.count: dict[str, np.ndarray] = {}
        self.total: dict[str, np.ndarray] = {}
        starts = np.asarray(bounds[:-1], dtype=np.int64)
        all_top = bool(top.all())
        for m in metrics:
            col = frame.get(m)
            if col is None or m in self.count:
                continue
            reported = col >= 0
            if not all_top:
                reported &= top
            count = np.zeros(len(bounds), dtype=np.int64)
            total = np.zeros(len(bounds), dtype=np.int64)
            if len(starts):
                np.cumsum(np.add.reduceat(reported, starts, dtype=np.int64), out=count[1:])
                np.cumsum(np.add.reduceat(np.where(reported, col, 0), starts), out=total[1:])
            self.count[m], self.total[m] = count, total

    def over(self, metric: str, start: int, end: int) -> tuple[int, int]:
        count = self.count.get(metric)
        if count is None:
            return 0, 0
        i, j = self.at[start], self.at[end]
        return int(count[j] - count[i]), int(self.total[metric][j] - self.total[metric][i])


def check_declared(declared: list[DeclaredRow], records: list[OrgRecord], frame: Frame,
                   issues: list[Issue]) -> None:
    """Group rows equal the sum of their organizations; total rows equal the sum of all."""
    top = top_level_mask(records)
    plans: list[tuple[DeclaredRow, tuple[int, int] | None, np.ndarray]] = []
    summed: dict[str, None] = {}  # metrics summed over runs of records
    for dr in declared:
        run: tuple[int, int] | None = (0, len(records))
        idx = np.empty(0, dtype=np.int64)
        if dr.kind == "group":
            idx = np.asarray(dr.members, dtype=np.int64)
            if len(idx) and idx[-1] - idx[0] + 1 == len(idx) and (np.diff(idx) == 1).all():
                run = (int(idx[0]), int(idx[-1]) + 1)  # the usual case: the rows under the group
            elif len(idx):
                run, idx = None, idx[top[idx]]
            else:
                run = (0, 0)
        plans.append((dr, run, idx))
        if run is not None:
            summed.update(dict.fromkeys(dr.metrics))
    bounds = sorted({0, len(records)} | {b for _, run, _ in plans if run is not None for b in run})
    sums = _RunSums(frame, top, list(summed), bounds)
    for dr, run, idx in plans:
        for metric, value in dr.metrics.items():
            if run is not None:
                count, expected = sums.over(metric, *run)
            else:
                col = frame.get(metric)
                values = col[idx] if col is not None else np.empty(0, dtype=np.int64)
                reported = values[values >= 0]
                count, expected = len(reported), int(reported.sum())
            if not count and value == 0:
                continue
            if expected != value:
                code = "group_total_mismatch" if dr.kind == "group" else "grand_total_mismatch"
                issues.append(make_issue(code, sheet=dr.sheet, cell=dr.cells.get(metric), org=None, metric=metric,
                                         value=value, expected=expected, group=dr.label))
    # an organization whose sub-units are listed under it: its figures are the sum of theirs
    children: dict[str, list[OrgRecord]] = {}
    for i in np.flatnonzero(~top).tolist():  # not top-level: has a parent among the records
        r = records[i]
        children.setdefault(r.parent, []).append(r)  # type: ignore[arg-type]
    if not children:
        return
    for parent, is_top in zip(records, top.tolist(), strict=True):
        kids = children.get(parent.key) if is_top else None
        if not kids:
            continue
        for metric, value in parent.metrics.items():
            reported = [k.metrics[metric] for k in kids if metric in k.metrics]
            if reported and sum(reported) != value:
                issues.append(make_issue("parent_total_mismatch", **_at(parent, metric), org=parent.key,
                                         metric=metric, value=value, expected=sum(reported)))


def consecutive(a: Period, b: Period) -> bool:
    """b directly follows a and both are of the same kind (quarters, months, halves, years)."""
    if a.kind != b.kind or a.kind not in ("year", "quarter", "month", "half"):
        return False
    return (b.start - a.end).days == 1


def check_balance_between(prev: list[OrgRecord], cur: list[OrgRecord], prev_period: Period,
                          issues: list[Issue]) -> None:
    """Previous closing + increases − decreases = this closing, for each organization in both periods."""
    before = {r.key: r for r in prev}
    for rec in cur:
        old = before.get(rec.key)
        m = rec.metrics
        if old is None or "members_total" not in old.metrics or "members_total" not in m:
            continue
        if not all(f in m for f in INCREASES + DECREASES):
            continue
        opening = old.metrics["members_total"]
        inc = sum(m[f] for f in INCREASES)
        dec = sum(m[f] for f in DECREASES)
        if opening + inc - dec != m["members_total"]:
            issues.append(make_issue("balance_mismatch_periods", **_at(rec, "members_total"), org=rec.key,
                                     metric="members_total", value=m["members_total"], opening=opening,
                                     increase=inc, decrease=dec, expected=opening + inc - dec,
                                     previous_period=prev_period.label))
