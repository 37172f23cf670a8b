"""What every export shares: the caption of a chart (title, period, scope, source line), file names and errors."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from dashboard import charts, settings
from dashboard.formatting import Lang, fmt_date
from dashboard.web.view import View, root_of

CHART_FORMATS = ("png", "svg", "pdf")
TABLE_FORMATS = ("xlsx", "csv")
REPORT_FORMATS = ("docx", "pptx", "zip")
MIME = {
    "png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "zip": "application/zip",
}


class ExportError(Exception):
    """An export that cannot be made, with a message for the user in both languages."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code, self.message_vi, self.message_en = code, message_vi, message_en

    def message(self, lang: Lang = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi


def unknown_chart(chart_id: str) -> ExportError:
    return ExportError("chart_unknown", f"Không có biểu đồ «{chart_id[:40]}».", f"There is no chart “{chart_id[:40]}”.")


def no_figures() -> ExportError:
    return ExportError("no_data", "Chưa có số liệu cho lựa chọn này.", "There are no figures for this selection.")


@dataclass(frozen=True)
class Caption:
    """The words around a chart: its title, the period and scope line, the source line."""

    title: str
    subtitle: str  # "Quý II/2024 · Đảng bộ Khối …"
    source: str  # "Nguồn: Ban Tổ chức …; số liệu đến 30/6/2024"


def period_end(view: View) -> dt.date | None:
    row = view.periods[view.periods["id"] == view.period_id]
    if row.empty:
        return None
    end = row.iloc[0]["end"]
    return end if isinstance(end, dt.date) else dt.date.fromisoformat(str(end)[:10])


def scope_name(view: View, lang: Lang = "vi") -> str:
    name = view.root_name or ("Toàn bộ" if lang == "vi" else "Everything")
    return name


def source_line(view: View, lang: Lang = "vi") -> str:
    """"Nguồn: Ban Tổ chức <top organization>; số liệu đến 30/6/2024" (EXPORT_SOURCE names the source)."""
    source = settings.get("EXPORT_SOURCE")
    if not source:
        top = root_of(view.orgs)
        name = str(top["name"]) if top is not None else view.root_name
        source = (f"Ban Tổ chức {name}" if lang == "vi" else f"Organization Department, {name}") if name else (
            "Ban Tổ chức" if lang == "vi" else "Organization Department")
    end = period_end(view)
    if lang == "en":
        return f"Source: {source}; figures as of {fmt_date(end, 'en')}" if end else f"Source: {source}"
    return f"Nguồn: {source}; số liệu đến {fmt_date(end, 'vi', pad=False)}" if end else f"Nguồn: {source}"


def caption(chart_id: str, view: View, lang: Lang = "vi") -> Caption:
    chart = charts.BY_ID[chart_id]
    subtitle = " · ".join(p for p in (view.period_label, scope_name(view, lang)) if p)
    return Caption(chart.title(lang), subtitle, source_line(view, lang))


def slug(text: str, limit: int = 60) -> str:
    """ASCII, lowercase, dashes: "Quý II/2024 Đảng bộ" → "quy-ii-2024-dang-bo" (safe in any file system)."""
    text = str(text).replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-") or "export"


def file_name(kind: str, view: View, fmt: str) -> str:
    """A sanitized attachment name: "<kind>_<period>[_<scope>].<fmt>"."""
    parts = [slug(kind, 40), slug(view.period_code or "", 20)]
    if view.root_id is not None:
        parts.append(slug(view.root_name, 40))
    return "_".join(p for p in parts if p) + "." + fmt
