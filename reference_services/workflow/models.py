"""workflow's tables (SPEC.md "Database"): processes, tasks, transitions (the history), assignments; every one
tenant-scoped with RLS, plus the kernel's outbox tables."""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from datetime import datetime  # noqa: TC003
from decimal import Decimal  # noqa: TC003
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey

# the outbox tables belong to this service's schema too (they are created by its first migration)
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = [
    "TENANT_TABLES",
    "WORKFLOW_TYPES",
    "Assignment",
    "Base",
    "OutboxEvent",
    "Process",
    "ProcessedEvent",
    "Task",
    "Transition",
]

TENANT_TABLES = ("processes", "tasks", "transitions", "assignments")
# workflow_type is a metric label: the set is closed (a check constraint keeps it so)
WORKFLOW_TYPES = ("purchase-order", "invoice-approval", "leave-request", "expense-reimbursement")


class Process(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "processes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "business_key"),
        CheckConstraint(
            "workflow_type IN ('purchase-order', 'invoice-approval', 'leave-request', 'expense-reimbursement')",
            name="workflow_type_known",
        ),
        CheckConstraint("amount_bdt IS NULL OR amount_bdt >= 0", name="amount_not_negative"),
    )

    workflow_type: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    business_key: Mapped[str] = mapped_column(String(100), nullable=False)
    amount_bdt: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    variables: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))


class Task(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'completed', 'cancelled')", name="status_known"),
        Index("ix_tasks_tenant_id_status", "tenant_id", "status"),  # the inbox: GET /tasks?status=open
    )

    process_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("processes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    task_type: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default=text("'open'"))
    assignee_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Transition(UUIDPrimaryKey, TenantScoped, Base):
    """One step of a process's state machine (immutable history: no updated_at)."""

    __tablename__ = "transitions"

    process_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("processes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_state: Mapped[str] = mapped_column(String(32), nullable=False)
    to_state: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))


class Assignment(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    __tablename__ = "assignments"

    task_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=text("now()"))
