"""Dash callbacks posted as the browser posts them, background callbacks included, and the Data page's check
and import built on them — for a Flask test client or a real HTTP session.

A background callback answers its first POST with a job handle (``cacheKey``, ``job``); the renderer then
posts the same body again with those in the query string until the answer holds ``response`` (or 204).
The Data page runs in two steps each time: a callback in the request hands the job a token
(``data-check-job`` / ``data-commit-job``), then the background callback does the work on a job worker.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

Send = Callable[[dict, dict | None], tuple[int, Any]]  # (body, query) -> (status, JSON answer or None)


def flask_sender(client) -> Send:
    def send(body: dict, query: dict | None) -> tuple[int, Any]:
        response = client.post("/_dash-update-component", json=body, query_string=query or {})
        return response.status_code, response.get_json(silent=True)

    return send


def http_sender(http, base: str, timeout: float = 120) -> Send:
    def send(body: dict, query: dict | None) -> tuple[int, Any]:
        response = http.post(base + "/_dash-update-component", json=body, params=query or {}, timeout=timeout)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    return send


def dep_for(deps: list[dict], output_prefix: str, first_input: str | None = None) -> dict:
    """The callback writing ``output_prefix`` (and, when several do, the one whose first input is given)."""
    prefix = output_prefix.lstrip(".")
    matches = [d for d in deps if d["output"].lstrip(".").startswith(prefix)]
    if first_input is not None:
        matches = [d for d in matches if f"{d['inputs'][0]['id']}.{d['inputs'][0]['property']}" == first_input]
    assert matches, (output_prefix, first_input)
    return matches[0]


def body_of(dep: dict, inputs: list[dict], state: list[dict] | None = None) -> dict:
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs, "state": state or [], "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}


class Job:
    """A background callback's run: ``first`` (the handle), ``status`` and ``response`` once it answered."""

    def __init__(self, send: Send, body: dict) -> None:
        self.send, self.body = send, body
        self.status, self.first = send(body, None)
        self.response: dict | None = None
        self.polls = 0
        if self.status == 200 and isinstance(self.first, dict) and "response" in self.first:
            self.response = self.first["response"]  # not a background callback after all

    @property
    def handle(self) -> dict:
        assert self.status == 200 and "cacheKey" in self.first, (self.status, self.first)
        return {"cacheKey": self.first["cacheKey"], "job": self.first["job"]}

    @property
    def job_id(self) -> str:
        """The job's id (a Celery task id, or a process id) without its signature."""
        return self.handle["job"].rpartition("~")[0]

    def wait(self, timeout: float = 180) -> dict | None:
        """Poll until the job answers; its response (None for "no update", 204)."""
        if self.response is not None or self.status == 204:
            return self.response
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, answer = self.send(self.body, self.handle)
            self.polls += 1
            if status == 204:
                self.status = 204
                return None
            assert status == 200, (status, answer)
            if isinstance(answer, dict) and "response" in answer:
                self.status, self.response = 200, answer["response"]
                return self.response
            time.sleep(0.2)
        raise AssertionError(f"the background job gave no answer within {timeout} s")


def call(send: Send, deps: list[dict], output_prefix: str, inputs: list[dict], state: list[dict] | None = None,
         *, timeout: float = 180) -> tuple[int, dict | None]:
    """One callback, followed to its end if it runs in the background: (status, response)."""
    job = Job(send, body_of(dep_for(deps, output_prefix, f"{inputs[0]['id']}.{inputs[0]['property']}"), inputs,
                            state))
    if job.status != 200:
        return job.status, None
    response = job.wait(timeout)
    return job.status, response


def url(search: str) -> list[dict]:
    return [{"id": "shell-url", "property": "search", "value": search}]


def _flat(response: dict | None) -> dict:
    """``{"data-report": {"children": …}}`` with Dash's ``@…`` suffixes of duplicate outputs removed."""
    out: dict = {}
    for cid, props in (response or {}).items():
        for prop, value in props.items():
            out.setdefault(cid, {})[prop.split("@")[0]] = value
    return out


def start_check(send: Send, deps: list[dict], data: bytes, name: str, *, create: bool = False,
                accept: bool = False, search: str = "") -> tuple[dict, Job | None]:
    """The upload's hand-over (in the request): its outputs, and the check job it started (None if refused)."""
    contents = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    inputs = [{"id": "data-upload", "property": "contents", "value": contents},
              {"id": "data-create-orgs", "property": "value", "value": ["yes"] if create else []},
              {"id": "data-accept-warnings", "property": "value", "value": ["yes"] if accept else []}]
    state = [{"id": "data-upload", "property": "filename", "value": name}, *url(search)]
    status, handed = call(send, deps, "data-report", inputs, state)
    assert status == 200, status
    handed = _flat(handed)
    token = handed.get("data-check-job", {}).get("data")
    if not token:
        return handed, None
    return handed, Job(send, body_of(dep_for(deps, "data-report", "data-check-job.data"),
                                     [{"id": "data-check-job", "property": "data", "value": token}], url(search)))


def check(send: Send, deps: list[dict], data: bytes, name: str, **options: Any) -> dict:
    """The upload checked (dry run) to the end: ``data-report``, ``data-pending``, ``data-confirm``."""
    handed, job = start_check(send, deps, data, name, **options)
    if job is None:
        return handed
    return {**handed, **_flat(job.wait())}


def start_confirm(send: Send, deps: list[dict], pending: Any, *, create: bool = False, accept: bool = False,
                  search: str = "") -> tuple[int, dict, Job | None]:
    """"Confirm the import" pressed: (status of the hand-over, its outputs, the import job or None)."""
    inputs = [{"id": "data-confirm", "property": "n_clicks", "value": 1}]
    state = [{"id": "data-pending", "property": "data", "value": pending},
             {"id": "data-create-orgs", "property": "value", "value": ["yes"] if create else []},
             {"id": "data-accept-warnings", "property": "value", "value": ["yes"] if accept else []}, *url(search)]
    status, handed = call(send, deps, "data-result", inputs, state)
    handed = _flat(handed)
    token = handed.get("data-commit-job", {}).get("data")
    if status != 200 or not token:
        return status, handed, None
    return status, handed, Job(send, body_of(dep_for(deps, "data-result", "data-commit-job.data"),
                                             [{"id": "data-commit-job", "property": "data", "value": token}],
                                             url(search)))


def confirm(send: Send, deps: list[dict], pending: Any, **options: Any) -> tuple[int, dict]:
    """The import to its end: (status of the hand-over, ``data-result`` and ``data-confirm``)."""
    status, handed, job = start_confirm(send, deps, pending, **options)
    if job is None:
        return status, handed
    return status, {**handed, **_flat(job.wait())}
