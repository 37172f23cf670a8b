"""The cache every worker shares: an answer one worker computed is reused by all (Redis at REDIS_URL, kept
CACHE_SECONDS; Flask-Caching).

A key names the store, its data version (the newest audit-log entry: every import, rollback, lock and
restructuring writes one), the scope of whoever asks and the view, so an import committed anywhere makes
every worker compute afresh on its next request, and users of different scopes never share an answer.

Values are JSON written by plotly's encoder (figures, Dash components, text, numbers: what a callback sends
to the browser anyway), never pickle: whoever can write to Redis must not be able to run code in the web
workers. An answer read back is that JSON (dicts where the computing worker had figure and component
objects); callbacks return it as it is, and the browser receives the same bytes either way.

The cache only saves time. When Redis is down or slow (SOCKET_TIMEOUT) the request computes its answer as
if nothing were cached; the failure is logged once, and Redis is left alone for BACKOFF seconds before the
next try, so a dead Redis costs nothing per request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_caching import Cache
from flask_caching.backends.rediscache import RedisCache

from dashboard import settings
from dashboard.web.data import Snapshot

log = logging.getLogger(__name__)
SOCKET_TIMEOUT = 0.3  # seconds: a Redis that does not answer in this time counts as down
BACKOFF = 5.0  # seconds Redis is left alone after a failure
MAX_VALUE_BYTES = 16 * 1024 * 1024  # larger answers are not shared (each worker computes its own)
PREFIX = "thongke:"


class _TextSerializer:
    """Text in, text out: nothing read from Redis is ever unpickled."""

    def dumps(self, value: str) -> bytes:
        return value.encode("utf-8")

    def loads(self, value: bytes | None) -> str | None:
        return None if value is None else value.decode("utf-8")


class TextRedisCache(RedisCache):
    """Flask-Caching's Redis backend holding text (our JSON) instead of pickles."""

    serializer = _TextSerializer()


def redis_options() -> dict[str, Any]:
    """Connection options for a Redis that must never hold a request up: short timeouts, no retries."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_connect_timeout": SOCKET_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT,
            "retry": Retry(NoBackoff(), 0), "health_check_interval": 30}


class SharedCache:
    """The Redis tier behind ``dashboard.web.view.remembered``; off without REDIS_URL or with CACHE_SECONDS 0."""

    def __init__(self) -> None:
        self._cache: Cache | None = None
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time before which Redis is not asked (after a failure)
        self._down = False  # a failure was logged and Redis has not answered since
        self.hits = self.misses = self.errors = 0  # this process's counts (tests and benchmarks read them)

    def configure(self, server: Flask) -> None:
        url, seconds = settings.get("REDIS_URL"), settings.get_int("CACHE_SECONDS")
        self._down_until, self._down = 0.0, False
        if not url or seconds <= 0:
            self._cache = None
            return
        self._cache = Cache(server, config={
            "CACHE_TYPE": f"{__name__}.TextRedisCache", "CACHE_REDIS_URL": url, "CACHE_DEFAULT_TIMEOUT": seconds,
            "CACHE_KEY_PREFIX": PREFIX, "CACHE_OPTIONS": redis_options()})

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    def get(self, key: str) -> Any | None:
        """The value kept under ``key``, or None (missing, unreadable, or Redis unavailable)."""
        text = self._call(lambda cache: cache.get(key))
        if text is None:
            self.misses += 1
            return None
        try:
            value = json.loads(text)
        except ValueError:
            log.warning("the shared cache held an unreadable value under %s; it is recomputed", key)
            return None
        self.hits += 1
        return value

    def set(self, key: str, value: Any) -> None:
        """Keep ``value`` (anything plotly's JSON encoder writes) under ``key``; too large or not JSON: skipped."""
        if self._cache is None or self._resting():
            return
        try:
            from plotly.io.json import to_json_plotly

            text = to_json_plotly(value)
        except (TypeError, ValueError):
            log.warning("an answer under %s cannot be written as JSON; it is not shared", key, exc_info=True)
            return
        if len(text) <= MAX_VALUE_BYTES:
            self._call(lambda cache: cache.set(key, text))

    def _resting(self) -> bool:
        return self._down and time.monotonic() < self._down_until

    def _call(self, action: Callable[[Cache], Any]) -> Any | None:
        cache = self._cache
        if cache is None or self._resting():
            return None
        try:
            result = action(cache)
        except Exception as error:  # any Redis failure (refused, timeout, out of memory…): compute instead
            self.errors += 1
            with self._lock:
                first = not self._down
                self._down, self._down_until = True, time.monotonic() + BACKOFF
            if first:
                log.warning("the shared cache (Redis) is unavailable, answers are computed by each worker: %s",
                            error)
            return None
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    log.warning("the shared cache (Redis) answers again")
        return result


shared = SharedCache()


def view_key(snap: Snapshot, key: tuple, store: str) -> str:
    """The Redis key of ``key``'s answer on ``snap``: store, data version, scope, then a hash of the view.

    ``store`` names the database (its URL); the imports' states are folded in too, so a store rebuilt at the
    same address (same version numbers, other files) never meets the answers of the old one.
    """
    prefix = snap.memo.get("shared-prefix")
    if prefix is None:
        states = json.dumps(sorted(snap.batches.items()))
        tag = hashlib.sha256(f"{store}\n{states}".encode()).hexdigest()[:16]
        scope = "all" if snap.scope is None else "s" + hashlib.sha256(
            ",".join(map(str, sorted(snap.scope))).encode()).hexdigest()[:16]
        prefix = snap.memo.setdefault("shared-prefix", f"view:{tag}:{snap.version}:{scope}:")
    return prefix + hashlib.sha256(repr(key).encode()).hexdigest()[:32]
