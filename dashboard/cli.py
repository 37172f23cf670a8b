"""The command line behind ``python app.py``: the store's commands, Vietnamese by default, ``--json`` for scripts.

Exit status: 0 done, 1 refused (errors in the file, a locked period, an invalid request), 2 a file that
cannot be read or a usage error, 3 busy (another import holds the store: try again).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dashboard.store import db, imports, mapping, queries
from dashboard.store import registry as reg_ops
from loaders.issues import format_value
from loaders.model import UnreadableFileError

EXIT_OK, EXIT_REFUSED, EXIT_UNREADABLE, EXIT_BUSY = 0, 1, 2, 3


class Out:
    """Prints in the chosen language, or collects a JSON document."""

    def __init__(self, lang: str, as_json: bool) -> None:
        self.lang, self.as_json = lang, as_json

    def t(self, vi: str, en: str) -> str:
        return en if self.lang == "en" else vi

    def line(self, vi: str, en: str = "") -> None:
        if not self.as_json:
            print(self.t(vi, en or vi))

    def json(self, obj: Any) -> None:
        if self.as_json:
            print(json.dumps(obj, ensure_ascii=False, indent=1, default=str))

    def error(self, vi: str, en: str) -> None:
        if self.as_json:
            print(json.dumps({"error": {"message": self.t(vi, en), "message_vi": vi, "message_en": en}},
                             ensure_ascii=False))
        else:
            print(self.t(vi, en), file=sys.stderr)


def _actor(args: argparse.Namespace) -> str:
    if getattr(args, "user", None):
        return args.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _engine():
    engine = db.make_engine()
    db.upgrade(engine)
    return engine


def _scope_id(engine, ref: str | None) -> int | None:
    if not ref:
        return None
    with db.read_transaction(engine) as conn:
        return reg_ops.Registry.load(conn).find(ref).id


# --- commands --------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace, out: Out) -> int:
    engine = db.make_engine()
    if args.action == "upgrade":
        db.upgrade(engine, args.revision or "head")
    elif args.action == "downgrade":
        db.downgrade(engine, args.revision or "base")
    revision = db.current_revision(engine)
    out.line(f"Phiên bản cơ sở dữ liệu: {revision or '(trống)'}", f"Database revision: {revision or '(empty)'}")
    out.json({"revision": revision})
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: Out) -> int:
    engine = _engine()
    options = imports.ImportOptions(period=args.period, create_orgs=args.create_orgs,
                                    accept_warnings=args.accept_warnings, scope_id=_scope_id(engine, args.scope),
                                    actor=_actor(args), column_map=args.columns)
    status = EXIT_OK
    results = []
    for path in args.files:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as error:
            out.error(f"Không mở được {p.name}: {error.strerror}.", f"Cannot open {p.name}: {error.strerror}.")
            status = max(status, EXIT_UNREADABLE)
            continue
        try:
            result = imports.import_file(engine, data, p.name, options, dry_run=args.dry_run)
        except UnreadableFileError as error:
            out.error(error.message_vi, error.message_en)
            status = max(status, EXIT_UNREADABLE)
            continue
        except imports.ImportRefused as refused:
            if refused.result is not None:
                _print_result(refused.result, out, args)
                results.append(refused.result.as_dict(out.lang, limit=None if args.all else 200))
            out.error(refused.message_vi, refused.message_en)
            status = max(status, EXIT_REFUSED)
            continue
        except db.StoreBusy as busy:
            out.error(busy.message_vi, busy.message_en)
            return EXIT_BUSY
        _print_result(result, out, args)
        results.append(result.as_dict(out.lang, limit=None if args.all else 200))
    out.json(results)
    return status


def _print_result(result: imports.ImportResult, out: Out, args: argparse.Namespace) -> None:
    status = {
        "dry_run": ("Chạy thử (chưa ghi gì)", "Dry run (nothing written)"),
        "committed": (f"Đã nhập: lần nhập số {result.batch_id}", f"Imported as batch {result.batch_id}"),
        "duplicate": (f"Tệp này đã được nhập ở lần nhập số {result.duplicate_of}; không ghi lại.",
                      f"Already imported in batch {result.duplicate_of}; nothing written."),
    }.get(result.status, (result.status, result.status))
    out.line(f"== {result.file_name}: {status[0]}", f"== {result.file_name}: {status[1]}")
    for p in result.periods:
        out.line(f"   Kỳ {p.label} [{p.code}]: {format_value(p.organizations)} tổ chức, "
                 f"{format_value(p.values)} số liệu",
                 f"   Period {p.code}: {p.organizations:,} organizations, {p.values:,} values")
    if result.new_orgs:
        out.line(f"   Tổ chức mới sẽ tạo: {len(result.new_orgs)}", f"   New organizations: {len(result.new_orgs)}")
        for new in result.new_orgs[: None if args.all else 20]:
            out.line(f"     + {new.name}{f' ({new.code})' if new.code else ''} — thuộc {new.parent_label or '(gốc)'}",
                     f"     + {new.name}{f' ({new.code})' if new.code else ''} — under {new.parent_label or '(root)'}")
    changed = [c for c in result.changes if c.old is not None]
    out.line(f"   Giá trị mới: {format_value(len(result.changes) - len(changed))}, thay đổi: "
             f"{format_value(len(changed))}, không đổi: {format_value(result.unchanged)}",
             f"   New values: {len(result.changes) - len(changed):,}, changed: {len(changed):,}, "
             f"unchanged: {result.unchanged:,}")
    for c in changed[: None if args.all else 20]:
        out.line(f"     ~ {c.org} {c.period} {c.metric}: {format_value(c.old)} → {format_value(c.new)}")
    shown = result.issues if args.all else result.issues[:50]
    out.line(f"   Vấn đề: {len(result.errors)} lỗi, {len(result.warnings)} cảnh báo",
             f"   Issues: {len(result.errors)} errors, {len(result.warnings)} warnings")
    for issue in shown:
        where = f"{issue.sheet}!{issue.cell}" if issue.sheet and issue.cell else (issue.sheet or "")
        out.line(f"     [{'LỖI' if issue.severity == 'error' else 'CẢNH BÁO'}] {where} {issue.message_vi}",
                 f"     [{issue.severity.upper()}] {where} {issue.message_en}")


def cmd_batches(args: argparse.Namespace, out: Out) -> int:
    engine = _engine()
    with db.read_transaction(engine) as conn:
        rows = queries.batches(conn)
    out.json(rows)
    if not rows:
        out.line("Chưa có lần nhập nào.", "No imports yet.")
    for b in rows:
        state = out.t("đã hoàn tác", "rolled back") if b["status"] != "committed" else out.t("đang dùng", "active")
        out.line(f"#{b['id']:<4} {b['created_at']:%d/%m/%Y %H:%M} {b['file_name']} — {', '.join(b['periods'])} — "
                 f"{format_value(b['organizations'])} tổ chức — {b['created_by']} — {state}",
                 f"#{b['id']:<4} {b['created_at']:%Y-%m-%d %H:%M} {b['file_name']} — {', '.join(b['periods'])} — "
                 f"{b['organizations']} organizations — {b['created_by']} — {state}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, out: Out) -> int:
    engine = _engine()
    with db.read_transaction(engine) as conn:
        b = queries.batch(conn, args.batch)
    if b is None:
        out.error(f"Không có lần nhập số {args.batch}.", f"There is no batch {args.batch}.")
        return EXIT_REFUSED
    out.json(b)
    out.line(f"Lần nhập #{b['id']}: {b['file_name']} ({b['format']}, {format_value(b['size_bytes'])} byte)",
             f"Batch #{b['id']}: {b['file_name']} ({b['format']}, {b['size_bytes']:,} bytes)")
    out.line(f"  SHA-256: {b['sha256']}")
    out.line(f"  Người nhập: {b['created_by']}, lúc {b['created_at']:%d/%m/%Y %H:%M}; trạng thái: {b['status']}",
             f"  By {b['created_by']} at {b['created_at']:%Y-%m-%d %H:%M}; status: {b['status']}")
    out.line(f"  Kỳ: {', '.join(b['periods'])}; trang: {', '.join(s['name'] for s in b['sheets'])}",
             f"  Periods: {', '.join(b['periods'])}; sheets: {', '.join(s['name'] for s in b['sheets'])}")
    out.line(f"  {format_value(b['organizations'])} tổ chức, {format_value(b['facts'])} số liệu, "
             f"{b['created_orgs']} tổ chức mới, {b['errors']} lỗi, {b['warnings']} cảnh báo",
             f"  {b['organizations']} organizations, {b['facts']} values, {b['created_orgs']} new organizations, "
             f"{b['errors']} errors, {b['warnings']} warnings")
    for issue in b["issues"]:
        out.line(f"    [{issue['severity']}] {issue['sheet']}!{issue['cell']} {issue['message_vi']}",
                 f"    [{issue['severity']}] {issue['sheet']}!{issue['cell']} {issue['message_en']}")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace, out: Out) -> int:
    engine = _engine()
    try:
        done = imports.rollback(engine, args.batch, _actor(args))
    except imports.ImportRefused as refused:
        out.error(refused.message_vi, refused.message_en)
        return EXIT_REFUSED
    except db.StoreBusy as busy:
        out.error(busy.message_vi, busy.message_en)
        return EXIT_BUSY
    out.json(done)
    out.line(f"Đã hoàn tác lần nhập #{args.batch}: bỏ {format_value(done['rows'])} dòng số liệu, "
             f"{done['removed_orgs']} tổ chức do lần nhập này tạo.",
             f"Rolled back batch #{args.batch}: {done['rows']} rows removed, {done['removed_orgs']} organizations "
             f"it created removed.")
    return EXIT_OK


def cmd_lock(args: argparse.Namespace, out: Out) -> int:
    engine = _engine()
    locked = args.command == "lock"
    try:
        imports.set_lock(engine, args.period, locked, _actor(args))
    except ValueError as error:
        out.error(str(error), str(error))
        return EXIT_UNREADABLE
    except db.StoreBusy as busy:
        out.error(busy.message_vi, busy.message_en)
        return EXIT_BUSY
    out.json({"period": args.period, "locked": locked})
    out.line(f"Kỳ {args.period}: {'đã chốt số liệu' if locked else 'đã mở khóa'}.",
             f"Period {args.period}: {'locked' if locked else 'unlocked'}.")
    return EXIT_OK


def cmd_completeness(args: argparse.Namespace, out: Out) -> int:
    engine = _engine()
    with db.read_transaction(engine) as conn:
        scope = reg_ops.Registry.load(conn).find(args.scope).id if args.scope else None
        c = queries.completeness(conn, args.period, scope)
    out.json(c.__dict__)
    out.line(f"Kỳ {c.period}: {len(c.reported)}/{len(c.expected)} tổ chức đã báo cáo; còn thiếu {len(c.missing)}.",
             f"Period {c.period}: {len(c.reported)}/{len(c.expected)} organizations reported; "
             f"{len(c.missing)} missing.")
    for org in c.missing:
        code = f" ({org['code']})" if org["code"] else ""
        out.line(f"   - {org['name']}{code}")
    return EXIT_OK


def _day(text: str) -> dt.date:
    return mapping.parse_day(text)


def cmd_orgs(args: argparse.Namespace, out: Out) -> int:
    engine = _engine()
    actor = _actor(args)
    if args.action == "list":
        with db.read_transaction(engine) as conn:
            frame = queries.organizations_frame(conn)
        out.json(frame.to_dict(orient="records"))
        for row in frame.itertuples():
            ended = f" (đến {row.valid_to:%d/%m/%Y})" if row.valid_to is not None and row.valid_to == row.valid_to \
                else ""
            out.line(f"{'  ' * int(row.level)}{row.name}{f' [{row.code}]' if row.code else ''}{ended}")
        return EXIT_OK
    try:
        with db.write_transaction(engine) as conn:
            reg = reg_ops.Registry.load(conn)
            message = _orgs_change(conn, reg, args, actor)
    except (reg_ops.RegistryError, ValueError) as error:
        text = str(error)
        vi, _, en = text.partition(" / ")
        out.error(vi, en or vi)
        return EXIT_REFUSED
    except UnreadableFileError as error:
        out.error(error.message_vi, error.message_en)
        return EXIT_UNREADABLE
    except db.StoreBusy as busy:
        out.error(busy.message_vi, busy.message_en)
        return EXIT_BUSY
    out.json({"done": message})
    for line in message:
        out.line(line)
    return EXIT_OK


def _orgs_change(conn, reg: reg_ops.Registry, args: argparse.Namespace, actor: str) -> list[str]:
    if args.action == "add":
        parent = reg.find(args.parent) if args.parent else None
        org = reg_ops.create_org(conn, reg, name=args.name, code=args.code, org_type=args.type,
                                 parent_id=parent.id if parent else None, actor=actor)
        return [f"Đã thêm {org.label}"]
    if args.action == "rename":
        org = reg.find(args.org)
        reg_ops.rename(conn, reg, org, args.new_name, _day(args.date), actor, new_code=args.code)
        return [f"Đã đổi tên thành {org.label}"]
    if args.action == "move":
        org = reg.find(args.org)
        parent = reg.find(args.parent)
        reg_ops.move(conn, reg, org, parent, _day(args.date), actor)
        return [f"Đã chuyển {org.label} về {parent.label}"]
    if args.action == "merge":
        sources = [reg.find(s) for s in args.sources]
        target = reg.find(args.into) if not args.new_name else reg_ops.create_org(
            conn, reg, name=args.new_name, code=args.into, org_type=sources[0].org_type,
            parent_id=sources[0].parent_id, valid_from=_day(args.date), actor=actor)
        reg_ops.merge(conn, reg, sources, target, _day(args.date), actor)
        return [f"Đã sáp nhập {', '.join(s.label for s in sources)} vào {target.label}"]
    if args.action == "split":
        source = reg.find(args.source)
        shares = args.shares or [None] * len(args.into)
        if len(shares) != len(args.into):
            raise reg_ops.RegistryError("Số tỷ lệ phải bằng số tổ chức mới / one share per target")
        targets = [(reg.find(t), s) for t, s in zip(args.into, shares, strict=True)]
        reg_ops.split(conn, reg, source, targets, _day(args.date), actor)
        return [f"Đã chia tách {source.label} thành {', '.join(t.label for t, _ in targets)}"]
    if args.action == "dissolve":
        org = reg.find(args.org)
        reg_ops.dissolve(conn, reg, org, _day(args.date), actor)
        return [f"Đã giải thể {org.label}"]
    if args.action == "apply-mapping":
        path = Path(args.file)
        rows = mapping.read_mapping(path.read_bytes(), path.name)
        return mapping.apply_mapping(conn, reg, rows, actor, _day(args.date) if args.date else None)
    raise ValueError(args.action)


def cmd_export(args: argparse.Namespace, out: Out) -> int:
    """A chart image, a table, the report pack or an import template, for scheduled use."""
    from dashboard.exports import images, service
    from dashboard.exports.common import ExportError
    from dashboard.web.data import DataService
    from dashboard.web.state import ViewState

    fmt = args.format or {"chart": "png", "table": "xlsx", "report": "docx", "template": "xlsx"}[args.what]
    state = ViewState(period=args.period, org=args.org, lang=args.lang)
    started_here = not images.running()  # a server already running (a caller's) is left running
    try:
        snap = DataService(_engine()).snapshot()
        if args.what in ("chart", "table") and not args.chart:
            raise ExportError("chart_required", "Hãy chọn biểu đồ bằng --chart ID.", "Choose a chart with --chart ID.")
        if args.what == "chart":
            made = service.chart(snap, state, args.chart, fmt)
        elif args.what == "table":
            made = service.table(snap, state, args.chart, fmt)
        elif args.what == "report":
            made = service.report_pack(snap, state, fmt, args.chart)
        else:
            if fmt != "xlsx":
                raise ExportError("format_unknown", "Mẫu nhập chỉ có dạng xlsx.", "Templates are xlsx only.")
            made = service.import_template(snap, state, args.metrics.split(",") if args.metrics else None)
    except ExportError as error:
        out.error(error.message_vi, error.message_en)
        return EXIT_UNREADABLE if error.code in ("format_unknown", "chart_required", "period_invalid") else EXIT_REFUSED
    finally:
        if started_here:
            images.stop()  # Chromium does not outlive the command
    path = Path(args.output)
    try:
        path.write_bytes(made.data)
    except OSError as error:
        out.error(f"Không ghi được {path}: {error.strerror}.", f"Cannot write {path}: {error.strerror}.")
        return EXIT_UNREADABLE
    out.json({"file": str(path), "bytes": len(made.data), "name": made.name, "format": fmt})
    out.line(f"Đã ghi {path} ({format_value(len(made.data))} byte).", f"Wrote {path} ({len(made.data):,} bytes).")
    return EXIT_OK


# --- parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="kết quả JSON / JSON output")
    common.add_argument("--lang", choices=("vi", "en"), default="vi")
    common.add_argument("--user", help="người thực hiện / who is acting (default: the login name)")
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", parents=[common], help="chạy bảng điều khiển (mặc định) / run the dashboard")
    p.add_argument("--host")
    p.add_argument("--port", type=int)

    p = sub.add_parser("stack", parents=[common], help="chạy cả hệ thống sản xuất: gunicorn + Celery trên PostgreSQL "
                                                       "và Redis / run the production stack")
    p.add_argument("--host")
    p.add_argument("--port", type=int)

    p = sub.add_parser("db", parents=[common], help="cơ sở dữ liệu / database migrations")
    p.add_argument("action", choices=("upgrade", "downgrade", "current"))
    p.add_argument("revision", nargs="?")

    p = sub.add_parser("inspect", help="đọc và kiểm tra một tệp / read and check a file (python -m loaders)")
    p.add_argument("rest", nargs=argparse.REMAINDER)

    p = sub.add_parser("import", parents=[common], help="nhập số liệu / import files")
    p.add_argument("files", nargs="+")
    p.add_argument("--period", help="kỳ báo cáo nếu tệp không ghi / period if the file does not say")
    p.add_argument("--dry-run", action="store_true", help="chạy thử, không ghi / check only, write nothing")
    p.add_argument("--create-orgs", action="store_true", help="tạo tổ chức mới / create new organizations")
    p.add_argument("--accept-warnings", action="store_true", help="nhập dù có cảnh báo / import despite warnings")
    p.add_argument("--scope", help="mã hoặc tên tổ chức: chỉ khớp và tạo trong phạm vi này / scope organization")
    p.add_argument("--columns", help="tệp ánh xạ cột / column mapping file")
    p.add_argument("--all", action="store_true", help="hiện hết / show everything")

    sub.add_parser("batches", parents=[common], help="các lần nhập / list imports")
    p = sub.add_parser("show", parents=[common], help="chi tiết một lần nhập / one import")
    p.add_argument("batch", type=int)
    p = sub.add_parser("rollback", parents=[common], help="hoàn tác một lần nhập / undo an import")
    p.add_argument("batch", type=int)
    for name, text in (("lock", "chốt số liệu một kỳ / lock a period"), ("unlock", "mở khóa / unlock a period")):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("period")
    p = sub.add_parser("completeness", parents=[common], help="tổ chức đã/chưa báo cáo / who has reported")
    p.add_argument("period")
    p.add_argument("--scope")

    p = sub.add_parser("export", parents=[common], help="xuất biểu đồ, bảng, báo cáo, mẫu nhập / exports")
    p.add_argument("what", choices=("report", "chart", "table", "template"))
    p.add_argument("--period", help="kỳ báo cáo (mặc định: kỳ mới nhất) / period id (default: the latest)")
    p.add_argument("--org", help="mã tổ chức: chỉ phần này của cây / organization code (its subtree)")
    p.add_argument("--chart", help="mã biểu đồ (report: nhiều mã cách nhau dấu phẩy) / chart id(s)")
    p.add_argument("--metrics", help="template: chỉ tiêu, cách nhau dấu phẩy / metric ids, comma-separated")
    p.add_argument("--format", choices=("docx", "pptx", "xlsx", "csv", "png", "svg", "pdf", "zip"))
    p.add_argument("-o", "--output", required=True, help="tệp ghi ra / output file")

    orgs = sub.add_parser("orgs", help="tổ chức và sắp xếp lại / organizations and restructuring")
    osub = orgs.add_subparsers(dest="action", required=True)
    osub.add_parser("list", parents=[common])
    p = osub.add_parser("add", parents=[common])
    p.add_argument("name")
    p.add_argument("--code")
    p.add_argument("--type")
    p.add_argument("--parent")
    p = osub.add_parser("rename", parents=[common])
    p.add_argument("org")
    p.add_argument("new_name")
    p.add_argument("--code", help="mã mới / new code")
    p.add_argument("--date", required=True, help="ngày hiệu lực, ví dụ 1/7/2025 / effective date")
    p = osub.add_parser("move", parents=[common])
    p.add_argument("org")
    p.add_argument("parent")
    p.add_argument("--date", required=True)
    p = osub.add_parser("merge", parents=[common])
    p.add_argument("sources", nargs="+")
    p.add_argument("--into", required=True, help="tổ chức nhận (mã) / target (code)")
    p.add_argument("--new-name", help="tạo tổ chức nhận mới với tên này / create the target with this name")
    p.add_argument("--date", required=True)
    p = osub.add_parser("split", parents=[common])
    p.add_argument("source")
    p.add_argument("--into", nargs="+", required=True)
    p.add_argument("--shares", nargs="+", type=float)
    p.add_argument("--date", required=True)
    p = osub.add_parser("dissolve", parents=[common])
    p.add_argument("org")
    p.add_argument("--date", required=True)
    p = osub.add_parser("apply-mapping", parents=[common])
    p.add_argument("file")
    p.add_argument("--date", help="ngày hiệu lực cho dòng không ghi ngày / date for rows without one")
    from dashboard.accounts.cli import add_parser as add_users_parser

    add_users_parser(sub, common)
    return parser


def cmd_serve(args: argparse.Namespace, out: Out) -> int:
    """Start the dashboard (migrating the store, and importing the sample data into an empty one)."""
    from dashboard import settings
    from dashboard.accounts.web import setup_hint
    from dashboard.web.app import create_app

    host, port = args.host or settings.get("HOST"), args.port or settings.get_int("PORT")
    local = host in ("127.0.0.1", "localhost", "::1")
    if local and settings.get("COOKIE_SECURE") == "auto":
        os.environ["COOKIE_SECURE"] = "false"  # plain HTTP on this machine: a Secure cookie would never come back
    debug = settings.get_bool("DEBUG")
    if debug and not local:
        out.error("DEBUG chỉ dùng khi HOST là 127.0.0.1 hoặc localhost.",
                  "DEBUG is only allowed when HOST is 127.0.0.1 or localhost.")
        return EXIT_UNREADABLE
    if hasattr(signal, "SIGPIPE"):  # a browser that goes away (or a reader child that dies) must not end the server
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    app = create_app()
    site = f"http://{host}:{port}{settings.url_prefix()}/"
    out.line(f"Mở trình duyệt tại {site}", f"Open {site} in a browser")
    link = setup_hint(app, f"http://{host}:{port}")
    if link:
        out.line(f"Chưa có tài khoản nào. Tạo tài khoản quản trị đầu tiên tại: {link}\n"
                 "(hoặc: python app.py users add TÊN --role admin)",
                 f"No account yet. Create the first administrator at: {link}\n"
                 "(or: python app.py users add NAME --role admin)")
    app.run(host=host, port=port, debug=debug)
    return EXIT_OK


def cmd_stack(args: argparse.Namespace, out: Out) -> int:
    """The production stack: gunicorn (WEB_WORKERS) and a Celery worker (JOB_WORKERS) on PostgreSQL and Redis."""
    from dashboard import settings, stack

    def fail(vi: str, en: str) -> None:  # an operator may read either language: both are printed
        print(f"{vi}\n{en}", file=sys.stderr, flush=True)

    def say(vi: str, en: str) -> None:
        out.line(vi, en)
        sys.stdout.flush()

    host, port = args.host or settings.get("HOST"), args.port or settings.get_int("PORT")
    return stack.run(say, fail, host, port)


COMMANDS: dict[str, Callable[[argparse.Namespace, Out], int]] = {
    "serve": cmd_serve, "stack": cmd_stack,
    "db": cmd_db, "import": cmd_import, "batches": cmd_batches, "show": cmd_show, "rollback": cmd_rollback,
    "lock": cmd_lock, "unlock": cmd_lock, "completeness": cmd_completeness, "orgs": cmd_orgs,
    "export": cmd_export,
    "users": lambda args, out: _users(args, out),
}


def _users(args: argparse.Namespace, out: Out) -> int:
    from dashboard.accounts.cli import cmd_users

    return cmd_users(args, out, _actor(args))


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):  # `python app.py batches | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["serve", *argv]  # `python app.py [--port N]` starts the dashboard
    args = build_parser().parse_args(argv)
    if args.command == "inspect":
        from loaders.cli import main as inspect_main

        return inspect_main(["inspect", *args.rest])
    out = Out(args.lang, args.json)
    return COMMANDS[args.command](args, out)
