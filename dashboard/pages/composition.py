"""Cơ cấu / Composition: women and youth among members and committee members against their targets, by type;
committees with no woman."""

from __future__ import annotations

import dash

from dashboard import analytics, figures
from dashboard.web.topic import Attention, page_layout, register

dash.register_page(__name__, path="/co-cau", title="Cơ cấu", name="Cơ cấu")
PREFIX = "cmp"


def layout(**_query: str):
    return page_layout(PREFIX)


def build(view, lang):
    period = view.facts[view.facts["period_id"] == view.period_id]
    by_type = analytics.ratios(period, orgs=view.orgs, by="org_type", targets=view.targets)
    women_youth = figures.build_ratio_targets_figure(by_type, lang=lang, targets=view.targets)
    ethnic = figures.build_ratio_targets_figure(
        by_type, lang=lang, ratios=("ethnic_minority_pct", "committee_ethnic_minority_pct"),
        title="Dân tộc thiểu số" if lang == "vi" else "Ethnic minorities")
    none = analytics.committees_without_women(view.facts, view.orgs, view.period_id)
    title = "Cấp ủy chưa có cấp ủy viên nữ" if lang == "vi" else "Committees with no woman"
    return women_youth, ethnic, Attention(title, [(r.name, "") for r in none.itertuples()])


register(PREFIX, build)
