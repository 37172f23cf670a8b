"""Dữ liệu / Data: upload → validation report (issues with their cells) → dry-run preview → confirm;
the list of imports with rollback; who has reported for the period."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import analytics, settings
from dashboard.accounts import scope as access
from dashboard.accounts import store as access_store
from dashboard.accounts import web as accounts
from dashboard.formatting import fmt_int
from dashboard.store import db, imports, queries
from dashboard.web import context, jobs
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.parsing import load_isolated
from dashboard.web.state import parse
from dashboard.web.view import resolve
from loaders.model import UnreadableFileError

dash.register_page(__name__, path="/du-lieu", title="Dữ liệu — Thống kê đảng viên", name="Dữ liệu")

SHOWN, HIDDEN = {"display": "block"}, {"display": "none"}
NO_RIGHT = ("Tài khoản của bạn chỉ được xem, không được nhập hay hoàn tác số liệu.",
            "Your account may only view figures, not import or roll them back.")


def layout(lang: str | None = None, **_query: str) -> html.Div:
    return html.Div([
        dcc.Upload(id=Id.DATA_UPLOAD, children=html.Div(t("upload_hint", lang_of(lang))),
                   className="border border-2 border-secondary rounded p-4 text-center mb-2",
                   max_size=settings.get_int("MAX_UPLOAD_MB") * 1024 * 1024),
        dbc.Checklist(id=Id.DATA_CREATE, switch=True, className="mb-1"),
        dbc.Checklist(id=Id.DATA_ACCEPT, switch=True, className="mb-2"),
        dcc.Store(id=Id.DATA_PENDING), dcc.Store(id=Id.DATA_CHECK_JOB), dcc.Store(id=Id.DATA_COMMIT_JOB),
        html.Div([dbc.Spinner(size="sm", color="danger", spinner_class_name="me-2"),
                  html.Span(id=Id.DATA_WORKING + "-text")], id=Id.DATA_WORKING, style=HIDDEN, className="my-2"),
        html.Div(id=Id.DATA_REPORT),
        dbc.Button(id=Id.DATA_CONFIRM, color="danger", disabled=True, className="my-2"),
        html.Div(id=Id.DATA_RESULT),
        html.H5(id=Id.DATA_BATCHES + "-title", className="mt-4"),
        html.Div(id=Id.DATA_ROLLBACK_DONE),
        html.Div(id=Id.DATA_BATCHES),
        dcc.Store(id=Id.DATA_ROLLBACK_TARGET),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id=Id.DATA_ROLLBACK_MODAL + "-title")),
            dbc.ModalBody(id=Id.DATA_ROLLBACK_TEXT),
            dbc.ModalFooter([dbc.Button(id=Id.DATA_ROLLBACK_NO, color="secondary", outline=True),
                             dbc.Button(id=Id.DATA_ROLLBACK_YES, color="danger")]),
        ], id=Id.DATA_ROLLBACK_MODAL, is_open=False),
        html.H5(id=Id.DATA_COMPLETENESS + "-title", className="mt-4"),
        html.Div(id=Id.DATA_COMPLETENESS),
    ])


@callback(
    Output(Id.DATA_UPLOAD, "children"), Output(Id.DATA_CREATE, "options"),
    Output(Id.DATA_ACCEPT, "options"), Output(Id.DATA_CONFIRM, "children"),
    Output(Id.DATA_BATCHES + "-title", "children"), Output(Id.DATA_COMPLETENESS + "-title", "children"),
    Output(Id.DATA_WORKING + "-text", "children"),
    Input(Id.URL, "search"),
)
def translate(search):
    lang = lang_of(parse(search).lang)
    return (html.Div(t("upload_hint", lang)), [{"label": t("create_orgs", lang), "value": "yes"}],
            [{"label": t("accept_warnings", lang), "value": "yes"}], t("confirm", lang), t("batches", lang),
            t("completeness", lang), t("data_working", lang))


def _options(job: dict, caller: jobs.Caller) -> imports.ImportOptions:
    """The caller's import: signed with their name, limited to their scope (an admin's: anywhere)."""
    return imports.ImportOptions(create_orgs=bool(job["create"]), accept_warnings=bool(job["accept"]),
                                 actor=caller.name, scope_ids=caller.scope)


def _editor(action: str, lang: str):
    """The signed-in user if they may import and roll back; otherwise None, with the refusal logged."""
    user = accounts.user()
    if user is None or not user.can_edit:
        accounts.forbid(action, "viewer")
        return None
    return user


def _no_right(lang: str) -> dbc.Alert:
    return dbc.Alert(NO_RIGHT[1] if lang == "en" else NO_RIGHT[0], color="danger")


def _job_store_down(lang: str, error: Exception) -> dbc.Alert:
    jobs.log.warning("job store unreachable: %s", error)
    return dbc.Alert(jobs.message("unreachable", lang), color="danger")


def _file_name(filename: str | None) -> str:
    """The name shown and stored: no folders (``../../x.xlsx`` is ``x.xlsx``), no control characters."""
    name = Path(str(filename or "upload").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "upload"


def _decode(contents: str) -> bytes:
    """The upload's bytes, refusing an oversized one before decoding it (the browser's limit is only a hint)."""
    limit = settings.get_int("MAX_UPLOAD_MB") * 1024 * 1024
    _header, _, payload = contents.partition(",")
    if len(payload) * 3 // 4 > limit:
        raise ValueError("too_large")
    return base64.b64decode(payload, validate=True)


@callback(
    Output(Id.DATA_REPORT, "children", allow_duplicate=True), Output(Id.DATA_PENDING, "data", allow_duplicate=True),
    Output(Id.DATA_CONFIRM, "disabled", allow_duplicate=True), Output(Id.DATA_CHECK_JOB, "data"),
    Input(Id.DATA_UPLOAD, "contents"), Input(Id.DATA_CREATE, "value"), Input(Id.DATA_ACCEPT, "value"),
    State(Id.DATA_UPLOAD, "filename"), State(Id.URL, "search"), prevent_initial_call=True,
)
def hand_over_check(contents, create, accept, filename, search):
    """In the request: who may import, and the file, kept on the server for the check job."""
    if not contents:
        raise PreventUpdate
    lang = lang_of(parse(search).lang)
    user = _editor("upload", lang)
    if user is None:
        return _no_right(lang), None, True, no_update
    name = _file_name(filename)
    try:
        data = _decode(contents)
    except (ValueError, binascii.Error):
        mb = settings.get("MAX_UPLOAD_MB")
        accounts.audit("upload_refused", name, {"code": "too_large_or_damaged"})
        return dbc.Alert(f"Tệp quá lớn hoặc hỏng (tối đa {mb} MB)." if lang == "vi" else
                         f"The file is too large or damaged (at most {mb} MB).", color="danger"), None, True, no_update
    caller = jobs.current_caller()
    try:
        key = jobs.put_file(user.id, data)
        token = jobs.remember(caller, file=key, name=name, create=bool(create), accept=bool(accept))
    except Exception as error:  # the job store (Redis) is down: say so, never a traceback
        return _job_store_down(lang, error), None, True, no_update
    return None, None, True, token


@callback(
    Output(Id.DATA_REPORT, "children"), Output(Id.DATA_PENDING, "data"), Output(Id.DATA_CONFIRM, "disabled"),
    Input(Id.DATA_CHECK_JOB, "data"), State(Id.URL, "search"),
    background=True, manager=jobs.manager(), prevent_initial_call=True,
    running=[(Output(Id.DATA_WORKING, "style"), SHOWN, HIDDEN), (Output(Id.DATA_UPLOAD, "disabled"), True, False)],
    on_error=jobs.on_error(lambda text: (dbc.Alert(text, color="danger"), None, True)),
)
def check(token, search):
    """The dry run, on a job worker: what the file holds, what is wrong in it (cell by cell), what would change."""
    lang = lang_of(parse(search).lang)
    found = jobs.recall(token)
    if found is None:
        raise PreventUpdate
    caller, job = found
    data = jobs.get_file(caller.id, job["file"])
    if data is None:
        return dbc.Alert(t("upload_expired", lang), color="warning"), None, True
    jobs.own_connections()
    try:
        result = imports.import_file(context.engine(), data, job["name"], _options(job, caller), dry_run=True,
                                     loader=load_isolated)
    except UnreadableFileError as error:
        jobs.drop_file(caller.id, job["file"])
        access_store.record(context.engine(), caller.name, "upload_refused", job["name"],
                            {"code": error.code, "size": len(data)}, caller.ip)
        return dbc.Alert(error.message(lang), color="danger"), None, True
    ok = result.status == "dry_run" and not result.errors and (not result.warnings or job["accept"])
    if not ok:
        jobs.drop_file(caller.id, job["file"])
    return _report(result, lang), {"token": job["file"], "name": job["name"]} if ok else None, not ok


def _report(result: imports.ImportResult, lang: str) -> html.Div:
    parts = []
    if result.status == "duplicate":
        parts.append(dbc.Alert(t("duplicate", lang, n=result.duplicate_of), color="info"))
    orgs = sum(p.organizations for p in result.periods)
    values = sum(p.values for p in result.periods)
    if not result.errors and result.status != "duplicate":
        parts.append(dbc.Alert(t("dry_run_ok", lang, orgs=fmt_int(orgs, lang), values=fmt_int(values, lang)),
                               color="success" if not result.warnings else "warning"))
    rows = [html.Tr([html.Td(t(i.severity, lang)), html.Td(i.sheet or ""), html.Td(i.cell or ""),
                     html.Td(i.message(lang))]) for i in result.issues[:500]]  # type: ignore[arg-type]
    if rows:
        parts.append(html.H6(f"{t('issues', lang)}: {len(result.errors)} {t('error', lang).lower()}, "
                             f"{len(result.warnings)} {t('warning', lang).lower()}"))
        parts.append(dbc.Table([html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("severity", "sheet", "cell",
                                                                                  "message")])),
                                html.Tbody(rows)], size="sm", striped=True, bordered=True))
    if result.new_orgs:
        parts.append(html.H6(f"{t('new_orgs', lang)}: {len(result.new_orgs)}"))
        parts.append(html.Ul([html.Li(f"{n.name} — {n.parent_label or ''}") for n in result.new_orgs[:100]]))
    changed = [c for c in result.changes if c.old is not None]
    if changed:
        parts.append(html.H6(f"{t('changes', lang)}: {len(changed)}"))
        parts.append(html.Ul([html.Li(f"{c.org} · {c.period} · {c.metric}: {fmt_int(c.old, lang)} → "
                                      f"{fmt_int(c.new, lang)}") for c in changed[:100]]))
    return html.Div(parts)


@callback(
    Output(Id.DATA_RESULT, "children", allow_duplicate=True), Output(Id.DATA_CONFIRM, "disabled", allow_duplicate=True),
    Output(Id.DATA_COMMIT_JOB, "data"),
    Input(Id.DATA_CONFIRM, "n_clicks"), State(Id.DATA_PENDING, "data"), State(Id.DATA_CREATE, "value"),
    State(Id.DATA_ACCEPT, "value"), State(Id.URL, "search"), prevent_initial_call=True,
)
def hand_over_confirm(n_clicks, pending, create, accept, search):
    """In the request: who imports, and which of their checked uploads, for the import job."""
    if not n_clicks or not pending:
        raise PreventUpdate
    lang = lang_of(parse(search).lang)
    user = _editor("import", lang)
    if user is None:
        return _no_right(lang), True, no_update
    key = pending.get("token") if isinstance(pending, dict) else None
    try:
        if not jobs.has_file(user.id, key):  # another user's upload, or an expired one: nothing to do
            raise PreventUpdate
        token = jobs.remember(jobs.current_caller(), file=key, name=_file_name(pending.get("name")),
                              create=bool(create), accept=bool(accept))
    except PreventUpdate:
        raise
    except Exception as error:  # the job store (Redis) is down
        return _job_store_down(lang, error), False, no_update
    return None, True, token


@callback(
    Output(Id.DATA_RESULT, "children"), Output(Id.DATA_CONFIRM, "disabled"),
    Input(Id.DATA_COMMIT_JOB, "data"), State(Id.URL, "search"),
    background=True, manager=jobs.manager(), prevent_initial_call=True,
    running=[(Output(Id.DATA_WORKING, "style"), SHOWN, HIDDEN), (Output(Id.DATA_UPLOAD, "disabled"), True, False)],
    # a job that died or could not start wrote nothing: the same upload can be confirmed again
    on_error=jobs.on_error(lambda text: (dbc.Alert(text, color="danger"), False)),
)
def commit(token, search):
    """The import, on a job worker: one transaction, all or nothing."""
    lang = lang_of(parse(search).lang)
    found = jobs.recall(token)
    if found is None:
        raise PreventUpdate
    caller, job = found
    if not caller.can_edit:
        return _no_right(lang), True
    data = jobs.get_file(caller.id, job["file"])
    if data is None:
        return dbc.Alert(t("upload_expired", lang), color="warning"), True
    jobs.own_connections()
    try:
        result = imports.import_file(context.engine(), data, job["name"], _options(job, caller), dry_run=False,
                                     loader=load_isolated)
    except UnreadableFileError as error:
        jobs.drop_file(caller.id, job["file"])
        return dbc.Alert(error.message(lang), color="danger"), True
    except imports.ImportRefused as refused:
        jobs.drop_file(caller.id, job["file"])
        return dbc.Alert(f"{t('refused', lang)}: {refused.message_en if lang == 'en' else refused.message_vi}",
                         color="danger"), True
    except db.StoreBusy as busy:  # the upload is kept: "confirm" again once the other import is done
        return dbc.Alert(busy.message_en if lang == "en" else busy.message_vi, color="warning"), False
    jobs.drop_file(caller.id, job["file"])
    if result.status == "duplicate":
        return dbc.Alert(t("duplicate", lang, n=result.duplicate_of), color="info"), True
    return dbc.Alert(t("committed", lang, n=result.batch_id), color="success"), True


@callback(
    Output(Id.DATA_ROLLBACK_MODAL, "is_open"), Output(Id.DATA_ROLLBACK_TARGET, "data"),
    Output(Id.DATA_ROLLBACK_MODAL + "-title", "children"), Output(Id.DATA_ROLLBACK_TEXT, "children"),
    Output(Id.DATA_ROLLBACK_YES, "children"), Output(Id.DATA_ROLLBACK_NO, "children"),
    Input({"type": Id.DATA_BATCHES + "-rollback", "index": ALL}, "n_clicks"),
    Input(Id.DATA_ROLLBACK_NO, "n_clicks"), Input(Id.DATA_ROLLBACK_DONE, "children"),
    State(Id.URL, "search"), prevent_initial_call=True,
)
def ask_rollback(rollbacks, _no, _done, search):
    """A rollback button only asks: the dialog names the import; "Hoàn tác" in the dialog does it."""
    lang = lang_of(parse(search).lang)
    trigger = ctx.triggered_id
    texts = (t("rollback_title", lang), t("rollback_yes", lang), t("cancel", lang))
    user = _editor("rollback", lang) if isinstance(trigger, dict) and any(rollbacks) else None
    if user is None:
        return False, None, texts[0], None, texts[1], texts[2]
    batch_id = int(trigger["index"])
    within = None if user.scope is None else set(context.snapshot().orgs["id"])
    with db.read_transaction(context.engine()) as conn:
        info = queries.batch(conn, batch_id)
        if info is not None and not access.may_see(conn, user, within, info):
            accounts.forbid(f"rollback #{batch_id}", "outside_scope")
            info = None
    if info is None:
        raise PreventUpdate
    question = t("rollback_question", lang, n=batch_id, file=info["file_name"],
                 periods=", ".join(info["periods"]) or "—", orgs=fmt_int(info["organizations"], lang))
    return True, batch_id, texts[0], question, texts[1], texts[2]


@callback(
    Output(Id.DATA_ROLLBACK_DONE, "children"),
    Input(Id.DATA_ROLLBACK_YES, "n_clicks"), State(Id.DATA_ROLLBACK_TARGET, "data"), State(Id.URL, "search"),
    prevent_initial_call=True,
)
def do_rollback(n_clicks, batch_id, search):
    lang = lang_of(parse(search).lang)
    if not n_clicks or batch_id is None:
        raise PreventUpdate
    user = _editor("rollback", lang)
    if user is None:
        return _no_right(lang)
    try:
        imports.rollback(context.engine(), int(batch_id), user.name, within=user.scope)
    except imports.ImportRefused as refused:
        accounts.audit("rollback_refused", f"#{batch_id}", {"reason": refused.message_en})
        return dbc.Alert(f"{t('refused', lang)}: {refused.message_en if lang == 'en' else refused.message_vi}",
                         color="danger", dismissable=True)
    except db.StoreBusy as busy:
        return dbc.Alert(busy.message_en if lang == "en" else busy.message_vi, color="warning", dismissable=True)
    return dbc.Alert(t("rolled_back", lang, n=batch_id), color="success", dismissable=True)


@callback(
    Output(Id.DATA_BATCHES, "children"), Output(Id.DATA_COMPLETENESS, "children"),
    Input(Id.URL, "search"), Input(Id.DATA_RESULT, "children"), Input(Id.DATA_ROLLBACK_DONE, "children"),
)
def batches(search, _result, _rolled_back):
    lang = lang_of(parse(search).lang)
    user = accounts.user()
    snap = context.snapshot()
    within = None if user is None or user.scope is None else set(snap.orgs["id"])
    with db.read_transaction(context.engine()) as conn:
        rows = access.visible_batches(conn, user, within) if user is not None else []
    editor = user is not None and user.can_edit
    table = dbc.Table([html.Tbody([html.Tr([
        html.Td(f"#{b['id']}"), html.Td(b["file_name"]), html.Td(", ".join(b["periods"])),
        html.Td(fmt_int(b["organizations"], lang)), html.Td(b["created_by"]),
        html.Td(f"{b['created_at']:%d/%m/%Y %H:%M}"),
        html.Td(dbc.Button(t("rollback", lang), size="sm", color="secondary", outline=True,
                           id={"type": Id.DATA_BATCHES + "-rollback", "index": b["id"]})
                if b["status"] == "committed" and editor else html.Span(b["status"])),
    ]) for b in reversed(rows)])], size="sm", striped=True)
    view = resolve(snap, parse(search))
    if view.period_code is None:
        return table, html.P(t("no_data", lang))
    # from the snapshot (read once per data version), not the store: 52.000 organizations took a second
    expected, missing = analytics.completeness(snap.orgs, snap.facts, snap.periods, view.period_id,
                                               tuple(access.completeness_roots(view.root_id, snap.scope)))
    completeness = html.Div([
        html.P(f"{view.period_label}: {t('reported', lang)} {fmt_int(len(expected) - len(missing), lang)}/"
               f"{fmt_int(len(expected), lang)}"),
        html.Ul([html.Li(name) for name in missing["name"].head(200)]) if len(missing) else None,
    ])
    return table, completeness



