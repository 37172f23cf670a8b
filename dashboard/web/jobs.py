"""Where long jobs run — the report pack, and the Data page's check (dry run) and import: local processes with
diskcache (the embedded default), or Celery workers on Redis when ``CELERY_BROKER_URL`` is set (``python
app.py stack`` sets it to ``REDIS_URL``). No long job runs on a web worker.

A job runs outside the request that asked for it, so it cannot ask who is signed in. The request hands the
caller (id, name, role, scope, address) to the job through a random token kept on the server (the same
diskcache folder, or Redis): the browser only ever sees the token, never a scope it could change. An uploaded
file travels the same way, under a key that names its owner.

A job that cannot start (Redis down), that dies on its way (its worker killed) or that fails answers with one
sentence in Vietnamese and English (:func:`on_error`), never a spinner that turns forever.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dashboard import settings

TOKEN_SECONDS = 3600
_IMPORT_PID = os.getpid()
_LOST = "thongke-job-lost"
_manager = None
_celery = None
log = logging.getLogger(__name__)

MESSAGES = {
    "lost": ("Công việc chạy nền đã dừng giữa chừng (tiến trình chạy nền bị tắt hoặc khởi động lại); không có gì "
             "được ghi. Hãy thử lại.",
             "The background job stopped before it finished (its worker was stopped or restarted); nothing was "
             "written. Please try again."),
    "unreachable": ("Không chạy được công việc nền: không kết nối được Redis (hàng đợi công việc). Hãy thử lại "
                    "sau hoặc báo quản trị viên.",
                    "The background job could not run: Redis (the job queue) cannot be reached. Try again later "
                    "or tell the administrator."),
    "failed": ("Công việc chạy nền gặp lỗi và đã dừng; không có gì được ghi. Hãy thử lại hoặc báo quản trị viên.",
               "The background job failed and stopped; nothing was written. Try again or tell the administrator."),
}


def message(key: str, lang: str) -> str:
    vi, en = MESSAGES[key]
    return en if lang == "en" else vi


# --- where jobs run ------------------------------------------------------------------------------
def broker_url() -> str:
    return settings.get("CELERY_BROKER_URL")


def cache_dir() -> Path:
    folder = settings.get("EXPORT_CACHE_DIR")
    path = Path(folder) if folder else Path(settings.get("DATABASE_PATH")).resolve().parent / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _diskcache():
    import diskcache

    return diskcache.Cache(str(cache_dir()))


def celery_app():
    """The Celery application of this process (broker and results on ``CELERY_BROKER_URL``). The worker is
    ``celery -A dashboard.web.worker worker``, which builds the Dash app so that every background callback is
    registered as a task."""
    global _celery
    if _celery is None:
        from celery import Celery

        url = broker_url()
        app = Celery("thongke", broker=url, backend=url)
        app.conf.update(
            # one queue per store: two stacks sharing a Redis database never run each other's jobs
            task_default_queue="thongke-" + hashlib.sha256(settings.database_url().encode()).hexdigest()[:12],
            broker_connection_retry_on_startup=True,
            broker_connection_timeout=3,
            # a job asked for while Redis is down fails within seconds instead of hanging the request
            task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5,
                                       "interval_max": 1},
            redis_socket_connect_timeout=3,
            redis_socket_timeout=30,
            result_backend_transport_options={"retry_policy": {"max_retries": 2, "interval_start": 0,
                                                               "interval_step": 0.5, "interval_max": 1}},
            result_expires=TOKEN_SECONDS,
            task_track_started=True,
            worker_prefetch_multiplier=1,  # a long import does not hold back the jobs queued behind it
            worker_hijack_root_logger=False,
        )
        _celery = app
    return _celery


def _lost_job_aware(base: type) -> type:
    class Manager(base):  # type: ignore[misc, valid-type]
        """Dash's manager, plus: a job whose worker died without an answer answers "lost" (see on_error)."""

        def get_result(self, key, job):
            result = super().get_result(key, job)
            if result is self.UNDEFINED and job is not None and not self.job_running(job):
                # it may have answered and ended since the first read: Dash asks whether the job still runs
                # *after* reading, and takes "no answer and not running" for a cancelled job (a poll answered
                # 204, a spinner that stops with nothing to show); a job writes its answer before it ends
                result = super().get_result(key, job)
                if result is self.UNDEFINED and self._lost(job):
                    return {"background_callback_error": {"msg": _LOST, "tb": ""}}
            return result

        def _lost(self, job) -> bool:
            if hasattr(self, "get_task"):  # Celery: the worker's parent marks a task whose process died FAILURE
                task = self.get_task(job)
                return task is not None and task.status == "FAILURE"
            return not self.job_running(job)

    Manager.__name__ = base.__name__
    return Manager


def manager():
    """The background callback manager (one per process)."""
    global _manager
    if _manager is None:
        from dash import CeleryManager, DiskcacheManager

        if broker_url():
            _manager = _lost_job_aware(CeleryManager)(celery_app())
        else:
            _manager = _lost_job_aware(DiskcacheManager)(_diskcache())
    return _manager


def own_connections() -> None:
    """In a job running in a process forked from the one that imported this module (a diskcache job, a Celery
    pool process): drop the pooled database connections inherited from the parent, which are not ours."""
    if os.getpid() != _IMPORT_PID:
        from dashboard.web import context

        context.engine().dispose(close=False)


def on_error(outputs: Callable[[str], Any]) -> Callable[[Exception], Any]:
    """A background callback's ``on_error``: the job could not start, died or failed → ``outputs(message)``,
    the callback's outputs showing one sentence in the page's language."""

    def handler(error: Exception):
        from dash.exceptions import BackgroundCallbackError

        if isinstance(error, BackgroundCallbackError):
            key = "lost" if _LOST in str(error) else "failed"
            if key == "failed":
                log.error("background job failed: %s", error)
        elif _is_unreachable(error):
            key = "unreachable"
            log.warning("background job not started: %s", error)
        else:
            log.exception("background job failed", exc_info=error)
            key = "failed"
        return outputs(message(key, _lang()))

    return handler


def _is_unreachable(error: BaseException) -> bool:
    import redis
    from kombu.exceptions import OperationalError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (redis.ConnectionError, redis.TimeoutError, OperationalError, ConnectionError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _lang() -> str:
    from dash import ctx

    from dashboard.web.i18n import lang_of
    from dashboard.web.ids import Id
    from dashboard.web.state import parse

    try:
        values = {**ctx.states, **ctx.inputs}
    except Exception:  # no callback context: the default language
        return "vi"
    return lang_of(parse(values.get(f"{Id.URL}.search")).lang)


# --- what the job may do: the caller, behind a token ----------------------------------------------
@dataclass(frozen=True)
class Caller:
    """Who asked for a job and what they may touch. ``scope``: None for everything, else subtree tops."""

    id: int | None
    name: str
    role: str
    scope: frozenset[int] | None
    ip: str | None = None

    @property
    def can_edit(self) -> bool:
        return self.role in ("admin", "editor")


def current_caller() -> Caller | None:
    """The signed-in user of the current request as a job's caller; None when nobody is signed in."""
    from flask import request

    from dashboard.accounts import web as accounts
    from dashboard.web import context

    user = accounts.user()
    if user is None:
        return None
    return Caller(id=user.id, name=user.name, role=user.role, scope=context.current_scope(), ip=request.remote_addr)


def _client():
    import redis

    return redis.Redis.from_url(broker_url(), socket_connect_timeout=3, socket_timeout=30)


def _store_set(key: str, value: str | bytes) -> None:
    if broker_url():
        _client().setex(key, TOKEN_SECONDS, value)
    else:
        _diskcache().set(key, value, expire=TOKEN_SECONDS)


def _store_get(key: str) -> bytes | str | None:
    if broker_url():
        return _client().get(key)
    return _diskcache().get(key)


def _store_delete(key: str) -> None:
    if broker_url():
        _client().delete(key)
    else:
        _diskcache().delete(key)


def _valid(token: object, length: int = 64) -> bool:
    return isinstance(token, str) and 0 < len(token) <= length and token.replace("-", "").replace("_", "").isalnum()


def remember(caller: Caller, **details: Any) -> str:
    """A token standing for the caller (and JSON ``details`` of the job), for a job to use within the hour."""
    token = secrets.token_urlsafe(24)
    payload = {"id": caller.id, "name": caller.name, "role": caller.role, "ip": caller.ip,
               "scope": None if caller.scope is None else sorted(caller.scope), "details": details}
    _store_set(f"job-caller:{token}", json.dumps(payload))
    return token


def recall(token: object) -> tuple[Caller, dict[str, Any]] | None:
    """(caller, details) for a token from :func:`remember`; None for an unknown or expired one."""
    if not _valid(token):
        return None
    raw = _store_get(f"job-caller:{token}")
    if raw is None:
        return None
    value = json.loads(raw)
    scope = value["scope"]
    caller = Caller(id=value["id"], name=value["name"], role=value["role"], ip=value.get("ip"),
                    scope=None if scope is None else frozenset(int(v) for v in scope))
    return caller, value["details"]


# --- uploaded files, kept for the jobs that read them ----------------------------------------------
def put_file(owner: int, data: bytes) -> str:
    """Keep an upload for its owner's jobs (an hour); returns its key (32 hex digits)."""
    key = secrets.token_hex(16)
    _store_set(f"job-file:{owner}:{key}", data)
    return key


def _file_key(owner: int, key: object) -> str | None:
    if not isinstance(key, str) or len(key) != 32 or not key.isalnum():
        return None
    return f"job-file:{int(owner)}:{key}"


def get_file(owner: int, key: object) -> bytes | None:
    """The upload ``key`` of ``owner``; None if it is another user's, unknown or expired."""
    name = _file_key(owner, key)
    raw = _store_get(name) if name else None
    return raw if isinstance(raw, bytes) else None


def has_file(owner: int, key: object) -> bool:
    name = _file_key(owner, key)
    if name is None:
        return False
    if broker_url():
        return bool(_client().exists(name))
    return name in _diskcache()


def drop_file(owner: int, key: object) -> None:
    name = _file_key(owner, key)
    if name:
        _store_delete(name)
