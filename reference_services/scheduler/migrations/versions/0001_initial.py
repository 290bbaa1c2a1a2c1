"""initial: jobs and job_runs (RLS), job_schedule (RLS-exempt), outbox and processed_events

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _updated() -> sa.Column:
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("cron", sa.String(120), nullable=False),
        sa.Column("timezone", sa.String(64), server_default="Asia/Dhaka", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        _created(),
        _updated(),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("tenant_id", "code", name="uq_jobs_tenant_id_code"),
    )
    op.create_index("ix_jobs_tenant_id", "jobs", ["tenant_id"])
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("result", JSONB(), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_job_runs"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE", name="fk_job_runs_job_id_jobs"),
    )
    op.create_index("ix_job_runs_tenant_id", "job_runs", ["tenant_id"])
    op.create_index("ix_job_runs_job_id", "job_runs", ["job_id"])
    op.create_table(
        "job_schedule",
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        _created(),
        _updated(),
        sa.PrimaryKeyConstraint("id", name="pk_job_schedule"),
        sa.UniqueConstraint("job_id", name="uq_job_schedule_job_id"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE", name="fk_job_schedule_job_id_jobs"),
    )
    op.create_index("ix_job_schedule_tenant_id", "job_schedule", ["tenant_id"])
    op.create_index("ix_job_schedule_next_run_at", "job_schedule", ["next_run_at"])
    enable_tenant_rls(op, "jobs")
    enable_tenant_rls(op, "job_runs")
    create_event_tables(op)


def downgrade() -> None:
    drop_event_tables(op)
    disable_tenant_rls(op, "job_runs")
    disable_tenant_rls(op, "jobs")
    op.drop_table("job_schedule")
    op.drop_table("job_runs")
    op.drop_table("jobs")
