"""audit's tables (SPEC.md "Database"): audit_logs (immutable, RLS) plus the kernel's outbox tables."""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from datetime import datetime  # noqa: TC003
from typing import Any

from sqlalchemy import DateTime, Index, String, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, UUIDPrimaryKey
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = ["TENANT_TABLES", "AuditLog", "Base", "OutboxEvent", "ProcessedEvent"]

TENANT_TABLES = ("audit_logs",)


class AuditLog(UUIDPrimaryKey, TenantScoped, Base):
    """One record per consumed event; never updated (no ``updated_at``). ``event_id`` is the CloudEvent id."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_audit_logs_tenant_id_event_type", "tenant_id", "event_type"),
        Index("ix_audit_logs_tenant_id_occurred_at", "tenant_id", "occurred_at"),  # GET /audit-logs, newest first
    )

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    event_type: Mapped[str] = mapped_column(String(255), nullable=False)
    source: Mapped[str] = mapped_column(String(255), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
