"""The read-only JSON API behind the charts (Excel's Power Query and other systems use it).

    GET /api/v1/periods
    GET /api/v1/summary?period=ID[&org=CODE][&org_type=ID]
    GET /api/v1/organizations?period=ID[&org=CODE]
    …&format=csv on each

Every failure has one shape: ``{"error": {"code", "message", "message_vi", "message_en"}}`` with its HTTP
status.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pandas as pd
from flask import Blueprint, Response, jsonify, request

from dashboard import analytics
from dashboard.web import context
from dashboard.web.data import Snapshot
from dashboard.web.state import ViewState
from dashboard.web.view import find_org, remembered, resolve
from loaders.catalogue import METRIC_IDS, ORG_TYPE_IDS

api = Blueprint("api", __name__, url_prefix="/api/v1")

_ERRORS = {
    "period_required": (400, "Thiếu tham số period (ví dụ period=2024-Q1).", "The period parameter is missing "
                                                                             "(e.g. period=2024-Q1)."),
    "period_unknown": (404, "Không có số liệu cho kỳ này.", "There are no figures for this period."),
    "org_unknown": (404, "Không có tổ chức với mã này.", "There is no organization with this code."),
    "org_type_unknown": (400, "Loại hình không hợp lệ.", "Unknown organization type."),
    "format_unknown": (400, "Định dạng phải là json hoặc csv.", "The format must be json or csv."),
    "not_found": (404, "Không có địa chỉ này.", "No such address."),
}


class ApiError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def error_response(code: str) -> tuple[Response, int]:
    status, vi, en = _ERRORS[code]
    lang = request.args.get("lang", "vi")
    return jsonify({"error": {"code": code, "message": en if lang == "en" else vi, "message_vi": vi,
                              "message_en": en}}), status


@api.errorhandler(ApiError)
def _api_error(error: ApiError) -> tuple[Response, int]:
    return error_response(error.code)


@api.route("/<path:_rest>")
def _not_found(_rest: str) -> tuple[Response, int]:
    """Any other address under the API answers in the API's error shape (not with the app's page)."""
    return error_response("not_found")


def _format() -> str:
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ApiError("format_unknown")
    return fmt


def _csv(rows: list[dict[str, Any]], columns: list[str], name: str) -> Response:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"',
                             "X-Content-Type-Options": "nosniff"})


def _csv_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    return value


def _period_dict(row: pd.Series) -> dict[str, Any]:
    return {"id": row["code"], "label": row["label"], "start": str(row["start"]), "end": str(row["end"]),
            "kind": row["kind"]}


@api.get("/periods")
def periods() -> Response:
    fmt = _format()
    snap = context.snapshot()
    rows = [_period_dict(r) for _, r in snap.periods.sort_values(["end", "start"]).iterrows()]
    if fmt == "csv":
        return _csv(rows, ["id", "label", "start", "end", "kind"], "periods")
    return jsonify({"periods": rows})


def _checked() -> tuple[Snapshot, ViewState]:
    """The request's snapshot and view, each parameter checked (an unknown one is the API's error)."""
    snap = context.snapshot()
    period = request.args.get("period")
    if not period:
        raise ApiError("period_required")
    if period not in set(snap.periods["code"]):
        raise ApiError("period_unknown")
    org = request.args.get("org")
    if org and find_org(snap.orgs, org) is None:
        raise ApiError("org_unknown")
    org_type = request.args.get("org_type")
    if org_type and org_type not in ORG_TYPE_IDS:
        raise ApiError("org_type_unknown")
    return snap, ViewState(period=period, org=org, types=(org_type,) if org_type else ())


def _answer(name: str, compute: Callable[[Snapshot, ViewState], dict[str, Any]], *, shared: bool) -> dict[str, Any]:
    """``compute``'s answer for the request, computed once for every format, and with ``shared`` once for every
    worker (the shared cache, keyed by the data version and the caller's scope)."""
    snap, state = _checked()
    key = ("api", name, state.period, state.org, state.types)
    return remembered(snap, key, lambda: compute(snap, state), shared=shared)


@api.get("/summary")
def summary() -> Response:
    fmt = _format()
    answer = _answer("summary", _summary, shared=True)
    if fmt == "csv":
        rows = [{"metric": "organizations", "value": answer["organizations"]}] + [
            {"metric": m, "value": v} for m, v in answer["totals"].items()]
        return _csv(rows, ["metric", "value"], f"summary_{answer['period']['id']}")
    return jsonify(answer)


def _summary(snap: Snapshot, state: ViewState) -> dict[str, Any]:
    view = resolve(snap, state)
    facts = analytics.period_slice(view.facts, view.period_id)
    totals = analytics.totals_by_period(facts, view.orgs)
    by_type = analytics.totals_by_org_type(facts, view.orgs)
    metric_cols = [m for m in METRIC_IDS if m in totals.columns]
    total_row = totals.iloc[0] if not totals.empty else None
    out_totals = {m: _plain(total_row[m]) for m in metric_cols if total_row is not None
                  and _plain(total_row[m]) is not None}
    out_types = {}
    for _, row in by_type.iterrows():
        bucket = {"organizations": int(row["organizations"])}
        bucket.update({m: _plain(row[m]) for m in metric_cols if m in row and _plain(row[m]) is not None})
        out_types[row["org_type"]] = bucket
    period_row = snap.periods[snap.periods["code"] == view.period_code].iloc[0]
    scope = {"org": state.org, "name": view.root_name, "org_type": state.types[0] if state.types else None}
    organizations = int(total_row["organizations"]) if total_row is not None else 0
    return {"period": _period_dict(period_row), "scope": scope, "organizations": organizations,
            "totals": out_totals, "by_org_type": out_types}


@api.get("/organizations")
def organizations() -> Response:
    fmt = _format()
    # not shared: the table is as large as the scope (43 MB of JSON for the whole country), and reading it
    # back from Redis takes about as long as making it again (under a second)
    answer = _answer("organizations", _organizations, shared=False)
    if fmt == "csv":
        return _csv(answer["organizations"], ["code", "name", "org_type", "parent", *answer["metrics"]],
                    f"organizations_{answer['period']}")
    return jsonify({"period": answer["period"], "organizations": answer["organizations"]})


def _organizations(snap: Snapshot, state: ViewState) -> dict[str, Any]:
    view = resolve(snap, state)
    table = analytics.org_table(view.facts, view.orgs, view.period_id)
    metric_cols = [m for m in METRIC_IDS if m in table.columns]
    # column by column, not row by row: 52.000 organizations × 35 fields in about a second, not twelve
    columns = {"code": _plain_list(table["code"]), "name": table["name"].tolist(),
               "org_type": _plain_list(table["org_type"]),
               "parent": _plain_list(table["parent_name"]) if "parent_name" in table.columns else [None] * len(table)}
    columns.update({m: _plain_list(table[m]) for m in metric_cols})
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    return {"period": view.period_code, "metrics": metric_cols, "organizations": rows}


def _plain_list(column: pd.Series) -> list:
    """A column as plain Python values (missing ones None), as ``_plain`` makes them one by one."""
    return [_plain(v) for v in column.tolist()]
