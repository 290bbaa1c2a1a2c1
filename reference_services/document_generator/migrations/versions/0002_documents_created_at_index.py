"""documents: index (tenant_id, created_at), for GET /documents (newest first)

Every generation adds a row and ``GET /documents`` pages through a tenant's documents ordered by created_at
descending; the (tenant_id) index leaves that a sort of all of them for every page. documents already exists, so
the index is built CONCURRENTLY outside the revision's transaction (generation is not blocked while it builds).

Revision ID: 0002_documents_created_at_index
Revises: 0001_document_generator_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_documents_created_at_index"
down_revision = "0001_document_generator_initial"
branch_labels = None
depends_on = None

INDEX = "ix_documents_tenant_id_created_at"
TABLE = "documents"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "created_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
