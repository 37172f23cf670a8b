"""``create_app()``: the Dash app on a store, with its shared filters, pages and JSON API.

Build one app per process: Dash keeps pages and callbacks in process-wide registries.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, Dash, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from sqlalchemy import Engine

from dashboard import analytics, settings
from dashboard.accounts import web as accounts
from dashboard.analytics import DEFAULT_TARGETS
from dashboard.store import db
from dashboard.web import cache, context, org_tree, outage, proxy
from dashboard.web.data import DataService
from dashboard.web.i18n import lang_of, t
from dashboard.web.ids import Id
from dashboard.web.links import page_of, site_path
from dashboard.web.sample import ensure_sample_data
from dashboard.web.state import TARGET_KEYS, ViewState, build, parse, parse_targets
from dashboard.web.view import default_period, find_org, remembered, search_keys
from loaders.catalogue import ORG_TYPES
from loaders.text import fold

HERE = Path(__file__).resolve().parent.parent
PAGES = (("page_overview", "/"), ("page_admissions", "/phat-trien-dang-vien"), ("page_discipline", "/ky-luat"),
         ("page_composition", "/co-cau"), ("page_quality", "/chat-luong"), ("page_balance", "/bien-dong"),
         ("page_orgs", "/to-chuc"), ("page_data", "/du-lieu"), ("page_reports", "/bao-cao"))


def tune_gc() -> tuple[int, ...]:
    """The garbage collector of a production web worker (``app:server``): what the start made (modules, the
    layout, Dash's registry) is frozen, never looked through again, and full collections are rarer
    (WEB_GC_THRESHOLDS; ``off`` leaves Python's collector alone). A worker under load keeps millions of
    objects (computed views, figures, frames); with Python's thresholds a full collection came every 10–20 s
    in each worker, and stopped it for 1–1,6 s. Returns the thresholds in force."""
    raw = settings.get("WEB_GC_THRESHOLDS").strip()
    if raw.lower() == "off":
        return gc.get_threshold()  # Python's collector as it is
    if raw:
        try:
            parts = tuple(int(p) for p in raw.split(","))
        except ValueError:
            parts = ()
        if len(parts) != 3 or min(parts) < 1:
            raise ValueError(f"WEB_GC_THRESHOLDS must be three positive whole numbers (20000,20,100), not {raw!r}")
        gc.set_threshold(*parts)
    gc.freeze()
    return gc.get_threshold()


def create_app(engine: Engine | None = None, *, sample_data: bool = True, snapshot_cache: Path | None = None,
               warm: bool = True) -> Dash:
    """The app on ``engine`` (default: the configured store, with the figures' copy on disk that
    SNAPSHOT_CACHE_DIR names; with an explicit engine, only where ``snapshot_cache`` says). ``warm=False``
    (the Celery worker) loads the figures only when a job asks for them."""
    if engine is None:
        engine = db.make_engine()
        snapshot_cache = snapshot_cache or settings.snapshot_cache_dir()
    db.upgrade(engine)
    if sample_data:
        ensure_sample_data(engine)
    data = DataService(engine, snapshot_cache)
    data.warmers.append(warm_default_view)
    context.configure(engine, data)
    if warm:
        data.warm()  # the figures load while the server starts; the default view is prepared behind them
    prefix = settings.url_prefix()
    paths = {"requests_pathname_prefix": prefix + "/", "routes_pathname_prefix": "/"} if prefix else {}
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Thống kê đảng viên",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        enable_mcp=False,  # Dash's /_mcp endpoint would answer outside the accounts layer
        **paths,  # behind a proxy under URL_PREFIX: the browser asks for /thong-ke/…, the routes stay at /…
    )
    app.layout = shell
    from dashboard.web.api import api
    from dashboard.web.downloads import downloads
    from dashboard.web.health import health

    app.server.register_blueprint(api)
    app.server.register_blueprint(downloads)  # /export/…: chart images, tables, the report pack, templates
    app.server.register_blueprint(health)  # /healthz: the store and Redis reachable
    app.server.json.ensure_ascii = False  # type: ignore[attr-defined]
    accounts.init_app(app)  # deny by default: every request needs a session or an API token
    cache.shared.configure(app.server)  # the answers every worker shares (Redis at REDIS_URL)
    outage.install(app.server)  # the store or Redis unreachable: a clear 503, never a traceback
    proxy.install(app.server)  # URL_PREFIX, PROXY_FIX
    return app


def warm_default_view(snap) -> None:
    """Compute what the landing view (latest period, everything, Vietnamese) shows, so the first visitor after
    a start or an import finds it ready: every chart of the catalogue, the narrative, the search keys."""
    from dashboard import charts
    from dashboard.narrative import report_paragraph
    from dashboard.web.view import resolve, search_keys

    search_keys(snap)
    view = resolve(snap, ViewState())
    if view.period_id is None or view.facts.empty:
        return
    for chart in charts.CHARTS:
        charts.build(chart.id, view, "vi")
    report_paragraph(view.facts, view.orgs, view.periods, view.period_id, scope_name=view.root_name, lang="vi",
                     targets=view.targets)


def shell() -> html.Div:
    """The frame around every page: navigation, the shared filters, the page."""
    return html.Div([
        dcc.Location(id=Id.URL, refresh=False),
        dcc.Location(id=Id.NAVIGATE, refresh="callback-nav"),
        dbc.Navbar(dbc.Container([
            dbc.NavbarBrand(html.Span(id=Id.NAV + "-brand"), href=site_path("/")),
            dbc.Nav(id=Id.NAV, navbar=True),
            html.Span(id=Id.SAMPLE_BADGE),
            dbc.RadioItems(id=Id.LANG, options=[{"label": "VI", "value": "vi"}, {"label": "EN", "value": "en"}],
                           value="vi", inline=True, className="ms-3 text-white"),
            accounts.user_menu(),
        ], fluid=True), color="danger", dark=True, className="mb-2"),
        dbc.Container([
            dbc.Row([
                dbc.Col([dbc.Label(id=Id.PERIOD + "-label", html_for=Id.PERIOD),
                         dcc.Dropdown(id=Id.PERIOD, clearable=False)], md=3),
                dbc.Col([dbc.Label(id=Id.COMPARISON + "-label", html_for=Id.COMPARISON),
                         dcc.Dropdown(id=Id.COMPARISON, clearable=False)], md=2),
                dbc.Col([dbc.Label(id=Id.ORG + "-label", html_for=Id.ORG), org_tree.button(),
                         dcc.Dropdown(id=Id.ORG, searchable=True)], md=4),
                dbc.Col([dbc.Label(id=Id.TYPES + "-label", html_for=Id.TYPES),
                         dcc.Dropdown(id=Id.TYPES, multi=True)], md=3),
            ], className="g-2 mb-2"),
            html.Div([html.Span(id=Id.CHIP), dbc.Button(id=Id.CHIP_CLEAR, size="sm", color="link",
                                                         style={"display": "none"}),
                      dbc.Button(id=Id.TARGETS_OPEN, size="sm", color="secondary", outline=True,
                                 className="float-end")], className="mb-2 clearfix"),
            _targets_modal(),
            org_tree.panel(),
            dash.page_container,
        ], fluid=True),
    ])


@callback(
    Output(Id.URL, "search"),
    Output(Id.PERIOD, "options"), Output(Id.PERIOD, "value"),
    Output(Id.COMPARISON, "options"), Output(Id.COMPARISON, "value"),
    Output(Id.ORG, "options"), Output(Id.ORG, "value"), Output(Id.ORG, "placeholder"),
    Output(Id.TYPES, "options"), Output(Id.TYPES, "value"), Output(Id.TYPES, "placeholder"),
    Output(Id.LANG, "value"),
    Input(Id.URL, "search"),
    Input(Id.PERIOD, "value"), Input(Id.COMPARISON, "value"), Input(Id.ORG, "value"), Input(Id.TYPES, "value"),
    Input(Id.LANG, "value"),
)
def sync_filters(search, period, cmp, org, types, lang):
    """The URL and the filters stay one: a changed filter rewrites the URL, a pasted URL sets the filters."""
    snap = context.snapshot()
    trigger = ctx.triggered_id if ctx.triggered_id in (Id.PERIOD, Id.COMPARISON, Id.ORG, Id.TYPES, Id.LANG) else None
    # every page opening asks this: the answer for the same inputs is kept with the snapshot
    key = ("filters", trigger, search, *((period, cmp, org, tuple(types or ()), lang) if trigger else ()))
    return remembered(snap, key, lambda: _sync_filters(snap, trigger, search, period, cmp, org, types, lang))


def _sync_filters(snap, trigger, search, period, cmp, org, types, lang):
    if trigger is not None:
        state = ViewState(period=period, cmp=cmp or "previous", org=org or None, types=tuple(types or ()),
                          lang=lang_of(lang), targets=parse(search).targets)
    else:
        state = parse(search)
    language = lang_of(state.lang)
    period_options = [{"label": _period_label(r, language), "value": r["code"]}
                      for r in snap.periods.sort_values(["end", "start"], ascending=False).to_dict("records")]
    period_value = state.period if state.period in {o["value"] for o in period_options} else default_period(
        snap.periods, snap.facts)
    cmp_options = [{"label": t(f"cmp_{c}", language), "value": c} for c in ("previous", "same_last_year",
                                                                            "term_start")]
    org_options, capped = remembered(snap, ("org-options",), lambda: _org_options(snap.orgs))
    org_options = list(org_options)  # a copy: extended below
    org_value = state.org if find_org(snap.orgs, state.org) is not None else None
    if org_value is not None and org_value not in {o["value"] for o in org_options}:
        # a drilled-into organization without sub-organizations is not among the options: add it, or the
        # dropdown would clear itself (and the URL with it)
        hit = find_org(snap.orgs, org_value)
        org_options.append({"label": str(hit["name"]), "value": org_value})
    type_options = [{"label": ty.en if language == "en" else ty.vi, "value": ty.id} for ty in ORG_TYPES]
    state = state.with_(period=period_value, org=org_value)
    new_search = build(state)
    return (new_search if new_search != (search or "") else dash.no_update,
            period_options, period_value, cmp_options, state.cmp, org_options, org_value,
            t("org_all_search" if capped else "org_all", language),
            type_options, list(state.types), t("types_all", language), language)


def _period_label(row: dict, lang: str) -> str:
    from dashboard.analytics import period_label_en

    return period_label_en(row["code"], row["kind"], row["label"]) if lang == "en" else row["label"]


ORG_OPTIONS_MAX = 500  # organizations listed in the filter before typing (whole levels, from the top)
ORG_SEARCH_MAX = 50  # organizations a typed search lists


def _org_options(orgs) -> tuple[list[dict], bool]:
    """The organizations that have sub-organizations, indented by level, as whole levels from the top while
    they number at most ORG_OPTIONS_MAX (a province's communes all fit; a country's 3.300 communes would make
    every page send 300 KB: they are found by typing, see ``search_orgs``); and whether some were left out."""
    if orgs.empty:
        return [], False
    rows = _with_children(orgs)
    counts = rows["level"].value_counts().sort_index()
    shown_levels, total = [], 0
    for level, n in counts.items():
        if total + n > ORG_OPTIONS_MAX and shown_levels:
            break
        shown_levels.append(level)
        total += n
    shown = rows[rows["level"].isin(shown_levels)]
    return [_org_option(r) for r in shown.itertuples()], len(shown) < len(rows)


@analytics.memoized
def _with_children(orgs):
    """Organizations with sub-organizations (and the tops), by level then name."""
    parents = set(orgs["parent_id"].dropna().astype(int))
    return orgs[orgs["id"].isin(parents) | orgs["parent_id"].isna()].sort_values(["level", "name"])


def _org_option(r) -> dict:
    return {"label": ("· " * int(r.level)) + r.name + (f" ({r.code})" if isinstance(r.code, str) else ""),
            "value": r.code if isinstance(r.code, str) else str(r.id)}


@callback(Output(Id.ORG, "options", allow_duplicate=True), Input(Id.ORG, "search_value"), State(Id.ORG, "value"),
          State(Id.ORG, "options"), prevent_initial_call=True)
def search_orgs(text, value, options):
    """Typing in the organization filter: the organizations (with sub-organizations) whose name or code holds
    every typed word, diacritics and case aside, at most ORG_SEARCH_MAX; the chosen one stays listed."""
    words = fold(text or "").split()
    if not words or len(" ".join(words)) < 2:
        raise PreventUpdate
    snap = context.snapshot()
    found = remembered(snap, ("org-search", tuple(words)), lambda: _org_search(snap, words))
    kept = [o for o in options or [] if isinstance(o, dict) and o.get("value") == value]
    return kept + [o for o in found if o["value"] != value]


def _org_search(snap, words: list[str]) -> list[dict]:
    rows = _with_children(snap.orgs)
    keys = search_keys(snap).reindex(rows["id"].astype("int64").to_numpy()).fillna("")
    hit = np.ones(len(rows), dtype=bool)
    for word in words:
        hit &= keys.str.contains(word, regex=False).to_numpy(dtype=bool)
    return [_org_option(r) for r in rows[hit].head(ORG_SEARCH_MAX).itertuples()]


def _targets_modal() -> dbc.Modal:
    rows = [dbc.Row([dbc.Col(dbc.Label(id=f"{Id.TARGETS_INPUT}-{key}-label", html_for=f"{Id.TARGETS_INPUT}-{key}"),
                             md=9),
                     dbc.Col(dbc.Input(id={"type": Id.TARGETS_INPUT, "index": key}, type="number", min=0, max=100,
                                       step=0.1), md=3)], className="mb-2")
            for key in TARGET_KEYS]
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(id=Id.TARGETS_MODAL + "-title")),
        dbc.ModalBody([html.P(id=Id.TARGETS_MODAL + "-help", className="small text-muted"), *rows]),
        dbc.ModalFooter([dbc.Button(id=Id.TARGETS_RESET, color="link"),
                         dbc.Button(id=Id.TARGETS_APPLY, color="danger")]),
    ], id=Id.TARGETS_MODAL, is_open=False)


@callback(
    Output(Id.TARGETS_MODAL, "is_open"), Output({"type": Id.TARGETS_INPUT, "index": ALL}, "value"),
    Output(Id.TARGETS_MODAL + "-title", "children"), Output(Id.TARGETS_MODAL + "-help", "children"),
    Output(Id.TARGETS_APPLY, "children"), Output(Id.TARGETS_RESET, "children"),
    *[Output(f"{Id.TARGETS_INPUT}-{key}-label", "children") for key in TARGET_KEYS],
    Input(Id.TARGETS_OPEN, "n_clicks"), State(Id.URL, "search"), prevent_initial_call=True,
)
def open_targets(n_clicks, search):
    """The targets dialog, filled with the view's targets (the defaults, or the link's own)."""
    if not n_clicks:
        raise PreventUpdate
    state = parse(search)
    lang = lang_of(state.lang)
    current = replace(DEFAULT_TARGETS, **dict(state.targets))
    values = [round(getattr(current, field) * 100, 4) for field in TARGET_KEYS.values()]
    return (True, values, t("targets_title", lang), t("targets_help", lang), t("apply", lang), t("defaults", lang),
            *[t(f"target_{key}", lang) for key in TARGET_KEYS])


@callback(Output(Id.URL, "search", allow_duplicate=True), Output(Id.TARGETS_MODAL, "is_open", allow_duplicate=True),
          Input(Id.TARGETS_APPLY, "n_clicks"), Input(Id.TARGETS_RESET, "n_clicks"),
          State({"type": Id.TARGETS_INPUT, "index": ALL}, "value"), State(Id.URL, "search"),
          prevent_initial_call=True)
def apply_targets(_apply, _reset, values, search):
    """Targets that differ from the defaults go into the URL; "defaults" removes them."""
    state = parse(search)
    if ctx.triggered_id == Id.TARGETS_RESET:
        return build(state.with_(targets=())), False
    text = ",".join(f"{key}:{value}" for key, value in zip(TARGET_KEYS, values, strict=True)
                    if value is not None and value != "")
    chosen = [(f, v) for f, v in parse_targets(text) if abs(getattr(DEFAULT_TARGETS, f) - v) > 1e-9]
    return build(state.with_(targets=tuple(sorted(chosen)))), False


@callback(
    Output(Id.NAV, "children"), Output(Id.NAV + "-brand", "children"), Output(Id.SAMPLE_BADGE, "children"),
    Output(Id.PERIOD + "-label", "children"), Output(Id.COMPARISON + "-label", "children"),
    Output(Id.ORG + "-label", "children"), Output(Id.TYPES + "-label", "children"),
    Output(Id.CHIP, "children"), Output(Id.CHIP_CLEAR, "children"), Output(Id.CHIP_CLEAR, "style"),
    Output(Id.TARGETS_OPEN, "children"),
    Input(Id.URL, "search"), Input(Id.URL, "pathname"),
)
def translate_shell(search, pathname):
    state = parse(search)
    lang = lang_of(state.lang)
    chips = [dbc.Badge(ty.en if lang == "en" else ty.vi, color="secondary", className="me-1")
             for ty in ORG_TYPES if ty.id in state.types]
    if state.org:
        chips.insert(0, dbc.Badge(state.org, color="secondary", className="me-1"))
    chip = [html.Span(t("filtered_by", lang) + ": ", className="small text-muted"), *chips] if chips else None
    clear_style = {} if chips else {"display": "none"}
    page = page_of(pathname)
    links = [dbc.NavLink(t(key, lang), href=site_path(path) + (search or ""), active=page == path)
             for key, path in PAGES]
    badge = dbc.Badge(t("sample", lang), color="warning", className="ms-2 text-dark") if \
        context.snapshot().sample_only else None
    targets_label = t("targets", lang) + (" *" if state.targets else "")
    return (links, t("app_title", lang), badge, t("period", lang), t("compare", lang), t("org", lang),
            t("types", lang), chip, t("clear", lang), clear_style, targets_label)


@callback(Output(Id.URL, "search", allow_duplicate=True), Input(Id.CHIP_CLEAR, "n_clicks"),
          State(Id.URL, "search"), prevent_initial_call=True)
def clear_filters(n_clicks, search):
    """The chip's "clear": back to the whole tree and every type, keeping the period and language."""
    if not n_clicks:
        raise PreventUpdate
    return build(parse(search).with_(org=None, types=()))

