"""The web app, server side: pages, callbacks and the JSON API on a small store whose numbers are worked
out by hand. (Dash keeps callbacks in process-wide registries: one app for the whole module.)"""

from __future__ import annotations

import csv
import gc
import io
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.store import db, imports
from dashboard.store.registry import Registry, create_org
from tests import auth, data_page
from tests.builders import simple_report

HEADER = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp")
# Q1: A (admin agency) 100 members, 40 women, 2 admitted; B (wholly state-owned) 50, 10, 1
# Q2: A 103, 41, 3; B 50, 11, 0          → totals Q1 150 / 50 / 3, Q2 153 / 52 / 3
Q1 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 100, 40, 2], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 50, 10, 1]]
Q2 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 103, 41, 3], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 50, 11, 0]]


def report(title: str, rows: list) -> bytes:
    return simple_report(title, rows, header=HEADER)


def khoi_store(url: str, *reports: tuple[str, list]):
    """A store at ``url`` holding the bloc committee KHOI and the given reports (title, rows), imported in turn
    (organizations created); returns its engine."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.write_transaction(engine) as conn:
        create_org(conn, Registry.load(conn), name="Đảng bộ Khối Thử", code="KHOI", org_type=None, parent_id=None)
    options = imports.ImportOptions(create_orgs=True, actor="test")
    for n, (title, rows) in enumerate(reports):
        imports.import_file(engine, report(title, rows), f"{n}.xlsx", options, dry_run=False)
    return engine


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from dashboard.web.app import create_app

    path = tmp_path_factory.mktemp("web") / "web.sqlite3"
    engine = khoi_store(f"sqlite:///{path}", ("BÁO CÁO QUÝ I NĂM 2024", Q1), ("BÁO CÁO QUÝ II NĂM 2024", Q2))
    os.environ.setdefault("EXPORT_CACHE_DIR", str(path.parent / "jobs"))  # the Data page's background jobs
    app = create_app(engine, sample_data=False)
    auth.create_user(engine, "admin", "admin")
    client = auth.login_client(app.server.test_client(), "admin")
    client.dash_deps = client.get("/_dash-dependencies").get_json()  # type: ignore[attr-defined]
    return client


def call(client, output_prefix: str, inputs: list[dict], state: list[dict] | None = None) -> dict:
    """POST one callback as the browser would; returns its response by component id."""
    prefix = output_prefix.lstrip(".")
    matches = [d for d in client.dash_deps if d["output"].lstrip(".").startswith(prefix)]
    # an output shared by several callbacks: the one whose first input is the one given
    dep = next((d for d in matches if d["inputs"][0] == {"id": inputs[0]["id"], "property": inputs[0]["property"]}),
               matches[0])
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs, "state": state or [],
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:500]
    return response.get_json()["response"]


def url(search: str) -> list[dict]:
    return [{"id": "shell-url", "property": "search", "value": search}]


def test_web001_pages_serve_without_errors(client):
    for path in ("/", "/to-chuc", "/du-lieu", "/_dash-layout", "/assets/bootstrap.min.css"):
        assert client.get(path).status_code == 200, path
    assert b"cdn" not in client.get("/").data.lower()  # everything is served by the app itself


def test_web002_overview_shows_the_hand_worked_figures(client):
    out = call(client, "ovw-cards", url("?period=2024-Q2"))
    cards = json.dumps(out["ovw-cards"]["children"], ensure_ascii=False)
    assert "153" in cards and "+3" in cards  # members, and the change against Q1
    assert "34,0%" in cards  # women: 52 of 153
    narrative = out["ovw-narrative"]["children"]
    assert "Tính đến 30/6/2024" in narrative and "153 đảng viên" in narrative and "tăng 3" in narrative
    composition = out["ovw-composition"]["figure"]["data"]
    members = next(tr for tr in composition if tr["x"] and max(tr["x"]) > 10)
    assert sorted(members["x"]) == [50, 103]


def test_web003_overview_in_english_and_for_one_type(client):
    out = call(client, "ovw-cards", url("?period=2024-Q1&types=soe_100&lang=en"))
    narrative = out["ovw-narrative"]["children"]
    # B alone (wholly state-owned): 50 members, 10 women (20,0%); English, no Vietnamese words
    assert "50 members" in narrative and "đảng viên" not in narrative and "150" not in narrative
    cards = json.dumps(out["ovw-cards"]["children"])
    assert "Members" in cards and "50" in cards and "150" not in cards


def test_web004_url_and_filters_stay_in_step(client):
    filters = [{"id": "filter-period", "property": "value", "value": None},
               {"id": "filter-comparison", "property": "value", "value": None},
               {"id": "filter-org", "property": "value", "value": None},
               {"id": "filter-types", "property": "value", "value": None},
               {"id": "shell-lang", "property": "value", "value": "vi"}]
    out = call(client, "shell-url", url("?period=2024-Q1&cmp=same_last_year&org=KHOI") + filters)
    assert out["filter-period"]["value"] == "2024-Q1"
    assert out["filter-comparison"]["value"] == "same_last_year"
    assert out["filter-org"]["value"] == "KHOI"
    assert [o["value"] for o in out["filter-period"]["options"]] == ["2024-Q2", "2024-Q1"]
    # an unknown period in a pasted link falls back to the latest one, and the URL says so
    out = call(client, "shell-url", url("?period=1999") + filters)
    assert out["filter-period"]["value"] == "2024-Q2" and out["shell-url"]["search"] == "?period=2024-Q2"


def test_web005_api_periods_summary_and_organizations(client):
    periods = client.get("/api/v1/periods").get_json()["periods"]
    assert [(p["id"], p["label"], p["start"], p["end"]) for p in periods] == [
        ("2024-Q1", "Quý I/2024", "2024-01-01", "2024-03-31"), ("2024-Q2", "Quý II/2024", "2024-04-01", "2024-06-30")]
    summary = client.get("/api/v1/summary?period=2024-Q2").get_json()
    assert summary["organizations"] == 2
    assert summary["totals"] == {"members_total": 153, "members_female": 52, "admitted": 3}
    assert summary["by_org_type"]["admin_agency"] == {"organizations": 1, "members_total": 103,
                                                      "members_female": 41, "admitted": 3}
    one_type = client.get("/api/v1/summary?period=2024-Q1&org_type=soe_100").get_json()
    assert one_type["totals"] == {"members_total": 50, "members_female": 10, "admitted": 1}
    orgs = client.get("/api/v1/organizations?period=2024-Q1").get_json()["organizations"]
    assert [(o["code"], o["members_total"]) for o in orgs] == [("A", 100), ("B", 50)]
    csv_text = client.get("/api/v1/organizations?period=2024-Q1&format=csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["code"], r["name"], r["members_total"]) for r in rows] == [
        ("A", "Đảng bộ Sở Tài chính", "100"), ("B", "Đảng bộ Công ty Điện lực", "50")]


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/api/v1/summary", 400, "period_required"),
    ("/api/v1/summary?period=2030", 404, "period_unknown"),
    ("/api/v1/summary?period=2024-Q1&org=NOPE", 404, "org_unknown"),
    ("/api/v1/summary?period=2024-Q1&org_type=bank", 400, "org_type_unknown"),
    ("/api/v1/organizations?period=2024-Q1&format=xml", 400, "format_unknown"),
    ("/api/v1/nothing-here", 404, "not_found"),
])
def test_web006_every_api_failure_has_one_error_shape(client, path, status, code):
    response = client.get(path)
    assert response.status_code == status
    body = response.get_json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "message", "message_en", "message_vi"]
    assert body["error"]["code"] == code and body["error"]["message"] == body["error"]["message_vi"]


def _upload(client, data: bytes, name: str, *, create: bool = True) -> dict:
    """The Data page's check, as the browser runs it: the hand-over, then the background job to its answer."""
    return data_page.check(data_page.flask_sender(client), client.dash_deps, data, name, create=create)


def test_web007_uploading_a_bad_file_shows_its_issues_with_cells(client):
    bad = [list(r) for r in Q2]
    bad[0][5] = 500  # 500 women of 103 members, in F4
    out = _upload(client, report("BÁO CÁO QUÝ III NĂM 2024", bad), "bad.xlsx")
    text = json.dumps(out["data-report"]["children"], ensure_ascii=False)
    assert "F4" in text and "nhiều hơn tổng số đảng viên" in text
    assert out["data-confirm"]["disabled"] is True and out["data-pending"]["data"] is None


def test_web008_uploading_a_good_file_then_confirming_makes_its_numbers_appear(client):
    q3 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 104, 41, 1], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 52,
                                                                    11, 2]]
    out = _upload(client, report("BÁO CÁO QUÝ III NĂM 2024", q3), "q3.xlsx")
    assert out["data-confirm"]["disabled"] is False
    pending = out["data-pending"]["data"]
    status, done = data_page.confirm(data_page.flask_sender(client), client.dash_deps, pending, create=True)
    assert status == 200
    assert "lần nhập số 3" in json.dumps(done["data-result"]["children"], ensure_ascii=False)
    summary = client.get("/api/v1/summary?period=2024-Q3").get_json()
    assert summary["totals"]["members_total"] == 156


def grid_rows(client, search: str, text: str = "", **request) -> dict:
    """The organizations table's rows as the grid asks for them (one page, sorted and filtered on the server)."""
    box = call(client, "org-grid-box", [*url(search), {"id": "org-search", "property": "value", "value": text}])
    grid = box["org-grid-box"]["children"]["props"]
    ask = {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {}, **request,
           "context": grid["dashGridOptions"]["context"]}
    out = call(client, "org-grid.getRowsResponse", [{"id": "org-grid", "property": "getRowsRequest", "value": ask}])
    return out["org-grid"]["getRowsResponse"]


def test_web009_organizations_page_drills_down_and_back(client):
    rows = grid_rows(client, "?period=2024-Q1")
    assert rows["rowCount"] == 2
    assert [(r["code"], r["members_total"]) for r in rows["rowData"]] == [("B", 50), ("A", 100)]  # by name
    org_a = next(r["id"] for r in rows["rowData"] if r["code"] == "A")
    # sorted and filtered on the server, and searched without diacritics
    by_members = grid_rows(client, "?period=2024-Q1", sortModel=[{"colId": "members_total", "sort": "desc"}])
    assert [r["code"] for r in by_members["rowData"]] == ["A", "B"]
    big = grid_rows(client, "?period=2024-Q1", filterModel={"members_total": {
        "filterType": "number", "type": "greaterThan", "filter": 60}})
    assert [r["code"] for r in big["rowData"]] == ["A"] and big["rowCount"] == 1
    assert [r["code"] for r in grid_rows(client, "?period=2024-Q1", "so tai chinh")["rowData"]] == ["A"]
    # a click on A's box in the treemap puts A in the URL ...
    drilled = call(client, "shell-url.search@", [
        {"id": "org-tree", "property": "clickData", "value": {"points": [{"id": str(org_a)}]}}],
        url("?period=2024-Q1"))
    assert drilled["shell-url"]["search"] == "?period=2024-Q1&org=A"
    # ... and the page then shows A only, with a breadcrumb back to everything
    assert [r["code"] for r in grid_rows(client, "?period=2024-Q1&org=A")["rowData"]] == ["A"]
    out = call(client, "org-tree", url("?period=2024-Q1&org=A"))
    crumbs = json.dumps(out["org-tree-crumbs"]["children"], ensure_ascii=False)
    assert "Toàn bộ" in crumbs and '"href": "/to-chuc?period=2024-Q1"' in crumbs
    # a click on a row opens the organization's own page
    opened = call(client, "shell-navigate.href", [{"id": "org-grid", "property": "cellClicked",
                                                   "value": {"rowId": str(org_a)}}], url("?period=2024-Q1"))
    assert opened["shell-navigate"]["href"] == "/don-vi?period=2024-Q1&org=A"


def test_web016_an_organization_page_shows_its_trend_its_figures_and_where_it_sits(client):
    out = call(client, "unit-header", url("?period=2024-Q2&org=A"))
    header = json.dumps(out["unit-header"]["children"], ensure_ascii=False)
    assert "Đảng bộ Sở Tài chính" in header and "Mã: A" in header and "Đảng bộ Khối Thử" in header
    members = out["unit-members"]["figure"]["data"][0]
    assert list(members["y"])[:2] == [100, 103]  # its own trend: Q1, Q2 (then Q3 once test_web008 imported it)
    table = json.dumps(out["unit-table"]["children"], ensure_ascii=False)
    assert "103" in table and "39,8%" in table  # Q2: 41 women of 103
    # the top organization lists what is under it, each a link to its own page
    top = call(client, "unit-header", url("?period=2024-Q2&org=KHOI"))
    children = json.dumps(top["unit-children"]["children"], ensure_ascii=False)
    assert '"href": "/don-vi?period=2024-Q2&org=A"' in children and "103 đảng viên" in children
    # no organization chosen: a way on, never a dead end
    none = call(client, "unit-header", url("?period=2024-Q2"))
    assert "/to-chuc" in json.dumps(none["unit-header"]["children"], ensure_ascii=False)


@pytest.mark.parametrize("prefix", ["adm", "dis", "cmp", "qua", "bal"])
def test_web010_every_topic_page_answers_with_two_charts_and_a_list(client, prefix):
    out = call(client, f"{prefix}-left", url("?period=2024-Q2"))
    for side in ("left", "right"):
        figure = out[f"{prefix}-{side}"]["figure"]
        assert figure["layout"]["separators"] == ",." and "title" in figure["layout"]
    assert isinstance(out[f"{prefix}-list-title"]["children"], str)


def test_web011_admissions_page_lists_who_admitted_no_one(client):
    out = call(client, "adm-left", url("?period=2024-Q2"))
    # Q2: A admitted 3, B admitted 0 → B is listed
    assert out["adm-list-title"]["children"].endswith("(1)")
    listed = json.dumps(out["adm-list"]["children"], ensure_ascii=False)
    assert "Đảng bộ Công ty Điện lực" in listed
    assert '"href": "/don-vi?period=2024-Q2&org=B"' in listed  # its name opens its own page
    bars = {tr["name"]: tr["y"] for tr in out["adm-left"]["figure"]["data"] if tr.get("type") == "bar"}
    assert bars["Kết nạp"][:2] == [3, 3]  # admitted: 3 in Q1 (2 + 1), 3 in Q2 (3 + 0)


def test_web012_clicking_a_type_bar_filters_and_the_chip_clears_it(client):
    click = {"points": [{"customdata": ["soe_100", "DN 100% vốn Nhà nước", "50"]}]}
    out = call(client, "shell-url.search@", [{"id": "ovw-composition", "property": "clickData", "value": click}],
               url("?period=2024-Q1"))
    assert out["shell-url"]["search"] == "?period=2024-Q1&types=soe_100"
    shell = call(client, "shell-nav", [*url("?period=2024-Q1&types=soe_100"),
                                       {"id": "shell-url", "property": "pathname", "value": "/"}])
    assert "DN 100% vốn Nhà nước" in json.dumps(shell["filter-chip"]["children"], ensure_ascii=False)
    assert shell["filter-chip-clear"]["style"] == {}
    cleared = call(client, "shell-url.search@", [{"id": "filter-chip-clear", "property": "n_clicks", "value": 1}],
                   url("?period=2024-Q1&types=soe_100"))
    assert cleared["shell-url"]["search"] == "?period=2024-Q1"


def test_web013_rollback_asks_first_and_only_the_dialog_rolls_back(client):
    from dashboard.web.ids import Id

    before = client.get("/api/v1/summary?period=2024-Q3").get_json()["totals"]["members_total"]
    assert before == 156  # test_web008's import, batch 3
    dep = next(d for d in client.dash_deps if d["output"].startswith(".." + Id.DATA_ROLLBACK_MODAL + ".is_open"))
    button = {"type": Id.DATA_BATCHES + "-rollback", "index": 3}
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs,
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}],
                       {"id": Id.DATA_ROLLBACK_NO, "property": "n_clicks", "value": None},
                       {"id": Id.DATA_ROLLBACK_DONE, "property": "children", "value": None}],
            "state": url(""), "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True)
                                                + ".n_clicks"]}
    asked = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert asked[Id.DATA_ROLLBACK_MODAL]["is_open"] is True
    assert asked[Id.DATA_ROLLBACK_TARGET]["data"] == 3
    assert "q3.xlsx" in asked[Id.DATA_ROLLBACK_TEXT]["children"]
    # asking changed nothing
    assert client.get("/api/v1/summary?period=2024-Q3").get_json()["totals"]["members_total"] == 156
    done = call(client, Id.DATA_ROLLBACK_DONE, [{"id": Id.DATA_ROLLBACK_YES, "property": "n_clicks", "value": 1}],
                [{"id": Id.DATA_ROLLBACK_TARGET, "property": "data", "value": 3}, *url("")])
    assert "lần nhập số 3" in json.dumps(done[Id.DATA_ROLLBACK_DONE]["children"], ensure_ascii=False)
    response = client.get("/api/v1/summary?period=2024-Q3")
    assert response.status_code == 404 or response.get_json()["totals"].get("members_total") in (None, 0)


def test_web014_targets_set_in_the_dialog_travel_in_the_url_and_change_the_target_lines(client):
    from dashboard.web.ids import Id

    keys = ("adm", "cfw", "cfy", "good", "exc")
    dep = next(d for d in client.dash_deps if d["output"].startswith(".." + Id.TARGETS_MODAL + ".is_open"))
    outputs = []
    for o in dep["output"].strip(".").split("..."):
        if o.startswith("{"):  # the pattern-matched inputs of the dialog: one entry per input
            outputs.append([{"id": {"type": Id.TARGETS_INPUT, "index": k}, "property": "value"} for k in keys])
        else:
            outputs.append({"id": o.split(".")[0], "property": o.split(".")[1]})
    body = {"output": dep["output"], "outputs": outputs,
            "inputs": [{"id": Id.TARGETS_OPEN, "property": "n_clicks", "value": 1}], "state": url("?period=2024-Q2"),
            "changedPropIds": [f"{Id.TARGETS_OPEN}.n_clicks"]}
    dialog = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert dialog[Id.TARGETS_MODAL]["is_open"] is True
    filled = [dialog[json.dumps({"index": k, "type": Id.TARGETS_INPUT}, separators=(",", ":"))]["value"]
              for k in keys]
    assert filled == [3, 15, 10, 90, 20]  # the defaults
    # the user sets committee women to 40% and admissions to 5% a year
    dep = next(d for d in client.dash_deps if Id.TARGETS_APPLY in json.dumps(d["inputs"]))
    outputs = [{"id": o.split(".")[0].split("@")[0], "property": o.split(".")[1].split("@")[0]}
               for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs,
            "inputs": [{"id": Id.TARGETS_APPLY, "property": "n_clicks", "value": 1},
                       {"id": Id.TARGETS_RESET, "property": "n_clicks", "value": None}],
            "state": [[{"id": {"type": Id.TARGETS_INPUT, "index": k}, "property": "value", "value": v}
                       for k, v in zip(("adm", "cfw", "cfy", "good", "exc"), (5, 40, 10, 90, 20), strict=True)],
                      *url("?period=2024-Q2")],
            "changedPropIds": [f"{Id.TARGETS_APPLY}.n_clicks"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    search = response.get_json()["response"][Id.URL]["search"]
    assert search == "?period=2024-Q2&targets=adm:5,cfw:40"  # only what differs from the defaults
    # a filter change keeps the targets in the URL
    dep = next(d for d in client.dash_deps if d["output"].startswith("..shell-url.search")
               and d["inputs"][0] == {"id": "shell-url", "property": "search"})
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    filters = [{"id": "filter-period", "property": "value", "value": "2024-Q1"},
               {"id": "filter-comparison", "property": "value", "value": "previous"},
               {"id": "filter-org", "property": "value", "value": None},
               {"id": "filter-types", "property": "value", "value": []},
               {"id": "shell-lang", "property": "value", "value": "vi"}]
    body = {"output": dep["output"], "outputs": outputs, "inputs": url(search) + filters, "state": [],
            "changedPropIds": ["filter-period.value"]}
    synced = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert synced["shell-url"]["search"] == "?period=2024-Q1&targets=adm:5,cfw:40"
    admissions = call(client, "adm-left", url(search))["adm-left"]["figure"]
    target_line = next(tr for tr in admissions["data"] if tr.get("mode") == "lines" or tr.get("type") == "scatter")
    # 5% a year of 153 members over a quarter: 153 × 0,05 × 3/12 = 1,9125
    assert any(abs(y - 1.9125) < 1e-6 for y in target_line["y"] if y is not None)


def test_web015_snapshot_follows_imports_and_rollbacks_by_delta_and_from_disk(tmp_path):
    """The data service re-reads only what changed, and a restarted one starts from its copy on disk;
    every way gives exactly the figures a full read of the store gives."""
    from dashboard.store import queries
    from dashboard.web.data import DataService

    engine = khoi_store(f"sqlite:///{tmp_path / 'snap.sqlite3'}", ("BÁO CÁO QUÝ I NĂM 2024", Q1))
    options = imports.ImportOptions(create_orgs=True, actor="test")
    service = DataService(engine, tmp_path / "cache")

    def full():
        with db.read_transaction(engine) as conn:
            return queries.current_values(conn).sort_values(["period_id", "org_id"]).reset_index(drop=True)

    first = service.snapshot()
    assert service.last_refresh == "full" and list(first.facts["members_total"]) == [100, 50]  # A, B in Q1
    corrected = [list(r) for r in Q1]
    corrected[1][4] = 55  # B's members corrected in a second file
    second = imports.import_file(engine, report("BÁO CÁO QUÝ I NĂM 2024", corrected), "q1b.xlsx", options,
                                 dry_run=False)
    snap = service.snapshot()
    assert service.last_refresh == "delta"
    assert list(snap.facts["members_total"]) == [100, 55]
    imports.rollback(engine, second.batch_id, "test")
    snap = service.snapshot()
    assert service.last_refresh == "delta" and list(snap.facts["members_total"]) == [100, 50]
    import pandas as pd

    pd.testing.assert_frame_equal(snap.facts, full())
    service.settle()  # the copy on disk is written behind the answer
    # a new process: starts from the disk copy, then catches up with an import made meanwhile
    imports.import_file(engine, report("BÁO CÁO QUÝ II NĂM 2024", Q2), "q2.xlsx", options, dry_run=False)
    restarted = DataService(engine, tmp_path / "cache")
    snap = restarted.snapshot()
    assert restarted.last_refresh == "delta"
    pd.testing.assert_frame_equal(snap.facts, full())
    restarted.settle()
    # a damaged copy is ignored, never trusted
    meta_file = next((tmp_path / "cache").glob("snapshot-*/meta.json"))
    cache_file = meta_file.parent / f"values-{json.loads(meta_file.read_text())['tag']}.npy"
    cache_file.write_bytes(b"not an array")
    again = DataService(engine, tmp_path / "cache")
    pd.testing.assert_frame_equal(again.snapshot().facts, full())
    assert again.last_refresh == "full"
    engine.dispose()


def test_web017_the_organization_tree_opens_level_by_level_finds_by_name_and_sets_the_filter(client):
    from dashboard.web import context
    from dashboard.web.ids import Id

    def body(focus, text="", search="?period=2024-Q2"):
        out = call(client, Id.TREE_BODY + ".children", [
            {"id": Id.TREE_FOCUS, "property": "data", "value": focus},
            {"id": Id.TREE_SEARCH, "property": "value", "value": text}, *url(search)])
        return json.dumps(out[Id.TREE_BODY]["children"], ensure_ascii=False)

    top = body(-1)
    assert "Đảng bộ Khối Thử" in top and "Đảng bộ Sở Tài chính" not in top  # one level at a time
    with db.read_transaction(context.engine()) as conn:
        khoi = Registry.load(conn).find("KHOI").id
    inside = body(khoi)
    assert "Đảng bộ Sở Tài chính" in inside and "Đảng bộ Công ty Điện lực" in inside
    found = body(-1, "cong ty dien")  # without diacritics
    assert "Đảng bộ Công ty Điện lực" in found and "Đảng bộ Sở Tài chính" not in found
    assert "Đảng bộ Khối Thử" in found  # the path above the result
    dep = next(d for d in client.dash_deps if "tree-pick" in json.dumps(d["inputs"]))
    button = {"type": "tree-pick", "index": "B"}
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
               for o in dep["output"].strip(".").split("...")]
    response = client.post("/_dash-update-component", json={
        "output": dep["output"], "outputs": outputs,
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]], "state": url("?period=2024-Q2"),
        "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"]})
    picked = response.get_json()["response"]
    assert picked["shell-url"]["search"] == "?period=2024-Q2&org=B"
    assert picked[Id.TREE_PANEL]["is_open"] is False


def test_web018_healthz_answers_without_signing_in_and_names_what_failed(client, monkeypatch):
    anonymous = client.application.test_client()
    answer = anonymous.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "database": "ok", "redis": "not configured"}
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    failing = anonymous.get("/healthz")
    assert failing.status_code == 503 and failing.get_json()["redis"] == "error"
    assert failing.get_json()["database"] == "ok"
    assert b"members" not in failing.data  # nothing about the figures
    if os.environ.get("TEST_REDIS_URL"):  # CI: a real Redis must answer (an unreachable one fails here)
        monkeypatch.setenv("REDIS_URL", os.environ["TEST_REDIS_URL"])
        assert anonymous.get("/healthz").get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_web019_a_quarter_shows_its_years_quality_ratings(tmp_path):
    """Ratings are yearly: with a quarter chosen, the by-type chart and the check use the latest year."""
    from dashboard import charts
    from dashboard.web.data import DataService
    from dashboard.web.state import parse
    from dashboard.web.view import resolve

    engine = db.make_engine(f"sqlite:///{tmp_path / 'ratings.sqlite3'}")
    db.upgrade(engine)
    with db.write_transaction(engine) as conn:
        create_org(conn, Registry.load(conn), name="Đảng bộ Khối Thử", code="KHOI", org_type=None, parent_id=None)
    header = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", "Tổng số đảng viên",
              "Số đảng viên được đánh giá, xếp loại", "Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ")
    options = imports.ImportOptions(create_orgs=True, actor="test")
    year = simple_report("BÁO CÁO NĂM 2024", [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 100, 100, 10, 85]],
                         header=header)
    imports.import_file(engine, year, "nam2024.xlsx", options, dry_run=False)
    imports.import_file(engine, report("BÁO CÁO QUÝ I NĂM 2025", Q1), "q1.xlsx", options, dry_run=False)
    snap = DataService(engine).snapshot()
    view = resolve(snap, parse("?period=2025-Q1"))
    rated = charts.ratings_view(view)
    assert rated.period_code == "2024" and rated.period_label == "Năm 2024"
    figure, table = charts.build("quality-good", view, "vi")
    assert table.shape[0] == 1  # the numbers behind it: one type
    assert "(Năm 2024)" in figure.layout.title.text
    assert figure.data and abs(figure.data[0].x[0] - 0.95) < 1e-9  # (10 + 85) / 100
    engine.dispose()


@pytest.mark.parametrize("search", ["?period=2024-Q2", "?period=2024-Q2&cmp=same_last_year&lang=en&types=army",
                                    "?period=2024&targets=women_share:30,young_share:12.5&org=T05"])
def test_web020_a_topic_list_written_as_json_is_what_the_components_would_send(search):
    """The attention lists are written as the JSON Dash would make of html.Li(html.Strong(dcc.Link(…))): the
    same bytes reach the browser, for codes that need quoting in a link too."""
    from dash import dcc, html
    from dash._utils import to_json

    from dashboard.web import topic
    from dashboard.web.links import unit_href, unit_hrefs
    from dashboard.web.state import parse

    state = parse(search)
    refs = ["T05", "Đ/B 7&x=1", "123", "a+b c"]
    href = unit_hrefs(state)
    for ref in refs:
        expected = html.Li([html.Strong(dcc.Link("Chi bộ «Số 1»", href=unit_href(state, ref))), " — 3 đảng viên"])
        written = topic._item("Chi bộ «Số 1»", href(ref), " — 3 đảng viên")
        assert json.loads(to_json(written)) == json.loads(to_json(expected))
    plain = html.Li([html.Strong("Không có mã"), ""])
    assert json.loads(to_json(topic._item("Không có mã", None, ""))) == json.loads(to_json(plain))


def test_web021_a_page_answer_costs_one_query_and_still_sees_a_new_import(client, tmp_path):
    """A signed-in request reads its session, scope and the data version in one query; an answer already
    computed for that version needs nothing more. An import committed elsewhere shows on the next request."""
    from sqlalchemy import event

    from dashboard.web import context

    engine = context.engine()
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):  # SQLite's own transaction steps
            statements.append(statement)

    call(client, "ovw-cards", url("?period=2024-Q2"))  # computed once
    event.listen(engine, "before_cursor_execute", seen)
    try:
        out = call(client, "ovw-cards", url("?period=2024-Q2"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements
    assert "sessions" in statements[0] and "audit_log" in statements[0]
    assert "153" in json.dumps(out["ovw-cards"]["children"])  # Q2 members: 103 + 50
    # a third quarter, committed through another engine (as another worker or the Celery worker would)
    other = db.make_engine(engine.url)
    q3 = [[1, "A", "Đảng bộ Sở Tài chính", "CQHC", 110, 41, 7], [2, "B", "Đảng bộ Công ty Điện lực", "DNNN", 50, 11, 0]]
    result = imports.import_file(other, report("BÁO CÁO QUÝ III NĂM 2024", q3), "q3.xlsx",
                                 imports.ImportOptions(actor="test"), dry_run=False)
    other.dispose()
    assert result.batch_id is not None
    try:
        out = call(client, "ovw-cards", url("?period=2024-Q3"))
        assert "160" in json.dumps(out["ovw-cards"]["children"])  # 110 + 50, seen at once
    finally:
        imports.rollback(engine, result.batch_id, actor="test")  # the module's other tests expect two quarters


def test_web022_the_organization_filter_lists_whole_top_levels_and_finds_the_rest_by_typing(client, monkeypatch):
    """A country's 3.300 communes are not sent with every page: the filter lists whole levels from the top
    (at most ORG_OPTIONS_MAX), says that typing finds the rest, and a typed search (diacritics and case aside,
    every word) lists the matching organizations."""
    import pandas as pd

    from dashboard.web import app as shell

    orgs = pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 6, 7],
        "code": ["VN", "T01", "T02", "X011", "X012", "X021", None],
        "name": ["Cả nước", "Tỉnh Một", "Tỉnh Hai", "Xã Đông An", "Xã Tây", "Xã Bắc Sơn", "Chi bộ 1"],
        "parent_id": pd.array([None, 1, 1, 2, 2, 3, 4], dtype="Int64"),
        "level": [0, 1, 1, 2, 2, 2, 3],
    })
    options, capped = shell._org_options(orgs)
    assert [o["value"] for o in options] == ["VN", "T02", "T01", "X011"] and not capped  # 7 has no children
    monkeypatch.setattr(shell, "ORG_OPTIONS_MAX", 3)
    options, capped = shell._org_options(orgs)
    assert [o["value"] for o in options] == ["VN", "T02", "T01"] and capped
    assert options[1]["label"] == "· Tỉnh Hai (T02)"

    dep = next(d for d in client.dash_deps if d["inputs"][0] == {"id": "filter-org", "property": "search_value"})

    def search(text, value=None, options=None):
        body = {"output": dep["output"], "outputs": {"id": "filter-org", "property": "options"},
                "inputs": [{"id": "filter-org", "property": "search_value", "value": text}],
                "state": [{"id": "filter-org", "property": "value", "value": value},
                          {"id": "filter-org", "property": "options", "value": options}],
                "changedPropIds": ["filter-org.search_value"]}
        return client.post("/_dash-update-component", json=body)

    found = search("đang bo KHỐI").get_json()["response"]["filter-org"]["options"]
    assert [o["value"] for o in found] == ["KHOI"]
    assert search("không có").get_json()["response"]["filter-org"]["options"] == []
    chosen = {"label": "Đảng bộ Sở Tài chính", "value": "A"}
    kept = search("zzz", "A", [chosen]).get_json()["response"]["filter-org"]["options"]
    assert kept == [chosen]  # the chosen organization stays listed whatever is typed
    assert search("k").status_code == 204  # one letter: nothing asked yet


def test_web023_a_page_figure_is_the_catalogue_figure_without_its_table(client):
    """Pages ask only for figures; a chart that skips making its table (the organization tree) draws the same
    figure as the catalogue's full build, which exports use."""
    import plotly.io as pio

    from dashboard import charts
    from dashboard.web import context
    from dashboard.web.state import parse
    from dashboard.web.view import resolve

    view = resolve(context.data().snapshot(), parse("?period=2024-Q2"))
    assert any(c.figure_only is not None for c in charts.CHARTS)
    for chart_id in charts.CHART_IDS:
        for lang in ("vi", "en"):
            shown = charts.figure(chart_id, view, lang)
            full, _table = charts.build(chart_id, view, lang)
            assert pio.to_json(shown) == pio.to_json(full), chart_id


def test_web024_web_workers_starting_together_on_an_empty_store_set_the_sample_up_once(tmp_path):
    """Several gunicorn workers start at once on an empty store: exactly one imports the sample data, and the
    others start too (they used to fail on "code KHOI already exists")."""
    import threading

    from sqlalchemy import func, select

    from dashboard.store.schema import import_batches, organizations
    from dashboard.web.sample import SAMPLE_ROOT, ensure_sample_data

    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    db.upgrade(db.make_engine(url))
    engines = [db.make_engine(url) for _ in range(3)]
    start = threading.Barrier(len(engines))
    results: list[object] = []

    def worker(engine) -> None:
        start.wait()
        try:
            results.append(ensure_sample_data(engine))
        except Exception as error:  # what a worker failing to start would see
            results.append(error)

    threads = [threading.Thread(target=worker, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(map(repr, results)) == ["False", "False", "True"], results
    with engines[0].connect() as conn:
        assert conn.execute(select(func.count()).select_from(organizations)
                            .where(organizations.c.code == SAMPLE_ROOT[1])).scalar_one() == 1
        batches = conn.execute(select(func.count()).select_from(import_batches)).scalar_one()
    from dashboard.web.sample import SAMPLES
    assert batches == len(SAMPLES)
    for engine in engines:
        engine.dispose()


def test_web025_the_registry_is_read_again_only_when_it_changed(store_url):
    """A new data version that leaves the organizations as they were (figures of known organizations, a period
    lock) keeps the same organizations frame, so what was computed from it stays valid; a rename is read at
    once; a registry that only grew is the old frame with the new rows, equal to a whole read. (PostgreSQL
    tells from the rows' transaction ids and reads only the new rows; SQLite reads its small registry and
    compares.)"""
    import datetime as dt

    import pandas as pd

    from dashboard.store import queries, registry
    from dashboard.web.data import DataService

    engine = khoi_store(store_url)
    options = imports.ImportOptions(create_orgs=True, actor="test")
    data = DataService(engine)
    data.snapshot()  # one organization, made by hand (no import made it)

    def whole():
        with db.read_transaction(engine) as conn:
            return queries.organizations_frame(conn)

    imports.import_file(engine, report("BÁO CÁO QUÝ I NĂM 2024", Q1), "q1.xlsx", options, dry_run=False)
    first = data.snapshot()  # the first import that creates organizations: the registry grew
    assert data.last_orgs == "grown"
    pd.testing.assert_frame_equal(first.orgs, whole())
    imports.import_file(engine, report("BÁO CÁO QUÝ II NĂM 2024", Q2), "q2.xlsx",
                        imports.ImportOptions(actor="test"), dry_run=False)  # known organizations only
    imports.set_lock(engine, "2024-Q1", True, "test")
    second = data.snapshot()
    assert second.version > first.version and len(second.facts) == 4
    assert second.orgs is first.orgs and data.last_orgs == "same"
    with db.write_transaction(engine) as conn:
        reg = Registry.load(conn)
        registry.rename(conn, reg, reg.orgs[reg.by_code["A"]], "Đảng bộ Sở Tài chính tỉnh", dt.date(2024, 7, 1),
                        "test")
    third = data.snapshot()
    assert third.orgs is not second.orgs
    assert "Đảng bộ Sở Tài chính tỉnh" in set(third.orgs["name"])
    assert data.last_orgs == "read"
    # an import that creates an organization: the frame is the one a whole read gives
    q3 = [*Q2, [3, "C", "Chi bộ Trường Tiểu học", "ĐVSN", 20, 12, 1]]
    imports.import_file(engine, report("BÁO CÁO QUÝ III NĂM 2024", q3), "q3.xlsx", options, dry_run=False)
    fourth = data.snapshot()
    assert data.last_orgs == "grown"
    assert len(fourth.orgs) == len(third.orgs) + 1
    pd.testing.assert_frame_equal(fourth.orgs, whole())
    engine.dispose()


def test_web026_a_worker_starting_as_the_store_goes_away_still_starts(tmp_path, monkeypatch, capsys):
    """gunicorn imports ``app:server`` in each worker; the set-up hint it prints asks the store. A store lost
    between the worker's migration and that question (seen in CI: PostgreSQL stopped while the second worker
    booted) must not stop the worker with a traceback: it starts, says so, and answers 503 until the store is
    back."""
    import importlib

    from sqlalchemy.exc import OperationalError

    from dashboard.accounts import store

    def gone(_conn):
        raise OperationalError("SELECT count(*) FROM users", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'boot.sqlite3'}")
    monkeypatch.setenv("SNAPSHOT_CACHE_DIR", "off")
    monkeypatch.setattr(store, "count_users", gone)
    monkeypatch.setenv("WEB_GC_THRESHOLDS", "12345,11,99")
    entry = importlib.import_module("app")
    before = gc.get_threshold()
    try:
        server = entry.server
        # the worker's garbage collector is set for a large heap (see test_web030)
        assert gc.get_threshold() == (12345, 11, 99) and gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
    assert server.name and callable(server.wsgi_app)
    err = capsys.readouterr().err
    assert "The store cannot be reached" in err and "không kết nối được cơ sở dữ liệu" in err
    assert "Traceback" not in err


def test_web030_a_web_worker_freezes_what_its_start_made_and_collects_garbage_less_often(monkeypatch):
    """WEB_GC_THRESHOLDS sets the collector's thresholds (the default makes full collections rarer than
    Python's) and the objects made before are frozen (never looked through again); ``off`` leaves Python's
    collector alone; anything else is refused with the setting's name."""
    from dashboard.web.app import tune_gc

    before = gc.get_threshold()
    try:
        monkeypatch.delenv("WEB_GC_THRESHOLDS", raising=False)
        gc.set_threshold(700, 10, 10)
        default = tune_gc()
        assert default[0] > 700 and default[2] > 10 and gc.get_freeze_count() > 0
        gc.unfreeze()
        monkeypatch.setenv("WEB_GC_THRESHOLDS", "off")
        gc.set_threshold(700, 10, 10)
        assert tune_gc() == (700, 10, 10) and gc.get_freeze_count() == 0
        for bad in ("20000,20", "a,b,c", "0,10,10"):
            monkeypatch.setenv("WEB_GC_THRESHOLDS", bad)
            with pytest.raises(ValueError, match="WEB_GC_THRESHOLDS"):
                tune_gc()
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


_pairs = st.lists(st.tuples(st.integers(1, 6), st.integers(1, 5)), max_size=30, unique=True)


@settings(max_examples=300, deadline=None)
@given(old=_pairs, touched=_pairs, fresh=_pairs, nulls=st.integers(0, 2 ** 16))
def test_web027_a_spliced_snapshot_equals_removing_the_touched_pairs_adding_the_fresh_rows_and_sorting(
        old, touched, fresh, nulls):
    """The refresh after an import assembles the new figures from runs of the old and the fresh rows; whatever
    the pairs (a new period at the end, a period replaced, rows interleaved), the result is the plain
    definition: old without the touched pairs, plus the fresh rows, in (period, org) order."""
    import numpy as np
    import pandas as pd

    from dashboard.web import data

    def frame(pairs, base):
        pairs = sorted(pairs, key=lambda p: (p[1], p[0]))  # snapshots keep (period, org) order
        values = np.arange(len(pairs), dtype=np.int64) + base
        mask = np.array([(nulls >> (i % 16)) & 1 == 1 for i in range(len(pairs))], dtype=bool)
        return pd.DataFrame({"org_id": np.array([p[0] for p in pairs], dtype=np.int64),
                             "period_id": np.array([p[1] for p in pairs], dtype=np.int64),
                             "members_total": pd.arrays.IntegerArray(values, mask)})

    fresh_pairs = [p for p in fresh if p in set(touched)]  # an import's fresh rows are among its touched pairs
    old_frame, fresh_frame = frame(old, 0), frame(fresh_pairs, 1000).sample(frac=1, random_state=nulls)
    touched_frame = pd.DataFrame({"org_id": [p[0] for p in touched], "period_id": [p[1] for p in touched]},
                                 dtype="int64")
    expected = data._splice_by_sorting(old_frame, touched_frame, fresh_frame)
    got = data._splice(old_frame, touched_frame, fresh_frame)
    pd.testing.assert_frame_equal(got, expected)
    gone = set(touched)
    want = sorted([p for p in old if p not in gone] + fresh_pairs, key=lambda p: (p[1], p[0]))
    assert list(zip(got["org_id"], got["period_id"], strict=True)) == want


def test_web028_after_an_import_one_process_reads_the_change_and_the_others_take_it_from_disk(store_url, tmp_path,
                                                                                           monkeypatch):
    """Workers sharing a SNAPSHOT_CACHE_DIR read an import's change from the store once: the first leaves it on
    disk, the next takes it from there; each gets the figures a whole read gives. A damaged file is not
    trusted: that worker reads the store."""
    import pandas as pd

    from dashboard.store import queries
    from dashboard.web import data as data_module
    from dashboard.web.data import DataService

    engine = khoi_store(store_url, ("BÁO CÁO QUÝ I NĂM 2024", Q1))
    options = imports.ImportOptions(create_orgs=True, actor="test")
    workers = [DataService(engine, tmp_path / "cache") for _ in range(3)]
    for worker in workers:
        worker.snapshot()

    def whole():
        with db.read_transaction(engine) as conn:
            return queries.current_values(conn).sort_values(["period_id", "org_id"]).reset_index(drop=True)

    corrected = [list(r) for r in Q1]
    corrected[0][4] = 101
    imports.import_file(engine, report("BÁO CÁO QUÝ I NĂM 2024", corrected), "q1b.xlsx", options, dry_run=False)
    imports.import_file(engine, report("BÁO CÁO QUÝ II NĂM 2024", Q2), "q2.xlsx", options, dry_run=False)
    first, second, third = workers
    snaps = [first.snapshot(), second.snapshot()]
    assert (first.last_refresh, first.last_change) == ("delta", "store")
    assert (second.last_refresh, second.last_change) == ("delta", "shared")
    for snap in snaps:
        pd.testing.assert_frame_equal(snap.facts, whole())
    assert list(snaps[1].facts["members_total"]) == [101, 50, 103, 50]
    for saved in (tmp_path / "cache").glob("snapshot-*/change-*.npz"):
        saved.write_bytes(saved.read_bytes()[:100])  # cut short
    pd.testing.assert_frame_equal(third.snapshot().facts, whole())
    assert (third.last_refresh, third.last_change) == ("delta", "store")
    # a background job's process takes a change another left, and never holds the web workers' turn
    job = DataService(engine, tmp_path / "cache")
    job.leads_changes = False
    job.snapshot()
    imports.import_file(engine, report("BÁO CÁO QUÝ III NĂM 2024", Q2), "q3.xlsx", options, dry_run=False)

    def no_turns(*_args, **_kwargs):
        raise AssertionError("a job's process took its turn")

    monkeypatch.setattr(data_module, "_taking_turns", no_turns)
    pd.testing.assert_frame_equal(job.snapshot().facts, whole())
    assert (job.last_refresh, job.last_change) == ("delta", "store")
    monkeypatch.undo()
    pd.testing.assert_frame_equal(first.snapshot().facts, whole())
    assert (first.last_refresh, first.last_change) == ("delta", "store")
    engine.dispose()


def test_web029_after_an_import_the_copy_on_disk_waits_and_an_old_change_is_not_taken(tmp_path):
    """The copy of the figures on disk (for the next start) is written COPY_DELAY after a refresh that an import
    caused, not while the officials' first views of the new figures are computed (settle() writes it at once);
    a change another process left longer than CHANGE_FRESH ago is read from the store instead."""
    import os
    import time

    from dashboard.web.data import CHANGE_FRESH, DataService

    engine = khoi_store(f"sqlite:///{tmp_path / 'copy.sqlite3'}", ("BÁO CÁO QUÝ I NĂM 2024", Q1))
    options = imports.ImportOptions(create_orgs=True, actor="test")
    service, other = DataService(engine, tmp_path / "cache"), DataService(engine, tmp_path / "cache")
    first = service.snapshot()
    other.snapshot()
    service.settle()  # the first read's copy is written straight away

    def kept():
        meta = next((tmp_path / "cache").glob("snapshot-*/meta.json"))
        return {int(k): v for k, v in json.loads(meta.read_text())["batches"].items()}

    assert kept() == first.batches
    imports.import_file(engine, report("BÁO CÁO QUÝ II NĂM 2024", Q2), "q2.xlsx", options, dry_run=False)
    second = service.snapshot()
    assert service.last_refresh == "delta" and second.batches != first.batches
    time.sleep(0.5)
    assert kept() == first.batches  # not yet
    service.settle()
    assert kept() == second.batches
    for change in (tmp_path / "cache").glob("snapshot-*/change-*.npz"):
        os.utime(change, (time.time() - CHANGE_FRESH - 5,) * 2)
    other.snapshot()
    assert (other.last_refresh, other.last_change) == ("delta", "store")
    engine.dispose()


def test_web031_an_import_leaves_the_scopes_it_did_not_touch_their_frames_and_what_was_computed_from_them(
        store_url):
    """After an import, a scope none of whose organizations the import touched (and none added under it) keeps
    its facts and organizations frames, the same objects, so its computed results stay valid; a touched scope,
    a scope that gained an organization and a rollback get frames made afresh. Every scope's figures equal
    what restricting the new snapshot gives."""
    import pandas as pd

    from dashboard.web.data import DataService, restrict

    engine = db.make_engine(store_url)
    db.upgrade(engine)
    with db.write_transaction(engine) as conn:
        reg = Registry.load(conn)
        top = create_org(conn, reg, name="Đảng bộ Tỉnh Thử", code="TINH", org_type=None, parent_id=None)
        for code in ("KHOI1", "KHOI2"):
            create_org(conn, reg, name=f"Đảng bộ {code}", code=code, org_type=None, parent_id=top.id)
    with db.read_transaction(engine) as conn:
        ids = {o.code: o.id for o in Registry.load(conn).orgs.values()}
    header = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Đảng viên nữ")

    def book(title, rows):
        return simple_report(title, rows, header=header)

    one, two = frozenset({ids["KHOI1"]}), frozenset({ids["KHOI2"]})
    imports.import_file(engine, book("BÁO CÁO QUÝ I NĂM 2024", [[1, "A1", "Chi bộ A1", 30, 10]]),
                        "k1.xlsx", imports.ImportOptions(create_orgs=True, actor="test", scope_id=ids["KHOI1"]),
                        dry_run=False)
    imports.import_file(engine, book("BÁO CÁO QUÝ I NĂM 2024", [[1, "B1", "Chi bộ B1", 40, 20]]),
                        "k2.xlsx", imports.ImportOptions(create_orgs=True, actor="test", scope_id=ids["KHOI2"]),
                        dry_run=False)
    data = DataService(engine)
    before = {scope: data.snapshot(scope) for scope in (one, two)}

    def check(scope, kept):
        snap = data.snapshot(scope)
        again = restrict(data.snapshot(), scope)
        pd.testing.assert_frame_equal(snap.facts, again.facts)
        pd.testing.assert_frame_equal(snap.orgs, again.orgs)
        assert (snap.facts is before[scope].facts and snap.orgs is before[scope].orgs) == kept
        assert snap.version == data.snapshot().version and snap.periods is data.snapshot().periods
        before[scope] = snap

    # a correction of KHOI2's figures: KHOI1 keeps its frames
    second = imports.import_file(engine, book("BÁO CÁO QUÝ I NĂM 2024", [[1, "B1", "Chi bộ B1", 41, 20]]),
                                 "k2b.xlsx", imports.ImportOptions(actor="test", scope_id=ids["KHOI2"]), dry_run=False)
    check(one, kept=True)
    check(two, kept=False)
    assert list(before[two].facts["members_total"]) == [41]
    # a new organization under KHOI1 (and figures for it): KHOI1's frames are made afresh, KHOI2's kept
    imports.import_file(engine, book("BÁO CÁO QUÝ I NĂM 2024", [[1, "A2", "Chi bộ A2", 12, 5]]),
                        "k1b.xlsx", imports.ImportOptions(create_orgs=True, actor="test", scope_id=ids["KHOI1"]),
                        dry_run=False)
    check(one, kept=False)
    check(two, kept=True)
    assert len(before[one].orgs) == 3
    # a rollback: its periods are read again, every scope afresh
    imports.rollback(engine, second.batch_id, "test")
    check(one, kept=False)
    check(two, kept=False)
    assert list(before[two].facts["members_total"]) == [40]
    engine.dispose()
