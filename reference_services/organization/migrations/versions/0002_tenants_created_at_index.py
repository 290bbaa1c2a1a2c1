"""tenants: index created_at, for GET /tenants (the registry is listed oldest first)

The tenant registry grows with every customer of the platform and ``GET /tenants`` orders it by created_at. tenants
already exists, so the index is built CONCURRENTLY outside the revision's transaction (tenant creation is not blocked
while it builds).

Revision ID: 0002_tenants_created_at_index
Revises: 0001_initial
Create Date: 2025-07-01
"""

from alembic import op

revision = "0002_tenants_created_at_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("ix_tenants_created_at", "tenants", ["created_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_tenants_created_at", table_name="tenants", postgresql_concurrently=True)
