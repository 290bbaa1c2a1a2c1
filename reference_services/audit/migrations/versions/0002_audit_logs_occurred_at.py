"""audit_logs: index (tenant_id, occurred_at), for GET /audit-logs (newest first)

Every consumed event adds a row and ``GET /audit-logs`` lists a tenant's records ordered by occurred_at
descending; the (tenant_id) and (tenant_id, event_type) indexes leave that a sort of the whole tenant's log.
audit_logs already exists, so the index is built CONCURRENTLY outside the revision's transaction (the consumer's
inserts are not blocked while it builds).

Revision ID: 0002_audit_logs_occurred_at
Revises: 0001_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_audit_logs_occurred_at"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

INDEX = "ix_audit_logs_tenant_id_occurred_at"
TABLE = "audit_logs"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "occurred_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
