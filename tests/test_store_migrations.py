"""Migrations: up and down on both databases, and the migrated schema is exactly the model's."""

from __future__ import annotations

import importlib

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from dashboard.store import db
from dashboard.store.schema import metadata
from loaders.catalogue import METRIC_IDS


def test_mig001_upgrade_and_downgrade(store_url):
    engine = db.make_engine(store_url)
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"organizations", "facts", "import_batches", "periods", "audit_log"} <= tables
    db.downgrade(engine)
    assert db.current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine)  # and up again
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_mig002_migrated_schema_matches_the_model(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_mig003_first_migration_has_a_column_for_every_metric():
    first = importlib.import_module("dashboard.store.migrations.versions.0001_initial")
    assert first.METRICS_0001 == METRIC_IDS
