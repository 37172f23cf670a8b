"""The Celery worker's entry point: ``celery -A dashboard.web.worker worker`` (``python app.py stack`` runs it).

Dash registers a background callback as a Celery task when the page that defines it is imported, so the
worker builds the same Dash app as the web workers (without warming the figures, and without the sample
data: the stack's start-up has seen to the store). Needs ``CELERY_BROKER_URL``.
"""

from __future__ import annotations

import contextlib
import os

from celery.signals import worker_process_init

from dashboard import settings
from dashboard.web import context, jobs
from dashboard.web.app import create_app

if not jobs.broker_url():
    raise SystemExit("CELERY_BROKER_URL is not set: the Celery worker needs Redis / "
                     "chưa đặt CELERY_BROKER_URL: tiến trình chạy nền cần Redis")

# below the web workers: an import or a report pack (and its Chromium, which inherits this) must not take the
# CPU from officials looking at the dashboard
os.nice(max(0, settings.get_int("JOB_NICENESS")))
if settings.get_bool("JOB_IDLE_PRIORITY") and hasattr(os, "SCHED_IDLE"):
    # niceness only weighs: under load a niced job still took half a core and delayed the pages' database
    # round trips; SCHED_IDLE runs it only when nothing else wants the CPU (inherited by the pool and Chromium)
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
dash_app = create_app(sample_data=False, warm=False)
context.data().leads_changes = False  # the web workers never wait for a job to read an import's change
app = jobs.celery_app()
jobs.manager()  # the manager the pages registered their callbacks with (one per process)


@worker_process_init.connect
def _own_connections(**_kwargs) -> None:
    """A forked pool process must not share the parent's pooled database connections."""
    context.engine().dispose(close=False)
