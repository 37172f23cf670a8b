"""The first schema: organizations with history and lineage, periods, metrics, import batches, facts, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The metric columns as of this revision (written out: a migration must not change when the catalogue does;
# a metric added to the catalogue later gets a migration that adds its column).
METRICS_0001 = (
    "members_total", "members_full", "members_probationary", "members_female", "members_ethnic_minority",
    "members_religious", "members_exempt", "admitted", "recognized_full", "transferred_in", "transferred_out",
    "reinstated", "deceased", "removed", "expelled", "resigned", "disciplined_total", "disciplined_reprimand",
    "disciplined_warning", "disciplined_dismissal", "disciplined_expulsion", "inspections", "supervisions",
    "rated_total", "rated_excellent", "rated_good", "rated_complete", "rated_failed", "committee_members",
    "committee_female", "committee_youth", "committee_ethnic_minority", "secretary_is_head",
)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("name_norm", sa.String(500), nullable=False),
        sa.Column("org_type", sa.String(40), nullable=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=True),
        sa.Column("level", sa.SmallInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_batch_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("code", name="uq_organizations_code"),
    )
    op.create_index("ix_organizations_name_norm", "organizations", ["name_norm"])
    op.create_index("ix_organizations_parent_id", "organizations", ["parent_id"])
    op.create_table(
        "org_names",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_to", sa.Date, nullable=True),
    )
    op.create_index("ix_org_names_org_id", "org_names", ["org_id"])
    op.create_table(
        "org_parents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=True),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_to", sa.Date, nullable=True),
    )
    op.create_index("ix_org_parents_org_id", "org_parents", ["org_id"])
    op.create_table(
        "lineage_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_table(
        "lineage_links",
        sa.Column("event_id", sa.Integer, sa.ForeignKey("lineage_events.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), primary_key=True),
        sa.Column("role", sa.String(8), primary_key=True),
        sa.Column("share", sa.Float, nullable=True),
    )
    op.create_table(
        "periods",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("locked_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("code", name="uq_periods_code"),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("accepted_warnings", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("organizations", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("facts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_orgs", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("errors", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("warnings", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("periods", sa.Text, nullable=False),
        sa.Column("sheets", sa.Text, nullable=False),
        sa.Column("issues", sa.Text, nullable=False),
        sa.Column("rolled_back_at", sa.DateTime, nullable=True),
        sa.Column("rolled_back_by", sa.String(100), nullable=True),
    )
    op.create_index("ix_import_batches_sha256", "import_batches", ["sha256"])
    op.create_table(
        "facts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.id"), nullable=False),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("period_id", sa.Integer, sa.ForeignKey("periods.id"), nullable=False),
        sa.Column("sheet_no", sa.SmallInteger, nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("cells", sa.Text, nullable=True),
        *[sa.Column(metric_id, sa.BigInteger, nullable=True) for metric_id in METRICS_0001],
        sa.UniqueConstraint("batch_id", "org_id", "period_id", name="uq_facts_batch_id_org_id_period_id"),
    )
    op.create_index("ix_facts_period_org", "facts", ["period_id", "org_id"])
    op.create_index("ix_facts_batch", "facts", ["batch_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("details", sa.Text, nullable=True),
    )


def downgrade() -> None:
    for table in ("audit_log", "facts", "import_batches", "periods", "lineage_links", "lineage_events",
                  "org_parents", "org_names", "organizations"):
        op.drop_table(table)
