"""``python app.py stack``: the production stack on one machine — gunicorn serving ``app:server`` with
``WEB_WORKERS`` workers and a Celery worker with ``JOB_WORKERS`` processes for imports and exports, on
PostgreSQL (``DATABASE_URL``) and Redis (``REDIS_URL``; ``CELERY_BROKER_URL`` defaults to it).

The store is migrated (and, when empty, given the sample data) once, here, before any worker starts. The
children get SIGINT/SIGTERM forwarded; if one of them ends, the other is stopped and the stack exits 1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dashboard import settings

ROOT = Path(__file__).resolve().parents[1]
GRACE_SECONDS = 30


def _child_setup() -> None:
    """In each child: a process group of its own (so a stop reaches its workers too), and SIGTERM when the
    stack itself dies, even by SIGKILL (Linux)."""
    os.setpgrp()
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def check_environment(fail: Callable[[str, str], None]) -> dict[str, str] | None:
    """The children's environment, or None after saying (in both languages) what is missing."""
    from sqlalchemy.engine import make_url

    url = settings.get("DATABASE_URL")
    try:
        backend = make_url(url).get_backend_name() if url else ""
    except Exception:  # an unparsable URL is "not PostgreSQL" too
        backend = ""
    if backend != "postgresql":
        fail("`stack` cần PostgreSQL: đặt DATABASE_URL=postgresql+psycopg://người_dùng@máy/csdl "
            "(tệp SQLite chỉ dùng với `python app.py serve`).",
            "`stack` needs PostgreSQL: set DATABASE_URL=postgresql+psycopg://user@host/db "
            "(the SQLite file is for `python app.py serve` only).")
        return None
    redis_url = settings.get("REDIS_URL") or settings.get("CELERY_BROKER_URL")
    broker = settings.get("CELERY_BROKER_URL") or redis_url
    if not redis_url:
        fail("`stack` cần Redis: đặt REDIS_URL=redis://máy:6379/0 (bộ nhớ đệm chung và hàng đợi công việc nền).",
            "`stack` needs Redis: set REDIS_URL=redis://host:6379/0 (the shared cache and the job queue).")
        return None
    import redis

    for name, value in (("REDIS_URL", redis_url), ("CELERY_BROKER_URL", broker)):
        try:
            redis.Redis.from_url(value, socket_connect_timeout=3, socket_timeout=3).ping()
        except (redis.RedisError, ValueError, OSError) as error:
            reason = str(error).rstrip(".")
            fail(f"Không kết nối được Redis ở {name}={_safe(value)}: {reason}.",
                 f"Cannot reach Redis at {name}={_safe(value)}: {reason}.")
            return None
    env = {**os.environ, "REDIS_URL": redis_url, "CELERY_BROKER_URL": broker,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if settings.get("HOST") in ("127.0.0.1", "localhost", "::1") and settings.get("COOKIE_SECURE") == "auto":
        env["COOKIE_SECURE"] = "false"  # plain HTTP on this machine: a Secure cookie would never come back
    return env


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(?)"


def prepare_store() -> str | None:
    """Migrate the store once (and import the sample data into an empty one); the set-up link while no
    account exists. Raises what the store raises when it cannot be reached."""
    from dashboard.accounts import store
    from dashboard.accounts.web import secret_key, setup_token
    from dashboard.store import db
    from dashboard.web import context
    from dashboard.web.data import DataService
    from dashboard.web.sample import ensure_sample_data

    engine = db.make_engine()
    try:
        db.upgrade(engine)
        ensure_sample_data(engine)
        with db.read_transaction(engine) as conn:
            users = store.count_users(conn)
        context.configure(engine, DataService(engine))  # where the accounts layer looks for the key file
        key = secret_key()  # made now if missing, so every worker reads the same one
    finally:
        engine.dispose()
    return None if users else f"{settings.url_prefix()}/thiet-lap?token={setup_token(key)}"


def commands(host: str, port: int) -> dict[str, list[str]]:
    web, jobs = settings.get_int("WEB_WORKERS"), settings.get_int("JOB_WORKERS")
    return {
        "gunicorn": [sys.executable, "-m", "gunicorn", "--workers", str(web), "--bind", f"{host}:{port}",
                     "--worker-class", "gthread", "--threads", str(settings.get_int("WEB_THREADS")),
                     # longer than a browser's pause between requests: a connection closed by the server just
                     # as the client reuses it is reset (behind nginx, its upstream keepalive_timeout is shorter)
                     "--keep-alive", "75",
                     "--timeout", "120", "--graceful-timeout", "20", "app:server"],
        "celery": [sys.executable, "-m", "celery", "-A", "dashboard.web.worker", "worker",
                   "--concurrency", str(jobs), "--loglevel", "INFO", "--hostname", f"thongke-{port}@%h",
                   "--without-mingle", "--without-gossip"],
    }


def run(say: Callable[[str, str], None], fail: Callable[[str, str], None], host: str, port: int) -> int:
    """Start the stack and watch it; the exit status (0 after a forwarded stop, 1 if a child ended, 2 when the
    environment is not ready). ``say`` informs, ``fail`` refuses (both in Vietnamese and English)."""
    env = check_environment(fail)
    if env is None:
        return 2
    try:
        link = prepare_store()
    except Exception as error:  # the store cannot be reached or migrated: one sentence, no traceback
        fail(f"Không mở được cơ sở dữ liệu: {type(error).__name__}: {str(error).splitlines()[0][:300]}",
            f"Cannot open the store: {type(error).__name__}: {str(error).splitlines()[0][:300]}")
        return 2
    received: list[int] = []

    def forward(signum, _frame) -> None:
        received.append(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    children: dict[str, subprocess.Popen] = {}
    for name, argv in commands(host, port).items():
        children[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                          preexec_fn=_child_setup)
    say(f"Đang chạy: gunicorn ({settings.get('WEB_WORKERS')} tiến trình web, pid {children['gunicorn'].pid}), "
        f"Celery ({settings.get('JOB_WORKERS')} tiến trình chạy nền, pid {children['celery'].pid}).\n"
        f"Mở trình duyệt tại http://{host}:{port}{settings.url_prefix()}/",
        f"Running: gunicorn ({settings.get('WEB_WORKERS')} web workers, pid {children['gunicorn'].pid}), "
        f"Celery ({settings.get('JOB_WORKERS')} job workers, pid {children['celery'].pid}).\n"
        f"Open http://{host}:{port}{settings.url_prefix()}/ in a browser")
    if link:
        say(f"Chưa có tài khoản nào. Tạo tài khoản quản trị đầu tiên tại: http://{host}:{port}{link}\n"
            "(hoặc: python app.py users add TÊN --role admin)",
            f"No account yet. Create the first administrator at: http://{host}:{port}{link}\n"
            "(or: python app.py users add NAME --role admin)")
    ended: tuple[str, int] | None = None
    while not received and ended is None:
        for name, proc in children.items():
            code = proc.poll()
            if code is not None:
                ended = (name, code)
                break
        else:
            time.sleep(0.3)
    if ended is not None:
        fail(f"{ended[0]} đã dừng (mã {ended[1]}); dừng các tiến trình còn lại.",
             f"{ended[0]} ended (status {ended[1]}); stopping the others.")
    _stop(children, received[0] if received else signal.SIGTERM)
    return 1 if ended is not None else 0


def _stop(children: dict[str, subprocess.Popen], signum: int) -> None:
    """Forward ``signum`` to each running child, wait for them, then kill what is left of their groups."""
    for proc in children.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signum)
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in children.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in children.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # what did not stop in time, and any worker left behind
        proc.wait()
