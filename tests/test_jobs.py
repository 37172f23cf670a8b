"""The background-job manager's answer to Dash's poll, when a job ends between Dash's two questions.

Dash reads a job's answer, then asks whether the job still runs; "no answer, not running" is taken for a
cancelled job (a 204: the spinner stops, nothing is shown). A job that writes its answer and ends between
the two questions fell into that gap under load (seen in the load test: a national import's check answered
nothing). Tested on the real diskcache manager with a job process that has really ended.
"""

from __future__ import annotations

import subprocess
import sys

import diskcache
from dash import DiskcacheManager

from dashboard.web import jobs


def _finishing(base: type) -> type:
    class Finishing(base):  # type: ignore[misc, valid-type]
        """The job writes its answer right after the first read (as a real job may, at any moment)."""

        reads = 0

        def get_result(self, key, job):
            result = super().get_result(key, job)
            type(self).reads += 1
            if type(self).reads == 1:
                self.handle.set(key, {"answer": 42})
            return result

    return Finishing


def _ended_job() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def test_job001_an_answer_written_as_the_job_ends_is_read_not_taken_for_a_cancel(tmp_path):
    job = _ended_job()
    plain = _finishing(DiskcacheManager)(diskcache.Cache(str(tmp_path / "plain")))
    # Dash's own manager: no answer at the read, and the job has ended when Dash asks → a "cancelled" job
    assert plain.get_result("k", job) is plain.UNDEFINED and not plain.job_running(job)
    ours = jobs._lost_job_aware(_finishing(DiskcacheManager))(diskcache.Cache(str(tmp_path / "ours")))
    assert ours.get_result("k", job) == {"answer": 42}


def test_job002_a_job_that_ended_without_an_answer_is_reported_lost(tmp_path):
    manager = jobs._lost_job_aware(DiskcacheManager)(diskcache.Cache(str(tmp_path)))
    result = manager.get_result("k", _ended_job())
    assert isinstance(result, dict) and jobs._LOST in result["background_callback_error"]["msg"]


def test_job003_the_same_on_celery_a_finished_task_whose_answer_came_late_in_the_read(tmp_path):
    """The production manager: a Celery task in SUCCESS (it has ended) whose answer was written just after
    Dash's first read. Needs TEST_REDIS_URL (skipped without it, failed if set and unreachable)."""
    import json
    import os
    import uuid

    import pytest
    from celery import Celery
    from dash import CeleryManager

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (CI sets it)")
    app = Celery("thongke-test", broker=url, backend=url)

    class Finishing(CeleryManager):
        reads = 0

        def get_result(self, key, job):
            result = super().get_result(key, job)
            type(self).reads += 1
            if type(self).reads == 1:
                self.handle.backend.set(key, json.dumps({"answer": 42}))
            return result

    task_id, key = str(uuid.uuid4()), f"test-job-{uuid.uuid4().hex}"
    app.backend.store_result(task_id, None, "SUCCESS")  # the task has ended
    try:
        manager = jobs._lost_job_aware(Finishing)(app)
        assert not manager.job_running(task_id)
        assert manager.get_result(key, task_id) == {"answer": 42}
    finally:
        app.backend.forget(task_id)
        app.backend.delete(key)
