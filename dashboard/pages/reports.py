"""Báo cáo / Reports: the report pack (DOCX, PPTX, ZIP of images) for the period and scope of the shared
filters, with the charts the user ticks; made in the background with a progress bar and a cancel button.
Also the import template for the period and scope."""

from __future__ import annotations

import os

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import charts
from dashboard.exports import images, service
from dashboard.exports.common import ExportError
from dashboard.web import context, jobs
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.state import parse

dash.register_page(__name__, path="/bao-cao", title="Báo cáo — Thống kê đảng viên", name="Báo cáo")

DEFAULT_CHARTS = [c.id for c in charts.CHARTS if c.id != "organizations-tree"]
_SERVER_PID = os.getpid()  # a job in another process (forked, or a Celery worker) cleans up after itself


def layout(**_query: str) -> html.Div:
    return html.Div([
        dbc.Row([
            dbc.Col([html.H6(id=Id.REP_CHARTS + "-label"),
                     dbc.Checklist(id=Id.REP_CHARTS, value=DEFAULT_CHARTS)], md=7),
            dbc.Col([html.H6(id=Id.REP_FORMAT + "-label"),
                     dbc.RadioItems(id=Id.REP_FORMAT, value="docx", options=[
                         {"label": "Word (DOCX)", "value": "docx"}, {"label": "PowerPoint (PPTX)", "value": "pptx"},
                         {"label": "ZIP (PNG)", "value": "zip"}]),
                     html.Div([dbc.Button(id=Id.REP_BUILD, color="danger", className="me-2 mt-3"),
                               dbc.Button(id=Id.REP_CANCEL, color="secondary", outline=True, className="mt-3",
                                          disabled=True)]),
                     dbc.Progress(id=Id.REP_PROGRESS, value=0, max=1, className="mt-3", style={"height": "1.4rem"}),
                     html.Div(id=Id.REP_STATUS, className="mt-2"),
                     html.Hr(),
                     html.A(id=Id.REP_TEMPLATE, href=dash.get_relative_path("/export/template.xlsx"),
                            rel="nofollow")], md=5),
        ]),
        dcc.Store(id=Id.REP_TOKEN),
        dcc.Download(id=Id.REP_DOWNLOAD),
    ])


@callback(Output(Id.REP_CHARTS, "options"), Output(Id.REP_CHARTS + "-label", "children"),
          Output(Id.REP_FORMAT + "-label", "children"), Output(Id.REP_BUILD, "children"),
          Output(Id.REP_CANCEL, "children"), Output(Id.REP_TEMPLATE, "children"), Output(Id.REP_TEMPLATE, "href"),
          Input(Id.URL, "search"))
def translate(search):
    lang = lang_of(parse(search).lang)
    options = [{"label": c.title(lang), "value": c.id} for c in charts.CHARTS]
    return (options, t("rep_charts", lang), t("rep_format", lang), t("rep_build", lang), t("rep_cancel", lang),
            t("rep_template", lang), dash.get_relative_path("/export/template.xlsx") + (search or ""))


@callback(Output(Id.REP_TOKEN, "data"), Output(Id.REP_STATUS, "children", allow_duplicate=True),
          Input(Id.REP_BUILD, "n_clicks"), State(Id.URL, "search"), prevent_initial_call=True)
def hand_over_scope(n_clicks, search):
    """In the request: the caller's scope, behind a token the background job can redeem."""
    if not n_clicks:
        raise PreventUpdate
    caller = jobs.current_caller()
    if caller is None:
        raise PreventUpdate
    try:
        return jobs.remember(caller), None
    except Exception as error:  # the job store (Redis) is down: say so, never a traceback
        jobs.log.warning("job store unreachable: %s", error)
        return no_update, dbc.Alert(jobs.message("unreachable", lang_of(parse(search).lang)), color="danger")


@callback(
    Output(Id.REP_DOWNLOAD, "data"), Output(Id.REP_STATUS, "children"),
    Input(Id.REP_TOKEN, "data"), State(Id.URL, "search"), State(Id.REP_CHARTS, "value"), State(Id.REP_FORMAT, "value"),
    background=True, manager=jobs.manager(), prevent_initial_call=True,
    running=[(Output(Id.REP_BUILD, "disabled"), True, False), (Output(Id.REP_CANCEL, "disabled"), False, True)],
    progress=[Output(Id.REP_PROGRESS, "value"), Output(Id.REP_PROGRESS, "max"), Output(Id.REP_PROGRESS, "label")],
    cancel=[Input(Id.REP_CANCEL, "n_clicks")],
    on_error=jobs.on_error(lambda text: (no_update, dbc.Alert(text, color="danger"))),
)
def make_pack(set_progress, token, search, chosen, fmt):
    """The pack, in a background process (or a Celery worker): progress after each chart."""
    state = parse(search)
    lang = lang_of(state.lang)
    found = jobs.recall(token)
    if found is None:
        raise PreventUpdate
    scope = found[0].scope
    forked = os.getpid() != _SERVER_PID
    if forked:
        context.engine().dispose(close=False)  # the parent's pooled connections are not ours to use
    try:
        snap = context.data().snapshot(scope)

        def progress(done: int, total: int, what: str) -> None:
            set_progress((done, total, f"{done}/{total} · {what}"))

        made = service.report_pack(snap, state, fmt or "docx", chosen or [], progress)
    except ExportError as error:
        return no_update, dbc.Alert(error.message(lang), color="danger")
    finally:
        if forked:
            images.stop()  # the job's own Chromium ends with the job
    set_progress((1, 1, "100%"))
    return dcc.send_bytes(made.data, made.name), dbc.Alert(t("rep_done", lang, name=made.name), color="success")
