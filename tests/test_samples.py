"""The sample workbooks: figures, rules, layout and determinism, checked from the written cells.

Workbooks are read with openpyxl and python-calamine directly (not with the project's loader).
"""

from __future__ import annotations

import functools
import itertools
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from loaders import samples as S

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "samples"

# domain.md's bloc committee, 2023-Q1: (group numeral, heading, organizations, members)
EXPECTED_GROUPS = [
    ("I", "Cơ quan hành chính nhà nước", 49, 2978),
    ("II", "Đơn vị sự nghiệp công lập", 17, 1342),
    ("III", "Doanh nghiệp 100% vốn Nhà nước", 16, 2179),
    ("IV", "Doanh nghiệp có vốn Nhà nước trên 50%", 15, 1000),
    ("V", "Doanh nghiệp có vốn Nhà nước dưới 50%", 1, 11),
    ("VI", "Doanh nghiệp ngoài khu vực Nhà nước", 7, 331),
]
TYPE_OF_GROUP = {
    "Cơ quan hành chính nhà nước": "admin_agency",
    "Đơn vị sự nghiệp công lập": "public_service_unit",
    "Doanh nghiệp 100% vốn Nhà nước": "soe_100",
    "Doanh nghiệp có vốn Nhà nước trên 50%": "soe_majority",
    "Doanh nghiệp có vốn Nhà nước dưới 50%": "soe_minority",
    "Doanh nghiệp ngoài khu vực Nhà nước": "private_enterprise",
}
ABBREVIATION_TYPE = {
    "CQHC": "admin_agency", "ĐVSN": "public_service_unit", "DN 100% vốn NN": "soe_100",
    "DN >50% vốn NN": "soe_majority", "DN <50% vốn NN": "soe_minority", "DN ngoài NN": "private_enterprise",
}

# Header paths (after merges are resolved, repeats dropped) → what the column holds. Written out here,
# independently of the generator, so a wrong label or a shifted merge fails.
_MEMBERS = {
    ("Tổng số",): "members_total", ("Chia ra", "Chính thức"): "members_full",
    ("Chia ra", "Dự bị"): "members_probationary",
    ("Trong đó", "Nữ"): "members_female", ("Trong đó", "Dân tộc thiểu số"): "members_ethnic_minority",
    ("Trong đó", "Tôn giáo"): "members_religious", ("Trong đó", "Miễn SH"): "members_exempt",
}
_UP = {("Kết nạp",): "admitted", ("Chuyển đến",): "transferred_in", ("Phục hồi đảng tịch",): "reinstated"}
_DOWN = {("Từ trần",): "deceased", ("Xóa tên",): "removed", ("Khai trừ",): "expelled",
         ("Xin ra khỏi Đảng",): "resigned", ("Chuyển đi",): "transferred_out"}
_DISC = {("Tổng số",): "disciplined_total", ("Chia ra", "Khiển trách"): "disciplined_reprimand",
         ("Chia ra", "Cảnh cáo"): "disciplined_warning", ("Chia ra", "Cách chức"): "disciplined_dismissal",
         ("Chia ra", "Khai trừ"): "disciplined_expulsion"}
_RATE = {("Tổng số được đánh giá",): "rated_total", ("Trong đó", "HTXSNV"): "rated_excellent",
         ("Trong đó", "HTTNV"): "rated_good", ("Trong đó", "HTNV"): "rated_complete",
         ("Trong đó", "KHTNV"): "rated_failed"}


def _committee(age: int) -> dict[tuple[str, ...], str]:
    return {("Tổng số",): "committee_members", ("Trong đó", "Nữ"): "committee_female",
            ("Trong đó", f"Trẻ (dưới {age} tuổi)"): "committee_youth",
            ("Trong đó", "Dân tộc thiểu số"): "committee_ethnic_minority"}


def _under(parent: str, leaves: dict[tuple[str, ...], str]) -> dict[tuple[str, ...], str]:
    return {(parent, *k): v for k, v in leaves.items()}


def quarterly_headers(age: int) -> dict[tuple[str, ...], str]:
    h = {("STT",): "stt", ("Tên tổ chức cơ sở đảng",): "name", ("Ghi chú",): "note"}
    h |= _under("Số lượng đảng viên", _MEMBERS) | _under("Đảng viên tăng trong kỳ", _UP)
    h |= _under("Đảng viên giảm trong kỳ", _DOWN) | _under("Kỷ luật đảng viên", _DISC)
    h |= _under("Cấp ủy viên", _committee(age))
    h |= {("Công nhận đảng viên chính thức",): "recognized_full", ("Kiểm tra (lượt)",): "inspections",
          ("Giám sát (lượt)",): "supervisions", ("Bí thư đồng thời là thủ trưởng",): "secretary_is_head"}
    return h


def annual_headers() -> dict[tuple[str, ...], str]:
    h = {("STT",): "stt", ("Mã TCCS",): "code", ("Tên tổ chức cơ sở đảng",): "name", ("Loại hình",): "type",
         ("Đảng viên đầu năm",): "members_opening", ("Ghi chú",): "note"}
    h |= _under("Số lượng đảng viên (cuối năm)", _MEMBERS) | _under("Đảng viên tăng trong năm", _UP)
    h |= _under("Đảng viên giảm trong năm", _DOWN) | _under("Kỷ luật đảng viên", _DISC)
    h |= _under("Đánh giá, xếp loại đảng viên", _RATE) | _under("Cấp ủy viên", _committee(40))
    h |= {("Công nhận đảng viên chính thức",): "recognized_full", ("Kiểm tra (lượt)",): "inspections",
          ("Giám sát (lượt)",): "supervisions", ("Bí thư đồng thời là thủ trưởng",): "secretary_is_head"}
    return h


COMMUNE_HEADERS = {
    ("TT",): "stt", ("Tên chi bộ",): "name", ("Đảng viên", "Tổng số"): "members_total",
    ("Đảng viên", "Chính thức"): "members_full", ("Đảng viên", "Dự bị"): "members_probationary",
    ("Đảng viên", "Nữ"): "members_female", ("Kết nạp",): "admitted", ("Công nhận chính thức",): "recognized_full",
    ("Cấp ủy viên", "Tổng số"): "committee_members", ("Cấp ủy viên", "Nữ"): "committee_female",
    ("Cấp ủy viên", "Trẻ (dưới 40 tuổi)"): "committee_youth", ("Ghi chú",): "note",
}
TEXT_KEYS = {"stt", "name", "code", "type", "note", "parent"}


# ---------------------------------------------------------------------------------------------
# Reading

Grid = list[list[Any]]
Merges = list[tuple[int, int, int, int]]  # 0-based, inclusive: r1, c1, r2, c2


def read_openpyxl(path: Path, sheet: str) -> tuple[Grid, Merges]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
    return grid, merges


def read_calamine(path: Path, sheet: str) -> tuple[Grid, Merges]:
    sh = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    grid = [[None if v == "" else v for v in row] for row in sh.to_python(skip_empty_area=False)]
    merges = [(a[0], a[1], b[0], b[1]) for a, b in (sh.merged_cell_ranges or [])]
    return grid, merges


def number(value: Any) -> int | None:
    """A count cell as officials type it: 12, 12.0, "1.234", "-" (zero); blank stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise AssertionError(f"unexpected boolean {value!r}")
    if isinstance(value, float):
        assert value == int(value), value
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text == "-":
        return 0
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", text), f"not a count: {value!r}"
    return int(text.replace(".", ""))


def cell(grid: Grid, r: int, c: int) -> Any:
    row = grid[r] if r < len(grid) else []
    return row[c] if c < len(row) else None


def header_paths(grid: Grid, merges: Merges, top: int, bottom: int) -> list[tuple[str, ...]]:
    """Per column: the labels over it from ``top`` to ``bottom``, merged cells resolved, repeats dropped."""
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for r1, c1, r2, c2 in merges:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                owner[(r, c)] = (r1, c1)
    width = max(len(grid[r]) for r in range(top, bottom + 1))
    paths = []
    for c in range(width):
        path: list[str] = []
        for r in range(top, bottom + 1):
            v = cell(grid, *owner.get((r, c), (r, c)))
            if v is not None and (not path or path[-1] != v):
                path.append(str(v))
        paths.append(tuple(path))
    return paths


def parse_form(grid: Grid, merges: Merges, expected: dict[tuple[str, ...], str]) -> dict[str, Any]:
    """Rows of a form: header located by "STT"/"TT", columns mapped by ``expected``, body up to the first blank row."""
    top = next(r for r, row in enumerate(grid) if row and row[0] in ("STT", "TT"))
    numrow = next(r for r in range(top + 1, len(grid)) if cell(grid, r, 0) in ("(1)", 1, 1.0, "1"))
    paths = header_paths(grid, merges, top, numrow - 1)
    columns: dict[str, int] = {}
    for c, path in enumerate(paths):
        if not path:
            assert all(cell(grid, r, c) is None for r in range(top, len(grid))), f"spacer column {c} is not blank"
            continue
        assert path in expected, f"unexpected header {path}"
        columns[expected[path]] = c
    assert set(columns) == set(expected.values()), set(expected.values()) - set(columns)
    rows = []
    r = numrow + 1
    while r < len(grid) and any(v is not None for v in grid[r]):
        first = cell(grid, r, 0)
        if isinstance(first, (int, float)):
            kind = "org"
        elif isinstance(first, str) and first.strip():
            kind = "group"
        else:
            kind = "total"
        values = {k: cell(grid, r, c) for k, c in columns.items()}
        rows.append({"kind": kind, "row": r, "first": first, **values})
        r += 1
    return {"top": top, "number_row": numrow, "rows": rows, "columns": columns, "paths": paths, "end": r}


def metrics_of(row: dict[str, Any], metrics: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for m in metrics:
        v = number(row[m])
        if v is None:
            assert m == "secretary_is_head" and row["kind"] == "org", f"blank {m} in {row['name']}"
            v = 0
        out[m] = v
    return out


def add(rows: list[dict[str, int]], metrics: tuple[str, ...]) -> dict[str, int]:
    return {m: sum(r[m] for r in rows) for m in metrics}


# ---------------------------------------------------------------------------------------------
# Fixtures

@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    S.write_samples(out)
    return out


def quarter_sheet(period: str) -> str:
    year, q = period.split("-Q")
    return f"Quý {['I', 'II', 'III', 'IV'][int(q) - 1]}-{year}"


# ---------------------------------------------------------------------------------------------
# The bloc committee: 2023-Q1 as in domain.md

def test_quarter_one_2023_has_the_domain_figures(written: Path) -> None:
    grid, merges = read_openpyxl(written / S.QUARTERLY_FILE, "Quý I-2023")
    form = parse_form(grid, merges, quarterly_headers(40))
    rows = form["rows"]
    total = rows[0]
    assert total["kind"] == "total" and total["name"] == "TỔNG CỘNG"
    assert total["row"] == form["number_row"] + 1  # directly under the column-number row
    orgs = [r for r in rows if r["kind"] == "org"]
    assert len(orgs) == 105
    assert number(total["members_total"]) == 7841 == sum(number(r["members_total"]) for r in orgs)
    # count organizations by the group they sit under
    found = []
    group = None
    for r in rows[1:]:
        if r["kind"] == "group":
            group = {"numeral": r["first"], "name": r["name"], "declared": number(r["members_total"]), "orgs": []}
            found.append(group)
        else:
            assert r["kind"] == "org" and group is not None
            group["orgs"].append(r)
    got = [(g["numeral"], g["name"], len(g["orgs"]), sum(number(o["members_total"]) for o in g["orgs"]))
           for g in found]
    assert got == EXPECTED_GROUPS
    for g in found:
        assert g["declared"] == sum(number(o["members_total"]) for o in g["orgs"])
        assert [o["first"] for o in g["orgs"]] == list(range(1, len(g["orgs"]) + 1))  # STT restarts per group


def test_series_per_type_counts_for_any_seed() -> None:
    for seed in (42, 7, 2025):
        orgs = S.bloc_organizations(seed)
        q1 = S.bloc_series(seed)["2023-Q1"]
        counts: dict[str, list[int]] = {}
        for o in orgs:
            c = counts.setdefault(o["org_type"], [0, 0])
            c[0] += 1
            c[1] += q1[o["code"]]["members_total"]
        expected = {TYPE_OF_GROUP[name]: [n, m] for _, name, n, m in EXPECTED_GROUPS}
        assert counts == expected, seed
        assert [o["code"] for o in orgs] == [f"TCCS-{i:03d}" for i in range(1, 106)]
        assert len({o["name"] for o in orgs}) == 105


# ---------------------------------------------------------------------------------------------
# Written cells = bloc_series, group and total rows = sums

def test_every_quarter_sheet_matches_the_series(written: Path) -> None:
    path = written / S.QUARTERLY_FILE
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Hướng dẫn"] + [quarter_sheet(p) for p in S.QUARTERS]
    assert len(S.QUARTERS) == 15
    guide = [v for row in wb["Hướng dẫn"].iter_rows(values_only=True) for v in row if v is not None]
    assert any("01-BTCTW" in str(v) for v in guide) and not any(isinstance(v, (int, float)) for v in guide)
    series = S.bloc_series()
    orgs = S.bloc_organizations()
    for period in S.QUARTERS:
        ws = wb[quarter_sheet(period)]
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        year, q = period.split("-Q")
        age = 42 if period >= "2025-Q2" else 40
        form = parse_form(grid, merges, quarterly_headers(age))
        title = " ".join(str(v) for row in grid[: form["top"]] for v in row if v is not None)
        roman_q = ["I", "II", "III", "IV"][int(q) - 1]
        assert f"QUÝ {roman_q} NĂM {year}" in title
        assert f"(Tính đến ngày {['31/3', '30/6', '30/9', '31/12'][int(q) - 1]}/{year})" in title
        rows = form["rows"]
        org_rows = [r for r in rows if r["kind"] == "org"]
        assert [r["name"] for r in org_rows] == [o["name"] for o in orgs]
        got = [metrics_of(r, S.QUARTERLY_METRICS) for r in org_rows]
        assert got == [series[period][o["code"]] for o in orgs], period
        for r in org_rows:
            assert r["secretary_is_head"] in (1, None)
        # total at the top, groups carry their subtotals
        assert rows[0]["kind"] == "total"
        assert metrics_of(rows[0], S.QUARTERLY_METRICS) == add(got, S.QUARTERLY_METRICS)
        i = 1
        while i < len(rows):
            g = rows[i]
            assert g["kind"] == "group"
            j = i + 1
            while j < len(rows) and rows[j]["kind"] == "org":
                j += 1
            members = [metrics_of(r, S.QUARTERLY_METRICS) for r in rows[i + 1: j]]
            assert members and metrics_of(g, S.QUARTERLY_METRICS) == add(members, S.QUARTERLY_METRICS)
            i = j


def test_annual_workbook_read_with_calamine(written: Path) -> None:
    path = written / S.ANNUAL_FILE
    assert CalamineWorkbook.from_path(str(path)).sheet_names == [f"Năm {y}" for y in S.YEARS]
    series = S.bloc_series()
    orgs = S.bloc_organizations()
    for year in S.YEARS:
        grid, merges = read_calamine(path, f"Năm {year}")
        form = parse_form(grid, merges, annual_headers())
        assert form["top"] == 7 and form["number_row"] == 10  # headers on rows 8–10, numbers on 11 (1-based)
        title = " ".join(str(v) for row in grid[: form["top"]] for v in row if v is not None)
        assert f"XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN VÀ SỐ LƯỢNG ĐẢNG VIÊN NĂM {year}" in title
        assert f"(Tính đến ngày 31/12/{year})" in title
        rows = form["rows"]
        assert [r["kind"] for r in rows] == ["org"] * 105 + ["total"]  # no group rows; total at the bottom
        assert rows[-1]["name"] == "Cộng"
        assert [r["code"] for r in rows[:-1]] == [o["code"] for o in orgs]
        assert [ABBREVIATION_TYPE[r["type"]] for r in rows[:-1]] == [o["org_type"] for o in orgs]
        got = [metrics_of(r, S.ANNUAL_METRICS) for r in rows[:-1]]
        assert got == [series[year][o["code"]] for o in orgs], year
        assert metrics_of(rows[-1], S.ANNUAL_METRICS) == add(got, S.ANNUAL_METRICS)


def test_commune_workbook(written: Path) -> None:
    path = written / S.COMMUNE_FILE
    grid, merges = read_calamine(path, "6 tháng 2025")
    form = parse_form(grid, merges, COMMUNE_HEADERS)
    assert form["number_row"] - form["top"] == 2  # two header rows
    numbers = [v for v in grid[form["number_row"]] if v is not None]
    assert numbers[:4] == [1, 2, "3=4+5", 4]
    title = " ".join(str(v) for row in grid[: form["top"]] for v in row if v is not None)
    assert "6 THÁNG ĐẦU NĂM 2025" in title and "ĐẢNG ỦY XÃ" in title
    rows = form["rows"]
    assert rows[-1]["kind"] == "total" and rows[-1]["name"] == "Toàn Đảng bộ"
    groups = [(r["first"], r["name"]) for r in rows if r["kind"] == "group"]
    assert groups == [("A", "Chi bộ nông thôn"), ("B", "Chi bộ cơ quan, đơn vị")]
    org_rows = [r for r in rows if r["kind"] == "org"]
    orgs = S.commune_organizations()
    assert 20 <= len(org_rows) == len(orgs) <= 30
    assert [r["name"] for r in org_rows] == [o["name"] for o in orgs]
    assert all(r["name"].startswith("Chi bộ ") for r in org_rows)
    values = S.commune_series()["2025-H1"]
    got = [metrics_of(r, S.COMMUNE_METRICS) for r in org_rows]
    assert got == [values[o["code"]] for o in orgs]
    assert metrics_of(rows[-1], S.COMMUNE_METRICS) == add(got, S.COMMUNE_METRICS)
    for letter in ("A", "B"):
        g = next(r for r in rows if r["kind"] == "group" and r["first"] == letter)
        members = [got[i] for i, o in enumerate(orgs) if o["group"] == letter]
        assert metrics_of(g, S.COMMUNE_METRICS) == add(members, S.COMMUNE_METRICS)
    for v in got:
        assert v["members_full"] + v["members_probationary"] == v["members_total"]
        assert v["members_female"] <= v["members_total"]
        assert max(v["committee_female"], v["committee_youth"]) <= v["committee_members"]


# ---------------------------------------------------------------------------------------------
# Rules of domain.md

def check_rules(seed: int) -> None:
    series = S.bloc_series(seed)
    for period, orgs in series.items():
        annual = "Q" not in period
        for code, v in orgs.items():
            where = f"{period} {code}"
            assert all(isinstance(x, int) and x >= 0 for x in v.values()), where
            assert v["members_full"] + v["members_probationary"] == v["members_total"], where
            for m in ("members_female", "members_ethnic_minority", "members_religious", "members_exempt"):
                assert v[m] <= v["members_total"], where
            assert sum(v[m] for m in S.DISCIPLINE[1:]) == v["disciplined_total"], where
            assert v["expelled"] == v["disciplined_expulsion"], where
            assert 3 <= v["committee_members"] <= 9, where
            for m in ("committee_female", "committee_youth", "committee_ethnic_minority"):
                assert v[m] <= v["committee_members"], where
            assert v["secretary_is_head"] in (0, 1), where
            if annual:
                assert sum(v[m] for m in S.RATINGS[1:]) <= v["rated_total"] <= v["members_total"], where
                assert 5 * v["rated_excellent"] <= v["rated_good"], where  # excellent ≤ 20% of good
    # balance over consecutive periods, and probationary members: admitted in, recognized out
    chain = [p for p in S.YEARS if p <= "2022"] + list(S.QUARTERS)
    for prev, cur in itertools.pairwise(chain):
        for code, v in series[cur].items():
            p = series[prev][code]
            inflow = v["admitted"] + v["transferred_in"] + v["reinstated"]
            outflow = v["deceased"] + v["expelled"] + v["removed"] + v["resigned"] + v["transferred_out"]
            assert p["members_total"] + inflow - outflow == v["members_total"], (prev, cur, code)
            assert p["members_probationary"] + v["admitted"] - v["recognized_full"] == v["members_probationary"]
    for year in S.YEARS:
        for code, v in series[year].items():
            if year != "2020":
                assert v["members_opening"] == series[str(int(year) - 1)][code]["members_total"]
            inflow = v["admitted"] + v["transferred_in"] + v["reinstated"]
            outflow = v["deceased"] + v["expelled"] + v["removed"] + v["resigned"] + v["transferred_out"]
            assert v["members_opening"] + inflow - outflow == v["members_total"], (year, code)
    # the annual 2023 and 2024 figures are their quarters
    for year in ("2023", "2024"):
        for code, v in series[year].items():
            qs = [series[f"{year}-Q{q}"][code] for q in range(1, 5)]
            for m in S.FLOWS:
                assert v[m] == sum(q[m] for q in qs), (year, code, m)
            for m in S.MEMBER_STOCKS + S.COMMITTEE + ("secretary_is_head",):
                assert v[m] == qs[-1][m], (year, code, m)
    # realistic magnitudes
    for year in S.YEARS:
        tot = {m: sum(v[m] for v in series[year].values()) for m in S.ANNUAL_METRICS}
        assert 0.02 <= tot["admitted"] / tot["members_opening"] <= 0.04, year
        assert tot["disciplined_total"] <= 0.01 * tot["members_total"], year
        assert tot["rated_good"] + tot["rated_excellent"] >= 0.9 * tot["rated_total"], year
    agencies = [v for code, v in series["2023-Q1"].items()
                if next(o for o in S.bloc_organizations(seed) if o["code"] == code)["org_type"] == "admin_agency"]
    share = sum(v["members_female"] for v in agencies) / sum(v["members_total"] for v in agencies)
    assert 0.38 <= share <= 0.52


@pytest.mark.parametrize("seed", [42, 7, 99])
def test_every_rule_holds_in_bloc_series(seed: int) -> None:
    check_rules(seed)


def test_rule_checker_catches_a_broken_balance(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = S.bloc_series(42)
    broken["2024-Q2"]["TCCS-010"]["admitted"] += 1  # one admission that never reaches the rolls
    monkeypatch.setattr(S, "bloc_series", lambda seed=42: broken)
    with pytest.raises(AssertionError):
        check_rules(42)


# ---------------------------------------------------------------------------------------------
# Determinism

@functools.lru_cache(maxsize=16)
def grids(path: Path) -> dict[str, Grid]:
    """Every sheet's values (cached: written files do not change during the session)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_same_seed_same_bytes_other_seed_other_values(tmp_path: Path, written: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    S.write_samples(again)
    S.write_samples(other, seed=7)
    for name in S.SAMPLE_FILES:
        assert (again / name).read_bytes() == (written / name).read_bytes(), name
        assert grids(other / name) != grids(written / name), name
    assert S.bloc_series(42) == S.bloc_series(42)
    assert S.bloc_series(42) != S.bloc_series(7)
    assert S.commune_series(42) != S.commune_series(7)


def test_committed_samples_are_current(written: Path) -> None:
    for name in S.SAMPLE_FILES:
        committed = COMMITTED / name
        assert committed.exists(), f"run python data/samples/generate.py to create {committed}"
        assert grids(committed) == grids(written / name), f"{name} is stale: run python data/samples/generate.py"
        assert committed.stat().st_size < 400_000


# ---------------------------------------------------------------------------------------------
# Looks like the real thing

def test_text_and_styles_look_official(written: Path) -> None:
    wb = openpyxl.load_workbook(written / S.QUARTERLY_FILE)
    ws = wb["Quý II-2024"]
    texts = [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    for must in ("ĐẢNG CỘNG SẢN VIỆT NAM", "BAN TỔ CHỨC", "Biểu số 01-BTCTW", "NGƯỜI LẬP BIỂU", "T/M BAN THƯỜNG VỤ",
                 "TRƯỞNG BAN", S.BLOC_ISSUER):
        assert must in texts, must
    assert any(t.startswith("Ghi chú:") for t in texts)
    assert "Thanh Hóa, ngày 05 tháng 7 năm 2024" in texts
    assert ws.freeze_panes == "C12"
    assert ws["A5"].font.bold and ws["A5"].alignment.horizontal == "center"
    assert any(str(m) == "A5:AF5" for m in ws.merged_cells.ranges)  # title across the form
    assert ws["C13"].number_format == "#,##0" and ws["C13"].border.left.style == "thin"
    assert ws["B13"].font.bold and not ws["B14"].font.bold  # group row bold, organization row not
    assert ws.column_dimensions["B"].width > 30 and ws.column_dimensions["S"].width < 3  # name, spacer
    for name in S.SAMPLE_FILES:
        book = openpyxl.load_workbook(written / name)
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str):
                        assert unicodedata.is_normalized("NFC", v), v
                        assert not v.startswith("="), v
    # quirks of real files, somewhere in the quarterly book
    cells = [v for s in wb.worksheets[1:] for row in s.iter_rows(min_row=12, values_only=True) for v in row[2:31]]
    assert sum(1 for v in cells if v == "-") >= 15
    assert sum(1 for v in cells if isinstance(v, str) and re.fullmatch(r"\d{1,3}\.\d{3}", v)) >= 3  # "7.841"
    assert sum(1 for v in cells if isinstance(v, str) and re.fullmatch(r"\d{1,3}", v)) >= 15  # "45" as text


# ---------------------------------------------------------------------------------------------
# National scale

def test_write_national_small(tmp_path: Path) -> None:
    path = tmp_path / "national.xlsx"
    info = S.write_national(path, organizations=2_000)
    assert info["organizations"] == 2_000 and info["provinces"] == 34 and info["rows"] == 6 + 34 + 2_000
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    grid = [[None if v == "" else v for v in row] for row in sheet.to_python(skip_empty_area=False)]
    assert grid[0][0] == "THỐNG KÊ SỐ LƯỢNG ĐẢNG VIÊN TOÀN QUỐC NĂM 2024"
    merges = [(a[0], a[1], b[0], b[1]) for a, b in sheet.merged_cell_ranges]
    paths = header_paths(grid, merges, 3, 4)
    assert paths[:5] == [("STT",), ("Mã",), ("Tên tổ chức cơ sở đảng",), ("Đảng bộ cấp trên",), ("Loại hình",)]
    assert len(paths) == 35 and ("Số lượng đảng viên", "Tổng số") in paths and ("Cấp ủy viên", "Nữ") in paths
    assert grid[5][2] == "TỔNG CỘNG"
    metrics = range(5, 35)

    def nums(row: list[Any]) -> list[int]:
        return [number(row[c]) or 0 for c in metrics]

    groups: list[tuple[list[Any], list[list[Any]]]] = []
    for row in grid[6:]:
        if isinstance(row[0], str):
            groups.append((row, []))
        else:
            groups[-1][1].append(row)
    assert [g[0][0] for g in groups] == [S.roman(i) for i in range(1, 35)]
    assert [g[0][2] for g in groups] == list(S.PROVINCES_2025)
    orgs = [r for _, rs in groups for r in rs]
    assert len(orgs) == 2_000
    codes = [r[1] for r in orgs]
    assert all(isinstance(c, str) and re.fullmatch(r"\d{2}\.\d{4}\.\d{5}", c) for c in codes)
    assert len(set(codes)) == 2_000
    total = [0] * 30
    for group, rs in groups:
        sums = [sum(col) for col in zip(*(nums(r) for r in rs), strict=True)]
        assert nums(group) == sums, group[2]
        assert [number(r[0]) for r in rs] == list(range(1, len(rs) + 1))  # STT restarts per province
        total = [a + b for a, b in zip(total, sums, strict=True)]
    assert nums(grid[5]) == total
    for r in orgs:
        v = dict(zip(S.NATIONAL_METRICS, nums(r), strict=True))
        assert v["members_full"] + v["members_probationary"] == v["members_total"]
        assert sum(v[m] for m in S.DISCIPLINE[1:]) == v["disciplined_total"]
        assert sum(v[m] for m in S.RATINGS[1:]) <= v["rated_total"] <= v["members_total"]
        assert 5 * v["rated_excellent"] <= v["rated_good"]
        assert max(v["committee_female"], v["committee_youth"]) <= v["committee_members"]
        assert r[3].startswith("Đảng bộ ")


def test_command_lines(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(COMMITTED / "generate.py"), str(out)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(S.SAMPLE_FILES)
    national = tmp_path / "nat.xlsx"
    assert S.main(["national", str(national), "--organizations", "300", "--provinces", "5", "--communes", "20"]) == 0
    sheet = CalamineWorkbook.from_path(str(national)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert sum(1 for r in rows[6:] if isinstance(r[1], str) and r[1]) == 300
