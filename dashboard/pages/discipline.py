"""Kỷ luật / Discipline: discipline by form over time; removals, expulsions and resignations over time."""

from __future__ import annotations

import dash

from dashboard import analytics, charts
from dashboard.web.links import org_ref
from dashboard.web.topic import SHOWN, Attention, page_layout, register

dash.register_page(__name__, path="/ky-luat", title="Kỷ luật", name="Kỷ luật")
CHARTS = ("discipline-forms", "discipline-exits")  # dashboard.charts: page and downloads alike
PREFIX = "dis"
FORMS = ("disciplined_reprimand", "disciplined_warning", "disciplined_dismissal", "disciplined_expulsion")
EXITS = ("removed", "expelled", "resigned")


def layout(**_query: str):
    return page_layout(PREFIX, CHARTS)


def build(view, lang):
    by_form, exits = (charts.figure(c, view, lang) for c in CHARTS)
    table = analytics.org_table(view.facts, view.orgs, view.period_id, lang=lang)
    hit = table[table["disciplined_total"].fillna(0) > 0] if "disciplined_total" in table.columns else table.iloc[0:0]
    title = "Tổ chức có đảng viên bị kỷ luật trong kỳ" if lang == "vi" else "Organizations with disciplined members"
    return by_form, exits, Attention(title, [(r.name, str(int(r.disciplined_total)),
                                                  org_ref(r.code, r.org_id)) for r in hit.head(SHOWN).itertuples()],
                                       len(hit))


register(PREFIX, build)
