"""Behind a reverse proxy: the client's address, scheme and host from trusted proxies (PROXY_FIX), and the
whole site under a path (URL_PREFIX).

The site's public path is always URL_PREFIX (Dash writes it into every address the browser asks for). A
proxy may pass the full path (``/thong-ke/to-chuc``) or strip the prefix and say so with
``X-Forwarded-Prefix: /thong-ke`` (trusted only through ProxyFix); either way the app sees ``SCRIPT_NAME``
= the prefix and ``PATH_INFO`` = its own path, so Flask's ``request.path`` never carries the prefix and
``request.script_root`` is what links and redirects put in front. Anything outside the prefix is 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.utils import redirect

from dashboard import settings


class PrefixMiddleware:
    """Serves ``app`` under ``prefix`` only (see the module's docstring)."""

    def __init__(self, app: Callable, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        stripped_by_proxy = environ.get("SCRIPT_NAME", "").rstrip("/") == self.prefix
        if path == self.prefix or path.startswith(self.prefix + "/"):
            path = path[len(self.prefix):]
        elif not stripped_by_proxy:
            return NotFound()(environ, start_response)
        if not path:  # /thong-ke → /thong-ke/, so that the browser's pathname is the overview's
            query = environ.get("QUERY_STRING", "")
            return redirect(self.prefix + "/" + ("?" + query if query else ""), 308)(environ, start_response)
        environ["SCRIPT_NAME"] = self.prefix
        environ["PATH_INFO"] = path
        return self.app(environ, start_response)


def proxy_hops() -> int:
    hops = settings.get_int("PROXY_FIX")
    if hops < 0:
        raise ValueError(f"PROXY_FIX must be 0 or more, not {hops}")
    return hops


def install(server: Flask) -> None:
    """Wrap the server's WSGI app for URL_PREFIX and PROXY_FIX (nothing when both are unset)."""
    prefix, hops = settings.url_prefix(), proxy_hops()
    app = server.wsgi_app
    if prefix:
        app = PrefixMiddleware(app, prefix)
    if hops:
        # X-Forwarded-Prefix only says the proxy stripped URL_PREFIX: without a prefix it is not trusted, as
        # Dash would still ask for every address at the root
        app = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops if prefix else 0)
    server.wsgi_app = app  # type: ignore[method-assign]
