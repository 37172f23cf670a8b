"""Biến động / Balance: opening + flows = closing as a waterfall; organizations where it does not hold."""

from __future__ import annotations

import dash

from dashboard import analytics, figures
from dashboard.formatting import fmt_signed
from dashboard.web.topic import Attention, page_layout, register, same_kind

dash.register_page(__name__, path="/bien-dong", title="Biến động", name="Biến động")
PREFIX = "bal"


def layout(**_query: str):
    return page_layout(PREFIX)


def build(view, lang):
    table = analytics.balance(view.facts, view.periods, orgs=view.orgs)
    this = table[table["period_id"] == view.period_id]
    waterfall = figures.build_balance_figure(this, lang=lang)
    totals = analytics.with_periods(analytics.totals_by_period(view.facts, view.orgs, metrics=["members_total"]),
                                    view.periods)
    trend = figures.build_membership_figure(same_kind(totals, view), lang=lang)
    broken = analytics.balance_issues(view.facts, view.orgs, view.periods, view.period_id)
    title = "Tổ chức có số liệu biến động không khớp" if lang == "vi" else "Organizations whose balance does not hold"
    return waterfall, trend, Attention(title, [(r.name, fmt_signed(r.difference, lang=lang))
                                               for r in broken.itertuples()])


register(PREFIX, build)
