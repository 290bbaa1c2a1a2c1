"""file-storage: files (tenant-scoped, RLS), outbox tables.

Revision ID: 0001_file_storage_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_file_storage_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(128), nullable=False),
        sa.CheckConstraint("size_bytes >= 0", name="ck_files_size_not_negative"),
        sa.PrimaryKeyConstraint("id", name="pk_files"),
        sa.UniqueConstraint("tenant_id", "storage_key", name="uq_files_tenant_id_storage_key"),
    )
    op.create_index("ix_files_tenant_id", "files", ["tenant_id"])
    create_event_tables(op)
    enable_tenant_rls(op, "files")


def downgrade() -> None:
    disable_tenant_rls(op, "files")
    drop_event_tables(op)
    op.drop_table("files")
