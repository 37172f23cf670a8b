"""Accounts in the store and on the command line: passwords, lockout, sessions, tokens, scopes, the users
commands and the migration, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import time

import pytest
from sqlalchemy import select

from dashboard import cli
from dashboard.accounts import store
from dashboard.store import db
from dashboard.store.registry import Registry, create_org
from dashboard.store.schema import access_log, users
from tests.auth import PASSWORD, create_user


@pytest.fixture
def tree(engine):
    """KHOI with two sibling districts, each with one grassroots organization."""
    with db.write_transaction(engine) as conn:
        reg = Registry.load(conn)
        root = create_org(conn, reg, name="Đảng bộ Tỉnh", code="KHOI", org_type=None, parent_id=None)
        reg = Registry.load(conn)
        a = create_org(conn, reg, name="Huyện A", code="HA", org_type=None, parent_id=root.id)
        b = create_org(conn, Registry.load(conn), name="Huyện B", code="HB", org_type=None, parent_id=root.id)
    return {"root": root.id, "a": a.id, "b": b.id}


def test_acc001_password_is_hashed_with_argon2_and_checked(engine, tree):
    create_user(engine, "Nguyễn.An", "editor", ["HA"])
    with engine.connect() as conn:
        row = conn.execute(select(users)).mappings().one()
    assert row["name"] == "nguyễn.an" and row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    with engine.begin() as conn:
        user, why = store.authenticate(conn, "NGUYỄN.AN", PASSWORD)
    assert why == "ok" and user is not None and user.role == "editor" and user.scope == frozenset({tree["a"]})


def test_acc002_unknown_user_and_wrong_password_look_the_same(engine, tree):
    create_user(engine, "an", "viewer", ["HA"])
    timings: dict[str, list[float]] = {"an": [], "nobody": []}
    for _ in range(3):  # taking turns, and the fastest of each: other work on the machine weighs on both alike
        for name in ("an", "nobody"):
            started = time.perf_counter()
            with engine.begin() as conn:
                user, _why = store.authenticate(conn, name, "wrong-password-123")
            timings[name].append(time.perf_counter() - started)
            assert user is None
    # both spend one argon2 verification: within a factor of two of each other
    assert 0.5 < min(timings["an"]) / min(timings["nobody"]) < 2.0, timings


def test_acc003_too_many_failures_lock_the_account_even_for_the_right_password(engine, tree, monkeypatch):
    monkeypatch.setenv("LOGIN_MAX_FAILURES", "3")
    create_user(engine, "an", "viewer", ["HA"])
    for _ in range(3):
        with engine.begin() as conn:
            assert store.authenticate(conn, "an", "wrong-password-123")[0] is None
    with engine.begin() as conn:
        user, why = store.authenticate(conn, "an", PASSWORD)
    assert user is None and why == "locked"


def test_acc004_sessions_end_on_logout_password_change_and_disable(engine, tree):
    user_id = create_user(engine, "an", "viewer", ["HA"])
    with engine.begin() as conn:
        first, second = store.new_session(conn, user_id), store.new_session(conn, user_id)
        assert store.session_user(conn, first).name == "an"
        store.end_session(conn, first)
        assert store.session_user(conn, first) is None and store.session_user(conn, second) is not None
        store.set_password(conn, user_id, "another-password-456")
        assert store.session_user(conn, second) is None
        third = store.new_session(conn, user_id)
        store.set_active(conn, user_id, False)
        assert store.session_user(conn, third) is None
        assert store.authenticate(conn, "an", "another-password-456")[0] is None


def test_acc005_api_tokens_are_stored_hashed_scoped_like_their_owner_and_revocable(engine, tree):
    user_id = create_user(engine, "an", "viewer", ["HA", "HB"])
    other = create_user(engine, "binh", "viewer", ["HB"])
    with engine.begin() as conn:
        token_id, raw = store.create_token(conn, user_id, "Power Query")
        assert raw.startswith("tk_") and raw not in json.dumps(store.list_tokens(conn, user_id), default=str)
        assert store.token_user(conn, raw).scope == frozenset({tree["a"], tree["b"]})
        assert not store.revoke_token(conn, other, token_id)  # not theirs
        assert store.token_user(conn, raw) is not None
        assert store.revoke_token(conn, user_id, token_id)
        assert store.token_user(conn, raw) is None


def test_acc006_admin_sees_everything_and_a_user_without_scope_nothing(engine, tree):
    admin = create_user(engine, "root", "admin")
    nobody = create_user(engine, "nobody", "viewer")
    with engine.connect() as conn:
        assert store.scope_of(conn, admin, "admin") is None
        assert store.scope_of(conn, nobody, "viewer") == frozenset()


def test_acc007_weak_passwords_bad_names_and_roles_are_refused(engine, tree):
    with db.write_transaction(engine) as conn:
        for name, password, role in (("an", "short", "viewer"), ("a b", PASSWORD, "viewer"),
                                     ("an", PASSWORD, "owner")):
            with pytest.raises(store.AccountError):
                store.create_user(conn, name, password, role)


def run_cli(monkeypatch, capsys, store_url, *argv, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_acc008_users_commands(engine, tree, store_url, monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, store_url, "users", "add", "chi", "--role", "editor", "--scope", "HA",
                           "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "Đã thêm người dùng chi (editor)" in out and PASSWORD not in out
    code, out, _ = run_cli(monkeypatch, capsys, store_url, "users", "list", "--lang", "en")
    assert code == 0 and "chi" in out and "editor" in out and "HA" in out
    assert run_cli(monkeypatch, capsys, store_url, "users", "set-scope", "chi", "HA", "HB")[0] == 0
    assert run_cli(monkeypatch, capsys, store_url, "users", "set-role", "chi", "viewer")[0] == 0
    with engine.begin() as conn:
        user, _ = store.authenticate(conn, "chi", PASSWORD)
    assert user.role == "viewer" and user.scope == frozenset({tree["a"], tree["b"]})
    code, out, _ = run_cli(monkeypatch, capsys, store_url, "users", "tokens", "chi", "--create", "PQ", "--json")
    raw = json.loads(out)["token"]
    with engine.connect() as conn:
        assert store.token_user(conn, raw).name == "chi"
    assert run_cli(monkeypatch, capsys, store_url, "users", "passwd", "chi", "--password-stdin",
                   stdin="short\n")[0] == 1
    assert run_cli(monkeypatch, capsys, store_url, "users", "disable", "chi")[0] == 0
    with engine.connect() as conn:
        assert store.token_user(conn, raw) is None  # a disabled user's tokens stop working
    code, _, err = run_cli(monkeypatch, capsys, store_url, "users", "set-scope", "chi", "NOPE")
    assert code == 1 and "NOPE" in err
    assert run_cli(monkeypatch, capsys, store_url, "users", "remove", "chi")[0] == 0
    with engine.connect() as conn:
        actions = conn.execute(select(access_log.c.action).order_by(access_log.c.id)).scalars().all()
    assert actions == ["user_add", "user_set_scope", "user_set_role", "user_tokens", "user_disable", "user_remove"]


def test_acc009_password_is_never_taken_from_the_command_line(monkeypatch, capsys, store_url):
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, capsys, store_url, "users", "add", "x", "--role", "admin", "--password", PASSWORD)


def test_acc010_migration_0002_up_and_down_keeps_the_store(store_url):
    engine = db.make_engine(store_url)
    db.upgrade(engine, "0001")
    with db.write_transaction(engine) as conn:
        create_org(conn, Registry.load(conn), name="Khối", code="KHOI", org_type=None, parent_id=None)
    db.upgrade(engine)
    create_user(engine, "an", "viewer", ["KHOI"])
    db.downgrade(engine, "0001")
    assert db.current_revision(engine) == "0001"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM organizations").scalar_one() == 1
    db.upgrade(engine)
    with engine.connect() as conn:
        assert store.count_users(conn) == 0
    engine.dispose()


def test_acc011_secret_key_is_generated_once_next_to_the_sqlite_file_and_cookies_are_secure_by_default(
        tmp_path, monkeypatch):
    from dashboard.accounts import web
    from dashboard.web import context

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("COOKIE_SECURE", raising=False)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    monkeypatch.setattr(context, "_engine", engine)
    first = web.secret_key()
    path = tmp_path / "secret_key"
    assert len(first) == 64 and path.read_text() == first and oct(path.stat().st_mode & 0o777) == "0o600"
    assert web.secret_key() == first  # the same key on the next start (and in every worker)
    monkeypatch.setenv("SECRET_KEY", "from-the-environment" * 3)
    assert web.secret_key() == "from-the-environment" * 3
    assert web.cookie_secure() is True
    monkeypatch.setenv("COOKIE_SECURE", "false")
    assert web.cookie_secure() is False
    engine.dispose()


def test_acc012_an_import_limited_to_a_scope_never_creates_organizations_outside_it(engine, tree):
    from dashboard.store import imports
    from dashboard.store.schema import organizations
    from tests.builders import simple_report

    header = ("STT", "Tên tổ chức cơ sở đảng", "Tổng số đảng viên")
    data = simple_report("BÁO CÁO QUÝ I NĂM 2024", [[1, "Chi bộ Mới", 12]], header=header)
    two = imports.ImportOptions(create_orgs=True, scope_ids=frozenset({tree["a"], tree["b"]}), actor="an")
    result = imports.import_file(engine, data, "x.xlsx", two, dry_run=True)
    assert [i.code for i in result.errors] == ["org_outside_scope"] and not result.new_orgs
    one = imports.ImportOptions(create_orgs=True, scope_ids=frozenset({tree["a"]}), actor="an")
    result = imports.import_file(engine, data, "x.xlsx", one, dry_run=False)
    with engine.connect() as conn:
        parent = conn.execute(select(organizations.c.parent_id)
                              .where(organizations.c.name == "Chi bộ Mới")).scalar_one()
    assert parent == tree["a"]
    with pytest.raises(imports.ImportRefused):  # B's editor cannot roll back A's import
        imports.rollback(engine, result.batch_id, "binh", within=frozenset({tree["b"]}))
    imports.rollback(engine, result.batch_id, "an", within=frozenset({tree["a"]}))
    nothing = imports.ImportOptions(create_orgs=True, scope_ids=frozenset(), actor="x")
    assert imports.import_file(engine, data, "x.xlsx", nothing, dry_run=True).errors
