"""Phát triển đảng viên / Admissions: admissions and recognitions over time against the target, by type;
organizations that admitted no one in the period."""

from __future__ import annotations

import dash

from dashboard import analytics, charts
from dashboard.formatting import fmt_int
from dashboard.web.links import org_ref
from dashboard.web.topic import SHOWN, Attention, page_layout, register

dash.register_page(__name__, path="/phat-trien-dang-vien", title="Phát triển đảng viên", name="Phát triển đảng viên")
CHARTS = ("admissions-trend", "admissions-by-type")  # dashboard.charts: page and downloads alike
PREFIX = "adm"


def layout(**_query: str):
    return page_layout(PREFIX, CHARTS)


def build(view, lang):
    over_time, per_type = (charts.figure(c, view, lang) for c in CHARTS)
    none = analytics.no_admissions(view.facts, view.orgs, view.period_id)
    title = "Tổ chức không kết nạp được đảng viên nào trong kỳ" if lang == "vi" else "Organizations with no admissions"
    rows = [(r.name, f"{fmt_int(r.members_total, lang)} {'đảng viên' if lang == 'vi' else 'members'}",
             org_ref(r.code, r.org_id)) for r in none.head(SHOWN).itertuples()]
    return over_time, per_type, Attention(title, rows, len(none))


register(PREFIX, build)
