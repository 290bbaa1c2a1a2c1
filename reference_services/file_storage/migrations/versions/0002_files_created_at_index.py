"""files: index (tenant_id, created_at), for GET /files (newest first)

``GET /files`` pages through a tenant's files ordered by created_at descending; the (tenant_id) and
(tenant_id, storage_key) indexes leave that a sort of all the tenant's files for every page. files already
exists, so the index is built CONCURRENTLY outside the revision's transaction (uploads are not blocked while it
builds).

Revision ID: 0002_files_created_at_index
Revises: 0001_file_storage_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_files_created_at_index"
down_revision = "0001_file_storage_initial"
branch_labels = None
depends_on = None

INDEX = "ix_files_tenant_id_created_at"
TABLE = "files"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "created_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
