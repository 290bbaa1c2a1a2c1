"""tasks: index (tenant_id, status), for GET /tasks?status=open (the task inbox)

Completed and cancelled tasks accumulate while the inbox asks only for a tenant's open ones; the (tenant_id)
index reads every task the tenant ever had. tasks already exists, so the index is built CONCURRENTLY outside the
revision's transaction (task creation and completion are not blocked while it builds).

Revision ID: 0002_tasks_status_index
Revises: 0001_workflow_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_tasks_status_index"
down_revision = "0001_workflow_initial"
branch_labels = None
depends_on = None

INDEX = "ix_tasks_tenant_id_status"
TABLE = "tasks"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "status"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
