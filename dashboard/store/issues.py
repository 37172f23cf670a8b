"""Issue codes the store adds to the loaders' own: matching organizations, locked periods, scope."""

from __future__ import annotations

from typing import Any

from loaders.issues import IssueCode, make_issue
from loaders.model import Issue

_CODES = (
    IssueCode("org_not_found", "error",
              "Ô {cell}: chưa có tổ chức «{name}» trong danh sách; nếu là tổ chức mới, hãy chọn «tạo tổ chức mới».",
              "Cell {cell}: “{name}” is not a known organization; if it is new, choose “create new organizations”."),
    IssueCode("org_ambiguous", "error",
              "Ô {cell}: có {count} tổ chức cùng tên «{name}» ({candidates}); hãy ghi mã tổ chức để phân biệt.",
              "Cell {cell}: {count} organizations are named “{name}” ({candidates}); add the organization code."),
    IssueCode("org_outside_scope", "error",
              "Ô {cell}: tổ chức «{name}» không thuộc phạm vi «{scope}» được nhập.",
              "Cell {cell}: “{name}” is outside the scope “{scope}” this import may change."),
    IssueCode("org_ended", "warning",
              "Ô {cell}: tổ chức «{name}» đã kết thúc từ {value} (sáp nhập, giải thể) nhưng vẫn có số liệu kỳ này.",
              "Cell {cell}: “{name}” ended on {value} (merged or dissolved) but has figures for this period."),
    IssueCode("period_locked", "error",
              "Kỳ {value} đã chốt số liệu; cần quản trị viên mở khóa trước khi nhập.",
              "Period {value} is locked; an administrator must unlock it before importing."),
    IssueCode("period_required", "error",
              "Trang «{sheet}» chưa xác định được kỳ báo cáo nên không thể nhập.",
              "Sheet “{sheet}” has no reporting period, so it cannot be imported."),
)
CODES: dict[str, IssueCode] = {c.code: c for c in _CODES}


def store_issue(code: str, **context: Any) -> Issue:
    return make_issue(code, table=CODES, **context)
