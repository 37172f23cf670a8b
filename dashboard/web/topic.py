"""The topic pages (admissions, discipline, composition, ratings, balance) share one shape: two charts and
a list of organizations that need attention, all recomputed from the URL's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from dashboard import figures
from dashboard.formatting import fmt_int
from dashboard.web import context
from dashboard.web.components import GRAPH_CONFIG
from dashboard.web.export_menu import export_menu
from dashboard.web.i18n import Lang, lang_of, t
from dashboard.web.links import unit_hrefs
from dashboard.web.state import build as build_search
from dashboard.web.state import parse
from dashboard.web.view import View, remembered, resolve


@dataclass(frozen=True)
class Attention:
    """A short list of organizations to look at: a title and rows of (name, detail[, URL reference]); a row
    with a reference links to that organization's own page."""

    title: str
    rows: list[tuple[str, ...]]  # at most SHOWN of them
    total: int | None = None  # how many there are (when more than the rows given)


SHOWN = 200  # organizations listed on a page (the count says how many there are in all)


Builder = Callable[[View, Lang], tuple[go.Figure, go.Figure, Attention]]


def page_layout(prefix: str, chart_ids: tuple[str, str] | None = None) -> html.Div:
    """Two charts side by side (each with its download menu when ``chart_ids`` names them), then the list."""
    menus = [export_menu(c) for c in chart_ids] if chart_ids else [None, None]
    return html.Div([
        dbc.Row([
            dbc.Col([dcc.Loading(dcc.Graph(id=f"{prefix}-left", config=GRAPH_CONFIG)), menus[0]], lg=6),
            dbc.Col([dcc.Loading(dcc.Graph(id=f"{prefix}-right", config=GRAPH_CONFIG)), menus[1]], lg=6),
        ], className="g-2"),
        html.H6(id=f"{prefix}-list-title", className="mt-3"),
        html.Div(id=f"{prefix}-list"),
    ])


def register(prefix: str, build: Builder) -> None:
    """Wire a topic page's callback: URL state → the builder → two figures and a list."""

    @callback(Output(f"{prefix}-left", "figure"), Output(f"{prefix}-right", "figure"),
              Output(f"{prefix}-list-title", "children"), Output(f"{prefix}-list", "children"),
              Input("shell-url", "search"))
    def update(search: str | None):
        snap = context.snapshot()
        return remembered(snap, (prefix, build_search(parse(search))), lambda: answer(snap, search),
                          shared=True)

    def answer(snap, search: str | None):
        state = parse(search)
        lang = lang_of(state.lang)
        view = resolve(snap, state)
        if view.period_id is None or view.facts.empty:
            empty = figures.empty_figure(lang)
            return empty, empty, t("no_data", lang), None
        try:
            left, right, attention = build(view, lang)
        except (KeyError, ValueError, TypeError):
            # a failure in one page's charts shows as a message there, never as a broken app
            empty = figures.empty_figure(lang, message=t("no_data", lang))
            return empty, empty, t("no_data", lang), None
        href = unit_hrefs(state)
        rows = [_item(row[0], href(row[2]) if len(row) > 2 else None, f" — {row[1]}" if row[1] else "")
                for row in attention.rows[:SHOWN]]
        total = attention.total if attention.total is not None else len(attention.rows)
        more = html.P(t("list_more", lang, n=fmt_int(total - len(rows), lang)), className="small text-muted") \
            if total > len(rows) else None
        return left, right, f"{attention.title} ({fmt_int(total, lang)})", \
            html.Div([_tag("Ul", rows), more]) if rows else None


def _tag(name: str, children: object, namespace: str = "dash_html_components") -> dict:
    """A component as the browser receives it (what ``html.<name>(children)`` becomes in JSON), written
    directly: the list's hundreds of rows as component objects cost more than the page's figures."""
    return {"props": {"children": children}, "type": name, "namespace": namespace}


def _item(name: str, href: str | None, detail: str) -> dict:
    """``html.Li([html.Strong(dcc.Link(name, href=href)), detail])`` (no link without ``href``)."""
    label = {"props": {"children": name, "href": href}, "type": "Link", "namespace": "dash_core_components"} \
        if href is not None else name
    return _tag("Li", [_tag("Strong", label), detail])


def same_kind(table: pd.DataFrame, view: View) -> pd.DataFrame:
    """Rows of the periods of the same kind as the chosen one (quarters with quarters, years with years)."""
    kind = view.periods.loc[view.periods["id"] == view.period_id, "kind"].iloc[0]
    return table[table["kind"] == kind] if "kind" in table.columns else table
