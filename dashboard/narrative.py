"""The report paragraph: the scope and period in words, as an official report writes them.

"Tính đến 31/3/2023, Đảng bộ Khối có 105 tổ chức cơ sở đảng với 7.841 đảng viên (nữ 3.048, chiếm
38,9%); trong quý I/2023 kết nạp 45 đảng viên, …; so với cùng kỳ năm trước, số đảng viên tăng 63 (0,8%)."

Only facts present in the data are said: a metric nobody reported is left out (a blank is not a zero),
a comparison is made only when the store holds the period to compare with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard import analytics as an
from dashboard.formatting import Lang, fmt_date, fmt_int, fmt_pct, is_missing

UNIT_VI = "tổ chức cơ sở đảng"
UNIT_EN = ("grassroots party organization", "grassroots party organizations")


@dataclass(frozen=True)
class _Flow:
    metric: str
    vi: str  # "{n}" is the formatted number
    en: str
    vi_zero: str | None = None  # said when the value is 0; None: a zero is left out
    en_zero: str | None = None


_FLOWS: tuple[_Flow, ...] = (
    _Flow("admitted", "kết nạp {n} đảng viên", "{n} admitted", "không kết nạp đảng viên mới", "no members admitted"),
    _Flow("recognized_full", "công nhận đảng viên chính thức cho {n} đồng chí", "{n} recognized as full members"),
    _Flow("transferred_in", "tiếp nhận {n} đảng viên chuyển đến", "{n} transferred in"),
    _Flow("transferred_out", "chuyển đi {n} đảng viên", "{n} transferred out"),
    _Flow("reinstated", "phục hồi đảng tịch cho {n} đồng chí", "{n} reinstated"),
    _Flow("deceased", "{n} đảng viên từ trần", "{n} deceased"),
    _Flow("removed", "xóa tên {n} đảng viên", "{n} removed from the rolls"),
    _Flow("expelled", "khai trừ {n} đảng viên", "{n} expelled"),
    _Flow("resigned", "{n} đảng viên xin ra khỏi Đảng", "{n} resigned"),
    _Flow("disciplined_total", "thi hành kỷ luật {n} đảng viên", "{n} disciplined",
          "không có đảng viên bị kỷ luật", "no members disciplined"),
)

# what a change is said about: (metric, Vietnamese subject, English subject)
_COMPARED: tuple[tuple[str, str, str], ...] = (
    ("members_total", "số đảng viên", "membership"),
    ("admitted", "số đảng viên được kết nạp", "admissions"),
)

_PREVIOUS_VI = {"quarter": "quý trước", "month": "tháng trước", "year": "năm trước", "half": "6 tháng trước",
                "term": "nhiệm kỳ trước"}
_PREVIOUS_EN = {"quarter": "the previous quarter", "month": "the previous month", "year": "the previous year",
                "half": "the previous half-year", "term": "the previous term"}


def _n(value: object, lang: Lang) -> str:
    return fmt_int(value, lang)


def _plural(value: object, one: str, many: str) -> str:
    return one if not is_missing(value) and float(value) == 1 else many


def _value(row: pd.Series | None, metric: str) -> object:
    if row is None or metric not in row.index:
        return None
    value = row[metric]
    return None if is_missing(value) else value


def _ratio(ratio_frame: pd.DataFrame, ratio_id: str) -> pd.Series | None:
    hit = ratio_frame[ratio_frame["ratio"] == ratio_id]
    if hit.empty or is_missing(hit.iloc[0]["value"]):
        return None
    return hit.iloc[0]


def _flow_span(period: dict, lang: Lang) -> str:
    """The words for the span a period's flows cover: "trong quý I/2023", "từ đầu nhiệm kỳ 2020–2025"."""
    kind, label, end = period["kind"], str(period["label"]), period["end"]
    if lang == "en":
        if kind == "year":
            return f"in {end.year}"
        if kind == "nine_months":
            return f"in the first nine months of {end.year}"
        if kind == "term":
            return f"during the {period['start'].year}–{end.year} term"
        if kind == "term_to_date":
            return f"since the start of the term ({fmt_date(period['start'], 'en')})"
        if kind == "cutoff":
            return "in the period"
        return f"in {period['label_en']}"
    if kind == "cutoff":
        return "trong kỳ"
    if kind == "term_to_date":
        head = label.split(" đến ngày")[0]
        return head[:1].lower() + head[1:]
    return "trong " + label[:1].lower() + label[1:]


def _lead(period: dict, scope: str, totals: pd.Series, ratio_frame: pd.DataFrame, unit: str | None,
          lang: Lang) -> str:
    orgs = _value(totals, "organizations")
    members = _value(totals, "members_total")
    date = fmt_date(period["end"], lang, pad=False)
    details = []
    for metric, ratio_id, vi, en in (
        ("members_female", "women_pct", "nữ", "women"),
        ("members_ethnic_minority", "ethnic_minority_pct", "dân tộc thiểu số", "ethnic minorities"),
        ("members_probationary", None, "đảng viên dự bị", "probationary"),
    ):
        v = _value(totals, metric)
        if v is None:
            continue
        share = _ratio(ratio_frame, ratio_id) if ratio_id else None
        if lang == "en":
            details.append(f"{_n(v, lang)} {en}" + (f", {fmt_pct(share['value'], 1, lang)}" if share is not None
                                                    else ""))
        else:
            details.append(f"{vi} {_n(v, lang)}" + (f", chiếm {fmt_pct(share['value'], 1, lang)}"
                                                    if share is not None else ""))
    if lang == "en":
        unit_words = unit or _plural(orgs, *UNIT_EN)
        text = f"As of {date}, {scope} had {_n(orgs, lang)} {unit_words}"
        if members is not None:
            text += f" with {_n(members, lang)} {_plural(members, 'member', 'members')}"
    else:
        text = f"Tính đến {date}, {scope} có {_n(orgs, lang)} {unit or UNIT_VI}"
        if members is not None:
            text += f" với {_n(members, lang)} đảng viên"
    if members is not None and details:
        text += " (" + "; ".join(details) + ")"
    return text


def _flows(period: dict, totals: pd.Series, lang: Lang) -> str | None:
    items = []
    for flow in _FLOWS:
        v = _value(totals, flow.metric)
        if v is None:
            continue
        if float(v) == 0:
            zero = flow.en_zero if lang == "en" else flow.vi_zero
            if zero:
                items.append(zero)
            continue
        items.append((flow.en if lang == "en" else flow.vi).format(n=_n(v, lang)))
    if not items:
        return None
    span = _flow_span(period, lang)
    return f"{span}: " + ", ".join(items) if lang == "en" else f"{span} " + ", ".join(items)


def _ratings(totals: pd.Series, ratio_frame: pd.DataFrame, targets: an.Targets, lang: Lang) -> str | None:
    rated = _value(totals, "rated_total")
    if rated is None:
        return None
    words = {
        "rated_excellent": ("hoàn thành xuất sắc nhiệm vụ", "excellent"),
        "rated_good": ("hoàn thành tốt nhiệm vụ", "good"),
        "rated_complete": ("hoàn thành nhiệm vụ", "complete"),
        "rated_failed": ("không hoàn thành nhiệm vụ", "failed"),
    }
    parts = []
    for metric, (vi, en) in words.items():
        v = _value(totals, metric)
        if v is None:
            continue
        share = fmt_pct(float(v) / float(rated), 1, lang) if float(rated) > 0 else None
        if lang == "en":
            parts.append(f"{_n(v, lang)} {en}" + (f" ({share})" if share else ""))
        else:
            parts.append(f"{vi} {_n(v, lang)}" + (f" ({share})" if share else ""))
    if lang == "en":
        text = f"{_n(rated, lang)} {_plural(rated, 'member was', 'members were')} rated"
        text += (": " + ", ".join(parts)) if parts else ""
    else:
        text = f"đánh giá, xếp loại {_n(rated, lang)} đảng viên"
        text += (", trong đó " + ", ".join(parts)) if parts else ""
    gob = _ratio(ratio_frame, "good_or_better_pct")
    if gob is not None:
        goal = fmt_pct(targets.good_or_better_min, 0, lang)
        if lang == "en":
            verdict = "met" if gob["status"] == an.MET else "not met"
            text += f"; {fmt_pct(gob['value'], 1, lang)} rated good or better (target ≥ {goal} {verdict})"
        else:
            verdict = "đạt" if gob["status"] == an.MET else "chưa đạt"
            share = fmt_pct(gob["value"], 1, lang)
            text += f"; tỷ lệ hoàn thành tốt nhiệm vụ trở lên {share} ({verdict} chỉ tiêu {goal})"
    return text


def _committees(ratio_frame: pd.DataFrame, targets: an.Targets, no_woman: int | None, lang: Lang) -> str | None:
    parts = []
    for ratio_id, field, vi, en in (
        ("committee_female_pct", "committee_female_min", "cấp ủy viên nữ chiếm", "women make up"),
        ("committee_youth_pct", "committee_youth_min", "cấp ủy viên trẻ chiếm", "young members make up"),
    ):
        row = _ratio(ratio_frame, ratio_id)
        if row is None:
            continue
        goal = fmt_pct(getattr(targets, field), 0, lang)
        met = row["status"] == an.MET
        if lang == "en":
            parts.append(f"{en} {fmt_pct(row['value'], 1, lang)} of committee members "
                         f"(target ≥ {goal} {'met' if met else 'not met'})")
        else:
            parts.append(f"{vi} {fmt_pct(row['value'], 1, lang)} ({'đạt' if met else 'chưa đạt'} chỉ tiêu {goal})")
    if no_woman:
        if lang == "en":
            parts.append(f"{_n(no_woman, lang)} {_plural(no_woman, 'committee has', 'committees have')} no woman")
        else:
            parts.append(f"{_n(no_woman, lang)} cấp ủy chưa có cấp ủy viên nữ")
    return ", ".join(parts) if parts else None


def _change(subject: tuple[str, str], row: pd.Series, lang: Lang) -> str | None:
    change, pct = row["change"], row["change_pct"]
    if is_missing(change):
        return None
    vi, en = subject
    amount = _n(abs(float(change)), lang)
    share = f" ({fmt_pct(abs(float(pct)), 1, lang)})" if not is_missing(pct) else ""
    if float(change) > 0:
        return f"{en} rose by {amount}{share}" if lang == "en" else f"{vi} tăng {amount}{share}"
    if float(change) < 0:
        return f"{en} fell by {amount}{share}" if lang == "en" else f"{vi} giảm {amount}{share}"
    return f"{en} did not change" if lang == "en" else f"{vi} không thay đổi"


def _term_start_words(table: pd.DataFrame, period: dict, other: int, lang: Lang) -> str:
    """"đầu nhiệm kỳ" when the baseline closes the day before the term; otherwise the baseline's own name
    (the store may only hold the term's first year, which is not the start of the term)."""
    base = table[table["id"].astype("int64") == other].iloc[0]
    if base["end"] == an.term_start(period["end"]) - dt.timedelta(days=1):
        return "the start of the term" if lang == "en" else "đầu nhiệm kỳ"
    label = str(base["label_en"] if lang == "en" else base["label"])
    return label if lang == "en" else label[:1].lower() + label[1:]


def _comparisons(totals: pd.DataFrame, table: pd.DataFrame, period: dict, modes: Sequence[str],
                 lang: Lang) -> list[str]:
    out: list[str] = []
    done: set[int] = set()
    kind = period["kind"]
    for mode in modes:
        other = an.comparison_period(table, period["id"], mode)  # type: ignore[arg-type]
        if other is None or other in done or other not in set(totals["period_id"].tolist()):
            continue
        done.add(other)
        if mode == "same_last_year" and kind != "year":
            against = "the same period last year" if lang == "en" else "cùng kỳ năm trước"
        elif mode in ("previous", "same_last_year"):
            words = _PREVIOUS_EN if lang == "en" else _PREVIOUS_VI
            against = words.get(kind, "the previous period" if lang == "en" else "kỳ trước")
        else:
            against = _term_start_words(table, period, other, lang)
        compared = an.compare_totals(totals, period["id"], other, [m for m, _, _ in _COMPARED])
        phrases = []
        for metric, vi, en in _COMPARED:
            hit = compared[compared["metric"] == metric]
            if mode == "term_start" and metric != "members_total":
                continue  # a flow of one period against another's says nothing about "since the term began"
            phrase = _change((vi, en), hit.iloc[0], lang) if not hit.empty else None
            if phrase:
                phrases.append(phrase)
        if phrases:
            head = f"compared with {against}" if lang == "en" else f"so với {against}"
            out.append(f"{head}, " + ", ".join(phrases))
    return out


@an.memoized
def report_paragraph(facts: pd.DataFrame, orgs: pd.DataFrame, periods: pd.DataFrame, period_id: int, *,
                     scope_name: str, lang: Lang = "vi", targets: an.Targets = an.DEFAULT_TARGETS,
                     unit: str | None = None,
                     comparisons: Sequence[str] = ("previous", "same_last_year")) -> str:
    """One paragraph for the scope in ``facts`` (already filtered; all periods, for the comparisons).

    ``facts``: org_id, period_id, metric columns; ``orgs``: id, parent_id, org_type, …; ``periods``: id,
    code, kind, start, end, label. ``unit`` names the organizations counted (default "tổ chức cơ sở đảng").
    """
    table = an.periods_table(periods)
    match = table[table["id"].astype("int64") == int(period_id)]
    # only the period and those it is compared with: a national frame holds many more
    wanted = {int(period_id)} | {other for mode in comparisons
                                 if (other := an.comparison_period(table, period_id, mode)) is not None}  # type: ignore[arg-type]
    totals = an.totals_by_period(facts, orgs)  # every period, once per scope (shared with the cards and charts)
    totals = totals[totals["period_id"].isin(wanted)]
    current = totals[totals["period_id"] == period_id]
    if match.empty or current.empty or not current.iloc[0]["organizations"]:
        if match.empty:
            label = str(period_id)
        else:
            label = match.iloc[0]["label_en"] if lang == "en" else match.iloc[0]["label"]
        if lang == "en":
            return f"There are no figures for {scope_name} in {label}."
        return f"Chưa có số liệu của {scope_name} trong {label[:1].lower() + label[1:]}."
    period = match.iloc[0].to_dict()
    period["id"] = int(period["id"])
    row = current.iloc[0]
    in_period = an.period_slice(facts, period_id)
    ratio_frame = an.ratios(in_period, orgs=orgs, periods=table, targets=targets)
    no_woman = None
    if {"committee_members", "committee_female"} <= set(facts.columns):
        no_woman = len(an.committees_without_women(an.reporting_units(in_period, orgs), orgs, period_id))
    clauses = [_lead(period, scope_name, row, ratio_frame, unit, lang)]
    for clause in (_flows(period, row, lang), _ratings(row, ratio_frame, targets, lang),
                   _committees(ratio_frame, targets, no_woman, lang)):
        if clause:
            clauses.append(clause)
    clauses.extend(_comparisons(totals, table, period, comparisons, lang))
    return "; ".join(clauses) + "."


def report_paragraphs(facts: pd.DataFrame, orgs: pd.DataFrame, periods: pd.DataFrame, period_id: int, *,
                      scope_name: str, targets: an.Targets = an.DEFAULT_TARGETS) -> dict[str, str]:
    """The paragraph in both languages: {"vi": …, "en": …}."""
    return {lang: report_paragraph(facts, orgs, periods, period_id, scope_name=scope_name, lang=lang,
                                   targets=targets)
            for lang in ("vi", "en")}
