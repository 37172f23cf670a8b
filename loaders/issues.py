"""Issue codes: a stable code, a default severity and a message in Vietnamese and English.

Messages are ``str.format`` templates. Every placeholder used below is filled by :func:`make_issue`
from the context it is given; ``metric_vi``/``metric_en`` are derived from ``metric`` and
``value`` is shown as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loaders.catalogue import AUXILIARY, METRIC_BY_ID
from loaders.model import Issue, Severity


@dataclass(frozen=True)
class IssueCode:
    code: str
    severity: Severity
    vi: str
    en: str


_CODES: tuple[IssueCode, ...] = (
    # values
    IssueCode("invalid_number", "error",
              "Ô {cell}: «{value}» không phải là số ({metric_vi}).",
              "Cell {cell}: “{value}” is not a number ({metric_en})."),
    IssueCode("negative_value", "error",
              "Ô {cell}: số âm {value} ({metric_vi}); số liệu phải là số nguyên không âm.",
              "Cell {cell}: negative value {value} ({metric_en}); counts must be non-negative whole numbers."),
    IssueCode("not_integer", "error",
              "Ô {cell}: {value} không phải số nguyên ({metric_vi}).",
              "Cell {cell}: {value} is not a whole number ({metric_en})."),
    IssueCode("decimal_thousands", "error",
              "Ô {cell}: {value} là số thập phân; nếu «.» là dấu phân cách hàng nghìn thì hãy nhập {hint} ({metric_vi}).",
              "Cell {cell}: {value} is a decimal; if “.” was meant as a thousands separator, enter {hint} ({metric_en})."),
    IssueCode("ambiguous_number", "error",
              "Ô {cell}: «{value}» không rõ là số nào; dùng «.» để phân cách hàng nghìn ({metric_vi}).",
              "Cell {cell}: “{value}” is ambiguous; use “.” as the thousands separator ({metric_en})."),
    IssueCode("formula_error", "error",
              "Ô {cell}: công thức bị lỗi ({value}) ({metric_vi}).",
              "Cell {cell}: the formula gives an error ({value}) ({metric_en})."),
    IssueCode("date_in_count", "error",
              "Ô {cell}: có ngày tháng ({value}) trong cột số lượng ({metric_vi}); Excel có thể đã tự đổi số thành ngày.",
              "Cell {cell}: a date ({value}) in a count column ({metric_en}); Excel may have turned the number into a date."),
    IssueCode("percent_in_count", "error",
              "Ô {cell}: «{value}» là tỷ lệ, nhưng cột {metric_vi} phải là số lượng.",
              "Cell {cell}: “{value}” is a percentage, but {metric_en} must be a count."),
    IssueCode("invalid_ratio", "error",
              "Ô {cell}: «{value}» không phải tỷ lệ hợp lệ (ví dụ 20,5% hoặc 80/105).",
              "Cell {cell}: “{value}” is not a valid ratio (e.g. 20,5% or 80/105)."),
    IssueCode("invalid_flag", "error",
              "Ô {cell}: «{value}» không hợp lệ cho {metric_vi}; dùng 1/0, x hoặc để trống.",
              "Cell {cell}: “{value}” is not valid for {metric_en}; use 1/0, x or leave blank."),
    IssueCode("cell_too_long", "warning",
              "Ô {cell}: nội dung dài {length} ký tự, chỉ đọc {limit} ký tự đầu.",
              "Cell {cell}: the text is {length} characters long; only the first {limit} were read."),
    # rules from domain.md
    IssueCode("members_sum_mismatch", "error",
              "Ô {cell} ({org}): chính thức {full} + dự bị {probationary} = {expected}, nhưng tổng số đảng viên là {value}.",
              "Cell {cell} ({org}): full {full} + probationary {probationary} = {expected}, but members total is {value}."),
    IssueCode("female_exceeds_total", "error",
              "Ô {cell} ({org}): đảng viên nữ ({value}) nhiều hơn tổng số đảng viên ({limit}).",
              "Cell {cell} ({org}): female members ({value}) exceed the members total ({limit})."),
    IssueCode("ethnic_minority_exceeds_total", "error",
              "Ô {cell} ({org}): đảng viên dân tộc thiểu số ({value}) nhiều hơn tổng số đảng viên ({limit}).",
              "Cell {cell} ({org}): ethnic-minority members ({value}) exceed the members total ({limit})."),
    IssueCode("religious_exceeds_total", "error",
              "Ô {cell} ({org}): đảng viên theo tôn giáo ({value}) nhiều hơn tổng số đảng viên ({limit}).",
              "Cell {cell} ({org}): religious members ({value}) exceed the members total ({limit})."),
    IssueCode("exempt_exceeds_total", "error",
              "Ô {cell} ({org}): đảng viên miễn sinh hoạt ({value}) nhiều hơn tổng số đảng viên ({limit}).",
              "Cell {cell} ({org}): exempt members ({value}) exceed the members total ({limit})."),
    IssueCode("discipline_sum_mismatch", "error",
              "Ô {cell} ({org}): khiển trách + cảnh cáo + cách chức + khai trừ = {expected}, nhưng tổng số bị kỷ luật là {value}.",
              "Cell {cell} ({org}): reprimand + warning + dismissal + expulsion = {expected}, but disciplined total is {value}."),
    IssueCode("committee_female_exceeds_committee", "error",
              "Ô {cell} ({org}): cấp ủy viên nữ ({value}) nhiều hơn số cấp ủy viên ({limit}).",
              "Cell {cell} ({org}): female committee members ({value}) exceed committee members ({limit})."),
    IssueCode("committee_youth_exceeds_committee", "error",
              "Ô {cell} ({org}): cấp ủy viên trẻ ({value}) nhiều hơn số cấp ủy viên ({limit}).",
              "Cell {cell} ({org}): young committee members ({value}) exceed committee members ({limit})."),
    IssueCode("committee_ethnic_exceeds_committee", "error",
              "Ô {cell} ({org}): cấp ủy viên dân tộc thiểu số ({value}) nhiều hơn số cấp ủy viên ({limit}).",
              "Cell {cell} ({org}): ethnic-minority committee members ({value}) exceed committee members ({limit})."),
    IssueCode("rated_sum_exceeds_total", "error",
              "Ô {cell} ({org}): tổng các mức xếp loại ({expected}) nhiều hơn số đảng viên được đánh giá ({value}).",
              "Cell {cell} ({org}): the ratings add up to {expected}, more than the members rated ({value})."),
    IssueCode("rated_exceeds_members", "error",
              "Ô {cell} ({org}): số được đánh giá ({value}) nhiều hơn tổng số đảng viên ({limit}).",
              "Cell {cell} ({org}): members rated ({value}) exceed the members total ({limit})."),
    IssueCode("excellent_over_quota", "warning",
              "Ô {cell} ({org}): hoàn thành xuất sắc ({value}) vượt 20% số hoàn thành tốt ({limit}); chỉ đơn vị tiêu biểu mới được tới 25% (Quy định 366-QĐ/TW).",
              "Cell {cell} ({org}): rated excellent ({value}) exceeds 20% of rated good ({limit}); only outstanding units may reach 25% (Regulation 366-QĐ/TW)."),
    IssueCode("secretary_flag_over_one", "error",
              "Ô {cell} ({org}): «bí thư đồng thời là thủ trưởng» của một tổ chức chỉ là 1 hoặc 0, không phải {value}.",
              "Cell {cell} ({org}): “secretary is also the head” is 1 or 0 for one organization, not {value}."),
    IssueCode("balance_mismatch", "error",
              "Ô {cell} ({org}): đầu kỳ {opening} + tăng {increase} − giảm {decrease} = {expected}, nhưng cuối kỳ là {value}.",
              "Cell {cell} ({org}): opening {opening} + increases {increase} − decreases {decrease} = {expected}, but closing is {value}."),
    IssueCode("balance_mismatch_periods", "warning",
              "Ô {cell} ({org}): cuối kỳ trước ({previous_period}) {opening} + tăng {increase} − giảm {decrease} = {expected}, nhưng cuối kỳ này là {value}.",
              "Cell {cell} ({org}): previous closing ({previous_period}) {opening} + increases {increase} − decreases {decrease} = {expected}, but this closing is {value}."),
    IssueCode("ratio_mismatch", "warning",
              "Ô {cell} ({org}): tỷ lệ ghi {value} nhưng tính từ số liệu được {expected}.",
              "Cell {cell} ({org}): the ratio reads {value} but the figures give {expected}."),
    # structure
    IssueCode("group_total_mismatch", "error",
              "Ô {cell}: dòng nhóm «{group}» ghi {value} ({metric_vi}) nhưng cộng các tổ chức trong nhóm được {expected}.",
              "Cell {cell}: group row “{group}” shows {value} ({metric_en}) but its organizations add up to {expected}."),
    IssueCode("grand_total_mismatch", "error",
              "Ô {cell}: dòng tổng cộng ghi {value} ({metric_vi}) nhưng cộng các tổ chức được {expected}.",
              "Cell {cell}: the total row shows {value} ({metric_en}) but the organizations add up to {expected}."),
    IssueCode("parent_total_mismatch", "warning",
              "Ô {cell} ({org}): ghi {value} ({metric_vi}) nhưng cộng các đơn vị trực thuộc được {expected}.",
              "Cell {cell} ({org}): shows {value} ({metric_en}) but its sub-units add up to {expected}."),
    IssueCode("duplicate_org", "error",
              "Ô {cell}: tổ chức «{org}» xuất hiện hai lần (lần đầu ở ô {first_cell}).",
              "Cell {cell}: organization “{org}” appears twice (first at cell {first_cell})."),
    IssueCode("conflicting_values", "error",
              "Ô {cell} ({org}): {metric_vi} là {value} ở trang «{sheet}» nhưng {other_value} ở ô {other_cell}.",
              "Cell {cell} ({org}): {metric_en} is {value} on sheet “{sheet}” but {other_value} at {other_cell}."),
    IssueCode("missing_name", "error",
              "Dòng {row}: có số liệu nhưng không có tên tổ chức (ô {cell}).",
              "Row {row}: figures without an organization name (cell {cell})."),
    IssueCode("org_type_unknown", "warning",
              "Ô {cell}: không nhận ra loại hình «{value}».",
              "Cell {cell}: organization type “{value}” is not recognized."),
    IssueCode("duplicate_metric_column", "warning",
              "Cột {column}: «{header}» trùng chỉ tiêu {metric_vi} với cột {other_column}; chỉ đọc cột {other_column}.",
              "Column {column}: “{header}” is the same metric ({metric_en}) as column {other_column}; only {other_column} is read."),
    IssueCode("period_unknown", "error",
              "Trang «{sheet}»: không xác định được kỳ báo cáo; hãy ghi kỳ vào tiêu đề (ví dụ «QUÝ I NĂM 2023») hoặc chọn kỳ khi nhập.",
              "Sheet “{sheet}”: the reporting period cannot be determined; name it in the title (e.g. “QUÝ I NĂM 2023”) or choose it when importing."),
    IssueCode("period_mismatch", "warning",
              "Trang «{sheet}»: tiêu đề ghi kỳ {value} nhưng đã chọn kỳ {expected}; dùng kỳ đã chọn.",
              "Sheet “{sheet}”: the title names period {value} but {expected} was chosen; the chosen period is used."),
    IssueCode("no_data", "error",
              "Không tìm thấy bảng số liệu nào (cần dòng tiêu đề có tên tổ chức và ít nhất một chỉ tiêu).",
              "No data table found (a header row with organization names and at least one metric is needed)."),
    IssueCode("no_metric_columns", "error",
              "Trang «{sheet}»: có bảng nhưng không nhận ra cột chỉ tiêu nào.",
              "Sheet “{sheet}”: a table was found but none of its columns is a known metric."),
    IssueCode("hidden_sheet_skipped", "warning",
              "Trang «{sheet}» đang bị ẩn nên không được đọc; hãy hiện trang nếu đó là số liệu.",
              "Sheet “{sheet}” is hidden and was not read; unhide it if it holds figures."),
    IssueCode("too_many_rows", "error",
              "Trang «{sheet}» có {value} dòng, vượt giới hạn {limit}; phần sau không được đọc.",
              "Sheet “{sheet}” has {value} rows, over the limit of {limit}; the rest was not read."),
    IssueCode("too_many_columns", "error",
              "Trang «{sheet}» có {value} cột, vượt giới hạn {limit}; phần sau không được đọc.",
              "Sheet “{sheet}” has {value} columns, over the limit of {limit}; the rest was not read."),
    IssueCode("mapping_column_missing", "warning",
              "Tệp ánh xạ cột: không tìm thấy cột «{value}» trong trang «{sheet}».",
              "Column mapping file: column “{value}” was not found on sheet “{sheet}”."),
)

CODES: dict[str, IssueCode] = {c.code: c for c in _CODES}


class _Ctx(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _metric_names(metric: str | None) -> tuple[str, str]:
    if metric is None:
        return "", ""
    if metric in METRIC_BY_ID:
        m = METRIC_BY_ID[metric]
        return m.vi, m.en
    if metric in AUXILIARY:
        return AUXILIARY[metric]
    return metric, metric


def format_value(value: Any) -> str:
    """Numbers Vietnamese-style for messages (7.841; 20,5)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float):
        if value.is_integer():
            return format_value(int(value))
        # at most 6 significant decimals: float noise (0,30000000000000004) is not what the cell said
        whole, _, frac = f"{value:,.6f}".rstrip("0").partition(".")
        whole = whole.replace(",", ".")
        return f"{whole},{frac}" if frac else whole
    return "" if value is None else str(value)


def make_issue(
    code: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    org: str | None = None,
    metric: str | None = None,
    value: Any = None,
    severity: Severity | None = None,
    table: dict[str, IssueCode] | None = None,
    **context: Any,
) -> Issue:
    """An issue from its code's message templates; ``table`` holds codes defined outside the loaders."""
    spec = (table or CODES)[code]
    metric_vi, metric_en = _metric_names(metric)
    ctx = _Ctx({k: format_value(v) for k, v in context.items()})
    ctx.update(
        sheet=sheet or "",
        cell=cell or "",
        org=org or "",
        metric_vi=metric_vi,
        metric_en=metric_en,
        value=format_value(value),
    )
    return Issue(
        severity=severity or spec.severity,
        code=code,
        message_vi=spec.vi.format_map(ctx),
        message_en=spec.en.format_map(ctx),
        sheet=sheet,
        cell=cell,
        org=org,
        metric=metric,
        value=value,
    )
