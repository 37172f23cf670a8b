"""When the store (or Redis) cannot be reached: a clear 503 in both languages, never a traceback.

A PostgreSQL restart, a network cut or a full connection pool raises in whatever the request was doing
(the sign-in check, a callback, the API). The answer is a short page in Vietnamese and English for a page
request, or the API's error shape for anything else, with ``Retry-After``. Nothing is half-written: every
write is one transaction, which the database drops when the connection breaks. The server recovers by
itself: connections are checked before use (``pool_pre_ping``), so the first request after the database is
back gets a fresh one.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, jsonify, request
from markupsafe import escape
from sqlalchemy import exc as sa_exc

from dashboard.web.i18n import t

log = logging.getLogger(__name__)
RETRY_AFTER = 5  # seconds a client is told to wait
LOG_EVERY = 10.0  # seconds between two log lines about the same outage
_last_logged: dict[str, float] = {}

_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title_vi} / {title_en}</title>
<style>body{{font-family:system-ui,sans-serif;margin:3rem auto;max-width:36rem;padding:0 1rem;color:#212529}}
h1{{font-size:1.4rem;color:#b02a37}}p{{line-height:1.5}}.en{{color:#6c757d}}</style></head>
<body><h1>{title_vi}</h1><p>{text_vi}</p><h1 class="en" lang="en">{title_en}</h1><p class="en" lang="en">{text_en}</p>
<p><a href="">Tải lại trang / Reload the page</a></p></body></html>"""


# what the store raises when it cannot be reached (down, restarting, a dead pooled connection)
STORE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)


def install(server: Flask) -> None:
    """Answer the store's and Redis's connection failures, wherever they happen in a request, with a 503;
    and finish Dash's set-up now (see ``_set_up_dash``). Call after ``accounts.init_app``."""
    dash_app = server.extensions.get("thongke_dash")
    if dash_app is not None:
        _set_up_dash(dash_app)
    for error in STORE_ERRORS:
        server.register_error_handler(error, _store_down)
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        return
    for error in (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        server.register_error_handler(error, _redis_down)


def _set_up_dash(app) -> None:  # type: ignore[no-untyped-def]
    """Run Dash's once-per-process set-up (check the layout, register every callback) now, outside any user's
    request. Dash runs it on a process's first request and marks it done before it starts: a first request
    that met a database outage (the layout asks who is signed in) would leave that worker without callbacks
    for good. Here no one is signed in, so the layout asks the store nothing."""
    with app.server.test_request_context("/"):
        app._setup_server()


def _store_down(error: Exception) -> Response:
    return _unavailable("store_down", "database", error)


def _redis_down(error: Exception) -> Response:
    return _unavailable("service_down", "redis", error)


def _unavailable(key: str, what: str, error: Exception) -> Response:
    now = time.monotonic()
    if now - _last_logged.get(what, -LOG_EVERY) >= LOG_EVERY:  # one line per outage, not one per request
        _last_logged[what] = now
        log.warning("%s unreachable, answering 503 (%s %s): %s", what, request.method, request.path,
                    _first_line(getattr(error, "orig", None) or error))
    _forget_user()
    vi, en = t(key, "vi"), t(key, "en")
    if _wants_page():
        page = _PAGE.format(title_vi=escape(t("unavailable", "vi")), title_en=escape(t("unavailable", "en")),
                            text_vi=escape(vi), text_en=escape(en))
        response = Response(page, status=503, mimetype="text/html")
    else:
        lang = request.args.get("lang") or request.cookies.get("lang")
        response = jsonify({"error": {"code": key, "message": en if lang == "en" else vi, "message_vi": vi,
                                      "message_en": en}})
        response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else type(error).__name__


def _forget_user() -> None:
    """Whoever asked counts as anonymous for the rest of this request, so that the response's own steps
    (security headers, the CSRF cookie) do not ask the unreachable store again who it is."""
    from flask_login import AnonymousUserMixin

    g._login_user = AnonymousUserMixin()


def _wants_page() -> bool:
    return request.method == "GET" and not request.path.startswith(("/api/", "/_", "/export/")) and \
        "text/html" in request.headers.get("Accept", "text/html")
