"""Dữ liệu / Data: upload → validation report (issues with their cells) → dry-run preview → confirm;
the list of imports with rollback; who has reported for the period."""

from __future__ import annotations

import base64
import binascii
import secrets
import tempfile
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import settings
from dashboard.accounts import scope as access
from dashboard.accounts import web as accounts
from dashboard.formatting import fmt_int
from dashboard.store import db, imports, queries
from dashboard.web import context
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.parsing import load_isolated
from dashboard.web.state import parse
from dashboard.web.view import resolve
from loaders.model import UnreadableFileError

dash.register_page(__name__, path="/du-lieu", title="Dữ liệu — Thống kê đảng viên", name="Dữ liệu")

UPLOADS = Path(tempfile.gettempdir()) / "thongke-uploads"
NO_RIGHT = ("Tài khoản của bạn chỉ được xem, không được nhập hay hoàn tác số liệu.",
            "Your account may only view figures, not import or roll them back.")


def layout(lang: str | None = None, **_query: str) -> html.Div:
    return html.Div([
        dcc.Upload(id=Id.DATA_UPLOAD, children=html.Div(t("upload_hint", lang_of(lang))),
                   className="border border-2 border-secondary rounded p-4 text-center mb-2",
                   max_size=settings.get_int("MAX_UPLOAD_MB") * 1024 * 1024),
        dbc.Checklist(id=Id.DATA_CREATE, switch=True, className="mb-1"),
        dbc.Checklist(id=Id.DATA_ACCEPT, switch=True, className="mb-2"),
        dcc.Store(id=Id.DATA_PENDING),
        dcc.Loading(html.Div(id=Id.DATA_REPORT)),
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
    Input(Id.URL, "search"),
)
def translate(search):
    lang = lang_of(parse(search).lang)
    return (html.Div(t("upload_hint", lang)), [{"label": t("create_orgs", lang), "value": "yes"}],
            [{"label": t("accept_warnings", lang), "value": "yes"}], t("confirm", lang), t("batches", lang),
            t("completeness", lang))


def _options(create, accept, user) -> imports.ImportOptions:
    """The signed-in user's import: signed with their name, limited to their scope (an admin's: anywhere)."""
    return imports.ImportOptions(create_orgs=bool(create), accept_warnings=bool(accept), actor=user.name,
                                 scope_ids=user.scope)


def _editor(action: str, lang: str):
    """The signed-in user if they may import and roll back; otherwise None, with the refusal logged."""
    user = accounts.user()
    if user is None or not user.can_edit:
        accounts.forbid(action, "viewer")
        return None
    return user


def _no_right(lang: str) -> dbc.Alert:
    return dbc.Alert(NO_RIGHT[1] if lang == "en" else NO_RIGHT[0], color="danger")


def _upload_path(user, token: str) -> Path:
    """A pending upload belongs to the user who checked it: another user's token finds nothing."""
    return UPLOADS / f"{user.id}-{token}"


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
    Output(Id.DATA_REPORT, "children"), Output(Id.DATA_PENDING, "data"), Output(Id.DATA_CONFIRM, "disabled"),
    Input(Id.DATA_UPLOAD, "contents"), Input(Id.DATA_CREATE, "value"), Input(Id.DATA_ACCEPT, "value"),
    State(Id.DATA_UPLOAD, "filename"), State(Id.URL, "search"), prevent_initial_call=True,
)
def check(contents, create, accept, filename, search):
    """The dry run: what the file holds, what is wrong in it (cell by cell), what would change."""
    if not contents:
        raise PreventUpdate
    lang = lang_of(parse(search).lang)
    user = _editor("upload", lang)
    if user is None:
        return _no_right(lang), None, True
    name = _file_name(filename)
    try:
        data = _decode(contents)
    except (ValueError, binascii.Error):
        mb = settings.get("MAX_UPLOAD_MB")
        accounts.audit("upload_refused", name, {"code": "too_large_or_damaged"})
        return dbc.Alert(f"Tệp quá lớn hoặc hỏng (tối đa {mb} MB)." if lang == "vi" else
                         f"The file is too large or damaged (at most {mb} MB).", color="danger"), None, True
    try:
        result = imports.import_file(context.engine(), data, name, _options(create, accept, user), dry_run=True,
                                     loader=load_isolated)
    except UnreadableFileError as error:
        accounts.audit("upload_refused", name, {"code": error.code, "size": len(data)})
        return dbc.Alert(error.message(lang), color="danger"), None, True
    token = secrets.token_hex(16)
    UPLOADS.mkdir(mode=0o700, parents=True, exist_ok=True)
    _upload_path(user, token).write_bytes(data)
    ok = result.status == "dry_run" and not result.errors and (not result.warnings or accept)
    return _report(result, lang), {"token": token, "name": name} if ok else None, not ok


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
    Output(Id.DATA_RESULT, "children"), Output(Id.DATA_CONFIRM, "disabled", allow_duplicate=True),
    Input(Id.DATA_CONFIRM, "n_clicks"), State(Id.DATA_PENDING, "data"), State(Id.DATA_CREATE, "value"),
    State(Id.DATA_ACCEPT, "value"), State(Id.URL, "search"), prevent_initial_call=True,
)
def confirm(n_clicks, pending, create, accept, search):
    if not n_clicks or not pending:
        raise PreventUpdate
    lang = lang_of(parse(search).lang)
    user = _editor("import", lang)
    if user is None:
        return _no_right(lang), True
    token = str(pending.get("token", "")) if isinstance(pending, dict) else ""
    if not token.isalnum() or len(token) != 32 or not _upload_path(user, token).exists():
        raise PreventUpdate
    path = _upload_path(user, token)
    try:
        result = imports.import_file(context.engine(), path.read_bytes(), _file_name(pending.get("name")),
                                     _options(create, accept, user), dry_run=False, loader=load_isolated)
    except UnreadableFileError as error:
        return dbc.Alert(error.message(lang), color="danger"), True
    except imports.ImportRefused as refused:
        return dbc.Alert(f"{t('refused', lang)}: {refused.message_en if lang == 'en' else refused.message_vi}",
                         color="danger"), True
    except db.StoreBusy as busy:
        return dbc.Alert(busy.message_en if lang == "en" else busy.message_vi, color="warning"), False
    finally:
        path.unlink(missing_ok=True)
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
    with db.read_transaction(context.engine()) as conn:
        c = access.completeness(conn, view.period_code, access.completeness_roots(view.root_id, snap.scope))
    completeness = html.Div([
        html.P(f"{view.period_label}: {t('reported', lang)} {len(c.reported)}/{len(c.expected)}"),
        html.Ul([html.Li(o["name"]) for o in c.missing[:200]]) if c.missing else None,
    ])
    return table, completeness



