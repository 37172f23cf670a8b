"""Downloads made on the server, for the URL state the pages use (``?period=…&org=…&types=…&lang=…``):

    GET /export/chart/<chart_id>.png|svg|pdf
    GET /export/table/<chart_id>.xlsx|csv
    GET /export/report.docx|pptx|zip[?charts=id,id…]      (every chart when none is given)
    GET /export/template.xlsx[?metrics=id,id…]

Figures come only from ``context.snapshot()`` (the caller's scope). Answers are attachments with a sanitized
file name and ``nosniff``; a failure answers in the API's error shape.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from dashboard.exports import service
from dashboard.exports.common import ExportError
from dashboard.web import context
from dashboard.web.state import ViewState, parse

downloads = Blueprint("downloads", __name__, url_prefix="/export")

_STATUS = {"chart_unknown": 404, "period_unknown": 404, "org_unknown": 404, "no_data": 404}


def _state() -> ViewState:
    return parse(request.query_string.decode("utf-8", errors="replace"))


def _attachment(export: service.Export) -> Response:
    return Response(export.data, content_type=export.mime, headers={
        "Content-Disposition": f'attachment; filename="{export.name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })


@downloads.errorhandler(ExportError)
def _export_error(error: ExportError) -> tuple[Response, int]:
    lang = "en" if _state().lang == "en" else "vi"
    body = {"error": {"code": error.code, "message": error.message(lang), "message_vi": error.message_vi,
                      "message_en": error.message_en}}
    response = jsonify(body)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response, _STATUS.get(error.code, 400)


@downloads.get("/chart/<chart_id>.<fmt>")
def chart(chart_id: str, fmt: str) -> Response:
    return _attachment(service.chart(context.snapshot(), _state(), chart_id, fmt))


@downloads.get("/table/<chart_id>.<fmt>")
def table(chart_id: str, fmt: str) -> Response:
    return _attachment(service.table(context.snapshot(), _state(), chart_id, fmt))


@downloads.get("/report.<fmt>")
def report(fmt: str) -> Response:
    return _attachment(service.report_pack(context.snapshot(), _state(), fmt, request.args.get("charts")))


@downloads.get("/template.xlsx")
def template() -> Response:
    metrics = [m for m in (request.args.get("metrics") or "").split(",") if m.strip()]
    return _attachment(service.import_template(context.snapshot(), _state(), metrics or None))
