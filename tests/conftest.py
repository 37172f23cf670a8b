"""Shared fixtures: a real store on a SQLite file and, when TEST_DATABASE_URL is set, on PostgreSQL.

Each PostgreSQL test gets a schema of its own (dropped afterwards), so tests never see each other's rows.
With TEST_DATABASE_URL set (as `.ci/run` does) an unreachable server fails the tests; it never skips them.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dashboard.store import db
from dashboard.store.registry import Registry, create_org

BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _pg_schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL of an empty store: SQLite file, or a fresh PostgreSQL schema."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it)")
    with pg_schema(base) as url:
        yield url


@contextlib.contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A fresh schema of the PostgreSQL database ``base``, as a store URL (``search_path`` set in the URL),
    dropped afterwards. An unreachable server raises: the test fails."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = db.make_engine(store_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def root_org(engine: Engine) -> int:
    """The bloc committee everything is imported under."""
    with db.write_transaction(engine) as conn:
        return create_org(conn, Registry.load(conn), name="Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh",
                          code="KHOI", org_type=None, parent_id=None).id


@pytest.fixture(autouse=True)
def _keep_sigpipe_ignored() -> Iterator[None]:
    """``cli.main()`` lets SIGPIPE end the process (``python app.py batches | head``); a test calling it in-process
    would leave pytest to be killed by the next write to a closed pipe (a child's stdin, a closed socket)."""
    import signal

    saved = signal.getsignal(signal.SIGPIPE)
    yield
    signal.signal(signal.SIGPIPE, saved)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses the store runs on SQLite and on PostgreSQL (unless marked ``sqlite_only``)."""
    if "store_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("store_url", BACKENDS, indirect=True)
