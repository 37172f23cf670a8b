"""Phát triển đảng viên / Admissions: admissions and recognitions over time against the target, by type;
organizations that admitted no one in the period."""

from __future__ import annotations

import dash

from dashboard import analytics, figures
from dashboard.formatting import fmt_int
from dashboard.web.topic import Attention, page_layout, register, same_kind

dash.register_page(__name__, path="/phat-trien-dang-vien", title="Phát triển đảng viên", name="Phát triển đảng viên")
PREFIX = "adm"


def layout(**_query: str):
    return page_layout(PREFIX)


def build(view, lang):
    metrics = ["admitted", "recognized_full", "members_total"]
    totals = analytics.with_periods(analytics.totals_by_period(view.facts, view.orgs, metrics=metrics), view.periods)
    over_time = figures.build_admissions_figure(same_kind(totals, view), lang=lang,
                                                 target=view.targets.admissions_per_year)
    by_type = analytics.ratios(view.facts[view.facts["period_id"] == view.period_id], orgs=view.orgs,
                               by="org_type", only=["admissions_per_100"], targets=view.targets)
    per_type = figures.build_ratio_targets_figure(by_type, lang=lang, ratios=("admissions_per_100",),
                                                  targets=view.targets)
    none = analytics.no_admissions(view.facts, view.orgs, view.period_id)
    title = "Tổ chức không kết nạp được đảng viên nào trong kỳ" if lang == "vi" else "Organizations with no admissions"
    rows = [(r.name, f"{fmt_int(r.members_total, lang)} {'đảng viên' if lang == 'vi' else 'members'}")
            for r in none.itertuples()]
    return over_time, per_type, Attention(title, rows)


register(PREFIX, build)
