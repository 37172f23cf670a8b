"""On first start with an empty store, the bundled sample data is imported (and marked "Dữ liệu mẫu")."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from dashboard.settings import ROOT
from dashboard.store import db, imports
from dashboard.store.registry import Registry, create_org
from dashboard.store.schema import import_batches, organizations
from dashboard.web.data import SAMPLE_USER

SAMPLES = ("bloc_annual_2020_2024.xlsx", "bloc_quarterly_2023_2026.xlsx")
SAMPLE_ROOT = ("Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh Thanh Hóa", "KHOI")


def ensure_sample_data(engine: Engine) -> bool:
    """Import the sample workbooks if the store has no organization and no import yet; True if it did."""
    with engine.connect() as conn:
        if _has_data(conn):  # the usual case, without waiting for the write lock
            return False
    with db.write_transaction(engine) as conn:
        # asked again inside the write: several web workers starting on an empty store all get here, and only
        # the first one in may set it up (the others used to fail to start on "code KHOI already exists")
        if _has_data(conn):
            return False
        name, code = SAMPLE_ROOT
        create_org(conn, Registry.load(conn), name=name, code=code, org_type=None, parent_id=None, actor=SAMPLE_USER)
    options = imports.ImportOptions(create_orgs=True, accept_warnings=True, actor=SAMPLE_USER)
    for file_name in SAMPLES:
        path = ROOT / "data" / "samples" / file_name
        imports.import_file(engine, path.read_bytes(), file_name, options, dry_run=False)
    return True


def _has_data(conn) -> bool:
    """Any organization or any import in the store."""
    return bool(conn.execute(select(func.count()).select_from(organizations)).scalar_one() or conn.execute(
        select(func.count()).select_from(import_batches)).scalar_one())
