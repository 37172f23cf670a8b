"""Cơ cấu / Composition: women and youth among members and committee members against their targets, by type;
committees with no woman."""

from __future__ import annotations

import dash

from dashboard import analytics, charts
from dashboard.web.links import org_ref
from dashboard.web.topic import SHOWN, Attention, page_layout, register

dash.register_page(__name__, path="/co-cau", title="Cơ cấu", name="Cơ cấu")
CHARTS = ("composition-women-youth", "composition-ethnic")  # dashboard.charts: page and downloads alike
PREFIX = "cmp"


def layout(**_query: str):
    return page_layout(PREFIX, CHARTS)


def build(view, lang):
    women_youth, ethnic = (charts.figure(c, view, lang) for c in CHARTS)
    none = analytics.committees_without_women(view.facts, view.orgs, view.period_id)
    title = "Cấp ủy chưa có cấp ủy viên nữ" if lang == "vi" else "Committees with no woman"
    return women_youth, ethnic, Attention(title, [(r.name, "", org_ref(r.code, r.org_id))
                                                      for r in none.head(SHOWN).itertuples()], len(none))


register(PREFIX, build)
