"""A store seeded the way the web, browser and export tests need it: the bloc committee "Đảng bộ Khối Thử"
(code KHOI), the given reports imported under it (organizations created), and an administrator account."""

from __future__ import annotations

from collections.abc import Sequence

from dashboard.store import db, imports
from dashboard.store.registry import Registry, create_org
from tests import auth


def seeded_store(url: str, reports: Sequence[tuple[str, bytes]], *, admin: str | None = "admin") -> None:
    """Migrate the store at ``url`` and import ``reports`` ((file name, bytes), in order); each must commit
    with no issue."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.write_transaction(engine) as conn:
        create_org(conn, Registry.load(conn), name="Đảng bộ Khối Thử", code="KHOI", org_type=None, parent_id=None)
    options = imports.ImportOptions(create_orgs=True, actor="test")
    for name, data in reports:
        result = imports.import_file(engine, data, name, options, dry_run=False)
        assert result.status == "committed" and not result.issues, (name, result.status)
    if admin:
        auth.create_user(engine, admin, "admin")
    engine.dispose()


def province_store(url: str, report: tuple[str, bytes], districts: dict[tuple[str, str], Sequence[tuple[str, str]]],
                   users: Sequence[tuple[str, str, list[str] | None]]) -> None:
    """A province for the scope tests: "Đảng bộ Tỉnh" (KHOI) with its districts (``(code, name)`` → their
    organizations' ``(code, name)``), ``report`` ((file name, bytes)) imported into them (matched by code,
    nothing created; it must commit with no issue), and ``users`` ((name, role, scope codes))."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.write_transaction(engine) as conn:
        root = create_org(conn, Registry.load(conn), name="Đảng bộ Tỉnh", code="KHOI", org_type=None, parent_id=None)
        for (code, name), members in districts.items():
            district = create_org(conn, Registry.load(conn), name=name, code=code, org_type=None, parent_id=root.id)
            for org_code, org_name in members:
                create_org(conn, Registry.load(conn), name=org_name, code=org_code, org_type=None,
                           parent_id=district.id)
    done = imports.import_file(engine, report[1], report[0], imports.ImportOptions(actor="seed"), dry_run=False)
    assert done.status == "committed" and not done.issues, done.status
    for name, role, scope in users:
        auth.create_user(engine, name, role, scope)
    engine.dispose()
