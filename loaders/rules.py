"""The rules real data must satisfy (domain.md), turned into issues at the cell of the offending value."""

from __future__ import annotations

from loaders.issues import make_issue
from loaders.model import DeclaredRow, Issue, OrgRecord, Period

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


def _at(rec: OrgRecord, metric: str) -> dict[str, str | None]:
    sheet, cell = rec.source(metric)
    return {"sheet": sheet, "cell": cell}


def check_record(rec: OrgRecord, issues: list[Issue]) -> None:
    """Rules that hold inside one organization's row."""
    m = rec.metrics
    label = rec.key
    total = m.get("members_total")
    full = m.get("members_full")
    prob = m.get("members_probationary")
    if total is not None and full is not None and prob is not None and full + prob != total:
        issues.append(make_issue("members_sum_mismatch", **_at(rec, "members_total"), org=label,
                                 metric="members_total", value=total, full=full, probationary=prob,
                                 expected=full + prob))
    for sub, parent, code in SUBSETS:
        sv = m.get(sub)
        pv = m.get(parent)
        if sv is not None and pv is not None and sv > pv:
            issues.append(make_issue(code, **_at(rec, sub), org=label, metric=sub, value=sv, limit=pv))
    dt = m.get("disciplined_total")
    if dt is not None and any(f in m for f in DISCIPLINE_FORMS) and all(f in m for f in DISCIPLINE_FORMS):
        s = sum(m[f] for f in DISCIPLINE_FORMS)
        if s != dt:
            issues.append(make_issue("discipline_sum_mismatch", **_at(rec, "disciplined_total"),
                                     org=label, metric="disciplined_total", value=dt, expected=s))
    rt = m.get("rated_total")
    if rt is not None and any(r in m for r in RATINGS):
        s = sum(m.get(r, 0) for r in RATINGS)
        if s > rt:
            issues.append(make_issue("rated_sum_exceeds_total", **_at(rec, "rated_total"), org=label,
                                     metric="rated_total", value=rt, expected=s))
    exc = m.get("rated_excellent")
    good = m.get("rated_good")
    if exc is not None and good is not None and exc > EXCELLENT_SHARE_OF_GOOD * good and exc > 0:
        issues.append(make_issue("excellent_over_quota", **_at(rec, "rated_excellent"), org=label,
                                 metric="rated_excellent", value=exc, limit=good))
    opening = rec.auxiliary.get("members_opening")
    if opening is not None and total is not None and all(f in m for f in INCREASES + DECREASES):
        inc = sum(m[f] for f in INCREASES)
        dec = sum(m[f] for f in DECREASES)
        if opening + inc - dec != total:
            issues.append(make_issue("balance_mismatch", **_at(rec, "members_total"), org=label,
                                     metric="members_total", value=total, opening=opening, increase=inc,
                                     decrease=dec, expected=opening + inc - dec))
    for key, frac in rec.ratios.items():
        num, den = key.split("/")
        if num in m and den in m and m[den] > 0:
            actual = m[num] / m[den]
            if abs(actual - frac) > RATIO_TOLERANCE:
                issues.append(make_issue("ratio_mismatch", **_at(rec, num), org=label, metric=num,
                                         value=f"{frac * 100:.1f}%".replace(".", ","),
                                         expected=f"{actual * 100:.1f}%".replace(".", ",")))


def check_declared(declared: list[DeclaredRow], records: list[OrgRecord], issues: list[Issue]) -> None:
    """Group rows equal the sum of their organizations; total rows equal the sum of all."""
    top = _top_level(records)
    for dr in declared:
        members = [records[i] for i in dr.members] if dr.kind == "group" else records
        members = [r for r in members if id(r) in top]
        for metric, value in dr.metrics.items():
            expected = sum(_value(r, metric) or 0 for r in members)
            if all(_value(r, metric) is None for r in members) and value == 0:
                continue
            if expected != value:
                code = "group_total_mismatch" if dr.kind == "group" else "grand_total_mismatch"
                issues.append(make_issue(code, sheet=dr.sheet, cell=dr.cells.get(metric), org=None, metric=metric,
                                         value=value, expected=expected, group=dr.label))
    # an organization whose sub-units are listed under it: its figures are the sum of theirs
    children: dict[str, list[OrgRecord]] = {}
    for r in records:
        if r.parent:
            children.setdefault(r.parent, []).append(r)
    for parent in records:
        kids = children.get(parent.key)
        if not kids or id(parent) not in top:
            continue
        for metric, value in parent.metrics.items():
            if any(metric in k.metrics for k in kids):
                expected = sum(k.metrics.get(metric, 0) for k in kids)
                if expected != value:
                    issues.append(make_issue("parent_total_mismatch", **_at(parent, metric),
                                             org=parent.key, metric=metric, value=value, expected=expected))


def _value(rec: OrgRecord, metric: str) -> int | None:
    """A metric, or an auxiliary column such as members_opening, of one organization."""
    value = rec.metrics.get(metric)
    return rec.auxiliary.get(metric) if value is None else value


def _top_level(records: list[OrgRecord]) -> set[int]:
    keys = {r.key for r in records}
    return {id(r) for r in records if not r.parent or r.parent not in keys}


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
            issues.append(make_issue("balance_mismatch_periods", **_at(rec, "members_total"),
                                     org=rec.key, metric="members_total", value=m["members_total"],
                                     opening=opening, increase=inc, decrease=dec, expected=opening + inc - dec,
                                     previous_period=prev_period.label))
