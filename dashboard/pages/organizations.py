"""Tổ chức / Organizations: drill down the hierarchy (treemap, breadcrumb) and a table of every organization."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import analytics, charts, figures
from dashboard.figures import metric_name
from dashboard.web import context
from dashboard.web.components import GRAPH_CONFIG
from dashboard.web.export_menu import export_menu
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.state import build, parse
from dashboard.web.view import resolve

dash.register_page(__name__, path="/to-chuc", title="Tổ chức — Thống kê đảng viên", name="Tổ chức")

GRID_METRICS = ("members_total", "members_probationary", "members_female", "admitted", "recognized_full",
                "disciplined_total", "committee_members", "committee_female", "committee_youth")


def layout(**_query: str) -> html.Div:
    return html.Div([
        html.Div(id=Id.ORG_TREE + "-crumbs", className="mb-2"),
        dcc.Loading(dcc.Graph(id=Id.ORG_TREE, config=GRAPH_CONFIG, style={"height": "520px"})),
        export_menu("organizations-tree"),
        dbc.Input(id=Id.ORG_SEARCH, type="search", className="my-2", debounce=True),
        # row ids are strings (AG Grid wants them so): the organization's id as text
        dag.AgGrid(id=Id.ORG_GRID, className="ag-theme-alpine", style={"height": "520px"},
                   getRowId="params.data.id",
                   dashGridOptions={"pagination": True, "paginationPageSize": 50, "animateRows": False},
                   defaultColDef={"sortable": True, "filter": True, "resizable": True}),
    ])


@callback(
    Output(Id.ORG_TREE, "figure"), Output(Id.ORG_GRID, "rowData"), Output(Id.ORG_GRID, "columnDefs"),
    Output(Id.ORG_TREE + "-crumbs", "children"), Output(Id.ORG_SEARCH, "placeholder"),
    Input(Id.URL, "search"),
)
def update(search: str | None):
    state = parse(search)
    lang = lang_of(state.lang)
    view = resolve(context.snapshot(), state)
    crumbs = _breadcrumb(view, state)
    if view.period_id is None or view.facts.empty:
        return figures.empty_figure(lang), [], [], crumbs, t("search", lang)
    fig = charts.figure("organizations-tree", view, lang)
    table = analytics.org_table(view.facts, view.orgs, view.period_id, lang=lang)
    metrics = [m for m in GRID_METRICS if m in table.columns]
    rows = [{"id": str(int(r.org_id)), "code": r.code if isinstance(r.code, str) else "", "name": r.name,
             "type": r.org_type_name if isinstance(r.org_type_name, str) else "",
             "parent": r.parent_name if isinstance(r.parent_name, str) else "",
             **{m: (None if _na(getattr(r, m)) else int(getattr(r, m))) for m in metrics}}
            for r in table.itertuples()]
    columns = [
        {"field": "code", "headerName": "Mã" if lang == "vi" else "Code", "pinned": "left", "width": 110},
        {"field": "name", "headerName": "Tên tổ chức" if lang == "vi" else "Organization", "pinned": "left",
         "width": 300},
        {"field": "type", "headerName": t("types", lang)},
        {"field": "parent", "headerName": "Cấp trên" if lang == "vi" else "Parent"},
        *[{"field": m, "headerName": metric_name(m, lang), "type": "numericColumn",
           "valueFormatter": {"function": "d3.format(',')(params.value)" if lang == "en" else
                              "params.value == null ? '' : params.value.toLocaleString('vi-VN')"}}
          for m in metrics],
    ]
    return fig, rows, columns, crumbs, t("search", lang)


def _na(v: object) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


def _breadcrumb(view, state) -> html.Div:
    """The path from the top to the organization in view; each step is a link up the tree."""
    orgs = view.orgs.set_index("id") if not view.orgs.empty else view.orgs
    steps = []
    node = view.root_id
    while node is not None and node in orgs.index:
        row = orgs.loc[node]
        code = row["code"] if isinstance(row["code"], str) else str(node)
        steps.append((row["name"], code))
        parent = row["parent_id"]
        node = int(parent) if parent == parent and parent is not None else None
    lang = lang_of(state.lang)
    items = [dcc.Link(t("org_all", lang), href="/to-chuc" + build(state.with_(org=None)))]
    for name, code in reversed(steps):
        items += [html.Span(" › "), dcc.Link(name, href="/to-chuc" + build(state.with_(org=code)))]
    return html.Div(items)


@callback(Output(Id.URL, "search", allow_duplicate=True), Input(Id.ORG_TREE, "clickData"),
          Input(Id.ORG_GRID, "cellClicked"), State(Id.URL, "search"), prevent_initial_call=True)
def drill(click, cell, search):
    """A click on a box of the treemap or on a row of the table shows that organization (and its subtree)."""
    org_id = None
    if dash.ctx.triggered_id == Id.ORG_TREE and click:
        point = click["points"][0]
        org_id = point.get("id")
    elif dash.ctx.triggered_id == Id.ORG_GRID and cell:
        org_id = cell.get("rowId")
    if org_id is None or not str(org_id).isdigit():
        raise PreventUpdate
    orgs = context.snapshot().orgs
    hit = orgs[orgs["id"] == int(org_id)]
    if hit.empty:
        raise PreventUpdate
    code = hit.iloc[0]["code"]
    ref = code if isinstance(code, str) else str(int(org_id))
    new = build(parse(search).with_(org=ref))
    return new if new != search else no_update


@callback(Output(Id.ORG_GRID, "dashGridOptions"), Input(Id.ORG_SEARCH, "value"),
          State(Id.ORG_GRID, "dashGridOptions"))
def quick_search(text, options):
    options = dict(options or {})
    options["quickFilterText"] = text or ""
    return options

