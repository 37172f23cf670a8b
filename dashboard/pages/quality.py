"""Chất lượng / Quality ratings: the rating distribution over years; the "excellent ≤ 20% of good" check."""

from __future__ import annotations

import dash

from dashboard import analytics, charts
from dashboard.formatting import fmt_pct
from dashboard.web.links import org_ref
from dashboard.web.topic import SHOWN, Attention, page_layout, register

dash.register_page(__name__, path="/chat-luong", title="Chất lượng", name="Chất lượng")
CHARTS = ("quality-ratings", "quality-good")  # dashboard.charts: page and downloads alike
PREFIX = "qua"


def layout(**_query: str):
    return page_layout(PREFIX, CHARTS)


def build(view, lang):
    over_years, good = (charts.figure(c, view, lang) for c in CHARTS)
    limit = view.targets.excellent_of_good_max
    rated = charts.ratings_view(view, lang)  # a quarter: its year's ratings
    check = analytics.excellent_check(rated.facts, rated.orgs, rated.period_id, limit=limit)
    over = check[~check["ok"]] if "ok" in check.columns else check.iloc[0:0]
    title = (f"Hoàn thành xuất sắc vượt {fmt_pct(limit, 0, lang)} số hoàn thành tốt" if lang == "vi" else
             f"Excellent above {fmt_pct(limit, 0, lang)} of good")
    if rated.period_id != view.period_id:
        title += f" ({rated.period_label})"
    rows = [(r.name, fmt_pct(r.share, lang=lang), org_ref(r.code, r.org_id)) for r in over.head(SHOWN).itertuples()]
    return over_years, good, Attention(title, rows, len(over))


register(PREFIX, build)
