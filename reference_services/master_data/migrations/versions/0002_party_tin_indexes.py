"""customers, vendors: index (tenant_id, tin), to find a party by its TIN within a tenant

VAT (Mushak) and AIT returns identify customers and vendors by their 12-digit TIN, so finding a party by TIN inside
one tenant is the lookup those reports make. Both tables already exist, so each index is built CONCURRENTLY outside
the revision's transaction (writes are not blocked while it builds).

Revision ID: 0002_party_tin_indexes
Revises: 0001_master_data_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_party_tin_indexes"
down_revision = "0001_master_data_initial"
branch_labels = None
depends_on = None

TABLES = ("customers", "vendors")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for table in TABLES:
            op.create_index(f"ix_{table}_tenant_id_tin", table, ["tenant_id", "tin"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for table in reversed(TABLES):
            op.drop_index(f"ix_{table}_tenant_id_tin", table_name=table, postgresql_concurrently=True)
