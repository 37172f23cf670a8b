"""One entry point per export, from a snapshot (already restricted to the caller's scope) and the URL state:
used by the download routes, the report page's background job and the CLI alike.

Each returns an :class:`Export` (bytes, a sanitized file name, the MIME type) or raises
:class:`~dashboard.exports.common.ExportError` with a message in both languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dashboard import charts
from dashboard.exports import images, report, tables, template
from dashboard.exports.common import (
    CHART_FORMATS,
    MIME,
    REPORT_FORMATS,
    TABLE_FORMATS,
    ExportError,
    file_name,
    slug,
    unknown_chart,
)
from dashboard.formatting import Lang
from dashboard.web.data import Snapshot
from dashboard.web.state import ViewState
from dashboard.web.view import View, find_org, resolve


@dataclass(frozen=True)
class Export:
    data: bytes
    name: str
    mime: str


def _format(fmt: str, allowed: Sequence[str]) -> str:
    if fmt not in allowed:
        raise ExportError("format_unknown", f"Định dạng phải là một trong: {', '.join(allowed)}.",
                          f"The format must be one of: {', '.join(allowed)}.")
    return fmt


def view_for(snap: Snapshot, state: ViewState) -> View:
    """The view of the URL's state; a period or organization that is not there is an error, not a fallback."""
    if state.period and state.period not in set(snap.periods["code"]):
        raise ExportError("period_unknown", "Không có số liệu cho kỳ này.", "There are no figures for this period.")
    if state.org and find_org(snap.orgs, state.org) is None:
        raise ExportError("org_unknown", "Không có tổ chức với mã này.", "There is no organization with this code.")
    return resolve(snap, state)


def _lang(state: ViewState) -> Lang:
    return "en" if state.lang == "en" else "vi"


def chart(snap: Snapshot, state: ViewState, chart_id: str, fmt: str = "png") -> Export:
    _format(fmt, CHART_FORMATS)
    if chart_id not in charts.BY_ID:
        raise unknown_chart(chart_id)
    view = view_for(snap, state)
    data = images.chart_image(chart_id, view, fmt, _lang(state))
    return Export(data, file_name(chart_id, view, fmt), MIME[fmt])


def table(snap: Snapshot, state: ViewState, chart_id: str, fmt: str = "xlsx") -> Export:
    _format(fmt, TABLE_FORMATS)
    if chart_id not in charts.BY_ID:
        raise unknown_chart(chart_id)
    view = view_for(snap, state)
    data = tables.chart_table(chart_id, view, fmt, _lang(state))
    return Export(data, file_name(chart_id, view, fmt), MIME[fmt])


def chart_ids(text: str | Sequence[str] | None) -> list[str]:
    """The charts asked for ("a,b" or a list); none means every chart of the catalogue."""
    if not text:
        return list(charts.CHART_IDS)
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = [c.strip() for c in items if c.strip()]
    for chart_id in wanted:
        if chart_id not in charts.BY_ID:
            raise unknown_chart(chart_id)
    return list(dict.fromkeys(wanted))


def report_pack(snap: Snapshot, state: ViewState, fmt: str = "docx", charts_wanted: Sequence[str] | None = None,
                progress: report.Progress | None = None) -> Export:
    _format(fmt, REPORT_FORMATS)
    ids = chart_ids(charts_wanted)
    view = view_for(snap, state)
    data = report.report(view, ids, fmt, _lang(state), progress)
    return Export(data, file_name("bao-cao" if state.lang != "en" else "report", view, fmt), MIME[fmt])


def import_template(snap: Snapshot, state: ViewState, metrics: Sequence[str] | None = None) -> Export:
    period = state.period or resolve(snap, state).period_code
    if not period:
        raise ExportError("period_required", "Hãy chọn kỳ báo cáo.", "Choose a period.")
    data = template.template(snap, period, org=state.org, metrics=tuple(metrics or template.DEFAULT_METRICS),
                             lang=_lang(state))
    name = "_".join(["mau-nhap", slug(period, 20), *([slug(state.org, 30)] if state.org else [])]) + ".xlsx"
    return Export(data, name, MIME["xlsx"])
