"""The chart catalogue: every chart the pages show and the exports write, with the numbers behind it.

Each chart has a stable id (used in URLs, file names and the CLI), a Vietnamese and an English title, and a
pure builder ``(view, lang) -> (figure, table)``: the Plotly figure the page shows and a frame of exactly the
numbers drawn. Pages and exports call the same builders, so a downloaded image, workbook or report shows the
numbers of the screen.

The table's columns are two levels (``("Số lượng", "Đảng viên")``; an empty second level means one header
cell spanning both rows); the leading ``attrs["label_columns"]`` columns are text, the rest numbers (None
where not reported). ``attrs["percent_columns"]`` lists the positions of fractions to show as percentages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import analytics, figures
from dashboard.analytics import DISCIPLINE_FORMS, FLOWS_IN, FLOWS_OUT, RATINGS, RATIO_BY_ID, org_type_name
from dashboard.figures import metric_name
from dashboard.formatting import Lang, is_missing

if TYPE_CHECKING:
    from dashboard.web.view import View

Table = pd.DataFrame
Builder = Callable[["View", Lang], tuple[go.Figure, Table]]

_W = {  # words of the table headers
    "period": ("Kỳ báo cáo", "Period"),
    "year": ("Năm", "Year"),
    "type": ("Loại hình", "Organization type"),
    "count": ("Số lượng", "Number"),
    "orgs": ("Tổ chức cơ sở đảng", "Grassroots organizations"),
    "members": ("Đảng viên", "Members"),
    "share": ("Tỷ lệ (%)", "Share (%)"),
    "item": ("Khoản mục", "Item"),
    "value": ("Số đảng viên", "Members"),
    "target": ("Chỉ tiêu kết nạp", "Admissions target"),
    "disciplined": ("Số đảng viên bị kỷ luật", "Members disciplined"),
    "total": ("Tổng số", "Total"),
    "exits": ("Ra khỏi danh sách", "Leaving the rolls"),
    "rated": ("Số đảng viên được xếp loại", "Members rated"),
    "name": ("Tên tổ chức", "Organization"),
    "parent": ("Cấp trên", "Parent"),
    "units": ("Số tổ chức báo cáo", "Reporting organizations"),
    "unclassified": ("Chưa xếp loại", "Not classified"),
}
_RATING_SHORT = {"rated_excellent": ("Hoàn thành xuất sắc", "Excellent"), "rated_good": ("Hoàn thành tốt", "Good"),
                 "rated_complete": ("Hoàn thành", "Complete"), "rated_failed": ("Không hoàn thành", "Failed")}
_FLOW_SHORT = {"admitted": ("Kết nạp", "Admitted"), "transferred_in": ("Chuyển đến", "Transferred in"),
               "reinstated": ("Phục hồi", "Reinstated"), "deceased": ("Từ trần", "Deceased"),
               "expelled": ("Khai trừ", "Expelled"), "removed": ("Xóa tên", "Removed"),
               "resigned": ("Xin ra khỏi Đảng", "Resigned"), "transferred_out": ("Chuyển đi", "Transferred out")}
EXITS = ("removed", "expelled", "resigned")


@dataclass(frozen=True)
class Chart:
    id: str
    vi: str
    en: str
    page: str  # the page it is shown on (a PAGES key of dashboard.web.app)
    build: Builder
    excel: str | None = "col"  # the native Excel chart beside the table: col, bar, line, stacked, None
    report_table: bool = True  # the table is short enough for the report pack
    figure_only: Callable[..., go.Figure] | None = None  # the figure without its table (what a page shows)

    def title(self, lang: Lang = "vi") -> str:
        return self.en if lang == "en" else self.vi


def _w(key: str, lang: Lang) -> str:
    vi, en = _W[key]
    return en if lang == "en" else vi


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang == "en" else pair[0]


def _num(value: object) -> int | float | None:
    if is_missing(value):
        return None
    f = float(value)  # type: ignore[arg-type]
    return int(f) if f.is_integer() else f


def make_table(rows: Sequence[Sequence[object]], columns: Sequence[tuple[str, str]], *, labels: int = 1,
               percent: Sequence[int] = (), chart: Sequence[int] = ()) -> Table:
    """A table frame: two-level columns, ``labels`` leading text columns, numbers cleaned of NaN.

    ``chart``: the columns the screen's chart draws, when not all of them (for the workbook's native chart).
    """
    clean = [[v if i < labels else _num(v) for i, v in enumerate(r)] for r in rows]
    frame = pd.DataFrame(clean, columns=pd.MultiIndex.from_tuples(list(columns)), dtype=object)
    frame.attrs["label_columns"] = labels
    frame.attrs["percent_columns"] = list(percent)
    frame.attrs["chart_columns"] = list(chart)
    return frame


def _labels(frame: pd.DataFrame, lang: Lang) -> list[str]:
    col = "label_en" if lang == "en" and "label_en" in frame.columns else "label"
    return [str(v) for v in frame[col]]


def _same_kind(table: pd.DataFrame, view) -> pd.DataFrame:
    """Rows of the periods of the same kind as the chosen one (quarters with quarters, years with years)."""
    kind = view.periods.loc[view.periods["id"] == view.period_id, "kind"].iloc[0]
    return table[table["kind"] == kind] if "kind" in table.columns else table


def _targets(view) -> analytics.Targets:
    return getattr(view, "targets", analytics.DEFAULT_TARGETS)  # the URL's targets where the view has them


def _in_period(view) -> pd.DataFrame:
    return analytics.period_slice(view.facts, view.period_id)


def _col(frame: pd.DataFrame, name: str) -> list:
    return list(frame[name]) if name in frame.columns else [None] * len(frame)


# --- overview ------------------------------------------------------------------------------------
def overview_composition(view, lang: Lang) -> tuple[go.Figure, Table]:
    by_type = analytics.totals_by_org_type(view.facts, view.orgs, metrics=["members_total"])
    this = by_type[by_type["period_id"] == view.period_id]
    fig = figures.build_composition_figure(this, lang=lang)
    rows = [[org_type_name(t if t != analytics.UNKNOWN_TYPE else None, lang), n, m]
            for t, n, m in zip(this["org_type"], this["organizations"], _col(this, "members_total"), strict=True)]
    count = _w("count", lang)
    return fig, make_table(rows, [(_w("type", lang), ""), (count, _w("orgs", lang)), (count, _w("members", lang))])


def _members_trend(view, lang: Lang) -> tuple[go.Figure, Table]:
    totals = analytics.with_periods(analytics.totals_by_period(view.facts, view.orgs, metrics=["members_total"]),
                                    view.periods)
    rows = _same_kind(totals, view)
    fig = figures.build_membership_figure(rows, lang=lang)
    data = list(zip(_labels(rows, lang), _col(rows, "members_total"), strict=True))
    return fig, make_table(data, [(_w("period", lang), ""), (_w("value", lang), "")])


overview_trend = _members_trend


# --- admissions ----------------------------------------------------------------------------------
def admissions_trend(view, lang: Lang) -> tuple[go.Figure, Table]:
    metrics = ["admitted", "recognized_full", "members_total"]
    totals = analytics.with_periods(analytics.totals_by_period(view.facts, view.orgs, metrics=metrics), view.periods)
    rows = _same_kind(totals, view)
    fig = figures.build_admissions_figure(rows, lang=lang, target=_targets(view).admissions_per_year)
    data = list(zip(_labels(rows, lang), _col(rows, "admitted"), _col(rows, "recognized_full"),
                    _col(rows, "members_total"), strict=True))
    return fig, make_table(data, [(_w("period", lang), ""), (metric_name("admitted", lang), ""),
                                  (metric_name("recognized_full", lang), ""), (_w("value", lang), "")], chart=[1, 2])


def _ratio_by_type(view, lang: Lang, ratio_ids: Sequence[str], title: str | None = None,
                   only: Sequence[str] | None = None) -> tuple[go.Figure, Table]:
    by_type = analytics.ratios(_in_period(view), orgs=view.orgs, by="org_type", only=list(only) if only else None,
                               targets=_targets(view))
    fig = figures.build_ratio_targets_figure(by_type, lang=lang, ratios=tuple(ratio_ids), title=title,
                                             targets=_targets(view))
    shown = [r for r in ratio_ids if not by_type.empty and r in set(by_type["ratio"])]
    types = list(dict.fromkeys(by_type.loc[by_type["ratio"].isin(shown), "org_type"])) if shown else []
    values = {(t, r): v for t, r, v in zip(by_type.get("org_type", []), by_type.get("ratio", []),
                                           by_type.get("value", []), strict=True)}
    rows = [[org_type_name(t if t != analytics.UNKNOWN_TYPE else None, lang), *[values.get((t, r)) for r in shown]]
            for t in types]
    percent = [i + 1 for i, r in enumerate(shown) if r.endswith("_pct")]
    share = _w("share", lang)
    columns = [(_w("type", lang), "")]
    for r in shown:
        spec = RATIO_BY_ID[r]
        name = spec.en if lang == "en" else spec.vi
        columns.append((share, name) if r.endswith("_pct") else (name, ""))
    return fig, make_table(rows, columns, percent=percent)


def admissions_by_type(view, lang: Lang) -> tuple[go.Figure, Table]:
    title = "Kết nạp trên 100 đảng viên theo loại hình" if lang == "vi" else "Admissions per 100 members by type"
    return _ratio_by_type(view, lang, ("admissions_per_100",), title, only=["admissions_per_100"])


# --- discipline ----------------------------------------------------------------------------------
def _discipline_totals(view) -> pd.DataFrame:
    totals = analytics.totals_by_period(view.facts, view.orgs, metrics=[*DISCIPLINE_FORMS, *EXITS, "disciplined_total"])
    return _same_kind(analytics.with_periods(totals, view.periods), view)


def discipline_forms(view, lang: Lang) -> tuple[go.Figure, Table]:
    rows = _discipline_totals(view)
    fig = figures.build_discipline_figure(rows, lang=lang)
    data = list(zip(_labels(rows, lang), *[_col(rows, m) for m in (*DISCIPLINE_FORMS, "disciplined_total")],
                    strict=True))
    head = _w("disciplined", lang)
    columns = [(_w("period", lang), ""), *[(head, metric_name(m, lang)) for m in DISCIPLINE_FORMS],
               (head, _w("total", lang))]
    return fig, make_table(data, columns, chart=range(1, 5))


def discipline_exits(view, lang: Lang) -> tuple[go.Figure, Table]:
    rows = _discipline_totals(view)
    title = "Xóa tên, khai trừ, xin ra khỏi Đảng" if lang == "vi" else "Removals, expulsions and resignations"
    fig = figures.build_membership_figure(rows, lang=lang, metrics=EXITS, title=title)
    data = list(zip(_labels(rows, lang), *[_col(rows, m) for m in EXITS], strict=True))
    head = _w("exits", lang)
    return fig, make_table(data, [(_w("period", lang), ""), *[(head, metric_name(m, lang)) for m in EXITS]])


# --- composition ---------------------------------------------------------------------------------
def composition_women_youth(view, lang: Lang) -> tuple[go.Figure, Table]:
    return _ratio_by_type(view, lang, ("women_pct", "committee_female_pct", "committee_youth_pct"))


def composition_ethnic(view, lang: Lang) -> tuple[go.Figure, Table]:
    return _ratio_by_type(view, lang, ("ethnic_minority_pct", "committee_ethnic_minority_pct"),
                          title="Dân tộc thiểu số" if lang == "vi" else "Ethnic minorities")


# --- quality -------------------------------------------------------------------------------------
def quality_ratings(view, lang: Lang) -> tuple[go.Figure, Table]:
    ratings = analytics.with_periods(analytics.rating_distribution(view.facts, view.orgs), view.periods)
    fig = figures.build_rating_figure(ratings, lang=lang)
    shares = [f"share_{r.removeprefix('rated_')}" for r in RATINGS]
    data = list(zip(_labels(ratings, lang), _col(ratings, "rated_total"), *[_col(ratings, r) for r in RATINGS],
                    _col(ratings, "unclassified"), *[_col(ratings, s) for s in shares], strict=True))
    rated, share = _w("rated", lang), _w("share", lang)
    columns = [(_w("year", lang), ""), (rated, _w("total", lang)),
               *[(rated, _pick(_RATING_SHORT[r], lang)) for r in RATINGS], (rated, _w("unclassified", lang)),
               *[(share, _pick(_RATING_SHORT[r], lang)) for r in RATINGS]]
    return fig, make_table(data, columns, percent=range(7, 11))


def ratings_view(view, lang: Lang = "vi"):
    """The view moved to the period whose quality ratings apply: the chosen one when it has ratings, else the
    latest period ending by then that has them (ratings are yearly: a quarter shows its year's ratings)."""
    if view.period_id is None or "rated_total" not in view.facts.columns:
        return view
    rated = view.facts.loc[view.facts["rated_total"].notna(), "period_id"].unique()
    if view.period_id in set(rated) or len(rated) == 0:
        return view
    table = analytics.periods_table(view.periods)
    end = table.loc[table["id"] == view.period_id, "end"]
    candidates = table[table["id"].isin(rated) & (table["end"] <= end.iloc[0])] if not end.empty else table.iloc[0:0]
    if candidates.empty:
        return view
    row = candidates.sort_values(["end", "start"]).iloc[-1]
    label = str(row["label_en"] if lang == "en" else row["label"])
    return replace(view, period_id=int(row["id"]), period_code=str(row["code"]), period_label=label)


def quality_good(view, lang: Lang) -> tuple[go.Figure, Table]:
    rated = ratings_view(view, lang)
    title = ("Tỷ lệ hoàn thành tốt nhiệm vụ trở lên theo loại hình" if lang == "vi" else
             "Rated good or better by type")
    if rated.period_id != view.period_id:
        title += f" ({rated.period_label})"
    return _ratio_by_type(rated, lang, ("good_or_better_pct",), title, only=["good_or_better_pct"])


# --- balance -------------------------------------------------------------------------------------
def balance_waterfall(view, lang: Lang) -> tuple[go.Figure, Table]:
    table = analytics.balance(view.facts, view.periods, orgs=view.orgs)
    this = table[table["period_id"] == view.period_id]
    fig = figures.build_balance_figure(this, lang=lang)
    rows: list[list[object]] = []
    if not this.empty:
        row = this.iloc[-1]
        opening = _num(row.get("opening"))
        rows.append([figures._t("opening", lang), opening])
        expected = opening or 0
        for flow in (*FLOWS_IN, *FLOWS_OUT):
            value = _num(row.get(flow)) or 0
            signed = value if flow in FLOWS_IN else 0 - value
            rows.append([_pick(_FLOW_SHORT[flow], lang), signed])
            expected += signed
        closing = _num(row.get("closing"))
        if opening is not None and closing is not None and abs(closing - expected) > 1e-9:
            rows.append([figures._t("difference", lang), _num(closing - expected)])
        rows.append([figures._t("closing", lang), closing])
    return fig, make_table(rows, [(_w("item", lang), ""), (_w("value", lang), "")])


def balance_trend(view, lang: Lang) -> tuple[go.Figure, Table]:
    return _members_trend(view, lang)


# --- organizations -------------------------------------------------------------------------------
HIERARCHY_DEPTH = 3


def organizations_tree_figure(view, lang: Lang) -> go.Figure:
    return figures.build_hierarchy_figure(_tree(view), lang=lang, max_depth=HIERARCHY_DEPTH)


def _tree(view):
    return analytics.hierarchy_frame(view.facts, view.orgs, view.period_id, root_id=view.root_id)


def organizations_tree(view, lang: Lang) -> tuple[go.Figure, Table]:
    tree = _tree(view)
    fig = figures.build_hierarchy_figure(tree, lang=lang, max_depth=HIERARCHY_DEPTH)
    shown = tree[tree["depth"] < HIERARCHY_DEPTH] if "depth" in tree.columns else tree
    # plain lists, not pandas cells one by one: a national tree shows 3.400 rows
    ids, shown_names = shown["id"].tolist(), shown["name"].tolist()
    names = dict(zip(ids, shown_names, strict=True))  # a shown row's parent is shown too (one level up)
    type_names = {t: org_type_name(t, lang) for t in set(shown["org_type"].tolist()) if isinstance(t, str)}
    parents = pd.array(shown["parent_id"], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1).tolist()
    rows = [[name, type_names.get(t, ""), names.get(p, "") if p >= 0 else "", v, n]
            for name, t, p, v, n in zip(shown_names, shown["org_type"].tolist(), parents, shown["value"].tolist(),
                                        shown["organizations"].tolist(), strict=True)]
    columns = [(_w("name", lang), ""), (_w("type", lang), ""), (_w("parent", lang), ""),
               (_w("value", lang), ""), (_w("units", lang), "")]
    return fig, make_table(rows, columns, labels=3)


CHARTS: tuple[Chart, ...] = (
    Chart("overview-composition", "Tổ chức cơ sở đảng và đảng viên theo loại hình",
          "Organizations and members by type", "page_overview", overview_composition, "bar"),
    Chart("overview-trend", "Số lượng đảng viên qua các kỳ", "Membership over time", "page_overview",
          overview_trend, "line"),
    Chart("admissions-trend", "Kết nạp và công nhận đảng viên chính thức", "Admissions and recognitions",
          "page_admissions", admissions_trend, "col"),
    Chart("admissions-by-type", "Kết nạp trên 100 đảng viên theo loại hình", "Admissions per 100 members by type",
          "page_admissions", admissions_by_type, "bar"),
    Chart("discipline-forms", "Đảng viên bị kỷ luật theo hình thức", "Members disciplined, by form",
          "page_discipline", discipline_forms, "stacked"),
    Chart("discipline-exits", "Xóa tên, khai trừ, xin ra khỏi Đảng", "Removals, expulsions and resignations",
          "page_discipline", discipline_exits, "line"),
    Chart("composition-women-youth", "Tỷ lệ nữ và trẻ so với chỉ tiêu", "Women and young members against targets",
          "page_composition", composition_women_youth, "bar"),
    Chart("composition-ethnic", "Đảng viên và cấp ủy viên dân tộc thiểu số", "Ethnic minorities",
          "page_composition", composition_ethnic, "bar"),
    Chart("quality-ratings", "Kết quả đánh giá, xếp loại đảng viên", "Members' quality ratings", "page_quality",
          quality_ratings, "stacked"),
    Chart("quality-good", "Tỷ lệ hoàn thành tốt nhiệm vụ trở lên theo loại hình", "Rated good or better by type",
          "page_quality", quality_good, "bar"),
    Chart("balance-waterfall", "Biến động đảng viên trong kỳ", "Membership balance in the period", "page_balance",
          balance_waterfall, "col"),
    Chart("balance-trend", "Số lượng đảng viên qua các kỳ", "Membership over time", "page_balance", balance_trend,
          "line"),
    Chart("organizations-tree", "Cơ cấu tổ chức theo số đảng viên", "Organizations by number of members",
          "page_orgs", organizations_tree, None, report_table=False, figure_only=organizations_tree_figure),
)
BY_ID: dict[str, Chart] = {c.id: c for c in CHARTS}
CHART_IDS: tuple[str, ...] = tuple(BY_ID)


def build(chart_id: str, view, lang: Lang = "vi") -> tuple[go.Figure, Table]:
    """The chart's figure and table for a view (a readable "no data" figure and an empty table when the view
    has no figures). Raises KeyError for an unknown id."""
    chart = BY_ID[chart_id]
    if _no_figures(view):
        return figures.empty_figure(lang, title=chart.title(lang)), make_table([], [("", "")])
    return chart.build(view, lang)


def figure(chart_id: str, view, lang: Lang = "vi") -> go.Figure:
    """The chart's figure alone (what a page shows; a chart with a long table skips making it)."""
    chart = BY_ID[chart_id]
    if chart.figure_only is not None and not _no_figures(view):
        return chart.figure_only(view, lang)
    return build(chart_id, view, lang)[0]


def _no_figures(view) -> bool:
    return view.period_id is None or view.facts.empty
