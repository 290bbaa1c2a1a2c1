"""initial: notifications and templates (RLS), outbox and processed_events

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _base_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
    ]


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "notifications",
        *_base_columns(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("source_event_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_tenant_id", "notifications", ["tenant_id"])
    op.create_table(
        "templates",
        *_base_columns(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_templates"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_templates_tenant_id_code"),
    )
    op.create_index("ix_templates_tenant_id", "templates", ["tenant_id"])
    enable_tenant_rls(op, "notifications")
    enable_tenant_rls(op, "templates")
    create_event_tables(op)


def downgrade() -> None:
    drop_event_tables(op)
    disable_tenant_rls(op, "templates")
    disable_tenant_rls(op, "notifications")
    op.drop_table("templates")
    op.drop_table("notifications")
