"""Layout detection: each feature of real forms, in a workbook built in code."""

from __future__ import annotations

import unicodedata

import pytest
from openpyxl.worksheet.cell_range import CellRange

from loaders import load
from tests.builders import ADMIN, SOE, TITLE, SheetSpec, cell_of, form_header, org, standard_form, summed, xlsx_bytes


def _load(*sheets: SheetSpec, **kwargs):
    return load(xlsx_bytes(sheets), filename="test.xlsx", **kwargs)


def _codes(result) -> list[tuple[str | None, str]]:
    return [(i.cell, i.code) for i in result.issues]


def test_lay001_standard_form_reads_organizations_not_group_or_total_rows():
    result = _load(standard_form())
    assert result.issues == []
    [pdata] = result.periods
    assert pdata.period.id == "2023-Q1"
    assert [r.name for r in pdata.records] == [r[1] for r in ADMIN + SOE]
    totals = pdata.totals()
    assert totals["members_total"] == 45 + 18 + 60 + 120 + 15
    assert totals["members_female"] == 20 + 9 + 25 + 30 + 6
    assert totals["committee_female"] == 2 + 1 + 3 + 2 + 1
    kinds = [(d.kind, d.label) for d in pdata.declared]
    assert kinds == [("total", "TỔNG CỘNG"), ("group", "Cơ quan hành chính nhà nước"),
                     ("group", "Doanh nghiệp 100% vốn Nhà nước")]


def test_lay002_group_rows_set_org_type_and_stt_restarts():
    result = _load(standard_form())
    records = result.periods[0].records
    assert [r.org_type for r in records] == ["admin_agency"] * 3 + ["soe_100"] * 2
    by_type = result.periods[0].by_org_type()
    assert by_type["admin_agency"]["organizations"] == 3
    assert by_type["admin_agency"]["members_total"] == 45 + 18 + 60
    assert by_type["soe_100"]["members_total"] == 135


def test_lay003_every_value_keeps_its_source_cell():
    spec = standard_form()
    result = _load(spec)
    rec = result.periods[0].records[3]  # Đảng bộ Công ty Điện lực
    assert rec.cells["members_total"] == cell_of(spec, "Đảng bộ Công ty Điện lực", 2)
    assert rec.cells["committee_female"] == cell_of(spec, "Đảng bộ Công ty Điện lực", 8)
    assert rec.name_cell == cell_of(spec, "Đảng bộ Công ty Điện lực", 1)


def test_lay004_header_rows_and_notes_column_are_reported():
    result = _load(standard_form())
    top = len(TITLE) + 1
    assert result.sheets[0].header_rows == [top, top + 1, top + 2]
    assert [(c.column, c.header) for c in result.unmapped_columns] == [("J", "Ghi chú")]
    targets = {c.column: c.target for c in result.columns}
    assert targets["C"] == "members_total"
    assert targets["F"] == "members_female"
    assert targets["I"] == "committee_female"


def test_lay005_total_row_at_bottom_is_cross_checked():
    spec = standard_form(total="bottom", total_label="Cộng")
    # break the bottom total's female count by one
    for row in spec.rows:
        if len(row) > 1 and row[1] == "Cộng":
            row[5] += 1
    result = _load(spec)
    assert _codes(result) == [(cell_of(spec, "Cộng", 5), "grand_total_mismatch")]
    assert result.periods[0].totals()["members_female"] == 90  # organizations only, never the total row


def test_lay006_group_subtotal_mismatch_points_at_the_group_cell():
    spec = standard_form()
    for row in spec.rows:
        if len(row) > 1 and row[1] == "Doanh nghiệp 100% vốn Nhà nước":
            row[2] = 999
    result = _load(spec)
    codes = _codes(result)
    assert (cell_of(spec, "Doanh nghiệp 100% vốn Nhà nước", 2), "group_total_mismatch") in codes
    # the grand total still matches the organizations, so it raises nothing
    assert [c for c in codes if c[1] == "grand_total_mismatch"] == []


def test_lay007_letter_groups_with_roman_subgroups():
    groups = [("A", "Khối cơ quan", []), ("I", "Cơ quan hành chính nhà nước", ADMIN),
              ("B", "Khối doanh nghiệp", []), ("I", "Doanh nghiệp 100% vốn Nhà nước", SOE)]
    spec = standard_form(groups=groups, total=None)
    # the outer letter rows carry the sums of their inner groups
    for row in spec.rows:
        if len(row) > 1 and row[1] == "Khối cơ quan":
            row[2:9] = summed(None, "", ADMIN)[2:9]
        if len(row) > 1 and row[1] == "Khối doanh nghiệp":
            row[2:9] = summed(None, "", SOE)[2:9]
    result = _load(spec)
    assert result.issues == []
    levels = [(d.label, d.level, len(d.members)) for d in result.periods[0].declared]
    assert levels == [("Khối cơ quan", 0, 3), ("Cơ quan hành chính nhà nước", 1, 3),
                      ("Khối doanh nghiệp", 0, 2), ("Doanh nghiệp 100% vốn Nhà nước", 1, 2)]
    assert [r.org_type for r in result.periods[0].records] == ["admin_agency"] * 3 + ["soe_100"] * 2


def test_lay008_type_name_headings_without_markers_are_groups():
    groups = [(None, "Cơ quan hành chính nhà nước", ADMIN), (None, "Doanh nghiệp 100% vốn Nhà nước", SOE)]
    result = _load(standard_form(groups=groups))
    assert result.issues == []
    assert len(result.periods[0].records) == 5
    assert [d.kind for d in result.periods[0].declared] == ["total", "group", "group"]


def test_lay009_group_marker_inside_the_name_cell():
    groups = [(None, "I. Cơ quan hành chính nhà nước", ADMIN), (None, "II. Doanh nghiệp 100% vốn Nhà nước", SOE)]
    result = _load(standard_form(groups=groups))
    assert result.issues == []
    assert [d.label for d in result.periods[0].declared[1:]] == ["Cơ quan hành chính nhà nước",
                                                                  "Doanh nghiệp 100% vốn Nhà nước"]


def test_lay010_one_header_row_and_plain_column_numbers():
    rows = [["DANH SÁCH TỔ CHỨC CƠ SỞ ĐẢNG NĂM 2024"], [],
            ["TT", "Đơn vị", "Tổng số ĐV", "ĐV nữ", "Kết nạp", "Ghi chú"],
            [1, 2, 3, 4, 5, 6],
            [1, "Chi bộ A", 10, 4, 1, None],
            [2, "Chi bộ B", "1.234", 500, "-", "mới thành lập"],
            [None, "Tổng cộng", "1.244", 504, 1, None]]
    result = load(xlsx_bytes([SheetSpec("DS", rows)]), filename="x.xlsx")
    assert result.issues == []
    [pdata] = result.periods
    assert pdata.period.id == "2024"
    assert [r.metrics for r in pdata.records] == [
        {"members_total": 10, "members_female": 4, "admitted": 1},
        {"members_total": 1234, "members_female": 500, "admitted": 0},
    ]


def test_lay011_two_header_rows_with_formula_column_numbers():
    rows = [["BÁO CÁO 6 THÁNG ĐẦU NĂM 2025"],
            ["STT", "Tên chi bộ, đảng bộ", "Đảng viên", None, None, "Kết nạp"],
            [None, None, "Tổng số", "Chính thức", "Dự bị", None],
            ["A", "B", "1=2+3", "2", "3", "4"],
            [1, "Chi bộ thôn Đông", 30, 28, 2, 1],
            [2, "Chi bộ thôn Tây", 25, 25, 0, 0],
            [None, "Toàn Đảng bộ", 55, 53, 2, 1]]
    spec = SheetSpec("6T-2025", rows, ["A2:A3", "B2:B3", "C2:E2", "F2:F3"])
    result = _load(spec)
    assert result.issues == []
    assert result.sheets[0].header_rows == [2, 3]
    [pdata] = result.periods
    assert pdata.period.id == "2025-H1"
    assert pdata.records[0].metrics == {"members_total": 30, "members_full": 28, "members_probationary": 2,
                                        "admitted": 1}


def test_lay012_instructions_sheet_is_skipped_and_one_sheet_per_period():
    instructions = SheetSpec("Hướng dẫn", [["HƯỚNG DẪN GHI BIỂU"], ["Ghi số nguyên, không ghi chữ."]])
    q1 = standard_form(sheet="Quý I-2023")
    q2 = standard_form(sheet="Quý II-2023", title=[["BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN QUÝ II NĂM 2023"], []])
    result = _load(instructions, q1, q2)
    assert [(s.name, s.role) for s in result.sheets] == [("Hướng dẫn", "instructions"), ("Quý I-2023", "data"),
                                                         ("Quý II-2023", "data")]
    assert [p.period.id for p in result.periods] == ["2023-Q1", "2023-Q2"]


def test_lay013_period_from_sheet_name_then_instructions_sheet():
    bare_title: list = [["BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN"], []]
    by_name = _load(standard_form(sheet="Q3.2024", title=bare_title))
    assert by_name.periods[0].period.id == "2024-Q3"
    instructions = SheetSpec("HD", [["Kỳ báo cáo: 9 tháng năm 2024"]])
    by_instructions = _load(instructions, standard_form(sheet="Biểu 1", title=bare_title))
    assert by_instructions.periods[0].period.id == "2024-9M"


def test_lay014_unknown_period_is_an_error_unless_given():
    bare_title: list = [["BÁO CÁO SỐ LƯỢNG ĐẢNG VIÊN"], []]
    result = _load(standard_form(sheet="Biểu 1", title=bare_title))
    assert [i.code for i in result.issues] == ["period_unknown"]
    assert result.has_errors
    given = _load(standard_form(sheet="Biểu 1", title=bare_title), period="2023-Q4")
    assert given.issues == []
    assert given.periods[0].period.id == "2023-Q4"


def test_lay015_given_period_overrides_a_single_sheet_with_a_warning():
    result = _load(standard_form(), period="2023-Q2")
    assert [(i.code, i.severity) for i in result.issues] == [("period_mismatch", "warning")]
    assert result.periods[0].period.id == "2023-Q2"


def test_lay016_signature_block_and_notes_below_the_table_are_ignored():
    spec = standard_form()
    spec.rows.append([None, "Nơi nhận:", None, 5])
    spec.rows.append([None, "- Lưu VP", 12])
    result = _load(spec)
    assert result.issues == []
    assert len(result.periods[0].records) == 5


def test_lay017_blank_spacer_column_is_ignored_and_other_columns_listed():
    rows = [["THỐNG KÊ ĐẢNG VIÊN NĂM 2022"],
            ["STT", "Tên tổ chức cơ sở đảng", None, "Tổng số đảng viên", "Số chi bộ", "Ghi chú"],
            [1, "Chi bộ A", None, 10, 2, None],
            [2, "Chi bộ B", None, 12, 3, "x"]]
    result = _load(SheetSpec("2022", rows))
    assert result.issues == []
    assert [(c.column, c.header) for c in result.unmapped_columns] == [("E", "Số chi bộ"), ("F", "Ghi chú")]


def test_lay018_type_column_with_abbreviations():
    rows = [["BÁO CÁO NĂM 2024"],
            ["STT", "Mã TCCS", "Tên TCCS đảng", "Loại hình", "Tổng số ĐV"],
            [1, "TCCS-001", "Đảng bộ Sở Y tế", "CQHC", 40],
            [2, "TCCS-002", "Chi bộ Bệnh viện Mắt", "ĐVSN", 20],
            [3, "TCCS-003", "Đảng bộ Công ty Cấp nước", "DN >50% vốn NN", 35],
            [4, "TCCS-004", "Chi bộ Công ty TNHH Hòa Phát", "DN CP, TN", 8],
            [5, "TCCS-005", "Chi bộ Công ty Liên doanh", "loại gì đó", 5],
            [None, "Cộng", None, None, 108]]
    result = _load(SheetSpec("Năm 2024", rows))
    records = result.periods[0].records
    assert [r.code for r in records] == [f"TCCS-00{i}" for i in range(1, 6)]
    assert [r.org_type for r in records] == ["admin_agency", "public_service_unit", "soe_majority",
                                              "private_enterprise", None]
    assert _codes(result) == [("D7", "org_type_unknown")]


def test_lay019_sub_units_numbered_1_1_are_children_and_not_counted_twice():
    rows = [["BÁO CÁO NĂM 2024"],
            ["STT", "Tên tổ chức đảng", "Tổng số đảng viên"],
            [1, "Đảng bộ Trường Đại học Y", 100],
            ["1.1", "Chi bộ Khoa Nội", 60],
            ["1.2", "Chi bộ Khoa Ngoại", 40],
            [2, "Chi bộ Sở Nội vụ", 20],
            [None, "Tổng cộng", 120]]
    result = _load(SheetSpec("2024", rows))
    assert result.issues == []
    pdata = result.periods[0]
    assert [r.parent for r in pdata.records] == [None, "Đảng bộ Trường Đại học Y", "Đảng bộ Trường Đại học Y", None]
    assert pdata.totals()["members_total"] == 120
    rows[2][2] = 90  # parent no longer equals its sub-units
    rows[6][2] = 110
    result = _load(SheetSpec("2024", rows))
    assert _codes(result) == [("C3", "parent_total_mismatch")]


def test_lay020_duplicate_organization_is_reported_and_counted_once():
    dup = [*ADMIN, org(4, "Chi bộ  Sở Tư  pháp", 18, 17, 1, 9, 0, 5, 1)]
    spec = standard_form(groups=[("I", "Cơ quan hành chính nhà nước", dup)], total=None)
    result = _load(spec)
    assert ("B" + cell_of(spec, "Chi bộ  Sở Tư  pháp", 1)[1:], "duplicate_org") in _codes(result)
    assert len(result.periods[0].records) == 3


def test_lay021_hidden_data_sheet_is_skipped_with_a_warning():
    hidden = standard_form(sheet="Cũ")
    hidden.hidden = True
    result = _load(standard_form(), hidden)
    assert [i.code for i in result.issues] == ["hidden_sheet_skipped"]
    assert [(s.name, s.role) for s in result.sheets] == [("Biểu 01", "data"), ("Cũ", "hidden")]
    assert len(result.periods) == 1


@pytest.mark.parametrize("transform", [
    lambda s: unicodedata.normalize("NFD", s),
    lambda s: s.upper(),
    lambda s: s.replace("ủy", "uỷ").replace("Đ", "Ð"),
    lambda s: s.replace(" ", "\u200b  "),
    lambda s: "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch)).replace(
        "Đ", "D").replace("đ", "d"),
])
def test_lay022_headers_in_any_spelling_map_alike(transform):
    spec = standard_form()
    top = len(TITLE)
    for r in range(top, top + 3):
        spec.rows[r] = [transform(v) if isinstance(v, str) else v for v in spec.rows[r]]
    result = _load(spec)
    assert result.issues == []
    assert {c.column: c.target for c in result.columns if c.target} == {
        "A": "stt", "B": "name", "C": "members_total", "D": "members_full", "E": "members_probationary",
        "F": "members_female", "G": "members_ethnic_minority", "H": "committee_members", "I": "committee_female",
        "J": "note"}


def test_lay023_column_mapping_for_an_odd_layout(tmp_path):
    rows = [["SỐ LIỆU NĂM 2024"],
            ["STT", "Tên tổ chức cơ sở đảng", "Cột X1", "Cột X2"],
            [1, "Chi bộ A", 10, 3],
            [2, "Chi bộ B", 12, 5]]
    plain = _load(SheetSpec("S", rows))
    assert [c.header for c in plain.unmapped_columns] == ["Cột X1", "Cột X2"]
    mapping = tmp_path / "cot.csv"
    mapping.write_text("tiêu đề,chỉ tiêu\nCột X1,members_total\nD,members_female\n", encoding="utf-8")
    mapped = _load(SheetSpec("S", rows), column_map=mapping)
    assert mapped.unmapped_columns == []
    assert mapped.periods[0].records[1].metrics == {"members_total": 12, "members_female": 5}
    with pytest.raises(ValueError, match="khong_co"):
        _load(SheetSpec("S", rows), column_map={"Cột X1": "khong_co"})


def test_lay024_sheets_of_the_same_period_are_merged_per_organization():
    members = [["BÁO CÁO NĂM 2024"], ["STT", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên", "Nữ"],
               [1, "Chi bộ A", 10, 4], [2, "Chi bộ B", 12, 5]]
    committee = [["CẤP ỦY NĂM 2024"], ["STT", "Tên tổ chức cơ sở đảng", "Cấp ủy viên", None, "Tổng số đảng viên"],
                 [None, None, "Tổng số", "Nữ", None],
                 [1, "Chi bộ B", 3, 1, 13], [2, "Chi bộ A", 3, 4, 10]]
    result = _load(SheetSpec("Biểu 1", members), SheetSpec("Biểu 2", committee, ["C2:D2", "A2:A3", "B2:B3",
                                                                                  "E2:E3"]))
    [pdata] = result.periods
    assert pdata.sheets == ["Biểu 1", "Biểu 2"]
    a = pdata.records[0]
    assert a.metrics == {"members_total": 10, "members_female": 4, "committee_members": 3, "committee_female": 4}
    assert a.cells["committee_members"] == "Biểu 2!C5"
    assert sorted(_codes(result)) == [("D5", "committee_female_exceeds_committee"), ("E4", "conflicting_values")]


def test_lay025_ratio_columns_fill_and_check_counts():
    rows = [["NĂM 2024"],
            ["STT", "Tên tổ chức cơ sở đảng", "Cấp ủy viên", "Cấp ủy viên nữ", "Tỷ lệ cấp ủy viên nữ (%)",
             "Tỷ lệ nữ"],
            [1, "Chi bộ A", 10, 2, "20%", "2/7"],
            [2, "Chi bộ B", 8, 2, "30,5%", None],
            [3, "Chi bộ C", None, None, "abc", None]]
    result = _load(SheetSpec("2024", rows))
    recs = result.periods[0].records
    assert recs[0].ratios["committee_female/committee_members"] == pytest.approx(0.2)
    assert recs[0].metrics["members_female"] == 2 and recs[0].metrics["members_total"] == 7
    assert sorted(_codes(result)) == [("D4", "ratio_mismatch"), ("E5", "invalid_ratio")]


def test_lay026_bad_values_are_issues_at_their_cells_and_loading_goes_on():
    groups = [("I", "Cơ quan hành chính nhà nước", [
        org(1, "Chi bộ A", "12 người", 10, 2, 5, 0, 3, 1),
        org(2, "Chi bộ B", 7.841, 7, 0, 3, 0, 3, 1),
        org(3, "Chi bộ C", 20, -1, 21, 5, 0, 3, 1),
    ])]
    spec = standard_form(groups=groups, total=None)
    for row in spec.rows:  # the group row holds text sums the builder cannot make
        if len(row) > 1 and row[1] == "Cơ quan hành chính nhà nước":
            row[2:9] = [None] * 7
    result = _load(spec)
    codes = _codes(result)
    assert (cell_of(spec, "Chi bộ A", 2), "invalid_number") in codes
    assert (cell_of(spec, "Chi bộ B", 2), "decimal_thousands") in codes
    assert (cell_of(spec, "Chi bộ C", 3), "negative_value") in codes
    assert len(result.periods[0].records) == 3
    assert "members_total" not in result.periods[0].records[0].metrics


def test_lay027_title_block_variants_name_the_period():
    cases = {
        "BÁO CÁO SỐ LIỆU ĐẢNG VIÊN NĂM 2019": "2019",
        "THỐNG KÊ 6 THÁNG ĐẦU NĂM 2024": "2024-H1",
        "(Tính đến ngày 31/12/2019)": "2019-12-31",
        "Kết quả từ đầu nhiệm kỳ 2015 - 2020 đến ngày 30/6/2019": "2019-06-30",
    }
    for line, expected in cases.items():
        result = _load(standard_form(sheet="Biểu", title=[["BAN TỔ CHỨC"], [line], []]))
        assert result.periods[0].period.id == expected, line


def test_lay028_header_found_below_a_long_title_block_and_offset_columns():
    # 12 empty rows, the title on row 13, the header from row 14, the table starting in column C
    header, merges = form_header(14)
    body = [[None, None, *r] for r in [*header, org(1, "Chi bộ A", 10, 9, 1, 4, 0, 3, 1)]]
    moved = []
    for m in merges:
        rng = CellRange(m)
        rng.shift(col_shift=2)
        moved.append(rng.coord)
    spec = SheetSpec("Quý I-2023", [*[[None]] * 12, ["BÁO CÁO QUÝ I NĂM 2023"], *body], moved)
    result = _load(spec)
    assert result.issues == []
    assert result.sheets[0].header_rows == [14, 15, 16]
    rec = result.periods[0].records[0]
    assert rec.metrics["members_female"] == 4
    assert rec.cells["members_total"] == "E18"
