"""``/healthz`` for a load balancer or a supervisor: is the store reachable, and Redis when one is configured.

Public (it tells nothing about the figures): 200 with ``{"status": "ok", …}``, or 503 naming what failed.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from dashboard import settings
from dashboard.web import context

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    checks: dict[str, str] = {}
    try:
        with context.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # any failure to reach the store is "error"; the reason goes to the log, not out
        checks["database"] = "error"
    url = settings.get("REDIS_URL")
    if url:
        try:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
            checks["redis"] = "ok"
        except Exception:
            checks["redis"] = "error"
    else:
        checks["redis"] = "not configured"
    healthy = all(v != "error" for v in checks.values())
    response = jsonify({"status": "ok" if healthy else "error", **checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
