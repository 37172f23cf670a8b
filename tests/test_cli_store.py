"""`python app.py …`: the store's command line, run as an official would (a subprocess, a real SQLite file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.store.db import head_revision
from tests.builders import SheetSpec, simple_report, xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]
Q1 = "BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN QUÝ I NĂM 2024"
ROWS = [[1, "A", "Đảng bộ xã A", 40, 20, 1], [2, "B", "Đảng bộ xã B", 30, 12, 0]]


@pytest.fixture
def app(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATABASE_PATH"] = str(tmp_path / "cli.sqlite3")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "app.py", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=120)

    return run


def test_cli101_import_dry_run_commit_duplicate_and_batches(app, tmp_path: Path):
    f = tmp_path / "q1.xlsx"
    f.write_bytes(simple_report(Q1, ROWS))
    assert app("orgs", "add", "Đảng bộ huyện X", "--code", "HX").returncode == 0
    dry = app("import", str(f), "--dry-run", "--create-orgs")
    assert dry.returncode == 0, dry.stderr
    assert "Chạy thử (chưa ghi gì)" in dry.stdout and "+ Đảng bộ xã A (A) — thuộc Đảng bộ huyện X (HX)" in dry.stdout
    assert json.loads(app("batches", "--json").stdout) == []
    done = app("import", str(f), "--create-orgs", "--user", "Nguyễn Văn An", "--json")
    [result] = json.loads(done.stdout)
    assert done.returncode == 0 and result["status"] == "committed" and result["batch_id"] == 1
    again = app("import", str(f), "--create-orgs")
    assert again.returncode == 0 and "đã được nhập ở lần nhập số 1" in again.stdout
    [batch] = json.loads(app("batches", "--json").stdout)
    assert batch["created_by"] == "Nguyễn Văn An" and batch["periods"] == ["2024-Q1"] and batch["organizations"] == 2
    shown = app("show", "1", "--lang", "en")
    assert "Batch #1: q1.xlsx" in shown.stdout and "Periods: 2024-Q1" in shown.stdout


def test_cli102_refusals_have_clear_messages_and_exit_codes(app, tmp_path: Path):
    bad = tmp_path / "bad.xlsx"
    rows = [list(r) for r in ROWS]
    rows[0][4] = 99
    bad.write_bytes(simple_report(Q1, rows))
    refused = app("import", str(bad), "--create-orgs")
    assert refused.returncode == 1
    assert "không được nhập" in refused.stderr and "Traceback" not in refused.stderr
    assert "female" not in refused.stdout and "nhiều hơn tổng số đảng viên" in refused.stdout
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"%PDF-1.7 not a spreadsheet at all")
    unreadable = app("import", str(junk))
    assert unreadable.returncode == 2 and "junk.xlsx" in unreadable.stderr and "Traceback" not in unreadable.stderr
    missing = app("rollback", "42")
    assert missing.returncode == 1 and "Không có lần nhập số 42" in missing.stderr


def test_cli103_lock_rollback_and_completeness(app, tmp_path: Path):
    f = tmp_path / "q1.xlsx"
    f.write_bytes(simple_report(Q1, ROWS))
    app("orgs", "add", "Đảng bộ huyện X", "--code", "HX")
    app("orgs", "add", "Đảng bộ xã C", "--code", "C", "--parent", "HX")
    assert app("import", str(f), "--create-orgs").returncode == 0
    complete = json.loads(app("completeness", "2024-Q1", "--json").stdout)
    assert [o["code"] for o in complete["missing"]] == ["C"]
    assert app("lock", "2024-Q1").returncode == 0
    locked = app("rollback", "1")
    assert locked.returncode == 1 and "chốt số liệu" in locked.stderr
    assert app("unlock", "2024-Q1").returncode == 0
    undone = app("rollback", "1")
    assert undone.returncode == 0 and "Đã hoàn tác lần nhập #1" in undone.stdout


def test_cli104_restructuring_commands(app, tmp_path: Path):
    app("orgs", "add", "Đảng bộ huyện X", "--code", "HX")
    for code in ("A", "B", "C"):
        app("orgs", "add", f"Đảng bộ xã {code}", "--code", code, "--parent", "HX")
    renamed = app("orgs", "rename", "C", "Đảng bộ phường C", "--date", "1/7/2025")
    assert renamed.returncode == 0 and "Đảng bộ phường C" in renamed.stdout
    merged = app("orgs", "merge", "A", "B", "--into", "AB", "--new-name", "Đảng bộ xã An Bình", "--date",
                 "1/7/2025")
    assert merged.returncode == 0, merged.stderr
    again = app("orgs", "merge", "A", "--into", "C", "--date", "2/7/2025")
    assert again.returncode == 1 and "đã kết thúc" in again.stderr
    mapping = tmp_path / "map.xlsx"
    mapping.write_bytes(xlsx_bytes([SheetSpec("S", [["Mã cũ", "Mã mới", "Tên mới"], ["C", "C9", "Đảng bộ phường 9"]])]))
    applied = app("orgs", "apply-mapping", str(mapping), "--date", "1/1/2026")
    assert applied.returncode == 0, applied.stderr
    listing = app("orgs", "list")
    assert "Đảng bộ phường 9 [C9]" in listing.stdout and "Đảng bộ xã An Bình [AB]" in listing.stdout
    bad_date = app("orgs", "dissolve", "AB", "--date", "31/02/2026")
    assert bad_date.returncode == 1 and "Ngày không hợp lệ" in bad_date.stderr


def test_cli105_db_upgrade_and_inspect_passthrough(app):
    up = app("db", "upgrade", "--json")
    assert up.returncode == 0 and json.loads(up.stdout)["revision"] == head_revision()
    inspected = app("inspect", "data/samples/commune_6thang_2025.xlsx", "--json")
    assert inspected.returncode == 0 and json.loads(inspected.stdout)["periods"][0]["period"]["id"] == "2025-H1"
