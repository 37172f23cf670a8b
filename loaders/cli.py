"""``python -m loaders inspect FILE``: what the loader reads from a file, and what is wrong in it.

Exit status: 0 no errors, 1 errors found, 2 the file cannot be read (or a usage error).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from loaders.api import load
from loaders.catalogue import METRIC_BY_ID, ORG_TYPE_BY_ID
from loaders.issues import format_value
from loaders.model import Lang, LoadResult, UnreadableFileError

_T = {
    "file": ("Tệp", "File"),
    "format": ("Định dạng", "Format"),
    "period": ("Kỳ báo cáo", "Period"),
    "unknown_period": ("(chưa xác định)", "(unknown)"),
    "sheets": ("Trang", "Sheets"),
    "orgs": ("Số tổ chức", "Organizations"),
    "totals": ("Tổng cộng theo chỉ tiêu", "Totals by metric"),
    "by_type": ("Theo loại hình", "By organization type"),
    "unmapped": ("Cột không nhận ra (không được đọc)", "Columns not recognized (not read)"),
    "issues": ("Vấn đề", "Issues"),
    "none": ("Không có vấn đề nào.", "No issues."),
    "errors": ("lỗi", "errors"),
    "warnings": ("cảnh báo", "warnings"),
    "error": ("LỖI", "ERROR"),
    "warning": ("CẢNH BÁO", "WARNING"),
    "unreadable": ("Không đọc được tệp", "Cannot read the file"),
    "unknown_type": ("Chưa rõ loại hình", "Type unknown"),
    "more": ("… và {n} vấn đề khác (dùng --all để xem hết)", "… and {n} more (use --all to see them all)"),
}


def _t(key: str, lang: Lang) -> str:
    vi, en = _T[key]
    return en if lang == "en" else vi


def _metric_name(metric: str, lang: Lang) -> str:
    m = METRIC_BY_ID.get(metric)
    if m is None:
        return metric
    return m.en if lang == "en" else m.vi


def _type_name(type_id: str, lang: Lang) -> str:
    t = ORG_TYPE_BY_ID.get(type_id)
    if t is None:
        return _t("unknown_type", lang)
    return t.en if lang == "en" else t.vi


def render_text(result: LoadResult, lang: Lang = "vi", *, limit: int | None = 50) -> str:
    """A readable report of a load, in Vietnamese or English."""
    out = [f"{_t('file', lang)}: {result.file}   {_t('format', lang)}: {result.format}"]
    for pdata in result.periods:
        label = (pdata.period.label_en if lang == "en" else pdata.period.label) if pdata.period else _t(
            "unknown_period", lang)
        pid = f" [{pdata.period.id}]" if pdata.period else ""
        out.append("")
        out.append(f"== {_t('period', lang)}: {label}{pid} — {_t('sheets', lang)}: {', '.join(pdata.sheets)}")
        out.append(f"   {_t('orgs', lang)}: {format_value(len(pdata.top_records))}")
        totals = pdata.totals()
        if totals:
            out.append(f"   {_t('totals', lang)}:")
            width = max(len(_metric_name(m, lang)) for m in totals)
            for metric, value in totals.items():
                out.append(f"     {_metric_name(metric, lang):<{width}}  {format_value(value):>10}")
        by_type = pdata.by_org_type()
        if by_type:
            out.append(f"   {_t('by_type', lang)}:")
            for type_id, bucket in by_type.items():
                members = bucket.get("members_total")
                extra = f", {format_value(members)} {'members' if lang == 'en' else 'đảng viên'}" if members else ""
                out.append(f"     {_type_name(type_id, lang)}: {format_value(bucket['organizations'])}"
                           f" {'organizations' if lang == 'en' else 'tổ chức'}{extra}")
    if result.unmapped_columns:
        out.append("")
        out.append(f"{_t('unmapped', lang)}:")
        for col in result.unmapped_columns:
            blank = "(blank)" if lang == "en" else "(trống)"
            out.append(f"   {col.sheet}!{col.column}: {col.header or blank}")
    out.append("")
    n_err, n_warn = len(result.errors), len(result.warnings)
    out.append(f"{_t('issues', lang)}: {n_err} {_t('errors', lang)}, {n_warn} {_t('warnings', lang)}")
    if not result.issues:
        out.append("   " + _t("none", lang))
    shown = result.issues if limit is None else result.issues[:limit]
    for issue in shown:
        where = f"{issue.sheet}!{issue.cell}" if issue.sheet and issue.cell else (issue.sheet or "")
        out.append(f"   [{_t(issue.severity, lang)}] {issue.code} {where}: {issue.message(lang)}")
    if limit is not None and len(result.issues) > limit:
        out.append("   " + _t("more", lang).format(n=len(result.issues) - limit))
    return "\n".join(out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loaders", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="đọc và kiểm tra một tệp / read and check one file")
    ins.add_argument("file")
    ins.add_argument("--period", help="kỳ báo cáo nếu tệp không ghi / the period if the file does not say (2023-Q1)")
    ins.add_argument("--json", action="store_true", help="kết quả JSON / JSON output")
    ins.add_argument("--lang", choices=("vi", "en"), default="vi")
    ins.add_argument("--columns", help="tệp ánh xạ cột (JSON/CSV) / column mapping file")
    ins.add_argument("--records", action="store_true", help="kèm số liệu từng tổ chức (JSON) / include records")
    ins.add_argument("--all", action="store_true", help="hiện mọi vấn đề / show every issue")
    gen = sub.add_parser("generate-samples", help="tạo lại dữ liệu mẫu / regenerate the sample workbooks")
    gen.add_argument("outdir", nargs="?", default=None)
    nat = sub.add_parser("generate-national", help="tạo bảng toàn quốc cho benchmark / national-scale workbook")
    nat.add_argument("path")
    nat.add_argument("--organizations", type=int, default=52_000)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "generate-samples":
        from loaders import samples

        return samples.main([args.outdir] if args.outdir else [])
    if args.command == "generate-national":
        from loaders import samples

        samples.write_national(args.path, organizations=args.organizations)
        return 0
    lang: Lang = args.lang
    try:
        result = load(args.file, period=args.period, column_map=args.columns)
    except UnreadableFileError as exc:
        if args.json:
            print(json.dumps({"file": args.file, "error": {"code": exc.code, "message": exc.message(lang),
                                                           "message_vi": exc.message_vi,
                                                           "message_en": exc.message_en}}, ensure_ascii=False))
        else:
            print(f"{_t('unreadable', lang)}: {exc.message(lang)}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json_dict(lang, records=args.records), ensure_ascii=False, indent=1))
    else:
        print(render_text(result, lang, limit=None if args.all else 50))
    return 1 if result.has_errors else 0
