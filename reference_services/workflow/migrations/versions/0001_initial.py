"""workflow: processes, tasks, transitions, assignments (tenant-scoped, RLS), outbox tables.

Revision ID: 0001_workflow_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from reference_services.kernel.migrations import create_event_tables, drop_event_tables
from reference_services.kernel.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001_workflow_initial"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = ("processes", "tasks", "transitions", "assignments")


def _common(*, mutable: bool = True) -> list[sa.Column]:
    columns = [
        sa.Column("id", sa.Uuid(), server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]
    if mutable:
        columns.append(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    return columns


def _child_of(table: str, column: str, parent: str) -> list[sa.SchemaItem]:
    return [
        sa.Column(column, sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint([column], [f"{parent}.id"], name=f"fk_{table}_{column}_{parent}", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "processes",
        *_common(),
        sa.Column("workflow_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("business_key", sa.String(100), nullable=False),
        sa.Column("amount_bdt", sa.Numeric(18, 2), nullable=True),
        sa.Column("variables", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.CheckConstraint("workflow_type IN ('purchase-order', 'invoice-approval', 'leave-request', "
                           "'expense-reimbursement')", name="ck_processes_workflow_type_known"),
        sa.CheckConstraint("amount_bdt IS NULL OR amount_bdt >= 0", name="ck_processes_amount_not_negative"),
        sa.PrimaryKeyConstraint("id", name="pk_processes"),
        sa.UniqueConstraint("tenant_id", "business_key", name="uq_processes_tenant_id_business_key"),
    )
    op.create_table(
        "tasks",
        *_common(),
        sa.Column("task_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("assignee_role", sa.String(32), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'completed', 'cancelled')", name="ck_tasks_status_known"),
        *_child_of("tasks", "process_id", "processes"),
    )
    op.create_table(
        "transitions",
        *_common(mutable=False),
        sa.Column("from_state", sa.String(32), nullable=False),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_child_of("transitions", "process_id", "processes"),
    )
    op.create_table(
        "assignments",
        *_common(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        *_child_of("assignments", "task_id", "tasks"),
    )
    op.create_index("ix_tasks_process_id", "tasks", ["process_id"])
    op.create_index("ix_transitions_process_id", "transitions", ["process_id"])
    op.create_index("ix_assignments_task_id", "assignments", ["task_id"])
    for table in TENANT_TABLES:
        op.create_index(f"ix_{table}_tenant_id", table, ["tenant_id"])

    create_event_tables(op)
    for table in TENANT_TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        disable_tenant_rls(op, table)
    drop_event_tables(op)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
