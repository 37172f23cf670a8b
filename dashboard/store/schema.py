"""The store's tables (SQLAlchemy Core). The Alembic migrations in ``migrations/`` create exactly these.

Identity: an organization keeps its ``id`` for life, through renames and moves; merges, splits and
dissolutions end it (``valid_to``) and are recorded as lineage events that link it to its successors.
Facts are never updated in place: a corrected file adds new rows, the latest committed import wins
metric by metric, so "as submitted" and "as corrected" can both be shown and a rollback restores the
earlier values exactly.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from loaders.catalogue import METRIC_IDS

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT there.
BigId = BigInteger().with_variant(Integer(), "sqlite")

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=True, unique=True),
    Column("name", String(500), nullable=False),
    Column("name_norm", String(500), nullable=False, index=True),
    Column("org_type", String(40), nullable=True),
    Column("parent_id", Integer, ForeignKey("organizations.id"), nullable=True, index=True),
    Column("level", SmallInteger, nullable=False, server_default=text("0")),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),  # the last day it existed; NULL while it exists
    Column("created_at", DateTime, nullable=False),
    Column("created_batch_id", Integer, nullable=True),  # the import that created it, if any
)

org_names = Table(
    "org_names",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(500), nullable=False),
    Column("code", String(64), nullable=True),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
)

org_parents = Table(
    "org_parents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("parent_id", Integer, ForeignKey("organizations.id"), nullable=True),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
)

lineage_events = Table(
    "lineage_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # rename, move, merge, split, dissolve
    Column("effective_date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("note", Text, nullable=True),
)

lineage_links = Table(
    "lineage_links",
    metadata,
    Column("event_id", Integer, ForeignKey("lineage_events.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", Integer, ForeignKey("organizations.id"), primary_key=True),
    Column("role", String(8), primary_key=True),  # from, to
    Column("share", Float, nullable=True),  # for a split: the part of the old organization this one took
)

periods = Table(
    "periods",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),  # domain.md ids: 2024, 2024-Q3, 2019-06-30 …
    Column("kind", String(16), nullable=False),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("label", String(100), nullable=False),
    Column("locked", Boolean, nullable=False, server_default=text("false")),
    Column("locked_by", String(100), nullable=True),
    Column("locked_at", DateTime, nullable=True),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(300), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("format", String(8), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),  # committed, rolled_back
    Column("accepted_warnings", Boolean, nullable=False, server_default=text("false")),
    Column("organizations", Integer, nullable=False, server_default=text("0")),
    Column("facts", Integer, nullable=False, server_default=text("0")),
    Column("created_orgs", Integer, nullable=False, server_default=text("0")),
    Column("errors", Integer, nullable=False, server_default=text("0")),
    Column("warnings", Integer, nullable=False, server_default=text("0")),
    Column("periods", Text, nullable=False),  # JSON list of period codes
    Column("sheets", Text, nullable=False),  # JSON [{"name": …, "columns": {metric: letter}}], facts keep the index
    Column("issues", Text, nullable=False),  # JSON: the full issue list, both languages
    Column("rolled_back_at", DateTime, nullable=True),
    Column("rolled_back_by", String(100), nullable=True),
)

# One row per organization, period and import, one column per metric (NULL: not reported in that
# import). The value shown for a metric is the latest committed import that reported it, so a corrected
# file supersedes earlier values without erasing them, and rolling an import back restores them.
facts = Table(
    "facts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False),
    Column("org_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("period_id", Integer, ForeignKey("periods.id"), nullable=False),
    Column("sheet_no", SmallInteger, nullable=False),  # index into the batch's sheets
    Column("row_no", Integer, nullable=False),  # the organization's row: cell = metric's column + row
    Column("cells", Text, nullable=True),  # JSON {metric: "Sheet!A1"} for values merged from other sheets
    *[Column(metric_id, BigInteger, nullable=True) for metric_id in METRIC_IDS],
    UniqueConstraint("batch_id", "org_id", "period_id"),
    Index("ix_facts_period_org", "period_id", "org_id"),
    Index("ix_facts_batch", "batch_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(200), nullable=True),
    Column("details", Text, nullable=True),  # JSON
)

# --- accounts (migration 0002) -------------------------------------------------------------------
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),  # normalized: NFC, case-folded, trimmed
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("role", String(16), nullable=False),  # admin, editor, viewer
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),  # since the last success
    Column("locked_until", DateTime, nullable=True),  # too many failed logins: refused until then
    Column("created_at", DateTime, nullable=False),
    Column("password_changed_at", DateTime, nullable=False),
)

# The organizations whose subtrees a user may see (and, for an editor, change). An admin sees everything.
user_scopes = Table(
    "user_scopes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)

# Server-side sessions: the browser's signed cookie holds a random key whose SHA-256 is ``id``; logging out
# or changing the password deletes the row, so a copied cookie stops working.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# API tokens for scripts (Power Query): only the SHA-256 of the token is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
)

# Logins, refusals, account changes and downloads. Kept apart from ``audit_log`` (data changes) because the
# newest audit_log entry is the data version every cached figure is keyed on: a login must not expire them.
access_log = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(500), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("details", Text, nullable=True),  # JSON
)

__all__ = [
    "access_log",
    "api_tokens",
    "audit_log",
    "facts",
    "import_batches",
    "lineage_events",
    "lineage_links",
    "metadata",
    "org_names",
    "org_parents",
    "organizations",
    "periods",
    "sessions",
    "user_scopes",
    "users",
]
