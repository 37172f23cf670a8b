"""The web side of accounts: a deny-by-default guard in front of every request, sign-in and sign-out, the
first administrator's set-up link, the account page (password, API tokens), the administrators' page
(users and the audit log), CSRF protection, sign-in rate limits, security headers and cookies.

Dash answers every callback at one address (``/_dash-update-component``) for whatever output a request
names, so nothing here looks at what a request asks for: without a session (or, for GET requests to the
API and downloads, an API token) only the sign-in page and static files answer. What a signed-in user may
*see* is decided in one place, :func:`dashboard.web.context.snapshot`, from the scope stored with the user
(see :func:`scope`), never from the request.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

from dash import Dash, html
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template_string,
    request,
    session,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard import settings
from dashboard.accounts import store
from dashboard.store import db
from dashboard.store.schema import organizations
from dashboard.web import context

PUBLIC_PATHS = frozenset({"/dang-nhap", "/thiet-lap", "/_favicon.ico", "/healthz"})
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
TOKEN_PREFIXES = ("/api/", "/export/")  # what an API token may GET
LOGGED_PREFIXES = ("/api/", "/export/")  # successful downloads go to the access log
CSRF_COOKIE = "_csrf_token"  # Dash's renderer sends its value as the X-CSRFToken header
SESSION_COOKIE = "thongke_session"

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Thống kê đảng viên", "Party membership statistics"),
    "login": ("Đăng nhập", "Sign in"),
    "name": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "password2": ("Nhập lại mật khẩu", "Password again"),
    "bad_login": ("Tên đăng nhập hoặc mật khẩu không đúng, hoặc đã thử sai quá nhiều lần (khi đó hãy đợi "
                  "{minutes} phút).",
                  "Wrong user name or password, or too many failed attempts (then wait {minutes} minutes)."),
    "rate_limited": ("Quá nhiều lần đăng nhập từ địa chỉ này; hãy thử lại sau ít phút.",
                     "Too many sign-in attempts from this address; try again in a few minutes."),
    "signed_out": ("Đã đăng xuất.", "You have signed out."),
    "setup": ("Tạo tài khoản quản trị đầu tiên", "Create the first administrator"),
    "setup_closed": ("Đường dẫn thiết lập không hợp lệ hoặc đã dùng.", "The set-up link is invalid or used."),
    "mismatch": ("Hai mật khẩu không giống nhau.", "The two passwords differ."),
    "account": ("Tài khoản", "Account"),
    "role": ("Vai trò", "Role"),
    "scope": ("Phạm vi", "Scope"),
    "everything": ("Toàn bộ", "Everything"),
    "nothing": ("(chưa được giao)", "(none assigned)"),
    "change_password": ("Đổi mật khẩu", "Change password"),
    "current_password": ("Mật khẩu hiện tại", "Current password"),
    "new_password": ("Mật khẩu mới", "New password"),
    "wrong_current": ("Mật khẩu hiện tại không đúng.", "The current password is wrong."),
    "password_changed": ("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc.",
                         "Password changed; every other sign-in has ended."),
    "logout": ("Đăng xuất", "Sign out"),
    "tokens": ("Mã truy cập API (cho Power Query, script)", "API tokens (for Power Query, scripts)"),
    "token_label": ("Tên gợi nhớ", "Label"),
    "token_create": ("Tạo mã mới", "Create a token"),
    "token_shown_once": ("Mã mới (chỉ hiện một lần, hãy lưu lại):", "The new token (shown once, keep it):"),
    "token_revoke": ("Thu hồi", "Revoke"),
    "token_revoked": ("đã thu hồi", "revoked"),
    "token_usage": ("Gửi kèm tiêu đề: Authorization: Bearer <mã>", "Send the header: Authorization: Bearer <token>"),
    "admin": ("Quản trị", "Administration"),
    "users": ("Người dùng", "Users"),
    "audit": ("Nhật ký", "Audit log"),
    "audit_csv": ("Tải nhật ký (CSV)", "Download the log (CSV)"),
    "back": ("Về bảng điều khiển", "Back to the dashboard"),
    "unauthorized": ("Cần đăng nhập.", "Sign-in required."),
    "forbidden": ("Bạn không có quyền làm việc này.", "You are not allowed to do this."),
    "csrf": ("Phiên làm việc đã hết hạn hoặc yêu cầu không hợp lệ; hãy tải lại trang.",
             "The session expired or the request is invalid; reload the page."),
    "too_large": ("Tệp quá lớn (tối đa {mb} MB).", "The file is too large (at most {mb} MB)."),
    "busy": ("Hệ thống đang bận; hãy thử lại sau ít phút.", "The system is busy; try again in a moment."),
    "active": ("Hoạt động", "Active"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    "when": ("Lúc", "When"),
    "who": ("Ai", "Who"),
    "action": ("Việc", "Action"),
    "target": ("Đối tượng", "Target"),
    "details": ("Chi tiết", "Details"),
}

_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ heading }} — {{ tr('title') }}</title><link rel="icon" href="{{ root }}/_favicon.ico">
<link rel="stylesheet" href="{{ root }}/assets/bootstrap.min.css"></head>
<body class="bg-light"><nav class="navbar navbar-dark bg-danger mb-4"><div class="container">
<a class="navbar-brand" href="{{ root }}/">{{ tr('title') }}</a>
<span><a class="text-white me-2" href="?{{ other_lang_query }}">{{ 'VI' if lang == 'en' else 'EN' }}</a></span>
</div></nav><main class="container" style="max-width: {{ width }}">
<h1 class="h4 mb-3">{{ heading }}</h1>
{% for kind, text in notes %}<div class="alert alert-{{ kind }}" role="alert">{{ text }}</div>{% endfor %}
{{ body }}
</main></body></html>"""

_LOGIN = """<form method="post" action="{{ root }}/dang-nhap?lang={{ lang }}" class="card card-body">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="next" value="{{ next }}">
<label class="form-label" for="name">{{ tr('name') }}</label>
<input class="form-control mb-2" id="name" name="name" autocomplete="username" required autofocus>
<label class="form-label" for="password">{{ tr('password') }}</label>
<input class="form-control mb-3" id="password" name="password" type="password" autocomplete="current-password" required>
<button class="btn btn-danger" type="submit">{{ tr('login') }}</button></form>"""

_SETUP = """<form method="post" action="{{ root }}/thiet-lap?lang={{ lang }}" class="card card-body">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="token" value="{{ token }}">
<label class="form-label" for="name">{{ tr('name') }}</label>
<input class="form-control mb-2" id="name" name="name" autocomplete="username" required autofocus>
<label class="form-label" for="password">{{ tr('password') }}</label>
<input class="form-control mb-2" id="password" name="password" type="password" autocomplete="new-password" required>
<label class="form-label" for="password2">{{ tr('password2') }}</label>
<input class="form-control mb-3" id="password2" name="password2" type="password" autocomplete="new-password" required>
<button class="btn btn-danger" type="submit">{{ tr('setup') }}</button></form>"""

_ACCOUNT = """<dl class="row"><dt class="col-3">{{ tr('name') }}</dt><dd class="col-9">{{ user.name }}</dd>
<dt class="col-3">{{ tr('role') }}</dt><dd class="col-9">{{ user.role }}</dd>
<dt class="col-3">{{ tr('scope') }}</dt><dd class="col-9">{{ scope_text }}</dd></dl>
<p><a href="{{ root }}/">{{ tr('back') }}</a>
{% if user.is_admin %} · <a href="{{ root }}/quan-tri?lang={{ lang }}">{{ tr('admin') }}</a>{% endif %}</p>
<form method="post" action="{{ root }}/dang-xuat" class="mb-4">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="btn btn-outline-secondary" type="submit">{{ tr('logout') }}</button></form>
<h2 class="h5">{{ tr('change_password') }}</h2>
<form method="post" action="{{ root }}/tai-khoan?lang={{ lang }}" class="card card-body mb-4">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="do" value="password">
<label class="form-label" for="current">{{ tr('current_password') }}</label>
<input class="form-control mb-2" id="current" name="current" type="password" autocomplete="current-password" required>
<label class="form-label" for="new">{{ tr('new_password') }}</label>
<input class="form-control mb-2" id="new" name="new" type="password" autocomplete="new-password" required>
<label class="form-label" for="new2">{{ tr('password2') }}</label>
<input class="form-control mb-3" id="new2" name="new2" type="password" autocomplete="new-password" required>
<button class="btn btn-danger" type="submit">{{ tr('change_password') }}</button></form>
<h2 class="h5">{{ tr('tokens') }}</h2><p class="small text-muted">{{ tr('token_usage') }}</p>
{% if new_token %}<div class="alert alert-warning">{{ tr('token_shown_once') }}
<code id="new-token">{{ new_token }}</code></div>{% endif %}
<table class="table table-sm"><tbody>{% for tok in tokens %}<tr><td>#{{ tok.id }}</td><td>{{ tok.label }}</td>
<td>{{ tok.created_at.strftime('%d/%m/%Y %H:%M') }}</td><td>{% if tok.revoked_at %}{{ tr('token_revoked') }}{% else %}
<form method="post" action="{{ root }}/tai-khoan?lang={{ lang }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="do" value="revoke"><input type="hidden" name="token_id" value="{{ tok.id }}">
<button class="btn btn-sm btn-outline-secondary" type="submit">{{ tr('token_revoke') }}</button></form>
{% endif %}</td></tr>
{% endfor %}</tbody></table>
<form method="post" action="{{ root }}/tai-khoan?lang={{ lang }}" class="row g-2">
<input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="do" value="token">
<div class="col-auto">
<input class="form-control" name="label" placeholder="{{ tr('token_label') }}" maxlength="100"></div>
<div class="col-auto">
<button class="btn btn-outline-danger" type="submit">{{ tr('token_create') }}</button></div></form>"""

_ADMIN = """<p><a href="{{ root }}/">{{ tr('back') }}</a> ·
<a href="{{ root }}/tai-khoan?lang={{ lang }}">{{ tr('account') }}</a></p>
<h2 class="h5">{{ tr('users') }}</h2>
<table class="table table-sm table-striped"><thead><tr><th>{{ tr('name') }}</th><th>{{ tr('role') }}</th>
<th>{{ tr('scope') }}</th><th>{{ tr('active') }}</th></tr></thead><tbody>{% for u in users %}
<tr><td>{{ u.name }}</td><td>{{ u.role }}</td>
<td>{{ tr('everything') if u.role == 'admin' else (', '.join(u.scope) if u.scope else tr('nothing')) }}</td>
<td>{{ tr('yes') if u.active else tr('no') }}</td></tr>{% endfor %}</tbody></table>
<h2 class="h5">{{ tr('audit') }}</h2><p><a href="{{ root }}/quan-tri/nhat-ky.csv">{{ tr('audit_csv') }}</a></p>
<table class="table table-sm table-striped small"><thead><tr><th>{{ tr('when') }}</th><th>{{ tr('who') }}</th>
<th>{{ tr('action') }}</th><th>{{ tr('target') }}</th><th>IP</th><th>{{ tr('details') }}</th></tr></thead><tbody>
{% for e in entries %}<tr><td>{{ e.at.strftime('%d/%m/%Y %H:%M:%S') }}</td><td>{{ e.actor }}</td><td>{{ e.action }}</td>
<td>{{ e.target or '' }}</td><td>{{ e.ip or '' }}</td><td><code>{{ e.details or '' }}</code></td></tr>{% endfor %}
</tbody></table>"""

bp = Blueprint("accounts", __name__)
limiter = Limiter(get_remote_address, default_limits=[])  # storage: RATELIMIT_STORAGE_URI, set in init_app
csrf = CSRFProtect()


# --- configuration -------------------------------------------------------------------------------
def _sqlite_folder() -> Path:
    """Where the embedded store lives: the store in use if it is a SQLite file, else DATABASE_PATH's folder."""
    url = make_url(str(context.engine().url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return Path(settings.get("DATABASE_PATH")).resolve().parent


def secret_key() -> str:
    """SECRET_KEY, else the key kept next to the SQLite file (made on first start, readable by its owner only)."""
    key = settings.get("SECRET_KEY")
    if key:
        return key
    path = _sqlite_folder() / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it or set SECRET_KEY")
    return key


def cookie_secure() -> bool:
    value = settings.get("COOKIE_SECURE").strip().lower()
    return True if value == "auto" else settings.get_bool("COOKIE_SECURE")


def setup_token(key: str) -> str:
    """The first administrator's set-up token: the same in every worker, useless once a user exists."""
    return hmac.new(key.encode(), b"first-admin-setup", hashlib.sha256).hexdigest()[:32]


def setup_hint(app: Dash | Flask, base: str = "") -> str | None:
    """The set-up link to print while no user exists (None once one does)."""
    server = app.server if isinstance(app, Dash) else app
    with db.read_transaction(context.engine()) as conn:
        if store.count_users(conn):
            return None
    return f"{base}{settings.url_prefix()}/thiet-lap?token={setup_token(server.config['SECRET_KEY'])}"


def init_app(app: Dash) -> None:
    """Put the accounts layer in front of the app: call once, after every route is registered."""
    server = app.server
    upload_bytes = settings.get_int("MAX_UPLOAD_MB") * 1024 * 1024
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookie_secure(),
        SESSION_COOKIE_PATH=settings.url_prefix() or "/",  # under a proxy's prefix: not sent to the host's other sites
        PERMANENT_SESSION_LIFETIME=settings.get_int("SESSION_HOURS") * 3600,
        # an upload arrives base64-encoded inside a callback's JSON body: 4/3 of the file, plus the rest
        MAX_CONTENT_LENGTH=upload_bytes * 4 // 3 + 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (server-side, revocable) session
        WTF_CSRF_SSL_STRICT=False,  # no Referer check: Referrer-Policy may drop it; the token is enough
        RATELIMIT_HEADERS_ENABLED=True,
    )
    login = LoginManager()
    login.init_app(server)
    login.request_loader(_load_user)
    server.before_request(_guard)  # before CSRFProtect's check: an anonymous request gets 401, not 400
    csrf.init_app(server)
    redis = settings.get("REDIS_URL")
    server.config["RATELIMIT_STORAGE_URI"] = redis or "memory://"
    # Redis down: each process counts for itself until Redis answers again (sign-in keeps working)
    server.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    server.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    limiter.init_app(server)
    server.register_blueprint(bp)
    server.after_request(_after)
    server.register_error_handler(CSRFError, _csrf_error)
    server.register_error_handler(RequestEntityTooLarge, _too_large)
    server.register_error_handler(429, _rate_limited)
    server.extensions["thongke_dash"] = app
    context.set_scope_provider(scope)
    context.data().known_version = _request_version


def scope() -> frozenset[int] | None:
    """What the current request may see: the signed-in user's (or token owner's) scope, from the store.

    Outside a request (the command line, tests calling functions directly) there is no user: everything.
    """
    if not has_request_context():
        return None
    user = current_user
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return user.scope


def user() -> store.User | None:
    u = current_user if has_request_context() else None
    return u if getattr(u, "is_authenticated", False) else None  # type: ignore[return-value]


# --- who is asking -------------------------------------------------------------------------------
def _load_user(req) -> store.User | None:
    auth = req.headers.get("Authorization", "")
    engine = context.engine()
    if auth:
        scheme, _, raw = auth.partition(" ")
        if scheme.lower() != "bearer" or req.method not in ("GET", "HEAD") or not req.path.startswith(TOKEN_PREFIXES):
            return None
        with engine.connect() as conn:
            return store.token_user(conn, raw.strip())
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    with engine.connect() as conn:
        found, version = store.session_user_and_version(conn, sid)
    g.data_version = version  # read in the same query: the figures of this request need no second round trip
    return found


def _request_version() -> int | None:
    """The data version read with the current request's session (see ``_load_user``), for the request's first
    snapshot only: a request that then changes the data (a rollback) reads the version afresh."""
    if not has_request_context():
        return None
    current_user._get_current_object()  # loads the user, and with it the version (once per request)
    return g.pop("data_version", None)


def _ip() -> str | None:
    return request.remote_addr


def audit(action: str, target: str | None = None, details: dict | None = None, actor: str | None = None) -> None:
    """An access-log entry about the current request (who, from where)."""
    u = user()
    store.record(context.engine(), actor or (u.name if u else "-"), action, target, details, _ip())


def _lang() -> str:
    lang = request.args.get("lang") or request.cookies.get("lang") or ""  # never the body: it may be too large
    if lang in ("vi", "en"):
        return lang
    return "en" if request.accept_languages.best_match(["vi", "en"]) == "en" else "vi"


def tr(key: str, lang: str | None = None, **fields: object) -> str:
    vi, en = TEXT[key]
    return (en if (lang or _lang()) == "en" else vi).format(**fields)


def _error(status: int, key: str, **fields: object) -> tuple[Response, int]:
    """The API's error shape, for refusals of non-page requests."""
    vi, en = (text.format(**fields) for text in TEXT[key])
    lang = _lang()
    return jsonify({"error": {"code": key, "message": en if lang == "en" else vi, "message_vi": vi,
                              "message_en": en}}), status


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _wants_page() -> bool:
    return request.method == "GET" and not request.path.startswith(("/api/", "/_", "/export/")) and \
        "text/html" in request.headers.get("Accept", "text/html")


def _guard():
    """Deny by default: only the sign-in and set-up pages and static files answer without a session."""
    if _is_public(request.path):
        return None
    if user() is not None:
        return None
    audit("denied", request.path[:300], {"method": request.method, "reason": "unauthenticated"})
    if _wants_page():
        # ``next`` is the path inside the site (no prefix): it can only lead back under the prefix
        return redirect(request.script_root + "/dang-nhap?" + urlencode({"next": request.full_path.rstrip("?")}))
    return _error(401, "unauthorized")


def forbid(target: str, reason: str) -> None:
    """Record a refusal of a signed-in user (the caller answers it)."""
    audit("denied", target, {"method": request.method, "reason": reason})


def _csp(dash_app: Dash) -> str:
    cached = current_app.config.get("_THONGKE_CSP")
    if cached is None:
        hashes = " ".join(dash_app.csp_hashes())  # each already quoted: 'sha256-…'
        cached = ("default-src 'self'; script-src 'self' " + hashes + "; style-src 'self' 'unsafe-inline'; "
                  "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                  "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
        current_app.config["_THONGKE_CSP"] = cached
    return cached


def _after(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = _csp(current_app.extensions["thongke_dash"])
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not _is_public(request.path):
        headers["Cache-Control"] = "no-store"
    u = user()
    if u is not None and not u.via_token:
        response.set_cookie(CSRF_COOKIE, generate_csrf(), samesite="Strict", httponly=False,
                            secure=current_app.config["SESSION_COOKIE_SECURE"],
                            path=current_app.config["SESSION_COOKIE_PATH"])
    if u is not None and response.status_code == 200 and request.path.startswith(LOGGED_PREFIXES):
        audit("download", request.full_path.rstrip("?")[:500], {"token": u.via_token})
    return response


def _csrf_error(error: CSRFError):
    audit("denied", request.path[:300], {"method": request.method, "reason": "csrf", "detail": error.description})
    if request.path in ("/dang-nhap", "/thiet-lap", "/tai-khoan", "/dang-xuat"):
        return _page(tr("login"), "", notes=[("danger", tr("csrf"))], status=400)
    return _error(400, "csrf")


def _too_large(_exc: RequestEntityTooLarge):
    audit("denied", request.path[:300], {"method": request.method, "reason": "too_large",
                                         "length": request.content_length})
    return _error(413, "too_large", mb=settings.get("MAX_UPLOAD_MB"))


def _rate_limited(_exc):
    audit("denied", request.path[:300], {"reason": "rate_limited"}, actor=request.form.get("name", "-")[:100])
    if request.path == "/dang-nhap":
        return _page(tr("login"), _login_form(), notes=[("danger", tr("rate_limited"))], status=429)
    return _error(429, "rate_limited")


# --- pages ---------------------------------------------------------------------------------------
def _page(heading: str, body: str, *, notes: list[tuple[str, str]] | None = None, status: int = 200,
          width: str = "32rem"):
    from markupsafe import Markup

    lang = _lang()
    args = request.args.to_dict()
    args["lang"] = "vi" if lang == "en" else "en"
    html_text = render_template_string(_PAGE, lang=lang, tr=lambda k: tr(k, lang), root=request.script_root,
                                       heading=heading,
                                       body=Markup(body), notes=notes or [], width=width,
                                       other_lang_query=urlencode(args))
    response = Response(html_text, status=status, mimetype="text/html")
    response.set_cookie("lang", lang, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
                        path=current_app.config["SESSION_COOKIE_PATH"])
    return response


def _render(template: str, **fields: object) -> str:
    lang = _lang()
    return render_template_string(template, lang=lang, tr=lambda k: tr(k, lang), root=request.script_root,
                                  csrf=generate_csrf(), **fields)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never //host or a scheme) to go back to after signing in; the caller puts it
    under the site's prefix (``request.script_root``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or \
            any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def _login_form() -> str:
    return _render(_LOGIN, next=_safe_next(request.values.get("next")))


def _start_session(u: store.User) -> None:
    with context.engine().begin() as conn:
        raw = store.new_session(conn, u.id)
    session.clear()  # a new session id after signing in: no fixation
    session["sid"] = raw
    session.permanent = True


@bp.route("/dang-nhap", methods=["GET", "POST"])
@limiter.limit(lambda: settings.get("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    if request.method == "GET":
        if user() is not None:
            return redirect(request.script_root + _safe_next(request.args.get("next")))
        return _page(tr("login"), _login_form())
    name = request.form.get("name", "")[:200]
    password = request.form.get("password", "")[:1024]
    try:
        with context.engine().begin() as conn:
            u, why = store.authenticate(conn, name, password)
    except db.StoreBusy:
        return _page(tr("login"), _login_form(), notes=[("warning", tr("busy"))], status=503)
    if u is None:
        store.record(context.engine(), name[:100] or "-", "login_failed", None, {"reason": why}, _ip())
        return _page(tr("login"), _login_form(), status=401,
                     notes=[("danger", tr("bad_login", minutes=settings.get("LOGIN_LOCK_MINUTES")))])
    _start_session(u)
    store.record(context.engine(), u.name, "login", None, {}, _ip())
    return redirect(request.script_root + _safe_next(request.form.get("next")))


@bp.post("/dang-xuat")
def logout():
    sid = session.get("sid")
    u = user()
    if isinstance(sid, str):
        with context.engine().begin() as conn:
            store.end_session(conn, sid)
    if u is not None:
        audit("logout")
    session.clear()
    response = _page(tr("login"), _login_form(), notes=[("success", tr("signed_out"))])
    response.delete_cookie(CSRF_COOKIE, path=current_app.config["SESSION_COOKIE_PATH"])
    return response


@bp.route("/thiet-lap", methods=["GET", "POST"])
@limiter.limit(lambda: settings.get("LOGIN_RATE_LIMIT"), methods=["POST"])
def setup():
    """The first administrator, through the link printed on the console while there is no user."""
    token = request.values.get("token", "")
    expected = setup_token(current_app.config["SECRET_KEY"])
    with db.read_transaction(context.engine()) as conn:
        open_ = store.count_users(conn) == 0
    if not open_ or not hmac.compare_digest(token.encode(), expected.encode()):
        audit("denied", "/thiet-lap", {"reason": "setup_closed" if not open_ else "setup_token"})
        return _page(tr("setup"), "", notes=[("danger", tr("setup_closed"))], status=403)
    if request.method == "GET":
        return _page(tr("setup"), _render(_SETUP, token=token))
    name, password = request.form.get("name", ""), request.form.get("password", "")
    notes = []
    if password != request.form.get("password2", ""):
        notes.append(("danger", tr("mismatch")))
    else:
        try:
            with db.write_transaction(context.engine()) as conn:  # serialized: one first administrator
                if store.count_users(conn):
                    return _page(tr("setup"), "", notes=[("danger", tr("setup_closed"))], status=403)
                store.create_user(conn, name, password, "admin")
                u, _why = store.authenticate(conn, name, password)
        except store.AccountError as error:
            notes.append(("danger", error.message(_lang())))
        else:
            assert u is not None
            _start_session(u)
            store.record(context.engine(), u.name, "user_add", u.name, {"role": "admin", "via": "setup"}, _ip())
            return redirect(request.script_root + "/")
    return _page(tr("setup"), _render(_SETUP, token=token), notes=notes, status=400)


def _scope_text(u: store.User, lang: str) -> str:
    if u.scope is None:
        return tr("everything", lang)
    if not u.scope:
        return tr("nothing", lang)
    with context.engine().connect() as conn:
        names = conn.execute(select(organizations.c.name, organizations.c.code)
                             .where(organizations.c.id.in_(sorted(u.scope)))).all()
    return ", ".join(f"{n} ({c})" if c else n for n, c in names)


@bp.route("/tai-khoan", methods=["GET", "POST"])
def account():
    u = user()
    if u is None or u.via_token:
        return _error(401, "unauthorized")
    lang = _lang()
    notes: list[tuple[str, str]] = []
    new_token = None
    status = 200
    action = request.form.get("do") if request.method == "POST" else None
    engine = context.engine()
    if action == "password":
        new, again = request.form.get("new", ""), request.form.get("new2", "")
        with engine.begin() as conn:
            ok, _why = store.authenticate(conn, u.name, request.form.get("current", "")[:1024])
        if ok is None:
            notes.append(("danger", tr("wrong_current", lang)))
            audit("password_change_failed", u.name)
            status = 400
        elif new != again:
            notes.append(("danger", tr("mismatch", lang)))
            status = 400
        else:
            try:
                with engine.begin() as conn:
                    store.set_password(conn, u.id, new)  # ends every session, this one included
            except store.AccountError as error:
                notes.append(("danger", error.message(lang)))
                status = 400
            else:
                _start_session(u)
                audit("password_change", u.name)
                notes.append(("success", tr("password_changed", lang)))
    elif action == "token":
        with engine.begin() as conn:
            token_id, new_token = store.create_token(conn, u.id, request.form.get("label", "").strip()[:100])
        audit("token_create", f"#{token_id}")
    elif action == "revoke":
        token_id = request.form.get("token_id", "")
        done = False
        if token_id.isdigit():
            with engine.begin() as conn:
                done = store.revoke_token(conn, u.id, int(token_id))
        audit("token_revoke" if done else "denied", f"#{token_id[:20]}", None if done else {"reason": "not_owner"})
        if not done:
            status = 403
            notes.append(("danger", tr("forbidden", lang)))
    with engine.connect() as conn:
        tokens = store.list_tokens(conn, u.id)
    body = _render(_ACCOUNT, user=u, scope_text=_scope_text(u, lang), tokens=tokens, new_token=new_token)
    return _page(tr("account", lang), body, notes=notes, status=status, width="48rem")


def _admin_only() -> store.User | None:
    u = user()
    if u is None or u.via_token or not u.is_admin:
        forbid(request.path, "not_admin")
        return None
    return u


@bp.get("/quan-tri")
def admin():
    if _admin_only() is None:
        return _page(tr("admin"), "", notes=[("danger", tr("forbidden"))], status=403)
    with db.read_transaction(context.engine()) as conn:
        users = store.list_users(conn)
        entries = store.audit_entries(conn, 500)
    return _page(tr("admin"), _render(_ADMIN, users=users, entries=entries), width="90rem")


@bp.get("/quan-tri/nhat-ky.csv")
def admin_audit_csv():
    if _admin_only() is None:
        return _error(403, "forbidden")
    with db.read_transaction(context.engine()) as conn:
        entries = store.audit_entries(conn, 100_000)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["at", "log", "actor", "action", "target", "ip", "details"])
    for e in entries:
        writer.writerow([f"{e['at']:%Y-%m-%d %H:%M:%S}", e["log"], *(csv_safe(e[k]) for k in
                                                                     ("actor", "action", "target", "ip", "details"))])
    audit("download", "/quan-tri/nhat-ky.csv", {"rows": len(entries)})
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="nhat-ky.csv"'})


def csv_safe(value: object) -> object:
    """Text a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --- in the Dash shell ---------------------------------------------------------------------------
def user_menu() -> html.A | None:
    """The signed-in user's name in the navigation bar, leading to the account page (sign-out, password)."""
    u = user()
    if u is None:
        return None
    return html.A(u.name, href=request.script_root + "/tai-khoan", className="ms-3 text-white small", title=u.role)
