"""Connections to the store: the embedded SQLite file or PostgreSQL, migrations, and the import lock.

SQLite runs in WAL mode (readers see a consistent snapshot while an import writes) with full
synchronous commits and a busy timeout; an import takes the write lock at its start (BEGIN IMMEDIATE),
so two imports queue rather than fail half-way. PostgreSQL imports serialize on an advisory lock.
Either way a wait that lasts past IMPORT_LOCK_TIMEOUT ends in ``StoreBusy``: "busy, try again".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, exc, text
from sqlalchemy.engine import make_url

from dashboard import settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# any fixed number: the PostgreSQL advisory lock for imports, paired with the store's schema (advisory locks
# are database-wide: two stores in two schemas of one database must not wait for each other)
_IMPORT_LOCK_KEY = 7_841_105


class StoreBusy(Exception):
    """Another import holds the store: try again in a moment."""

    message_vi = "Đang có người khác nhập số liệu; vui lòng thử lại sau ít phút."
    message_en = "Another import is in progress; please try again in a moment."

    def __init__(self) -> None:
        super().__init__(self.message_vi)


def make_engine(url: str | None = None) -> Engine:
    """An engine for the store at ``url`` (default: settings.database_url())."""
    url = url or settings.database_url()
    parsed = make_url(url)
    timeout = settings.get_int("IMPORT_LOCK_TIMEOUT")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": timeout})
        _sqlite_events(engine, timeout)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_events(engine: Engine, timeout: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # let SQLAlchemy (below) say when a transaction begins, instead of the sqlite3 module
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={timeout * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write_lock") else "BEGIN")


def is_sqlite(conn_or_engine: Connection | Engine) -> bool:
    return conn_or_engine.dialect.name == "sqlite"


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing transaction holding the store's import lock."""
    try:
        with engine.connect().execution_options(write_lock=True) as conn, conn.begin():
            if not is_sqlite(conn):
                timeout = settings.get_int("IMPORT_LOCK_TIMEOUT")
                conn.execute(text(f"SET LOCAL lock_timeout = '{timeout}s'"))
                conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                             {"k": _IMPORT_LOCK_KEY})
            yield conn
    except exc.OperationalError as error:
        if _is_busy(error):
            raise StoreBusy() from None
        raise


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for reading: never half of an import."""
    options = {} if is_sqlite(engine) else {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Many rows at once: one prepared executemany on SQLite (values converted as SQLAlchemy would), COPY on
    PostgreSQL, on the transaction's own connection."""
    names = ", ".join(f'"{c}"' for c in columns)
    if is_sqlite(conn):
        types = [table.c[c].type.dialect_impl(conn.dialect) for c in columns]
        procs = [(i, p) for i, t in enumerate(types) if (p := t.bind_processor(conn.dialect))]
        if procs:
            def convert(row: Sequence[object]) -> tuple:
                out = list(row)
                for i, proc in procs:
                    if out[i] is not None:
                        out[i] = proc(out[i])
                return tuple(out)
            rows = map(convert, rows)
        placeholders = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})', list(rows))
        return
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` fresh ids for ``table``'s integer primary key ``id``, to insert rows with known ids in bulk.

    Call inside a write transaction: on SQLite it holds the only write lock (so max(id) + 1 … is free), on
    PostgreSQL the ids come from the table's sequence (free whoever else inserts).
    """
    if count <= 0:
        return []
    if is_sqlite(conn):
        top = conn.exec_driver_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table.name}"').scalar_one()
        return list(range(top + 1, top + 1 + count))
    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar_one()
    return sorted(conn.exec_driver_sql("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                                       (sequence, count)).scalars())


def _is_busy(error: exc.OperationalError) -> bool:
    text_ = str(error.orig).lower()
    return "database is locked" in text_ or "lock timeout" in text_ or "lock_timeout" in text_ or (
        getattr(error.orig, "sqlstate", None) == "55P03")


# --- migrations ------------------------------------------------------------------------------
def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (run on every start and by ``python app.py db upgrade``)."""
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()
