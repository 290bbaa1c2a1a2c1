"""initial: settings and feature_flags (RLS), outbox and processed_events

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _common() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "settings",
        *_common(),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_settings"),
        sa.UniqueConstraint("tenant_id", "scope", "key", name="uq_settings_tenant_id_scope_key"),
    )
    op.create_index("ix_settings_tenant_id", "settings", ["tenant_id"])
    op.create_table(
        "feature_flags",
        *_common(),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_feature_flags"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_feature_flags_tenant_id_key"),
    )
    op.create_index("ix_feature_flags_tenant_id", "feature_flags", ["tenant_id"])
    enable_tenant_rls(op, "settings")
    enable_tenant_rls(op, "feature_flags")
    create_event_tables(op)


def downgrade() -> None:
    drop_event_tables(op)
    disable_tenant_rls(op, "feature_flags")
    disable_tenant_rls(op, "settings")
    op.drop_table("feature_flags")
    op.drop_table("settings")
