"""Biến động / Balance: opening + flows = closing as a waterfall; organizations where it does not hold."""

from __future__ import annotations

import dash

from dashboard import analytics, charts
from dashboard.formatting import fmt_signed
from dashboard.web.links import org_ref
from dashboard.web.topic import SHOWN, Attention, page_layout, register

dash.register_page(__name__, path="/bien-dong", title="Biến động", name="Biến động")
CHARTS = ("balance-waterfall", "balance-trend")  # dashboard.charts: page and downloads alike
PREFIX = "bal"


def layout(**_query: str):
    return page_layout(PREFIX, CHARTS)


def build(view, lang):
    waterfall, trend = (charts.figure(c, view, lang) for c in CHARTS)
    broken = analytics.balance_issues(view.facts, view.orgs, view.periods, view.period_id)
    title = "Tổ chức có số liệu biến động không khớp" if lang == "vi" else "Organizations whose balance does not hold"
    return waterfall, trend, Attention(title, [(r.name, fmt_signed(r.difference, lang=lang),
                                                org_ref(r.code, r.org_id)) for r in broken.head(SHOWN).itertuples()],
                                       len(broken))


register(PREFIX, build)
