"""Where the report page's background jobs run: local processes with diskcache (the embedded default), or
Celery workers on Redis when ``CELERY_BROKER_URL`` is set.

A job runs outside the request that asked for it, so it cannot ask who is signed in. The request hands the
caller's scope to the job through a random token kept on the server (the same diskcache folder or Redis):
the browser only ever sees the token, never a scope it could change.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from dashboard import settings

TOKEN_SECONDS = 3600
_manager = None


def cache_dir() -> Path:
    folder = settings.get("EXPORT_CACHE_DIR")
    path = Path(folder) if folder else Path(settings.get("DATABASE_PATH")).resolve().parent / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _diskcache():
    import diskcache

    return diskcache.Cache(str(cache_dir()))


def manager():
    """The background callback manager (one per process)."""
    global _manager
    if _manager is None:
        from dash import CeleryManager, DiskcacheManager

        url = settings.get("CELERY_BROKER_URL")
        if url:
            from celery import Celery

            _manager = CeleryManager(Celery("thongke_exports", broker=url, backend=url))
        else:
            _manager = DiskcacheManager(_diskcache())
    return _manager


def _store_set(key: str, value: str) -> None:
    url = settings.get("CELERY_BROKER_URL")
    if url:
        import redis

        redis.Redis.from_url(url).setex(key, TOKEN_SECONDS, value)
    else:
        _diskcache().set(key, value, expire=TOKEN_SECONDS)


def _store_get(key: str) -> str | None:
    url = settings.get("CELERY_BROKER_URL")
    if url:
        import redis

        raw = redis.Redis.from_url(url).get(key)
        return raw.decode() if raw is not None else None
    value = _diskcache().get(key)
    return value if isinstance(value, str) else None


def remember_scope(scope: frozenset[int] | None) -> str:
    """A token standing for the caller's scope, for a job to use within the hour."""
    token = secrets.token_urlsafe(24)
    _store_set(f"export-scope:{token}", json.dumps(None if scope is None else sorted(scope)))
    return token


def recall_scope(token: str | None) -> tuple[bool, frozenset[int] | None]:
    """(found, scope) for a token from :func:`remember_scope`."""
    if not token or not isinstance(token, str) or len(token) > 64:
        return False, None
    raw = _store_get(f"export-scope:{token}")
    if raw is None:
        return False, None
    value = json.loads(raw)
    return True, (None if value is None else frozenset(int(v) for v in value))
