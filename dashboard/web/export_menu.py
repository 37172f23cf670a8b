"""The small download menu under each chart: the image (PNG, SVG, PDF) and the table (XLSX, CSV) of that
chart, made on the server for the view in the URL (one callback keeps every menu's links in step)."""

from __future__ import annotations

from urllib.parse import quote

from dash import ALL, Input, Output, State, callback, html

from dashboard.web.i18n import lang_of
from dashboard.web.ids import Id
from dashboard.web.links import site_path
from dashboard.web.state import parse

LINK = "export-link"  # pattern-matching id types
LABEL = "export-label"
FORMATS = (("chart", "png"), ("chart", "svg"), ("chart", "pdf"), ("table", "xlsx"), ("table", "csv"))


def href(kind: str, chart_id: str, fmt: str, search: str | None) -> str:
    return site_path(f"/export/{kind}/{quote(chart_id)}.{fmt}") + (search or "")


def export_menu(chart_id: str) -> html.Div:
    """"Tải về: PNG · SVG · PDF · XLSX · CSV" under a chart."""
    items: list = [html.Span("Tải về:", id={"type": LABEL, "chart": chart_id}, className="me-1")]
    for i, (kind, fmt) in enumerate(FORMATS):
        if i:
            items.append(html.Span(" · ", className="text-muted"))
        items.append(html.A(fmt.upper(), id={"type": LINK, "chart": chart_id, "fmt": f"{kind}.{fmt}"},
                            href=href(kind, chart_id, fmt, None), className="link-secondary", rel="nofollow"))
    return html.Div(items, className="small text-end mb-2")


@callback(Output({"type": LINK, "chart": ALL, "fmt": ALL}, "href"),
          Output({"type": LABEL, "chart": ALL}, "children"),
          Input(Id.URL, "search"), State({"type": LINK, "chart": ALL, "fmt": ALL}, "id"),
          State({"type": LABEL, "chart": ALL}, "id"))
def _links(search, link_ids, label_ids):
    lang = lang_of(parse(search).lang)
    hrefs = [href(i["fmt"].split(".")[0], i["chart"], i["fmt"].split(".")[1], search) for i in link_ids or []]
    return hrefs, ["Download:" if lang == "en" else "Tải về:" for _ in label_ids or []]
