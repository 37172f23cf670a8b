"""Users, scopes, sessions, API tokens and the access log, in the store (no Flask here).

Passwords are hashed with argon2id. ``authenticate`` answers the same way, in about the same time, for an
unknown name, a wrong password, a disabled account and an account locked after too many failures. Sessions
and API tokens are random keys of which only the SHA-256 is stored; deleting the row revokes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, delete, exc, func, insert, select, update

from dashboard import settings
from dashboard.store.registry import now
from dashboard.store.schema import access_log, api_tokens, audit_log, organizations, sessions, user_scopes, users

ROLES = ("admin", "editor", "viewer")
MIN_PASSWORD = 10
TOKEN_PREFIX = "tk_"
_hasher = PasswordHasher()
_dummy_hash: str | None = None
log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; Vietnamese and English."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi)
        self.message_vi, self.message_en = message_vi, message_en

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi


@dataclass(frozen=True)
class User:
    """The signed-in user as Flask-Login expects it. ``scope``: None for everything, else the tops of the
    subtrees this user may see (empty: nothing)."""

    id: int
    name: str
    role: str
    scope: frozenset[int] | None
    via_token: bool = False

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def can_edit(self) -> bool:
        return self.role in ("admin", "editor")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def normalize(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


def sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.",
                           f"The password must have at least {MIN_PASSWORD} characters.")
    if len(password) > 1024:
        raise AccountError("Mật khẩu quá dài.", "The password is too long.")


def _hash(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _burn(password: str) -> None:
    """The work of a real verification, for a name that does not exist (same timing either way)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hash(secrets.token_hex(16))
    _verify(_dummy_hash, password)


# --- users ---------------------------------------------------------------------------------------
def _row(conn: Connection, name: str):
    return conn.execute(select(users).where(users.c.name == normalize(name))).mappings().first()


def get_row(conn: Connection, name: str) -> dict:
    row = _row(conn, name)
    if row is None:
        raise AccountError(f"Không có người dùng «{name}».", f"There is no user “{name}”.")
    return dict(row)


def create_user(conn: Connection, name: str, password: str, role: str, scope: list[int] | None = None) -> int:
    clean = normalize(name)
    if not clean or len(clean) > 100 or any(ch.isspace() or not ch.isprintable() for ch in clean):
        raise AccountError("Tên đăng nhập không hợp lệ (không dấu cách, tối đa 100 ký tự).",
                           "Invalid user name (no spaces, at most 100 characters).")
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.", f"The role must be one of: "
                                                                              f"{', '.join(ROLES)}.")
    check_password(password)
    if _row(conn, clean) is not None:
        raise AccountError(f"Đã có người dùng «{clean}».", f"The user “{clean}” already exists.")
    at = now()
    user_id = conn.execute(insert(users).values(name=clean, password_hash=_hash(password), role=role, active=True,
                                                failed_logins=0, created_at=at, password_changed_at=at)
                           .returning(users.c.id)).scalar_one()
    if scope:
        set_scope(conn, user_id, scope)
    return user_id


def list_users(conn: Connection) -> list[dict]:
    rows = [dict(r) for r in conn.execute(select(users.c.id, users.c.name, users.c.role, users.c.active,
                                                 users.c.locked_until, users.c.created_at).order_by(users.c.name))
            .mappings()]
    scopes: dict[int, list[str]] = {}
    for user_id, code, name in conn.execute(select(user_scopes.c.user_id, organizations.c.code, organizations.c.name)
                                            .join(organizations, organizations.c.id == user_scopes.c.org_id)):
        scopes.setdefault(user_id, []).append(code or name)
    for r in rows:
        r["scope"] = sorted(scopes.get(r["id"], []))
    return rows


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def set_scope(conn: Connection, user_id: int, org_ids: list[int]) -> None:
    conn.execute(delete(user_scopes).where(user_scopes.c.user_id == user_id))
    for org_id in sorted(set(org_ids)):
        conn.execute(insert(user_scopes).values(user_id=user_id, org_id=org_id))


def scope_of(conn: Connection, user_id: int, role: str) -> frozenset[int] | None:
    if role == "admin":
        return None
    return frozenset(conn.execute(select(user_scopes.c.org_id).where(user_scopes.c.user_id == user_id)).scalars())


def set_role(conn: Connection, user_id: int, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.", f"The role must be one of: "
                                                                              f"{', '.join(ROLES)}.")
    conn.execute(update(users).where(users.c.id == user_id).values(role=role))


def set_password(conn: Connection, user_id: int, password: str) -> None:
    """A new password; every session of the user ends (tokens stay: they are revoked one by one)."""
    check_password(password)
    conn.execute(update(users).where(users.c.id == user_id).values(
        password_hash=_hash(password), password_changed_at=now(), failed_logins=0, locked_until=None))
    revoke_sessions(conn, user_id)


def set_active(conn: Connection, user_id: int, active: bool) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(active=active, failed_logins=0,
                                                                   locked_until=None))
    if not active:
        revoke_sessions(conn, user_id)


def remove_user(conn: Connection, user_id: int) -> None:
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
    conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id))
    conn.execute(delete(user_scopes).where(user_scopes.c.user_id == user_id))
    conn.execute(delete(users).where(users.c.id == user_id))


def _user(conn: Connection, row, *, via_token: bool = False) -> User:
    return User(id=row["id"], name=row["name"], role=row["role"], scope=scope_of(conn, row["id"], row["role"]),
                via_token=via_token)


def authenticate(conn: Connection, name: str, password: str) -> tuple[User | None, str]:
    """The user, or None and why (for the access log only: the person is told the same thing every time)."""
    row = _row(conn, name) if len(name) <= 200 else None
    if row is None:
        _burn(password)
        return None, "unknown_user"
    at = now()
    if row["locked_until"] is not None and row["locked_until"] > at:
        _burn(password)
        return None, "locked"
    if not _verify(row["password_hash"], password):
        failures = row["failed_logins"] + 1
        values: dict = {"failed_logins": failures}
        if failures >= settings.get_int("LOGIN_MAX_FAILURES"):
            values = {"failed_logins": 0,
                      "locked_until": at + dt.timedelta(minutes=settings.get_int("LOGIN_LOCK_MINUTES"))}
        conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
        return None, "wrong_password" if "locked_until" not in values else "wrong_password_locked"
    if not row["active"]:
        return None, "disabled"
    if row["failed_logins"] or row["locked_until"] is not None:
        conn.execute(update(users).where(users.c.id == row["id"]).values(failed_logins=0, locked_until=None))
    if _hasher.check_needs_rehash(row["password_hash"]):
        conn.execute(update(users).where(users.c.id == row["id"]).values(password_hash=_hash(password)))
    return _user(conn, row), "ok"


# --- sessions ------------------------------------------------------------------------------------
def new_session(conn: Connection, user_id: int) -> str:
    raw = secrets.token_urlsafe(32)
    at = now()
    conn.execute(insert(sessions).values(id=sha256(raw), user_id=user_id, created_at=at,
                                         expires_at=at + dt.timedelta(hours=settings.get_int("SESSION_HOURS"))))
    return raw


def session_user(conn: Connection, raw: str) -> User | None:
    return session_user_and_version(conn, raw)[0]


def session_user_and_version(conn: Connection, raw: str) -> tuple[User | None, int | None]:
    """The session's user with its scope, and the store's data version (the newest audit-log id), in one
    query: every request of a signed-in user needs both, and under load each round trip to the database
    cost tens of milliseconds. (None, None) without a valid session."""
    version = select(func.coalesce(func.max(audit_log.c.id), 0)).scalar_subquery()
    rows = conn.execute(
        select(users.c.id, users.c.name, users.c.role, user_scopes.c.org_id, version)
        .select_from(sessions.join(users, sessions.c.user_id == users.c.id)
                     .outerjoin(user_scopes, user_scopes.c.user_id == users.c.id))
        .where(sessions.c.id == sha256(raw), sessions.c.expires_at > now(), users.c.active)).all()
    if not rows:
        return None, None
    user_id, name, role, _, data_version = rows[0]
    scope = None if role == "admin" else frozenset(int(r[3]) for r in rows if r[3] is not None)
    return User(id=user_id, name=name, role=role, scope=scope), int(data_version)


def end_session(conn: Connection, raw: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.id == sha256(raw)))


def revoke_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


# --- API tokens ----------------------------------------------------------------------------------
def create_token(conn: Connection, user_id: int, label: str) -> tuple[int, str]:
    """A new token for the user (shown once: only its hash is kept)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(insert(api_tokens).values(user_id=user_id, label=(label or "API")[:100],
                                                      token_hash=sha256(raw), created_at=now())
                            .returning(api_tokens.c.id)).scalar_one()
    return token_id, raw


def list_tokens(conn: Connection, user_id: int) -> list[dict]:
    t = api_tokens.c
    return [dict(r) for r in conn.execute(select(t.id, t.label, t.created_at, t.revoked_at)
                                          .where(t.user_id == user_id).order_by(t.id)).mappings()]


def revoke_token(conn: Connection, user_id: int, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False if they have no such token."""
    done = conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id,
                                                 api_tokens.c.revoked_at.is_(None)).values(revoked_at=now()))
    return done.rowcount == 1


def token_user(conn: Connection, raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = conn.execute(select(users).join(api_tokens, api_tokens.c.user_id == users.c.id).where(
        api_tokens.c.token_hash == sha256(raw), api_tokens.c.revoked_at.is_(None), users.c.active)).mappings().first()
    return _user(conn, row, via_token=True) if row is not None else None


# --- the access log ------------------------------------------------------------------------------
def record(engine: Engine, actor: str, action: str, target: str | None = None, details: dict | None = None,
           ip: str | None = None) -> None:
    """One access-log entry in a transaction of its own. A busy store never turns a refusal into an error
    page: the entry then goes to the server's log instead."""
    values = {"at": now(), "actor": (actor or "-")[:100], "action": action[:40],
              "target": target[:500] if target else None, "ip": ip[:64] if ip else None,
              "details": json.dumps(details or {}, ensure_ascii=False, default=str)}
    try:
        with engine.begin() as conn:
            conn.execute(insert(access_log).values(**values))
    except exc.OperationalError:
        log.warning("access log entry not stored (store busy): %s", values)


def audit_entries(conn: Connection, limit: int = 1000) -> list[dict]:
    """The newest entries of both logs, newest first: data changes (audit_log) and accesses (access_log)."""
    data = [dict(r, ip=None, log="data") for r in conn.execute(
        select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()]
    access = [dict(r, log="access") for r in conn.execute(
        select(access_log).order_by(access_log.c.id.desc()).limit(limit)).mappings()]
    return sorted(data + access, key=lambda r: (r["at"], r["id"]), reverse=True)[:limit]
