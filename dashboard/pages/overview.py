"""Tổng quan / Overview: key figures with their change, composition by type, membership over time, narrative."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import analytics, charts, figures
from dashboard.formatting import fmt_int, fmt_pct, fmt_points, fmt_signed
from dashboard.narrative import report_paragraph
from dashboard.web import context
from dashboard.web.components import GRAPH_CONFIG
from dashboard.web.export_menu import export_menu
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.state import build, parse
from dashboard.web.view import remembered, resolve
from loaders.catalogue import ORG_TYPE_IDS

dash.register_page(__name__, path="/", title="Tổng quan — Thống kê đảng viên", name="Tổng quan")

# (card key, metric or ratio id, kind)
CARDS = (
    ("organizations", "organizations", "count"),
    ("members_total", "members_total", "count"),
    ("members_probationary", "members_probationary", "count"),
    ("admitted", "admitted", "count"),
    ("recognized_full", "recognized_full", "count"),
    ("disciplined_total", "disciplined_total", "count"),
    ("removed", "removed", "count"),
    ("women_pct", "women_pct", "ratio"),
    ("committee_women_pct", "committee_female_pct", "ratio"),
    ("committee_youth_pct", "committee_youth_pct", "ratio"),
    ("secretary_pct", "secretary_head_pct", "ratio"),
)


def layout(**_query: str) -> html.Div:
    return html.Div([
        dcc.Loading(dbc.Row(id=Id.OVW_CARDS, className="g-2 mb-3")),
        dbc.Row([
            dbc.Col([dcc.Loading(dcc.Graph(id=Id.OVW_COMPOSITION, config=GRAPH_CONFIG)),
                     export_menu("overview-composition")], lg=6),
            dbc.Col([dcc.Loading(dcc.Graph(id=Id.OVW_TREND, config=GRAPH_CONFIG)),
                     export_menu("overview-trend")], lg=6),
        ], className="g-2"),
        dbc.Card(dbc.CardBody([
            html.H5(id=Id.OVW_NARRATIVE + "-title"),
            html.P(id=Id.OVW_NARRATIVE, className="mb-1"),
            dcc.Clipboard(target_id=Id.OVW_NARRATIVE, id=Id.OVW_COPY, title="copy"),
        ]), className="mt-3"),
    ])


def _card(title: str, value: str, change: str, status: str | None) -> dbc.Col:
    color = {"met": "success", "not_met": "danger"}.get(status or "", "light")
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(title, className="small text-muted"),
        html.Div(value, className="fs-4 fw-bold"),
        html.Div(change, className="small"),
    ]), color=color, outline=True), xs=6, md=4, lg=3, xl=2)


@callback(
    Output(Id.OVW_CARDS, "children"), Output(Id.OVW_COMPOSITION, "figure"), Output(Id.OVW_TREND, "figure"),
    Output(Id.OVW_NARRATIVE, "children"), Output(Id.OVW_NARRATIVE + "-title", "children"),
    Input(Id.URL, "search"),
)
def update(search: str | None):
    snap = context.snapshot()
    return remembered(snap, ("overview", build(parse(search))), lambda: _answer(snap, search), shared=True)


def _answer(snap, search: str | None):
    state = parse(search)
    lang = lang_of(state.lang)
    view = resolve(snap, state)
    if view.period_id is None or view.facts.empty:
        empty = figures.empty_figure(lang)
        return [dbc.Col(html.P(t("no_data", lang)))], empty, empty, t("no_data", lang), t("narrative", lang)
    return (_safe(_cards, view, lang, []), _safe(_composition, view, lang, None),
            _safe(_trend, view, lang, None), _safe(_narrative, view, lang, t("no_data", lang)), t("narrative", lang))


def _safe(part, view, lang, fallback):
    """One part failing (odd data) shows a message in its place; the rest of the page still works."""
    try:
        return part(view, lang)
    except (KeyError, ValueError, TypeError, IndexError):
        return figures.empty_figure(lang, message=t("no_data", lang)) if fallback is None else fallback


@callback(Output(Id.URL, "search", allow_duplicate=True), Input(Id.OVW_COMPOSITION, "clickData"),
          State(Id.URL, "search"), prevent_initial_call=True)
def filter_by_type(click, search):
    """Cross-filtering: a click on a type's bar keeps only that type (the chip above shows and clears it)."""
    points = (click or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    type_id = custom[0] if isinstance(custom, list) and custom else None
    if type_id not in ORG_TYPE_IDS and type_id != "unknown":
        raise PreventUpdate
    return build(parse(search).with_(types=(type_id,)))


def _cards(view, lang):
    metrics = [m for _, m, kind in CARDS if kind == "count" and m != "organizations"]
    totals = analytics.totals_by_period(view.facts, view.orgs, metrics=metrics)
    compared = analytics.compare_totals(totals, view.period_id, view.other_id, ["organizations", *metrics])
    ratios = analytics.ratios(view.facts, orgs=view.orgs, periods=view.periods, targets=view.targets)
    ratio_cmp = analytics.compare_ratios(ratios, view.period_id, view.other_id)
    other = _period_name(view, view.other_id, lang)
    cards = []
    for key, metric, kind in CARDS:
        if kind == "count":
            row = compared[compared["metric"] == metric]
            if row.empty or _missing(row.iloc[0]["value"]):
                continue
            r = row.iloc[0]
            change = "" if _missing(r.get("change")) else (
                f"{fmt_signed(r['change'], lang=lang)} {t('vs', lang)} {other}")
            cards.append(_card(t(key, lang), fmt_int(r["value"], lang), change, None))
        else:
            row = ratio_cmp[ratio_cmp["ratio"] == metric]
            if row.empty or _missing(row.iloc[0]["value"]):
                continue
            r = row.iloc[0]
            change = "" if _missing(r.get("change")) else (
                f"{fmt_points(r['change'], lang=lang)} {t('vs', lang)} {other}")
            status = r.get("status") if isinstance(r.get("status"), str) else None
            note = f" · {t('target_met' if status == 'met' else 'target_not_met', lang)}" if status else ""
            cards.append(_card(t(key, lang), fmt_pct(r["value"], lang=lang), change + note, status))
    return cards


def _period_name(view, period_id, lang):
    row = view.periods[view.periods["id"] == period_id]
    if row.empty:
        return ""
    r = row.iloc[0]
    return analytics.period_label_en(str(r["code"]), str(r["kind"]), str(r["label"])) if lang == "en" else str(
        r["label"])


def _missing(v: object) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


def _composition(view, lang):
    return charts.figure("overview-composition", view, lang)


def _trend(view, lang):
    return charts.figure("overview-trend", view, lang)


def _narrative(view, lang):
    return report_paragraph(view.facts, view.orgs, view.periods, view.period_id, scope_name=view.root_name,
                            lang=lang, targets=view.targets)
