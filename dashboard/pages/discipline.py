"""Kỷ luật / Discipline: discipline by form over time; removals, expulsions and resignations over time."""

from __future__ import annotations

import dash

from dashboard import analytics, figures
from dashboard.web.topic import Attention, page_layout, register, same_kind

dash.register_page(__name__, path="/ky-luat", title="Kỷ luật", name="Kỷ luật")
PREFIX = "dis"
FORMS = ("disciplined_reprimand", "disciplined_warning", "disciplined_dismissal", "disciplined_expulsion")
EXITS = ("removed", "expelled", "resigned")


def layout(**_query: str):
    return page_layout(PREFIX)


def build(view, lang):
    totals = analytics.with_periods(analytics.totals_by_period(view.facts, view.orgs,
                                                               metrics=[*FORMS, *EXITS, "disciplined_total"]),
                                    view.periods)
    rows = same_kind(totals, view)
    by_form = figures.build_discipline_figure(rows, lang=lang)
    exits = figures.build_membership_figure(rows, lang=lang, metrics=EXITS,
                                            title="Xóa tên, khai trừ, xin ra khỏi Đảng" if lang == "vi" else
                                            "Removals, expulsions and resignations")
    table = analytics.org_table(view.facts, view.orgs, view.period_id, lang=lang)
    hit = table[table["disciplined_total"].fillna(0) > 0] if "disciplined_total" in table.columns else table.iloc[0:0]
    title = "Tổ chức có đảng viên bị kỷ luật trong kỳ" if lang == "vi" else "Organizations with disciplined members"
    return by_form, exits, Attention(title, [(r.name, str(int(r.disciplined_total))) for r in hit.itertuples()])


register(PREFIX, build)
