"""Chất lượng / Quality ratings: the rating distribution over years; the "excellent ≤ 20% of good" check."""

from __future__ import annotations

import dash

from dashboard import analytics, figures
from dashboard.formatting import fmt_pct
from dashboard.web.topic import Attention, page_layout, register

dash.register_page(__name__, path="/chat-luong", title="Chất lượng", name="Chất lượng")
PREFIX = "qua"


def layout(**_query: str):
    return page_layout(PREFIX)


def build(view, lang):
    ratings = analytics.with_periods(analytics.rating_distribution(view.facts, view.orgs), view.periods)
    over_years = figures.build_rating_figure(ratings, lang=lang)
    by_type = analytics.ratios(view.facts[view.facts["period_id"] == view.period_id], orgs=view.orgs,
                               by="org_type", only=["good_or_better_pct"], targets=view.targets)
    good = figures.build_ratio_targets_figure(by_type, lang=lang, ratios=("good_or_better_pct",),
                                              targets=view.targets)
    limit = view.targets.excellent_of_good_max
    check = analytics.excellent_check(view.facts, view.orgs, view.period_id, limit=limit)
    over = check[~check["ok"]] if "ok" in check.columns else check.iloc[0:0]
    title = (f"Hoàn thành xuất sắc vượt {fmt_pct(limit, 0, lang)} số hoàn thành tốt" if lang == "vi" else
             f"Excellent above {fmt_pct(limit, 0, lang)} of good")
    rows = [(r.name, fmt_pct(r.share, lang=lang)) for r in over.itertuples()]
    return over_years, good, Attention(title, rows)


register(PREFIX, build)
