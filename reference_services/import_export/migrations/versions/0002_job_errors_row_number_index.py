"""job_errors: index (tenant_id, job_id, row_number), for GET /imports/{id} (a job's errors by row)

An import of a bad file can reject thousands of rows and ``GET /imports/{id}`` (and ``GET /jobs/{id}``) reads
one job's errors ordered by row_number; the (job_id) index finds them but leaves the sort. job_errors already
exists, so the index is built CONCURRENTLY outside the revision's transaction (imports are not blocked while it
builds).

Revision ID: 0002_job_errors_row_number_index
Revises: 0001_import_export_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_job_errors_row_number_index"
down_revision = "0001_import_export_initial"
branch_labels = None
depends_on = None

INDEX = "ix_job_errors_tenant_id_job_id_row_number"
TABLE = "job_errors"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "job_id", "row_number"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
