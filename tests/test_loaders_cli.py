"""`python -m loaders inspect`: the JSON shape, the readable report and the exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import ADMIN, SOE, standard_form, xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loaders", "inspect", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "bloc.xlsx"
    path.write_bytes(xlsx_bytes([standard_form(sheet="Quý I-2023")]))
    return path


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    spec = standard_form(sheet="Quý I-2023", total=None)
    for row in spec.rows:
        if len(row) > 1 and row[1] == "Chi bộ Sở Tư pháp":
            row[5] = 64  # female 64 of 18 members
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx_bytes([spec]))
    return path


def test_cli001_json_has_the_documented_shape(good_file: Path):
    proc = run_cli(str(good_file), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["file"] == "bloc.xlsx" and out["format"] == "xlsx"
    [period] = out["periods"]
    assert period["period"] == {"id": "2023-Q1", "kind": "quarter", "label": "Quý I/2023", "label_en": "Q1 2023",
                                "start": "2023-01-01", "end": "2023-03-31"}
    assert period["sheet"] == "Quý I-2023"
    assert period["organizations"] == len(ADMIN) + len(SOE)
    assert period["totals"]["members_total"] == sum(r[2] for r in ADMIN + SOE)
    admin = period["by_org_type"]["admin_agency"]
    assert admin == {"organizations": 3, **{k: sum(r[i] for r in ADMIN) for i, k in enumerate(
        ["members_total", "members_full", "members_probationary", "members_female", "members_ethnic_minority",
         "committee_members", "committee_female"], start=2)}}
    assert out["unmapped_columns"] == [{"sheet": "Quý I-2023", "column": "J", "header": "Ghi chú"}]
    assert out["issues"] == []


def test_cli002_errors_give_exit_1_and_issue_records(bad_file: Path):
    proc = run_cli(str(bad_file), "--json", "--lang", "en")
    assert proc.returncode == 1
    issues = json.loads(proc.stdout)["issues"]
    # the group row's female subtotal no longer matches either
    assert [i["code"] for i in issues] == ["group_total_mismatch", "female_exceeds_total"]
    issue = issues[1]
    assert {k: issue[k] for k in ("severity", "code", "sheet", "org", "metric", "value")} == {
        "severity": "error", "code": "female_exceeds_total", "sheet": "Quý I-2023", "org": "Chi bộ Sở Tư pháp",
        "metric": "members_female", "value": 64}
    assert issue["cell"].startswith("F")
    assert "exceed" in issue["message"]
    assert "nhiều hơn" in issue["message_vi"]


def test_cli003_unreadable_file_gives_exit_2_and_one_sentence(tmp_path: Path):
    path = tmp_path / "not.xlsx"
    path.write_bytes(b"%PDF-1.4 this is not a spreadsheet")
    proc = run_cli(str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not.xlsx" in proc.stderr
    proc = run_cli(str(path), "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "not_a_spreadsheet"


def test_cli004_readable_report_in_vietnamese_and_english(bad_file: Path):
    vi = run_cli(str(bad_file))
    assert vi.returncode == 1
    assert "Kỳ báo cáo: Quý I/2023" in vi.stdout
    assert "Số tổ chức: 5" in vi.stdout
    assert "LỖI" in vi.stdout and "female_exceeds_total" in vi.stdout
    en = run_cli(str(bad_file), "--lang", "en")
    assert "Period: Q1 2023" in en.stdout
    assert "ERROR" in en.stdout


def test_cli005_period_option_and_invalid_period(good_file: Path):
    proc = run_cli(str(good_file), "--json", "--period", "2023-Q1")
    assert proc.returncode == 0
    proc = run_cli(str(good_file), "--period", "quý một")
    assert proc.returncode == 2
    assert "2024-Q3" in proc.stderr  # the message shows valid examples
    assert "Traceback" not in proc.stderr


def test_cli006_missing_file_is_exit_2(tmp_path: Path):
    proc = run_cli(str(tmp_path / "khong-co.xlsx"))
    assert proc.returncode == 2
    assert "khong-co.xlsx" in proc.stderr and "Traceback" not in proc.stderr
