"""One declarative table of settings, read from the environment on demand (never at import time).

Each setting is documented in the README (a test checks that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "", "SQLAlchemy URL of the store; empty means the SQLite file DATABASE_PATH. "
                                "PostgreSQL: postgresql+psycopg://user@host/db"),
    Setting("DATABASE_PATH", str(ROOT / "data" / "thongke.sqlite3"), "the embedded SQLite file"),
    Setting("IMPORT_LOCK_TIMEOUT", "60", "seconds an import waits for another import before answering busy"),
    Setting("MAX_UPLOAD_MB", "64", "the largest file accepted for import, in MB"),
    Setting("HOST", "127.0.0.1", "the address `python app.py` serves on"),
    Setting("PORT", "8050", "the port `python app.py` serves on"),
    Setting("SNAPSHOT_CACHE_DIR", "", "folder where the dashboard keeps a copy of the figures it shows, so a "
                                      "restart is quick; empty means data/cache next to DATABASE_PATH; off "
                                      "disables it"),
    Setting("BROWSER_PATH", "/usr/bin/chromium", "the Chromium that kaleido drives to draw chart images"),
    Setting("EXPORT_SOURCE", "", "the source named under exported charts and tables; empty means "
                                 "\"Ban Tổ chức\" and the top organization's name"),
    Setting("EXPORT_CACHE_DIR", "", "folder of the background jobs (report packs, the Data page's check and "
                                    "import) run as local processes (diskcache); empty means data/cache next to "
                                    "DATABASE_PATH"),
    Setting("CELERY_BROKER_URL", "", "Redis URL (redis://host:6379/0): background jobs (imports, report packs) "
                                     "run on Celery workers instead of local processes; `python app.py stack` "
                                     "sets it to REDIS_URL when empty"),
    Setting("SECRET_KEY", "", "signs session cookies; empty means a random key generated on first start and kept "
                              "in the file `secret_key` next to DATABASE_PATH"),
    Setting("COOKIE_SECURE", "auto", "send session cookies over HTTPS only: true, false, or auto (true except "
                                     "for `python app.py serve` or `stack` on 127.0.0.1 / localhost)"),
    Setting("SESSION_HOURS", "12", "hours a sign-in lasts"),
    Setting("LOGIN_RATE_LIMIT", "10 per minute", "sign-in attempts allowed per address (Flask-Limiter syntax)"),
    Setting("LOGIN_MAX_FAILURES", "5", "wrong passwords in a row before an account is locked"),
    Setting("LOGIN_LOCK_MINUTES", "15", "minutes an account stays locked after LOGIN_MAX_FAILURES"),
    Setting("REDIS_URL", "", "Redis URL (redis://host:6379/0) shared by every worker: the sign-in rate limit and "
                             "the cache of computed views (CACHE_SECONDS); empty means each process counts and "
                             "caches for itself"),
    Setting("CACHE_SECONDS", "3600", "seconds a view computed by one worker stays in the cache shared by every "
                                     "worker (Redis, REDIS_URL); 0 turns the shared cache off"),
    Setting("URL_PREFIX", "", "the path the site is served under behind a reverse proxy, e.g. /thong-ke; empty "
                              "means the site is at the root"),
    Setting("PROXY_FIX", "0", "number of reverse proxies in front of the server whose X-Forwarded-For/-Proto/-Host/"
                              "-Prefix headers are trusted (werkzeug ProxyFix); 0 trusts none"),
    Setting("WEB_WORKERS", "3", "gunicorn worker processes `python app.py stack` starts"),
    Setting("JOB_WORKERS", "2", "Celery worker processes `python app.py stack` starts for imports and exports"),
    Setting("WEB_THREADS", "4", "threads per gunicorn worker in `python app.py stack` (gthread): a short request "
                                "is not held up behind a long one"),
    Setting("JOB_NICENESS", "10", "how much lower the CPU priority of the Celery worker (imports, exports and the "
                                  "Chromium drawing charts) is than the web workers'; 0 keeps it equal"),
    Setting("JOB_IDLE_PRIORITY", "true", "on Linux, the Celery worker (and its Chromium) also runs only on CPU time "
                                         "the web workers leave unused (SCHED_IDLE), so an import or a report pack "
                                         "never delays a page; false: only JOB_NICENESS"),
    Setting("WEB_GC_THRESHOLDS", "20000,20,100", "Python's garbage-collector thresholds in each gunicorn worker "
                                                 "(gc.set_threshold; off: Python's own, 700,10,10): a worker holds a "
                                                 "large heap of computed views, and every full collection stops it "
                                                 "for about a second"),
    Setting("PARSE_TIMEOUT", "120", "seconds an uploaded file may take to be read (in a separate process)"),
    Setting("PARSE_MEMORY_MB", "3072", "memory the process reading an uploaded file may use, in MB"),
    Setting("DEBUG", "false", "Dash's debug mode for `python app.py serve` (development only: refused unless "
                              "HOST is 127.0.0.1 or localhost)"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The setting's value: the environment's, else its default."""
    setting = _BY_NAME[name]
    value = os.environ.get(name)
    return setting.default if value is None or value == "" else value


def get_int(name: str) -> int:
    raw = get(name)
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def get_bool(name: str) -> bool:
    raw = get(name).strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def database_url() -> str:
    url = get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(Path(get("DATABASE_PATH")).resolve())


def snapshot_cache_dir() -> Path | None:
    value = get("SNAPSHOT_CACHE_DIR")
    if value.strip().lower() == "off":
        return None
    return Path(value) if value else Path(get("DATABASE_PATH")).resolve().parent / "cache"


def url_prefix() -> str:
    """URL_PREFIX as a path: "" (the root) or "/thong-ke" (one leading slash, none at the end)."""
    raw = get("URL_PREFIX").strip()
    prefix = "/" + raw.strip("/") if raw.strip("/") else ""
    if any(ch in prefix for ch in "?#%\\ ") or "//" in prefix or any(ord(ch) < 33 for ch in prefix) or \
            any(part in (".", "..") for part in prefix.split("/")[1:]):
        raise ValueError(f"URL_PREFIX must be a plain path such as /thong-ke, not {raw!r}")
    return prefix
