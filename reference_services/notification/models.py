"""notification's tables (SPEC.md "Database"): notifications and templates (RLS), plus the kernel's outbox tables."""

from __future__ import annotations

# SQLAlchemy resolves Mapped[...] annotations at class creation, so these imports are needed at runtime.
import uuid  # noqa: TC003
from datetime import datetime  # noqa: TC003

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from reference_services.kernel.db import Base, TenantScoped, Timestamps, UUIDPrimaryKey
from reference_services.kernel.outbox import OutboxEvent, ProcessedEvent

__all__ = ["CHANNELS", "STATUSES", "TENANT_TABLES", "Base", "Notification", "OutboxEvent", "ProcessedEvent", "Template"]

TENANT_TABLES = ("notifications", "templates")
CHANNELS = ("email", "sms", "in_app")
STATUSES = ("sent", "failed")


class Notification(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    """One message; ``status`` is ``sent`` once the sink holds it, ``failed`` (with ``error``) otherwise."""

    __tablename__ = "notifications"
    # GET /notifications lists newest first
    __table_args__ = (Index("ix_notifications_tenant_id_created_at", "tenant_id", "created_at"),)

    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    template: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Template(UUIDPrimaryKey, TenantScoped, Timestamps, Base):
    """A tenant's message template (``$name`` placeholders); overrides the built-in one with the same code."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
