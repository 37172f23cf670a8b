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
    Setting("BROWSER_PATH", "/usr/bin/chromium", "the Chromium that kaleido drives to draw chart images"),
    Setting("EXPORT_SOURCE", "", "the source named under exported charts and tables; empty means "
                                 "\"Ban Tổ chức\" and the top organization's name"),
    Setting("EXPORT_CACHE_DIR", "", "folder of the report page's background jobs (diskcache); empty means "
                                    "data/cache next to DATABASE_PATH"),
    Setting("CELERY_BROKER_URL", "", "Redis URL (redis://host:6379/0): report jobs run on Celery workers "
                                     "instead of local processes"),
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


def database_url() -> str:
    url = get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(Path(get("DATABASE_PATH")).resolve())
