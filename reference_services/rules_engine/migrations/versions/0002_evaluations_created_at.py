"""evaluations: index (tenant_id, created_at), for GET /evaluations (newest first)

Every evaluation adds a row (the table only grows) and ``GET /evaluations`` lists a tenant's evaluations ordered
by created_at descending; the (tenant_id) and (tenant_id, entity_id) indexes leave that a sort of all of them.
evaluations already exists, so the index is built CONCURRENTLY outside the revision's transaction (evaluations
are not blocked while it builds).

Revision ID: 0002_evaluations_created_at
Revises: 0001_rules_engine_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_evaluations_created_at"
down_revision = "0001_rules_engine_initial"
branch_labels = None
depends_on = None

INDEX = "ix_evaluations_tenant_id_created_at"
TABLE = "evaluations"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "created_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
