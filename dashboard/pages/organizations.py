"""Tổ chức / Organizations: drill down the hierarchy (treemap, breadcrumb) and a table of every organization."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import analytics, charts, figures
from dashboard.figures import metric_name
from dashboard.web import context
from dashboard.web.components import GRAPH_CONFIG
from dashboard.web.export_menu import export_menu
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.links import org_ref, site_path, unit_href
from dashboard.web.state import build, parse
from dashboard.web.view import remembered, resolve, search_keys
from loaders.text import fold

dash.register_page(__name__, path="/to-chuc", title="Tổ chức — Thống kê đảng viên", name="Tổ chức")

GRID_METRICS = ("members_total", "members_probationary", "members_female", "admitted", "recognized_full",
                "disciplined_total", "committee_members", "committee_female", "committee_youth")


PAGE_SIZE = 50
# AG Grid's own words (paging, filters) in Vietnamese
GRID_VI = {"page": "Trang", "of": "/", "to": "–", "more": "nhiều", "firstPage": "Trang đầu",
           "previousPage": "Trang trước", "nextPage": "Trang sau", "lastPage": "Trang cuối",
           "pageSizeSelectorLabel": "Số dòng:", "pageLastRowUnknown": "?", "loadingOoo": "Đang tải…",
           "noRowsToShow": "Không có tổ chức nào", "filterOoo": "Lọc…", "contains": "Chứa",
           "notContains": "Không chứa", "equals": "Bằng", "notEqual": "Khác", "startsWith": "Bắt đầu bằng",
           "endsWith": "Kết thúc bằng", "lessThan": "Nhỏ hơn", "lessThanOrEqual": "Nhỏ hơn hoặc bằng",
           "greaterThan": "Lớn hơn", "greaterThanOrEqual": "Lớn hơn hoặc bằng", "inRange": "Trong khoảng",
           "blank": "Trống", "notBlank": "Không trống", "resetFilter": "Bỏ lọc", "andCondition": "Và",
           "orCondition": "Hoặc"}
NUMBER_FILTERS = {"equals": "__eq__", "notEqual": "__ne__", "lessThan": "__lt__", "lessThanOrEqual": "__le__",
                  "greaterThan": "__gt__", "greaterThanOrEqual": "__ge__"}


def layout(**_query: str) -> html.Div:
    return html.Div([
        html.Div(id=Id.ORG_TREE + "-crumbs", className="mb-2"),
        dcc.Loading(dcc.Graph(id=Id.ORG_TREE, config=GRAPH_CONFIG, style={"height": "520px"})),
        export_menu("organizations-tree"),
        dbc.Input(id=Id.ORG_SEARCH, type="search", className="my-2", debounce=True),
        html.Div(id=Id.ORG_GRID + "-hint", className="small text-muted mb-1"),
        # the grid asks the server for one page of rows at a time (a national table has 50.000 of them);
        # it is re-created when the view or the search changes, carrying them in its context
        html.Div(id=Id.ORG_GRID + "-box"),
    ])


@callback(
    Output(Id.ORG_TREE, "figure"), Output(Id.ORG_TREE + "-crumbs", "children"), Output(Id.ORG_SEARCH, "placeholder"),
    Input(Id.URL, "search"),
)
def update(search: str | None):
    snap = context.snapshot()
    return remembered(snap, ("orgs-tree", build(parse(search))), lambda: _tree(snap, search), shared=True)


def _tree(snap, search: str | None):
    state = parse(search)
    lang = lang_of(state.lang)
    view = resolve(snap, state)
    crumbs = _breadcrumb(view, state)
    if view.period_id is None or view.facts.empty:
        return figures.empty_figure(lang), crumbs, t("search", lang)
    return charts.figure("organizations-tree", view, lang), crumbs, t("search", lang)


@callback(Output(Id.ORG_GRID + "-box", "children"), Output(Id.ORG_GRID + "-hint", "children"),
          Input(Id.URL, "search"), Input(Id.ORG_SEARCH, "value"))
def grid(search: str | None, text: str | None):
    """The table for the view: its columns, and the view and search it will ask rows for."""
    state = parse(search)
    lang = lang_of(state.lang)
    metrics = [m for m in GRID_METRICS]
    number_format = ("d3.format(',')(params.value)" if lang == "en" else
                     "params.value == null ? '' : params.value.toLocaleString('vi-VN')")
    columns = [
        {"field": "code", "headerName": "Mã" if lang == "vi" else "Code", "pinned": "left", "width": 110},
        {"field": "name", "headerName": "Tên tổ chức" if lang == "vi" else "Organization", "pinned": "left",
         "width": 300},
        {"field": "type", "headerName": t("types", lang)},
        {"field": "parent", "headerName": "Cấp trên" if lang == "vi" else "Parent"},
        *[{"field": m, "headerName": metric_name(m, lang), "type": "numericColumn",
           "filter": "agNumberColumnFilter", "valueFormatter": {"function": number_format}} for m in metrics],
    ]
    table = dag.AgGrid(
        id=Id.ORG_GRID, className="ag-theme-alpine", style={"height": "520px"}, rowModelType="infinite",
        columnDefs=columns, getRowId="params.data.id",
        defaultColDef={"sortable": True, "filter": "agTextColumnFilter", "resizable": True,
                       "filterParams": {"buttons": ["reset"], "maxNumConditions": 1}},
        dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                         "animateRows": False, "context": {"search": build(state), "text": (text or "")[:100]},
                         **({"localeText": GRID_VI} if lang == "vi" else {})},
    )
    return table, t("grid_hint", lang)


@callback(Output(Id.ORG_GRID, "getRowsResponse"), Input(Id.ORG_GRID, "getRowsRequest"), prevent_initial_call=True)
def rows(request):
    """One page of rows, sorted and filtered on the server as the grid asks."""
    if not request:
        raise PreventUpdate
    context_ = request.get("context") or {}
    snap = context.snapshot()
    state = parse(context_.get("search"))
    view = resolve(snap, state)
    if view.period_id is None or view.facts.empty:
        return {"rowData": [], "rowCount": 0}
    lang = lang_of(state.lang)
    table = remembered(snap, ("orgs-grid", build(state)), lambda: _grid_frame(view, lang, search_keys(snap)))
    chosen = _filtered(table, context_.get("text") or "", request.get("filterModel") or {})
    for sort in reversed(request.get("sortModel") or []):
        column = sort.get("colId")
        if column in chosen.columns:
            chosen = chosen.sort_values(column, ascending=sort.get("sort") != "desc", kind="stable",
                                        na_position="last")
    start = max(int(request.get("startRow") or 0), 0)
    end = min(max(int(request.get("endRow") or start + PAGE_SIZE), start), start + 500)
    page = chosen.iloc[start:end]
    records = [{k: (None if _na(v) else (int(v) if k in GRID_METRICS else v)) for k, v in r.items()}
               for r in page.to_dict("records")]
    return {"rowData": records, "rowCount": len(chosen)}


def _grid_frame(view, lang, keys: pd.Series) -> pd.DataFrame:
    """Every organization with figures in the period: id (text), code, name, type, parent, the metrics, and a
    folded name and code for the search (Vietnamese without diacritics matches too)."""
    table = analytics.org_table(view.facts, view.orgs, view.period_id, lang=lang)
    metrics = [m for m in GRID_METRICS if m in table.columns]
    frame = pd.DataFrame({
        "id": table["org_id"].astype("int64").astype(str),
        "code": table["code"].where(table["code"].map(lambda c: isinstance(c, str)), ""),
        "name": table["name"].astype(str),
        "type": table["org_type_name"].where(table["org_type_name"].map(lambda c: isinstance(c, str)), ""),
        "parent": table["parent_name"].where(table["parent_name"].map(lambda c: isinstance(c, str)), ""),
        **{m: table[m] for m in metrics},
    })
    frame["_key"] = keys.reindex(table["org_id"].astype("int64").to_numpy()).fillna("").to_numpy()
    return frame.sort_values("name", kind="stable").reset_index(drop=True)


def _filtered(table: pd.DataFrame, text: str, model: dict) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    for word in fold(text).split():
        mask &= table["_key"].str.contains(word, regex=False)
    for column, spec in model.items():
        if column not in table.columns or not isinstance(spec, dict):
            continue
        kind, value = spec.get("type"), spec.get("filter")
        if spec.get("filterType") == "number" and kind in NUMBER_FILTERS and isinstance(value, int | float):
            values = table[column].astype("Float64")
            mask &= getattr(values, NUMBER_FILTERS[kind])(value).fillna(False).astype(bool)
        elif spec.get("filterType") == "text" and isinstance(value, str) and value:
            folded = table[column].astype(str).map(fold)
            needle = fold(value)
            test = {"contains": folded.str.contains(needle, regex=False),
                    "notContains": ~folded.str.contains(needle, regex=False),
                    "equals": folded == needle, "notEqual": folded != needle,
                    "startsWith": folded.str.startswith(needle), "endsWith": folded.str.endswith(needle)}.get(kind)
            if test is not None:
                mask &= test
    return table.loc[mask].drop(columns="_key")


def _na(v: object) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


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
    items = [dcc.Link(t("org_all", lang), href=site_path("/to-chuc") + build(state.with_(org=None)))]
    for name, code in reversed(steps):
        items += [html.Span(" › "), dcc.Link(name, href=site_path("/to-chuc") + build(state.with_(org=code)))]
    return html.Div(items)


@callback(Output(Id.URL, "search", allow_duplicate=True), Input(Id.ORG_TREE, "clickData"),
          State(Id.URL, "search"), prevent_initial_call=True)
def drill(click, search):
    """A click on a box of the treemap shows that organization and its subtree (the breadcrumb goes back)."""
    point = ((click or {}).get("points") or [{}])[0]
    ref = _ref(point.get("id"))
    if ref is None:
        raise PreventUpdate
    new = build(parse(search).with_(org=ref))
    return new if new != search else no_update


@callback(Output(Id.NAVIGATE, "href"), Input(Id.ORG_GRID, "cellClicked"), State(Id.URL, "search"),
          prevent_initial_call=True)
def open_unit(cell, search):
    """A click on a row of the table opens that organization's own page."""
    ref = _ref((cell or {}).get("rowId"))
    if ref is None:
        raise PreventUpdate
    return unit_href(parse(search), ref)


def _ref(org_id: object) -> str | None:
    """The URL's reference (code, or id as text) of an organization the caller may see, or None."""
    if org_id is None or not str(org_id).isdigit():
        return None  # nothing, or a treemap's "other" box
    orgs = context.snapshot().orgs
    hit = orgs[orgs["id"] == int(str(org_id))]
    if hit.empty:
        return None
    return org_ref(hit.iloc[0]["code"], hit.iloc[0]["id"])
