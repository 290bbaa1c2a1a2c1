"""job_runs: index (tenant_id, job_id, started_at), for GET /jobs/{id}/runs (latest runs first)

A job that runs every minute adds 1,440 runs a day and ``GET /jobs/{id}/runs`` reads one job's runs ordered by
started_at descending; the (job_id) index finds them but leaves the sort. job_runs already exists, so the index
is built CONCURRENTLY outside the revision's transaction (the loop's inserts are not blocked while it builds).

Revision ID: 0002_job_runs_job_started_index
Revises: 0001_initial
Create Date: 2025-07-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_job_runs_job_started_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

INDEX = "ix_job_runs_tenant_id_job_id_started_at"
TABLE = "job_runs"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(INDEX, TABLE, ["tenant_id", "job_id", "started_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(INDEX, table_name=TABLE, postgresql_concurrently=True)
