"""Đơn vị / One organization's own page: who it is, where it sits, its figures and trends over time, and
the organizations under it. Reached from a row of the organizations table or a name in any list."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard import analytics, charts, figures
from dashboard.figures import metric_name
from dashboard.formatting import fmt_int, fmt_pct, is_missing
from dashboard.web import context
from dashboard.web.components import GRAPH_CONFIG
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.links import UNIT_PATH, org_ref, site_path, unit_href
from dashboard.web.state import build, parse
from dashboard.web.view import find_org, remembered, resolve

dash.register_page(__name__, path=UNIT_PATH, title="Đơn vị — Thống kê đảng viên", name="Đơn vị")

TABLE_METRICS = ("members_total", "members_probationary", "members_female", "admitted", "recognized_full",
                 "disciplined_total", "committee_members", "committee_female")
RATIO_LINES = ("women_pct", "committee_female_pct", "committee_youth_pct")


def layout(**_query: str) -> html.Div:
    return html.Div([
        html.Div(id=Id.UNIT_HEADER, className="mb-2"),
        dbc.Row([
            dbc.Col(dcc.Loading(dcc.Graph(id=Id.UNIT_MEMBERS, config=GRAPH_CONFIG)), lg=6),
            dbc.Col(dcc.Loading(dcc.Graph(id=Id.UNIT_ADMISSIONS, config=GRAPH_CONFIG)), lg=6),
            dbc.Col(dcc.Loading(dcc.Graph(id=Id.UNIT_RATIOS, config=GRAPH_CONFIG)), lg=12),
        ], className="g-2"),
        html.Div(id=Id.UNIT_TABLE, className="mt-3"),
        html.Div(id=Id.UNIT_CHILDREN, className="mt-3"),
    ])


@callback(
    Output(Id.UNIT_HEADER, "children"), Output(Id.UNIT_MEMBERS, "figure"), Output(Id.UNIT_ADMISSIONS, "figure"),
    Output(Id.UNIT_RATIOS, "figure"), Output(Id.UNIT_TABLE, "children"), Output(Id.UNIT_CHILDREN, "children"),
    Input(Id.URL, "search"),
)
def update(search: str | None):
    snap = context.snapshot()
    return remembered(snap, ("unit", build(parse(search))), lambda: _answer(snap, search), shared=True)


def _answer(snap, search: str | None):
    state = parse(search)
    lang = lang_of(state.lang)
    empty = figures.empty_figure(lang)
    org = find_org(snap.orgs, state.org) if state.org else None
    if org is None:
        message = t("unit_unknown", lang, ref=state.org) if state.org else t("unit_pick", lang)
        return (dbc.Alert([message, " ", dcc.Link(t("page_orgs", lang), href=site_path("/to-chuc") + build(state))],
                          color="info"), empty, empty, empty, None, None)
    view = resolve(snap, state.with_(types=()))
    header = _header(snap.orgs, org, state, lang)
    if view.period_id is None or view.facts.empty:
        return header, empty, empty, empty, html.P(t("no_data", lang)), _children(view, org, state, lang)
    return (header, _safe(lambda: charts.figure("overview-trend", view, lang), lang),
            _safe(lambda: charts.figure("admissions-trend", view, lang), lang),
            _safe(lambda: _ratio_trend(view, lang), lang), _by_period(view, lang), _children(view, org, state, lang))


def _safe(make, lang):
    """One chart failing on odd data shows a message in its place; the rest of the page still works."""
    try:
        return make()
    except (KeyError, ValueError, TypeError, IndexError):
        return figures.empty_figure(lang, message=t("no_data", lang))


def _header(orgs: pd.DataFrame, org: pd.Series, state, lang) -> html.Div:
    parts = [html.H4(str(org["name"]), className="mb-1")]
    facts = []
    if isinstance(org["code"], str):
        facts.append(f"{t('unit_code', lang)}: {org['code']}")
    if isinstance(org["org_type"], str):
        facts.append(analytics.org_type_name(org["org_type"], lang))
    line: list = [" · ".join(facts)] if facts else []
    parent_id = org["parent_id"]
    if not is_missing(parent_id):
        parent = orgs[orgs["id"] == int(parent_id)]
        if not parent.empty:
            p = parent.iloc[0]
            line += [" · " if line else "", f"{t('unit_under', lang)}: ",
                     dcc.Link(str(p["name"]), href=unit_href(state, org_ref(p["code"], p["id"])))]
    parts.append(html.Div(line, className="text-muted small"))
    return html.Div(parts)


def _same_kind(table: pd.DataFrame, view) -> pd.DataFrame:
    kind = view.periods.loc[view.periods["id"] == view.period_id, "kind"].iloc[0]
    return table[table["kind"] == kind]


def _ratio_trend(view, lang):
    ratios = analytics.ratios(view.facts, orgs=view.orgs, periods=view.periods, targets=view.targets,
                              only=RATIO_LINES)
    wide = analytics.with_periods(analytics.ratios_wide(ratios), view.periods)
    return figures.build_ratio_trend_figure(_same_kind(wide, view), lang=lang, targets=view.targets,
                                            ratios=RATIO_LINES)


def _by_period(view, lang) -> html.Div:
    """The figures of every period of the chosen kind, newest first, with the women's share."""
    totals = analytics.totals_by_period(view.facts, view.orgs, metrics=TABLE_METRICS)
    table = _same_kind(analytics.with_periods(totals, view.periods), view).iloc[::-1]
    metrics = [m for m in TABLE_METRICS if m in table.columns and table[m].notna().any()]
    label = "label_en" if lang == "en" else "label"
    women = "members_female" in table.columns and "members_total" in table.columns
    head = [html.Th(t("period", lang)), *[html.Th(metric_name(m, lang)) for m in metrics]]
    if women:
        head.append(html.Th(analytics.RATIO_BY_ID["women_pct"].en if lang == "en" else
                            analytics.RATIO_BY_ID["women_pct"].vi))
    rows = []
    for r in table.to_dict("records"):
        cells = [html.Td(str(r[label]), style={"whiteSpace": "nowrap"}),
                 *[html.Td(fmt_int(r[m], lang), className="text-end") for m in metrics]]
        if women:
            share = (r["members_female"] / r["members_total"]
                     if not is_missing(r["members_female"]) and not is_missing(r["members_total"])
                     and r["members_total"] else None)
            cells.append(html.Td(fmt_pct(share, lang=lang), className="text-end"))
        rows.append(html.Tr(cells, className="table-active" if r["period_id"] == view.period_id else None))
    return html.Div([html.H5(t("unit_by_period", lang)),
                     dbc.Table([html.Thead(html.Tr(head)), html.Tbody(rows)], size="sm", striped=True,
                               responsive=True)])


def _children(view, org: pd.Series, state, lang) -> html.Div | None:
    """The organizations right under this one, each a link to its own page, with its members in the period."""
    orgs = view.orgs
    kids = orgs[pd.array(orgs["parent_id"], dtype="Int64") == int(org["id"])]
    if kids.empty:
        return None
    members: dict[int, object] = {}
    if view.period_id is not None and not view.facts.empty:
        tree = analytics.hierarchy_frame(view.facts, orgs, view.period_id, root_id=int(org["id"]))
        members = dict(zip(tree["id"].astype("int64"), tree["value"], strict=True)) if not tree.empty else {}
    items = [html.Li([dcc.Link(str(k.name), href=unit_href(state, org_ref(k.code, k.id))),
                      f" — {fmt_int(members[int(k.id)], lang)} {'đảng viên' if lang == 'vi' else 'members'}"
                      if int(k.id) in members else ""])
             for k in kids.sort_values("name").itertuples()]
    return html.Div([html.H5(f"{t('unit_children', lang)} ({fmt_int(len(kids), lang)})"),
                     html.Ul(items[:500])])
