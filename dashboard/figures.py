"""Figure builders: ``build_x_figure(df, *, lang="vi", …) -> go.Figure``, pure functions of a frame.

Every figure shares one look (:func:`figure_template`): a Vietnamese-complete font named first, Plotly
``separators`` for the language (",." gives 7.841 and 20,5%), hover text already formatted in Python
(so the screen and an exported image agree whatever the browser's locale), no MathJax. Names from the
data are escaped (:func:`dashboard.formatting.safe_text`): Plotly reads a subset of HTML in labels.
An empty or unusable frame gives :func:`empty_figure`, a readable "Không có dữ liệu", never a broken chart.

The frames come from :mod:`dashboard.analytics`; each builder's docstring names the columns it reads.
Time-series frames are in time order with ``label`` (and ``label_en``), as ``analytics.with_periods`` gives.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics import (
    DEFAULT_TARGETS,
    DISCIPLINE_FORMS,
    FLOWS_IN,
    FLOWS_OUT,
    RATINGS,
    RATIO_BY_ID,
    Targets,
    org_type_name,
)
from dashboard.formatting import (
    MISSING,
    Lang,
    fmt_int,
    fmt_number,
    fmt_pct,
    fmt_signed,
    is_missing,
    plotly_separators,
    safe_text,
)
from loaders.catalogue import METRIC_BY_ID

FONT_FAMILY = "Noto Sans, DejaVu Sans, sans-serif"
COLORWAY = ("#b71c1c", "#1f5fa8", "#f2a900", "#2e7d32", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a")
RATING_COLORS = {"rated_excellent": "#1b5e20", "rated_good": "#66bb6a", "rated_complete": "#fdd835",
                 "rated_failed": "#c62828", "unclassified": "#b0bec5"}
DISCIPLINE_COLORS = {"disciplined_reprimand": "#fdd835", "disciplined_warning": "#fb8c00",
                     "disciplined_dismissal": "#e53935", "disciplined_expulsion": "#6d0000"}
TARGET_COLOR = "#424242"

_TEXT = {
    "no_data": ("Không có dữ liệu", "No data"),
    "period": ("Kỳ báo cáo", "Period"),
    "members": ("Số đảng viên", "Members"),
    "organizations": ("Số tổ chức cơ sở đảng", "Organizations"),
    "people": ("Số đảng viên", "Members"),
    "share": ("Tỷ lệ", "Share"),
    "membership_title": ("Số lượng đảng viên qua các kỳ", "Membership over time"),
    "composition_title": ("Tổ chức cơ sở đảng và đảng viên theo loại hình", "Organizations and members by type"),
    "admissions_title": ("Kết nạp và công nhận đảng viên chính thức", "Admissions and recognitions"),
    "admissions_target": ("Chỉ tiêu kết nạp ({pct}/năm)", "Admissions target ({pct} a year)"),
    "per_100": ("trên 100 đảng viên", "per 100 members"),
    "discipline_title": ("Đảng viên bị kỷ luật theo hình thức", "Members disciplined, by form"),
    "ratio_title": ("Tỷ lệ nữ và trẻ so với chỉ tiêu", "Women and young members against targets"),
    "ratio_trend_title": ("Tỷ lệ nữ và trẻ qua các kỳ", "Women and young members over time"),
    "target": ("Chỉ tiêu", "Target"),
    "rating_title": ("Kết quả đánh giá, xếp loại đảng viên", "Members' quality ratings"),
    "unclassified": ("Chưa xếp loại", "Not classified"),
    "balance_title": ("Biến động đảng viên trong kỳ", "Membership balance in the period"),
    "opening": ("Đầu kỳ", "Opening"),
    "closing": ("Cuối kỳ", "Closing"),
    "difference": ("Chênh lệch chưa giải thích", "Unexplained difference"),
    "no_opening": ("Không có số đầu kỳ (thiếu số liệu kỳ trước)", "No opening figure (previous period missing)"),
    "hierarchy_title": ("Cơ cấu tổ chức theo số đảng viên", "Organizations by number of members"),
    "type": ("Loại hình", "Type"),
    "units": ("Số tổ chức báo cáo", "Reporting organizations"),
}
# short names for the balance bars (the catalogue's names are long for an axis)
_FLOW_SHORT = {
    "admitted": ("Kết nạp", "Admitted"),
    "transferred_in": ("Chuyển đến", "Transferred in"),
    "reinstated": ("Phục hồi", "Reinstated"),
    "deceased": ("Từ trần", "Deceased"),
    "expelled": ("Khai trừ", "Expelled"),
    "removed": ("Xóa tên", "Removed"),
    "resigned": ("Xin ra khỏi Đảng", "Resigned"),
    "transferred_out": ("Chuyển đi", "Transferred out"),
}
_RATING_SHORT = {
    "rated_excellent": ("Hoàn thành xuất sắc", "Excellent"),
    "rated_good": ("Hoàn thành tốt", "Good"),
    "rated_complete": ("Hoàn thành", "Complete"),
    "rated_failed": ("Không hoàn thành", "Failed"),
}


def _t(key: str, lang: Lang) -> str:
    vi, en = _TEXT[key]
    return en if lang == "en" else vi


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "en" else pair[0]


def metric_name(metric: str, lang: Lang = "vi") -> str:
    """The catalogue name of a metric in the language ("Kết nạp" / "Admitted")."""
    m = METRIC_BY_ID.get(metric)
    if m is None:
        return metric
    return m.en if lang == "en" else m.vi


# --- the shared look -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def figure_template(lang: Lang = "vi") -> go.layout.Template:
    """The template every figure uses: font, separators, colours, white background, hover font.
    Built once per language (a figure takes a copy when it is assigned)."""
    return go.layout.Template(layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 13, "color": "#212121"},
        separators=plotly_separators(lang),
        colorway=list(COLORWAY),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel={"font": {"family": FONT_FAMILY}},
        # the title at the very top, the legend in its own row under it: they never overlap
        title={"font": {"family": FONT_FAMILY, "size": 16}, "x": 0.0, "xanchor": "left", "y": 0.98,
               "yref": "container", "yanchor": "top"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0.0},
        xaxis={"gridcolor": "#eeeeee", "zerolinecolor": "#bdbdbd", "automargin": True},
        yaxis={"gridcolor": "#eeeeee", "zerolinecolor": "#bdbdbd", "automargin": True},
        margin={"l": 60, "r": 20, "t": 90, "b": 50},
    ))


@functools.lru_cache(maxsize=4)
def _template_json(lang: Lang) -> str:
    return json.dumps(figure_template(lang).to_plotly_json())


def _template_data(lang: Lang) -> dict:
    """The template as plain data, a fresh copy for each figure (figures may be changed after, e.g. by exports)."""
    return json.loads(_template_json(lang))


class _Spec:
    """A figure being put together as plain data: a list of traces and a layout dict.

    Plotly's figure objects check every assignment against the schema, which made a chart cost about 5 ms to
    build instead of 0,2 ms; the builders write plain data and :func:`_finish` wraps it once, unchecked.
    The tests check every builder's output against the schema instead (``go.Figure(fig.to_dict())``).
    """

    def __init__(self) -> None:
        self.data: list[dict[str, Any]] = []
        self.layout: dict[str, Any] = {}

    def trace(self, kind: str, **props: Any) -> None:
        self.data.append({"type": kind, **props})

    def set(self, part: str, **props: Any) -> None:
        """Merge ``props`` into a layout part ("xaxis", "yaxis2", "title", …)."""
        self.layout.setdefault(part, {}).update(props)

    def annotate(self, **props: Any) -> None:
        self.layout.setdefault("annotations", []).append(props)

    def shape(self, **props: Any) -> None:
        self.layout.setdefault("shapes", []).append(props)


def _count_ticks(spec: _Spec) -> dict:
    """Whole-number ticks for a count axis: with small counts, one tick per unit (never "0, 0, 1, 1")."""
    top = 0.0
    for trace in spec.data:
        values = [v for v in (trace.get("y") or ()) if isinstance(v, int | float)]
        top = max([top, *values])
    return {"dtick": 1} if top <= 10 else {}


def _axis_title(text: str) -> dict:
    return {"title": {"text": text}}


def _finish(spec: _Spec, *, lang: Lang, title: str) -> go.Figure:
    layout = spec.layout
    layout["template"] = _template_data(lang)
    # separators and the font are set on the layout itself too: kaleido and a bare dcc.Graph read them there
    layout["separators"] = plotly_separators(lang)
    layout.setdefault("font", {})["family"] = FONT_FAMILY
    layout.setdefault("title", {})["text"] = safe_text(title)
    return go.Figure({"data": spec.data, "layout": layout}, _validate=False)


def empty_figure(lang: Lang = "vi", *, title: str | None = None, message: str | None = None) -> go.Figure:
    """A readable "Không có dữ liệu" / "No data" figure: no axes, one centred message."""
    spec = _Spec()
    spec.annotate(text=safe_text(message or _t("no_data", lang)), x=0.5, y=0.5, xref="paper", yref="paper",
                  showarrow=False, font={"size": 16, "color": "#757575"})
    spec.set("xaxis", visible=False)
    spec.set("yaxis", visible=False)
    return _finish(spec, lang=lang, title=title or "")


def _usable(df: pd.DataFrame | None, columns: Sequence[str]) -> bool:
    """The frame has rows, the columns, and at least one value in them."""
    if df is None or df.empty or any(c not in df.columns for c in columns):
        return False
    return bool(df[list(columns)].notna().any().any())


def _labels(df: pd.DataFrame, lang: Lang) -> list[str]:
    col = "label_en" if lang == "en" and "label_en" in df.columns else "label"
    if col not in df.columns:
        col = "code" if "code" in df.columns else "period_id"
    return [safe_text(v) for v in df[col]]


def _num(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def _category_names(df: pd.DataFrame, lang: Lang) -> tuple[list[str], list[str]]:
    """Names to show for each row (escaped) and the key a click hands back (type id or org id)."""
    if "org_type" in df.columns and "name" not in df.columns:
        keys = [t if isinstance(t, str) else "" for t in df["org_type"]]
        return [safe_text(org_type_name(k or None, lang)) for k in keys], keys
    if "name" in df.columns:
        keys = [str(v) for v in (df["org_id"] if "org_id" in df.columns else df["name"])]
        return [safe_text(n) for n in df["name"]], keys
    return [safe_text(v) for v in df.index], [str(v) for v in df.index]


# --- time series ---------------------------------------------------------------------------------
def build_membership_figure(df: pd.DataFrame, *, lang: Lang = "vi", metrics: Sequence[str] = ("members_total",),
                            title: str | None = None) -> go.Figure:
    """Members over time, one line per metric.

    Columns: ``label`` (``label_en``), and each of ``metrics`` (default members_total), in time order.
    """
    title = title or _t("membership_title", lang)
    present = [m for m in metrics if m in df.columns]
    if not present or not _usable(df, present):
        return empty_figure(lang, title=title)
    x = _labels(df, lang)
    fig = _Spec()
    for metric in present:
        name = safe_text(metric_name(metric, lang))
        values = [_num(v) for v in df[metric]]
        fig.trace(
            "scatter", x=x, y=values, name=name, mode="lines+markers",
            customdata=[[lab, fmt_int(v, lang)] for lab, v in zip(x, values, strict=True)],
            hovertemplate=f"%{{customdata[0]}}<br>{name}: %{{customdata[1]}}<extra></extra>",
        )
    fig.set("xaxis", type="category", **_axis_title(_t("period", lang)))
    fig.set("yaxis", **_axis_title(_t("members", lang)), tickformat=",d", rangemode="tozero", **_count_ticks(fig))
    fig.layout["showlegend"] = len(present) > 1
    return _finish(fig, lang=lang, title=title)


def build_ratio_trend_figure(df: pd.DataFrame, *, lang: Lang = "vi", targets: Targets = DEFAULT_TARGETS,
                             ratios: Sequence[str] = ("women_pct", "committee_female_pct", "committee_youth_pct"),
                             title: str | None = None) -> go.Figure:
    """Shares over time, one line per ratio, with each ratio's target as a dotted line of its colour.

    Columns: ``label`` (``label_en``) and one column per ratio id holding a fraction (``analytics.ratios_wide``
    joined to its periods), in time order.
    """
    title = title or _t("ratio_trend_title", lang)
    present = [r for r in ratios if r in df.columns and df[r].notna().any()]
    if not present:
        return empty_figure(lang, title=title)
    x = _labels(df, lang)
    fig = _Spec()
    for i, rid in enumerate(present):
        spec = RATIO_BY_ID[rid]
        name = safe_text(spec.en if lang == "en" else spec.vi)
        color = COLORWAY[i % len(COLORWAY)]
        values = [_num(v) for v in df[rid]]
        fig.trace(
            "scatter", x=x, y=values, name=name, mode="lines+markers", line={"color": color},
            customdata=[[lab, fmt_pct(v, 1, lang)] for lab, v in zip(x, values, strict=True)],
            hovertemplate=f"%{{customdata[0]}}<br>{name}: %{{customdata[1]}}<extra></extra>",
        )
        if spec.target is not None and spec.id != "admissions_per_100":
            goal = float(getattr(targets, spec.target))
            fig.trace(
                "scatter", x=x, y=[goal] * len(x), mode="lines", line={"color": color, "dash": "dot", "width": 1},
                name=safe_text(f"{_t('target', lang)} {fmt_pct(goal, 0, lang)}"), hoverinfo="skip",
            )
    fig.set("xaxis", type="category", **_axis_title(_t("period", lang)))
    fig.set("yaxis", tickformat=".0%", rangemode="tozero", **_axis_title(_t("share", lang)))
    return _finish(fig, lang=lang, title=title)


def build_admissions_figure(df: pd.DataFrame, *, lang: Lang = "vi", target: float | None = None,
                            title: str | None = None) -> go.Figure:
    """Admissions and recognitions per period as bars, with the admissions target as a line.

    Columns: ``label``, ``admitted``, ``recognized_full``; for the target line and the per-100 hover,
    ``members_total`` and ``months`` (the target is yearly: target × members × months / 12).
    ``target`` defaults to ``Targets.admissions_per_year`` (3%); pass 0 to leave the line out.
    """
    title = title or _t("admissions_title", lang)
    present = [m for m in ("admitted", "recognized_full") if m in df.columns]
    if not present or not _usable(df, present):
        return empty_figure(lang, title=title)
    rate = DEFAULT_TARGETS.admissions_per_year if target is None else target
    x = _labels(df, lang)
    members = [_num(v) for v in df["members_total"]] if "members_total" in df.columns else [None] * len(df)
    fig = _Spec()
    for metric in present:
        name = safe_text(metric_name(metric, lang))
        values = [_num(v) for v in df[metric]]
        per100 = [fmt_int(v, lang) + (f" ({_per100(v, m, lang)} {_t('per_100', lang)})" if m else "")
                  for v, m in zip(values, members, strict=True)]
        fig.trace(
            "bar", x=x, y=values, name=name, text=[fmt_int(v, lang) for v in values], textposition="auto",
            customdata=[[lab, p] for lab, p in zip(x, per100, strict=True)],
            hovertemplate=f"%{{customdata[0]}}<br>{name}: %{{customdata[1]}}<extra></extra>",
        )
    if rate and "members_total" in df.columns and "months" in df.columns:
        goal = [None if m is None or is_missing(mo) else rate * m * float(mo) / 12
                for m, mo in zip(members, df["months"], strict=True)]
        if any(g is not None for g in goal):
            name = safe_text(_t("admissions_target", lang).format(pct=fmt_pct(rate, 0, lang)))
            fig.trace(
                "scatter", x=x, y=goal, name=name, mode="lines+markers",
                line={"color": TARGET_COLOR, "dash": "dash"},
                customdata=[[lab, fmt_int(g, lang)] for lab, g in zip(x, goal, strict=True)],
                hovertemplate=f"%{{customdata[0]}}<br>{name}: %{{customdata[1]}}<extra></extra>",
            )
    fig.set("xaxis", type="category", **_axis_title(_t("period", lang)))
    fig.set("yaxis", **_axis_title(_t("people", lang)), tickformat=",d", rangemode="tozero", **_count_ticks(fig))
    fig.layout["barmode"] = "group"
    return _finish(fig, lang=lang, title=title)


def _per100(value: float | None, members: float | None, lang: Lang) -> str:
    if value is None or not members:
        return MISSING
    return fmt_number(value / members * 100, 2, lang)


def build_discipline_figure(df: pd.DataFrame, *, lang: Lang = "vi", title: str | None = None) -> go.Figure:
    """Members disciplined per period, stacked by form (reprimand, warning, dismissal, expulsion).

    Columns: ``label`` and any of disciplined_reprimand, disciplined_warning, disciplined_dismissal,
    disciplined_expulsion.
    """
    title = title or _t("discipline_title", lang)
    present = [m for m in DISCIPLINE_FORMS if m in df.columns]
    if not present or not _usable(df, present):
        return empty_figure(lang, title=title)
    x = _labels(df, lang)
    fig = _Spec()
    for metric in present:
        name = safe_text(metric_name(metric, lang))
        values = [_num(v) for v in df[metric]]
        fig.trace(
            "bar", x=x, y=values, name=name, marker={"color": DISCIPLINE_COLORS[metric]},
            customdata=[[lab, fmt_int(v, lang)] for lab, v in zip(x, values, strict=True)],
            hovertemplate=f"%{{customdata[0]}}<br>{name}: %{{customdata[1]}}<extra></extra>",
        )
    fig.set("xaxis", type="category", **_axis_title(_t("period", lang)))
    fig.set("yaxis", **_axis_title(_t("people", lang)), tickformat=",d", rangemode="tozero", **_count_ticks(fig))
    fig.layout["barmode"] = "stack"
    return _finish(fig, lang=lang, title=title)


def build_rating_figure(df: pd.DataFrame, *, lang: Lang = "vi", title: str | None = None) -> go.Figure:
    """Rating distribution per year, stacked to 100%.

    Columns (``analytics.rating_distribution`` joined with ``with_periods``): ``label``, rated_excellent,
    rated_good, rated_complete, rated_failed, ``unclassified`` and the matching ``share_*`` fractions.
    """
    title = title or _t("rating_title", lang)
    shares = {r: f"share_{r.removeprefix('rated_')}" for r in (*RATINGS, "unclassified")}
    present = [r for r in (*RATINGS, "unclassified") if r in df.columns and shares[r] in df.columns]
    if not present or not _usable(df, [shares[r] for r in present]):
        return empty_figure(lang, title=title)
    if "unclassified" in present and not (df["unclassified"].fillna(0) > 0).any():
        present.remove("unclassified")
    x = _labels(df, lang)
    fig = _Spec()
    for r in present:
        name = safe_text(_t("unclassified", lang) if r == "unclassified" else _pick(_RATING_SHORT[r], lang))
        counts = [_num(v) for v in df[r]]
        values = [_num(v) for v in df[shares[r]]]
        fig.trace(
            "bar", x=x, y=values, name=name, marker={"color": RATING_COLORS[r]},
            text=[fmt_pct(v, 1, lang) for v in values], textposition="inside",
            customdata=[[lab, fmt_int(c, lang), fmt_pct(v, 1, lang)]
                        for lab, c, v in zip(x, counts, values, strict=True)],
            hovertemplate=f"%{{customdata[0]}}<br>{name}: %{{customdata[1]}} (%{{customdata[2]}})<extra></extra>",
        )
    fig.set("xaxis", type="category", **_axis_title(_t("period", lang)))
    fig.set("yaxis", **_axis_title(_t("share", lang)), tickformat=".0%", range=[0, 1])
    fig.layout["barmode"] = "stack"
    return _finish(fig, lang=lang, title=title)


# --- by type / organization ----------------------------------------------------------------------
def build_composition_figure(df: pd.DataFrame, *, lang: Lang = "vi", title: str | None = None) -> go.Figure:
    """Organizations and members by organization type, side by side, as horizontal bars.

    Columns (``analytics.totals_by_org_type`` for one period): ``org_type``, ``organizations``,
    ``members_total``. A click hands back the type id in ``customdata[0]``.
    """
    title = title or _t("composition_title", lang)
    if not _usable(df, ["org_type", "organizations"]):
        return empty_figure(lang, title=title)
    names, keys = _category_names(df[["org_type"]], lang)
    panels = [("organizations", _t("organizations", lang))]
    if "members_total" in df.columns:
        panels.append(("members_total", _t("members", lang)))
    # side by side panels sharing the type axis (what make_subplots(1, n, shared_yaxes=True) lays out)
    gap = 0.04
    width = (1.0 - gap * (len(panels) - 1)) / len(panels)
    fig = _Spec()
    for col, (column, label) in enumerate(panels, start=1):
        suffix = "" if col == 1 else str(col)
        start = (col - 1) * (width + gap)
        values = [_num(v) for v in df[column]]
        fig.trace(
            "bar", y=names, x=values, orientation="h", name=safe_text(label), marker={"color": COLORWAY[col - 1]},
            text=[fmt_int(v, lang) for v in values], textposition="auto", xaxis="x" + suffix, yaxis="y" + suffix,
            customdata=[[k, n, fmt_int(v, lang)] for k, n, v in zip(keys, names, values, strict=True)],
            hovertemplate=f"%{{customdata[1]}}<br>{safe_text(label)}: %{{customdata[2]}}<extra></extra>",
        )
        top = max((v for v in values if v is not None), default=0)
        # small counts: one tick per whole number, never a "0,5" shown as "1"
        fig.set("xaxis" + suffix, anchor="y" + suffix, domain=[round(start, 6), round(start + width, 6)],
                tickformat=",d", **({"dtick": 1} if top <= 10 else {}))
        fig.set("yaxis" + suffix, anchor="x" + suffix, domain=[0.0, 1.0], autorange="reversed", type="category",
                **({} if col == 1 else {"matches": "y", "showticklabels": False}))
        fig.annotate(text=safe_text(label), x=round(start + width / 2, 6), xanchor="center", xref="paper", y=1.0,
                     yanchor="bottom", yref="paper", showarrow=False, font={"size": 16})
    fig.layout.update(showlegend=False, bargap=0.25)
    return _finish(fig, lang=lang, title=title)


def build_ratio_targets_figure(df: pd.DataFrame, *, lang: Lang = "vi", targets: Targets = DEFAULT_TARGETS,
                               ratios: Sequence[str] = ("women_pct", "committee_female_pct", "committee_youth_pct"),
                               title: str | None = None) -> go.Figure:
    """Shares of women and young members by type (or organization) against their target lines.

    Columns (``analytics.ratios(by="org_type")`` for one period): ``org_type`` (or ``name`` and
    ``org_id``), ``ratio``, ``value`` (a fraction). A target line is drawn for each shown ratio that has one.
    """
    title = title or _t("ratio_title", lang)
    if not _usable(df, ["ratio", "value"]):
        return empty_figure(lang, title=title)
    shown = [r for r in ratios if r in set(df["ratio"]) and df.loc[df["ratio"] == r, "value"].notna().any()]
    if not shown:
        return empty_figure(lang, title=title)
    key_col = "org_type" if "org_type" in df.columns else ("org_id" if "org_id" in df.columns else "name")
    rows = df[df["ratio"].isin(shown)]
    # shares are fractions shown as %; rates (per 100, per 1.000 members) are numbers of members
    rate = all(RATIO_BY_ID[r].scale != 1 for r in shown)

    def show(v: float | None) -> str:
        return fmt_number(v, 2, lang) if rate else fmt_pct(v, 1, lang)
    cats = rows.drop_duplicates(key_col)
    label_frame = cats[[c for c in ("org_type", "org_id", "name") if c in cats.columns]].reset_index(drop=True)
    names, keys = _category_names(label_frame if key_col != "org_type" else label_frame[["org_type"]], lang)
    order = list(cats[key_col])
    fig = _Spec()
    for i, rid in enumerate(shown):
        spec = RATIO_BY_ID[rid]
        name = safe_text(spec.en if lang == "en" else spec.vi)
        values_by_key = dict(zip(rows.loc[rows["ratio"] == rid, key_col],
                                 rows.loc[rows["ratio"] == rid, "value"], strict=True))
        values = [_num(values_by_key.get(k)) for k in order]
        fig.trace(
            "bar", y=names, x=values, orientation="h", name=name, marker={"color": COLORWAY[i % len(COLORWAY)]},
            customdata=[[k, n, show(v)] for k, n, v in zip(keys, names, values, strict=True)],
            hovertemplate=f"%{{customdata[1]}}<br>{name}: %{{customdata[2]}}<extra></extra>",
        )
        if spec.target is not None and spec.id != "admissions_per_100":
            goal = float(getattr(targets, spec.target))
            fig.shape(type="line", x0=goal, x1=goal, y0=0, y1=1, xref="x", yref="paper",
                      line={"color": COLORWAY[i % len(COLORWAY)], "dash": "dash", "width": 2})
            # inside the plot at the foot of its line (the legend owns the space above), one above another
            fig.annotate(x=goal, y=0, xref="x", yref="paper", yanchor="bottom", xanchor="left",
                         showarrow=False, text=safe_text(f"{_t('target', lang)} {fmt_pct(goal, 0, lang)}"),
                         xshift=3, yshift=2 + 16 * len(fig.layout.get("annotations", ())),
                         bgcolor="rgba(255,255,255,0.85)", font={"color": COLORWAY[i % len(COLORWAY)], "size": 11})
    if rate:
        fig.set("xaxis", tickformat=",.2~f", rangemode="tozero",
                **_axis_title(safe_text(RATIO_BY_ID[shown[0]].en if lang == "en" else RATIO_BY_ID[shown[0]].vi)))
    else:
        fig.set("xaxis", tickformat=".0%", rangemode="tozero", **_axis_title(_t("share", lang)))
    fig.set("yaxis", autorange="reversed", type="category")
    fig.layout["barmode"] = "group"
    return _finish(fig, lang=lang, title=title)


# --- balance and hierarchy -----------------------------------------------------------------------
def build_balance_figure(df: pd.DataFrame, *, lang: Lang = "vi", title: str | None = None) -> go.Figure:
    """The balance of one period as a waterfall: opening, + inflows, − outflows, closing.

    Columns (a row of ``analytics.balance``; the last row is used): ``opening``, admitted, transferred_in,
    reinstated, deceased, expelled, removed, resigned, transferred_out, ``closing``. When the books do not
    balance, an "unexplained difference" bar (closing − expected) is drawn before the closing bar, so the
    closing bar is the reported figure.
    """
    title = title or _t("balance_title", lang)
    if not _usable(df, ["closing"]):
        return empty_figure(lang, title=title)
    row = df.iloc[-1]
    if is_missing(row.get("opening")):
        return empty_figure(lang, title=title, message=_t("no_opening", lang))
    opening, closing = float(row["opening"]), float(row["closing"])
    x = [_t("opening", lang)]
    y = [opening]
    measure = ["absolute"]
    for flow in (*FLOWS_IN, *FLOWS_OUT):
        value = _num(row.get(flow)) or 0.0
        x.append(_pick(_FLOW_SHORT[flow], lang))
        y.append(value if flow in FLOWS_IN else 0.0 - value)
        measure.append("relative")
    difference = closing - sum(y)
    if abs(difference) > 1e-9:
        x.append(_t("difference", lang))
        y.append(difference)
        measure.append("relative")
    x.append(_t("closing", lang))
    y.append(closing)  # a "total" bar shows the running sum, which the difference bar makes equal to this
    measure.append("total")
    text = [fmt_int(v, lang) if m != "relative" else fmt_signed(v, 0, lang) for v, m in zip(y, measure, strict=True)]
    labels = [safe_text(v) for v in x]
    fig = _Spec()
    fig.trace(
        "waterfall", x=labels, y=y, measure=measure, text=text, textposition="outside",
        customdata=[[lab, t] for lab, t in zip(labels, text, strict=True)],
        hovertemplate="%{customdata[0]}: %{customdata[1]}<extra></extra>",
        increasing={"marker": {"color": "#2e7d32"}}, decreasing={"marker": {"color": "#c62828"}},
        totals={"marker": {"color": "#1f5fa8"}}, connector={"line": {"color": "#9e9e9e"}},
    )
    # the axis starts near the running totals, not at zero: flows of tens against thousands of members
    # would otherwise be invisible (the opening and closing bars are cut, their figures written on them)
    running, totals = 0.0, []
    for value, kind in zip(y, measure, strict=True):
        running = value if kind != "relative" else running + value
        totals.append(running)
    low, high = min(totals), max(totals)
    pad = max((high - low) * 0.6, high * 0.01, 5.0)
    fig.set("xaxis", type="category")
    fig.set("yaxis", **_axis_title(_t("members", lang)), tickformat=",d", range=[max(low - pad, 0.0), high + pad])
    fig.layout["showlegend"] = False
    return _finish(fig, lang=lang, title=title)


ROOT_ID = "root"


MAX_TREE_BOXES = 600  # a treemap with more boxes is unreadable and heavy to send (≈ 0,1 KB a box)


def _trim_tree(df: pd.DataFrame, max_depth: int | None, max_boxes: int, lang: Lang) -> pd.DataFrame:
    """At most ``max_boxes`` boxes: fewer levels first, then, at the deepest level shown, the largest boxes of
    each parent and one "other" box per parent for the rest (its value their sum)."""
    if "depth" not in df.columns:
        return df
    depth = max_depth if max_depth is not None else int(df["depth"].max()) + 1
    while depth > 2 and int((df["depth"] < depth).sum()) > max_boxes:
        depth -= 1
    df = df[df["depth"] < depth]
    if len(df) <= max_boxes:
        return df
    deepest = df["depth"] == depth - 1
    upper, leaves = df[~deepest], df[deepest]
    parents = max(leaves["parent_id"].nunique(dropna=False), 1)
    room = max(max_boxes - len(upper) - parents, parents)  # each parent also gets its one "other" box
    ranked = leaves.assign(_rank=leaves.groupby("parent_id", dropna=False)["value"].rank(method="first",
                                                                                        ascending=False))
    per_parent = max(1, room // parents)
    kept = ranked[ranked["_rank"] <= per_parent].drop(columns="_rank")
    rest = ranked[ranked["_rank"] > per_parent]
    others = rest.groupby("parent_id", dropna=False).agg(value=("value", "sum"), organizations=("organizations", "sum"),
                                                         count=("id", "size")).reset_index()
    word = "Khác" if lang == "vi" else "Other"
    other_rows = pd.DataFrame({
        "id": -(others["parent_id"].fillna(0).astype("int64") + 1),  # negative: not an organization
        "parent_id": others["parent_id"], "name": [f"{word} ({fmt_int(n, lang)})" for n in others["count"]],
        "org_type": None, "value": others["value"], "organizations": others["organizations"], "depth": depth - 1,
    })
    return pd.concat([upper, kept, other_rows], ignore_index=True)


def build_hierarchy_figure(df: pd.DataFrame, *, lang: Lang = "vi", root_name: str | None = None,
                           max_depth: int | None = 3, title: str | None = None,
                           max_boxes: int = MAX_TREE_BOXES) -> go.Figure:
    """The organization tree as a treemap sized by members.

    Columns (``analytics.hierarchy_frame``): ``id``, ``parent_id`` (NA at the top), ``name``, ``org_type``,
    ``value`` (the subtree's members), ``organizations``, ``depth``. With ``root_name`` the top organizations
    hang under one node of that name (id ``"root"``). Only the ``max_depth`` top levels are sent (a national
    tree has 50.000 leaves: drilling down re-draws from the clicked node), and at most ``max_boxes`` boxes
    (fewer levels, then each parent's largest boxes and one "Khác (n)" box for the rest). A click hands back
    the organization id as the point's ``id`` (an "other" box has a negative id).
    """
    title = title or _t("hierarchy_title", lang)
    if not _usable(df, ["id", "name", "value"]) or not (df["value"].fillna(0) > 0).any():
        return empty_figure(lang, title=title)
    df = _trim_tree(df, max_depth, max_boxes, lang)
    known = set(df["id"].astype("int64"))
    parents_raw = pd.array(df["parent_id"], dtype="Int64") if "parent_id" in df.columns else [pd.NA] * len(df)
    top = ROOT_ID if root_name else ""
    ids = [str(int(i)) for i in df["id"]]
    parents = [str(int(p)) if p is not pd.NA and int(p) in known else top for p in parents_raw]
    names = [safe_text(n) for n in df["name"]]
    values = [float(v) if not is_missing(v) else 0.0 for v in df["value"]]
    types = [safe_text(org_type_name(t if isinstance(t, str) else None, lang)) if isinstance(t, str) else ""
             for t in (df["org_type"] if "org_type" in df.columns else [None] * len(df))]
    units = list(df["organizations"]) if "organizations" in df.columns else [None] * len(df)
    if root_name:
        ids.insert(0, ROOT_ID)
        parents.insert(0, "")
        names.insert(0, safe_text(root_name))
        values.insert(0, sum(v for v, p in zip(values, parents[1:], strict=True) if p == ROOT_ID))
        types.insert(0, "")
        units.insert(0, sum(int(u) for u, p in zip(units, parents[1:], strict=True) if p == ROOT_ID and u is not None))
    members_label = _t("members", lang)
    units_label = _t("units", lang)
    custom = [[n, fmt_int(v, lang), t, fmt_int(u, lang)]
              for n, v, t, u in zip(names, values, types, units, strict=True)]
    fig = _Spec()
    fig.trace(
        "treemap", ids=ids, parents=parents, labels=names, values=values, branchvalues="total", customdata=custom,
        maxdepth=-1 if max_depth is None else max_depth + (1 if root_name else 0),
        texttemplate="%{label}<br>%{customdata[1]}",
        hovertemplate=(f"%{{customdata[0]}}<br>{members_label}: %{{customdata[1]}}"
                       f"<br>{units_label}: %{{customdata[3]}}<extra>%{{customdata[2]}}</extra>"),
        root={"color": "#f5f5f5"},
    )
    fig.layout["margin"] = {"l": 10, "r": 10, "t": 60, "b": 10}
    return _finish(fig, lang=lang, title=title)
