"""Figure builders, tested by structure: trace types, values, labels, layout; frames built here by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures as fg
from dashboard.analytics import Targets

EVIL = "<img src=x onerror=alert(1)>"
EVIL_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def strings(node: object) -> Iterator[str]:
    """Every string in a decoded figure (plotly's JSON writes "<" as "\\u003c", so search after decoding)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def quarters() -> pd.DataFrame:
    return pd.DataFrame({
        "period_id": [1, 2, 3],
        "label": ["Quý I/2023", "Quý II/2023", "Quý III/2023"],
        "label_en": ["Q1 2023", "Q2 2023", "Q3 2023"],
        "months": [3.0, 3.0, 3.0],
        "members_total": pd.array([7841, 7904, 8000], dtype="Int64"),
        "members_probationary": pd.array([208, 210, None], dtype="Int64"),
        "admitted": pd.array([45, 69, 33], dtype="Int64"),
        "recognized_full": pd.array([47, 40, 52], dtype="Int64"),
        "disciplined_reprimand": pd.array([5, 3, 0], dtype="Int64"),
        "disciplined_warning": pd.array([1, 0, 2], dtype="Int64"),
        "disciplined_dismissal": pd.array([0, 1, 0], dtype="Int64"),
        "disciplined_expulsion": pd.array([0, 0, 1], dtype="Int64"),
    })


def by_type() -> pd.DataFrame:
    return pd.DataFrame({
        "period_id": [1, 1, 1],
        "org_type": ["admin_agency", "public_service_unit", "soe_100"],
        "organizations": [49, 17, 16],
        "members_total": pd.array([2978, 1342, 2179], dtype="Int64"),
    })


def assert_house_layout(fig: go.Figure, lang: str = "vi") -> None:
    assert fig.layout.font.family == "Noto Sans, DejaVu Sans, sans-serif"
    assert fig.layout.separators == (",." if lang == "vi" else ".,")
    assert fig.layout.template.layout.font.family == "Noto Sans, DejaVu Sans, sans-serif"
    assert fig.layout.template.layout.separators == (",." if lang == "vi" else ".,")


def assert_empty(fig: go.Figure, text: str = "Không có dữ liệu") -> None:
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == [text]
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


# --- the shared look ---------------------------------------------------------------------------
def test_template_names_a_vietnamese_font_and_separators():
    vi, en = fg.figure_template("vi"), fg.figure_template("en")
    assert vi.layout.font.family.startswith("Noto Sans, DejaVu Sans")
    assert (vi.layout.separators, en.layout.separators) == (",.", ".,")
    assert vi.layout.hoverlabel.font.family == fg.FONT_FAMILY


def test_empty_figure_in_both_languages():
    assert_empty(fg.empty_figure())
    assert_empty(fg.empty_figure("en"), "No data")
    assert_house_layout(fg.empty_figure("en"), "en")


@pytest.mark.parametrize("builder", [
    fg.build_membership_figure, fg.build_admissions_figure, fg.build_discipline_figure, fg.build_rating_figure,
    fg.build_composition_figure, fg.build_ratio_targets_figure, fg.build_balance_figure, fg.build_hierarchy_figure,
])
def test_every_builder_has_an_empty_path(builder):
    assert_empty(builder(pd.DataFrame()))
    assert_empty(builder(pd.DataFrame(), lang="en"), "No data")
    # the columns are there but nothing is in them
    assert_empty(builder(quarters().iloc[0:0]))


# --- time series -------------------------------------------------------------------------------
def test_membership_line_with_quarter_labels():
    fig = fg.build_membership_figure(quarters())
    assert [t.type for t in fig.data] == ["scatter"]
    trace = fig.data[0]
    assert list(trace.x) == ["Quý I/2023", "Quý II/2023", "Quý III/2023"]
    assert list(trace.y) == [7841, 7904, 8000]
    assert trace.customdata[0][1] == "7.841"  # hover in Vietnamese format
    assert fig.layout.title.text == "Số lượng đảng viên qua các kỳ"
    assert fig.layout.xaxis.title.text == "Kỳ báo cáo" and fig.layout.yaxis.title.text == "Số đảng viên"
    assert fig.layout.xaxis.type == "category"
    assert_house_layout(fig)


def test_membership_in_english():
    fig = fg.build_membership_figure(quarters(), lang="en", metrics=("members_total", "members_probationary"))
    assert [t.name for t in fig.data] == ["Members", "Probationary members"]
    assert list(fig.data[0].x) == ["Q1 2023", "Q2 2023", "Q3 2023"]
    assert fig.data[0].customdata[0][1] == "7,841"
    assert fig.data[1].y[2] is None  # a blank stays a gap, not a zero
    assert fig.layout.title.text == "Membership over time"
    assert fig.layout.yaxis.title.text == "Members"
    assert_house_layout(fig, "en")


def test_admissions_bars_and_target_line():
    fig = fg.build_admissions_figure(quarters())
    assert [t.type for t in fig.data] == ["bar", "bar", "scatter"]
    assert [t.name for t in fig.data] == ["Kết nạp", "Công nhận đảng viên chính thức", "Chỉ tiêu kết nạp (3%/năm)"]
    assert list(fig.data[0].y) == [45, 69, 33]
    # 3% a year of 7.841 members over a quarter: 0,03 × 7.841 × 3 / 12 = 58,8075
    assert fig.data[2].y[0] == pytest.approx(58.8075)
    assert fig.data[2].customdata[0][1] == "59"
    # 45 per 7.841 members = 0,57 per 100
    assert fig.data[0].customdata[0][1] == "45 (0,57 trên 100 đảng viên)"
    assert fig.layout.barmode == "group"


def test_admissions_target_is_configurable_and_english():
    fig = fg.build_admissions_figure(quarters(), lang="en", target=0.04)
    assert fig.data[2].name == "Admissions target (4% a year)"
    assert fig.data[2].y[0] == pytest.approx(0.04 * 7841 * 3 / 12)
    assert fig.layout.title.text == "Admissions and recognitions"
    assert [t.type for t in fg.build_admissions_figure(quarters(), target=0).data] == ["bar", "bar"]


def test_discipline_stacked_by_form():
    fig = fg.build_discipline_figure(quarters())
    assert [t.type for t in fig.data] == ["bar"] * 4
    assert [t.name for t in fig.data] == ["Khiển trách", "Cảnh cáo", "Cách chức", "Khai trừ (hình thức kỷ luật)"]
    assert list(fig.data[1].y) == [1, 0, 2]
    assert fig.layout.barmode == "stack"
    english = fg.build_discipline_figure(quarters(), lang="en")
    assert english.data[0].name == "Reprimanded"
    assert english.layout.title.text == "Members disciplined, by form"


def test_rating_distribution_stacked_to_one_hundred_percent():
    df = pd.DataFrame({
        "label": ["Năm 2023", "Năm 2024"], "label_en": ["Year 2023", "Year 2024"],
        "rated_excellent": [10, 12], "rated_good": [80, 70], "rated_complete": [8, 15], "rated_failed": [2, 3],
        "unclassified": [0.0, 0.0],
        "share_excellent": [0.10, 0.12], "share_good": [0.80, 0.70], "share_complete": [0.08, 0.15],
        "share_failed": [0.02, 0.03], "share_unclassified": [0.0, 0.0],
    })
    fig = fg.build_rating_figure(df)
    assert [t.name for t in fig.data] == ["Hoàn thành xuất sắc", "Hoàn thành tốt", "Hoàn thành", "Không hoàn thành"]
    assert list(fig.data[1].y) == [0.80, 0.70]
    assert fig.data[0].customdata[1] == ["Năm 2024", "12", "12,0%"]
    assert fig.layout.barmode == "stack"
    assert list(fig.layout.yaxis.range) == [0, 1] and fig.layout.yaxis.tickformat == ".0%"
    df.loc[1, ["unclassified", "share_unclassified"]] = [5.0, 0.05]
    assert fg.build_rating_figure(df, lang="en").data[-1].name == "Not classified"


# --- by type -----------------------------------------------------------------------------------
def test_composition_side_by_side_horizontal_bars():
    fig = fg.build_composition_figure(by_type())
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert all(t.orientation == "h" for t in fig.data)
    orgs, members = fig.data
    assert list(orgs.y) == ["Cơ quan hành chính nhà nước", "Đơn vị sự nghiệp", "DN 100% vốn Nhà nước"]
    assert list(orgs.x) == [49, 17, 16]
    assert list(members.x) == [2978, 1342, 2179]
    assert members.text[0] == "2.978"
    assert orgs.xaxis == "x" and members.xaxis == "x2"  # two panels
    assert [a.text for a in fig.layout.annotations] == ["Số tổ chức cơ sở đảng", "Số đảng viên"]
    assert orgs.customdata[1][0] == "public_service_unit"  # what a click hands back for cross-filtering
    english = fg.build_composition_figure(by_type(), lang="en")
    assert list(english.data[0].y)[:2] == ["State administrative agencies", "Public service units"]
    assert english.data[1].text[0] == "2,978"
    assert english.layout.title.text == "Organizations and members by type"


def test_ratios_against_target_lines():
    df = pd.DataFrame({
        "org_type": ["admin_agency", "admin_agency", "soe_100", "soe_100"],
        "ratio": ["committee_female_pct", "committee_youth_pct"] * 2,
        "value": [0.20, 0.05, 0.125, 0.15],
    })
    fig = fg.build_ratio_targets_figure(df)
    assert [t.name for t in fig.data] == ["Tỷ lệ cấp ủy viên nữ", "Tỷ lệ cấp ủy viên trẻ"]
    assert list(fig.data[0].x) == [0.20, 0.125]
    assert list(fig.data[1].y) == ["Cơ quan hành chính nhà nước", "DN 100% vốn Nhà nước"]
    assert fig.data[0].customdata[1][2] == "12,5%"
    assert sorted(s.x0 for s in fig.layout.shapes) == [0.10, 0.15]
    assert {a.text for a in fig.layout.annotations} == {"Chỉ tiêu 15%", "Chỉ tiêu 10%"}
    moved = fg.build_ratio_targets_figure(df, targets=Targets(committee_female_min=0.2), lang="en")
    assert sorted(s.x0 for s in moved.layout.shapes) == [0.10, 0.20]
    assert {a.text for a in moved.layout.annotations} == {"Target 20%", "Target 10%"}
    assert moved.data[0].name == "Women among committee members"


def test_ratios_by_organization_escape_names():
    df = pd.DataFrame({"org_id": [7], "name": [EVIL], "ratio": ["committee_female_pct"], "value": [0.0]})
    fig = fg.build_ratio_targets_figure(df)
    assert list(fig.data[0].y) == [EVIL_ESCAPED]
    assert fig.data[0].customdata[0][0] == "7"


# --- balance and hierarchy ---------------------------------------------------------------------
def balance_row(closing: int) -> pd.DataFrame:
    return pd.DataFrame([{
        "period_id": 2, "opening": 7841.0, "admitted": 69, "transferred_in": 83, "reinstated": 0,
        "deceased": 3, "expelled": 0, "removed": 0, "resigned": 0, "transferred_out": 86, "closing": float(closing),
    }])


def test_balance_waterfall_that_holds():
    # 7.841 + 69 + 83 − 3 − 86 = 7.904
    fig = fg.build_balance_figure(balance_row(7904))
    assert [t.type for t in fig.data] == ["waterfall"]
    w = fig.data[0]
    assert list(w.x) == ["Đầu kỳ", "Kết nạp", "Chuyển đến", "Phục hồi", "Từ trần", "Khai trừ", "Xóa tên",
                         "Xin ra khỏi Đảng", "Chuyển đi", "Cuối kỳ"]
    assert list(w.measure) == ["absolute"] + ["relative"] * 8 + ["total"]
    assert list(w.y) == [7841, 69, 83, 0, -3, 0, 0, 0, -86, 7904]
    assert w.text[0] == "7.841" and w.text[1] == "+69" and w.text[4] == "−3"


def test_balance_waterfall_shows_the_unexplained_difference():
    fig = fg.build_balance_figure(balance_row(7906), lang="en")
    w = fig.data[0]
    assert list(w.x)[-2:] == ["Unexplained difference", "Closing"]
    assert list(w.y)[-2:] == [2, 7906]  # 7.906 reported, 7.904 explained
    assert fig.layout.title.text == "Membership balance in the period"


def test_balance_without_an_opening_says_why():
    df = balance_row(7904)
    df["opening"] = None
    assert_empty(fg.build_balance_figure(df), "Không có số đầu kỳ (thiếu số liệu kỳ trước)")


def hierarchy() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [2, 3, 5, 6],
        "parent_id": pd.array([None, None, 2, 2], dtype="Int64"),
        "name": ["Đảng bộ Sở Tài chính", "Chi bộ Bệnh viện", "Chi bộ Phòng Ngân sách", EVIL],
        "org_type": ["admin_agency", "public_service_unit", "admin_agency", "admin_agency"],
        "value": [68.0, 30.0, 42.0, 26.0],
        "organizations": [2, 1, 1, 1],
    })


def test_hierarchy_treemap_with_a_root():
    fig = fg.build_hierarchy_figure(hierarchy(), root_name="Đảng bộ Khối")
    assert [t.type for t in fig.data] == ["treemap"]
    t = fig.data[0]
    assert list(t.ids) == ["root", "2", "3", "5", "6"]
    assert list(t.parents) == ["", "root", "root", "2", "2"]
    assert list(t.values) == [98, 68, 30, 42, 26]  # the root holds 68 + 30
    assert t.branchvalues == "total"
    assert t.labels[0] == "Đảng bộ Khối"
    assert t.customdata[0][3] == "3"  # reporting organizations under the root: 2 + 1
    assert_house_layout(fig)


def test_hierarchy_without_a_root_and_in_english():
    fig = fg.build_hierarchy_figure(hierarchy(), lang="en")
    t = fig.data[0]
    assert list(t.parents) == ["", "", "2", "2"]
    assert t.customdata[0][2] == "State administrative agencies"
    assert fig.layout.title.text == "Organizations by number of members"


# --- escaping ----------------------------------------------------------------------------------
def test_names_are_never_read_as_html():
    fig = fg.build_hierarchy_figure(hierarchy(), root_name="A & B <Khối>")
    t = fig.data[0]
    assert t.labels[4] == EVIL_ESCAPED
    assert t.customdata[4][0] == EVIL_ESCAPED
    assert t.labels[0] == "A &amp; B &lt;Khối&gt;"
    assert not [text for text in strings(json.loads(fig.to_json())) if "<img" in text]


def test_a_name_between_dollars_is_not_handed_to_mathjax():
    df = hierarchy()
    df.loc[0, "name"] = "$x^2$"
    label = fg.build_hierarchy_figure(df).data[0].labels[0]
    assert "$" not in label and label == "&#36;x^2&#36;"


def test_titles_given_by_the_caller_are_escaped_too():
    fig = fg.build_membership_figure(quarters(), title=f"Đảng bộ {EVIL}")
    assert fig.layout.title.text == f"Đảng bộ {EVIL_ESCAPED}"


def test_hierarchy_sends_only_the_top_levels():
    df = hierarchy().assign(depth=[0, 0, 1, 1])
    fig = fg.build_hierarchy_figure(df, max_depth=1)
    assert list(fig.data[0].ids) == ["2", "3"]
    assert fig.data[0].maxdepth == 1
    assert list(fg.build_hierarchy_figure(df, max_depth=None).data[0].ids) == ["2", "3", "5", "6"]


def test_fig_hierarchy_keeps_a_national_tree_small_and_its_sums_whole():
    """52 provinces × 60 communes × 20 cells: at most MAX_TREE_BOXES boxes, each parent's value still the
    sum of what is drawn under it (the rest in one "Khác (n)" box per parent), and the JSON well under 200 KB."""
    import json

    import pandas as pd

    from dashboard.figures import MAX_TREE_BOXES, build_hierarchy_figure

    rows = [(1, None, "Toàn quốc", 0)]
    next_id = 2
    for p in range(52):
        pid = next_id
        rows.append((pid, 1, f"Tỉnh {p}", 1))
        next_id += 1
        for c in range(60):
            rows.append((next_id, pid, f"Xã {p}-{c}", 2))
            next_id += 1
    frame = pd.DataFrame(rows, columns=["id", "parent_id", "name", "depth"])
    frame["value"] = [float(100 + (i * 37) % 500) for i in range(len(frame))]
    frame["organizations"] = 1
    frame["org_type"] = None
    # parents' values are their children's sums, as hierarchy_frame gives them
    for depth in (1, 0):
        sums = frame[frame["depth"] == depth + 1].groupby("parent_id")["value"].sum()
        mask = frame["depth"] == depth
        frame.loc[mask, "value"] = frame.loc[mask, "id"].map(sums).to_numpy()
    fig = build_hierarchy_figure(frame, max_depth=3)
    trace = fig.data[0]
    assert len(trace.ids) <= MAX_TREE_BOXES
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < 200_000
    assert len(trace.ids) == 53  # one level less: the country and its provinces
    # a committee with 1.000 cells right under it: the largest boxes and one "Khác (n)" box
    flat = pd.DataFrame({"id": range(1, 1002), "parent_id": [None] + [1] * 1000,
                         "name": ["Đảng bộ"] + [f"Chi bộ {i}" for i in range(1000)],
                         "depth": [0] + [1] * 1000, "organizations": 1, "org_type": None})
    flat["value"] = [0.0] + [float(1 + i % 97) for i in range(1000)]
    flat.loc[0, "value"] = flat["value"].sum()
    for fig in (build_hierarchy_figure(frame, max_depth=3), build_hierarchy_figure(flat, max_depth=3)):
        trace = fig.data[0]
        assert len(trace.ids) <= MAX_TREE_BOXES
        values = dict(zip(trace.ids, trace.values, strict=True))
        for node_id in trace.ids:
            children = [values[i] for i, p in zip(trace.ids, trace.parents, strict=True) if p == node_id]
            if children:
                assert abs(sum(children) - values[node_id]) < 1e-6, node_id
    labels = list(build_hierarchy_figure(flat, max_depth=3).data[0].labels)
    other = [label for label in labels if label.startswith("Khác (")]
    assert len(other) == 1 and other[0] == f"Khác ({1000 - (len(labels) - 2)})"


# --- every figure is valid Plotly ----------------------------------------------------------------
def test_fig_a_figure_with_a_wrong_property_is_refused_by_the_check_below():
    with pytest.raises(ValueError):
        go.Figure({"data": [{"type": "bar", "colour": "red"}], "layout": {}})


@pytest.fixture(scope="module")
def sample_snapshot(tmp_path_factory):
    """The bundled sample data (105 organizations, 20 periods) in a SQLite store, as the dashboard reads it."""
    from dashboard.store import db
    from dashboard.web.data import DataService
    from dashboard.web.sample import ensure_sample_data

    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('figs') / 'sample.sqlite3'}")
    db.upgrade(engine)
    ensure_sample_data(engine)
    yield DataService(engine).snapshot()
    engine.dispose()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_fig_every_chart_of_the_catalogue_passes_plotlys_schema(sample_snapshot, lang):
    """The builders write plain data and skip Plotly's per-assignment checks (speed): the whole figure is
    checked here instead, for every chart, on real data, for a quarter, a year-end and a filtered view."""
    from dashboard import charts
    from dashboard.web.state import ViewState
    from dashboard.web.view import resolve

    periods = sample_snapshot.periods.sort_values("end")
    views = [ViewState(lang=lang), ViewState(period=str(periods["code"].iloc[len(periods) // 2]), lang=lang,
                                             cmp="same_last_year"),
             ViewState(lang=lang, types=("admin_agency",)), ViewState(lang=lang, types=("army",))]
    checked = 0
    for state in views:
        view = resolve(sample_snapshot, state)
        for chart in charts.CHARTS:
            fig, _table = charts.build(chart.id, view, lang)
            data = fig.to_dict()
            go.Figure(data)  # raises ValueError naming any property Plotly does not know
            assert data["layout"]["template"]["layout"]["font"]["family"] == fg.FONT_FAMILY
            assert data["layout"]["title"]["text"]
            checked += 1
    assert checked == 4 * len(charts.CHARTS)


def test_fig_a_figure_changed_after_building_leaves_the_next_ones_alone():
    first = fg.build_membership_figure(quarters())
    first.layout.template.layout.font.family = "Comic Sans"
    first.layout.title.text = "changed"
    again = fg.build_membership_figure(quarters())
    assert again.layout.template.layout.font.family == fg.FONT_FAMILY
    assert again.layout.title.text == "Số lượng đảng viên qua các kỳ"
