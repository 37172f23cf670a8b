"""``python app.py users …``: accounts from the command line (the server's shell is an administrator's).

Passwords are read from a prompt (twice) or, with ``--password-stdin``, from the first line of standard
input; never from the command line, where other users of the machine could read them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from dashboard.accounts import store
from dashboard.store import db
from dashboard.store import registry as reg_ops


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", help="tài khoản người dùng / user accounts")
    usub = users.add_subparsers(dest="action", required=True)
    p = usub.add_parser("add", parents=[common], help="thêm người dùng / add a user")
    p.add_argument("name")
    p.add_argument("--role", choices=store.ROLES, required=True)
    p.add_argument("--scope", nargs="+", default=[], help="mã hoặc tên tổ chức / organization codes or names")
    p.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ stdin / read the password from stdin")
    usub.add_parser("list", parents=[common], help="danh sách / list users")
    p = usub.add_parser("set-scope", parents=[common], help="đặt phạm vi / set the scope")
    p.add_argument("name")
    p.add_argument("orgs", nargs="*", help="mã hoặc tên tổ chức (trống: không còn phạm vi) / organizations")
    p = usub.add_parser("set-role", parents=[common], help="đổi vai trò / change the role")
    p.add_argument("name")
    p.add_argument("role", choices=store.ROLES)
    p = usub.add_parser("passwd", parents=[common], help="đặt mật khẩu mới / set a new password")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    for action, text in (("disable", "khóa tài khoản / disable"), ("enable", "mở lại / enable"),
                         ("remove", "xóa / remove")):
        p = usub.add_parser(action, parents=[common], help=text)
        p.add_argument("name")
    p = usub.add_parser("tokens", parents=[common], help="mã API / API tokens")
    p.add_argument("name")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--create", metavar="LABEL", help="tạo mã mới / create a token")
    group.add_argument("--revoke", type=int, metavar="ID", help="thu hồi / revoke a token")


def _password(args: argparse.Namespace, out) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(out.t("Mật khẩu: ", "Password: "))
    again = getpass.getpass(out.t("Nhập lại mật khẩu: ", "Password again: "))
    if first != again:
        raise store.AccountError("Hai mật khẩu không giống nhau.", "The two passwords differ.")
    return first


def _org_ids(conn, refs: list[str]) -> list[int]:
    reg = reg_ops.Registry.load(conn)
    try:
        return [reg.find(ref).id for ref in refs]
    except reg_ops.RegistryError as error:
        vi, _, en = str(error).partition(" / ")
        raise store.AccountError(vi, en or vi) from None


def cmd_users(args: argparse.Namespace, out, actor: str) -> int:
    from dashboard.cli import EXIT_OK, EXIT_REFUSED, _engine

    engine = _engine()
    who = f"cli:{actor}"
    try:
        if args.action == "list":
            with db.read_transaction(engine) as conn:
                rows = store.list_users(conn)
            out.json(rows)
            if not rows:
                out.line("Chưa có người dùng nào: python app.py users add TÊN --role admin",
                         "No users yet: python app.py users add NAME --role admin")
            for r in rows:
                scope = out.t("toàn bộ", "everything") if r["role"] == "admin" else (
                    ", ".join(r["scope"]) or out.t("(chưa được giao)", "(none)"))
                state = "" if r["active"] else out.t(" [đã khóa]", " [disabled]")
                out.line(f"{r['name']:<20} {r['role']:<7} {scope}{state}")
            return EXIT_OK
        password = _password(args, out) if args.action in ("add", "passwd") else None
        with db.write_transaction(engine) as conn:
            if args.action == "add":
                user_id = store.create_user(conn, args.name, password or "", args.role, _org_ids(conn, args.scope))
                details: dict = {"role": args.role, "scope": args.scope, "id": user_id}
                message = (f"Đã thêm người dùng {store.normalize(args.name)} ({args.role}).",
                           f"Added user {store.normalize(args.name)} ({args.role}).")
            else:
                row = store.get_row(conn, args.name)
                details, message = _change(conn, row, args, password, out)
            store_action = "user_" + args.action.replace("-", "_")
            if args.action == "tokens" and not (args.create or args.revoke):
                return EXIT_OK
        store.record(engine, who, store_action, store.normalize(args.name), details)
    except store.AccountError as error:
        out.error(error.message_vi, error.message_en)
        return EXIT_REFUSED
    except db.StoreBusy as busy:
        out.error(busy.message_vi, busy.message_en)
        return 3
    out.json({"done": message[1], **{k: v for k, v in details.items() if k != "token"},
              **({"token": details["token"]} if "token" in details else {})})
    out.line(*message)
    if "token" in details:
        out.line(details["token"])
        details.pop("token")
    return EXIT_OK


def _change(conn, row: dict, args: argparse.Namespace, password: str | None, out) -> tuple[dict, tuple[str, str]]:
    name, user_id = row["name"], row["id"]
    if args.action == "set-scope":
        ids = _org_ids(conn, args.orgs)
        store.set_scope(conn, user_id, ids)
        return {"scope": args.orgs}, (f"Phạm vi của {name}: {', '.join(args.orgs) or '(không có)'}.",
                                      f"Scope of {name}: {', '.join(args.orgs) or '(none)'}.")
    if args.action == "set-role":
        store.set_role(conn, user_id, args.role)
        return {"role": args.role}, (f"Vai trò của {name}: {args.role}.", f"Role of {name}: {args.role}.")
    if args.action == "passwd":
        store.set_password(conn, user_id, password or "")
        return {}, (f"Đã đặt mật khẩu mới cho {name}; các phiên đăng nhập của người này đã kết thúc.",
                    f"New password set for {name}; their sign-ins have ended.")
    if args.action in ("disable", "enable"):
        store.set_active(conn, user_id, args.action == "enable")
        return {}, ((f"Đã khóa tài khoản {name}.", f"Disabled {name}.") if args.action == "disable" else
                    (f"Đã mở lại tài khoản {name}.", f"Enabled {name}."))
    if args.action == "remove":
        store.remove_user(conn, user_id)
        return {}, (f"Đã xóa người dùng {name}.", f"Removed user {name}.")
    if args.action == "tokens":
        if args.create:
            token_id, raw = store.create_token(conn, user_id, args.create)
            return {"id": token_id, "label": args.create, "token": raw}, (
                f"Mã API #{token_id} của {name} (chỉ hiện một lần):", f"API token #{token_id} of {name} (shown once):")
        if args.revoke:
            if not store.revoke_token(conn, user_id, args.revoke):
                raise store.AccountError(f"{name} không có mã #{args.revoke} đang dùng.",
                                         f"{name} has no active token #{args.revoke}.")
            return {"id": args.revoke}, (f"Đã thu hồi mã #{args.revoke}.", f"Revoked token #{args.revoke}.")
        tokens = store.list_tokens(conn, user_id)
        out.json(tokens)
        for tok in tokens:
            state = out.t("đã thu hồi", "revoked") if tok["revoked_at"] else out.t("đang dùng", "active")
            out.line(f"#{tok['id']:<4} {tok['label']:<30} {tok['created_at']:%d/%m/%Y %H:%M} {state}")
        if not tokens:
            out.line("Chưa có mã nào.", "No tokens.")
        return {}, ("", "")
    raise ValueError(args.action)
