"""The interface's words in Vietnamese (default) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["vi", "en"]

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("Thống kê đảng viên", "Party membership statistics"),
    "sample": ("Dữ liệu mẫu", "Sample data"),
    "period": ("Kỳ báo cáo", "Period"),
    "compare": ("So sánh với", "Compare with"),
    "cmp_previous": ("Kỳ trước", "Previous period"),
    "cmp_same_last_year": ("Cùng kỳ năm trước", "Same period last year"),
    "cmp_term_start": ("Đầu nhiệm kỳ", "Start of term"),
    "org": ("Tổ chức", "Organization"),
    "org_all": ("Toàn bộ", "Everything"),
    "org_all_search": ("Toàn bộ (gõ tên hoặc mã để tìm cấp dưới)", "Everything (type a name or code to find lower "
                                                                  "levels)"),
    "types": ("Loại hình", "Organization types"),
    "types_all": ("Tất cả loại hình", "All types"),
    "clear": ("Bỏ lọc", "Clear"),
    "filtered_by": ("Đang lọc", "Filtered by"),
    "page_overview": ("Tổng quan", "Overview"),
    "page_admissions": ("Phát triển đảng viên", "Admissions"),
    "page_discipline": ("Kỷ luật", "Discipline"),
    "page_composition": ("Cơ cấu", "Composition"),
    "page_quality": ("Chất lượng", "Quality ratings"),
    "page_balance": ("Biến động", "Balance"),
    "page_orgs": ("Tổ chức", "Organizations"),
    "page_data": ("Dữ liệu", "Data"),
    "page_unit": ("Đơn vị", "Organization"),
    "unit_pick": ("Chọn một tổ chức: bấm vào một dòng của bảng ở trang Tổ chức, một tên trong các danh sách, "
                  "hoặc chọn ở ô «Tổ chức» phía trên.",
                  "Choose an organization: click a row of the table on the Organizations page, a name in a list, "
                  "or pick one in the Organization box above."),
    "unit_unknown": ("Không tìm thấy tổ chức «{ref}» (hoặc tổ chức này nằm ngoài phạm vi của bạn).",
                     "No organization «{ref}» (or it is outside your scope)."),
    "unit_under": ("Trực thuộc", "Under"),
    "unit_code": ("Mã", "Code"),
    "unit_by_period": ("Số liệu qua các kỳ", "Figures by period"),
    "unit_children": ("Tổ chức trực thuộc", "Organizations under it"),
    "unit_open": ("Xem trang đơn vị", "Open its page"),
    "page_reports": ("Báo cáo", "Reports"),
    "rep_charts": ("Biểu đồ đưa vào báo cáo", "Charts in the report"),
    "rep_format": ("Định dạng", "Format"),
    "rep_build": ("Tạo báo cáo", "Make the report"),
    "rep_cancel": ("Hủy", "Cancel"),
    "rep_done": ("Đã tạo xong: {name}", "Done: {name}"),
    "rep_template": ("Tải mẫu nhập số liệu cho kỳ này (Excel)", "Download the import template for this period (Excel)"),
    "no_data": ("Chưa có số liệu cho lựa chọn này.", "No figures for this selection."),
    "organizations": ("Tổ chức cơ sở đảng", "Grassroots organizations"),
    "members_total": ("Đảng viên", "Members"),
    "members_probationary": ("Đảng viên dự bị", "Probationary members"),
    "admitted": ("Kết nạp", "Admitted"),
    "recognized_full": ("Công nhận chính thức", "Recognized as full"),
    "disciplined_total": ("Bị kỷ luật", "Disciplined"),
    "removed": ("Xóa tên", "Removed"),
    "women_pct": ("Đảng viên nữ", "Women members"),
    "committee_women_pct": ("Cấp ủy viên nữ", "Women on committees"),
    "committee_youth_pct": ("Cấp ủy viên trẻ", "Young committee members"),
    "secretary_pct": ("Bí thư là thủ trưởng", "Secretary is the head"),
    "vs": ("so với", "vs"),
    "target_met": ("đạt chỉ tiêu", "target met"),
    "target_not_met": ("chưa đạt chỉ tiêu", "target not met"),
    "narrative": ("Nhận định", "Summary"),
    "copy": ("Sao chép", "Copy"),
    "search": ("Tìm tổ chức…", "Search organizations…"),
    "tree_button": ("Cây tổ chức", "Tree"),
    "tree_title": ("Chọn tổ chức", "Choose an organization"),
    "tree_open": ("Xem các tổ chức trực thuộc", "Show the organizations under it"),
    "tree_found": ("Tìm thấy {n} tổ chức", "{n} organizations found"),
    "tree_more": ("… và {n} tổ chức khác: gõ tên để tìm", "… and {n} more: type a name to find one"),
    "list_more": ("… và {n} tổ chức khác (xem bảng ở trang Tổ chức)",
                  "… and {n} more (see the table on the Organizations page)"),
    "grid_hint": ("Bấm vào một dòng để mở trang của tổ chức đó; bấm vào một ô của biểu đồ để xem bên trong.",
                  "Click a row to open that organization's page; click a box of the chart to look inside it."),
    "upload_hint": ("Kéo thả tệp Excel/CSV vào đây hoặc bấm để chọn", "Drop an Excel/CSV file here or click to choose"),
    "data_working": ("Máy chủ đang xử lý tệp, vui lòng chờ…", "The server is working on the file, please wait…"),
    "upload_expired": ("Tệp tải lên đã hết hạn (sau một giờ); hãy tải tệp lên lại.",
                       "The uploaded file has expired (after an hour); please upload it again."),
    "create_orgs": ("Tạo tổ chức mới nếu chưa có", "Create organizations that are new"),
    "accept_warnings": ("Chấp nhận cảnh báo", "Accept warnings"),
    "confirm": ("Xác nhận nhập", "Confirm the import"),
    "batches": ("Các lần nhập", "Imports"),
    "rollback": ("Hoàn tác", "Roll back"),
    "targets": ("Chỉ tiêu", "Targets"),
    "targets_title": ("Chỉ tiêu so sánh (%)", "Targets (%)"),
    "targets_help": ("Chỉ tiêu của nhiệm kỳ, dùng cho các đường chỉ tiêu, thẻ và đoạn nhận xét. Chỉ tiêu đã "
                     "chỉnh được ghi vào đường dẫn, nên có thể gửi kèm.",
                     "The term's targets, used by target lines, cards and the narrative. Changed targets are "
                     "kept in the link, so they travel with it."),
    "target_adm": ("Kết nạp đảng viên mới trong năm, % số đảng viên (tối thiểu)",
                   "Admissions in a year, % of members (at least)"),
    "target_cfw": ("Cấp ủy viên nữ, % (tối thiểu)", "Women among committee members, % (at least)"),
    "target_cfy": ("Cấp ủy viên trẻ, % (tối thiểu)", "Young committee members, % (at least)"),
    "target_good": ("Hoàn thành tốt nhiệm vụ trở lên, % (tối thiểu)", "Rated good or better, % (at least)"),
    "target_exc": ("Hoàn thành xuất sắc so với hoàn thành tốt, % (tối đa)", "Excellent relative to good, % (at most)"),
    "apply": ("Áp dụng", "Apply"),
    "defaults": ("Về mặc định", "Defaults"),
    "rollback_title": ("Hoàn tác lần nhập?", "Roll back this import?"),
    "rollback_question": ("Hoàn tác lần nhập số {n} (tệp {file}; kỳ {periods}; {orgs} tổ chức)? Số liệu của lần "
                          "nhập này sẽ không còn được tính; số liệu trước đó (nếu có) được dùng lại. Lần nhập vẫn "
                          "được lưu trong lịch sử.",
                          "Roll back import #{n} (file {file}; periods {periods}; {orgs} organizations)? Its "
                          "figures will no longer count; earlier figures, if any, apply again. The import stays in "
                          "the history."),
    "rollback_yes": ("Hoàn tác", "Roll back"),
    "cancel": ("Hủy", "Cancel"),
    "rolled_back": ("Đã hoàn tác lần nhập số {n}.", "Import #{n} rolled back."),
    "completeness": ("Tình hình báo cáo", "Who has reported"),
    "issues": ("Vấn đề", "Issues"),
    "cell": ("Ô", "Cell"),
    "sheet": ("Trang", "Sheet"),
    "message": ("Nội dung", "Message"),
    "severity": ("Mức", "Severity"),
    "error": ("Lỗi", "Error"),
    "warning": ("Cảnh báo", "Warning"),
    "new_orgs": ("Tổ chức mới", "New organizations"),
    "changes": ("Thay đổi", "Changes"),
    "committed": ("Đã nhập thành công: lần nhập số {n}.", "Imported as batch {n}."),
    "duplicate": ("Tệp này đã được nhập ở lần nhập số {n}.", "This file was already imported as batch {n}."),
    "refused": ("Không nhập được", "Not imported"),
    "dry_run_ok": ("Kiểm tra xong: {orgs} tổ chức, {values} số liệu. Bấm «Xác nhận nhập» để ghi.",
                   "Checked: {orgs} organizations, {values} values. Press “Confirm the import” to write."),
    "missing": ("Chưa báo cáo", "Not reported"),
    "reported": ("Đã báo cáo", "Reported"),
    "unavailable": ("Tạm thời không phục vụ được", "Temporarily unavailable"),
    "store_down": ("Không kết nối được cơ sở dữ liệu. Số liệu không bị ảnh hưởng; vui lòng thử lại sau ít phút.",
                   "The database cannot be reached. No figures were affected; please try again in a moment."),
    "service_down": ("Một dịch vụ của hệ thống tạm thời không trả lời; vui lòng thử lại sau ít phút.",
                     "A service the dashboard needs is not answering; please try again in a moment."),
}


def t(key: str, lang: Lang = "vi", **values: object) -> str:
    vi, en = TEXT[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text


def lang_of(value: object) -> Lang:
    return "en" if value == "en" else "vi"
