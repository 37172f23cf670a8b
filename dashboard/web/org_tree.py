"""The organization filter as a searchable tree: a panel that opens beside the filter, shows one level of
the tree at a time (a national tree has 55.000 nodes: levels open on demand), and finds any organization
by name or code, with or without diacritics. Choosing one sets the URL's ``org`` like the dropdown does.

Everything comes from the caller's snapshot, so the tree shows only what the user may see.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.formatting import fmt_int
from dashboard.web import context
from dashboard.web.data import Snapshot
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.links import org_ref
from dashboard.web.state import build, parse
from dashboard.web.view import find_org, remembered, search_keys
from loaders.text import fold

OPEN = "tree-open"  # pattern-matching id types: show a node's children / choose a node
PICK = "tree-pick"
MAX_ROWS = 200  # children or search results shown at once
TOP = -1  # the focus "above the roots"


def button() -> dbc.Button:
    return dbc.Button(id=Id.TREE_BUTTON, size="sm", color="link", className="p-0 ms-2 align-baseline")


def panel() -> html.Div:
    return html.Div([
        dcc.Store(id=Id.TREE_FOCUS, data=TOP),
        dbc.Offcanvas([
            dbc.Input(id=Id.TREE_SEARCH, type="search", debounce=True, className="mb-2"),
            html.Div(id=Id.TREE_BODY),
        ], id=Id.TREE_PANEL, is_open=False, placement="start", scrollable=True),
    ])


def _index(snap: Snapshot) -> dict:
    """Per snapshot: children by parent (sorted by name), the folded search keys, each node's path."""
    orgs = snap.orgs
    parents = pd.array(orgs["parent_id"], dtype="Int64")
    frame = pd.DataFrame({"id": orgs["id"].astype("int64").to_numpy(),
                          "parent": parents.fillna(TOP).to_numpy(dtype="int64"),
                          "name": orgs["name"].astype(str).to_numpy(), "code": orgs["code"].to_numpy(),
                          "level": orgs["level"].to_numpy() if "level" in orgs.columns else 0})
    known = set(frame["id"])
    frame.loc[~frame["parent"].isin(known), "parent"] = TOP  # a scope's tops are roots
    frame = frame.sort_values(["name", "id"], kind="stable")
    children = {int(p): g for p, g in frame.groupby("parent", sort=False)}
    has_children = set(int(p) for p in children if p != TOP)
    keys = pd.Series(search_keys(snap).reindex(frame["id"].to_numpy()).fillna("").to_numpy(), index=frame.index)
    by_id = frame.set_index("id")
    return {"children": children, "has": has_children, "keys": keys, "frame": frame, "by_id": by_id}


def _path(index: dict, node: int) -> list[tuple[int, str]]:
    by_id = index["by_id"]
    out = []
    while node != TOP and node in by_id.index and len(out) < 64:
        row = by_id.loc[node]
        out.append((node, str(row["name"])))
        node = int(row["parent"])
    return out[::-1]


def _row(index: dict, r, lang, chosen: str | None) -> html.Div:
    ref = org_ref(r.code, r.id)
    opener = (dbc.Button("▸", id={"type": OPEN, "index": int(r.id)}, size="sm", color="link",
                         className="p-0 me-1", title=t("tree_open", lang))
              if int(r.id) in index["has"] else html.Span("·", className="me-2 text-muted"))
    name = dbc.Button(str(r.name), id={"type": PICK, "index": ref}, size="sm", color="link",
                      className="p-0 text-start" + (" fw-bold" if chosen == ref else ""))
    return html.Div([opener, name], className="d-flex align-items-start mb-1")


@callback(Output(Id.TREE_PANEL, "is_open"), Output(Id.TREE_PANEL, "title"), Output(Id.TREE_SEARCH, "placeholder"),
          Output(Id.TREE_FOCUS, "data", allow_duplicate=True),
          Input(Id.TREE_BUTTON, "n_clicks"), State(Id.URL, "search"), prevent_initial_call=True)
def open_panel(n_clicks, search):
    """The panel opens at the chosen organization's level (or the top)."""
    if not n_clicks:
        raise PreventUpdate
    state = parse(search)
    lang = lang_of(state.lang)
    snap = context.snapshot()
    org = find_org(snap.orgs, state.org) if state.org else None
    focus = TOP
    if org is not None:
        index = remembered(snap, ("tree-index",), lambda: _index(snap))
        node = int(org["id"])
        focus = node if node in index["has"] else int(index["by_id"].loc[node, "parent"])
    return True, t("tree_title", lang), t("search", lang), focus


@callback(Output(Id.TREE_FOCUS, "data"), Input({"type": OPEN, "index": ALL}, "n_clicks"), prevent_initial_call=True)
def go_to(_clicks):
    """"▸" shows that organization's children; a step of the path above goes back up."""
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    return int(ctx.triggered_id["index"])


@callback(Output(Id.URL, "search", allow_duplicate=True), Output(Id.TREE_PANEL, "is_open", allow_duplicate=True),
          Input({"type": PICK, "index": ALL}, "n_clicks"), State(Id.URL, "search"), prevent_initial_call=True)
def pick(_clicks, search):
    """Choosing a name filters every page to that organization's subtree."""
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    return build(parse(search).with_(org=str(ctx.triggered_id["index"]))), False


@callback(Output(Id.TREE_BODY, "children"), Output(Id.TREE_BUTTON, "children"),
          Input(Id.TREE_FOCUS, "data"), Input(Id.TREE_SEARCH, "value"), Input(Id.URL, "search"))
def body(focus, text, search):
    state = parse(search)
    lang = lang_of(state.lang)
    snap = context.snapshot()
    label = t("tree_button", lang)
    if snap.orgs.empty:
        return html.P(t("no_data", lang)), label
    index = remembered(snap, ("tree-index",), lambda: _index(snap))
    if text and fold(text):
        words = fold(text).split()
        mask = pd.Series(True, index=index["keys"].index)
        for word in words:
            mask &= index["keys"].str.contains(word, regex=False)
        hits = index["frame"].loc[mask[mask].index].sort_values(["level", "name"], kind="stable")
        rows = []
        for r in hits.head(MAX_ROWS).itertuples():
            path = " › ".join(name for _, name in _path(index, int(r.parent))) if r.parent != TOP else ""
            rows.append(html.Div([_row(index, r, lang, state.org),
                                  html.Div(path, className="small text-muted ms-3 mb-1") if path else None]))
        found = t("tree_found", lang, n=fmt_int(len(hits), lang))
        return [html.P(found, className="small text-muted"), *rows], label
    focus = int(focus) if focus is not None and int(focus) in index["has"] | {TOP} else TOP
    crumbs: list = [dbc.Button(t("org_all", lang), id={"type": OPEN, "index": TOP}, size="sm", color="link",
                               className="p-0")]
    for node, name in _path(index, focus):
        crumbs += [html.Span(" › "), dbc.Button(name, id={"type": OPEN, "index": node}, size="sm", color="link",
                                               className="p-0")]
    kids = index["children"].get(focus)
    rows = [_row(index, r, lang, state.org) for r in kids.head(MAX_ROWS).itertuples()] if kids is not None else []
    more = (html.P(t("tree_more", lang, n=fmt_int(len(kids) - MAX_ROWS, lang)), className="small text-muted")
            if kids is not None and len(kids) > MAX_ROWS else None)
    return [html.Div(crumbs, className="mb-2 small"), *rows, more], label
