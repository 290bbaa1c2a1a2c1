"""notifications: index (tenant_id, created_at), for GET /notifications (newest first)

Every message sent adds a row and ``GET /notifications`` lists a tenant's messages ordered by created_at
descending; the (tenant_id) index leaves that a sort of all the tenant's messages. notifications already exists,
so the index is built CONCURRENTLY outside the revision's transaction (sending is not blocked while it builds).

Revision ID: 0002_notifications_created_at
Revises: 0001_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_notifications_created_at"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

INDEX = "ix_notifications_tenant_id_created_at"
TABLE = "notifications"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "created_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
